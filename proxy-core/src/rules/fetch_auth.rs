//! The authentication fetches: `http_auth(<userlist>)`,
//! `http_auth_group(<userlist>)`, `http_auth_type`, `http_auth_user` and
//! `http_auth_pass`, over the request's `Authorization` header (or
//! `Proxy-Authorization`, see [`for_proxy`]; read by
//! [`crate::auth::credentials`]) and the `userlist` sections the stream
//! can see ([`super::StreamInfo::userlist`]).
//!
//! As in HAProxy 2.6: without usable credentials every one of them gives
//! nothing; `http_auth` is a boolean (the user is known and the password
//! right), `http_auth_group` gives the user's name when they are right.
//! An ACL on `http_auth_group` matches group names: in ACL mode the fetch
//! gives the groups of the user, which the patterns then match.

use std::ops::ControlFlow;

use super::RequestView;
use crate::auth::{Credentials, Scheme};
use crate::sample::Value;

/// What `http_auth_type|user|pass` read of the credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthField {
    Type,
    User,
    Pass,
}

fn creds(view: &dyn RequestView) -> Option<Credentials> {
    crate::auth::credentials(|f| view.for_each_header(f), for_proxy(view))
}

/// Whether the request is one for a proxy under `option
/// http-use-proxy-header`: as 2.6, its target starts with neither `/` nor
/// `*` (an absolute URI, `CONNECT host:port`). Authentication then uses
/// `Proxy-Authorization` and a 407.
pub fn for_proxy(view: &dyn RequestView) -> bool {
    view.stream().is_some_and(|s| s.uses_proxy_header())
        && !matches!(view.uri().first(), Some(b'/' | b'*'))
}

/// `http_auth_type`, `http_auth_user`, `http_auth_pass`.
pub(super) fn field(view: &dyn RequestView, which: AuthField) -> Option<Value<'static>> {
    let c = creds(view)?;
    Some(match which {
        AuthField::Type => Value::str(c.scheme.name().as_bytes()),
        _ if c.scheme != Scheme::Basic => return None,
        AuthField::User => Value::owned_str(c.user),
        AuthField::Pass => Value::owned_str(c.pass),
    })
}

/// `http_auth(<list>)` (`group` false) and `http_auth_group(<list>)`:
/// calls `f` with the sample(s), none without Basic credentials.
pub(super) fn check<'v>(
    view: &'v dyn RequestView,
    list: &str,
    group: bool,
    all: bool,
    f: &mut dyn FnMut(Value<'v>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let Some(c) = creds(view).filter(|c| c.scheme == Scheme::Basic) else {
        return ControlFlow::Continue(());
    };
    let Some(ul) = view.stream().and_then(|s| s.userlist(list)) else {
        return ControlFlow::Continue(());
    };
    let ok = ul.check(&c.user, &c.pass);
    if !group {
        return f(Value::Bool(ok));
    }
    if !ok {
        return ControlFlow::Continue(());
    }
    if !all {
        return f(Value::owned_str(c.user));
    }
    let groups = ul
        .user(&c.user)
        .map(|u| u.groups.as_slice())
        .unwrap_or_default();
    for g in groups {
        f(Value::str(g.as_bytes()))?;
    }
    ControlFlow::Continue(())
}
