//! HTTP mode: a client connection carrying a sequence of transactions.
//!
//! - [`request`]: waiting for request heads, the rule view, `http-request`
//!   rules and local answers.
//! - [`exchange`]: one request/response exchange with a server (or an
//!   applet: the server side is a [`crate::stream::side::SideIo`]); bodies
//!   go through [`crate::stream::mover`].
//! - [`txnlog`]: counters and the httplog line at the end of a transaction.
//! - [`service`]: `use-service`: an applet answers instead of a server.
//! - `local`: answers the proxy writes itself (error pages, rule answers,
//!   head failures) and the graceful close of a client connection.
//! - `route`: `option http_proxy` destinations, tunnels, the stats page.
//! - this file: the transaction loop: backend choice, server connection
//!   (reused from the idle pool or connected), logging, and the end of each
//!   transaction, which releases si[1] and resets it to INI (rule 5) after
//!   parking a reusable server connection in the idle pool.

pub mod exchange;
mod local;
pub mod request;
mod route;
pub mod service;
pub mod txnlog;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::config::model_http::{HttpConnMode, HttpReuse};
use crate::connect::{connect_server, release_server, ConnectInfo};
use crate::connection::Connection;
use crate::counters::CurGuard;
use crate::http::connection_header::plan_request;
use crate::http::framing::{request_framing, RequestInfo};
use crate::http::rewrite::write_request_head;
use crate::http::{ConnMode, Edit, Failure, ForwardPlan, HeadLimits, RequestHead};
use crate::log::fields::ClientAddr;
use crate::log::termination::{ErrCause, FinState};
use crate::state::{Proxy, State};
use crate::stkctr::persist::{self, Pending};
use crate::stkctr::rules::{tcp_rules, RuleCtx, StickView, TcpVerdict};
use crate::stkctr::Trackers;
use crate::stream::recvbuf::{write_all, RecvBuf, SendQueue};
use crate::stream::{sess_flags, Stream};
use crate::tcp::Permits;
use exchange::{ExchangeResult, ExchangeSpec};
use local::{
    answer_cause, client_transport, close_client, error_page, local_answer, local_failure,
    logged_len,
};
use request::{read_head, request_rules, HeadRead, HeadTimeouts, OwnedEdit, Verdict};
use route::{http_proxy_address, stats_args, tunnel};
pub(crate) use txnlog::refuse;
use txnlog::{count_txn, emit_log};

/// What one transaction looked like, for its log line.
pub(super) struct TxnLog {
    pub(super) request_date: SystemTime,
    pub(super) first_byte: Instant,
    pub(super) head_done: Option<Instant>,
    pub(super) status: i32,
    pub(super) bytes_out: u64,
    /// Request bytes received (the head; bodies are not counted yet).
    pub(super) bytes_in: u64,
    pub(super) err: ErrCause,
    pub(super) finst: FinState,
    pub(super) request_line: Option<Vec<u8>>,
    pub(super) backend: Option<usize>,
    /// The applet that served the request (logged `<NAME>` as the server).
    pub(super) applet: Option<String>,
    pub(super) info: ConnectInfo,
    pub(super) response_at: Option<Instant>,
    pub(super) first_request: bool,
    /// `capture request header` values, in declaration order.
    pub(super) req_captures: Vec<Vec<u8>>,
    /// `capture response header` values (all empty without a response).
    pub(super) res_captures: Vec<Vec<u8>>,
    /// The client address `set-src` gave this request (logged instead of
    /// the connection's).
    pub(super) src: Option<SocketAddr>,
}

impl TxnLog {
    /// A request whose first byte came at `first_byte` (`request_date` on
    /// the wall clock); nothing known of it yet.
    pub(super) fn new(
        request_date: SystemTime,
        first_byte: Instant,
        first_request: bool,
    ) -> TxnLog {
        TxnLog {
            request_date,
            first_byte,
            head_done: None,
            status: -1,
            bytes_out: 0,
            bytes_in: 0,
            err: ErrCause::None,
            finst: FinState::None,
            request_line: None,
            backend: None,
            applet: None,
            info: ConnectInfo::default(),
            response_at: None,
            first_request,
            req_captures: Vec::new(),
            res_captures: Vec::new(),
            src: None,
        }
    }
}

pub(super) fn conn_mode(m: HttpConnMode) -> ConnMode {
    match m {
        HttpConnMode::KeepAlive => ConnMode::KeepAlive,
        HttpConnMode::ServerClose => ConnMode::ServerClose,
        HttpConnMode::Close => ConnMode::Close,
    }
}

/// The more closing of two modes applies, as HAProxy combines frontend
/// and backend options.
fn combine(a: ConnMode, b: ConnMode) -> ConnMode {
    let rank = |m| match m {
        ConnMode::KeepAlive => 0,
        ConnMode::ServerClose => 1,
        ConnMode::Close => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// Runs one HTTP-mode client connection to its end. `trk` holds the
/// counters its `tcp-request connection` rules tracked.
pub async fn run_stream(
    st: Arc<State>,
    fe_idx: usize,
    listener_id: u32,
    client: Connection,
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
    let mut s = match Stream::new(&st.pools.stream, client, fe_idx) {
        Ok(s) => s,
        Err((conn, _)) => {
            // Rule 1 in HTTP: tell the client before closing.
            let client = conn
                .from
                .map_or(ClientAddr::Unix { listener_id }, ClientAddr::Inet);
            refuse(&st, fe_proxy, &conn.transport, client);
            return;
        }
    };
    st.streams_total.fetch_add(1, Ordering::Relaxed);
    let src = s.si[0].conn().and_then(|c| c.from);
    let dst = s.si[0].conn_mut().and_then(|c| c.dst());
    let client_addr = match src {
        Some(a) => ClientAddr::Inet(a),
        None => ClientAddr::Unix { listener_id },
    };
    let size = st.config.global.bufsize;
    let limits = HeadLimits::from_tune(
        size,
        st.config.global.maxrewrite,
        crate::http::head::DEFAULT_MAX_HDR,
    );
    let mut cbuf = RecvBuf::default();
    let mut first = true;
    loop {
        let Some(conn) = s.si[0].conn_mut() else {
            return;
        };
        let client_t = &mut conn.transport;
        let t = &fe_proxy.cfg.timeouts;
        let to = HeadTimeouts {
            request: t.http_request.or(t.client),
            keep_alive: t.http_keep_alive.or(t.http_request).or(t.client),
        };
        let wait_start = Instant::now();
        let wait_date = SystemTime::now();
        let mut first_byte = None;
        let head = read_head(
            client_t,
            &mut cbuf,
            &limits,
            size,
            first,
            &to,
            &mut first_byte,
        )
        .await;
        let fb = first_byte.unwrap_or(wait_start);
        let request_date = wait_date + fb.saturating_duration_since(wait_start);
        let mut log = TxnLog::new(request_date, fb, first);
        let head = match head {
            HeadRead::Head(h) => h,
            HeadRead::Idle => return,
            HeadRead::Fail(f) => {
                let o = f.outcome();
                if let Some(msg) = o.message(true) {
                    log.bytes_out = logged_len(&o, msg);
                    let _ = write_all(&*client_t, msg).await;
                }
                log.status = i32::from(o.status);
                (log.err, log.finst) = (o.cause, o.finst);
                let nothing = matches!(
                    f,
                    Failure::ClientAbortedHead {
                        received_bytes: false
                    }
                );
                if !nothing {
                    fe.counters.failed_req.fetch_add(1, Ordering::Relaxed);
                    let now = crate::counters::now_ms();
                    trk.count_http_request(now);
                    trk.count_http_error(now);
                }
                if !(nothing && fe_proxy.cfg.dontlognull) {
                    emit_log(&st, fe_proxy, Some(&s), &log, client_addr);
                }
                close_client(&mut s, size).await;
                return;
            }
        };
        log.head_done = Some(Instant::now());
        log.bytes_in = head.len as u64;
        first = false;
        if !trk.is_empty() {
            trk.count_http_request(crate::counters::now_ms());
        }
        let keep_going = transaction(
            &st, fe_proxy, &mut s, &mut cbuf, head, src, dst, &limits, &mut log, &mut trk,
        )
        .await;
        // The stream's counters: bytes, then the stream's own trackers go
        // (conn_cur down); the connection's stay for the next request.
        if !trk.is_empty() {
            trk.finish_stream(log.bytes_in, log.bytes_out, crate::counters::now_ms());
        }
        count_txn(&st, fe_proxy, Some(&s), &log);
        // `set-src` changed the client's address for this request only.
        let client = log.src.map_or(client_addr, ClientAddr::Inet);
        emit_log(&st, fe_proxy, Some(&s), &log, client);
        // Rule 5: the server side goes back to INI with no endpoint.
        s.new_transaction();
        if !keep_going || st.is_stopping() {
            close_client(&mut s, size).await;
            return;
        }
    }
}

/// Handles one request whose head sits at the front of `cbuf`. Returns
/// whether the client connection stays open for another request.
#[allow(clippy::too_many_arguments)]
async fn transaction(
    st: &State,
    fe_proxy: &Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    head: RequestHead,
    mut src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
    limits: &HeadLimits,
    log: &mut TxnLog,
    trk: &mut Trackers,
) -> bool {
    if !fe_proxy.cfg.logs.is_empty() {
        log.request_line = Some(head.request_line(cbuf.data()).to_vec());
    }
    for cap in &fe_proxy.cfg.http.capture_request {
        let v = head
            .headers
            .iter()
            .find(|h| h.is(cbuf.data(), cap.name.as_bytes()))
            .map(|h| h.value(cbuf.data()));
        let v = v.unwrap_or(b"");
        log.req_captures.push(v[..v.len().min(cap.len)].to_vec());
    }
    // HAProxy prints the response block (`{|}` when empty) for every
    // request that reached the stream, local answers included.
    log.res_captures = vec![Vec::new(); fe_proxy.cfg.http.capture_response.len()];
    let framing = request_framing(cbuf.data(), &head)
        .map_err(Failure::BadRequestFraming)
        .and_then(|f| check_early_chunks(&f, &cbuf.data()[head.len..]).map(|()| f));
    let framing = match framing {
        Ok(f) => f,
        Err(e) => {
            // HAProxy 2.6 refuses these heads in the H1 mux, before a
            // stream exists: the log shows `<BADREQ>`, `%TR` -1 and no
            // captures, as for an unparsable head.
            log.request_line = None;
            log.head_done = None;
            log.req_captures.clear();
            log.res_captures.clear();
            return local_failure(s, log, e).await;
        }
    };
    let http = &fe_proxy.cfg.http;
    let default_be = fe_proxy.fe.as_ref().and_then(|f| f.backend);
    // monitor-uri: answered before any rule.
    if let Some(uri) = &http.monitor_uri {
        if head.target(cbuf.data()) == uri.as_bytes() {
            let bytes = crate::http::error_response(200).to_vec();
            return local_answer(s, cbuf, &head, &framing, log, bytes, 200, ErrCause::Local).await;
        }
    }
    // option http_proxy: the destination is in the absolute URI; reading it
    // is the first touch of the server side's address, so the connection
    // is allocated now (rule 3) — even if a rule then hands the request to
    // an applet, whose registration frees it again (rule 6).
    if http.http_proxy {
        if let Some(done) = http_proxy_address(fe_proxy, None, st, s, cbuf, &head, log).await {
            return done;
        }
    }
    let fe_ctx = RuleCtx::new(&st.stick, fe_proxy.cfg.table);
    let mut vbase = request::ViewBase {
        head: &head,
        src,
        dst,
        st,
        default_backend: default_be,
    };
    let verdict = {
        let mut view = vbase.at(cbuf.data());
        // tcp-request content rules run first (each request is a stream):
        // counters and accept/reject; a use-service there is for TCP mode.
        if !http.tcp_content.is_empty()
            && tcp_rules(fe_ctx, &http.tcp_content, false, trk, &view) == TcpVerdict::Reject
        {
            log.status = -1;
            (log.err, log.finst) = (ErrCause::PrxCond, FinState::R);
            if let Some(f) = fe_proxy.fe.as_ref() {
                f.counters.denied.fetch_add(1, Ordering::Relaxed);
            }
            return false;
        }
        let v = request_rules(http, &mut view, fe_ctx, trk);
        (v, view.src)
    };
    let verdict = take_src(log, &mut src, &mut vbase, verdict);
    let mut edits = match verdict {
        Verdict::Forward(e) => e,
        Verdict::Respond {
            bytes,
            status,
            deny,
        } => {
            let cause = answer_cause(deny, &[fe_proxy.fe.as_ref().map(|f| &f.counters)]);
            return local_answer(s, cbuf, &head, &framing, log, bytes, status, cause).await;
        }
        Verdict::Service(name) => {
            let (edits, name) = name;
            return service::serve(
                st, fe_proxy, s, cbuf, &head, &framing, &edits, limits, src, dst, log, &name,
            )
            .await;
        }
    };
    // stats uri: the stats page answers (after the rules, so that a deny
    // still blocks it; after http_proxy, whose connection the applet's
    // registration frees: rule 6).
    if let Some(sc) = http.stats.as_ref() {
        let view = vbase.at(cbuf.data());
        if let Some(args) = stats_args(fe_proxy, sc, &view) {
            let call = service::ServiceCall {
                name: crate::applet::PAGE_SERVICE,
                args: &args,
                log_name: "stats",
            };
            return service::serve_with(
                st, fe_proxy, s, cbuf, &head, &framing, &edits, limits, src, dst, log, &call,
            )
            .await;
        }
    }
    // Backend: the first matching use_backend, else the default.
    let be_idx = {
        let view = vbase.at(cbuf.data());
        fe_proxy
            .cfg
            .use_backends
            .iter()
            .find(|u| fe_ctx.cond(u.cond.as_ref(), trk, &view))
            .and_then(|u| st.backend_index(&u.backend))
            .or(default_be)
    };
    // Whether the client connection survives an error answered before the
    // request body was read (nothing to drain: no body).
    let fe_close = conn_mode(http.conn_mode) == ConnMode::Close;
    let keep_if_complete = framing.keep_alive && !fe_close;
    let kept = |keep: bool| keep.then_some(framing.version);
    let bodyless = matches!(framing.body, crate::http::BodyKind::None);
    let Some(bp) = be_idx.and_then(|i| st.proxies.get(i)) else {
        log.status = 503;
        let keep = keep_if_complete && bodyless;
        let msg = error_page(fe_proxy, None, 503, kept(keep));
        log.bytes_out = msg.logged;
        (log.err, log.finst) = (ErrCause::SrvCl, FinState::C);
        cbuf.consume(head.len);
        return write_all(client_transport(s), &msg.bytes).await.is_ok() && keep;
    };
    s.be = Some(bp.idx);
    s.sync_live();
    log.backend = Some(bp.idx);
    let Some(be) = bp.be.as_ref() else {
        return false;
    };
    let _bec = CurGuard::enter(&be.counters);
    // The backend's own `http-request` rules, after the frontend's (a
    // `listen` section ran its rules as the frontend already).
    if bp.idx != fe_proxy.idx && !bp.cfg.http.request.is_empty() {
        let be_ctx = RuleCtx {
            px_table: bp.cfg.table,
            ..fe_ctx
        };
        let verdict = {
            let mut view = vbase.at(cbuf.data());
            let v = request_rules(&bp.cfg.http, &mut view, be_ctx, trk);
            (v, view.src)
        };
        let verdict = take_src(log, &mut src, &mut vbase, verdict);
        match verdict {
            Verdict::Forward(e) => edits.extend(e),
            Verdict::Respond {
                bytes,
                status,
                deny,
            } => {
                // As HAProxy: the frontend counts it, and the backend it
                // was assigned to.
                let fe_counters = fe_proxy.fe.as_ref().map(|f| &f.counters);
                let cause = answer_cause(deny, &[fe_counters, Some(&be.counters)]);
                return local_answer(s, cbuf, &head, &framing, log, bytes, status, cause).await;
            }
            Verdict::Service((e, name)) => {
                edits.extend(e);
                return service::serve(
                    st, fe_proxy, s, cbuf, &head, &framing, &edits, limits, src, dst, log, &name,
                )
                .await;
            }
        }
    }
    // Persistence: `stick match|on` may choose the server now.
    let pending = if bp.cfg.stick_rules.is_empty() {
        Pending::default()
    } else {
        let view = vbase.at(cbuf.data());
        let be_ctx = RuleCtx {
            px_table: bp.cfg.table,
            ..fe_ctx
        };
        let view = StickView {
            inner: &view,
            env: be_ctx.env(Some(&*trk)),
        };
        persist::on_request(&st.stick, &bp.cfg.stick_rules, &be.servers, s, &view)
    };

    // option http_proxy on the backend only (a frontend's was handled
    // before the rules).
    if bp.cfg.http.http_proxy && s.flags & sess_flags::ADDR_SET == 0 {
        if let Some(done) = http_proxy_address(fe_proxy, Some(bp), st, s, cbuf, &head, log).await {
            return done;
        }
    }

    // X-Forwarded-For.
    let ff = http.forwardfor.as_ref().or(bp.cfg.http.forwardfor.as_ref());
    if let (Some(ff), Some(src)) = (ff, src) {
        let excepted = ff.except.as_ref().is_some_and(|n| n.contains(src.ip()));
        let present = head
            .headers
            .iter()
            .any(|h| h.is(cbuf.data(), ff.header.as_bytes()));
        if !(excepted || (ff.if_none && present)) {
            edits.push(OwnedEdit::Add(
                ff.header.as_bytes().to_vec(),
                src.ip().to_string().into_bytes(),
            ));
        }
    }
    let mode = combine(conn_mode(http.conn_mode), conn_mode(bp.cfg.http.conn_mode));
    let mut rplan = plan_request(mode, &framing);
    // A request that came with both Transfer-Encoding and Content-Length
    // was a smuggling attempt or a broken client: TE won and CL is gone,
    // but the server may have framed it its own way, so its connection is
    // never reused (closed after the exchange instead of parked idle).
    rplan.server_close |= framing.te_and_cl;
    let mut to_server = SendQueue::default();
    {
        let e: Vec<Edit<'_>> = edits.iter().map(OwnedEdit::as_edit).collect();
        let mut plan = ForwardPlan::new(&framing, rplan.add);
        plan.remove_content_length = framing.te_and_cl;
        if write_request_head(cbuf.data(), &head, &plan, &e, &mut to_server.data).is_err() {
            return local_failure(
                s,
                log,
                Failure::BadRequestHead(crate::http::HeadError::HeaderValue),
            )
            .await;
        }
    }
    let req_info = RequestInfo::new(cbuf.data(), &head, &framing);
    // http-response rules may look at the request: keep a copy of its head
    // (only when there are such rules; the buffer moves on with the body).
    let res_rule_list: Vec<&crate::config::model_http::HttpRule> = http
        .response
        .iter()
        .chain(
            bp.cfg
                .http
                .response
                .iter()
                .filter(|_| bp.idx != fe_proxy.idx),
        )
        .collect();
    let req_copy = (!res_rule_list.is_empty()).then(|| cbuf.data()[..head.len].to_vec());
    cbuf.consume(head.len);

    // The server side: an idle connection or a new one.
    let reuse = match bp.cfg.http.reuse {
        HttpReuse::Never => false,
        // `safe`: a client's first request gets a connection of its own.
        HttpReuse::Safe => !log.first_request,
        HttpReuse::Aggressive | HttpReuse::Always => true,
    } && !rplan.server_close;
    let connected = connect_server(st, bp, s, &mut log.info, reuse).await;
    if let Err(e) = connected {
        release_server(be, s);
        let status = e.http_status();
        log.status = i32::from(status);
        log.err = e.err_cause();
        log.finst = if e.kind == crate::error::ErrorKind::QueueTimeout {
            FinState::Q
        } else {
            FinState::C
        };
        // HAProxy 2.6 answers 503 through the stream and keeps a keep-alive
        // client whose request is complete (no body left to read).
        let keep = keep_if_complete && bodyless;
        let msg = error_page(fe_proxy, Some(bp), status, kept(keep));
        log.bytes_out = msg.logged;
        return write_all(client_transport(s), &msg.bytes).await.is_ok() && keep;
    }
    if let Some(srv) = s.srv.and_then(|i| be.servers.get(i)) {
        persist::store(&st.stick, pending, srv);
    }
    // The server's current sessions (`scur`, `stot`) while it serves.
    let _srvc = s
        .srv
        .and_then(|i| be.servers.get(i))
        .map(|x| CurGuard::enter(&x.counters));
    let trk_ref: &Trackers = trk;
    let rules_fn =
        |buf: &[u8], rh: &crate::http::ResponseHead| -> Result<Vec<OwnedEdit>, request::Denied> {
            let Some(copy) = req_copy.as_deref() else {
                return Ok(Vec::new());
            };
            let view = request::ResView {
                req: vbase.at(copy),
                buf,
                head: rh,
            };
            let view = StickView {
                inner: &view,
                env: fe_ctx.env(Some(trk_ref)),
            };
            request::response_rules(&res_rule_list, &view)
        };
    let spec = ExchangeSpec {
        size: st.config.global.bufsize,
        limits: *limits,
        req_info,
        req_framing: &framing,
        fe_mode: conn_mode(http.conn_mode),
        server_close: rplan.server_close,
        res_rules: if req_copy.is_some() {
            Some(&rules_fn)
        } else {
            None
        },
        client_timeout: fe_proxy.cfg.timeouts.client,
        server_timeout: bp.cfg.timeouts.server,
        res_captures: &http.capture_response,
    };
    let mut sbuf = RecvBuf::default();
    let mut result: ExchangeResult = {
        let (c0, c1) = s.si.split_at_mut(1);
        let (Some(cc), Some(sc)) = (c0[0].conn_mut(), c1[0].conn_mut()) else {
            return false;
        };
        exchange::run(
            spec,
            &mut cc.transport,
            &mut sc.transport,
            cbuf,
            &mut sbuf,
            &mut to_server,
        )
        .await
    };
    log.response_at = result.response_at;
    if !result.res_captures.is_empty() {
        log.res_captures = std::mem::take(&mut result.res_captures);
    }
    log.bytes_out = result.bytes_out;
    log.status = if result.status == 0 {
        -1
    } else {
        i32::from(result.status)
    };
    if !trk_ref.is_empty() {
        trk_ref.count_status(log.status, crate::counters::now_ms());
    }
    if let Some((cause, fin, status)) = result.error {
        (log.err, log.finst) = (cause, fin);
        let mut keep = false;
        if let Some(code) = status {
            // Nothing reached the client yet: it gets the error page. Like
            // HAProxy 2.6 (502 `PH`/`SH`, 504 `sH`), a keep-alive client
            // whose request was entirely read stays connected; the server
            // connection is dropped.
            keep = keep_if_complete && result.request_complete;
            log.status = i32::from(code);
            let msg = error_page(fe_proxy, Some(bp), code, kept(keep));
            log.bytes_out = msg.logged;
            keep &= write_all(client_transport(s), &msg.bytes).await.is_ok();
        }
        release_server(be, s);
        return keep;
    }
    if result.tunnel {
        tunnel(st, fe_proxy, bp, s, cbuf, &mut sbuf, log).await;
        release_server(be, s);
        return false;
    }
    // Park the server connection if it can serve another request. With
    // `http-reuse never` nothing could ever take it back from the idle
    // pool (`reuse` is false for every request), so parking it would only
    // leak one open server connection per transaction: it is closed here
    // instead, as rule 5 wants the server side released at the end.
    if result.server_reusable && sbuf.is_empty() && bp.cfg.http.reuse != HttpReuse::Never {
        if let (Some(srv), Some(conn)) = (s.srv, s.si[1].take_conn()) {
            let cfg = &bp.cfg.servers[srv];
            let keep = bp
                .cfg
                .timeouts
                .server
                .map_or(cfg.pool_purge_delay, |t| t.min(cfg.pool_purge_delay));
            if let Some(server) = be.servers.get(srv) {
                crate::idle::park((bp.idx, srv), &server.conns, conn, keep);
            }
        }
    }
    release_server(be, s);
    !result.client_close
}

/// The part of a chunked body that came with the head is checked at once,
/// as HAProxy's H1 mux parses all it has received: a bad chunk there ends
/// the request before any server is chosen or connected.
fn check_early_chunks(framing: &crate::http::Framing, body: &[u8]) -> Result<(), Failure> {
    if framing.body != crate::http::BodyKind::Chunked || body.is_empty() {
        return Ok(());
    }
    let mut dec = crate::http::ChunkedDecoder::default();
    match dec.advance(body) {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::BadRequestBodyWithHead(e)),
    }
}

/// Takes over an address `set-src` gave, for the rest of this request
/// (as HAProxy 2.6, where it is the stream's: the next request on the
/// connection starts from the connection's address again): the rules'
/// views, `forwardfor` and the log line see it.
fn take_src<V>(
    log: &mut TxnLog,
    src: &mut Option<SocketAddr>,
    vbase: &mut request::ViewBase<'_>,
    (verdict, new): (V, Option<SocketAddr>),
) -> V {
    if new != *src {
        *src = new;
        vbase.src = new;
        log.src = new;
    }
    verdict
}
