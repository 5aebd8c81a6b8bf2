//! One life cycle for every applet the core runs: HTTP services, TCP
//! services, the CLI, peer sessions (accepted and outgoing) and the peers
//! sync task.
//!
//! The steps, in order:
//!
//! 1. [`attach`] (or [`create`] then [`attach_adapter`]): make the
//!    instance from its service, tell it which stream it serves
//!    (`set_stream`), register it on the given stream interface
//!    (`register_handler`, which frees whatever endpoint was there: rule
//!    6) and set that side EST.
//! 2. Run it: [`drive`] moves bytes between the applet and the
//!    connection on the stream's other side through the one forwarder
//!    ([`crate::stream::forward`]); HTTP services run their exchange on an
//!    [`AppletSide`] instead, the sync task its timer loop.
//! 3. [`finish`]: run the release hook (so that a failing `release` is
//!    seen), count a failure of any call ([`count_failure`]), half-close
//!    the other side when the stream ends with the applet, and
//!    `unregister_handler`.
//!
//! Panics and errors of every call are contained by the applet pipe (and
//! inside the SDK); whatever failed is counted once, here, globally and
//! per service.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::applet::adapter::StreamNames;
use crate::applet::AppletAdapter;
use crate::kick::Kick;
use crate::state::State;
use crate::stream::forward::{forward, FwdEnd, SideTimeouts, Totals};
use crate::stream::side::AppletSide;
use crate::stream::{SiState, Stream};

/// Which instance to make, and what it is told about its stream.
#[derive(Debug, Clone, Copy)]
pub struct Instance<'a> {
    /// The service name (`stats-cli`, `peers`, a `use-service` name).
    pub service: &'a str,
    /// Its constructor's arguments.
    pub args: &'a [String],
    /// The frontend and backend names it sees (`GLOBAL` for the CLI, the
    /// section for peers).
    pub frontend: &'a str,
    pub backend: &'a str,
    /// The client and local addresses it sees.
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
}

/// Makes the instance for stream `id`. A refusal (unknown service, a
/// constructor that failed) is returned, not counted: the caller says
/// what it means for its stream.
pub fn create(st: &State, inst: &Instance<'_>, id: u64) -> Result<AppletAdapter, String> {
    let names = StreamNames::new(inst.frontend, inst.backend, inst.src, inst.dst);
    create_named(st, inst, id, Arc::new(names))
}

/// [`create`] with the stream's names already made (HTTP services: once
/// per client connection, for all its requests).
pub fn create_named(
    st: &State,
    inst: &Instance<'_>,
    id: u64,
    names: Arc<StreamNames>,
) -> Result<AppletAdapter, String> {
    let mut a = st
        .applets
        .create_adapter(inst.service, inst.args, super::services::table())?;
    a.set_stream(id, names);
    Ok(a)
}

/// Registers an instance on `s.si[side]` and sets that side EST.
pub fn attach_adapter(s: &mut Stream, side: usize, adapter: AppletAdapter) {
    s.si[side].register_handler(Box::new(adapter));
    s.si[side].set_state(SiState::Est);
}

/// [`create`] then [`attach_adapter`].
pub fn attach(st: &State, s: &mut Stream, side: usize, inst: &Instance<'_>) -> Result<(), String> {
    let adapter = create(st, inst, s.uniq_id)?;
    attach_adapter(s, side, adapter);
    Ok(())
}

/// How a driven applet stream ended.
#[derive(Debug)]
pub struct Driven {
    pub end: FwdEnd,
    /// `req`: from si[0] to si[1]; `res`: from si[1] to si[0].
    pub totals: Totals,
    /// Why the applet pipe failed (a panic, a failed call), if it did.
    pub failure: Option<String>,
}

/// Forwards between the applet on `s.si[side]` and the connection on the
/// other side until one ends, fails or stays idle past `timeouts`. `kick`
/// also calls the applet when rung (peers). `None` when the stream has
/// no applet there or no connection opposite.
pub async fn drive(
    st: &State,
    s: &mut Stream,
    side: usize,
    kick: Option<Arc<Kick>>,
    timeouts: SideTimeouts,
) -> Option<Driven> {
    let size = st.config.global.bufsize;
    let [si0, si1] = &mut s.si;
    let (app_si, conn_si) = if side == 0 { (si0, si1) } else { (si1, si0) };
    let app = app_si.endpoint_mut().appctx_mut()?;
    let conn = &mut conn_si.conn_mut()?.transport;
    let mut applet = AppletSide::with_kick(app, kick);
    let mut totals = Totals::default();
    let end = if side == 0 {
        forward(&mut applet, conn, timeouts, size, &mut totals).await
    } else {
        forward(conn, &mut applet, timeouts, size, &mut totals).await
    };
    Some(Driven {
        end,
        totals,
        failure: applet.failure(),
    })
}

/// What [`finish`] does to the stream's other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Other {
    /// Leave it (an HTTP client stays for its next request).
    Keep,
    /// The stream ends with the applet: half-close the connection there.
    Shut,
}

/// Runs the release hook of the applet on `s.si[side]`, counts a failure
/// (`pipe_failure`, or one the applet reports), half-closes the other
/// side if asked, and unregisters the applet. Returns the failure.
pub fn finish(
    st: &State,
    s: &mut Stream,
    side: usize,
    service: &str,
    pipe_failure: Option<String>,
    other: Other,
) -> Option<String> {
    let failure = match s.si[side].endpoint_mut().appctx_mut() {
        Some(app) => {
            // Released here, not in the drop of its context, so that a
            // `release` that panics or fails is seen and counted.
            app.applet().release();
            pipe_failure.or_else(|| app.failure())
        }
        None => pipe_failure,
    };
    if let Some(why) = &failure {
        count_failure(st, service, why);
    }
    if other == Other::Shut {
        if let Some(c) = s.si[1 - side].conn_mut() {
            let _ = c.transport.shutdown_write();
        }
    }
    s.si[side].unregister_handler();
    failure
}

/// Counts a failed applet call, globally and for its service, and logs it
/// with the service's running total.
pub fn count_failure(st: &State, service: &str, why: &str) {
    st.applet_failures.fetch_add(1, Ordering::Relaxed);
    let n = st.applets.record_failure(service);
    tracing::warn!("{why} [failures of service '{service}': {n}]");
}

/// The whole cycle for an applet that serves a connection on the other
/// side of `s` as a byte stream (TCP services, the CLI, peer sessions):
/// [`drive`], then [`finish`] with the other side half-closed.
pub async fn serve(
    st: &State,
    s: &mut Stream,
    side: usize,
    service: &str,
    kick: Option<Arc<Kick>>,
    timeouts: SideTimeouts,
) -> Option<Driven> {
    let mut driven = drive(st, s, side, kick, timeouts).await;
    let pipe_failure = driven.as_mut().and_then(|d| d.failure.take());
    let failure = finish(st, s, side, service, pipe_failure, Other::Shut);
    if let Some(d) = &mut driven {
        d.failure = failure;
    }
    driven
}

/// Runs the constructor of every `use-service` rule once with its
/// arguments, as a configuration check: a constructor that refuses them
/// (`Err`) is an error at the rule's `file:line` naming the service. A
/// constructor that panics is not judged here: it fails at run time,
/// counted like any failed call.
pub fn check_service_arguments(
    cfg: &crate::config::Config,
    reg: &crate::applet::AppletRegistry,
) -> Vec<String> {
    use crate::config::model_http::HttpAction;
    use crate::config::TcpAction;
    let mut errors = Vec::new();
    for p in &cfg.proxies {
        let http = p.http.request.iter().filter_map(|r| match &r.action {
            HttpAction::UseService(n, a) => Some((n, a, &r.loc, "http-request use-service")),
            _ => None,
        });
        let tcp = p.http.tcp_content.iter().filter_map(|r| match &r.action {
            TcpAction::UseService(n, a) => Some((n, a, &r.loc, "tcp-request content use-service")),
            _ => None,
        });
        for (name, args, loc, kw) in http.chain(tcp) {
            let Some(entry) = reg.service(name) else {
                continue;
            };
            if let Err(applet_sdk::AppletError::Init(m)) =
                entry.lib.create(name, args, super::services::table())
            {
                errors.push(format!(
                    "parsing [{loc}] : '{kw}' : service '{name}' refused its arguments: {m}"
                ));
            }
        }
    }
    errors
}
