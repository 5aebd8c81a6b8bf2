//! Cookie persistence keywords: `cookie`, `dynamic-cookie-key`,
//! `force-persist`, `ignore-persist`, `option persist`, the server
//! option `cookie` and `capture cookie`, with HAProxy 2.6's checks and
//! messages. The final step gives servers their dynamic cookies.

use super::keywords::{Ctx, KwResult, ProxyState, SectionKind};
use super::kw_acl::{parse_cond, RuleSet};
use super::model::ProxyConfig;
use super::model_cookie::{CookieCapture, CookieConfig, PersistRule, PersistRuleKind};

const COOKIE_OPTIONS: &str = "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', \
'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.";

/// `cookie <name> [rewrite|insert|prefix] [indirect] [nocache] ...`.
pub(super) fn cookie(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let name = ctx
        .arg(1)
        .filter(|n| !n.is_empty())
        .ok_or("'cookie' expects <cookie_name> as argument.")?;
    let mut ck = CookieConfig {
        name: name.to_string(),
        ..CookieConfig::default()
    };
    let args = ctx.args;
    let word = |i: usize| args.get(i).map(String::as_str);
    let mut i = 2;
    while let Some(opt) = word(i) {
        let value = word(i + 1).filter(|v| !v.is_empty());
        match opt {
            "rewrite" => ck.rewrite = true,
            "indirect" => ck.indirect = true,
            "insert" => ck.insert = true,
            "nocache" => ck.nocache = true,
            "postonly" => ck.postonly = true,
            "preserve" => ck.preserve = true,
            "prefix" => ck.prefix = true,
            "httponly" => ck.httponly = true,
            "secure" => ck.secure = true,
            "dynamic" => ck.dynamic = true,
            "domain" => {
                let d = value.ok_or("'domain' expects <domain> as argument.")?;
                domain(ctx, d)?;
                ck.domains.push(d.to_string());
                i += 1;
            }
            "maxidle" | "maxlife" => {
                let what = if opt == "maxidle" {
                    "idletime"
                } else {
                    "lifetime"
                };
                let v = value
                    .ok_or_else(|| format!("'{opt}' expects <{what}> in seconds as argument."))?;
                let secs = seconds(v, opt)?;
                if opt == "maxidle" {
                    ck.maxidle = secs;
                } else {
                    ck.maxlife = secs;
                }
                i += 1;
            }
            "attr" => {
                let v = value.ok_or("'attr' expects <value> as argument.")?;
                if let Some(b) = v.bytes().find(|&b| b.is_ascii_control() || b == b';') {
                    return Err(format!(
                        "character '%x{b:02X}' is not permitted in attribute value."
                    ));
                }
                ck.attrs.push(v.to_string());
                i += 1;
            }
            _ => return Err(COOKIE_OPTIONS.into()),
        }
        i += 1;
    }
    check_modes(&ck)?;
    st.cfg.persist.cookie = Some(ck);
    Ok(())
}

/// The incompatible mode combinations HAProxy refuses.
fn check_modes(ck: &CookieConfig) -> KwResult {
    if ck.rewrite && ck.indirect {
        return Err("cookie 'rewrite' and 'indirect' modes are incompatible.".into());
    }
    if [ck.rewrite, ck.insert, ck.prefix]
        .iter()
        .filter(|&&b| b)
        .count()
        > 1
    {
        return Err("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.".into());
    }
    if ck.preserve && !ck.insert && !ck.indirect {
        return Err("cookie 'preserve' requires at least 'insert' or 'indirect'.".into());
    }
    Ok(())
}

/// A `domain` value: a warning without a dot (2.6 checks nothing else).
fn domain(ctx: &mut Ctx<'_>, d: &str) -> KwResult {
    if !d.contains('.') {
        ctx.warn(format!(
            "domain '{d}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3)."
        ));
    }
    Ok(())
}

/// A time in seconds (the default unit here), as `maxidle`/`maxlife` read
/// it.
fn seconds(v: &str, kw: &str) -> Result<u32, String> {
    let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let bad = |c: char| format!("unexpected character '{c}' in argument to <{kw}>.");
    if end == 0 {
        return Err(bad(v.chars().next().unwrap_or(' ')));
    }
    let n: u64 = v[..end].parse().map_err(|_| bad('0'))?;
    let (mul, div) = match &v[end..] {
        "" | "s" => (1, 1),
        "us" => (1, 1_000_000),
        "ms" => (1, 1_000),
        "m" => (60, 1),
        "h" => (3600, 1),
        "d" => (86_400, 1),
        rest => return Err(bad(rest.chars().next().unwrap_or(' '))),
    };
    // Below a second rounds up, as 2.6 takes `500ms` without complaint.
    let secs = n.saturating_mul(mul).div_ceil(div);
    u32::try_from(secs)
        .ok()
        .filter(|&s| s <= i32::MAX as u32)
        .ok_or_else(|| {
            format!(
            "timer overflow in argument <{v}> to <{kw}>, maximum value is 2147483647 s (~68 years)."
        )
        })
}

/// `dynamic-cookie-key <key>`.
pub(super) fn dynamic_cookie_key(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let key = ctx
        .arg(1)
        .filter(|k| !k.is_empty())
        .ok_or("'dynamic-cookie-key' expects <secret_key> as argument.")?;
    st.cfg.persist.dynamic_key = Some(key.to_string());
    Ok(())
}

/// `force-persist|ignore-persist if|unless <cond>`.
pub(super) fn persist_rule(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let kw = ctx.kw().to_string();
    let kind = if kw == "force-persist" {
        PersistRuleKind::Force
    } else {
        PersistRuleKind::Ignore
    };
    let args = ctx.args;
    let cond = match args.get(1).map(String::as_str) {
        Some("if" | "unless") => parse_cond(st, ctx, &args[1..], RuleSet::HttpRequest)
            .map_err(|e| format!("error detected while parsing a '{kw}' rule : {e}."))?,
        _ => None,
    };
    let cond = cond.ok_or_else(|| {
        format!("'{kw}' requires either 'if' or 'unless' followed by a condition.")
    })?;
    st.cfg.persist.rules.push(PersistRule { kind, cond });
    Ok(())
}

/// `capture cookie <name> len <n>`.
pub(super) fn capture_cookie(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    if st.section == SectionKind::Defaults {
        return Err("'capture cookie' not allowed in 'defaults' section.".into());
    }
    if let Some(extra) = ctx.arg(6) {
        return Err(format!(
            "'capture' cannot handle unexpected argument '{extra}'."
        ));
    }
    let (Some(name), Some(len)) = (ctx.arg(2), ctx.arg(4).filter(|l| !l.is_empty())) else {
        return Err("'capture' expects 'cookie' <cookie_name> 'len' <len>.".into());
    };
    // HAProxy reads the length with atol(): leading digits, else 0.
    let digits: String = len.chars().take_while(char::is_ascii_digit).collect();
    st.cfg.persist.capture = Some(CookieCapture {
        name: name.to_string(),
        len: digits.parse().unwrap_or(0),
    });
    Ok(())
}

/// `option persist` / `no option persist`.
pub(super) fn opt_persist(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    if let Some(extra) = ctx.arg(2) {
        return Err(format!(
            "'option persist' cannot handle unexpected argument '{extra}'."
        ));
    }
    st.cfg.persist.persist = on;
    Ok(())
}

/// The server option `cookie <value>`.
pub(super) fn server_cookie(
    srv: &mut super::model::ServerConfig,
    who: &str,
    value: Option<&str>,
) -> KwResult {
    let v = value.ok_or_else(|| format!("{who} : 'cookie' expects <value> as argument.."))?;
    srv.cookie = Some(v.to_string());
    Ok(())
}

/// Final step: a TCP proxy drops its cookie settings with 2.6's warnings;
/// servers without a `cookie` of a proxy with `cookie ... dynamic` and a
/// `dynamic-cookie-key` get HAProxy's dynamic value.
pub(super) fn finalize(cfg: &mut ProxyConfig, warnings: &mut Vec<String>) {
    if cfg.mode == super::model::Mode::Tcp {
        tcp_mode(cfg, warnings);
        return;
    }
    let dynamic = cfg.persist.cookie.as_ref().is_some_and(|c| c.dynamic);
    let Some(key) = cfg.persist.dynamic_key.as_ref().filter(|_| dynamic) else {
        return;
    };
    for j in 0..cfg.servers.len() {
        let srv = &cfg.servers[j];
        if srv.cookie.is_some() {
            continue;
        }
        let value = dynamic_cookie(key, srv.ip, srv.port.unwrap_or(0));
        // 2.6 compares each new value with the servers parsed before.
        let dup = !srv.disabled
            && cfg.servers[..j]
                .iter()
                .any(|o| !o.disabled && o.cookie.as_deref() == Some(value.as_str()));
        if dup {
            warnings.push(format!(
                "config : We generated two equal cookies for two different servers.\nPlease change the secret key for '{}'.",
                cfg.name
            ));
        }
        cfg.servers[j].cookie = Some(value);
    }
}

/// Cookies need HTTP: what a TCP proxy ignores, as 2.6 warns.
fn tcp_mode(cfg: &mut ProxyConfig, warnings: &mut Vec<String>) {
    let name = &cfg.name;
    if cfg.persist.cookie.take().is_some() && cfg.kind.has_backend() {
        warnings.push(format!(
            "config : cookie will be ignored for proxy '{name}' (needs 'mode http')."
        ));
    }
    if cfg.persist.capture.take().is_some() && cfg.kind.has_frontend() {
        warnings.push(format!(
            "config : 'capture' statement ignored for proxy '{name}' as it requires HTTP mode."
        ));
    }
    for srv in cfg.servers.iter_mut().filter(|s| s.cookie.is_some()) {
        srv.cookie = None;
        warnings.push(format!(
            "config : proxy '{name}' : ignoring cookie for server '{}' as HTTP mode is disabled.",
            srv.name
        ));
    }
}

/// XXH64 (seed 0) of the key, the address bytes and the port as four
/// big-endian bytes, in 16 hex digits (HAProxy's `srv_set_dyncookie`).
pub fn dynamic_cookie(key: &str, ip: std::net::IpAddr, port: u16) -> String {
    let mut buf = key.as_bytes().to_vec();
    match ip {
        std::net::IpAddr::V4(a) => buf.extend_from_slice(&a.octets()),
        std::net::IpAddr::V6(a) => buf.extend_from_slice(&a.octets()),
    }
    buf.extend_from_slice(&u32::from(port).to_be_bytes());
    format!("{:016x}", xxhash_rust::xxh64::xxh64(&buf, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parser::testing::{error, ok};

    fn listen(lines: &str) -> String {
        format!("listen l\n bind 127.0.0.1:1\n mode http\n{lines} server s1 127.0.0.1:80\n")
    }

    #[test]
    fn cookie_line_is_read() {
        let c = ok(&listen(
            " cookie SRV insert indirect nocache maxidle 30m maxlife 2h domain .a.b domain .c.d attr x=1 httponly\n",
        ));
        let ck = c.proxy("l").unwrap().persist.cookie.clone().unwrap();
        assert!(ck.insert && ck.indirect && ck.nocache && ck.httponly && !ck.secure);
        assert_eq!((ck.maxidle, ck.maxlife), (1800, 7200));
        assert_eq!(ck.domains, [".a.b", ".c.d"]);
        assert_eq!(ck.attrs, ["x=1"]);
        assert!(ck.logs_letters());
    }

    #[test]
    fn errors_as_haproxy_words_them() {
        let e = |l: &str| error(&listen(&format!(" {l}\n")));
        assert!(e("cookie").ends_with("'cookie' expects <cookie_name> as argument."));
        assert!(e("cookie S foo").ends_with(COOKIE_OPTIONS));
        assert!(e("cookie S rewrite indirect")
            .ends_with("cookie 'rewrite' and 'indirect' modes are incompatible."));
        assert!(e("cookie S insert prefix")
            .ends_with("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible."));
        assert!(e("cookie S preserve")
            .ends_with("cookie 'preserve' requires at least 'insert' or 'indirect'."));
        assert!(e("cookie S maxidle 10x")
            .ends_with("unexpected character 'x' in argument to <maxidle>."));
        assert!(e("cookie S attr a;b")
            .ends_with("character '%x3B' is not permitted in attribute value."));
        assert!(e("dynamic-cookie-key")
            .ends_with("'dynamic-cookie-key' expects <secret_key> as argument."));
        assert!(e("force-persist foo").ends_with(
            "'force-persist' requires either 'if' or 'unless' followed by a condition."
        ));
        assert!(e("capture cookie x len")
            .ends_with("'capture' expects 'cookie' <cookie_name> 'len' <len>."));
        assert!(e("server s2 127.0.0.1:1 cookie")
            .ends_with("'server l/s2' : 'cookie' expects <value> as argument.."));
        assert!(e("option persist x")
            .ends_with("'option persist' cannot handle unexpected argument 'x'."));
    }

    #[test]
    fn dynamic_cookies_are_haproxy_values() {
        // Values HAProxy 2.6.12 shows in `show stat` for the same servers.
        let v4 = "10.1.2.3".parse().unwrap();
        assert_eq!(dynamic_cookie("s3cr3t", v4, 8080), "e11f15e0d31bf58a");
        let v6 = "2001:db8::1".parse().unwrap();
        assert_eq!(dynamic_cookie("s3cr3t", v6, 443), "6c399c1d6b6f1808");
        let c = ok(&listen(
            " dynamic-cookie-key s3cr3t\n cookie SRV insert dynamic\n server s2 10.1.2.3:8080\n server s3 10.1.2.3:8080 cookie own\n",
        ));
        let s = &c.proxy("l").unwrap().servers;
        assert_eq!(s[0].cookie.as_deref(), Some("e11f15e0d31bf58a"));
        assert_eq!(s[1].cookie.as_deref(), Some("own"));
    }
}
