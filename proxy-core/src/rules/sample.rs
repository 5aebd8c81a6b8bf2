//! Helpers for sample values: header value splitting and trimming,
//! HAProxy's lenient integer reading, and the text form of a sample
//! rendered into a stack buffer (no allocation).

use super::fetch::Sample;

/// HAProxy's lenient integer reading of a header value: optional sign and
/// leading digits, 0 when there are none.
pub(super) fn leading_int(v: &[u8]) -> i64 {
    let (neg, digits) = match v.first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let n = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &b| {
            n.saturating_mul(10).saturating_add(i64::from(b - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

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

/// A small stack buffer for rendering numbers and addresses as text.
pub(super) struct TextBuf {
    buf: [u8; 48],
    len: usize,
}

impl TextBuf {
    pub(super) fn new() -> Self {
        TextBuf {
            buf: [0; 48],
            len: 0,
        }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The text form of a sample (HAProxy's cast to string), into `buf` when
/// it is not already bytes.
pub(super) fn as_text<'s>(s: &Sample<'s>, buf: &'s mut TextBuf) -> &'s [u8] {
    use std::fmt::Write;
    match *s {
        Sample::Str(v) => v,
        Sample::Int(n) => {
            let _ = write!(buf, "{n}");
            buf.as_bytes()
        }
        Sample::Ip(ip) => {
            let _ = write!(buf, "{ip}");
            buf.as_bytes()
        }
        Sample::Bool(b) => {
            if b {
                b"1"
            } else {
                b"0"
            }
        }
    }
}
