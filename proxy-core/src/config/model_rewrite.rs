//! The rewriting actions of `http-request` / `http-response` rules:
//! start-line changes (`set-method`, `set-path`, `set-pathq`, `set-query`,
//! `set-uri` and their `replace-*` regex forms), `replace-header`,
//! `replace-value` and `set-status`. Parsed by
//! `config/kw_http_rewrite.rs`, run by `http_mode/rewrite_actions.rs`.

use crate::rules::LogFormat;
use crate::sample::regex::Regex;

/// The part of the request line an action rewrites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinePart {
    Method,
    /// The path, the query kept.
    Path,
    /// Path and query.
    Pathq,
    /// The query, without its `?`.
    Query,
    /// The whole target.
    Uri,
}

/// One rewriting action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RewriteAction {
    /// `set-<part> <fmt>`.
    Set(LinePart, LogFormat),
    /// `replace-<part> <regex> <fmt>`: the part becomes `fmt` (with
    /// `\1`.. back-references) when the regex matches it.
    Replace(LinePart, Regex, LogFormat),
    /// `replace-header` (`each_value` false) or `replace-value` (true:
    /// each comma-separated element on its own) `<name> <regex> <fmt>`.
    ReplaceHeader {
        name: String,
        re: Regex,
        fmt: LogFormat,
        each_value: bool,
    },
    /// `set-status <code> [reason <text>]` (responses).
    SetStatus(u16, Option<String>),
    /// `normalize-uri <normalizer> [full|strict]`.
    Normalize(crate::http::normalize_uri::Normalizer),
}

impl RewriteAction {
    /// The formats' sample expressions, for the configuration checks.
    pub fn formats(&self) -> Option<&LogFormat> {
        match self {
            RewriteAction::Set(_, f)
            | RewriteAction::Replace(_, _, f)
            | RewriteAction::ReplaceHeader { fmt: f, .. } => Some(f),
            RewriteAction::SetStatus(..) | RewriteAction::Normalize(_) => None,
        }
    }
}
