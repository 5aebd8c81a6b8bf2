//! Error files as HAProxy 2.6 sends them. HAProxy loads an error file
//! into its internal message form and its HTTP/1 output writes it anew:
//! the status line as written (`<version> <code> <reason>`), each field
//! as `<name in lower case>: <value without surrounding blanks>`, every
//! line ended by CRLF, then the body unchanged. We rewrite the file the
//! same way once, when the configuration is read.

use super::head::{parse_response, HeadLimits, Parsed};

/// `raw` (a checked error file) as HAProxy's HTTP/1 output writes it; an
/// empty or unparsable file is left as it is.
pub fn normalize(raw: &[u8]) -> Vec<u8> {
    let limits = HeadLimits {
        max_head: raw.len().max(1),
        // The file was checked against HAProxy's limits already.
        ..HeadLimits::default()
    };
    let Ok(Parsed::Complete(head)) = parse_response(raw, &limits) else {
        return raw.to_vec();
    };
    let mut out = Vec::with_capacity(raw.len() + 16);
    out.extend_from_slice(head.version_raw.get(raw));
    out.push(b' ');
    out.extend_from_slice(head.status_raw.get(raw));
    out.push(b' ');
    out.extend_from_slice(head.reason.get(raw));
    out.extend_from_slice(b"\r\n");
    for h in &head.headers {
        out.extend(h.name(raw).iter().map(u8::to_ascii_lowercase));
        out.extend_from_slice(b": ");
        out.extend_from_slice(h.value(raw));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&raw[head.len..]);
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    /// What HAProxy 2.6.12 sent for these files.
    #[test]
    fn as_haproxy_writes_them() {
        let crlf = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Foo:  bar \r\nContent-Length: 5\r\n\r\nnope\n";
        assert_eq!(
            normalize(crlf),
            b"HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nx-foo: bar\r\ncontent-length: 5\r\n\r\nnope\n"
        );
        let lf = b"HTTP/1.0 403 Go   Away\nContent-Type: text/plain\nX-Empty:\n\nnope\n";
        assert_eq!(
            normalize(lf),
            b"HTTP/1.0 403 Go   Away\r\ncontent-type: text/plain\r\nx-empty: \r\n\r\nnope\n"
        );
        assert_eq!(normalize(b""), b"");
    }
}
