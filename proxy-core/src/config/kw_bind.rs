//! The `bind` keyword: addresses, `name`, and the TLS keywords of an
//! `ssl` bind (parsed into [`BindSsl`]; certificates are loaded after
//! parsing, in `checks_tls`).

use super::addr::parse_bind_addrs;
use super::keywords::{suggest, Ctx, KwResult, ProxyState};
use super::model::BindConfig;
use crate::tls::bind::{BindSsl, CrtSource};
use crate::tls::certs::join_base;
use crate::tls::opts::{parse_kw, GlobalSsl, Parsed, SslConf};

/// `bind` options we implement.
const BIND_KEYWORDS: &[&str] = &[
    "accept-proxy",
    "name",
    "ssl",
    "crt",
    "crt-list",
    "strict-sni",
    "alpn",
    "npn",
    "ssl-min-ver",
    "ssl-max-ver",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "ciphers",
    "ciphersuites",
    "curves",
    "ecdhe",
    "no-tls-tickets",
    "prefer-client-ciphers",
    "verify",
    "ca-file",
    "ca-verify-file",
    "crl-file",
    "ca-ignore-err",
    "crt-ignore-err",
    "allow-0rtt",
    "no-ca-names",
];

/// HAProxy `bind` options we do not implement: refused by name.
const UNSUPPORTED_BIND: &[&str] = &[
    "accept-netscaler-cip",
    "backlog",
    "ca-sign-file",
    "ca-sign-pass",
    "defer-accept",
    "expose-fd",
    "generate-certificates",
    "gid",
    "group",
    "id",
    "interface",
    "level",
    "maxconn",
    "mode",
    "mss",
    "namespace",
    "nice",
    "process",
    "proto",
    "severity-output",
    "tcp-ut",
    "tfo",
    "thread",
    "tls-ticket-keys",
    "transparent",
    "uid",
    "user",
    "v4v6",
    "v6only",
];

/// `bind <addr>[,<addr>...] [name <n>]`.
pub(super) fn bind(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let spec = ctx.arg(1).ok_or(
        "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.",
    )?;
    let addrs = parse_bind_addrs(spec).map_err(|e| format!("'bind' : {e}"))?;
    let who = format!("'bind {spec}' in section '{}'", st.section.name());
    let mut name = None;
    let mut accept_proxy = false;
    let mut ssl = BindSsl {
        who: who.clone(),
        ..BindSsl::default()
    };
    let words: Vec<&str> = ctx.args.iter().map(String::as_str).collect();
    let mut i = 2;
    while let Some(kw) = ctx.arg(i) {
        if let Some(n) = bind_tls_kw(&words[i..], &mut ssl, st.global_ssl(), &who)? {
            i += 1 + n;
            continue;
        }
        match kw {
            "accept-proxy" => {
                accept_proxy = true;
                i += 1;
            }
            "name" => {
                let n = ctx
                    .arg(i + 1)
                    .ok_or_else(|| format!("{who} : 'name' : missing name"))?;
                name = Some(n.to_string());
                i += 2;
            }
            k if UNSUPPORTED_BIND.contains(&k) => {
                return Err(format!("{who} : '{k}' is not supported by this proxy."))
            }
            k => {
                let hint = suggest(k, BIND_KEYWORDS.iter().chain(UNSUPPORTED_BIND).copied())
                    .map(|s| format!("; did you mean '{s}' maybe ?"))
                    .unwrap_or_default();
                return Err(format!("{who}: unknown keyword '{k}'{hint}"));
            }
        }
    }
    let ssl = (ssl.enabled || !ssl.sources.is_empty() || ssl.conf != SslConf::default())
        .then(|| Box::new(ssl));
    st.cfg.binds.push(BindConfig {
        addrs,
        name,
        loc: ctx.loc.clone(),
        ssl,
        tls: None,
        accept_proxy,
    });
    Ok(())
}

/// A TLS keyword of a bind line at `words[0]`: how many arguments it took,
/// or `None` when it is not one.
fn bind_tls_kw(
    words: &[&str],
    ssl: &mut BindSsl,
    global: &GlobalSsl,
    who: &str,
) -> Result<Option<usize>, String> {
    let kw = words[0];
    let arg = words.get(1).copied().filter(|a| !a.is_empty());
    match kw {
        "ssl" => ssl.enabled = true,
        "strict-sni" => ssl.strict_sni = true,
        "crt" => {
            let f = arg.ok_or_else(|| format!("{who} : 'crt' : missing certificate location"))?;
            let path = join_base(global.crt_base.as_deref(), f);
            ssl.sources.push(CrtSource::Crt(path));
            return Ok(Some(1));
        }
        "crt-list" => {
            let f =
                arg.ok_or_else(|| format!("{who} : 'crt-list' : missing certificate location"))?;
            // The list itself is not under `crt-base` (2.6 opens a relative
            // one from the working directory); the files it names are.
            ssl.sources.push(CrtSource::List(f.to_string()));
            return Ok(Some(1));
        }
        _ => {
            return match parse_kw(kw, &words[1..], &mut ssl.conf, global.ca_base.as_deref()) {
                Ok(Parsed::Took(n)) => Ok(Some(n)),
                Ok(Parsed::NotOurs) => Ok(None),
                Err(e) => Err(format!("{who} : {e}")),
            }
        }
    }
    Ok(Some(0))
}
