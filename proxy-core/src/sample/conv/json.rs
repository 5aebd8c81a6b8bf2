//! `json([<input-code>])`: escapes the input for a JSON string.
//!
//! The input is read as bytes (`ascii`, the default) or as UTF-8 with one
//! of four policies about malformed sequences: `utf8` fails on any,
//! `utf8s` drops them, `utf8p` accepts overlong encodings (decoding them)
//! but fails on the rest, `utf8ps` accepts overlong ones and drops the
//! rest. Characters above U+FFFF do not fit JSON's `\uXXXX`: the strict
//! policies fail on them, the silent ones drop them.

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};

pub const CONVS: &[ConvDef] = &[ConvDef {
    check: Some(check_json),
    ..def("json", &[ArgKind::Str], 0, SmpType::Str, SmpType::Str, json)
}];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ascii,
    Utf8,
    Utf8S,
    Utf8P,
    Utf8Ps,
}

fn mode(arg: Option<&Arg>) -> Option<Mode> {
    Some(match arg.and_then(Arg::str).unwrap_or_default() {
        b"" | b"ascii" => Mode::Ascii,
        b"utf8" => Mode::Utf8,
        b"utf8s" => Mode::Utf8S,
        b"utf8p" => Mode::Utf8P,
        b"utf8ps" => Mode::Utf8Ps,
        _ => return None,
    })
}

fn check_json(args: &[Arg]) -> Result<(), String> {
    match mode(args.first()) {
        Some(_) => Ok(()),
        None => Err("Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'".into()),
    }
}

/// What is wrong with one UTF-8 sequence.
#[derive(Clone, Copy, Default)]
struct Flaws {
    bad_seq: bool,
    overlong: bool,
    bad_range: bool,
}

/// Decodes the sequence at the start of `s` (not empty): the code point,
/// the bytes it takes and its flaws. Lead bytes announce up to 6 bytes
/// (the old UTF-8); a short or broken sequence is a bad one of the bytes
/// read so far (at least 1).
fn utf8_next(s: &[u8]) -> (u32, usize, Flaws) {
    let lead = s.first().copied().unwrap_or(0);
    let bad = |c: u32, n: usize| {
        let f = Flaws {
            bad_seq: true,
            ..Flaws::default()
        };
        (c, n, f)
    };
    let (mut c, more) = match lead {
        0x00..=0x7f => return (u32::from(lead), 1, Flaws::default()),
        0xc0..=0xdf => (u32::from(lead & 0x1f), 1),
        0xe0..=0xef => (u32::from(lead & 0x0f), 2),
        0xf0..=0xf7 => (u32::from(lead & 0x07), 3),
        0xf8..=0xfb => (u32::from(lead & 0x03), 4),
        0xfc..=0xfd => (u32::from(lead & 0x01), 5),
        _ => return bad(u32::from(lead), 1),
    };
    if s.len() <= more {
        return bad(u32::from(lead), 1);
    }
    for i in 1..=more {
        let b = s.get(i).copied().unwrap_or(0);
        if b & 0xc0 != 0x80 {
            return bad(c, i);
        }
        c = (c << 6) | u32::from(b & 0x3f);
    }
    let n = more + 1;
    let overlong = (c <= 0x7f && n > 1)
        || ((0x80..=0x7ff).contains(&c) && n > 2)
        || ((0x800..=0xffff).contains(&c) && n > 3)
        || ((0x1_0000..=0x1f_ffff).contains(&c) && n > 4);
    let bad_range = (0xd800..=0xdfff).contains(&c) || (0xfffe..=0xffff).contains(&c);
    let f = Flaws {
        bad_seq: false,
        overlong,
        bad_range,
    };
    (c, n, f)
}

fn json<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let mode = mode(args.first())?;
    let s = v.bytes()?;
    let mut out = Vec::with_capacity(s.len() + s.len() / 4);
    let mut i = 0;
    while let Some(rest) = s.get(i..).filter(|r| !r.is_empty()) {
        let c = if mode == Mode::Ascii {
            i += 1;
            u32::from(rest[0])
        } else {
            let (c, n, f) = utf8_next(rest);
            i += n;
            let fatal = f.bad_seq || f.bad_range;
            let skip = match mode {
                Mode::Utf8 if fatal || f.overlong => return None,
                Mode::Utf8S => fatal || f.overlong,
                Mode::Utf8P if fatal => return None,
                Mode::Utf8Ps => fatal,
                _ => false,
            };
            if skip {
                continue;
            }
            if c > 0xffff {
                if matches!(mode, Mode::Utf8 | Mode::Utf8P) {
                    return None;
                }
                continue;
            }
            c
        };
        escape(c, &mut out);
    }
    Some(Value::owned_str(out))
}

fn escape(c: u32, out: &mut Vec<u8>) {
    let short = match c {
        0x22 => Some(b'"'),
        0x5c => Some(b'\\'),
        0x2f => Some(b'/'),
        0x08 => Some(b'b'),
        0x0c => Some(b'f'),
        0x0d => Some(b'r'),
        0x0a => Some(b'n'),
        0x09 => Some(b't'),
        _ => None,
    };
    if let Some(e) = short {
        out.extend_from_slice(&[b'\\', e]);
    } else if (0x20..0x7f).contains(&c) {
        out.push(c as u8);
    } else {
        out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
    }
}
