//! What can only be decided once every file is read: ids, `log global`,
//! inherited limits, and the consistency checks `haproxy -c` makes after
//! parsing (backend references, modes, missing `bind` or timeouts).
//!
//! Choices where HAProxy depends on its runtime environment:
//! - proxy ids follow declaration order starting at 1 (HAProxy may give its
//!   internal proxies the first numbers); explicit `id`s are kept and the
//!   others take the next free numbers. Server ids work the same way inside
//!   their backend, so without `id` they are the 1-based positions;
//! - a frontend or listen without `maxconn` takes the global `maxconn`
//!   (HAProxy computes one from `ulimit -n` when that is unset too; we leave
//!   it `None` then and the runtime decides);
//! - a frontend or listen without `bind` gets a warning, not an error:
//!   `haproxy -c` 2.6.12 only warns (and the proxy never accepts anything);
//! - a frontend whose mode differs from the backend it routes to is an
//!   error in both directions (HAProxy 2.6 accepts a TCP frontend feeding an
//!   HTTP backend by upgrading the stream, which the runtime does not do).

use super::keywords::{type_str, LogItem, ProxyState};
use super::model::{Config, Global, Location, Mode, ProxyConfig};
use super::model_stick::PeersConfig;
use super::parser::ConfigError;

fn error(errors: &mut Vec<ConfigError>, loc: &Location, msg: String) {
    errors.push(ConfigError {
        loc: Some(loc.clone()),
        msg,
    });
}

/// Gives every entry without an explicit id (0) the next free number.
fn fill_ids(ids: Vec<&mut u32>) {
    let mut used: Vec<u32> = ids.iter().map(|i| **i).filter(|&i| i != 0).collect();
    used.sort_unstable();
    let mut next = 1;
    for id in ids.into_iter().filter(|i| **i == 0) {
        while used.binary_search(&next).is_ok() {
            next += 1;
        }
        *id = next;
        next += 1;
    }
}

fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Tcp => "tcp",
        Mode::Http => "http",
    }
}

/// Checks that `px` may route to `target` through `rule`.
fn check_route(px: &ProxyConfig, all: &[ProxyConfig], target: &str, rule: &str) -> Option<String> {
    // A log-format name (`%[req.hdr(host)]`) is only known per request.
    if target.contains("%[") {
        return None;
    }
    let Some(be) = all
        .iter()
        .find(|p| p.kind.has_backend() && p.name == target)
    else {
        return Some(format!(
            "Proxy '{}': unable to find required {rule}: '{target}'.",
            px.name
        ));
    };
    if std::ptr::eq(be, px) {
        return Some(format!(
            "Proxy '{}': loop detected for {rule}: '{target}'.",
            px.name
        ));
    }
    if be.mode != px.mode {
        let how = if rule == "use_backend" {
            "in a 'use_backend' rule"
        } else {
            "as its default backend"
        };
        return Some(format!(
            "{} {} '{}' ({}) tries to use incompatible {} {} '{}' ({}) {how} (see 'mode').",
            mode_str(px.mode),
            type_str(px.kind),
            px.name,
            px.loc,
            mode_str(be.mode),
            type_str(be.kind),
            be.name,
            be.loc
        ));
    }
    None
}

fn missing_timeouts(px: &ProxyConfig) -> bool {
    let t = &px.timeouts;
    // HAProxy only worries about the server side when there are servers.
    (px.kind.has_frontend() && t.client.is_none())
        || (px.kind.has_backend()
            && !px.servers.is_empty()
            && (t.connect.is_none() || t.server.is_none()))
}

/// A TCP proxy ignores its HTTP settings, with HAProxy's warnings.
fn http_only(cfg: &mut ProxyConfig, warnings: &mut Vec<String>) {
    let who = format!("{} '{}'", type_str(cfg.kind), cfg.name);
    let http = &mut cfg.http;
    if cfg.kind.has_frontend() && http.monitor_uri.take().is_some() {
        warnings.push(format!(
            "config : monitor-uri will be ignored for {who} (needs 'mode http')."
        ));
    }
    let mut rules = |name: &str, empty: bool| {
        if !empty {
            warnings.push(format!(
                "config : '{name}' rules ignored for {who} as they require HTTP mode."
            ));
        }
    };
    rules("http-request", http.request.is_empty());
    rules("http-response", http.response.is_empty());
    rules("http-after-response", http.after.is_empty());
    rules("redirect", http.redirects.is_empty());
    http.request.clear();
    http.response.clear();
    http.after.clear();
    http.redirects.clear();
    if http.forwardfor.take().is_some() {
        warnings.push(format!(
            "config : 'option forwardfor' ignored for {who} as it requires HTTP mode."
        ));
    }
    use super::model::Balance;
    if matches!(cfg.balance, Balance::Uri | Balance::UrlParam | Balance::Hdr) {
        cfg.balance = Balance::RoundRobin;
        warnings.push(format!(
            "config : Layer 7 hash not possible for {who} (needs 'mode http'). Falling back to round robin."
        ));
    }
    let opts = &mut cfg.options;
    for (name, set) in [
        ("originalto", opts.originalto.take().is_some()),
        ("http-no-delay", std::mem::take(&mut opts.http_no_delay)),
    ] {
        if set {
            warnings.push(format!(
                "config : 'option {name}' ignored for {who} as it requires HTTP mode."
            ));
        }
    }
}

/// Turns the parsed sections into the final [`Config`], recording what is
/// wrong in `errors` and `warnings`.
pub(super) fn finalize(
    mut global: Global,
    mut states: Vec<ProxyState>,
    peers: Vec<PeersConfig>,
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<String>,
) -> Config {
    // HAProxy keeps at least half of each buffer for data.
    global.maxrewrite = global.maxrewrite.min(global.bufsize / 2);
    check_proxy_ids(&states, errors);
    fill_ids(states.iter_mut().map(|s| &mut s.cfg.id).collect());
    for st in &mut states {
        inherit(st, &global);
    }
    // The checks read every proxy as parsed, while each one's own settings
    // may be adjusted (TCP fallbacks).
    let all: Vec<ProxyConfig> = states.iter().map(|s| s.cfg.clone()).collect();
    let mut report = Report { errors, warnings };
    for (st, px) in states.iter_mut().zip(&all) {
        check_proxy(st, px, &all, &mut report);
    }
    let tables = super::kw_stick::finalize(&mut states, &peers, errors);
    let tls = crate::tls::store::CertStore::default();
    for st in &mut states {
        super::checks_tls::build_bind_tls(&mut st.cfg, &global, &tls, errors, warnings);
        super::kw_server_tls::build_server_tls(&mut st.cfg, &global, errors, warnings);
    }
    Config {
        global,
        proxies: states.into_iter().map(|s| s.cfg).collect(),
        warnings: Vec::new(),
        notices: Vec::new(),
        tables,
        peers,
        patterns: Default::default(),
        tls: std::sync::Arc::new(tls),
        userlists: Vec::new(),
    }
}

/// Where the checks record what they find.
struct Report<'a> {
    errors: &'a mut Vec<ConfigError>,
    warnings: &'a mut Vec<String>,
}

/// Two proxies with the same explicit id: an error at the later one.
fn check_proxy_ids(states: &[ProxyState], errors: &mut Vec<ConfigError>) {
    for (i, st) in states.iter().enumerate() {
        let Some(id_loc) = &st.id_loc else { continue };
        if let Some(first) = states[..i].iter().find(|o| o.cfg.id == st.cfg.id) {
            let msg = format!(
                "{} {} reuses same custom id as {} {} (declared at {}).",
                type_str(st.cfg.kind),
                st.cfg.name,
                type_str(first.cfg.kind),
                first.cfg.name,
                first.cfg.loc
            );
            error(errors, id_loc, msg);
        }
    }
}

/// Server ids, and what a proxy takes from `global`: `log global` targets
/// and a frontend's default `maxconn`.
fn inherit(st: &mut ProxyState, global: &Global) {
    let cfg = &mut st.cfg;
    fill_ids(cfg.servers.iter_mut().map(|s| &mut s.id).collect());
    cfg.logs = st
        .logs
        .iter()
        .flat_map(|l| match l {
            LogItem::Global => global.logs.clone(),
            LogItem::Target(t) => vec![t.clone()],
        })
        .collect();
    if cfg.kind.has_frontend() && cfg.maxconn.is_none() {
        cfg.maxconn = global.maxconn;
    }
}

/// The checks of one proxy; `px` is its configuration as parsed, `all`
/// every proxy's.
fn check_proxy(
    st: &mut ProxyState,
    px: &ProxyConfig,
    all: &[ProxyConfig],
    report: &mut Report<'_>,
) {
    if px.kind.has_frontend() {
        check_bind(px, report.warnings);
        check_routes(st, px, all, report.errors);
    }
    super::kw_logformat::check(
        &mut st.cfg,
        type_str(px.kind),
        report.errors,
        report.warnings,
    );
    check_nbsrv_refs(st, px, all, report.errors);
    super::kw_capture_rule::check_ids(px, report.errors);
    for (loc, msg) in super::kw_server_check::check_tracks(px, all) {
        error(report.errors, &loc, msg);
    }
    super::kw_check::finalize(st, report.warnings);
    super::kw_cookie::finalize(&mut st.cfg, report.warnings);
    if px.mode == Mode::Tcp {
        http_only(&mut st.cfg, report.warnings);
    } else if let Some(r) = px.tcp_res.rules.first().filter(|_| px.kind.has_backend()) {
        // Only TCP-mode streams run them (see crate::tcp_response).
        let msg = "'tcp-response content' in an HTTP-mode backend is not supported by this proxy.";
        error(report.errors, &r.loc, msg.to_string());
    }
    if missing_timeouts(px) {
        report.warnings.push(format!(
            "config : missing timeouts for {} '{}'.\n   \
             | While not properly invalid, you will certainly encounter various problems\n   \
             | with such a configuration. To fix this, please ensure that all following\n   \
             | timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
            type_str(px.kind),
            px.name
        ));
    }
    // The log settings after the `httplog` fallback, the targets as parsed.
    let formats = st.cfg.log_format.is_some() || st.cfg.log_format_sd.is_some();
    if px.kind.has_frontend() && formats && px.logs.is_empty() {
        report.warnings.push(format!(
            "config : log format ignored for {} '{}' since it has no log address.",
            type_str(px.kind),
            px.name
        ));
    }
}

/// A frontend without `bind` only gets a warning.
fn check_bind(px: &ProxyConfig, warnings: &mut Vec<String>) {
    if px.binds.is_empty() {
        warnings.push(format!(
            "config : {} '{}' has no 'bind' directive. Please declare it as a backend if this was intended.",
            type_str(px.kind),
            px.name
        ));
    }
}

/// The backends of `default_backend` and `use_backend` must exist, differ
/// from the proxy and share its mode.
fn check_routes(
    st: &ProxyState,
    px: &ProxyConfig,
    all: &[ProxyConfig],
    errors: &mut Vec<ConfigError>,
) {
    // Errors point at the rule's own line when it is known (a
    // default_backend inherited from defaults points at the proxy).
    let dloc = st
        .default_backend_loc
        .clone()
        .unwrap_or_else(|| px.loc.clone());
    let routes = px
        .default_backend
        .iter()
        .map(|b| (b.as_str(), "default_backend", dloc.clone()));
    let routes = routes.chain(
        px.use_backends
            .iter()
            .map(|u| (u.backend.as_str(), "use_backend", u.loc.clone())),
    );
    for (target, rule, loc) in routes {
        if let Some(msg) = check_route(px, all, target, rule) {
            error(errors, &loc, msg);
        }
    }
}

/// The backends named by `nbsrv(<backend>)` in ACLs must exist.
fn check_nbsrv_refs(
    st: &ProxyState,
    px: &ProxyConfig,
    all: &[ProxyConfig],
    errors: &mut Vec<ConfigError>,
) {
    for (b, loc) in &st.nbsrv_refs {
        if !all.iter().any(|p| p.kind.has_backend() && p.name == *b) {
            let msg = format!(
                "unable to find backend '{b}' referenced in arg 1 of ACL keyword 'nbsrv' in proxy '{}'.",
                px.name
            );
            error(errors, loc, msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, errors, ok};

    const TIMEOUTS_HELP: &str =
        "\n   | While not properly invalid, you will certainly encounter various problems\n   \
        | with such a configuration. To fix this, please ensure that all following\n   \
        | timeouts are set to a non-zero value: 'client', 'connect', 'server'.";

    #[test]
    fn ids() {
        let c = ok("
backend a
    server s1 127.0.0.1 id 1
    server s2 127.0.0.1
    server s3 127.0.0.1 id 2
    server s4 127.0.0.1
backend b
    id 1
backend c
");
        let ids: Vec<u32> = c.proxies.iter().map(|p| p.id).collect();
        assert_eq!(ids, [2, 1, 3]);
        let sids: Vec<u32> = c.proxies[0].servers.iter().map(|s| s.id).collect();
        assert_eq!(sids, [1, 3, 2, 4]);
        assert_eq!(
            error("backend be\n id 5\nbackend be2\n id 5\n"),
            "parsing [t.cfg:4] : backend be2 reuses same custom id as backend be (declared at t.cfg:1)."
        );
    }

    #[test]
    fn global_maxconn_and_maxrewrite() {
        let c = ok("global\n maxconn 100\n tune.bufsize 1024\n tune.maxrewrite 1000\nfrontend f\n bind :1\nfrontend g\n bind :2\n maxconn 5\nbackend b\n");
        assert_eq!(c.proxy("f").unwrap().maxconn, Some(100));
        assert_eq!(c.proxy("g").unwrap().maxconn, Some(5));
        assert_eq!(c.proxy("b").unwrap().maxconn, None);
        assert_eq!(c.global.maxrewrite, 512);
        assert_eq!(ok("frontend f\n bind :1\n").proxies[0].maxconn, None);
    }

    #[test]
    fn backend_references() {
        let e = errors("frontend fe\n bind :1\n default_backend nope\n use_backend fe\n use_backend %[req.hdr(host)]\n");
        assert_eq!(
            e[0],
            "parsing [t.cfg:3] : Proxy 'fe': unable to find required default_backend: 'nope'."
        );
        assert_eq!(
            e[1],
            "parsing [t.cfg:4] : Proxy 'fe': unable to find required use_backend: 'fe'."
        );
        assert_eq!(e.len(), 2);
        assert_eq!(
            error("listen li\n bind :1\n default_backend li\n"),
            "parsing [t.cfg:3] : Proxy 'li': loop detected for default_backend: 'li'."
        );
        assert_eq!(
            error("frontend fe\n mode http\n bind :1\n use_backend be if TRUE\nbackend be\n server s 127.0.0.1\n"),
            "parsing [t.cfg:4] : http frontend 'fe' (t.cfg:1) tries to use incompatible tcp backend 'be' (t.cfg:5) \
             in a 'use_backend' rule (see 'mode')."
        );
        assert!(error("frontend fe\n bind :1\n default_backend be\nbackend be\n mode http\n")
            .contains("tcp frontend 'fe' (t.cfg:1) tries to use incompatible http backend 'be' (t.cfg:4) as its default backend"));
        // A listen section is a valid target.
        ok("frontend fe\n bind :1\n default_backend li\nlisten li\n bind :2\n");
    }

    #[test]
    fn warnings() {
        let c = ok("
frontend nobind
    timeout client 1s
backend noservers
backend be
    server s 127.0.0.1
listen li
    bind :1
    option httplog
");
        assert_eq!(
            c.warnings,
            [
                "config : frontend 'nobind' has no 'bind' directive. Please declare it as a backend if this was intended."
                    .to_string(),
                format!("config : missing timeouts for backend 'be'.{TIMEOUTS_HELP}"),
                "config : parsing [t.cfg:9] : 'option httplog' not usable with proxy 'li' (needs 'mode http'). \
                 Falling back to 'option tcplog'."
                    .to_string(),
                format!("config : missing timeouts for proxy 'li'.{TIMEOUTS_HELP}"),
                "config : log format ignored for proxy 'li' since it has no log address.".to_string(),
            ]
        );
        let li = c.proxy("li").unwrap();
        assert!(li.tcplog && !li.httplog);
        let c = ok("frontend f\n bind :1\n");
        assert_eq!(
            c.warnings,
            [format!(
                "config : missing timeouts for frontend 'f'.{TIMEOUTS_HELP}"
            )]
        );
    }

    #[test]
    fn nbsrv_references() {
        let fe = |l: &str| {
            format!("defaults d\n mode http\nfrontend f\n bind :1\n{l}\n default_backend b\nbackend b\nbackend c\n")
        };
        let c = ok(&fe(
            " acl dead nbsrv(b) lt 1\n http-request return status 503 if dead || { nbsrv(c) 0 }",
        ));
        assert!(c.proxy("f").unwrap().http.request[0].cond.is_some());
        assert_eq!(
            error(&fe(" acl j nbsrv(zz) 1")),
            "parsing [t.cfg:5] : unable to find backend 'zz' referenced in arg 1 of ACL keyword 'nbsrv' in proxy 'f'."
        );
        assert_eq!(
            error(&fe(" acl h nbsrv ge 1")),
            "parsing [t.cfg:5] : proxy 'f', referenced in arg 1 of ACL keyword 'nbsrv' in proxy 'f', has not backend capability."
        );
        ok("listen l\n mode http\n bind :1\n acl h nbsrv ge 1\n");
        let e = errors(&fe(
            " http-request deny if { nbsrv(x) 0 }\n http-request deny if { nbsrv(y) 0 }",
        ));
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn tcp_mode_ignores_http_settings() {
        let c = ok("listen l\n bind :1\n http-request deny\n http-response deny\n redirect location /x\n monitor-uri /m\n option forwardfor\n acl p path /p\n use_backend l2 if p\nlisten l2\n bind :2\n");
        let who = "proxy 'l'";
        for w in [
            format!("config : monitor-uri will be ignored for {who} (needs 'mode http')."),
            format!("config : 'http-request' rules ignored for {who} as they require HTTP mode."),
            format!("config : 'http-response' rules ignored for {who} as they require HTTP mode."),
            format!("config : 'redirect' rules ignored for {who} as they require HTTP mode."),
            format!("config : 'option forwardfor' ignored for {who} as it requires HTTP mode."),
        ] {
            assert!(c.warnings.contains(&w), "{w}\n{:?}", c.warnings);
        }
        let h = &c.proxy("l").unwrap().http;
        assert!(h.request.is_empty() && h.response.is_empty() && h.redirects.is_empty());
        assert!(h.monitor_uri.is_none() && h.forwardfor.is_none());
        // Conditions still work in TCP mode (use_backend).
        assert!(c.proxy("l").unwrap().use_backends[0].cond.is_some());
    }
}
