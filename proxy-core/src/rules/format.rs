//! Log-format strings, as HAProxy 2.6 reads them: the one parser for
//! `log-format`, `error-log-format`, `log-format-sd`, `unique-id-format`,
//! the built-in tcplog/httplog formats, and the header values, redirect
//! targets and `lf-string` bodies of HTTP rules.
//!
//! A format is literal text (`%%` for a `%`), `%<var>` variables (the
//! table of section 8.2.6 of the 2.6 manual, [`Var`]), and `%[expr]`
//! sample expressions with converters ([`super::expr::Expr`]); either can
//! carry flags, `%{+Q}r`, `%{+Q,-E}[src]`: `Q` quotes, `X` prints hex
//! (addresses, ports, `%Ts`, `%rt`, `%pid`...), `E` escapes `"`, `\` and
//! `]` with a backslash, `M` prints `-` for a missing value. `%o` sets
//! flags for every later item of the format.
//!
//! How a format prints depends on its use ([`Mode`]): a log line prints
//! `-` for a missing value and merges runs of spaces (an item printing
//! nothing, such as `%hr` without captures, takes its space with it);
//! an HTTP value prints nothing for a missing value and `%`-encodes the
//! control characters a header cannot carry.
//!
//! Rendering is in `format_render.rs` ([`super::format_render`]): the
//! values come from a [`super::format_render::LogVars`] source, the log
//! record of a finished stream ([`crate::log`]) or, for the values of
//! HTTP rules, the request being processed.

use super::expr::{Expr, NoFiles};
use super::format_render::ViewVars;
use super::RequestView;
use crate::sample::args::ArgResolver;
use std::sync::OnceLock;

/// `option httplog`, as HAProxy 2.6 declares it.
pub const HTTPLOG_FORMAT: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS \
     %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `option httplog clf`.
pub const CLF_FORMAT: &str = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s \
     %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";
/// `option httpslog`: the httplog line, then the client connection's
/// error codes and resumption, its SNI, TLS version and cipher.
pub const HTTPSLOG_FORMAT: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS \
     %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r \
     %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] \
     %[ssl_fc_sni]/%sslv/%sslc";
/// `option tcplog`.
pub const TCPLOG_FORMAT: &str =
    "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

/// The built-in formats, parsed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Tcp,
    Http,
    Clf,
    Https,
}

impl Builtin {
    pub fn text(self) -> &'static str {
        match self {
            Builtin::Tcp => TCPLOG_FORMAT,
            Builtin::Http => HTTPLOG_FORMAT,
            Builtin::Clf => CLF_FORMAT,
            Builtin::Https => HTTPSLOG_FORMAT,
        }
    }

    /// The parsed format (the strings are constants the tests parse, so
    /// the empty fallback never shows).
    pub fn format(self) -> &'static LogFormat {
        static F: OnceLock<[LogFormat; 4]> = OnceLock::new();
        let all = F.get_or_init(|| {
            [Builtin::Tcp, Builtin::Http, Builtin::Clf, Builtin::Https].map(|b| {
                let ctx = ParseCtx {
                    mode: Mode::Log,
                    http_proxy: Some(b != Builtin::Tcp),
                };
                LogFormat::parse_in(b.text(), ctx, &mut NoFiles)
                    .unwrap_or_else(|_| LogFormat::empty(Mode::Log))
            })
        });
        &all[self as usize]
    }
}

/// What a format is for, which decides how it prints (HAProxy's
/// `LOG_OPT_MANDATORY|LOG_OPT_MERGE_SPACES`, `LOG_OPT_HTTP` or neither).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A log line: `-` for a missing value, spaces merged.
    Log,
    /// A unique id: spaces merged, expressions encoded as in a header.
    UniqueId,
    /// A header value, redirect target or reply body: expressions have
    /// the control characters a header cannot carry `%`-encoded.
    Http,
    /// Raw text (`set-var-fmt`, dynamic `use_backend` names).
    Plain,
}

impl Mode {
    fn base_flags(self) -> Flags {
        match self {
            Mode::Log => Flags::M,
            _ => Flags::NONE,
        }
    }

    pub(super) fn merges_spaces(self) -> bool {
        matches!(self, Mode::Log | Mode::UniqueId)
    }

    pub(super) fn http(self) -> bool {
        matches!(self, Mode::Http | Mode::UniqueId)
    }
}

/// The flags of one item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// `Q`: quote strings.
    pub const Q: Flags = Flags(1);
    /// `X`: hexadecimal addresses, ports and counters.
    pub const X: Flags = Flags(2);
    /// `E`: escape `"`, `\` and `]` with a backslash.
    pub const E: Flags = Flags(4);
    /// `M`: a missing value prints `-` (always set in log lines).
    pub const M: Flags = Flags(8);

    pub const fn has(self, f: Flags) -> bool {
        self.0 & f.0 != 0
    }

    /// Applies `%{...}` arguments: `+F` adds flag `F`, `-F` removes it;
    /// unknown names and words without a sign are ignored, as HAProxy does.
    fn apply(mut self, args: &str) -> Flags {
        for a in args.split(',') {
            let (add, name) = match a.as_bytes().first() {
                Some(b'+') => (true, &a[1..]),
                Some(b'-') => (false, &a[1..]),
                _ => continue,
            };
            let f = match name {
                "Q" => Flags::Q,
                "X" => Flags::X,
                "E" => Flags::E,
                "M" => Flags::M,
                _ => continue,
            };
            self.0 = if add { self.0 | f.0 } else { self.0 & !f.0 };
        }
        self
    }
}

macro_rules! vars {
    ($($v:ident = $name:literal $(, $http:ident)?;)*) => {
        /// The `%<name>` variables of HAProxy 2.6.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Var { $($v,)* }

        /// Name, variable and whether it needs `mode http`.
        const VARS: &[(&str, Var, bool)] = &[$(($name, Var::$v, vars!(@http $($http)?)),)*];
    };
    (@http http) => { true };
    (@http) => { false };
}

vars! {
    B = "B"; CC = "CC", http; CS = "CS", http; H = "H"; ID = "ID"; ST = "ST";
    T = "T"; Ta = "Ta", http; Tc = "Tc"; Th = "Th"; Ti = "Ti", http; Tl = "Tl";
    Tq = "Tq", http; Tr = "Tr", http; TR = "TR", http; Td = "Td"; Ts = "Ts"; Tt = "Tt";
    Tu = "Tu"; Tw = "Tw"; U = "U"; ac = "ac"; b = "b"; bc = "bc"; bi = "bi"; bp = "bp";
    bq = "bq"; ci = "ci"; cp = "cp"; f = "f"; fc = "fc"; fi = "fi"; fp = "fp"; ft = "ft";
    hr = "hr"; hrl = "hrl"; hs = "hs"; hsl = "hsl"; HM = "HM", http; HP = "HP", http;
    HPO = "HPO", http; HQ = "HQ", http; HU = "HU", http; HV = "HV", http; lc = "lc";
    ms = "ms"; pid = "pid"; r = "r", http; rc = "rc"; rt = "rt"; s = "s"; sc = "sc";
    si = "si"; sp = "sp"; sq = "sq"; sslc = "sslc"; sslv = "sslv"; t = "t";
    tr = "tr", http; trg = "trg", http; trl = "trl", http; ts = "ts"; tsc = "tsc";
}

impl Var {
    /// The variable named `name` (`ci`, `Tq`...).
    pub fn by_name(name: &str) -> Option<Var> {
        VARS.iter().find(|(n, _, _)| *n == name).map(|&(_, v, _)| v)
    }

    /// Its name without the `%`.
    pub fn name(self) -> &'static str {
        VARS.iter()
            .find(|(_, v, _)| *v == self)
            .map_or("", |&(n, _, _)| n)
    }

    /// Whether only an HTTP proxy may use it.
    pub fn http_only(self) -> bool {
        VARS.iter().any(|&(_, v, h)| v == self && h)
    }
}

/// One item of a format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Part {
    Lit(Box<[u8]>),
    /// A run of spaces in a format that merges them.
    Sep,
    Var(Var, Flags),
    Expr(Box<Expr>, Flags),
}

/// A parsed format string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFormat {
    raw: String,
    mode: Mode,
    pub(super) parts: Vec<Part>,
}

/// What the parser knows of where the format is used.
#[derive(Clone, Copy, Debug)]
pub struct ParseCtx {
    pub mode: Mode,
    /// The proxy is in `mode http` (else the HTTP variables are refused);
    /// `None` when unknown (rules of HTTP proxies).
    pub http_proxy: Option<bool>,
}

impl LogFormat {
    /// Parses an HTTP value (header, redirect, body); errors are worded to
    /// follow `while parsing '<rule>' rule : ` and end with a period.
    pub fn parse(raw: &str) -> Result<LogFormat, String> {
        LogFormat::parse_with(raw, &mut NoFiles)
    }

    /// [`LogFormat::parse`] with the configuration's map files.
    pub fn parse_with(raw: &str, files: &mut dyn ArgResolver) -> Result<LogFormat, String> {
        let ctx = ParseCtx {
            mode: Mode::Http,
            http_proxy: None,
        };
        LogFormat::parse_in(raw, ctx, files)
    }

    /// Parses `raw` for the use `ctx` says.
    pub fn parse_in(
        raw: &str,
        ctx: ParseCtx,
        files: &mut dyn ArgResolver,
    ) -> Result<LogFormat, String> {
        let parts = Parser {
            raw,
            ctx,
            flags: ctx.mode.base_flags(),
            parts: Vec::new(),
            lit: Vec::new(),
        }
        .run(files)?;
        Ok(LogFormat {
            raw: raw.to_string(),
            mode: ctx.mode,
            parts,
        })
    }

    /// A format that prints nothing.
    pub fn empty(mode: Mode) -> LogFormat {
        LogFormat {
            raw: String::new(),
            mode,
            parts: Vec::new(),
        }
    }

    /// The format as written in the configuration.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The text, when the format has no expression (`%%` already undone).
    pub fn literal(&self) -> Option<&[u8]> {
        match self.parts.as_slice() {
            [] => Some(b""),
            [Part::Lit(l)] => Some(l),
            _ => None,
        }
    }

    /// The expressions the format uses.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e, _) => Some(&**e),
            _ => None,
        })
    }

    /// The variables the format uses.
    pub fn vars(&self) -> impl Iterator<Item = Var> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v, _) => Some(*v),
            _ => None,
        })
    }

    /// Appends the value for this request to `out` (variables read what
    /// the request and its stream know; see [`ViewVars`]).
    pub fn expand(&self, view: &dyn RequestView, out: &mut Vec<u8>) {
        self.render_into(&ViewVars::new(view), Some(view), out);
    }

    /// [`LogFormat::expand`] into a new vector.
    pub fn render(&self, view: &dyn RequestView) -> Vec<u8> {
        let mut out = Vec::new();
        self.expand(view, &mut out);
        out
    }
}

/// The parser's state: the items so far and the literal being gathered.
struct Parser<'a> {
    raw: &'a str,
    ctx: ParseCtx,
    /// The flags new items start with (`%o` changes them).
    flags: Flags,
    parts: Vec<Part>,
    lit: Vec<u8>,
}

impl Parser<'_> {
    fn run(mut self, files: &mut dyn ArgResolver) -> Result<Vec<Part>, String> {
        let raw = self.raw;
        let b = raw.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => i = self.percent(i, files)?,
                b' ' if self.ctx.mode.merges_spaces() => {
                    self.flush();
                    if self.parts.last() != Some(&Part::Sep) {
                        self.parts.push(Part::Sep);
                    }
                    i += 1;
                }
                c => {
                    self.lit.push(c);
                    i += 1;
                }
            }
        }
        self.flush();
        Ok(self.parts)
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            let l = std::mem::take(&mut self.lit);
            self.parts.push(Part::Lit(l.into()));
        }
    }

    /// The item at `b[i] == '%'`; gives the index after it.
    fn percent(&mut self, i: usize, files: &mut dyn ArgResolver) -> Result<usize, String> {
        let raw = self.raw;
        let b = raw.as_bytes();
        let mut j = i + 1;
        let mut args = None;
        match b.get(j) {
            None => return Err("truncated line after '%'.".into()),
            Some(b'%') => {
                self.lit.push(b'%');
                return Ok(j + 1);
            }
            Some(b'{') => {
                let Some(end) = raw[j + 1..].find('}') else {
                    return Err(format!("truncated line after '{}'.", &raw[j + 1..]));
                };
                args = Some(&raw[j + 1..j + 1 + end]);
                j += end + 2;
                match b.get(j) {
                    Some(b'[') => {}
                    Some(c) if c.is_ascii_alphanumeric() => {}
                    _ => {
                        return Err(format!(
                            "parse argument modifier without variable name near '%{{{}}}'.",
                            args.unwrap_or("")
                        ))
                    }
                }
            }
            Some(c) if c.is_ascii_digit() || *c == b' ' || *c == b'\t' => {
                return Err(format!(
                    "unexpected variable name near '{}' at position {j} line : '{raw}'. Maybe \
                     you want to write a single '%', use the syntax '%%'.",
                    char::from(*c)
                ));
            }
            Some(b'[') => {}
            Some(c) if c.is_ascii_alphabetic() => {}
            // HAProxy drops a '%' that starts nothing and keeps what follows.
            Some(_) => return Ok(j),
        }
        let flags = args.map_or(self.flags, |a| self.flags.apply(a));
        if b.get(j) == Some(&b'[') {
            let (expr, used) = sample(&raw[j + 1..], files)?;
            self.flush();
            self.parts.push(Part::Expr(Box::new(expr), flags));
            return Ok(j + 1 + used);
        }
        let len = raw[j..]
            .bytes()
            .take_while(u8::is_ascii_alphanumeric)
            .count();
        let name = &raw[j..j + len];
        if name == "o" {
            self.flags = flags;
            return Ok(j + len);
        }
        let Some(var) = Var::by_name(name) else {
            return Err(format!(
                "no such format variable '{name}'. If you wanted to emit the '%' character \
                 verbatim, you need to use '%%'."
            ));
        };
        if var.http_only() && self.ctx.http_proxy == Some(false) {
            return Err(format!(
                "format variable '{name}' is reserved for HTTP mode."
            ));
        }
        self.flush();
        self.parts.push(Part::Var(var, flags));
        Ok(j + len)
    }
}

/// The expression of `%[expr]`: `rest` is what follows `%[`; gives the
/// expression and how many bytes of `rest` it used, `]` included.
fn sample(rest: &str, files: &mut dyn ArgResolver) -> Result<(Expr, usize), String> {
    if rest.is_empty() || rest.starts_with(']') {
        return Err(format!(
            "failed to parse sample expression <{rest}> : missing fetch method."
        ));
    }
    let p = Expr::parse(rest, false, files).map_err(|e| {
        format!(
            "failed to parse sample expression <{rest}> : {}.",
            e.describe()
        )
    })?;
    match p.rest.strip_prefix(']') {
        Some(after) => Ok((p.expr, rest.len() - after.len())),
        None => {
            let head = &rest[..rest.len() - p.rest.len()];
            match p.rest.chars().next() {
                Some(c) if c.is_ascii_graphic() => {
                    Err(format!("expected ']' after '{head}', but found '{c}'."))
                }
                _ => Err(format!("missing ']' after '{head}'.")),
            }
        }
    }
}
