//! The parsed configuration: what `global`, `defaults`, `frontend`, `backend`
//! and `listen` sections say, after inheritance from `defaults`, with every
//! value already converted (times in milliseconds, sizes in bytes, addresses
//! resolved). The runtime builds its state from this and never re-reads text.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::model_http::{Acl, Condition, HttpConfig};
use super::model_stick::{PeersConfig, StickRule, TableDecl, TcpRule};
use crate::rules::format::{Builtin, LogFormat as Format};

/// Where a configuration line came from, for `file:line` in messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub global: Global,
    /// Frontends, backends and listens, in the order they appear.
    pub proxies: Vec<ProxyConfig>,
    /// Non-fatal diagnostics, already formatted as HAProxy prints them
    /// (without the `[WARNING]  (pid) : ` prefix).
    pub warnings: Vec<String>,
    /// `.notice` messages, formatted like `warnings` (for `[NOTICE]`).
    pub notices: Vec<String>,
    /// Every stick table (proxies' `stick-table`, peers sections'
    /// `table`), in declaration order; rules refer to them by index.
    pub tables: Vec<TableDecl>,
    /// `peers` sections, in declaration order.
    pub peers: Vec<PeersConfig>,
    /// The map and pattern files the configuration loaded (the CLI's
    /// `show map`, `add acl`... work on them).
    pub patterns: std::sync::Arc<crate::sample::pattern::PatRegistry>,
    /// The certificates and crt-lists the `ssl` binds loaded, and those
    /// binds (the CLI's `ssl cert` and `ssl crt-list` commands).
    pub tls: std::sync::Arc<crate::tls::store::CertStore>,
    /// `userlist` sections, in declaration order (duplicates dropped).
    pub userlists: Vec<crate::auth::Userlist>,
}

impl Config {
    pub fn proxy(&self, name: &str) -> Option<&ProxyConfig> {
        self.proxies.iter().find(|p| p.name == name)
    }
}

/// The `global` section.
#[derive(Clone, Debug)]
pub struct Global {
    pub maxconn: Option<u32>,
    /// Worker threads; 1 when unset.
    pub nbthread: usize,
    pub logs: Vec<LogTarget>,
    pub pidfile: Option<PathBuf>,
    pub localpeer: Option<String>,
    /// `applet-load <path>`: applet libraries to load, with where they were
    /// named.
    pub applet_load: Vec<(PathBuf, Location)>,
    /// `set-var` / `set-var-fmt`: process variables set at start-up.
    pub set_vars: Vec<crate::rules::var_action::VarAction>,
    pub daemon: bool,
    /// `expose-experimental-directives` (needed by `normalize-uri`).
    pub expose_experimental: bool,
    /// `tune.bufsize`, bytes (default 16384).
    pub bufsize: usize,
    /// `tune.maxrewrite`, bytes (default 1024).
    pub maxrewrite: usize,
    /// `tune.fail-alloc <percent>`: probability (0..=100) that an allocation
    /// from a pool fails on purpose.
    pub fail_alloc: u32,
    /// `tune.conn-pool-max <n>`: cap on live connection objects.
    pub conn_pool_max: Option<usize>,
    /// `tune.http.maxhdr`: lines a message head may have, start line
    /// included (default 101).
    pub http_maxhdr: usize,
    /// `tune.http.logurilen`: the log keeps this many bytes of the
    /// request line (default 1024).
    pub http_logurilen: usize,
    /// `tune.http.cookielen` (no effect: `capture cookie` is refused).
    pub http_cookielen: usize,
    /// `stats socket` lines, in order.
    pub stats_sockets: Vec<StatsSocket>,
    /// `stats timeout`: idle limit of a CLI connection (default 10 s).
    pub stats_timeout: Duration,
    /// `stats maxconn`: concurrent CLI connections (default 10).
    pub stats_maxconn: u32,
    /// `spread-checks <0..50>`: percent of random spread of check intervals.
    pub spread_checks: u32,
    /// `server-state-file <path>`.
    pub server_state_file: Option<String>,
    /// `server-state-base <dir>`.
    pub server_state_base: Option<String>,
    /// `crt-base`, `ca-base`, `ssl-default-*`.
    pub ssl: crate::tls::opts::GlobalSsl,
}

/// One `stats socket` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsSocket {
    pub addr: BindAddr,
    /// `mode <octal>` of a unix socket file.
    pub mode: Option<u32>,
    /// `level user|operator|admin` (default `operator`).
    pub level: String,
    pub loc: Location,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            spread_checks: 0,
            server_state_file: None,
            server_state_base: None,
            ssl: Default::default(),
            maxconn: None,
            nbthread: 1,
            logs: Vec::new(),
            pidfile: None,
            localpeer: None,
            applet_load: Vec::new(),
            set_vars: Vec::new(),
            daemon: false,
            expose_experimental: false,
            bufsize: 16384,
            maxrewrite: 1024,
            fail_alloc: 0,
            conn_pool_max: None,
            http_maxhdr: 101, // HAProxy's default, as `http::head::DEFAULT_MAX_HDR`
            http_logurilen: 1024,
            http_cookielen: 0,
            stats_sockets: Vec::new(),
            stats_timeout: Duration::from_secs(10),
            stats_maxconn: 10,
        }
    }
}

/// One `log` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTarget {
    pub dest: LogDest,
    /// `len N`: maximum line length (default 1024).
    pub max_len: usize,
    pub format: LogFormat,
    /// Syslog facility number (local0 = 16).
    pub facility: u8,
    /// Highest severity number sent (default 7, debug = everything).
    pub level: u8,
    pub loc: Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogDest {
    Stdout,
    Stderr,
    Udp(SocketAddr),
    /// A unix datagram socket such as `/dev/log`.
    Unix(PathBuf),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// `<pri>Mon DD HH:MM:SS proxy[pid]: msg`
    Rfc3164,
    /// The message alone.
    Raw,
    /// `<pri>msg`
    Short,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Tcp,
    Http,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    Frontend,
    Backend,
    Listen,
}

impl ProxyKind {
    pub fn has_frontend(self) -> bool {
        matches!(self, ProxyKind::Frontend | ProxyKind::Listen)
    }
    pub fn has_backend(self) -> bool {
        matches!(self, ProxyKind::Backend | ProxyKind::Listen)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Balance {
    #[default]
    RoundRobin,
    StaticRr,
    LeastConn,
    First,
    Source,
    /// `balance uri`: the request URI (cut as [`LbParams`] says).
    Uri,
    /// `balance url_param <name>`: a query-string parameter's value.
    UrlParam,
    /// `balance hdr(<name>)`: a request header's value.
    Hdr,
    /// `balance rdp-cookie[(<name>)]`: the RDP cookie of a TCP stream.
    RdpCookie,
    /// `balance hash <expr>`: the value of a sample expression.
    Hash,
    /// `balance random[(<draws>)]`: the least loaded of random draws.
    Random,
}

impl Balance {
    /// The algorithms that hash a key taken from the request, and fall
    /// back to round robin without one.
    pub fn hashes_request(self) -> bool {
        matches!(
            self,
            Balance::Uri | Balance::UrlParam | Balance::Hdr | Balance::RdpCookie | Balance::Hash
        )
    }
}

/// `hash-type`: how hash-based algorithms turn a key into a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HashType {
    /// `consistent` (a ring of points per server) rather than `map-based`
    /// (a table of slots, one per unit of weight).
    pub consistent: bool,
    pub func: HashFn,
    /// `avalanche`: the key's hash goes through [`full_hash`] too.
    ///
    /// [`full_hash`]: crate::sample::conv::hash::full_hash
    pub avalanche: bool,
}

/// The function of `hash-type` that hashes a string key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HashFn {
    #[default]
    Sdbm,
    Djb2,
    Wt6,
    Crc32,
}

/// All `timeout` values of a proxy; `None` = not set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Option<Duration>,
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    pub queue: Option<Duration>,
    pub tunnel: Option<Duration>,
    pub client_fin: Option<Duration>,
    pub server_fin: Option<Duration>,
    pub http_request: Option<Duration>,
    pub http_keep_alive: Option<Duration>,
    pub check: Option<Duration>,
    /// `timeout tarpit` (unset: `timeout connect`, as in HAProxy).
    pub tarpit: Option<Duration>,
}

/// One address of a `bind` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindAddr {
    Tcp(SocketAddr),
    Unix(PathBuf),
    /// An already-listening socket inherited by file descriptor number.
    Fd(i32),
}

/// A `bind` line may carry several addresses (comma-separated, port ranges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindConfig {
    pub addrs: Vec<BindAddr>,
    pub name: Option<String>,
    pub loc: Location,
    /// `ssl`, `crt` and the other TLS settings of the line.
    pub ssl: Option<Box<crate::tls::bind::BindSsl>>,
    /// The handshake configuration built from them (after parsing).
    pub tls: Option<crate::tls::bind::TlsHandle>,
    /// `accept-proxy`: every connection starts with a PROXY header.
    pub accept_proxy: bool,
}

/// `source <addr>[:port]` on a backend or a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceAddr {
    pub ip: IpAddr,
    /// 0 = any port.
    pub port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    pub name: String,
    /// Server address; the port is `None` when the line gave none (the
    /// client's destination port is used then).
    pub ip: IpAddr,
    pub port: Option<u16>,
    /// The host name the address was given as (`None` for an IP
    /// literal): only such servers take their address from a server-state
    /// file (`init-addr last`).
    pub hostname: Option<String>,
    /// 0..=256, default 1.
    pub weight: u32,
    /// 0 = unlimited.
    pub maxconn: u32,
    pub source: Option<SourceAddr>,
    pub disabled: bool,
    pub backup: bool,
    /// `id <n>`, else the next number no server of the backend claimed,
    /// from 1 (so the 1-based position when no server sets `id`).
    pub id: u32,
    /// `check`: health checks requested (not run yet by the runtime).
    pub check: bool,
    /// `inter <t>`: check interval (default 2 s).
    pub inter: Duration,
    /// `rise <n>`: successful checks to go UP (default 2).
    pub rise: u32,
    /// `fall <n>`: failed checks to go DOWN (default 3).
    pub fall: u32,
    /// `pool-max-conn <n>`: idle connections kept for reuse; `None` (-1,
    /// the default) = no limit, `Some(0)` = no idle pool.
    pub pool_max_conn: Option<u32>,
    /// `pool-low-conn <n>`: idle connections kept beyond the estimated
    /// need (default 0).
    pub pool_low_conn: u32,
    /// `pool-purge-delay <t>`: how often idle connections are closed
    /// (default 5 s).
    pub pool_purge_delay: Duration,
    /// Every other check setting (`fastinter`, `agent-check`, `track`...).
    /// `send-proxy*`, `proxy-v2-options`: the PROXY header it gets.
    pub send_proxy: crate::proxy_proto::opts::ServerPp,
    pub hc: super::model_check::ServerCheck,
    /// `ssl`, `verify`, `sni` and the other TLS settings of the line.
    pub ssl: crate::tls_client::ServerSsl,
    /// The TLS client built from them after parsing, when prepared.
    pub tls: Option<crate::tls_client::ServerTlsHandle>,
    /// `cookie <value>` (or the dynamic one), for cookie persistence.
    pub cookie: Option<String>,
    pub loc: Location,
}

impl ServerConfig {
    /// A server with HAProxy's defaults for every option.
    pub fn with_defaults(name: &str, ip: IpAddr, port: Option<u16>, loc: Location) -> ServerConfig {
        ServerConfig {
            name: name.to_string(),
            ip,
            port,
            hostname: None,
            weight: 1,
            maxconn: 0,
            source: None,
            disabled: false,
            backup: false,
            id: 0,
            check: false,
            inter: Duration::from_millis(2000),
            rise: 2,
            fall: 3,
            pool_max_conn: None,
            pool_low_conn: 0,
            pool_purge_delay: Duration::from_secs(5),
            send_proxy: Default::default(),
            hc: Default::default(),
            ssl: Default::default(),
            tls: None,
            cookie: None,
            loc,
        }
    }

    #[cfg(test)]
    pub fn for_test() -> ServerConfig {
        let loc = Location {
            file: "t.cfg".into(),
            line: 1,
        };
        ServerConfig::with_defaults("s", IpAddr::from([127, 0, 0, 1]), Some(1), loc)
    }
}

/// A `use_backend` rule: the first whose condition holds picks the backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseBackend {
    /// A backend name, or a log-format expression (`%[req.hdr(host)]`).
    pub backend: String,
    /// `None`: the rule always applies.
    pub cond: Option<Condition>,
    pub loc: Location,
}

/// A `frontend`, `backend` or `listen` section after `defaults` were applied.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub name: String,
    pub kind: ProxyKind,
    /// `id <n>`, else the next number no proxy claimed, in declaration
    /// order from 1 (so the 1-based position when no proxy sets `id`).
    pub id: u32,
    pub loc: Location,
    pub mode: Mode,
    pub binds: Vec<BindConfig>,
    /// Frontends and listens: `maxconn`, else the global `maxconn` (None
    /// when neither is set). Always None for backends.
    pub maxconn: Option<u32>,
    pub default_backend: Option<String>,
    pub use_backends: Vec<UseBackend>,
    /// Named ACLs (`acl` lines), the proxy's own: not inherited.
    pub acls: Vec<Arc<Acl>>,
    /// HTTP rules and settings.
    pub http: HttpConfig,
    pub servers: Vec<ServerConfig>,
    /// `default-server`: what a `server` line starts from (its name,
    /// address and id are the line's own); inherited from `defaults`.
    pub default_server: Option<Box<ServerConfig>>,
    pub dispatch: Option<SocketAddr>,
    pub source: Option<SourceAddr>,
    pub timeouts: Timeouts,
    /// Connection retries (default 3).
    pub retries: u32,
    pub redispatch: bool,
    pub balance: Balance,
    /// `balance`'s arguments (key algorithms, `random`).
    pub lb_params: super::model_lb::LbParams,
    /// `hash-type` (default: map-based sdbm).
    pub hash_type: HashType,
    /// `hash-balance-factor`: 0, or a server's load cap in percent of the
    /// average for consistent hashing.
    pub hash_balance_factor: u32,
    pub tcplog: bool,
    pub httplog: bool,
    pub dontlognull: bool,
    /// The format of traffic lines: `log-format`, or the one `option
    /// httplog [clf]` / `option tcplog` stands for (no format: the
    /// "Connect from" line at accept).
    pub log_format: Option<FormatLine>,
    /// `log-format-sd` (kept; our targets do not frame RFC 5424 yet).
    pub log_format_sd: Option<FormatLine>,
    /// `error-log-format`.
    pub error_log_format: Option<FormatLine>,
    /// `unique-id-format`.
    pub unique_id_format: Option<FormatLine>,
    /// `unique-id-header`.
    pub unique_id_header: Option<String>,
    /// Effective log targets: the global ones when `log global` is present,
    /// plus the proxy's own `log` lines.
    pub logs: Vec<LogTarget>,
    /// `stick-table` (the table named after the proxy).
    pub stick_table: Option<TableDecl>,
    /// Index of that table in [`Config::tables`] (set by the final checks).
    pub table: Option<usize>,
    /// `stick on|match|store-request` rules, in order.
    pub stick_rules: Vec<StickRule>,
    /// `tcp-request connection` rules, in order.
    pub tcp_conn: Vec<TcpRule>,
    /// `tcp-request session` rules, in order (once per client connection,
    /// when its session starts).
    pub tcp_sess: Vec<TcpRule>,
    /// `tcp-response inspect-delay|content` (backends).
    pub tcp_res: super::model_stick::TcpResponseRules,
    /// Connection and message handling `option`s.
    pub options: super::model_options::ProxyOptions,
    /// How servers are checked (`option httpchk`, `tcp-check` rules...).
    pub checks: super::model_check::ProxyChecks,
    /// `option allbackups`: every backup server takes traffic when no
    /// active one is up (else only the first).
    pub allbackups: bool,
    /// `load-server-state-from-file global|local|none`.
    pub load_server_state: Option<super::model_check::StateFrom>,
    /// `server-state-file-name [<name>]` (`use-backend-name` when empty).
    pub server_state_file_name: Option<String>,
    /// Cookie persistence (`cookie`, `option persist`, `capture cookie`...).
    pub persist: super::model_cookie::PersistConfig,
}

/// A format directive: where it was, which built-in format it stands
/// for if any, and the format. It is parsed when read but, as HAProxy
/// compiles formats last, a parse error is only reported by the final
/// checks, for the proxies that use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatLine {
    pub loc: Location,
    /// The format as written.
    pub text: String,
    pub builtin: Option<Builtin>,
    pub format: Result<Format, String>,
}

impl FormatLine {
    /// The format, once the checks have passed.
    pub fn get(&self) -> Option<&Format> {
        self.format.as_ref().ok()
    }

    /// The directive, as HAProxy's warnings name it.
    pub fn directive(&self) -> &'static str {
        match self.builtin {
            Some(Builtin::Tcp) => "option tcplog",
            Some(Builtin::Http) => "option httplog",
            Some(Builtin::Clf) => "option httplog clf",
            Some(Builtin::Https) => "option httpslog",
            None => "log-format",
        }
    }
}

impl ProxyConfig {
    /// The traffic log format, if lines are logged at the end.
    pub fn log_format(&self) -> Option<&Format> {
        self.log_format.as_ref().and_then(FormatLine::get)
    }

    pub fn new(name: &str, kind: ProxyKind, id: u32, loc: Location) -> Self {
        ProxyConfig {
            name: name.to_string(),
            kind,
            id,
            loc,
            mode: Mode::Tcp,
            binds: Vec::new(),
            maxconn: None,
            default_backend: None,
            use_backends: Vec::new(),
            acls: Vec::new(),
            http: HttpConfig::default(),
            servers: Vec::new(),
            default_server: None,
            dispatch: None,
            source: None,
            timeouts: Timeouts::default(),
            retries: 3,
            redispatch: false,
            balance: Balance::RoundRobin,
            hash_type: HashType::default(),
            hash_balance_factor: 0,
            lb_params: Default::default(),
            tcplog: false,
            httplog: false,
            dontlognull: false,
            log_format: None,
            log_format_sd: None,
            error_log_format: None,
            unique_id_format: None,
            unique_id_header: None,
            logs: Vec::new(),
            stick_table: None,
            table: None,
            stick_rules: Vec::new(),
            tcp_conn: Vec::new(),
            tcp_sess: Vec::new(),
            tcp_res: Default::default(),
            options: Default::default(),
            checks: Default::default(),
            allbackups: false,
            load_server_state: None,
            server_state_file_name: None,
            persist: Default::default(),
        }
    }
}
