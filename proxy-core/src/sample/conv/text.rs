//! Text converters: case, length, `field` and `word`, `bytes`, trims,
//! `cut_crlf` and `regsub`. (`json` is in [`super::json`].)

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, OnceLock};

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::regex::Regex;
use crate::sample::value::{SmpType, Value};

const INDEXED: &[ArgKind] = &[ArgKind::Int, ArgKind::Str, ArgKind::Int];

pub const CONVS: &[ConvDef] = &[
    def("lower", &[], 0, SmpType::Str, SmpType::Str, lower),
    def("upper", &[], 0, SmpType::Str, SmpType::Str, upper),
    def("length", &[], 0, SmpType::Str, SmpType::Int, length),
    def("host_only", &[], 0, SmpType::Str, SmpType::Str, host_only),
    def("port_only", &[], 0, SmpType::Str, SmpType::Int, port_only),
    ConvDef {
        check: Some(check_indexed),
        ..def("field", INDEXED, 2, SmpType::Str, SmpType::Str, field)
    },
    ConvDef {
        check: Some(check_indexed),
        ..def("word", INDEXED, 2, SmpType::Str, SmpType::Str, word)
    },
    def(
        "bytes",
        &[ArgKind::Int, ArgKind::Int],
        1,
        SmpType::Bin,
        SmpType::Bin,
        bytes,
    ),
    def(
        "ltrim",
        &[ArgKind::Str],
        1,
        SmpType::Str,
        SmpType::Str,
        ltrim,
    ),
    def(
        "rtrim",
        &[ArgKind::Str],
        1,
        SmpType::Str,
        SmpType::Str,
        rtrim,
    ),
    def("cut_crlf", &[], 0, SmpType::Str, SmpType::Str, cut_crlf),
    ConvDef {
        check: Some(check_regsub),
        ..def(
            "regsub",
            &[ArgKind::Regex, ArgKind::Str, ArgKind::Str],
            2,
            SmpType::Str,
            SmpType::Str,
            regsub,
        )
    },
];

/// The text of a value the engine already cast to `str` (or `bin`).
pub(super) fn text<'v>(v: &'v Value<'_>) -> &'v [u8] {
    v.bytes().unwrap_or_default()
}

/// The part `r` of `s`, borrowing when `s` does (empty when `r` is out of
/// bounds, which callers avoid).
pub(super) fn slice(s: Cow<'_, [u8]>, r: Range<usize>) -> Cow<'_, [u8]> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(r).unwrap_or_default()),
        Cow::Owned(mut v) => {
            if r.start > r.end || r.end > v.len() {
                return Cow::Owned(Vec::new());
            }
            v.truncate(r.end);
            v.drain(..r.start);
            Cow::Owned(v)
        }
    }
}

/// A text or binary value's bytes, kept borrowed.
fn into_cow(v: Value<'_>) -> Option<Cow<'_, [u8]>> {
    match v {
        Value::Str(s) | Value::Bin(s) | Value::Meth(s) => Some(s),
        _ => None,
    }
}

/// The part `r` of a text value, as text.
fn sub_str(v: Value<'_>, r: Range<usize>) -> Option<Value<'_>> {
    Some(Value::Str(slice(into_cow(v)?, r)))
}

fn map_bytes<'a>(v: Value<'a>, f: impl Fn(&mut [u8])) -> Option<Value<'a>> {
    let mut owned = into_cow(v)?.into_owned();
    f(&mut owned);
    Some(Value::Str(Cow::Owned(owned)))
}

fn lower<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    map_bytes(v, |b| b.make_ascii_lowercase())
}

fn upper<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    map_bytes(v, |b| b.make_ascii_uppercase())
}

fn length<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Int(text(&v).len() as i64))
}

/// `field` and `word`: the index is not 0, the delimiters not empty.
fn check_indexed(args: &[Arg]) -> Result<(), String> {
    if args.first().and_then(Arg::int) == Some(0) {
        return Err("Unexpected value 0 for index".into());
    }
    if args.get(1).and_then(Arg::str).is_none_or(<[u8]>::is_empty) {
        return Err("Empty separators list".into());
    }
    Ok(())
}

/// Index, delimiters and count of `field` / `word` (count 1 when left
/// out; 0 or less means "up to the end").
fn indexed(args: &[Arg]) -> Option<(i64, &[u8], i64)> {
    let index = args.first()?.int()?;
    let delims = args.get(1)?.str()?;
    let count = args.get(2).and_then(Arg::int).unwrap_or(1);
    Some((index, delims, count))
}

/// The input read forwards (positions as they are) or backwards (byte `i`
/// of the walk is at `len - 1 - i`), so one walk serves both signs.
struct Walk<'s> {
    s: &'s [u8],
    back: bool,
}

impl Walk<'_> {
    fn at(&self, i: usize) -> u8 {
        let p = if self.back { self.s.len() - 1 - i } else { i };
        self.s.get(p).copied().unwrap_or(0)
    }

    /// The input range of walk positions `a..b`.
    fn range(&self, a: usize, b: usize) -> Range<usize> {
        if self.back {
            self.s.len() - b..self.s.len() - a
        } else {
            a..b
        }
    }
}

/// `field(<index>,<delimiters>[,<count>])`: every delimiter ends a field,
/// so empty fields count; an index past the last field fails.
fn field<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let (index, delims, mut count) = indexed(args)?;
    let s = text(&v);
    let w = Walk { s, back: index < 0 };
    let want = index.unsigned_abs();
    let (mut n, mut start) = (1u64, 0usize);
    let mut end = s.len();
    for i in 0..s.len() {
        if !delims.contains(&w.at(i)) {
            continue;
        }
        if n == want {
            if count == 1 {
                end = i;
                break;
            }
            if count > 1 {
                count -= 1;
            }
        } else {
            start = i + 1;
            n += 1;
        }
    }
    if n != want {
        return None;
    }
    let r = w.range(start, end);
    sub_str(v, r)
}

/// `word(<index>,<delimiters>[,<count>])`: words are runs of
/// non-delimiters, delimiters at either end are skipped; an index past the
/// last word gives an empty string.
fn word<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let (index, delims, mut count) = indexed(args)?;
    let s = text(&v);
    let w = Walk { s, back: index < 0 };
    let want = index.unsigned_abs();
    let (mut n, mut start, mut in_word) = (0u64, 0usize, false);
    let mut end = s.len();
    for i in 0..s.len() {
        let sep = delims.contains(&w.at(i));
        if !in_word {
            if !sep {
                if n != want {
                    n += 1;
                    start = i;
                }
                in_word = true;
            }
        } else if sep {
            if n == want {
                if count == 1 {
                    end = i;
                    break;
                }
                if count > 1 {
                    count -= 1;
                }
            }
            in_word = false;
        }
    }
    if n != want {
        return Some(Value::str(b""));
    }
    let r = w.range(start, end);
    sub_str(v, r)
}

/// `bytes(<offset>[,<length>])`: an offset at or past the end (or
/// negative) gives an empty sample; a negative length means "to the end".
fn bytes<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let off = args.first()?.int()?;
    let b = into_cow(v)?;
    let len = b.len();
    let Some(off) = usize::try_from(off).ok().filter(|&o| o < len) else {
        return Some(Value::bin(Vec::new()));
    };
    let end = match args.get(1).and_then(Arg::int) {
        Some(n) if n >= 0 => off
            .saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
            .min(len),
        _ => len,
    };
    Some(Value::Bin(slice(b, off..end)))
}

fn ltrim<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let chars = args.first()?.str()?;
    let s = text(&v);
    let start = s.iter().position(|c| !chars.contains(c)).unwrap_or(s.len());
    let r = start..s.len();
    sub_str(v, r)
}

fn rtrim<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let chars = args.first()?.str()?;
    let s = text(&v);
    let end = s
        .iter()
        .rposition(|c| !chars.contains(c))
        .map_or(0, |p| p + 1);
    sub_str(v, 0..end)
}

fn cut_crlf<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let s = text(&v);
    let end = s
        .iter()
        .position(|&c| c == b'\r' || c == b'\n')
        .unwrap_or(s.len());
    sub_str(v, 0..end)
}

/// `regsub`'s flags: `g` (every match) and `i` (ignore case), nothing else.
fn check_regsub(args: &[Arg]) -> Result<(), String> {
    if let Some(flags) = args.get(2).and_then(Arg::str) {
        if let Some(&c) = flags.iter().find(|&&c| c != b'g' && c != b'i') {
            return Err(format!(
                "invalid regex flag '{}', only 'i' and 'g' are supported",
                char::from(c)
            ));
        }
    }
    Ok(())
}

/// The case-insensitive twin of a regex argument (flag `i`), compiled once
/// per pattern for the whole process: arguments are typed before the flags
/// are read, so the argument itself holds the case-sensitive one.
fn icase(re: &Regex) -> Option<Regex> {
    static TWINS: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let mut twins = TWINS.get_or_init(Mutex::default).lock().ok()?;
    if let Some(r) = twins.get(re.as_str()) {
        return Some(r.clone());
    }
    let r = Regex::new(re.as_str(), true).ok()?;
    twins.insert(re.as_str().to_string(), r.clone());
    Some(r)
}

/// `regsub(<regex>,<subst>[,<flags>])`, as `sed`'s `s///`. After a match,
/// the search goes on where it ended; an empty match at the search start
/// copies one character first. A search after the first one never sees
/// the start of the input (`^` matches only once).
fn regsub<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let Some(Arg::Regex(re)) = args.first() else {
        return None;
    };
    let subst = args.get(1)?.str()?;
    let flags = args.get(2).and_then(Arg::str).unwrap_or_default();
    let global = flags.contains(&b'g');
    let twin;
    let re = if flags.contains(&b'i') && !re.icase() {
        twin = icase(re)?;
        &twin
    } else {
        re
    };
    let m = re.matcher();
    let s = text(&v);
    let mut out = Vec::with_capacity(s.len());
    let mut locs = m.capture_locations();
    let mut start = 0;
    let mut first = true;
    loop {
        let found = (global || first) && m.captures_read_at(&mut locs, s, start).is_some();
        let Some((so, eo)) = locs.get(0).filter(|_| found) else {
            out.extend_from_slice(s.get(start..).unwrap_or_default());
            break;
        };
        out.extend_from_slice(s.get(start..so).unwrap_or_default());
        expand(subst, s, &locs, &mut out);
        if start >= s.len() {
            break;
        }
        let mut next = eo;
        if eo == start {
            out.push(s.get(start).copied().unwrap_or(0));
            next += 1;
        }
        start = next;
        first = false;
    }
    Some(Value::owned_str(out))
}

/// A substitution: `\0`..`\9` are groups (an unset group is empty),
/// `\xHH` a byte, `\` before anything else that character.
fn expand(subst: &[u8], s: &[u8], locs: &regex::bytes::CaptureLocations, out: &mut Vec<u8>) {
    let mut it = subst.iter().copied();
    while let Some(c) = it.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            None => break,
            Some(d @ b'0'..=b'9') => {
                if let Some((a, b)) = locs.get(usize::from(d - b'0')) {
                    out.extend_from_slice(s.get(a..b).unwrap_or_default());
                }
            }
            Some(b'x') => {
                let (Some(h), Some(l)) = (it.next(), it.next()) else {
                    break;
                };
                out.push((loose_hex(h) << 4).wrapping_add(loose_hex(l)));
            }
            Some(other) => out.push(other),
        }
    }
}

/// A hex digit's value the way HAProxy's substitution reads it (no check:
/// any character gives some value).
fn loose_hex(c: u8) -> u8 {
    let v = c.to_ascii_uppercase().wrapping_sub(b'0');
    if v > 9 {
        v.wrapping_sub(b'A' - b'9' - 1)
    } else {
        v
    }
}

/// Where the port of a `Host` value starts: after the last `:` that is
/// not inside an IPv6 literal's brackets.
fn port_colon(h: &[u8]) -> Option<usize> {
    for (i, &b) in h.iter().enumerate().rev() {
        match b {
            b']' => return None,
            b':' => return Some(i),
            _ => {}
        }
    }
    None
}

/// `host_only`: a `Host` value without its port.
fn host_only<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let end = port_colon(text(&v)).unwrap_or(text(&v).len());
    match v {
        Value::Str(Cow::Borrowed(b)) => Some(Value::Str(Cow::Borrowed(&b[..end]))),
        other => Some(Value::owned_str(text(&other)[..end].to_vec())),
    }
}

/// `port_only`: the port of a `Host` value (0 without one), read digit
/// by digit as HAProxy reads it (an unsigned 32-bit value; characters
/// that are not digits are not refused).
fn port_only<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let h = text(&v);
    let port = match port_colon(h) {
        None => 0u32,
        Some(i) => h[i + 1..].iter().fold(0u32, |p, &b| {
            p.wrapping_mul(10)
                .wrapping_add(u32::from(b).wrapping_sub(u32::from(b'0')))
        }),
    };
    Some(Value::Int(i64::from(port)))
}
