//! Health-check configuration: `option tcp-check`, `option httpchk`,
//! `option log-health-checks`, the `tcp-check` and `http-check` keywords
//! (rows in [`super::keywords::KEYWORDS`]), and the final shape of a
//! proxy's rules ([`finalize`]).
//!
//! HAProxy 2.6's model, which decides what a backend inherits: every
//! section has its own tcp-check and http-check rule lists, starting
//! empty; the proxy *uses* one list, named by its check option. A section
//! starts out using what its defaults section used (option and rules
//! together). Writing a rule of the kind the proxy currently uses (own or
//! inherited option) switches it to its own list, so a backend's rules
//! replace the inherited ones entirely (the defaults' `option httpchk`
//! request included); a rule of the other kind is kept unused and warned
//! about at the end. `http-check disable-on-404` is a proxy flag, kept
//! whatever the rules.

use super::keywords::{type_str, Ctx, KwResult, ProxyState};
use super::kw_check_expect::parse_expect;
use super::kw_check_rules::{
    add_http_rule, is_step, opt_send, parse_connect, parse_http_send, parse_send, Words,
};
use super::model_check::{CheckKind, ProxyChecks};
use super::model_check_rules::{
    CheckAction, CheckRule, Expect, ExpectKind, HttpSend, TextOrFormat,
};
use crate::rules::var_action;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Proto {
    Tcp,
    Http,
}

/// The rule list a proxy uses (HAProxy's `tcpcheck_rules.list`).
#[derive(Clone, Debug, Default)]
enum Using {
    #[default]
    None,
    /// What the defaults section used.
    Inherited(Vec<CheckRule>, Proto),
    Own(Proto),
}

/// A section's check rules while it is parsed.
#[derive(Clone, Debug, Default)]
pub(super) struct CheckState {
    using: Using,
    own_tcp: Vec<CheckRule>,
    own_http: Vec<CheckRule>,
    unused_tcp: bool,
    unused_http: bool,
}

impl CheckState {
    /// What a section inherits from its defaults section: the rules in use.
    pub(super) fn inherited(&self) -> CheckState {
        let using = match &self.using {
            Using::None => Using::None,
            Using::Inherited(r, p) => Using::Inherited(r.clone(), *p),
            Using::Own(Proto::Tcp) => Using::Inherited(self.own_tcp.clone(), Proto::Tcp),
            Using::Own(Proto::Http) => Using::Inherited(self.own_http.clone(), Proto::Http),
        };
        CheckState {
            using,
            ..CheckState::default()
        }
    }

    fn proto(&self) -> Option<Proto> {
        match self.using {
            Using::None => None,
            Using::Inherited(_, p) | Using::Own(p) => Some(p),
        }
    }

    fn use_own(&mut self, p: Proto, checks: &mut ProxyChecks) {
        self.using = Using::Own(p);
        checks.kind = match p {
            Proto::Tcp => CheckKind::TcpCheck,
            Proto::Http => CheckKind::HttpCheck,
        };
    }
}

/// `option tcp-check` (`on` false: `no option tcp-check`, refused).
pub(super) fn opt_tcp_check(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    side_warning(st, ctx);
    if !on {
        return Err("negation/default is not supported for option 'tcp-check'.".into());
    }
    if let Some(extra) = ctx.arg(2) {
        return Err(format!(
            "'option tcp-check' cannot handle unexpected argument '{extra}'."
        ));
    }
    st.checks.use_own(Proto::Tcp, &mut st.cfg.checks);
    st.checks.unused_tcp = false;
    Ok(())
}

/// `option httpchk [<uri>]` or `option httpchk <method> <uri> [<version>]`.
pub(super) fn opt_httpchk(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    side_warning(st, ctx);
    if !on {
        return Err("negation/default is not supported for option 'httpchk'.".into());
    }
    if let Some(extra) = ctx.arg(5) {
        return Err(format!(
            "'option httpchk' cannot handle unexpected argument '{extra}'."
        ));
    }
    let a = |i: usize| ctx.arg(i).filter(|s| !s.is_empty()).map(str::to_string);
    if a(4).is_some_and(|v| v.contains("\r\n")) {
        return Err("'option httpchk' : headers or a body after the version are not supported by this proxy, use 'http-check send'.".into());
    }
    let (method, uri) = match (a(2), a(3)) {
        (Some(u), None) => (None, Some(u)),
        (m, u) => (m, u),
    };
    let send = HttpSend {
        method,
        uri: uri.map(TextOrFormat::Text),
        version: a(4),
        from_option: true,
        ..HttpSend::default()
    };
    st.checks.use_own(Proto::Http, &mut st.cfg.checks);
    st.checks.unused_http = false;
    let rule = CheckRule {
        index: 0,
        comment: None,
        action: CheckAction::HttpSend(send),
    };
    add_http_rule(&mut st.checks.own_http, rule).map_err(|e| format!("'option httpchk' : {e}."))
}

/// `option log-health-checks`.
pub(super) fn opt_log_health_checks(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    if let Some(extra) = ctx.arg(2) {
        return Err(format!(
            "'option log-health-checks' cannot handle unexpected argument '{extra}'."
        ));
    }
    st.cfg.checks.log_health_checks = on;
    Ok(())
}

/// HAProxy warns about check settings in a proxy without a backend side,
/// and keeps them anyway (they only show in the final warnings).
fn side_warning(st: &ProxyState, ctx: &mut Ctx<'_>) {
    if !st.section.has_backend() {
        let what = match ctx.kw() {
            "option" => ctx.arg(1).unwrap_or("").to_string(),
            kw => kw.to_string(),
        };
        ctx.warn(format!("'{what}' ignored because {}.", st.lacks_phrase()));
    }
}

/// The next step index of a rule list (HAProxy counts every rule written;
/// in http lists a pending `option httpchk` request does not count).
fn next_index(rules: &[CheckRule], http: bool) -> usize {
    match rules.last() {
        None => 0,
        Some(r) if http && opt_send(r) => 0,
        Some(r) => r.index + 1,
    }
}

/// `tcp-check <rule>`.
pub(super) fn tcp_check(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    side_warning(st, ctx);
    let index = next_index(&st.checks.own_tcp, false);
    let (action, comment) = parse_rule(st, ctx, Proto::Tcp)?;
    st.checks.own_tcp.push(CheckRule {
        index,
        comment,
        action,
    });
    if st.checks.proto() == Some(Proto::Tcp) {
        st.checks.use_own(Proto::Tcp, &mut st.cfg.checks);
        st.checks.unused_tcp = false;
    } else {
        st.checks.unused_tcp = true;
    }
    Ok(())
}

/// `http-check <rule>`, `http-check disable-on-404`.
pub(super) fn http_check(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    side_warning(st, ctx);
    match ctx.arg(1) {
        Some("disable-on-404") => {
            ctx.max_args(1)?;
            st.cfg.checks.disable_on_404 = true;
            return Ok(());
        }
        Some("send-state") => {
            return Err("'http-check send-state' is not supported by this proxy.".into())
        }
        _ => {}
    }
    let index = next_index(&st.checks.own_http, true);
    let (action, comment) = parse_rule(st, ctx, Proto::Http)?;
    let rule = CheckRule {
        index,
        comment,
        action,
    };
    if st.checks.proto() == Some(Proto::Http) {
        st.checks.use_own(Proto::Http, &mut st.cfg.checks);
        st.checks.unused_http = false;
        let what = ctx.arg(1).unwrap_or("");
        add_http_rule(&mut st.checks.own_http, rule)
            .map_err(|e| format!("'http-check {what}' : {e}."))?;
    } else {
        st.checks.own_http.push(rule);
        st.checks.unused_http = true;
    }
    Ok(())
}

/// One rule's action and comment; errors already worded for the line.
fn parse_rule(
    st: &ProxyState,
    ctx: &mut Ctx<'_>,
    proto: Proto,
) -> Result<(CheckAction, Option<String>), String> {
    let kw = ctx.kw().to_string();
    let what = ctx.arg(1).unwrap_or("").to_string();
    let own = match proto {
        Proto::Tcp => &st.checks.own_tcp,
        Proto::Http => &st.checks.own_http,
    };
    let mut w = Words {
        args: ctx.args,
        files: &mut *ctx.files,
    };
    let r = match what.as_str() {
        "connect" => first_connect(own)
            .and_then(|()| parse_connect(&w))
            .map(|(c, m)| (CheckAction::Connect(c), m)),
        "send" if proto == Proto::Http => {
            parse_http_send(&mut w).map(|(h, m)| (CheckAction::HttpSend(h), m))
        }
        "send" | "send-binary" | "send-lf" | "send-binary-lf" if proto == Proto::Tcp => {
            parse_send(&mut w).map(|(s, m)| (CheckAction::Send(s), m))
        }
        "expect" => {
            parse_expect(&mut w, proto == Proto::Http).map(|(e, m)| (CheckAction::Expect(e), m))
        }
        "comment" => match ctx.arg(2).filter(|c| !c.is_empty()) {
            Some(c) => Ok((CheckAction::Comment, Some(c.to_string()))),
            None => Err("expects a string as argument".into()),
        },
        a if var_action::is_var_action(a) => var_action::parse(&ctx.args[1..], &mut *ctx.files)
            .map(|(v, _)| (CheckAction::Var(v), None)),
        _ => {
            let head = if proto == Proto::Http {
                "'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect'"
            } else {
                "'comment', 'connect', 'send', 'send-binary', 'expect'"
            };
            return Err(format!(
                "'{kw}' only supports {head}, 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{what}'"
            ));
        }
    };
    r.map_err(|e| format!("'{kw} {what}' : {e}."))
}

/// A `connect` rule must be the first step when there is one.
fn first_connect(rules: &[CheckRule]) -> Result<(), String> {
    for r in rules {
        match &r.action {
            CheckAction::Connect(_) => return Ok(()),
            CheckAction::Comment | CheckAction::Var(_) => {}
            _ if opt_send(r) => {}
            _ => {
                return Err("first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset".into())
            }
        }
    }
    Ok(())
}

/// The end of a proxy's parsing: HAProxy's warnings about unused rules,
/// then the rules in their final shape in `cfg.checks.rules`.
pub(super) fn finalize(st: &mut ProxyState, warnings: &mut Vec<String>) {
    let who = format!("{} '{}'", type_str(st.cfg.kind), st.cfg.name);
    let cs = &st.checks;
    if cs.unused_tcp {
        warnings.push(format!(
            "config : {who} uses tcp-check rules without 'option tcp-check', so the rules are ignored."
        ));
    }
    if cs.unused_http {
        warnings.push(format!(
            "config : {who} uses http-check rules without 'option httpchk', so the rules are ignored."
        ));
    }
    let checks = &mut st.cfg.checks;
    if checks.disable_on_404 && checks.kind == CheckKind::TcpCheck {
        warnings.push(format!(
            "config : 'disable-on-404' will be ignored for {who} (requires 'option httpchk')."
        ));
        checks.disable_on_404 = false;
    }
    let (rules, proto) = match &cs.using {
        _ if !st.section.has_backend() => (Vec::new(), None),
        Using::None => (Vec::new(), None),
        Using::Inherited(r, p) => (r.clone(), Some(*p)),
        Using::Own(Proto::Tcp) => (cs.own_tcp.clone(), Some(Proto::Tcp)),
        Using::Own(Proto::Http) => (cs.own_http.clone(), Some(Proto::Http)),
    };
    checks.rules = match proto {
        Some(p) => final_rules(rules, p),
        None => Vec::new(),
    };
}

/// HAProxy's last touches to a rule list: the option's request after a
/// leading connect, an implicit `expect status 200-399` after a last
/// HTTP send, an implicit connect first, comments onto the rules they
/// precede, and each expect's resume point.
pub(super) fn final_rules(mut rules: Vec<CheckRule>, proto: Proto) -> Vec<CheckRule> {
    let steps = |rules: &Vec<CheckRule>| -> Vec<usize> {
        (0..rules.len()).filter(|&i| is_step(&rules[i])).collect()
    };
    if proto == Proto::Http {
        let s = steps(&rules);
        if let (Some(&a), Some(&b)) = (s.first(), s.get(1)) {
            if opt_send(&rules[a]) && matches!(rules[b].action, CheckAction::Connect(_)) {
                let mut send = rules.remove(a);
                send.index = rules[b - 1].index + 1;
                rules.insert(b, send);
            }
        }
        if let Some(&l) = steps(&rules).last() {
            if matches!(rules[l].action, CheckAction::HttpSend(_)) {
                let index = rules[l].index + 1;
                rules.push(CheckRule {
                    index,
                    comment: None,
                    action: CheckAction::Expect(Expect::new(
                        ExpectKind::HttpStatus(vec![(200, 399)]),
                        0,
                    )),
                });
            }
        }
    }
    let first = steps(&rules).first().copied();
    if !first.is_some_and(|i| matches!(rules[i].action, CheckAction::Connect(_))) {
        rules.insert(0, CheckRule::implicit_connect());
    }
    let mut out: Vec<CheckRule> = Vec::with_capacity(rules.len());
    let mut comment: Option<String> = None;
    let mut prev: Option<std::mem::Discriminant<CheckAction>> = None;
    for mut r in rules {
        let d = std::mem::discriminant(&r.action);
        let was_comment = prev == Some(std::mem::discriminant(&CheckAction::Comment));
        if prev.is_some() && prev != Some(d) && !was_comment {
            comment = None;
        }
        prev = Some(d);
        match r.action {
            CheckAction::Comment => {
                comment = r.comment.take();
                continue;
            }
            CheckAction::Connect(_) => {
                if r.comment.is_none() {
                    r.comment = comment.take();
                }
                comment = None;
            }
            CheckAction::Var(_) => comment = None,
            _ => {
                if r.comment.is_none() {
                    r.comment.clone_from(&comment);
                }
            }
        }
        out.push(r);
    }
    // An expect that waits for data resumes at the first inverted expect of
    // its run, so that what it must not see is looked for again.
    for k in 0..out.len() {
        let mut head = k;
        for j in (0..k).rev() {
            match &out[j].action {
                CheckAction::Expect(e) => {
                    if e.inverse {
                        head = j;
                    }
                }
                CheckAction::Var(_) => {}
                _ => break,
            }
        }
        if let CheckAction::Expect(e) = &mut out[k].action {
            e.head = head;
        }
    }
    out
}
