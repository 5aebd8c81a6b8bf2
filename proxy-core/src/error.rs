//! The one error type of the core.
//!
//! Every failure on a stream is a [`ProxyError`]: it knows which side failed
//! (client, server, or ourselves), whether a retry is safe, and from that
//! alone come the termination-state letter in the log, the stream
//! interface's error type and, in HTTP, the status code sent to the client.

use std::fmt;
use std::io;

use crate::log::termination::ErrCause;
use crate::stream::si::err_type;

/// Which side of the stream the failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
    /// The proxy itself: resources, policy, bugs.
    Internal,
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The client stayed silent past `timeout client`.
    ClientTimeout,
    /// The client closed or reset while we still needed it.
    ClientAborted,
    /// The server stayed silent past `timeout server`.
    ServerTimeout,
    /// The server closed or reset while we still needed it.
    ServerAborted,
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
    /// The proxy refused the request by policy or because it was invalid.
    Policy,
    /// Something that should not happen.
    Internal,
}

#[derive(Debug)]
pub struct ProxyError {
    pub kind: ErrorKind,
    pub side: Side,
    /// Whether trying another connect is safe (nothing was sent yet).
    pub retry: bool,
    pub context: Option<String>,
}

impl ProxyError {
    pub fn new(kind: ErrorKind) -> ProxyError {
        let (side, retry) = match kind {
            ErrorKind::ClientTimeout | ErrorKind::ClientAborted => (Side::Client, false),
            ErrorKind::ServerTimeout | ErrorKind::ServerAborted => (Side::Server, false),
            ErrorKind::ConnectTimeout | ErrorKind::ConnectFailed => (Side::Server, true),
            ErrorKind::QueueTimeout | ErrorKind::NoServer => (Side::Server, false),
            ErrorKind::Resource => (Side::Internal, true),
            ErrorKind::Policy | ErrorKind::Internal => (Side::Internal, false),
        };
        ProxyError {
            kind,
            side,
            retry,
            context: None,
        }
    }

    pub fn context(mut self, ctx: impl Into<String>) -> ProxyError {
        self.context = Some(ctx.into());
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
        ProxyError::new(kind).context(e.to_string())
    }

    /// The first character of the termination state.
    pub fn err_cause(&self) -> ErrCause {
        match self.kind {
            ErrorKind::ClientTimeout => ErrCause::CliTo,
            ErrorKind::ClientAborted => ErrCause::CliCl,
            ErrorKind::ServerTimeout | ErrorKind::ConnectTimeout | ErrorKind::QueueTimeout => {
                ErrCause::SrvTo
            }
            ErrorKind::ServerAborted | ErrorKind::ConnectFailed | ErrorKind::NoServer => {
                ErrCause::SrvCl
            }
            ErrorKind::Resource => ErrCause::Resource,
            ErrorKind::Policy => ErrCause::PrxCond,
            ErrorKind::Internal => ErrCause::Internal,
        }
    }

    /// The server-side stream interface's error type bit.
    pub fn si_err_type(&self) -> u32 {
        match self.kind {
            ErrorKind::QueueTimeout => err_type::QUEUE_TO,
            ErrorKind::ConnectTimeout => err_type::CONN_TO,
            ErrorKind::ConnectFailed | ErrorKind::NoServer => err_type::CONN_ERR,
            ErrorKind::Resource => err_type::CONN_RES,
            ErrorKind::ClientAborted => err_type::CONN_ABRT,
            ErrorKind::ServerTimeout | ErrorKind::ClientTimeout => err_type::DATA_TO,
            ErrorKind::ServerAborted => err_type::DATA_ERR,
            ErrorKind::Policy | ErrorKind::Internal => err_type::CONN_OTHER,
        }
    }

    /// The status an HTTP client gets when this error happens before any
    /// response byte was sent.
    pub fn http_status(&self) -> u16 {
        match self.kind {
            ErrorKind::QueueTimeout
            | ErrorKind::ConnectFailed
            | ErrorKind::ConnectTimeout
            | ErrorKind::NoServer
            | ErrorKind::Resource => 503,
            ErrorKind::ServerTimeout => 504,
            ErrorKind::ServerAborted => 502,
            ErrorKind::ClientTimeout => 408,
            ErrorKind::ClientAborted => 400,
            ErrorKind::Policy => 403,
            ErrorKind::Internal => 500,
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
        assert_eq!(ProxyError::new(ErrorKind::Resource).side, Side::Internal);
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
    fn status_codes_match_haproxy() {
        assert_eq!(ProxyError::new(ErrorKind::QueueTimeout).http_status(), 503);
        assert_eq!(ProxyError::new(ErrorKind::ServerTimeout).http_status(), 504);
        assert_eq!(ProxyError::new(ErrorKind::Resource).http_status(), 503);
        assert_eq!(ProxyError::new(ErrorKind::Internal).http_status(), 500);
    }
}
