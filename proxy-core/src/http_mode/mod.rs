//! HTTP mode: a client connection carrying a sequence of transactions.
//!
//! Each request goes through the same phases, over one transaction value
//! ([`txn::Txn`]):
//! 1. head: [`request::read_head`] waits for a complete request head under
//!    HAProxy's timeouts (the connection holds no buffer while idle);
//! 2. request analysers ([`analyse`]): framing, captures, `monitor-uri`,
//!    `http_proxy`, `tcp-request content`, the `http-request` rules of the
//!    frontend then the backend, the stats page, the backend choice,
//!    persistence, `forwardfor`; they end in a route: a server, an applet,
//!    an answer of the proxy's own, or an error;
//! 3. target: a server through `alloc_conn` (a new connection or an idle
//!    one, [`target`]) or an applet through `register_handler`
//!    ([`service`], which hands an HTTP service the parsed request);
//! 4. one exchange ([`exchange`]), the same for a server and an applet;
//! 5. finish: error pages, tunnels, the idle pool, then counters and the
//!    httplog line ([`txnlog`]), and si[1] back to INI (rule 5).
//!
//! Supporting modules: `local` (answers of the proxy's own, error pages,
//! the graceful close), `route` (`http_proxy` destinations, tunnels, the
//! stats page's arguments). The I/O steps (receive buffers, the byte
//! mover, a socket or an applet as a side) are every mode's, in
//! [`crate::stream`].

mod abort_watch;
mod after_response;
mod analyse;
mod auth;
mod body_wait;
mod cookie;
mod cookie_scan;
pub mod exchange;
mod facts;
mod flow_actions;
mod local;
mod normalize_uri;
mod originalto;
mod probes;
pub mod request;
mod response_rules;
mod rewrite_actions;
mod route;
mod service;
mod target;
mod txn;
pub mod txnlog;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::config::model_http::HttpConnMode;
use crate::connection::{Connection, Transport};
use crate::counters::CurGuard;
use crate::http::framing::request_framing;
use crate::http::{ConnMode, Failure, Framing, HeadLimits, RequestHead};
use crate::log::fields::ClientAddr;
use crate::state::{Proxy, State};
use crate::stkctr::Trackers;
use crate::stream::live::LiveStream;
use crate::stream::recvbuf::{write_all, RecvBuf};
use crate::stream::Stream;
use crate::tcp::Permits;
use analyse::{Request, Route};
use local::{close_client, local_answer, local_failure, logged_len, send_error};
use request::{read_head, HeadRead, HeadTimeouts};
use txn::Txn;
pub(crate) use txnlog::refuse;
use txnlog::{count_txn, emit_log};

/// What every transaction of one client connection shares.
pub(super) struct Ctx<'a> {
    pub(super) st: &'a State,
    pub(super) fe: &'a Proxy,
    pub(super) limits: HeadLimits,
    /// `tune.bufsize`.
    pub(super) size: usize,
    /// The listener, which names a client on a unix socket in the log.
    pub(super) listener_id: u32,
    /// What applets serving this connection's requests see of it, made
    /// at the first one.
    pub(super) applet_names:
        std::sync::Mutex<Option<std::sync::Arc<crate::applet::adapter::StreamNames>>>,
}

impl<'a> Ctx<'a> {
    /// What the log line or unique id of `txn` may show.
    fn log_ctx(&self, s: &'a Stream, txn: &'a Txn, client: ClientAddr) -> txnlog::LogCtx<'a> {
        txnlog::LogCtx {
            st: self.st,
            fe: self.fe,
            s: Some(s),
            txn,
            client,
            listener_id: self.listener_id,
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
/// counters its `tcp-request connection` rules tracked; `live` is
/// its record, registered at accept (`show sess`); `permits` are held
/// until the end.
// Written out on purpose, see the comment on the block.
#[allow(clippy::manual_async_fn)]
pub fn run_stream(
    st: Arc<State>,
    fe_idx: usize,
    listener_id: u32,
    client: Box<Connection>,
    live: Arc<LiveStream>,
    permits: Permits,
    mut trk: Trackers,
) -> impl std::future::Future<Output = ()> + Send {
    // An async block rather than an async fn: an async fn moves each
    // argument into a local of its own and keeps both slots in the state
    // of every idle connection.
    async move {
        // The admission permits go when the connection does.
        let mut permits = permits;
        let Some((fe_proxy, fe)) = st.frontend(fe_idx) else {
            return;
        };
        let _act = CurGuard::enter(&st.global);
        permits.counted();
        let _fec = CurGuard::enter(&fe.counters);
        let mut s = match st.open_stream(client, fe_idx, live) {
            Ok(s) => s,
            Err(conn) => {
                // Rule 1 in HTTP: tell the client before closing.
                let client = conn
                    .from
                    .map_or(ClientAddr::Unix { listener_id }, ClientAddr::Inet);
                refuse(&st, fe_proxy, &conn.transport, client);
                return;
            }
        };
        if !st.session_rules(fe_proxy, &mut s, &mut trk, listener_id) {
            return;
        }
        let size = st.config.global.bufsize;
        let ctx = Ctx {
            st: &st,
            fe: fe_proxy,
            limits: HeadLimits {
                lenient: fe_proxy.cfg.options.accept_invalid_req,
                ..HeadLimits::from_tune(
                    size,
                    st.config.global.maxrewrite,
                    st.config.global.http_maxhdr,
                )
            },
            size,
            listener_id,
            applet_names: std::sync::Mutex::new(None),
        };
        let mut cbuf = RecvBuf::default();
        let mut first = true;
        loop {
            let wait = Instant::now();
            // Idle, the connection holds nothing but this small wait: no
            // buffer and no transaction state until the client's first byte.
            if cbuf.is_empty() {
                if let Some(c) = s.si[0].conn_mut() {
                    // Elapsed or not, the head reader tells what happened.
                    let _ = wait_first_bytes(&ctx, &mut c.transport, &mut cbuf, first, wait).await;
                }
            }
            // Each phase's state lives on the heap only while it runs: a
            // client sending its head slowly holds the head reader, not the
            // much larger state of a transaction. The head goes straight
            // into the second phase's future (its scope ends before that
            // runs, so this future keeps no slot for it).
            let keep_going = {
                let serving = {
                    let next =
                        Box::pin(next_request(&ctx, &mut s, &mut cbuf, first, wait, &mut trk));
                    next.await.map(|request| {
                        Box::pin(serve_request(&ctx, &mut s, &mut cbuf, request, &mut trk))
                    })
                };
                match serving {
                    Some(serving) => serving.await && !st.is_stopping(),
                    None => false,
                }
            };
            first = false;
            if !keep_going {
                Box::pin(close_client(&mut s, ctx.size)).await;
                return;
            }
        }
    }
}

/// The timeouts that apply while a request head is awaited.
fn head_timeouts(fe: &Proxy) -> HeadTimeouts {
    let t = &fe.cfg.timeouts;
    HeadTimeouts {
        request: t.http_request.or(t.client),
        keep_alive: t.http_keep_alive.or(t.http_request).or(t.client),
    }
}

/// Waits until the client's first bytes are in `cbuf` (or its close or an
/// error was seen) or the wait's limit passed; the head reader then tells
/// which. Readiness alone can be stale (a new socket is reported readable
/// before its first read, and so is one whose last read did not drain
/// it), so each readiness is answered with a read, whose buffer goes
/// straight back when nothing came: the wait goes on holding none.
///
/// A plain function building the future (not an async fn, which would
/// keep its arguments beside it): this is the whole state of an idle
/// connection's wait.
fn wait_first_bytes<'a>(
    ctx: &Ctx<'_>,
    client: &'a mut Transport,
    cbuf: &'a mut RecvBuf,
    first: bool,
    started: Instant,
) -> tokio::time::Timeout<impl std::future::Future<Output = ()> + 'a> {
    let to = head_timeouts(ctx.fe);
    let limit = if first {
        to.request
    } else {
        to.keep_alive.or(to.request)
    };
    // Without any limit the deadline is a year away: one type either way.
    let deadline = started + limit.unwrap_or(Duration::from_secs(365 * 86_400));
    let size = ctx.size;
    let ready = std::future::poll_fn(move |cx| cbuf.poll_fill_head(cx, client, size).map(|_| ()));
    tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), ready)
}

/// Runs one request, whose head sits at the front of `cbuf`, through its
/// phases to its log line. Returns whether the client connection stays
/// open for another.
async fn serve_request(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    (mut txn, head): (Txn, RequestHead),
    trk: &mut Trackers,
) -> bool {
    let keep_going = transaction(ctx, s, cbuf, head, &mut txn, trk).await;
    finish(ctx, s, &txn, trk);
    keep_going
}

/// Waits for the next request head. `None` when the connection ends
/// here: the client left or stayed idle, or its head was refused (then
/// answered, counted and logged already).
async fn next_request(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    first: bool,
    wait_start: Instant,
    trk: &mut Trackers,
) -> Option<(Txn, RequestHead)> {
    let to = head_timeouts(ctx.fe);
    let mut first_byte = None;
    let client_t = &mut s.si[0].conn_mut()?.transport;
    let head = read_head(
        client_t,
        cbuf,
        &ctx.limits,
        ctx.size,
        (first, wait_start),
        &to,
        &mut first_byte,
    );
    let head = head.await;
    let fb = first_byte.unwrap_or(wait_start);
    // The wall-clock date of the first byte, from how long ago it came.
    let ago = Instant::now().saturating_duration_since(fb);
    let date = SystemTime::now()
        .checked_sub(ago)
        .unwrap_or_else(SystemTime::now);
    let mut txn = Txn::new(date, fb, first);
    txn.idle_ms = fb.saturating_duration_since(wait_start).as_millis() as i64;
    txn.uniq_id = if first {
        s.uniq_id
    } else {
        ctx.st.live.next_id()
    };
    match head {
        HeadRead::Head(h) => {
            txn.head_done = Some(Instant::now());
            txn.bytes_in = h.len as u64;
            if !trk.is_empty() {
                trk.count_http_request(crate::counters::now_ms());
            }
            Some((txn, h))
        }
        HeadRead::Idle => None,
        HeadRead::Fail(f) if probes::ignored(ctx.fe, cbuf, &f) => None,
        HeadRead::Fail(f) => {
            // 2.6's `dontlognull` also hides a timeout before any byte
            // (after a PROXY header or not).
            let silent = first_byte.is_none() && matches!(f, Failure::RequestTimeout);
            head_failed(ctx, s, &mut txn, f, trk, silent).await;
            None
        }
    }
}

/// A request head that never came right: its answer (if any), counters
/// and log line.
async fn head_failed(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    txn: &mut Txn,
    f: Failure,
    trk: &Trackers,
    silent: bool,
) {
    let o = f.outcome();
    if let Some(msg) = o.message(true) {
        if let Some(c) = s.si[0].conn() {
            let _ = write_all(&c.transport, msg).await;
        }
        txn.bytes_out = logged_len(&o, msg);
    }
    txn.status = i32::from(o.status());
    txn.end = Some(o.end);
    if !txn.is_null() {
        let now = crate::counters::now_ms();
        trk.count_http_request(now);
        trk.count_http_error(now);
    }
    if let Some(e) = &txn.end {
        e.account(ctx.fe.fe.as_ref().map(|f| &f.counters), None, None);
    }
    if !((txn.is_null() || silent) && ctx.fe.cfg.dontlognull) {
        let client = client_addr(ctx, s);
        emit_log(&ctx.log_ctx(s, txn, client));
    }
}

/// Handles one request whose head sits at the front of `cbuf`, through
/// its phases. Returns whether the client connection stays open for
/// another request.
async fn transaction(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    head: RequestHead,
    txn: &mut Txn,
    trk: &mut Trackers,
) -> bool {
    capture_request(ctx, cbuf, &head, txn);
    let framing = match framing(cbuf, &head) {
        Ok(f) => f,
        Err(f) => {
            // HAProxy 2.6 refuses these heads in the H1 mux, before a
            // stream exists: the log shows `<BADREQ>`, `%TR` -1 and no
            // captures, as for an unparsable head.
            txn.request_line = None;
            txn.head_done = None;
            txn.req_captures.clear();
            txn.res_captures.clear();
            return local_failure(s, txn, f).await;
        }
    };
    let (src, dst) = (
        s.si[0].conn().and_then(|c| c.from),
        s.si[0].conn_mut().and_then(|c| c.dst()),
    );
    let mut req = Request {
        head,
        framing,
        src,
        dst,
        edits: Default::default(),
        pending: Default::default(),
        body: None,
        body_raw: None,
    };
    if ctx.fe.cfg.http.buffer_request {
        if let Some(c) = s.si[0].conn_mut() {
            body_wait::buffer_body(ctx, &mut c.transport, cbuf, &mut req, txn.first_byte).await;
        }
    }
    let bp = match analyse::frontend(ctx, s, cbuf, &mut req, txn, trk).await {
        Route::Backend(bp) => bp,
        other => return conclude(ctx, s, cbuf, &mut req, txn, trk, other).await,
    };
    s.be = Some(bp.idx);
    s.sync_live();
    txn.backend = Some(bp.idx);
    let Some(be) = bp.be.as_ref() else {
        return false;
    };
    // The backend's current sessions, from its choice to the end.
    let _bec = CurGuard::enter(&be.counters);
    // A backend's own `option http-buffer-request` waits for the body
    // before its rules.
    if bp.cfg.http.buffer_request && req.body.is_none() {
        if let Some(c) = s.si[0].conn_mut() {
            body_wait::buffer_body(ctx, &mut c.transport, cbuf, &mut req, txn.first_byte).await;
        }
    }
    match analyse::backend(ctx, bp, s, cbuf, &mut req, txn, trk).await {
        Route::Backend(bp) => target::serve_server(ctx, bp, s, cbuf, &mut req, txn, trk).await,
        other => conclude(ctx, s, cbuf, &mut req, txn, trk, other).await,
    }
}

/// A request that no server of a backend answers: the proxy itself, an
/// applet, or an error page.
async fn conclude(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    txn: &mut Txn,
    trk: &Trackers,
    route: Route<'_>,
) -> bool {
    match route {
        Route::Answer(a) => local_answer(ctx, s, cbuf, req, txn, a).await,
        Route::Tarpit(a) => flow_actions::tarpit(ctx, s, cbuf, req, txn, a).await,
        Route::Reject => flow_actions::reject(txn),
        Route::Service(call) => service::serve_applet(ctx, s, cbuf, req, txn, call, trk).await,
        Route::Error(end) => {
            let keep = analyse::keep_before_body(ctx, req);
            cbuf.consume(req.head.len);
            send_error(ctx, None, s, txn, end, keep).await
        }
        Route::Fatal(end, be) => send_error(ctx, be, s, txn, end, None).await,
        Route::Fail(f) => local_failure(s, txn, f).await,
        Route::Done(keep) => keep,
        // Not a route `conclude` is given: a backend goes to its server.
        Route::Backend(_) => false,
    }
}

/// The end of every transaction: counters and the log line, then rule 5:
/// the server side goes back to INI with no endpoint.
fn finish(ctx: &Ctx<'_>, s: &mut Stream, txn: &Txn, trk: &mut Trackers) {
    // The stream's counters: bytes, then the stream's own trackers go
    // (conn_cur down); the connection's stay for the next request.
    if !trk.is_empty() {
        trk.finish_stream(txn.bytes_in, txn.bytes_out, crate::counters::now_ms());
    }
    count_txn(ctx.st, ctx.fe, Some(s), txn);
    // `set-src` changed the client's address for this request only.
    let client = client_addr(ctx, s);
    let client = txn.src.map_or(client, ClientAddr::Inet);
    emit_log(&ctx.log_ctx(s, txn, client));
    s.new_transaction();
}

/// The client's address as the log shows it.
fn client_addr(ctx: &Ctx<'_>, s: &Stream) -> ClientAddr {
    match s.si[0].conn().and_then(|c| c.from) {
        Some(a) => ClientAddr::Inet(a),
        None => ClientAddr::Unix {
            listener_id: ctx.listener_id,
        },
    }
}

/// The request line and `capture request header` values, for the log;
/// the response block (`{|}` when empty) is printed for every request
/// that reached the stream, local answers included.
fn capture_request(ctx: &Ctx<'_>, cbuf: &RecvBuf, head: &RequestHead, txn: &mut Txn) {
    let fe = ctx.fe;
    if !fe.cfg.logs.is_empty() {
        // `tune.http.logurilen` bounds what the log keeps (HAProxy's
        // `%HV` etc. then read the cut line).
        let line = head.request_line(cbuf.data());
        let keep = ctx.st.config.global.http_logurilen;
        txn.request_line = Some(line[..line.len().min(keep)].to_vec());
    }
    for cap in &fe.cfg.http.capture_request {
        let v = head
            .headers
            .iter()
            .find(|h| h.is(cbuf.data(), cap.name.as_bytes()))
            .map(|h| h.value(cbuf.data()));
        let v = v.unwrap_or(b"");
        txn.req_captures.push(v[..v.len().min(cap.len)].to_vec());
    }
    txn.res_captures = vec![Vec::new(); fe.cfg.http.capture_response.len()];
}

/// The request's framing; the part of a chunked body that came with the
/// head is checked at once, as HAProxy's H1 mux parses all it has
/// received: a bad chunk there ends the request before any server is
/// chosen or connected.
fn framing(cbuf: &RecvBuf, head: &RequestHead) -> Result<Framing, Failure> {
    let framing = request_framing(cbuf.data(), head).map_err(Failure::BadRequestFraming)?;
    let body = &cbuf.data()[head.len..];
    if framing.body != crate::http::BodyKind::Chunked || body.is_empty() {
        return Ok(framing);
    }
    let mut dec = crate::http::ChunkedDecoder::default();
    match dec.advance(body) {
        Ok(_) => Ok(framing),
        Err(e) => Err(Failure::BadRequestBodyWithHead(e)),
    }
}
