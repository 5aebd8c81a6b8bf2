//! The `log` line, shared by `global` and the proxies:
//! `log <target> [len <n>] [format <fmt>] <facility> [<level> [<minlevel>]]`
//! or, in proxies, `log global`.
//!
//! Targets: `stdout`, `stderr` (or `fd@1`, `fd@2`), a unix datagram socket
//! (`/dev/log`, `unix@/path`), or a UDP syslog server (`<ip>[:port]`, port
//! 514 by default, optional `udp@`/`udp4@`/`udp6@`/`ipv4@`/`ipv6@` prefix).
//! HAProxy wants `len` before `format`; we take them in either order.

use std::path::PathBuf;

use super::addr::{parse_inet, parse_port, split_prefix, unsupported_family, Family};
use super::model::{Location, LogDest, LogFormat, LogTarget};

/// Syslog facility names, in number order (local0 = 16).
pub const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// Syslog level names, in number order (emerg = 0).
pub const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// Default `len`.
const DEFAULT_LEN: usize = 1024;
/// Longest line HAProxy will send.
const MAX_LEN: usize = 65535;
const SYSLOG_PORT: u16 = 514;

/// What a `log` line says.
#[derive(Debug)]
pub(super) enum LogLine {
    Global,
    Target(LogTarget),
}

fn dest(target: &str) -> Result<LogDest, String> {
    match target {
        "stdout" | "fd@1" => return Ok(LogDest::Stdout),
        "stderr" | "fd@2" => return Ok(LogDest::Stderr),
        _ => {}
    }
    if target.starts_with('/') {
        return Ok(LogDest::Unix(PathBuf::from(target)));
    }
    let (prefix, rest) = split_prefix(target);
    let family = match prefix {
        None | Some("udp") => Family::Any,
        Some("unix") => return Ok(LogDest::Unix(PathBuf::from(rest))),
        Some("udp4" | "ipv4") => Family::V4,
        Some("udp6" | "ipv6") => Family::V6,
        Some(p) => return Err(format!("log : {}", unsupported_family(p))),
    };
    let (ip, port) = parse_inet(rest, family, target).map_err(|e| format!("log : {e}"))?;
    let port = match port {
        Some(p) => parse_port(p).map_err(|e| format!("log : {e}"))?,
        None => SYSLOG_PORT,
    };
    Ok(LogDest::Udp(std::net::SocketAddr::new(ip, port)))
}

fn format(name: &str) -> Result<LogFormat, String> {
    match name {
        "rfc3164" => Ok(LogFormat::Rfc3164),
        "raw" => Ok(LogFormat::Raw),
        "short" => Ok(LogFormat::Short),
        "rfc5424" | "priority" | "timed" | "iso" => Err(format!(
            "log : format '{name}' is not supported by this proxy"
        )),
        _ => Err(format!("log : unknown log format '{name}'")),
    }
}

fn level(name: &str) -> Result<u8, String> {
    LEVELS
        .iter()
        .position(|l| *l == name)
        .map(|n| n as u8)
        .ok_or_else(|| format!("log : unknown optional log level '{name}'"))
}

/// Parses a `log` line (`args[0]` is `log`). `in_proxy` allows `log global`.
pub(super) fn parse_log(
    args: &[String],
    loc: &Location,
    in_proxy: bool,
) -> Result<LogLine, String> {
    let arg = |i: usize| args.get(i).map(String::as_str);
    let Some(target) = arg(1) else {
        return Err("log : expects <address> and <facility> or global as arguments".into());
    };
    if target == "global" {
        if !in_proxy {
            return Err("log : 'global' is not supported for a global syslog server".into());
        }
        return match arg(2) {
            Some(extra) => Err(format!("log : cannot handle unexpected argument '{extra}'")),
            None => Ok(LogLine::Global),
        };
    }
    let dest = dest(target)?;
    let mut t = LogTarget {
        dest,
        max_len: DEFAULT_LEN,
        format: LogFormat::Rfc3164,
        facility: 0,
        level: 7,
        loc: loc.clone(),
    };
    let mut i = 2;
    loop {
        match arg(i) {
            Some("len") => {
                t.max_len = arg(i + 1)
                    .and_then(|v| v.parse::<usize>().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        format!(
                            "log : invalid log length '{}', must be > 0",
                            arg(i + 1).unwrap_or("")
                        )
                    })?
                    .min(MAX_LEN);
            }
            Some("format") => {
                t.format = format(arg(i + 1).ok_or("log : 'format' expects a format name")?)?;
            }
            Some("sample") => return Err("log : 'sample' is not supported by this proxy".into()),
            _ => break,
        }
        i += 2;
    }
    let Some(fac) = arg(i) else {
        return Err("log : expects <address> and <facility> or global as arguments".into());
    };
    t.facility = FACILITIES
        .iter()
        .position(|f| *f == fac)
        .map(|n| n as u8)
        .ok_or_else(|| format!("log : unknown log facility '{fac}'"))?;
    if let Some(l) = arg(i + 1) {
        t.level = level(l)?;
    }
    // The minimum level is validated but not kept: nothing we log goes below.
    if let Some(min) = arg(i + 2) {
        level(min)?;
    }
    if let Some(extra) = arg(i + 3) {
        return Err(format!("log : cannot handle unexpected argument '{extra}'"));
    }
    Ok(LogLine::Target(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str, in_proxy: bool) -> Result<LogLine, String> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse_log(
            &args,
            &Location {
                file: "t.cfg".into(),
                line: 3,
            },
            in_proxy,
        )
    }

    fn target(line: &str) -> LogTarget {
        match parse(line, false).unwrap() {
            LogLine::Target(t) => t,
            LogLine::Global => panic!("global"),
        }
    }

    #[test]
    fn targets() {
        let t = target("log stdout format raw local0");
        assert_eq!(
            (t.dest, t.format, t.facility, t.level, t.max_len),
            (LogDest::Stdout, LogFormat::Raw, 16, 7, 1024)
        );
        assert_eq!(
            t.loc,
            Location {
                file: "t.cfg".into(),
                line: 3
            }
        );
        let t = target("log stderr local7 err");
        assert_eq!(
            (t.dest, t.format, t.facility, t.level),
            (LogDest::Stderr, LogFormat::Rfc3164, 23, 3)
        );
        let t = target("log 127.0.0.1 len 2000 local1 info notice");
        assert_eq!(t.dest, LogDest::Udp("127.0.0.1:514".parse().unwrap()));
        assert_eq!((t.max_len, t.facility, t.level), (2000, 17, 6));
        let t = target("log 10.0.0.1:1514 format short len 100000 user debug");
        assert_eq!(t.dest, LogDest::Udp("10.0.0.1:1514".parse().unwrap()));
        assert_eq!(
            (t.format, t.max_len, t.facility),
            (LogFormat::Short, MAX_LEN, 1)
        );
        assert_eq!(
            target("log /dev/log daemon").dest,
            LogDest::Unix("/dev/log".into())
        );
        assert_eq!(
            target("log unix@/tmp/s kern").dest,
            LogDest::Unix("/tmp/s".into())
        );
        assert_eq!(
            target("log udp@[::1]:600 kern").dest,
            LogDest::Udp("[::1]:600".parse().unwrap())
        );
        assert_eq!(target("log fd@2 kern").dest, LogDest::Stderr);
        assert!(matches!(
            parse("log global", true).unwrap(),
            LogLine::Global
        ));
    }

    #[test]
    fn errors() {
        let e = |l: &str| parse(l, true).unwrap_err();
        assert_eq!(
            e("log 127.0.0.1:515 foo"),
            "log : unknown log facility 'foo'"
        );
        assert_eq!(
            e("log 127.0.0.1:515 local0 bar"),
            "log : unknown optional log level 'bar'"
        );
        assert_eq!(
            e("log 127.0.0.1 local0 info debug x"),
            "log : cannot handle unexpected argument 'x'"
        );
        assert_eq!(
            e("log global x"),
            "log : cannot handle unexpected argument 'x'"
        );
        assert!(e("log").contains("expects <address>"));
        assert!(e("log 127.0.0.1").contains("expects <address>"));
        assert!(e("log stdout format rfc5424 local0").contains("not supported"));
        assert!(e("log stdout format foo local0").contains("unknown log format 'foo'"));
        assert!(e("log stdout len 0 local0").contains("invalid log length"));
        assert!(e("log 127.0.0.1:0 local0").contains("invalid port '0'"));
        assert!(e("log foo.invalid local0").contains("invalid address: 'foo.invalid'"));
        assert!(e("log ring@x local0").contains("'ring@'"));
        assert_eq!(
            parse("log global", false).unwrap_err(),
            "log : 'global' is not supported for a global syslog server"
        );
    }
}
