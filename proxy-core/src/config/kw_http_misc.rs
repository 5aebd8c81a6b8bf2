//! HTTP settings keywords: `errorfile`, `http-reuse`, `monitor-uri` and
//! `capture` (rows in [`super::keywords::KEYWORDS`]).

use super::keywords::{Ctx, KwResult, ProxyState, SectionKind};
use super::kw_acl::{parse_cond, RuleSet};
use super::kw_reply::{check_raw_response, read_file};
use super::model_http::{Capture, HttpReuse};

/// The status codes `errorfile` accepts in HAProxy 2.6.
pub const ERRORFILE_CODES: &[u16] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 425, 429, 500, 501, 502, 503, 504,
];

/// `errorfile <code> <file>`: the file is read and checked now.
pub(super) fn errorfile(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let (Some(code), Some(path)) = (ctx.arg(1), ctx.arg(2)) else {
        return Err("errorfile : expects <status_code> and <file> as arguments.".into());
    };
    let status = code.parse::<u16>().unwrap_or(0);
    if !ERRORFILE_CODES.contains(&status) {
        return Err(format!("errorfile : status code '{status}' not handled."));
    }
    ctx.max_args(2)?;
    let raw = read_file(path).map_err(|e| format!("errorfile : {e}"))?;
    check_raw_response(&raw).map_err(|e| format!("errorfile : '{path}': {e}"))?;
    let raw = super::errorpage::normalize(&raw).into();
    st.cfg.http.errorfiles.insert(status, raw);
    super::kw_errors::set_directly(st, status);
    Ok(())
}

/// `http-reuse never|safe|aggressive|always`.
pub(super) fn http_reuse(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    st.cfg.http.reuse = match ctx.arg(1).unwrap_or("") {
        "never" => HttpReuse::Never,
        "safe" => HttpReuse::Safe,
        "aggressive" => HttpReuse::Aggressive,
        "always" => HttpReuse::Always,
        _ => {
            return Err(
                "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.".into(),
            )
        }
    };
    ctx.max_args(1)
}

/// `monitor-uri <uri>`.
pub(super) fn monitor_uri(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let uri = ctx
        .arg(1)
        .filter(|u| !u.is_empty())
        .ok_or("'monitor-uri' expects an URI.")?;
    ctx.max_args(1)?;
    st.cfg.http.monitor_uri = Some(uri.to_string());
    Ok(())
}

/// `capture request|response header <name> len <n>`.
pub(super) fn capture(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let dir = match ctx.arg(1) {
        Some("cookie") => return super::kw_cookie::capture_cookie(st, ctx),
        Some(d @ ("request" | "response")) => d,
        _ => {
            return Err(
                "'capture' expects 'cookie' or 'request header' or 'response header'.".into(),
            )
        }
    };
    if st.section == SectionKind::Defaults {
        return Err(format!(
            "'capture {dir}' not allowed in 'defaults' section."
        ));
    }
    let usage = || format!("'capture {dir}' expects 'header' <header_name> 'len' <len>.");
    let (Some("header"), Some(name), Some("len"), Some(len)) =
        (ctx.arg(2), ctx.arg(3), ctx.arg(4), ctx.arg(5))
    else {
        return Err(usage());
    };
    if let Some(extra) = ctx.arg(6) {
        return Err(format!(
            "'capture {dir}' cannot handle unexpected argument '{extra}'."
        ));
    }
    let len = len.parse::<usize>().map_err(|_| {
        format!("'capture {dir}' : 'len' expects a positive integer (got '{len}').")
    })?;
    let cap = Capture {
        name: name.to_string(),
        len,
    };
    if dir == "request" {
        st.cfg.http.capture_request.push(cap);
    } else {
        st.cfg.http.capture_response.push(cap);
    }
    Ok(())
}

/// `stats enable|uri|realm|auth|refresh|admin|hide-version|show-legends|
/// scope|show-node|show-desc|disable`: the HTTP stats page. Any of them
/// but `disable` enables the page (as in HAProxy).
pub(super) fn stats(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let sub = ctx.arg(1).unwrap_or("").to_string();
    if sub == "disable" {
        ctx.max_args(1)?;
        st.cfg.http.stats = None;
        return Ok(());
    }
    let mut cfg = st.cfg.http.stats.clone().unwrap_or_default();
    let text = |ctx: &Ctx<'_>, what: &str| -> Result<String, String> {
        ctx.arg(2)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("'stats {sub}' requires {what}."))
    };
    match sub.as_str() {
        "enable" => ctx.max_args(1)?,
        "uri" => {
            ctx.max_args(2)?;
            cfg.uri = text(ctx, "an URI prefix")?;
        }
        "realm" => {
            ctx.max_args(2)?;
            cfg.realm = Some(text(ctx, "a realm")?);
        }
        "auth" => {
            ctx.max_args(2)?;
            let a = text(ctx, "a user:password")?;
            if !a.contains(':') {
                return Err("'stats auth' expects <user>:<password> in argument.".into());
            }
            cfg.auth.push(a);
        }
        "refresh" => {
            ctx.max_args(2)?;
            let t = crate::units::parse_time(&text(ctx, "a delay in seconds")?)
                .map_err(|e| format!("'stats refresh' : {e}"))?;
            cfg.refresh = Some(t.as_secs() as u32);
        }
        "admin" => {
            if !matches!(ctx.arg(2), Some("if" | "unless")) {
                return Err("'stats admin' requires either 'if' or 'unless' followed by a condition.".into());
            }
            let words: Vec<String> = ctx.args[2..].to_vec();
            let cond = parse_cond(st, ctx, &words, RuleSet::HttpRequest)
                .map_err(|e| format!("'stats admin' : error in condition: {e}"))?;
            if let Some(c) = cond {
                cfg.admin.push(c);
            }
        }
        "hide-version" => {
            ctx.max_args(1)?;
            cfg.hide_version = true;
        }
        "show-legends" => {
            ctx.max_args(1)?;
            cfg.show_legends = true;
        }
        "scope" => {
            ctx.max_args(2)?;
            cfg.scope.push(text(ctx, "a proxy name")?);
        }
        "show-node" => {
            ctx.max_args(2)?;
            cfg.show_node = Some(ctx.arg(2).unwrap_or("").to_string());
        }
        "show-desc" => {
            cfg.show_desc = Some(ctx.args[2..].join(" "));
        }
        "socket" | "timeout" | "maxconn" | "bind-process" => {
            return Err(format!("'stats {sub}' is only allowed in 'global' section"))
        }
        other => {
            return Err(format!(
                "'stats' expects 'admin', 'auth', 'enable', 'hide-version', 'realm', 'refresh', \
                 'scope', 'show-desc', 'show-legends', 'show-node', 'disable' or 'uri' (got '{other}')."
            ))
        }
    }
    st.cfg.http.stats = Some(cfg);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use crate::config::model_http::{HttpConnMode, HttpReuse};

    /// A file under the temporary directory, unique to this test run.
    fn file(name: &str, content: &[u8]) -> String {
        let dir = std::env::temp_dir().join(format!("proxy-core-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    #[test]
    fn errorfiles() {
        let ok503 = file(
            "503.http",
            b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n<h1>x</h1>\n",
        );
        let lf = file("lf.http", b"HTTP/1.1 404 Not Found\nContent-Length: 0\n\n");
        let empty = file("empty.http", b"");
        let c = ok(&format!(
            "defaults\n errorfile 503 {ok503}\nbackend b\n errorfile 404 {lf}\n errorfile 200 {empty}\n errorfile 503 {lf}\n"
        ));
        let e = &c.proxy("b").unwrap().http.errorfiles;
        assert_eq!(e.len(), 3);
        assert!(e[&503].starts_with(b"HTTP/1.1 404"));
        assert!(e[&200].is_empty());
        let bad = file("bad.http", b"garbage\n");
        let h2 = file("h2.http", b"HTTP/2 503 x\r\n\r\n");
        let hdr = file("hdr.http", b"HTTP/1.0 503 x\r\nfoo\r\n\r\n");
        let open = file("open.http", b"HTTP/1.0 503 x\r\nA: b\r\n");
        let err = |l: &str| error(&format!("backend b\n {l}\n"));
        assert_eq!(
            err(&format!("errorfile 503 {bad}")),
            format!("parsing [t.cfg:2] : errorfile : '{bad}': unable to parse headers (error offset: 0)")
        );
        assert!(err(&format!("errorfile 503 {h2}")).ends_with("invalid http version (HTTP/2)"));
        assert!(err(&format!("errorfile 503 {hdr}"))
            .ends_with("unable to parse headers (error offset: 19)"));
        assert!(err(&format!("errorfile 503 {open}")).contains("no empty line"));
        assert_eq!(
            err("errorfile 503 /nonexistent/x.http"),
            "parsing [t.cfg:2] : errorfile : error opening file '/nonexistent/x.http'."
        );
        assert_eq!(
            err(&format!("errorfile 999 {ok503}")),
            "parsing [t.cfg:2] : errorfile : status code '999' not handled."
        );
        assert!(err(&format!("errorfile abc {ok503}")).ends_with("status code '0' not handled."));
        assert!(err("errorfile 503")
            .ends_with("errorfile : expects <status_code> and <file> as arguments."));
        for code in [201, 301, 402, 409, 414, 431, 505] {
            assert!(
                err(&format!("errorfile {code} {ok503}")).contains("not handled"),
                "{code}"
            );
        }
    }

    #[test]
    fn reuse_monitor_capture() {
        let c = ok("defaults\n mode http\n http-reuse always\n monitor-uri /health\nbackend b\nbackend n\n http-reuse never\nfrontend f\n bind :1\n capture request header Host len 64\n capture request header User-Agent len 0\n capture response header Server len 20\n");
        assert_eq!(c.proxy("b").unwrap().http.reuse, HttpReuse::Always);
        assert_eq!(c.proxy("n").unwrap().http.reuse, HttpReuse::Never);
        // Settings of the other side are not inherited.
        assert_eq!(c.proxy("b").unwrap().http.monitor_uri, None);
        let f = &c.proxy("f").unwrap().http;
        assert_eq!(f.monitor_uri.as_deref(), Some("/health"));
        assert_eq!(f.reuse, HttpReuse::Safe);
        assert_eq!(
            (f.capture_request[0].name.as_str(), f.capture_request[0].len),
            ("Host", 64)
        );
        assert_eq!(f.capture_request[1].len, 0);
        assert_eq!(f.capture_response[0].name, "Server");
        assert_eq!(f.conn_mode, HttpConnMode::KeepAlive);
        assert_eq!(
            error("backend b\n http-reuse foo\n"),
            "parsing [t.cfg:2] : 'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'."
        );
        let c = ok("frontend f\n bind :1\n http-reuse never\n");
        assert!(c.warnings[0]
            .contains("'http-reuse' ignored because frontend 'f' has no backend capability."));
        let c = ok("backend b\n monitor-uri /x\n capture request header Host len 1\n");
        assert!(c.warnings[0]
            .contains("'monitor-uri' ignored because backend 'b' has no frontend capability."));
        assert!(c.warnings[1]
            .contains("'capture' ignored because backend 'b' has no frontend capability."));
        assert_eq!(
            error("frontend f\n monitor-uri\n"),
            "parsing [t.cfg:2] : 'monitor-uri' expects an URI."
        );
        assert!(error("frontend f\n monitor-uri /a /b\n")
            .contains("'monitor-uri' cannot handle unexpected argument '/b'."));
        let cap = |l: &str| error(&format!("frontend f\n {l}\n"));
        assert_eq!(
            cap("capture request header Host"),
            "parsing [t.cfg:2] : 'capture request' expects 'header' <header_name> 'len' <len>."
        );
        assert!(
            cap("capture response header len 10").contains("'capture response' expects 'header'")
        );
        assert!(cap("capture foo")
            .ends_with("'capture' expects 'cookie' or 'request header' or 'response header'."));
        assert!(cap("capture cookie x len").contains("expects 'cookie' <cookie_name> 'len'"));
        assert!(cap("capture request header Host len 10 x")
            .ends_with("cannot handle unexpected argument 'x'."));
        assert!(
            cap("capture request header Host len abc").contains("'len' expects a positive integer")
        );
        assert_eq!(
            error("defaults\n capture request header Host len 1\n"),
            "parsing [t.cfg:2] : 'capture request' not allowed in 'defaults' section."
        );
    }

    #[test]
    fn stats_page_keywords() {
        let c = ok(
            "frontend fe\n bind :8080\n stats enable\n stats uri /s\n stats auth a:b\n \
                    stats auth c:d\n stats realm R\n stats refresh 10s\n stats admin if TRUE\n \
                    stats hide-version\n stats show-legends\n stats scope .\n",
        );
        let sc = c.proxies[0].http.stats.clone().unwrap();
        assert_eq!(
            (sc.uri.as_str(), sc.auth.len(), sc.realm.as_deref()),
            ("/s", 2, Some("R"))
        );
        assert_eq!(
            (sc.refresh, sc.admin.len(), sc.scope.len()),
            (Some(10), 1, 1)
        );
        assert!(sc.hide_version && sc.show_legends);
        let d = ok("frontend fe\n bind :8080\n stats enable\n");
        assert_eq!(
            d.proxies[0].http.stats.as_ref().unwrap().uri,
            "/haproxy?stats"
        );
        assert!(ok("frontend fe\n bind :8080\n").proxies[0]
            .http
            .stats
            .is_none());
        assert!(error("frontend fe\n stats auth nocolon\n").contains("<user>:<password>"));
        assert!(error("frontend fe\n stats admin\n").contains("'if' or 'unless'"));
        assert!(error("frontend fe\n stats socket /x\n").contains("only allowed in 'global'"));
        assert!(error("frontend fe\n stats bogus\n").contains("'stats' expects"));
    }
}
