//! What each fetch reads: from the message through [`RequestView`], from
//! the stream through [`super::StreamInfo`], or nothing (constants).
//!
//! Multi-valued fetches (headers, cookies) call back once per value in
//! ACL mode (`all`), else once with the selected value: the `<occ>` one,
//! or the last one; cookies: the last occurrence of a named cookie, the
//! first cookie without a name (HAProxy 2.6).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::ControlFlow;
use std::time::{SystemTime, UNIX_EPOCH};

use super::fetch::{Fetch, HdrSel};
use super::sample::{trim, CommaSplit};
use super::RequestView;
use crate::sample::value::leading_int;
use crate::sample::Value;

type Visit<'f, 'v> = &'f mut dyn FnMut(Value<'v>) -> ControlFlow<()>;

impl Fetch {
    /// Calls `f` with each value; `all` (ACL mode) visits every occurrence
    /// of a multi-valued fetch, otherwise only the selected (by default
    /// last) one is given. Stops when `f` breaks, and says so.
    pub fn each<'v>(
        &'v self,
        view: &'v dyn RequestView,
        all: bool,
        f: Visit<'_, 'v>,
    ) -> ControlFlow<()> {
        match self {
            Fetch::Hdr(s) => select(view, s, all, &mut |v| f(Value::str(v))),
            Fetch::HdrVal(s) => select(view, s, all, &mut |v| f(Value::Int(leading_int(v)))),
            Fetch::HdrIp(s) => select(view, s, all, &mut |v| match header_ip(v) {
                Some(ip) => f(Value::ip(ip)),
                None => ControlFlow::Continue(()),
            }),
            Fetch::Cook {
                res,
                name,
                cnt,
                int,
            } => cookies(view, *res, name.as_deref(), *cnt, *int, all, f),
            Fetch::SslHello(super::fetch::SslField::Alpn) => {
                super::fetch_payload::alpn(view, all, f)
            }
            Fetch::HttpAuth { list, group } => super::fetch_auth::check(view, list, *group, all, f),
            _ => match self.one(view) {
                Some(v) => f(v),
                None => ControlFlow::Continue(()),
            },
        }
    }

    /// The value of a single-valued fetch.
    fn one<'v>(&'v self, view: &'v dyn RequestView) -> Option<Value<'v>> {
        let port = |a: Option<std::net::SocketAddr>| a.map(|a| Value::Int(i64::from(a.port())));
        match self {
            Fetch::Path => Some(Value::str(view.path())),
            Fetch::Url => Some(Value::str(view.uri())),
            Fetch::Query => query(view.uri()).map(Value::str),
            Fetch::Method => Some(Value::Meth(Cow::Borrowed(view.method()))),
            Fetch::Base => Some(base(view)),
            Fetch::Base32 => Some(Value::Int(i64::from(base32(view)))),
            Fetch::Base32Src => base32_src(view),
            Fetch::Ver(res) => version(view, *res),
            Fetch::ReqProtoHttp => Some(Value::Bool(true)),
            Fetch::ReqLen => Some(super::fetch_payload::req_len(view)),
            Fetch::ResLen => super::fetch_payload::res_len(view),
            Fetch::Payload { offset, len, .. } => {
                super::fetch_payload::payload(view, *offset, *len)
            }
            Fetch::SslHello(f) => super::fetch_payload::ssl(view, *f),
            Fetch::ReqBodyLen => super::fetch_body::body_len(view),
            Fetch::ReqBodySize => super::fetch_body::body_size(view),
            Fetch::ReqBodyParam { name } => super::fetch_body::body_param(view, name.as_deref()),
            Fetch::ReqBody => view
                .stream()
                .and_then(|s| s.body())
                .map(|b| Value::Bin(Cow::Borrowed(b))),
            Fetch::HdrCnt(s) => {
                let mut n = 0i64;
                let _ = values(view, s, &mut |_| {
                    n += 1;
                    ControlFlow::Continue(())
                });
                Some(Value::Int(n))
            }
            Fetch::UrlParam { name, delim, int } => {
                let v = url_param(view.uri(), name.as_deref(), *delim)?;
                Some(if *int {
                    Value::Int(leading_int(v))
                } else {
                    Value::str(v)
                })
            }
            Fetch::Src => view.src().map(|a| Value::ip(a.ip())),
            Fetch::Dst => view.dst().map(|a| Value::ip(a.ip())),
            Fetch::SrcPort => port(view.src()),
            Fetch::DstPort => port(view.dst()),
            Fetch::Nbsrv(b) => Some(Value::Int(i64::from(view.nbsrv(b.as_deref())))),
            Fetch::AlwaysTrue => Some(Value::Bool(true)),
            Fetch::AlwaysFalse => Some(Value::Bool(false)),
            Fetch::Status => view.status().map(|s| Value::Int(i64::from(s))),
            Fetch::Const(v) => Some(v.reborrow()),
            Fetch::Env(name) => {
                std::env::var_os(name).map(|v| Value::owned_str(v.into_encoded_bytes()))
            }
            Fetch::Rand(range) => Some(Value::Int(random(*range))),
            Fetch::Date { offset, unit } => Some(Value::Int(date(*offset, *unit))),
            Fetch::Var(name, default) => view
                .stream()
                .and_then(|s| s.vars())
                .and_then(|v| v.get(name))
                .or_else(|| default.clone()),
            Fetch::Named(which, id) => {
                let (name, num) = view.stream()?.named(*which)?;
                Some(if *id {
                    Value::Int(num)
                } else {
                    Value::str(name.as_bytes())
                })
            }
            Fetch::UniqueId => view.stream()?.unique_id().map(Value::str),
            Fetch::Capture { res, idx } => view.stream()?.capture(*res, *idx).map(Value::str),
            Fetch::NbProc => Some(Value::Int(1)),
            Fetch::NbThread => Some(Value::Int(i64::from(threads(view).0))),
            Fetch::Thread => Some(Value::Int(i64::from(threads(view).1))),
            Fetch::Stopping => Some(Value::Bool(view.stream().is_some_and(|s| s.stopping()))),
            Fetch::Load(what, be, srv) => {
                let n = view.stream()?.load(*what, be.as_deref(), srv.as_deref())?;
                Some(if *what == super::fetch::Load::SrvIsUp {
                    Value::Bool(n != 0)
                } else {
                    Value::Int(n)
                })
            }
            Fetch::Stk(sf) => view.stick().and_then(|env| env.fetch(sf, view.src())),
            Fetch::TableCnt(t) => view.stick().and_then(|env| env.table_cnt(t.as_deref())),
            Fetch::TableAvl(t) => view.stick().and_then(|env| env.table_avl(t.as_deref())),
            Fetch::Ssl(f) => f.eval(view.tls(f.back)),
            Fetch::FcErr => Some(Value::Int(0)),
            Fetch::AuthField(which) => super::fetch_auth::field(view, *which),
            Fetch::FcRcvdProxy => Some(Value::Bool(
                view.stream().and_then(|s| s.proxy_header()).is_some(),
            )),
            Fetch::FcPpTlv(kind) => pp_tlv(view, *kind),
            Fetch::Hdr(_)
            | Fetch::HdrVal(_)
            | Fetch::HdrIp(_)
            | Fetch::Cook { .. }
            | Fetch::HttpAuth { .. } => None,
        }
    }
}

/// `base32+src`: `base32` then the client's address bytes.
fn base32_src<'v>(view: &'v dyn RequestView) -> Option<Value<'v>> {
    let a = view.src()?;
    let mut b = base32(view).to_be_bytes().to_vec();
    match a.ip() {
        IpAddr::V4(v4) => b.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => b.extend_from_slice(&v6.octets()),
    }
    Some(Value::bin(b))
}

/// `req.ver` / `res.ver`: `major.minor`.
fn version<'v>(view: &'v dyn RequestView, res: bool) -> Option<Value<'v>> {
    let (maj, min) = if res {
        view.res_version()
    } else {
        Some(view.version())
    }?;
    Some(Value::owned_str(vec![
        b'0' + maj.min(9),
        b'.',
        b'0' + min.min(9),
    ]))
}

/// `fc_pp_authority`, `fc_pp_unique_id`: a TLV of the PROXY header the
/// connection began with.
fn pp_tlv<'v>(view: &'v dyn RequestView, kind: u8) -> Option<Value<'v>> {
    let h = view.stream()?.proxy_header()?;
    h.tlv(kind).map(|v| Value::owned_str(v.to_vec()))
}

fn threads(view: &dyn RequestView) -> (u32, u32) {
    view.stream().map_or((1, 0), |s| s.threads())
}

fn query(uri: &[u8]) -> Option<&[u8]> {
    uri.iter().position(|&b| b == b'?').map(|q| &uri[q + 1..])
}

/// The last `Host` header value, if any.
fn host(view: &dyn RequestView) -> Option<&[u8]> {
    let mut host = None;
    view.for_each_header(&mut |n, v| {
        if n.eq_ignore_ascii_case(b"host") {
            host = Some(trim(v));
        }
        ControlFlow::Continue(())
    });
    host
}

/// `base`: the host then the path, without the query string.
fn base<'v>(view: &'v dyn RequestView) -> Value<'v> {
    match host(view) {
        None => Value::str(view.path()),
        Some(h) => {
            let mut b = h.to_vec();
            b.extend_from_slice(view.path());
            Value::owned_str(b)
        }
    }
}

/// `base32`: the sdbm hash of the host and the path, with HAProxy's
/// avalanche.
fn base32(view: &dyn RequestView) -> u32 {
    let step = |h: u32, b: &u8| {
        u32::from(*b)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    };
    let h = host(view).unwrap_or_default().iter().fold(0u32, step);
    crate::sample::conv::hash::full_hash(view.path().iter().fold(h, step))
}

/// An address at the start of a header value: IPv4 (what follows, such
/// as a port, is ignored) or a whole IPv6 address.
fn header_ip(v: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(v).ok()?;
    let v4_len = text
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    if let Ok(a) = text[..v4_len].parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(a));
    }
    text.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
}

/// The value of query parameter `name` (the first parameter when `None`).
fn url_param<'u>(uri: &'u [u8], name: Option<&str>, delim: Option<u8>) -> Option<&'u [u8]> {
    let q = query(uri)?;
    let seps = [b'&', delim.unwrap_or(b'&')];
    q.split(|b| seps.contains(b)).find_map(|p| {
        let (k, v) = match p.iter().position(|&b| b == b'=') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => (p, &p[p.len()..]),
        };
        match name {
            None if !p.is_empty() => Some(v),
            Some(n) if k == n.as_bytes() => Some(v),
            _ => None,
        }
    })
}

/// Cookie fetches: `Cookie` lines (request; `;`-separated pairs) or
/// `Set-Cookie` lines (response; one cookie a line).
fn cookies<'v>(
    view: &'v dyn RequestView,
    res: bool,
    name: Option<&str>,
    cnt: bool,
    int: bool,
    all: bool,
    f: Visit<'_, 'v>,
) -> ControlFlow<()> {
    let mut found: Vec<&'v [u8]> = Vec::new();
    let mut visit = |n: &'v [u8], v: &'v [u8]| {
        let wanted: &[u8] = if res { b"set-cookie" } else { b"cookie" };
        if !n.eq_ignore_ascii_case(wanted) {
            return ControlFlow::Continue(());
        }
        let pairs: Box<dyn Iterator<Item = &'v [u8]>> = if res {
            Box::new(v.split(|&b| b == b';').take(1))
        } else {
            Box::new(v.split(|&b| b == b';'))
        };
        for pair in pairs {
            let pair = trim(pair);
            let (k, val) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (trim(&pair[..i]), trim(&pair[i + 1..])),
                None => continue,
            };
            if name.is_none_or(|n| k == n.as_bytes()) {
                found.push(val);
            }
        }
        ControlFlow::Continue(())
    };
    if res {
        view.for_each_res_header(&mut visit);
    } else {
        view.for_each_header(&mut visit);
    }
    if cnt {
        return f(Value::Int(found.len() as i64));
    }
    let conv = |v: &'v [u8]| {
        if int {
            Value::Int(leading_int(v))
        } else {
            Value::str(v)
        }
    };
    if all {
        for v in found {
            f(conv(v))?;
        }
        return ControlFlow::Continue(());
    }
    let pick = if name.is_some() {
        found.last()
    } else {
        found.first()
    };
    match pick {
        Some(v) => f(conv(v)),
        None => ControlFlow::Continue(()),
    }
}

/// `rand([<range>])`: a 32-bit random number, scaled to `[0, range)`.
fn random(range: Option<u64>) -> i64 {
    let r = u64::from(fastrand::u32(..));
    match range {
        Some(n) => ((r * n) >> 32) as i64,
        None => r as i64,
    }
}

/// `date([<offset>[,<unit>]])`: now plus `offset` (in the unit), in
/// seconds (0), milliseconds (1) or microseconds (2).
fn date(offset: i64, unit: u8) -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now = match unit {
        1 => d.as_millis() as i64,
        2 => d.as_micros() as i64,
        _ => d.as_secs() as i64,
    };
    now.saturating_add(offset)
}

/// The values of the selected header occurrence(s).
fn select<'a>(
    view: &'a dyn RequestView,
    s: &HdrSel,
    all: bool,
    f: &mut dyn FnMut(&'a [u8]) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if s.name.is_none() {
        return ControlFlow::Continue(());
    }
    let occ = if s.occ == 0 && !all { -1 } else { s.occ };
    if occ == 0 {
        return values(view, s, f);
    }
    let want = if occ > 0 {
        occ
    } else {
        let mut n = 0i64;
        let _ = values(view, s, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        });
        n + occ + 1
    };
    if want < 1 {
        return ControlFlow::Continue(());
    }
    let mut i = 0i64;
    let mut picked: Option<&'a [u8]> = None;
    let _ = values(view, s, &mut |v| {
        i += 1;
        if i == want {
            picked = Some(v);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    match picked {
        Some(v) => f(v),
        None => ControlFlow::Continue(()),
    }
}

/// Every value of the selected headers, in order.
fn values<'a>(
    view: &'a dyn RequestView,
    s: &HdrSel,
    f: &mut dyn FnMut(&'a [u8]) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut flow = ControlFlow::Continue(());
    let name = s.name.as_deref().unwrap_or("");
    let mut visit = |n: &'a [u8], v: &'a [u8]| {
        if !name.is_empty() && !n.eq_ignore_ascii_case(name.as_bytes()) {
            return ControlFlow::Continue(());
        }
        flow = if s.full {
            f(trim(v))
        } else {
            CommaSplit { rest: Some(v) }.try_for_each(|p| f(trim(p)))
        };
        flow
    };
    if s.res {
        view.for_each_res_header(&mut visit);
    } else {
        view.for_each_header(&mut visit);
    }
    flow
}
