//! The target of a request and the one exchange with it: a server of the
//! chosen backend (an idle connection or a new one, through `alloc_conn`),
//! or an applet in a server's place ([`super::service`]). Both get the
//! request the same way ([`plan`]) and go through the same exchange
//! ([`exchange_with`]), whose response is parsed, checked, kept alive,
//! counted and logged alike.

use super::after_response::RuleSets;
use super::analyse::Request;
use super::exchange::{self, ExchangeResult, ExchangeSpec};
use super::local::{keep_after, send_error};
use super::request::{self, ResView};
use super::route::tunnel;
use super::txn::Txn;
use super::{combine, conn_mode, Ctx};
use crate::config::model_http::HttpReuse;
use crate::connect::release_server;
use crate::connection::Transport;
use crate::counters::CurGuard;
use crate::http::connection_header::plan_request;
use crate::http::framing::RequestInfo;
use crate::http::head_edit::{write_request_edited, HeadEdits};
use crate::http::{ConnMode, Failure, ForwardPlan, HeadError};
use crate::proxy_proto::send::PpFacts;
use crate::state::Proxy;
use crate::stkctr::persist;
use crate::stkctr::rules::RuleCtx;
use crate::stkctr::Trackers;
use crate::stream::recvbuf::{RecvBuf, SendQueue};
use crate::stream::side::SideIo;
use crate::stream::Stream;

/// The request as it goes to a target, and what the exchange needs that
/// the target decides.
pub(super) struct Plan<'r> {
    pub(super) req: &'r Request,
    /// The request head as it goes out (with the body bytes already here).
    pub(super) to_server: SendQueue,
    pub(super) req_info: RequestInfo,
    /// `http-response` rules to run on the final response head (the
    /// backend's, then the frontend's), then `http-after-response` ones.
    pub(super) res_rules: [RuleSets<'r>; 2],
    /// A copy of the request head for those rules (none without rules).
    pub(super) req_copy: Option<Vec<u8>>,
    pub(super) server_close: bool,
    pub(super) server_timeout: Option<std::time::Duration>,
    /// The head went out as it came (the request's spans fit `to_server`).
    pub(super) as_is: bool,
    /// The target answers as the proxy itself (an applet).
    pub(super) local: bool,
    /// Cookie persistence's response step (a server of a backend with
    /// `cookie`, or a frontend with `capture cookie`).
    pub(super) cookie: Option<super::cookie::CookieResponse<'r>>,
}

/// Writes the request head for the target and consumes it from `cbuf`.
/// An applet (`as_received`) reads it as it came when nothing changes it;
/// a server always gets it rebuilt (lower-case names, as HAProxy sends).
pub(super) fn plan<'r>(
    mode: ConnMode,
    cbuf: &mut RecvBuf,
    req: &'r Request,
    res_rules: [RuleSets<'r>; 2],
    as_received: bool,
    pretend_keepalive: bool,
) -> Result<Plan<'r>, Failure> {
    let framing = &req.framing;
    let mut rplan = plan_request(mode, framing);
    // `option http-pretend-keepalive`: the server is told keep-alive
    // (some close otherwise) though its connection still closes after.
    if pretend_keepalive && rplan.server_close && !framing.tokens.upgrade {
        rplan.add = (!framing.version.is_11()).then_some(&b"keep-alive"[..]);
    }
    // A request that came with both Transfer-Encoding and Content-Length
    // was a smuggling attempt or a broken client: TE won and CL is gone,
    // but the server may have framed it its own way, so its connection is
    // never reused (closed after the exchange instead of parked idle).
    rplan.server_close |= framing.te_and_cl;
    let mut fplan = ForwardPlan::new(framing, rplan.add);
    fplan.remove_content_length = framing.te_and_cl;
    let mut to_server = SendQueue::default();
    let head = &req.head;
    let unchanged = req.edits.is_empty() && fplan.skip.is_empty() && fplan.content_length.is_none();
    let as_is = as_received && unchanged && head.start == 0;
    if as_is {
        // Nothing to change: the applet reads the head as it came, without
        // the cost of rebuilding it.
        to_server.data.extend_from_slice(&cbuf.data()[..head.len]);
    } else {
        write_request_edited(cbuf.data(), head, &fplan, &req.edits, &mut to_server.data)
            .map_err(|_| Failure::BadRequestHead(HeadError::HeaderValue))?;
    }
    let req_info = RequestInfo::new(cbuf.data(), head, framing);
    let has_rules = res_rules.iter().any(|r| !r.is_empty());
    let req_copy = has_rules.then(|| cbuf.data()[..head.len].to_vec());
    cbuf.consume(head.len);
    Ok(Plan {
        req,
        to_server,
        req_info,
        res_rules,
        req_copy,
        server_close: rplan.server_close,
        server_timeout: None,
        as_is,
        local: false,
        cookie: None,
    })
}

/// The two receive buffers of an exchange: the client's (which outlives
/// the transaction: pipelined requests) and the target's.
pub(super) struct Bufs<'b> {
    pub(super) client: &'b mut RecvBuf,
    pub(super) server: RecvBuf,
}

/// The parts of a stream response rules read, borrowed beside its
/// endpoints.
pub(super) struct StreamParts<'a> {
    pub(super) vars: &'a crate::sample::vars::VarStore,
    pub(super) be: Option<usize>,
    pub(super) srv: Option<usize>,
    pub(super) tls: [Option<crate::tls::conn::TlsCell>; 2],
    pub(super) pp: Option<std::sync::Arc<crate::proxy_proto::Header>>,
}

impl<'a> StreamParts<'a> {
    fn facts(self, ctx: &Ctx<'a>, txn: &'a Txn) -> super::facts::Facts<'a> {
        super::facts::Facts {
            st: ctx.st,
            fe: ctx.fe,
            be: self.be.or(txn.backend),
            srv: self.srv,
            listener_id: ctx.listener_id,
            vars: self.vars,
            unique_id: txn.unique_id.as_deref(),
            req_captures: &txn.req_captures,
            res_captures: &txn.res_captures,
            body: None,
            tls: self.tls,
            pp: self.pp,
        }
    }
}

/// Runs the one exchange with the target `server` and records its result
/// on the transaction.
pub(super) async fn exchange_with<S: SideIo + ?Sized>(
    ctx: &Ctx<'_>,
    (client, server): (&mut Transport, &mut S),
    stream: StreamParts<'_>,
    bufs: &mut Bufs<'_>,
    plan: &mut Plan<'_>,
    txn: &mut Txn,
    trk: &Trackers,
) -> ExchangeResult {
    let req = plan.req;
    // `option accept-invalid-http-response` on the backend.
    let lenient_response = stream
        .be
        .and_then(|i| ctx.st.proxies.get(i))
        .is_some_and(|p| p.cfg.options.accept_invalid_res);
    let fe_ctx = RuleCtx::new(&ctx.st.stick, ctx.fe.cfg.table);
    let facts = stream.facts(ctx, txn);
    let mut vbase = req.view_base(ctx);
    vbase.info = Some(&facts);
    let [rules, after] = &plan.res_rules;
    let copy = plan.req_copy.as_deref();
    let cookie = plan.cookie.as_ref();
    // What the rules note for the transaction (log level, captures),
    // kept until the exchange is over.
    let res_knobs = std::sync::Mutex::new(super::flow_actions::Knobs::default());
    let rules_fn =
        |buf: &[u8], rh: &crate::http::ResponseHead| -> Result<HeadEdits, request::Denied> {
            let mut edits = HeadEdits::default();
            let Some(copy) = copy else {
                if let Some(c) = cookie {
                    c.apply(buf, rh, &mut edits);
                }
                return Ok(edits);
            };
            let view = ResView {
                req: vbase.at(copy),
                buf,
                head: rh,
                rw: None,
            };
            let env = fe_ctx.env(Some(trk));
            let mut guard = res_knobs.lock().unwrap_or_else(|p| p.into_inner());
            let knobs = &mut *guard;
            for set in rules {
                super::response_rules::response_rules(set, &view, env, &mut edits, knobs)?;
            }
            // As 2.6: the persistence cookie after `http-response` rules,
            // before `http-after-response` ones.
            if let Some(c) = cookie {
                c.apply(buf, rh, &mut edits);
            }
            for set in after {
                super::response_rules::response_rules(set, &view, env, &mut edits, knobs)?;
            }
            Ok(edits)
        };
    let spec = ExchangeSpec {
        size: ctx.size,
        limits: crate::http::HeadLimits {
            lenient: lenient_response,
            ..ctx.limits
        },
        req_info: plan.req_info,
        req_framing: &req.framing,
        fe_mode: conn_mode(ctx.fe.cfg.http.conn_mode),
        server_close: plan.server_close,
        res_rules: (copy.is_some() || cookie.is_some())
            .then_some(&rules_fn as &exchange::ResRules<'_>),
        client_timeout: ctx.fe.cfg.timeouts.client,
        server_timeout: plan.server_timeout,
        res_captures: &ctx.fe.cfg.http.capture_response,
        local: plan.local,
    };
    let to_server = &mut plan.to_server;
    let (cbuf, sbuf) = (&mut *bufs.client, &mut bufs.server);
    let mut result = exchange::run(spec, client, server, cbuf, sbuf, to_server).await;
    txn.response_at = result.response_at;
    if !result.res_captures.is_empty() {
        txn.res_captures = std::mem::take(&mut result.res_captures);
    }
    let knobs = res_knobs.into_inner().unwrap_or_else(|p| p.into_inner());
    super::flow_actions::store_response_knobs(knobs, &ctx.fe.cfg.http.capture_response, txn);
    txn.bytes_out = result.bytes_out;
    txn.status = if result.status == 0 {
        -1
    } else {
        i32::from(result.status)
    };
    result
}

/// A server of `bp` answers: connect (or take an idle connection), one
/// exchange, then the end of the server side (error page, tunnel, idle
/// pool). Returns whether the client connection stays open.
pub(super) async fn serve_server(
    ctx: &Ctx<'_>,
    bp: &Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    txn: &mut Txn,
    trk: &mut Trackers,
) -> bool {
    let Some(be) = bp.be.as_ref() else {
        return false;
    };
    let pending = std::mem::take(&mut req.pending);
    wait_post_body(ctx, bp, s, cbuf, req, txn).await;
    let sni = sni_values(ctx, be, s, cbuf, req, txn);
    txn.info.lb_key = lb_key_hash(ctx, be, s, cbuf, req, txn);
    let http = &ctx.fe.cfg.http;
    let mode = combine(conn_mode(http.conn_mode), conn_mode(bp.cfg.http.conn_mode));
    let res_rules = super::after_response::rule_sets(ctx.fe, Some(bp));
    let pretend = bp.cfg.options.pretend_keepalive;
    let mut plan = match plan(mode, cbuf, req, res_rules, false, pretend) {
        Ok(p) => p,
        Err(f) => return super::local::local_failure(s, txn, f).await,
    };
    plan.server_timeout = txn.knobs.server_timeout.or(bp.cfg.timeouts.server);
    let reuse = match bp.cfg.http.reuse {
        HttpReuse::Never => false,
        // `safe`: a client's first request gets a connection of its own.
        HttpReuse::Safe => !txn.first_request,
        HttpReuse::Aggressive | HttpReuse::Always => true,
    } && !plan.server_close;
    txn.info.client = txn.src.map(|a| a.ip());
    txn.info.dst = txn.dst;
    let received = s.si[0].conn().and_then(|c| c.pp.clone());
    let tls_cell = s.tls_cells()[0].clone();
    let pp = PpFacts {
        src: req.src,
        dst: req.dst,
        received: received.as_deref(),
        tls: tls_cell.as_ref().and_then(|c| c.get()),
        unique_id: Some(txn.unique_id.as_deref().unwrap_or_default()),
    };
    let on = (plan.req, &*cbuf);
    let connect = super::abort_watch::connect_watching(
        (ctx.st, bp),
        s,
        on,
        &mut txn.info,
        (reuse, &sni),
        &pp,
    );
    if let Err(e) = connect.await {
        release_server(be, s);
        if e.kind == crate::error::ErrorKind::ClientAborted {
            // The client left (see abort_watch): nothing to answer.
            txn.ended(e, -1, 0);
            return false;
        }
        // HAProxy 2.6 answers through the stream and keeps a keep-alive
        // client whose request is complete (no body left to read).
        let keep = super::analyse::keep_before_body(ctx, plan.req);
        return send_error(ctx, Some(bp), s, txn, e, keep).await;
    }
    let srv = s.srv.and_then(|i| be.servers.get(i));
    if let Some(srv) = srv {
        persist::store(&ctx.st.stick, pending, srv);
    }
    plan.cookie = super::cookie::CookieResponse::new(ctx.fe, bp, s, &txn.cookie);
    // The server's current sessions (`scur`, `stot`) while it serves.
    let _srvc = srv.map(|x| CurGuard::enter(&x.counters));
    let mut bufs = Bufs {
        client: cbuf,
        server: RecvBuf::default(),
    };
    let result = {
        let tls = s.tls_cells();
        let (c0, c1) = s.si.split_at_mut(1);
        let (Some(cc), Some(sc)) = (c0[0].conn_mut(), c1[0].conn_mut()) else {
            return false;
        };
        let pp = cc.pp.clone();
        let (client, server) = (&mut cc.transport, &mut sc.transport);
        let parts = StreamParts {
            vars: &s.vars,
            be: s.be,
            srv: s.srv,
            tls,
            pp,
        };
        exchange_with(ctx, (client, server), parts, &mut bufs, &mut plan, txn, trk).await
    };
    if let Some(c) = plan.cookie.take() {
        c.finish(&mut txn.cookie);
    }
    if !trk.is_empty() {
        trk.count_status(txn.status, crate::counters::now_ms());
    }
    let keep = finish_server(ctx, bp, s, &mut bufs, plan.req, txn, result).await;
    release_server(be, s);
    keep
}

/// The values of the backend's `sni` expressions for this request (none
/// when no server has `sni`), read while the head is still in `cbuf`.
fn sni_values(
    ctx: &Ctx<'_>,
    be: &crate::backend::Backend,
    s: &Stream,
    cbuf: &RecvBuf,
    req: &Request,
    txn: &Txn,
) -> Vec<Option<String>> {
    if be.sni_exprs.is_empty() {
        return Vec::new();
    }
    with_view(ctx, s, cbuf, req, txn, &mut |v| {
        crate::tls_client::eval_snis(&be.sni_exprs, v)
    })
}

/// The hash of the request's `balance` key (`uri`, `hdr`, ...), read
/// while the head is still in `cbuf`; `None` without one.
fn lb_key_hash(
    ctx: &Ctx<'_>,
    be: &crate::backend::Backend,
    s: &Stream,
    cbuf: &RecvBuf,
    req: &Request,
    txn: &Txn,
) -> Option<u32> {
    let key = be.lb_key.as_ref()?;
    with_view(ctx, s, cbuf, req, txn, &mut |v| key.hash(v))
}

/// Calls `f` with the rules' view of the request in `cbuf`.
fn with_view<R>(
    ctx: &Ctx<'_>,
    s: &Stream,
    cbuf: &RecvBuf,
    req: &Request,
    txn: &Txn,
    f: &mut dyn FnMut(&dyn crate::rules::RequestView) -> R,
) -> R {
    let parts = StreamParts {
        vars: &s.vars,
        be: s.be,
        srv: s.srv,
        tls: s.tls_cells(),
        pp: s.si[0].conn().and_then(|c| c.pp.clone()),
    };
    let facts = parts.facts(ctx, txn).with_body(req.body.as_deref());
    let mut base = req.view_base(ctx);
    base.info = Some(&facts);
    f(&base.at(cbuf.data()))
}

/// `balance url_param <p> check_post`: a POST's body is waited for (up to
/// a buffer's worth) before the server is chosen, as 2.6 does.
async fn wait_post_body(
    ctx: &Ctx<'_>,
    bp: &Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    txn: &Txn,
) {
    let lb = &bp.cfg;
    if lb.balance != crate::config::Balance::UrlParam || !lb.lb_params.check_post {
        return;
    }
    if req.body.is_some() || req.head.method(cbuf.data()) != b"POST" {
        return;
    }
    if let Some(c) = s.si[0].conn_mut() {
        super::body_wait::buffer_body(ctx, &mut c.transport, cbuf, req, txn.first_byte).await;
    }
}

/// The end of a server exchange: an error page if nothing was sent yet, a
/// tunnel after 101/CONNECT, or the connection parked for reuse.
async fn finish_server(
    ctx: &Ctx<'_>,
    bp: &Proxy,
    s: &mut Stream,
    bufs: &mut Bufs<'_>,
    req: &Request,
    txn: &mut Txn,
    result: ExchangeResult,
) -> bool {
    if let Some(e) = result.error {
        if e.status.is_none() {
            txn.end = Some(e);
            return false;
        }
        // Nothing reached the client yet: it gets the error page. Like
        // HAProxy 2.6 (502 `PH`/`SH`, 504 `sH`), a keep-alive client whose
        // request was entirely read stays connected; the server
        // connection is dropped.
        let keep = keep_after(ctx.fe, &req.framing, result.request_complete);
        return match result.denied {
            Some(d) => super::local::send_denied(ctx, Some(bp), s, txn, (e, d), keep).await,
            None => send_error(ctx, Some(bp), s, txn, e, keep).await,
        };
    }
    if result.tunnel {
        tunnel(ctx, bp, s, bufs.client, &mut bufs.server, txn).await;
        return false;
    }
    // Park the server connection if it can serve another request. With
    // `http-reuse never` nothing could ever take it back, so it is closed
    // instead, as rule 5 wants the server side released at the end.
    if result.server_reusable && bufs.server.is_empty() && bp.cfg.http.reuse != HttpReuse::Never {
        park(bp, s);
    }
    !result.client_close
}

/// Hands si[1]'s connection to the idle pool of its server.
fn park(bp: &Proxy, s: &mut Stream) {
    let (Some(srv), Some(be)) = (s.srv, bp.be.as_ref()) else {
        return;
    };
    let (Some(server), Some(cfg)) = (be.servers.get(srv), bp.cfg.servers.get(srv)) else {
        return;
    };
    let Some(conn) = s.si[1].take_conn() else {
        return;
    };
    let keep = bp
        .cfg
        .timeouts
        .server
        .map_or(cfg.pool_purge_delay, |t| t.min(cfg.pool_purge_delay));
    crate::idle::park((bp.idx, srv), &server.conns, conn, keep);
}
