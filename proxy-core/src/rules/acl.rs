//! ACL expressions: `<fetch> [-i] [-m <method>] [-n] [--] <pattern>...`,
//! parsed and compiled at configuration time, matched per request.
//!
//! Flags come before the first pattern; from the first word that is not a
//! flag on, every word is a pattern (so `path /x -i` has two patterns),
//! and `--` ends the flags. The match method defaults from the fetch: its
//! derived name (`path_beg` → `beg`), else its type (string → `str`,
//! integer → `int`, address → `ip`, boolean → `bool`); `-m` overrides it.
//!
//! Matching, as HAProxy 2.6 does it (checked against `haproxy` 2.6.12):
//! - any value of a multi-valued fetch may match any pattern (OR);
//! - `found` ignores patterns and needs a value; `bool` is true for a
//!   non-zero integer;
//! - `int` and `len` patterns are `N`, `A:B`, `A:`, `:B`, or operators
//!   `eq|ne|lt|le|gt|ge N` that apply to the following values. HAProxy
//!   2.6 accepts `ne` but matches it like `eq` (measured); we do the same;
//! - `ip` patterns are addresses or networks (`/len` or `/dotted.mask`);
//!   an IPv4 network matches an IPv4-mapped IPv6 address and an IPv6
//!   network sees IPv4 addresses as `::ffff:a.b.c.d`;
//! - string methods compare the text form of integers and addresses;
//!   `-i` ignores ASCII case; `dir` matches a `/`-delimited part, `dom` a
//!   `.`- or `/`-delimited part; `reg` is [`Regex`];
//! - `method`: when the request method or the pattern is one of the
//!   standard methods they must be equal byte for byte (`-i` only helps
//!   for non-standard methods), so `method get` never matches `GET`.
//!
//! Differences: HAProxy reads addresses with `inet_aton` (so `1.2.3` is
//! accepted there) and integers with `atoi`-like leniency in a few places;
//! we refuse such values. An empty pattern (`""`) is a pattern here,
//! while HAProxy treats an empty word as the end of the line.

use std::net::IpAddr;
use std::ops::ControlFlow;

use super::expr::{Expr, NoFiles, Parsed};
use super::fetch::Fetch;
use super::RequestView;
use crate::sample::args::ArgResolver;
use crate::sample::regex::Regex;
use crate::sample::{SmpType, Value};

pub use crate::sample::pattern::MatchKind as MatchMethod;

const METHOD_NAMES: &[(&str, MatchMethod)] = &[
    ("found", MatchMethod::Found),
    ("bool", MatchMethod::Bool),
    ("int", MatchMethod::Int),
    ("ip", MatchMethod::Ip),
    ("str", MatchMethod::Str),
    ("beg", MatchMethod::Beg),
    ("end", MatchMethod::End),
    ("sub", MatchMethod::Sub),
    ("reg", MatchMethod::Reg),
    ("len", MatchMethod::Len),
    ("dir", MatchMethod::Dir),
    ("dom", MatchMethod::Dom),
    ("bin", MatchMethod::Bin),
];

/// The match method called `name` (`-m <name>`).
pub fn method_from_name(name: &str) -> Option<MatchMethod> {
    METHOD_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
}

/// The name of a match method.
pub fn method_name(m: MatchMethod) -> &'static str {
    METHOD_NAMES
        .iter()
        .find(|(_, x)| *x == m)
        .map_or("", |(n, _)| n)
}

/// An inclusive integer range; `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntRange {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl IntRange {
    pub fn contains(&self, n: i64) -> bool {
        self.min.is_none_or(|m| n >= m) && self.max.is_none_or(|m| n <= m)
    }
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

/// One compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    Str(Box<[u8]>),
    Int(IntRange),
    Ip(IpNet),
    Reg(Regex),
}

/// One ACL expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclExpr {
    /// The sample expression; its keyword as written (`hdr_beg`) is
    /// `expr.kw`.
    pub expr: Expr,
    pub method: MatchMethod,
    pub icase: bool,
    pub patterns: Vec<Pattern>,
}

/// A parsed expression and the warnings HAProxy would print for it
/// (complete, `config : ...`).
#[derive(Clone, Debug)]
pub struct ParsedExpr {
    pub expr: AclExpr,
    pub warnings: Vec<String>,
}

/// Parses `<fetch> [flags] [patterns]` (the words after the ACL name).
/// Errors are worded to follow `error detected while parsing ACL 'x' : `.
pub fn parse_expr(words: &[String]) -> Result<ParsedExpr, String> {
    parse_expr_with(words, &mut NoFiles)
}

/// [`parse_expr`] with the configuration's map and pattern files.
pub fn parse_expr_with(
    words: &[String],
    files: &mut dyn ArgResolver,
) -> Result<ParsedExpr, String> {
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
    let patterns = parse_patterns(&words[first..], flags.method, flags.icase)?;
    let mut warnings = Vec::new();
    if words.len() <= flags.next
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
            patterns,
        },
        warnings,
    })
}

/// The sample expression of an ACL (nothing may follow it in its word).
fn acl_fetch<'w>(word: &'w str, files: &mut dyn ArgResolver) -> Result<Parsed<'w>, String> {
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
}

/// Reads the flags from `words[1]` on; `method` is the fetch's default.
fn parse_flags(words: &[String], method: MatchMethod) -> Result<AclFlags, String> {
    let mut flags = AclFlags {
        method,
        icase: false,
        dashdash: false,
        next: 1,
    };
    while let Some(w) = words.get(flags.next).filter(|w| w.starts_with('-')) {
        flags.next += 1;
        match w.as_str() {
            "-i" => flags.icase = true,
            "-n" => {}
            "--" => {
                flags.dashdash = true;
                break;
            }
            "-m" => {
                let name = words.get(flags.next).map_or("", String::as_str);
                flags.next += 1;
                flags.method = method_from_name(name).ok_or_else(|| {
                    format!("unknown matching method '{name}' when parsing ACL expression.")
                })?;
            }
            "-f" | "-M" | "-u" => return Err(format!("'{w}' is not supported by this proxy.")),
            _ => {
                return Err(format!(
                    "'{w}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'."
                ))
            }
        }
    }
    Ok(flags)
}

/// Compiles the patterns for `method`; `int` and `len` take operators
/// (`ne` is read as `eq`, as HAProxy 2.6 does).
fn parse_patterns(
    words: &[String],
    method: MatchMethod,
    icase: bool,
) -> Result<Vec<Pattern>, String> {
    let mut patterns = Vec::new();
    let mut op = "eq";
    for w in words {
        let w = w.as_str();
        match method {
            MatchMethod::Found | MatchMethod::Bool => {}
            MatchMethod::Int | MatchMethod::Len => {
                if matches!(w, "eq" | "ne" | "lt" | "le" | "gt" | "ge") {
                    op = if w == "ne" { "eq" } else { w };
                    continue;
                }
                patterns.push(Pattern::Int(int_pattern(w, op)?));
            }
            MatchMethod::Ip => patterns
                .push(Pattern::Ip(IpNet::parse(w).ok_or_else(|| {
                    format!("'{w}' is not a valid IPv4 or IPv6 address.")
                })?)),
            MatchMethod::Reg => patterns.push(Pattern::Reg(
                Regex::new(w, icase).map_err(|e| e.describe(w))?,
            )),
            MatchMethod::Bin => patterns
                .push(Pattern::Str(hex_pattern(w).ok_or_else(|| {
                    format!("'{w}' is not a valid hexadecimal binary string.")
                })?)),
            _ => patterns.push(Pattern::Str(w.as_bytes().into())),
        }
    }
    Ok(patterns)
}

/// A `-m bin` pattern: hexadecimal digits, two per byte.
fn hex_pattern(w: &str) -> Option<Box<[u8]>> {
    if w.len() % 2 != 0 {
        return None;
    }
    (0..w.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(w.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `N`, `A:B`, `A:` or `:B`, under operator `op`.
fn int_pattern(w: &str, op: &str) -> Result<IntRange, String> {
    let num = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("'{w}' is not a number."))
    };
    if let Some((lo, hi)) = w.split_once(':') {
        let bound = |s: &str| {
            if s.is_empty() {
                Ok(None)
            } else {
                num(s).map(Some)
            }
        };
        let (min, max) = (bound(lo)?, bound(hi)?);
        if matches!((min, max), (Some(a), Some(b)) if a > b) || (min.is_none() && max.is_none()) {
            return Err(format!("'{w}' is not a valid number range."));
        }
        return Ok(IntRange { min, max });
    }
    let n = num(w)?;
    Ok(match op {
        "lt" => IntRange {
            min: None,
            max: Some(n.saturating_sub(1)),
        },
        "le" => IntRange {
            min: None,
            max: Some(n),
        },
        "gt" => IntRange {
            min: Some(n.saturating_add(1)),
            max: None,
        },
        "ge" => IntRange {
            min: Some(n),
            max: None,
        },
        _ => IntRange {
            min: Some(n),
            max: Some(n),
        },
    })
}

/// The methods HAProxy knows by name.
const KNOWN_METHODS: &[&[u8]] = &[
    b"OPTIONS", b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"TRACE", b"CONNECT",
];

fn eq(a: &[u8], b: &[u8], icase: bool) -> bool {
    if icase {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn contains(hay: &[u8], needle: &[u8], icase: bool) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| eq(w, needle, icase))
}

/// `pat` (without its own leading or trailing delimiters) found in `text`
/// between delimiters or the ends.
fn match_word(text: &[u8], pat: &[u8], delims: &[u8], icase: bool) -> bool {
    let start = pat
        .iter()
        .position(|b| !delims.contains(b))
        .unwrap_or(pat.len());
    let end = pat
        .iter()
        .rposition(|b| !delims.contains(b))
        .map_or(start, |e| e + 1);
    let pat = &pat[start..end.max(start)];
    if pat.is_empty() || pat.len() > text.len() {
        return false;
    }
    (0..=text.len() - pat.len()).any(|i| {
        let j = i + pat.len();
        eq(&text[i..j], pat, icase)
            && (i == 0 || delims.contains(&text[i - 1]))
            && (j == text.len() || delims.contains(&text[j]))
    })
}

/// A whole decimal integer (HAProxy's string to integer cast).
fn whole_int(v: &[u8]) -> Option<i64> {
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// The text form of a sample, borrowed when it already is text.
fn text_of<'s>(s: &'s Value<'_>, buf: &'s mut Vec<u8>) -> &'s [u8] {
    match s {
        Value::Str(v) | Value::Meth(v) => v,
        other => {
            other.write_text(buf);
            buf
        }
    }
}

impl AclExpr {
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

    /// Whether the expression is the bare `method` fetch, whose string
    /// match is special.
    fn is_method(&self) -> bool {
        self.expr.fetch == Fetch::Method && self.expr.convs.is_empty()
    }

    /// Matches one value against the patterns.
    pub fn match_sample(&self, s: &Value<'_>) -> bool {
        let ints = |n: i64| {
            self.patterns
                .iter()
                .any(|p| matches!(p, Pattern::Int(r) if r.contains(n)))
        };
        let mut buf = Vec::new();
        match self.method {
            MatchMethod::Found => true,
            MatchMethod::Bool => match s {
                Value::Bool(b) => *b,
                Value::Int(n) => *n != 0,
                Value::Str(v) => whole_int(v).is_some_and(|n| n != 0),
                _ => false,
            },
            MatchMethod::Int => match s {
                Value::Int(n) => ints(*n),
                Value::Bool(b) => ints(i64::from(*b)),
                Value::Str(v) => whole_int(v).is_some_and(ints),
                _ => false,
            },
            MatchMethod::Len => ints(text_of(s, &mut buf).len() as i64),
            MatchMethod::Ip => {
                let ip = match s {
                    Value::Ipv4(a) => IpAddr::V4(*a),
                    Value::Ipv6(a) => IpAddr::V6(*a),
                    Value::Str(v) => {
                        match std::str::from_utf8(v).ok().and_then(|t| t.parse().ok()) {
                            Some(ip) => ip,
                            None => return false,
                        }
                    }
                    _ => return false,
                };
                self.patterns
                    .iter()
                    .any(|p| matches!(p, Pattern::Ip(net) if net.contains(ip)))
            }
            MatchMethod::Reg => {
                let text = text_of(s, &mut buf);
                self.patterns
                    .iter()
                    .any(|p| matches!(p, Pattern::Reg(r) if r.is_match(text)))
            }
            MatchMethod::Bin => {
                let bytes: &[u8] = match s {
                    Value::Bin(b) | Value::Str(b) | Value::Meth(b) => b,
                    _ => return false,
                };
                self.patterns
                    .iter()
                    .any(|p| matches!(p, Pattern::Str(x) if &x[..] == bytes))
            }
            m => {
                let text = text_of(s, &mut buf);
                let method = self.is_method();
                let standard = method && m == MatchMethod::Str && KNOWN_METHODS.contains(&text);
                self.patterns.iter().any(|p| {
                    let Pattern::Str(p) = p else { return false };
                    let p = &p[..];
                    match m {
                        MatchMethod::Str if method => {
                            if standard || KNOWN_METHODS.contains(&p) {
                                text == p
                            } else {
                                eq(text, p, self.icase)
                            }
                        }
                        MatchMethod::Str => eq(text, p, self.icase),
                        MatchMethod::Beg => {
                            text.len() >= p.len() && eq(&text[..p.len()], p, self.icase)
                        }
                        MatchMethod::End => {
                            text.len() >= p.len()
                                && eq(&text[text.len() - p.len()..], p, self.icase)
                        }
                        MatchMethod::Sub => contains(text, p, self.icase),
                        MatchMethod::Dir => match_word(text, p, b"/", self.icase),
                        MatchMethod::Dom => match_word(text, p, b"./", self.icase),
                        _ => false,
                    }
                })
            }
        }
    }
}
