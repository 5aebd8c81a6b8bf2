//! Handlers for the proxy keywords (`defaults`, `frontend`, `backend`,
//! `listen`) other than `bind`, `server` (in `kw_server`) and `option` (in
//! `kw_option`): rows in [`super::keywords::KEYWORDS`], and the sub-table of
//! `timeout`.

use std::time::Duration;

use super::addr::{
    inet_family, parse_inet, parse_socket_addr, split_prefix, unsupported_family, Family,
};
use super::keywords::{Ctx, KwResult, LogItem, ProxyState};
use super::kw_acl::{parse_cond, RuleSet};
use super::kw_http::SEEN_USE_BACKEND;
use super::logtarget::{parse_log, LogLine};
use super::model::{Balance, Mode, SourceAddr, Timeouts, UseBackend};
use crate::units::parse_time;

pub(super) fn mode(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    st.cfg.mode = match ctx.arg(1).unwrap_or("") {
        "tcp" => Mode::Tcp,
        "http" => Mode::Http,
        "health" => {
            return Err("'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.".into())
        }
        other => return Err(format!("unknown proxy mode '{other}'.")),
    };
    Ok(())
}

pub(super) fn maxconn(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    st.cfg.maxconn = Some(ctx.int_arg(1)?);
    Ok(())
}

pub(super) fn default_backend(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let name = ctx
        .arg(1)
        .ok_or("'default_backend' expects a backend name.")?;
    ctx.max_args(1)?;
    st.cfg.default_backend = Some(name.to_string());
    st.default_backend_loc = Some(ctx.loc.clone());
    Ok(())
}

/// `use_backend <name> [if|unless <cond>...]`.
pub(super) fn use_backend(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let args = ctx.args;
    let name = args.get(1).ok_or("'use_backend' expects a backend name.")?;
    if let Some(w) = ctx.arg(2).filter(|w| *w != "if" && *w != "unless") {
        return Err(format!(
            "unexpected keyword '{w}' after switching rule, only 'if' and 'unless' are allowed."
        ));
    }
    let cond = parse_cond(st, ctx, &args[2..], RuleSet::UseBackend)
        .map_err(|e| format!("error detected while parsing switching rule : {e}"))?;
    st.seen |= SEEN_USE_BACKEND;
    st.cfg.use_backends.push(UseBackend {
        backend: name.to_string(),
        cond,
        loc: ctx.loc.clone(),
    });
    Ok(())
}

pub(super) fn dispatch(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let spec = ctx
        .arg(1)
        .ok_or("'dispatch' expects an <address:port> argument.")?;
    ctx.max_args(1)?;
    st.cfg.dispatch = Some(parse_socket_addr(spec).map_err(|e| format!("'dispatch' : {e}"))?);
    Ok(())
}

/// `load-server-state-from-file global|local|none`.
pub(super) fn load_server_state(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    use super::model_check::StateFrom;
    let v = ctx.arg(1).unwrap_or_default();
    st.cfg.load_server_state = Some(match v {
        "global" => StateFrom::Global,
        "local" => StateFrom::Local,
        "none" => StateFrom::None,
        _ => {
            return Err(format!(
                "'load-server-state-from-file' expects 'global', 'local' or 'none'. Got '{v}'"
            ))
        }
    });
    Ok(())
}

/// `server-state-file-name [<name>|use-backend-name]`.
pub(super) fn server_state_file_name(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    // Empty: the backend's own name, decided when the file is read (a
    // line in `defaults` names no backend yet).
    st.cfg.server_state_file_name = Some(
        ctx.arg(1)
            .filter(|v| *v != "use-backend-name")
            .unwrap_or_default()
            .to_string(),
    );
    Ok(())
}

/// `source <addr>[:port]` of a backend or a server (`args[0]` is `source`).
/// Transparent-proxy options (`usesrc`, `interface`) and port ranges are
/// not implemented, so they are refused rather than silently dropped.
pub(super) fn parse_source(args: &[String]) -> Result<SourceAddr, String> {
    let spec = args
        .get(1)
        .ok_or("'source' expects <addr>[:<port>] as argument.")?;
    if let Some(extra) = args.get(2) {
        return Err(format!(
            "'source' : '{extra}' is not supported by this proxy."
        ));
    }
    let (prefix, rest) = split_prefix(spec);
    let family = match prefix {
        None => Family::Any,
        Some(p) => inet_family(p).ok_or_else(|| format!("'source' : {}", unsupported_family(p)))?,
    };
    let (ip, port) =
        parse_inet(rest, family, spec).map_err(|e| format!("'source {spec}' : {e}"))?;
    let port = match port {
        None => 0,
        Some(p) if p.contains('-') => {
            return Err(format!(
                "'source' : port ranges are not supported by this proxy in '{spec}'."
            ))
        }
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("'source' : invalid port '{p}'"))?,
    };
    Ok(SourceAddr { ip, port })
}

pub(super) fn source(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    st.cfg.source = Some(parse_source(ctx.args)?);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Front,
    Back,
    Both,
}

/// Whether `st` has `side`; when it does not, the warning phrase.
pub(super) fn check_side(st: &ProxyState, side: Side) -> Result<(), String> {
    let ok = match side {
        Side::Front => st.section.has_frontend(),
        Side::Back => st.section.has_backend(),
        Side::Both => true,
    };
    if ok {
        Ok(())
    } else {
        Err(st.lacks_phrase())
    }
}

type Slot = fn(&mut Timeouts) -> &mut Option<Duration>;

/// `timeout <name>`: which side it applies to and where it is stored.
const TIMEOUTS: &[(&str, Side, Slot)] = &[
    ("client", Side::Front, |t| &mut t.client),
    ("server", Side::Back, |t| &mut t.server),
    ("connect", Side::Back, |t| &mut t.connect),
    ("check", Side::Back, |t| &mut t.check),
    ("queue", Side::Back, |t| &mut t.queue),
    ("http-keep-alive", Side::Both, |t| &mut t.http_keep_alive),
    ("http-request", Side::Both, |t| &mut t.http_request),
    ("tunnel", Side::Back, |t| &mut t.tunnel),
    ("tarpit", Side::Both, |t| &mut t.tarpit),
    ("client-fin", Side::Front, |t| &mut t.client_fin),
    ("server-fin", Side::Back, |t| &mut t.server_fin),
];

/// `timeout <name> <time>`. A zero value means "no timeout" in HAProxy; it
/// is stored as `None` so the runtime never arms a zero timer.
pub(super) fn timeout(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let name = ctx.arg(1).unwrap_or("");
    let Some(&(_, side, slot)) = TIMEOUTS.iter().find(|(n, _, _)| *n == name) else {
        let list: Vec<String> = TIMEOUTS.iter().map(|(n, _, _)| format!("'{n}'")).collect();
        let (last, rest) = list
            .split_last()
            .map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
        return Err(format!(
            "'timeout' supports {} and {last} (got '{name}')",
            rest.join(", ")
        ));
    };
    let full = format!("timeout {name}");
    let raw = ctx
        .arg(2)
        .ok_or_else(|| format!("'{full}' expects an integer value (in milliseconds)"))?;
    let value = parse_time(raw).map_err(|e| format!("'{full}' : {e}"))?;
    if let Some(extra) = ctx.arg(3) {
        return Err(format!(
            "'{full}' : unexpected extra argument '{extra}' after value '{raw}'."
        ));
    }
    if let Err(phrase) = check_side(st, side) {
        ctx.warn(format!("'{full}' will be ignored because {phrase}"));
        return Ok(());
    }
    *slot(&mut st.cfg.timeouts) = (!value.is_zero()).then_some(value);
    Ok(())
}

pub(super) fn removed_timeout(_: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let new = match ctx.kw() {
        "contimeout" => "connect",
        "clitimeout" => "client",
        _ => "server",
    };
    Err(format!(
        "the '{}' directive is not supported anymore since HAProxy 2.1. Use 'timeout {new}'.",
        ctx.kw()
    ))
}

pub(super) fn retries(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    st.cfg.retries = ctx.int_arg(1)?;
    Ok(())
}

pub(super) fn balance(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let algo = ctx.arg(1).unwrap_or("");
    st.cfg.balance = match algo {
        "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "leastconn" => Balance::LeastConn,
        "first" => Balance::First,
        "source" => Balance::Source,
        "uri" | "url_param" | "random" | "hash" => return Err(format!("'balance {algo}' is not supported by this proxy.")),
        a if a.starts_with("hdr(") || a.starts_with("random(") || a.starts_with("rdp-cookie") => {
            return Err(format!("'balance {algo}' is not supported by this proxy."))
        }
        _ => {
            return Err("'balance' only supports 'roundrobin', 'static-rr', 'leastconn', 'first' and 'source' options.".into())
        }
    };
    Ok(())
}

pub(super) fn log(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    if ctx.negate {
        // `no log`: forget everything, inherited lines included.
        st.logs.clear();
        return Ok(());
    }
    match parse_log(ctx.args, ctx.loc, true)? {
        LogLine::Global if st.logs.iter().any(|l| matches!(l, LogItem::Global)) => {}
        LogLine::Global => st.logs.push(LogItem::Global),
        LogLine::Target(t) => st.logs.push(LogItem::Target(t)),
    }
    Ok(())
}

pub(super) fn id(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    let raw = ctx.arg(1).ok_or("'id' expects an integer argument.")?;
    st.cfg.id = raw
        .parse::<u32>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or("custom id has to be > 0.")?;
    st.id_loc = Some(ctx.loc.clone());
    Ok(())
}

/// `description <text>`: free text for the stats page; not used yet.
pub(super) fn description(_: &mut ProxyState, _: &mut Ctx<'_>) -> KwResult {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use crate::config::model::{Balance, LogDest, Mode, SourceAddr};
    use std::time::Duration;

    #[test]
    fn proxy_settings() {
        let c = ok("
frontend f
    mode http
    bind :1
    maxconn 42
    default_backend b
    acl is_api path_beg /api
    acl is_static path_beg /static
    use_backend b
    use_backend b if is_api || { path_beg /x }
    use_backend b unless is_static
    description anything goes here
    id 10
backend b
    mode http
    dispatch 127.0.0.1:81
    source 10.0.0.1:2000
    retries 0
    balance leastconn
    server s 127.0.0.1:1
");
        let f = c.proxy("f").unwrap();
        assert_eq!((f.mode, f.maxconn, f.id), (Mode::Http, Some(42), 10));
        assert_eq!(f.default_backend.as_deref(), Some("b"));
        let conds: Vec<_> = f.use_backends.iter().map(|u| u.cond.as_ref()).collect();
        assert_eq!(conds[0], None);
        let c1 = conds[1].unwrap();
        assert_eq!(c1.suites.len(), 2);
        assert_eq!(c1.suites[0][0].acl.name, "is_api");
        assert_eq!(c1.suites[1][0].acl.exprs[0].expr.kw, "path_beg");
        let c2 = conds[2].unwrap();
        assert_eq!(c2.polarity, crate::rules::Polarity::Unless);
        assert_eq!(c2.suites[0][0].acl.name, "is_static");
        assert_eq!(f.use_backends[2].loc.line, 11);
        let b = c.proxy("b").unwrap();
        assert_eq!(b.dispatch, Some("127.0.0.1:81".parse().unwrap()));
        assert_eq!(
            b.source,
            Some(SourceAddr {
                ip: "10.0.0.1".parse().unwrap(),
                port: 2000
            })
        );
        assert_eq!((b.retries, b.balance), (0, Balance::LeastConn));
    }

    #[test]
    fn timeouts() {
        let c = ok("
listen l
    bind :1
    timeout client 1s
    timeout server 2s
    timeout connect 3000
    timeout queue 4s
    timeout tunnel 1h
    timeout client-fin 6s
    timeout server-fin 7s
    timeout http-request 8s
    timeout http-keep-alive 9s
    timeout check 10s
    timeout connect 0
");
        let t = c.proxy("l").unwrap().timeouts;
        let s = Duration::from_secs;
        assert_eq!(
            (t.client, t.server, t.queue, t.tunnel),
            (Some(s(1)), Some(s(2)), Some(s(4)), Some(s(3600)))
        );
        assert_eq!(
            (t.client_fin, t.server_fin, t.http_request),
            (Some(s(6)), Some(s(7)), Some(s(8)))
        );
        assert_eq!((t.http_keep_alive, t.check), (Some(s(9)), Some(s(10))));
        // Zero means "no timeout".
        assert_eq!(t.connect, None);
        let c = ok("frontend f\n bind :1\n timeout server 1s\n");
        assert_eq!(c.proxy("f").unwrap().timeouts.server, None);
        assert!(c.warnings[0].contains("[t.cfg:3] : 'timeout server' will be ignored because frontend 'f' has no backend capability"));
    }

    #[test]
    fn timeout_errors() {
        let e = error("defaults\n timeout foo 1s\n");
        assert!(
            e.starts_with("parsing [t.cfg:2] : 'timeout' supports 'client', 'server', 'connect'"),
            "{e}"
        );
        assert!(
            e.ends_with("'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got 'foo')"),
            "{e}"
        );
        assert!(error("defaults\n timeout client 10x\n")
            .contains("[t.cfg:2] : 'timeout client' : unexpected character 'x'"));
        assert!(error("defaults\n timeout client\n")
            .contains("'timeout client' expects an integer value (in milliseconds)"));
        assert!(error("defaults\n timeout client 1s 2\n")
            .contains("unexpected extra argument '2' after value '1s'"));
        assert_eq!(
            error("defaults\n contimeout 5s\n"),
            "parsing [t.cfg:2] : the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'."
        );
        assert!(error("defaults\n srvtimeout 5s\n").contains("Use 'timeout server'"));
    }

    #[test]
    fn balance() {
        for (word, algo) in [
            ("roundrobin", Balance::RoundRobin),
            ("static-rr", Balance::StaticRr),
            ("leastconn", Balance::LeastConn),
            ("first", Balance::First),
            ("source", Balance::Source),
        ] {
            assert_eq!(
                ok(&format!("backend b\n balance {word}\n")).proxies[0].balance,
                algo
            );
        }
        assert_eq!(
            error("backend b\n balance uri\n"),
            "parsing [t.cfg:2] : 'balance uri' is not supported by this proxy."
        );
        assert!(error("backend b\n balance hdr(host)\n")
            .contains("'balance hdr(host)' is not supported"));
        assert!(error("backend b\n balance foo\n").contains("'balance' only supports 'roundrobin'"));
    }

    #[test]
    fn misc_errors() {
        assert_eq!(
            error("defaults\n mode foo\n"),
            "parsing [t.cfg:2] : unknown proxy mode 'foo'."
        );
        assert!(error("defaults\n mode health\n").contains("'mode health' doesn't exist anymore"));
        assert_eq!(
            error("frontend f\n maxconn abc\n"),
            "parsing [t.cfg:2] : 'maxconn' expects an integer argument."
        );
        assert!(error("frontend f\n default_backend\n")
            .contains("'default_backend' expects a backend name."));
        assert!(
            error("frontend f\n use_backend\n").contains("'use_backend' expects a backend name.")
        );
        assert!(error("frontend f\n use_backend b when x\n")
            .contains("unexpected keyword 'when' after switching rule"));
        assert!(error("defaults\n use_backend b\n")
            .contains("'use_backend' not allowed in 'defaults' section."));
        assert!(error("backend b\n retries\n").contains("'retries' expects an integer argument."));
        assert!(error("backend b\n dispatch 127.0.0.1\n")
            .contains("'dispatch' : missing port specification in '127.0.0.1'"));
        assert!(error("backend b\n source 1.2.3.4 usesrc client\n")
            .contains("'source' : 'usesrc' is not supported"));
        assert!(error("backend b\n source 1.2.3.4:1-2\n").contains("port ranges are not supported"));
        assert!(error("backend b\n source nope.invalid\n")
            .contains("'source nope.invalid' : invalid address: 'nope.invalid'"));
        assert_eq!(
            error("backend b\n id 0\n"),
            "parsing [t.cfg:2] : custom id has to be > 0."
        );
        assert!(error("defaults\n id 3\n").contains("'id' not allowed in 'defaults' section."));
    }

    #[test]
    fn log_lines() {
        let c = ok("
global
    log 127.0.0.1 local0
    log 127.0.0.2 local1
defaults
    log global
frontend a
    bind :1
    log stdout local2
frontend b
    bind :2
    no log
    log stderr local3
    log global
    log global
");
        let dests = |n: &str| {
            c.proxy(n)
                .unwrap()
                .logs
                .iter()
                .map(|l| l.dest.clone())
                .collect::<Vec<_>>()
        };
        let udp = |s: &str| LogDest::Udp(s.parse().unwrap());
        assert_eq!(
            dests("a"),
            [udp("127.0.0.1:514"), udp("127.0.0.2:514"), LogDest::Stdout]
        );
        assert_eq!(
            dests("b"),
            [LogDest::Stderr, udp("127.0.0.1:514"), udp("127.0.0.2:514")]
        );
        assert!(error("defaults\n log 1.2.3.4 nope\n")
            .contains("[t.cfg:2] : log : unknown log facility 'nope'"));
    }
}
