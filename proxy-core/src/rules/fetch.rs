//! Sample fetches: the keyword table and its arguments. What each fetch
//! reads is in [`super::fetch_eval`].
//!
//! The keyword table ([`parse_fetch`]) knows the fetch names of HAProxy 2.6
//! we implement, plus the ACL-only derived names (`path_beg` = `path -m
//! beg`, `hdr_reg(h)` = `hdr(h) -m reg`, ...), which formats refuse.
//!
//! Header fetches follow HAProxy: `hdr()` / `req.hdr()` / `res.hdr()` see
//! each comma-separated value of a header as one occurrence (commas inside
//! double quotes do not split), with spaces around values trimmed;
//! `fhdr()` / `req.fhdr()` see whole lines. The optional occurrence
//! `<occ>` picks one value: `1` the first, `-1` the last; `0` or none means
//! every value in an ACL (any may match) and the last one in a format.
//! `hdr()` with an empty name sees every header; bare `hdr` (no
//! parentheses) never finds anything, as in HAProxy 2.6.

use super::fetch_stick::{self, StkFetch, StkOp};
use crate::sample::args::{self, closing_paren};
use crate::sample::pattern::MatchKind;
use crate::sample::vars::VarName;
use crate::sample::{SmpType, Value};

/// The match method implied by an ACL-derived keyword (`path_beg`).
pub type MatchMethod = MatchKind;

/// Where a fetch can be used: anywhere (the connection, constants,
/// servers), on the request, or on the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Any,
    Request,
    Response,
}

/// A header selection: which side, whole lines or comma-split values,
/// which name (`None` for bare `hdr`, `""` for every header) and which
/// occurrence (0 = all / last).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HdrSel {
    pub res: bool,
    pub full: bool,
    pub name: Option<String>,
    pub occ: i64,
}

/// A named element of the stream (`fe_name`, `be_id`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    Frontend,
    Backend,
    Server,
    /// The listener (`so_name`, `so_id`).
    Bind,
}

/// A backend or server load figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// `be_conn`: current connections of the backend.
    BeConn,
    /// `queue`: streams queued in the backend and its servers.
    Queue,
    /// `avg_queue`: queued streams per usable server.
    AvgQueue,
    /// `connslots`: free connection and queue slots.
    ConnSlots,
    /// `srv_conn`: current connections of a server.
    SrvConn,
    /// `srv_is_up`: 1 when the server is up.
    SrvIsUp,
}

/// A sample fetch with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetch {
    Path,
    Url,
    Query,
    Method,
    /// `base`: the `Host` header followed by the path.
    Base,
    /// `base32`: a 32-bit hash of `base`.
    Base32,
    /// `base32+src`: that hash followed by the client address (binary).
    Base32Src,
    /// `req_ver`, `req.ver` (`res.ver` with `true`): `"1.1"`.
    Ver(bool),
    ReqProtoHttp,
    ReqLen,
    /// `req.body`: the buffered request body (binary).
    ReqBody,
    Hdr(HdrSel),
    HdrCnt(HdrSel),
    HdrVal(HdrSel),
    HdrIp(HdrSel),
    /// `url_param(<name>[,<delim>])` / `urlp`: a query parameter (`None`:
    /// the first one); `int`: `urlp_val`.
    UrlParam {
        name: Option<String>,
        delim: Option<u8>,
        int: bool,
    },
    /// `cook(<name>)` / `req.cook` / `res.cook` (`scook`): a cookie's value;
    /// `cnt`: the number of occurrences, `int`: its integer value.
    Cook {
        res: bool,
        name: Option<String>,
        cnt: bool,
        int: bool,
    },
    Src,
    Dst,
    SrcPort,
    DstPort,
    /// `nbsrv([<backend>])`: `None` = the current backend.
    Nbsrv(Option<String>),
    AlwaysTrue,
    AlwaysFalse,
    Status,
    /// A constant: `int(n)`, `str(s)`, `bool(b)`, `ipv4(a)`, `ipv6(a)`,
    /// `bin(hex)`, `meth(m)`.
    Const(Value<'static>),
    /// `env(<name>)`: an environment variable (read at run time).
    Env(String),
    /// `rand([<range>])`.
    Rand(Option<u64>),
    /// `date([<offset>[,<unit>]])`: seconds since the epoch (or ms / us).
    Date {
        offset: i64,
        unit: u8,
    },
    /// `var(<name>[,<default>])`.
    Var(VarName, Option<Value<'static>>),
    /// `fe_name`, `be_id`, ...: `id` gives the number, else the name.
    Named(Named, bool),
    /// `unique-id`.
    UniqueId,
    /// `capture.req.hdr(<idx>)` / `capture.res.hdr(<idx>)`.
    Capture {
        res: bool,
        idx: u32,
    },
    /// `nbproc`, `nbthread`, `thread`, `stopping`.
    NbProc,
    NbThread,
    Thread,
    Stopping,
    /// Backend / server figures: the backend (`None`: the stream's) and,
    /// for server figures, the server.
    Load(Load, Option<String>, Option<String>),
    /// `src_*`, `sc<n>_*`, `sc_*`: a stick-table counter.
    Stk(Box<StkFetch>),
    /// `table_cnt([<table>])`: entries in the table.
    TableCnt(Option<String>),
    /// `table_avl([<table>])`: free places in the table.
    TableAvl(Option<String>),
}

/// What the keyword table gives for a word such as `hdr_beg(host),lower`.
#[derive(Clone, Debug)]
pub struct ParsedFetch<'w> {
    pub fetch: Fetch,
    /// The keyword (`hdr_beg`).
    pub kw: &'w str,
    /// The match method implied by an ACL-derived keyword.
    pub method: Option<MatchMethod>,
    /// What follows the keyword and its arguments (`,lower`).
    pub rest: &'w str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// No such keyword (the name).
    Unknown(String),
    /// The keyword exists but its arguments are wrong: (keyword, reason).
    Args(String, String),
}

/// Builds a fetch from its keyword and raw arguments.
type MakeFetch = fn(&str, &[String]) -> Result<Fetch, String>;

/// How many arguments a keyword takes: (min, max).
type Arity = (usize, usize);

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
const PLAIN: &[(&str, Arity, MakeFetch)] = &[
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
];

/// Bases of the ACL-only derived names (`<base>_<suffix>`).
const DERIVED_BASES: &[&str] = &[
    "path", "url", "hdr", "shdr", "base", "urlp", "cook", "scook",
];

/// Suffixes of derived names and the match each implies.
const SUFFIXES: &[(&str, MatchMethod)] = &[
    ("beg", MatchKind::Beg),
    ("dir", MatchKind::Dir),
    ("dom", MatchKind::Dom),
    ("end", MatchKind::End),
    ("len", MatchKind::Len),
    ("reg", MatchKind::Reg),
    ("sub", MatchKind::Sub),
];

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

/// Parses a fetch word: `name`, `name(args)`, maybe followed by converters
/// (left in `rest`). `acl`: ACL-derived names are allowed.
pub fn parse_fetch(word: &str, acl: bool) -> Result<ParsedFetch<'_>, FetchError> {
    let end = word
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '+')))
        .unwrap_or(word.len());
    let kw = &word[..end];
    let bad = |msg: String| FetchError::Args(kw.to_string(), msg);
    let mut rest = &word[end..];
    let mut raw: Vec<String> = Vec::new();
    let parens = rest.starts_with('(');
    if let Some(inner) = rest.strip_prefix('(') {
        let close = closing_paren(inner).ok_or_else(|| {
            bad(format!(
                "missing closing ')' after arguments to fetch keyword '{kw}'"
            ))
        })?;
        raw = args::split(&inner[..close]).map_err(bad)?;
        rest = &inner[close + 1..];
    }
    let mut method = None;
    let found = PLAIN.iter().find(|(n, _, _)| *n == kw).or_else(|| {
        let (base, suffix) = kw.rsplit_once('_')?;
        let (_, m) = SUFFIXES.iter().find(|(s, _)| *s == suffix)?;
        if !acl || !DERIVED_BASES.contains(&base) {
            return None;
        }
        method = Some(*m);
        PLAIN.iter().find(|(n, _, _)| *n == base)
    });
    let Some(&(_, (min, max), make)) = found else {
        if fetch_stick::is_stick_keyword(kw) {
            let refs: Vec<&str> = raw.iter().map(String::as_str).collect();
            let fetch = stick(kw, &refs).map_err(bad)?;
            return Ok(ParsedFetch {
                fetch,
                kw,
                method: None,
                rest,
            });
        }
        return Err(FetchError::Unknown(kw.to_string()));
    };
    if parens && raw.is_empty() {
        // `str()`: one empty argument.
        raw.push(String::new());
    }
    if raw.len() == 1 && raw[0].is_empty() && min == 0 {
        raw.clear();
    }
    if raw.len() > max {
        let extra = raw[max..].join(",");
        return Err(bad(if max == 0 {
            format!("expected ')' before '{extra})'")
        } else {
            format!(
                "end of arguments expected at position {}, but got '{extra}'",
                max + 1
            )
        }));
    }
    if raw.len() < min {
        return Err(bad(format!("missing arguments (got {}/{min})", raw.len())));
    }
    let mut fetch = make(kw, &raw).map_err(bad)?;
    if let Fetch::Hdr(s) | Fetch::HdrVal(s) | Fetch::HdrIp(s) = &mut fetch {
        // `hdr` without parentheses has no name at all.
        if !parens {
            s.name = None;
        } else {
            s.name.get_or_insert_with(String::new);
        }
    }
    if let Fetch::HdrCnt(s) = &mut fetch {
        s.name.get_or_insert_with(String::new);
    }
    Ok(ParsedFetch {
        fetch,
        kw,
        method,
        rest,
    })
}

/// A stick-table fetch with its arguments.
fn stick(kw: &str, args: &[&str]) -> Result<Fetch, String> {
    let parsed =
        fetch_stick::parse(kw, args).ok_or_else(|| format!("unknown fetch method '{kw}'"))??;
    Ok(match parsed {
        fetch_stick::Parsed::Stk(f) => Fetch::Stk(Box::new(f)),
        fetch_stick::Parsed::TableCnt(t) => Fetch::TableCnt(t),
        fetch_stick::Parsed::TableAvl(t) => Fetch::TableAvl(t),
    })
}

impl Fetch {
    /// The table names this fetch refers to: `(name or None for the
    /// proxy's own table, keyword)`.
    pub fn table_refs(&self) -> Vec<(Option<&str>, &'static str)> {
        match self {
            Fetch::Stk(f) if f.src == fetch_stick::StkSrc::Src => {
                vec![(f.table.as_deref(), "src")]
            }
            Fetch::Stk(f) => match &f.table {
                Some(t) => vec![(Some(t.as_str()), "sc")],
                None => Vec::new(),
            },
            Fetch::TableCnt(t) | Fetch::TableAvl(t) => vec![(t.as_deref(), "table")],
            _ => Vec::new(),
        }
    }

    /// The type of the values it gives.
    pub fn sample_type(&self) -> SmpType {
        match self {
            Fetch::Path
            | Fetch::Url
            | Fetch::Query
            | Fetch::Base
            | Fetch::Ver(_)
            | Fetch::Hdr(_)
            | Fetch::Env(_)
            | Fetch::Named(_, false)
            | Fetch::UniqueId
            | Fetch::Capture { .. } => SmpType::Str,
            Fetch::UrlParam { int: false, .. }
            | Fetch::Cook {
                cnt: false,
                int: false,
                ..
            } => SmpType::Str,
            Fetch::Method => SmpType::Meth,
            Fetch::ReqBody | Fetch::Base32Src => SmpType::Bin,
            Fetch::Src | Fetch::Dst | Fetch::HdrIp(_) => SmpType::Addr,
            Fetch::ReqProtoHttp | Fetch::AlwaysTrue | Fetch::AlwaysFalse | Fetch::Stopping => {
                SmpType::Bool
            }
            Fetch::Load(Load::SrvIsUp, ..) => SmpType::Bool,
            Fetch::Stk(f) if f.op == StkOp::Tracked => SmpType::Bool,
            Fetch::Const(v) => v.smp_type(),
            Fetch::Var(..) => SmpType::Any,
            _ => SmpType::Int,
        }
    }

    pub fn usage(&self) -> Usage {
        match self {
            Fetch::Hdr(s) | Fetch::HdrCnt(s) | Fetch::HdrVal(s) | Fetch::HdrIp(s) if s.res => {
                Usage::Response
            }
            Fetch::Status | Fetch::Ver(true) => Usage::Response,
            Fetch::Cook { res: true, .. } | Fetch::Capture { res: true, .. } => Usage::Response,
            Fetch::Path
            | Fetch::Url
            | Fetch::Query
            | Fetch::Base
            | Fetch::Base32
            | Fetch::Base32Src
            | Fetch::Ver(false)
            | Fetch::ReqProtoHttp
            | Fetch::ReqLen
            | Fetch::ReqBody
            | Fetch::UrlParam { .. }
            | Fetch::Cook { .. }
            | Fetch::Capture { .. }
            | Fetch::Hdr(_)
            | Fetch::HdrCnt(_)
            | Fetch::HdrVal(_)
            | Fetch::HdrIp(_) => Usage::Request,
            _ => Usage::Any,
        }
    }
}
