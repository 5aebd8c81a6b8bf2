//! Sample expressions: a fetch and its converters,
//! `req.hdr(host),lower,map_str(hosts.map,default)`, the one engine every
//! user of samples shares (ACLs, formats, stick keys, variables, rule
//! actions).
//!
//! Parsing types every converter's arguments and checks that each step's
//! output can be cast to the next converter's input, so a chain that can
//! never work is a configuration error, as in HAProxy. Evaluation casts
//! and converts each value; a step that fails makes the sample absent.

use std::ops::ControlFlow;

use super::fetch::{parse_fetch, Fetch, FetchError, MatchMethod, Usage};
use super::RequestView;
use crate::sample::args::{self, closing_paren, Arg, ArgResolver};
use crate::sample::conv::{self, ConvDef, Env};
use crate::sample::pattern::{MatchKind, PatExpr};
use crate::sample::vars::VarStore;
use crate::sample::{SmpType, Value};

/// One converter with its typed arguments.
#[derive(Clone, Debug)]
pub struct ConvCall {
    pub def: &'static ConvDef,
    pub args: Box<[Arg]>,
}

impl PartialEq for ConvCall {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.def, other.def) && self.args == other.args
    }
}

impl Eq for ConvCall {}

/// A fetch followed by converters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub fetch: Fetch,
    /// The fetch keyword as written (`hdr_beg`), for messages.
    pub kw: String,
    pub convs: Box<[ConvCall]>,
}

/// Why an expression was refused; [`ExprError::describe`] words it as
/// HAProxy does, without the caller's prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprError {
    Fetch(FetchError),
    /// No such converter.
    UnknownConv(String),
    /// A converter of HAProxy 2.6 this proxy does not have, and why.
    NotSupported(String, &'static str),
    /// Bad arguments: (converter, message).
    ConvArgs(String, String),
    /// The converter cannot take the type the chain gives it.
    ConvType(String, SmpType),
    /// Anything else about the text: the message.
    Syntax(String),
}

impl ExprError {
    pub fn describe(&self) -> String {
        match self {
            ExprError::Fetch(FetchError::Unknown(kw)) => format!("unknown fetch method '{kw}'"),
            ExprError::Fetch(FetchError::Args(kw, msg)) => {
                format!("fetch method '{kw}' : {msg}")
            }
            ExprError::Fetch(FetchError::Invalid(kw, msg)) => {
                format!("invalid args in fetch method '{kw}' : {msg}")
            }
            ExprError::UnknownConv(c) => format!("unknown converter '{c}'"),
            ExprError::NotSupported(c, why) => {
                format!("converter '{c}' is not supported by this proxy ({why})")
            }
            ExprError::ConvArgs(c, msg) => format!("invalid args in converter '{c}' : {msg}"),
            ExprError::ConvType(c, t) => format!(
                "converter '{c}' cannot be applied to a sample of type '{}'",
                t.name()
            ),
            ExprError::Syntax(msg) => msg.clone(),
        }
    }
}

/// A resolver for expressions that cannot use files (tests, `-cc`).
pub struct NoFiles;

impl ArgResolver for NoFiles {
    fn map(&mut self, path: &str, _: MatchKind) -> Result<std::sync::Arc<PatExpr>, String> {
        Err(format!("failed to open map file '{path}' here"))
    }
}

/// What [`Expr::parse`] gives: the expression, the match method an
/// ACL-derived keyword implies, and what followed the expression.
pub struct Parsed<'w> {
    pub expr: Expr,
    pub method: Option<MatchMethod>,
    pub rest: &'w str,
}

impl Expr {
    /// Parses `fetch[(args)][,conv[(args)]]...` at the start of `word`;
    /// parsing stops at the first character that cannot continue it
    /// (left in `rest`: a `]` closing `%[...]`, or a space). `acl`
    /// allows ACL-derived keywords.
    pub fn parse<'w>(
        word: &'w str,
        acl: bool,
        res: &mut dyn ArgResolver,
    ) -> Result<Parsed<'w>, ExprError> {
        let p = parse_fetch(word, acl).map_err(ExprError::Fetch)?;
        let mut rest = p.rest;
        let mut ty = p.fetch.sample_type();
        let mut convs = Vec::new();
        while let Some(after) = rest.strip_prefix(',') {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
                .unwrap_or(after.len());
            let name = &after[..end];
            let mut tail = &after[end..];
            let mut raw = Vec::new();
            if let Some(inner) = tail.strip_prefix('(') {
                let close = closing_paren(inner).ok_or_else(|| {
                    ExprError::Syntax(format!(
                        "missing closing ')' after arguments to converter '{name}'"
                    ))
                })?;
                raw = args::split(&inner[..close])
                    .map_err(|e| ExprError::ConvArgs(name.into(), e))?;
                if raw.is_empty() {
                    // `utime()`: one empty argument, for converters that
                    // need one; none for the others.
                    raw.push(String::new());
                }
                tail = &inner[close + 1..];
            }
            let call = conv_call(name, &raw, ty, res)?;
            ty = call.def.output;
            convs.push(call);
            rest = tail;
        }
        Ok(Parsed {
            expr: Expr {
                fetch: p.fetch,
                kw: p.kw.to_string(),
                convs: convs.into(),
            },
            method: p.method,
            rest,
        })
    }

    /// Parses a whole word (nothing may follow the expression).
    pub fn parse_word(word: &str, res: &mut dyn ArgResolver) -> Result<Expr, ExprError> {
        let p = Expr::parse(word, false, res)?;
        if !p.rest.is_empty() {
            return Err(ExprError::Syntax(format!(
                "unexpected '{}' after fetch method '{}'",
                p.rest, p.expr.kw
            )));
        }
        Ok(p.expr)
    }

    /// A bare fetch.
    pub fn of(fetch: Fetch, kw: &str) -> Expr {
        Expr {
            fetch,
            kw: kw.to_string(),
            convs: Box::new([]),
        }
    }

    /// The type of the values it gives.
    pub fn out_type(&self) -> SmpType {
        self.convs
            .last()
            .map_or(self.fetch.sample_type(), |c| c.def.output)
    }

    pub fn usage(&self) -> Usage {
        self.fetch.usage()
    }

    /// The stick tables the expression names: its fetch's, and the
    /// `in_table`/`table_*` converters'.
    pub fn table_refs(&self) -> Vec<(Option<&str>, &'static str)> {
        let mut v = self.fetch.table_refs();
        for c in self.convs.iter() {
            for a in c.args.iter() {
                if let Arg::Table(t) = a {
                    v.push((Some(t.as_str()), "table"));
                }
            }
        }
        v
    }

    /// Calls `f` with each converted value (see [`Fetch::each`] for
    /// `all`); values a converter rejects are skipped.
    pub fn each<'v>(
        &'v self,
        view: &'v dyn RequestView,
        all: bool,
        f: &mut dyn FnMut(Value<'v>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if self.convs.is_empty() {
            return self.fetch.each(view, all, f);
        }
        let env = ViewEnv(view);
        self.fetch
            .each(view, all, &mut |v| match convert(&self.convs, v, &env) {
                Some(v) => f(v),
                None => ControlFlow::Continue(()),
            })
    }

    /// The value (the selected occurrence of a multi-valued fetch).
    pub fn eval<'v>(&'v self, view: &'v dyn RequestView) -> Option<Value<'v>> {
        let mut out = None;
        let _ = self.each(view, false, &mut |v| {
            out = Some(v);
            ControlFlow::Break(())
        });
        out
    }
}

/// Runs the converters on one value.
fn convert<'v>(convs: &[ConvCall], mut v: Value<'v>, env: &dyn Env) -> Option<Value<'v>> {
    for c in convs {
        v = (c.def.run)(&c.args, v.cast(c.def.input)?, env)?;
    }
    Some(v)
}

/// Looks converter `name` up, types its arguments and checks it can take
/// a `ty` sample.
fn conv_call(
    name: &str,
    raw: &[String],
    ty: SmpType,
    res: &mut dyn ArgResolver,
) -> Result<ConvCall, ExprError> {
    let Some(def) = conv::lookup(name) else {
        if let Some((_, why)) = conv::NOT_SUPPORTED.iter().find(|(n, _)| *n == name) {
            return Err(ExprError::NotSupported(name.into(), why));
        }
        return Err(ExprError::UnknownConv(name.into()));
    };
    if !ty.casts_to(def.input) {
        return Err(ExprError::ConvType(name.into(), ty));
    }
    let raw = match raw {
        [one] if one.is_empty() && def.min_args == 0 => &[],
        r => r,
    };
    let args = args::resolve(name, raw, def.args, def.min_args, res)
        .map_err(|e| ExprError::ConvArgs(name.into(), e))?;
    if let Some(check) = def.check {
        check(&args).map_err(|e| ExprError::ConvArgs(name.into(), e))?;
    }
    Ok(ConvCall {
        def,
        args: args.into(),
    })
}

/// The converters' view of a stream, through the rules' view.
pub struct ViewEnv<'a>(pub &'a dyn RequestView);

impl Env for ViewEnv<'_> {
    fn vars(&self) -> Option<&VarStore> {
        self.0.stream()?.vars()
    }

    fn table(
        &self,
        table: &str,
        key: &Value<'_>,
        field: &str,
        idx: Option<u32>,
    ) -> Option<Value<'static>> {
        self.0.stick()?.table_data(table, key, field, idx)
    }

    fn debug(&self, line: &str) {
        tracing::info!(target: "debug", "{line}");
    }
}
