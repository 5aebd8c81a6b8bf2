//! Error files as HAProxy 2.6 sends them. HAProxy loads an error file
//! into its internal message form and its HTTP/1 output writes it anew:
//! the status line as written (`<version> <code> <reason>`), each field
//! as `<name in lower case>: <value without surrounding blanks>`, every
//! line ended by CRLF, then the body unchanged. We rewrite the file the
//! same way once, when the configuration is read.

/// `raw` (an error file [`super::kw_reply::check_raw_response`]
/// accepted) as HAProxy's HTTP/1 output writes it; an empty file, or one
/// whose head does not end, is left as it is.
pub(super) fn normalize(raw: &[u8]) -> Vec<u8> {
    let mut lines = Vec::new();
    let mut start = 0;
    let body = loop {
        let Some(n) = raw[start..].iter().position(|&b| b == b'\n') else {
            return raw.to_vec();
        };
        let line = &raw[start..start + n];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        start += n + 1;
        if line.is_empty() {
            break &raw[start..];
        }
        lines.push(line);
    };
    let Some((status, fields)) = lines.split_first() else {
        return raw.to_vec();
    };
    let mut out = Vec::with_capacity(raw.len() + 16);
    out.extend_from_slice(&status_line(status));
    for f in fields {
        let colon = f.iter().position(|&b| b == b':').unwrap_or(f.len());
        out.extend(f[..colon].iter().map(u8::to_ascii_lowercase));
        out.extend_from_slice(b": ");
        out.extend_from_slice(trim(f.get(colon + 1..).unwrap_or_default()));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// `<version> <code> <reason>` CRLF, the reason as written.
fn status_line(line: &[u8]) -> Vec<u8> {
    let version = line.split(|&b| b == b' ').next().unwrap_or_default();
    let code = line
        .get(version.len() + 1..version.len() + 4)
        .unwrap_or_default();
    let reason = line.get(version.len() + 5..).unwrap_or_default();
    [version, b" ", code, b" ", reason, b"\r\n"].concat()
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
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
