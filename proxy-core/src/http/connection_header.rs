//! `Connection` handling as HAProxy 2.6's H1 mux does it (`src/mux_h1.c`
//! `h1_set_cli_conn_mode`, `h1_set_srv_conn_mode`,
//! `h1_update_req_conn_value`, `h1_update_res_conn_value`, the
//! `H1_MSG_LAST_LF` step of `h1_process_mux`; `src/h1.c`
//! `h1_parse_connection_header`).
//!
//! What HAProxy 2.6 does, and so what this module computes:
//! - On every message it receives, the `close` and `keep-alive` tokens are
//!   *removed* from `Connection` (other tokens such as `upgrade` stay, and
//!   the field disappears if nothing is left). They only set flags.
//! - When it emits a message it appends, after all other fields, its own
//!   `connection: close` (HTTP/1.1 message, connection to be closed) or
//!   `connection: keep-alive` (HTTP/1.0 on either side, connection kept),
//!   or nothing. Nothing is appended to 1xx responses, in tunnel mode
//!   (101, 2xx to CONNECT), or when the message has an `upgrade` token.
//! - It does **not** strip other hop-by-hop fields: `Keep-Alive`,
//!   `Proxy-Connection`, and fields named by `Connection` tokens are
//!   forwarded as they are. `TE` is the exception: it is forwarded as
//!   `te: trailers` if it lists `trailers`, and dropped otherwise.
//! - Client side (frontend): the connection is kept unless the request is
//!   HTTP/1.0 without `keep-alive`, carries `close`, has TE+CL or TE on
//!   HTTP/1.0, the response has no length (until close) or is HTTP/1.0
//!   with TE, the proxy answered before the request was complete, or the
//!   frontend is in `option httpclose`.
//! - Server side (backend): `option http-server-close` or `option
//!   httpclose` (frontend or backend) close it after each response; so do a
//!   request with TE on HTTP/1.0, and a response without length, with
//!   `close`, with TE+CL, or HTTP/1.0 without `keep-alive`. A client's
//!   `Connection: close` is *not* passed on to the server (its token was
//!   removed on input).

use super::framing::{BodyKind, Framing};
use super::tokens::{eq_ignore_case, list_items};

/// The HTTP connection mode of a proxy (`option http-keep-alive`, the
/// default; `option http-server-close`; `option httpclose`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConnMode {
    #[default]
    KeepAlive,
    ServerClose,
    Close,
}

/// Tokens found in a message's `Connection` fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnTokens {
    pub close: bool,
    pub keep_alive: bool,
    pub upgrade: bool,
}

impl ConnTokens {
    /// Collects the tokens of every `Connection` field value.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> ConnTokens {
        let mut t = ConnTokens::default();
        for item in values.into_iter().flat_map(list_items) {
            if eq_ignore_case(item, b"close") {
                t.close = true;
            } else if eq_ignore_case(item, b"keep-alive") {
                t.keep_alive = true;
            } else if eq_ignore_case(item, b"upgrade") {
                t.upgrade = true;
            }
        }
        t
    }
}

/// What becomes of one `Connection` field when forwarding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CleanedValue {
    /// No `close`/`keep-alive` token: forward as is.
    Unchanged,
    /// Only `close`/`keep-alive` tokens: drop the field.
    Drop,
    /// Forward with this value instead.
    Rewritten(Vec<u8>),
}

/// Removes the `close` and `keep-alive` tokens from a `Connection` value.
/// Like HAProxy, the untouched prefix keeps its original spelling and the
/// elements after a removed one are joined with a bare comma.
pub fn clean_connection_value(value: &[u8]) -> CleanedValue {
    let mut prefix_end = 0; // end of the original text kept verbatim
    let mut broken = false; // a token was removed after the prefix
    let mut out: Vec<u8> = Vec::new();
    let mut pos = 0;
    for raw in value.split(|&b| b == b',') {
        let delim = pos + raw.len();
        pos = delim + 1;
        let item = super::tokens::trim_lws(raw);
        if item.is_empty() {
            continue;
        }
        if eq_ignore_case(item, b"close") || eq_ignore_case(item, b"keep-alive") {
            if !broken {
                broken = true;
                out.extend_from_slice(super::tokens::trim_lws(&value[..prefix_end]));
            }
            continue;
        }
        if broken {
            if !out.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(item);
        } else {
            prefix_end = delim;
        }
    }
    match (broken, out.is_empty()) {
        (false, _) => CleanedValue::Unchanged,
        (true, true) => CleanedValue::Drop,
        (true, false) => CleanedValue::Rewritten(out),
    }
}

/// What to forward for a `TE` field: `Some(b"trailers")` if it lists
/// `trailers`, `None` to drop it.
pub fn te_outgoing(value: &[u8]) -> Option<&'static [u8]> {
    list_items(value)
        .any(|item| {
            // Parameters (`trailers;q=1`) do not change the coding's name.
            let name = item.split(|&b| b == b';').next().unwrap_or(item);
            eq_ignore_case(super::tokens::trim_lws(name), b"trailers")
        })
        .then_some(b"trailers")
}

/// Connection decisions taken when a request is forwarded to a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestConn {
    /// `Connection` value the proxy appends to the forwarded request.
    pub add: Option<&'static [u8]>,
    /// The server connection is not to be reused after this exchange.
    pub server_close: bool,
    /// The client connection is to be closed after the response.
    pub client_close: bool,
}

/// Connection decisions for a response (from the server or local).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseConn {
    /// `Connection` value the proxy appends to the forwarded response.
    pub add: Option<&'static [u8]>,
    /// Close the client connection once this response is sent.
    pub client_close: bool,
    /// The server connection may go back to the idle pool afterwards.
    pub server_reusable: bool,
    /// Both sides switch to tunnel mode after this response.
    pub tunnel: bool,
}

fn conn_value(close: bool, msg_11: bool, both_11: bool) -> Option<&'static [u8]> {
    match (close, msg_11, both_11) {
        (true, true, _) => Some(b"close"),
        (false, _, false) => Some(b"keep-alive"),
        _ => None,
    }
}

/// Decides the forwarded request's `Connection` and whether either side
/// closes, from the request's framing and the proxy mode (the most closing
/// of frontend and backend modes for the server side).
pub fn plan_request(mode: ConnMode, req: &Framing) -> RequestConn {
    let v11 = req.version.is_11();
    let server_close = mode != ConnMode::KeepAlive || (req.transfer_encoding && !v11);
    let add = if req.tokens.upgrade {
        None
    } else {
        conn_value(server_close, v11, v11)
    };
    RequestConn {
        add,
        server_close,
        client_close: !req.keep_alive,
    }
}

/// Decides the forwarded response's `Connection`, and what becomes of both
/// connections. `frontend_mode` is the frontend's mode (only `Close`
/// matters on the client side); `server_close` comes from
/// [`plan_request`].
pub fn plan_response(
    frontend_mode: ConnMode,
    req: &Framing,
    server_close: bool,
    resp: &Framing,
    status: u16,
) -> ResponseConn {
    let tunnel = resp.body == BodyKind::Tunnel;
    let interim = status < 200 && !tunnel;
    let server_reusable =
        !server_close && !tunnel && resp.keep_alive && resp.body != BodyKind::UntilClose;
    let client_close = !req.keep_alive
        || frontend_mode == ConnMode::Close
        || resp.body == BodyKind::UntilClose
        || (resp.transfer_encoding && !resp.version.is_11());
    let add = if tunnel || interim || resp.tokens.upgrade {
        None
    } else {
        let both_11 = resp.version.is_11() && req.version.is_11();
        conn_value(client_close, resp.version.is_11(), both_11)
    };
    ResponseConn {
        add,
        client_close: client_close && !tunnel && !interim,
        server_reusable,
        tunnel,
    }
}

/// The same for a response the proxy generates itself (error, redirect,
/// `http-request return`). `req` is `None` when no valid request was
/// parsed; `request_complete` says whether its body was fully received.
/// `resp_tokens` are the tokens of the generated message (the built-in 400
/// and 408 carry `close`).
pub fn plan_local_response(
    frontend_mode: ConnMode,
    req: Option<&Framing>,
    request_complete: bool,
    resp_tokens: ConnTokens,
) -> ResponseConn {
    let (keep_alive, req_11) = req.map_or((false, true), |r| (r.keep_alive, r.version.is_11()));
    let client_close =
        !keep_alive || !request_complete || frontend_mode == ConnMode::Close || resp_tokens.close;
    ResponseConn {
        add: conn_value(client_close, true, req_11),
        client_close,
        server_reusable: false,
        tunnel: false,
    }
}
