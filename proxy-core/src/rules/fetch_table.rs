//! The fetch keyword table: each HAProxy 2.6 fetch name we implement,
//! how many arguments it takes and how they become a [`Fetch`]; the bases
//! and suffixes of the ACL-derived names (`path_beg`, `hdr_sub`...).

use super::fetch::{Fetch, HdrSel, Load, MatchMethod, Named, SslField};
use super::fetch_auth::AuthField;
use crate::sample::args;
use crate::sample::pattern::MatchKind;
use crate::sample::vars::VarName;
use crate::sample::{SmpType, Value};

/// Builds a fetch from its keyword and raw arguments.
pub(super) type MakeFetch = fn(&str, &[String]) -> Result<Fetch, String>;

/// How many arguments a keyword takes: (min, max).
pub(super) type Arity = (usize, usize);

const NONE: Arity = (0, 0);

fn hdr(res: bool, full: bool) -> HdrSel {
    HdrSel {
        res,
        full,
        name: None,
        occ: 0,
    }
}

/// Plain fetch names: name, arity, builder.
pub(super) const PLAIN: &[(&str, Arity, MakeFetch)] = &[
    ("path", NONE, |_, _| Ok(Fetch::Path)),
    ("url", NONE, |_, _| Ok(Fetch::Url)),
    ("query", NONE, |_, _| Ok(Fetch::Query)),
    ("method", NONE, |_, _| Ok(Fetch::Method)),
    ("base", NONE, |_, _| Ok(Fetch::Base)),
    ("base32", NONE, |_, _| Ok(Fetch::Base32)),
    ("base32+src", NONE, |_, _| Ok(Fetch::Base32Src)),
    ("req_ver", NONE, |_, _| Ok(Fetch::Ver(false))),
    ("req.ver", NONE, |_, _| Ok(Fetch::Ver(false))),
    ("res.ver", NONE, |_, _| Ok(Fetch::Ver(true))),
    ("resp_ver", NONE, |_, _| Ok(Fetch::Ver(true))),
    ("req_proto_http", NONE, |_, _| Ok(Fetch::ReqProtoHttp)),
    ("req.proto_http", NONE, |_, _| Ok(Fetch::ReqProtoHttp)),
    ("req_len", NONE, |_, _| Ok(Fetch::ReqLen)),
    ("req.len", NONE, |_, _| Ok(Fetch::ReqLen)),
    ("req.ssl_hello_type", NONE, |_, _| ssl(SslField::HelloType)),
    ("req_ssl_hello_type", NONE, |_, _| ssl(SslField::HelloType)),
    ("req.ssl_ver", NONE, |_, _| ssl(SslField::Ver)),
    ("req_ssl_ver", NONE, |_, _| ssl(SslField::Ver)),
    ("req.ssl_sni", NONE, |_, _| ssl(SslField::Sni)),
    ("req_ssl_sni", NONE, |_, _| ssl(SslField::Sni)),
    ("req.ssl_alpn", NONE, |_, _| ssl(SslField::Alpn)),
    ("req.body", NONE, |_, _| Ok(Fetch::ReqBody)),
    ("hdr", (0, 2), |_, a| {
        hdr_fetch(Fetch::Hdr, hdr(false, false), a)
    }),
    ("req.hdr", (0, 2), |_, a| {
        hdr_fetch(Fetch::Hdr, hdr(false, false), a)
    }),
    ("fhdr", (0, 2), |_, a| {
        hdr_fetch(Fetch::Hdr, hdr(false, true), a)
    }),
    ("req.fhdr", (0, 2), |_, a| {
        hdr_fetch(Fetch::Hdr, hdr(false, true), a)
    }),
    ("hdr_cnt", (0, 1), |_, a| {
        hdr_fetch(Fetch::HdrCnt, hdr(false, false), a)
    }),
    ("req.hdr_cnt", (0, 1), |_, a| {
        hdr_fetch(Fetch::HdrCnt, hdr(false, false), a)
    }),
    ("fhdr_cnt", (0, 1), |_, a| {
        hdr_fetch(Fetch::HdrCnt, hdr(false, true), a)
    }),
    ("req.fhdr_cnt", (0, 1), |_, a| {
        hdr_fetch(Fetch::HdrCnt, hdr(false, true), a)
    }),
    ("hdr_val", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrVal, hdr(false, false), a)
    }),
    ("req.hdr_val", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrVal, hdr(false, false), a)
    }),
    ("hdr_ip", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrIp, hdr(false, false), a)
    }),
    ("req.hdr_ip", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrIp, hdr(false, false), a)
    }),
    ("res.hdr", (0, 2), |_, a| {
        hdr_fetch(Fetch::Hdr, hdr(true, false), a)
    }),
    ("shdr", (0, 2), |_, a| {
        hdr_fetch(Fetch::Hdr, hdr(true, false), a)
    }),
    ("res.fhdr", (0, 2), |_, a| {
        hdr_fetch(Fetch::Hdr, hdr(true, true), a)
    }),
    ("res.hdr_cnt", (0, 1), |_, a| {
        hdr_fetch(Fetch::HdrCnt, hdr(true, false), a)
    }),
    ("shdr_cnt", (0, 1), |_, a| {
        hdr_fetch(Fetch::HdrCnt, hdr(true, false), a)
    }),
    ("res.fhdr_cnt", (0, 1), |_, a| {
        hdr_fetch(Fetch::HdrCnt, hdr(true, true), a)
    }),
    ("res.hdr_val", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrVal, hdr(true, false), a)
    }),
    ("shdr_val", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrVal, hdr(true, false), a)
    }),
    ("res.hdr_ip", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrIp, hdr(true, false), a)
    }),
    ("shdr_ip", (0, 2), |_, a| {
        hdr_fetch(Fetch::HdrIp, hdr(true, false), a)
    }),
    ("url_param", (0, 2), |_, a| url_param(a, false)),
    ("urlp", (0, 2), |_, a| url_param(a, false)),
    ("urlp_val", (0, 2), |_, a| url_param(a, true)),
    ("cook", (0, 1), |_, a| Ok(cook(false, a, false, false))),
    ("req.cook", (0, 1), |_, a| Ok(cook(false, a, false, false))),
    ("cook_cnt", (0, 1), |_, a| Ok(cook(false, a, true, false))),
    ("req.cook_cnt", (0, 1), |_, a| {
        Ok(cook(false, a, true, false))
    }),
    ("cook_val", (0, 1), |_, a| Ok(cook(false, a, false, true))),
    ("req.cook_val", (0, 1), |_, a| {
        Ok(cook(false, a, false, true))
    }),
    ("res.cook", (0, 1), |_, a| Ok(cook(true, a, false, false))),
    ("scook", (0, 1), |_, a| Ok(cook(true, a, false, false))),
    ("res.cook_cnt", (0, 1), |_, a| {
        Ok(cook(true, a, true, false))
    }),
    ("scook_cnt", (0, 1), |_, a| Ok(cook(true, a, true, false))),
    ("res.cook_val", (0, 1), |_, a| {
        Ok(cook(true, a, false, true))
    }),
    ("scook_val", (0, 1), |_, a| Ok(cook(true, a, false, true))),
    ("src", NONE, |_, _| Ok(Fetch::Src)),
    ("dst", NONE, |_, _| Ok(Fetch::Dst)),
    ("src_port", NONE, |_, _| Ok(Fetch::SrcPort)),
    ("dst_port", NONE, |_, _| Ok(Fetch::DstPort)),
    ("nbsrv", (0, 1), |_, a| Ok(Fetch::Nbsrv(opt(a, 0)))),
    ("http_auth", (1, 1), |_, a| auth(a, false)),
    ("http_auth_group", (1, 1), |_, a| auth(a, true)),
    ("http_auth_type", NONE, |_, _| {
        Ok(Fetch::AuthField(AuthField::Type))
    }),
    ("http_auth_user", NONE, |_, _| {
        Ok(Fetch::AuthField(AuthField::User))
    }),
    ("http_auth_pass", NONE, |_, _| {
        Ok(Fetch::AuthField(AuthField::Pass))
    }),
    ("always_true", NONE, |_, _| Ok(Fetch::AlwaysTrue)),
    ("always_false", NONE, |_, _| Ok(Fetch::AlwaysFalse)),
    ("status", NONE, |_, _| Ok(Fetch::Status)),
    ("int", (1, 1), |_, a| constant(a, SmpType::Int)),
    ("str", (1, 1), |_, a| constant(a, SmpType::Str)),
    ("bool", (1, 1), |_, a| constant(a, SmpType::Bool)),
    ("ipv4", (1, 1), |_, a| constant(a, SmpType::Ipv4)),
    ("ipv6", (1, 1), |_, a| constant(a, SmpType::Ipv6)),
    ("bin", (1, 1), |_, a| constant(a, SmpType::Bin)),
    ("meth", (1, 1), |_, a| constant(a, SmpType::Meth)),
    ("env", (1, 1), |_, a| Ok(Fetch::Env(a[0].clone()))),
    ("rand", (0, 1), |_, a| rand(a)),
    ("date", (0, 2), |_, a| date(a)),
    ("var", (1, 2), |_, a| var(a)),
    ("fe_name", NONE, |_, _| {
        Ok(Fetch::Named(Named::Frontend, false))
    }),
    ("fe_id", NONE, |_, _| {
        Ok(Fetch::Named(Named::Frontend, true))
    }),
    ("be_name", NONE, |_, _| {
        Ok(Fetch::Named(Named::Backend, false))
    }),
    ("be_id", NONE, |_, _| Ok(Fetch::Named(Named::Backend, true))),
    ("srv_name", NONE, |_, _| {
        Ok(Fetch::Named(Named::Server, false))
    }),
    ("srv_id", NONE, |_, _| Ok(Fetch::Named(Named::Server, true))),
    ("so_name", NONE, |_, _| Ok(Fetch::Named(Named::Bind, false))),
    ("so_id", NONE, |_, _| Ok(Fetch::Named(Named::Bind, true))),
    ("unique-id", NONE, |_, _| Ok(Fetch::UniqueId)),
    ("capture.req.hdr", (1, 1), |_, a| capture(a, false)),
    ("capture.res.hdr", (1, 1), |_, a| capture(a, true)),
    ("nbproc", NONE, |_, _| Ok(Fetch::NbProc)),
    ("nbthread", NONE, |_, _| Ok(Fetch::NbThread)),
    ("thread", NONE, |_, _| Ok(Fetch::Thread)),
    ("stopping", NONE, |_, _| Ok(Fetch::Stopping)),
    ("be_conn", (0, 1), |_, a| {
        Ok(Fetch::Load(Load::BeConn, opt(a, 0), None))
    }),
    ("queue", (0, 1), |_, a| {
        Ok(Fetch::Load(Load::Queue, opt(a, 0), None))
    }),
    ("avg_queue", (0, 1), |_, a| {
        Ok(Fetch::Load(Load::AvgQueue, opt(a, 0), None))
    }),
    ("connslots", (0, 1), |_, a| {
        Ok(Fetch::Load(Load::ConnSlots, opt(a, 0), None))
    }),
    ("srv_conn", (1, 1), |_, a| server(Load::SrvConn, a)),
    ("srv_is_up", (1, 1), |_, a| server(Load::SrvIsUp, a)),
    ("fc_err", NONE, |_, _| Ok(Fetch::FcErr)),
];

/// Bases of the ACL-only derived names (`<base>_<suffix>`).
pub(super) const DERIVED_BASES: &[&str] = &[
    "path", "url", "hdr", "shdr", "base", "urlp", "cook", "scook",
];

/// Suffixes of derived names and the match each implies.
pub(super) const SUFFIXES: &[(&str, MatchMethod)] = &[
    ("beg", MatchKind::Beg),
    ("dir", MatchKind::Dir),
    ("dom", MatchKind::Dom),
    ("end", MatchKind::End),
    ("len", MatchKind::Len),
    ("reg", MatchKind::Reg),
    ("sub", MatchKind::Sub),
];

fn ssl(f: SslField) -> Result<Fetch, String> {
    Ok(Fetch::SslHello(f))
}

fn opt(a: &[String], i: usize) -> Option<String> {
    a.get(i).filter(|s| !s.is_empty()).cloned()
}

fn hdr_fetch(make: fn(HdrSel) -> Fetch, mut s: HdrSel, a: &[String]) -> Result<Fetch, String> {
    s.name = a.first().cloned();
    if let Some(occ) = a.get(1) {
        s.occ = occ
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("failed to parse '{occ}' as type 'integer' at position 2"))?;
    }
    Ok(make(s))
}

fn url_param(a: &[String], int: bool) -> Result<Fetch, String> {
    let delim = match a.get(1).map(String::as_bytes) {
        None | Some([]) => None,
        Some([d]) => Some(*d),
        Some(_) => return Err("delimiter must be a single character at position 2".into()),
    };
    Ok(Fetch::UrlParam {
        name: opt(a, 0),
        delim,
        int,
    })
}

fn cook(res: bool, a: &[String], cnt: bool, int: bool) -> Fetch {
    Fetch::Cook {
        res,
        name: opt(a, 0),
        cnt,
        int,
    }
}

fn constant(a: &[String], t: SmpType) -> Result<Fetch, String> {
    let w = &a[0];
    let bad = |ty: &str| format!("failed to parse '{w}' as type '{ty}' at position 1");
    let v = match t {
        SmpType::Int => Value::Int(args::parse_int(w).ok_or_else(|| bad("signed integer"))?),
        SmpType::Bool => Value::Bool(match w.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(bad("boolean")),
        }),
        SmpType::Ipv4 => Value::Ipv4(w.parse().map_err(|_| bad("IPv4 address"))?),
        SmpType::Ipv6 => Value::Ipv6(w.parse().map_err(|_| bad("IPv6 address"))?),
        SmpType::Bin => Value::bin(hex_bytes(w).ok_or_else(|| bad("binary"))?),
        SmpType::Meth => Value::Meth(w.clone().into_bytes().into()),
        _ => Value::owned_str(w.clone()),
    };
    Ok(Fetch::Const(v))
}

fn hex_bytes(w: &str) -> Option<Vec<u8>> {
    if !w.len().is_multiple_of(2) {
        return None;
    }
    (0..w.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(w.get(i..i + 2)?, 16).ok())
        .collect()
}

fn rand(a: &[String]) -> Result<Fetch, String> {
    match a.first().filter(|s| !s.is_empty()) {
        None => Ok(Fetch::Rand(None)),
        Some(w) => w
            .parse::<u64>()
            .map(|n| Fetch::Rand(Some(n)))
            .map_err(|_| format!("failed to parse '{w}' as type 'unsigned integer' at position 1")),
    }
}

fn date(a: &[String]) -> Result<Fetch, String> {
    let offset = match a.first().filter(|s| !s.is_empty()) {
        None => 0,
        Some(w) => args::parse_int(w)
            .ok_or_else(|| format!("failed to parse '{w}' as type 'integer' at position 1"))?,
    };
    let unit = match a.get(1).map(String::as_str) {
        None | Some("" | "s") => 0,
        Some("ms") => 1,
        Some("us") => 2,
        Some(u) => return Err(format!("expects 's', 'ms' or 'us', got '{u}'")),
    };
    Ok(Fetch::Date { offset, unit })
}

fn var(a: &[String]) -> Result<Fetch, String> {
    let name = VarName::parse(&a[0])?;
    let default = a.get(1).map(|d| Value::owned_str(d.clone()));
    Ok(Fetch::Var(name, default))
}

fn capture(a: &[String], res: bool) -> Result<Fetch, String> {
    let w = &a[0];
    let idx = w
        .parse::<u32>()
        .map_err(|_| format!("failed to parse '{w}' as type 'integer' at position 1"))?;
    Ok(Fetch::Capture { res, idx })
}

fn server(load: Load, a: &[String]) -> Result<Fetch, String> {
    let w = &a[0];
    let (be, srv) = match w.split_once('/') {
        Some((b, s)) => (Some(b.to_string()), s.to_string()),
        None => (None, w.clone()),
    };
    if srv.is_empty() {
        return Err(format!("invalid server name '{w}' at position 1"));
    }
    Ok(Fetch::Load(load, be, Some(srv)))
}

/// `http_auth(<userlist>)` / `http_auth_group(<userlist>)`: the list is
/// looked up when the configuration is checked.
fn auth(a: &[String], group: bool) -> Result<Fetch, String> {
    if a[0].is_empty() {
        return Err(format!("{}missing userlist name", super::fetch::INVALID));
    }
    Ok(Fetch::HttpAuth {
        list: a[0].clone(),
        group,
    })
}
