//! `balance <algorithm> [<arguments>]`, with 2.6's arguments and wording
//! for every algorithm it has.

use super::keywords::{Ctx, KwResult, ProxyState};
use super::model::Balance;
use super::model_lb::LbParams;
use crate::rules::expr::Expr;

/// `balance`: the algorithm, then its arguments as 2.6 reads them.
pub(super) fn balance(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let args: Vec<String> = ctx.args.to_vec();
    let algo = args.get(1).map_or("", String::as_str);
    let rest: Vec<&str> = args
        .iter()
        .skip(2)
        .map(String::as_str)
        .take_while(|a| !a.is_empty())
        .collect();
    let mut params = LbParams {
        draws: 2,
        ..LbParams::default()
    };
    let chosen = match algo {
        "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "leastconn" => Balance::LeastConn,
        "first" => Balance::First,
        "source" => Balance::Source,
        "uri" => uri_args(&rest, &mut params).map(|()| Balance::Uri)?,
        "url_param" => url_param_args(&rest, &mut params).map(|()| Balance::UrlParam)?,
        "hash" => hash_args(&rest, &mut params, ctx).map(|()| Balance::Hash)?,
        a if a.starts_with("random") => random_args(&a[6..], &mut params)?,
        a if a.starts_with("hdr(") => hdr_args(&a[4..], &rest, &mut params)?,
        a if a.starts_with("rdp-cookie") => rdp_args(&a[10..], &mut params)?,
        _ => {
            return Err("balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.".into())
        }
    };
    st.cfg.balance = chosen;
    st.cfg.lb_params = params;
    Ok(())
}

/// C's `atoi` (digits after an optional sign; anything else stops it).
fn atoi(s: &str) -> i64 {
    let (neg, d) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = d.bytes().take_while(u8::is_ascii_digit).fold(0i64, |n, c| {
        n.saturating_mul(10).saturating_add(i64::from(c - b'0'))
    });
    if neg {
        -n
    } else {
        n
    }
}

/// `uri [whole] [len <n>] [depth <n>] [path-only]`, in any order.
fn uri_args(rest: &[&str], p: &mut LbParams) -> Result<(), String> {
    let mut i = 0;
    while let Some(&word) = rest.get(i) {
        match word {
            "len" | "depth" => {
                let v = rest.get(i + 1).copied().unwrap_or("");
                let n = atoi(v);
                if v.is_empty() || n <= 0 {
                    return Err(format!(
                        "balance uri : '{word}' expects a positive integer (got '{v}')."
                    ));
                }
                let n = usize::try_from(n.min(i64::from(i32::MAX))).unwrap_or(0);
                if word == "len" {
                    p.len = n;
                } else {
                    p.depth = n;
                }
                i += 2;
            }
            "whole" => (p.whole, i) = (true, i + 1),
            "path-only" => (p.path_only, i) = (true, i + 1),
            _ => return Err(format!("balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '{word}').")),
        }
    }
    Ok(())
}

/// `url_param <name> [check_post [<max_wait>]]` (2.6 ignores what
/// follows `check_post`).
fn url_param_args(rest: &[&str], p: &mut LbParams) -> Result<(), String> {
    let Some(&name) = rest.first() else {
        return Err("balance url_param requires an URL parameter name.".into());
    };
    p.name = name.to_string();
    match rest.get(1) {
        None => {}
        Some(&"check_post") => p.check_post = true,
        Some(other) => {
            return Err(format!(
                "balance url_param only accepts 'check_post' modifier (got '{other}')."
            ))
        }
    }
    Ok(())
}

/// `hash <expr>`: one expression, nothing after it.
fn hash_args(rest: &[&str], p: &mut LbParams, ctx: &mut Ctx<'_>) -> Result<(), String> {
    let Some(&word) = rest.first() else {
        return Err("balance hash requires a sample expression.".into());
    };
    if let Some(extra) = rest.get(1) {
        return Err(format!(
            "balance hash takes no other argument (got '{extra}')."
        ));
    }
    let expr = Expr::parse_word(word, ctx.files).map_err(|e| {
        format!(
            "failed to parse 'balance hash' expression '{word}' in : {}.",
            e.describe()
        )
    })?;
    p.expr = Some(expr);
    Ok(())
}

/// `random` or `random(<draws>)`; the text after `random`.
fn random_args(tail: &str, p: &mut LbParams) -> Result<Balance, String> {
    let Some(inner) = tail.strip_prefix('(').filter(|t| !t.starts_with(')')) else {
        return Ok(Balance::Random);
    };
    // strtol with base 0: leading digits (decimal here), then ')' must follow.
    let digits = inner
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(inner.len(), |(i, _)| i);
    match inner[digits..].chars().next() {
        Some(')') => {}
        None => return Err("balance random : missing closing parenthesis.".into()),
        Some(c) => {
            return Err(format!(
                "balance random : unexpected character '{c}' after argument."
            ))
        }
    }
    let n = atoi(&inner[..digits]);
    if n < 1 {
        return Err("balance random : number of draws must be at least 1.".into());
    }
    p.draws = u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Balance::Random)
}

/// `hdr(<name>) [use_domain_only]`; the text after `hdr(`.
fn hdr_args(tail: &str, rest: &[&str], p: &mut LbParams) -> Result<Balance, String> {
    let name = tail.split_once(')').map(|(n, _)| n).unwrap_or("");
    if name.is_empty() {
        return Err("balance hdr requires an http header field name.".into());
    }
    p.name = name.to_string();
    match rest.first() {
        None => {}
        Some(&"use_domain_only") => p.use_domain_only = true,
        Some(other) => {
            return Err(format!(
                "balance hdr({name}) only accepts 'use_domain_only' modifier (got '{other}')."
            ))
        }
    }
    Ok(Balance::Hdr)
}

/// `rdp-cookie` (the cookie `mstshash`) or `rdp-cookie(<name>)`; the text
/// after `rdp-cookie`.
fn rdp_args(tail: &str, p: &mut LbParams) -> Result<Balance, String> {
    let name = if tail.is_empty() {
        "mstshash"
    } else {
        tail.strip_prefix('(')
            .and_then(|t| t.split_once(')'))
            .map(|(n, _)| n)
            .filter(|n| !n.is_empty())
            .ok_or("balance rdp-cookie : missing cookie name.")?
    };
    p.name = name.to_string();
    Ok(Balance::RdpCookie)
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use super::*;

    fn parsed(line: &str) -> (Balance, LbParams) {
        let p = ok(&format!("backend b\n mode http\n {line}\n"))
            .proxies
            .remove(0);
        (p.balance, p.lb_params)
    }

    fn err(line: &str) -> String {
        error(&format!("backend b\n {line}\n"))
    }

    #[test]
    fn uri_arguments() {
        let (b, p) = parsed("balance uri whole len 12 depth 3 path-only");
        assert_eq!(b, Balance::Uri);
        assert!(p.whole && p.path_only && p.len == 12 && p.depth == 3);
        assert_eq!(
            err("balance uri foo"),
            "parsing [t.cfg:2] : balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo')."
        );
        assert!(err("balance uri len 0").ends_with("'len' expects a positive integer (got '0')."));
        assert!(err("balance uri depth").ends_with("'depth' expects a positive integer (got '')."));
    }

    #[test]
    fn named_keys() {
        let (b, p) = parsed("balance url_param id check_post 10");
        assert!(b == Balance::UrlParam && p.name == "id" && p.check_post);
        assert!(err("balance url_param").ends_with("requires an URL parameter name."));
        assert!(
            err("balance url_param a b").ends_with("only accepts 'check_post' modifier (got 'b').")
        );
        let (b, p) = parsed("balance hdr(Host) use_domain_only");
        assert!(b == Balance::Hdr && p.name == "Host" && p.use_domain_only);
        assert!(err("balance hdr()").ends_with("balance hdr requires an http header field name."));
        assert!(err("balance hdr(x) y")
            .ends_with("balance hdr(x) only accepts 'use_domain_only' modifier (got 'y')."));
        assert_eq!(parsed("balance rdp-cookie").1.name, "mstshash");
        assert_eq!(parsed("balance rdp-cookie(u)").1.name, "u");
        assert!(err("balance rdp-cookie()").ends_with("balance rdp-cookie : missing cookie name."));
        assert!(err("balance rdp-cookiex").ends_with("missing cookie name."));
    }

    #[test]
    fn random_and_hash() {
        assert_eq!(parsed("balance random").1.draws, 2);
        assert_eq!(parsed("balance random()").1.draws, 2);
        assert_eq!(parsed("balance random(5)").1.draws, 5);
        assert!(err("balance random(0)").ends_with("number of draws must be at least 1."));
        assert!(err("balance random(").ends_with("random : missing closing parenthesis."));
        assert!(err("balance random(2x)").ends_with("unexpected character 'x' after argument."));
        let (b, p) = parsed("balance hash req.hdr(x),lower");
        assert!(b == Balance::Hash && p.expr.is_some());
        assert!(err("balance hash").ends_with("balance hash requires a sample expression."));
        assert!(
            err("balance hash src x").ends_with("balance hash takes no other argument (got 'x').")
        );
        assert!(err("balance hash nosuch")
            .contains("failed to parse 'balance hash' expression 'nosuch'"));
        assert!(err("balance foo").ends_with("'hdr(name)' and 'rdp-cookie(name)' options."));
    }

    #[test]
    fn inherited_from_defaults() {
        let c = ok("defaults\n mode http\n balance url_param id check_post\nbackend b\n");
        let b = &c.proxies[0];
        assert!(b.balance == Balance::UrlParam && b.lb_params.name == "id");
        assert!(b.lb_params.check_post);
    }

    #[test]
    fn layer7_hash_in_tcp_falls_back() {
        let c = ok("listen e\n mode tcp\n bind :1\n balance uri\n timeout client 1s\n");
        assert_eq!(c.proxies[0].balance, Balance::RoundRobin);
        assert!(c.warnings.iter().any(|w| w
            == "config : Layer 7 hash not possible for proxy 'e' (needs 'mode http'). Falling back to round robin."));
        let h = ok("listen e\n mode tcp\n bind :1\n balance hash src\n timeout client 1s\n");
        assert_eq!(h.proxies[0].balance, Balance::Hash);
    }
}
