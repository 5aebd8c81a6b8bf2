//! Cookie persistence in a transaction (HAProxy 2.6's `cookie`): the
//! request analyser step that reads the persistence cookie, applies the
//! `force-persist`/`ignore-persist` rules, may send the stream to a server
//! (`DIRECT`) and removes or unprefixes the cookie; and the response step
//! that deletes, rewrites or prefixes the server's cookie, inserts the
//! proxy's own `Set-Cookie` (with `Cache-control: private` for `nocache`)
//! and records the `%tsc` letters and `capture cookie` values. The byte
//! work is in [`super::cookie_scan`].

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use super::analyse::Request;
use super::cookie_scan::{self, ReqScan, ResScan, SrvCookie};
use super::Ctx;
use crate::config::model_cookie::{CookieConfig, PersistRuleKind};
use crate::http::head_edit::HeadEdits;
use crate::http::ResponseHead;
use crate::log::termination::{CookieState, SetCookieState};
use crate::rules::eval_opt;
use crate::state::Proxy;
use crate::stream::recvbuf::RecvBuf;
use crate::stream::{sess_flags, Stream};

/// What a transaction learned of cookies, for the response and the log.
#[derive(Debug, Default)]
pub(super) struct CookieTxn {
    pub(super) req: CookieState,
    pub(super) res: SetCookieState,
    /// `%CC` / `%CS`.
    pub(super) cli_capture: Option<Vec<u8>>,
    pub(super) srv_capture: Option<Vec<u8>>,
    /// The server the cookie of a denied request named (only logged).
    pub(super) log_server: Option<usize>,
    last_date: i64,
    first_date: i64,
    /// `ignore-persist` matched.
    ignore: bool,
    /// The request method lets the answer be cached (GET, HEAD, OPTIONS,
    /// TRACE).
    cacheable: bool,
    post: bool,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The request step, once backend `bp` is chosen and its rules ran.
pub(super) fn on_request(
    ctx: &Ctx<'_>,
    bp: &Proxy,
    s: &mut Stream,
    cbuf: &RecvBuf,
    req: &mut Request,
    ck: &mut CookieTxn,
) {
    let cookie = bp.cfg.persist.cookie.as_ref();
    let capture = ctx.fe.cfg.persist.capture.as_ref();
    let buf = cbuf.data();
    let method = req.head.method(buf);
    ck.cacheable = matches!(method, b"GET" | b"HEAD" | b"OPTIONS" | b"TRACE");
    ck.post = method == b"POST";
    let force = persist_rules(ctx, bp, cbuf, req, ck);
    if force {
        s.flags |= sess_flags::FORCE_PRST;
    }
    if cookie.is_none() && capture.is_none() {
        return;
    }
    let (at, mut values): (Vec<usize>, Vec<Vec<u8>>) = req
        .head
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.is(buf, b"cookie"))
        .map(|(i, h)| (i, h.value(buf).to_vec()))
        .unzip();
    if values.is_empty() {
        return;
    }
    // A frontend alone still reads cookies for `capture cookie`.
    let servers: Vec<SrvCookie<'_>> = bp
        .be
        .iter()
        .flat_map(|be| be.servers.iter())
        .enumerate()
        .map(|(i, srv)| SrvCookie {
            cookie: bp
                .cfg
                .servers
                .get(i)
                .and_then(|c| c.cookie.as_deref())
                .map(str::as_bytes),
            up: srv.takes_persistent(),
        })
        .collect();
    let scan = ReqScan {
        cookie,
        capture,
        servers: &servers,
        persist_down: bp.cfg.persist.persist || force,
        ignore: ck.ignore,
        assigned: s.flags & (sess_flags::ASSIGNED | sess_flags::DIRECT) != 0,
        now: now_secs(),
    };
    let (found, changed) = cookie_scan::scan_request(&scan, &mut values);
    if let Some(i) = found.server {
        s.srv = Some(i);
        s.flags |= sess_flags::DIRECT;
    }
    ck.req = found.state;
    ck.last_date = found.last_date;
    ck.first_date = found.first_date;
    ck.cli_capture = found.capture;
    // A rule that already rewrote the header wins: its value is what the
    // server gets.
    let touched = req.edits.touched(buf, &req.head.headers, b"cookie");
    if changed && !touched {
        for (i, v) in at.into_iter().zip(values) {
            let headers = &req.head.headers;
            if v.is_empty() {
                req.edits.set_orig(buf, headers, i, None);
            } else if headers[i].value(buf) != v.as_slice() {
                req.edits.set_orig(buf, headers, i, Some(v));
            }
        }
    }
}

/// A request refused by a `deny` or `tarpit` rule of `px` (the backend so
/// far): 2.6
/// still reads its cookies for the log (letters, `%CC`, the server the
/// cookie names).
pub(super) fn on_deny(
    ctx: &Ctx<'_>,
    px: &Proxy,
    s: &mut Stream,
    cbuf: &RecvBuf,
    req: &mut Request,
    txn: &mut super::txn::Txn,
    verdict: &super::request::Verdict,
) {
    use super::request::Verdict;
    if !matches!(
        verdict,
        Verdict::Respond { deny: true, .. } | Verdict::Tarpit { .. }
    ) {
        return;
    }
    // The stream itself goes nowhere: its server is only shown.
    let (srv, flags) = (s.srv, s.flags);
    on_request(ctx, px, s, cbuf, req, &mut txn.cookie);
    if s.flags & sess_flags::DIRECT != 0 && flags & sess_flags::DIRECT == 0 {
        txn.cookie.log_server = s.srv;
    }
    (s.srv, s.flags) = (srv, flags);
}

/// `force-persist` / `ignore-persist`: the first rule whose condition
/// holds decides. Returns whether persistence is forced.
fn persist_rules(
    ctx: &Ctx<'_>,
    bp: &Proxy,
    cbuf: &RecvBuf,
    req: &Request,
    ck: &mut CookieTxn,
) -> bool {
    let rules = &bp.cfg.persist.rules;
    if rules.is_empty() {
        return false;
    }
    let view = req.view_base(ctx).at(cbuf.data());
    match rules.iter().find(|r| eval_opt(Some(&r.cond), &view)) {
        Some(r) if r.kind == PersistRuleKind::Force => true,
        Some(_) => {
            ck.ignore = true;
            false
        }
        None => false,
    }
}

/// The response step of one transaction, made once the server is known:
/// run on the final response head, it records its findings inside so
/// that the exchange can call it through a shared reference.
pub(super) struct CookieResponse<'a> {
    cookie: Option<&'a CookieConfig>,
    capture: Option<&'a crate::config::model_cookie::CookieCapture>,
    server: Option<Option<&'a str>>,
    direct: bool,
    ignore: bool,
    cacheable: bool,
    post: bool,
    last_date: i64,
    first_date: i64,
    found: Mutex<(SetCookieState, Option<Vec<u8>>)>,
}

impl<'a> CookieResponse<'a> {
    /// The response step for a stream served by `bp`'s server `srv`
    /// (`None` when nothing about cookies is configured).
    pub(super) fn new(
        fe: &'a Proxy,
        bp: &'a Proxy,
        s: &Stream,
        ck: &CookieTxn,
    ) -> Option<CookieResponse<'a>> {
        let cookie = bp.cfg.persist.cookie.as_ref();
        let capture = fe.cfg.persist.capture.as_ref();
        if cookie.is_none() && capture.is_none() {
            return None;
        }
        Some(CookieResponse {
            cookie,
            capture,
            server: s
                .srv
                .map(|i| bp.cfg.servers.get(i).and_then(|c| c.cookie.as_deref())),
            direct: s.flags & sess_flags::DIRECT != 0,
            ignore: ck.ignore,
            cacheable: ck.cacheable,
            post: ck.post,
            last_date: ck.last_date,
            first_date: ck.first_date,
            found: Mutex::new((SetCookieState::None, None)),
        })
    }

    /// Adds its changes of the final response head `head` in `buf` to
    /// `edits` (after the `http-response` rules' own).
    pub(super) fn apply(&self, buf: &[u8], head: &ResponseHead, edits: &mut HeadEdits) {
        let (at, mut values): (Vec<usize>, Vec<Option<Vec<u8>>>) = head
            .values(buf, b"set-cookie")
            .map(|(i, v)| (i, Some(v.to_vec())))
            .unzip();
        let scan = ResScan {
            cookie: self.cookie,
            capture: self.capture,
            server: self.server.map(|c| c.map(str::as_bytes)),
            direct: self.direct,
            ignore: self.ignore,
        };
        let (mut found, changed) = cookie_scan::scan_response(&scan, &mut values);
        for (i, v) in at.into_iter().zip(values).filter(|_| changed) {
            match v {
                None => edits.set_orig(buf, &head.headers, i, None),
                Some(v) if v.as_slice() != head.headers[i].value(buf) => {
                    edits.set_orig(buf, &head.headers, i, Some(v))
                }
                Some(_) => {}
            }
        }
        if let Some(ck) = self.cookie.filter(|ck| self.wants_insert(ck, found.state)) {
            edits.add(&head.headers, b"set-cookie", self.set_cookie(ck));
            let known = matches!(self.server, Some(Some(_)));
            found.state = if known && self.direct {
                SetCookieState::Updated
            } else {
                SetCookieState::Inserted
            };
            if ck.nocache && response_cacheable(self.cacheable, buf, head) {
                edits.add(&head.headers, b"cache-control", b"private".to_vec());
            }
        }
        if let Ok(mut f) = self.found.lock() {
            *f = (found.state, found.capture);
        }
    }

    /// Whether the proxy sets its cookie in this response.
    fn wants_insert(&self, ck: &CookieConfig, state: SetCookieState) -> bool {
        let now = now_secs();
        let (last, first) = (self.last_date, self.first_date);
        let refresh = ((ck.maxidle != 0 || last != 0) && (last == 0 || last - now < 0))
            || (ck.maxlife != 0 && first == 0)
            || (ck.maxlife == 0 && first != 0);
        self.server.is_some()
            && ck.insert
            && !(state == SetCookieState::Passive && ck.preserve)
            && (!self.direct || refresh)
            && (!ck.postonly || self.post)
            && !self.ignore
    }

    /// The value of the proxy's `Set-Cookie`, attributes in HAProxy's
    /// order.
    fn set_cookie(&self, ck: &CookieConfig) -> Vec<u8> {
        let mut v = ck.name.as_bytes().to_vec();
        match self.server.flatten() {
            None => v.extend_from_slice(b"=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"),
            Some(val) => {
                v.push(b'=');
                v.extend_from_slice(val.as_bytes());
                if ck.dated() {
                    let now = now_secs();
                    let stamp = ((now + 3) >> 2) as u32;
                    v.push(b'|');
                    cookie_scan::s30_to_b64(stamp, &mut v);
                    if ck.maxlife != 0 {
                        let first = if self.first_date != 0 {
                            (self.first_date >> 2) as u32
                        } else {
                            stamp
                        };
                        v.push(b'|');
                        cookie_scan::s30_to_b64(first, &mut v);
                    }
                }
                v.extend_from_slice(b"; path=/");
            }
        }
        for d in &ck.domains {
            v.extend_from_slice(b"; domain=");
            v.extend_from_slice(d.as_bytes());
        }
        if ck.httponly {
            v.extend_from_slice(b"; HttpOnly");
        }
        if ck.secure {
            v.extend_from_slice(b"; Secure");
        }
        for a in &ck.attrs {
            v.extend_from_slice(b"; ");
            v.extend_from_slice(a.as_bytes());
        }
        v
    }

    /// Hands what the response step found to the transaction.
    pub(super) fn finish(self, ck: &mut CookieTxn) {
        if let Ok((state, capture)) = self.found.into_inner() {
            ck.res = state;
            ck.srv_capture = capture;
        }
    }
}

/// Whether a shared cache could keep this response (HAProxy's
/// `TX_CACHEABLE` after its status and header checks): only then does
/// `nocache` add `Cache-control: private`.
fn response_cacheable(req_cacheable: bool, buf: &[u8], head: &ResponseHead) -> bool {
    let mut cacheable = req_cacheable
        && matches!(
            head.status,
            200 | 203 | 204 | 206 | 300 | 301 | 404 | 405 | 410 | 414 | 501
        );
    if head.status < 200 {
        return false;
    }
    let has = |name: &[u8]| head.values(buf, name).next().is_some();
    if let Some((_, p)) = head.values(buf, b"pragma").next() {
        if p.eq_ignore_ascii_case(b"no-cache") {
            return false;
        }
    }
    let mut fresh = false;
    for (_, v) in head.values(buf, b"cache-control") {
        for item in v.split(|&b| b == b',').map(trim) {
            let l = item.to_ascii_lowercase();
            if l == b"public" {
                cacheable = true;
            } else if matches!(
                l.as_slice(),
                b"private" | b"no-cache" | b"no-store" | b"max-age=0" | b"s-maxage=0"
            ) {
                cacheable = false;
            } else if l.starts_with(b"no-cache=\"set-cookie") {
                // Only the cookie is not cacheable: no effect here.
            } else if l.starts_with(b"s-maxage") || l.starts_with(b"max-age") {
                fresh = true;
            }
        }
    }
    let fresh = fresh || has(b"expires");
    let validator = has(b"etag") || has(b"last-modified");
    cacheable && (fresh || validator)
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &v[start..end]
}
