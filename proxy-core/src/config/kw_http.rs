//! Rule keywords: `http-request`, `http-response` and `redirect` (rows in
//! [`super::keywords::KEYWORDS`]; `tcp-request` is in [`super::kw_tcp`]).
//!
//! Where they are allowed follows `haproxy -c` 2.6.12: `redirect` in
//! frontends, listens and backends; the others also in *named* defaults
//! sections (their rules then run first in every proxy using that
//! section), while an anonymous `defaults` refuses them. As HAProxy, a rule
//! written after a kind of rule that runs later gets a "will still be
//! processed before" warning (`http-request` after `redirect` or
//! `use_backend`; `redirect` after `use_backend`; `tcp-request` after any
//! of them).
//!
//! Implemented actions: `http-request allow|deny|return|tarpit|redirect|
//! auth|set-header|add-header|del-header|use-service|set-src|track-sc*|sc-*|
//! set-var|set-var-fmt|unset-var`, `http-response allow|deny|set-header|
//! add-header|del-header|set-var...`, and the rewriting actions of
//! [`super::kw_http_rewrite`]; HAProxy's other actions are refused by name.

use super::keywords::{Ctx, KwResult, ProxyState, SectionKind, BACKEND, FRONTEND};
use super::kw_acl::{parse_cond, who, RuleSet};
use super::kw_reply::{parse_redirect, parse_reply};
use super::kw_stick::{parse_sc, parse_track};
use super::model_http::{HeaderMatch, HttpAction, HttpRule, RedirectRule};
use crate::rules::cond::Condition;
use crate::rules::fetch::Usage;
use crate::rules::var_action;
use crate::rules::LogFormat;
use crate::sample::pattern::PatRegistry;
use crate::sample::regex::Regex;

/// `ProxyState::seen` bits: rule kinds a section wrote itself.
pub(super) const SEEN_USE_BACKEND: u8 = 1;
pub(super) const SEEN_REDIRECT: u8 = 2;
pub(super) const SEEN_HTTP_REQUEST: u8 = 4;

const REQUEST_ACTIONS: &[&str] = &[
    "allow",
    "deny",
    "return",
    "redirect",
    "set-header",
    "add-header",
    "del-header",
    "use-service",
    "set-src",
    "auth",
    "tarpit",
];

const RESPONSE_ACTIONS: &[&str] = &["allow", "deny", "set-header", "add-header", "del-header"];

/// `http-after-response` actions besides variables and rewrites.
const AFTER_ACTIONS: &[&str] = &["allow", "set-header", "add-header", "del-header"];

/// HAProxy 2.6 `http-after-response` actions we do not implement.
const AFTER_OTHER_ACTIONS: &[&str] = &["strict-mode", "ot-group"];

/// HAProxy 2.6 actions we do not implement (both rule sets; a name ending
/// in `(` takes an argument in parentheses).
const OTHER_ACTIONS: &[&str] = &[
    "wait-for-handshake",
    "ot-group",
    "set-log-level",
    "set-nice",
    "sc-inc-gpc(",
    "sc-set-gpt(",
    "send-spoe-group",
    "do-resolve(",
    "cache-use",
    "cache-store",
    "add-acl(",
    "capture",
    "del-acl(",
    "del-map(",
    "disable-l7-retry",
    "set-map(",
    "strict-mode",
    "set-mark",
    "set-tos",
    "silent-drop",
    "set-priority-class",
    "set-priority-offset",
    "return",
    "redirect",
    "use-service",
];

fn is_other_action(a: &str) -> bool {
    OTHER_ACTIONS.iter().any(|o| match o.strip_suffix('(') {
        Some(base) => a.starts_with(base) && a[base.len()..].starts_with('('),
        None => a == *o || (*o == "track-sc" && a.starts_with("track-sc")),
    })
}

pub(super) fn anonymous_defaults(st: &ProxyState) -> bool {
    st.section == SectionKind::Defaults && st.cfg.name.is_empty()
}

pub(super) fn http_request(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    http_rule(st, ctx, false)
}

pub(super) fn http_response(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    http_rule(st, ctx, true)
}

/// `http-after-response <action> [args] [if|unless <cond>]`: response
/// rules that also run on the proxy's own answers.
pub(super) fn http_after_response(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    http_rule(st, ctx, true)
}

/// `http-request <action> [args] [if|unless <cond>]` and its response twin.
fn http_rule(st: &mut ProxyState, ctx: &mut Ctx<'_>, res: bool) -> KwResult {
    let kw = ctx.kw().to_string();
    if anonymous_defaults(st) {
        return Err(format!(
            "'{kw}' not allowed in anonymous 'defaults' section."
        ));
    }
    let args = ctx.args;
    let action = args.get(1).map_or("", String::as_str);
    let line = RuleLine {
        args,
        kw: &kw,
        action,
        full: format!("{kw} {action}"),
        res,
        after: kw == "http-after-response",
    };
    let mut warnings = Vec::new();
    let (act, next) = if var_action::is_var_action(action) {
        let (a, used) = var_action::parse(&args[1..], ctx.files).map_err(|e| line.err(st, e))?;
        (HttpAction::SetVar(a), 1 + used)
    } else if action == "normalize-uri" && !res {
        if !st.experimental {
            return Err("'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'".into());
        }
        super::kw_http_rewrite::parse_normalize(args).map_err(|e| line.err(st, e))?
    } else if action == "capture" && !res {
        // Declares its slot in the section: needs the section mutable.
        let parsed = super::kw_capture_rule::parse(st, args, ctx.files);
        parsed.map_err(|e| line.err(st, e))?
    } else if action == "capture" {
        let parsed = super::kw_capture_rule::parse_res(args, ctx.files);
        parsed.map_err(|e| line.err(st, e))?
    } else {
        line.action(st, &mut warnings, ctx.files)?
    };
    check_usage(&act, &line).map_err(|e| line.err(st, e))?;
    let cond = line.condition(st, ctx, next)?;
    for w in warnings {
        ctx.warn(w);
    }
    let rule = HttpRule {
        action: act,
        cond,
        loc: ctx.loc.clone(),
    };
    if line.after {
        st.cfg.http.after.push(rule);
        return Ok(());
    }
    push_http_rule(st, ctx, rule, res);
    Ok(())
}

/// Refuses an expression that needs what the rule set cannot see: the
/// response or the server connection in a request rule, or the server
/// before one is chosen. HAProxy words it after the action: variables
/// and tracking name the action or the key ("extracts information
/// from"), the others the fetch ("may not be reliably used here").
fn check_usage(act: &HttpAction, line: &RuleLine<'_>) -> Result<(), String> {
    use crate::rules::fetch::{Fetch, Named};
    if line.res {
        return Ok(());
    }
    for e in act.exprs() {
        let needs = match (&e.fetch, e.usage()) {
            (_, Usage::Response) => "HTTP response headers",
            (_, Usage::Server) => "server-side connection",
            (Fetch::Named(Named::Server, _), _) => "server",
            _ => continue,
        };
        return Err(match act {
            HttpAction::SetVar(_) => format!(
                "fetch method '{}' extracts information from '{needs}', none of which is available here.",
                line.action
            ),
            HttpAction::Track(_) => format!(
                "fetch method '{}' extracts information from '{needs}', none of which is available here.",
                line.arg(2).unwrap_or(&e.kw)
            ),
            _ => format!(
                "sample fetch <{}> may not be reliably used here because it needs '{needs}' which is not available here.",
                e.kw
            ),
        });
    }
    Ok(())
}

/// One `http-request` / `http-response` line, as its parsing steps see it.
struct RuleLine<'a> {
    args: &'a [String],
    kw: &'a str,
    action: &'a str,
    /// `<kw> <action>`, as messages name the rule.
    full: String,
    /// An `http-response` (or `http-after-response`) rule.
    res: bool,
    /// An `http-after-response` rule.
    after: bool,
}

/// An action and the index of the first word after its arguments.
type Parsed = Result<(HttpAction, usize), String>;

impl RuleLine<'_> {
    fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    /// An error in the rule's arguments, with HAProxy's prefix.
    fn err(&self, st: &ProxyState, msg: String) -> String {
        format!(
            "error detected in {} while parsing '{}' rule : {msg}",
            who(st),
            self.full
        )
    }

    fn known(&self) -> &'static [&'static str] {
        if self.after {
            AFTER_ACTIONS
        } else if self.res {
            RESPONSE_ACTIONS
        } else {
            REQUEST_ACTIONS
        }
    }

    /// The action with its arguments; `warnings` gets the reply's warnings.
    fn action(
        &self,
        st: &ProxyState,
        warnings: &mut Vec<String>,
        files: &mut PatRegistry,
    ) -> Parsed {
        if let Some(stick) = self.stick_action(st, files) {
            return stick;
        }
        match self.action {
            a if super::kw_http_rewrite::is_rewrite(a, self.res) => {
                super::kw_http_rewrite::parse(a, self.args, files).map_err(|e| self.err(st, e))
            }
            a if super::kw_http_flow::is_flow(a, self.res, self.after) => {
                super::kw_http_flow::parse(st, a, self.args, &mut |w| warnings.push(w), files)
                    .map_err(|e| self.err(st, e))
            }
            a if !self.known().contains(&a) => Err(self.unknown_action()),
            "allow" => Ok((HttpAction::Allow, 2)),
            "deny" | "return" | "tarpit" => self.reply(st, warnings, files),
            "redirect" => {
                let (r, next) = parse_redirect(self.args, 2, files).map_err(|e| self.err(st, e))?;
                Ok((HttpAction::Redirect(r), next))
            }
            "set-header" | "add-header" => self.set_header(st, files),
            "del-header" => self.del_header(st),
            "set-src" => self.set_src(st, files),
            "auth" => super::kw_auth::parse_auth(self.args).map_err(|e| self.err(st, e)),
            _ => self.use_service(st),
        }
    }

    /// `track-sc<n>` and `sc-*` actions, request rules only; `None` for
    /// any other action.
    fn stick_action(&self, st: &ProxyState, files: &mut PatRegistry) -> Option<Parsed> {
        if self.res {
            return None;
        }
        if self.action.starts_with("track-sc") {
            return Some(
                parse_track(self.args, 1, files)
                    .map(|(a, n)| (HttpAction::Track(a), n))
                    .map_err(|e| self.err(st, e)),
            );
        }
        parse_sc(self.args, 1, files).map(|r| {
            r.map(|(a, n)| (HttpAction::Sc(a), n))
                .map_err(|e| self.err(st, e))
        })
    }

    /// The error for an action this rule set does not have.
    fn unknown_action(&self) -> String {
        let a = self.action;
        // `http-after-response` has few actions: the others are unknown
        // there, as in HAProxy.
        let other = if self.after {
            AFTER_OTHER_ACTIONS.contains(&a)
        } else {
            is_other_action(a)
        };
        if other {
            return format!("'{}' is not supported by this proxy.", self.full);
        }
        let list: Vec<String> = self.known().iter().map(|k| format!("'{k}'")).collect();
        let missing = if a.is_empty() {
            " (missing argument)"
        } else {
            ""
        };
        format!(
            "'{}' expects {}, but got '{a}'{missing}.",
            self.kw,
            list.join(", ")
        )
    }

    /// `deny` or `return` with reply arguments.
    fn reply(
        &self,
        st: &ProxyState,
        warnings: &mut Vec<String>,
        files: &mut PatRegistry,
    ) -> Parsed {
        let deny = self.action != "return";
        let status = match (self.action, self.res) {
            ("tarpit", _) => 500,
            ("deny", false) => 403,
            ("deny", true) => 502,
            _ => 200,
        };
        let (reply, next) = parse_reply(
            self.args,
            2,
            (status, deny),
            &mut |w| warnings.push(w),
            files,
        )
        .map_err(|e| self.err(st, e))?;
        let act = match self.action {
            "tarpit" => HttpAction::Tarpit(reply),
            "deny" => HttpAction::Deny(reply),
            _ => HttpAction::Return(reply),
        };
        Ok((act, next))
    }

    /// `set-header|add-header <name> <fmt>`.
    fn set_header(&self, st: &ProxyState, files: &mut PatRegistry) -> Parsed {
        let (Some(name), Some(value)) = (self.arg(2), self.arg(3)) else {
            return Err(self.err(st, "expects exactly 2 arguments.".into()));
        };
        let value = LogFormat::parse_with(value, files).map_err(|e| self.err(st, e))?;
        let name = name.to_string();
        let act = if self.action == "set-header" {
            HttpAction::SetHeader { name, value }
        } else {
            HttpAction::AddHeader { name, value }
        };
        Ok((act, 4))
    }

    /// `del-header <name> [-m <method>]`.
    fn del_header(&self, st: &ProxyState) -> Parsed {
        let name = self
            .arg(2)
            .ok_or_else(|| self.err(st, "expects at least 1 argument.".into()))?;
        let (how, next) = if self.arg(3) == Some("-m") {
            (self.header_match(st, name)?, 5)
        } else {
            (HeaderMatch::Str, 3)
        };
        let act = HttpAction::DelHeader {
            name: name.to_string(),
            how,
        };
        Ok((act, next))
    }

    /// The method after `del-header <name> -m`.
    fn header_match(&self, st: &ProxyState, name: &str) -> Result<HeaderMatch, String> {
        let m = self.arg(4).unwrap_or("");
        Ok(match m {
            "str" => HeaderMatch::Str,
            "beg" => HeaderMatch::Beg,
            "end" => HeaderMatch::End,
            "sub" => HeaderMatch::Sub,
            "reg" => HeaderMatch::Reg(
                Regex::new(name, true).map_err(|e| self.err(st, e.describe(name)))?,
            ),
            _ => return Err(self.err(st, format!("-m with unsupported matching method '{m}'."))),
        })
    }

    /// `set-src <expr>`.
    fn set_src(&self, st: &ProxyState, files: &mut PatRegistry) -> Parsed {
        let e = super::kw_stick::parse_key_expr(self.arg(2).unwrap_or(""), files)
            .map_err(|e| self.err(st, format!("failed to parse sample expression : {e}")))?;
        Ok((HttpAction::SetSrc(e), 3))
    }

    /// `use-service <name> [<arg>...]`: the words up to `if`/`unless` are
    /// the service's arguments.
    fn use_service(&self, st: &ProxyState) -> Parsed {
        let name = self
            .arg(2)
            .ok_or_else(|| self.err(st, "'use-service' expects a service name.".into()))?;
        let args: Vec<String> = (3..)
            .map_while(|i| self.arg(i))
            .take_while(|w| *w != "if" && *w != "unless")
            .map(str::to_string)
            .collect();
        let used = 3 + args.len();
        Ok((HttpAction::UseService(name.to_string(), args), used))
    }

    /// The `if|unless <cond>` from `args[next]` on (none when empty).
    fn condition(
        &self,
        st: &mut ProxyState,
        ctx: &mut Ctx<'_>,
        next: usize,
    ) -> Result<Option<Condition>, String> {
        let rest = &self.args[next.min(self.args.len())..];
        if let Some(w) = rest.first().filter(|w| *w != "if" && *w != "unless") {
            return Err(format!(
                "'{}' expects either 'if' or 'unless' followed by a condition but found '{w}'.",
                self.full
            ));
        }
        let set = if self.res {
            RuleSet::HttpResponse
        } else {
            RuleSet::HttpRequest
        };
        parse_cond(st, ctx, rest, set).map_err(|e| {
            if self.action == "redirect" {
                self.err(st, format!("error in condition: {e}"))
            } else {
                format!(
                    "error detected while parsing an '{}' condition : {e}",
                    self.full
                )
            }
        })
    }
}

/// Files a parsed rule; a request rule written after rules that run later
/// gets HAProxy's warning.
fn push_http_rule(st: &mut ProxyState, ctx: &mut Ctx<'_>, rule: HttpRule, res: bool) {
    if res {
        st.cfg.http.response.push(rule);
        return;
    }
    if st.seen & SEEN_REDIRECT != 0 {
        ctx.warn(
            "a 'http-request' rule placed after a 'redirect' rule will still be processed before.",
        );
    } else if st.seen & SEEN_USE_BACKEND != 0 {
        ctx.warn("a 'http-request' rule placed after a 'use_backend' rule will still be processed before.");
    }
    st.seen |= SEEN_HTTP_REQUEST;
    st.cfg.http.request.push(rule);
}

/// `redirect location|prefix|scheme <to> [options] [if|unless <cond>]`.
pub(super) fn redirect(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let args = ctx.args;
    let err = |st: &ProxyState, msg: String| {
        format!(
            "error detected in {} while parsing redirect rule : {msg}",
            who(st)
        )
    };
    let (redirect, next) = parse_redirect(args, 1, ctx.files).map_err(|e| err(st, e))?;
    let cond = parse_cond(st, ctx, &args[next..], RuleSet::HttpRequest)
        .map_err(|e| err(st, format!("error in condition: {e}")))?;
    if st.seen & SEEN_USE_BACKEND != 0 {
        ctx.warn(
            "a 'redirect' rule placed after a 'use_backend' rule will still be processed before.",
        );
    }
    st.seen |= SEEN_REDIRECT;
    st.cfg.http.redirects.push(RedirectRule {
        redirect,
        cond,
        loc: ctx.loc.clone(),
    });
    Ok(())
}

/// HAProxy's limits on inheriting the rules of a named defaults section
/// `d` into a new section of `kind`: not into another defaults or a
/// listen section, and not into both frontends and backends.
pub(super) fn rule_inheritance(d: &mut ProxyState, kind: SectionKind) -> Result<(), String> {
    if !d.cfg.http.has_rules() {
        return Ok(());
    }
    let at = &d.cfg.loc;
    let (bit, other) = match kind {
        SectionKind::Defaults => {
            return Err(format!(
                "a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at {at})."
            ))
        }
        SectionKind::Listen => {
            return Err(
                "a listen section cannot inherit from a defaults section defining TCP/HTTP rules."
                    .into(),
            )
        }
        SectionKind::Frontend => (FRONTEND, BACKEND),
        _ => (BACKEND, FRONTEND),
    };
    if d.rule_users & other != 0 {
        return Err(format!(
            "frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at {at})."
        ));
    }
    d.rule_users |= bit;
    Ok(())
}
