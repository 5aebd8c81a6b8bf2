//! Sample fetches: the values ACLs and `%[...]` formats look at, taken from
//! a [`RequestView`].
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

use std::net::IpAddr;
use std::ops::ControlFlow;

use super::acl::MatchMethod;
use super::fetch_stick::{self, StkFetch, StkOp};
use super::sample::{leading_int, trim, CommaSplit};
use super::RequestView;

/// Where a fetch can be used: on the request, the response, or both (the
/// connection, the method, servers).
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

/// A sample fetch with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetch {
    Path,
    Url,
    Query,
    Method,
    /// `req_ver`, `req.ver`: `"1.1"`.
    ReqVer,
    ReqProtoHttp,
    ReqLen,
    Hdr(HdrSel),
    HdrCnt(HdrSel),
    HdrVal(HdrSel),
    Src,
    Dst,
    SrcPort,
    DstPort,
    /// `nbsrv([<backend>])`: `None` = the current backend.
    Nbsrv(Option<String>),
    AlwaysTrue,
    AlwaysFalse,
    Status,
    /// `src_*`, `sc<n>_*`, `sc_*`: a stick-table counter.
    Stk(Box<StkFetch>),
    /// `table_cnt([<table>])`: entries in the table.
    TableCnt(Option<String>),
    /// `table_avl([<table>])`: free places in the table.
    TableAvl(Option<String>),
    /// `<fetch>,in_table(<table>)`: whether the fetched value is a key of
    /// the table (the only converter we evaluate).
    InTable(Box<Fetch>, String),
}

/// The type a fetch produces, which sets its default ACL match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleType {
    Str,
    Int,
    Ip,
    Bool,
}

/// One fetched value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample<'a> {
    Str(&'a [u8]),
    Int(i64),
    Ip(IpAddr),
    Bool(bool),
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

#[derive(Clone, Copy)]
enum Args {
    None,
    /// `(<name>[,<occ>])`
    NameOcc,
    /// `(<name>)`
    Name,
}

/// Plain fetch names: name, fetch, arguments.
/// Builds a fetch with default arguments.
type MakeFetch = fn() -> Fetch;

const PLAIN: &[(&str, MakeFetch, Args)] = &[
    ("path", || Fetch::Path, Args::None),
    ("url", || Fetch::Url, Args::None),
    ("query", || Fetch::Query, Args::None),
    ("method", || Fetch::Method, Args::None),
    ("req_ver", || Fetch::ReqVer, Args::None),
    ("req.ver", || Fetch::ReqVer, Args::None),
    ("req_proto_http", || Fetch::ReqProtoHttp, Args::None),
    ("req.proto_http", || Fetch::ReqProtoHttp, Args::None),
    ("req_len", || Fetch::ReqLen, Args::None),
    ("req.len", || Fetch::ReqLen, Args::None),
    ("hdr", || Fetch::Hdr(sel(false, false)), Args::NameOcc),
    ("req.hdr", || Fetch::Hdr(sel(false, false)), Args::NameOcc),
    ("fhdr", || Fetch::Hdr(sel(false, true)), Args::NameOcc),
    ("req.fhdr", || Fetch::Hdr(sel(false, true)), Args::NameOcc),
    ("hdr_cnt", || Fetch::HdrCnt(sel(false, false)), Args::Name),
    (
        "req.hdr_cnt",
        || Fetch::HdrCnt(sel(false, false)),
        Args::Name,
    ),
    ("fhdr_cnt", || Fetch::HdrCnt(sel(false, true)), Args::Name),
    (
        "req.fhdr_cnt",
        || Fetch::HdrCnt(sel(false, true)),
        Args::Name,
    ),
    (
        "hdr_val",
        || Fetch::HdrVal(sel(false, false)),
        Args::NameOcc,
    ),
    (
        "req.hdr_val",
        || Fetch::HdrVal(sel(false, false)),
        Args::NameOcc,
    ),
    ("res.hdr", || Fetch::Hdr(sel(true, false)), Args::NameOcc),
    ("shdr", || Fetch::Hdr(sel(true, false)), Args::NameOcc),
    ("res.fhdr", || Fetch::Hdr(sel(true, true)), Args::NameOcc),
    (
        "res.hdr_cnt",
        || Fetch::HdrCnt(sel(true, false)),
        Args::Name,
    ),
    ("shdr_cnt", || Fetch::HdrCnt(sel(true, false)), Args::Name),
    (
        "res.hdr_val",
        || Fetch::HdrVal(sel(true, false)),
        Args::NameOcc,
    ),
    (
        "shdr_val",
        || Fetch::HdrVal(sel(true, false)),
        Args::NameOcc,
    ),
    ("src", || Fetch::Src, Args::None),
    ("dst", || Fetch::Dst, Args::None),
    ("src_port", || Fetch::SrcPort, Args::None),
    ("dst_port", || Fetch::DstPort, Args::None),
    ("nbsrv", || Fetch::Nbsrv(None), Args::Name),
    ("always_true", || Fetch::AlwaysTrue, Args::None),
    ("always_false", || Fetch::AlwaysFalse, Args::None),
    ("status", || Fetch::Status, Args::None),
];

/// Bases of the ACL-only derived names (`<base>_<suffix>`).
const DERIVED_BASES: &[&str] = &["path", "url", "hdr", "shdr"];

/// Suffixes of derived names and the match each implies.
const SUFFIXES: &[(&str, MatchMethod)] = &[
    ("beg", MatchMethod::Beg),
    ("dir", MatchMethod::Dir),
    ("dom", MatchMethod::Dom),
    ("end", MatchMethod::End),
    ("len", MatchMethod::Len),
    ("reg", MatchMethod::Reg),
    ("sub", MatchMethod::Sub),
];

fn sel(res: bool, full: bool) -> HdrSel {
    HdrSel {
        res,
        full,
        name: None,
        occ: 0,
    }
}

/// Parses a fetch word: `name`, `name(args)`, maybe followed by converters
/// (left in `rest`). `acl`: ACL-derived names are allowed.
pub fn parse_fetch(word: &str, acl: bool) -> Result<ParsedFetch<'_>, FetchError> {
    let end = word.find(['(', ',']).unwrap_or(word.len());
    let kw = &word[..end];
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
    let bad = |msg: String| FetchError::Args(kw.to_string(), msg);
    let Some(&(_, make, spec)) = found else {
        if fetch_stick::is_stick_keyword(kw) {
            return parse_stick(word, kw, end);
        }
        return Err(FetchError::Unknown(kw.to_string()));
    };
    let mut fetch = make();
    let mut rest = &word[end..];
    let args: Option<Vec<&str>> = match rest.strip_prefix('(') {
        None => None,
        Some(inner) => {
            let close = inner.find(')').ok_or_else(|| {
                bad(format!(
                    "missing closing ')' after arguments to fetch keyword '{kw}'"
                ))
            })?;
            rest = &inner[close + 1..];
            Some(inner[..close].split(',').collect())
        }
    };
    let args = args.unwrap_or_default();
    let max = match spec {
        Args::None => 0,
        Args::Name => 1,
        Args::NameOcc => 2,
    };
    let given = if args.len() == 1 && args[0].is_empty() {
        0
    } else {
        args.len()
    };
    if given > max {
        let extra = args[max..].join(",");
        return Err(bad(if max == 0 {
            format!("expected ')' before '{extra})'")
        } else {
            format!(
                "end of arguments expected at position {}, but got '{extra}'",
                max + 1
            )
        }));
    }
    let name = args.first().map(|s| s.to_string());
    match &mut fetch {
        Fetch::Hdr(s) | Fetch::HdrCnt(s) | Fetch::HdrVal(s) => {
            // `hdr` without parentheses has no name at all.
            s.name = if word[end..].starts_with('(') {
                Some(name.unwrap_or_default())
            } else {
                None
            };
            if let Fetch::HdrCnt(s) = &mut fetch {
                s.name.get_or_insert_with(String::new);
            }
            if let Some(occ) = args.get(1) {
                let n = occ.trim().parse::<i64>().map_err(|_| {
                    bad(format!(
                        "failed to parse '{occ}' as type 'integer' at position 2"
                    ))
                })?;
                if let Fetch::Hdr(s) | Fetch::HdrVal(s) = &mut fetch {
                    s.occ = n;
                }
            }
        }
        Fetch::Nbsrv(b) => *b = name.filter(|n| !n.is_empty()),
        _ => {}
    }
    Ok(ParsedFetch {
        fetch,
        kw,
        method,
        rest,
    })
}

/// A stick-table fetch: `word[..end]` is the keyword `kw`, then maybe
/// `(args)` and converters.
fn parse_stick<'w>(word: &'w str, kw: &'w str, end: usize) -> Result<ParsedFetch<'w>, FetchError> {
    let bad = |msg: String| FetchError::Args(kw.to_string(), msg);
    let mut rest = &word[end..];
    let mut args: Vec<&str> = Vec::new();
    if let Some(inner) = rest.strip_prefix('(') {
        let close = inner.find(')').ok_or_else(|| {
            bad(format!(
                "missing closing ')' after arguments to fetch keyword '{kw}'"
            ))
        })?;
        rest = &inner[close + 1..];
        args = inner[..close].split(',').collect();
    }
    let parsed = fetch_stick::parse(kw, &args)
        .ok_or_else(|| FetchError::Unknown(kw.to_string()))?
        .map_err(bad)?;
    let fetch = match parsed {
        fetch_stick::Parsed::Stk(f) => Fetch::Stk(Box::new(f)),
        fetch_stick::Parsed::TableCnt(t) => Fetch::TableCnt(t),
        fetch_stick::Parsed::TableAvl(t) => Fetch::TableAvl(t),
    };
    Ok(ParsedFetch {
        fetch,
        kw,
        method: None,
        rest,
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
            Fetch::InTable(inner, t) => {
                let mut v = inner.table_refs();
                v.push((Some(t.as_str()), "in_table"));
                v
            }
            _ => Vec::new(),
        }
    }

    pub fn sample_type(&self) -> SampleType {
        match self {
            Fetch::Path
            | Fetch::Url
            | Fetch::Query
            | Fetch::Method
            | Fetch::ReqVer
            | Fetch::Hdr(_) => SampleType::Str,
            Fetch::Src | Fetch::Dst => SampleType::Ip,
            Fetch::ReqProtoHttp | Fetch::AlwaysTrue | Fetch::AlwaysFalse => SampleType::Bool,
            Fetch::InTable(..) => SampleType::Bool,
            Fetch::Stk(f) if f.op == StkOp::Tracked => SampleType::Bool,
            _ => SampleType::Int,
        }
    }

    pub fn usage(&self) -> Usage {
        match self {
            Fetch::Hdr(s) | Fetch::HdrCnt(s) | Fetch::HdrVal(s) if s.res => Usage::Response,
            Fetch::Status => Usage::Response,
            Fetch::Path
            | Fetch::Url
            | Fetch::Query
            | Fetch::ReqVer
            | Fetch::ReqProtoHttp
            | Fetch::ReqLen => Usage::Request,
            Fetch::Hdr(_) | Fetch::HdrCnt(_) | Fetch::HdrVal(_) => Usage::Request,
            Fetch::InTable(inner, _) => inner.usage(),
            _ => Usage::Any,
        }
    }

    /// Calls `f` with each value; `all` (ACL mode) visits every occurrence
    /// of a multi-valued fetch, otherwise only the selected (by default
    /// last) one is given. Stops when `f` breaks, and says so.
    pub fn each(
        &self,
        view: &dyn RequestView,
        all: bool,
        f: &mut dyn FnMut(Sample<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let port = |a: Option<std::net::SocketAddr>| a.map(|a| Sample::Int(i64::from(a.port())));
        let one = match self {
            Fetch::Path => Some(Sample::Str(view.path())),
            Fetch::Url => Some(Sample::Str(view.uri())),
            Fetch::Query => {
                let uri = view.uri();
                uri.iter()
                    .position(|&b| b == b'?')
                    .map(|q| Sample::Str(&uri[q + 1..]))
            }
            Fetch::Method => Some(Sample::Str(view.method())),
            Fetch::ReqVer => {
                let (maj, min) = view.version();
                let text = [b'0' + maj.min(9), b'.', b'0' + min.min(9)];
                return f(Sample::Str(&text));
            }
            Fetch::ReqProtoHttp => Some(Sample::Bool(true)),
            Fetch::ReqLen => Some(Sample::Int(
                i64::try_from(view.req_len()).unwrap_or(i64::MAX),
            )),
            Fetch::Hdr(s) => return select(view, s, all, &mut |v| f(Sample::Str(v))),
            Fetch::HdrVal(s) => {
                return select(view, s, all, &mut |v| f(Sample::Int(leading_int(v))))
            }
            Fetch::HdrCnt(s) => {
                let mut n = 0i64;
                let _ = values(view, s, &mut |_| {
                    n += 1;
                    ControlFlow::Continue(())
                });
                Some(Sample::Int(n))
            }
            Fetch::Src => view.src().map(|a| Sample::Ip(a.ip())),
            Fetch::Dst => view.dst().map(|a| Sample::Ip(a.ip())),
            Fetch::SrcPort => port(view.src()),
            Fetch::DstPort => port(view.dst()),
            Fetch::Nbsrv(b) => Some(Sample::Int(i64::from(view.nbsrv(b.as_deref())))),
            Fetch::AlwaysTrue => Some(Sample::Bool(true)),
            Fetch::AlwaysFalse => Some(Sample::Bool(false)),
            Fetch::Status => view.status().map(|s| Sample::Int(i64::from(s))),
            Fetch::Stk(sf) => view.stick().and_then(|env| env.fetch(sf, view.src())),
            Fetch::TableCnt(t) => view.stick().and_then(|env| env.table_cnt(t.as_deref())),
            Fetch::TableAvl(t) => view.stick().and_then(|env| env.table_avl(t.as_deref())),
            Fetch::InTable(inner, t) => {
                let env = view.stick();
                let mut found = None;
                let _ = inner.each(view, false, &mut |s| {
                    found = Some(env.as_ref().is_some_and(|e| e.in_table(t, &s)));
                    ControlFlow::Break(())
                });
                found.map(Sample::Bool)
            }
        };
        match one {
            Some(s) => f(s),
            None => ControlFlow::Continue(()),
        }
    }
}

/// The values of the selected header occurrence(s).
fn select<'a>(
    view: &'a dyn RequestView,
    s: &HdrSel,
    all: bool,
    f: &mut dyn FnMut(&[u8]) -> ControlFlow<()>,
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
