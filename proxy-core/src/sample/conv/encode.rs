//! Encodings: base64 and base64url (`base64`, `b64dec`, `ub64enc`,
//! `ub64dec`), hex (`hex`, `hex2i`, `be2hex`), decimal chunks (`be2dec`),
//! network order (`htonl`) and URL encoding (`url_enc`, `url_dec`).

use std::fmt::Write;

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};

const CHUNKED: &[ArgKind] = &[ArgKind::Str, ArgKind::Int, ArgKind::Int];

pub const CONVS: &[ConvDef] = &[
    def("base64", &[], 0, SmpType::Bin, SmpType::Str, base64),
    def("ub64enc", &[], 0, SmpType::Bin, SmpType::Str, ub64enc),
    def("b64dec", &[], 0, SmpType::Str, SmpType::Bin, b64dec),
    def("ub64dec", &[], 0, SmpType::Str, SmpType::Bin, ub64dec),
    def("hex", &[], 0, SmpType::Bin, SmpType::Str, hex),
    def("hex2i", &[], 0, SmpType::Str, SmpType::Int, hex2i),
    def("htonl", &[], 0, SmpType::Int, SmpType::Bin, htonl),
    ConvDef {
        check: Some(check_be2dec),
        ..def("be2dec", CHUNKED, 1, SmpType::Bin, SmpType::Str, be2dec)
    },
    ConvDef {
        check: Some(check_be2hex),
        ..def("be2hex", CHUNKED, 0, SmpType::Bin, SmpType::Str, be2hex)
    },
    def(
        "url_dec",
        &[ArgKind::Int],
        0,
        SmpType::Str,
        SmpType::Str,
        url_dec,
    ),
    ConvDef {
        check: Some(check_url_enc),
        ..def(
            "url_enc",
            &[ArgKind::Str],
            0,
            SmpType::Str,
            SmpType::Str,
            url_enc,
        )
    },
];

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const UB64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of `s` with `alphabet`; `pad` adds the `=` that base64url
/// leaves out.
fn b64_encode(s: &[u8], alphabet: &[u8; 64], pad: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len().div_ceil(3) * 4);
    for chunk in s.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * k)) & 0x3f) as usize]);
        }
        if pad {
            out.resize(out.len() + 3 - chunk.len(), b'=');
        }
    }
    out
}

/// One base64 digit: `Some(64)` for the padding `=`.
fn b64_digit(c: u8, url: bool) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' if !url => 62,
        b'/' if !url => 63,
        b'-' if url => 62,
        b'_' if url => 63,
        // base64url has no padding: HAProxy's table reads `=` as `_`.
        b'=' if url => 63,
        b'=' => 64,
        _ => return None,
    })
}

/// Decodes groups of four digits. In each group, `=` may only follow at
/// least one digit and be followed by nothing but `=`; each `=` takes a
/// byte off that group's three.
pub(crate) fn b64_decode(s: &[u8], url: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for group in s.chunks(4) {
        let mut d = [0u8; 4];
        let mut pads = 0;
        for (i, &c) in group.iter().enumerate() {
            let v = b64_digit(c, url)?;
            if pads > 0 && (v != 64 || i < 2) {
                return None;
            }
            if v == 64 {
                pads += 1;
            }
            d[i] = v & 0x3f;
        }
        let bytes = [
            (d[0] << 2) | (d[1] >> 4),
            (d[1] << 4) | (d[2] >> 2),
            (d[2] << 6) | d[3],
        ];
        let keep = (group.len() - 1).saturating_sub(pads);
        out.extend_from_slice(&bytes[..keep.min(3)]);
    }
    Some(out)
}

fn base64<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::owned_str(b64_encode(v.bytes()?, B64, true)))
}

fn ub64enc<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::owned_str(b64_encode(v.bytes()?, UB64, false)))
}

/// `b64dec`: the length must be a multiple of 4.
fn b64dec<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let s = v.bytes()?;
    if s.len() % 4 != 0 {
        return None;
    }
    Some(Value::bin(b64_decode(s, false)?))
}

/// `ub64dec`: the last group may lack one or two digits (never three).
fn ub64dec<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let s = v.bytes()?;
    if s.len() % 4 == 1 {
        return None;
    }
    Some(Value::bin(b64_decode(s, true)?))
}

fn hex_into(s: &[u8], out: &mut String) {
    for b in s {
        let _ = write!(out, "{b:02X}");
    }
}

fn hex<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let mut out = String::with_capacity(v.bytes()?.len() * 2);
    hex_into(v.bytes()?, &mut out);
    Some(Value::owned_str(out))
}

/// `hex2i`: an empty input is 0, a non-hex digit fails, more than 16
/// digits keep the low 64 bits.
fn hex2i<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let mut n: u64 = 0;
    for &c in v.bytes()? {
        let d = char::from(c).to_digit(16)?;
        n = (n << 4) | u64::from(d);
    }
    Some(Value::Int(n as i64))
}

/// `htonl`: the low 32 bits, big-endian.
fn htonl<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let Value::Int(n) = v else { return None };
    Some(Value::bin((n as u32).to_be_bytes().to_vec()))
}

/// Separator, chunk size and truncation of `be2dec` / `be2hex` (left-out
/// numbers are 0).
fn chunked(args: &[Arg]) -> (&[u8], i64, i64) {
    let sep = args.first().and_then(Arg::str).unwrap_or_default();
    let size = args.get(1).and_then(Arg::int).unwrap_or(0);
    let trunc = args.get(2).and_then(Arg::int).unwrap_or(0);
    (sep, size, trunc)
}

fn check_truncate(trunc: i64) -> Result<(), String> {
    if trunc != 0 && trunc != 1 {
        return Err(format!("Unsupported truncate value ({trunc})"));
    }
    Ok(())
}

fn check_be2dec(args: &[Arg]) -> Result<(), String> {
    let (_, size, trunc) = chunked(args);
    if !(1..=8).contains(&size) {
        return Err(format!("chunk_size out of [1..8] range ({size})"));
    }
    check_truncate(trunc)
}

fn check_be2hex(args: &[Arg]) -> Result<(), String> {
    let (sep, size, trunc) = chunked(args);
    if size <= 0 && (!sep.is_empty() || trunc != 0) {
        return Err(format!("chunk_size needs to be positive ({size})"));
    }
    check_truncate(trunc)
}

/// Cuts `s` in chunks of `size` bytes, each written by `put`, separated by
/// `sep`; with truncation, a short last chunk is left out.
fn chunks_with(
    s: &[u8],
    sep: &[u8],
    size: usize,
    trunc: bool,
    put: impl Fn(&[u8], &mut Vec<u8>),
) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, chunk) in s.chunks(size.max(1)).enumerate() {
        if trunc && chunk.len() < size {
            break;
        }
        if i > 0 {
            out.extend_from_slice(sep);
        }
        put(chunk, &mut out);
    }
    out
}

/// `be2dec(<separator>,<chunk_size>[,<truncate>])`: each chunk as an
/// unsigned big-endian number in decimal.
fn be2dec<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let (sep, size, trunc) = chunked(args);
    let size = usize::try_from(size).ok().filter(|s| (1..=8).contains(s))?;
    let out = chunks_with(v.bytes()?, sep, size, trunc != 0, |c, out| {
        let n = c.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
        out.extend_from_slice(n.to_string().as_bytes());
    });
    Some(Value::owned_str(out))
}

/// `be2hex([<separator>[,<chunk_size>[,<truncate>]]])`: uppercase hex;
/// with neither a separator nor truncation the input is one chunk.
fn be2hex<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let (sep, size, trunc) = chunked(args);
    let s = v.bytes()?;
    let size = if sep.is_empty() && trunc == 0 {
        s.len()
    } else {
        usize::try_from(size).ok().filter(|&n| n > 0)?
    };
    let out = chunks_with(s, sep, size, trunc != 0, |c, out| {
        let mut h = String::with_capacity(c.len() * 2);
        hex_into(c, &mut h);
        out.extend_from_slice(h.as_bytes());
    });
    Some(Value::owned_str(out))
}

/// `url_dec([<in_form>])`: `%XX` escapes (a broken one fails); `+` is a
/// space in a form (a non-zero argument) or anywhere after a `?`. The
/// input ends at a NUL byte.
fn url_dec<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let mut form = args.first().and_then(Arg::int).is_some_and(|n| n != 0);
    let s = v.bytes()?;
    let s = s.split(|&c| c == 0).next().unwrap_or_default();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        match c {
            b'+' if form => out.push(b' '),
            b'%' => {
                let h = char::from(*s.get(i + 1)?).to_digit(16)?;
                let l = char::from(*s.get(i + 2)?).to_digit(16)?;
                out.push((h << 4 | l) as u8);
                i += 2;
            }
            b'?' => {
                form = true;
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Some(Value::owned_str(out))
}

fn check_url_enc(args: &[Arg]) -> Result<(), String> {
    match args.first().and_then(Arg::str).unwrap_or_default() {
        b"" | b"query" => Ok(()),
        _ => Err("Unexpected encode type. Allowed value is 'query'".into()),
    }
}

/// `url_enc([query])`: everything but RFC 3986's unreserved characters
/// becomes `%XX` (uppercase).
fn url_enc<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let s = v.bytes()?;
    let mut out = String::with_capacity(s.len());
    for &c in s {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(c));
        } else {
            let _ = write!(out, "%{c:02X}");
        }
    }
    Some(Value::owned_str(out))
}
