//! What the stats applet needs from its host: read access to a snapshot
//! ([`Source`]) and a handful of admin actions ([`Admin`]).
//!
//! Both traits take `&self` so one host object can implement both and be
//! passed twice; implementations are expected to be cheap to call and to
//! use their own synchronisation. Error texts are not chosen by the host:
//! the CLI maps [`AdminError`] variants to HAProxy 2.6's exact messages.

use crate::model::{ProcessInfo, ProxyStats, ServerStateRow, SessionInfo};

/// A stick-table command of the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAction {
    /// `show table [...]`.
    Show,
    /// `clear table ...`.
    Clear,
    /// `set table ...`.
    Set,
    /// `show peers [...]`.
    ShowPeers,
    /// A command the core answers (maps, ACLs, variables): all its words.
    Command,
}

/// Read-only data.
pub trait Source {
    /// `show info` values.
    fn info(&self) -> ProcessInfo;
    /// Every `show stat` row, proxies in declaration order, each proxy's
    /// rows contiguous: frontend, listeners, servers, backend.
    fn stats(&self) -> Vec<ProxyStats>;
    /// Current streams (`show sess`), the CLI's own one included.
    fn sessions(&self) -> Vec<SessionInfo>;
    /// `show pools` output, already formatted by the host (without the
    /// CLI's terminating empty line).
    fn pools(&self) -> String;
    /// `show servers state` rows, all backends, declaration order.
    fn servers_state(&self) -> Vec<ServerStateRow>;
    /// `show servers conn` rows, all backends, declaration order (none
    /// from a host that does not export its connection pools).
    fn servers_conn(&self) -> Vec<crate::model::ServerConnRow> {
        Vec::new()
    }
    /// Runs a stick-table command (`args`: the words after `table` or
    /// `peers`) for a session at `level` on a socket of `socket_level`;
    /// the host's text (`Ok`) or error message (`Err`). `None` when the
    /// host has no stick tables to offer (an older proxy).
    fn tables(
        &self,
        action: TableAction,
        args: &[&str],
        level: crate::cli::Level,
        socket_level: crate::cli::Level,
    ) -> Option<Result<String, String>> {
        let _ = (action, args, level, socket_level);
        None
    }
    /// `show table` as data (see [`crate::stick`]) for a session at
    /// `level` on a socket of `socket_level`: the tables, or HAProxy's
    /// error message. `None` when the host cannot give it (an older
    /// proxy: then [`Source::tables`] answers with its text).
    fn stick_tables(
        &self,
        show: &crate::stick::StickShow<'_>,
        level: crate::cli::Level,
        socket_level: crate::cli::Level,
    ) -> Option<Result<Vec<crate::stick::StickTable>, String>> {
        let _ = (show, level, socket_level);
        None
    }
    /// `show peers` as data (see [`crate::peers_show`]). `None` when the
    /// host cannot give it (an older proxy: then [`Source::tables`]
    /// answers with its text).
    fn peers_view(&self) -> Option<applet_sdk::PeersView> {
        None
    }
    /// `show map` / `show acl` as data (see [`crate::patterns_show`]):
    /// the references, or HAProxy's message. `None` when the host cannot
    /// give it (an older proxy: then [`Source::tables`] answers with its
    /// text).
    fn patterns(
        &self,
        query: applet_sdk::PatternQuery,
    ) -> Option<Result<Vec<applet_sdk::PatternRefView>, String>> {
        let _ = query;
        None
    }
}

/// Target state of `set server <b>/<s> state ...` and
/// `enable|disable server`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminState {
    /// `ready` / `enable server`: leave maintenance and drain.
    Ready,
    /// `drain`: no new traffic except persistent.
    Drain,
    /// `maint` / `disable server`: maintenance.
    Maint,
}

/// A server found by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerRef {
    /// Current user weight.
    pub uweight: u32,
    /// Initial (configured) weight.
    pub iweight: u32,
    /// Its proxy is disabled or stopped (admin commands answer
    /// `Proxy is disabled.`).
    pub proxy_disabled: bool,
}

/// Why an admin action failed. The CLI prints the matching HAProxy text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// `No such backend.`
    NoSuchBackend,
    /// `No such server.`
    NoSuchServer,
    /// `No such frontend.`
    NoSuchFrontend,
    /// `Proxy is disabled.`
    ProxyDisabled,
    /// `Backend is using a static LB algorithm and only accepts weights '0%'
    /// and '100%'.`
    StaticLbWeight,
    /// Any other failure, printed as given (should end with a newline).
    Other(String),
}

/// Admin actions. Names are exactly what the user typed.
pub trait Admin {
    /// Looks a server up (`get weight`, and before every server action).
    fn find_server(&self, backend: &str, server: &str) -> Result<ServerRef, AdminError>;
    /// Whether a frontend (or listen section) with that name exists.
    fn has_frontend(&self, name: &str) -> bool;
    /// Changes a server's admin state.
    fn set_server_state(
        &self,
        backend: &str,
        server: &str,
        state: AdminState,
    ) -> Result<(), AdminError>;
    /// Sets a server's user weight (0..=256, already validated). Must return
    /// [`AdminError::StaticLbWeight`] for a non-zero weight different from
    /// the initial one on a static algorithm.
    fn set_server_weight(&self, backend: &str, server: &str, weight: u32)
        -> Result<(), AdminError>;
    /// Sets a server's maxconn (any integer, as HAProxy accepts).
    fn set_server_maxconn(
        &self,
        backend: &str,
        server: &str,
        maxconn: i64,
    ) -> Result<(), AdminError>;
    /// Sets a frontend's maxconn (>= 0).
    fn set_frontend_maxconn(&self, frontend: &str, maxconn: u32) -> Result<(), AdminError>;
    /// Sets the process maxconn (already checked against `Hard_maxconn`).
    fn set_global_maxconn(&self, maxconn: u64) -> Result<(), AdminError>;
    /// `clear counters` (max values only) or `clear counters all`.
    fn clear_counters(&self, all: bool);
    /// Kills one stream by its [`SessionInfo::ptr`](crate::model::SessionInfo);
    /// `false` if there is no such stream.
    fn shutdown_session(&self, ptr: u64) -> bool;
    /// Kills every stream attached to a server.
    fn shutdown_server_sessions(&self, backend: &str, server: &str) -> Result<(), AdminError>;
    /// A check operation on a server (`enable|disable health|agent`, `set
    /// server ... health|agent|check-port`): the host's [`applet_sdk::AdminOp`]
    /// and its value.
    fn server_check_op(
        &self,
        backend: &str,
        server: &str,
        op: applet_sdk::AdminOp,
        value: u64,
    ) -> Result<(), AdminError>;
}
