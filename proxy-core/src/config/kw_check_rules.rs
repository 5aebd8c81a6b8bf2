//! One `tcp-check` / `http-check` rule's words into a [`CheckAction`]:
//! `connect`, `send*`, `http-check send`, `expect`. Errors are HAProxy
//! 2.6's text; the caller wraps them as `'<kw> <action>' : <msg>.`.
//! Which rules may follow which is `kw_check`'s business.

use super::addr::{inet_family, parse_inet, split_prefix, Family};
use super::model_check_rules::{
    CheckAction, CheckRule, ConnectRule, HttpSend, SendData, TextOrFormat,
};
use crate::rules::format::{LogFormat, Mode, ParseCtx};
use crate::sample::args::ArgResolver;

/// The words of a rule line and the map files formats may name.
pub(super) struct Words<'a> {
    pub args: &'a [String],
    pub files: &'a mut dyn ArgResolver,
}

impl Words<'_> {
    /// Word `i`, empty past the end (HAProxy's empty trailing args).
    pub(super) fn at(&self, i: usize) -> &str {
        self.args.get(i).map_or("", String::as_str)
    }
}

/// A log-format string as the checks use it: raw text, no `-` for
/// missing values.
pub(super) fn check_format(raw: &str, files: &mut dyn ArgResolver) -> Result<LogFormat, String> {
    let ctx = ParseCtx {
        mode: Mode::Plain,
        http_proxy: None,
    };
    LogFormat::parse_in(raw, ctx, files).map_err(|e| {
        format!(
            "'{raw}' invalid log-format string ({})",
            e.trim_end_matches('.')
        )
    })
}

/// Decodes hex digits (HAProxy's `parse_binary` wording on errors).
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("an even number of hex digit is expected".into());
    }
    let digit = |c: u8| {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("an hex digit is expected (found '{}')", c as char))
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// `connect [default] [addr <ip>] [port <n>] [send-proxy] [linger]
/// [comment <c>]`; TLS, `proto` and SOCKS options are refused by name.
pub(super) fn parse_connect(w: &Words<'_>) -> Result<(ConnectRule, Option<String>), String> {
    let mut c = ConnectRule::default();
    let mut comment = None;
    let mut i = 2;
    while !w.at(i).is_empty() {
        let word = w.at(i);
        match word {
            "default" => c.default = true,
            "addr" => {
                let spec = w.at(i + 1);
                if spec.is_empty() {
                    return Err("'addr' expects <ipv4|ipv6> as argument.".into());
                }
                let (prefix, rest) = split_prefix(spec);
                let fam = match prefix {
                    None => Family::Any,
                    Some(p) => inet_family(p)
                        .ok_or_else(|| format!("'addr' : invalid address: '{spec}' in '{spec}'"))?,
                };
                let (ip, port) = parse_inet(rest, fam, spec).map_err(|e| format!("'addr' : {e}"))?;
                let port = match port {
                    Some(p) => Some(
                        p.parse::<u16>()
                            .map_err(|_| format!("'addr' : invalid port '{p}'"))?,
                    ),
                    None => None,
                };
                c.addr = Some((ip, port.filter(|p| *p != 0)));
                i += 1;
            }
            "port" => {
                let p = w.at(i + 1);
                if p.is_empty() {
                    return Err(
                        "'port' expects a port number or a sample expression as argument.".into(),
                    );
                }
                if !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "'port' : sample expressions ('{p}') are not supported by this proxy."
                    ));
                }
                match p.parse::<u32>() {
                    Ok(n) if (1..=65535).contains(&n) => c.port = u16::try_from(n).ok(),
                    _ => {
                        return Err(format!(
                        "expects a valid TCP port (from range 1 to 65535) or a sample expression, got {p}."
                    ))
                    }
                }
                i += 1;
            }
            "comment" => {
                let t = w.at(i + 1);
                if t.is_empty() {
                    return Err("'comment' expects a string as argument.".into());
                }
                comment = Some(t.to_string());
                i += 1;
            }
            "send-proxy" => c.send_proxy = true,
            "linger" => c.linger = true,
            "ssl" | "sni" | "alpn" | "proto" | "via-socks4" => {
                return Err(format!("'{word}' is not supported by this proxy."))
            }
            _ => {
                return Err(format!(
                    "expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '{word}' as argument."
                ))
            }
        }
        i += 1;
    }
    Ok((c, comment))
}

/// `send|send-binary|send-lf|send-binary-lf <data> [comment <c>]`.
pub(super) fn parse_send(w: &mut Words<'_>) -> Result<(SendData, Option<String>), String> {
    let kw = w.at(1).to_string();
    let data = w.at(2).to_string();
    if data.is_empty() {
        // HAProxy 2.6 swaps the two words in this message.
        let what = if kw == "send-binary" {
            "binary string"
        } else {
            "string"
        };
        return Err(format!("'{what}' expects a {kw} as argument"));
    }
    let mut comment = None;
    let mut i = 3;
    while !w.at(i).is_empty() {
        if w.at(i) != "comment" {
            return Err(format!(
                "expects 'comment' but got '{}' as argument.",
                w.at(i)
            ));
        }
        if w.at(i + 1).is_empty() {
            return Err("'comment' expects a string as argument.".into());
        }
        comment = Some(w.at(i + 1).to_string());
        i += 2;
    }
    let bad_bin = |e: String| format!("'{data}' invalid binary string ({e})");
    let send = match kw.as_str() {
        "send-binary" => SendData::Bytes(parse_hex(&data).map_err(bad_bin)?),
        "send-lf" => SendData::Format(check_format(&data, w.files)?),
        "send-binary-lf" => SendData::BinaryFormat(check_format(&data, w.files)?),
        _ => SendData::Bytes(data.clone().into_bytes()),
    };
    Ok((send, comment))
}

/// `http-check send [meth <m>] [uri <u>|uri-lf <f>] [ver <v>] [hdr <n> <v>]*
/// [body <s>|body-lf <f>] [comment <c>]`.
pub(super) fn parse_http_send(w: &mut Words<'_>) -> Result<(HttpSend, Option<String>), String> {
    let mut h = HttpSend::default();
    let mut comment = None;
    let mut host: Option<String> = None;
    let mut raw_hdrs: Vec<(String, String)> = Vec::new();
    let mut i = 2;
    while !w.at(i).is_empty() {
        let word = w.at(i).to_string();
        let val = w.at(i + 1).to_string();
        let need = |v: &str| {
            if v.is_empty() {
                Err(format!("'{word}' expects a string as argument."))
            } else {
                Ok(())
            }
        };
        match word.as_str() {
            "meth" => {
                need(&val)?;
                h.method = Some(val);
            }
            "uri" => {
                need(&val)?;
                h.uri = Some(TextOrFormat::Text(val));
            }
            "uri-lf" => {
                need(&val)?;
                h.uri = Some(TextOrFormat::Format(check_format(&val, w.files)?));
            }
            "ver" => {
                need(&val)?;
                h.version = Some(val);
            }
            "hdr" => {
                let v = w.at(i + 2).to_string();
                if val.is_empty() || v.is_empty() {
                    return Err("'hdr' expects <name> and <value> as arguments".into());
                }
                let lower = val.to_ascii_lowercase();
                if lower == "host" {
                    if let Some(prev) = &host {
                        return Err(format!(
                            "'{val}' header already defined (previous value is '{prev}')"
                        ));
                    }
                    host = Some(v.clone());
                }
                // The length comes from the body: HAProxy drops these.
                if lower != "content-length" && lower != "transfer-encoding" {
                    raw_hdrs.push((val, v));
                }
                i += 1;
            }
            "body" => {
                need(&val)?;
                h.body = Some(TextOrFormat::Text(val));
            }
            "body-lf" => {
                need(&val)?;
                h.body = Some(TextOrFormat::Format(check_format(&val, w.files)?));
            }
            "comment" => {
                need(&val)?;
                comment = Some(val);
            }
            _ => {
                return Err(format!(
                "expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '{word}' as argument."
            ))
            }
        }
        i += 2;
    }
    for (n, v) in raw_hdrs {
        let ctx = ParseCtx {
            mode: Mode::Plain,
            http_proxy: None,
        };
        h.headers.push((n, LogFormat::parse_in(&v, ctx, w.files)?));
    }
    Ok((h, comment))
}

/// Rules that do not count when looking for the first, last or next step.
pub(super) fn is_step(r: &CheckRule) -> bool {
    !matches!(r.action, CheckAction::Comment | CheckAction::Var(_))
}

pub(super) fn opt_send(r: &CheckRule) -> bool {
    matches!(&r.action, CheckAction::HttpSend(h) if h.from_option)
}

/// Adds a rule to a proxy's http-check list while `option httpchk` is in
/// force: the option's request merges with the first `http-check send`,
/// and a send, expect or connect must follow what HTTP allows.
pub(super) fn add_http_rule(rules: &mut Vec<CheckRule>, mut chk: CheckRule) -> Result<(), String> {
    let steps = |rules: &Vec<CheckRule>| -> Vec<usize> {
        (0..rules.len()).filter(|&i| is_step(&rules[i])).collect()
    };
    if opt_send(&chk) {
        let s = steps(rules);
        let mut first = s.first().copied();
        if first.is_some_and(|i| matches!(rules[i].action, CheckAction::Connect(_))) {
            first = s.get(1).copied();
        }
        match first {
            Some(i) if opt_send(&rules[i]) => {
                rules.remove(i);
                rules.insert(0, chk);
            }
            Some(i) if matches!(rules[i].action, CheckAction::HttpSend(_)) => {
                merge_send(&mut rules[i], chk);
            }
            _ => rules.insert(0, chk),
        }
        return Ok(());
    }
    let last = steps(rules).last().map(|&i| &rules[i]);
    let n = chk.index + 1;
    match (last, &chk.action) {
        (None, _) => {}
        (Some(r), _) if opt_send(r) => {}
        (Some(r), CheckAction::HttpSend(_)) if !matches!(r.action, CheckAction::Connect(_)) => {
            return Err(format!(
                "unable to add http-check send rule at step {n} (missing connect rule)."
            ))
        }
        (Some(r), CheckAction::Expect(_))
            if !matches!(r.action, CheckAction::HttpSend(_) | CheckAction::Expect(_)) =>
        {
            return Err(format!(
                "unable to add http-check expect rule at step {n} (missing send rule)."
            ))
        }
        (Some(r), CheckAction::Connect(_)) if !matches!(r.action, CheckAction::Expect(_)) => {
            return Err(format!(
                "unable to add http-check connect rule at step {n} (missing expect rule)."
            ))
        }
        _ => {}
    }
    if matches!(chk.action, CheckAction::HttpSend(_)) {
        if let Some(&i) = steps(rules).first().filter(|&&i| opt_send(&rules[i])) {
            // The option's request takes the rule's settings and its place
            // in the list moves to the end (HAProxy keeps the old rule).
            let mut old = rules.remove(i);
            merge_send(&mut old, chk);
            if let CheckAction::HttpSend(h) = &mut old.action {
                h.from_option = false;
            }
            chk = old;
        }
    }
    rules.push(chk);
    Ok(())
}

/// What `new` sets overrides `old`'s request (headers as a whole).
fn merge_send(old: &mut CheckRule, new: CheckRule) {
    let (CheckAction::HttpSend(o), CheckAction::HttpSend(n)) = (&mut old.action, new.action) else {
        return;
    };
    o.method = n.method.or(o.method.take());
    o.uri = n.uri.or(o.uri.take());
    o.version = n.version.or(o.version.take());
    if !n.headers.is_empty() {
        o.headers = n.headers;
    }
    o.body = n.body.or(o.body.take());
}
