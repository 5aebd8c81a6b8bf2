//! Everything else: `ipmask`, `concat` and `add_item`, `strcmp` and
//! `secure_memcmp` (against a variable), `iif` and `language`.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};
use crate::sample::vars::VarName;

pub const CONVS: &[ConvDef] = &[
    def(
        "ipmask",
        &[ArgKind::Mask4, ArgKind::Mask6],
        1,
        SmpType::Addr,
        SmpType::Addr,
        ipmask,
    ),
    def(
        "concat",
        &[ArgKind::Str, ArgKind::Var, ArgKind::Str],
        1,
        SmpType::Str,
        SmpType::Str,
        concat,
    ),
    ConvDef {
        check: Some(check_add_item),
        ..def(
            "add_item",
            &[ArgKind::Str, ArgKind::Var, ArgKind::Str],
            1,
            SmpType::Str,
            SmpType::Str,
            add_item,
        )
    },
    def(
        "strcmp",
        &[ArgKind::Var],
        1,
        SmpType::Str,
        SmpType::Int,
        strcmp,
    ),
    def(
        "secure_memcmp",
        &[ArgKind::Var],
        1,
        SmpType::Bin,
        SmpType::Bool,
        secure_memcmp,
    ),
    def(
        "iif",
        &[ArgKind::Str, ArgKind::Str],
        2,
        SmpType::Bool,
        SmpType::Str,
        iif,
    ),
    def(
        "language",
        &[ArgKind::Str, ArgKind::Str],
        1,
        SmpType::Str,
        SmpType::Str,
        language,
    ),
];

/// `ipmask(<mask4>[,<mask6>])`: an IPv4-mapped IPv6 address is masked as
/// IPv4; another IPv6 address needs `<mask6>` or fails.
fn ipmask<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let Some(Arg::Mask4(m4)) = args.first() else {
        return None;
    };
    let v4 = match v {
        Value::Ipv4(a) => a,
        Value::Ipv6(a) => match a.to_ipv4_mapped() {
            Some(a) => a,
            None => {
                let Some(Arg::Mask6(m6)) = args.get(1) else {
                    return None;
                };
                return Some(Value::Ipv6(Ipv6Addr::from(u128::from(a) & m6)));
            }
        },
        _ => return None,
    };
    Some(Value::Ipv4(Ipv4Addr::from(u32::from(v4) & m4)))
}

/// A variable's value as text, when it is set and has a text form.
fn var_text(arg: Option<&Arg>, env: &dyn Env) -> Option<Vec<u8>> {
    let Some(Arg::Var(name)) = arg else {
        return None;
    };
    var_cast(name, env, SmpType::Str)
}

fn var_cast(name: &VarName, env: &dyn Env, to: SmpType) -> Option<Vec<u8>> {
    let v = env.vars()?.get(name)?.cast(to)?;
    v.bytes().map(<[u8]>::to_vec)
}

fn str_arg(args: &[Arg], i: usize) -> &[u8] {
    args.get(i).and_then(Arg::str).unwrap_or_default()
}

fn input_text(v: Value<'_>) -> Option<Vec<u8>> {
    match v {
        Value::Str(s) => Some(s.into_owned()),
        _ => None,
    }
}

/// `concat([<start>][,<var>][,<end>])`: appends the constants and the
/// variable's text (nothing when it is not set).
fn concat<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    let mut out = input_text(v)?;
    out.extend_from_slice(str_arg(args, 0));
    out.extend_from_slice(&var_text(args.get(1), env).unwrap_or_default());
    out.extend_from_slice(str_arg(args, 2));
    Some(Value::owned_str(out))
}

fn check_add_item(args: &[Arg]) -> Result<(), String> {
    if !matches!(args.get(1), Some(Arg::Var(_))) && str_arg(args, 2).is_empty() {
        return Err("one of the optional arguments has to be nonempty".into());
    }
    Ok(())
}

/// `add_item(<delim>[,<var>][,<suffix>])`: like `concat`, but the
/// delimiter only goes between a non-empty input and something to add.
fn add_item<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    let mut out = input_text(v)?;
    let var = var_text(args.get(1), env).unwrap_or_default();
    let suffix = str_arg(args, 2);
    if !out.is_empty() && (!var.is_empty() || !suffix.is_empty()) {
        out.extend_from_slice(str_arg(args, 0));
    }
    out.extend_from_slice(&var);
    out.extend_from_slice(suffix);
    Some(Value::owned_str(out))
}

/// `strcmp(<var>)`: as the C `strcmp` on the common length (the
/// difference of the first differing bytes, stopping at a NUL), then the
/// shorter one is smaller (-1 / 1). An unset variable fails.
fn strcmp<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    let right = var_text(args.first(), env)?;
    let left = v.bytes()?;
    let n = left.len().min(right.len());
    for (&a, &b) in left.iter().zip(&right).take(n) {
        if a != b {
            return Some(Value::Int(i64::from(a) - i64::from(b)));
        }
        if a == 0 {
            return Some(Value::Int(0));
        }
    }
    let r = match left.len().cmp(&right.len()) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    };
    Some(Value::Int(r))
}

/// `secure_memcmp(<var>)`: both as binary; equal lengths are compared in
/// constant time. An unset variable fails.
fn secure_memcmp<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    let Some(Arg::Var(name)) = args.first() else {
        return None;
    };
    let right = var_cast(name, env, SmpType::Bin)?;
    let left = v.bytes()?;
    if left.len() != right.len() {
        return Some(Value::Bool(false));
    }
    let diff = left.iter().zip(&right).fold(0u8, |d, (a, b)| d | (a ^ b));
    Some(Value::Bool(diff == 0))
}

/// `iif(<true>,<false>)`.
fn iif<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let Value::Bool(b) = v else { return None };
    let pick = str_arg(args, if b { 0 } else { 1 });
    Some(Value::owned_str(pick.to_vec()))
}

/// Whether the range of an `Accept-Language` entry matches the wanted
/// tag: equal, or the range has a `-variant` after the whole tag.
fn range_matches(range: &[u8], tag: &[u8]) -> bool {
    for (i, &c) in range.iter().enumerate() {
        match tag.get(i) {
            None => return c == b'-',
            Some(&t) if t != c => return false,
            Some(_) => {}
        }
    }
    range.len() == tag.len()
}

/// A q-value as thousandths: a digit, then `.` and up to three digits (no
/// digit: 1000; above 1000: 1000). The character after the first digit is
/// taken even when it is not a dot. Returns the value and the bytes read.
fn qvalue(s: &[u8]) -> (u32, usize) {
    let digit = |i: usize| {
        s.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    };
    let Some(units) = digit(0) else {
        return (1000, 0);
    };
    let mut q = units * 1000;
    let mut read = 2;
    if s.get(1) == Some(&b'.') {
        for (i, scale) in [(2, 100), (3, 10), (4, 1)] {
            let Some(d) = digit(i) else { break };
            q += d * scale;
            read = i + 1;
        }
    }
    (q.min(1000), read.min(s.len()))
}

/// `language(<value>[,<default>])`: the wanted language (one of the
/// `;`-separated values) with the best q-value in an `Accept-Language`
/// list; the first one wins a tie, q=0 never does. When none matches, the
/// default, or a failure without one.
fn language<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let wanted = args.first()?.str()?;
    let s = v.bytes()?;
    let mut best: Option<&[u8]> = None;
    let mut best_q = 0;
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while s.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= s.len() {
            break;
        }
        let start = i;
        while s
            .get(i)
            .is_some_and(|&c| c != b';' && c != b',' && !c.is_ascii_whitespace())
        {
            i += 1;
        }
        let token = s.get(start..i).unwrap_or_default();
        let found = if token.is_empty() {
            None
        } else {
            wanted
                .split(|&c| c == b';')
                .find(|w| range_matches(token, w))
        };
        if let Some(lang) = found {
            let q = entry_q(s, &mut i, skip_ws);
            if let Some(q) = q.filter(|&q| q > best_q) {
                best = Some(lang);
                if q >= 1000 {
                    break;
                }
                best_q = q;
            }
        }
        // On to the next comma.
        while s.get(i).is_some_and(|&c| c != b',') {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        i += 1;
    }
    let pick = match best.filter(|b| !b.is_empty()) {
        Some(b) => b,
        None => args.get(1).and_then(Arg::str).filter(|d| !d.is_empty())?,
    };
    Some(Value::Str(Cow::Owned(pick.to_vec())))
}

/// The q-value after a matching token (`;q=0.5`, spaces allowed around
/// each part); `None` when something else than `;` or `,` follows it (the
/// entry is skipped). Missing or malformed parts count as q=1.
fn entry_q(s: &[u8], i: &mut usize, skip_ws: impl Fn(&mut usize)) -> Option<u32> {
    skip_ws(i);
    match s.get(*i) {
        None | Some(b',') => return Some(1000),
        Some(b';') => *i += 1,
        Some(_) => return None,
    }
    for expect in [b'q', b'='] {
        skip_ws(i);
        if s.get(*i) != Some(&expect) {
            return Some(1000);
        }
        *i += 1;
    }
    skip_ws(i);
    if *i >= s.len() {
        return Some(1000);
    }
    let (q, read) = qvalue(s.get(*i..).unwrap_or_default());
    *i += read;
    Some(q)
}
