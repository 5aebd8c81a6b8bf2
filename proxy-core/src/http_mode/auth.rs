//! The answer of `http-request auth`: the proxy's 401 error page (its
//! `errorfile 401`, else the built-in page) with the `WWW-Authenticate`
//! field of the rule's realm in place of any the page had, as HAProxy 2.6
//! sends it (the field last). A request for a proxy (`option
//! http-use-proxy-header`) gets the 407 page and `Proxy-Authenticate`.

use super::request::Verdict;
use crate::config::model_http::HttpConfig;

/// The 401 (`proxy`: 407) for `http-request auth realm <realm>`.
pub(super) fn challenge(http: &HttpConfig, realm: &str, proxy: bool) -> Verdict {
    let (status, name): (u16, &str) = if proxy {
        (407, "proxy-authenticate")
    } else {
        (401, "www-authenticate")
    };
    let page: &[u8] = match http.errorfiles.get(&status) {
        Some(file) => file,
        None => crate::http::error_response(status),
    };
    let field = format!("{name}: Basic realm=\"{realm}\"\r\n");
    Verdict::Respond {
        bytes: with_field(page, name.as_bytes(), field.as_bytes()),
        status,
        deny: false,
        redirect: false,
    }
}

/// `page` without its `name` fields and with `field` (a whole line)
/// added after its other fields. A page without a head (an empty error
/// file) is sent as it is.
fn with_field(page: &[u8], name: &[u8], field: &[u8]) -> Vec<u8> {
    let Some(end) = head_end(page) else {
        return page.to_vec();
    };
    let mut out = Vec::with_capacity(page.len() + field.len());
    let mut lines = page[..end].split_inclusive(|&b| b == b'\n');
    if let Some(status) = lines.next() {
        out.extend_from_slice(status);
    }
    for line in lines {
        let named = line.len() > name.len()
            && line[..name.len()].eq_ignore_ascii_case(name)
            && line[name.len()] == b':';
        if !named {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(field);
    out.extend_from_slice(&page[end..]);
    out
}

/// Where the blank line ending the head starts (CRLF or LF lines).
fn head_end(page: &[u8]) -> Option<usize> {
    let mut at = 0;
    for line in page.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            return Some(at);
        }
        at += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::with_field;

    #[test]
    fn field_replaced_and_last() {
        let page = b"HTTP/1.1 401 No\r\nWWW-Authenticate: x\r\nA: b\r\n\r\nbody";
        let out = with_field(page, b"www-authenticate", b"www-authenticate: y\r\n");
        assert_eq!(
            out,
            b"HTTP/1.1 401 No\r\nA: b\r\nwww-authenticate: y\r\n\r\nbody"
        );
        let lf = b"HTTP/1.0 401 No\nA: b\n\nbody";
        let out = with_field(lf, b"www-authenticate", b"w: y\r\n");
        assert_eq!(out, b"HTTP/1.0 401 No\nA: b\nw: y\r\n\nbody");
        assert_eq!(with_field(b"", b"w", b"w: y\r\n"), b"");
    }
}
