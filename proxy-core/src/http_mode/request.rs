//! The request side of a transaction: waiting for a complete head under
//! HAProxy's timeouts, the view rules evaluate, and the `http-request`
//! rules themselves (header edits, deny, return, redirect).

use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::flow_actions::Knobs;
use super::rewrite_actions::{decide, for_each_edited, Change};
use crate::config::model_http::{
    HttpAction, HttpConfig, HttpReply, Redirect, RedirectKind, ReplyBody,
};
use crate::connection::Transport;
use crate::http::head::{parse_request, HeadError};
use crate::http::head_edit::HeadEdits;
use crate::http::{Failure, HeadLimits, Parsed, RequestHead};
use crate::rules::{eval_opt, RequestView, StreamInfo};
use crate::state::State;
use crate::stkctr::rules::{sc_action, RuleCtx, StickView};
use crate::stkctr::Trackers;
use crate::stream::recvbuf::RecvBuf;

/// How waiting for a request head ended.
pub enum HeadRead {
    Head(RequestHead),
    /// The client went away or stayed idle between two requests: close
    /// quietly, nothing to log.
    Idle,
    Fail(Failure),
}

/// Timeouts that apply while a request head is awaited.
pub struct HeadTimeouts {
    /// Until the complete head (`timeout http-request`, else `client`).
    pub request: Option<Duration>,
    /// Until the first byte of a later request (`timeout http-keep-alive`).
    pub keep_alive: Option<Duration>,
}

/// Reads until `cbuf` holds a complete request head. `first` says whether
/// it is the connection's first request, `started` when the wait for it
/// began; `first_byte` is set to when the request's first byte was seen.
pub async fn read_head(
    client: &mut Transport,
    cbuf: &mut RecvBuf,
    limits: &HeadLimits,
    size: usize,
    (first, started): (bool, Instant),
    to: &HeadTimeouts,
    first_byte: &mut Option<Instant>,
) -> HeadRead {
    loop {
        if !cbuf.is_empty() {
            first_byte.get_or_insert_with(Instant::now);
            match parse_request(cbuf.data(), limits) {
                Ok(Parsed::Complete(h)) => return HeadRead::Head(h),
                Ok(Parsed::Incomplete) if cbuf.is_full(limits.max_head) => {
                    return HeadRead::Fail(Failure::BadRequestHead(HeadError::TooLarge))
                }
                Ok(Parsed::Incomplete) => {}
                Err(e) => return HeadRead::Fail(Failure::BadRequestHead(e)),
            }
        }
        let idle = cbuf.is_empty() && !first;
        let limit = if idle {
            to.keep_alive.or(to.request)
        } else {
            to.request
        };
        let base = if idle {
            started
        } else {
            first_byte.unwrap_or(started)
        };
        let read = match limit {
            Some(d) => {
                let left = (base + d).saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, cbuf.fill_head(client, size)).await {
                    Ok(r) => r,
                    Err(_) if idle => return HeadRead::Idle,
                    Err(_) => return HeadRead::Fail(Failure::RequestTimeout),
                }
            }
            None => cbuf.fill_head(client, size).await,
        };
        match read {
            Ok(0) if cbuf.is_empty() && !first => return HeadRead::Idle,
            Ok(0) => {
                let received_bytes = !cbuf.is_empty();
                return HeadRead::Fail(Failure::ClientAbortedHead { received_bytes });
            }
            Ok(_) => {}
            Err(_) if cbuf.is_empty() && !first => return HeadRead::Idle,
            Err(_) => {
                let received_bytes = !cbuf.is_empty();
                return HeadRead::Fail(Failure::ClientAbortedHead { received_bytes });
            }
        }
    }
}

/// A parsed request as rules see it.
pub struct View<'a> {
    pub buf: &'a [u8],
    pub head: &'a RequestHead,
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub st: &'a State,
    /// The frontend, for `nbsrv` without a backend name.
    pub default_backend: Option<usize>,
    /// The stream around the request (names, variables, captures).
    pub info: Option<&'a dyn StreamInfo>,
    /// What rules rewrote so far (none: the head as received).
    pub rw: Option<&'a HeadEdits>,
}

/// What every [`View`] of one request shares but the buffer, which
/// moves: rules look at the request where it lies at the time.
#[derive(Clone, Copy)]
pub struct ViewBase<'a> {
    pub head: &'a RequestHead,
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub st: &'a State,
    pub default_backend: Option<usize>,
    pub info: Option<&'a dyn StreamInfo>,
    pub rw: Option<&'a HeadEdits>,
}

impl<'a> ViewBase<'a> {
    /// The view of the request in `buf`.
    pub fn at<'b>(&self, buf: &'b [u8]) -> View<'b>
    where
        'a: 'b,
    {
        View {
            buf,
            head: self.head,
            src: self.src,
            dst: self.dst,
            st: self.st,
            default_backend: self.default_backend,
            info: self.info,
            rw: self.rw,
        }
    }
}

impl View<'_> {
    /// The same view, showing the edits `rw`.
    fn with_edits<'b>(&'b self, rw: &'b HeadEdits) -> View<'b> {
        View {
            buf: self.buf,
            head: self.head,
            src: self.src,
            dst: self.dst,
            st: self.st,
            default_backend: self.default_backend,
            info: self.info,
            rw: (!rw.is_empty()).then_some(rw),
        }
    }
}

impl RequestView for View<'_> {
    fn method(&self) -> &[u8] {
        // As HAProxy 2.6, the fetch keeps a standard method as received
        // (`set-method` changes what is sent); another one is read again.
        let received = self.head.method(self.buf);
        match self.rw.and_then(|r| r.method.as_deref()) {
            Some(m) if !is_standard_method(received) => m,
            _ => received,
        }
    }

    fn uri(&self) -> &[u8] {
        match self.rw.and_then(|r| r.uri.as_deref()) {
            Some(u) => u,
            None => self.head.target(self.buf),
        }
    }

    fn path(&self) -> &[u8] {
        path_of(self.uri())
    }

    fn version(&self) -> (u8, u8) {
        if self.head.version.is_11() {
            (1, 1)
        } else {
            (1, 0)
        }
    }

    fn for_each_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        for_each_edited(self.rw, self.buf, &self.head.headers, f)
    }

    fn src(&self) -> Option<SocketAddr> {
        self.src
    }

    fn dst(&self) -> Option<SocketAddr> {
        self.dst
    }

    fn nbsrv(&self, backend: Option<&str>) -> u32 {
        let idx = match backend {
            Some(name) => self.st.backend_index(name),
            None => self.default_backend,
        };
        idx.and_then(|i| self.st.proxies.get(i))
            .and_then(|p| p.be.as_ref())
            .map_or(0, |b| b.usable_count())
    }

    fn req_len(&self) -> u64 {
        self.buf.len().saturating_sub(self.head.len) as u64
    }

    fn stream(&self) -> Option<&dyn StreamInfo> {
        self.info
    }
}

/// The methods HAProxy 2.6 knows by name (`enum http_meth_t`).
fn is_standard_method(m: &[u8]) -> bool {
    const KNOWN: [&[u8]; 8] = [
        b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"TRACE", b"OPTIONS", b"CONNECT",
    ];
    KNOWN.contains(&m)
}

/// The path of a request target: no query, no scheme and authority.
pub fn path_of(uri: &[u8]) -> &[u8] {
    let mut p = uri;
    if let Some(i) = find(p, b"://") {
        let rest = &p[i + 3..];
        p = match rest.iter().position(|&b| b == b'/') {
            Some(j) => &rest[j..],
            None => b"",
        };
    }
    match p.iter().position(|&b| b == b'?') {
        Some(q) => &p[..q],
        None => p,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A request with its response head, for `http-response` rules.
pub struct ResView<'a> {
    pub req: View<'a>,
    pub buf: &'a [u8],
    pub head: &'a crate::http::ResponseHead,
    /// What earlier `http-response` rules rewrote.
    pub rw: Option<&'a HeadEdits>,
}

impl ResView<'_> {
    /// The same view, showing the edits `rw`.
    pub fn with_edits<'b>(&'b self, rw: &'b HeadEdits) -> ResView<'b> {
        ResView {
            req: self.req.with_edits(self.req.rw.unwrap_or(&NO_EDITS)),
            buf: self.buf,
            head: self.head,
            rw: (!rw.is_empty()).then_some(rw),
        }
    }
}

static NO_EDITS: HeadEdits = HeadEdits {
    method: None,
    uri: None,
    status: None,
    fields: None,
};

impl RequestView for ResView<'_> {
    fn method(&self) -> &[u8] {
        self.req.method()
    }
    fn uri(&self) -> &[u8] {
        self.req.uri()
    }
    fn path(&self) -> &[u8] {
        self.req.path()
    }
    fn version(&self) -> (u8, u8) {
        self.req.version()
    }
    fn for_each_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        self.req.for_each_header(f)
    }
    fn src(&self) -> Option<SocketAddr> {
        self.req.src
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.req.dst
    }
    fn nbsrv(&self, backend: Option<&str>) -> u32 {
        self.req.nbsrv(backend)
    }
    fn status(&self) -> Option<u16> {
        match self.rw.and_then(|r| r.status.as_ref()) {
            Some((code, _)) => Some(*code),
            None => Some(self.head.status),
        }
    }
    fn res_version(&self) -> Option<(u8, u8)> {
        Some(if self.head.version.is_11() {
            (1, 1)
        } else {
            (1, 0)
        })
    }
    fn stream(&self) -> Option<&dyn StreamInfo> {
        self.req.info
    }
    fn for_each_res_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        for_each_edited(self.rw, self.buf, &self.head.headers, f)
    }
}

/// An `http-response deny` matched: the answer it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// 502 unless the rule says otherwise (`deny_status`, `status`).
    pub status: u16,
    /// A whole answer the rule made (payload, `errorfile`, `errorfiles`);
    /// `None`: the proxy's error page for `status`.
    pub bytes: Option<Vec<u8>>,
}

impl Denied {
    /// What `http-response deny <reply>` answers for the response in `view`.
    pub fn of(reply: &HttpReply, view: &dyn RequestView) -> Denied {
        Denied {
            status: reply.status,
            bytes: rule_reply(reply, view),
        }
    }
}

/// What the `http-request` rules decided.
pub enum Verdict {
    /// Forward (the head's edits are in the caller's [`HeadEdits`]).
    Forward,
    /// Answer locally with this response; `deny` says it is a refusal
    /// (`PR` in the log) rather than a local answer (`LR`); `redirect`
    /// that it ends any request with a body (HAProxy 2.6 closes after a
    /// redirect unless the request is bodyless).
    Respond {
        bytes: Vec<u8>,
        status: u16,
        deny: bool,
        redirect: bool,
    },
    /// `use-service`: the service and its arguments.
    Service((String, Vec<String>)),
    /// `reject`.
    Reject,
    /// `wait-for-body`: read the body (until the deadline, or `at_least`
    /// bytes), then run the rules again from `knobs.resume`.
    WaitBody {
        time: std::time::Duration,
        at_least: Option<u64>,
    },
    /// A rule found the request invalid (`normalize-uri ... strict`):
    /// 400, the connection closes.
    BadRequest,
    /// `tarpit`: this answer, after the delay.
    Tarpit { bytes: Vec<u8>, status: u16 },
}

/// Runs the `http-request` rules, then the standalone `redirect` rules.
/// Conditions and formats see the counters tracked so far (`trk`), which
/// `track-sc*` rules extend and `sc-*` rules update; a `deny` counts an
/// HTTP error on them.
///
/// `set-src` changes `base.src`: later rules see the new address, and the
/// caller takes it over for the connection. Head changes go to `edits`,
/// which later rules see.
pub fn request_rules(
    http: &HttpConfig,
    base: &mut View<'_>,
    ctx: RuleCtx<'_>,
    trk: &mut Trackers,
    (edits, knobs): (&mut HeadEdits, &mut Knobs),
) -> Verdict {
    let start = std::mem::take(&mut knobs.resume);
    for (i, r) in http.request.iter().enumerate().skip(start) {
        if !ctx.cond(r.cond.as_ref(), trk, &base.with_edits(edits)) {
            continue;
        }
        match &r.action {
            HttpAction::Track(a) => {
                ctx.track(a, false, true, trk, &base.with_edits(edits));
                continue;
            }
            HttpAction::Sc(a) => {
                let view = StickView {
                    inner: &base.with_edits(edits),
                    env: ctx.env(Some(&*trk)),
                };
                sc_action(a, trk, ctx.now_ms, &view);
                continue;
            }
            HttpAction::SetSrc(_)
            | HttpAction::SetDst(_)
            | HttpAction::SetSrcPort(_)
            | HttpAction::SetDstPort(_) => {
                let view = StickView {
                    inner: &base.with_edits(edits),
                    env: ctx.env(Some(&*trk)),
                };
                let (src, dst) = set_addr(&r.action, &view, (base.src, base.dst));
                (base.src, base.dst) = (src, dst);
                continue;
            }
            _ => {}
        }
        let cur = base.with_edits(edits);
        let view = &StickView {
            inner: &cur,
            env: ctx.env(Some(&*trk)),
        };
        let change = match &r.action {
            HttpAction::Allow => break,
            HttpAction::Deny(reply) => {
                trk.count_http_error(ctx.now_ms);
                let (bytes, status) = reply_bytes(http, reply, view);
                return Verdict::Respond {
                    bytes,
                    status,
                    deny: true,
                    redirect: false,
                };
            }
            HttpAction::Return(reply) => {
                let (bytes, status) = reply_bytes(http, reply, view);
                return Verdict::Respond {
                    bytes,
                    status,
                    deny: false,
                    redirect: false,
                };
            }
            HttpAction::Redirect(rd) => match redirect(rd, view) {
                Some(v) => return v,
                None => None,
            },
            HttpAction::UseService(name, args) => {
                return Verdict::Service((name.clone(), args.clone()))
            }
            HttpAction::Auth { realm } => {
                let proxy = crate::rules::fetch_auth::for_proxy(view);
                return super::auth::challenge(http, realm.as_deref().unwrap_or_default(), proxy);
            }
            HttpAction::Reject => return Verdict::Reject,
            HttpAction::WaitForBody { time, at_least } => {
                knobs.resume = i + 1;
                return Verdict::WaitBody {
                    time: *time,
                    at_least: *at_least,
                };
            }
            HttpAction::Tarpit(reply) => {
                trk.count_http_error(ctx.now_ms);
                let (bytes, status) = reply_bytes(http, reply, view);
                return Verdict::Tarpit { bytes, status };
            }
            act if knobs.set_by(act, view) => None,
            HttpAction::SetVar(a) => {
                a.apply(view);
                None
            }
            act => decide(act, view),
        };
        match change {
            Some(Change::Refuse) => return Verdict::BadRequest,
            Some(c) => c.apply(edits, base.buf, &base.head.headers),
            None => {}
        }
    }
    let cur = base.with_edits(edits);
    let view = &StickView {
        inner: &cur,
        env: ctx.env(Some(&*trk)),
    };
    for r in &http.redirects {
        if eval_opt(r.cond.as_ref(), view) {
            if let Some(v) = redirect(&r.redirect, view) {
                return v;
            }
        }
    }
    Verdict::Forward
}

/// `set-src`, `set-dst`, `set-src-port`, `set-dst-port`: the client's
/// and the destination addresses after the action. A new address keeps
/// the port within one address family; a value that is not an address
/// (or a port) changes nothing.
fn set_addr(
    act: &HttpAction,
    view: &dyn RequestView,
    (src, dst): (Option<SocketAddr>, Option<SocketAddr>),
) -> (Option<SocketAddr>, Option<SocketAddr>) {
    let with_ip = |old: Option<SocketAddr>, ip: IpAddr| {
        let port = old
            .filter(|a| a.is_ipv4() == ip.is_ipv4())
            .map_or(0, |a| a.port());
        Some(SocketAddr::new(ip, port))
    };
    let port_of = |e: &crate::config::model_stick::KeyExpr| {
        e.eval(view)?.to_int().and_then(|p| u16::try_from(p).ok())
    };
    let with_port = |old: Option<SocketAddr>, p: Option<u16>| match (old, p) {
        (Some(a), Some(p)) => Some(SocketAddr::new(a.ip(), p)),
        _ => old,
    };
    match act {
        // The client's port survives even across address families (2.6
        // sends it so in a PROXY header).
        HttpAction::SetSrc(e) => (
            fetch_ip(e, view).map_or(src, |ip| {
                Some(SocketAddr::new(ip, src.map_or(0, |a| a.port())))
            }),
            dst,
        ),
        HttpAction::SetDst(e) => (src, fetch_ip(e, view).map_or(dst, |ip| with_ip(dst, ip))),
        HttpAction::SetSrcPort(e) => (with_port(src, port_of(e)), dst),
        HttpAction::SetDstPort(e) => (src, with_port(dst, port_of(e))),
        _ => (src, dst),
    }
}

/// The address a `set-src` expression gives: an IP sample, or text that
/// parses as one.
fn fetch_ip(e: &crate::config::model_stick::KeyExpr, view: &dyn RequestView) -> Option<IpAddr> {
    match e.eval(view)?.cast(crate::sample::SmpType::Addr)? {
        crate::sample::Value::Ipv4(a) => Some(IpAddr::V4(a)),
        crate::sample::Value::Ipv6(a) => Some(IpAddr::V6(a)),
        _ => None,
    }
}

/// The bytes of a `deny`/`return` answer.
fn reply_bytes(http: &HttpConfig, reply: &HttpReply, view: &dyn RequestView) -> (Vec<u8>, u16) {
    let status = reply.status;
    let raw = rule_reply(reply, view).unwrap_or_else(|| match http.errorfiles.get(&status) {
        Some(b) => b.to_vec(),
        None => crate::http::error_response(status).to_vec(),
    });
    (raw, status)
}

/// The answer a `deny`/`return` rule makes itself; `None` when it is the
/// proxy's error page for its status.
fn rule_reply(reply: &HttpReply, view: &dyn RequestView) -> Option<Vec<u8>> {
    let status = reply.status;
    let rendered;
    let body: &[u8] = match &reply.body {
        ReplyBody::DefaultErrorfile => return None,
        ReplyBody::Errorfile(b) => return Some(b.to_vec()),
        ReplyBody::Payload(b) => b,
        ReplyBody::Format(f) => {
            rendered = f.render(view);
            &rendered
        }
        ReplyBody::Empty | ReplyBody::Errorfiles(_) => b"",
    };
    // 2.6's order: the rule's `hdr` fields, then the length and type.
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\n",
        crate::http::status::reason(status)
    )
    .into_bytes();
    for (name, fmt) in &reply.headers {
        out.extend(name.as_bytes().iter().map(u8::to_ascii_lowercase));
        out.extend_from_slice(b": ");
        out.extend_from_slice(&fmt.render(view));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    if let Some(ct) = &reply.content_type {
        out.extend_from_slice(b"content-type: ");
        out.extend_from_slice(ct.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Some(out)
}

fn redirect(rd: &Redirect, view: &dyn RequestView) -> Option<Verdict> {
    let target = rd.target.render(view);
    if target.is_empty() && rd.ignore_empty {
        return None;
    }
    let uri = view.uri();
    let path_and_query = if uri.starts_with(b"/") {
        uri
    } else {
        path_of(uri)
    };
    let (path, query) = match path_and_query.iter().position(|&b| b == b'?') {
        Some(q) => (&path_and_query[..q], &path_and_query[q..]),
        None => (path_and_query, &b""[..]),
    };
    let mut loc = Vec::new();
    match rd.kind {
        RedirectKind::Location => loc.extend_from_slice(&target),
        RedirectKind::Prefix | RedirectKind::Scheme => {
            if rd.kind == RedirectKind::Scheme {
                loc.extend_from_slice(&target);
                loc.extend_from_slice(b"://");
                let mut host = Vec::new();
                view.for_each_header(&mut |n, v| {
                    if n.eq_ignore_ascii_case(b"host") {
                        host = v.to_vec();
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                });
                loc.extend_from_slice(&host);
            } else if target.as_slice() != b"/" {
                loc.extend_from_slice(&target);
            }
            loc.extend_from_slice(path);
            if rd.append_slash && !path.ends_with(b"/") {
                loc.push(b'/');
            }
            if !rd.drop_query {
                loc.extend_from_slice(query);
            }
        }
    }
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-length: 0\r\nlocation: ",
        rd.code,
        crate::http::status::reason(rd.code)
    )
    .into_bytes();
    out.extend_from_slice(&loc);
    out.extend_from_slice(b"\r\n");
    // HAProxy 2.6 (`http_apply_redirect_rule`) marks only the temporary
    // redirects as not cacheable; 301 and 308 go without cache-control.
    if matches!(rd.code, 302 | 303 | 307) {
        out.extend_from_slice(b"cache-control: no-cache\r\n");
    }
    if let Some(c) = &rd.cookie {
        out.extend_from_slice(format!("set-cookie: {c}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    Some(Verdict::Respond {
        bytes: out,
        status: rd.code,
        deny: false,
        redirect: true,
    })
}
