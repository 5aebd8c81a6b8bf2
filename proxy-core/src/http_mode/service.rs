//! `http-request use-service`: the request is answered by an applet that
//! takes si[1]'s place.
//!
//! The applet goes through the one life cycle
//! ([`crate::applet::lifecycle`]): attached on si[1] with
//! `register_handler`, which first
//! frees whatever endpoint was there (a connection `option http_proxy`
//! allocated when it read the request URI: rule 6). It then gets the
//! request, as rewritten for a server, and its output goes through the
//! same exchange as a server's response: parsed, checked, kept alive,
//! counted and logged, with `<NAME>` as the server.

use std::net::SocketAddr;

use super::exchange::{self, ExchangeSpec};
use super::local::{client_transport, error_page};
use super::request::{response_rules, Denied, OwnedEdit, ResView, View};
use super::{conn_mode, TxnLog};
use crate::applet::lifecycle::{self, Instance, Other};
use crate::http::connection_header::plan_request;
use crate::http::framing::RequestInfo;
use crate::http::rewrite::write_request_head;
use crate::http::{Edit, ForwardPlan, Framing, HeadLimits, RequestHead};
use crate::log::termination::{ErrCause, FinState};
use crate::state::{Proxy, State};
use crate::stream::recvbuf::{write_all, RecvBuf, SendQueue};
use crate::stream::side::AppletSide;
use crate::stream::Stream;

/// Serves the request at the front of `cbuf` with service `name`. Returns
/// whether the client connection stays open.
#[allow(clippy::too_many_arguments)]
pub(super) async fn serve(
    st: &State,
    fe: &Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    head: &RequestHead,
    framing: &Framing,
    edits: &[OwnedEdit],
    limits: &HeadLimits,
    src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
    log: &mut TxnLog,
    name: &str,
) -> bool {
    // HAProxy logs its Prometheus exporter as `<PROMEX>`; other services
    // under their own name.
    let log_name = if name == "prometheus-exporter" {
        "promex"
    } else {
        name
    };
    let call = ServiceCall {
        name,
        args: &[],
        log_name,
    };
    serve_with(
        st, fe, s, cbuf, head, framing, edits, limits, src, dst, log, &call,
    )
    .await
}

/// Which service answers, with what arguments, and the name its log lines
/// show as the server (`<STATS>` for the stats page).
pub(super) struct ServiceCall<'a> {
    pub(super) name: &'a str,
    pub(super) args: &'a [String],
    pub(super) log_name: &'a str,
}

/// [`serve`] with constructor arguments and a log name.
#[allow(clippy::too_many_arguments)]
pub(super) async fn serve_with(
    st: &State,
    fe: &Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    head: &RequestHead,
    framing: &Framing,
    edits: &[OwnedEdit],
    limits: &HeadLimits,
    src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
    log: &mut TxnLog,
    call: &ServiceCall<'_>,
) -> bool {
    let name = call.name;
    log.applet = Some(call.log_name.to_string());
    let inst = Instance {
        service: name,
        args: call.args,
        frontend: &fe.name,
        backend: &fe.name,
        src,
        dst,
    };
    // Rule 6: a connection allocated before the applet was chosen is freed
    // here, by the registration itself.
    if let Err(e) = lifecycle::attach(st, s, 1, &inst) {
        // Fix: a constructor that panicked or returned an error is a
        // failed applet call like any other: 500 `IC`, counted (it was a
        // 503, uncounted).
        lifecycle::count_failure(st, name, &e);
        return fail(fe, s, log, ErrCause::Internal, FinState::C, 500).await;
    }

    let http = &fe.cfg.http;
    let rplan = plan_request(conn_mode(http.conn_mode), framing);
    let mut to_server = SendQueue::default();
    let plan = ForwardPlan::new(framing, rplan.add);
    if edits.is_empty() && plan.skip.is_empty() && plan.content_length.is_none() {
        // Nothing to change: the applet reads the request as it came,
        // without the cost of rebuilding its head.
        to_server.data.extend_from_slice(&cbuf.data()[..head.len]);
    } else {
        let e: Vec<Edit<'_>> = edits.iter().map(OwnedEdit::as_edit).collect();
        if write_request_head(cbuf.data(), head, &plan, &e, &mut to_server.data).is_err() {
            return fail(fe, s, log, ErrCause::Internal, FinState::R, 500).await;
        }
    }
    let req_info = RequestInfo::new(cbuf.data(), head, framing);
    // Fix: the frontend's `http-response` rules run on the applet's
    // response as on a server's (HAProxy applies them to a use-service
    // answer, e.g. `<PROMEX>`); they were skipped. They may look at the
    // request: keep a copy of its head, only when there are rules.
    let res_rule_list: Vec<&crate::config::model_http::HttpRule> = http.response.iter().collect();
    let req_copy = (!res_rule_list.is_empty()).then(|| cbuf.data()[..head.len].to_vec());
    let default_be = fe.fe.as_ref().and_then(|f| f.backend);
    let rules_fn = |buf: &[u8], rh: &crate::http::ResponseHead| -> Result<Vec<OwnedEdit>, Denied> {
        let Some(copy) = req_copy.as_deref() else {
            return Ok(Vec::new());
        };
        let view = ResView {
            req: View {
                buf: copy,
                head,
                src,
                dst,
                st,
                default_backend: default_be,
            },
            buf,
            head: rh,
        };
        response_rules(&res_rule_list, &view)
    };
    cbuf.consume(head.len);
    let spec = ExchangeSpec {
        size: st.config.global.bufsize,
        limits: *limits,
        req_info,
        req_framing: framing,
        fe_mode: conn_mode(http.conn_mode),
        server_close: true,
        res_rules: if req_copy.is_some() {
            Some(&rules_fn)
        } else {
            None
        },
        client_timeout: fe.cfg.timeouts.client,
        server_timeout: fe.cfg.timeouts.server.or(fe.cfg.timeouts.client),
        res_captures: &http.capture_response,
    };
    let mut sbuf = RecvBuf::default();
    let now = std::time::Instant::now();
    s.timers.queued = Some(now);
    s.timers.connected = Some(now);
    let (result, pipe_failure) = {
        let (c0, c1) = s.si.split_at_mut(1);
        let (Some(cc), Some(app)) = (c0[0].conn_mut(), c1[0].endpoint_mut().appctx_mut()) else {
            return false;
        };
        let mut side = AppletSide::new(app);
        let r = exchange::run(
            spec,
            &mut cc.transport,
            &mut side,
            cbuf,
            &mut sbuf,
            &mut to_server,
        )
        .await;
        (r, side.failure())
    };
    // The applet goes away with its transaction (rule 6 again: detach);
    // the client stays for its next request.
    let failure = lifecycle::finish(st, s, 1, name, pipe_failure, Other::Keep);
    log.response_at = result.response_at;
    log.bytes_out = result.bytes_out;
    log.status = if result.status == 0 {
        -1
    } else {
        i32::from(result.status)
    };
    if failure.is_some() {
        // A failing applet ends its own stream only (`IC` before any
        // output reached the client, `ID` after); `finish` counted it.
        if result.bytes_out == 0 {
            return fail(fe, s, log, ErrCause::Internal, FinState::C, 500).await;
        }
        (log.err, log.finst) = (ErrCause::Internal, FinState::D);
        return false;
    }
    if let Some((cause, fin, status)) = result.error {
        (log.err, log.finst) = (cause, fin);
        if let Some(code) = status {
            return fail(fe, s, log, cause, fin, code).await;
        }
        return false;
    }
    // An applet's answer is a local one: `L` in the log, as `<STATS>`.
    (log.err, log.finst) = (ErrCause::Local, FinState::R);
    !result.client_close
}

async fn fail(
    fe: &Proxy,
    s: &mut Stream,
    log: &mut TxnLog,
    cause: ErrCause,
    fin: FinState,
    status: u16,
) -> bool {
    (log.err, log.finst) = (cause, fin);
    log.status = i32::from(status);
    let msg = error_page(fe, None, status, None);
    log.bytes_out = msg.logged;
    let _ = write_all(client_transport(s), &msg.bytes).await;
    false
}
