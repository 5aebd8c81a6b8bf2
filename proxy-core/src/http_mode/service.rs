//! An applet as the target of a request (`http-request use-service`,
//! `stats uri`): registered on si[1] in a server's place (through
//! `register_handler`, which frees whatever endpoint was there: rule 6),
//! handed the request (as fields for an HTTP service, see
//! [`crate::applet::http_codec`]; as bytes for a raw one), and run through
//! the same exchange as a server, whose response is parsed, checked, kept
//! alive, counted and logged alike. A failing applet ends its own stream.

use std::sync::Arc;

use super::analyse::Request;
use super::exchange::ExchangeResult;
use super::local::send_error;
use super::target::{exchange_with, plan, Bufs, Plan, StreamParts};
use super::txn::Txn;
use super::{conn_mode, Ctx};
use crate::applet::adapter::StreamNames;
use crate::error::{ErrorKind, ProxyError};
use crate::host::lifecycle::{self, Instance, Other};
use crate::http::head_edit::HeadEdits;
use crate::http::{Failure, HeadError};
use crate::log::termination::FinState;
use crate::stkctr::Trackers;
use crate::stream::recvbuf::RecvBuf;
use crate::stream::side::AppletSide;
use crate::stream::Stream;

/// Which service answers, with what arguments and header edits, and the
/// name its log lines show as the server (`<STATS>` for the stats page).
pub(super) struct ServiceCall {
    pub(super) name: String,
    pub(super) args: Vec<String>,
    pub(super) log_name: String,
    pub(super) edits: HeadEdits,
}

impl ServiceCall {
    /// `use-service <name>`. HAProxy logs its Prometheus exporter as
    /// `<PROMEX>`; other services under their own name.
    pub(super) fn named(name: String, edits: HeadEdits) -> ServiceCall {
        let log_name = if name == "prometheus-exporter" {
            "promex".to_string()
        } else {
            name.clone()
        };
        ServiceCall {
            name,
            args: Vec::new(),
            log_name,
            edits,
        }
    }

    /// The stats page (`stats uri`), with its arguments.
    pub(super) fn stats_page(args: Vec<String>, edits: HeadEdits) -> ServiceCall {
        ServiceCall {
            name: crate::applet::PAGE_SERVICE.to_string(),
            args,
            log_name: "stats".to_string(),
            edits,
        }
    }
}

/// An applet answers in a server's place: registered on si[1], it gets
/// the request head and body and its answer goes through the same
/// exchange. Returns whether the client connection stays open.
pub(super) async fn serve_applet(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    txn: &mut Txn,
    mut call: ServiceCall,
    trk: &Trackers,
) -> bool {
    txn.applet = Some(call.log_name.clone());
    req.edits = std::mem::take(&mut call.edits);
    let (mut plan, wake) = match attach_service(ctx, s, cbuf, req, &call) {
        Ok(attached) => attached,
        Err(keep) => return settle_refusal(ctx, s, txn, keep).await,
    };
    let now = std::time::Instant::now();
    s.timers.queued = Some(now);
    s.timers.connected = Some(now);
    let mut bufs = Bufs {
        client: cbuf,
        server: RecvBuf::default(),
    };
    let (result, pipe_failure) = {
        let tls = s.tls_cells();
        let (c0, c1) = s.si.split_at_mut(1);
        let (Some(cc), Some(app)) = (c0[0].conn_mut(), c1[0].endpoint_mut().appctx_mut()) else {
            return false;
        };
        // Called once before any input: it may answer at once, or ask
        // for a body the client holds back until `100 Continue`.
        let mut side = AppletSide::started(app, wake.as_ref().map(|w| w.kick.clone()));
        let pp = cc.pp.clone();
        let client = &mut cc.transport;
        let parts = StreamParts {
            vars: &s.vars,
            be: s.be,
            srv: s.srv,
            tls,
            pp,
        };
        let r = exchange_with(
            ctx,
            (client, &mut side),
            parts,
            &mut bufs,
            &mut plan,
            txn,
            trk,
        )
        .await;
        (r, side.failure())
    };
    let pipe_failure = pipe_failure.or_else(|| never_ended(ctx, &call, &result, &plan));
    // The applet goes away with its transaction (rule 6 again: detach);
    // the client stays for its next request.
    let failure = lifecycle::finish(ctx.st, s, 1, &call.name, pipe_failure, Other::Keep);
    conclude_service(ctx, s, txn, result, failure.is_some()).await
}

/// Why [`attach_service`] did not attach: the answer it already decided.
enum Refused {
    /// The constructor failed (counted): 500 `IC`.
    Failed,
    /// The request head cannot be handed over.
    Head(Failure),
}

/// Makes the instance, writes the request for it (as fields for an HTTP
/// service, as bytes for a raw one) and registers it on si[1]; returns
/// the exchange's plan and, for a wakeable service, its registration.
fn attach_service<'r>(
    ctx: &Ctx<'r>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &'r Request,
    call: &ServiceCall,
) -> Result<(Plan<'r>, Option<crate::kick::Registered>), Refused> {
    let st = ctx.st;
    let inst = Instance {
        service: &call.name,
        args: &call.args,
        frontend: &ctx.fe.name,
        backend: &ctx.fe.name,
        src: req.src,
        dst: req.dst,
    };
    let names = ctx.applet_names(&inst);
    let mut adapter = match lifecycle::create_named(st, &inst, s.uniq_id, names) {
        Ok(a) => a,
        Err(e) => {
            // A constructor that panicked or failed is a failed applet
            // call like any other: 500 `IC`, counted.
            lifecycle::count_failure(st, &call.name, &e);
            return Err(Refused::Failed);
        }
    };
    let mode = conn_mode(ctx.fe.cfg.http.conn_mode);
    // The frontend's `http-response` rules run on an applet's answer too
    // (HAProxy applies them to a use-service answer, e.g. `<PROMEX>`),
    // but not on the stats page, which only `http-after-response` rules
    // see (as HAProxy 2.6).
    let mut res_rules = super::after_response::rule_sets(ctx.fe, None);
    if call.name == crate::applet::PAGE_SERVICE {
        res_rules[0].clear();
    }
    let mut plan = plan(mode, cbuf, req, res_rules, true, false).map_err(Refused::Head)?;
    if !adapter.raw_http() {
        hand_over_head(&mut adapter, &mut plan, ctx).map_err(Refused::Head)?;
    }
    let wake = adapter.wakeable().then(|| st.kicks.register(s.uniq_id));
    // Rule 6: a connection allocated before the applet was chosen is freed
    // here, by the registration itself.
    lifecycle::attach_adapter(s, 1, adapter);
    plan.server_close = true;
    plan.local = true;
    plan.server_timeout = ctx.fe.cfg.timeouts.server.or(ctx.fe.cfg.timeouts.client);
    Ok((plan, wake))
}

/// The answer to a service that could not be attached.
async fn settle_refusal(ctx: &Ctx<'_>, s: &mut Stream, txn: &mut Txn, why: Refused) -> bool {
    match why {
        Refused::Failed => applet_failed(ctx, s, txn, FinState::C).await,
        Refused::Head(f) => super::local::local_failure(s, txn, f).await,
    }
}

/// An applet that never ends its response is a failed applet, not a slow
/// server: it is ended like one that broke its response.
fn never_ended(
    ctx: &Ctx<'_>,
    call: &ServiceCall,
    result: &ExchangeResult,
    plan: &Plan<'_>,
) -> Option<String> {
    let timed_out = result
        .error
        .as_ref()
        .is_some_and(|e| e.kind == ErrorKind::ServerTimeout);
    timed_out.then(|| {
        let library = ctx
            .st
            .applets
            .service(&call.name)
            .map(|e| e.lib.path_display());
        format!(
            "applet service '{}' ('{}'): did not end its response within {} ms",
            call.name,
            library.unwrap_or("?"),
            plan.server_timeout.map_or(0, |t| t.as_millis())
        )
    })
}

/// What the client gets once the applet is gone: a failure ends its own
/// stream only (`IC` before any output reached the client, `ID` after;
/// `finish` counted it), an exchange error its page, else the connection
/// stays if the answer allows. Returns whether it stays.
async fn conclude_service(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    txn: &mut Txn,
    result: ExchangeResult,
    failed: bool,
) -> bool {
    if failed {
        let phase = if result.bytes_out == 0 {
            FinState::C
        } else {
            FinState::D
        };
        return applet_failed(ctx, s, txn, phase).await;
    }
    if let Some(e) = result.error {
        if e.status.is_some() {
            return match result.denied {
                Some(d) => super::local::send_denied(ctx, None, s, txn, (e, d), None).await,
                None => send_error(ctx, None, s, txn, e, None).await,
            };
        }
        txn.end = Some(e);
        return false;
    }
    // An applet's answer is a local one: `L` in the log, as `<STATS>`.
    txn.answered_locally();
    !result.client_close
}

impl Ctx<'_> {
    /// The names applets see of this connection: made once, again only if
    /// a rule changed the addresses.
    fn applet_names(&self, inst: &Instance<'_>) -> Arc<StreamNames> {
        let mut cached = self.applet_names.lock().unwrap_or_else(|e| e.into_inner());
        match &*cached {
            Some(n) if n.fits(inst.src, inst.dst) => n.clone(),
            _ => {
                let n = Arc::new(StreamNames::new(
                    inst.frontend,
                    inst.backend,
                    inst.src,
                    inst.dst,
                ));
                *cached = Some(n.clone());
                n
            }
        }
    }
}

/// Gives an HTTP service its request head as fields instead of bytes: the
/// exchange then sends it only the (framed) body.
fn hand_over_head(
    adapter: &mut crate::applet::AppletAdapter,
    plan: &mut Plan<'_>,
    ctx: &Ctx<'_>,
) -> Result<(), Failure> {
    let head = std::mem::take(&mut plan.to_server.data);
    let req = plan.req;
    let reparsed;
    let parsed = if plan.as_is {
        &req.head
    } else {
        // Rules changed it: read it back as it goes out.
        match crate::http::head::parse_request(&head, &ctx.limits) {
            Ok(crate::http::head::Parsed::Complete(h)) => {
                reparsed = h;
                &reparsed
            }
            _ => return Err(Failure::BadRequestHead(HeadError::HeaderValue)),
        }
    };
    adapter.set_http_request(head, parsed, req.framing.body, req.framing.expect_100);
    Ok(())
}

/// An applet failed in `phase`: a 500 if nothing was sent yet (`C`),
/// else the connection is cut (`D`).
async fn applet_failed(ctx: &Ctx<'_>, s: &mut Stream, txn: &mut Txn, phase: FinState) -> bool {
    let end = ProxyError::new(ErrorKind::Applet).at(phase);
    if phase == FinState::D {
        txn.end = Some(end);
        return false;
    }
    send_error(ctx, None, s, txn, end.answer(Some(500)), None).await
}
