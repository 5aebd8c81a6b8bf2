//! Rendering a [`LogFormat`]: each item's value, printed as its flags and
//! the format's [`Mode`] say.
//!
//! The values of the `%<var>` variables come from a [`LogVars`] source as
//! [`LogValue`]s; this module knows how each kind prints (quoting, `-` for
//! a missing value, hexadecimal, the `#XX` escaping of captures and
//! request lines, the backslash escaping of `+E`), so that every format of
//! the proxy prints the same way. `%[expr]` items are evaluated against
//! the [`RequestView`] the caller gives, if any.
//!
//! Nothing here allocates unless a value needs escaping.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::fetch::Named;
use super::format::{Flags, LogFormat, Mode, Part, Var};
use super::RequestView;

/// A short preformatted value printed as is (dates, termination codes).
#[derive(Clone, Copy, Debug)]
pub struct Inline {
    buf: [u8; 32],
    len: u8,
}

impl Inline {
    /// `bytes`, cut to 32 bytes.
    pub fn new(bytes: &[u8]) -> Inline {
        let mut i = Inline {
            buf: [0; 32],
            len: 0,
        };
        i.push(bytes);
        i
    }

    pub fn push(&mut self, bytes: &[u8]) {
        let at = usize::from(self.len);
        let n = bytes.len().min(self.buf.len() - at);
        self.buf[at..at + n].copy_from_slice(&bytes[..n]);
        self.len += n as u8;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl std::fmt::Write for Inline {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// The captured headers of `%hr`/`%hs`, in declaration order (an empty
/// value for a header that was absent).
#[derive(Clone, Copy, Debug)]
pub enum Captures<'a> {
    Slices(&'a [&'a [u8]]),
    Vecs(&'a [Vec<u8>]),
}

impl<'a> Captures<'a> {
    pub const NONE: Captures<'static> = Captures::Slices(&[]);

    pub fn len(&self) -> usize {
        match self {
            Captures::Slices(s) => s.len(),
            Captures::Vecs(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, i: usize) -> &'a [u8] {
        match *self {
            Captures::Slices(s) => s.get(i).copied().unwrap_or(b""),
            Captures::Vecs(v) => v.get(i).map_or(b"", Vec::as_slice),
        }
    }
}

/// `%Ts` (seconds since the epoch, in hex with `+X`) or `%ms` (the
/// milliseconds of that second) of the date `at`.
pub(crate) fn epoch_value(var: Var, at: SystemTime) -> LogValue<'static> {
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    if var == Var::Ts {
        LogValue::Hex(d.as_secs(), 4)
    } else {
        LogValue::Millis(d.subsec_millis())
    }
}

/// A variable's value, as its source knows it.
#[derive(Clone, Copy, Debug)]
pub enum LogValue<'a> {
    /// Not known: `-` in a log line, `""` when quoted.
    Missing,
    /// A name or other text; quoted with `Q`, escaped with `E`.
    Text(&'a [u8]),
    /// A number.
    Int(i64),
    /// A number `+` prefixes when the flag is set (a partial `logasap`
    /// figure, a redispatched stream's retries).
    Plus(i64, bool),
    /// A counter `X` prints as at least `width` hex digits.
    Hex(u64, usize),
    /// Milliseconds of a date: 3 digits, or 2 hex digits with `X`.
    Millis(u32),
    Ip(IpAddr),
    Port(u16),
    /// Printed as is, whatever the flags.
    Raw(Inline),
    /// `%ft`: the frontend name and whether its listener is TLS (`~`).
    Frontend(&'a [u8], bool),
    /// `%hr`, `%hs`, `%hrl`, `%hsl`.
    Captures(Captures<'a>),
    /// The request line, for `%r` and the `%H*` variables; `None` for a
    /// request that could not be parsed (`<BADREQ>`).
    Request(Option<&'a [u8]>),
}

/// Where the variables' values come from.
pub trait LogVars {
    fn value(&self, var: Var) -> LogValue<'_>;
}

/// The byte classes of HAProxy's encodings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Map {
    /// Captured headers: non-printables and `"#{|}` as `#XX`.
    Header,
    /// Request lines: non-printables and `"#` as `#XX`.
    Url,
}

fn in_map(b: u8, map: Map) -> bool {
    if !(0x20..0x7f).contains(&b) {
        return true;
    }
    match map {
        Map::Header => matches!(b, b'"' | b'#' | b'{' | b'|' | b'}'),
        Map::Url => matches!(b, b'"' | b'#'),
    }
}

fn rfc5424_special(b: u8) -> bool {
    matches!(b, b'"' | b'\\' | b']')
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_hex(out: &mut Vec<u8>, prefix: u8, b: u8) {
    out.extend_from_slice(&[prefix, HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
}

/// Appends `s` with the `map` bytes as `#XX`; with `E`, `"`, `\` and `]`
/// not in the map get a backslash.
fn encode(out: &mut Vec<u8>, s: &[u8], map: Map, flags: Flags) {
    for &b in s {
        if in_map(b, map) {
            push_hex(out, b'#', b);
        } else if flags.has(Flags::E) && rfc5424_special(b) {
            out.extend_from_slice(&[b'\\', b]);
        } else {
            out.push(b);
        }
    }
}

/// Text as HAProxy copies a string: up to a NUL byte, with `E` escaping.
fn text(out: &mut Vec<u8>, s: &[u8], flags: Flags) {
    let s = s.split(|&b| b == 0).next().unwrap_or(b"");
    if flags.has(Flags::E) {
        for &b in s {
            if rfc5424_special(b) {
                out.push(b'\\');
            }
            out.push(b);
        }
    } else {
        out.extend_from_slice(s);
    }
}

/// A string value: quoted with `Q`; empty or missing prints `-` with `M`
/// alone, `""` with `Q`, nothing otherwise.
fn quoted_text(out: &mut Vec<u8>, s: Option<&[u8]>, flags: Flags) {
    let q = flags.has(Flags::Q);
    if q {
        out.push(b'"');
    }
    match s {
        Some(s) if !s.is_empty() => text(out, s, flags),
        _ if !q && flags.has(Flags::M) => out.push(b'-'),
        _ => {}
    }
    if q {
        out.push(b'"');
    }
}

fn int(out: &mut Vec<u8>, n: i64) {
    let _ = write!(out, "{n}");
}

impl LogFormat {
    /// Renders the format with variables from `vars` and expressions
    /// evaluated on `view` (none: expressions are missing values).
    pub fn render_into<V: LogVars + ?Sized>(
        &self,
        vars: &V,
        view: Option<&dyn RequestView>,
        out: &mut Vec<u8>,
    ) {
        let mode = self.mode();
        // A space is only printed after something, so that an item
        // printing nothing takes one of its spaces with it.
        let mut last_space = true;
        for p in &self.parts {
            match p {
                Part::Sep => {
                    if !last_space {
                        out.push(b' ');
                        last_space = true;
                    }
                }
                Part::Lit(l) => {
                    out.extend_from_slice(l);
                    last_space = false;
                }
                Part::Expr(e, flags) => {
                    expr(out, e, *flags, mode, view);
                    last_space = false;
                }
                Part::Var(v, flags) => {
                    if var(out, *v, *flags, vars.value(*v)) {
                        last_space = false;
                    }
                }
            }
        }
    }
}

/// `%[expr]`: the first value as text.
fn expr(
    out: &mut Vec<u8>,
    e: &super::expr::Expr,
    flags: Flags,
    mode: Mode,
    view: Option<&dyn RequestView>,
) {
    let start = out.len();
    if let Some(view) = view {
        let _ = e.each(view, false, &mut |s| {
            s.write_text(out);
            ControlFlow::Break(())
        });
    }
    if mode.http() {
        // Header-safe: the control characters but tab as `%XX`; no quotes.
        let bad = |b: u8| (b < 0x20 && b != b'\t') || b == 0x7f;
        let esc = flags.has(Flags::E);
        if out[start..]
            .iter()
            .any(|&b| bad(b) || (esc && rfc5424_special(b)))
        {
            let v = out.split_off(start);
            for b in v {
                if bad(b) {
                    push_hex(out, b'%', b);
                } else {
                    if esc && rfc5424_special(b) {
                        out.push(b'\\');
                    }
                    out.push(b);
                }
            }
        }
        return;
    }
    let plain = !flags.has(Flags::Q) && !flags.has(Flags::E);
    let nul = out[start..].contains(&0);
    if plain && !nul {
        if out.len() == start && flags.has(Flags::M) {
            out.push(b'-');
        }
        return;
    }
    let v = out.split_off(start);
    quoted_text(out, Some(&v), flags);
}

/// One variable; gives whether it printed anything.
fn var(out: &mut Vec<u8>, v: Var, flags: Flags, val: LogValue<'_>) -> bool {
    let hexa = flags.has(Flags::X);
    match val {
        LogValue::Missing => quoted_text(out, None, flags),
        LogValue::Text(s) => quoted_text(out, Some(s), flags),
        LogValue::Int(n) => int(out, n),
        LogValue::Plus(n, plus) => {
            if plus {
                out.push(b'+');
            }
            int(out, n);
        }
        LogValue::Hex(n, width) if hexa => {
            let _ = write!(out, "{n:0width$X}");
        }
        LogValue::Hex(n, _) => {
            let _ = write!(out, "{n}");
        }
        LogValue::Millis(ms) if hexa => {
            let _ = write!(out, "{ms:02X}");
        }
        LogValue::Millis(ms) => {
            let _ = write!(out, "{ms:03}");
        }
        LogValue::Ip(ip) if hexa => match ip {
            IpAddr::V4(a) => a.octets().iter().for_each(|b| {
                let _ = write!(out, "{b:02X}");
            }),
            IpAddr::V6(a) => a.octets().iter().for_each(|b| {
                let _ = write!(out, "{b:02X}");
            }),
        },
        LogValue::Ip(ip) => {
            let mut t = Inline::new(b"");
            let _ = std::fmt::Write::write_fmt(&mut t, format_args!("{ip}"));
            quoted_text(out, Some(t.as_bytes()), flags);
        }
        LogValue::Port(p) if hexa => {
            let _ = write!(out, "{p:04X}");
        }
        LogValue::Port(p) => int(out, i64::from(p)),
        LogValue::Raw(r) => out.extend_from_slice(r.as_bytes()),
        LogValue::Frontend(name, ssl) => {
            let q = flags.has(Flags::Q);
            if q {
                out.push(b'"');
            }
            out.extend_from_slice(name);
            if ssl {
                out.push(b'~');
            }
            if q {
                out.push(b'"');
            }
        }
        LogValue::Captures(c) => return captures(out, c, matches!(v, Var::hrl | Var::hsl), flags),
        LogValue::Request(line) => request(out, v, line, flags),
    }
    true
}

/// `{a|b}` (`%hr`, `%hs`) or `a b` (`%hrl`, `%hsl`, `-` for an empty one);
/// nothing at all without captures.
fn captures(out: &mut Vec<u8>, c: Captures<'_>, list: bool, flags: Flags) -> bool {
    if c.is_empty() {
        return false;
    }
    let q = flags.has(Flags::Q);
    if list {
        for i in 0..c.len() {
            if i > 0 {
                out.push(b' ');
            }
            if q {
                out.push(b'"');
            }
            let v = c.get(i);
            if !v.is_empty() {
                encode(out, v, Map::Header, flags);
            } else if !q {
                out.push(b'-');
            }
            if q {
                out.push(b'"');
            }
        }
        return true;
    }
    if q {
        out.push(b'"');
    }
    out.push(b'{');
    for i in 0..c.len() {
        if i > 0 {
            out.push(b'|');
        }
        encode(out, c.get(i), Map::Header, flags);
    }
    out.push(b'}');
    if q {
        out.push(b'"');
    }
    true
}

const BADREQ: &[u8] = b"<BADREQ>";

fn is_sp(b: &u8) -> bool {
    *b == b' ' || *b == b'\t'
}

/// `%r` and the parts of the request line `%HM %HU %HP %HPO %HQ %HV` take.
fn request(out: &mut Vec<u8>, v: Var, line: Option<&[u8]>, flags: Flags) {
    let q = flags.has(Flags::Q);
    if q {
        out.push(b'"');
    }
    let part = match line {
        None => BADREQ,
        Some(l) => request_part(v, l),
    };
    encode(out, part, Map::Url, flags);
    if q {
        out.push(b'"');
    }
}

fn request_part(v: Var, l: &[u8]) -> &[u8] {
    let meth_end = l.iter().position(is_sp).unwrap_or(l.len());
    let uri_start = meth_end + l[meth_end..].iter().take_while(|b| is_sp(b)).count();
    let spaced = uri_start > meth_end;
    let uri_len = l[uri_start..]
        .iter()
        .position(is_sp)
        .unwrap_or(l.len() - uri_start);
    let uri = &l[uri_start..uri_start + uri_len];
    match v {
        Var::HM if meth_end == l.len() => BADREQ,
        Var::HM => &l[..meth_end],
        _ if !spaced && v != Var::HQ && v != Var::r => BADREQ,
        Var::HU => uri,
        Var::HP => {
            let n = uri.iter().position(|&b| b == b'?').unwrap_or(uri.len());
            &uri[..n]
        }
        Var::HPO => path_only(uri),
        Var::HQ => {
            let from = l.iter().position(|&b| b == b'?').unwrap_or(l.len());
            let len = l[from..].iter().position(is_sp).unwrap_or(l.len() - from);
            &l[from..from + len]
        }
        Var::HV => {
            let rest = &l[uri_start + uri_len..];
            let skip = rest.iter().take_while(|b| is_sp(b)).count();
            let ver = &rest[skip..];
            if ver.is_empty() {
                b"HTTP/0.9"
            } else {
                ver
            }
        }
        _ => l,
    }
}

/// The path of a request target: an absolute-form target loses its
/// scheme and authority, every target its query string.
fn path_only(uri: &[u8]) -> &[u8] {
    let mut p = uri;
    if !p.starts_with(b"/") && p != b"*" {
        if let Some(i) = p.windows(3).position(|w| w == b"://") {
            let after = &p[i + 3..];
            let slash = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
            p = &after[slash..];
        }
    }
    let n = p.iter().position(|&b| b == b'?').unwrap_or(p.len());
    &p[..n]
}

/// The host's name (`%H`), read once.
pub fn host_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default()
    })
}

/// The variables of an HTTP rule's value (a header, a redirect, a body),
/// read from the request and its stream: addresses, names, the unique id,
/// captures, the request line, the host name and pid, and the current
/// time for `%Ts`/`%ms`. Timers, counters, statuses and the dates that
/// need a calendar are not known while the request is processed and
/// print as missing.
pub struct ViewVars<'a> {
    view: &'a dyn RequestView,
    line: OnceLock<Vec<u8>>,
}

impl<'a> ViewVars<'a> {
    pub fn new(view: &'a dyn RequestView) -> ViewVars<'a> {
        ViewVars {
            view,
            line: OnceLock::new(),
        }
    }

    fn named(&self, n: Named) -> LogValue<'_> {
        match self.view.stream().and_then(|s| s.named(n)) {
            Some((name, _)) => LogValue::Text(name.as_bytes()),
            None => LogValue::Missing,
        }
    }
}

fn addr_ip(a: Option<SocketAddr>) -> LogValue<'static> {
    a.map_or(LogValue::Missing, |a| LogValue::Ip(a.ip()))
}

fn addr_port(a: Option<SocketAddr>) -> LogValue<'static> {
    a.map_or(LogValue::Missing, |a| LogValue::Port(a.port()))
}

impl LogVars for ViewVars<'_> {
    fn value(&self, var: Var) -> LogValue<'_> {
        let v = self.view;
        match var {
            Var::ci => addr_ip(v.src()),
            Var::cp => addr_port(v.src()),
            Var::fi => addr_ip(v.dst()),
            Var::fp => addr_port(v.dst()),
            Var::f => self.named(Named::Frontend),
            Var::ft => match self.named(Named::Frontend) {
                LogValue::Text(n) => LogValue::Frontend(n, v.tls(false).is_some()),
                other => other,
            },
            Var::b => self.named(Named::Backend),
            Var::s => self.named(Named::Server),
            Var::ID => match v.stream().and_then(|s| s.unique_id()) {
                Some(id) => LogValue::Text(id),
                None => LogValue::Missing,
            },
            Var::H => LogValue::Text(host_name().as_bytes()),
            Var::pid => LogValue::Hex(u64::from(std::process::id()), 4),
            Var::Ts | Var::ms => epoch_value(var, SystemTime::now()),
            Var::r | Var::HM | Var::HP | Var::HPO | Var::HQ | Var::HU | Var::HV => {
                let line = self.line.get_or_init(|| {
                    let (maj, min) = v.version();
                    let mut l = Vec::with_capacity(v.method().len() + v.uri().len() + 10);
                    l.extend_from_slice(v.method());
                    l.push(b' ');
                    l.extend_from_slice(v.uri());
                    let _ = write!(l, " HTTP/{maj}.{min}");
                    l
                });
                LogValue::Request(Some(line))
            }
            Var::hr | Var::hrl | Var::hs | Var::hsl => LogValue::Captures(Captures::NONE),
            Var::sslv => match v.tls(false).and_then(|i| i.protocol()) {
                Some(p) => LogValue::Text(p.as_bytes()),
                None => LogValue::Missing,
            },
            Var::sslc => match v.tls(false).and_then(|i| i.cipher()) {
                Some(s) => LogValue::Text(s.name.as_bytes()),
                None => LogValue::Missing,
            },
            _ => LogValue::Missing,
        }
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
