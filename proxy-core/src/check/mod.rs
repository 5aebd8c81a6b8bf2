//! Health checks: probing servers and acting on the results.
//!
//! - [`status`]: HAProxy's check statuses (`L4OK`, `L7STS`, ...) and the
//!   outcome of one check run.
//! - [`health`]: the rise/fall state machine of a server's checks, pure
//!   logic (no I/O, no clock of its own).
//! - [`tcpcheck`]: runs a proxy's check rules (plain connect, `tcp-check`,
//!   `http-check`) against one server over a real connection.
//! - [`agent`]: the agent check and the parsing of what agents answer.
//!
//! The tasks that run these checks on the servers and act on the results
//! are in [`crate::monitor`].

pub mod agent;
pub mod health;
pub mod status;
pub mod tcpcheck;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use status::{CheckOutcome, CheckStatus};

/// Where and how one check connects: the server's address with the
/// check's `port`/`addr` applied, and the time limits.
#[derive(Clone, Debug)]
pub struct CheckTarget {
    pub addr: SocketAddr,
    pub source: Option<SocketAddr>,
    /// Limit for the connect step: `timeout connect` if set, else `inter`.
    pub connect_timeout: Duration,
    /// Limit for the whole exchange after connect: `timeout check` if set,
    /// else `inter`.
    pub check_timeout: Duration,
    /// The connection pool check connections come from (counted like any
    /// other connection; `tune.conn-pool-max` applies).
    pub pool: Arc<crate::pool::Pool>,
    /// `<backend>/<server>`, for `%[...]` formats and messages.
    pub proxy: String,
    pub server: String,
}
