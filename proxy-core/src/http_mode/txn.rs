//! The transaction value: what one request has learned on its way through
//! the phases (dates, backend, server or applet, status, bytes, captures)
//! and how it ended. The phases fill it in; the finish step counts and
//! logs from it alone.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use crate::connect::ConnectInfo;
use crate::error::{ErrorKind, ProxyError};
use crate::log::termination::{ErrCause, FinState};

/// One HTTP transaction.
pub(super) struct Txn {
    pub(super) request_date: SystemTime,
    pub(super) first_byte: Instant,
    pub(super) head_done: Option<Instant>,
    /// The status the client got (-1: none).
    pub(super) status: i32,
    /// Bytes sent to the client, as the log counts them (`%B`).
    pub(super) bytes_out: u64,
    /// Request bytes received (the head; bodies are not counted yet).
    pub(super) bytes_in: u64,
    /// How the transaction ended, unless by a complete exchange.
    pub(super) end: Option<ProxyError>,
    pub(super) request_line: Option<Vec<u8>>,
    pub(super) backend: Option<usize>,
    /// The applet that served the request (logged `<NAME>` as the server).
    pub(super) applet: Option<String>,
    pub(super) info: ConnectInfo,
    pub(super) response_at: Option<Instant>,
    pub(super) first_request: bool,
    /// `capture request header` values, in declaration order.
    pub(super) req_captures: Vec<Vec<u8>>,
    /// `capture response header` values (all empty without a response).
    pub(super) res_captures: Vec<Vec<u8>>,
    /// The client address `set-src` gave this request (logged instead of
    /// the connection's).
    pub(super) src: Option<SocketAddr>,
    /// The destination `set-dst`/`set-dst-port` gave this request (logged
    /// instead of the connection's).
    pub(super) dst: Option<SocketAddr>,
    /// The unique id (`unique-id-format`), once made.
    pub(super) unique_id: Option<Vec<u8>>,
    /// `%Ti`: ms the connection was idle before the first byte.
    pub(super) idle_ms: i64,
    /// What `set-log-level` / `set-timeout` rules chose.
    pub(super) knobs: super::flow_actions::Knobs,
    /// `%rt`: the request's number (the stream's for the first request of
    /// a connection, a new one for the next, as HAProxy makes a stream
    /// per request).
    pub(super) uniq_id: u64,
    /// Cookie persistence: `%tsc` letters and `capture cookie` values.
    pub(super) cookie: super::cookie::CookieTxn,
}

impl Txn {
    /// A request whose first byte came at `first_byte` (`request_date` on
    /// the wall clock); nothing known of it yet.
    pub(super) fn new(request_date: SystemTime, first_byte: Instant, first_request: bool) -> Txn {
        Txn {
            request_date,
            first_byte,
            head_done: None,
            status: -1,
            bytes_out: 0,
            bytes_in: 0,
            end: None,
            request_line: None,
            backend: None,
            applet: None,
            info: ConnectInfo::default(),
            response_at: None,
            first_request,
            req_captures: Vec::new(),
            res_captures: Vec::new(),
            src: None,
            dst: None,
            unique_id: None,
            idle_ms: 0,
            knobs: Default::default(),
            uniq_id: 0,
            cookie: Default::default(),
        }
    }

    /// Ends the transaction with `end`; the client got `status` (-1: none)
    /// and the log counts `bytes` for it.
    pub(super) fn ended(&mut self, end: ProxyError, status: i32, bytes: u64) {
        self.end = Some(end);
        self.status = status;
        self.bytes_out = bytes;
    }

    /// Ended by the proxy's own answer (`return`, `redirect`, an applet).
    pub(super) fn answered_locally(&mut self) {
        self.end = Some(ProxyError::new(ErrorKind::Local).at(FinState::R));
    }

    /// The termination state's two first characters.
    pub(super) fn term(&self) -> (ErrCause, FinState) {
        self.end
            .as_ref()
            .map_or((ErrCause::None, FinState::None), |e| {
                (e.err_cause(), e.phase())
            })
    }

    /// Whether the client left before saying anything (a `dontlognull`
    /// candidate).
    pub(super) fn is_null(&self) -> bool {
        self.end.as_ref().is_some_and(|e| {
            e.kind == ErrorKind::ClientAborted && e.phase() == FinState::R && e.status.is_none()
        })
    }
}
