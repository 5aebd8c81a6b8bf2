//! What the proxy offers its applets: a table of `extern "C"` functions the
//! host fills (the SDK only declares it) and the snapshot types they return.
//!
//! The table is a prefix type: later versions append functions (stick-table
//! operations, peer streams, ...) after the last field of the first
//! release, and an applet reads them as `Option` so that it can still run
//! on an older proxy.
//!
//! Snapshots are plain structs with a few fixed fields plus open-ended
//! lists: [`Metric`] (a `u64` under a HAProxy CSV column name such as
//! `scur`, `stot`, `bin`) and [`Field`] (text under a name). New counters
//! are new list entries, not new struct fields, so they need no layout
//! change.
//!
//! Memory: everything a host function returns is owned by the caller and
//! freed through `abi_stable`'s vtables, so an applet may keep it. Names of
//! type `RStr<'static>` point into the proxy's executable, which is never
//! unloaded.
#![allow(non_camel_case_types)] // the `*_Ref` types abi_stable generates

use std::fmt;

use abi_stable::{
    std_types::{RStr, RString, RVec},
    StableAbi,
};

use crate::peers::{PeerEntry, PeerUpdates, PeersSectionInfo, SectionStatus, TableMarks};

/// A syslog severity (`0` emerg .. `7` debug).
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogLevel(pub u8);

impl LogLevel {
    pub const EMERG: LogLevel = LogLevel(0);
    pub const ALERT: LogLevel = LogLevel(1);
    pub const CRIT: LogLevel = LogLevel(2);
    pub const ERR: LogLevel = LogLevel(3);
    pub const WARNING: LogLevel = LogLevel(4);
    pub const NOTICE: LogLevel = LogLevel(5);
    pub const INFO: LogLevel = LogLevel(6);
    pub const DEBUG: LogLevel = LogLevel(7);
}

/// A named counter. Names follow HAProxy's `show stat` CSV columns.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: RStr<'static>,
    pub value: u64,
}

/// A named text value (status, address, ...).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: RStr<'static>,
    pub value: RString,
}

/// Looks a metric up by name.
pub fn metric(list: &[Metric], name: &str) -> Option<u64> {
    list.iter()
        .find(|m| m.name.as_str() == name)
        .map(|m| m.value)
}

/// Looks a field up by name.
pub fn field<'a>(list: &'a [Field], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|f| f.name.as_str() == name)
        .map(|f| f.value.as_str())
}

/// Which halves a proxy has.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProxyKind(pub u8);

impl ProxyKind {
    pub const FRONTEND: ProxyKind = ProxyKind(1);
    pub const BACKEND: ProxyKind = ProxyKind(2);
    /// Both halves (`listen`).
    pub const LISTEN: ProxyKind = ProxyKind(3);

    pub fn has_frontend(self) -> bool {
        self.0 & 1 != 0
    }
    pub fn has_backend(self) -> bool {
        self.0 & 2 != 0
    }
}

/// A proxy's mode.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProxyMode(pub u8);

impl ProxyMode {
    pub const TCP: ProxyMode = ProxyMode(0);
    pub const HTTP: ProxyMode = ProxyMode(1);
}

/// A server's administrative/operational state.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerState(pub u8);

impl ServerState {
    pub const UNKNOWN: ServerState = ServerState(0);
    /// Takes traffic.
    pub const READY: ServerState = ServerState(1);
    /// Keeps its sessions, takes no new ones.
    pub const DRAIN: ServerState = ServerState(2);
    /// Maintenance: out of the farm.
    pub const MAINT: ServerState = ServerState(3);
    /// Failing its health checks.
    pub const DOWN: ServerState = ServerState(4);

    /// The word HAProxy's `show stat` prints in the `status` column.
    pub fn name(self) -> &'static str {
        match self {
            ServerState::READY => "UP",
            ServerState::DRAIN => "DRAIN",
            ServerState::MAINT => "MAINT",
            ServerState::DOWN => "DOWN",
            _ => "no check",
        }
    }
}

/// One server of a backend.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct ServerSnapshot {
    pub name: RString,
    /// The server's `id`.
    pub id: u32,
    pub state: ServerState,
    pub weight: u32,
    /// Streams currently holding a slot on the server.
    pub cur: u32,
    /// The slot limit, 0 for none.
    pub maxconn: u32,
    pub backup: bool,
    /// `ip:port`.
    pub addr: RString,
    /// `scur smax stot bin bout econ wretr wredis cli_abrt srv_abrt ...`
    pub metrics: RVec<Metric>,
    pub fields: RVec<Field>,
}

impl ServerSnapshot {
    pub fn metric(&self, name: &str) -> Option<u64> {
        metric(&self.metrics, name)
    }
}

/// One proxy (frontend, backend or listen).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct ProxySnapshot {
    pub name: RString,
    /// The proxy's `id`.
    pub id: u32,
    pub kind: ProxyKind,
    pub mode: ProxyMode,
    /// The frontend half's counters; empty without a frontend.
    pub frontend: RVec<Metric>,
    /// The backend half's counters (with `qcur`); empty without a backend.
    pub backend: RVec<Metric>,
    pub servers: RVec<ServerSnapshot>,
    pub fields: RVec<Field>,
}

impl ProxySnapshot {
    pub fn fe_metric(&self, name: &str) -> Option<u64> {
        metric(&self.frontend, name)
    }
    pub fn be_metric(&self, name: &str) -> Option<u64> {
        metric(&self.backend, name)
    }
}

/// One side (stream interface) of a stream.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiSnapshot {
    /// `INI REQ QUE TAR ASS CON CER EST DIS CLO`.
    pub state: RStr<'static>,
    /// `NONE`, `CONN` or `APPCTX`.
    pub endpoint: RStr<'static>,
    pub flags: u32,
}

/// One live stream (`show sess`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct StreamSnapshot {
    pub id: u64,
    pub frontend: RString,
    pub backend: RString,
    pub client_addr: RString,
    pub age_ms: u64,
    /// `si[0]`.
    pub client: SiSnapshot,
    /// `si[1]`.
    pub server: SiSnapshot,
    pub fields: RVec<Field>,
}

/// Process-wide values (`show info`): metrics and text fields named
/// after HAProxy's `show info` fields (`Pid`, `Uptime_sec`, `CurrConns`,
/// `Maxconn`, ...; text: `Name`, `Version`, `Release_date`, `node`).
/// Open-ended lists, like the proxy snapshots: a new value is a new
/// entry, not a layout change.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessSnapshot {
    pub metrics: RVec<Metric>,
    pub fields: RVec<Field>,
}

impl ProcessSnapshot {
    pub fn metric(&self, name: &str) -> Option<u64> {
        metric(&self.metrics, name)
    }
    pub fn field(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }
}

/// One object pool (`show pools`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PoolSnapshot {
    pub name: RString,
    pub obj_size: u64,
    pub allocated: u64,
    pub used: u64,
    pub failed: u64,
}

/// An administrative operation code.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdminOp(pub u32);

impl AdminOp {
    /// `value` = a [`ServerState`] number.
    pub const SET_SERVER_STATE: AdminOp = AdminOp(1);
    /// `value` = the new weight.
    pub const SET_SERVER_WEIGHT: AdminOp = AdminOp(2);
    /// `value` = 1 to clear all counters (`clear counters all`), 0 for the
    /// maxima only; `proxy` empty for every proxy.
    pub const CLEAR_COUNTERS: AdminOp = AdminOp(3);
    /// `value` = the stream's `show sess` handle (its `ptr` field).
    pub const SHUTDOWN_STREAM: AdminOp = AdminOp(4);
    /// `value` = the new maxconn of server `proxy`/`server` (an `i64`
    /// stored as `u64`).
    pub const SET_SERVER_MAXCONN: AdminOp = AdminOp(5);
    /// `value` = the new maxconn of frontend `proxy`.
    pub const SET_FRONTEND_MAXCONN: AdminOp = AdminOp(6);
    /// `value` = the new process maxconn.
    pub const SET_GLOBAL_MAXCONN: AdminOp = AdminOp(7);
    /// Kills every stream attached to server `proxy`/`server`.
    pub const SHUTDOWN_SERVER_SESSIONS: AdminOp = AdminOp(8);
    /// Forces the health check's verdict: `value` 0 down, 1 up, 2
    /// stopping (`set server <b>/<s> health ...`).
    pub const SET_SERVER_HEALTH: AdminOp = AdminOp(9);
    /// Forces the agent's verdict: `value` 0 down, 1 up.
    pub const SET_SERVER_AGENT: AdminOp = AdminOp(10);
    /// `value` 1 enables the health check, 0 disables it.
    pub const ENABLE_HEALTH: AdminOp = AdminOp(11);
    /// `value` 1 enables the agent check, 0 disables it.
    pub const ENABLE_AGENT: AdminOp = AdminOp(12);
    /// `value` = the port health checks go to.
    pub const SET_CHECK_PORT: AdminOp = AdminOp(13);
}

/// An administrative command (the CLI's `set server`, `clear counters`,
/// `shutdown session`). One generic shape so that operations can be added
/// without a layout change.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct AdminCmd {
    pub op: AdminOp,
    /// Backend (or proxy) name, if the operation needs one.
    pub proxy: RString,
    /// Server name, if the operation needs one.
    pub server: RString,
    pub value: u64,
    /// Free text for operations that need more.
    pub arg: RString,
}

impl AdminCmd {
    pub fn set_server_state(backend: &str, server: &str, state: ServerState) -> AdminCmd {
        AdminCmd {
            op: AdminOp::SET_SERVER_STATE,
            proxy: backend.into(),
            server: server.into(),
            value: u64::from(state.0),
            arg: RString::new(),
        }
    }

    pub fn set_server_weight(backend: &str, server: &str, weight: u32) -> AdminCmd {
        AdminCmd {
            op: AdminOp::SET_SERVER_WEIGHT,
            proxy: backend.into(),
            server: server.into(),
            value: u64::from(weight),
            arg: RString::new(),
        }
    }

    pub fn clear_counters(all: bool) -> AdminCmd {
        AdminCmd {
            op: AdminOp::CLEAR_COUNTERS,
            proxy: RString::new(),
            server: RString::new(),
            value: u64::from(all),
            arg: RString::new(),
        }
    }

    /// Any other operation: `op` on `proxy`/`server` with `value`.
    pub fn new(op: AdminOp, proxy: &str, server: &str, value: u64) -> AdminCmd {
        AdminCmd {
            op,
            proxy: proxy.into(),
            server: server.into(),
            value,
            arg: RString::new(),
        }
    }

    pub fn shutdown_stream(id: u64) -> AdminCmd {
        AdminCmd {
            op: AdminOp::SHUTDOWN_STREAM,
            proxy: RString::new(),
            server: RString::new(),
            value: id,
            arg: RString::new(),
        }
    }
}

/// A stick-table CLI operation ([`TableCmd`]).
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableOp(pub u32);

impl TableOp {
    /// `show table [<name> [data.<type> <op> <value>]* | [key <key>]]`.
    pub const SHOW: TableOp = TableOp(1);
    /// `clear table <name> [data.<type> <op> <value>]* | [key <key>]`.
    pub const CLEAR: TableOp = TableOp(2);
    /// `set table <name> key <key> [data.<type> <value>]*`.
    pub const SET: TableOp = TableOp(3);
    /// Was `show peers` as text; the proxy answers `Unknown action` since
    /// the data came through [`Host::peers_view`], which the CLI applet
    /// renders (kept so that the value is never reused).
    pub const SHOW_PEERS: TableOp = TableOp(4);
    /// Another command the core answers itself (maps, ACLs, variables):
    /// `args` are all the command's words. An older proxy answers
    /// `Unknown action`.
    pub const COMMAND: TableOp = TableOp(5);
}

/// A CLI session level, as [`TableCmd`] carries it.
pub mod cli_level {
    pub const USER: u8 = 0;
    pub const OPERATOR: u8 = 1;
    pub const ADMIN: u8 = 2;
}

/// A stick-table command of the CLI. The host answers with HAProxy 2.6's
/// text (`Ok`: the output, `Err`: the error message, both ending with a
/// newline when not empty), applying HAProxy's access rules: entries are
/// dumped or cleared by filter only on a socket of level `operator` or
/// more (`socket_level`), and `key` commands only from a session of that
/// level (`level`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct TableCmd {
    pub op: TableOp,
    /// The words after `show|clear|set table` (or after `show peers`).
    pub args: RVec<RString>,
    /// The session's current level ([`cli_level`]).
    pub level: u8,
    /// The level of the socket the session came in on.
    pub socket_level: u8,
}

impl TableCmd {
    pub fn new(op: TableOp, args: &[&str], level: u8, socket_level: u8) -> TableCmd {
        TableCmd {
            op,
            args: args.iter().map(|a| RString::from(*a)).collect(),
            level,
            socket_level,
        }
    }
}

pub use self::services::{HostServices, HostServices_Prefix, HostServices_Ref};

/// The table's `StableAbi` expansion needs `unsafe` for the fields appended
/// after the first release (their accessors check the table's length); it
/// is kept to this module.
#[allow(unsafe_code)]
mod services {
    use abi_stable::std_types::{RResult, RStr, RString, RVec};
    use abi_stable::StableAbi;

    use super::{
        AdminCmd, LogLevel, PoolSnapshot, ProcessSnapshot, ProxySnapshot, StreamSnapshot, TableCmd,
    };
    use crate::patterns::{PatternQuery, PatternRefView};
    use crate::peers::{PeerEntry, PeerUpdates, PeersSectionInfo, SectionStatus, TableMarks};
    use crate::peers_view::PeersView;
    use crate::tables::{StickQuery, StickTableInfo};
    use abi_stable::std_types::ROption;

    /// The functions the host provides. The host fills one static instance;
    /// applets get a [`HostServices_Ref`] to it at creation (wrapped in
    /// [`Host`]).
    ///
    /// Host functions never unwind into the applet (the proxy catches its own
    /// panics and returns an empty/error value).
    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = HostServices_Ref)))]
    #[sabi(missing_field(option))]
    pub struct HostServices {
        /// Logs one message; `source` names the library (the [`Host`] wrapper
        /// fills it in).
        pub log: extern "C" fn(level: LogLevel, source: RStr<'_>, msg: RStr<'_>),
        /// A monotonic clock, in milliseconds since the proxy started.
        pub now_ms: extern "C" fn() -> u64,
        /// Every proxy with its counters and servers.
        pub proxies: extern "C" fn() -> RVec<ProxySnapshot>,
        /// Every live stream.
        pub sessions: extern "C" fn() -> RVec<StreamSnapshot>,
        /// Every object pool.
        pub pools: extern "C" fn() -> RVec<PoolSnapshot>,
        /// Runs an administrative command; `Ok` carries the CLI's answer
        /// (often empty), `Err` the reason.
        #[sabi(last_prefix_field)]
        pub admin: extern "C" fn(cmd: AdminCmd) -> RResult<RString, RString>,
        /// Process-wide values for `show info` (appended after the first
        /// release: read through [`Host::info`], `None` on an older proxy).
        pub info: extern "C" fn() -> ProcessSnapshot,
        /// Stick tables and peers sections on the CLI: `show|clear|set
        /// table`, `show peers` (appended: read through [`Host::tables`],
        /// `None` on an older proxy).
        pub tables: extern "C" fn(cmd: TableCmd) -> RResult<RString, RString>,
        /// The peers section `name` (appended, as every function below:
        /// the peers applet's view of the host, see [`crate::peers`]).
        pub peers_section: extern "C" fn(name: RStr<'_>) -> ROption<PeersSectionInfo>,
        /// The update counters of table `table`.
        pub table_marks: extern "C" fn(table: RStr<'_>) -> ROption<TableMarks>,
        /// Up to `max` entries of `table` with an update id in
        /// `(after, upto]`, ascending; learned ones only if
        /// `include_learned`.
        pub table_collect: extern "C" fn(
            table: RStr<'_>,
            after: u64,
            upto: u64,
            include_learned: bool,
            max: u32,
        ) -> RVec<PeerEntry>,
        /// Applies updates learned from a peer to `table`; returns how many
        /// were stored (an update the table has no room for is dropped).
        pub table_apply: extern "C" fn(table: RStr<'_>, updates: &PeerUpdates) -> u32,
        /// Opens a stream to peer `peer` of `section`: a connection on its
        /// server side and a new instance of the peers service, created
        /// with `[section, "connect", peer, token]`, on its client side.
        /// Returns the stream's id.
        pub peer_connect:
            extern "C" fn(section: RStr<'_>, peer: RStr<'_>, token: u64) -> RResult<u64, RString>,
        /// Calls the applet of stream `stream_id` again soon (a no-op for
        /// a stream that ended, or whose service is neither the peers one
        /// nor flagged [`ServiceFlags::WAKEABLE`](crate::ServiceFlags::WAKEABLE)).
        pub wake: extern "C" fn(stream_id: u64),
        /// Publishes the section's state for `show peers`.
        pub peers_status: extern "C" fn(section: RStr<'_>, status: SectionStatus),
        /// `show table` as data (appended: read through
        /// [`Host::stick_tables`], `None` on an older proxy; see
        /// [`crate::tables`]). `Err` is HAProxy's message for the query.
        pub stick_tables:
            extern "C" fn(query: StickQuery) -> RResult<RVec<StickTableInfo>, RString>,
        /// `show peers` as data (appended: read through
        /// [`Host::peers_view`](crate::Host::peers_view), `None` on an
        /// older proxy; see [`crate::peers_view`]): the sections it lists,
        /// their configuration and the state the peers applet last
        /// published.
        pub peers_view: extern "C" fn() -> PeersView,
        /// Whether a message of `level` would be logged at all (appended:
        /// read through [`Host::log_enabled`], which says yes on an older
        /// proxy), so that the log macros skip formatting otherwise.
        pub log_enabled: extern "C" fn(level: LogLevel) -> bool,
        /// `show map` and `show acl` as data (appended: read through
        /// [`Host::patterns`](crate::Host::patterns), `None` on an older
        /// proxy; see [`crate::patterns`]). `Err` is HAProxy's message for
        /// the query (an unknown reference).
        pub patterns: extern "C" fn(query: PatternQuery) -> RResult<RVec<PatternRefView>, RString>,
    }
}

/// The host services as an applet uses them: plain Rust in and out.
///
/// `Copy` and `Send`: keep it in the applet's state. It stays valid for
/// the life of the process.
#[derive(Clone, Copy)]
pub struct Host {
    table: HostServices_Ref,
    source: &'static str,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Wraps the host's table; `source` names the caller in log lines.
    pub fn new(table: HostServices_Ref, source: &'static str) -> Host {
        Host { table, source }
    }

    /// The raw table, for functions newer than this wrapper.
    pub fn table(&self) -> HostServices_Ref {
        self.table
    }

    /// Logs through the proxy's logger (an applet's own `tracing`/`log`
    /// statics are not the proxy's and print nothing).
    pub fn log(&self, level: LogLevel, msg: &str) {
        (self.table.log())(level, RStr::from_str(self.source), RStr::from_str(msg));
    }

    /// Whether a message of `level` would be logged (the `applet_*!`
    /// macros ask before formatting). `true` on a proxy older than this
    /// function.
    pub fn log_enabled(&self, level: LogLevel) -> bool {
        match self.table.log_enabled() {
            Some(f) => f(level),
            None => true,
        }
    }

    /// Milliseconds since the proxy started (monotonic).
    pub fn now_ms(&self) -> u64 {
        (self.table.now_ms())()
    }

    pub fn proxies(&self) -> Vec<ProxySnapshot> {
        (self.table.proxies())().into_vec()
    }

    pub fn sessions(&self) -> Vec<StreamSnapshot> {
        (self.table.sessions())().into_vec()
    }

    pub fn pools(&self) -> Vec<PoolSnapshot> {
        (self.table.pools())().into_vec()
    }

    /// Process-wide values, `None` when the proxy is older than this
    /// function.
    pub fn info(&self) -> Option<ProcessSnapshot> {
        self.table.info().map(|f| f())
    }

    /// Runs a stick-table command; `None` when the proxy is older than
    /// this function.
    pub fn tables(&self, cmd: TableCmd) -> Option<Result<String, String>> {
        self.table.tables().map(|f| {
            f(cmd)
                .into_result()
                .map(RString::into_string)
                .map_err(RString::into_string)
        })
    }

    /// The peers section `name`; `None` if unknown or the proxy is older.
    pub fn peers_section(&self, name: &str) -> Option<PeersSectionInfo> {
        self.table
            .peers_section()
            .and_then(|f| f(RStr::from_str(name)).into_option())
    }

    /// The update counters of `table`.
    pub fn table_marks(&self, table: &str) -> Option<TableMarks> {
        self.table
            .table_marks()
            .and_then(|f| f(RStr::from_str(table)).into_option())
    }

    /// Changed entries of `table` to push (see
    /// [`HostServices::table_collect`]).
    pub fn table_collect(
        &self,
        table: &str,
        after: u64,
        upto: u64,
        include_learned: bool,
        max: u32,
    ) -> Vec<PeerEntry> {
        match self.table.table_collect() {
            Some(f) => f(RStr::from_str(table), after, upto, include_learned, max).into_vec(),
            None => Vec::new(),
        }
    }

    /// Applies learned updates; returns how many were stored.
    pub fn table_apply(&self, table: &str, updates: &PeerUpdates) -> u32 {
        match self.table.table_apply() {
            Some(f) => f(RStr::from_str(table), updates),
            None => 0,
        }
    }

    /// Opens a stream to a peer (see [`HostServices::peer_connect`]).
    pub fn peer_connect(&self, section: &str, peer: &str, token: u64) -> Result<u64, String> {
        match self.table.peer_connect() {
            Some(f) => f(RStr::from_str(section), RStr::from_str(peer), token)
                .into_result()
                .map_err(RString::into_string),
            None => Err("this proxy cannot open peer streams".to_string()),
        }
    }

    /// Calls the applet of stream `stream_id` again soon, from any thread
    /// (streams of peers and of [`ServiceFlags::WAKEABLE`](crate::ServiceFlags::WAKEABLE)
    /// services; a no-op for others and for streams that ended).
    pub fn wake(&self, stream_id: u64) {
        if let Some(f) = self.table.wake() {
            f(stream_id)
        }
    }

    /// Publishes a section's state for `show peers`.
    pub fn peers_status(&self, section: &str, status: SectionStatus) {
        if let Some(f) = self.table.peers_status() {
            f(RStr::from_str(section), status)
        }
    }

    /// `show table` as data (see [`crate::tables`]); `None` when the
    /// proxy is older than this function.
    pub fn stick_tables(
        &self,
        query: crate::tables::StickQuery,
    ) -> Option<Result<Vec<crate::tables::StickTableInfo>, String>> {
        self.table.stick_tables().map(|f| {
            f(query)
                .into_result()
                .map(RVec::into_vec)
                .map_err(RString::into_string)
        })
    }

    /// `show peers` as data (see [`crate::peers_view`]); `None` when the
    /// proxy is older than this function.
    pub fn peers_view(&self) -> Option<crate::peers_view::PeersView> {
        self.table.peers_view().map(|f| f())
    }

    /// `show map` / `show acl` as data (see [`crate::patterns`]); `None`
    /// when the proxy is older than this function.
    pub fn patterns(
        &self,
        query: crate::patterns::PatternQuery,
    ) -> Option<Result<Vec<crate::patterns::PatternRefView>, String>> {
        self.table.patterns().map(|f| {
            f(query)
                .into_result()
                .map(RVec::into_vec)
                .map_err(RString::into_string)
        })
    }

    pub fn admin(&self, cmd: AdminCmd) -> Result<String, String> {
        (self.table.admin())(cmd)
            .into_result()
            .map(RString::into_string)
            .map_err(RString::into_string)
    }
}
