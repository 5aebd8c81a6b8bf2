//! The one outcome type of the core.
//!
//! Every way a stream or an HTTP transaction ends badly, or is answered by
//! the proxy itself, is a [`ProxyError`]: what happened ([`ErrorKind`]),
//! which side it came from ([`Side`]), in which phase ([`FinState`]),
//! whether a retry is safe, and for HTTP the status to answer with when
//! nothing was sent yet. Everything else is derived from it here, in one
//! place: the termination code of the log line ([`ProxyError::err_cause`],
//! [`ProxyError::phase`]), the stream interface's error type
//! ([`ProxyError::si_err_type`]), the status ([`ProxyError::http_status`])
//! and the error counters ([`ProxyError::account`]).

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::counters::Counters;
use crate::log::termination::{ErrCause, FinState};

/// Which side of the stream the end came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
    /// The proxy's own decision: a rule, a limit, a local answer.
    Proxy,
    /// A local resource ran out.
    Resource,
    /// A bug.
    Internal,
    /// An applet failed (panicked or returned an error).
    Applet,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The client stayed silent past its timeout.
    ClientTimeout,
    /// The client closed or reset while we still needed it.
    ClientAborted,
    /// The client sent something invalid (a bad head, bad framing).
    BadRequest,
    /// The server stayed silent past `timeout server`.
    ServerTimeout,
    /// The server closed or reset while we still needed it.
    ServerAborted,
    /// The server sent something invalid (an unparsable response head).
    BadResponse,
    /// `timeout connect` struck.
    ConnectTimeout,
    /// The server refused or could not be reached.
    ConnectFailed,
    /// `timeout queue` struck while waiting for a server slot.
    QueueTimeout,
    /// No usable server in the backend, or no backend at all.
    NoServer,
    /// A local resource ran out (pool cap, file descriptors, source ports).
    Resource,
    /// The proxy refused by policy (a deny rule, a reject).
    Policy,
    /// The proxy answered by itself (return, redirect, monitor-uri): not an
    /// error, but an end of its own.
    Local,
    /// An applet serving the stream failed.
    Applet,
    /// An administrator killed the stream (`shutdown session`).
    Killed,
    /// Something that should not happen.
    Internal,
}

#[derive(Debug, Clone)]
pub struct ProxyError {
    pub kind: ErrorKind,
    pub side: Side,
    /// Whether trying another connect is safe (nothing was sent yet).
    pub retry: bool,
    /// The phase it happened in; `FinState::None` lets the stream derive
    /// it from its server side's state (TCP mode).
    pub phase: FinState,
    /// In HTTP, the status of the answer this end calls for, when it
    /// calls for one (an error page, nothing having reached the client
    /// yet); `None` when no answer can or need be sent, or when the caller
    /// always answers (a failed connect). The log shows
    /// [`ProxyError::http_status`] either way.
    pub status: Option<u16>,
    pub context: Option<String>,
}

impl ProxyError {
    pub fn new(kind: ErrorKind) -> ProxyError {
        use ErrorKind as K;
        let (side, retry) = match kind {
            K::ClientTimeout | K::ClientAborted | K::BadRequest => (Side::Client, false),
            K::ServerTimeout | K::ServerAborted | K::BadResponse => (Side::Server, false),
            K::ConnectTimeout | K::ConnectFailed => (Side::Server, true),
            K::QueueTimeout | K::NoServer => (Side::Server, false),
            K::Resource => (Side::Resource, true),
            K::Policy | K::Local | K::Killed => (Side::Proxy, false),
            K::Applet => (Side::Applet, false),
            K::Internal => (Side::Internal, false),
        };
        let phase = match kind {
            K::QueueTimeout => FinState::Q,
            K::ConnectTimeout | K::ConnectFailed | K::NoServer => FinState::C,
            _ => FinState::None,
        };
        ProxyError {
            kind,
            side,
            retry,
            phase,
            status: None,
            context: None,
        }
    }

    pub fn context(mut self, ctx: impl Into<String>) -> ProxyError {
        self.context = Some(ctx.into());
        self
    }

    /// The same end, in phase `phase`.
    pub fn at(mut self, phase: FinState) -> ProxyError {
        self.phase = phase;
        self
    }

    /// The same end, answered with `status` (HTTP), or with nothing.
    pub fn answer(mut self, status: Option<u16>) -> ProxyError {
        self.status = status;
        self
    }

    /// A connect error from the socket layer, classified as HAProxy does:
    /// a lack of local resources is `R`, anything else is the server's.
    pub fn from_connect(e: &io::Error) -> ProxyError {
        let resource = matches!(
            e.raw_os_error(),
            Some(
                libc_errno::EMFILE | libc_errno::ENFILE | libc_errno::ENOBUFS | libc_errno::ENOMEM
            ) | Some(libc_errno::EADDRNOTAVAIL | libc_errno::EADDRINUSE)
        );
        let kind = if resource {
            ErrorKind::Resource
        } else if e.kind() == io::ErrorKind::TimedOut {
            ErrorKind::ConnectTimeout
        } else {
            ErrorKind::ConnectFailed
        };
        ProxyError::new(kind).at(FinState::C).context(e.to_string())
    }

    /// The first character of the termination state.
    pub fn err_cause(&self) -> ErrCause {
        use ErrorKind as K;
        match self.kind {
            K::ClientTimeout => ErrCause::CliTo,
            K::ClientAborted => ErrCause::CliCl,
            K::ServerTimeout | K::ConnectTimeout | K::QueueTimeout => ErrCause::SrvTo,
            K::ServerAborted | K::ConnectFailed | K::NoServer => ErrCause::SrvCl,
            K::Resource => ErrCause::Resource,
            K::BadRequest | K::BadResponse | K::Policy => ErrCause::PrxCond,
            K::Local => ErrCause::Local,
            K::Applet | K::Internal => ErrCause::Internal,
            K::Killed => ErrCause::Killed,
        }
    }

    /// The second character of the termination state, when known here.
    pub fn phase(&self) -> FinState {
        self.phase
    }

    /// The server-side stream interface's error type bit.
    pub fn si_err_type(&self) -> u32 {
        use ErrorKind as K;
        match self.kind {
            K::QueueTimeout => err_type::QUEUE_TO,
            K::ConnectTimeout => err_type::CONN_TO,
            K::ConnectFailed | K::NoServer => err_type::CONN_ERR,
            K::Resource => err_type::CONN_RES,
            K::ClientAborted => err_type::CONN_ABRT,
            K::ServerTimeout | K::ClientTimeout => err_type::DATA_TO,
            K::ServerAborted | K::BadResponse => err_type::DATA_ERR,
            K::BadRequest | K::Policy | K::Local | K::Applet | K::Killed | K::Internal => {
                err_type::CONN_OTHER
            }
        }
    }

    /// The status an HTTP client gets when this happens before any
    /// response byte was sent.
    pub fn http_status(&self) -> u16 {
        use ErrorKind as K;
        if let Some(s) = self.status {
            return s;
        }
        match self.kind {
            K::QueueTimeout | K::ConnectFailed | K::ConnectTimeout | K::NoServer | K::Resource => {
                503
            }
            K::ServerTimeout => 504,
            K::ServerAborted | K::BadResponse => 502,
            K::ClientTimeout => 408,
            K::ClientAborted | K::BadRequest => 400,
            K::Policy => 403,
            K::Local => 200,
            K::Applet | K::Killed | K::Internal => 500,
        }
    }

    /// Counts this end where HAProxy counts it: a refused or failed
    /// request on the frontend (`ereq`, `dreq`), a failed or aborted
    /// response on the backend and its server (`eresp`, `srv_abrt`,
    /// `cli_abrt`, `dreq` for a backend rule's deny), internal errors on
    /// all of them.
    pub fn account(&self, fe: Option<&Counters>, be: Option<&Counters>, srv: Option<&Counters>) {
        use ErrorKind as K;
        let bump = |c: Option<&Counters>, f: fn(&Counters) -> &AtomicU64| {
            if let Some(c) = c {
                f(c).fetch_add(1, Ordering::Relaxed);
            }
        };
        let waiting_request = self.phase == FinState::R;
        match self.kind {
            K::BadRequest | K::ClientTimeout | K::Resource if waiting_request => {
                bump(fe, |c| &c.failed_req)
            }
            // A client that said something, then left, failed its request;
            // one that left without a word did not.
            K::ClientAborted if waiting_request && self.status.is_some() => {
                bump(fe, |c| &c.failed_req)
            }
            K::Policy if waiting_request => {
                bump(fe, |c| &c.denied);
                bump(be, |c| &c.denied);
            }
            _ => {}
        }
        for c in [be, srv] {
            match (self.side, self.phase) {
                (Side::Server, FinState::H) => bump(c, |c| &c.failed_resp),
                (Side::Server, FinState::D) => bump(c, |c| &c.srv_aborts),
                (Side::Client, FinState::D) => bump(c, |c| &c.cli_aborts),
                (Side::Internal | Side::Applet, _) => bump(c, |c| &c.internal_errors),
                _ => {}
            }
        }
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:?} side)", self.kind, self.side)?;
        if let Some(c) = &self.context {
            write!(f, ": {c}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProxyError {}

/// Error types (`si->err_type`), with `CONN_RES` as HAProxy added it just
/// after the seed, so resource failures log as `RC`.
pub mod err_type {
    pub const NONE: u32 = 0x0000;
    pub const QUEUE_TO: u32 = 0x0001;
    pub const QUEUE_ERR: u32 = 0x0002;
    pub const QUEUE_ABRT: u32 = 0x0004;
    pub const CONN_TO: u32 = 0x0008;
    pub const CONN_ERR: u32 = 0x0010;
    pub const CONN_ABRT: u32 = 0x0020;
    pub const CONN_RES: u32 = 0x0040;
    pub const CONN_OTHER: u32 = 0x0080;
    pub const DATA_TO: u32 = 0x0100;
    pub const DATA_ERR: u32 = 0x0200;
    pub const DATA_ABRT: u32 = 0x0400;
}

/// The few errno values the classification needs (Linux numbering), kept
/// here rather than pulling in a libc crate for five constants.
mod libc_errno {
    pub const ENOMEM: i32 = 12;
    pub const ENFILE: i32 = 23;
    pub const EMFILE: i32 = 24;
    pub const EADDRINUSE: i32 = 98;
    pub const EADDRNOTAVAIL: i32 = 99;
    pub const ENOBUFS: i32 = 105;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_and_retry_follow_the_kind() {
        assert_eq!(ProxyError::new(ErrorKind::ConnectFailed).side, Side::Server);
        assert!(ProxyError::new(ErrorKind::ConnectFailed).retry);
        assert!(!ProxyError::new(ErrorKind::ServerAborted).retry);
        assert_eq!(ProxyError::new(ErrorKind::ClientTimeout).side, Side::Client);
        assert_eq!(ProxyError::new(ErrorKind::Resource).side, Side::Resource);
        assert_eq!(ProxyError::new(ErrorKind::Applet).side, Side::Applet);
    }

    #[test]
    fn connect_errors_are_classified() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            ProxyError::from_connect(&refused).kind,
            ErrorKind::ConnectFailed
        );
        let emfile = io::Error::from_raw_os_error(24);
        assert_eq!(ProxyError::from_connect(&emfile).kind, ErrorKind::Resource);
        assert_eq!(
            ProxyError::from_connect(&emfile).err_cause(),
            ErrCause::Resource
        );
    }

    #[test]
    fn status_codes_and_phases_match_haproxy() {
        assert_eq!(ProxyError::new(ErrorKind::QueueTimeout).http_status(), 503);
        assert_eq!(
            ProxyError::new(ErrorKind::QueueTimeout).phase(),
            FinState::Q
        );
        assert_eq!(ProxyError::new(ErrorKind::ServerTimeout).http_status(), 504);
        assert_eq!(ProxyError::new(ErrorKind::Resource).http_status(), 503);
        assert_eq!(ProxyError::new(ErrorKind::Internal).http_status(), 500);
        let denied = ProxyError::new(ErrorKind::Policy).answer(Some(502));
        assert_eq!(
            (denied.http_status(), denied.err_cause()),
            (502, ErrCause::PrxCond)
        );
    }

    #[test]
    fn counters_follow_the_side_and_phase() {
        let (fe, be, srv) = (
            Counters::default(),
            Counters::default(),
            Counters::default(),
        );
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ProxyError::new(ErrorKind::ServerAborted)
            .at(FinState::H)
            .account(Some(&fe), Some(&be), Some(&srv));
        assert_eq!((load(&be.failed_resp), load(&srv.failed_resp)), (1, 1));
        ProxyError::new(ErrorKind::ClientAborted)
            .at(FinState::D)
            .account(Some(&fe), Some(&be), Some(&srv));
        assert_eq!(load(&srv.cli_aborts), 1);
        ProxyError::new(ErrorKind::BadRequest)
            .at(FinState::R)
            .account(Some(&fe), None, None);
        assert_eq!(load(&fe.failed_req), 1);
        // A client that left before saying anything is not a failed request.
        ProxyError::new(ErrorKind::ClientAborted)
            .at(FinState::R)
            .account(Some(&fe), None, None);
        assert_eq!(load(&fe.failed_req), 1);
        ProxyError::new(ErrorKind::Policy)
            .at(FinState::R)
            .account(Some(&fe), Some(&be), None);
        assert_eq!((load(&fe.denied), load(&be.denied)), (1, 1));
    }
}
