//! Test support: an in-process host for the `peers` service. Its function
//! table is the real `HostServices` ABI table; the functions get no
//! context, so their state (the clock, the peers sections, the stick
//! tables, the streams asked for, the wakes, the published statuses) is
//! one thread-local [`World`]: each test runs on its own thread.
//!
//! Names carry the "process": section `tag@a` is peer `a`'s view of
//! section `tag`, and its table is `tag@a:t` (network name `/t`), so two
//! processes of one section live side by side in one test binary (the
//! plugin keys its runtimes by local peer and section).
//!
//! Tables store entries the way the proxy's do for replication: every
//! change gets the next update id, local changes also move `local_update`;
//! learned values replace the stored ones type by type.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use applet_sdk::abi_stable::prefix_type::PrefixTypeTrait;
use applet_sdk::abi_stable::std_types::{RErr, ROk, ROption, RResult, RStr, RString, RVec};
use applet_sdk::peers::{
    PeerEntry, PeerInfo, PeerUpdates, PeerValue, PeersSectionInfo, SectionStatus, SharedTableInfo,
    TableDataInfo, TableMarks,
};
use applet_sdk::{
    AdminCmd, HostServices, HostServices_Ref, LogLevel, PoolSnapshot, ProcessSnapshot,
    ProxySnapshot, StreamSnapshot, TableCmd,
};

/// The data types of the test tables: `server_id`, `conn_rate(10s)`,
/// `conn_cur` (local-only), `server_key` (dictionary), `gpc` (2 elements).
pub(crate) fn layout() -> Vec<TableDataInfo> {
    let d = |id, nbelem, period| TableDataInfo { id, nbelem, period };
    vec![
        d(0, 1, 0),
        d(5, 1, 10_000),
        d(6, 1, 0),
        d(19, 1, 0),
        d(23, 2, 0),
    ]
}

/// Values for [`layout`], arrays expanded.
pub(crate) fn values(n: u64) -> Vec<PeerValue> {
    vec![
        PeerValue::int(n % 7),
        PeerValue::freq(n % 1000, n, n / 2),
        PeerValue::int(3),
        PeerValue::dict(Some(&format!("srv{}", n % 3))),
        PeerValue::int(n),
        PeerValue::int(n + 1),
    ]
}

/// An IPv4 key.
pub(crate) fn key(n: u32) -> Vec<u8> {
    (0x0a00_0000 | n).to_be_bytes().to_vec()
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: u64,
    pub local: bool,
    pub values: Vec<PeerValue>,
}

/// A stick table.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub entries: HashMap<Vec<u8>, Entry>,
    by_id: BTreeMap<u64, Vec<u8>>,
    pub marks: TableMarks,
}

impl Table {
    fn store(&mut self, key: &[u8], values: Vec<PeerValue>, local: bool) {
        self.marks.update += 1;
        let id = self.marks.update;
        if local {
            self.marks.local_update = id;
        }
        if let Some(old) = self
            .entries
            .insert(key.to_vec(), Entry { id, local, values })
        {
            self.by_id.remove(&old.id);
        }
        self.by_id.insert(id, key.to_vec());
    }

    /// A local change.
    pub fn set(&mut self, key: &[u8], values: Vec<PeerValue>) {
        self.store(key, values, true);
    }

    /// A learned update: the types it carries replace the stored ones.
    fn apply(&mut self, u: &Applied) {
        let mut vals = match self.entries.get(&u.key[..]) {
            Some(e) => e.values.clone(),
            None => layout()
                .iter()
                .flat_map(|d| {
                    let zero = match d.id {
                        5 => PeerValue::freq(0, 0, 0),
                        19 => PeerValue::dict(None),
                        _ => PeerValue::int(0),
                    };
                    std::iter::repeat_n(zero, d.nbelem as usize)
                })
                .collect(),
        };
        let mut at = 0;
        for d in layout() {
            let n = d.nbelem as usize;
            if let Some(data) = u.data.iter().find(|x| x.id == d.id) {
                for (i, v) in data.values.iter().take(n).enumerate() {
                    vals[at + i] = v.clone();
                }
            }
            at += n;
        }
        self.store(&u.key, vals, false);
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.entries.get(key)
    }
}

/// A stream asked for with `peer_connect`.
#[derive(Debug, Clone)]
pub(crate) struct ConnectReq {
    pub section: String,
    pub peer: String,
    pub token: u64,
    pub stream: u64,
}

/// Everything the fake host knows.
#[derive(Default)]
pub(crate) struct World {
    pub now: u64,
    pub sections: HashMap<String, PeersSectionInfo>,
    pub tables: HashMap<String, Table>,
    pub next_stream: u64,
    pub connects: Vec<ConnectReq>,
    /// Sections whose `peer_connect` fails.
    pub refuse: HashSet<String>,
    pub woken: Vec<u64>,
    pub status: HashMap<String, SectionStatus>,
    /// Every `table_apply`: table, number of updates.
    pub applies: Vec<(String, usize)>,
    /// The last updates applied, per table.
    pub last_applied: HashMap<String, Vec<Applied>>,
    pub logs: Vec<String>,
}

/// One learned update as the fake host received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub key: Vec<u8>,
    pub expire_ms: Option<u32>,
    /// Values per data type, in the order received.
    pub data: Vec<AppliedData>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppliedData {
    pub id: u8,
    pub values: Vec<PeerValue>,
}

impl Applied {
    fn all(b: &PeerUpdates) -> Vec<Applied> {
        b.iter()
            .map(|(key, expire_ms, vals)| {
                let mut data: Vec<AppliedData> = Vec::new();
                for v in vals {
                    match data.last_mut() {
                        Some(d) if d.id == v.id => d.values.push(v.value.clone()),
                        _ => data.push(AppliedData {
                            id: v.id,
                            values: vec![v.value.clone()],
                        }),
                    }
                }
                Applied {
                    key: key.to_vec(),
                    expire_ms,
                    data,
                }
            })
            .collect()
    }
}

impl World {
    pub fn stream_id(&mut self) -> u64 {
        self.next_stream += 1;
        self.next_stream
    }

    pub fn table(&mut self, name: &str) -> &mut Table {
        self.tables.entry(name.to_string()).or_default()
    }

    pub fn peer_status(&self, section: &str, peer: &str) -> applet_sdk::peers::PeerStatus {
        let s = &self.status[section];
        s.peers
            .iter()
            .find(|p| p.name.as_str() == peer)
            .cloned()
            .unwrap()
    }
}

thread_local! {
    static WORLD: RefCell<World> = RefCell::new(World { now: 1_000_000, ..World::default() });
}

/// Runs `f` on this thread's world.
pub(crate) fn with<R>(f: impl FnOnce(&mut World) -> R) -> R {
    WORLD.with(|w| f(&mut w.borrow_mut()))
}

/// Declares section `tag` as peer `local` sees it, with peers `a` and `b`
/// and one table.
pub(crate) fn add_section(tag: &str, local: &str) -> String {
    let name = format!("{tag}@{local}");
    let peer = |n: &str, port| PeerInfo {
        name: n.into(),
        addr: format!("127.0.0.1:{port}").as_str().into(),
        local: n == local,
    };
    let info = PeersSectionInfo {
        name: name.as_str().into(),
        local_peer: local.into(),
        peers: RVec::from(vec![peer("a", 10001), peer("b", 10002)]),
        tables: RVec::from(vec![SharedTableInfo {
            name: format!("{name}:t").as_str().into(),
            net_name: "/t".into(),
            key_type: 4,
            key_len: 4,
            expire_ms: 30_000,
            data: RVec::from(layout()),
        }]),
        pid: 4242,
        max_message: 16384,
        old_process: false,
    };
    with(|w| {
        w.sections.insert(name.clone(), info);
        w.table(&format!("{name}:t"));
    });
    name
}

extern "C" fn h_log(_: LogLevel, _: RStr<'_>, msg: RStr<'_>) {
    if std::env::var("PEERS_TRACE").is_ok() {
        eprintln!("log: {msg}");
    }
    with(|w| w.logs.push(msg.to_string()));
}
extern "C" fn h_now() -> u64 {
    with(|w| w.now)
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
    RErr("no admin here".into())
}
extern "C" fn h_info() -> ProcessSnapshot {
    ProcessSnapshot::default()
}
extern "C" fn h_tables(_: TableCmd) -> RResult<RString, RString> {
    RErr("no CLI here".into())
}
extern "C" fn h_section(name: RStr<'_>) -> ROption<PeersSectionInfo> {
    with(|w| w.sections.get(name.as_str()).cloned()).into()
}
extern "C" fn h_marks(table: RStr<'_>) -> ROption<TableMarks> {
    with(|w| w.tables.get(table.as_str()).map(|t| t.marks)).into()
}
extern "C" fn h_collect(
    table: RStr<'_>,
    after: u64,
    upto: u64,
    include_learned: bool,
    max: u32,
) -> RVec<PeerEntry> {
    with(|w| {
        let Some(t) = w.tables.get(table.as_str()) else {
            return RVec::new();
        };
        if after >= upto {
            return RVec::new();
        }
        t.by_id
            .range(after + 1..=upto)
            .filter_map(|(_, k)| t.entries.get(k).map(|e| (k, e)))
            .filter(|(_, e)| include_learned || e.local)
            .take(max as usize)
            .map(|(k, e)| PeerEntry {
                id: e.id,
                key: RVec::from(k.clone()),
                expire_ms: 30_000,
                local: e.local,
                values: RVec::from(e.values.clone()),
            })
            .collect()
    })
}
extern "C" fn h_apply(table: RStr<'_>, updates: &PeerUpdates) -> u32 {
    let updates = Applied::all(updates);
    with(|w| {
        let name = table.to_string();
        w.applies.push((name.clone(), updates.len()));
        let t = w.table(&name);
        for u in &updates {
            t.apply(u);
        }
        let n = updates.len() as u32;
        w.last_applied.insert(name, updates);
        n
    })
}
extern "C" fn h_connect(section: RStr<'_>, peer: RStr<'_>, token: u64) -> RResult<u64, RString> {
    with(|w| {
        if w.refuse.contains(section.as_str()) {
            return RErr("refused by the test".into());
        }
        let stream = w.stream_id();
        w.connects.push(ConnectReq {
            section: section.to_string(),
            peer: peer.to_string(),
            token,
            stream,
        });
        ROk(stream)
    })
}
extern "C" fn h_wake(stream: u64) {
    with(|w| w.woken.push(stream));
}
extern "C" fn h_status(section: RStr<'_>, status: SectionStatus) {
    with(|w| w.status.insert(section.to_string(), status));
}

extern "C" fn h_stick_tables(
    _: applet_sdk::StickQuery,
) -> RResult<RVec<applet_sdk::StickTableInfo>, RString> {
    RErr("No such table\n".into())
}

extern "C" fn h_patterns(
    _: applet_sdk::PatternQuery,
) -> RResult<RVec<applet_sdk::PatternRefView>, RString> {
    RErr("Unknown map identifier. Please use #<id> or <file>.\n".into())
}

extern "C" fn h_peers_view() -> applet_sdk::PeersView {
    applet_sdk::PeersView::default()
}

/// The host's function table.
pub(crate) fn host() -> HostServices_Ref {
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

extern "C" fn h_log_enabled(_: applet_sdk::LogLevel) -> bool {
    true
}
