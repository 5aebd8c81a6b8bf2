//! Peers sections on the network: the core's half of stick-table
//! replication (the protocol itself is the `peers` applet service, from
//! `applet-peers`).
//!
//! For every `peers` section that names this process's local peer (`-L`,
//! `localpeer`, host name) and is not `disabled`:
//!
//! * the local peer's address is bound at start-up; each accepted
//!   connection is a stream whose si[1] gets the peers applet at accept
//!   (`[section, "accept"]`), with no server connection ever allocated;
//! * one sync task runs the section's timers: an applet instance
//!   (`[section, "sync"]`) on si[1] of a stream with no connection (see
//!   [`sync`]), called when the timer it asked for fires, when a table of
//!   the section changes locally (the tables ring its
//!   [`kick::Kick`]) and when another instance wakes it;
//! * when the applet asks ([`open_peer_stream`], from the host service
//!   `peer_connect`, through `State::peers` where the runtime registers
//!   it), the core opens a stream with the applet on si[0]
//!   (`[section, "connect", peer, token]`) and a connection to the peer on
//!   si[1], as HAProxy's `peer_session_create` does.
//!
//! All of them go through the one applet life cycle
//! ([`crate::host::lifecycle`]), the byte streams through the one
//! forwarder. Every peers stream registers a kick under its stream id, so instances
//! can wake each other through the host (`wake`). Sections whose local
//! peer is missing are left alone, as HAProxy drops such incomplete
//! sections.

mod sync;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::model_stick::{local_peer_name, PeersConfig};
use crate::config::{BindAddr, Config};
use crate::connection::{Connection, Transport};
use crate::host::lifecycle::{self, Instance, Other};
use crate::kick;
use crate::listener::socket::{bind_one, control_accept_loop, BoundSocket};
use crate::state::State;
use crate::stream::forward::SideTimeouts;
use crate::stream::live::{self, LiveInfo, LiveStream};
use crate::stream::side::{AppletSide, SideIo};
use crate::stream::{AppCtx, SiState, Stream};
pub use sync::{start_sync_tasks, HANDOVER_TIMEOUT};

/// The applet service that speaks the peers protocol.
pub const PEERS_SERVICE: &str = "peers";

/// How long a peer connection may take to establish.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A peers stream with no traffic either way for this long is closed (the
/// applet's heartbeats every 3 s keep a live session busy; its own
/// dead-peer detection acts first).
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A bound local peer address.
#[derive(Debug)]
pub struct PeersListener {
    pub section: String,
    pub socket: BoundSocket,
}

/// The sections this process takes part in.
pub fn active_sections(cfg: &Config) -> Vec<&PeersConfig> {
    let local = local_peer_name(cfg.global.localpeer.as_deref());
    cfg.peers
        .iter()
        .filter(|p| !p.disabled && p.local(&local).is_some())
        .collect()
}

/// Checks that the peers applet is loaded when a section needs it.
pub fn check_services(cfg: &Config, reg: &crate::applet::AppletRegistry) -> Vec<String> {
    match active_sections(cfg).first() {
        Some(p) if reg.service(PEERS_SERVICE).is_none() => vec![format!(
            "parsing [{}] : peers section '{}' : unknown service '{PEERS_SERVICE}' (no loaded applet provides it).",
            p.loc, p.name
        )],
        _ => Vec::new(),
    }
}

/// Binds the local peer address of every active section.
pub fn bind_all(cfg: &Config) -> Result<Vec<PeersListener>, Vec<String>> {
    let local = local_peer_name(cfg.global.localpeer.as_deref());
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in active_sections(cfg) {
        let Some(addr) = crate::host::peer_addr(p, &local) else {
            errors.push(format!(
                "[{}] peers section '{}': local peer '{local}' has no address to listen on.",
                p.loc, p.name
            ));
            continue;
        };
        match bind_one(&BindAddr::Tcp(addr), 128) {
            Ok(socket) => out.push(PeersListener {
                section: p.name.clone(),
                socket,
            }),
            Err(e) => errors.push(format!(
                "Starting peers section '{}' ({}): cannot bind socket ({e}) for [{addr}]",
                p.name, p.loc
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Starts this thread's accept loop for a local peer address.
pub fn spawn_accept_loop(
    st: Arc<State>,
    l: &PeersListener,
    stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let sock = l.socket.for_this_thread()?;
    let section = l.section.clone();
    let st2 = st.clone();
    tokio::spawn(control_accept_loop(
        st,
        sock,
        stop,
        0,
        None,
        format!("peers '{section}'"),
        move |a, _| {
            if let Transport::Tcp(s) = &a.conn.transport {
                let _ = s.set_nodelay(true);
            }
            let (st, section) = (st2.clone(), section.clone());
            let live = a.live.clone();
            st2.live.spawn(
                live,
                async move { serve_accepted(&st, a.conn, a.live, &section).await },
                |_| {},
            );
        },
    ));
    Ok(())
}

/// What the peers applet instance of a stream is told.
fn instance<'a>(
    args: &'a [String],
    section: &'a str,
    src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
) -> Instance<'a> {
    Instance {
        service: PEERS_SERVICE,
        args,
        frontend: section,
        backend: "",
        src,
        dst,
    }
}

/// Serves one accepted peer connection to its end: the applet on si[1],
/// through the one life cycle and forwarder.
async fn serve_accepted(st: &State, client: Box<Connection>, live: Arc<LiveStream>, section: &str) {
    let mut s = match Stream::new(&st.pools.stream, client, live::NONE, live) {
        Ok(s) => s,
        Err(_) => return,
    };
    let src = s.si[0].conn().and_then(|c| c.from);
    let dst = s.si[0].conn_mut().and_then(|c| c.dst());
    let args = [section.to_string(), "accept".to_string()];
    let reg = st.kicks.register(s.uniq_id);
    // At accept, before any byte: si[1] is the applet, never a connection.
    if let Err(e) = lifecycle::attach(st, &mut s, 1, &instance(&args, section, src, dst)) {
        tracing::warn!("peers '{section}': {e}");
        return;
    }
    let timeouts = SideTimeouts::both(Some(IDLE_TIMEOUT));
    lifecycle::serve(
        st,
        &mut s,
        1,
        PEERS_SERVICE,
        Some(reg.kick.clone()),
        timeouts,
    )
    .await;
}

/// Opens a stream to peer `peer` of `section` for the applet's connection
/// `token`; returns the stream's id. Called from an applet, on a worker.
pub fn open_peer_stream(
    st: &Arc<State>,
    section: &str,
    peer: &str,
    token: u64,
) -> Result<u64, String> {
    let p = st
        .config
        .peers
        .iter()
        .find(|p| p.name == section)
        .ok_or_else(|| format!("no peers section '{section}'"))?;
    let addr = crate::host::peer_addr(p, peer)
        .ok_or_else(|| format!("peers section '{section}' has no peer '{peer}' with an address"))?;
    tokio::runtime::Handle::try_current()
        .map_err(|_| "peer_connect called outside a worker".to_string())?;
    let live = st.live.register(LiveInfo {
        fe: live::NONE,
        listener_id: 0,
        proto: if addr.is_ipv6() { "tcpv6" } else { "tcpv4" },
        src: None,
        local: None,
    });
    let id = live.id;
    let args = [
        section.to_string(),
        "connect".to_string(),
        peer.to_string(),
        token.to_string(),
    ];
    // Created here, so that a refusal reaches the caller at once.
    let adapter = match lifecycle::create(st, &instance(&args, section, None, Some(addr)), id) {
        Ok(a) => a,
        Err(e) => {
            st.live.forget(&live);
            return Err(e);
        }
    };
    let reg = st.kicks.register(id);
    let st2 = st.clone();
    let record = live.clone();
    st.live.spawn(
        live,
        async move { serve_outgoing(&st2, record, adapter, addr, reg).await },
        |_| {},
    );
    Ok(id)
}

/// Runs an outgoing peer session: the applet on si[0], the connection to
/// the peer on si[1].
async fn serve_outgoing(
    st: &State,
    live: Arc<LiveStream>,
    adapter: crate::applet::AppletAdapter,
    addr: SocketAddr,
    reg: kick::Registered,
) {
    let Ok(mut s) = Stream::without_client(&st.pools.stream, live::NONE, live) else {
        // No stream to run it in: the applet learns its connection failed.
        let mut app = AppCtx::new(Box::new(adapter));
        let side = AppletSide::with_kick(&mut app, Some(reg.kick.clone()));
        side.input_done();
        drop(side);
        app.applet().release();
        return;
    };
    // si[0] is the applet; si[1] gets its connection now, the first time
    // something needs the peer's address.
    lifecycle::attach_adapter(&mut s, 0, adapter);
    let kick = Some(reg.kick.clone());
    if connect(st, &mut s, addr).await {
        let timeouts = SideTimeouts::both(Some(IDLE_TIMEOUT));
        lifecycle::serve(st, &mut s, 0, PEERS_SERVICE, kick, timeouts).await;
    } else {
        // The applet learns its connection failed: its next call sees its
        // input closed and empty (the section then schedules a retry).
        let failure = s.si[0].endpoint_mut().appctx_mut().and_then(|app| {
            let side = AppletSide::with_kick(app, kick);
            side.input_done();
            side.failure()
        });
        lifecycle::finish(st, &mut s, 0, PEERS_SERVICE, failure, Other::Shut);
    }
    s.si[1].release_endpoint();
}

/// Gives si[1] its connection and connects it to `addr`.
async fn connect(st: &State, s: &mut Stream, addr: SocketAddr) -> bool {
    let Ok(conn) = s.si[1].alloc_conn(&st.pools.connection) else {
        return false;
    };
    conn.to = Some(addr);
    s.si[1].set_state(SiState::Con);
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(sock)) => {
            let _ = sock.set_nodelay(true);
            if let Some(c) = s.si[1].conn_mut() {
                c.from = sock.local_addr().ok();
                c.transport = Transport::Tcp(sock);
            }
            s.si[1].set_state(SiState::Est);
            true
        }
        _ => false,
    }
}
