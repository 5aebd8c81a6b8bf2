//! A host without a proxy, for the constructors of services under test.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A [`Host`] for tests: logs go to stderr, the clock counts from the
/// first call, every listing is empty, every command and peers function
/// answers "not available".
pub fn test_host() -> Host {
    Host::new(test_table(), "test")
}

/// The table behind [`test_host`], built once per process.
pub fn test_table() -> HostServices_Ref {
    static TABLE: OnceLock<HostServices_Ref> = OnceLock::new();
    *TABLE.get_or_init(|| {
        HostServices {
            log: h_log,
            now_ms: h_now,
            proxies: h_proxies,
            sessions: h_sessions,
            pools: h_pools,
            admin: h_admin,
            info: h_info,
            tables: h_tables,
            peers_section: h_section,
            table_marks: h_marks,
            table_collect: h_collect,
            table_apply: h_apply,
            peer_connect: h_connect,
            wake: h_wake,
            peers_status: h_status,
            stick_tables: h_stick_tables,
            peers_view: h_peers_view,
            log_enabled: h_log_enabled,
            patterns: h_patterns,
        }
        .leak_into_prefix()
    })
}

const NO_PROXY: &str = "not available in tests (no proxy)";

extern "C" fn h_stick_tables(
    _: crate::StickQuery,
) -> abi_stable::std_types::RResult<RVec<crate::StickTableInfo>, RString> {
    abi_stable::std_types::RErr(NO_PROXY.into())
}

extern "C" fn h_patterns(
    _: crate::PatternQuery,
) -> abi_stable::std_types::RResult<RVec<crate::PatternRefView>, RString> {
    abi_stable::std_types::RErr(NO_PROXY.into())
}

/// No proxy, no peers sections.
extern "C" fn h_peers_view() -> crate::PeersView {
    crate::PeersView::default()
}

extern "C" fn h_log(level: LogLevel, source: RStr<'_>, msg: RStr<'_>) {
    let level = match level {
        LogLevel::EMERG => "emerg",
        LogLevel::ALERT => "alert",
        LogLevel::CRIT => "crit",
        LogLevel::ERR => "err",
        LogLevel::WARNING => "warning",
        LogLevel::NOTICE => "notice",
        LogLevel::INFO => "info",
        _ => "debug",
    };
    eprintln!("[{level}] {source}: {msg}");
}
extern "C" fn h_now() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}
extern "C" fn h_proxies() -> RVec<ProxySnapshot> {
    RVec::new()
}
extern "C" fn h_sessions() -> RVec<StreamSnapshot> {
    RVec::new()
}
extern "C" fn h_pools() -> RVec<PoolSnapshot> {
    RVec::new()
}
extern "C" fn h_admin(_: AdminCmd) -> RResult<RString, RString> {
    RErr(NO_PROXY.into())
}
extern "C" fn h_info() -> ProcessSnapshot {
    ProcessSnapshot::default()
}
extern "C" fn h_tables(_: TableCmd) -> RResult<RString, RString> {
    RErr(NO_PROXY.into())
}
extern "C" fn h_section(_: RStr<'_>) -> ROption<PeersSectionInfo> {
    RNone
}
extern "C" fn h_marks(_: RStr<'_>) -> ROption<TableMarks> {
    RNone
}
extern "C" fn h_collect(_: RStr<'_>, _: u64, _: u64, _: bool, _: u32) -> RVec<PeerEntry> {
    RVec::new()
}
extern "C" fn h_apply(_: RStr<'_>, _: &PeerUpdates) -> u32 {
    0
}
extern "C" fn h_connect(_: RStr<'_>, _: RStr<'_>, _: u64) -> RResult<u64, RString> {
    RErr(NO_PROXY.into())
}
extern "C" fn h_wake(_: u64) {}
extern "C" fn h_status(_: RStr<'_>, _: SectionStatus) {}

extern "C" fn h_log_enabled(_: crate::LogLevel) -> bool {
    true
}
