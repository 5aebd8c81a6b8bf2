//! Health checks: probing servers.
//!
//! The statuses and the rise/fall machine they feed are in
//! [`crate::health`].
//!
//! - [`tcpcheck`]: runs a proxy's check rules (plain connect, `tcp-check`,
//!   `http-check`) against one server over a real connection.
//! - [`agent`]: the agent check and the parsing of what agents answer.
//! - `conn`, `expect`, `http_check`, `view`: the rules engine's parts
//!   (connections and time limits, `expect` rules and HAProxy's messages,
//!   HTTP requests and responses, what `%[...]` formats see).
//!
//! The tasks that run these checks on the servers and act on the results
//! are in [`crate::monitor`].

pub mod agent;
mod conn;
mod expect;
mod http_check;
pub mod tcpcheck;
#[cfg(test)]
mod tests_agent;
#[cfg(test)]
mod tests_connect;
#[cfg(test)]
mod tests_http;
#[cfg(test)]
mod tests_run;
mod view;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use crate::health::status::{CheckOutcome, CheckStatus};

/// Where and how one check connects: the server's address with the
/// check's `port`/`addr` applied, the time limits, and what the check's
/// formats and `disable-on-404` need to know of the server.
///
/// Time limits, as HAProxy 2.6 applies them (measured with 2.6.12):
/// - a connect may take `inter`, or `min(inter, timeout connect)` when
///   `timeout check` is set (`L4TOUT` after that);
/// - without `timeout check`, the whole check (connect included) is
///   limited by `inter` from its start;
/// - with `timeout check`, the exchange after the connection is
///   established may take `max(timeout check, min(inter, 1s))`: 2.6 never
///   reported an established check's timeout earlier than that.
#[derive(Clone, Debug)]
pub struct CheckTarget {
    pub addr: SocketAddr,
    /// `source` of the server or backend: the address checks bind to.
    pub source: Option<SocketAddr>,
    /// The interval of this check (`inter`, or `fastinter`/`downinter`
    /// as the server's state picks; `agent-inter` for the agent).
    pub inter: Duration,
    /// The backend's `timeout connect`.
    pub timeout_connect: Option<Duration>,
    /// The backend's `timeout check`.
    pub timeout_check: Option<Duration>,
    /// The server's `send-proxy` or `check-send-proxy`: checks start
    /// with a PROXY v1 line (never the agent).
    pub send_proxy: bool,
    /// The server's PROXY protocol options (which version checks send).
    pub pp: crate::proxy_proto::opts::ServerPp,
    /// The server is down (HAProxy's `next_state == STOPPED`): an HTTP
    /// 404 is then judged by the rules instead of `disable-on-404`.
    pub server_stopped: bool,
    /// The connection pool check connections come from (counted like any
    /// other connection; `tune.conn-pool-max` applies).
    pub pool: Arc<crate::pool::Pool>,
    /// Backend and server names and ids, for `%[be_name]`, `%[srv_id]`...
    pub proxy: String,
    pub proxy_id: i64,
    pub server: String,
    pub server_id: i64,
    /// The process-wide variables (`proc.*`), when the caller shares them.
    pub proc_vars: Option<crate::sample::vars::ProcVars>,
    /// TLS under the checks (`check-ssl`, or `ssl` without `port` or
    /// `addr`), for the connections the server's settings apply to (the
    /// implicit one, `connect default`); never the agent's.
    pub tls: Option<crate::tls_client::CheckTls>,
}
