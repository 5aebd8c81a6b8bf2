//! Parsing the `http-request` / `http-response` actions that change how
//! a transaction goes rather than its messages: `reject`, `tarpit`,
//! `set-log-level`, `set-timeout` and `early-hint`, with `haproxy -c`
//! 2.6's messages.

use std::time::Duration;

use super::keywords::{ProxyState, SectionKind};
use super::model_http::HttpAction;
use crate::sample::pattern::PatRegistry;

/// Request flow actions (`http-response` has `set-log-level` only).
const REQUEST_FLOW: &[&str] = &[
    "reject",
    "tarpit",
    "set-log-level",
    "set-timeout",
    "early-hint",
    "set-dst",
    "set-dst-port",
    "set-src-port",
    "wait-for-body",
];

/// Whether `action` is a flow action of this rule set.
pub(super) fn is_flow(action: &str, res: bool, after: bool) -> bool {
    match (res, after) {
        (false, _) => REQUEST_FLOW.contains(&action),
        (true, false) => action == "set-log-level",
        (true, true) => false,
    }
}

/// Which timeout `set-timeout` changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    Server,
    Tunnel,
}

/// What `set-timeout` sets the timeout to: a time, or (as 2.6) a sample
/// expression read as milliseconds when the rule runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeoutValue {
    Fixed(Duration),
    Expr(crate::rules::expr::Expr),
}

/// The syslog severities `set-log-level` names, `silent` being none.
const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// Parses the flow `action` whose arguments start at `args[2]`: the action
/// and the index after its arguments, or the message (without HAProxy's
/// "error detected ... while parsing" prefix).
pub(super) fn parse(
    st: &ProxyState,
    action: &str,
    args: &[String],
    warn: &mut dyn FnMut(String),
    files: &mut PatRegistry,
) -> Result<(HttpAction, usize), String> {
    let arg = |i: usize| args.get(i).map(String::as_str);
    match action {
        "reject" => Ok((HttpAction::Reject, 2)),
        "wait-for-body" => wait_for_body(args),
        "set-dst" | "set-dst-port" | "set-src-port" => {
            let e = super::kw_stick::parse_key_expr(arg(2).unwrap_or(""), files)
                .map_err(|e| format!("failed to parse sample expression : {e}"))?;
            let act = match action {
                "set-dst" => HttpAction::SetDst(e),
                "set-dst-port" => HttpAction::SetDstPort(e),
                _ => HttpAction::SetSrcPort(e),
            };
            Ok((act, 3))
        }
        "early-hint" => {
            let (Some(name), Some(value)) = (arg(2), arg(3)) else {
                return Err("expects exactly 2 arguments.".into());
            };
            let value = crate::rules::LogFormat::parse_with(value, files)?;
            let name = name.to_string();
            Ok((HttpAction::EarlyHint { name, value }, 4))
        }
        "tarpit" => {
            let (reply, next) = super::kw_reply::parse_reply(args, 2, (500, true), warn, files)?;
            Ok((HttpAction::Tarpit(reply), next))
        }
        "set-log-level" => {
            let level = match arg(2) {
                Some("silent") => None,
                Some(l) if LEVELS.contains(&l) => LEVELS.iter().position(|x| *x == l),
                _ => return Err("expects exactly 1 argument (log level name or 'silent').".into()),
            };
            Ok((HttpAction::SetLogLevel(level.map(|l| l as u8)), 3))
        }
        _ => set_timeout(st, arg(2), arg(3), files).map(|a| (a, 4)),
    }
}

/// `wait-for-body time <time> [at-least <bytes>]`.
fn wait_for_body(args: &[String]) -> Result<(HttpAction, usize), String> {
    let arg = |i: usize| args.get(i).map(String::as_str);
    let usage = || "expects time <time> [ at-least <bytes> ].".to_string();
    if arg(2) != Some("time") {
        return Err(usage());
    }
    let raw = arg(3).ok_or("missing argument for 'time'.")?;
    let time = crate::units::parse_time(raw).map_err(|_| {
        let c = raw.chars().find(|c| !c.is_ascii_digit()).unwrap_or(' ');
        format!("unexpected character '{c}'.")
    })?;
    let (at_least, next) = match arg(4) {
        Some("at-least") => {
            let raw = arg(5).ok_or("missing argument for 'at-least'.")?;
            let n = crate::units::parse_size(raw).map_err(|_| {
                let c = raw.chars().find(|c| !c.is_ascii_digit()).unwrap_or(' ');
                format!("unexpected character '{c}'.")
            })?;
            (Some(n), 6)
        }
        _ => (None, 4),
    };
    Ok((HttpAction::WaitForBody { time, at_least }, next))
}

/// `set-timeout server|tunnel <time>|<expr>`, in a section with a backend
/// side.
fn set_timeout(
    st: &ProxyState,
    kind: Option<&str>,
    value: Option<&str>,
    files: &mut PatRegistry,
) -> Result<HttpAction, String> {
    if st.section == SectionKind::Frontend {
        return Err(format!(
            "proxy '{}' has no backend capability.",
            st.cfg.name
        ));
    }
    let (Some(kind), Some(value)) = (kind, value) else {
        return Err("expects exactly 2 arguments.".into());
    };
    let kind = match kind {
        "server" => TimeoutKind::Server,
        "tunnel" => TimeoutKind::Tunnel,
        other => {
            return Err(format!(
                "'set-timeout' rule supports 'server'/'tunnel' (got '{other}')."
            ))
        }
    };
    let name = if kind == TimeoutKind::Server {
        "server"
    } else {
        "tunnel"
    };
    // As 2.6: a time first, else a sample expression; when neither, the
    // message names the character the time stopped at.
    let time = crate::units::parse_time(value);
    if time
        .as_ref()
        .is_err_and(|e| e.starts_with("timer overflow"))
    {
        return Err(format!("timer overflow in argument '{value}' to rule 'set-timeout {name}' (maximum value is 2147483647 ms or ~24.8 days)."));
    }
    if let Ok(d) = time {
        if d.is_zero() {
            return Err(format!(
                "null value is not valid for a 'set-timeout {name}' rule."
            ));
        }
        return Ok(HttpAction::SetTimeout(kind, TimeoutValue::Fixed(d)));
    }
    match super::kw_stick::parse_key_expr(value, files) {
        Ok(e) => Ok(HttpAction::SetTimeout(kind, TimeoutValue::Expr(e))),
        Err(_) => {
            let c = value.chars().find(|c| !c.is_ascii_digit()).unwrap_or(' ');
            Err(format!(
                "unexpected character '{c}' in rule 'set-timeout {name}'."
            ))
        }
    }
}
