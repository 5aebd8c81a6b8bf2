//! Pattern text to compiled pattern, per match kind, with HAProxy 2.6's
//! messages; and map values (the second column) to typed samples.
//!
//! - `int`/`len`: `N`, `A:B` or `A-B` (the first `:` or `-` separates),
//!   `A:`, `:B`; so `-3` means "up to 3" and `:-5` "up to -5";
//! - `ip`: `a.b.c.d[/bits|/dotted.mask]` or `ipv6[/bits]`, never resolved;
//! - `reg`: PCRE syntax through [`Regex`], `-i` folding case;
//! - `bin`: hexadecimal digits;
//! - `found`/`bool`: the text is ignored;
//! - every other kind keeps the text as bytes.
//!
//! ACLs written inline may use the operators `eq ne lt le gt ge` before
//! integers: [`acl_int_words`] rewrites them to ranges as HAProxy does
//! (`gt 9000` is stored and shown as `9001:`).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{MatchKind, Out};
use crate::sample::regex::Regex;
use crate::sample::value::Value;

/// One compiled pattern.
#[derive(Clone, Debug)]
pub(crate) enum Pat {
    /// `found` and `bool`: nothing to compare.
    Nothing,
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    V4 {
        addr: u32,
        mask: u32,
    },
    V6 {
        addr: u128,
        bits: u8,
    },
    Str(Box<[u8]>),
    Bin(Box<[u8]>),
    Reg(Regex),
}

impl Pat {
    pub(crate) fn contains(&self, n: i64) -> bool {
        match *self {
            Pat::Int { min, max } => min.is_none_or(|m| m <= n) && max.is_none_or(|m| n <= m),
            _ => false,
        }
    }
}

/// A decimal integer with an optional `-` (HAProxy's `strl2llrc`).
fn strict_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Compiles `text` for `kind`; the error is HAProxy's, without the final
/// period (the callers add `.` or ` at line N of file 'F'`).
pub(crate) fn parse_pattern(kind: MatchKind, text: &str, icase: bool) -> Result<Pat, String> {
    match kind {
        MatchKind::Found | MatchKind::Bool => Ok(Pat::Nothing),
        MatchKind::Int | MatchKind::Len => parse_int_range(text),
        MatchKind::Ip => {
            parse_net(text).ok_or_else(|| format!("'{text}' is not a valid IPv4 or IPv6 address"))
        }
        MatchKind::Bin => parse_hex(text)
            .map(|b| Pat::Bin(b.into()))
            .ok_or_else(|| format!("'{text}' is not a valid hexadecimal string")),
        MatchKind::Reg => match Regex::new(text, icase) {
            Ok(r) => Ok(Pat::Reg(r)),
            Err(e) => {
                let msg = e.describe(text);
                Err(msg.strip_suffix('.').map(str::to_string).unwrap_or(msg))
            }
        },
        _ => Ok(Pat::Str(text.as_bytes().into())),
    }
}

fn parse_int_range(text: &str) -> Result<Pat, String> {
    let bad_range = || format!("'{text}' is not a valid number range");
    if text.is_empty() {
        return Err(bad_range());
    }
    let Some(sep) = text.find([':', '-']) else {
        let n = strict_int(text).ok_or_else(|| format!("'{text}' is not a number"))?;
        return Ok(Pat::Int {
            min: Some(n),
            max: Some(n),
        });
    };
    let (lo, hi) = (&text[..sep], &text[sep + 1..]);
    let num = |s: &str| strict_int(s).ok_or_else(bad_range);
    if sep == 0 && !hi.is_empty() {
        return Ok(Pat::Int {
            min: None,
            max: Some(num(hi)?),
        });
    }
    if hi.is_empty() {
        return Ok(Pat::Int {
            min: Some(num(lo)?),
            max: None,
        });
    }
    let (min, max) = (num(lo)?, num(hi)?);
    if min > max {
        return Err(bad_range());
    }
    Ok(Pat::Int {
        min: Some(min),
        max: Some(max),
    })
}

/// `addr[/mask]`, IPv4 first (the mask as bits or dotted), then IPv6.
pub(crate) fn parse_net(text: &str) -> Option<Pat> {
    let (a, m) = match text.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (text, None),
    };
    if let Ok(v4) = a.parse::<Ipv4Addr>() {
        let mask = match m {
            None => u32::MAX,
            Some(m) if m.contains('.') => u32::from(m.parse::<Ipv4Addr>().ok()?),
            Some(m) => {
                let bits: u32 = m.parse().ok().filter(|&b| b <= 32)?;
                u32::MAX.checked_shl(32 - bits).unwrap_or(0)
            }
        };
        return Some(Pat::V4 {
            addr: u32::from(v4) & mask,
            mask,
        });
    }
    let v6 = a.parse::<Ipv6Addr>().ok()?;
    let bits: u8 = match m {
        None => 128,
        Some(m) => m.parse().ok().filter(|&b| b <= 128)?,
    };
    Some(Pat::V6 {
        addr: u128::from(v6) & mask6(bits),
        bits,
    })
}

pub(crate) fn mask6(bits: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0)
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if b.len() & 1 == 1 {
        return None;
    }
    b.chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// A map value (the text after the key) parsed to the converter's output
/// type; `None` is HAProxy's "unable to parse".
pub(crate) fn parse_sample(out: Out, text: &str) -> Option<Value<'static>> {
    match out {
        Out::Str => Some(Value::owned_str(text.as_bytes().to_vec())),
        Out::Int => {
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.parse().ok().map(Value::Int)
        }
        Out::Ip => parse_ip_value(text),
    }
}

/// An address value: IPv4, else IPv6 (map values and `map_*_ip` defaults).
pub(crate) fn parse_ip_value(text: &str) -> Option<Value<'static>> {
    if let Ok(a) = text.parse::<Ipv4Addr>() {
        return Some(Value::Ipv4(a));
    }
    text.parse::<Ipv6Addr>().ok().map(Value::Ipv6)
}

/// Rewrites the inline words of an `int`/`len` ACL: the operators `eq`,
/// `ne`, `lt`, `le`, `gt`, `ge` apply to the numbers after them and turn
/// into ranges (`ne` is accepted and leaves the number as is, which then
/// matches like `eq`, as in HAProxy 2.6). Other kinds keep their words.
pub fn acl_int_words(kind: MatchKind, words: &[&str]) -> Result<Vec<String>, String> {
    if !matches!(kind, MatchKind::Int | MatchKind::Len) {
        return Ok(words.iter().map(|w| w.to_string()).collect());
    }
    let mut op = "eq";
    let mut out = Vec::new();
    for &w in words {
        if matches!(w, "eq" | "ne" | "lt" | "le" | "gt" | "ge") {
            op = w;
            continue;
        }
        if op == "eq" || w.contains([':', '-']) {
            out.push(w.to_string());
            continue;
        }
        let n = strict_int(w)
            .ok_or_else(|| format!("'{w}' is neither a number nor a supported operator"))?;
        out.push(match op {
            "gt" => format!("{}:", n.saturating_add(1)),
            "ge" => format!("{n}:"),
            "lt" => format!(":{}", n.saturating_sub(1)),
            "le" => format!(":{n}"),
            _ => w.to_string(),
        });
    }
    Ok(out)
}
