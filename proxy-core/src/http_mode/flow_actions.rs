//! The `http-request` actions that change how the transaction goes:
//! `set-log-level` and `set-timeout` record their choice in the
//! transaction's [`Knobs`]; `reject` and `tarpit` end it (their routes are
//! concluded here).
//!
//! As HAProxy 2.6: `reject` closes the connection without an answer and
//! logs `PR--` with no request time (`-1`); `tarpit` holds the request for
//! `timeout tarpit` (else `timeout connect`) of the proxy whose rule
//! matched, then answers its reply (500 by default) and logs `PT--`, the
//! wait shown as `%Tw` and no request time.

use std::time::{Duration, Instant};

use super::analyse::{Answer, Request};
use super::local::local_answer;
use super::txn::Txn;
use super::Ctx;
use crate::config::kw_http_flow::{TimeoutKind, TimeoutValue};
use crate::config::model_http::HttpAction;
use crate::error::{ErrorKind, ProxyError};
use crate::log::termination::FinState;
use crate::rules::RequestView;
use crate::stream::recvbuf::RecvBuf;
use crate::stream::Stream;

/// What rules set for the rest of the transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Knobs {
    /// `set-log-level`: `Some(None)` is `silent`.
    pub log_level: Option<Option<u8>>,
    /// `set-timeout server`.
    pub server_timeout: Option<Duration>,
    /// `set-timeout tunnel`.
    pub tunnel_timeout: Option<Duration>,
    /// `capture` values to store: slot and value (cut to the slot's
    /// length when stored).
    pub captures: Vec<(usize, Vec<u8>)>,
    /// `early-hint` fields to send, one `103` answer each (as HAProxy
    /// 2.6.12 sends them).
    pub hints: Vec<(Vec<u8>, Vec<u8>)>,
    /// The rule a pass interrupted by `wait-for-body` resumes at.
    pub resume: usize,
}

impl Knobs {
    /// Runs `act` if it is one that sets a knob (`set-log-level`,
    /// `set-timeout`, `early-hint`, `capture`); false for another action.
    pub fn set_by(&mut self, act: &HttpAction, view: &dyn RequestView) -> bool {
        match act {
            HttpAction::SetLogLevel(l) => self.log_level = Some(*l),
            HttpAction::SetTimeout(kind, v) => {
                if let Some(d) = timeout_value(v, view) {
                    self.set_timeout(*kind, d);
                }
            }
            HttpAction::EarlyHint { name, value } => {
                let field = (name.as_bytes().to_vec(), value.render(view));
                self.hints.push(field);
            }
            HttpAction::Capture(c) => {
                if let Some(v) = c.expr.eval(view).and_then(|v| v.into_text()) {
                    self.captures.push((c.slot, v.into_owned()));
                }
            }
            _ => return false,
        }
        true
    }

    pub fn set_timeout(&mut self, kind: TimeoutKind, d: Duration) {
        match kind {
            TimeoutKind::Server => self.server_timeout = Some(d),
            TimeoutKind::Tunnel => self.tunnel_timeout = Some(d),
        }
    }
}

/// The time a `set-timeout` rule sets. As 2.6.12, an expression is read
/// as an integer (a text by its leading digits) in milliseconds; no value
/// or 0 leaves the timeout as it was, and a negative count sets a deadline
/// already past (the wait ends at once; here after 1 ms).
fn timeout_value(v: &TimeoutValue, view: &dyn RequestView) -> Option<Duration> {
    let e = match v {
        TimeoutValue::Fixed(d) => return Some(*d),
        TimeoutValue::Expr(e) => e,
    };
    let ms = e.eval(view)?.to_int()?;
    match u64::try_from(ms) {
        Ok(0) => None,
        Ok(ms) => Some(Duration::from_millis(ms)),
        Err(_) => Some(Duration::from_millis(1)),
    }
}

/// Stores the values `capture` rules took in the frontend's slots
/// (`fe_slots`: their lengths).
pub(super) fn store_captures(
    knobs: &mut Knobs,
    fe_slots: &[crate::config::model_http::Capture],
    txn: &mut Txn,
) {
    store_in(knobs, fe_slots, &mut txn.req_captures);
}

/// What `http-response` / `http-after-response` rules noted: the log
/// level (kept on the transaction) and the values of their `capture`
/// rules, stored in the frontend's response slots (`fe_slots`) over any
/// header captured there, as 2.6 captures headers before the rules run.
pub(super) fn store_response_knobs(
    mut knobs: Knobs,
    fe_slots: &[crate::config::model_http::Capture],
    txn: &mut Txn,
) {
    if knobs.log_level.is_some() {
        txn.knobs.log_level = knobs.log_level;
    }
    if txn.res_captures.len() < fe_slots.len() {
        txn.res_captures.resize(fe_slots.len(), Vec::new());
    }
    store_in(&mut knobs, fe_slots, &mut txn.res_captures);
}

fn store_in(
    knobs: &mut Knobs,
    fe_slots: &[crate::config::model_http::Capture],
    to: &mut [Vec<u8>],
) {
    for (slot, v) in knobs.captures.drain(..) {
        let len = fe_slots.get(slot).map_or(0, |c| c.len);
        if let Some(s) = to.get_mut(slot) {
            *s = v[..v.len().min(len)].to_vec();
        }
    }
}

/// Sends the `103 Early Hints` answers rules made, to an HTTP/1.1 client
/// (HAProxy sends none to an HTTP/1.0 one). Returns whether the client
/// is still there.
pub(super) async fn send_early_hints(
    s: &mut Stream,
    txn: &mut Txn,
    version: crate::http::Version,
) -> bool {
    let hints = std::mem::take(&mut txn.knobs.hints);
    if hints.is_empty() || !version.is_11() {
        return true;
    }
    let mut out = Vec::new();
    for (n, v) in hints {
        out.extend_from_slice(b"HTTP/1.1 103 Early Hints\r\n");
        out.extend(n.iter().map(u8::to_ascii_lowercase));
        out.extend_from_slice(b": ");
        out.extend_from_slice(&v);
        out.extend_from_slice(b"\r\n\r\n");
    }
    let client = super::local::client_transport(s);
    crate::stream::recvbuf::write_all(client, &out)
        .await
        .is_ok()
}

/// `reject`: the transaction ends unanswered and the connection closes.
pub(super) fn reject(txn: &mut Txn) -> bool {
    txn.head_done = None;
    txn.ended(ProxyError::new(ErrorKind::Policy).at(FinState::R), -1, 0);
    false
}

/// `tarpit`: waits, then answers `a`.
pub(super) async fn tarpit(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &Request,
    txn: &mut Txn,
    mut a: Answer,
) -> bool {
    let px = s.be.and_then(|i| ctx.st.proxies.get(i)).unwrap_or(ctx.fe);
    let t = &px.cfg.timeouts;
    if let Some(d) = t.tarpit.or(t.connect) {
        tokio::time::sleep(d).await;
    }
    // The log shows the wait as time in queue, and no request time.
    s.timers.queued = Some(Instant::now());
    txn.head_done = None;
    a.end = ProxyError::new(ErrorKind::Policy).at(FinState::T);
    local_answer(ctx, s, cbuf, req, txn, a).await
}
