//! The TLS options of `server` and `default-server` lines (`ssl`,
//! `verify`, `ca-file`, `crt`, `sni`, ...), and the client configurations
//! built from them once every file is read.
//!
//! Messages are HAProxy 2.6's (checked with `haproxy -c`). Those it gives
//! while parsing the line carry its location as every server option
//! error does here; those it gives when it prepares the TLS contexts
//! after parsing (a missing CA file with `verify required`, a bad `crt`,
//! no version left) are printed as 2.6 prints them:
//! `[<file>:<line>] : 'server <px>/<name>' : <message>`. `ca-file` and
//! `crl-file` are read on every server naming them, TLS or not, with 2.6's
//! two lines when one cannot be loaded.
//!
//! `no-ssl` on a server whose `default-server` has `ssl` still has the TLS
//! settings prepared (2.6 reports their errors then), traffic in clear.

use std::sync::Arc;

use super::keywords::{type_str, ProxyState};
use super::kw_server::SrvOpt;
use super::model::{Global, ProxyConfig, ServerConfig};
use super::parser::ConfigError;
use crate::rules::expr::Expr;
use crate::rules::fetch::{Fetch, Usage};
use crate::sample::pattern::PatRegistry;
use crate::tls::certs::{join_base, load_ca_file, load_crl_file};
use crate::tls::opts::{parse_alpn, parse_kw, Parsed, Verify};
use crate::tls_client::{self, ServerSsl, ServerTlsHandle, SniExpr, SslUse, Who};

/// The TLS options of server lines, for suggestions.
pub(super) const TLS_KEYWORDS: &[&str] = &[
    "ssl",
    "no-ssl",
    "check-ssl",
    "no-check-ssl",
    "verify",
    "verifyhost",
    "ca-file",
    "crl-file",
    "crt",
    "sni",
    "check-sni",
    "alpn",
    "check-alpn",
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
    "no-ssl-reuse",
    "ssl-reuse",
    "no-tls-tickets",
    "tls-tickets",
    "allow-0rtt",
];

/// Applies one TLS option; `None` when `opt` is not one, else how many
/// words it took.
pub(super) fn tls_option(
    st: &ProxyState,
    srv: &mut ServerConfig,
    opt: &SrvOpt<'_>,
    files: &mut PatRegistry,
) -> Result<Option<usize>, String> {
    if !TLS_KEYWORDS.contains(&opt.kw) {
        return Ok(None);
    }
    let ssl = &mut srv.ssl;
    let who = opt.who;
    let value = opt.value.filter(|v| !v.is_empty());
    let missing = |what: &str| format!("{who} : '{}' : {what}.", opt.kw);
    match opt.kw {
        "ssl" => ssl.use_ssl = SslUse::On,
        "no-ssl" => {
            let inherited = st
                .cfg
                .default_server
                .as_ref()
                .is_some_and(|d| d.ssl.use_ssl == SslUse::On);
            ssl.use_ssl = if inherited {
                SslUse::Prepared
            } else {
                SslUse::Off
            };
        }
        "check-ssl" => ssl.check_ssl = true,
        "no-check-ssl" => ssl.check_ssl = false,
        "no-ssl-reuse" => ssl.no_reuse = true,
        "ssl-reuse" => ssl.no_reuse = false,
        "no-tls-tickets" => ssl.tickets = Some(false),
        "tls-tickets" => ssl.tickets = Some(true),
        // Accepted as 2.6 does; no early data is ever sent.
        "allow-0rtt" => {}
        "verify" => {
            ssl.conf.verify = Some(match value {
                None => return Err(missing("missing verify method")),
                Some("none") => Verify::None,
                Some("required") => Verify::Required,
                Some(o) => {
                    return Err(format!(
                        "{who} : 'verify' : unknown verify method '{o}', only 'none' and 'required' are supported."
                    ))
                }
            });
            return Ok(Some(2));
        }
        "verifyhost" | "ca-file" | "crl-file" | "crt" | "sni" | "check-sni" | "alpn"
        | "check-alpn" | "npn" => {
            path_or_name_option(st, ssl, opt, files)?;
            return Ok(Some(2));
        }
        kw => {
            let args: Vec<&str> = opt.value.into_iter().collect();
            return match parse_kw(kw, &args, &mut ssl.conf, None) {
                Ok(Parsed::Took(n)) => Ok(Some(1 + n)),
                Ok(Parsed::NotOurs) => Ok(None),
                Err(e) => Err(format!("{who} : {e}.")),
            };
        }
    }
    Ok(Some(1))
}

/// The TLS options naming a file, a name or a list (`ca-file`, `crt`,
/// `sni`, `alpn`, ...): each takes one argument.
fn path_or_name_option(
    st: &ProxyState,
    ssl: &mut ServerSsl,
    opt: &SrvOpt<'_>,
    files: &mut PatRegistry,
) -> Result<(), String> {
    let who = opt.who;
    let value = opt.value.filter(|v| !v.is_empty());
    let missing = |what: &str| format!("{who} : '{}' : {what}.", opt.kw);
    match opt.kw {
        "verifyhost" => {
            let v = value.ok_or_else(|| missing("missing hostname to verify against"))?;
            ssl.verifyhost = Some(v.to_string());
        }
        "ca-file" | "crl-file" => {
            let what = if opt.kw == "ca-file" {
                "missing CAfile path"
            } else {
                "missing CRLfile path"
            };
            let v = value.ok_or_else(|| missing(what))?;
            let path = match v {
                "@system-ca" => v.to_string(),
                _ => join_base(st.global_ssl().ca_base.as_deref(), v),
            };
            if opt.kw == "ca-file" {
                ssl.conf.ca_file = Some(path);
            } else {
                ssl.conf.crl_file = Some(path);
            }
        }
        "crt" => {
            let v = value.ok_or_else(|| missing("missing certificate file path"))?;
            ssl.crt = Some(join_base(st.global_ssl().crt_base.as_deref(), v));
        }
        "sni" => {
            let v = value.ok_or_else(|| missing("missing sni expression"))?;
            let expr = sni_expr(v, files).map_err(|e| {
                format!("{who} : error detected while parsing sni expression : {e}")
            })?;
            ssl.sni = Some(SniExpr {
                text: v.to_string(),
                expr,
            });
        }
        "check-sni" => {
            let v = value.ok_or_else(|| missing("missing SNI"))?;
            ssl.check_sni = Some(v.to_string());
        }
        "alpn" | "check-alpn" | "npn" => {
            let what = if opt.kw == "npn" {
                "missing the comma-delimited NPN protocol suite"
            } else {
                "missing the comma-delimited ALPN protocol suite"
            };
            let v = value.ok_or_else(|| missing(what))?;
            let list = parse_alpn(v).map_err(|e| format!("{who} : {e}."))?;
            match opt.kw {
                "alpn" => ssl.conf.alpn = Some(list),
                "check-alpn" => ssl.check_alpn = Some(list),
                // NPN is gone from rustls (and from browsers): accepted,
                // never offered.
                _ => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// Parses an `sni` expression: one sample that a request can give.
fn sni_expr(text: &str, files: &mut PatRegistry) -> Result<Expr, String> {
    let expr = Expr::parse_word(text, files).map_err(|e| e.describe())?;
    if expr.usage() == Usage::Response {
        let what = match expr.fetch {
            Fetch::Hdr(_)
            | Fetch::HdrCnt(_)
            | Fetch::HdrVal(_)
            | Fetch::HdrIp(_)
            | Fetch::Cook { .. } => "HTTP response headers",
            _ => "HTTP response",
        };
        // 2.6 names the fetch with its arguments, after two spaces.
        return Err(format!(
            " fetch method '{}' extracts information from '{what}', none of which is available here.",
            fetch_text(text)
        ));
    }
    Ok(expr)
}

/// The fetch part of an expression's text: up to the first comma outside
/// parentheses.
fn fetch_text(text: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => return &text[..i],
            _ => {}
        }
    }
    text
}

/// Loads the `ca-file` and `crl-file` a server names (2.6 reads them for
/// every server, TLS or not); false, with 2.6's two errors, when one
/// fails.
fn files_load(srv: &ServerConfig, who: &str, errors: &mut Vec<ConfigError>) -> bool {
    let conf = &srv.ssl.conf;
    for (kw, path) in [("ca-file", &conf.ca_file), ("crl-file", &conf.crl_file)] {
        let Some(path) = path else { continue };
        let full = tls_client::system_ca(path);
        let p = std::path::Path::new(&full);
        let res = if kw == "ca-file" {
            load_ca_file(p).map(|_| ())
        } else {
            load_crl_file(p).map(|_| ())
        };
        if let Err(e) = res {
            for msg in [
                format!("{who} : {e}"),
                format!("'{kw}' : unable to load {path}."),
            ] {
                errors.push(ConfigError { loc: None, msg });
            }
            return false;
        }
    }
    true
}

/// Builds the TLS of each server of `px` that prepares it, once the whole
/// configuration (and so `global`) is read.
pub(super) fn build_server_tls(
    px: &mut ProxyConfig,
    global: &Global,
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<String>,
) {
    let proxy = format!("{} '{}'", type_str(px.kind), px.name);
    for s in &mut px.servers {
        let who = format!("[{}] : 'server {}/{}'", s.loc, px.name, s.name);
        if !files_load(s, &who, errors) || !s.ssl.prepared() {
            continue;
        }
        let mut w = Vec::new();
        let names = Who {
            proxy: &proxy,
            server: &s.name,
        };
        let elsewhere = s.hc.port.is_some() || s.hc.addr.is_some();
        let built = tls_client::build(&s.ssl, &global.ssl, &names, elsewhere, &mut w);
        warnings.extend(w.into_iter().map(|m| format!("config : {who} : {m}")));
        match built {
            Ok(t) => s.tls = Some(ServerTlsHandle(Arc::new(t))),
            Err(e) => errors.push(ConfigError {
                loc: None,
                msg: format!("{who} : {e}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, errors, ok};
    use crate::tls_client::SslUse;

    const HEAD: &str = "defaults\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n";

    #[test]
    fn default_server_settings_are_inherited_and_overridden() {
        let c = ok(&format!(
            "{HEAD}backend b\n default-server ssl verify none sni req.hdr(host) alpn h2,http/1.1\n \
             server a 127.0.0.1:1\n server b 127.0.0.1:2 no-ssl\n \
             server c 127.0.0.1:3 check port 80\n server d 127.0.0.1:4 check-ssl port 80\n"
        ));
        let s = &c.proxy("b").unwrap().servers;
        let tls = |i: usize| s[i].tls.as_ref().map(|h| h.0.clone()).unwrap();
        assert_eq!(s[0].ssl.use_ssl, SslUse::On);
        assert_eq!(
            s[0].ssl.sni.as_ref().map(|e| e.text.as_str()),
            Some("req.hdr(host)")
        );
        assert!(tls(0).traffic && tls(0).checks && tls(0).sni.is_some());
        assert_eq!(
            tls(0).config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        // `no-ssl` under an `ssl` default-server: prepared, not used.
        assert_eq!(s[1].ssl.use_ssl, SslUse::Prepared);
        assert!(!tls(1).traffic && !tls(1).checks);
        // `port` sends checks elsewhere, in clear unless `check-ssl`.
        assert!(tls(2).traffic && !tls(2).checks);
        assert!(tls(3).checks);
    }

    #[test]
    fn plain_servers_build_nothing() {
        let c = ok(&format!(
            "{HEAD}backend b\n default-server ssl no-ssl\n server a 127.0.0.1:1 sni str(x) verify required\n \
             server b 127.0.0.1:2 ssl no-ssl\n"
        ));
        let s = &c.proxy("b").unwrap().servers;
        assert!(s
            .iter()
            .all(|s| s.tls.is_none() && s.ssl.use_ssl == SslUse::Off));
    }

    #[test]
    fn errors_in_haproxy_words() {
        let e = |opts: &str| error(&format!("{HEAD}backend b\n server s 127.0.0.1:1 {opts}\n"));
        assert_eq!(
            e("ssl verify optional"),
            "parsing [t.cfg:6] : 'server b/s' : 'verify' : unknown verify method 'optional', only 'none' and 'required' are supported."
        );
        assert_eq!(
            e("ssl verify none crt"),
            "parsing [t.cfg:6] : 'server b/s' : 'crt' : missing certificate file path."
        );
        assert_eq!(
            e("ssl verify none sni res.hdr(x),lower"),
            "parsing [t.cfg:6] : 'server b/s' : error detected while parsing sni expression :  fetch method 'res.hdr(x)' extracts information from 'HTTP response headers', none of which is available here."
        );
        assert_eq!(
            e("ssl verify none ssl-min-ver TLSv9"),
            "parsing [t.cfg:6] : 'server b/s' : 'TLSv9' : unknown ssl/tls version."
        );
        assert!(e("ssl verify none curves P-256").contains("unknown keyword 'curves'"));
        assert!(e("ssl").starts_with(
            "[t.cfg:6] : 'server b/s' : verify is enabled by default but no CA file specified. If you're"
        ));
        assert_eq!(
            e("ssl verify none ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"),
            "[t.cfg:6] : 'server b/s' : backend 'b': all SSL/TLS versions are disabled for server 's'."
        );
        let two = errors(&format!(
            "global\n ca-base /nonexistent\n{HEAD}backend b\n server s 127.0.0.1:1 ca-file ca.pem\n"
        ));
        assert_eq!(
            two,
            [
                "[t.cfg:8] : 'server b/s' : Couldn't open the ca-file '/nonexistent/ca.pem' (No such file or directory).",
                "'ca-file' : unable to load /nonexistent/ca.pem."
            ]
        );
        let none = error(&format!(
            "global\n ssl-server-verify none\n{HEAD}backend b\n server s 127.0.0.1:1 ssl verify required\n"
        ));
        assert_eq!(
            none,
            "[t.cfg:8] : 'server b/s' : verify is enabled but no CA file specified."
        );
    }
}
