//! Parsing the rewriting actions of `http-request` / `http-response`
//! (see [`super::model_rewrite`]), with `haproxy -c` 2.6's messages.

use super::model_http::HttpAction;
use super::model_rewrite::{LinePart, RewriteAction};
use crate::rules::LogFormat;
use crate::sample::pattern::PatRegistry;
use crate::sample::regex::Regex;

/// Request-only rewriting actions.
pub(super) const REQUEST_REWRITES: &[&str] = &[
    "set-method",
    "set-path",
    "set-pathq",
    "set-query",
    "set-uri",
    "replace-path",
    "replace-pathq",
    "replace-uri",
    "replace-header",
    "replace-value",
];

/// Response rewriting actions.
pub(super) const RESPONSE_REWRITES: &[&str] = &["replace-header", "replace-value", "set-status"];

/// Whether `action` is a rewriting action of this rule set.
pub(super) fn is_rewrite(action: &str, res: bool) -> bool {
    let list = if res {
        RESPONSE_REWRITES
    } else {
        REQUEST_REWRITES
    };
    list.contains(&action)
}

/// Parses the rewriting `action` whose arguments start at `args[2]`: the
/// action and the index after its arguments, or the message (without
/// HAProxy's "error detected ... while parsing" prefix).
pub(super) fn parse(
    action: &str,
    args: &[String],
    files: &mut PatRegistry,
) -> Result<(HttpAction, usize), String> {
    let arg = |i: usize| args.get(i).map(String::as_str);
    let ends_at = |i: usize| arg(i).is_none_or(|w| w == "if" || w == "unless");
    let act = match action {
        "set-status" => return set_status(args),
        "replace-header" | "replace-value" => {
            let (Some(name), Some(re), Some(fmt)) = (arg(2), arg(3), arg(4)) else {
                return Err("expects exactly 3 arguments.".into());
            };
            let re = Regex::new(re, false).map_err(|e| e.describe(re))?;
            RewriteAction::ReplaceHeader {
                name: name.to_string(),
                re,
                fmt: LogFormat::parse_with(fmt, files)?,
                each_value: action == "replace-value",
            }
        }
        _ => {
            let (replace, part) = line_part(action);
            if replace {
                let (Some(re), Some(fmt)) = (arg(2), arg(3)) else {
                    return Err(
                        "expects exactly 2 arguments <match-regex> and <replace-format>.".into(),
                    );
                };
                let re = Regex::new(re, false)
                    .map_err(|e| format!("failed to parse the regex : {}", e.describe(re)))?;
                let fmt = LogFormat::parse_with(fmt, files)?;
                return Ok((
                    HttpAction::Rewrite(RewriteAction::Replace(part, re, fmt)),
                    4,
                ));
            }
            let fmt = match arg(2) {
                Some(f) if ends_at(3) => f,
                _ => return Err("expects exactly 1 argument <format>.".into()),
            };
            RewriteAction::Set(part, LogFormat::parse_with(fmt, files)?)
        }
    };
    let next = if matches!(act, RewriteAction::ReplaceHeader { .. }) {
        5
    } else {
        3
    };
    Ok((HttpAction::Rewrite(act), next))
}

/// `normalize-uri <normalizer> [full|strict]` (arguments from `args[2]`).
pub(super) fn parse_normalize(args: &[String]) -> Result<(HttpAction, usize), String> {
    use super::model_rewrite::Normalizer as N;
    let arg = |i: usize| args.get(i).map(String::as_str);
    let name = arg(2).ok_or("missing argument <normalizer>.")?;
    // The option, when the next word is one (2.6 takes any word there).
    let option = |word: &str| -> Result<(bool, usize), String> {
        match arg(3) {
            None | Some("if" | "unless") => Ok((false, 3)),
            Some(w) if w == word => Ok((true, 4)),
            Some(w) => Err(format!("unknown argument '{w}' for '{name}' normalizer.")),
        }
    };
    let (n, next) = match name {
        "path-strip-dot" => (N::StripDot, 3),
        "path-strip-dotdot" => option("full").map(|(full, n)| (N::StripDotdot { full }, n))?,
        "path-merge-slashes" => (N::MergeSlashes, 3),
        "percent-decode-unreserved" => {
            option("strict").map(|(strict, n)| (N::DecodeUnreserved { strict }, n))?
        }
        "percent-to-uppercase" => {
            option("strict").map(|(strict, n)| (N::PercentUpper { strict }, n))?
        }
        "query-sort-by-name" => (N::SortQuery, 3),
        "fragment-strip" => (N::FragmentStrip, 3),
        "fragment-encode" => (N::FragmentEncode, 3),
        other => return Err(format!("unknown normalizer '{other}'.")),
    };
    Ok((HttpAction::Rewrite(RewriteAction::Normalize(n)), next))
}

/// `set-<part>` / `replace-<part>`: whether it is a replace, and the part.
fn line_part(action: &str) -> (bool, LinePart) {
    let (replace, part) = match action.strip_prefix("replace-") {
        Some(p) => (true, p),
        None => (false, action.strip_prefix("set-").unwrap_or(action)),
    };
    let part = match part {
        "method" => LinePart::Method,
        "path" => LinePart::Path,
        "pathq" => LinePart::Pathq,
        "query" => LinePart::Query,
        _ => LinePart::Uri,
    };
    (replace, part)
}

/// `set-status <code> [reason <text>]`.
fn set_status(args: &[String]) -> Result<(HttpAction, usize), String> {
    let code = args
        .get(2)
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| (100..=999).contains(c))
        .ok_or("expects an integer status code between 100 and 999.")?;
    let (reason, next) = match (args.get(3).map(String::as_str), args.get(4)) {
        (Some("reason"), Some(r)) => (Some(r.clone()), 5),
        _ => (None, 3),
    };
    Ok((
        HttpAction::Rewrite(RewriteAction::SetStatus(code, reason)),
        next,
    ))
}
