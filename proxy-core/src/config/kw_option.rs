//! `option <name>` and `no option <name>`: a sub-table of boolean options
//! with the side of the proxy each applies to, plus the options HAProxy
//! removed (refused with its reason) and those we do not implement (refused
//! by name rather than called unknown).

use super::keywords::{suggest, Ctx, KwResult, ProxyState};
use super::kw_logformat::set_log_format;
use super::kw_option_conn as conn;
use super::kw_proxy::{check_side, Side};
use super::model_http::{ForwardFor, HttpConnMode};
use crate::rules::acl::IpNet;
use crate::rules::format::Builtin;

type OptSet = fn(&mut ProxyState, &mut Ctx<'_>, bool) -> KwResult;

/// Boolean `option`s: name, side, setter (called with `false` for `no option`).
const OPTIONS: &[(&str, Side, OptSet)] = &[
    ("redispatch", Side::Back, opt_redispatch),
    ("allbackups", Side::Back, opt_allbackups),
    ("persist", Side::Back, super::kw_cookie::opt_persist),
    ("tcplog", Side::Front, opt_tcplog),
    ("httplog", Side::Front, opt_httplog),
    ("httpslog", Side::Front, opt_httpslog),
    ("dontlognull", Side::Front, opt_dontlognull),
    ("forwardfor", Side::Both, opt_forwardfor),
    ("http-keep-alive", Side::Both, opt_conn_mode),
    ("http-server-close", Side::Both, opt_conn_mode),
    ("httpclose", Side::Both, opt_conn_mode),
    ("http_proxy", Side::Both, opt_http_proxy),
    ("http-buffer-request", Side::Both, opt_buffer_request),
    ("originalto", Side::Both, conn::opt_originalto),
    ("nolinger", Side::Both, conn::opt_nolinger),
    ("http-no-delay", Side::Both, conn::opt_http_no_delay),
    ("splice-auto", Side::Both, conn::opt_splice),
    ("splice-request", Side::Both, conn::opt_splice),
    ("splice-response", Side::Both, conn::opt_splice),
    (
        "http-pretend-keepalive",
        Side::Back,
        conn::opt_pretend_keepalive,
    ),
    ("abortonclose", Side::Back, conn::opt_abortonclose),
    ("http-ignore-probes", Side::Front, conn::opt_ignore_probes),
    (
        "http-use-proxy-header",
        Side::Front,
        conn::opt_use_proxy_header,
    ),
    (
        "accept-invalid-http-request",
        Side::Front,
        conn::opt_accept_invalid_req,
    ),
    (
        "accept-invalid-http-response",
        Side::Back,
        conn::opt_accept_invalid_res,
    ),
    // Both sides: HAProxy warns in a frontend but keeps them (see kw_check).
    ("httpchk", Side::Both, super::kw_check::opt_httpchk),
    ("tcp-check", Side::Both, super::kw_check::opt_tcp_check),
    (
        "log-health-checks",
        Side::Back,
        super::kw_check::opt_log_health_checks,
    ),
];

/// Real HAProxy options this proxy does not implement (yet): refused with a
/// clear message instead of "unknown option".
const UNSUPPORTED_OPTIONS: &[&str] = &[
    "checkcache",
    "clitcpka",
    "contstats",
    "dontlog-normal",
    "external-check",
    "h1-case-adjust-bogus-client",
    "h1-case-adjust-bogus-server",
    "http-restrict-req-hdr-names",
    "independent-streams",
    "ldap-check",
    "log-separate-errors",
    "logasap",
    "mysql-check",
    "pgsql-check",
    "prefer-last-server",
    "redis-check",
    "smtpchk",
    "socket-stats",
    "spop-check",
    "srvtcpka",
    "ssl-hello-chk",
    "tcp-smart-accept",
    "tcp-smart-connect",
    "tcpka",
    "transparent",
];

/// Options removed from HAProxy, with the reason it gives. (`http_proxy`,
/// removed in 2.5, is supported here: see `opt_http_proxy`.)
const REMOVED_OPTIONS: &[(&str, &str)] = &[
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
        if matches!(name, "tcplog" | "httplog" | "httpslog") {
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

fn opt_allbackups(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    ctx.max_args(1)?;
    st.cfg.allbackups = on;
    Ok(())
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
        set_log_format(st, ctx, Builtin::Tcp.text(), Some(Builtin::Tcp));
    } else if st.cfg.log_format.as_ref().and_then(|l| l.builtin) == Some(Builtin::Tcp) {
        st.cfg.log_format = None;
    }
    Ok(())
}

/// `option httplog [clf]`.
fn opt_httplog(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    let builtin = match ctx.arg(2) {
        Some("clf") => {
            ctx.max_args(2)?;
            Builtin::Clf
        }
        Some(_) => return Err("keyword 'httplog' only supports option 'clf'.".into()),
        None => Builtin::Http,
    };
    st.cfg.httplog = on;
    if on {
        st.cfg.tcplog = false;
        st.httplog_loc = Some(ctx.loc.clone());
        set_log_format(st, ctx, builtin.text(), Some(builtin));
    } else if matches!(
        st.cfg.log_format.as_ref().and_then(|l| l.builtin),
        Some(Builtin::Http | Builtin::Clf | Builtin::Https)
    ) {
        st.cfg.log_format = None;
    }
    Ok(())
}

/// `option httpslog`: HAProxy 2.6 ignores words after it and has no
/// negation.
fn opt_httpslog(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    if !on {
        return Err("negation/default is not supported for option 'httpslog'.".into());
    }
    st.cfg.httplog = true;
    st.cfg.tcplog = false;
    st.httplog_loc = Some(ctx.loc.clone());
    set_log_format(st, ctx, Builtin::Https.text(), Some(Builtin::Https));
    Ok(())
}

fn opt_dontlognull(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    no_more_args(ctx)?;
    st.cfg.dontlognull = on;
    Ok(())
}

/// `option forwardfor [except <network>] [header <name>] [if-none]`.
fn opt_forwardfor(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    if !on {
        return Err("negation/default is not supported for option 'forwardfor'.".into());
    }
    let mut ff = ForwardFor {
        except: None,
        header: "X-Forwarded-For".into(),
        if_none: false,
    };
    let mut i = 2;
    while let Some(w) = ctx.arg(i) {
        match w {
            "except" => {
                ff.except = Some(ctx.arg(i + 1).and_then(IpNet::parse).ok_or(
                    "'option forwardfor except' expects <address>[/mask] as argument.",
                )?);
                i += 2;
            }
            "header" => {
                let h = ctx
                    .arg(i + 1)
                    .filter(|h| !h.is_empty())
                    .ok_or("'option forwardfor header' expects <header_name> as argument.")?;
                ff.header = h.to_string();
                i += 2;
            }
            "if-none" => {
                ff.if_none = true;
                i += 1;
            }
            _ => {
                return Err("'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.".into())
            }
        }
    }
    st.cfg.http.forwardfor = Some(ff);
    Ok(())
}

/// `option http-keep-alive|http-server-close|httpclose`: the last one
/// wins; `no option X` goes back to keep-alive when X was in force.
fn opt_conn_mode(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    no_more_args(ctx)?;
    let mode = match ctx.arg(1) {
        Some("http-server-close") => HttpConnMode::ServerClose,
        Some("httpclose") => HttpConnMode::Close,
        _ => HttpConnMode::KeepAlive,
    };
    let cur = &mut st.cfg.http.conn_mode;
    if on {
        *cur = mode;
    } else if *cur == mode {
        *cur = HttpConnMode::KeepAlive;
    }
    Ok(())
}

/// `option http_proxy`: HAProxy 2.5 removed it, we keep it (forward to
/// the host and port of an absolute request URI).
fn opt_http_proxy(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    no_more_args(ctx)?;
    st.cfg.http.http_proxy = on;
    Ok(())
}

fn opt_buffer_request(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    no_more_args(ctx)?;
    st.cfg.http.buffer_request = on;
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
        assert!(error("defaults\n option tcpka\n")
            .contains("'option tcpka' is not supported by this proxy."));
        assert!(error("defaults\n option forceclose\n")
            .contains("option 'forceclose' is not supported any more since HAProxy 2.0"));
        assert!(error("defaults\n no option foo\n")
            .contains("negation/default is not supported for option 'foo'."));
        assert!(error("defaults\n option\n").contains("'option' expects an option name."));
        assert!(error("defaults\n option tcplog x\n")
            .contains("'option tcplog' cannot handle unexpected argument 'x'."));
        assert!(error("defaults\n option httplog clff\n")
            .contains("keyword 'httplog' only supports option 'clf'."));
        assert!(error("defaults\n option redispatch x\n")
            .contains("'option redispatch' expects an integer"));
    }

    #[test]
    fn http_options() {
        use crate::config::model_http::HttpConnMode;
        use crate::rules::acl::IpNet;
        let c = ok("
defaults
    mode http
    option forwardfor
    option http-server-close
frontend f
    bind :1
    option forwardfor except 127.0.0.0/8 header X-Client if-none
    option httpclose
backend b
    no option http-server-close
    option http_proxy
backend c
    option http-keep-alive
    no option httpclose
");
        let f = &c.proxy("f").unwrap().http;
        let ff = f.forwardfor.as_ref().unwrap();
        assert_eq!(ff.except, IpNet::parse("127.0.0.0/8"));
        assert_eq!((ff.header.as_str(), ff.if_none), ("X-Client", true));
        assert_eq!(f.conn_mode, HttpConnMode::Close);
        let b = &c.proxy("b").unwrap().http;
        assert_eq!(b.forwardfor.as_ref().unwrap().header, "X-Forwarded-For");
        assert_eq!((b.conn_mode, b.http_proxy), (HttpConnMode::KeepAlive, true));
        assert_eq!(
            c.proxy("c").unwrap().http.conn_mode,
            HttpConnMode::KeepAlive
        );
        let e = |l: &str| error(&format!("defaults\n {l}\n"));
        assert!(e("option forwardfor except")
            .ends_with("'option forwardfor except' expects <address>[/mask] as argument."));
        assert!(e("option forwardfor except foo").contains("expects <address>[/mask]"));
        assert!(e("option forwardfor header")
            .ends_with("'option forwardfor header' expects <header_name> as argument."));
        assert!(e("option forwardfor bar").ends_with(
            "'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'."
        ));
        assert!(e("no option forwardfor")
            .ends_with("negation/default is not supported for option 'forwardfor'."));
        assert!(e("option http-keep-alive x")
            .ends_with("'option http-keep-alive' cannot handle unexpected argument 'x'."));
        assert!(e("option http_proxy x").contains("cannot handle unexpected argument 'x'"));
    }
}
