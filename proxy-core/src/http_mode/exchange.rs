//! One request/response exchange with a server, both directions at once.
//!
//! The request head is already queued for the server. From there the
//! request body goes to the server while the response head is awaited, so
//! `Expect: 100-continue`, early responses and large uploads all work; the
//! response head is checked, rewritten and queued for the client, then its
//! body follows. Interim 1xx responses are passed on as they come.

use std::future::{poll_fn, Future};
use std::task::Poll;
use std::time::{Duration, Instant};

use super::request::{Denied, OwnedEdit};
use crate::config::model_http::Capture;
use crate::connection::Transport;
use crate::http::connection_header::plan_response;
use crate::http::head::{may_start_status_line, parse_response, Parsed};
use crate::http::rewrite::write_response_head;
use crate::http::{
    BodyKind, ConnMode, Edit, ForwardPlan, Framing, HeadLimits, RequestInfo, ResponseHead,
};
use crate::log::termination::{ErrCause, FinState};
use crate::stream::mover::{Activity, BodyError, Mover};
use crate::stream::recvbuf::{RecvBuf, SendQueue};
use crate::stream::side::SideIo;

/// Fixed inputs of an exchange.
pub struct ExchangeSpec<'a> {
    pub size: usize,
    pub limits: HeadLimits,
    pub req_info: RequestInfo,
    pub req_framing: &'a Framing,
    pub fe_mode: ConnMode,
    /// The request plan closes the server connection after this exchange.
    pub server_close: bool,
    /// The `http-response` rules, run on the final response head: header
    /// edits, or `Err` when a rule denies the response (502 `PH`).
    pub res_rules: Option<&'a ResRules<'a>>,
    pub client_timeout: Option<Duration>,
    pub server_timeout: Option<Duration>,
    /// `capture response header` declarations of the frontend.
    pub res_captures: &'a [Capture],
}

/// The `http-response` rule pass: `(response bytes, head) -> edits`.
pub type ResRules<'a> = dyn Fn(&[u8], &ResponseHead) -> Result<Vec<OwnedEdit>, Denied> + Sync + 'a;

/// How an exchange ended.
#[derive(Debug, Default)]
pub struct ExchangeResult {
    /// Final status (0 if no response head arrived).
    pub status: u16,
    /// Bytes sent to the client (heads and bodies).
    pub bytes_out: u64,
    /// When the final response head arrived.
    pub response_at: Option<Instant>,
    pub client_close: bool,
    pub server_reusable: bool,
    /// 101 or CONNECT: the connection becomes a tunnel.
    pub tunnel: bool,
    /// `capture response header` values of the final response, in
    /// declaration order (empty when no final response arrived).
    pub res_captures: Vec<Vec<u8>>,
    /// The whole request (head and body) was read from the client and
    /// sent: after an error the client connection may serve another one.
    pub request_complete: bool,
    /// Set when the exchange failed: cause, phase, and whether a response
    /// status should be generated (502/504) because nothing was sent yet.
    pub error: Option<(ErrCause, FinState, Option<u16>)>,
}

enum ResPhase {
    Head,
    Body(Mover),
    Done,
}

/// Runs the exchange. `to_server` holds the request head (and whatever
/// must precede the body).
pub async fn run<S: SideIo + ?Sized>(
    spec: ExchangeSpec<'_>,
    client: &mut Transport,
    server: &mut S,
    cbuf: &mut RecvBuf,
    sbuf: &mut RecvBuf,
    to_server: &mut SendQueue,
) -> ExchangeResult {
    let mut res = ExchangeResult::default();
    let mut to_client = SendQueue::default();
    let mut req_body = Mover::new(spec.req_framing.body);
    // A body already received goes out with the head, in one write.
    req_body.absorb(cbuf, &mut to_server.data);
    let mut phase = ResPhase::Head;
    let now = Instant::now();
    let (mut client_last, mut server_last) = (now, now);
    let far = tokio::time::Instant::now() + Duration::from_secs(86400 * 365);
    let sleep = tokio::time::sleep_until(far);
    tokio::pin!(sleep);
    let mut req_failed = false;
    let mut input_signalled = false;

    let outcome: Result<(), (ErrCause, FinState, Option<u16>)> = poll_fn(|cx| loop {
        let mut act_c = Activity::default();
        let mut act_s = Activity::default();
        // Request side: head first, then the body.
        if !req_failed {
            match to_server.poll_flush(cx, &*server) {
                Poll::Ready(Ok(n)) if n > 0 => act_s.wrote = true,
                Poll::Ready(Err(_)) => {
                    // The server went away while we sent: its response (if
                    // any) still decides, so only stop sending.
                    req_failed = true;
                }
                _ => {}
            }
            if to_server.is_empty() && !req_failed && !req_body.is_done() {
                let mut a = Activity::default();
                match req_body.poll(cx, client, cbuf, &*server, spec.size, &mut a) {
                    Poll::Ready(Ok(())) | Poll::Pending => {}
                    Poll::Ready(Err(BodyError::Write(_))) => req_failed = true,
                    Poll::Ready(Err(BodyError::Chunk(_))) => {
                        let started = !matches!(phase, ResPhase::Head);
                        return Poll::Ready(Err((
                            ErrCause::PrxCond,
                            if started { FinState::D } else { FinState::H },
                            (!started).then_some(400),
                        )));
                    }
                    Poll::Ready(Err(_)) => {
                        // The client left in the middle of its body: the
                        // data phase (`CD`), as HAProxy 2.6 logs it, even
                        // before any response head.
                        return Poll::Ready(Err((ErrCause::CliCl, FinState::D, None)));
                    }
                }
                act_c.read |= a.read;
                act_s.wrote |= a.wrote;
            }
            if to_server.is_empty() && req_body.is_done() && !input_signalled {
                // The whole request is out: an applet may answer now.
                input_signalled = true;
                server.input_done();
            }
        }
        // Response side: queued heads (interim or final) go first.
        match to_client.poll_flush(cx, &*client) {
            Poll::Ready(Ok(n)) => {
                res.bytes_out += n as u64;
                if n > 0 {
                    act_c.wrote = true;
                }
            }
            Poll::Ready(Err(_)) => {
                let fin = if matches!(phase, ResPhase::Head) {
                    FinState::H
                } else {
                    FinState::D
                };
                return Poll::Ready(Err((ErrCause::CliCl, fin, None)));
            }
            Poll::Pending => {}
        }
        match &mut phase {
            ResPhase::Head => {
                let parsed = if sbuf.is_empty() {
                    Ok(Parsed::Incomplete)
                } else {
                    parse_response(sbuf.data(), &spec.limits)
                };
                match parsed {
                    Err(_) => return Poll::Ready(Err((ErrCause::PrxCond, FinState::H, Some(502)))),
                    Ok(Parsed::Complete(head)) => {
                        match response_head(&spec, sbuf, &head, &mut to_client, &mut res) {
                            Some(body) => {
                                res.response_at = Some(Instant::now());
                                phase = if res.tunnel {
                                    ResPhase::Done
                                } else {
                                    ResPhase::Body(body)
                                };
                                continue;
                            }
                            None if res.status >= 200 || res.status == 0 => {
                                return Poll::Ready(Err((
                                    ErrCause::PrxCond,
                                    FinState::H,
                                    Some(502),
                                )))
                            }
                            None => continue, // interim response queued
                        }
                    }
                    Ok(Parsed::Incomplete) => {
                        if sbuf.is_full(spec.limits.max_head) {
                            return Poll::Ready(Err((ErrCause::PrxCond, FinState::H, Some(502))));
                        }
                        match sbuf.poll_fill(cx, server, spec.size) {
                            Poll::Ready(Ok(0)) => {
                                let cause = if may_start_status_line(sbuf.data()) {
                                    ErrCause::SrvCl
                                } else {
                                    ErrCause::PrxCond
                                };
                                return Poll::Ready(Err((cause, FinState::H, Some(502))));
                            }
                            Poll::Ready(Ok(_)) => {
                                server_last = Instant::now();
                                continue;
                            }
                            Poll::Ready(Err(_)) => {
                                return Poll::Ready(Err((ErrCause::SrvCl, FinState::H, Some(502))))
                            }
                            Poll::Pending => {}
                        }
                    }
                }
            }
            ResPhase::Body(body) => {
                if to_client.is_empty() {
                    let mut a = Activity::default();
                    let before = body.total;
                    match body.poll(cx, server, sbuf, &*client, spec.size, &mut a) {
                        Poll::Ready(Ok(())) => {
                            res.bytes_out += body.total - before;
                            phase = ResPhase::Done;
                            continue;
                        }
                        Poll::Pending => res.bytes_out += body.total - before,
                        Poll::Ready(Err(BodyError::Write(_))) => {
                            return Poll::Ready(Err((ErrCause::CliCl, FinState::D, None)))
                        }
                        Poll::Ready(Err(_)) => {
                            return Poll::Ready(Err((ErrCause::SrvCl, FinState::D, None)))
                        }
                    }
                    act_s.read |= a.read;
                    act_c.wrote |= a.wrote;
                }
            }
            ResPhase::Done => {
                if to_client.is_empty() && (req_body.is_done() || req_failed || res.tunnel) {
                    return Poll::Ready(Ok(()));
                }
                if to_client.is_empty() && !req_body.is_done() {
                    // The response is complete but the request body is
                    // not: finish it only if it is on its way, else give
                    // up on this connection pair.
                    if matches!(spec.req_framing.body, BodyKind::None) {
                        return Poll::Ready(Ok(()));
                    }
                }
            }
        }
        // Timers.
        let t = Instant::now();
        if act_c.read || act_c.wrote {
            client_last = t;
        }
        if act_s.read || act_s.wrote {
            server_last = t;
        }
        let waiting_head = matches!(phase, ResPhase::Head);
        let cdl = spec.client_timeout.map(|d| client_last + d);
        let sdl = spec.server_timeout.map(|d| server_last + d);
        if let Some(s) = sdl {
            if s <= t {
                let fin = if waiting_head {
                    FinState::H
                } else {
                    FinState::D
                };
                return Poll::Ready(Err((ErrCause::SrvTo, fin, waiting_head.then_some(504))));
            }
        }
        if let Some(c) = cdl {
            // While waiting for the server, a quiet client is normal.
            if c <= t && !waiting_head {
                return Poll::Ready(Err((ErrCause::CliTo, FinState::D, None)));
            }
        }
        let next = [sdl, if waiting_head { None } else { cdl }]
            .into_iter()
            .flatten()
            .min();
        let next = next.map(tokio::time::Instant::from_std).unwrap_or(far);
        if next < sleep.deadline() || sleep.is_elapsed() {
            sleep.as_mut().reset(next);
        }
        match sleep.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) => continue,
        }
    })
    .await;

    res.request_complete = req_body.is_done() && !req_failed;
    if let Err(e) = outcome {
        res.error = Some(e);
        res.client_close = true;
        res.server_reusable = false;
    } else if req_failed || !req_body.is_done() {
        res.server_reusable = false;
        res.client_close = true;
    }
    res
}

/// Handles a complete response head: interim ones are passed on and
/// `None` is returned; the final one is rewritten and queued, and the body
/// forwarder returned.
fn response_head(
    spec: &ExchangeSpec<'_>,
    sbuf: &mut RecvBuf,
    head: &ResponseHead,
    to_client: &mut SendQueue,
    res: &mut ExchangeResult,
) -> Option<Mover> {
    let buf = sbuf.data();
    let framing = match crate::http::framing::response_framing(buf, head, &spec.req_info) {
        Ok(f) => f,
        Err(_) => {
            res.status = 0;
            return None;
        }
    };
    let plan = plan_response(
        spec.fe_mode,
        spec.req_framing,
        spec.server_close,
        &framing,
        head.status,
    );
    let owned = match spec.res_rules {
        Some(rules) if head.status >= 200 => match rules(buf, head) {
            Ok(e) => e,
            Err(Denied) => {
                res.status = 0;
                return None;
            }
        },
        _ => Vec::new(),
    };
    let edits: Vec<Edit<'_>> = owned.iter().map(OwnedEdit::as_edit).collect();
    let fplan = ForwardPlan::new(&framing, plan.add);
    // Written straight into the client's queue (a failed write leaves
    // nothing behind: the head is checked before a byte is written).
    if to_client.is_empty() {
        to_client.data.clear();
        to_client.pos = 0;
    }
    if write_response_head(buf, head, &fplan, &edits, &mut to_client.data).is_err() {
        res.status = 0;
        return None;
    }
    let len = head.len;
    res.status = head.status;
    if head.status >= 200 || plan.tunnel {
        res.res_captures = spec
            .res_captures
            .iter()
            .map(|cap| {
                let v = head
                    .headers
                    .iter()
                    .find(|h| h.is(buf, cap.name.as_bytes()))
                    .map_or(&b""[..], |h| h.value(buf));
                v[..v.len().min(cap.len)].to_vec()
            })
            .collect();
    }
    sbuf.consume(len);
    if head.status < 200 && !plan.tunnel {
        return None;
    }
    res.client_close = plan.client_close;
    res.server_reusable = plan.server_reusable;
    res.tunnel = plan.tunnel;
    let mut body = Mover::new(framing.body);
    if !plan.tunnel {
        // Send the head and what is here of the body in one write.
        body.absorb(sbuf, &mut to_client.data);
    }
    Some(body)
}
