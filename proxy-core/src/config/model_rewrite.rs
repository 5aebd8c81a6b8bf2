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
    Normalize(Normalizer),
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

/// One `normalize-uri` normalizer with its option (run by
/// `http_mode/normalize_uri.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalizer {
    /// `path-strip-dot`: drops `.` segments.
    StripDot,
    /// `path-strip-dotdot [full]`: `..` removes the segment before it;
    /// with `full`, a `..` with nothing before it goes too.
    StripDotdot { full: bool },
    /// `path-merge-slashes`.
    MergeSlashes,
    /// `percent-decode-unreserved [strict]`.
    DecodeUnreserved { strict: bool },
    /// `percent-to-uppercase [strict]`.
    PercentUpper { strict: bool },
    /// `query-sort-by-name`: parameters in a stable order of their names.
    SortQuery,
    /// `fragment-strip`.
    FragmentStrip,
    /// `fragment-encode`: `#` becomes `%23`.
    FragmentEncode,
}
