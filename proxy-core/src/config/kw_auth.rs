//! The `http-request auth [realm <realm>]` action. Its realm defaults to
//! the name of the proxy running the rule, as in HAProxy 2.6 (a rule of a
//! named `defaults` section gets the name of each proxy using it).

use super::keywords::ProxyState;
use super::model_http::HttpAction;

/// `auth [realm <realm>]` from `args[1]` (`args[0]` is `http-request`):
/// the action and the index of the first word after it.
pub(super) fn parse_auth(args: &[String]) -> Result<(HttpAction, usize), String> {
    if args.get(2).map(String::as_str) != Some("realm") {
        return Ok((HttpAction::Auth { realm: None }, 2));
    }
    let realm = args.get(3).ok_or("missing realm value.\n")?.clone();
    Ok((HttpAction::Auth { realm: Some(realm) }, 4))
}

/// Gives the `auth` rules without a realm their proxy's name.
pub(super) fn default_realms(proxies: &mut [ProxyState]) {
    for st in proxies {
        let name = &st.cfg.name;
        for r in &mut st.cfg.http.request {
            if let HttpAction::Auth {
                realm: realm @ None,
            } = &mut r.action
            {
                *realm = Some(name.clone());
            }
        }
    }
}
