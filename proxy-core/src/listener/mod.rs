//! Listening sockets: binding the `bind` lines (TCP, unix, inherited
//! `fd@<n>`), and the accept loop each worker thread runs on its own copy.
//!
//! Every worker accepts on the same socket (a duplicate descriptor
//! registered in its own event loop), which works alike for TCP, unix and
//! inherited sockets. Admission follows `maxconn`: a loop takes a global and
//! a frontend permit *before* accepting, so connections over the limit wait
//! in the kernel's accept backlog instead of being accepted and dropped.
//!
//! [`socket`] holds what is below any mode (binding, per-thread copies,
//! accept, the accept loop of the stats sockets and peers), so those need
//! not depend on this file, which hands connections to TCP and HTTP mode.

mod pp_accept;
pub mod socket;
mod tls_session;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};

use crate::config::model_stick::TcpAction;
use crate::config::{BindAddr, Config, Location};
use crate::connection::{Connection, Target, Transport};
use crate::log::fields::ClientAddr;
use crate::pool::{AllocError, Pool};
use crate::sample::vars::VarStore;
use crate::state::State;
use crate::stkctr::rules::{tcp_rules, ConnView, RuleCtx, TcpVerdict};
use crate::stkctr::Trackers;
use crate::stream::live::{LiveInfo, LiveStream};
use crate::tcp::{run_stream, Permits};
pub use socket::BoundSocket;
use socket::{accept, bind_one};

/// Backlog of a frontend without `maxconn`.
const DEFAULT_BACKLOG: u32 = 4096;

/// A listener of a frontend.
#[derive(Debug)]
pub struct Listener {
    pub proxy: usize,
    /// 1-based listener id within its frontend.
    pub id: u32,
    pub name: Option<String>,
    pub socket: BoundSocket,
    /// The handshake configuration of an `ssl` bind.
    pub tls: Option<Arc<crate::tls::bind::BindTls>>,
    /// `accept-proxy`: a PROXY header comes first.
    pub accept_proxy: bool,
}

fn bind_error(loc: &Location, fe: &str, what: &str, e: &io::Error) -> String {
    let reason = match e.kind() {
        io::ErrorKind::AddrInUse => "Address already in use".to_string(),
        io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
        io::ErrorKind::AddrNotAvailable => "Cannot assign requested address".to_string(),
        _ => e.to_string(),
    };
    format!("Binding [{loc}] for frontend {fe}: cannot bind socket ({reason}) for [{what}]")
}

/// Binds every address of every frontend. Errors are HAProxy's alert lines.
pub fn bind_all(config: &Config) -> Result<Vec<Listener>, Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (idx, p) in config.proxies.iter().enumerate() {
        if !p.kind.has_frontend() {
            continue;
        }
        let mut id = 0;
        let backlog = p.maxconn.unwrap_or(DEFAULT_BACKLOG).clamp(16, 65535);
        for b in &p.binds {
            for a in &b.addrs {
                id += 1;
                match bind_one(a, backlog) {
                    Ok(socket) => out.push(Listener {
                        proxy: idx,
                        id,
                        name: b.name.clone(),
                        socket,
                        tls: b.tls.as_ref().map(|t| t.0.clone()),
                        accept_proxy: b.accept_proxy,
                    }),
                    Err(e) => {
                        let what = match a {
                            BindAddr::Tcp(s) => s.to_string(),
                            BindAddr::Unix(path) => format!("unix@{}", path.display()),
                            BindAddr::Fd(n) => format!("fd@{n}"),
                        };
                        errors.push(bind_error(&b.loc, &p.name, &what, &e));
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.push("Some protocols failed to start their listeners! Exiting.".to_string());
        Err(errors)
    }
}

async fn permit(sem: &Option<Arc<Semaphore>>) -> Option<Option<tokio::sync::OwnedSemaphorePermit>> {
    match sem {
        None => Some(None),
        Some(s) => s.clone().acquire_owned().await.ok().map(Some),
    }
}

/// How long a client already accepted waits for a connection object that
/// another worker took between this listener's check and its accept.
const ADMIT_WAIT: Duration = Duration::from_secs(1);

/// `tune.conn-pool-max`: a client is accepted only while the pool has room
/// for its connection and one server-side connection (or nothing is in use
/// at all), idle server connections giving way first. Otherwise it waits in
/// the accept queue, as past `maxconn`: accepting it only to fail its
/// requests (or every other client's) for want of a server connection
/// helps nobody. False when the proxy stops meanwhile.
async fn wait_for_room(pool: &Pool, stop: &mut watch::Receiver<bool>) -> bool {
    while pool.room_below(2) && pool.used() > 0 {
        if crate::idle::evict_oldest() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
            _ = stop.changed() => return false,
        }
    }
    true
}

/// The connection object of a client just accepted. The check before
/// accept is not a reservation: streams and the other workers' listeners
/// allocate meanwhile, and idle connections parked by another thread can
/// only be closed by it. When the cap is what refuses, the client waits a
/// little for a slot instead of being refused for losing that race; a
/// failure injected by `tune.fail-alloc`, a cap of zero or the end of the
/// wait are real failures.
async fn connection_for_client(
    pool: &Arc<Pool>,
    stop: &mut watch::Receiver<bool>,
) -> Result<Box<Connection>, AllocError> {
    let deadline = tokio::time::Instant::now() + ADMIT_WAIT;
    loop {
        let waiting = pool.room_below(1)
            && pool.used() > 0
            && tokio::time::Instant::now() < deadline
            && !crate::idle::evict_oldest();
        if !waiting {
            return crate::idle::alloc_connection(pool);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
            _ = stop.changed() => return Err(AllocError::Exhausted),
        }
    }
}

/// Starts this thread's accept loop for `l`; it ends when `stop` flips.
pub fn spawn_accept_loop(
    st: Arc<State>,
    l: &Listener,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let sock = l.socket.for_this_thread()?;
    let local = sock.fixed_local_addr();
    let (fe_idx, lid) = (l.proxy, l.id);
    let tls = l.tls.clone();
    let accept_proxy = l.accept_proxy;
    let lname: Arc<str> = l.name.clone().unwrap_or_else(|| lid.to_string()).into();
    tokio::spawn(async move {
        let fe_limit = st
            .proxies
            .get(fe_idx)
            .and_then(|p| p.fe.as_ref())
            .and_then(|f| f.limit.clone());
        let fe_limit = fe_limit.map(Some).unwrap_or(None);
        let http = st
            .proxies
            .get(fe_idx)
            .is_some_and(|p| p.mode == crate::config::Mode::Http);
        loop {
            let admitted = tokio::select! {
                p = async { (permit(&st.global_limit).await, permit(&fe_limit).await) } => p,
                _ = stop.changed() => return,
            };
            let (Some(global), Some(frontend)) = admitted else {
                return;
            };
            if !wait_for_room(&st.pools.connection, &mut stop).await {
                return;
            }
            let accepted = tokio::select! {
                r = accept(&sock) => r,
                _ = stop.changed() => return,
            };
            let transport = match accepted {
                Ok(t) => t,
                Err(e) => {
                    // Out of descriptors and the like: back off briefly
                    // rather than spin on the error.
                    tracing::debug!("accept failed on frontend #{fe_idx}: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let mut conn = match connection_for_client(&st.pools.connection, &mut stop).await {
                Ok(conn) => conn,
                // Rule 1: no connection object, so the socket is closed
                // (counted as a failure of the pool); an HTTP client is
                // told why first, and the refusal logged.
                Err(_) => {
                    if let (true, Some(fe)) = (http, st.proxies.get(fe_idx)) {
                        let client = transport
                            .1
                            .map_or(ClientAddr::Unix { listener_id: lid }, ClientAddr::Inet);
                        crate::http_mode::refuse(&st, fe, &transport.0, client);
                    }
                    continue;
                }
            };
            conn.target = Target::Listener(fe_idx, lid as usize);
            conn.to = local;
            if let (_, Some(peer)) = &transport {
                conn.from = Some(*peer);
            }
            conn.transport = transport.0;
            let permits = Permits {
                global,
                frontend,
                precount: None,
            };
            st.global.connection();
            if let Some(p) = st.proxies.get(fe_idx) {
                if let Some(fe) = p.fe.as_ref() {
                    fe.counters.connection();
                }
                // `option nolinger`: closing the client sends a reset.
                if let (true, Transport::Tcp(t)) = (p.cfg.options.nolinger, &conn.transport) {
                    let _ = t.set_zero_linger();
                }
            }
            // tcp-request connection rules: before any stream exists,
            // and before the PROXY header (they see the real addresses).
            let Some((trk, expect_rule)) = connection_rules(&st, fe_idx, &mut conn) else {
                continue;
            };
            let live = register_live(&st, &mut conn, fe_idx, lid);
            let st2 = st.clone();
            let on_kill = move |l: &LiveStream| give_back_slot(&st2, l);
            let record = live.clone();
            let expect_proxy = accept_proxy || expect_rule;
            let (st2, tls2, lname2) = (st.clone(), tls.clone(), lname.clone());
            let fut = async move {
                let mut conn = conn;
                if expect_proxy && !pp_accept::run(&st2, fe_idx, &lname2, &mut conn).await {
                    return;
                }
                let ids = (fe_idx, lid);
                if let Some(tls) = tls2 {
                    let (c, r) = (conn, record);
                    tls_session::run(st2, tls, lname2, ids, c, r, permits, trk, http).await;
                } else if http {
                    crate::http_mode::run_stream(st2, fe_idx, lid, conn, record, permits, trk)
                        .await;
                } else {
                    run_stream(st2, fe_idx, lid, conn, record, permits, trk).await;
                }
            };
            st.live.spawn(live, fut, on_kill);
        }
    });
    Ok(())
}

/// Runs the frontend's `tcp-request connection` rules on an accepted
/// connection: the counters they track, or `None` when one rejects it
/// (the connection is then reset, counted in `dcon`); with them, whether
/// an `expect-proxy layer4` rule matched.
fn connection_rules(st: &State, fe_idx: usize, conn: &mut Connection) -> Option<(Trackers, bool)> {
    let mut trk = Trackers::new();
    let Some(p) = st.proxies.get(fe_idx) else {
        return Some((trk, false));
    };
    if p.cfg.tcp_conn.is_empty() {
        return Some((trk, false));
    }
    // A store only for rules that set variables: most connections never
    // need one.
    let vars = p
        .cfg
        .tcp_conn
        .iter()
        .any(|r| matches!(r.action, TcpAction::SetVar(_)))
        .then(|| Box::new(VarStore::new(st.proc_vars.clone())));
    let view = ConnView {
        src: conn.from,
        dst: conn.dst(),
        vars: vars.as_deref(),
        payload: None,
        // Before the handshake: nothing of TLS is known yet.
        tls: Default::default(),
        expect_proxy: Default::default(),
        pp: None,
    };
    let ctx = RuleCtx::new(&st.stick, p.cfg.table);
    let verdict = tcp_rules(ctx, &p.cfg.tcp_conn, true, &mut trk, &view);
    let expect_proxy = view.expect_proxy.get();
    conn.sess_vars = vars;
    if verdict == TcpVerdict::Reject {
        // As HAProxy: no lingering, the client gets a single RST.
        if let Transport::Tcp(t) = &conn.transport {
            let _ = t.set_zero_linger();
        }
        if let Some(fe) = p.fe.as_ref() {
            fe.counters
                .denied_conn
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        return None;
    }
    trk.count_session(ctx.now_ms);
    Some((trk, expect_proxy))
}

/// Registers an accepted connection's stream for `show sess`.
pub(crate) fn register_live(
    st: &State,
    conn: &mut Connection,
    fe: usize,
    listener_id: u32,
) -> std::sync::Arc<LiveStream> {
    let local = conn.dst();
    let proto = match conn.from {
        Some(a) if a.is_ipv4() => "tcpv4",
        Some(_) => "tcpv6",
        None => "unix_stream",
    };
    st.live.register(LiveInfo {
        fe,
        listener_id,
        proto,
        src: conn.from,
        local,
    })
}

/// A killed stream's task was dropped while it may have held a server
/// slot: give it back (its connections were closed by the drop).
pub(crate) fn give_back_slot(st: &State, l: &LiveStream) {
    use std::sync::atomic::Ordering;
    if !l.assigned.swap(false, Ordering::Relaxed) {
        return;
    }
    if let (Some(b), Some(s)) = (l.backend(), l.server()) {
        if let Some(be) = st.proxies.get(b).and_then(|p| p.be.as_ref()) {
            be.release(s);
        }
    }
}
