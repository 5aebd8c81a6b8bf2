//! `http-after-response` rules: as HAProxy 2.6, they run on every answer
//! the client gets, after the `http-response` rules: a server's or an
//! applet's response (see [`super::target`], which runs both sets in one
//! pass over the response head) and the proxy's own answers, which this
//! file rewrites: `return`, `deny`, redirects, `monitor-uri` and error
//! pages (503, 502, 504, ...). The backend's rules run first, then the
//! frontend's; an `allow` ends its own set only.
//!
//! A local answer is a complete message in memory: it is parsed, the
//! rules run on it (their conditions see its status and fields and the
//! stream's variables; request fetches are not available, as HAProxy
//! warns they never match there), and it is written again only when a
//! rule changed it.

use std::net::SocketAddr;
use std::ops::ControlFlow;

use super::facts::Facts;
use super::flow_actions::{store_response_knobs, Knobs};
use super::rewrite_actions::{decide, for_each_edited};
use super::txn::Txn;
use super::Ctx;
use crate::config::model_http::{HttpAction, HttpRule};
use crate::http::head::{parse_response, Parsed, ResponseHead};
use crate::http::head_edit::HeadEdits;
use crate::rules::{eval_opt, RequestView, StreamInfo};
use crate::state::Proxy;
use crate::stream::Stream;

/// The rule sets of one kind that apply to an answer: the backend's (when
/// it is not the frontend), then the frontend's; empty ones left out.
pub(super) type RuleSets<'r> = Vec<&'r [HttpRule]>;

/// The `http-response` and the `http-after-response` rule sets of an
/// answer.
pub(super) fn rule_sets<'r>(fe: &'r Proxy, be: Option<&'r Proxy>) -> [RuleSets<'r>; 2] {
    let be = be.filter(|b| b.idx != fe.idx);
    let of = |pick: fn(&'r Proxy) -> &'r [HttpRule]| -> RuleSets<'r> {
        be.into_iter()
            .chain([fe])
            .map(pick)
            .filter(|r| !r.is_empty())
            .collect()
    };
    [of(|p| &p.cfg.http.response), of(|p| &p.cfg.http.after)]
}

/// A local answer `msg` after the `http-after-response` rules of the
/// stream's backend and frontend: the new message and its status, or
/// `None` when no rule changed it.
pub(super) fn after_local(
    ctx: &Ctx<'_>,
    s: &Stream,
    txn: &mut Txn,
    msg: &[u8],
) -> Option<(Vec<u8>, u16)> {
    let be = s.be.or(txn.backend).and_then(|i| ctx.st.proxies.get(i));
    let [_, after] = rule_sets(ctx.fe, be);
    if after.is_empty() {
        return None;
    }
    let Ok(Parsed::Complete(head)) = parse_response(msg, &ctx.limits) else {
        return None;
    };
    let mut edits = HeadEdits::default();
    let mut knobs = Knobs::default();
    {
        let facts = Facts::of(ctx, s, Some(txn));
        for set in after {
            run(set, msg, &head, &facts, &mut edits, &mut knobs);
        }
    }
    store_response_knobs(knobs, &ctx.fe.cfg.http.capture_response, txn);
    if edits.is_empty() {
        return None;
    }
    let status = edits.status.as_ref().map_or(head.status, |(c, _)| *c);
    Some((write_local(msg, &head, &edits), status))
}

/// Runs `rules` on the answer, adding to `edits`; `allow` ends the rules
/// of the proxy it belongs to.
fn run(
    rules: &[HttpRule],
    buf: &[u8],
    head: &ResponseHead,
    info: &Facts<'_>,
    edits: &mut HeadEdits,
    knobs: &mut Knobs,
) {
    for r in rules {
        let change = {
            let view = LocalView {
                buf,
                head,
                rw: (!edits.is_empty()).then_some(&*edits),
                info,
            };
            if !eval_opt(r.cond.as_ref(), &view) {
                continue;
            }
            match &r.action {
                HttpAction::Allow => break,
                HttpAction::SetVar(a) => {
                    a.apply(&view);
                    continue;
                }
                act if knobs.set_by(act, &view) => continue,
                act => decide(act, &view),
            }
        };
        if let Some(c) = change {
            c.apply(edits, buf, &head.headers);
        }
    }
}

/// The answer written again with the rules' changes: status line, the
/// fields as they stand, then the body unchanged.
fn write_local(msg: &[u8], head: &ResponseHead, edits: &HeadEdits) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 64);
    out.extend_from_slice(head.version_raw.get(msg));
    out.push(b' ');
    match &edits.status {
        Some((code, reason)) => {
            out.extend_from_slice(code.to_string().as_bytes());
            out.push(b' ');
            match reason {
                Some(r) => out.extend_from_slice(r),
                None => out.extend_from_slice(crate::http::status::reason(*code).as_bytes()),
            }
        }
        None => {
            out.extend_from_slice(head.status_raw.get(msg));
            out.push(b' ');
            out.extend_from_slice(head.reason.get(msg));
        }
    }
    out.extend_from_slice(b"\r\n");
    edits.for_each(msg, &head.headers, &mut |n, v| {
        out.extend(n.iter().map(u8::to_ascii_lowercase));
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
        ControlFlow::Continue(())
    });
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(msg.get(head.len..).unwrap_or_default());
    out
}

/// What rules see of a local answer: its status and fields, and the
/// stream; no request.
struct LocalView<'a> {
    buf: &'a [u8],
    head: &'a ResponseHead,
    rw: Option<&'a HeadEdits>,
    info: &'a Facts<'a>,
}

impl RequestView for LocalView<'_> {
    fn method(&self) -> &[u8] {
        b""
    }
    fn uri(&self) -> &[u8] {
        b""
    }
    fn path(&self) -> &[u8] {
        b""
    }
    fn version(&self) -> (u8, u8) {
        (1, 1)
    }
    fn for_each_header<'a>(&'a self, _: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {}
    fn src(&self) -> Option<SocketAddr> {
        None
    }
    fn dst(&self) -> Option<SocketAddr> {
        None
    }
    fn nbsrv(&self, _: Option<&str>) -> u32 {
        0
    }
    fn status(&self) -> Option<u16> {
        match self.rw.and_then(|r| r.status.as_ref()) {
            Some((code, _)) => Some(*code),
            None => Some(self.head.status),
        }
    }
    fn res_version(&self) -> Option<(u8, u8)> {
        Some((1, 1))
    }
    fn for_each_res_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        for_each_edited(self.rw, self.buf, &self.head.headers, f)
    }
    fn stream(&self) -> Option<&dyn StreamInfo> {
        Some(self.info)
    }
}
