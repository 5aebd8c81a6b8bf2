//! TCP mode: a stream from accept to log line.
//!
//! Accept made the client connection; here the stream is made around it,
//! a backend and server are chosen, the server side is connected (see
//! [`crate::connect`]), bytes flow both ways until both sides are done, and
//! the tcplog line says how it ended.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::OwnedSemaphorePermit;

use crate::client_watch::{tcp_client_gone, TcpWatch};
use crate::connect::{connect_server, release_server, ConnectInfo};
use crate::connection::{Connection, Transport};
use crate::counters::CurGuard;
use crate::error::{ErrorKind, ProxyError};
use crate::log::fields::{ClientAddr, LogCounters};
use crate::log::record::{LogRecord, LogView, Timers};
use crate::log::subscriber::traffic;
use crate::log::tcplog::format_default_connect;
use crate::log::termination::{term_code, ErrCause, FinState};
use crate::proxy_proto::send::PpFacts;
use crate::sample::vars::VarStore;
use crate::state::{Proxy, State};
use crate::stkctr::persist::{self, Pending};
use crate::stkctr::rules::{ConnView, RuleCtx, StickView, TcpVerdict};
use crate::stkctr::Trackers;
use crate::stream::forward::{forward, FwdEnd, SideTimeouts, Totals};
use crate::stream::live::LiveStream;
use crate::stream::{SiState, Stream};
use crate::tcp_inspect::{send_buffered, with_payload, Inspect};
use crate::tcp_response::Outcome;

/// The admission permits an accepted connection holds until its stream ends.
pub struct Permits {
    pub global: Option<OwnedSemaphorePermit>,
    pub frontend: Option<OwnedSemaphorePermit>,
    /// What counted the connection before its stream existed (a TLS
    /// handshake's embryonic count): released by [`Permits::counted`]
    /// once the stream counts itself, so it is never counted twice.
    pub precount: Option<Box<dyn Send + Sync>>,
}

impl Permits {
    /// The stream now counts itself in the current connections.
    pub fn counted(&mut self) {
        self.precount = None;
    }
}

/// Runs one TCP-mode stream to its end. `trk` holds the counters the
/// `tcp-request connection` rules tracked; `live` is
/// its record, registered at accept (`show sess`).
pub async fn run_stream(
    st: Arc<State>,
    fe_idx: usize,
    listener_id: u32,
    client: Box<Connection>,
    live: Arc<LiveStream>,
    mut permits: Permits,
    mut trk: Trackers,
) {
    let Some((fe_proxy, fe)) = st.frontend(fe_idx) else {
        return;
    };
    let _act = CurGuard::enter(&st.global);
    permits.counted();
    let _fec = CurGuard::enter(&fe.counters);
    // Rule 1: no stream, so the client connection is dropped (closed,
    // back to its pool) right here.
    let Ok(mut s) = st.open_stream(client, fe_idx, live) else {
        return;
    };
    if !st.session_rules(fe_proxy, &mut s, &mut trk, listener_id) {
        return;
    }
    let mut t = TcpSession::start(&st, fe_proxy, &mut s, listener_id);
    let client = s.si[0].conn().map(|c| &c.transport);
    let verdict = t.content_verdict(client, &s.vars, &mut trk).await;
    match verdict {
        TcpVerdict::Reject => t.reject(&mut s, &trk),
        // Boxed: this rare path's state would otherwise be reserved in
        // every TCP stream's future, idle or not.
        TcpVerdict::Service(name, args) => {
            Box::pin(t.serve_service(&mut s, &name, &args, &mut trk)).await
        }
        TcpVerdict::Continue | TcpVerdict::Wait | TcpVerdict::Close => {
            t.serve_backend(&mut s, &mut trk).await
        }
    }
}

/// What one TCP stream carries from step to step besides the [`Stream`]:
/// where it came from, how its connect went and the bytes it moved.
struct TcpSession<'a> {
    st: &'a State,
    fe: &'a Proxy,
    client: ClientAddr,
    /// The client's address and the one it reached.
    addrs: (Option<SocketAddr>, Option<SocketAddr>),
    info: ConnectInfo,
    totals: Totals,
    /// Client bytes read while the content rules inspected them, sent to
    /// the server first.
    inbuf: Vec<u8>,
    /// The client connection's TLS facts (an `ssl` bind).
    tls: Option<crate::tls::conn::TlsCell>,
    /// The PROXY header the client connection arrived with.
    pp: Option<std::sync::Arc<crate::proxy_proto::Header>>,
}

impl<'a> TcpSession<'a> {
    /// Reads the stream's addresses and logs the connection when the
    /// frontend logs without `option tcplog`.
    fn start(st: &'a State, fe: &'a Proxy, s: &mut Stream, listener_id: u32) -> Self {
        let client = match s.si[0].conn().and_then(|c| c.from) {
            Some(a) => ClientAddr::Inet(a),
            None => ClientAddr::Unix { listener_id },
        };
        let src = s.si[0].conn().and_then(|c| c.from);
        let dst = s.si[0].conn_mut().and_then(|c| c.dst());
        if fe.cfg.log_format().is_none() && !fe.cfg.logs.is_empty() {
            let local = dst.map_or(ClientAddr::Unknown, ClientAddr::Inet);
            let mut line = String::new();
            format_default_connect(&client, &local, &fe.name, fe.mode, &mut line);
            traffic(fe.idx, &line);
        }
        TcpSession {
            st,
            fe,
            client,
            addrs: (src, dst),
            info: ConnectInfo::default(),
            totals: Totals::default(),
            inbuf: Vec::new(),
            tls: s.si[0].conn().and_then(Connection::tls_cell),
            pp: s.si[0].conn().and_then(|c| c.pp.clone()),
        }
    }

    /// `tcp-request content` rules: go on, reject, or hand the stream to a
    /// service; with `tcp-request inspect-delay`, after waiting for the
    /// client data they need (see [`crate::tcp_inspect`]).
    async fn content_verdict(
        &mut self,
        client: Option<&Transport>,
        vars: &VarStore,
        trk: &mut Trackers,
    ) -> TcpVerdict {
        let content = &self.fe.cfg.http.tcp_content;
        if content.is_empty() {
            return TcpVerdict::Continue;
        }
        let g = &self.st.config.global;
        let inspect = Inspect {
            ctx: RuleCtx::new(&self.st.stick, self.fe.cfg.table),
            rules: content,
            delay: self.fe.cfg.http.inspect_delay,
            limit: g.bufsize.saturating_sub(g.maxrewrite).max(1),
        };
        let mut buf = std::mem::take(&mut self.inbuf);
        let base = self.view(Some(vars));
        let none = Transport::None;
        // Boxed: the inspection's read state would otherwise be reserved
        // in every TCP stream's future.
        let v = Box::pin(inspect.run(client.unwrap_or(&none), &base, trk, &mut buf)).await;
        self.inbuf = buf;
        v
    }

    /// What rules see of the connection (its variables when given).
    fn view<'v>(&self, vars: Option<&'v VarStore>) -> ConnView<'v> {
        ConnView {
            src: self.addrs.0,
            dst: self.addrs.1,
            vars,
            payload: None,
            tls: [self.tls.clone(), None],
            expect_proxy: Default::default(),
            pp: self.pp.clone(),
        }
    }

    /// `tcp-request content reject`: counted and logged, nothing forwarded.
    fn reject(&self, s: &mut Stream, trk: &Trackers) {
        s.end_with(ProxyError::new(ErrorKind::Policy).at(FinState::R));
        account(s, Some(self.fe), None);
        self.log(s, None, None, Some(trk));
    }

    /// `use-service`: an applet serves the connection.
    async fn serve_service(
        &mut self,
        s: &mut Stream,
        name: &str,
        args: &[String],
        trk: &mut Trackers,
    ) {
        let served = crate::tcp_service::serve(self.st, self.fe, s, name, args).await;
        self.totals.req = served.bytes_in;
        self.totals.res = served.bytes_out;
        if let Some(e) = served.end {
            s.end_with(e);
        }
        let server = format!("<{}>", name.to_uppercase());
        self.log(s, None, Some(&server), Some(trk));
        self.count_tracked(trk);
    }

    /// The frontend's backend: connect a server, forward, count and log.
    async fn serve_backend(&mut self, s: &mut Stream, trk: &mut Trackers) {
        let st = self.st;
        let be_proxy = {
            let flag = AtomicBool::new(false);
            let limit = self.inbuf.len();
            let view = with_payload(self.view(Some(&s.vars)), &self.inbuf, limit, false, &flag);
            let ctx = RuleCtx::new(&st.stick, self.fe.cfg.table);
            st.switch_backend(self.fe, ctx, trk, &view)
                .and_then(|i| st.proxies.get(i))
        };
        match be_proxy {
            None => s.end_with(ProxyError::new(ErrorKind::NoServer).at(FinState::R)),
            Some(bp) => {
                s.be = Some(bp.idx);
                s.sync_live();
                if let Some(be) = bp.be.as_ref() {
                    let _bec = CurGuard::enter(&be.counters);
                    if let Some(srv_guard) = self.connect(bp, s, trk).await {
                        self.forward(bp, s, trk).await;
                        drop(srv_guard);
                    }
                    self.count_backend(be, s);
                    release_server(be, s);
                }
            }
        }
        if let Some(fe) = self.fe.fe.as_ref() {
            fe.counters.add_bytes(self.totals.req, self.totals.res);
        }
        self.count_tracked(trk);
        // Close the server side before logging, as HAProxy does, so the
        // line's counters no longer include this stream on the backend.
        s.si[1].release_endpoint();
        self.log(s, be_proxy, None, Some(trk));
    }

    /// Brings the server side up (persistence first, then the connect
    /// while watching the client for a reset). On success the server's
    /// current-connections guard, held while data flows; on failure the
    /// stream's end says why.
    async fn connect(
        &mut self,
        bp: &'a Proxy,
        s: &mut Stream,
        trk: &Trackers,
    ) -> Option<Option<CurGuard<'a>>> {
        let st = self.st;
        // Persistence: `stick match|on` may choose the server now.
        let pending = match bp.be.as_ref() {
            Some(be) if !bp.cfg.stick_rules.is_empty() => {
                let ctx = RuleCtx::new(&st.stick, bp.cfg.table);
                // No variables: `stick` rules change the stream they are in.
                let conn = self.view(None);
                let view = StickView {
                    inner: &conn,
                    env: ctx.env(Some(trk)),
                };
                persist::on_request(&st.stick, &bp.cfg.stick_rules, &be.servers, s, &view)
            }
            _ => Pending::default(),
        };
        if let Err(e) = self.connect_watching_client(bp, s).await {
            s.end_with(e);
            return None;
        }
        let be = bp.be.as_ref()?;
        if let Some(i) = s.srv {
            persist::store(&st.stick, pending, &be.servers[i]);
        }
        Some(s.srv.map(|i| CurGuard::enter(&be.servers[i].counters)))
    }

    /// While the server side is being reached, watch the client: its
    /// leaving aborts the wait (`CQ`, `CC`; see [`crate::client_watch`]).
    /// Its socket is lent to the watcher for that time; the destination
    /// address is read first, as the server selection may need it.
    async fn connect_watching_client(
        &mut self,
        bp: &Proxy,
        s: &mut Stream,
    ) -> Result<(), ProxyError> {
        let client_t = match s.si[0].conn_mut() {
            Some(c) => {
                c.dst();
                std::mem::take(&mut c.transport)
            }
            None => Transport::None,
        };
        let sni = self.sni_values(bp, s);
        self.info.lb_key = self.lb_key_hash(bp, s);
        let dst = s.si[0].conn_mut().and_then(|c| c.dst());
        let conn = s.si[0].conn();
        let received = conn.and_then(|c| c.pp.clone());
        // The client's transport is lent to the watcher: its TLS facts
        // come from the cell kept at the start.
        let tls_cell = self.tls.clone();
        let pp = PpFacts {
            src: conn.and_then(|c| c.from),
            dst,
            received: received.as_deref(),
            tls: tls_cell.as_ref().and_then(|c| c.get()),
            unique_id: Some(b""),
        };
        let mut read = Vec::new();
        let watch = TcpWatch {
            buffered: !self.inbuf.is_empty(),
            abortonclose: bp.cfg.options.abortonclose,
            read: &mut read,
            limit: self.st.config.global.bufsize,
            live: s.live.clone(),
        };
        let outcome = tokio::select! {
            // Boxed so that the connect phase's state is not kept for the
            // whole life of the stream (it is the largest; idle streams
            // only need the forwarding state).
            r = Box::pin(connect_server(self.st, bp, s, &mut self.info, false, &sni, &pp)) => Some(r),
            _ = tcp_client_gone(&client_t, watch) => None,
        };
        // Read while watching: sent to the server before what follows.
        self.inbuf.extend_from_slice(&read);
        if let Some(c) = s.si[0].conn_mut() {
            c.transport = client_t;
        }
        outcome.unwrap_or_else(|| {
            let phase = if s.si[1].state == SiState::Que {
                // Tw is the time spent in the queue, up to the abort.
                s.timers.queued = Some(std::time::Instant::now());
                FinState::Q
            } else {
                FinState::C
            };
            Err(ProxyError::new(ErrorKind::ClientAborted).at(phase))
        })
    }

    /// The values of the backend's `sni` expressions on this stream (its
    /// variables and what the client sent so far); none without `sni`.
    fn sni_values(&self, bp: &Proxy, s: &Stream) -> Vec<Option<String>> {
        let Some(be) = bp.be.as_ref().filter(|b| !b.sni_exprs.is_empty()) else {
            return Vec::new();
        };
        let flag = AtomicBool::new(false);
        let limit = self.inbuf.len();
        let view = with_payload(self.view(Some(&s.vars)), &self.inbuf, limit, false, &flag);
        crate::tls_client::eval_snis(&be.sni_exprs, &view)
    }

    /// The hash of the stream's `balance` key (`rdp-cookie`, `hash`) in
    /// what the client sent so far; `None` without one.
    fn lb_key_hash(&self, bp: &Proxy, s: &Stream) -> Option<u32> {
        let key = bp.be.as_ref()?.lb_key.as_ref()?;
        let flag = AtomicBool::new(false);
        let limit = self.inbuf.len();
        let view = with_payload(self.view(Some(&s.vars)), &self.inbuf, limit, false, &flag);
        key.hash(&view)
    }

    /// Moves bytes both ways until both sides are done; an abort or a
    /// timeout ends the stream in the data phase.
    async fn forward(&mut self, bp: &Proxy, s: &mut Stream, trk: &mut Trackers) {
        let t = &self.fe.cfg.timeouts;
        let bt = &bp.cfg.timeouts;
        // `timeout tunnel` replaces both inactivity timeouts once the two
        // sides are connected; the backend's setting decides, as in HAProxy.
        let tunnel = bt.tunnel;
        let timeouts = SideTimeouts {
            client: tunnel.or(t.client),
            server: tunnel.or(bt.server),
            client_fin: t.client_fin,
            server_fin: bt.server_fin,
        };
        let bufsize = self.st.config.global.bufsize;
        let (c0, c1) = s.si.split_at_mut(1);
        let (Some(client), Some(server)) = (c0[0].conn_mut(), c1[0].conn_mut()) else {
            s.end_with(ProxyError::new(ErrorKind::Internal));
            return;
        };
        let sent = send_buffered(&mut server.transport, &self.inbuf).await;
        self.totals.req += self.inbuf.len() as u64;
        let mut outcome = match sent {
            Err(e) => Outcome::Failed(FwdEnd::ServerError(e)),
            Ok(()) => Outcome::Forward,
        };
        if matches!(outcome, Outcome::Forward) && !bp.cfg.tcp_res.rules.is_empty() {
            let (view, totals) = (self.view(Some(&s.vars)), &mut self.totals);
            let io = crate::tcp_response::Sides { client, server };
            // Boxed: only streams of backends with such rules need its state.
            let run = crate::tcp_response::run(self.st, bp, &view, io, trk, totals);
            outcome = Box::pin(run).await;
        }
        let end = match outcome {
            Outcome::Failed(end) => end,
            Outcome::Close => FwdEnd::Done,
            Outcome::Reject => {
                s.end_with(ProxyError::new(ErrorKind::Policy).at(FinState::D));
                crate::tcp_response::count_denied(self.fe, bp, s.srv);
                s.si[1].set_state(SiState::Dis);
                s.si[1].set_state(SiState::Clo);
                return;
            }
            Outcome::Forward => {
                // Forwarding counts its own bytes: add those the
                // inspections moved before it.
                let before = self.totals;
                let end = forward(
                    &mut client.transport,
                    &mut server.transport,
                    timeouts,
                    bufsize,
                    &mut self.totals,
                )
                .await;
                self.totals.req += before.req;
                self.totals.res += before.res;
                end
            }
        };
        let kind = match end {
            FwdEnd::Done => None,
            FwdEnd::ClientTimeout => Some(ErrorKind::ClientTimeout),
            FwdEnd::ServerTimeout => Some(ErrorKind::ServerTimeout),
            FwdEnd::ClientError(_) => Some(ErrorKind::ClientAborted),
            FwdEnd::ServerError(_) => Some(ErrorKind::ServerAborted),
        };
        if let Some(kind) = kind {
            s.end_with(ProxyError::new(kind).at(FinState::D));
            account(s, Some(self.fe), Some(bp));
        }
        s.si[1].set_state(SiState::Dis);
        s.si[1].set_state(SiState::Clo);
    }

    /// The backend's and server's byte counters and timer averages.
    fn count_backend(&self, be: &crate::backend::Backend, s: &Stream) {
        if let Some(x) = s.srv.and_then(|i| be.servers.get(i)) {
            x.counters.add_bytes(self.totals.req, self.totals.res);
        }
        be.counters.add_bytes(self.totals.req, self.totals.res);
        count_times(be, s);
    }

    /// Bytes for the counters the connection rules track.
    fn count_tracked(&self, trk: &mut Trackers) {
        if !trk.is_empty() {
            trk.count_bytes(self.totals.req, self.totals.res, crate::counters::now_ms());
        }
    }

    /// The tcplog line, when the frontend logs with `option tcplog`;
    /// `service` names the applet that served the stream.
    fn log(&self, s: &Stream, be: Option<&Proxy>, service: Option<&str>, trk: Option<&Trackers>) {
        log_stream(self, s, be, service, trk);
    }
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

/// Counts the stream's end where HAProxy counts it (see
/// [`ProxyError::account`]).
fn account(s: &Stream, fe: Option<&Proxy>, be: Option<&Proxy>) {
    let Some(e) = s.end() else { return };
    let fe = fe.and_then(|f| f.fe.as_ref()).map(|f| &f.counters);
    let be = be.and_then(|b| b.be.as_ref());
    let srv = be.and_then(|b| s.srv.and_then(|i| b.servers.get(i)));
    e.account(fe, be.map(|b| &b.counters), srv.map(|x| &x.counters));
}

fn log_stream(
    t: &TcpSession<'_>,
    s: &Stream,
    be: Option<&Proxy>,
    applet: Option<&str>,
    trk: Option<&Trackers>,
) {
    let (st, fe, info, totals) = (t.st, t.fe, &t.info, &t.totals);
    let Some(fmt) = fe.cfg.log_format() else {
        return;
    };
    if fe.cfg.logs.is_empty() {
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
    let back = s.si[1].conn();
    let rec = LogRecord {
        frontend_addr: t.addrs.1,
        backend_src: back.and_then(|c| c.from.or_else(|| c.transport.local_addr())),
        server_addr: back.and_then(|c| c.to),
        backend: backend_name,
        http_backend: false,
        server: server_name,
        timers: Timers {
            request: 0,
            queue: t_queue,
            connect: if t_queue >= 0 && t_connect >= 0 {
                t_queue + t_connect
            } else {
                -1
            },
            data: -1,
            close: now.saturating_duration_since(acc).as_millis() as i64,
            ..Timers::default()
        },
        status: 0,
        bytes_out: totals.res,
        bytes_in: totals.req,
        term: {
            let [a, b] = term_code(s.err(), s.finst());
            [a, b, b'-', b'-']
        },
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
        request_id: s.uniq_id,
        ..LogRecord::new(t.client, s.timers.accept_date, &fe.name)
    }
    .with_client_tls(s.si[0].conn());
    let mut line = Vec::with_capacity(160);
    if fmt.exprs().next().is_some() {
        let mut vars = t.view(Some(&s.vars));
        vars.tls = s.tls_cells();
        // The counters the stream tracks (`sc0_*`...), as at its end.
        let env = trk
            .filter(|k| !k.is_empty())
            .map(|k| RuleCtx::new(&st.stick, fe.cfg.table).env(Some(k)));
        let view = LogView {
            line: b"",
            src: t.addrs.0,
            dst: t.addrs.1,
            info: &vars,
            stick: env
                .as_ref()
                .map(|e| e as &dyn crate::rules::fetch_stick::StickFetches),
        };
        rec.render(fmt, Some(&view), &mut line);
    } else {
        rec.render(fmt, None, &mut line);
    }
    traffic(fe.idx, &String::from_utf8_lossy(&line));
}
