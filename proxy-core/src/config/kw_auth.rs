//! The `http-request auth [realm <realm>]` action. Its realm defaults to
//! the name of the proxy the rule is written in, as HAProxy names the
//! proxy running it (a rule of a named defaults section gets the
//! defaults' name here).

use super::keywords::ProxyState;
use super::model_http::HttpAction;

/// `auth [realm <realm>]` from `args[1]` (`args[0]` is `http-request`):
/// the action and the index of the first word after it.
pub(super) fn parse_auth(args: &[String], st: &ProxyState) -> Result<(HttpAction, usize), String> {
    if args.get(2).map(String::as_str) != Some("realm") {
        let realm = st.cfg.name.clone();
        return Ok((HttpAction::Auth { realm }, 2));
    }
    let realm = args.get(3).ok_or("missing realm value.\n")?.clone();
    Ok((HttpAction::Auth { realm }, 4))
}
