//! Sending one complete answer of the stats HTTP services (the stats page
//! and the Prometheus exporter) through the SDK's response writer.
//!
//! The proxy frames the response; this only chooses between the two
//! framings these services have always used (as HAProxy 2.6 does): a
//! non-empty body to an HTTP/1.1 `GET`/`POST` goes chunked, anything else
//! (HTTP/1.0, `HEAD`, an empty body) announces its `Content-Length`.

use applet_sdk::{Io, Request, Response};

/// Whether the answer announces its length (`Some`) or goes chunked.
pub(crate) fn announced_length(method: &str, version: &str, body_len: usize) -> Option<u64> {
    let chunked = version == "HTTP/1.1" && method != "HEAD" && body_len > 0;
    (!chunked).then_some(body_len as u64)
}

/// Sends `status reason`, `headers` (in order, names as given), `body`
/// and the end. The body of a `HEAD` answer is not written (the proxy
/// would drop it). A refusal of the writer fails the call.
pub(crate) fn send(
    io: &mut Io<'_>,
    req: &Request<'_>,
    (status, reason): (u16, &str),
    headers: &[(&str, String)],
    body: &[u8],
) {
    let mut head = Response::new(status).reason(reason);
    for (name, value) in headers {
        head = head.header(name, value);
    }
    if let Some(n) = announced_length(req.method(), req.version(), body.len()) {
        head = head.length(n);
    }
    let sent = io.send_head(head).and_then(|()| {
        if req.method() == "HEAD" {
            Ok(())
        } else {
            io.write_all(body)
        }
    });
    match sent {
        Ok(()) => io.end(),
        Err(e) => io.fail(format!("stats: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::announced_length;

    #[test]
    fn chunked_only_for_a_body_to_an_http11_get_or_post() {
        assert_eq!(announced_length("GET", "HTTP/1.1", 5), None);
        assert_eq!(announced_length("POST", "HTTP/1.1", 5), None);
        assert_eq!(announced_length("GET", "HTTP/1.0", 5), Some(5));
        assert_eq!(announced_length("HEAD", "HTTP/1.1", 5), Some(5));
        assert_eq!(announced_length("POST", "HTTP/1.1", 0), Some(0));
    }
}
