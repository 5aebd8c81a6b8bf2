//! The `server` / `default-server` options about health checks: timing
//! (`inter`, `fastinter`, `downinter`, `rise`, `fall`), where checks go
//! (`port`, `addr`, the agent's), what live traffic reports (`observe`,
//! `error-limit`, `on-error`), what state changes do (`on-marked-down`,
//! `on-marked-up`, `slowstart`), `init-addr` and `track`.

use std::net::IpAddr;

use super::addr::{resolve_host, split_host_port, Family};
use super::kw_server::SrvOpt;
use super::model::{Location, ProxyConfig, ServerConfig};
use super::model_check::{InitAddr, Observe, OnError, TrackRef};
use crate::units::parse_time;

/// The check options, as `server` keywords.
pub(super) const CHECK_KEYWORDS: &[&str] = &[
    "check",
    "no-check",
    "inter",
    "fastinter",
    "downinter",
    "rise",
    "fall",
    "port",
    "addr",
    "agent-check",
    "no-agent-check",
    "agent-port",
    "agent-addr",
    "agent-inter",
    "agent-send",
    "observe",
    "error-limit",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "slowstart",
    "init-addr",
    "track",
];

/// Applies one check option; `None` when `opt` is not one, else how many
/// words it took.
pub(super) fn check_option(
    srv: &mut ServerConfig,
    opt: &SrvOpt<'_>,
) -> Result<Option<usize>, String> {
    let hc = &mut srv.hc;
    match opt.kw {
        "check" => srv.check = true,
        "no-check" => srv.check = false,
        "agent-check" => hc.agent = true,
        "no-agent-check" => hc.agent = false,
        "inter" | "fastinter" | "downinter" | "agent-inter" => {
            let t = interval(opt)?;
            match opt.kw {
                "inter" => srv.inter = t,
                "fastinter" => hc.fastinter = Some(t),
                "downinter" => hc.downinter = Some(t),
                _ => hc.agent_inter = Some(t),
            }
            return Ok(Some(2));
        }
        "rise" => return opt.positive().map(|n| (srv.rise = n, Some(2)).1),
        "fall" => return opt.positive().map(|n| (srv.fall = n, Some(2)).1),
        "port" | "agent-port" => {
            let p = port(opt)?;
            if opt.kw == "port" {
                hc.port = p;
            } else {
                hc.agent_port = p;
            }
            return Ok(Some(2));
        }
        "addr" | "agent-addr" => {
            let ip = address(opt)?;
            if opt.kw == "addr" {
                hc.addr = Some(ip);
            } else {
                hc.agent_addr = Some(ip);
            }
            return Ok(Some(2));
        }
        "agent-send" => {
            hc.agent_send = Some(
                opt.value
                    .ok_or_else(|| {
                        format!("{} : 'agent-send' expects a string as argument.", opt.who)
                    })?
                    .to_string(),
            );
            return Ok(Some(2));
        }
        "observe" | "error-limit" | "on-error" | "on-marked-down" | "on-marked-up" => {
            traffic_option(srv, opt)?;
            return Ok(Some(2));
        }
        "slowstart" => {
            let v = opt.value()?;
            let t = parse_time(v).map_err(|_| {
                let c = v.chars().find(|c| !c.is_ascii_digit()).unwrap_or(' ');
                format!(
                    "{} : unexpected character '{c}' in 'slowstart' argument of server {}.",
                    opt.who, opt.name
                )
            })?;
            hc.slowstart = Some(t).filter(|t| !t.is_zero());
            return Ok(Some(2));
        }
        "init-addr" => {
            hc.init_addr = init_addr(opt)?;
            return Ok(Some(2));
        }
        "track" => {
            let v = opt.value()?;
            hc.track = Some(match v.split_once('/') {
                Some((b, s)) => TrackRef {
                    backend: Some(b.to_string()),
                    server: s.to_string(),
                },
                None => TrackRef {
                    backend: None,
                    server: v.to_string(),
                },
            });
            return Ok(Some(2));
        }
        _ => return Ok(None),
    }
    Ok(Some(1))
}

/// A check interval: a time above 0.
fn interval(opt: &SrvOpt<'_>) -> Result<std::time::Duration, String> {
    let (who, kw) = (opt.who, opt.kw);
    let t = parse_time(opt.value()?).map_err(|e| format!("{who} : '{kw}' : {e}"))?;
    if t.is_zero() {
        return Err(format!(
            "{who} : invalid value 0 for argument '{kw}' of server {}.",
            opt.name
        ));
    }
    Ok(t)
}

/// `port` / `agent-port`: 0 means "the server's port".
fn port(opt: &SrvOpt<'_>) -> Result<Option<u16>, String> {
    let v = opt.value()?;
    let n: u32 = v.parse().map_err(|_| {
        format!(
            "{} : '{}' expects a port number, got '{v}'.",
            opt.who, opt.kw
        )
    })?;
    let p = u16::try_from(n)
        .map_err(|_| format!("{} : '{}' : invalid port '{v}'.", opt.who, opt.kw))?;
    Ok(Some(p).filter(|&p| p > 0))
}

/// `addr` / `agent-addr`: an address (a port after it is ignored, as in
/// HAProxy, which takes the port from `port`).
fn address(opt: &SrvOpt<'_>) -> Result<IpAddr, String> {
    let v = opt.value()?;
    let host = split_host_port(v).map(|(h, _)| h).unwrap_or(v);
    resolve_host(host, Family::Any, v).map_err(|_| match opt.kw {
        "addr" => format!("{} : 'addr' : invalid address: '{host}' in '{v}'.", opt.who),
        _ => format!(
            "{} : parsing agent-addr failed. Check if '{v}' is correct address.",
            opt.who
        ),
    })
}

/// `observe`, `error-limit`, `on-error`, `on-marked-down`, `on-marked-up`.
fn traffic_option(srv: &mut ServerConfig, opt: &SrvOpt<'_>) -> Result<(), String> {
    let (who, v) = (opt.who, opt.value()?);
    let hc = &mut srv.hc;
    match opt.kw {
        "observe" => {
            hc.observe = match v {
                "none" => None,
                "layer4" => Some(Observe::Layer4),
                "layer7" => Some(Observe::Layer7),
                _ => {
                    return Err(format!(
                        "{who} : 'observe' expects one of 'none', 'layer4', 'layer7' but got '{v}'."
                    ))
                }
            }
        }
        "error-limit" => {
            hc.error_limit = v
                .parse::<u32>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{who} : error-limit has to be > 0."))?
        }
        "on-error" => {
            hc.on_error = match v {
                "fastinter" => OnError::FastInter,
                "fail-check" => OnError::FailCheck,
                "sudden-death" => OnError::SuddenDeath,
                "mark-down" => OnError::MarkDown,
                _ => return Err(format!(
                    "{who} : 'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '{v}'."
                )),
            }
        }
        "on-marked-down" => {
            if v != "shutdown-sessions" {
                return Err(format!(
                    "{who} : 'on-marked-down' expects 'shutdown-sessions' but got '{v}'."
                ));
            }
            hc.shutdown_on_down = true;
        }
        _ => {
            if v != "shutdown-backup-sessions" {
                return Err(format!(
                    "{who} : 'on-marked-up' expects 'shutdown-backup-sessions' but got '{v}'."
                ));
            }
            hc.shutdown_backup_on_up = true;
        }
    }
    Ok(())
}

/// `init-addr last,libc,none,<ip>`: the methods in order.
fn init_addr(opt: &SrvOpt<'_>) -> Result<Vec<InitAddr>, String> {
    opt.value()?
        .split(',')
        .map(|m| match m {
            "last" => Ok(InitAddr::Last),
            "libc" => Ok(InitAddr::Libc),
            "none" => Ok(InitAddr::None),
            _ => m.parse::<IpAddr>().map(InitAddr::Ip).map_err(|_| {
                format!(
                    "{} : 'init-addr' : unknown init-addr method '{m}', supported methods are 'libc', 'last', 'none'.",
                    opt.who
                )
            }),
        })
        .collect()
}

/// What only the whole `server` line can tell: an agent needs a port,
/// and a server either checks or tracks another.
pub(super) fn finish_server(srv: &ServerConfig, who: &str) -> Result<(), String> {
    if srv.hc.agent && srv.hc.agent_port.is_none() {
        return Err(format!(
            "{who} : server {} does not have agent port. Agent check has been disabled.",
            srv.name
        ));
    }
    if srv.hc.track.is_some() && (srv.check || srv.hc.agent) {
        return Err(format!(
            "{who} : unable to enable checks and tracking at the same time!"
        ));
    }
    Ok(())
}

/// The server a `track` names: `(backend, server)` once found.
fn tracked<'a>(
    px: &'a ProxyConfig,
    all: &'a [ProxyConfig],
    t: &TrackRef,
) -> Result<(&'a ProxyConfig, &'a ServerConfig), String> {
    let be = match &t.backend {
        None => px,
        Some(b) => all
            .iter()
            .find(|p| p.kind.has_backend() && p.name == *b)
            .ok_or_else(|| format!("unable to find required proxy '{b}' for tracking."))?,
    };
    let srv = be
        .servers
        .iter()
        .find(|s| s.name == t.server)
        .ok_or_else(|| {
            format!(
                "unable to find required server '{}' for tracking.",
                t.server
            )
        })?;
    Ok((be, srv))
}

/// Every `track` of `px` must reach, through a chain without loops, a
/// server that runs checks.
pub(super) fn check_tracks(px: &ProxyConfig, all: &[ProxyConfig]) -> Vec<(Location, String)> {
    let mut errors = Vec::new();
    for srv in &px.servers {
        let Some(t) = &srv.hc.track else { continue };
        let who = format!("'server {}/{}'", px.name, srv.name);
        let mut cur = (px, t.clone());
        // A chain longer than every server there is must loop.
        let limit: usize = all.iter().map(|p| p.servers.len()).sum::<usize>() + 1;
        for _ in 0..limit {
            let (be, target) = match tracked(cur.0, all, &cur.1) {
                Ok(x) => x,
                Err(e) => {
                    errors.push((srv.loc.clone(), format!("{who} : {e}")));
                    break;
                }
            };
            if be.name == px.name && target.name == srv.name {
                // One report per loop, as HAProxy: by the server whose
                // direct target comes first in the configuration.
                if let Ok((dbe, dsrv)) = tracked(px, all, t) {
                    if position(all, dbe, dsrv) <= position(all, px, srv) {
                        errors.push((
                            srv.loc.clone(),
                            format!(
                                "{who} : unable to track {}/{} as it belongs to a tracking chain looping back to {}/{}.",
                                dbe.name, dsrv.name, px.name, srv.name
                            ),
                        ));
                    }
                }
                break;
            }
            match &target.hc.track {
                Some(next) => cur = (be, next.clone()),
                None => {
                    if !target.check && !target.hc.agent {
                        errors.push((
                            srv.loc.clone(),
                            format!(
                                "{who} : unable to use {}/{} for tracking as it does not have any check nor agent enabled.",
                                be.name, target.name
                            ),
                        ));
                    }
                    break;
                }
            }
        }
    }
    errors
}

/// Where a server comes in the configuration: (proxy line, server line).
fn position(all: &[ProxyConfig], be: &ProxyConfig, srv: &ServerConfig) -> (usize, usize) {
    let p = all.iter().position(|p| p.name == be.name).unwrap_or(0);
    let s = be
        .servers
        .iter()
        .position(|x| x.name == srv.name)
        .unwrap_or(0);
    (p, s)
}

/// A server whose address did not resolve: the `init-addr` methods after
/// `libc`, in order. `None` when none applies (the resolution error
/// stands). An IP gives the address (with the line's port); `none` starts
/// the server without one, in maintenance.
pub(super) fn init_addr_fallback(srv: &mut ServerConfig, spec: &str) -> Option<()> {
    let port = split_host_port(spec)
        .ok()
        .and_then(|(_, p)| p)
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|&p| p > 0);
    for m in srv.hc.init_addr.clone() {
        match m {
            InitAddr::Ip(ip) => {
                srv.ip = ip;
                srv.port = port;
                return Some(());
            }
            InitAddr::None => {
                srv.port = port;
                srv.hc.unresolved = true;
                return Some(());
            }
            InitAddr::Last | InitAddr::Libc => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, errors, ok};
    use crate::config::model_check::{InitAddr, Observe, OnError};
    use std::time::Duration;

    const BE: &str =
        "defaults\n timeout connect 1s\n timeout client 1s\n timeout server 1s\nbackend be\n";

    #[test]
    fn check_options_are_read() {
        let c = ok(&format!(
            "{BE} default-server inter 3s fastinter 1s downinter 5s rise 4 fall 5\n server a 127.0.0.1:80 check port 81 addr 127.0.0.2 observe layer7 error-limit 3 on-error mark-down on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions slowstart 10s agent-check agent-port 90 agent-inter 1s agent-send ping\n server b 127.0.0.1:80 track a\n"
        ));
        let s = &c.proxy("be").unwrap().servers;
        let a = &s[0];
        assert!(a.check && a.hc.agent);
        assert_eq!((a.inter, a.rise, a.fall), (Duration::from_secs(3), 4, 5));
        assert_eq!(a.hc.fastinter, Some(Duration::from_secs(1)));
        assert_eq!(a.hc.downinter, Some(Duration::from_secs(5)));
        assert_eq!(a.hc.port, Some(81));
        assert_eq!(a.hc.addr, Some("127.0.0.2".parse().unwrap()));
        assert_eq!(a.hc.observe, Some(Observe::Layer7));
        assert_eq!((a.hc.error_limit, a.hc.on_error), (3, OnError::MarkDown));
        assert!(a.hc.shutdown_on_down && a.hc.shutdown_backup_on_up);
        assert_eq!(a.hc.slowstart, Some(Duration::from_secs(10)));
        assert_eq!(a.hc.agent_port, Some(90));
        assert_eq!(a.hc.agent_send.as_deref(), Some("ping"));
        assert_eq!(s[1].hc.track.as_ref().unwrap().server, "a");
    }

    #[test]
    fn init_addr_fallbacks() {
        let c = ok(&format!(
            "{BE} server a nosuch.invalid:80 init-addr libc,none\n server b nosuch.invalid:81 init-addr last,10.0.0.9\n"
        ));
        let s = &c.proxy("be").unwrap().servers;
        assert!(s[0].hc.unresolved);
        assert_eq!(s[0].hc.init_addr, [InitAddr::Libc, InitAddr::None]);
        assert_eq!(
            (s[1].ip.to_string(), s[1].port),
            ("10.0.0.9".into(), Some(81))
        );
        assert!(error(&format!("{BE} server a nosuch.invalid:80\n")).contains("could not resolve"));
    }

    #[test]
    fn errors_as_haproxy_words_them() {
        let e = |opt: &str| error(&format!("{BE} server s1 127.0.0.1:80 {opt}\n"));
        assert!(e("check rise 0").ends_with("'server be/s1' : 'rise' has to be > 0."));
        assert!(e("check inter 0")
            .ends_with("'server be/s1' : invalid value 0 for argument 'inter' of server s1."));
        assert!(e("error-limit 0").ends_with("error-limit has to be > 0."));
        assert!(e("observe layer9")
            .ends_with("'observe' expects one of 'none', 'layer4', 'layer7' but got 'layer9'."));
        assert!(e("agent-check")
            .ends_with("server s1 does not have agent port. Agent check has been disabled."));
        assert!(
            e("check track s2").ends_with("unable to enable checks and tracking at the same time!")
        );
        assert!(e("init-addr bogus").contains("unknown init-addr method 'bogus'"));
        let t = errors(&format!(
            "{BE} server s1 127.0.0.1:80 track s2\n server s2 127.0.0.1:80\n server s3 127.0.0.1:80 track nobe/x\n server s4 127.0.0.1:80 track s5\n server s5 127.0.0.1:80 track s4\n"
        ));
        let all = t.join("\n");
        assert!(
            all.contains(
                "unable to use be/s2 for tracking as it does not have any check nor agent enabled."
            ),
            "{all}"
        );
        assert!(
            all.contains("unable to find required proxy 'nobe' for tracking."),
            "{all}"
        );
        assert!(all.contains("'server be/s5' : unable to track be/s4 as it belongs to a tracking chain looping back to be/s5."), "{all}");
        assert!(
            !all.contains("'server be/s4' : unable to track"),
            "one report per loop: {all}"
        );
    }
}
