//! The HTTP/1.1 message layer of HTTP mode, without any I/O: pure functions
//! and state machines over byte buffers, matching HAProxy 2.6's behaviour.
//!
//! Files:
//! - [`head`]: request/response head parsing (httparse, strict), limits
//!   (`tune.bufsize - tune.maxrewrite`, `tune.http.maxhdr`), offsets into
//!   the buffer.
//! - [`framing`]: body framing from a head (Content-Length,
//!   Transfer-Encoding, 1xx/204/304/HEAD, tunnels) and the head-level
//!   semantic checks (413, 422, Host, WebSocket, 101).
//! - [`authority`]: `Host` versus request target checks.
//! - [`chunked`]: incremental chunked-body validator (forwards bytes as is).
//! - [`connection_header`]: `Connection`/`TE` handling and keep-alive
//!   decisions per [`ConnMode`].
//! - [`rewrite`]: writing the forwarded head (lower-case names, edits,
//!   proxy `Connection` value).
//! - [`errors`]: built-in error responses as HAProxy 2.6 sends them,
//!   `errorfile` loading.
//! - [`tokens`]: list/token byte helpers.
//! - [`version`]: HTTP version classification (versions httparse refuses).
//!
//! Tests sit in `head_tests.rs`, `framing_tests.rs`, `chunked_tests.rs`,
//! `connection_header_tests.rs`, `rewrite_tests.rs`, `errors_tests.rs`.
//!
//! # How a stream driver uses it
//!
//! 1. Read client bytes; [`head::parse_request`] on the unconsumed part of
//!    the buffer. `Incomplete`: read more (a full buffer is reported as
//!    `TooLarge`). Error: [`Failure::BadRequestHead`].
//! 2. [`framing::request_framing`]: body kind and flags; error:
//!    [`Failure::BadRequestFraming`] (400, 413 or 422).
//! 3. [`connection_header::plan_request`] with the backend's [`ConnMode`]
//!    gives the `Connection` value to append and whether each side closes.
//! 4. [`head_edit::write_request_edited`] with
//!    [`rewrite::ForwardPlan::new`] and the rules' [`head_edit::HeadEdits`]; send it, then the body: `Length(n)` → forward `n`
//!    bytes; `Chunked` → feed [`chunked::ChunkedDecoder::advance`] and
//!    forward `consumed` bytes until `done`; `None` → nothing. What follows
//!    in the buffer is the next (pipelined) request.
//! 5. Server bytes: [`head::parse_response`], then
//!    [`framing::response_framing`] with [`framing::RequestInfo`]; 1xx
//!    (other than 101) are forwarded and the next head is parsed.
//!    [`connection_header::plan_response`] decides the `Connection` value,
//!    client close, server reuse, tunnel; [`head_edit::write_response_edited`];
//!    body as in 4 (`UntilClose`: until the server closes; `Tunnel`: both
//!    ways until close).
//! 6. On failure, [`Failure::outcome`] gives the status, the termination
//!    state for the log and which message form to send.

pub mod authority;
pub mod chunked;
pub mod connection_header;
pub mod dechunk;
pub mod errors;
mod field_count;
pub mod framing;
pub mod head;
pub mod head_edit;
mod head_lenient;
pub mod rewrite;
pub mod status;
pub mod tokens;
pub mod uri_edit;
pub mod version;

#[cfg(test)]
mod chunked_tests;
#[cfg(test)]
mod connection_header_tests;
#[cfg(test)]
mod errors_tests;
#[cfg(test)]
mod framing_tests;
#[cfg(test)]
mod head_tests;
#[cfg(test)]
mod rewrite_tests;

pub use chunked::{ChunkError, ChunkedDecoder, ChunkedLimits, Progress};
pub use connection_header::{ConnMode, ConnTokens, RequestConn, ResponseConn};
pub use errors::{
    early_error_response, error_logged_size, error_response, error_response_close, htx_size,
    load_errorfile,
};
pub use framing::{BodyKind, Framing, FramingError, RequestInfo};
pub use head::{HeadError, HeadLimits, Parsed, RequestHead, ResponseHead, Span, Version};
pub use rewrite::{ForwardPlan, NameCase};

use crate::error::{ErrorKind, ProxyError};
use crate::log::termination::FinState;

/// The HTTP-level failures a stream can meet, each mapped the way HAProxy
/// 2.6 handles it (`src/mux_h1.c` `h1_handle_parsing_error` /
/// `h1_handle_req_tout`, `src/http_ana.c` `http_wait_for_response`,
/// `http_request_forward_body`, `http_response_forward_body`; termination
/// codes per doc/configuration.txt §8.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Unparsable or too large request head: 400 `PR`, raw early message.
    BadRequestHead(HeadError),
    /// Head parsed but refused by framing checks: 400/413/422 `PR`, early.
    BadRequestFraming(FramingError),
    /// An invalid chunked body that arrived together with its head: the
    /// H1 mux refuses it while parsing, before any stream exists, so it is
    /// answered like a bad head (400 `PR`, early) and nothing is forwarded.
    BadRequestBodyWithHead(ChunkError),
    /// The client closed before a complete head: `CR`, 400; the message is
    /// only sent if some bytes had arrived (else logged 400 with 0 bytes).
    ClientAbortedHead { received_bytes: bool },
    /// `timeout http-request` struck: 408 `cR`, early message.
    RequestTimeout,
    /// Invalid, too large or refused response head: 502 `PH`.
    BadResponseHead,
    /// The server closed before a complete response head: 502 `SH`.
    ServerClosedBeforeHead,
    /// `timeout server` before the response head: 504 `sH`.
    ServerTimeoutBeforeHead,
    /// Invalid chunked request body: 400 `PH` if no response has started;
    /// otherwise nothing can be sent, logged `PD` with the response's own
    /// status (the 400 in [`Outcome::status`] is then only a fallback).
    BadRequestBody { response_started: bool },
    /// Invalid response body (bad chunk): the client connection is aborted,
    /// nothing sent, logged `SD` with the response's own status (HAProxy
    /// 2.6's code sets SF_ERR_SRVCL there although its documentation says
    /// `PD`; the 502 in [`Outcome::status`] is only a fallback).
    BadResponseBody,
}

/// Which form of the built-in message goes out, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessagePath {
    /// Raw `http.c` text written by the mux ([`errors::early_error_response`]).
    Early,
    /// Through the stream: [`errors::error_response`] or
    /// [`errors::error_response_close`] depending on the client connection.
    Stream,
    /// Nothing is sent.
    None,
}

/// How a [`Failure`] ends its transaction: the end itself (status, cause,
/// phase: see [`ProxyError`]) and the form of the message sent, if any.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub end: ProxyError,
    pub path: MessagePath,
}

impl Outcome {
    /// Status logged (and sent, unless `path` is `None`).
    pub fn status(&self) -> u16 {
        self.end.http_status()
    }

    /// The bytes to send; `client_close` selects the stream form ending in
    /// `connection: close`.
    pub fn message(&self, client_close: bool) -> Option<&'static [u8]> {
        let status = self.status();
        match self.path {
            MessagePath::Early => Some(errors::early_error_response(status)),
            MessagePath::Stream if client_close => Some(errors::error_response_close(status)),
            MessagePath::Stream => Some(errors::error_response(status)),
            MessagePath::None => None,
        }
    }
}

impl Failure {
    pub fn outcome(self) -> Outcome {
        use ErrorKind as K;
        use MessagePath::{Early, Stream};
        let (kind, phase, status, path) = match self {
            // HAProxy's H1 parser takes `PRI` as a request and its stream
            // refuses it: the stream's 400, not the mux's raw one.
            Failure::BadRequestHead(HeadError::Preface) => {
                (K::BadRequest, FinState::R, 400, Stream)
            }
            Failure::BadRequestHead(_) | Failure::BadRequestBodyWithHead(_) => {
                (K::BadRequest, FinState::R, 400, Early)
            }
            Failure::BadRequestFraming(e) => (K::BadRequest, FinState::R, e.status(true), Early),
            Failure::ClientAbortedHead {
                received_bytes: true,
            } => (K::ClientAborted, FinState::R, 400, Early),
            // Nothing was said: nothing is answered (logged 400 all the same).
            Failure::ClientAbortedHead {
                received_bytes: false,
            } => (K::ClientAborted, FinState::R, 400, MessagePath::None),
            Failure::RequestTimeout => (K::ClientTimeout, FinState::R, 408, Early),
            Failure::BadResponseHead => (K::BadResponse, FinState::H, 502, Stream),
            Failure::ServerClosedBeforeHead => (K::ServerAborted, FinState::H, 502, Stream),
            Failure::ServerTimeoutBeforeHead => (K::ServerTimeout, FinState::H, 504, Stream),
            Failure::BadRequestBody {
                response_started: false,
            } => (K::BadRequest, FinState::H, 400, Stream),
            Failure::BadRequestBody {
                response_started: true,
            } => (K::BadRequest, FinState::D, 400, MessagePath::None),
            Failure::BadResponseBody => (K::ServerAborted, FinState::D, 502, MessagePath::None),
        };
        // The status is the answer's: none when nothing is sent (the log
        // still shows the kind's own, `ProxyError::http_status`).
        let answer = (path != MessagePath::None).then_some(status);
        Outcome {
            end: ProxyError::new(kind).at(phase).answer(answer),
            path,
        }
    }
}
