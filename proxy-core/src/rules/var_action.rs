//! The variable actions of every rule set: `set-var(<name>[,<cond>...])
//! <expr>`, `set-var-fmt(<name>[,<cond>...]) <format>` and
//! `unset-var(<name>)`, parsed once and applied through the rules' view.

use super::expr::{Expr, ExprError};
use super::format::LogFormat;
use super::RequestView;
use crate::sample::args::{self, ArgResolver};
use crate::sample::vars::{SetCond, VarName};
use crate::sample::Value;

/// What the action stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarValue {
    /// `set-var`: the expression's value (nothing when it has none).
    Expr(Expr),
    /// `set-var-fmt`: the format's text.
    Format(LogFormat),
    /// `unset-var`.
    Unset,
}

/// One variable action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarAction {
    pub name: VarName,
    pub cond: SetCond,
    pub value: VarValue,
}

/// Whether `action` is a variable action word (`set-var(...)`...).
pub fn is_var_action(action: &str) -> bool {
    ["set-var(", "set-var-fmt(", "unset-var("]
        .iter()
        .any(|p| action.starts_with(p))
        || matches!(action, "set-var" | "set-var-fmt" | "unset-var")
}

/// Parses the action word `words[0]` and its value in `words[1]`; gives
/// the action and how many words it used. Errors are HAProxy's wording,
/// for the caller's `while parsing '<rule>' rule : ` prefix.
pub fn parse(words: &[String], files: &mut dyn ArgResolver) -> Result<(VarAction, usize), String> {
    let word = words.first().map_or("", String::as_str);
    let (kind, inner) = match word.split_once('(') {
        Some((k, rest)) => match rest.strip_suffix(')') {
            Some(inner) => (k, inner),
            None => return Err(format!("missing closing ')' after '{word}'")),
        },
        None => {
            return Err(format!(
                "'{word}' expects a variable name between parentheses, as in '{word}(txn.name)'"
            ))
        }
    };
    let raw = args::split(inner)?;
    let name = VarName::parse(raw.first().map_or("", String::as_str))?;
    let mut cond = SetCond::default();
    if kind == "unset-var" && raw.len() > 1 {
        return Err(format!("'{kind}' expects only a variable name"));
    }
    for c in &raw[1..] {
        if !cond.add(c) {
            return Err(format!("unknown condition '{c}' for '{kind}'"));
        }
    }
    let value_word = words.get(1).map(String::as_str);
    let (value, used) = match kind {
        "unset-var" => (VarValue::Unset, 1),
        "set-var" => {
            let w = value_word
                .filter(|w| !matches!(*w, "" | "if" | "unless"))
                .ok_or_else(|| format!("'{word}' expects a sample expression"))?;
            let e = Expr::parse_word(w, files).map_err(|e: ExprError| e.describe())?;
            (VarValue::Expr(e), 2)
        }
        "set-var-fmt" => {
            let w = value_word.ok_or_else(|| format!("'{word}' expects a log-format string"))?;
            (VarValue::Format(LogFormat::parse_with(w, files)?), 2)
        }
        _ => return Err(format!("unknown action '{word}'")),
    };
    Ok((VarAction { name, cond, value }, used))
}

impl VarAction {
    /// Applies the action to the variables of the stream `view` shows.
    pub fn apply(&self, view: &dyn RequestView) {
        let Some(vars) = view.stream().and_then(|s| s.vars()) else {
            return;
        };
        match &self.value {
            VarValue::Unset => vars.unset(&self.name),
            VarValue::Expr(e) => {
                if let Some(v) = e.eval(view) {
                    vars.set(&self.name, v, self.cond);
                }
            }
            VarValue::Format(f) => {
                vars.set(&self.name, Value::owned_str(f.render(view)), self.cond);
            }
        }
    }

    /// The expressions it evaluates (for usage and table checks).
    pub fn exprs(&self) -> Vec<&Expr> {
        match &self.value {
            VarValue::Expr(e) => vec![e],
            VarValue::Format(f) => f.exprs().collect(),
            VarValue::Unset => Vec::new(),
        }
    }
}
