//! The shared run-time state built once from the configuration: proxies
//! with their frontend and backend halves, the pools, global counters, the
//! stick tables, the live streams, the peers sections' run-time state.
//! Worker threads share it behind an `Arc`; everything that changes while
//! running is an atomic or sits behind a short lock, and code reaches it
//! through this handle rather than through process-wide statics (the one
//! exception is the bridge the applets' host functions read, see
//! [`crate::host::services`]). The live-stream registry is sharded by worker,
//! so that accepting and ending streams takes no lock shared by workers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use applet_sdk::peers::SectionStatus;
use tokio::sync::Semaphore;

use crate::backend::Backend;
use crate::config::{Config, Mode, ProxyConfig};
use crate::counters::Counters;
use crate::pool::Pool;

/// Approximate object sizes reported by `show pools`.
const CONN_OBJ_SIZE: usize = std::mem::size_of::<crate::connection::Connection>();
const STREAM_OBJ_SIZE: usize = std::mem::size_of::<crate::stream::Stream>();

/// `Maxconn`/`Hard_maxconn` reported without a global `maxconn` (no limit
/// is enforced then).
const DEFAULT_MAXCONN: u32 = 4096;

/// Grows or shrinks a semaphore from `old` to `new` permits. A shrink
/// only removes the permits that are free now (connections already in
/// are not cut).
pub fn resize_limit(sem: &Semaphore, old: u32, new: u32) {
    if new > old {
        sem.add_permits((new - old) as usize);
    } else if old > new {
        sem.forget_permits((old - new) as usize);
    }
}

/// The pools every stream allocates from.
#[derive(Debug)]
pub struct Pools {
    pub connection: Arc<Pool>,
    pub stream: Arc<Pool>,
}

/// The frontend half of a proxy.
#[derive(Debug)]
pub struct Frontend {
    pub counters: Counters,
    /// Admission limit (`maxconn`): excess connections stay in the accept
    /// backlog until a permit frees.
    pub limit: Option<Arc<Semaphore>>,
    /// The current `maxconn` (`slim`; `set maxconn frontend` changes it
    /// and the permits of `limit`), 0 for none.
    pub maxconn: AtomicU32,
    /// Backends of the unconditional `use_backend` rules, then the default.
    pub backend: Option<usize>,
}

/// A proxy at run time.
#[derive(Debug)]
pub struct Proxy {
    pub idx: usize,
    pub name: String,
    pub mode: Mode,
    pub cfg: ProxyConfig,
    pub fe: Option<Frontend>,
    pub be: Option<Backend>,
}

/// Everything the workers share.
#[derive(Debug)]
pub struct State {
    pub config: Config,
    pub proxies: Vec<Proxy>,
    pub pools: Pools,
    /// Process-wide current connections (`actconn`).
    pub global: Counters,
    pub global_limit: Option<Arc<Semaphore>>,
    /// The current process `maxconn` (`set maxconn global` changes it and
    /// the permits of `global_limit`).
    pub maxconn: AtomicU32,
    /// The ceiling of `maxconn` (`Hard_maxconn`).
    pub hard_maxconn: u32,
    /// Concurrent stats-socket connections (`stats maxconn`).
    pub cli_limit: Arc<Semaphore>,
    /// Stats sockets bound (counted in `Listeners`).
    pub cli_listeners: AtomicU32,
    /// Set on a soft stop: listeners close, live streams finish.
    pub stopping: AtomicBool,
    /// Set while start-up applies the saved server states (HAProxy's
    /// `MODE_STARTING`): state changes are reported on stderr only, as
    /// `config : ...`, not logged.
    pub starting: AtomicBool,
    pub started: std::time::Instant,
    pub streams_total: AtomicU64,
    /// Applet services loaded at start-up.
    pub applets: Arc<crate::applet::AppletRegistry>,
    /// Applet calls that failed (panic or error); each ended its stream.
    pub applet_failures: AtomicU64,
    /// The stick tables.
    pub stick: crate::stkctr::TableSet,
    /// The live streams (`show sess`), one shard per worker thread.
    pub live: Arc<crate::stream::live::Registry>,
    /// The streams an applet can wake (host service `wake`), by id.
    pub kicks: Arc<crate::kick::Kicks>,
    /// The peers sections at run time (hand-over, `show peers` board).
    pub peers: PeersRuntime,
    /// The process-wide variables (`proc.*`).
    pub proc_vars: crate::sample::vars::ProcVars,
}

/// The sample engine's start-up: the `global` `set-var` lines give the
/// process variables, and the pattern lists get their final ids.
fn start_samples(config: &Config) -> crate::sample::vars::ProcVars {
    let proc_vars = crate::sample::vars::ProcVars::default();
    {
        let vars = crate::sample::vars::VarStore::new(proc_vars.clone());
        let view = crate::stkctr::rules::ConnView {
            src: None,
            dst: None,
            vars: Some(&vars),
            payload: None,
            tls: Default::default(),
            expect_proxy: Default::default(),
            pp: None,
        };
        for a in &config.global.set_vars {
            a.apply(&view);
        }
    }
    // HAProxy 2.6's internal HTTP client always adds two ACLs after the
    // configuration's: registering two alike keeps the `#<id>` of every
    // list in `show acl`/`show map` equal to HAProxy's for the same
    // configuration, which scripts use.
    for _ in 0..2 {
        let _ = config.patterns.acl_inline(
            "var",
            "httpclient",
            0,
            crate::sample::pattern::MatchKind::Str,
            false,
            None,
            &["1"],
        );
    }
    config.patterns.finalize();
    proc_vars
}

impl State {
    pub fn build(config: Config) -> Arc<State> {
        State::build_with(config, Arc::new(crate::applet::AppletRegistry::new()))
    }

    /// Builds the state with the applets loaded at start-up.
    pub fn build_with(config: Config, applets: Arc<crate::applet::AppletRegistry>) -> Arc<State> {
        let g = &config.global;
        let pools = Pools {
            connection: Pool::new("connection", CONN_OBJ_SIZE, g.conn_pool_max, g.fail_alloc),
            stream: Pool::new("stream", STREAM_OBJ_SIZE, None, g.fail_alloc),
        };
        let find = |name: &str| {
            config
                .proxies
                .iter()
                .position(|p| p.name == name && p.kind.has_backend())
        };
        let proxies = config
            .proxies
            .iter()
            .enumerate()
            .map(|(idx, p)| {
                let fe = p.kind.has_frontend().then(|| {
                    // NOTE(rules): conditional `use_backend` rules need the
                    // request; until the HTTP driver evaluates them with
                    // `rules::eval_opt`, only the first unconditional one counts.
                    let backend = p
                        .use_backends
                        .iter()
                        .find(|u| u.cond.is_none())
                        .and_then(|u| find(&u.backend))
                        .or_else(|| p.default_backend.as_deref().and_then(find))
                        .or_else(|| p.kind.has_backend().then_some(idx));
                    Frontend {
                        counters: Counters::default(),
                        limit: p
                            .maxconn
                            .filter(|&m| m > 0)
                            .map(|m| Arc::new(Semaphore::new(m as usize))),
                        maxconn: AtomicU32::new(p.maxconn.unwrap_or(0)),
                        backend,
                    }
                });
                let be = p
                    .kind
                    .has_backend()
                    .then(|| Backend::from_config(p, &config.proxies));
                Proxy {
                    idx,
                    name: p.name.clone(),
                    mode: p.mode,
                    cfg: p.clone(),
                    fe,
                    be,
                }
            })
            .collect();
        let global_limit = g
            .maxconn
            .filter(|&m| m > 0)
            .map(|m| Arc::new(Semaphore::new(m as usize)));
        let hard_maxconn = g.maxconn.filter(|&m| m > 0).unwrap_or(DEFAULT_MAXCONN);
        let proc_vars = start_samples(&config);
        Arc::new(State {
            proxies,
            pools,
            global: Counters::default(),
            global_limit,
            maxconn: AtomicU32::new(hard_maxconn),
            hard_maxconn,
            cli_limit: Arc::new(Semaphore::new(g.stats_maxconn.max(1) as usize)),
            cli_listeners: AtomicU32::new(0),
            stopping: AtomicBool::new(false),
            starting: AtomicBool::new(false),
            started: std::time::Instant::now(),
            streams_total: AtomicU64::new(0),
            applets,
            applet_failures: AtomicU64::new(0),
            stick: crate::stkctr::TableSet::build(&config),
            live: Arc::new(crate::stream::live::Registry::new(g.nbthread.max(1))),
            kicks: Arc::default(),
            peers: PeersRuntime::default(),
            proc_vars,
            config,
        })
    }

    /// The proxy index of a backend (or listen) by name.
    /// The frontend's `use_backend` rules in order, then its
    /// `default_backend`: the index of the backend a stream goes to.
    pub fn switch_backend(
        &self,
        fe: &Proxy,
        ctx: crate::stkctr::rules::RuleCtx<'_>,
        trk: &crate::stkctr::Trackers,
        view: &dyn crate::rules::RequestView,
    ) -> Option<usize> {
        fe.cfg
            .use_backends
            .iter()
            .find(|u| ctx.cond(u.cond.as_ref(), trk, view))
            .and_then(|u| self.backend_index(&u.backend))
            .or_else(|| fe.fe.as_ref().and_then(|f| f.backend))
    }

    pub fn backend_index(&self, name: &str) -> Option<usize> {
        self.proxies
            .iter()
            .position(|p| p.be.is_some() && p.name == name)
    }

    /// Ends every stream that holds a slot on server `srv` of proxy `pi`
    /// (`shutdown sessions server`, `on-marked-down shutdown-sessions`).
    pub fn shutdown_server_sessions(&self, pi: usize, srv: usize) {
        for l in self.live.all() {
            if l.backend() == Some(pi) && l.server() == Some(srv) {
                l.kill();
            }
        }
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Start-up is applying saved server states (see [`State::starting`]).
    pub fn is_starting(&self) -> bool {
        self.starting.load(Ordering::Relaxed)
    }
}

impl State {
    /// Frontend `idx`: its proxy and its frontend side.
    pub fn frontend(&self, idx: usize) -> Option<(&Proxy, &Frontend)> {
        let p = self.proxies.get(idx)?;
        Some((p, p.fe.as_ref()?))
    }

    /// The stream of a client connection accepted on frontend `fe`,
    /// counted in the process's stream total. If the stream pool refuses,
    /// the connection comes back for the caller to answer or drop (rule 1).
    pub fn open_stream(
        &self,
        client: Box<crate::connection::Connection>,
        fe: usize,
        live: Arc<crate::stream::live::LiveStream>,
    ) -> Result<crate::stream::Stream, Box<crate::connection::Connection>> {
        let mut client = client;
        let vars = client.sess_vars.take();
        let mut s = crate::stream::Stream::new(&self.pools.stream, client, fe, live)
            .map_err(|(conn, _)| conn)?;
        s.vars = match vars {
            Some(v) => *v,
            None => crate::sample::vars::VarStore::new(self.proc_vars.clone()),
        };
        self.streams_total.fetch_add(1, Ordering::Relaxed);
        Ok(s)
    }

    /// Runs the frontend's `tcp-request session` rules once its client's
    /// stream exists (the session starts): tracking, counters and
    /// variables; `false` when one rejects it (counted in `dses`), and the
    /// connection then closes without a word.
    pub fn session_rules(
        &self,
        fe: &Proxy,
        s: &mut crate::stream::Stream,
        trk: &mut crate::stkctr::Trackers,
        listener_id: u32,
    ) -> bool {
        use crate::stkctr::rules::{tcp_rules, ConnView, RuleCtx, TcpVerdict};
        let rules = &fe.cfg.tcp_sess;
        if rules.is_empty() {
            return true;
        }
        let dst = s.si[0].conn_mut().and_then(|c| c.dst());
        let view = ConnView {
            src: s.si[0].conn().and_then(|c| c.from),
            dst,
            vars: Some(&s.vars),
            payload: None,
            tls: s.tls_cells(),
            expect_proxy: Default::default(),
            pp: None,
        };
        let ctx = RuleCtx::new(&self.stick, fe.cfg.table);
        if tcp_rules(ctx, rules, true, trk, &view) != TcpVerdict::Reject {
            return true;
        }
        if let Some(f) = fe.fe.as_ref() {
            f.counters.denied_sess.fetch_add(1, Ordering::Relaxed);
        }
        log_session_reject(fe, s, listener_id);
        false
    }

    /// The pools in `show pools` form (HAProxy 2.6's line layout), smallest
    /// objects first.
    pub fn show_pools(&self) -> String {
        use std::fmt::Write as _;
        let addr = |p: &Arc<Pool>| Arc::as_ptr(p) as usize;
        let mut rows: Vec<(crate::pool::PoolStats, usize)> = vec![
            (self.pools.connection.stats(), addr(&self.pools.connection)),
            (self.pools.stream.stats(), addr(&self.pools.stream)),
        ];
        let (alloc, used) = crate::buffer::stats();
        let buffer = crate::pool::PoolStats {
            name: "buffer",
            obj_size: self.config.global.bufsize,
            allocated: alloc,
            used,
            failed: 0,
        };
        rows.push((
            buffer,
            crate::buffer::stats as fn() -> (usize, usize) as usize,
        ));
        rows.sort_by_key(|r| r.0.obj_size);
        let mut out = String::from("Dumping pools usage. Use SIGQUIT to flush them.\n");
        let (mut bytes, mut bytes_used) = (0usize, 0usize);
        for (r, at) in &rows {
            let _ = writeln!(
                out,
                "  - Pool {} ({} bytes) : {} allocated ({} bytes), {} used (~0 by thread caches), needed_avg {}, {} failures, 1 users, @{:#x} [SHARED]",
                r.name,
                r.obj_size,
                r.allocated,
                r.allocated * r.obj_size,
                r.used,
                r.used,
                r.failed,
                at
            );
            bytes += r.allocated * r.obj_size;
            bytes_used += r.used * r.obj_size;
        }
        let _ = writeln!(
            out,
            "Total: {} pools, {bytes} bytes allocated, {bytes_used} used (~0 by thread caches).",
            rows.len()
        );
        out
    }
}

/// What the peers sections share at run time, reached through
/// `State::peers`: kept here, with the state, because the applets' host
/// services read and write it too; the sections themselves run in
/// [`crate::peers_net`].
#[derive(Debug, Default)]
pub struct PeersRuntime {
    /// This process replaces older ones (`-sf`), which hand their tables
    /// over through the local peer.
    old_process: AtomicBool,
    /// Sync tasks still running: a soft stop waits for their hand-over.
    pub(crate) sync_running: AtomicUsize,
    /// The last status the peers applet published for each section
    /// (`show peers`), and when.
    board: Mutex<HashMap<String, (SectionStatus, Instant)>>,
    /// What [`PeersRuntime::connect`] calls: `peers_net::open_peer_stream`,
    /// registered by the runtime at start-up.
    connect: OnceLock<PeerConnect>,
}

/// Opens a stream to a peer of a section for the peers applet's connection
/// `token`; returns the stream's id.
pub type PeerConnect = fn(&Arc<State>, &str, &str, u64) -> Result<u64, String>;

impl PeersRuntime {
    /// Tells the peers applet that this process replaces older ones.
    pub fn set_old_process(&self, yes: bool) {
        self.old_process.store(yes, Ordering::Relaxed);
    }

    pub fn old_process(&self) -> bool {
        self.old_process.load(Ordering::Relaxed)
    }

    /// Whether a sync task is still running (handing its tables over,
    /// after a soft stop).
    pub fn handover_pending(&self) -> bool {
        self.sync_running.load(Ordering::SeqCst) > 0
    }

    /// Records the status the applet published for `section`.
    pub fn publish(&self, section: &str, status: SectionStatus) {
        self.board
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(section.to_string(), (status, Instant::now()));
    }

    /// Registers how to open a stream to a peer (once; the runtime does
    /// it at start-up). A function pointer because the applets' host
    /// services, which ask for it (`peer_connect`), sit below the peers
    /// sections, which run applets.
    pub fn set_connect(&self, f: PeerConnect) {
        let _ = self.connect.set(f);
    }

    /// Opens a stream to `peer` of `section` for the applet's connection
    /// `token`, through the function registered with
    /// [`PeersRuntime::set_connect`]; returns the stream's id.
    pub fn connect(
        &self,
        st: &Arc<State>,
        section: &str,
        peer: &str,
        token: u64,
    ) -> Result<u64, String> {
        let f = self
            .connect
            .get()
            .ok_or_else(|| "peer connections are not set up".to_string())?;
        f(st, section, peer, token)
    }

    /// The last status the peers applet published for `section`, and when.
    pub fn section_status(&self, section: &str) -> Option<(SectionStatus, Instant)> {
        self.board
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(section)
            .cloned()
    }
}

/// A `tcp-request session reject` after a handshake (PROXY header, TLS)
/// kills what 2.6 calls an embryonic session, which it logs as
/// `<client> [<date>] <frontend>/<bind>: Success` (no connection error);
/// without a handshake, or under `option dontlognull`, nothing is logged.
fn log_session_reject(fe: &Proxy, s: &crate::stream::Stream, listener_id: u32) {
    let Some(c) = s.si[0].conn() else { return };
    let handshake = c.pp.is_some() || c.tls_cell().is_some();
    if !handshake || fe.cfg.logs.is_empty() || fe.cfg.log_format.is_none() || fe.cfg.dontlognull {
        return;
    }
    // The bind's `name`, else the listener's number in the frontend.
    let mut named = fe
        .cfg
        .binds
        .iter()
        .flat_map(|b| b.addrs.iter().map(move |_| b));
    let bind = named.nth(listener_id.saturating_sub(1) as usize);
    let bind_name = bind
        .and_then(|b| b.name.clone())
        .unwrap_or_else(|| listener_id.to_string());
    let client = c.from.map_or(
        crate::log::fields::ClientAddr::Unknown,
        crate::log::fields::ClientAddr::Inet,
    );
    let mut line = String::new();
    let date = s.timers.accept_date;
    crate::log::format_embryonic(&client, date, &fe.name, &bind_name, "Success", &mut line);
    crate::log::subscriber::traffic(fe.idx, &line);
}
