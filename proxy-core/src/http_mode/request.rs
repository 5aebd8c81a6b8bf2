//! The request side of a transaction: waiting for a complete head under
//! HAProxy's timeouts, the view rules evaluate, and the `http-request`
//! rules themselves (header edits, deny, return, redirect).

use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::config::model_http::{
    HttpAction, HttpConfig, HttpReply, Redirect, RedirectKind, ReplyBody,
};
use crate::connection::Transport;
use crate::http::head::{parse_request, HeadError};
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
        }
    }
}

impl RequestView for View<'_> {
    fn method(&self) -> &[u8] {
        self.head.method(self.buf)
    }

    fn uri(&self) -> &[u8] {
        self.head.target(self.buf)
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
        for h in &self.head.headers {
            if f(h.name(self.buf), h.value(self.buf)).is_break() {
                return;
            }
        }
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

/// A header edit decided by rules, owned so it outlives the rule pass.
#[derive(Debug, Clone)]
pub enum OwnedEdit {
    Del(Vec<u8>),
    Set(Vec<u8>, Vec<u8>),
    Add(Vec<u8>, Vec<u8>),
}

impl OwnedEdit {
    pub fn as_edit(&self) -> crate::http::Edit<'_> {
        match self {
            OwnedEdit::Del(n) => crate::http::Edit::Del(n),
            OwnedEdit::Set(n, v) => crate::http::Edit::Set(n, v),
            OwnedEdit::Add(n, v) => crate::http::Edit::Add(n, v),
        }
    }
}

/// A request with its response head, for `http-response` rules.
pub struct ResView<'a> {
    pub req: View<'a>,
    pub buf: &'a [u8],
    pub head: &'a crate::http::ResponseHead,
}

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
        Some(self.head.status)
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
        for h in &self.head.headers {
            if f(h.name(self.buf), h.value(self.buf)).is_break() {
                return;
            }
        }
    }
}

/// An `http-response deny` matched.
#[derive(Debug, Clone, Copy)]
pub struct Denied;

/// Runs `http-response` rules: header edits, or `Err` on `deny`.
pub fn response_rules(
    rules: &[&crate::config::model_http::HttpRule],
    view: &dyn RequestView,
) -> Result<Vec<OwnedEdit>, Denied> {
    let mut edits = Vec::new();
    for r in rules {
        if !eval_opt(r.cond.as_ref(), view) {
            continue;
        }
        match &r.action {
            HttpAction::Allow => break,
            HttpAction::Deny(_) => return Err(Denied),
            HttpAction::SetVar(a) => a.apply(view),
            HttpAction::SetHeader { name, value } => {
                edits.push(OwnedEdit::Set(name.as_bytes().to_vec(), value.render(view)))
            }
            HttpAction::AddHeader { name, value } => {
                edits.push(OwnedEdit::Add(name.as_bytes().to_vec(), value.render(view)))
            }
            HttpAction::DelHeader { name, how } => {
                let mut names: Vec<Vec<u8>> = Vec::new();
                view.for_each_res_header(&mut |n, _| {
                    if how.matches(name, n) && !names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
                        names.push(n.to_vec());
                    }
                    ControlFlow::Continue(())
                });
                edits.extend(names.into_iter().map(OwnedEdit::Del));
            }
            _ => {}
        }
    }
    Ok(edits)
}

/// What the `http-request` rules decided.
pub enum Verdict {
    /// Forward, with these header edits.
    Forward(Vec<OwnedEdit>),
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
    /// `use-service`: the header edits decided so far and the service.
    Service((Vec<OwnedEdit>, String, Vec<String>)),
    /// `tarpit`: this refusal, sent after the delay (`PT` in the log).
    Tarpit {
        bytes: Vec<u8>,
        status: u16,
        delay: Option<std::time::Duration>,
    },
}

/// Runs the `http-request` rules, then the standalone `redirect` rules.
/// Conditions and formats see the counters tracked so far (`trk`), which
/// `track-sc*` rules extend and `sc-*` rules update; a `deny` counts an
/// HTTP error on them.
///
/// `set-src` changes `base.src`: later rules see the new address, and the
/// caller takes it over for the connection.
pub fn request_rules(
    http: &HttpConfig,
    base: &mut View<'_>,
    ctx: RuleCtx<'_>,
    trk: &mut Trackers,
) -> Verdict {
    let mut edits = Vec::new();
    for r in &http.request {
        if !ctx.cond(r.cond.as_ref(), trk, &*base) {
            continue;
        }
        match &r.action {
            HttpAction::Track(a) => {
                ctx.track(a, false, true, trk, &*base);
                continue;
            }
            HttpAction::Sc(a) => {
                let view = StickView {
                    inner: &*base,
                    env: ctx.env(Some(&*trk)),
                };
                sc_action(a, trk, ctx.now_ms, &view);
                continue;
            }
            HttpAction::SetSrc(e) => {
                let ip = {
                    let view = StickView {
                        inner: &*base,
                        env: ctx.env(Some(&*trk)),
                    };
                    fetch_ip(e, &view)
                };
                if let Some(ip) = ip {
                    // The port survives within one address family.
                    let port = base
                        .src
                        .filter(|a| a.is_ipv4() == ip.is_ipv4())
                        .map_or(0, |a| a.port());
                    base.src = Some(SocketAddr::new(ip, port));
                }
                continue;
            }
            _ => {}
        }
        let view = &StickView {
            inner: &*base,
            env: ctx.env(Some(&*trk)),
        };
        match &r.action {
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
            HttpAction::Tarpit(reply, delay) => {
                trk.count_http_error(ctx.now_ms);
                let (bytes, status) = reply_bytes(http, reply, view);
                let delay = *delay;
                return Verdict::Tarpit {
                    bytes,
                    status,
                    delay,
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
            HttpAction::Redirect(rd) => {
                if let Some(v) = redirect(rd, view) {
                    return v;
                }
            }
            HttpAction::SetHeader { name, value } => {
                edits.push(OwnedEdit::Set(name.as_bytes().to_vec(), value.render(view)))
            }
            HttpAction::AddHeader { name, value } => {
                edits.push(OwnedEdit::Add(name.as_bytes().to_vec(), value.render(view)))
            }
            HttpAction::DelHeader { name, how } => {
                let mut names = Vec::new();
                view.for_each_header(&mut |n, _| {
                    if how.matches(name, n)
                        && !names.iter().any(|x: &Vec<u8>| x.eq_ignore_ascii_case(n))
                    {
                        names.push(n.to_vec());
                    }
                    ControlFlow::Continue(())
                });
                edits.extend(names.into_iter().map(OwnedEdit::Del));
            }
            HttpAction::UseService(name, args) => {
                return Verdict::Service((edits, name.clone(), args.clone()))
            }
            HttpAction::SetVar(a) => a.apply(view),
            HttpAction::Auth { realm } => {
                return super::auth::challenge(http, realm.as_deref().unwrap_or_default())
            }
            HttpAction::Track(_) | HttpAction::Sc(_) | HttpAction::SetSrc(_) => {}
        }
    }
    let view = &StickView {
        inner: &*base,
        env: ctx.env(Some(&*trk)),
    };
    for r in &http.redirects {
        if eval_opt(r.cond.as_ref(), view) {
            if let Some(v) = redirect(&r.redirect, view) {
                return v;
            }
        }
    }
    Verdict::Forward(edits)
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
    let rendered;
    let body: &[u8] = match &reply.body {
        ReplyBody::DefaultErrorfile => {
            let raw = match http.errorfiles.get(&status) {
                Some(b) => b.to_vec(),
                None => crate::http::error_response(status).to_vec(),
            };
            return (raw, status);
        }
        ReplyBody::Errorfile(b) => return (b.to_vec(), status),
        ReplyBody::Payload(b) => b,
        ReplyBody::Format(f) => {
            rendered = f.render(view);
            &rendered
        }
        ReplyBody::Empty | ReplyBody::Errorfiles(_) => b"",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\n",
        crate::http::status::reason(status),
        body.len()
    )
    .into_bytes();
    if let Some(ct) = &reply.content_type {
        out.extend_from_slice(b"content-type: ");
        out.extend_from_slice(ct.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, fmt) in &reply.headers {
        out.extend(name.as_bytes().iter().map(u8::to_ascii_lowercase));
        out.extend_from_slice(b": ");
        out.extend_from_slice(&fmt.render(view));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    (out, status)
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
