//! `option <name>` and `no option <name>`: a sub-table of boolean options
//! with the side of the proxy each applies to, plus the options HAProxy
//! removed (refused with its reason) and those we do not implement (refused
//! by name rather than called unknown).

use super::keywords::{suggest, Ctx, KwResult, ProxyState};
use super::kw_proxy::{check_side, Side};

type OptSet = fn(&mut ProxyState, &mut Ctx<'_>, bool) -> KwResult;

/// Boolean `option`s: name, side, setter (called with `false` for `no option`).
const OPTIONS: &[(&str, Side, OptSet)] = &[
    ("redispatch", Side::Back, opt_redispatch),
    ("tcplog", Side::Front, opt_tcplog),
    ("httplog", Side::Front, opt_httplog),
    ("dontlognull", Side::Front, opt_dontlognull),
];

/// Real HAProxy options this proxy does not implement (yet): refused with a
/// clear message instead of "unknown option".
const UNSUPPORTED_OPTIONS: &[&str] = &[
    "abortonclose",
    "accept-invalid-http-request",
    "accept-invalid-http-response",
    "allbackups",
    "checkcache",
    "clitcpka",
    "contstats",
    "dontlog-normal",
    "external-check",
    "forwardfor",
    "h1-case-adjust-bogus-client",
    "h1-case-adjust-bogus-server",
    "http-buffer-request",
    "http-ignore-probes",
    "http-keep-alive",
    "http-no-delay",
    "http-pretend-keepalive",
    "http-restrict-req-hdr-names",
    "http-server-close",
    "http-use-proxy-header",
    "httpchk",
    "httpclose",
    "independent-streams",
    "ldap-check",
    "log-health-checks",
    "log-separate-errors",
    "logasap",
    "mysql-check",
    "nolinger",
    "originalto",
    "persist",
    "pgsql-check",
    "prefer-last-server",
    "redis-check",
    "smtpchk",
    "socket-stats",
    "splice-auto",
    "splice-request",
    "splice-response",
    "spop-check",
    "srvtcpka",
    "ssl-hello-chk",
    "tcp-check",
    "tcp-smart-accept",
    "tcp-smart-connect",
    "tcpka",
    "transparent",
];

/// Options removed from HAProxy, with the reason it gives.
const REMOVED_OPTIONS: &[(&str, &str)] = &[
    (
        "http_proxy",
        "option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in \
         HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with \
         combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request \
         do-resolve' if DNS resolution is desired.",
    ),
    (
        "forceclose",
        "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use \
         'option httpclose' if absolutely needed.",
    ),
    (
        "http-tunnel",
        "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it \
         shouldn't be needed.",
    ),
];

/// `option <name> [args]` and `no option <name>`.
pub(super) fn option(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let name = ctx.arg(1).ok_or("'option' expects an option name.")?;
    if let Some((_, why)) = REMOVED_OPTIONS.iter().find(|(n, _)| *n == name) {
        return Err((*why).to_string());
    }
    let Some(&(_, side, set)) = OPTIONS.iter().find(|(n, _, _)| *n == name) else {
        if ctx.negate {
            return Err(format!(
                "negation/default is not supported for option '{name}'."
            ));
        }
        if UNSUPPORTED_OPTIONS.contains(&name) {
            return Err(format!("'option {name}' is not supported by this proxy."));
        }
        let hint = suggest(name, OPTIONS.iter().map(|(n, _, _)| *n))
            .map(|s| format!(" Did you mean 'option {s}' maybe ?"))
            .unwrap_or_default();
        return Err(format!("unknown option '{name}'.{hint}"));
    };
    if let Err(phrase) = check_side(st, side) {
        if name == "tcplog" || name == "httplog" {
            ctx.warn(format!(
                "backend '{}' : 'option {name}' directive is ignored in backends.",
                st.cfg.name
            ));
        } else {
            ctx.warn(format!("'{name}' ignored because {phrase}."));
        }
        return Ok(());
    }
    set(st, ctx, !ctx.negate)
}

fn opt_redispatch(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    ctx.max_args(2)?;
    // `option redispatch <interval>`: 0 disables; any other value enables
    // (we redispatch on the last retry whatever the interval).
    let interval: i64 = match ctx.arg(2) {
        Some(_) => ctx
            .int_arg(2)
            .map_err(|_| "'option redispatch' expects an integer argument.".to_string())?,
        None => -1,
    };
    st.cfg.redispatch = on && interval != 0;
    Ok(())
}

fn opt_tcplog(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    no_more_args(ctx)?;
    st.cfg.tcplog = on;
    if on {
        st.cfg.httplog = false;
    }
    Ok(())
}

fn opt_httplog(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    if ctx.arg(2) == Some("clf") {
        return Err("'option httplog clf' is not supported by this proxy.".into());
    }
    no_more_args(ctx)?;
    st.cfg.httplog = on;
    if on {
        st.cfg.tcplog = false;
        st.httplog_loc = Some(ctx.loc.clone());
    }
    Ok(())
}

fn opt_dontlognull(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    no_more_args(ctx)?;
    st.cfg.dontlognull = on;
    Ok(())
}

fn no_more_args(ctx: &Ctx<'_>) -> KwResult {
    match (ctx.arg(1), ctx.arg(2)) {
        (Some(name), Some(extra)) => Err(format!(
            "'option {name}' cannot handle unexpected argument '{extra}'."
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};

    #[test]
    fn options_and_negation() {
        let c = ok("
defaults
    option redispatch
    option tcplog
    option dontlognull
frontend f
    bind :1
    no option dontlognull
    option httplog
    mode http
    log stdout local0
backend b
    no option redispatch
backend c
    option redispatch 0
backend d
    option redispatch 3
");
        let f = c.proxy("f").unwrap();
        assert_eq!((f.tcplog, f.httplog, f.dontlognull), (false, true, false));
        assert!(!c.proxy("b").unwrap().redispatch);
        assert!(!c.proxy("c").unwrap().redispatch);
        assert!(c.proxy("d").unwrap().redispatch);
        let c = ok("backend b\n option tcplog\n option dontlognull\n");
        assert_eq!(c.warnings[0], "config : parsing [t.cfg:2] : backend 'b' : 'option tcplog' directive is ignored in backends.");
        assert_eq!(c.warnings[1], "config : parsing [t.cfg:3] : 'dontlognull' ignored because backend 'b' has no frontend capability.");
    }

    #[test]
    fn option_errors() {
        assert_eq!(
            error("defaults\n option foo\n"),
            "parsing [t.cfg:2] : unknown option 'foo'."
        );
        assert!(error("defaults\n option tcplgo\n")
            .contains("unknown option 'tcplgo'. Did you mean 'option tcplog' maybe ?"));
        assert!(error("defaults\n option forwardfor\n")
            .contains("'option forwardfor' is not supported by this proxy."));
        assert!(error("defaults\n option http_proxy\n")
            .contains("option 'http_proxy' is not supported any more since HAProxy 2.5."));
        assert!(error("defaults\n no option foo\n")
            .contains("negation/default is not supported for option 'foo'."));
        assert!(error("defaults\n option\n").contains("'option' expects an option name."));
        assert!(error("defaults\n option tcplog x\n")
            .contains("'option tcplog' cannot handle unexpected argument 'x'."));
        assert!(error("defaults\n option httplog clf\n")
            .contains("'option httplog clf' is not supported"));
        assert!(error("defaults\n option redispatch x\n")
            .contains("'option redispatch' expects an integer"));
    }
}
