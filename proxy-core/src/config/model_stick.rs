//! The stick-table part of the configuration: table declarations
//! (`stick-table` in a proxy, `table` in a `peers` section), `peers`
//! sections, and the rules that use tables: `stick on|match|store-request`,
//! `track-sc0..2` (in `tcp-request connection|content` and `http-request`),
//! `sc-inc-gpc0/1` and `sc-set-gpt0`.
//!
//! Rules name their table as written (`table` argument, or none for the
//! proxy's own); the final checks resolve every name to an index into
//! [`super::Config::tables`], the run time's table list, and report unknown
//! names as HAProxy does.

use std::net::SocketAddr;

use super::model::{BindConfig, Location};
use super::model_http::Condition;
use crate::rules::expr::Expr;
use crate::stick::TableConfig;

/// Most tracking counters per stream (`MAX_SESS_STKCTR`, `sc0`..`sc2`).
pub const MAX_SC: u8 = 3;

/// One declared stick table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDecl {
    /// Name, type, size, stored data (`server_id` and `server_key` are
    /// added by the final checks when a `stick` rule uses the table).
    pub conf: TableConfig,
    pub loc: Location,
    /// Declaration order across proxies and peers sections.
    pub seq: usize,
}

/// A `peer` or `server` line of a peers section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerLine {
    pub name: String,
    /// `None` for a `server` line without address (the local peer, whose
    /// address is given by `bind`).
    pub addr: Option<SocketAddr>,
    /// `server` rather than `peer`.
    pub server_form: bool,
    pub loc: Location,
}

/// A `peers <name>` section: stored for the peers applet (no networking
/// in the core).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeersConfig {
    pub name: String,
    pub loc: Location,
    pub peers: Vec<PeerLine>,
    /// `bind` (with the `server` form): the local peer's listening address.
    pub bind: Option<BindConfig>,
    /// `table` lines, named `<section>/<name>`.
    pub tables: Vec<TableDecl>,
    /// `disabled` (tables using the section are then not replicated).
    pub disabled: bool,
}

impl PeersConfig {
    /// The local peer: the line whose name is `local_name` (`-L`,
    /// `localpeer`, else the host name).
    pub fn local<'a>(&'a self, local_name: &str) -> Option<&'a PeerLine> {
        self.peers.iter().find(|p| p.name == local_name)
    }
}

/// The name of the local peer: `-L` (exported as `HAPROXY_LOCALPEER`),
/// else `localpeer`, else the host name.
pub fn local_peer_name(localpeer: Option<&str>) -> String {
    if let Ok(n) = std::env::var("HAPROXY_LOCALPEER") {
        if !n.is_empty() {
            return n;
        }
    }
    if let Some(n) = localpeer {
        return n.to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// A sample expression used as a table key (`src`, `req.hdr(x-key)`),
/// or as the value of an action (`set-src`).
pub type KeyExpr = Expr;

/// `track-sc<slot> <key> [table <t>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackAction {
    pub slot: u8,
    pub key: KeyExpr,
    /// The `table` argument; `None`: the proxy's own table.
    pub table_name: Option<String>,
    /// Index into [`super::Config::tables`], set by the final checks.
    pub table: usize,
}

/// The actions on a tracked counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScAction {
    /// `sc-inc-gpc0(<slot>)` (`gpc == 0`) or `sc-inc-gpc1(<slot>)`.
    IncGpc { gpc: u8, slot: u8 },
    /// `sc-set-gpt0(<slot>) <int>|<expr>`.
    SetGpt0 { slot: u8, value: GptValue },
}

/// The value `sc-set-gpt0` stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GptValue {
    Int(i64),
    /// A sample expression, cast to an integer (no value: nothing stored).
    Expr(Box<Expr>),
}

/// What a `stick` rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StickKind {
    /// `stick match`: look the key up and go to its server.
    Match,
    /// `stick store-request`: learn the chosen server.
    Store,
    /// `stick on`: both.
    On,
}

impl StickKind {
    pub fn matches(self) -> bool {
        matches!(self, StickKind::Match | StickKind::On)
    }
    pub fn stores(self) -> bool {
        matches!(self, StickKind::Store | StickKind::On)
    }
}

/// `stick on|match|store-request <key> [table <t>] [if|unless <cond>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StickRule {
    pub kind: StickKind,
    pub key: KeyExpr,
    pub table_name: Option<String>,
    /// Index into [`super::Config::tables`], set by the final checks.
    pub table: usize,
    pub cond: Option<Condition>,
    pub loc: Location,
}

/// What a `tcp-request connection|content` rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpAction {
    Accept,
    Reject,
    Track(TrackAction),
    Sc(ScAction),
    /// `tcp-request content use-service <name>`.
    /// `use-service <name> [<arg>...]`.
    UseService(String, Vec<String>),
    /// `set-var(...)`, `set-var-fmt(...)`, `unset-var(...)`.
    SetVar(crate::rules::var_action::VarAction),
    /// `tcp-request connection expect-proxy layer4`: read a PROXY header
    /// before anything else, as `accept-proxy` does for a whole bind.
    ExpectProxy,
    /// `tcp-response content close`: close the server connection, the
    /// response received so far still goes to the client.
    Close,
}

/// A backend's `tcp-response inspect-delay` and `tcp-response content`
/// rules, run on the server's first bytes in TCP mode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpResponseRules {
    pub delay: Option<std::time::Duration>,
    pub rules: Vec<TcpRule>,
}

/// A `tcp-request connection` or `tcp-request content` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpRule {
    pub action: TcpAction,
    pub cond: Option<Condition>,
    pub loc: Location,
}

impl TcpRule {
    /// The service of a `use-service` rule.
    pub fn service(&self) -> Option<&str> {
        match &self.action {
            TcpAction::UseService(s, _) => Some(s),
            _ => None,
        }
    }
}
