//! The request analysers, in HAProxy's order: captures, `monitor-uri`,
//! `option http_proxy`, `tcp-request content`, the frontend's
//! `http-request` rules, the stats page, the backend choice; then, once a
//! backend is chosen, its own `http-request` rules, persistence, its
//! `http_proxy` and `forwardfor`. Each analyser either lets the request go
//! on or decides where it ends ([`Route`]); a new feature is one more
//! analyser in the list.

use std::net::SocketAddr;

use super::facts::Facts;
use super::local::keep_after;
use super::request::{request_rules, Verdict, View, ViewBase};
use super::route::{http_proxy_address, stats_args};
use super::service::ServiceCall;
use super::txn::Txn;
use super::Ctx;
use crate::error::{ErrorKind, ProxyError};
use crate::http::head_edit::HeadEdits;
use crate::http::{Framing, RequestHead};
use crate::log::termination::FinState;
use crate::state::Proxy;
use crate::stkctr::persist::{self, Pending};
use crate::stkctr::rules::{tcp_rules, RuleCtx, StickView, TcpVerdict};
use crate::stkctr::Trackers;
use crate::stream::recvbuf::RecvBuf;
use crate::stream::{sess_flags, Stream};

/// The request as the analysers see and change it.
pub(super) struct Request {
    pub(super) head: RequestHead,
    pub(super) framing: Framing,
    /// The client's address (`set-src` may change it for this request).
    pub(super) src: Option<SocketAddr>,
    pub(super) dst: Option<SocketAddr>,
    /// What rules changed in the head so far: rules and analysers read
    /// the request through it, and it is applied when the head goes out.
    pub(super) edits: HeadEdits,
    /// `stick store-request` entries to write once a server is chosen.
    pub(super) pending: Pending,
    /// The payload read by `option http-buffer-request` (`req.body`).
    pub(super) body: Option<Vec<u8>>,
    /// The length of the whole body as received, once it is all in the
    /// buffer (`option http-buffer-request`).
    pub(super) body_raw: Option<usize>,
}

impl Request {
    /// What rules see of the request, wherever its bytes lie now.
    pub(super) fn view_base<'a>(&'a self, ctx: &Ctx<'a>) -> ViewBase<'a> {
        ViewBase {
            head: &self.head,
            src: self.src,
            dst: self.dst,
            st: ctx.st,
            default_backend: ctx.fe.fe.as_ref().and_then(|f| f.backend),
            info: None,
            rw: (!self.edits.is_empty()).then_some(&self.edits),
        }
    }

    /// The view of the request in `buf`, in the stream `info` describes.
    fn view<'b>(&'b self, ctx: &Ctx<'b>, buf: &'b [u8], info: &'b Facts<'b>) -> View<'b> {
        let mut v = self.view_base(ctx).at(buf);
        v.info = Some(info);
        v
    }
}

/// Where a request ends up.
pub(super) enum Route<'a> {
    /// Go on: a server of this backend will answer.
    Backend(&'a Proxy),
    /// The proxy answers by itself.
    Answer(Answer),
    /// An applet answers.
    Service(ServiceCall),
    /// An error page answers; the client stays if the request had no
    /// body (no backend).
    Error(ProxyError),
    /// An error page answers (the backend's `errorfile` when given) and
    /// the client connection closes (no connection object for
    /// `http_proxy`).
    Fatal(ProxyError, Option<&'a Proxy>),
    /// The request is refused as HTTP refuses it (a bad URI).
    Fail(crate::http::Failure),
    /// Already ended (answered or refused); whether the client stays.
    Done(bool),
    /// `tarpit`: this answer, after the tarpit delay.
    Tarpit(Answer),
    /// `reject`: closed without an answer.
    Reject,
}

/// A response the proxy makes itself (`return`, `redirect`, `deny`,
/// `monitor-uri`), and how its transaction ends.
pub(super) struct Answer {
    pub(super) bytes: Vec<u8>,
    pub(super) status: u16,
    pub(super) end: ProxyError,
    /// Ends a request with a body even when all of it is here (a
    /// redirect).
    pub(super) close_on_body: bool,
}

/// The frontend's analysers, up to the choice of a backend.
pub(super) async fn frontend<'a>(
    ctx: &Ctx<'a>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    txn: &mut Txn,
    trk: &mut Trackers,
) -> Route<'a> {
    if let Some(a) = monitor_uri(ctx, cbuf, req) {
        return Route::Answer(a);
    }
    // option http_proxy: reading the destination out of the URI is the
    // first touch of the server side's address, so the connection is
    // allocated now (rule 3), even if a rule then hands the request to an
    // applet, whose registration frees it again (rule 6).
    if ctx.fe.cfg.http.http_proxy {
        if let Some(r) = http_proxy_address(ctx, None, s, cbuf, &req.head).await {
            return r;
        }
    }
    if let Some(r) = tcp_content(ctx, s, cbuf, req, txn, trk) {
        return r;
    }
    // unique-id-format: the id is made once, before the rules read it.
    if ctx.fe.cfg.unique_id_format.is_some() {
        let facts = Facts::of(ctx, s, Some(txn)).with_body(req.body.as_deref());
        let view = req.view(ctx, cbuf.data(), &facts);
        let lc = ctx.log_ctx(s, txn, super::client_addr(ctx, s));
        let id = super::txnlog::unique_id(&lc, &view);
        txn.unique_id = id;
    }
    let fe_ctx = RuleCtx::new(&ctx.st.stick, ctx.fe.cfg.table);
    let http = &ctx.fe.cfg.http;
    match run_rules(ctx, http, fe_ctx, (&mut *s, &mut *cbuf), req, txn, trk).await {
        Ok(Verdict::Forward) => {}
        Ok(other) => {
            super::cookie::on_deny(ctx, ctx.fe, s, cbuf, req, txn, &other);
            return decided(other, req);
        }
        Err(route) => return route,
    }
    // stats uri: after the rules, so that a deny still blocks it; after
    // http_proxy, whose connection the applet's registration frees.
    if let Some(call) = stats_page(ctx, cbuf, req) {
        return Route::Service(call);
    }
    let be_idx = {
        let facts = Facts::of(ctx, s, Some(txn)).with_body(req.body.as_deref());
        let view = req.view(ctx, cbuf.data(), &facts);
        ctx.st.switch_backend(ctx.fe, fe_ctx, trk, &view)
    };
    match be_idx.and_then(|i| ctx.st.proxies.get(i)) {
        Some(bp) => Route::Backend(bp),
        None => Route::Error(ProxyError::new(ErrorKind::NoServer).at(FinState::C)),
    }
}

/// The backend's analysers, once `bp` is chosen.
pub(super) async fn backend<'a>(
    ctx: &Ctx<'a>,
    bp: &'a Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    txn: &mut Txn,
    trk: &mut Trackers,
) -> Route<'a> {
    // The backend's own `http-request` rules, after the frontend's (a
    // `listen` section ran its rules as the frontend already).
    if bp.idx != ctx.fe.idx && !bp.cfg.http.request.is_empty() {
        let be_ctx = RuleCtx::new(&ctx.st.stick, bp.cfg.table);
        let http = &bp.cfg.http;
        match run_rules(ctx, http, be_ctx, (&mut *s, &mut *cbuf), req, txn, trk).await {
            Ok(Verdict::Forward) => {}
            Ok(other) => {
                super::cookie::on_deny(ctx, bp, s, cbuf, req, txn, &other);
                return decided(other, req);
            }
            Err(route) => return route,
        }
    }
    super::cookie::on_request(ctx, bp, s, cbuf, req, &mut txn.cookie);
    req.pending = persistence(ctx, bp, s, cbuf, req, trk);
    // option http_proxy on the backend only (a frontend's ran already).
    if bp.cfg.http.http_proxy && s.flags & sess_flags::ADDR_SET == 0 {
        if let Some(r) = http_proxy_address(ctx, Some(bp), s, cbuf, &req.head).await {
            return r;
        }
    }
    forwardfor(ctx, bp, cbuf, req);
    super::originalto::add_original_to(ctx.fe, bp, req);
    Route::Backend(bp)
}

/// `monitor-uri`: answered before any rule.
fn monitor_uri(ctx: &Ctx<'_>, cbuf: &RecvBuf, req: &Request) -> Option<Answer> {
    let uri = ctx.fe.cfg.http.monitor_uri.as_ref()?;
    (req.head.target(cbuf.data()) == uri.as_bytes()).then(|| Answer {
        bytes: crate::http::error_response(200).to_vec(),
        status: 200,
        end: ProxyError::new(ErrorKind::Local).at(FinState::R),
        close_on_body: false,
    })
}

/// `tcp-request content` rules run first (each request is a stream):
/// counters and accept/reject; a `use-service` there is for TCP mode.
/// A reject closes the connection without an answer.
fn tcp_content<'a>(
    ctx: &Ctx<'a>,
    s: &Stream,
    cbuf: &RecvBuf,
    req: &Request,
    txn: &mut Txn,
    trk: &mut Trackers,
) -> Option<Route<'a>> {
    let rules = &ctx.fe.cfg.http.tcp_content;
    if rules.is_empty() {
        return None;
    }
    let fe_ctx = RuleCtx::new(&ctx.st.stick, ctx.fe.cfg.table);
    let verdict = {
        let facts = Facts::of(ctx, s, Some(txn)).with_body(req.body.as_deref());
        let view = req.view(ctx, cbuf.data(), &facts);
        tcp_rules(fe_ctx, rules, false, trk, &view)
    };
    if verdict != TcpVerdict::Reject {
        return None;
    }
    txn.ended(ProxyError::new(ErrorKind::Policy).at(FinState::R), -1, 0);
    Some(Route::Done(false))
}

/// Runs one proxy's `http-request` rules with the waits `wait-for-body`
/// asks for, then sends the early hints they made: the verdict, or the
/// route when the transaction ended on the way (a 408 when the body did
/// not come in time, as HAProxy 2.6).
async fn run_rules<'a>(
    ctx: &Ctx<'_>,
    http: &crate::config::model_http::HttpConfig,
    rctx: RuleCtx<'_>,
    (s, cbuf): (&mut Stream, &mut RecvBuf),
    req: &mut Request,
    txn: &mut Txn,
    trk: &mut Trackers,
) -> Result<Verdict, Route<'a>> {
    loop {
        let verdict = rules(ctx, http, rctx, (&*s, &*cbuf), req, txn, trk);
        if !super::flow_actions::send_early_hints(s, txn, req.framing.version).await {
            return Err(Route::Done(false));
        }
        let Verdict::WaitBody { time, at_least } = verdict else {
            return Ok(verdict);
        };
        let deadline = Some(std::time::Instant::now() + time);
        let at_least = at_least.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let Some(c) = s.si[0].conn_mut() else {
            return Err(Route::Done(false));
        };
        let client = &mut c.transport;
        let wait = (deadline, at_least);
        if !super::body_wait::buffer_body_until(ctx, client, cbuf, req, wait).await {
            let end = ProxyError::new(ErrorKind::ClientTimeout).at(FinState::R);
            return Err(Route::Fatal(end.answer(Some(408)), None));
        }
    }
}

/// Runs one proxy's `http-request` rules on the request. `set-src` gives
/// the request a new client address for the rest of it (as HAProxy 2.6:
/// the next request on the connection starts from the connection's
/// address again): later rules, `forwardfor` and the log line see it.
fn rules(
    ctx: &Ctx<'_>,
    http: &crate::config::model_http::HttpConfig,
    rctx: RuleCtx<'_>,
    (s, cbuf): (&Stream, &RecvBuf),
    req: &mut Request,
    txn: &mut Txn,
    trk: &mut Trackers,
) -> Verdict {
    let mut edits = std::mem::take(&mut req.edits);
    let mut knobs = std::mem::take(&mut txn.knobs);
    let (verdict, src, dst) = {
        let facts = Facts::of(ctx, s, Some(txn)).with_body(req.body.as_deref());
        let mut view = req.view(ctx, cbuf.data(), &facts);
        let v = request_rules(http, &mut view, rctx, trk, (&mut edits, &mut knobs));
        (v, view.src, view.dst)
    };
    req.edits = edits;
    super::flow_actions::store_captures(&mut knobs, &ctx.fe.cfg.http.capture_request, txn);
    txn.knobs = knobs;
    if src != req.src {
        req.src = src;
        txn.src = src;
    }
    if dst != req.dst {
        // `set-dst*`: for this request, as `set-src` (logs and a
        // port-less server see it).
        req.dst = dst;
        txn.dst = dst;
    }
    verdict
}

/// A rule's verdict other than `Forward`, as a route; a service gets the
/// head as rules left it.
fn decided<'a>(v: Verdict, req: &mut Request) -> Route<'a> {
    match v {
        Verdict::Respond {
            bytes,
            status,
            deny,
            redirect,
        } => {
            let kind = if deny {
                ErrorKind::Policy
            } else {
                ErrorKind::Local
            };
            Route::Answer(Answer {
                bytes,
                status,
                end: ProxyError::new(kind).at(FinState::R),
                close_on_body: redirect,
            })
        }
        Verdict::Service((name, args)) => {
            let mut call = ServiceCall::named(name, std::mem::take(&mut req.edits));
            call.args = args;
            Route::Service(call)
        }
        // Handled by `run_rules`: neither reaches here.
        Verdict::Forward | Verdict::WaitBody { .. } => Route::Done(false),
        Verdict::Reject => Route::Reject,
        Verdict::BadRequest => Route::Fatal(
            ProxyError::new(ErrorKind::Policy)
                .at(FinState::R)
                .answer(Some(400)),
            None,
        ),
        Verdict::Tarpit { bytes, status } => Route::Tarpit(Answer {
            bytes,
            status,
            end: ProxyError::new(ErrorKind::Policy).at(FinState::T),
            close_on_body: false,
        }),
    }
}

/// The stats page, when `stats uri` matches.
fn stats_page(ctx: &Ctx<'_>, cbuf: &RecvBuf, req: &mut Request) -> Option<ServiceCall> {
    let sc = ctx.fe.cfg.http.stats.as_ref()?;
    let args = stats_args(ctx.fe, sc, &req.view_base(ctx).at(cbuf.data()))?;
    Some(ServiceCall::stats_page(
        args,
        std::mem::take(&mut req.edits),
    ))
}

/// `stick match|on`: may choose the server now; entries to store once one
/// is chosen are kept.
fn persistence(
    ctx: &Ctx<'_>,
    bp: &Proxy,
    s: &mut Stream,
    cbuf: &RecvBuf,
    req: &Request,
    trk: &Trackers,
) -> Pending {
    let Some(be) = bp.be.as_ref() else {
        return Pending::default();
    };
    if bp.cfg.stick_rules.is_empty() {
        return Pending::default();
    }
    // No stream facts: `stick` rules change the stream they would borrow.
    let view = req.view_base(ctx).at(cbuf.data());
    let be_ctx = RuleCtx::new(&ctx.st.stick, bp.cfg.table);
    let view = StickView {
        inner: &view,
        env: be_ctx.env(Some(trk)),
    };
    persist::on_request(&ctx.st.stick, &bp.cfg.stick_rules, &be.servers, s, &view)
}

/// `option forwardfor`: the client's address in a header for the server.
fn forwardfor(ctx: &Ctx<'_>, bp: &Proxy, cbuf: &RecvBuf, req: &mut Request) {
    let ff = ctx.fe.cfg.http.forwardfor.as_ref();
    let (Some(ff), Some(src)) = (ff.or(bp.cfg.http.forwardfor.as_ref()), req.src) else {
        return;
    };
    let excepted = ff.except.as_ref().is_some_and(|n| n.contains(src.ip()));
    let present = req
        .head
        .headers
        .iter()
        .any(|h| h.is(cbuf.data(), ff.header.as_bytes()));
    if !(excepted || (ff.if_none && present)) {
        let value = src.ip().to_string().into_bytes();
        req.edits
            .add(&req.head.headers, ff.header.as_bytes(), value);
    }
}

/// Whether an error answered before the request body was read leaves the
/// client connection open (only when there is no body to drain).
pub(super) fn keep_before_body(ctx: &Ctx<'_>, req: &Request) -> Option<crate::http::Version> {
    let bodyless = matches!(req.framing.body, crate::http::BodyKind::None);
    keep_after(ctx.fe, &req.framing, bodyless)
}
