//! One request/response exchange with a server, both directions at once.
//!
//! The request head is already queued for the server. From there the
//! request body goes to the server while the response head is awaited, so
//! `Expect: 100-continue`, early responses and large uploads all work; the
//! response head is checked, rewritten and queued for the client, then its
//! body follows. Interim 1xx responses are passed on as they come.

use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::request::Denied;
use crate::config::model_http::Capture;
use crate::connection::Transport;
use crate::error::{ErrorKind, ProxyError};
use crate::http::connection_header::plan_response;
use crate::http::head::{may_start_status_line, parse_response, Parsed};
use crate::http::head_edit::{write_response_edited, HeadEdits};
use crate::http::Failure;
use crate::http::{
    BodyKind, ConnMode, ForwardPlan, Framing, HeadLimits, RequestInfo, ResponseHead,
};
use crate::log::termination::FinState;
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
    /// The answer is the proxy's own (an applet's): one given while the
    /// client still holds its body back for `100 Continue` closes the
    /// connection (with `connection: close`), as HAProxy 2.6 ends a local
    /// answer to an incomplete request, instead of reading the next
    /// request as that body.
    pub local: bool,
}

/// The `http-response` rule pass: `(response bytes, head) -> edits`.
pub type ResRules<'a> = dyn Fn(&[u8], &ResponseHead) -> Result<HeadEdits, Denied> + Sync + 'a;

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
    /// How the exchange failed; its status (`answer`) is set when nothing
    /// reached the client yet and an error page should go out (502/504).
    pub error: Option<ProxyError>,
    /// An `http-response deny` refused the response (then `error` is
    /// set): the answer it asks for.
    pub denied: Option<Denied>,
}

enum ResPhase {
    Head,
    Body(Mover),
    Done,
}

/// What one round of the exchange left to do.
enum Step {
    /// Something moved that may let more move: go round again.
    Again,
    /// Waiting for a socket or the timer.
    Wait,
    /// The exchange is over.
    Finished,
}

/// The exchange's own state between polls.
struct Exchange<'s> {
    spec: ExchangeSpec<'s>,
    res: ExchangeResult,
    to_client: SendQueue,
    req_body: Mover,
    phase: ResPhase,
    /// Sending the request failed: only the response still matters.
    req_failed: bool,
    /// The applet (or server) was told the request is whole.
    input_signalled: bool,
    /// An interim response went to the client.
    interim_sent: bool,
    /// The final answer came while the client held its body back: the
    /// request is given up and the connection closes after the answer.
    abandoned: bool,
    client_last: Instant,
    server_last: Instant,
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
    let mut req_body = Mover::new(spec.req_framing.body);
    // A body already received goes out with the head, in one write.
    req_body.absorb(cbuf, &mut to_server.data);
    let now = Instant::now();
    let mut x = Exchange {
        spec,
        res: ExchangeResult::default(),
        to_client: SendQueue::default(),
        req_body,
        phase: ResPhase::Head,
        req_failed: false,
        input_signalled: false,
        interim_sent: false,
        abandoned: false,
        client_last: now,
        server_last: now,
    };
    // An answer that is already there (an applet answering at once) needs
    // no timer and no waiting: one round first, with nothing to wake.
    let quick = {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        x.round(&mut cx, client, server, cbuf, sbuf, to_server).1
    };
    if let Some(outcome) = quick {
        return x.conclude(outcome);
    }
    let far = tokio::time::Instant::now() + Duration::from_secs(86400 * 365);
    let sleep = tokio::time::sleep_until(far);
    tokio::pin!(sleep);
    let outcome: Result<(), ProxyError> = poll_fn(|cx| loop {
        let (acts, done) = x.round(cx, client, server, cbuf, sbuf, to_server);
        if let Some(outcome) = done {
            return Poll::Ready(outcome);
        }
        let next = match x.deadline(acts.0, acts.1) {
            Err(e) => return Poll::Ready(Err(e)),
            Ok(next) => next.map_or(far, tokio::time::Instant::from_std),
        };
        match crate::stream::forward::poll_deadline(sleep.as_mut(), next, cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) => continue,
        }
    })
    .await;
    x.conclude(outcome)
}

impl Exchange<'_> {
    /// Moves what can move in both directions until everything waits
    /// (`None`: the activity seen) or the exchange is over (`Some`).
    fn round<S: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        client: &mut Transport,
        server: &mut S,
        cbuf: &mut RecvBuf,
        sbuf: &mut RecvBuf,
        to_server: &mut SendQueue,
    ) -> ((Activity, Activity), Option<Result<(), ProxyError>>) {
        let (mut act_c, mut act_s) = (Activity::default(), Activity::default());
        loop {
            let step = self
                .poll_request(
                    cx,
                    client,
                    server,
                    cbuf,
                    to_server,
                    (&mut act_c, &mut act_s),
                )
                .and_then(|()| {
                    self.poll_response(cx, client, server, sbuf, (&mut act_c, &mut act_s))
                });
            match step {
                Err(e) => return ((act_c, act_s), Some(Err(e))),
                Ok(Step::Finished) => return ((act_c, act_s), Some(Ok(()))),
                Ok(Step::Again) => continue,
                Ok(Step::Wait) => return ((act_c, act_s), None),
            }
        }
    }

    /// The request side: the queued head first, then the body; tells the
    /// other side once the whole request is out.
    fn poll_request<S: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        client: &mut Transport,
        server: &mut S,
        cbuf: &mut RecvBuf,
        to_server: &mut SendQueue,
        (act_c, act_s): (&mut Activity, &mut Activity),
    ) -> Result<(), ProxyError> {
        if self.req_failed {
            return Ok(());
        }
        match to_server.poll_flush(cx, &*server) {
            Poll::Ready(Ok(n)) if n > 0 => act_s.wrote = true,
            // The server went away while we sent: its response (if any)
            // still decides, so only stop sending.
            Poll::Ready(Err(_)) => self.req_failed = true,
            _ => {}
        }
        if to_server.is_empty() && !self.req_failed && !self.req_body.is_done() {
            let mut a = Activity::default();
            let size = self.spec.size;
            match self.req_body.poll(cx, client, cbuf, &*server, size, &mut a) {
                Poll::Ready(Ok(())) | Poll::Pending => {}
                Poll::Ready(Err(BodyError::Write(_))) => self.req_failed = true,
                Poll::Ready(Err(BodyError::Chunk(_))) => {
                    let response_started = !matches!(self.phase, ResPhase::Head);
                    return Err(Failure::BadRequestBody { response_started }.outcome().end);
                }
                // The client left in the middle of its body: the data
                // phase (`CD`), as HAProxy 2.6 logs it, even before any
                // response head.
                Poll::Ready(Err(_)) => return Err(client_aborted(FinState::D)),
            }
            act_c.read |= a.read;
            act_s.wrote |= a.wrote;
        }
        if to_server.is_empty() && self.req_body.is_done() && !self.input_signalled {
            // The whole request is out: an applet may answer now.
            self.input_signalled = true;
            server.input_done();
        }
        Ok(())
    }

    /// The response side: queued heads (interim or final) go first, then
    /// the head is awaited, then the body.
    fn poll_response<S: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        client: &mut Transport,
        server: &mut S,
        sbuf: &mut RecvBuf,
        (act_c, act_s): (&mut Activity, &mut Activity),
    ) -> Result<Step, ProxyError> {
        match self.to_client.poll_flush(cx, &*client) {
            Poll::Ready(Ok(n)) => {
                self.res.bytes_out += n as u64;
                act_c.wrote |= n > 0;
            }
            Poll::Ready(Err(_)) => {
                let head = matches!(self.phase, ResPhase::Head);
                return Err(client_aborted(if head { FinState::H } else { FinState::D }));
            }
            Poll::Pending => {}
        }
        match &mut self.phase {
            ResPhase::Head => self.poll_head(cx, server, sbuf),
            ResPhase::Body(body) => {
                if !self.to_client.is_empty() {
                    return Ok(Step::Wait);
                }
                let mut a = Activity::default();
                let before = body.total;
                let polled = body.poll(cx, server, sbuf, &*client, self.spec.size, &mut a);
                self.res.bytes_out += body.total - before;
                act_s.read |= a.read;
                act_c.wrote |= a.wrote;
                match polled {
                    Poll::Ready(Ok(())) => {
                        self.phase = ResPhase::Done;
                        Ok(Step::Again)
                    }
                    Poll::Pending => Ok(Step::Wait),
                    Poll::Ready(Err(BodyError::Write(_))) => Err(client_aborted(FinState::D)),
                    Poll::Ready(Err(_)) => Err(Failure::BadResponseBody.outcome().end),
                }
            }
            ResPhase::Done => Ok(self.after_response()),
        }
    }

    /// Waiting for the response head: parse what is here, else read more.
    fn poll_head<S: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        server: &mut S,
        sbuf: &mut RecvBuf,
    ) -> Result<Step, ProxyError> {
        let bad = || Failure::BadResponseHead.outcome().end;
        let parsed = if sbuf.is_empty() {
            Ok(Parsed::Incomplete)
        } else {
            parse_response(sbuf.data(), &self.spec.limits)
        };
        match parsed {
            Err(_) => Err(bad()),
            Ok(Parsed::Complete(head)) => {
                let held_back = self.spec.local
                    && self.spec.req_framing.expect_100
                    && !self.interim_sent
                    && self.req_body.total == 0
                    && !self.req_body.is_done();
                let queued = response_head(
                    &self.spec,
                    sbuf,
                    &head,
                    &mut self.to_client,
                    &mut self.res,
                    held_back,
                );
                match queued {
                    Some(body) => {
                        self.abandoned = held_back;
                        self.res.response_at = Some(Instant::now());
                        self.phase = if self.res.tunnel {
                            ResPhase::Done
                        } else {
                            ResPhase::Body(body)
                        };
                        Ok(Step::Again)
                    }
                    None if self.res.status >= 200 || self.res.status == 0 => Err(bad()),
                    None => {
                        self.interim_sent = true;
                        Ok(Step::Again) // interim response queued
                    }
                }
            }
            Ok(Parsed::Incomplete) if sbuf.is_full(self.spec.limits.max_head) => Err(bad()),
            Ok(Parsed::Incomplete) => match sbuf.poll_fill(cx, server, self.spec.size) {
                Poll::Ready(Ok(0)) => {
                    // Bytes that cannot start a status line are an invalid
                    // response (`PH`); a cut one is a close (`SH`).
                    let f = if may_start_status_line(sbuf.data()) {
                        Failure::ServerClosedBeforeHead
                    } else {
                        Failure::BadResponseHead
                    };
                    Err(f.outcome().end)
                }
                Poll::Ready(Ok(_)) => {
                    self.server_last = Instant::now();
                    Ok(Step::Again)
                }
                Poll::Ready(Err(_)) => Err(Failure::ServerClosedBeforeHead.outcome().end),
                Poll::Pending => Ok(Step::Wait),
            },
        }
    }

    /// The response is out: the exchange ends once the request is done too
    /// (or cannot be: it failed, or the response made it a tunnel).
    fn after_response(&self) -> Step {
        if !self.to_client.is_empty() {
            return Step::Wait;
        }
        if self.req_body.is_done() || self.req_failed || self.res.tunnel || self.abandoned {
            return Step::Finished;
        }
        // The response is complete but the request body is not: finish it
        // only if it is on its way, else give up on this connection pair.
        if matches!(self.spec.req_framing.body, BodyKind::None) {
            Step::Finished
        } else {
            Step::Wait
        }
    }

    /// Records activity and checks the inactivity limits: the next
    /// deadline, or the timeout that struck.
    fn deadline(&mut self, c: Activity, s: Activity) -> Result<Option<Instant>, ProxyError> {
        let t = Instant::now();
        if c.read || c.wrote {
            self.client_last = t;
        }
        if s.read || s.wrote {
            self.server_last = t;
        }
        let waiting_head = matches!(self.phase, ResPhase::Head);
        let sdl = self.spec.server_timeout.map(|d| self.server_last + d);
        // While waiting for the server, a quiet client is normal.
        let cdl = self.spec.client_timeout.map(|d| self.client_last + d);
        let cdl = cdl.filter(|_| !waiting_head);
        if sdl.is_some_and(|s| s <= t) {
            let fin = if waiting_head {
                FinState::H
            } else {
                FinState::D
            };
            let end = ProxyError::new(ErrorKind::ServerTimeout).at(fin);
            return Err(end.answer(waiting_head.then_some(504)));
        }
        if cdl.is_some_and(|c| c <= t) {
            return Err(ProxyError::new(ErrorKind::ClientTimeout).at(FinState::D));
        }
        Ok([sdl, cdl].into_iter().flatten().min())
    }

    /// The result, once the exchange is over.
    fn conclude(self, outcome: Result<(), ProxyError>) -> ExchangeResult {
        let mut res = self.res;
        let body_done = self.req_body.is_done();
        res.request_complete = body_done && !self.req_failed;
        if let Err(e) = outcome {
            res.error = Some(e);
            res.client_close = true;
            res.server_reusable = false;
        } else if self.req_failed || !body_done {
            res.server_reusable = false;
            res.client_close = true;
        }
        res
    }
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
    held_back: bool,
) -> Option<Mover> {
    let buf = sbuf.data();
    let framing = match crate::http::framing::response_framing(buf, head, &spec.req_info) {
        Ok(f) => f,
        Err(_) => {
            res.status = 0;
            return None;
        }
    };
    let mut plan = plan_response(
        spec.fe_mode,
        spec.req_framing,
        spec.server_close,
        &framing,
        head.status,
    );
    if held_back && head.status >= 200 && !plan.tunnel {
        plan.client_close = true;
        plan.add = Some(b"close");
    }
    let edits = match spec.res_rules {
        Some(rules) if head.status >= 200 => match rules(buf, head) {
            Ok(e) => e,
            Err(d) => {
                res.status = 0;
                res.denied = Some(d);
                return None;
            }
        },
        _ => HeadEdits::default(),
    };
    let fplan = ForwardPlan::new(&framing, plan.add);
    // Written straight into the client's queue (a failed write leaves
    // nothing behind: the head is checked before a byte is written).
    if to_client.is_empty() {
        to_client.data.clear();
        to_client.pos = 0;
    }
    if write_response_edited(buf, head, &fplan, &edits, &mut to_client.data).is_err() {
        res.status = 0;
        return None;
    }
    let len = head.len;
    // `set-status`: the log and the counters see the status as sent.
    res.status = edits.status.as_ref().map_or(head.status, |(code, _)| *code);
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

/// The client went away (or its socket failed) in phase `phase`: nothing
/// more can be sent to it.
fn client_aborted(phase: FinState) -> ProxyError {
    ProxyError::new(ErrorKind::ClientAborted).at(phase)
}
