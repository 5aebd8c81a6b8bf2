//! `acl <name> <fetch> [flags] <patterns...>` and the `if|unless`
//! conditions of rules (parsed by [`crate::rules`], resolved against the
//! section's ACLs here).
//!
//! ACLs belong to their section: a proxy does not see the ACLs of its
//! `defaults` (HAProxy 2.6 says `no such ACL` too), while the rules it
//! inherits keep the ACLs they were written with. An ACL must be declared
//! before a condition names it; a later line with the same name still
//! extends what earlier conditions see, as in HAProxy.

use std::sync::Arc;

use super::keywords::{invalid_char, type_str, Ctx, KwResult, ProxyState, SectionKind};
use super::model::Location;
use crate::rules::acl::{parse_expr_with, AclExpr};
use crate::rules::cond::{Acl, Condition};
use crate::rules::fetch::{Fetch, Usage};

/// `acl <name> <expression>`.
pub(super) fn acl(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let name = ctx
        .arg(1)
        .filter(|n| !n.is_empty())
        .ok_or("'acl' expects an ACL name and an expression.")?
        .to_string();
    if let Some(c) = invalid_char(&name) {
        return Err(format!(
            "character '{c}' is not permitted in acl name '{name}'."
        ));
    }
    let parsed = parse_expr_with(&ctx.args[2..], ctx.files)
        .map_err(|e| format!("error detected while parsing ACL '{name}' : {e}"))?;
    check_fetches(st, std::iter::once(&parsed.expr), ctx.loc)?;
    super::kw_userlist::note_refs(st, &name, std::iter::once(&parsed.expr), ctx.loc);
    ctx.warnings.extend(parsed.warnings);
    let Some(i) = st.cfg.acls.iter().position(|a| a.name == name) else {
        st.cfg.acls.push(Arc::new(Acl {
            name,
            exprs: vec![parsed.expr],
        }));
        return Ok(());
    };
    let old = Arc::clone(&st.cfg.acls[i]);
    let mut grown = (*old).clone();
    grown.exprs.push(parsed.expr);
    let new = Arc::new(grown);
    st.cfg.acls[i] = Arc::clone(&new);
    let cfg = &mut st.cfg;
    let conds = cfg.use_backends.iter_mut().filter_map(|u| u.cond.as_mut());
    for c in conds.chain(cfg.http.conditions_mut()) {
        c.relink(&old, &new);
    }
    Ok(())
}

/// Checks what can be checked of `nbsrv` at once, and records named
/// backends for the final check.
fn check_fetches<'a>(
    st: &mut ProxyState,
    exprs: impl Iterator<Item = &'a AclExpr>,
    loc: &Location,
) -> KwResult {
    for e in exprs {
        match &e.expr.fetch {
            Fetch::Nbsrv(None) if !st.section.has_backend() => {
                let name = &st.cfg.name;
                return Err(format!(
                    "proxy '{name}', referenced in arg 1 of ACL keyword 'nbsrv' in proxy '{name}', has not backend capability."
                ));
            }
            Fetch::Nbsrv(Some(b)) => st.nbsrv_refs.push((b.clone(), loc.clone())),
            _ => {
                for (t, _) in e.expr.table_refs() {
                    st.stick_refs
                        .push((t.map(str::to_string), e.expr.kw.clone(), loc.clone()));
                }
            }
        }
    }
    Ok(())
}

/// How HAProxy names the section in rule error messages.
pub(super) fn section_type(st: &ProxyState) -> &'static str {
    if st.section == SectionKind::Defaults {
        "defaults"
    } else {
        type_str(st.cfg.kind)
    }
}

/// `error detected in frontend 'f'` and the like.
pub(super) fn who(st: &ProxyState) -> String {
    format!("{} '{}'", section_type(st), st.cfg.name)
}

/// Which rule set a condition belongs to, for "will never match"
/// warnings.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RuleSet {
    UseBackend,
    HttpRequest,
    HttpResponse,
    TcpContent,
    TcpConnection,
    TcpSession,
}

/// Parses the condition `words` (`if|unless ...`; empty: none), with the
/// section's ACLs. Errors are returned bare, for the caller's prefix;
/// warnings are recorded.
pub(super) fn parse_cond(
    st: &mut ProxyState,
    ctx: &mut Ctx<'_>,
    words: &[String],
    set: RuleSet,
) -> Result<Option<Condition>, String> {
    if words.is_empty() {
        return Ok(None);
    }
    let acls = &st.cfg.acls;
    let lookup = |n: &str| acls.iter().find(|a| a.name == n).cloned();
    let parsed = Condition::parse_with(words, &lookup, ctx.files)?;
    check_fetches(st, parsed.cond.exprs(), ctx.loc)?;
    // Named ACLs noted theirs when defined.
    let anonymous = parsed.cond.terms().filter(|t| t.acl.name.is_empty());
    let exprs = anonymous.flat_map(|t| t.acl.exprs.iter());
    super::kw_userlist::note_refs(st, "", exprs, ctx.loc);
    ctx.warnings.extend(parsed.warnings);
    let side = if st.section.has_frontend() {
        "frontend"
    } else {
        "backend"
    };
    let (usage, context, tcp) = match set {
        RuleSet::UseBackend => (
            Usage::Request,
            "frontend use-backend rule".to_string(),
            None,
        ),
        RuleSet::HttpRequest => (
            Usage::Request,
            format!("{side} http-request header rule"),
            None,
        ),
        RuleSet::HttpResponse => (
            Usage::Response,
            format!("{side} http-response header rule"),
            None,
        ),
        RuleSet::TcpContent => (
            Usage::Request,
            format!("{side} tcp-request content rule"),
            Some("content"),
        ),
        RuleSet::TcpConnection => (
            Usage::Any,
            format!("{side} tcp-request connection rule"),
            Some("connection"),
        ),
        RuleSet::TcpSession => (
            Usage::Session,
            format!("{side} tcp-request session rule"),
            Some("session"),
        ),
    };
    for w in parsed.cond.usage_warnings(usage, &context, tcp) {
        ctx.warn(w);
    }
    Ok(Some(parsed.cond))
}
