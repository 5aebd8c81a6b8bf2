//! Helpers for header values: splitting on commas and trimming.

pub(super) fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

/// Splits a header value on commas outside double quotes.
pub(super) struct CommaSplit<'a> {
    pub(super) rest: Option<&'a [u8]>,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let v = self.rest?;
        let mut quoted = false;
        let mut i = 0;
        while i < v.len() {
            match v[i] {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    self.rest = Some(&v[i + 1..]);
                    return Some(&v[..i]);
                }
                _ => {}
            }
            i += 1;
        }
        self.rest = None;
        Some(v)
    }
}
