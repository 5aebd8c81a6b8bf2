//! The stats socket (`stats socket`, `stats timeout`, `stats maxconn`):
//! HAProxy's CLI, served by the `stats-cli` applet.
//!
//! Each accepted connection is a stream (frontend `GLOBAL` in `show sess`)
//! whose si[1] gets the applet registered at accept: no server-side
//! connection is ever allocated for it (rule 2). Client bytes go to the
//! applet's input and its output back to the client through the same
//! forwarders as `tcp-request content use-service`; the socket's `level`
//! is the applet's argument. The connection is closed when the applet is
//! done (end of a non-interactive request, `quit`), when the client
//! closes, or after `stats timeout` without traffic. Stats-socket
//! connections are admitted by `stats maxconn` and do not count in the
//! process's `CurrConns` (as HAProxy's CLI listeners are "unlimited").

use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::{BindAddr, Config, StatsSocket};
use crate::connection::{Connection, Transport};
use crate::http::BodyKind;
use crate::http_mode::body::{BodyError, BodyFwd};
use crate::http_mode::recvbuf::RecvBuf;
use crate::http_mode::side::{AppletSide, SideIo};
use crate::listener::{bind_one, control_accept_loop, BoundSocket};
use crate::state::State;
use crate::stream::live::{self, LiveStream};
use crate::stream::{SiState, Stream};

/// The service that answers on stats sockets.
pub const CLI_SERVICE: &str = "stats-cli";
/// The service that serves `stats uri`.
pub const PAGE_SERVICE: &str = "stats-page";

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
async fn serve(st: &State, client: Connection, live: Arc<LiveStream>, level: &str) {
    let mut s = match Stream::new(&st.pools.stream, client, live::NONE, live) {
        Ok(s) => s,
        Err(_) => return,
    };
    let src = s.si[0].conn().and_then(|c| c.from);
    let dst = s.si[0].conn_mut().and_then(|c| c.dst());
    let args = [format!("level={level}")];
    let mut adapter =
        match st
            .applets
            .create_adapter(CLI_SERVICE, &args, crate::applet::host::table())
        {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("stats socket: {e}");
                return;
            }
        };
    adapter.set_stream(s.uniq_id, "GLOBAL", "", src, dst);
    // At accept, before any byte: si[1] is the applet, never a connection.
    s.si[1].register_handler(Box::new(adapter));
    s.si[1].set_state(SiState::Est);
    let size = st.config.global.bufsize;
    let timeout = st.config.global.stats_timeout;
    let failure = {
        let (c0, c1) = s.si.split_at_mut(1);
        let (Some(cc), Some(app)) = (c0[0].conn_mut(), c1[0].endpoint_mut().appctx_mut()) else {
            return;
        };
        let client: &mut Transport = &mut cc.transport;
        let mut side = AppletSide::new(app);
        drive(client, &mut side, size, timeout).await;
        let failure = side.failure();
        drop(side);
        app.applet().release();
        failure.or_else(|| app.failure())
    };
    if let Some(why) = failure {
        crate::http_mode::count_failure(st, CLI_SERVICE, &why);
    }
    if let Some(c) = s.si[0].conn_mut() {
        let _ = c.transport.shutdown_write();
    }
    s.si[1].unregister_handler();
}

/// Moves bytes both ways until the applet is done, the client is gone or
/// nothing moved for `timeout`.
pub(crate) async fn drive(
    client: &mut Transport,
    side: &mut AppletSide<'_>,
    size: usize,
    timeout: Duration,
) {
    let mut cbuf = RecvBuf::default();
    let mut abuf = RecvBuf::default();
    let mut up = BodyFwd::new(BodyKind::UntilClose);
    let mut down = BodyFwd::new(BodyKind::UntilClose);
    let mut input_done = false;
    let mut last = tokio::time::Instant::now();
    let sleep = tokio::time::sleep_until(last + timeout);
    tokio::pin!(sleep);
    poll_fn(|cx| loop {
        let mut act = crate::http_mode::body::Activity::default();
        if !up.is_done() {
            match up.poll(cx, &mut *client, &mut cbuf, &*side, size, &mut act) {
                Poll::Ready(Ok(())) | Poll::Pending => {}
                Poll::Ready(Err(_)) => return Poll::Ready(()),
            }
        }
        if up.is_done() && !input_done {
            input_done = true;
            side.input_done();
        }
        match down.poll(cx, &mut *side, &mut abuf, &*client, size, &mut act) {
            Poll::Ready(Ok(())) => return Poll::Ready(()),
            Poll::Pending => {}
            Poll::Ready(Err(BodyError::Write(_)) | Err(_)) => return Poll::Ready(()),
        }
        let now = tokio::time::Instant::now();
        if act.read || act.wrote {
            last = now;
        }
        let deadline = last + timeout;
        if deadline <= now {
            return Poll::Ready(());
        }
        if deadline != sleep.deadline() {
            sleep.as_mut().reset(deadline);
        }
        match std::future::Future::poll(sleep.as_mut(), cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) => continue,
        }
    })
    .await
}
