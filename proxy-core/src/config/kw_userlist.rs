//! `userlist <name>` sections: `user <name> [password <hash> |
//! insecure-password <pw>] [groups <g>[,<g>...]]` and `group <name>
//! [users <u>[,<u>...]]`, read into [`crate::auth::Userlist`].
//!
//! As in HAProxy 2.6, a duplicated userlist, user or group is ignored with
//! a warning; group and user names given in `groups` / `users` are
//! resolved once the whole configuration is read (so a group may name a
//! user declared after it), an unknown one being a fatal error. A
//! password hash is not checked when read: one crypt(3) cannot use never
//! matches. HAProxy's messages here put no space before the colon after
//! `parsing [file:line]`, unlike the proxies' keywords: so do we.

use super::model::Location;
use crate::auth::{Secret, User, Userlist};

/// A userlist being read: the names in `groups` / `users` options are
/// resolved by [`resolve`].
#[derive(Debug)]
pub(super) struct UserlistState {
    pub list: Userlist,
    /// `(user, group)` pairs named by `user ... groups` or `group ...
    /// users` lines; the user is named first in both.
    pending: Vec<Membership>,
    /// Set for a duplicated userlist: its lines are read and dropped.
    dropped: bool,
}

#[derive(Debug)]
struct Membership {
    user: String,
    group: String,
}

/// What a line gives: a warning (prefixed for the warnings list), or the
/// fatal error.
pub(super) type LineResult = Result<Option<String>, String>;

fn at(loc: &Location, msg: String) -> String {
    format!("parsing [{loc}]: {msg}")
}

/// `userlist <name>`: the new section, or the error; a duplicate is kept
/// (its lines are checked) but dropped, with a warning.
pub(super) fn start(
    args: &[String],
    loc: &Location,
    lists: &[UserlistState],
) -> Result<(UserlistState, Option<String>), String> {
    let Some(name) = args.get(1) else {
        return Err(at(loc, "'userlist' expects <name> as arguments.".into()));
    };
    let dropped = lists.iter().any(|l| !l.dropped && l.list.name == *name);
    let warn = dropped.then(|| {
        format!(
            "config : {}",
            at(loc, format!("ignoring duplicated userlist '{name}'."))
        )
    });
    let st = UserlistState {
        list: Userlist {
            name: name.clone(),
            users: Vec::new(),
            groups: Vec::new(),
        },
        pending: Vec::new(),
        dropped,
    };
    Ok((st, warn))
}

/// One line of a userlist section: `Ok(Some(warning))`, or the error.
pub(super) fn line(st: &mut UserlistState, args: &[String], loc: &Location) -> LineResult {
    match args[0].as_str() {
        "user" => user(st, args, loc),
        "group" => group(st, args, loc),
        kw => Err(at(
            loc,
            format!("unknown keyword '{kw}' in 'users' section"),
        )),
    }
}

/// `user <name> [password <hash> | insecure-password <pw>] [groups <list>]`.
fn user(st: &mut UserlistState, args: &[String], loc: &Location) -> LineResult {
    let Some(name) = args.get(1).filter(|n| !n.is_empty()) else {
        return Err(at(loc, "'user' expects <name> as arguments.".into()));
    };
    let mut secret = Secret::None;
    let mut groups = Vec::new();
    let mut i = 2;
    while let Some(opt) = args.get(i) {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match opt.as_str() {
            "password" => secret = Secret::Crypt(value),
            "insecure-password" => secret = Secret::Clear(value),
            "groups" => groups.extend(split_names(&value)),
            _ => {
                return Err(at(
                    loc,
                    "'user' only supports 'password', 'insecure-password' and 'groups' options."
                        .into(),
                ))
            }
        }
        i += 2;
    }
    if st.list.users.iter().any(|u| u.name == *name) {
        let msg = format!(
            "ignoring duplicated user '{name}' in userlist '{}'.",
            st.list.name
        );
        return Ok(Some(format!("config : {}", at(loc, msg))));
    }
    st.pending.extend(groups.into_iter().map(|g| Membership {
        user: name.clone(),
        group: g,
    }));
    st.list.users.push(User {
        name: name.clone(),
        secret,
        groups: Vec::new(),
    });
    Ok(None)
}

/// `group <name> [users <list>]`.
fn group(st: &mut UserlistState, args: &[String], loc: &Location) -> LineResult {
    let Some(name) = args.get(1).filter(|n| !n.is_empty()) else {
        return Err(at(loc, "'group' expects <name> as arguments.".into()));
    };
    let mut users = Vec::new();
    let mut i = 2;
    while let Some(opt) = args.get(i) {
        if opt != "users" {
            return Err(at(loc, "'group' only supports 'users' option.".into()));
        }
        users.extend(split_names(args.get(i + 1).map_or("", String::as_str)));
        i += 2;
    }
    if st.list.has_group(name) {
        let msg = format!(
            "ignoring duplicated group '{name}' in userlist '{}'.",
            st.list.name
        );
        return Ok(Some(format!("config : {}", at(loc, msg))));
    }
    st.pending.extend(users.into_iter().map(|u| Membership {
        user: u,
        group: name.clone(),
    }));
    st.list.groups.push(name.clone());
    Ok(None)
}

fn split_names(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// The userlists once every line is read: memberships resolved, the
/// duplicates dropped; `errors` gets HAProxy's message for each unknown
/// user or group.
pub(super) fn resolve(states: Vec<UserlistState>, errors: &mut Vec<String>) -> Vec<Userlist> {
    let mut out = Vec::new();
    for st in states.into_iter().filter(|s| !s.dropped) {
        let mut list = st.list;
        for m in st.pending {
            let known_group = list.has_group(&m.group);
            let Some(u) = list.users.iter_mut().find(|u| u.name == m.user) else {
                errors.push(format!(
                    "userlist '{}': no such user '{}' specified in group '{}'",
                    list.name, m.user, m.group
                ));
                continue;
            };
            // A `group` line always declares its group: only a `user`
            // line can name an unknown one.
            if !known_group {
                errors.push(format!(
                    "userlist '{}': no such group '{}' specified in user '{}'",
                    list.name, m.group, m.user
                ));
                continue;
            }
            if !u.groups.contains(&m.group) {
                u.groups.push(m.group);
            }
        }
        out.push(list);
    }
    out
}

/// A userlist named by an `http_auth*` fetch of an ACL, checked once every
/// userlist is known.
#[derive(Clone, Debug)]
pub(crate) struct UserlistRef {
    list: String,
    /// The fetch keyword, the ACL's name (empty: anonymous).
    kw: String,
    acl: String,
    loc: Location,
    /// `http_auth_group` patterns: groups the userlist must have.
    groups: Vec<String>,
}

/// Notes the userlists (and groups) the `http_auth*` fetches of `exprs`
/// name, in ACL `acl`.
pub(super) fn note_refs<'a>(
    st: &mut super::keywords::ProxyState,
    acl: &str,
    exprs: impl Iterator<Item = &'a crate::rules::AclExpr>,
    loc: &Location,
) {
    use crate::rules::fetch::Fetch;
    for e in exprs {
        let Fetch::HttpAuth { list, group } = &e.expr.fetch else {
            continue;
        };
        let groups = if *group {
            let pats = e.literals().iter();
            pats.map(|p| String::from_utf8_lossy(p).into_owned())
                .collect()
        } else {
            Vec::new()
        };
        st.userlist_refs.push(UserlistRef {
            list: list.clone(),
            kw: e.expr.kw.clone(),
            acl: acl.to_string(),
            loc: loc.clone(),
            groups,
        });
    }
}

/// The userlists (and groups) named by the proxies' `http_auth*` fetches
/// must exist.
pub(super) fn check_refs(
    proxies: &[super::keywords::ProxyState],
    lists: &[Userlist],
    errors: &mut Vec<String>,
) {
    for st in proxies {
        let px = &st.cfg.name;
        for r in &st.userlist_refs {
            let Some(list) = lists.iter().find(|l| l.name == r.list) else {
                errors.push(at(
                    &r.loc,
                    format!(
                        "unable to find userlist '{}' referenced in arg 1 of ACL keyword '{}' in proxy '{px}'.",
                        r.list, r.kw
                    ),
                ));
                continue;
            };
            for g in r.groups.iter().filter(|g| !list.has_group(g)) {
                errors.push(format!(
                    "proxy {px}: acl {} {}(): invalid group '{g}'.",
                    r.acl, r.kw
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, errors, ok};
    use crate::auth::Secret;

    #[test]
    fn userlist_section() {
        let c = ok("userlist ul\n group adm users bob\n group ops\n user alice insecure-password w groups ops,adm\n user bob password $1$abc$x\n user carl\n");
        let ul = &c.userlists[0];
        assert_eq!(ul.name, "ul");
        assert_eq!(ul.groups, ["adm", "ops"]);
        let alice = ul.user(b"alice").unwrap();
        assert_eq!(alice.secret, Secret::Clear("w".into()));
        assert_eq!(alice.groups, ["ops", "adm"]);
        assert_eq!(ul.user(b"bob").unwrap().groups, ["adm"]);
        assert_eq!(
            ul.user(b"bob").unwrap().secret,
            Secret::Crypt("$1$abc$x".into())
        );
        assert_eq!(ul.user(b"carl").unwrap().secret, Secret::None);
        assert!(ul.check(b"alice", b"w") && !ul.check(b"alice", b"x") && !ul.check(b"carl", b""));
    }

    #[test]
    fn userlist_warnings() {
        let c = ok("userlist u\n user a insecure-password x\n user a insecure-password y\n group g\n group g\nuserlist u\n user b\n");
        assert_eq!(
            c.warnings,
            [
                "config : parsing [t.cfg:3]: ignoring duplicated user 'a' in userlist 'u'.",
                "config : parsing [t.cfg:5]: ignoring duplicated group 'g' in userlist 'u'.",
                "config : parsing [t.cfg:6]: ignoring duplicated userlist 'u'.",
            ]
        );
        assert_eq!(c.userlists.len(), 1);
        assert!(c.userlists[0].check(b"a", b"x"));
        assert!(c.userlists[0].user(b"b").is_none());
    }

    /// HAProxy 2.6.12's `-c` messages for the same lines.
    #[test]
    fn userlist_errors() {
        assert_eq!(
            error("userlist\n"),
            "parsing [t.cfg:1]: 'userlist' expects <name> as arguments."
        );
        assert_eq!(
            error("userlist u\n user\n"),
            "parsing [t.cfg:2]: 'user' expects <name> as arguments."
        );
        assert_eq!(
            error("userlist u\n user a foo x\n"),
            "parsing [t.cfg:2]: 'user' only supports 'password', 'insecure-password' and 'groups' options."
        );
        assert_eq!(
            error("userlist u\n group\n"),
            "parsing [t.cfg:2]: 'group' expects <name> as arguments."
        );
        assert_eq!(
            error("userlist u\n group g foo\n"),
            "parsing [t.cfg:2]: 'group' only supports 'users' option."
        );
        assert_eq!(
            error("userlist u\n frob\n"),
            "parsing [t.cfg:2]: unknown keyword 'frob' in 'users' section"
        );
        assert_eq!(
            error("userlist u\n user a insecure-password x groups nog\n"),
            "userlist 'u': no such group 'nog' specified in user 'a'"
        );
        assert_eq!(
            error("userlist u\n group g users nou\n"),
            "userlist 'u': no such user 'nou' specified in group 'g'"
        );
        assert_eq!(
            error("frontend f\n mode http\n bind :1\n http-request deny if { http_auth(nope) }\n"),
            "parsing [t.cfg:4]: unable to find userlist 'nope' referenced in arg 1 of ACL keyword 'http_auth' in proxy 'f'."
        );
        assert_eq!(
            error("userlist u\n group g1\nfrontend f\n mode http\n bind :1\n http-request deny if { http_auth_group(u) g1 g2 }\n"),
            "proxy f: acl  http_auth_group(): invalid group 'g2'."
        );
        assert_eq!(
            error("userlist u\n group g1\nfrontend f\n mode http\n bind :1\n acl ok http_auth_group(u) g1 g3\n http-request deny if ok\n"),
            "proxy f: acl ok http_auth_group(): invalid group 'g3'."
        );
        // A group may name a user declared after it; a bad hash is no error.
        let c = ok("userlist u\n group g users a\n user a password notahash groups g\n");
        assert!(!c.userlists[0].check(b"a", b"notahash"));
        assert_eq!(errors("userlist u\n user\n user a foo\n").len(), 2);
    }

    #[test]
    fn auth_action() {
        use crate::config::model_http::HttpAction;
        let c = ok("userlist u\nfrontend f\n mode http\n bind :1\n http-request auth if !{ http_auth(u) }\n http-request auth realm \"My Realm\"\n");
        let r = &c.proxy("f").unwrap().http.request;
        assert_eq!(
            r[0].action,
            HttpAction::Auth {
                realm: Some("f".into())
            }
        );
        assert!(r[0].cond.is_some());
        assert_eq!(
            r[1].action,
            HttpAction::Auth {
                realm: Some("My Realm".into())
            }
        );
        let c = ok(
            "defaults base\n mode http\n http-request auth\nfrontend myfe from base\n bind :1\n",
        );
        let r = &c.proxy("myfe").unwrap().http.request;
        assert_eq!(
            r[0].action,
            HttpAction::Auth {
                realm: Some("myfe".into())
            }
        );
        let e = error("frontend f\n mode http\n bind :1\n http-request auth realm\n");
        assert!(
            e.ends_with("while parsing 'http-request auth' rule : missing realm value.\n"),
            "{e}"
        );
        let e = error("frontend f\n mode http\n bind :1\n http-request auth foo\n");
        assert!(e.ends_with("'http-request auth' expects either 'if' or 'unless' followed by a condition but found 'foo'."), "{e}");
    }
}
