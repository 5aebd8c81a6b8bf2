//! Sample fetches: what they are and how a word names one. The keyword
//! table is in [`super::fetch_table`]; what each fetch reads is in
//! [`super::fetch_eval`].
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

use super::fetch_ssl::{SslFetch, SSL};
use super::fetch_stick::{self, StkFetch, StkOp};
use super::fetch_table::{DERIVED_BASES, PLAIN, SUFFIXES};
use crate::sample::args::{self, closing_paren};
use crate::sample::pattern::MatchKind;
use crate::sample::vars::VarName;
use crate::sample::{SmpType, Value};

/// The match method implied by an ACL-derived keyword (`path_beg`).
pub type MatchMethod = MatchKind;

/// Where a fetch can be used: anywhere (the connection, constants,
/// servers), once the session exists (the client connection's TLS layer,
/// not in `tcp-request connection`), on the request, on the response, or
/// once a server connection exists (its TLS layer: response rules and
/// logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Any,
    Session,
    Request,
    Response,
    Server,
}

impl Usage {
    /// Whether a fetch of this usage works where `place` rules run
    /// (`Any`: `tcp-request connection`; `Session`: `tcp-request
    /// session`; `Request`: request rules; `Response`: response rules).
    pub fn fits(self, place: Usage) -> bool {
        match self {
            Usage::Any => true,
            Usage::Session => place != Usage::Any,
            Usage::Server => place == Usage::Response,
            u => u == place,
        }
    }

    /// What HAProxy says such a fetch extracts information from.
    pub fn source(self) -> &'static str {
        match self {
            Usage::Session => "client-side connection",
            Usage::Server => "server-side connection",
            Usage::Response => "HTTP response headers",
            Usage::Any | Usage::Request => "HTTP request headers",
        }
    }
}

/// A fetch builder's error starting with this is HAProxy's check of the
/// arguments failing ("invalid args in fetch method"), not their parsing.
pub(super) const INVALID: &str = "\u{1}";

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

/// What a `req.ssl_*` fetch reads of a TLS hello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslField {
    HelloType,
    Ver,
    Sni,
    Alpn,
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
    /// `req.ssl_hello_type`, `req.ssl_ver`, `req.ssl_sni`, `req.ssl_alpn`.
    SslHello(SslField),
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
    /// `ssl_fc*`, `ssl_c_*`, `ssl_bc*`: the TLS layer of a connection.
    Ssl(Box<SslFetch>),
    /// `fc_err`: the client connection's error; an established one has
    /// none (0).
    FcErr,
    /// `http_auth(<userlist>)`; `group`: `http_auth_group(<userlist>)`.
    HttpAuth {
        list: String,
        group: bool,
    },
    /// `http_auth_type`, `http_auth_user`, `http_auth_pass`.
    AuthField(super::fetch_auth::AuthField),
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
    /// The arguments parse but do not make sense: (keyword, reason).
    Invalid(String, String),
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
    let found = PLAIN
        .iter()
        .chain(SSL)
        .find(|(n, _, _)| *n == kw)
        .or_else(|| {
            let (base, suffix) = kw.rsplit_once('_')?;
            let (_, m) = SUFFIXES.iter().find(|(s, _)| *s == suffix)?;
            // 2.6 derives only `_end` and `_reg` from `ssl_fc_sni`.
            let sni = base == "ssl_fc_sni" && matches!(suffix, "end" | "reg");
            if !acl || !(DERIVED_BASES.contains(&base) || sni) {
                return None;
            }
            method = Some(*m);
            PLAIN.iter().chain(SSL).find(|(n, _, _)| *n == base)
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
    let mut fetch = make(kw, &raw).map_err(|m| match m.strip_prefix(INVALID) {
        Some(m) => FetchError::Invalid(kw.to_string(), m.to_string()),
        None => bad(m),
    })?;
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
            | Fetch::Capture { .. }
            | Fetch::HttpAuth { group: true, .. }
            | Fetch::AuthField(_)
            | Fetch::SslHello(SslField::Sni | SslField::Alpn) => SmpType::Str,
            Fetch::UrlParam { int: false, .. }
            | Fetch::Cook {
                cnt: false,
                int: false,
                ..
            } => SmpType::Str,
            Fetch::Method => SmpType::Meth,
            Fetch::ReqBody | Fetch::Base32Src => SmpType::Bin,
            Fetch::Src | Fetch::Dst | Fetch::HdrIp(_) => SmpType::Addr,
            Fetch::ReqProtoHttp
            | Fetch::AlwaysTrue
            | Fetch::AlwaysFalse
            | Fetch::Stopping
            | Fetch::HttpAuth { group: false, .. } => SmpType::Bool,
            Fetch::Load(Load::SrvIsUp, ..) => SmpType::Bool,
            Fetch::Stk(f) if f.op == StkOp::Tracked => SmpType::Bool,
            Fetch::Const(v) => v.smp_type(),
            Fetch::Ssl(f) => f.sample_type(),
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
            | Fetch::SslHello(_)
            | Fetch::ReqBody
            | Fetch::UrlParam { .. }
            | Fetch::Cook { .. }
            | Fetch::Capture { .. }
            | Fetch::Hdr(_)
            | Fetch::HdrCnt(_)
            | Fetch::HdrVal(_)
            | Fetch::HdrIp(_)
            | Fetch::HttpAuth { .. }
            | Fetch::AuthField(_) => Usage::Request,
            Fetch::Ssl(f) => f.usage(),
            _ => Usage::Any,
        }
    }
}
