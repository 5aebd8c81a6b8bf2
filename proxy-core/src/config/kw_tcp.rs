//! `tcp-request inspect-delay|connection|session|content` (a row in
//! [`super::keywords::KEYWORDS`]): the accept/reject, tracking, counter,
//! variable and service actions, and where each may read what.

use super::keywords::{Ctx, KwResult, ProxyState};
use super::kw_acl::{parse_cond, who, RuleSet};
use super::kw_http::{anonymous_defaults, SEEN_HTTP_REQUEST, SEEN_REDIRECT, SEEN_USE_BACKEND};
use super::kw_stick::{parse_sc, parse_track};
use super::model_stick::{TcpAction, TcpRule};
use crate::rules::fetch::Usage;
use crate::rules::var_action;
use crate::units::parse_time;

/// `tcp-request inspect-delay <time>`, and `tcp-request connection|session|
/// content <action> [args] [if|unless <cond>]` with the actions `accept`,
/// `reject`, `track-sc<n> <key> [table <t>]`, `sc-inc-gpc0(<n>)`,
/// `sc-inc-gpc1(<n>)`, `sc-set-gpt0(<n>) <int>`, and (content only)
/// `use-service <name>`.
pub(super) fn tcp_request(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let args = ctx.args;
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(1).unwrap_or("") {
        "inspect-delay" => {
            let raw = ctx
                .arg(2)
                .ok_or("'tcp-request inspect-delay' expects a timeout value.")?;
            let t = parse_time(raw).map_err(|e| format!("'tcp-request inspect-delay' : {e}"))?;
            ctx.max_args(2)?;
            st.cfg.http.inspect_delay = (!t.is_zero()).then_some(t);
            Ok(())
        }
        w @ ("content" | "connection") => {
            if anonymous_defaults(st) {
                return Err(format!(
                    "tcp-request {w} is not allowed in anonymous 'defaults' sections"
                ));
            }
            let content = w == "content";
            if !content && !st.section.has_frontend() {
                ctx.warn(format!(
                    "tcp-request connection is not allowed because {} has no frontend capability",
                    who(st)
                ));
                return Ok(());
            }
            let set = if content {
                RuleSet::TcpContent
            } else {
                RuleSet::TcpConnection
            };
            let rule = tcp_rule(st, ctx, set)?;
            if content {
                let after = if st.seen & SEEN_HTTP_REQUEST != 0 {
                    Some("an 'http-request'")
                } else if st.seen & SEEN_REDIRECT != 0 {
                    Some("a 'redirect'")
                } else if st.seen & SEEN_USE_BACKEND != 0 {
                    Some("a 'use_backend'")
                } else {
                    None
                };
                if let Some(after) = after {
                    ctx.warn(format!(
                        "a 'tcp-request' rule placed after {after} rule will still be processed before."
                    ));
                }
                st.cfg.http.tcp_content.push(rule);
            } else {
                st.cfg.tcp_conn.push(rule);
            }
            Ok(())
        }
        "session" => {
            if anonymous_defaults(st) {
                return Err(
                    "tcp-request session is not allowed in anonymous 'defaults' sections".into(),
                );
            }
            if !st.section.has_frontend() {
                return Err(format!(
                    "tcp-request session is not allowed because {} {} is not a frontend",
                    super::keywords::type_str(st.cfg.kind),
                    st.cfg.name
                ));
            }
            let rule = tcp_rule(st, ctx, RuleSet::TcpSession)?;
            st.cfg.tcp_sess.push(rule);
            Ok(())
        }
        w => Err(format!(
            "'tcp-request' expects 'inspect-delay', 'connection', 'session' or 'content', but got '{w}'."
        )),
    }
}

/// HAProxy 2.6 `tcp-request` actions we do not implement.
const OTHER_TCP_ACTIONS: &[&str] = &[
    "capture",
    "do-resolve",
    "expect-netscaler-cip",
    "set-dst",
    "set-dst-port",
    "set-log-level",
    "set-mark",
    "set-nice",
    "set-priority-class",
    "set-priority-offset",
    "set-src",
    "set-src-port",
    "set-tos",
    "silent-drop",
    "switch-mode",
    "sc-inc-gpc",
    "sc-set-gpt",
];

/// One `tcp-request connection|session|content` rule (`args[2]` is the
/// action).
fn tcp_rule(st: &mut ProxyState, ctx: &mut Ctx<'_>, rules: RuleSet) -> Result<TcpRule, String> {
    let content = rules == RuleSet::TcpContent;
    // What fetches see at this stage: the connection's addresses only
    // before the handshake, its TLS layer after it, the buffered request
    // in content rules; never the server side.
    let place = match rules {
        RuleSet::TcpConnection => Usage::Any,
        RuleSet::TcpSession => Usage::Session,
        _ => Usage::Request,
    };
    let args = ctx.args;
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    let set = arg(1);
    let action = arg(2);
    let full = format!("tcp-request {set} {action}");
    let (act, next) = match action {
        a if var_action::is_var_action(a) => {
            let (v, used) =
                var_action::parse(&args[2..], ctx.files).map_err(|e| format!("'{full}' : {e}"))?;
            if let Some(e) = v.exprs().into_iter().find(|e| !e.usage().fits(place)) {
                return Err(format!(
                    "fetch method '{action}' extracts information from '{}', none of which is available here",
                    e.fetch.source()
                ));
            }
            (TcpAction::SetVar(v), 2 + used)
        }
        "expect-proxy" if rules != RuleSet::TcpConnection => {
            return Err(format!(
                "'expect-proxy layer4' is not allowed in 'tcp-request {set}' rules in {} '{}'",
                super::keywords::type_str(st.cfg.kind),
                st.cfg.name
            ));
        }
        "expect-proxy" if arg(3) != "layer4" => {
            return Err(format!(
                "'tcp-request connection expect-proxy' only supports 'layer4' in {} '{}' (got '{}')",
                super::keywords::type_str(st.cfg.kind),
                st.cfg.name,
                arg(3)
            ));
        }
        "expect-proxy" => (TcpAction::ExpectProxy, 4),
        "accept" => (TcpAction::Accept, 3),
        "reject" => (TcpAction::Reject, 3),
        "use-service" if content => {
            let service = args.get(3).ok_or("'tcp-request' expects a service name.")?;
            if service == "prometheus-exporter" {
                return Err(
                    "Prometheus exporter service only available on 'http-request' rulesets".into(),
                );
            }
            // The words up to `if`/`unless` are the service's arguments.
            let words: Vec<String> = args[4..]
                .iter()
                .take_while(|w| *w != "if" && *w != "unless")
                .cloned()
                .collect();
            let used = 4 + words.len();
            (TcpAction::UseService(service.clone(), words), used)
        }
        a if a.starts_with("track-sc") => {
            let (t, next) =
                parse_track(args, 2, ctx.files).map_err(|e| format!("'{full}' : {e}"))?;
            let u = t.key.fetch.usage();
            if !u.fits(place) {
                return Err(format!(
                    "'{full}' : fetch method '{}' extracts information from '{}', none of which is available here",
                    t.key.kw,
                    t.key.fetch.source()
                ));
            }
            (TcpAction::Track(t), next)
        }
        a => match parse_sc(args, 2, ctx.files) {
            Some(r) => {
                let (sc, next) = r.map_err(|e| format!("'{full}' : {e}"))?;
                (TcpAction::Sc(sc), next)
            }
            None if OTHER_TCP_ACTIONS
                .iter()
                .any(|o| a == *o || a.starts_with(&format!("{o}("))) =>
            {
                return Err(format!("'{full}' is not supported by this proxy."))
            }
            None => {
                let service = if content { "'use-service', " } else { "" };
                return Err(format!(
                    "'tcp-request {set}' expects 'accept', 'reject', {service}'track-sc0' ... 'track-sc2', 'sc-inc-gpc0', 'sc-inc-gpc1', 'sc-set-gpt0', 'set-var', 'set-var-fmt' or 'unset-var', but got '{a}'."
                ));
            }
        },
    };
    let rest = &args[next.min(args.len())..];
    if let Some(w) = rest.first().filter(|w| *w != "if" && *w != "unless") {
        return Err(format!(
            "'tcp-request {set} {action}' expects either 'if' or 'unless' followed by a condition but found '{w}'."
        ));
    }
    let cond = parse_cond(st, ctx, rest, rules).map_err(|e| {
        format!(
            "'tcp-request {set} {action}' : error detected in {} while parsing '{}' condition : {e}",
            who(st),
            rest[0]
        )
    })?;
    Ok(TcpRule {
        action: act,
        cond,
        loc: ctx.loc.clone(),
    })
}
