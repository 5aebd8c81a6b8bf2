//! HTTP version handling for [`super::head`]: classifying
//! `HTTP/<digit>.<digit>` the way HAProxy 2.6 does (`src/h1_htx.c`
//! `h1_process_req_vsn` / `h1_process_res_vsn`: 1.1 and above count as 1.1,
//! the rest as 1.0), and letting httparse, which only knows 1.0 and 1.1,
//! parse such heads by re-parsing a copy with the version patched.
//! Offsets into the copy are the same as into the original, so the parsed
//! [`Span`]s stay valid for the caller's buffer.

use super::head::{HeadError, Span, Version};

/// Number of bytes of empty lines (CRLF or LF) at the start of `buf`.
pub(super) fn leading_empty_lines(buf: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match buf.get(i..) {
            Some([b'\n', ..]) => i += 1,
            Some([b'\r', b'\n', ..]) => i += 2,
            _ => return i,
        }
    }
}

/// The first line after the empty ones, without its line ending, and its
/// offset; `None` while no LF was seen.
pub(super) fn first_line(buf: &[u8]) -> Option<(usize, &[u8])> {
    let start = leading_empty_lines(buf);
    let rest = &buf[start..];
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let line = &rest[..lf];
    Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
}

/// Classifies `HTTP/<d>.<d>`; `None` if `v` is not of that form.
pub(super) fn classify_version(v: &[u8]) -> Option<Version> {
    match v {
        [b'H', b'T', b'T', b'P', b'/', maj, b'.', min]
            if maj.is_ascii_digit() && min.is_ascii_digit() =>
        {
            Some(if *maj > b'1' || (*maj == b'1' && *min >= b'1') {
                Version::Http11
            } else {
                Version::Http10
            })
        }
        _ => None,
    }
}

/// httparse refused the version: if it is `HTTP/<d>.<d>` (other than 1.0
/// and 1.1), return a copy of `window` with 1.0 or 1.1 in its place, the
/// class, and the offset of the version. `Ok(None)`: the line is not
/// complete yet.
pub(super) fn patch_version(
    window: &[u8],
    is_request: bool,
) -> Result<Option<(Vec<u8>, Version, Span)>, HeadError> {
    let Some((start, line)) = first_line(window) else {
        return Ok(None);
    };
    let at = if is_request {
        let sp = line
            .iter()
            .rposition(|&b| b == b' ')
            .ok_or(HeadError::Version)?;
        sp + 1
    } else {
        0
    };
    let raw = line.get(at..at + 8).ok_or(HeadError::Version)?;
    let follows_ok = if is_request {
        at + 8 == line.len()
    } else {
        line.get(8) == Some(&b' ')
    };
    let version = classify_version(raw).ok_or(HeadError::Version)?;
    if !follows_ok || raw == b"HTTP/1.0" || raw == b"HTTP/1.1" {
        // httparse objected to something else than the digits.
        return Err(HeadError::Version);
    }
    let span = Span::new(start + at, start + at + 8);
    let mut copy = window.to_vec();
    copy[span.start..span.end].copy_from_slice(version.as_bytes());
    Ok(Some((copy, version, span)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify_version(b"HTTP/1.1"), Some(Version::Http11));
        assert_eq!(classify_version(b"HTTP/1.0"), Some(Version::Http10));
        assert_eq!(classify_version(b"HTTP/0.9"), Some(Version::Http10));
        assert_eq!(classify_version(b"HTTP/1.2"), Some(Version::Http11));
        assert_eq!(classify_version(b"HTTP/3.0"), Some(Version::Http11));
        assert_eq!(classify_version(b"http/1.1"), None);
        assert_eq!(classify_version(b"HTTP/1.x"), None);
        assert_eq!(classify_version(b"HTTP/11"), None);
    }

    #[test]
    fn lines() {
        assert_eq!(leading_empty_lines(b"\r\n\n\r\nG"), 5);
        assert_eq!(leading_empty_lines(b"\rG"), 0);
        assert_eq!(first_line(b"\nabc\r\nx"), Some((1, &b"abc"[..])));
        assert_eq!(first_line(b"abc"), None);
    }

    #[test]
    fn patching() {
        let (copy, v, span) = patch_version(b"GET / HTTP/2.0\r\n\r\n", true)
            .unwrap()
            .unwrap();
        assert_eq!(copy, b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!((v, span), (Version::Http11, Span::new(6, 14)));
        assert_eq!(patch_version(b"GET / HTTP/2.0", true), Ok(None));
        assert_eq!(
            patch_version(b"GET / HTTP/1.1 x\r\n", true),
            Err(HeadError::Version)
        );
        let (copy, v, _) = patch_version(b"HTTP/0.9 200 OK\r\n", false)
            .unwrap()
            .unwrap();
        assert_eq!((&copy[..8], v), (&b"HTTP/1.0"[..], Version::Http10));
    }
}
