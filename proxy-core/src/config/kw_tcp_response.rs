//! `tcp-response inspect-delay|content` (a row in
//! [`super::keywords::KEYWORDS`]): the rules a backend runs on the
//! server's first bytes (see [`crate::tcp_response`]), with HAProxy 2.6's
//! actions `accept`, `reject`, `close`, the counters and the variables.

use super::keywords::{Ctx, KwResult, ProxyState, SectionKind};
use super::kw_acl::{parse_cond, RuleSet};
use super::kw_stick::parse_sc;
use super::model_stick::{TcpAction, TcpRule};
use crate::rules::fetch::Usage;
use crate::rules::var_action;
use crate::units::parse_time;

/// HAProxy 2.6 `tcp-response content` actions we do not implement.
const OTHER_ACTIONS: &[&str] = &[
    "ot-group",
    "set-log-level",
    "set-nice",
    "send-spoe-group",
    "set-mark",
    "set-tos",
    "silent-drop",
    "sc-inc-gpc",
    "sc-set-gpt",
];

/// `tcp-response inspect-delay <time>` and `tcp-response content <action>
/// [if|unless <cond>]`: backends and named defaults only.
pub(super) fn tcp_response(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let where_ = where_phrase(st);
    let Some(set) = ctx.arg(1) else {
        return Err(format!("missing argument for 'tcp-response' in {where_}"));
    };
    let backend_ok = match st.section {
        SectionKind::Backend | SectionKind::Listen => true,
        SectionKind::Defaults => !st.cfg.name.is_empty(),
        _ => false,
    };
    if matches!(set, "inspect-delay" | "content") && !backend_ok {
        return Err(format!(
            "tcp-response {set} is only allowed in 'backend' sections or 'defaults' section with a name"
        ));
    }
    match set {
        "inspect-delay" => {
            let delay = ctx
                .arg(2)
                .and_then(|raw| parse_time(raw).ok())
                .filter(|_| ctx.args.len() <= 3);
            let Some(delay) = delay else {
                return Err(format!(
                    "'tcp-response inspect-delay' expects a positive delay in milliseconds, in {where_}"
                ));
            };
            st.cfg.tcp_res.delay = (!delay.is_zero()).then_some(delay);
            Ok(())
        }
        "content" => {
            let rule = content_rule(st, ctx, &where_)?;
            st.cfg.tcp_res.rules.push(rule);
            Ok(())
        }
        other => Err(format!(
            "'tcp-response' expects 'inspect-delay' or 'content' in {where_} (got '{other}')"
        )),
    }
}

/// "backend 'b'" as HAProxy names the section in these messages.
fn where_phrase(st: &ProxyState) -> String {
    format!(
        "{} '{}'",
        super::keywords::type_str(st.cfg.kind),
        st.cfg.name
    )
}

/// One `tcp-response content` rule (`args[2]` is the action).
fn content_rule(st: &mut ProxyState, ctx: &mut Ctx<'_>, where_: &str) -> Result<TcpRule, String> {
    let args = ctx.args;
    let action = args.get(2).map_or("", String::as_str);
    let full = format!("tcp-response content {action}");
    let (act, next) = match action {
        "accept" => (TcpAction::Accept, 3),
        "reject" => (TcpAction::Reject, 3),
        "close" => (TcpAction::Close, 3),
        a if var_action::is_var_action(a) => {
            let (v, used) =
                var_action::parse(&args[2..], ctx.files).map_err(|e| format!("'{full}' : {e}"))?;
            if let Some(e) = v
                .exprs()
                .into_iter()
                .find(|e| !e.usage().fits(Usage::Response))
            {
                return Err(format!(
                    "fetch method '{action}' extracts information from '{}', none of which is available here",
                    e.fetch.source()
                ));
            }
            (TcpAction::SetVar(v), 2 + used)
        }
        a => match parse_sc(args, 2, ctx.files) {
            Some(r) => {
                let (sc, next) = r.map_err(|e| format!("'{full}' : {e}"))?;
                (TcpAction::Sc(sc), next)
            }
            None if OTHER_ACTIONS
                .iter()
                .any(|o| a == *o || a.starts_with(&format!("{o}("))) =>
            {
                return Err(format!("'{full}' is not supported by this proxy."));
            }
            None => {
                return Err(format!(
                    "'tcp-response content' expects 'accept', 'close', 'reject', 'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop' in {where_} (got '{a}')."
                ));
            }
        },
    };
    let rest = &args[next.min(args.len())..];
    if let Some(w) = rest.first().filter(|w| *w != "if" && *w != "unless") {
        return Err(format!(
            "'{full}' only accepts 'if' or 'unless', in {where_} (got '{w}')"
        ));
    }
    let cond = parse_cond(st, ctx, rest, RuleSet::TcpResponse).map_err(|e| {
        format!(
            "'{full}' : error detected in {where_} while parsing '{}' condition : {e}",
            rest[0]
        )
    })?;
    Ok(TcpRule {
        action: act,
        cond,
        loc: ctx.loc.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use super::super::TcpAction;

    #[test]
    fn rules_and_delay_parse() {
        let c = ok("
backend b
    tcp-response inspect-delay 2s
    tcp-response content accept if { res.len ge 5 }
    tcp-response content set-var(txn.n) res.len
    tcp-response content close if { res.payload(0,2) -m bin 4142 }
    tcp-response content reject
    server s 127.0.0.1:1
");
        let b = &c.proxies[0].tcp_res;
        assert_eq!(b.delay, Some(std::time::Duration::from_secs(2)));
        assert_eq!(b.rules.len(), 4);
        assert!(matches!(b.rules[2].action, TcpAction::Close));
        assert!(matches!(b.rules[3].action, TcpAction::Reject));
    }

    #[test]
    fn errors_name_the_keyword_as_haproxy() {
        let e = error("frontend f\n bind :1\n tcp-response content accept\n");
        assert!(e.contains("tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name"), "{e}");
        let e = error("defaults\n tcp-response inspect-delay 1s\n");
        assert!(
            e.contains("tcp-response inspect-delay is only allowed"),
            "{e}"
        );
        let e = error("backend b\n tcp-response content bogus\n");
        assert!(
            e.contains("'tcp-response content' expects 'accept', 'close', 'reject'"),
            "{e}"
        );
        assert!(e.contains("in backend 'b' (got 'bogus')"), "{e}");
        let e = error("backend b\n tcp-response content reject extra\n");
        assert!(e.contains("'tcp-response content reject' only accepts 'if' or 'unless', in backend 'b' (got 'extra')"), "{e}");
        let e = error("backend b\n tcp-response inspect-delay\n");
        assert!(e.contains("'tcp-response inspect-delay' expects a positive delay in milliseconds, in backend 'b'"), "{e}");
        let e = error("backend b\n tcp-response\n");
        assert!(
            e.contains("missing argument for 'tcp-response' in backend 'b'"),
            "{e}"
        );
        let e = error("backend b\n mode http\n tcp-response content accept\n");
        assert!(e.contains("t.cfg:3"), "{e}");
        assert!(
            e.contains("'tcp-response content' in an HTTP-mode backend is not supported"),
            "{e}"
        );
        let e = error("backend b\n tcp-response content set-var(txn.x) req.len\n");
        assert!(e.contains("fetch method 'set-var(txn.x)' extracts information from 'request buffer', none of which is available here"), "{e}");
        let e = error("backend b\n tcp-response content silent-drop\n");
        assert!(
            e.contains("'tcp-response content silent-drop' is not supported"),
            "{e}"
        );
    }
}
