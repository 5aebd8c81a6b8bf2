//! ACL expressions: `<fetch> [-i] [-f <file>]... [-m <method>] [-M]
//! [-n] [-u <id>] [--] <pattern>...`, parsed and compiled at
//! configuration time, matched per request.
//!
//! Flags come before the first pattern; from the first word that is not a
//! flag on, every word is a pattern (so `path /x -i` has two patterns),
//! and `--` ends the flags. The match method defaults from the
//! expression: its derived name (`path_beg` → `beg`), else its type
//! (string → `str`, integer → `int`, address → `ip`, boolean → `bool`,
//! binary → `bin`); `-m` overrides it.
//!
//! The patterns (each `-f` file, then the inline ones) are pattern lists
//! of [`crate::sample::pattern`], shared with maps and the CLI (`show
//! acl`, `add acl`...): matching is theirs, as HAProxy 2.6 does it. Any
//! value of a multi-valued fetch may match any pattern. One case stays
//! here: `method` compared as a string, where a standard method must be
//! equal byte for byte (`-i` only helps for non-standard methods), so
//! `method get` never matches `GET`.

use std::net::IpAddr;
use std::ops::ControlFlow;
use std::sync::Arc;

use super::expr::{Expr, Parsed};
use super::fetch::Fetch;
use super::RequestView;
use crate::sample::pattern::{match_any, PatExpr, PatRegistry};
use crate::sample::{SmpType, Value};

pub use crate::sample::pattern::MatchKind as MatchMethod;

/// The match method called `name` (`-m <name>`).
pub fn method_from_name(name: &str) -> Option<MatchMethod> {
    MatchMethod::from_name(name)
}

/// The name of a match method.
pub fn method_name(m: MatchMethod) -> &'static str {
    m.name()
}

/// An address with a mask (a host is a full mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpNet {
    V4 { addr: u32, mask: u32 },
    V6 { addr: u128, mask: u128 },
}

impl IpNet {
    /// `addr`, `addr/len` or `a.b.c.d/m.m.m.m`.
    pub fn parse(s: &str) -> Option<IpNet> {
        let (a, m) = match s.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (s, None),
        };
        let prefix = |bits: u32, m: &str| m.parse::<u32>().ok().filter(|&p| p <= bits);
        match a.parse::<IpAddr>().ok()? {
            IpAddr::V4(v4) => {
                let mask = match m {
                    None => u32::MAX,
                    Some(m) if m.contains('.') => u32::from(m.parse::<std::net::Ipv4Addr>().ok()?),
                    Some(m) => u32::MAX.checked_shl(32 - prefix(32, m)?).unwrap_or(0),
                };
                Some(IpNet::V4 {
                    addr: u32::from(v4) & mask,
                    mask,
                })
            }
            IpAddr::V6(v6) => {
                let mask = match m {
                    None => u128::MAX,
                    Some(m) => u128::MAX.checked_shl(128 - prefix(128, m)?).unwrap_or(0),
                };
                Some(IpNet::V6 {
                    addr: u128::from(v6) & mask,
                    mask,
                })
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (*self, ip) {
            (IpNet::V4 { addr, mask }, IpAddr::V4(v4)) => u32::from(v4) & mask == addr,
            (IpNet::V4 { addr, mask }, IpAddr::V6(v6)) => v6
                .to_ipv4_mapped()
                .is_some_and(|v4| u32::from(v4) & mask == addr),
            (IpNet::V6 { addr, mask }, IpAddr::V6(v6)) => u128::from(v6) & mask == addr,
            (IpNet::V6 { addr, mask }, IpAddr::V4(v4)) => {
                u128::from(v4.to_ipv6_mapped()) & mask == addr
            }
        }
    }
}

/// One ACL expression.
#[derive(Clone, Debug)]
pub struct AclExpr {
    /// The sample expression; its keyword as written (`hdr_beg`) is
    /// `expr.kw`.
    pub expr: Expr,
    pub method: MatchMethod,
    pub icase: bool,
    /// The pattern lists: each `-f` file, then the inline patterns.
    pub pats: Vec<Arc<PatExpr>>,
    /// The inline patterns as written, for the `method` special case.
    literal: Vec<Box<[u8]>>,
}

/// Two expressions are equal when written alike and sharing their lists.
impl PartialEq for AclExpr {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
            && self.method == other.method
            && self.icase == other.icase
            && self.literal == other.literal
            && self.pats.len() == other.pats.len()
            && self
                .pats
                .iter()
                .zip(&other.pats)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl Eq for AclExpr {}

/// A parsed expression and the warnings HAProxy would print for it
/// (complete, `config : ...`).
#[derive(Clone, Debug)]
pub struct ParsedExpr {
    pub expr: AclExpr,
    pub warnings: Vec<String>,
}

/// Parses `<fetch> [flags] [patterns]` (the words after the ACL name)
/// with a private pattern registry (predefined ACLs, tests). Errors are
/// worded to follow `error detected while parsing ACL 'x' : `.
pub fn parse_expr(words: &[String]) -> Result<ParsedExpr, String> {
    parse_expr_with(words, &mut PatRegistry::new())
}

/// [`parse_expr`] with the configuration's map and pattern files.
pub fn parse_expr_with(words: &[String], files: &mut PatRegistry) -> Result<ParsedExpr, String> {
    let word = words.first().map_or("", String::as_str);
    if word.is_empty() {
        return Err("missing fetch method in ACL expression ''.".into());
    }
    let parsed = acl_fetch(word, files)?;
    let expr = parsed.expr;
    let method = parsed.method.unwrap_or(match expr.out_type() {
        SmpType::Int => MatchMethod::Int,
        SmpType::Ipv4 | SmpType::Ipv6 | SmpType::Addr => MatchMethod::Ip,
        SmpType::Bool => MatchMethod::Bool,
        SmpType::Bin => MatchMethod::Bin,
        _ => MatchMethod::Str,
    });
    let flags = parse_flags(words, method)?;
    let first = flags.next.min(words.len());
    let inline: Vec<&str> = words[first..].iter().map(String::as_str).collect();
    // `req.ssl_ver` matched by default takes dotted versions (`3.1:3.3`).
    let dotted = parsed.method.is_none()
        && expr.convs.is_empty()
        && expr.fetch == super::fetch::Fetch::SslHello(super::fetch::SslField::Ver);
    let as_ints: Vec<String> = if dotted {
        inline
            .iter()
            .map(|w| dotted_versions(w))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let ints: Vec<&str> = as_ints.iter().map(String::as_str).collect();
    let pats = pattern_lists(
        &expr.kw,
        &flags,
        if dotted { &ints } else { &inline },
        files,
    )?;
    let mut warnings = Vec::new();
    if words.len() <= flags.next
        && flags.files.is_empty()
        && !flags.dashdash
        && !matches!(flags.method, MatchMethod::Found | MatchMethod::Bool)
    {
        warnings.push(format!(
            "config : parsing acl keyword '{}' :\n  \
             no pattern to match against were provided, so this ACL will never match.\n  \
             If this is what you intended, please add '--' to get rid of this warning.\n  \
             If you intended to match only for existence, please use '-m found'.\n  \
             If you wanted to force an int to match as a bool, please use '-m bool'.\n",
            expr.kw
        ));
    }
    Ok(ParsedExpr {
        expr: AclExpr {
            expr,
            method: flags.method,
            icase: flags.icase,
            pats,
            literal: inline.iter().map(|w| w.as_bytes().into()).collect(),
        },
        warnings,
    })
}

/// A dotted version or range of them (`3`, `3.1`, `3.1:3.3`, `:3.2`) as
/// the integers `major << 16 | minor` they stand for.
fn dotted_versions(w: &str) -> Result<String, String> {
    let one = |s: &str| -> Option<String> {
        if s.is_empty() {
            return Some(String::new());
        }
        let (maj, min) = s.split_once('.').unwrap_or((s, "0"));
        let n = |x: &str| {
            (!x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
                .then(|| x.parse::<i64>().ok())
                .flatten()
        };
        Some(((n(maj)? << 16) | n(min)?).to_string())
    };
    let bad = || format!("'{w}' is not a dotted number.");
    match w.split_once(':') {
        Some((a, b)) => Ok(format!(
            "{}:{}",
            one(a).ok_or_else(bad)?,
            one(b).ok_or_else(bad)?
        )),
        None if !w.is_empty() => one(w).ok_or_else(bad),
        None => Err(bad()),
    }
}

/// The pattern lists of an expression: each `-f` file, then the inline
/// patterns (always registered, as HAProxy lists them in `show acl`).
fn pattern_lists(
    kw: &str,
    flags: &AclFlags,
    inline: &[&str],
    files: &mut PatRegistry,
) -> Result<Vec<Arc<PatExpr>>, String> {
    let (cfg, line) = files.origin();
    let (cfg, line) = (cfg.to_string(), line);
    let (m, i) = (flags.method, flags.icase);
    let mut pats = Vec::new();
    for f in &flags.files {
        let e = files
            .acl_file(f, m, i, flags.as_map, &cfg, line)
            .map_err(sentence)?;
        pats.push(e);
    }
    let e = files
        .acl_inline(kw, &cfg, line, m, i, flags.id, inline)
        .map_err(sentence)?;
    pats.push(e);
    Ok(pats)
}

/// A message as the end of HAProxy's sentence: with its final period
/// (our refusals of regex constructs have none).
fn sentence(e: String) -> String {
    if e.ends_with('.') || e.ends_with("linear-time regular expressions)") {
        e
    } else {
        format!("{e}.")
    }
}

/// The sample expression of an ACL (nothing may follow it in its word).
fn acl_fetch<'w>(word: &'w str, files: &mut PatRegistry) -> Result<Parsed<'w>, String> {
    let parsed = Expr::parse(word, true, files).map_err(|e| match e {
        super::expr::ExprError::Fetch(super::fetch::FetchError::Unknown(kw)) => {
            format!("unknown fetch method '{kw}' in ACL expression '{word}'.")
        }
        super::expr::ExprError::Fetch(super::fetch::FetchError::Args(kw, msg)) => {
            format!("ACL keyword '{kw}' : {msg}.")
        }
        other => format!(
            "ACL keyword '{}' : {}.",
            word.split(['(', ',']).next().unwrap_or(word),
            other.describe()
        ),
    })?;
    if !parsed.rest.is_empty() {
        return Err(format!(
            "ACL keyword '{}' : unexpected '{}' after the arguments.",
            parsed.expr.kw, parsed.rest
        ));
    }
    Ok(parsed)
}

/// The flags between the fetch and the patterns.
struct AclFlags {
    method: MatchMethod,
    icase: bool,
    /// `--` ended the flags.
    dashdash: bool,
    /// The index of the first word after the flags.
    next: usize,
    /// `-f <file>`, in order.
    files: Vec<String>,
    /// `-M`: the files are maps (two columns).
    as_map: bool,
    /// `-u <id>`: the inline list's id.
    id: Option<i32>,
}

/// Reads the flags from `words[1]` on; `method` is the fetch's default.
fn parse_flags(words: &[String], method: MatchMethod) -> Result<AclFlags, String> {
    let mut flags = AclFlags {
        method,
        icase: false,
        dashdash: false,
        next: 1,
        files: Vec::new(),
        as_map: false,
        id: None,
    };
    while let Some(w) = words.get(flags.next).filter(|w| w.starts_with('-')) {
        flags.next += 1;
        let value = words.get(flags.next).map_or("", String::as_str);
        match w.as_str() {
            "-i" => flags.icase = true,
            "-n" => {}
            "-M" => flags.as_map = true,
            "--" => {
                flags.dashdash = true;
                break;
            }
            "-m" => {
                flags.next += 1;
                flags.method = method_from_name(value).ok_or_else(|| {
                    format!("unknown matching method '{value}' when parsing ACL expression.")
                })?;
            }
            "-f" => {
                flags.next += 1;
                if value.is_empty() {
                    return Err("'-f' expects a file name.".into());
                }
                flags.files.push(value.to_string());
            }
            "-u" => {
                flags.next += 1;
                flags.id = Some(value.parse().map_err(|_| {
                    format!("'-u' expects an integer argument, got '{value}'.")
                })?);
            }
            _ => {
                return Err(format!(
                    "'{w}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'."
                ))
            }
        }
    }
    Ok(flags)
}

/// The methods HAProxy knows by name.
const KNOWN_METHODS: &[&[u8]] = &[
    b"OPTIONS", b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"TRACE", b"CONNECT",
];

impl AclExpr {
    /// The inline patterns as written.
    pub fn literals(&self) -> &[Box<[u8]>] {
        &self.literal
    }

    /// Whether any value of the expression matches any pattern.
    pub fn matches(&self, view: &dyn RequestView) -> bool {
        let mut hit = false;
        let _ = self.expr.each(view, true, &mut |s| {
            if self.match_sample(&s) {
                hit = true;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        hit
    }

    /// Matches one value against the patterns.
    pub fn match_sample(&self, s: &Value<'_>) -> bool {
        if self.method == MatchMethod::Str
            && self.expr.fetch == Fetch::Method
            && self.expr.convs.is_empty()
        {
            return self.match_method(s);
        }
        match_any(&self.pats, s)
    }

    /// `method` as a string: standard methods compare exactly.
    fn match_method(&self, s: &Value<'_>) -> bool {
        let Some(text) = s.bytes() else { return false };
        let standard = KNOWN_METHODS.contains(&text);
        self.literal.iter().any(|p| {
            if standard || KNOWN_METHODS.contains(&&p[..]) {
                text == &p[..]
            } else if self.icase {
                text.eq_ignore_ascii_case(p)
            } else {
                text == &p[..]
            }
        }) || self
            .pats
            .split_last()
            .is_some_and(|(_, files)| match_any(files, s))
    }
}
