//! Small byte helpers shared by the HTTP/1 modules: comma-separated list
//! iteration, linear-whitespace trimming and ASCII case-insensitive
//! comparison.
//!
//! Header values such as `Connection`, `Transfer-Encoding` or
//! `Content-Length` are lists: `#element` in RFC 9110 §5.6.1, i.e. elements
//! separated by commas with optional whitespace around them. HAProxy walks
//! them the same way: split on `,`, trim spaces and tabs on both sides.

/// Whether `b` is linear whitespace inside a header value (SP or HTAB).
#[inline]
pub fn is_lws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing SP/HTAB.
pub fn trim_lws(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_lws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_lws(b)).map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// ASCII case-insensitive equality of two byte strings.
#[inline]
pub fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Iterates over the comma-separated elements of a header value, each one
/// trimmed of SP/HTAB. Empty elements (`a,,b`, a trailing comma, or an
/// empty value) are yielded as empty slices so that callers which must
/// reject them can; callers which tolerate them simply skip them.
pub fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_lws)
}

/// Whether the comma-separated list `value` holds `token` (case-insensitive).
pub fn list_contains(value: &[u8], token: &[u8]) -> bool {
    list_items(value).any(|item| eq_ignore_case(item, token))
}

/// Whether `b` is a `tchar` (RFC 9110 §5.6.2), the bytes allowed in a token
/// such as a method or a header name.
#[inline]
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Whether `b` may appear in a header field value on the wire (RFC 9110
/// §5.5: HTAB, SP, VCHAR, obs-text). This is httparse's rule too, so heads
/// and trailers are held to the same standard.
#[inline]
pub fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_both_sides() {
        assert_eq!(trim_lws(b"  a b\t "), b"a b");
        assert_eq!(trim_lws(b" \t "), b"");
        assert_eq!(trim_lws(b""), b"");
        assert_eq!(trim_lws(b"x"), b"x");
    }

    #[test]
    fn list_items_keep_empty_elements() {
        let items: Vec<&[u8]> = list_items(b" close , Upgrade,,").collect();
        assert_eq!(items, vec![&b"close"[..], b"Upgrade", b"", b""]);
        assert!(list_contains(b"keep-alive, UPGRADE", b"upgrade"));
        assert!(!list_contains(b"keep-alive", b"upgrade"));
    }

    #[test]
    fn tchar_and_value_bytes() {
        assert!(is_tchar(b'a') && is_tchar(b'~') && !is_tchar(b' ') && !is_tchar(b':'));
        assert!(is_field_value_byte(b'\t') && is_field_value_byte(0xff));
        assert!(!is_field_value_byte(0) && !is_field_value_byte(b'\r'));
    }
}
