//! Handlers for `server` and `default-server`, which carry their own
//! sub-keywords (`bind` is in [`super::kw_bind`]).

use std::net::IpAddr;

use super::addr::{
    inet_family, resolve_host, split_host_port, split_prefix, unsupported_family, Family,
};
use super::keywords::{invalid_char, suggest, type_str, Ctx, KwResult, ProxyState};
use super::kw_proxy::parse_source;
use super::model::ServerConfig;
use crate::units::parse_time;

/// `server` options we implement.
const SERVER_KEYWORDS: &[&str] = &[
    "weight",
    "maxconn",
    "source",
    "disabled",
    "enabled",
    "backup",
    "id",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "cookie",
];

/// HAProxy `server` options we do not implement: refused by name.
const UNSUPPORTED_SERVER: &[&str] = &[
    "interface",
    "max-reuse",
    "maxqueue",
    "minconn",
    "namespace",
    "non-stick",
    "proto",
    "redir",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "socks4",
    "tcp-ut",
    "tfo",
    "usesrc",
    "ws",
];

/// A server address: IPv4/IPv6 literal or host name, optional port (`None`
/// when absent or 0: the client's destination port is used then), and
/// the host name when it was not a literal.
fn server_addr(spec: &str) -> Result<(IpAddr, Option<u16>, Option<String>), String> {
    let (prefix, rest) = split_prefix(spec);
    let family = match prefix {
        None if rest.starts_with('/') => {
            return Err("unix socket servers are not supported by this proxy".into())
        }
        None => Family::Any,
        Some(p) => inet_family(p).ok_or_else(|| unsupported_family(p))?,
    };
    let (host, port) = split_host_port(rest)?;
    // HAProxy reports any failure here as a resolution failure, even for
    // a broken IPv6 literal such as `::1` (read as host `:` and port 1).
    let ip = resolve_host(host, family, spec)
        .map_err(|_| format!("could not resolve address '{host}'."))?;
    let port = match port.filter(|p| !p.is_empty()) {
        None => None,
        Some(p) if p.starts_with('+') || p.starts_with('-') => {
            return Err(format!(
                "port offsets are not supported by this proxy in '{spec}'"
            ))
        }
        Some(p) if p.contains('-') => {
            return Err(format!("port range not permitted here in '{spec}'"))
        }
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| format!("invalid port '{p}'"))?,
        )
        .filter(|&n| n > 0),
    };
    let hostname = (host.parse::<IpAddr>().is_err() && !host.is_empty() && host != "*")
        .then(|| host.to_string());
    Ok((ip, port, hostname))
}

/// `server <name> <addr>[:port] [options...]`.
pub(super) fn server(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let args = ctx.args;
    let word = |i: usize| args.get(i).map(String::as_str);
    let (Some(name), Some(addr)) = (word(1), word(2)) else {
        return Err("'server' expects <name> and <addr>[:<port>] as arguments.".into());
    };
    check_server_name(st, name)?;
    let who = format!("'server {}/{name}'", st.cfg.name);
    // A name that does not resolve may still start the server, if its
    // `init-addr` methods say how: decided once the options are read.
    let resolved = server_addr(addr).map_err(|e| format!("{who} : {e}"));
    let (ip, port, hostname) = match &resolved {
        Ok(a) => a.clone(),
        Err(_) => (IpAddr::from([0, 0, 0, 0]), None, None),
    };
    let mut srv = match &st.cfg.default_server {
        Some(d) => ServerConfig {
            name: name.to_string(),
            ip,
            port,
            id: 0,
            loc: ctx.loc.clone(),
            ..(**d).clone()
        },
        None => new_server(name, ip, port, ctx),
    };
    srv.hostname = hostname;
    server_options(st, &mut srv, ctx, (&who, name), 3)?;
    if let Err(e) = resolved {
        super::kw_server_check::init_addr_fallback(&mut srv, addr).ok_or(e)?;
    }
    super::kw_server_check::finish_server(&srv, &who)?;
    st.cfg.servers.push(srv);
    Ok(())
}

/// `default-server [options...]`: the options every later `server` line
/// of the section (and of the proxies using this `defaults`) starts from;
/// a proxy's own line adds to what it inherited.
pub(super) fn default_server(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let mut tpl = match st.cfg.default_server.take() {
        Some(d) => d,
        None => Box::new(new_server("", IpAddr::from([0, 0, 0, 0]), None, ctx)),
    };
    if ctx.args.iter().any(|a| a == "id") {
        st.cfg.default_server = Some(tpl);
        return Err("'id' option is not accepted in default-server sections".into());
    }
    let r = server_options(st, &mut tpl, ctx, ("'default-server'", ""), 1);
    st.cfg.default_server = Some(tpl);
    r
}

/// Reads the options of a `server` or `default-server` line from word
/// `first` on; `(who, name)` name the line in messages.
fn server_options(
    st: &ProxyState,
    srv: &mut ServerConfig,
    ctx: &mut Ctx<'_>,
    (who, name): (&str, &str),
    first: usize,
) -> KwResult {
    // The words outlive the borrow of `ctx` the expression files need.
    let args = ctx.args;
    let word = |i: usize| args.get(i).map(String::as_str);
    let mut i = first;
    while let Some(kw) = word(i) {
        let opt = SrvOpt {
            who,
            name,
            kw,
            value: word(i + 1),
        };
        if let Some(n) = super::kw_server_tls::tls_option(st, srv, &opt, ctx.files)? {
            i += n;
            continue;
        }
        i += server_option(st, srv, &opt)?;
    }
    Ok(())
}

/// A server name must be valid and unique in its proxy.
fn check_server_name(st: &ProxyState, name: &str) -> KwResult {
    if let Some(c) = invalid_char(name) {
        return Err(format!(
            "character '{c}' is not permitted in server name '{name}'."
        ));
    }
    if let Some(prev) = st.cfg.servers.iter().find(|s| s.name == name) {
        return Err(format!(
            "{} '{}', another server named '{name}' was already defined at line {}, please use distinct names.",
            type_str(st.cfg.kind),
            st.cfg.name,
            prev.loc.line
        ));
    }
    Ok(())
}

/// A server with HAProxy's defaults.
fn new_server(name: &str, ip: IpAddr, port: Option<u16>, ctx: &Ctx<'_>) -> ServerConfig {
    ServerConfig::with_defaults(name, ip, port, ctx.loc.clone())
}

/// One server option: its keyword and the word after it.
pub(super) struct SrvOpt<'a> {
    /// `'server <proxy>/<name>'`, the prefix of messages.
    pub(super) who: &'a str,
    pub(super) name: &'a str,
    pub(super) kw: &'a str,
    pub(super) value: Option<&'a str>,
}

impl SrvOpt<'_> {
    pub(super) fn value(&self) -> Result<&str, String> {
        self.value
            .ok_or_else(|| format!("{} : '{}' expects an argument.", self.who, self.kw))
    }

    fn int(&self) -> Result<i64, String> {
        self.value()?
            .parse::<i64>()
            .map_err(|_| format!("{} : '{}' expects an integer argument.", self.who, self.kw))
    }

    pub(super) fn positive(&self) -> Result<u32, String> {
        u32::try_from(self.int()?)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{} : '{}' has to be > 0.", self.who, self.kw))
    }
}

/// Applies one option to `srv`; returns how many words it took.
fn server_option(
    st: &ProxyState,
    srv: &mut ServerConfig,
    opt: &SrvOpt<'_>,
) -> Result<usize, String> {
    let who = opt.who;
    if let Some(n) = super::kw_server_check::check_option(srv, opt)? {
        return Ok(n);
    }
    if let Some(n) = super::kw_server_pp::pp_option(srv, opt)? {
        return Ok(n);
    }
    match opt.kw {
        "disabled" => srv.disabled = true,
        "enabled" => srv.disabled = false,
        "backup" => srv.backup = true,
        "weight" | "maxconn" | "id" => {
            server_limit(st, srv, opt)?;
            return Ok(2);
        }
        "pool-max-conn" | "pool-low-conn" | "pool-purge-delay" => {
            server_pool(srv, opt)?;
            return Ok(2);
        }
        "cookie" => {
            super::kw_cookie::server_cookie(srv, who, opt.value)?;
            return Ok(2);
        }
        "source" => {
            let args = [opt.kw.to_string(), opt.value()?.to_string()];
            srv.source = Some(parse_source(&args).map_err(|e| format!("{who} : {e}"))?);
            return Ok(2);
        }
        k => return Err(unknown_server_keyword(who, k)),
    }
    Ok(1)
}

/// `weight`, `maxconn` and `id`.
fn server_limit(st: &ProxyState, srv: &mut ServerConfig, opt: &SrvOpt<'_>) -> KwResult {
    let (who, kw) = (opt.who, opt.kw);
    match kw {
        "weight" => {
            let w = opt.int()?;
            srv.weight = u32::try_from(w).ok().filter(|&w| w <= 256).ok_or_else(|| {
                format!(
                    "{who} : weight of server {} is not within 0 and 256 ({w}).",
                    opt.name
                )
            })?;
        }
        "maxconn" => {
            srv.maxconn = u32::try_from(opt.int()?)
                .map_err(|_| format!("{who} : '{kw}' expects a positive integer."))?
        }
        _ => {
            let id = opt
                .positive()
                .map_err(|_| format!("{who} : 'id' : custom id has to be > 0."))?;
            if let Some(other) = st.cfg.servers.iter().find(|s| s.id == id) {
                return Err(format!(
                    "{who} : 'id' : custom id {id} already used at {} ('server {}').",
                    other.loc, other.name
                ));
            }
            srv.id = id;
        }
    }
    Ok(())
}

/// `pool-max-conn`, `pool-low-conn` and `pool-purge-delay`.
fn server_pool(srv: &mut ServerConfig, opt: &SrvOpt<'_>) -> KwResult {
    let who = opt.who;
    match opt.kw {
        "pool-max-conn" => {
            let n = opt.int()?;
            if n < -1 {
                return Err(format!("{who} : 'pool-max-conn' must be >= -1."));
            }
            srv.pool_max_conn = u32::try_from(n).ok();
        }
        "pool-low-conn" => {
            let n = opt.int()?;
            srv.pool_low_conn =
                u32::try_from(n).map_err(|_| format!("{who} : 'pool-low-conn' must be >= 0."))?;
        }
        _ => {
            srv.pool_purge_delay = parse_time(opt.value()?)
                .map_err(|e| format!("{who} : 'pool-purge-delay' : {e}"))?;
        }
    }
    Ok(())
}

/// The error for an option we refuse by name or do not know.
fn unknown_server_keyword(who: &str, k: &str) -> String {
    if UNSUPPORTED_SERVER.contains(&k) {
        return format!("{who} : '{k}' is not supported by this proxy.");
    }
    let hint = suggest(
        k,
        SERVER_KEYWORDS
            .iter()
            .chain(super::kw_server_check::CHECK_KEYWORDS)
            .chain(super::kw_server_tls::TLS_KEYWORDS)
            .chain(super::kw_server_pp::PP_KEYWORDS)
            .chain(UNSUPPORTED_SERVER)
            .copied(),
    )
    .map(|s| format!("; did you mean '{s}' maybe ?"))
    .unwrap_or_default();
    format!("{who} : unknown keyword '{k}'{hint}")
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use crate::config::model::{BindAddr, SourceAddr};
    use std::net::IpAddr;
    use std::time::Duration;

    fn tcp(s: &str) -> BindAddr {
        BindAddr::Tcp(s.parse().unwrap())
    }

    #[test]
    fn bind_lines() {
        let c = ok("frontend f\n bind 127.0.0.1:80,127.0.0.1:81 name web\n bind :8000-8001\n bind /run/f.sock\n bind fd@4\n");
        let b = &c.proxy("f").unwrap().binds;
        assert_eq!(b[0].addrs, [tcp("127.0.0.1:80"), tcp("127.0.0.1:81")]);
        assert_eq!((b[0].name.as_deref(), b[0].loc.line), (Some("web"), 2));
        assert_eq!(b[1].addrs, [tcp("0.0.0.0:8000"), tcp("0.0.0.0:8001")]);
        assert_eq!(b[2].addrs, [BindAddr::Unix("/run/f.sock".into())]);
        assert_eq!(b[3].addrs, [BindAddr::Fd(4)]);
    }

    #[test]
    fn bind_errors() {
        assert_eq!(
            error("frontend f\n bind 127.0.0.1:0\n"),
            "parsing [t.cfg:2] : 'bind' : invalid port '0'"
        );
        assert!(error("frontend f\n bind 127.0.0.1\n")
            .contains("'bind' : missing port specification in '127.0.0.1'"));
        assert!(error("frontend f\n bind\n").contains("'bind' expects"));
        assert_eq!(
            error("frontend f\n bind :80 nmae x\n"),
            "parsing [t.cfg:2] : 'bind :80' in section 'frontend': unknown keyword 'nmae'; did you mean 'name' maybe ?"
        );
        assert!(error("listen l\n bind :80 ssl crt x.pem\n").contains(
            "'bind :80' in section 'listen' : unable to stat SSL certificate from file 'x.pem'"
        ));
        assert!(error("frontend f\n bind :80 name\n").contains("'name' : missing name"));
    }

    #[test]
    fn default_server_lines_are_inherited_and_merged() {
        let c = ok("
defaults
    mode http
    default-server weight 7 maxconn 20 check
backend b
    default-server weight 9 inter 3s
    server s1 127.0.0.1:80
    server s2 127.0.0.1:81 weight 3 id 4
backend c
    server s3 127.0.0.1:82
");
        let b = &c.proxy("b").unwrap().servers;
        let got: Vec<_> = b
            .iter()
            .map(|s| (s.name.as_str(), s.weight, s.maxconn, s.check, s.inter, s.id))
            .collect();
        let s3 = Duration::from_secs(3);
        assert_eq!(
            got,
            [("s1", 9, 20, true, s3, 1), ("s2", 3, 20, true, s3, 4)]
        );
        let cs = &c.proxy("c").unwrap().servers[0];
        assert_eq!(
            (cs.weight, cs.maxconn, cs.inter),
            (7, 20, Duration::from_secs(2))
        );
        assert!(error("backend b\n    default-server id 3\n")
            .contains("'id' option is not accepted in default-server sections"));
        assert!(
            error("backend b\n    default-server weight 999\n").contains("is not within 0 and 256")
        );
    }

    #[test]
    fn server_lines() {
        let c = ok("
backend b
    server a 127.0.0.1:8001 weight 10 maxconn 100 check inter 500 rise 1 fall 5
    server b 127.0.0.1 backup disabled id 7 source 10.0.0.2
    server c localhost:8003 weight 0
    server d [::1]:8004 weight 256
    server e 127.0.0.1:0
    server f ::1:8005
    server g [::1]
");
        let s = &c.proxy("b").unwrap().servers;
        assert_eq!((s[0].weight, s[0].maxconn, s[0].check), (10, 100, true));
        assert_eq!(
            (s[0].inter, s[0].rise, s[0].fall),
            (Duration::from_millis(500), 1, 5)
        );
        assert_eq!(
            (s[0].ip, s[0].port, s[0].id),
            ("127.0.0.1".parse::<IpAddr>().unwrap(), Some(8001), 1)
        );
        assert_eq!(
            (s[1].port, s[1].backup, s[1].disabled, s[1].id, s[1].check),
            (None, true, true, 7, false)
        );
        assert_eq!(
            s[1].source,
            Some(SourceAddr {
                ip: "10.0.0.2".parse().unwrap(),
                port: 0
            })
        );
        assert_eq!(
            (s[1].weight, s[1].inter, s[1].rise, s[1].fall),
            (1, Duration::from_secs(2), 2, 3)
        );
        assert_eq!(
            (s[2].ip, s[2].weight, s[2].id),
            ("127.0.0.1".parse::<IpAddr>().unwrap(), 0, 2)
        );
        assert_eq!(
            (s[3].ip, s[3].port, s[3].weight),
            ("::1".parse::<IpAddr>().unwrap(), Some(8004), 256)
        );
        assert_eq!((s[4].port, s[4].loc.line), (None, 7));
        // The port follows the last colon, as in HAProxy.
        let v6: IpAddr = "::1".parse().unwrap();
        assert_eq!((s[5].ip, s[5].port), (v6, Some(8005)));
        assert_eq!((s[6].ip, s[6].port), (v6, None));
    }

    #[test]
    fn server_errors() {
        let e = |l: &str| error(&format!("backend be\n server s1 127.0.0.1:80\n {l}\n"));
        assert_eq!(
            e("server s2 127.0.0.1:80 weight 257"),
            "parsing [t.cfg:3] : 'server be/s2' : weight of server s2 is not within 0 and 256 (257)."
        );
        assert_eq!(
            e("server s1 127.0.0.1:81"),
            "parsing [t.cfg:3] : backend 'be', another server named 's1' was already defined at line 2, please use distinct names."
        );
        assert!(e("server s2 nope.invalid:80")
            .contains("'server be/s2' : could not resolve address 'nope.invalid'."));
        assert!(e("server s2 ::1").contains("'server be/s2' : could not resolve address ':'."));
        assert!(e("server s2 127.0.0.1:80 foo").contains("'server be/s2' : unknown keyword 'foo'"));
        assert!(e("server s2 127.0.0.1:80 wieght 3")
            .contains("unknown keyword 'wieght'; did you mean 'weight' maybe ?"));
        assert!(
            e("server s2 127.0.0.1:80 redir x").contains("'redir' is not supported by this proxy")
        );
        assert!(e("server s2 127.0.0.1:80 id 0")
            .contains("'server be/s2' : 'id' : custom id has to be > 0."));
        assert!(
            e("server s2 127.0.0.1:80 rise 0").contains("'server be/s2' : 'rise' has to be > 0.")
        );
        assert!(e("server s2 127.0.0.1:80 inter 0")
            .contains("invalid value 0 for argument 'inter' of server s2."));
        assert!(e("server s2 127.0.0.1:80 inter 1x").contains("'inter' : unexpected character 'x'"));
        assert!(e("server s2 127.0.0.1:80 weight").contains("'weight' expects an argument."));
        assert!(e("server s2 127.0.0.1:99999").contains("invalid port '99999'"));
        assert!(e("server s2 127.0.0.1:80-81")
            .contains("port range not permitted here in '127.0.0.1:80-81'"));
        assert!(e("server s2 127.0.0.1:+1").contains("port offsets are not supported"));
        assert!(e("server s2 /run/s.sock").contains("unix socket servers are not supported"));
        assert!(
            e("server s2").contains("'server' expects <name> and <addr>[:<port>] as arguments.")
        );
        assert!(e("server s/2 127.0.0.1")
            .contains("character '/' is not permitted in server name 's/2'."));
        let dup = error("backend be\n server a 127.0.0.1 id 7\n server b 127.0.0.1 id 7\n");
        assert_eq!(dup, "parsing [t.cfg:3] : 'server be/b' : 'id' : custom id 7 already used at t.cfg:2 ('server a').");
    }

    #[test]
    fn idle_pool_keywords() {
        let c = ok("backend b\n server a 127.0.0.1:1 pool-max-conn 10 pool-purge-delay 1s\n server b 127.0.0.1:2 pool-max-conn -1 pool-low-conn 3\n server c 127.0.0.1:3 pool-max-conn 0\n server d 127.0.0.1:4\n");
        let s = &c.proxy("b").unwrap().servers;
        assert_eq!(
            (s[0].pool_max_conn, s[0].pool_purge_delay),
            (Some(10), Duration::from_secs(1))
        );
        assert_eq!((s[1].pool_max_conn, s[2].pool_max_conn), (None, Some(0)));
        assert_eq!((s[0].pool_low_conn, s[1].pool_low_conn), (0, 3));
        assert_eq!(
            (s[3].pool_max_conn, s[3].pool_purge_delay),
            (None, Duration::from_secs(5))
        );
        let e = |l: &str| error(&format!("backend be\n server s {l}\n"));
        assert_eq!(
            e("127.0.0.1:1 pool-max-conn -2"),
            "parsing [t.cfg:2] : 'server be/s' : 'pool-max-conn' must be >= -1."
        );
        assert_eq!(
            e("127.0.0.1:1 pool-low-conn -1"),
            "parsing [t.cfg:2] : 'server be/s' : 'pool-low-conn' must be >= 0."
        );
        assert!(e("127.0.0.1:1 pool-max-conn").contains("'pool-max-conn' expects an argument."));
        assert!(e("127.0.0.1:1 pool-max-conn abc")
            .contains("'pool-max-conn' expects an integer argument."));
        assert!(e("127.0.0.1:1 pool-purge-delay x")
            .contains("'pool-purge-delay' : unexpected character 'x'"));
    }
}
