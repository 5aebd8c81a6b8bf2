//! Message body framing decided from a parsed head (RFC 9112 §6.3, as
//! HAProxy 2.6 applies it), plus the head-level semantic checks that come
//! with it.
//!
//! Sources: `src/h1.c` (`h1_parse_cont_len_header`,
//! `h1_parse_xfer_enc_header`, the end of `h1_headers_to_hdr_list`),
//! `src/h1_htx.c` (`h1_postparse_req_hdrs`, `h1_postparse_res_hdrs`),
//! `src/mux_h1.c` (`h1_handle_headers`, `h1_search_websocket_key`),
//! `src/http_ana.c` (101 without upgrade on both sides).
//!
//! Rules (request status / response status):
//! - `Content-Length`: comma lists and repeated fields must all carry the
//!   same digits-only value; they are merged into the first field, the
//!   others are not forwarded. Different values, non-digits, an empty value
//!   or an overflow: 400 / 502. (2.6.12 let an empty value through; 2.6.15
//!   rejects it, CVE-2023-40225; we reject.)
//! - `Transfer-Encoding`: `chunked` twice: 400 / 502. In a request a coding
//!   after `chunked`, or a last coding other than `chunked`: 400. Any coding
//!   other than `chunked` (gzip, identity, ...): **422** / 502 (HAProxy
//!   never answers 501 for this; since 2.5 it sends 422, mux-h1 "Reject
//!   messages with unknown transfer encoding"). Empty values or empty
//!   coding names: 400 / 502 (later 2.6 fixes).
//! - `Transfer-Encoding` with `Content-Length`: TE wins, every
//!   `Content-Length` field is removed, and the connection is closed after
//!   the exchange (`te_and_cl`). TE on an HTTP/1.0 message closes too.
//! - HTTP/1.0 GET, HEAD or DELETE with a payload: **413** (2.6 mux-h1,
//!   unless `h1-accept-payload-with-any-method`).
//! - `Host`/authority: see [`super::authority`] (400).
//! - `Connection: upgrade` + `Upgrade: websocket` needs a 24-byte
//!   `Sec-WebSocket-Key` in a request (400) and a `Sec-WebSocket-Accept` in
//!   the response (502). A request with `upgrade` and a body loses its
//!   `Upgrade` field. A 101 needs `upgrade` on both sides, else 502.
//! - Requests: no length indication means no body; CONNECT has no body.
//! - Responses: HEAD request, 1xx, 204, 304: no body; 101 and 2xx to
//!   CONNECT: tunnel; then chunked, content-length, or until close. 1xx and
//!   204 lose their `Content-Length` and `Transfer-Encoding` fields.

use std::fmt;

use super::authority::check_host;
use super::connection_header::ConnTokens;
use super::head::{HeaderField, RequestHead, ResponseHead, Version};
use super::tokens::{eq_ignore_case, is_lws, list_contains, list_items};

/// How a message body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body (also for `Content-Length: 0`).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding, validated by [`super::chunked`].
    Chunked,
    /// Response body running until the server closes.
    UntilClose,
    /// After a 101 or a 2xx to CONNECT: bytes flow both ways until close.
    Tunnel,
}

/// Body framing and connection flags of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Framing {
    pub body: BodyKind,
    pub version: Version,
    pub tokens: ConnTokens,
    /// A `Transfer-Encoding` field was present.
    pub transfer_encoding: bool,
    /// Both TE and CL were present (CL dropped, connection not reusable).
    pub te_and_cl: bool,
    /// The message asks for, or forces, the connection to close.
    pub connection_close: bool,
    /// The connection may stay open after this message, by its version and
    /// tokens (HTTP/1.1 without `close`, HTTP/1.0 with `keep-alive`).
    pub keep_alive: bool,
    /// `Connection: upgrade` with an `Upgrade` field (bodyless requests).
    pub upgrade: bool,
    /// `Upgrade` lists `websocket`.
    pub websocket: bool,
    /// Request with `Expect: 100-continue`.
    pub expect_100: bool,
    /// Indices of header fields not to forward, ascending.
    pub skip: Vec<usize>,
    /// A `Content-Length` field to forward with this canonical value
    /// instead of its own (e.g. `5, 5` becomes `5`).
    pub content_length_rewrite: Option<(usize, u64)>,
}

/// Why a head's framing was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramingError {
    /// Invalid or conflicting `Content-Length`.
    ContentLength,
    /// Invalid `Transfer-Encoding` (chunked twice, not last, empty).
    TransferEncoding,
    /// A transfer coding other than `chunked`.
    UnknownCoding,
    /// HTTP/1.0 GET/HEAD/DELETE with a payload.
    PayloadForbidden,
    /// Conflicting `Host` fields, or `Host` not matching the target.
    Host,
    /// Invalid CONNECT target.
    Authority,
    /// WebSocket upgrade without key (request) or accept (response).
    WebSocketKey,
    /// 101 response while the request or the response lacks `upgrade`.
    Upgrade101,
}

impl FramingError {
    /// The status HAProxy answers with.
    pub fn status(self, is_request: bool) -> u16 {
        match (self, is_request) {
            (_, false) => 502,
            (FramingError::UnknownCoding, true) => 422,
            (FramingError::PayloadForbidden, true) => 413,
            (_, true) => 400,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FramingError::ContentLength => "invalid content-length",
            FramingError::TransferEncoding => "invalid transfer-encoding",
            FramingError::UnknownCoding => "unsupported transfer coding",
            FramingError::PayloadForbidden => "payload not allowed for this HTTP/1.0 method",
            FramingError::Host => "host header mismatch",
            FramingError::Authority => "invalid authority",
            FramingError::WebSocketKey => "missing websocket key",
            FramingError::Upgrade101 => "101 without upgrade",
        }
    }
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for FramingError {}

/// What the response side needs to know about its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestInfo {
    pub is_head: bool,
    pub is_connect: bool,
    /// The forwarded request asked for an upgrade.
    pub upgrade: bool,
}

impl RequestInfo {
    pub fn new(buf: &[u8], head: &RequestHead, framing: &Framing) -> RequestInfo {
        RequestInfo {
            is_head: head.is_method(buf, b"HEAD"),
            is_connect: head.is_method(buf, b"CONNECT"),
            // HAProxy forgets the upgrade of a request with a body.
            upgrade: framing.tokens.upgrade && framing.body == BodyKind::None,
        }
    }
}

/// Parses one `Content-Length` value (a list of identical decimal numbers,
/// a trailing comma tolerated as HAProxy does). `None` if invalid.
pub fn parse_content_length(value: &[u8]) -> Option<u64> {
    let mut items = value.split(|&b| b == b',').peekable();
    let mut found: Option<u64> = None;
    while let Some(raw) = items.next() {
        let item = super::tokens::trim_lws(raw);
        if item.is_empty() && items.peek().is_none() && found.is_some() {
            break; // "5," is accepted
        }
        if item.is_empty() || !item.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = item.iter().try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
        if found.is_some_and(|f| f != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

/// Transfer-coding state across every `Transfer-Encoding` field.
#[derive(Default)]
struct Codings {
    present: bool,
    chunked_seen: bool,
    chunked_last: bool,
    other: bool,
}

impl Codings {
    fn add(&mut self, value: &[u8], is_request: bool) -> Result<(), FramingError> {
        self.present = true;
        if value.iter().all(|&b| is_lws(b)) {
            return Err(FramingError::TransferEncoding);
        }
        for item in list_items(value) {
            if item.is_empty() {
                return Err(FramingError::TransferEncoding);
            }
            self.chunked_last = false;
            if eq_ignore_case(item, b"chunked") {
                if self.chunked_seen {
                    return Err(FramingError::TransferEncoding);
                }
                self.chunked_seen = true;
                self.chunked_last = true;
            } else {
                if is_request && self.chunked_seen {
                    return Err(FramingError::TransferEncoding);
                }
                self.other = true;
            }
        }
        Ok(())
    }
}

/// What one pass over the header fields finds.
struct Scan {
    cl: Option<u64>,
    cl_fields: Vec<usize>,
    codings: Codings,
    tokens: ConnTokens,
    upgrade_fields: Vec<usize>,
    websocket: bool,
    ws_key_ok: bool,
    ws_accept: bool,
    expect_100: bool,
}

fn scan(buf: &[u8], headers: &[HeaderField], is_request: bool) -> Result<Scan, FramingError> {
    let mut s = Scan {
        cl: None,
        cl_fields: Vec::new(),
        codings: Codings::default(),
        tokens: ConnTokens::default(),
        upgrade_fields: Vec::new(),
        websocket: false,
        ws_key_ok: false,
        ws_accept: false,
        expect_100: false,
    };
    for (i, h) in headers.iter().enumerate() {
        let (name, value) = (h.name(buf), h.value(buf));
        if eq_ignore_case(name, b"content-length") {
            let n = parse_content_length(value).ok_or(FramingError::ContentLength)?;
            if s.cl.is_some_and(|c| c != n) {
                return Err(FramingError::ContentLength);
            }
            s.cl = Some(n);
            s.cl_fields.push(i);
        } else if eq_ignore_case(name, b"transfer-encoding") {
            s.codings.add(value, is_request)?;
        } else if eq_ignore_case(name, b"connection") {
            let t = ConnTokens::parse([value]);
            s.tokens.close |= t.close;
            s.tokens.keep_alive |= t.keep_alive;
            s.tokens.upgrade |= t.upgrade;
        } else if eq_ignore_case(name, b"upgrade") {
            s.upgrade_fields.push(i);
            // Like HAProxy, the last Upgrade field decides.
            s.websocket = list_contains(value, b"websocket");
        } else if eq_ignore_case(name, b"sec-websocket-key") {
            s.ws_key_ok |= value.len() == 24;
        } else if eq_ignore_case(name, b"sec-websocket-accept") {
            s.ws_accept = true;
        } else if eq_ignore_case(name, b"expect") {
            s.expect_100 |= eq_ignore_case(value, b"100-continue");
        }
    }
    Ok(s)
}

/// Fills what requests and responses share; `body` is set by the caller.
fn base(s: &Scan, version: Version) -> Framing {
    let te = s.codings.present;
    let te_and_cl = te && s.cl.is_some();
    let connection_close = s.tokens.close || te_and_cl || (te && !version.is_11());
    let mut skip = Vec::new();
    let mut content_length_rewrite = None;
    if te_and_cl {
        skip.extend_from_slice(&s.cl_fields);
    } else if let (Some(n), Some((&first, rest))) = (s.cl, s.cl_fields.split_first()) {
        skip.extend_from_slice(rest);
        content_length_rewrite = Some((first, n));
    }
    Framing {
        body: BodyKind::None,
        version,
        tokens: s.tokens,
        transfer_encoding: te,
        te_and_cl,
        connection_close,
        keep_alive: !connection_close && (version.is_11() || s.tokens.keep_alive),
        upgrade: s.tokens.upgrade && !s.upgrade_fields.is_empty(),
        websocket: s.websocket,
        expect_100: false,
        skip,
        content_length_rewrite,
    }
}

/// Drops the canonical-value rewrite when the field already holds it.
fn settle(mut f: Framing, buf: &[u8], headers: &[HeaderField]) -> Framing {
    f.skip.sort_unstable();
    f.skip.dedup();
    if let Some((i, n)) = f.content_length_rewrite {
        let same = headers
            .get(i)
            .is_some_and(|h| h.value(buf) == n.to_string().as_bytes());
        if same || f.skip.binary_search(&i).is_ok() {
            f.content_length_rewrite = None;
        }
    }
    f
}

/// Framing of a request; errors carry the status to answer with.
pub fn request_framing(buf: &[u8], head: &RequestHead) -> Result<Framing, FramingError> {
    let s = scan(buf, &head.headers, true)?;
    let is_connect = head.is_method(buf, b"CONNECT");
    let host_skip = check_host(buf, head, is_connect)?;
    let c = &s.codings;
    if c.present && !c.chunked_last {
        return Err(FramingError::TransferEncoding);
    }
    let mut f = base(&s, head.version);
    f.body = if c.present {
        BodyKind::Chunked
    } else {
        match s.cl {
            Some(n) if n > 0 => BodyKind::Length(n),
            _ => BodyKind::None,
        }
    };
    let no_payload_method = [&b"GET"[..], b"HEAD", b"DELETE"]
        .iter()
        .any(|m| head.is_method(buf, m));
    if !head.version.is_11() && no_payload_method && f.body != BodyKind::None {
        return Err(FramingError::PayloadForbidden);
    }
    if c.other {
        return Err(FramingError::UnknownCoding);
    }
    if s.tokens.upgrade && s.websocket && !s.ws_key_ok {
        return Err(FramingError::WebSocketKey);
    }
    if is_connect {
        f.body = BodyKind::None;
    }
    if f.upgrade && f.body != BodyKind::None {
        // An upgrade cannot happen with a request body: HAProxy forgets it.
        f.skip.extend_from_slice(&s.upgrade_fields);
        f.upgrade = false;
    }
    f.skip.extend_from_slice(&host_skip);
    f.expect_100 = s.expect_100 && head.version.is_11();
    Ok(settle(f, buf, &head.headers))
}

/// Framing of a response to a request described by `req`.
pub fn response_framing(
    buf: &[u8],
    head: &ResponseHead,
    req: &RequestInfo,
) -> Result<Framing, FramingError> {
    let s = scan(buf, &head.headers, false)?;
    if s.codings.other {
        return Err(FramingError::UnknownCoding);
    }
    let status = head.status;
    let mut f = base(&s, head.version);
    if status == 101 && !(req.upgrade && s.tokens.upgrade) {
        return Err(FramingError::Upgrade101);
    }
    if s.tokens.upgrade && s.websocket && !s.ws_accept {
        return Err(FramingError::WebSocketKey);
    }
    f.body = if status == 101 || (req.is_connect && (200..300).contains(&status)) {
        BodyKind::Tunnel
    } else if req.is_head || status < 200 || status == 204 || status == 304 {
        BodyKind::None
    } else if s.codings.chunked_last {
        BodyKind::Chunked
    } else if s.codings.present {
        BodyKind::UntilClose
    } else {
        match s.cl {
            Some(0) => BodyKind::None,
            Some(n) => BodyKind::Length(n),
            None => BodyKind::UntilClose,
        }
    };
    if f.body == BodyKind::UntilClose {
        f.keep_alive = false;
    }
    if status < 200 || status == 204 {
        let framing_fields = head
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.is(buf, b"content-length") || h.is(buf, b"transfer-encoding"));
        f.skip.extend(framing_fields.map(|(i, _)| i));
    }
    Ok(settle(f, buf, &head.headers))
}
