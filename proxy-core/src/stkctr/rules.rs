//! Running the rules that use stick tables: `tcp-request connection`
//! (at accept, on the session's counters), `tcp-request content` (at the
//! start of each stream) and the `track-sc*` / `sc-*` actions of
//! `http-request`.
//!
//! Conditions see the counters tracked so far: [`StickView`] wraps the
//! caller's view of the request (or of the connection) and adds the
//! stick-table environment, rebuilt before each rule since a rule may
//! track a new counter.

use std::net::SocketAddr;
use std::ops::ControlFlow;

use super::eval::StickEnv;
use super::key::eval_key;
use super::track::Trackers;
use super::TableSet;
use crate::config::model_stick::{GptValue, ScAction, TcpAction, TcpRule, TrackAction};
use crate::rules::fetch_stick::StickFetches;
use crate::rules::{eval_opt, Payload, RequestView, StreamInfo};
use crate::sample::vars::VarStore;
use crate::stick::DataType;
use crate::tls::conn::TlsCell;
use crate::tls::info::TlsInfo;

/// A view with the stick-table environment added.
pub struct StickView<'a> {
    pub inner: &'a dyn RequestView,
    pub env: StickEnv<'a>,
}

impl RequestView for StickView<'_> {
    fn method(&self) -> &[u8] {
        self.inner.method()
    }
    fn uri(&self) -> &[u8] {
        self.inner.uri()
    }
    fn path(&self) -> &[u8] {
        self.inner.path()
    }
    fn version(&self) -> (u8, u8) {
        self.inner.version()
    }
    fn for_each_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        self.inner.for_each_header(f)
    }
    fn src(&self) -> Option<SocketAddr> {
        self.inner.src()
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.inner.dst()
    }
    fn nbsrv(&self, backend: Option<&str>) -> u32 {
        self.inner.nbsrv(backend)
    }
    fn req_len(&self) -> u64 {
        self.inner.req_len()
    }
    fn status(&self) -> Option<u16> {
        self.inner.status()
    }
    fn for_each_res_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        self.inner.for_each_res_header(f)
    }
    fn stick(&self) -> Option<&dyn StickFetches> {
        Some(&self.env)
    }
    fn stream(&self) -> Option<&dyn StreamInfo> {
        self.inner.stream()
    }
    fn res_version(&self) -> Option<(u8, u8)> {
        self.inner.res_version()
    }
    fn payload(&self) -> Option<&Payload<'_>> {
        self.inner.payload()
    }
    fn tls(&self, back: bool) -> Option<&TlsInfo> {
        self.inner.tls(back)
    }
}

/// What a connection carries before any request: its addresses, and the
/// variables of its session once there are any.
#[derive(Clone)]
pub struct ConnView<'v> {
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub vars: Option<&'v VarStore>,
    /// The client bytes buffered so far (TCP-mode inspection).
    pub payload: Option<Payload<'v>>,
    /// The TLS facts of the client and server connections.
    pub tls: [Option<TlsCell>; 2],
    /// Set by an `expect-proxy layer4` rule that matched.
    pub expect_proxy: Flag,
    /// The PROXY header the connection arrived with.
    pub pp: Option<std::sync::Arc<crate::proxy_proto::Header>>,
}

impl StreamInfo for ConnView<'_> {
    fn proxy_header(&self) -> Option<&crate::proxy_proto::Header> {
        self.pp.as_deref()
    }
    fn vars(&self) -> Option<&VarStore> {
        self.vars
    }
    fn tls(&self, back: bool) -> Option<&TlsInfo> {
        self.tls[usize::from(back)].as_ref()?.get()
    }
}

impl RequestView for ConnView<'_> {
    fn expect_proxy(&self) {
        self.expect_proxy.raise();
    }
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
        (0, 0)
    }
    fn for_each_header<'a>(&'a self, _f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {}
    fn src(&self) -> Option<SocketAddr> {
        self.src
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.dst
    }
    fn stream(&self) -> Option<&dyn StreamInfo> {
        self.vars.is_some().then_some(self as &dyn StreamInfo)
    }
    fn nbsrv(&self, _backend: Option<&str>) -> u32 {
        0
    }
    fn req_len(&self) -> u64 {
        self.payload.as_ref().map_or(0, |p| p.data.len() as u64)
    }
    fn payload(&self) -> Option<&Payload<'_>> {
        self.payload.as_ref()
    }
    fn tls(&self, back: bool) -> Option<&TlsInfo> {
        StreamInfo::tls(self, back)
    }
}

/// Where the rules of a proxy run: the tables, the proxy's own table, and
/// the time of the pass (one clock read for all its rules).
#[derive(Clone, Copy, Debug)]
pub struct RuleCtx<'a> {
    pub tables: &'a TableSet,
    pub px_table: Option<usize>,
    pub now_ms: u64,
}

impl<'a> RuleCtx<'a> {
    /// A pass over the rules of a proxy whose own table is `px_table`, now.
    pub fn new(tables: &'a TableSet, px_table: Option<usize>) -> RuleCtx<'a> {
        // without tables nothing reads the clock
        let now_ms = if tables.is_empty() {
            0
        } else {
            crate::counters::now_ms()
        };
        RuleCtx {
            tables,
            px_table,
            now_ms,
        }
    }

    /// The environment for conditions, with the counters tracked so far.
    pub fn env(&self, trk: Option<&'a Trackers>) -> StickEnv<'a> {
        StickEnv {
            tables: self.tables,
            trk,
            px_table: self.px_table,
            now_ms: self.now_ms,
        }
    }

    /// Whether a rule's condition holds, the counters included.
    pub fn cond(
        &self,
        cond: Option<&crate::rules::Condition>,
        trk: &Trackers,
        base: &dyn RequestView,
    ) -> bool {
        let Some(c) = cond else { return true };
        let v = StickView {
            inner: base,
            env: self.env(Some(trk)),
        };
        eval_opt(Some(c), &v)
    }

    /// Like [`RuleCtx::cond`] on data still arriving: `None` while the
    /// answer depends on bytes not there yet.
    pub fn cond_partial(
        &self,
        cond: Option<&crate::rules::Condition>,
        trk: &Trackers,
        base: &dyn RequestView,
    ) -> Option<bool> {
        let Some(c) = cond else { return Some(true) };
        let v = StickView {
            inner: base,
            env: self.env(Some(trk)),
        };
        match base.payload() {
            Some(p) if p.partial => c.eval_partial(&v, p.may_change),
            _ => Some(c.eval(&v)),
        }
    }

    /// `track-sc<n>`: `session` for `tcp-request connection`, `http` for
    /// `http-request` (which also counts the request).
    pub fn track(
        &self,
        a: &TrackAction,
        session: bool,
        http: bool,
        trk: &mut Trackers,
        base: &dyn RequestView,
    ) {
        let Some(t) = self.tables.get(a.table) else {
            return;
        };
        let busy = if session {
            false
        } else {
            trk.get(a.slot).is_some()
        };
        if busy {
            return;
        }
        let key = {
            let v = StickView {
                inner: base,
                env: self.env(Some(&*trk)),
            };
            eval_key(&a.key, &t.config().key_type, &v)
        };
        if let Some(key) = key {
            trk.track(session, a.slot, t, key, self.now_ms, http);
        }
    }
}

/// `sc-inc-gpc0(<n>)`, `sc-inc-gpc1(<n>)`, `sc-set-gpt0(<n>) <v>` on the
/// entry counter `n` tracks (nothing if it tracks none).
pub fn sc_action(a: &ScAction, trk: &Trackers, now: u64, view: &dyn RequestView) {
    match *a {
        ScAction::IncGpc { gpc, slot } => {
            let (cnt, rate) = if gpc == 0 {
                (DataType::Gpc0, DataType::Gpc0Rate)
            } else {
                (DataType::Gpc1, DataType::Gpc1Rate)
            };
            let idx = u32::from(gpc);
            trk.with_entry(slot, now, |e| {
                if e.add(rate, 0, 1).is_none() {
                    e.add(DataType::GpcRate, idx, 1);
                }
                if e.add(cnt, 0, 1).is_none() {
                    e.add(DataType::Gpc, idx, 1);
                }
            });
        }
        ScAction::SetGpt0 { slot, ref value } => {
            let value = match value {
                GptValue::Int(n) => *n,
                GptValue::Expr(e) => match e.eval(view).and_then(|v| v.to_int()) {
                    Some(n) => n,
                    None => return,
                },
            };
            trk.with_entry(slot, now, |e| {
                if !e.set(DataType::Gpt0, 0, value) {
                    e.set(DataType::Gpt, 0, value);
                }
            });
        }
    }
}

/// A flag a rule raises through the shared view it is given (atomic
/// only because views must be `Sync`; one thread uses it).
#[derive(Debug, Default)]
pub struct Flag(std::sync::atomic::AtomicBool);

impl Flag {
    pub fn raise(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Clone for Flag {
    fn clone(&self) -> Flag {
        Flag(std::sync::atomic::AtomicBool::new(self.get()))
    }
}

/// What the `tcp-request` rules decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpVerdict {
    /// Go on (no rule matched, or `accept`).
    Continue,
    /// `reject`: close the connection.
    Reject,
    /// `use-service <name>`.
    /// `use-service`: the service and its arguments.
    Service(String, Vec<String>),
    /// A condition needs client data not there yet: wait for more.
    Wait,
    /// `tcp-response content close`.
    Close,
}

/// Runs `tcp-request connection` (`session`) or `tcp-request content`
/// rules in order until one decides.
pub fn tcp_rules(
    ctx: RuleCtx<'_>,
    rules: &[TcpRule],
    session: bool,
    trk: &mut Trackers,
    base: &dyn RequestView,
) -> TcpVerdict {
    for r in rules {
        match ctx.cond_partial(r.cond.as_ref(), trk, base) {
            None => return TcpVerdict::Wait,
            Some(false) => continue,
            Some(true) => {}
        }
        match &r.action {
            TcpAction::Accept => return TcpVerdict::Continue,
            TcpAction::Reject => return TcpVerdict::Reject,
            TcpAction::UseService(s, args) => return TcpVerdict::Service(s.clone(), args.clone()),
            TcpAction::Track(a) => ctx.track(a, session, false, trk, base),
            TcpAction::Sc(a) => {
                let view = StickView {
                    inner: base,
                    env: ctx.env(Some(&*trk)),
                };
                sc_action(a, trk, ctx.now_ms, &view)
            }
            TcpAction::ExpectProxy => base.expect_proxy(),
            TcpAction::Close => return TcpVerdict::Close,
            TcpAction::SetVar(a) => a.apply(&StickView {
                inner: base,
                env: ctx.env(Some(&*trk)),
            }),
        }
    }
    TcpVerdict::Continue
}
