//! Addresses of `bind`, `server`, `dispatch`, `source` and `log` lines.
//!
//! HAProxy's conventions: an optional family prefix (`ipv4@`, `ipv6@`,
//! `unix@`, `fd@`...), the port after the *last* colon (so `:::80` is port
//! 80 on `::`, and `[::1]:80` works too), an empty host or `*` meaning every
//! IPv4 address. Host names are resolved once, here, with the system
//! resolver; like HAProxy we take the first IPv4 answer when there is one.
//!
//! Errors are fragments (`invalid port '0'`); the keyword adds its name.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use super::model::BindAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    Any,
    V4,
    V6,
}

/// Splits `fam@rest`; `None` when there is no prefix.
pub(super) fn split_prefix(spec: &str) -> (Option<&str>, &str) {
    match spec.split_once('@') {
        Some((p, rest)) => (Some(p), rest),
        None => (None, spec),
    }
}

/// The family an IP-ish prefix selects (`None` for non-IP prefixes).
pub(super) fn inet_family(prefix: &str) -> Option<Family> {
    match prefix {
        "ipv4" | "tcp4" => Some(Family::V4),
        "ipv6" | "tcp6" => Some(Family::V6),
        "tcp" => Some(Family::Any),
        _ => None,
    }
}

/// Splits `host:port`, `[v6]:port`, `host` into the host and the raw port
/// text (`None` when no colon).
pub(super) fn split_host_port(s: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("missing ']' in '{s}'"))?;
        return match after {
            "" => Ok((host, None)),
            _ => after
                .strip_prefix(':')
                .map(|p| (host, Some(p)))
                .ok_or_else(|| format!("invalid address '{s}'")),
        };
    }
    Ok(match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    })
}

/// Resolves `host` (`spec` is the whole address, for messages).
pub(super) fn resolve_host(host: &str, family: Family, spec: &str) -> Result<IpAddr, String> {
    let invalid = || format!("invalid address: '{host}' in '{spec}'");
    let fits = |ip: &IpAddr| match family {
        Family::Any => true,
        Family::V4 => ip.is_ipv4(),
        Family::V6 => ip.is_ipv6(),
    };
    if host.is_empty() || host == "*" {
        return Ok(match family {
            Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        });
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if fits(&ip) { Ok(ip) } else { Err(invalid()) };
    }
    // Anything with a colon left is a broken IPv6 literal, not a name.
    if host.contains(':') {
        return Err(invalid());
    }
    // Fuzz builds only (cargo-fuzz sets `fuzzing`): no DNS, whose queries
    // can wait seconds each; names fail as an unknown name does.
    if cfg!(fuzzing) && host != "localhost" {
        return Err(invalid());
    }
    let ips: Vec<IpAddr> = (host, 0)
        .to_socket_addrs()
        .map_err(|_| invalid())?
        .map(|sa| sa.ip())
        .filter(fits)
        .collect();
    ips.iter()
        .find(|ip| ip.is_ipv4())
        .or_else(|| ips.first())
        .copied()
        .ok_or_else(invalid)
}

/// A port number, 1..=65535.
pub(super) fn parse_port(p: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("invalid port '{p}'"))
}

/// An IP address with an optional port (`server`, `source`, `dispatch`,
/// `log`): returns the address and the raw port text. `family` comes from
/// a prefix the caller already removed.
pub(super) fn parse_inet<'a>(
    s: &'a str,
    family: Family,
    spec: &str,
) -> Result<(IpAddr, Option<&'a str>), String> {
    let (host, port) = split_host_port(s)?;
    Ok((
        resolve_host(host, family, spec)?,
        port.filter(|p| !p.is_empty()),
    ))
}

/// Like [`parse_inet`] with a mandatory single port (`dispatch`).
pub(super) fn parse_socket_addr(spec: &str) -> Result<SocketAddr, String> {
    let (prefix, rest) = split_prefix(spec);
    let family = match prefix {
        None => Family::Any,
        Some(p) => inet_family(p).ok_or_else(|| unsupported_family(p))?,
    };
    let (ip, port) = parse_inet(rest, family, spec)?;
    let port = port.ok_or_else(|| format!("missing port specification in '{spec}'"))?;
    Ok(SocketAddr::new(ip, parse_port(port)?))
}

pub(super) fn unsupported_family(prefix: &str) -> String {
    format!("address family '{prefix}@' is not supported here")
}

/// The address list of a `bind` line: comma-separated addresses, each
/// possibly a port range, a unix socket path or an inherited fd.
pub(super) fn parse_bind_addrs(spec: &str) -> Result<Vec<BindAddr>, String> {
    let mut out = Vec::new();
    // HAProxy skips empty elements (`a:80,` is fine).
    for part in spec.split(',').filter(|p| !p.is_empty()) {
        let (prefix, rest) = split_prefix(part);
        let family = match prefix {
            Some("fd") => {
                let fd = rest.parse::<i32>().ok().filter(|&n| n >= 0);
                out.push(BindAddr::Fd(
                    fd.ok_or_else(|| format!("invalid file descriptor in '{part}'"))?,
                ));
                continue;
            }
            Some("unix") => {
                out.push(BindAddr::Unix(PathBuf::from(rest)));
                continue;
            }
            None if rest.starts_with('/') => {
                out.push(BindAddr::Unix(PathBuf::from(rest)));
                continue;
            }
            None => Family::Any,
            Some(p) => inet_family(p).ok_or_else(|| unsupported_family(p))?,
        };
        let (host, port) = split_host_port(rest)?;
        let port = port
            .filter(|p| !p.is_empty())
            .ok_or_else(|| format!("missing port specification in '{part}'"))?;
        let (lo, hi) = match port.split_once('-') {
            Some((a, b)) => (parse_port(a)?, parse_port(b)?),
            None => {
                let p = parse_port(port)?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(format!("invalid port range '{port}'"));
        }
        let ip = resolve_host(host, family, part)?;
        out.extend((lo..=hi).map(|p| BindAddr::Tcp(SocketAddr::new(ip, p))));
    }
    if out.is_empty() {
        return Err(format!("no address in '{spec}'"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(s: &str) -> BindAddr {
        BindAddr::Tcp(s.parse().unwrap())
    }

    #[test]
    fn bind_forms() {
        assert_eq!(
            parse_bind_addrs("127.0.0.1:80").unwrap(),
            [tcp("127.0.0.1:80")]
        );
        assert_eq!(parse_bind_addrs(":80").unwrap(), [tcp("0.0.0.0:80")]);
        assert_eq!(parse_bind_addrs("*:80").unwrap(), [tcp("0.0.0.0:80")]);
        assert_eq!(parse_bind_addrs(":::80").unwrap(), [tcp("[::]:80")]);
        assert_eq!(parse_bind_addrs("[::1]:80").unwrap(), [tcp("[::1]:80")]);
        assert_eq!(parse_bind_addrs("ipv6@::1:80").unwrap(), [tcp("[::1]:80")]);
        assert_eq!(parse_bind_addrs("ipv6@:80").unwrap(), [tcp("[::]:80")]);
        assert_eq!(
            parse_bind_addrs("ipv4@10.0.0.1:80").unwrap(),
            [tcp("10.0.0.1:80")]
        );
        assert_eq!(
            parse_bind_addrs("127.0.0.1:8000-8002,:9000,").unwrap(),
            [
                tcp("127.0.0.1:8000"),
                tcp("127.0.0.1:8001"),
                tcp("127.0.0.1:8002"),
                tcp("0.0.0.0:9000")
            ]
        );
        assert_eq!(
            parse_bind_addrs("/run/x.sock").unwrap(),
            [BindAddr::Unix("/run/x.sock".into())]
        );
        assert_eq!(
            parse_bind_addrs("unix@rel.sock").unwrap(),
            [BindAddr::Unix("rel.sock".into())]
        );
        assert_eq!(parse_bind_addrs("fd@3").unwrap(), [BindAddr::Fd(3)]);
        assert_eq!(
            parse_bind_addrs("localhost:80").unwrap(),
            [tcp("127.0.0.1:80")]
        );
    }

    #[test]
    fn bind_errors() {
        assert_eq!(
            parse_bind_addrs("127.0.0.1:0").unwrap_err(),
            "invalid port '0'"
        );
        assert_eq!(
            parse_bind_addrs("127.0.0.1:70000").unwrap_err(),
            "invalid port '70000'"
        );
        assert_eq!(
            parse_bind_addrs("127.0.0.1").unwrap_err(),
            "missing port specification in '127.0.0.1'"
        );
        assert_eq!(
            parse_bind_addrs("127.0.0.1:8002-8000").unwrap_err(),
            "invalid port range '8002-8000'"
        );
        assert_eq!(
            parse_bind_addrs("ipv4@:::80").unwrap_err(),
            "invalid address: '::' in 'ipv4@:::80'"
        );
        assert!(parse_bind_addrs("fe.invalid:80")
            .unwrap_err()
            .contains("invalid address: 'fe.invalid'"));
        assert!(parse_bind_addrs("fd@x").is_err());
        assert!(parse_bind_addrs("abns@x").unwrap_err().contains("'abns@'"));
        assert!(parse_bind_addrs("[::1:80").is_err());
        assert!(parse_bind_addrs(",").is_err());
    }

    #[test]
    fn inet_and_socket_addrs() {
        let (ip, port) = parse_inet("10.1.2.3:8080", Family::Any, "x").unwrap();
        assert_eq!((ip, port), ("10.1.2.3".parse().unwrap(), Some("8080")));
        let (ip, port) = parse_inet("10.1.2.3", Family::Any, "x").unwrap();
        assert_eq!((ip, port), ("10.1.2.3".parse().unwrap(), None));
        let (ip, _) = parse_inet("localhost", Family::Any, "x").unwrap();
        assert_eq!(ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(
            parse_socket_addr("127.0.0.1:81").unwrap(),
            "127.0.0.1:81".parse().unwrap()
        );
        assert_eq!(
            parse_socket_addr("127.0.0.1").unwrap_err(),
            "missing port specification in '127.0.0.1'"
        );
        assert!(parse_socket_addr("unix@/x").is_err());
    }
}
