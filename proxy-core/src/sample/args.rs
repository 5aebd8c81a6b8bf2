//! Arguments of fetches and converters: split from `name(a,b,c)`, typed
//! and checked at configuration time.
//!
//! HAProxy 2.6 splits on commas; an argument may be quoted with `"` or
//! `'` (the quotes are removed, a comma inside stays) and `\` escapes the
//! next character. Whitespace is kept as written.

use std::sync::Arc;

use super::pattern::{MatchKind, PatExpr};
use super::regex::Regex;
use super::vars::VarName;

/// What an argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A signed integer.
    Int,
    /// Any text.
    Str,
    /// A variable name (`txn.x`).
    Var,
    /// An integer, or a variable name holding one (the arithmetic
    /// converters' `<value>`).
    IntOrVar,
    /// A PCRE regex (compiled; `regsub`).
    Regex,
    /// A stick-table name (checked against the tables by the caller).
    Table,
    /// A map or pattern file, loaded for this match kind.
    Map(MatchKind),
    /// An IPv4 mask: `N` bits or a dotted mask.
    Mask4,
    /// An IPv6 mask: `N` bits.
    Mask6,
}

/// One typed argument.
#[derive(Clone, Debug)]
pub enum Arg {
    Int(i64),
    Str(Box<[u8]>),
    Var(VarName),
    Regex(Regex),
    Table(String),
    Map(Arc<PatExpr>),
    Mask4(u32),
    Mask6(u128),
    /// An optional argument left out.
    Missing,
}

impl PartialEq for Arg {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Arg::Int(a), Arg::Int(b)) => a == b,
            (Arg::Str(a), Arg::Str(b)) => a == b,
            (Arg::Var(a), Arg::Var(b)) => a == b,
            (Arg::Regex(a), Arg::Regex(b)) => a == b,
            (Arg::Table(a), Arg::Table(b)) => a == b,
            (Arg::Map(a), Arg::Map(b)) => Arc::ptr_eq(a, b),
            (Arg::Mask4(a), Arg::Mask4(b)) => a == b,
            (Arg::Mask6(a), Arg::Mask6(b)) => a == b,
            (Arg::Missing, Arg::Missing) => true,
            _ => false,
        }
    }
}

impl Eq for Arg {}

impl Arg {
    pub fn int(&self) -> Option<i64> {
        match self {
            Arg::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&[u8]> {
        match self {
            Arg::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// What resolving arguments needs from the configuration: loading map
/// and pattern files (relative paths, shared between users).
pub trait ArgResolver {
    /// Loads (or finds already loaded) the map file `path` for `kind`.
    fn map(&mut self, path: &str, kind: MatchKind) -> Result<Arc<PatExpr>, String>;
}

/// Splits the text between the parentheses into raw arguments. `None`
/// inner text (no parentheses) gives no argument; `()` gives none too.
pub fn split(inner: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    if inner.is_empty() {
        return Ok(out);
    }
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, quote) {
            // Inside single quotes a backslash is itself.
            ('\\', Some('\'')) => cur.push(c),
            // `\\`, `\ ` and escaped quotes lose their backslash; `\r`,
            // `\n`, `\t` are control characters; any other escape is kept
            // as written (regsub's `\1`, a regex's `\d`).
            ('\\', _) => match chars.next() {
                Some(n @ ('\\' | ' ' | '"' | '\'' | ',' | ')')) => cur.push(n),
                Some('r') => cur.push('\r'),
                Some('n') => cur.push('\n'),
                Some('t') => cur.push('\t'),
                Some(n) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => return Err("truncated escape sequence at the end of the arguments".into()),
            },
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (',', None) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if let Some(q) = quote {
        return Err(format!("unterminated quote ({q}) in the arguments"));
    }
    out.push(cur);
    Ok(out)
}

/// Finds the `)` closing the argument list that starts after `(`,
/// skipping quoted text, escaped characters and nested parentheses.
pub fn closing_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (b[i], quote) {
            (b'\\', _) => i += 1,
            (b'"' | b'\'', None) => quote = Some(b[i]),
            (q, Some(open)) if q == open => quote = None,
            (b'(', None) => depth += 1,
            (b')', None) if depth == 0 => return Some(i),
            (b')', None) => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Types the raw arguments `raw` against `kinds` (at least `min` given).
/// `what` names the converter or fetch for messages.
pub fn resolve(
    what: &str,
    raw: &[String],
    kinds: &[ArgKind],
    min: usize,
    res: &mut dyn ArgResolver,
) -> Result<Vec<Arg>, String> {
    if raw.len() < min {
        return Err(if min == 1 && kinds.len() == 1 {
            "expects 1 argument".to_string()
        } else {
            format!("expects at least {min} arguments")
        });
    }
    if raw.len() > kinds.len() {
        return Err(format!(
            "end of arguments expected at position {}, but got '{}'",
            kinds.len() + 1,
            raw[kinds.len()..].join(",")
        ));
    }
    let mut out = Vec::with_capacity(kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        let Some(w) = raw.get(i) else {
            out.push(Arg::Missing);
            continue;
        };
        if w.is_empty() && i >= min && *kind != ArgKind::Str {
            out.push(Arg::Missing);
            continue;
        }
        let pos = i + 1;
        let bad = |t: &str| format!("failed to parse '{w}' as type '{t}' at position {pos}");
        out.push(match kind {
            ArgKind::Int => Arg::Int(parse_int(w).ok_or_else(|| bad("integer"))?),
            ArgKind::Str => Arg::Str(w.as_bytes().into()),
            ArgKind::Var => {
                Arg::Var(VarName::parse(w).map_err(|e| format!("{e} at position {pos}"))?)
            }
            ArgKind::IntOrVar => match parse_int(w) {
                Some(n) => Arg::Int(n),
                None => Arg::Var(VarName::parse(w).map_err(|e| format!("{e} at position {pos}"))?),
            },
            ArgKind::Regex => Arg::Regex(Regex::new(w, false).map_err(|e| e.describe(w))?),
            ArgKind::Table => Arg::Table(w.clone()),
            ArgKind::Map(k) => Arg::Map(res.map(w, *k)?),
            ArgKind::Mask4 => Arg::Mask4(mask4(w).ok_or_else(|| bad("mask"))?),
            ArgKind::Mask6 => Arg::Mask6(mask6(w).ok_or_else(|| bad("mask"))?),
        });
    }
    let _ = what;
    Ok(out)
}

/// A decimal integer with an optional sign (saturating, as HAProxy
/// reads one).
pub fn parse_int(w: &str) -> Option<i64> {
    let digits = w.strip_prefix(['-', '+']).unwrap_or(w);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(super::value::leading_int(w.as_bytes()))
}

fn mask4(w: &str) -> Option<u32> {
    if w.contains('.') {
        return w.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
    }
    let bits: u32 = w.parse().ok().filter(|&b| b <= 32)?;
    Some(u32::MAX.checked_shl(32 - bits).unwrap_or(0))
}

/// An IPv6 mask: `N` bits or an address form (`ffff:ffff:ff00::`).
fn mask6(w: &str) -> Option<u128> {
    if w.contains(':') {
        return w.parse::<std::net::Ipv6Addr>().ok().map(u128::from);
    }
    let bits: u32 = w.parse().ok().filter(|&b| b <= 128)?;
    Some(u128::MAX.checked_shl(128 - bits).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_keeps_quoted_commas() {
        assert_eq!(
            split("a,\"b,c\",d\\,e").ok(),
            Some(vec!["a".into(), "b,c".into(), "d,e".into()])
        );
        assert_eq!(
            split("\\2\\1,\\r,'\\x'").ok(),
            Some(vec!["\\2\\1".into(), "\r".into(), "\\x".into()])
        );
        assert_eq!(
            split(",,").ok(),
            Some(vec![String::new(), String::new(), String::new()])
        );
        assert_eq!(closing_paren("a(b),\")\")x"), Some(8));
        assert_eq!(mask4("24"), Some(0xffff_ff00));
        assert_eq!(mask4("255.255.0.0"), Some(0xffff_0000));
    }
}
