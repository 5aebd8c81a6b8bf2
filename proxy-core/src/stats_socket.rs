//! The stats socket (`stats socket`, `stats timeout`, `stats maxconn`):
//! HAProxy's CLI, served by the `stats-cli` applet.
//!
//! Each accepted connection is a stream (frontend `GLOBAL` in `show sess`)
//! whose si[1] gets the applet registered at accept: no server-side
//! connection is ever allocated for it (rule 2). The applet goes through
//! the one life cycle ([`crate::host::lifecycle`]) and the one forwarder,
//! as `tcp-request content use-service` does; the socket's `level`
//! is the applet's argument. The connection is closed when the applet is
//! done (end of a non-interactive request, `quit`), when the client
//! closes, or after `stats timeout` without traffic. Stats-socket
//! connections are admitted by `stats maxconn` and do not count in the
//! process's `CurrConns` (as HAProxy's CLI listeners are "unlimited").

use std::io;
use std::sync::Arc;

use tokio::sync::watch;

use crate::config::{BindAddr, Config, StatsSocket};
use crate::connection::Connection;
use crate::host::lifecycle::{self, Instance};
use crate::listener::socket::{bind_one, control_accept_loop, BoundSocket};
use crate::state::State;
use crate::stream::forward::SideTimeouts;
use crate::stream::live::{self, LiveStream};
use crate::stream::Stream;

pub use crate::applet::{CLI_SERVICE, PAGE_SERVICE};

/// A bound stats socket.
#[derive(Debug)]
pub struct CliListener {
    pub id: u32,
    pub level: String,
    pub socket: BoundSocket,
}

/// Checks that the applets the `stats` keywords need are loaded.
pub fn check_services(cfg: &Config, reg: &crate::applet::AppletRegistry) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(s) = cfg.global.stats_sockets.first() {
        if reg.service(CLI_SERVICE).is_none() {
            errors.push(format!(
                "parsing [{}] : 'stats socket' : unknown service '{CLI_SERVICE}' (no loaded applet provides it).",
                s.loc
            ));
        }
    }
    for p in &cfg.proxies {
        if p.http.stats.is_some() && p.kind.has_frontend() && reg.service(PAGE_SERVICE).is_none() {
            errors.push(format!(
                "parsing [{}] : 'stats uri' in proxy '{}' : unknown service '{PAGE_SERVICE}' (no loaded applet provides it).",
                p.loc, p.name
            ));
        }
    }
    errors
}

/// Binds every `stats socket`.
pub fn bind_all(cfg: &Config) -> Result<Vec<CliListener>, Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, s) in cfg.global.stats_sockets.iter().enumerate() {
        match bind(s) {
            Ok(socket) => out.push(CliListener {
                id: i as u32 + 1,
                level: s.level.clone(),
                socket,
            }),
            Err(e) => {
                let what = match &s.addr {
                    BindAddr::Tcp(a) => a.to_string(),
                    BindAddr::Unix(p) => p.display().to_string(),
                    BindAddr::Fd(n) => format!("fd@{n}"),
                };
                errors.push(format!(
                    "Starting [{}] stats socket: cannot bind socket ({e}) for [{what}]",
                    s.loc
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn bind(s: &StatsSocket) -> io::Result<BoundSocket> {
    let sock = bind_one(&s.addr, 128)?;
    if let (BoundSocket::Unix(_, path), Some(mode)) = (&sock, s.mode) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(sock)
}

/// Starts this thread's accept loop for a stats socket.
pub fn spawn_accept_loop(
    st: Arc<State>,
    l: &CliListener,
    stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let sock = l.socket.for_this_thread()?;
    let (lid, level) = (l.id, l.level.clone());
    st.cli_listeners
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let limit = Some(st.cli_limit.clone());
    let st2 = st.clone();
    tokio::spawn(control_accept_loop(
        st,
        sock,
        stop,
        lid,
        limit,
        format!("stats socket #{lid}"),
        move |a, permit| {
            let (st, level) = (st2.clone(), level.clone());
            let live = a.live.clone();
            st2.live.spawn(
                live,
                async move {
                    serve(&st, a.conn, a.live, &level).await;
                    drop(permit);
                },
                |_| {},
            );
        },
    ));
    Ok(())
}

/// Serves one stats-socket connection to its end.
async fn serve(st: &State, client: Box<Connection>, live: Arc<LiveStream>, level: &str) {
    let mut s = match Stream::new(&st.pools.stream, client, live::NONE, live) {
        Ok(s) => s,
        Err(_) => return,
    };
    let args = [format!("level={level}")];
    let inst = Instance {
        service: CLI_SERVICE,
        args: &args,
        frontend: "GLOBAL",
        backend: "",
        src: s.si[0].conn().and_then(|c| c.from),
        dst: s.si[0].conn_mut().and_then(|c| c.dst()),
    };
    // At accept, before any byte: si[1] is the applet, never a connection.
    if let Err(e) = lifecycle::attach(st, &mut s, 1, &inst) {
        tracing::warn!("stats socket: {e}");
        return;
    }
    // `stats timeout` is an inactivity timeout over both sides.
    let timeouts = SideTimeouts::both(Some(st.config.global.stats_timeout));
    lifecycle::serve(st, &mut s, 1, CLI_SERVICE, None, timeouts).await;
}
