//! Handlers for the keywords of the `global` section (rows in
//! [`super::keywords::KEYWORDS`]).

use std::path::PathBuf;

use super::addr::parse_bind_addrs;
use super::keywords::{Ctx, KwResult};
use super::logtarget::{parse_log, LogLine};
use super::model::{Global, StatsSocket};
use crate::rules::var_action;
use crate::units::parse_time;

/// HAProxy's `MAX_THREADS` on 64-bit builds.
pub(super) const MAX_THREADS: usize = 64;

pub(super) fn maxconn(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    g.maxconn = Some(ctx.int_arg(1)?);
    Ok(())
}

/// `nbthread <n>`; unset means 1 (see [`Global::nbthread`]): we do not
/// guess from the CPU count, so a config runs the same everywhere.
pub(super) fn nbthread(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    let raw = ctx.arg(1).unwrap_or("");
    let n: usize = raw.parse().map_err(|_| {
        format!("'nbthread' passed a missing or unparsable integer value in '{raw}'")
    })?;
    if !(1..=MAX_THREADS).contains(&n) {
        return Err(format!(
            "'nbthread' value must be between 1 and {MAX_THREADS} (was {n})"
        ));
    }
    g.nbthread = n;
    Ok(())
}

/// `spread-checks <percent>`.
pub(super) fn spread_checks(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let raw = ctx
        .arg(1)
        .ok_or("'spread-checks' expects an integer argument (0..50).")?;
    g.spread_checks = raw
        .parse::<u32>()
        .ok()
        .filter(|&n| n <= 50)
        .ok_or("'spread-checks' needs a positive value in range 0..50.")?;
    Ok(())
}

/// `server-state-file <path>` and `server-state-base <dir>`.
pub(super) fn server_state(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let kw = ctx.arg(0).unwrap_or_default().to_string();
    let what = if kw == "server-state-base" {
        "a directory path"
    } else {
        "a file path"
    };
    let v = ctx
        .arg(1)
        .ok_or_else(|| format!("'{kw}' expect one argument: {what}."))?
        .to_string();
    if kw == "server-state-base" {
        g.server_state_base = Some(v);
    } else {
        g.server_state_file = Some(v);
    }
    Ok(())
}

pub(super) fn nbproc(_: &mut Global, _: &mut Ctx<'_>) -> KwResult {
    Err("nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on \
         multi-processor machines if available."
        .into())
}

pub(super) fn log(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    if ctx.negate {
        g.logs.clear();
        return Ok(());
    }
    if let LogLine::Target(t) = parse_log(ctx.args, ctx.loc, false)? {
        g.logs.push(t);
    }
    Ok(())
}

pub(super) fn pidfile(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    let path = ctx
        .arg(1)
        .ok_or("'pidfile' expects a file name as an argument.")?;
    if g.pidfile.is_some() {
        // HAProxy keeps the first one and goes on.
        ctx.warn("'pidfile' already specified. Continuing.");
        return Ok(());
    }
    g.pidfile = Some(PathBuf::from(path));
    Ok(())
}

/// `stats socket <addr> [mode M] [level L] ...`, `stats timeout <t>`,
/// `stats maxconn <n>`.
pub(super) fn stats(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    match ctx.arg(1).unwrap_or("") {
        "socket" => {
            let spec = ctx.arg(2).ok_or(
                "'stats socket' in global section expects an address or a path to a UNIX socket",
            )?;
            let mut addrs = parse_bind_addrs(spec)
                .map_err(|e| format!("'stats socket' : {e}"))?;
            if addrs.len() != 1 {
                return Err(format!("'stats socket' : '{spec}' must be exactly one address."));
            }
            let mut sock = StatsSocket {
                addr: addrs.remove(0),
                mode: None,
                level: "operator".to_string(),
                loc: ctx.loc.clone(),
            };
            let mut i = 3;
            while let Some(kw) = ctx.arg(i) {
                let val = ctx.arg(i + 1);
                match kw {
                    "mode" => {
                        let v = val.ok_or("'stats socket' : 'mode' : missing mode (octal integer expected)")?;
                        sock.mode = Some(u32::from_str_radix(v, 8).map_err(|_| {
                            format!("'stats socket' : 'mode' : invalid mode '{v}' (octal integer expected)")
                        })?);
                    }
                    "level" => {
                        let v = val.unwrap_or("");
                        if !matches!(v, "user" | "operator" | "admin") {
                            return Err(format!(
                                "'stats socket' : 'level' only supports 'user', 'operator', and 'admin' (got '{v}')."
                            ));
                        }
                        sock.level = v.to_string();
                    }
                    // Accepted and without effect here: the socket keeps
                    // the proxy's owner; no seamless reload, no severity.
                    "name" | "expose-fd" | "severity-output" | "user" | "group" | "uid"
                    | "gid" => {
                        val.ok_or_else(|| format!("'stats socket' : '{kw}' : missing value"))?;
                    }
                    k => return Err(format!("'stats socket' : unknown keyword '{k}'.")),
                }
                i += 2;
            }
            g.stats_sockets.push(sock);
            Ok(())
        }
        "timeout" => {
            ctx.max_args(2)?;
            let v = ctx.arg(2).ok_or("'stats timeout' expects a time value")?;
            let t = parse_time(v).map_err(|e| format!("'stats timeout' : {e}"))?;
            if t.is_zero() {
                return Err("'stats timeout' expects a positive value".into());
            }
            g.stats_timeout = t;
            Ok(())
        }
        "maxconn" => {
            ctx.max_args(2)?;
            g.stats_maxconn = ctx
                .arg(2)
                .and_then(|a| a.parse::<u32>().ok())
                .filter(|n| *n > 0)
                .ok_or("'stats maxconn' expects a positive integer")?;
            Ok(())
        }
        "bind-process" => Ok(()),
        other => Err(format!(
            "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '{other}')."
        )),
    }
}

/// `applet-load <path.so>`: one more applet library to load at start-up.
pub(super) fn applet_load(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let path = ctx
        .arg(1)
        .ok_or("'applet-load' expects the path of an applet library.")?;
    ctx.max_args(1)?;
    g.applet_load.push((PathBuf::from(path), ctx.loc.clone()));
    Ok(())
}

/// `set-var <proc.name> <expr>` and `set-var-fmt <proc.name> <format>`:
/// a process-wide variable set once at start-up.
pub(super) fn set_var(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let kw = ctx.kw().to_string();
    let (name, value) = match (ctx.arg(1), ctx.arg(2)) {
        (Some(n), Some(v)) if !n.is_empty() && ctx.args.len() == 3 => (n, v),
        _ => {
            let what = if kw == "set-var" {
                "a sample expression"
            } else {
                "a format string"
            };
            return Err(format!(
                "'{kw}' requires a process-wide variable name ('proc.<name>') and {what}."
            ));
        }
    };
    if !name.starts_with("proc.") {
        return Err(format!(
            "'{kw}': cannot set variable '{name}', only scope 'proc' is permitted in the global section."
        ));
    }
    let words = [format!("{kw}({name})"), value.to_string()];
    let (action, _) = var_action::parse(&words, ctx.files)?;
    g.set_vars.push(action);
    Ok(())
}

pub(super) fn localpeer(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    let name = ctx
        .arg(1)
        .filter(|n| !n.is_empty())
        .ok_or("'localpeer' expects a name as an argument.")?;
    g.localpeer = Some(name.to_string());
    Ok(())
}

pub(super) fn daemon(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(0)?;
    g.daemon = true;
    Ok(())
}

pub(super) fn expose_experimental(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(0)?;
    g.expose_experimental = true;
    Ok(())
}

pub(super) fn tune_bufsize(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    // The cap keeps sizes within what HAProxy's int-based code accepts.
    g.bufsize = ctx
        .arg(1)
        .and_then(|a| a.parse::<usize>().ok())
        .filter(|n| (1..=(1 << 30)).contains(n))
        .ok_or("'tune.bufsize' expects a positive integer argument.")?;
    Ok(())
}

pub(super) fn tune_maxrewrite(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    g.maxrewrite = ctx.int_arg(1)?;
    Ok(())
}

pub(super) fn tune_fail_alloc(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    g.fail_alloc = ctx
        .arg(1)
        .and_then(|a| a.parse::<u32>().ok())
        .filter(|n| *n <= 100)
        .ok_or("'tune.fail-alloc' expects a percentage (0 to 100).")?;
    Ok(())
}

pub(super) fn tune_conn_pool_max(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    g.conn_pool_max = Some(ctx.int_arg(1)?);
    Ok(())
}

/// `crt-base <dir>` / `ca-base <dir>`.
pub(super) fn ssl_base(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let kw = ctx.kw().to_string();
    let dir = ctx
        .arg(1)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| format!("global statement '{kw}' expects a directory path as an argument."))?
        .to_string();
    let slot = if kw == "crt-base" {
        &mut g.ssl.crt_base
    } else {
        &mut g.ssl.ca_base
    };
    if slot.is_some() {
        return Err(format!("'{kw}' already specified. Continuing."));
    }
    *slot = Some(dir);
    Ok(())
}

/// `ssl-default-{bind,server}-{options,ciphers,ciphersuites,curves}`.
pub(super) fn ssl_default(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let kw = ctx.kw().to_string();
    let conf = if kw.starts_with("ssl-default-bind-") {
        &mut g.ssl.bind
    } else {
        &mut g.ssl.server
    };
    let words: Vec<&str> = ctx.args[1..].iter().map(String::as_str).collect();
    if kw.ends_with("-options") {
        return crate::tls::opts::parse_default_options(&kw, &words, conf);
    }
    let v = words
        .first()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("global statement '{kw}' expects a cipher suite as an argument."))?
        .to_string();
    if kw.ends_with("-ciphers") {
        conf.ciphers = Some(v);
    } else if kw.ends_with("-ciphersuites") {
        conf.ciphersuites = Some(v);
    } else {
        conf.curves = Some(v);
    }
    Ok(())
}

/// `ssl-server-verify none|required`.
pub(super) fn ssl_server_verify(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    match ctx.arg(1) {
        Some("none") => g.ssl.server_verify_none = true,
        Some("required") => g.ssl.server_verify_none = false,
        _ => {
            return Err("'ssl-server-verify' expects 'none' or 'required' as argument.".to_string())
        }
    }
    Ok(())
}

/// `tune.ssl.cachesize <entries>`.
pub(super) fn tune_ssl_cachesize(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let n = ctx
        .arg(1)
        .and_then(|a| a.parse::<usize>().ok())
        .ok_or("'tune.ssl.cachesize' expects an integer argument.")?;
    g.ssl.cachesize = Some(n);
    Ok(())
}

/// TLS tuning and OpenSSL-specific settings that have no counterpart
/// with rustls: accepted, so existing configurations load (DH parameters
/// matter only for DHE suites, which rustls does not offer).
pub(super) fn ssl_accepted(_: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    let flag = matches!(
        ctx.kw(),
        "ssl-mode-async"
            | "tune.ssl.force-private-cache"
            | "ssl-load-extra-del-ext"
            | "ssl-skip-self-issued-ca"
    );
    if ctx.arg(1).is_none() && !flag {
        return Err(format!("'{}' expects an argument.", ctx.kw()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use crate::config::model::{LogDest, LogFormat};
    use std::path::PathBuf;

    #[test]
    fn defaults_when_unset() {
        let g = ok("global\n").global;
        assert_eq!(
            (g.maxconn, g.nbthread, g.daemon, g.bufsize, g.maxrewrite),
            (None, 1, false, 16384, 1024)
        );
        assert_eq!(
            (g.fail_alloc, g.conn_pool_max, g.pidfile, g.localpeer),
            (0, None, None, None)
        );
    }

    #[test]
    fn every_keyword() {
        let c = ok("
global
    maxconn 2000
    nbthread 4
    pidfile /run/p.pid
    localpeer node1
    daemon
    tune.bufsize 32768
    tune.maxrewrite 2048
    tune.fail-alloc 25
    tune.conn-pool-max 100
    log 127.0.0.1:1514 local3 notice
    log stderr format short user
");
        let g = c.global;
        assert_eq!((g.maxconn, g.nbthread, g.daemon), (Some(2000), 4, true));
        assert_eq!(g.pidfile, Some(PathBuf::from("/run/p.pid")));
        assert_eq!(g.localpeer.as_deref(), Some("node1"));
        assert_eq!(
            (g.bufsize, g.maxrewrite, g.fail_alloc, g.conn_pool_max),
            (32768, 2048, 25, Some(100))
        );
        assert_eq!(g.logs.len(), 2);
        assert_eq!(
            g.logs[0].dest,
            LogDest::Udp("127.0.0.1:1514".parse().unwrap())
        );
        assert_eq!(
            (g.logs[0].facility, g.logs[0].level, g.logs[0].loc.line),
            (19, 5, 12)
        );
        assert_eq!(
            (g.logs[1].dest.clone(), g.logs[1].format),
            (LogDest::Stderr, LogFormat::Short)
        );
        assert!(ok("global\n log stdout local0\n no log\n")
            .global
            .logs
            .is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(
            error("global\n nbproc 2\n"),
            "parsing [t.cfg:2] : nbproc is not supported any more since HAProxy 2.5. Threads will automatically \
             be used on multi-processor machines if available."
        );
        assert_eq!(
            error("global\n nbthread 100\n"),
            "parsing [t.cfg:2] : 'nbthread' value must be between 1 and 64 (was 100)"
        );
        assert!(error("global\n nbthread x\n")
            .contains("'nbthread' passed a missing or unparsable integer value in 'x'"));
        assert_eq!(
            error("global\n maxconn lots\n"),
            "parsing [t.cfg:2] : 'maxconn' expects an integer argument."
        );
        assert_eq!(
            error("global\n maxconn 1 2\n"),
            "parsing [t.cfg:2] : 'maxconn' cannot handle unexpected argument '2'."
        );
        assert!(error("global\n tune.fail-alloc 101\n")
            .contains("'tune.fail-alloc' expects a percentage"));
        assert!(error("global\n tune.bufsize 0\n")
            .contains("'tune.bufsize' expects a positive integer"));
        assert!(
            error("global\n tune.maxrewrite -1\n").contains("'tune.maxrewrite' expects an integer")
        );
        assert!(error("global\n tune.conn-pool-max\n")
            .contains("'tune.conn-pool-max' expects an integer"));
        assert!(error("global\n daemon now\n")
            .contains("'daemon' cannot handle unexpected argument 'now'"));
        assert!(error("global\n localpeer\n").contains("'localpeer' expects a name"));
        assert!(error("global\n log global\n")
            .contains("log : 'global' is not supported for a global syslog server"));
        assert!(error("global\n log 127.0.0.1 local9\n")
            .contains("[t.cfg:2] : log : unknown log facility 'local9'"));
    }

    #[test]
    fn second_pidfile_is_ignored_with_a_warning() {
        let c = ok("global\n pidfile /a\n pidfile /b\n");
        assert_eq!(c.global.pidfile, Some(PathBuf::from("/a")));
        assert_eq!(
            c.warnings,
            ["config : parsing [t.cfg:3] : 'pidfile' already specified. Continuing."]
        );
    }

    #[test]
    fn stats_socket_timeout_maxconn() {
        use crate::config::BindAddr;
        use std::time::Duration;
        let g = ok("global\n stats socket /run/a.sock mode 660 level admin\n \
                    stats socket ipv4@127.0.0.1:9999\n stats timeout 2m\n stats maxconn 3\n")
        .global;
        assert_eq!(g.stats_sockets.len(), 2);
        assert_eq!(
            g.stats_sockets[0].addr,
            BindAddr::Unix(PathBuf::from("/run/a.sock"))
        );
        assert_eq!(
            (g.stats_sockets[0].mode, g.stats_sockets[0].level.as_str()),
            (Some(0o660), "admin")
        );
        assert_eq!(g.stats_sockets[1].level, "operator");
        assert_eq!(
            (g.stats_timeout, g.stats_maxconn),
            (Duration::from_secs(120), 3)
        );
        let d = ok("global\n").global;
        assert_eq!(
            (d.stats_timeout, d.stats_maxconn),
            (Duration::from_secs(10), 10)
        );
        assert!(error("global\n stats socket /x level root\n").contains("'level' only supports"));
        assert!(error("global\n stats socket /x bogus 1\n").contains("unknown keyword 'bogus'"));
        assert!(error("global\n stats maxconn 0\n").contains("positive integer"));
        assert!(error("global\n stats foo\n").contains("'stats' only supports"));
    }
}
