//! HAProxy 2.6's built-in error responses, byte for byte, and the
//! `errorfile` loader.
//!
//! The texts are those of `http_err_msgs[]` in HAProxy 2.6's `src/http.c`
//! (unchanged from 2.6.0 to 2.6.12 and beyond; note the original typos:
//! 405 lacks its final dot, 501 starts its sentence with a dot). They reach
//! the wire in two forms:
//! - [`early_error_response`]: errors the H1 mux raises itself, before any
//!   stream exists — a request head it cannot parse or that is too large
//!   (400), 413/422/501 from head checks, `timeout http-request` (408), an
//!   internal error (500). `h1_send_error()` copies the `http.c` text
//!   **verbatim**, mixed-case names included (`Content-length`,
//!   `Cache-Control`, ...); `errorfile` is not consulted there in 2.6. Such
//!   responses are not counted in `%B` (logged as 0 bytes).
//! - [`error_response`] / [`error_response_close`]: errors produced by the
//!   stream (deny, 502/503/504, a body error): the message goes through
//!   HTX and out of the H1 mux, which lower-cases names, drops the
//!   message's own `Connection: close` and appends `connection: close`
//!   after the other fields when the client connection is to be closed.
//!   `error_response` is what a keep-alive HTTP/1.1 client gets when its
//!   request was complete (400 and 408 still close); `error_response_close`
//!   is the form sent when the connection closes (request not complete,
//!   client asked `close`, `option httpclose`). Verified on 2.6.12 for 503:
//!   `HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n...`.
//!
//! Unknown codes map to the 500 message, like `http_get_status_idx()`.

use std::path::Path;

use super::framing::parse_content_length;
use super::head::{parse_response, HeadLimits, Parsed, DEFAULT_BUFSIZE, DEFAULT_MAX_HDR};

/// One built-in message in its three wire forms.
struct Msg {
    status: u16,
    early: &'static [u8],
    wire: &'static [u8],
    wire_close: &'static [u8],
    body_len: usize,
}

macro_rules! close_early {
    (close) => {
        "Connection: close\r\n"
    };
    (keep) => {
        ""
    };
}

macro_rules! close_wire {
    (close) => {
        "connection: close\r\n"
    };
    (keep) => {
        ""
    };
}

macro_rules! messages {
    ($( $status:literal $reason:literal $len:literal $close:tt $body:literal; )*) => {
        const MESSAGES: &[Msg] = &[$(
            Msg {
                status: $status,
                early: concat!(
                    "HTTP/1.1 ", $status, " ", $reason, "\r\n",
                    "Content-length: ", $len, "\r\n",
                    "Cache-Control: no-cache\r\n",
                    close_early!($close),
                    "Content-Type: text/html\r\n",
                    "\r\n", $body
                ).as_bytes(),
                wire: concat!(
                    "HTTP/1.1 ", $status, " ", $reason, "\r\n",
                    "content-length: ", $len, "\r\n",
                    "cache-control: no-cache\r\n",
                    "content-type: text/html\r\n",
                    close_wire!($close),
                    "\r\n", $body
                ).as_bytes(),
                wire_close: concat!(
                    "HTTP/1.1 ", $status, " ", $reason, "\r\n",
                    "content-length: ", $len, "\r\n",
                    "cache-control: no-cache\r\n",
                    "content-type: text/html\r\n",
                    "connection: close\r\n",
                    "\r\n", $body
                ).as_bytes(),
                body_len: $len,
            },
        )*];
    };
}

messages! {
    200 "OK" 58 keep
        "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n";
    400 "Bad request" 90 close
        "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";
    401 "Unauthorized" 112 keep
        "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
    403 "Forbidden" 93 keep
        "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n";
    404 "Not Found" 83 keep
        "<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n";
    405 "Method Not Allowed" 146 keep
        "<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n";
    407 "Unauthorized" 112 keep
        "<html><body><h1>407 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
    408 "Request Time-out" 110 close
        "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";
    410 "Gone" 114 keep
        "<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be available again.\n</body></html>\n";
    413 "Payload Too Large" 106 keep
        "<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n";
    421 "Misdirected Request" 104 keep
        "<html><body><h1>421 Misdirected Request</h1>\nRequest sent to a non-authoritative server.\n</body></html>\n";
    422 "Unprocessable Content" 116 keep
        "<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n";
    425 "Too Early" 80 keep
        "<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n";
    429 "Too Many Requests" 117 keep
        "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n";
    500 "Internal Server Error" 97 keep
        "<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n";
    501 "Not Implemented" 136 keep
        "<html><body><h1>501 Not Implemented</h1>\n.The server does not support the functionality required to fulfill the request.\n</body></html>\n";
    502 "Bad Gateway" 107 keep
        "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n";
    503 "Service Unavailable" 107 keep
        "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";
    504 "Gateway Time-out" 92 keep
        "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n";
}

fn lookup(status: u16) -> &'static Msg {
    let fallback = &MESSAGES[14]; // 500
    MESSAGES
        .iter()
        .find(|m| m.status == status)
        .unwrap_or(fallback)
}

/// Whether HAProxy 2.6 has a built-in message for `status` (and so accepts
/// `errorfile <status>`).
pub fn is_supported_status(status: u16) -> bool {
    MESSAGES.iter().any(|m| m.status == status)
}

/// Statuses with a built-in message, ascending.
pub fn supported_statuses() -> impl Iterator<Item = u16> {
    MESSAGES.iter().map(|m| m.status)
}

/// The stream-path wire form (lower-case names) for a complete request on
/// a kept-alive HTTP/1.1 connection; 400 and 408 end with
/// `connection: close`.
pub fn error_response(status: u16) -> &'static [u8] {
    lookup(status).wire
}

/// The stream-path wire form when the client connection closes afterwards:
/// always ends its fields with `connection: close`.
pub fn error_response_close(status: u16) -> &'static [u8] {
    lookup(status).wire_close
}

/// The raw `http.c` text the H1 mux sends for errors found before a stream
/// exists (bad or too large request head, 408, ...).
pub fn early_error_response(status: u16) -> &'static [u8] {
    lookup(status).early
}

/// What HAProxy 2.6 logs as `%B` for a message the stream sends itself
/// (an error page, built-in or `errorfile`): not the bytes on the wire but
/// the size of the message in its internal form, which is 20 bytes of
/// start-line record plus the start line's three parts, each header's name
/// and value, one end-of-headers byte, and the body. Header fields the mux
/// adds on the way out (`connection: close`) are not in it; those the page
/// itself has (the 400 and 408 texts' `Connection: close`) are. `None` when
/// `msg` has no complete head.
pub fn htx_size(msg: &[u8]) -> Option<u64> {
    const START_LINE_RECORD: usize = 20;
    let Ok(Parsed::Complete(head)) = parse_response(msg, &HeadLimits::default()) else {
        return None;
    };
    let start = head.version_raw.len() + head.status_raw.len() + head.reason.len();
    let fields: usize = head
        .headers
        .iter()
        .map(|h| h.name(msg).len() + h.value(msg).len())
        .sum();
    let body = msg.len() - head.len;
    Some((START_LINE_RECORD + start + fields + 1 + body) as u64)
}

/// [`htx_size`] of the built-in message for `status`.
pub fn error_logged_size(status: u16) -> u64 {
    let raw = early_error_response(status);
    htx_size(raw).unwrap_or(raw.len() as u64)
}

/// Length of the body of the built-in message for `status`.
pub fn error_body_len(status: u16) -> usize {
    lookup(status).body_len
}

/// Validates a raw errorfile the way HAProxy's `http_str_to_htx()` does and
/// returns it. An empty file is valid (send nothing). The head must be a
/// complete HTTP/1.x response head; 1xx (but 101) is refused, chunked
/// bodies are refused, a 204/304 must have no payload and a
/// `Content-Length` must match the payload. HAProxy truncates files above
/// `tune.bufsize` (with a warning); so does this.
pub fn parse_errorfile(raw: &[u8]) -> Result<Vec<u8>, String> {
    let raw = &raw[..raw.len().min(DEFAULT_BUFSIZE)];
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let limits = HeadLimits {
        max_head: DEFAULT_BUFSIZE,
        max_hdr: DEFAULT_MAX_HDR,
        lenient: false,
    };
    let head = match parse_response(raw, &limits) {
        Ok(Parsed::Complete(h)) => h,
        Ok(Parsed::Incomplete) => return Err("incomplete HTTP response head".to_string()),
        Err(e) => return Err(format!("unable to parse headers: {e}")),
    };
    if !head.version_raw.get(raw).starts_with(b"HTTP/1.") {
        let v = String::from_utf8_lossy(head.version_raw.get(raw)).into_owned();
        return Err(format!("invalid http version ({v})"));
    }
    let status = head.status;
    if status < 200 && status != 101 {
        return Err(format!(
            "invalid http status code for an error message ({status})"
        ));
    }
    let mut length: Option<u64> = None;
    for h in &head.headers {
        if h.is(raw, b"transfer-encoding") {
            return Err("chunk-encoded payload not supported".to_string());
        }
        if h.is(raw, b"content-length") {
            let n = parse_content_length(h.value(raw))
                .filter(|n| length.is_none_or(|l| l == *n))
                .ok_or_else(|| "invalid content-length".to_string())?;
            length = Some(n);
        }
    }
    let payload = (raw.len() - head.len) as u64;
    if (status == 204 || status == 304 || length == Some(0)) && payload > 0 {
        return Err("message payload not expected".to_string());
    }
    if let Some(n) = length {
        if n != payload {
            return Err(format!(
                "payload size does not match the announced content-length ({payload} != {n})"
            ));
        }
    }
    Ok(raw.to_vec())
}

/// Reads and validates an errorfile (see [`parse_errorfile`]).
pub fn load_errorfile(path: impl AsRef<Path>) -> Result<Vec<u8>, String> {
    let path = path.as_ref();
    let raw =
        std::fs::read(path).map_err(|e| format!("error opening file '{}': {e}", path.display()))?;
    parse_errorfile(&raw).map_err(|e| format!("'{}': {e}", path.display()))
}
