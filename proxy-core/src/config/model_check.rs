//! Health-check configuration: what a `server` line asks of its checks
//! ([`ServerCheck`]) and how a proxy checks its servers ([`ProxyChecks`]:
//! plain connect, `option tcp-check` or `option httpchk` with their rules).

use std::net::IpAddr;
use std::time::Duration;

/// `observe layer4|layer7`: which traffic errors count against a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observe {
    Layer4,
    Layer7,
}

/// `on-error`: what reaching `error-limit` consecutive errors does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Checks run at `fastinter` (the default).
    #[default]
    FastInter,
    /// As if one check had failed.
    FailCheck,
    /// As if all but one of the failures that mark it down had happened.
    SuddenDeath,
    /// Down at once.
    MarkDown,
}

/// One `init-addr` method, tried in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitAddr {
    /// From the server-state file.
    Last,
    /// The system resolver.
    Libc,
    /// Starts without an address, in maintenance.
    None,
    Ip(IpAddr),
}

/// `track [<backend>/]<server>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRef {
    /// `None`: the server's own backend.
    pub backend: Option<String>,
    pub server: String,
}

/// The check settings of one server beyond `check`, `inter`, `rise` and
/// `fall` (which live on the server line itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerCheck {
    pub fastinter: Option<Duration>,
    pub downinter: Option<Duration>,
    /// `port`: checks go to this port.
    pub port: Option<u16>,
    /// `addr`: checks go to this address.
    pub addr: Option<IpAddr>,
    pub send_proxy: bool,
    /// `agent-check`: run the agent check.
    pub agent: bool,
    pub agent_port: Option<u16>,
    pub agent_addr: Option<IpAddr>,
    pub agent_inter: Option<Duration>,
    pub agent_send: Option<String>,
    pub observe: Option<Observe>,
    /// `error-limit` (default 10).
    pub error_limit: u32,
    pub on_error: OnError,
    /// `on-marked-down shutdown-sessions`.
    pub shutdown_on_down: bool,
    /// `on-marked-up shutdown-backup-sessions`.
    pub shutdown_backup_on_up: bool,
    pub slowstart: Option<Duration>,
    pub init_addr: Vec<InitAddr>,
    /// The address did not resolve and `init-addr none` applied: the
    /// server starts in maintenance (`MAINT (resolution)`).
    pub unresolved: bool,
    pub track: Option<TrackRef>,
}

impl Default for ServerCheck {
    fn default() -> Self {
        ServerCheck {
            fastinter: None,
            downinter: None,
            port: None,
            addr: None,
            send_proxy: false,
            agent: false,
            agent_port: None,
            agent_addr: None,
            agent_inter: None,
            agent_send: None,
            observe: None,
            error_limit: 10,
            on_error: OnError::FastInter,
            shutdown_on_down: false,
            shutdown_backup_on_up: false,
            slowstart: None,
            init_addr: Vec::new(),
            unresolved: false,
            track: None,
        }
    }
}

/// Which kind of health check a proxy runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CheckKind {
    /// A plain TCP connect (no option).
    #[default]
    Connect,
    /// `option tcp-check`.
    TcpCheck,
    /// `option httpchk`.
    HttpCheck,
}

pub use super::model_check_rules::{
    CheckAction, CheckRule, ConnectRule, Expect, ExpectKind, HeaderMatch, HttpSend, Pattern,
    RuleStatus, SendData, TextOrFormat,
};

/// How a proxy checks its servers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyChecks {
    pub kind: CheckKind,
    /// The rules in order, final: an implicit connect first when the
    /// rules have none, an `option httpchk` request where HAProxy puts it,
    /// the implicit `expect status 200-399` after a last HTTP send, comment
    /// rules folded into the rules they precede. Empty for `Connect`.
    pub rules: Vec<CheckRule>,
    /// `option log-health-checks`.
    pub log_health_checks: bool,
    /// `http-check disable-on-404`.
    pub disable_on_404: bool,
}

/// `load-server-state-from-file`: where a backend reads its servers' saved
/// state at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateFrom {
    /// The global `server-state-file`.
    Global,
    /// The backend's own file (`server-state-file-name`).
    Local,
    None,
}
