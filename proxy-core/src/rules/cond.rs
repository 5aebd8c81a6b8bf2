//! Conditions: `if|unless <cond>` after a rule.
//!
//! A condition is an OR (`||` or `or`) of suites; a suite is the AND of
//! its terms (words side by side); a term is an ACL name or an anonymous
//! ACL `{ <fetch> [flags] <patterns> }`, negated by any odd number of `!`
//! (`!x`, `! x`, `!{ ... }`). As in HAProxy 2.6: a lone `!` carries over
//! to the next term, empty suites (`a || || b`, a trailing `||`) vanish,
//! and an empty condition never matches (`if` alone is false, `unless`
//! alone is true).
//!
//! Names resolve to the proxy's ACLs first, then to the predefined ones
//! ([`PREDEFINED`]), so a configuration may redefine `METH_GET`. HAProxy
//! does not predefine `always_true` / `always_false` as ACL names (they
//! are fetches: `{ always_true }`), and neither do we.

use std::sync::Arc;

use super::acl::{parse_expr, parse_expr_with, AclExpr};
use super::fetch::Usage;
use super::RequestView;
use crate::sample::pattern::PatRegistry;

/// A named ACL (several `acl` lines with one name OR together) or the
/// anonymous ACL of a `{ ... }` term (empty name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acl {
    pub name: String,
    pub exprs: Vec<AclExpr>,
}

impl Acl {
    /// Whether any expression matches.
    pub fn matches(&self, view: &dyn RequestView) -> bool {
        self.exprs.iter().any(|e| e.matches(view))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    If,
    Unless,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub neg: bool,
    pub acl: Arc<Acl>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub polarity: Polarity,
    /// OR of suites, each the AND of its terms.
    pub suites: Vec<Vec<Term>>,
}

/// A parsed condition and the warnings its anonymous ACLs raised.
#[derive(Clone, Debug)]
pub struct ParsedCond {
    pub cond: Condition,
    pub warnings: Vec<String>,
}

/// HAProxy's predefined ACLs and their definitions; `None` for those we
/// cannot evaluate (refused by name).
pub const PREDEFINED: &[(&str, Option<&str>)] = &[
    ("TRUE", Some("always_true")),
    ("FALSE", Some("always_false")),
    ("LOCALHOST", Some("src 127.0.0.1/8")),
    ("HTTP", Some("req_proto_http")),
    ("HTTP_1.0", Some("req_ver 1.0")),
    ("HTTP_1.1", Some("req_ver 1.1")),
    ("HTTP_2.0", Some("req_ver 2.0")),
    ("HTTP_3.0", Some("req_ver 3.0")),
    ("METH_CONNECT", Some("method CONNECT")),
    ("METH_DELETE", Some("method DELETE")),
    ("METH_GET", Some("method GET HEAD")),
    ("METH_HEAD", Some("method HEAD")),
    ("METH_OPTIONS", Some("method OPTIONS")),
    ("METH_POST", Some("method POST")),
    ("METH_PUT", Some("method PUT")),
    ("METH_TRACE", Some("method TRACE")),
    ("HTTP_URL_ABS", Some("url_reg ^[^/:]*://")),
    ("HTTP_URL_SLASH", Some("url_beg /")),
    ("HTTP_URL_STAR", Some("url *")),
    ("HTTP_CONTENT", Some("hdr_val(content-length) gt 0")),
    ("REQ_CONTENT", Some("req.len gt 0")),
    ("RDP_COOKIE", None),
    ("WAIT_END", None),
];

/// The predefined ACL `name`, if there is one.
pub fn predefined(name: &str) -> Option<Result<Acl, String>> {
    let (_, def) = PREDEFINED.iter().find(|(n, _)| *n == name)?;
    let Some(def) = def else {
        return Some(Err(format!(
            "predefined ACL '{name}' is not supported by this proxy."
        )));
    };
    let words: Vec<String> = def.split(' ').map(str::to_string).collect();
    Some(parse_expr(&words).map(|p| Acl {
        name: name.to_string(),
        exprs: vec![p.expr],
    }))
}

impl Condition {
    /// Parses `if|unless <terms...>` (`words[0]` is the keyword); `lookup`
    /// finds the proxy's named ACLs. Errors are worded to follow
    /// `... condition : ` and end with a period, as HAProxy's.
    pub fn parse(
        words: &[String],
        lookup: &dyn Fn(&str) -> Option<Arc<Acl>>,
    ) -> Result<ParsedCond, String> {
        Condition::parse_with(words, lookup, &mut PatRegistry::new())
    }

    /// [`Condition::parse`] registering anonymous ACLs' patterns in the
    /// configuration's `files`.
    pub fn parse_with(
        words: &[String],
        lookup: &dyn Fn(&str) -> Option<Arc<Acl>>,
        files: &mut PatRegistry,
    ) -> Result<ParsedCond, String> {
        let polarity = match words.first().map(String::as_str) {
            Some("if") => Polarity::If,
            Some("unless") => Polarity::Unless,
            other => {
                return Err(format!(
                    "expected 'if' or 'unless' before a condition, found '{}'.",
                    other.unwrap_or("")
                ))
            }
        };
        let mut suites = Vec::new();
        let mut cur: Vec<Term> = Vec::new();
        let mut warnings = Vec::new();
        let mut neg = false;
        let mut i = 1;
        while i < words.len() {
            let mut w = words[i].as_str();
            i += 1;
            while let Some(rest) = w.strip_prefix('!') {
                neg = !neg;
                w = rest;
            }
            if w.is_empty() {
                continue;
            }
            if w == "||" || w.eq_ignore_ascii_case("or") {
                if !cur.is_empty() {
                    suites.push(std::mem::take(&mut cur));
                }
                neg = false;
                continue;
            }
            let acl = if w == "{" {
                let len = words[i..]
                    .iter()
                    .position(|x| x == "}")
                    .ok_or("missing closing '}' in condition.")?;
                let parsed = parse_expr_with(&words[i..i + len], files)?;
                i += len + 1;
                warnings.extend(parsed.warnings);
                Arc::new(Acl {
                    name: String::new(),
                    exprs: vec![parsed.expr],
                })
            } else {
                match lookup(w) {
                    Some(acl) => acl,
                    None => match predefined(w) {
                        Some(acl) => Arc::new(acl?),
                        None => return Err(format!("no such ACL : '{w}'.")),
                    },
                }
            };
            cur.push(Term { neg, acl });
            neg = false;
        }
        if !cur.is_empty() {
            suites.push(cur);
        }
        Ok(ParsedCond {
            cond: Condition { polarity, suites },
            warnings,
        })
    }

    /// Whether the rule applies.
    pub fn eval(&self, view: &dyn RequestView) -> bool {
        let any = self
            .suites
            .iter()
            .any(|suite| suite.iter().all(|t| t.acl.matches(view) != t.neg));
        match self.polarity {
            Polarity::If => any,
            Polarity::Unless => !any,
        }
    }

    /// Like [`Condition::eval`] while data may still arrive: `None` when
    /// the answer depends on data not complete yet (a term that did not
    /// match while a fetch raised `may_change`, as HAProxy's "miss"), a
    /// miss AND-ed with a failure failing and OR-ed with a success passing.
    pub fn eval_partial(
        &self,
        view: &dyn RequestView,
        may_change: &std::sync::atomic::AtomicBool,
    ) -> Option<bool> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut any_miss = false;
        let mut any = false;
        for suite in &self.suites {
            let mut miss = false;
            let mut fail = false;
            for t in suite {
                may_change.store(false, Relaxed);
                let m = t.acl.matches(view);
                if !m && may_change.load(Relaxed) {
                    miss = true;
                } else if m == t.neg {
                    fail = true;
                    break;
                }
            }
            if !fail && !miss {
                any = true;
                break;
            }
            any_miss |= !fail && miss;
        }
        may_change.store(false, Relaxed);
        if !any && any_miss {
            return None;
        }
        Some(match self.polarity {
            Polarity::If => any,
            Polarity::Unless => !any,
        })
    }

    /// Every term, suite after suite.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.suites.iter().flatten()
    }

    /// Every ACL expression the condition uses.
    pub fn exprs(&self) -> impl Iterator<Item = &AclExpr> {
        self.terms().flat_map(|t| t.acl.exprs.iter())
    }

    /// Points the terms that use `old` to `new` (an `acl` line added an
    /// expression to an ACL already in use: HAProxy rules see the whole
    /// ACL, whatever the order of lines).
    pub fn relink(&mut self, old: &Arc<Acl>, new: &Arc<Acl>) {
        for t in self.suites.iter_mut().flatten() {
            if Arc::ptr_eq(&t.acl, old) {
                t.acl = Arc::clone(new);
            }
        }
    }

    /// HAProxy's "will never match" warnings for ACLs using fetches that
    /// do not exist where the rule runs (`side`, as [`Usage::fits`] takes
    /// it). `context` names the rule set (`frontend http-response header
    /// rule`); `tcp` names the TCP rule set the words mention (`tcp-request content`).
    pub fn usage_warnings(&self, side: Usage, context: &str, tcp: Option<&str>) -> Vec<String> {
        let bad = |e: &&AclExpr| !e.expr.usage().fits(side);
        let place = tcp.map_or(String::new(), |t| format!(" in '{t}'"));
        let mut out = Vec::new();
        let mut seen: Vec<&Arc<Acl>> = Vec::new();
        for t in self.terms() {
            if seen.iter().any(|s| Arc::ptr_eq(s, &t.acl)) {
                continue;
            }
            seen.push(&t.acl);
            let Some(first) = t.acl.exprs.iter().find(bad) else {
                continue;
            };
            let all = t.acl.exprs.iter().all(|e| bad(&e));
            out.push(match (t.acl.name.as_str(), all) {
                ("", _) => format!(
                    "anonymous acl will never match{place} because it uses keyword '{}' which is incompatible with '{context}'",
                    first.expr.kw
                ),
                (name, true) => format!(
                    "acl '{name}' will never match{place} because it only involves keywords that are incompatible with '{context}'"
                ),
                (name, false) => format!(
                    "acl '{name}' involves keywords '{}' which is incompatible with '{context}'",
                    first.expr.kw
                ),
            });
        }
        out
    }
}
