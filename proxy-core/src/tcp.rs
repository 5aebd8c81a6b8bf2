//! TCP mode: a stream from accept to log line.
//!
//! Accept made the client connection; here the stream is made around it,
//! a backend and server are chosen, the server side is connected (see
//! [`crate::connect`]), bytes flow both ways until both sides are done, and
//! the tcplog line says how it ended.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::OwnedSemaphorePermit;

use crate::connect::{connect_server, release_server, ConnectInfo};
use crate::connection::{Connection, Transport};
use crate::counters::CurGuard;
use crate::error::{ErrorKind, ProxyError};
use crate::log::fields::{ClientAddr, LogCounters};
use crate::log::subscriber::traffic;
use crate::log::tcplog::{format_default_connect, format_tcplog, TcpLogRecord};
use crate::log::termination::{term_code, ErrCause, FinState};
use crate::state::{Proxy, State};
use crate::stkctr::persist::{self, Pending};
use crate::stkctr::rules::{tcp_rules, ConnView, RuleCtx, StickView, TcpVerdict};
use crate::stkctr::Trackers;
use crate::stream::forward::{forward, FwdEnd, SideTimeouts, Totals};
use crate::stream::live::LiveStream;
use crate::stream::{SiState, Stream};

/// The admission permits an accepted connection holds until its stream ends.
pub struct Permits {
    pub global: Option<OwnedSemaphorePermit>,
    pub frontend: Option<OwnedSemaphorePermit>,
}

/// Runs one TCP-mode stream to its end. `trk` holds the counters the
/// `tcp-request connection` rules tracked; `live` is
/// its record, registered at accept (`show sess`).
pub async fn run_stream(
    st: Arc<State>,
    fe_idx: usize,
    listener_id: u32,
    client: Connection,
    live: Arc<LiveStream>,
    _permits: Permits,
    mut trk: Trackers,
) {
    let Some(fe_proxy) = st.proxies.get(fe_idx) else {
        return;
    };
    let Some(fe) = fe_proxy.fe.as_ref() else {
        return;
    };
    let _act = CurGuard::enter(&st.global);
    let _fec = CurGuard::enter(&fe.counters);
    let mut s = match Stream::new(&st.pools.stream, client, fe_idx, live) {
        Ok(s) => s,
        // Rule 1: no stream, so the client connection is dropped (closed,
        // back to its pool) right here.
        Err((_conn, _e)) => return,
    };
    st.streams_total
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let client_addr = match s.si[0].conn().and_then(|c| c.from) {
        Some(a) => ClientAddr::Inet(a),
        None => ClientAddr::Unix { listener_id },
    };
    if !fe_proxy.cfg.tcplog && !fe_proxy.cfg.logs.is_empty() {
        let local = s.si[0]
            .conn_mut()
            .and_then(|c| c.dst())
            .map_or(ClientAddr::Unknown, ClientAddr::Inet);
        let mut line = String::new();
        format_default_connect(
            &client_addr,
            &local,
            &fe_proxy.name,
            fe_proxy.mode,
            &mut line,
        );
        traffic(fe_idx, &line);
    }

    let mut info = ConnectInfo::default();
    let mut totals = Totals::default();
    // tcp-request content use-service: an applet serves the connection.
    let src = s.si[0].conn().and_then(|c| c.from);
    let dst = s.si[0].conn_mut().and_then(|c| c.dst());
    let fe_ctx = RuleCtx::new(&st.stick, fe_proxy.cfg.table);
    let content = &fe_proxy.cfg.http.tcp_content;
    let verdict = if content.is_empty() {
        TcpVerdict::Continue
    } else {
        tcp_rules(fe_ctx, content, false, &mut trk, &ConnView { src, dst })
    };
    if verdict == TcpVerdict::Reject {
        s.end_with(ProxyError::new(ErrorKind::Policy).at(FinState::R));
        account(&s, Some(fe_proxy), None);
        log_stream(&st, fe_proxy, None, &s, &info, &totals, client_addr, None);
        return;
    }
    if let TcpVerdict::Service(name) = &verdict {
        let name = name.as_str();
        // Boxed: this rare path's state would otherwise be reserved in
        // every TCP stream's future, idle or not.
        let served = Box::pin(crate::tcp_service::serve(&st, fe_proxy, &mut s, name)).await;
        totals.req = served.bytes_in;
        totals.res = served.bytes_out;
        if let Some(e) = served.end {
            s.end_with(e);
        }
        let server = format!("<{}>", name.to_uppercase());
        log_stream(
            &st,
            fe_proxy,
            None,
            &s,
            &info,
            &totals,
            client_addr,
            Some(&server),
        );
        if !trk.is_empty() {
            trk.count_bytes(totals.req, totals.res, crate::counters::now_ms());
        }
        return;
    }
    let be_proxy = fe.backend.and_then(|i| st.proxies.get(i));
    match be_proxy {
        None => {
            s.end_with(ProxyError::new(ErrorKind::NoServer).at(FinState::R));
        }
        Some(bp) => {
            s.be = Some(bp.idx);
            s.sync_live();
            if let Some(be) = bp.be.as_ref() {
                let _bec = CurGuard::enter(&be.counters);
                let view = ConnView { src, dst };
                serve(
                    &st,
                    fe_proxy,
                    bp,
                    &mut s,
                    &mut info,
                    &mut totals,
                    &trk,
                    &view,
                )
                .await;
                if let Some(i) = s.srv {
                    be.servers[i]
                        .counters
                        .bytes_in
                        .fetch_add(totals.req, std::sync::atomic::Ordering::Relaxed);
                    be.servers[i]
                        .counters
                        .bytes_out
                        .fetch_add(totals.res, std::sync::atomic::Ordering::Relaxed);
                }
                be.counters
                    .bytes_in
                    .fetch_add(totals.req, std::sync::atomic::Ordering::Relaxed);
                be.counters
                    .bytes_out
                    .fetch_add(totals.res, std::sync::atomic::Ordering::Relaxed);
                count_times(be, &s);
                release_server(be, &mut s);
            }
        }
    }
    fe.counters
        .bytes_in
        .fetch_add(totals.req, std::sync::atomic::Ordering::Relaxed);
    fe.counters
        .bytes_out
        .fetch_add(totals.res, std::sync::atomic::Ordering::Relaxed);
    if !trk.is_empty() {
        trk.count_bytes(totals.req, totals.res, crate::counters::now_ms());
    }
    // Close the server side before logging, as HAProxy does, so the line's
    // counters no longer include this stream on the backend.
    s.si[1].release_endpoint();
    log_stream(
        &st,
        fe_proxy,
        be_proxy,
        &s,
        &info,
        &totals,
        client_addr,
        None,
    );
}

/// Connects and forwards; records the outcome in the stream.
#[allow(clippy::too_many_arguments)]
async fn serve(
    st: &State,
    fe: &Proxy,
    bp: &Proxy,
    s: &mut Stream,
    info: &mut ConnectInfo,
    totals: &mut Totals,
    trk: &Trackers,
    view: &ConnView,
) {
    let srv_guard;
    // Persistence: `stick match|on` may choose the server now.
    let pending = match bp.be.as_ref() {
        Some(be) if !bp.cfg.stick_rules.is_empty() => {
            let ctx = RuleCtx::new(&st.stick, bp.cfg.table);
            let view = StickView {
                inner: view,
                env: ctx.env(Some(trk)),
            };
            persist::on_request(&st.stick, &bp.cfg.stick_rules, &be.servers, s, &view)
        }
        _ => Pending::default(),
    };
    // While the server side is being reached, watch the client: a reset
    // there aborts the attempt (`CC`). Its socket is lent to the watcher
    // for that time; the destination address is read first, as the server
    // selection may need it.
    let client_t = match s.si[0].conn_mut() {
        Some(c) => {
            c.dst();
            std::mem::take(&mut c.transport)
        }
        None => Transport::None,
    };
    let outcome = tokio::select! {
        // Boxed so that the connect phase's state is not kept for the
        // whole life of the stream (it is the largest; idle streams only
        // need the forwarding state).
        r = Box::pin(connect_server(st, bp, s, info, false)) => Some(r),
        _ = client_aborted(&client_t) => None,
    };
    if let Some(c) = s.si[0].conn_mut() {
        c.transport = client_t;
    }
    let connected = match outcome {
        Some(r) => r,
        None => {
            let phase = if s.si[1].state == SiState::Que {
                FinState::Q
            } else {
                FinState::C
            };
            Err(ProxyError::new(ErrorKind::ClientAborted).at(phase))
        }
    };
    match connected {
        Ok(()) => {
            if let (Some(be), Some(i)) = (bp.be.as_ref(), s.srv) {
                persist::store(&st.stick, pending, &be.servers[i]);
            }
            srv_guard = s.srv.and_then(|i| {
                bp.be
                    .as_ref()
                    .map(|b| CurGuard::enter(&b.servers[i].counters))
            });
        }
        Err(e) => {
            s.end_with(e);
            return;
        }
    }
    let t = &fe.cfg.timeouts;
    let bt = &bp.cfg.timeouts;
    // `timeout tunnel` replaces both inactivity timeouts once the two sides
    // are connected; the backend's setting decides, as in HAProxy.
    let tunnel = bt.tunnel;
    let timeouts = SideTimeouts {
        client: tunnel.or(t.client),
        server: tunnel.or(bt.server),
        client_fin: t.client_fin,
        server_fin: bt.server_fin,
    };
    let bufsize = st.config.global.bufsize;
    let (c0, c1) = s.si.split_at_mut(1);
    let (Some(client), Some(server)) = (c0[0].conn_mut(), c1[0].conn_mut()) else {
        s.end_with(ProxyError::new(ErrorKind::Internal));
        return;
    };
    let end = forward(
        &mut client.transport,
        &mut server.transport,
        timeouts,
        bufsize,
        totals,
    )
    .await;
    let kind = match end {
        FwdEnd::Done => None,
        FwdEnd::ClientTimeout => Some(ErrorKind::ClientTimeout),
        FwdEnd::ServerTimeout => Some(ErrorKind::ServerTimeout),
        FwdEnd::ClientError(_) => Some(ErrorKind::ClientAborted),
        FwdEnd::ServerError(_) => Some(ErrorKind::ServerAborted),
    };
    if let Some(kind) = kind {
        s.end_with(ProxyError::new(kind).at(FinState::D));
        account(s, fe_of(st, s), Some(bp));
    }
    s.si[1].set_state(SiState::Dis);
    s.si[1].set_state(SiState::Clo);
    drop(srv_guard);
}

/// Adds a finished TCP stream's timers to its backend's and server's
/// averages (`qtime`, `ctime`, `ttime`; `rtime` is 0 in TCP mode).
fn count_times(be: &crate::backend::Backend, s: &Stream) {
    let acc = s.timers.accept;
    let ms = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_millis() as i64,
        _ => -1,
    };
    let t = crate::counters::StreamTimes {
        queue: ms(Some(acc), s.timers.queued),
        connect: ms(s.timers.queued, s.timers.connected),
        response: 0,
        total: Instant::now().saturating_duration_since(acc).as_millis() as i64,
    };
    be.counters.add_times(t);
    if let Some(x) = s.srv.and_then(|i| be.servers.get(i)) {
        x.counters.add_times(t);
    }
}

/// Resolves only if the client resets its connection. Data or a FIN from
/// the client is not an abort: it waits in the socket until the server side
/// is ready (HAProxy aborts on a FIN only with `option abortonclose`).
async fn client_aborted(t: &Transport) {
    if let Transport::Tcp(sock) = t {
        let mut probe = [0u8; 1];
        if sock.peek(&mut probe).await.is_err() {
            return;
        }
    }
    std::future::pending::<()>().await
}

/// Counts the stream's end where HAProxy counts it (see
/// [`ProxyError::account`]).
fn account(s: &Stream, fe: Option<&Proxy>, be: Option<&Proxy>) {
    let Some(e) = s.end() else { return };
    let fe = fe.and_then(|f| f.fe.as_ref()).map(|f| &f.counters);
    let be = be.and_then(|b| b.be.as_ref());
    let srv = be.and_then(|b| s.srv.and_then(|i| b.servers.get(i)));
    e.account(fe, be.map(|b| &b.counters), srv.map(|x| &x.counters));
}

/// The frontend of stream `s`.
fn fe_of<'a>(st: &'a State, s: &Stream) -> Option<&'a Proxy> {
    st.proxies.get(s.fe)
}

#[allow(clippy::too_many_arguments)]
fn log_stream(
    st: &State,
    fe: &Proxy,
    be: Option<&Proxy>,
    s: &Stream,
    info: &ConnectInfo,
    totals: &Totals,
    client: ClientAddr,
    applet: Option<&str>,
) {
    if !fe.cfg.tcplog || fe.cfg.logs.is_empty() {
        return;
    }
    if fe.cfg.dontlognull && totals.req == 0 && s.err() == ErrCause::None {
        return;
    }
    let now = Instant::now();
    let acc = s.timers.accept;
    let t_queue = s
        .timers
        .queued
        .map_or(-1, |q| q.saturating_duration_since(acc).as_millis() as i64);
    let t_connect = match (s.timers.queued, s.timers.connected) {
        (Some(q), Some(c)) => c.saturating_duration_since(q).as_millis() as i64,
        _ => -1,
    };
    let backend_name = be.map_or(fe.name.as_str(), |b| b.name.as_str());
    let (server_name, srv_conn) = match (be.and_then(|b| b.be.as_ref()), s.srv) {
        _ if applet.is_some() => (applet.unwrap_or("<NOSRV>"), 0),
        (Some(b), Some(i)) => (b.servers[i].name.as_str(), b.servers[i].counters.cur()),
        _ => ("<NOSRV>", 0),
    };
    let beconn = be
        .and_then(|b| b.be.as_ref())
        .map_or(0, |b| b.counters.cur());
    let fe_counters = fe.fe.as_ref().map_or(0, |f| f.counters.cur());
    let rec = TcpLogRecord {
        client,
        accept_date: s.timers.accept_date,
        frontend: &fe.name,
        backend: backend_name,
        server: server_name,
        t_queue,
        t_connect,
        t_total: now.saturating_duration_since(acc).as_millis() as i64,
        logasap: false,
        bytes_out: totals.res,
        term: term_code(s.err(), s.finst()),
        counters: LogCounters {
            actconn: st.global.cur(),
            feconn: fe_counters,
            beconn,
            srv_conn,
            retries: info.retries,
            redispatched: info.redispatched,
            srv_queue: 0,
            be_queue: info.be_queue,
        },
    };
    let mut line = String::with_capacity(160);
    format_tcplog(&rec, &mut line);
    traffic(fe.idx, &line);
}
