//! Header values and redirect targets with HAProxy log-format expressions,
//! the subset we evaluate:
//! - literal text, with `%%` for a `%`;
//! - `%[<fetch>]` for any sample fetch of [`super::fetch`] (`%[src]`,
//!   `%[dst]`, `%[req.hdr(host)]`, `%[hdr(x-forwarded-for,-1)]`,
//!   `%[path]`, `%[dst_port]` ...), without converters; a multi-valued
//!   fetch gives its last value (or the `<occ>` one), a missing value
//!   gives nothing;
//! - the variables `%ci`, `%cp` (client address and port) and `%fi`,
//!   `%fp` (address and port the client reached).
//!
//! Anything else (converters, `%{+Q}` flags, other variables such as `%T`)
//! is a configuration error naming what is not supported, rather than a
//! silently wrong header.

use std::ops::ControlFlow;

use super::expr::{Expr, NoFiles};
use super::fetch::Fetch;
use super::RequestView;
use crate::sample::args::ArgResolver;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(Box<[u8]>),
    Expr(Expr),
}

/// A parsed format string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFormat {
    raw: String,
    parts: Vec<Part>,
}

/// `%<name>` variables we evaluate, and the fetch each stands for.
const VARIABLES: &[(&str, Fetch)] = &[
    ("ci", Fetch::Src),
    ("cp", Fetch::SrcPort),
    ("fi", Fetch::Dst),
    ("fp", Fetch::DstPort),
];

/// The log-format variables of HAProxy 2.6 (those not in [`VARIABLES`]
/// are refused as unsupported rather than unknown).
const HAPROXY_VARIABLES: &[&str] = &[
    "B", "CC", "CS", "H", "HM", "HP", "HPO", "HQ", "HU", "HV", "ID", "ST", "T", "Ta", "Tc", "Td",
    "Th", "Ti", "Tq", "Tr", "Trf", "Trl", "Ts", "Tt", "Tu", "Tw", "U", "ac", "b", "bc", "bi", "bp",
    "bq", "ci", "cp", "f", "fc", "fi", "fp", "ft", "hr", "hrl", "hs", "hsl", "lc", "ms", "pid",
    "r", "rc", "rt", "s", "sc", "si", "sp", "sq", "sslc", "sslv", "t", "tr", "trg", "trl", "ts",
    "tsc",
];

impl LogFormat {
    /// Parses `raw`; errors are worded to follow `while parsing '<rule>'
    /// rule : ` and end with a period.
    pub fn parse(raw: &str) -> Result<LogFormat, String> {
        LogFormat::parse_with(raw, &mut NoFiles)
    }

    /// [`LogFormat::parse`] with the configuration's map files.
    pub fn parse_with(raw: &str, files: &mut dyn ArgResolver) -> Result<LogFormat, String> {
        let b = raw.as_bytes();
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                lit.push(b[i]);
                i += 1;
                continue;
            }
            let fetch = match b.get(i + 1) {
                None => return Err("truncated line after '%'.".into()),
                Some(b'%') => {
                    lit.push(b'%');
                    i += 2;
                    continue;
                }
                Some(b'[') => {
                    let rest = &raw[i + 2..];
                    let (expr, used) = sample(rest, files)?;
                    i += 2 + used;
                    expr
                }
                Some(b'{') => {
                    return Err(
                        "log-format flags ('%{...}') are not supported by this proxy.".into(),
                    )
                }
                Some(_) => {
                    let name: String = raw[i + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    let Some((_, f)) = VARIABLES.iter().find(|(n, _)| *n == name) else {
                        if !HAPROXY_VARIABLES.contains(&name.as_str()) {
                            return Err(format!(
                                "no such format variable '{name}'. If you wanted to emit the '%' \
                                 character verbatim, you need to use '%%'."
                            ));
                        }
                        return Err(format!(
                            "format variable '%{name}' is not supported by this proxy (only \
                             '%[<fetch>]', '%ci', '%cp', '%fi' and '%fp')."
                        ));
                    };
                    i += 1 + name.len();
                    Expr::of(f.clone(), &name)
                }
            };
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit).into()));
            }
            parts.push(Part::Expr(fetch));
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit.into()));
        }
        Ok(LogFormat {
            raw: raw.to_string(),
            parts,
        })
    }

    /// The format as written in the configuration.
    pub fn as_str(&self) -> &str {
        &self.raw
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
            Part::Expr(e) => Some(e),
            Part::Lit(_) => None,
        })
    }

    /// Appends the value for this request to `out`.
    pub fn expand(&self, view: &dyn RequestView, out: &mut Vec<u8>) {
        for p in &self.parts {
            match p {
                Part::Lit(l) => out.extend_from_slice(l),
                Part::Expr(e) => {
                    let _ = e.each(view, false, &mut |s| {
                        s.write_text(out);
                        ControlFlow::Break(())
                    });
                }
            }
        }
    }

    /// [`LogFormat::expand`] into a new vector.
    pub fn render(&self, view: &dyn RequestView) -> Vec<u8> {
        let mut out = Vec::new();
        self.expand(view, &mut out);
        out
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
        None if p.rest.is_empty() => Err(format!(
            "failed to parse sample expression <{rest}> : missing closing ']'."
        )),
        None => Err(format!(
            "missing ']' after '{}'.",
            &rest[..rest.len() - p.rest.len()]
        )),
    }
}
