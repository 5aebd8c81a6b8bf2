//! `tcp-check expect` and `http-check expect`: the pattern types
//! (`string`, `rstring`, `binary`, `rbinary`, `*-lf`, `status`,
//! `rstatus`, `hdr`, `fhdr`), `!`, `min-recv` and the options that set the
//! messages and statuses. Errors are HAProxy 2.6's text (typos included).

use super::kw_check_rules::{check_format, parse_hex, Words};
use super::model_check_rules::{
    Expect, ExpectKind, HeaderMatch, Pattern, RuleStatus, TextOrFormat,
};
use crate::rules::expr::Expr;
use crate::sample::args::ArgResolver;
use crate::sample::regex::Regex;

fn status_word(
    word: &str,
    v: &str,
    table: &[(&str, RuleStatus)],
    list: &str,
) -> Result<RuleStatus, String> {
    if v.is_empty() {
        return Err(format!("'{word}' expects a string as argument"));
    }
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(v))
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("'{word}' only supports {list} status (got '{v}')."))
}

const HTTP_KWS: &str = "'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment";
const TCP_KWS: &str = "'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment";

/// `expect [min-recv <n>] [!] <type> <pattern> [options]`, for
/// `tcp-check` (`http` false) or `http-check`.
pub(super) fn parse_expect(
    w: &mut Words<'_>,
    http: bool,
) -> Result<(Expect, Option<String>), String> {
    if w.at(2).is_empty() {
        return Err("expects at least a matching pattern as arguments".into());
    }
    let bad = |word: &str| {
        let list = if http { HTTP_KWS } else { TCP_KWS };
        format!("{list} but got '{word}' as argument.")
    };
    let mut e = Expect::new(ExpectKind::String(Vec::new()), 0);
    let (mut kind_word, mut pattern, mut comment): (Option<String>, String, Option<String>) =
        (None, String::new(), None);
    let (mut on_success, mut on_error) = (None::<String>, None::<String>);
    let mut hdr: Option<RawHdr> = None;
    let mut i = 2;
    while i < w.args.len() && !w.at(i).is_empty() {
        let mut word = w.at(i).to_string();
        let mut in_pattern = false;
        while let Some(rest) = word.strip_prefix('!') {
            in_pattern = true;
            e.inverse = !e.inverse;
            word = rest.to_string();
            if word.is_empty() {
                i += 1;
                word = w.at(i).to_string();
            }
        }
        let val = w.at(i + 1).to_string();
        let no_bang = |kw: &str| {
            if in_pattern {
                Err(format!("[!] not supported with '{kw}'"))
            } else {
                Ok(())
            }
        };
        let need = |kw: &str| {
            if val.is_empty() {
                Err(format!("'{kw}' expects a string as argument"))
            } else {
                Ok(())
            }
        };
        match word.as_str() {
            "min-recv" => {
                no_bang(&word)?;
                e.min_recv = min_recv(&val)?;
                i += 1;
            }
            "string" | "rstring" | "binary" | "rbinary" | "string-lf" | "binary-lf" | "status"
            | "rstatus" => {
                let http_only = matches!(word.as_str(), "status" | "rstatus");
                let tcp_only = matches!(word.as_str(), "binary" | "rbinary" | "binary-lf");
                if (http && tcp_only) || (!http && http_only) {
                    return Err(bad(&word));
                }
                if kind_word.is_some() || hdr.is_some() {
                    return Err("only on pattern expected".into());
                }
                if val.is_empty() {
                    return Err(format!("'{word}' expects a <pattern> as argument"));
                }
                kind_word = Some(word.clone());
                pattern = val;
                i += 1;
            }
            "hdr" | "fhdr" => {
                if !http {
                    return Err(bad(&word));
                }
                if kind_word.is_some() || hdr.is_some() {
                    return Err("only on pattern expected".into());
                }
                let (h, next) = parse_hdr(w, i)?;
                hdr = Some(h);
                i = next;
            }
            "custom" => return Err("'custom' is not supported by this proxy".into()),
            "comment" | "on-success" | "on-error" => {
                no_bang(&word)?;
                need(&word)?;
                match word.as_str() {
                    "comment" => comment = Some(val),
                    "on-success" => on_success = Some(val),
                    _ => on_error = Some(val),
                }
                i += 1;
            }
            "ok-status" | "error-status" | "tout-status" => {
                no_bang(&word)?;
                set_status(&mut e, &word, &val)?;
                i += 1;
            }
            "status-code" => {
                no_bang(&word)?;
                e.status_code = Some(status_code(&val, w)?);
                i += 1;
            }
            other => return Err(bad(other)),
        }
        i += 1;
    }
    e.on_success = on_success.map(|f| check_format(&f, w.files)).transpose()?;
    e.on_error = on_error.map(|f| check_format(&f, w.files)).transpose()?;
    e.kind = match (kind_word.as_deref(), hdr) {
        (_, Some(h)) => ExpectKind::HttpHeader(header_match(h, w.files)?),
        (Some(k), None) => pattern_kind(k, &pattern, http, w.files)?,
        (None, None) => return Err("pattern not found".into()),
    };
    Ok((e, comment))
}

/// `min-recv <n>`: -1 or 0 to INT_MAX.
fn min_recv(val: &str) -> Result<i64, String> {
    if val.is_empty() {
        return Err("'min-recv' expects a integer as argument".into());
    }
    let n = atol(val);
    if n < -1 || n > i64::from(i32::MAX) {
        return Err("'min-recv' expects -1 or an integer from 0 to INT_MAX".into());
    }
    Ok(n)
}

/// `ok-status`, `error-status`, `tout-status`: the status a match, a
/// mismatch or a timeout reports.
fn set_status(e: &mut Expect, word: &str, val: &str) -> Result<(), String> {
    use RuleStatus as S;
    match word {
        "ok-status" => {
            let t = [
                ("L7OK", S::L7Ok),
                ("L7OKC", S::L7OkC),
                ("L6OK", S::L6Ok),
                ("L4OK", S::L4Ok),
            ];
            e.ok_status = Some(status_word(
                word,
                val,
                &t,
                "'L4OK', 'L6OK', 'L7OK' or 'L7OKC'",
            )?);
        }
        "error-status" => {
            let t = [
                ("L7RSP", S::L7Rsp),
                ("L7STS", S::L7Sts),
                ("L7OKC", S::L7OkC),
                ("L6RSP", S::L6Rsp),
                ("L4CON", S::L4Con),
            ];
            e.error_status = Some(status_word(
                word,
                val,
                &t,
                "'L4CON', 'L6RSP', 'L7RSP' or 'L7STS'",
            )?);
        }
        _ => {
            let t = [
                ("L7TOUT", S::L7Tout),
                ("L6TOUT", S::L6Tout),
                ("L4TOUT", S::L4Tout),
            ];
            e.tout_status = Some(status_word(
                word,
                val,
                &t,
                "'L4TOUT', 'L6TOUT' or 'L7TOUT'",
            )?);
        }
    }
    Ok(())
}

/// `status-code <expr>`: the code a result reports.
fn status_code(val: &str, w: &mut Words<'_>) -> Result<Expr, String> {
    if val.is_empty() {
        return Err("'status-code' expects an expression as argument".into());
    }
    Expr::parse_word(val, w.files).map_err(|x| {
        format!(
            "error detected while parsing status-code expression : {}",
            x.describe()
        )
    })
}

/// C's `atol`: leading digits with an optional sign, 0 when none.
fn atol(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |a, d| {
            a.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

fn regex(p: &str, icase: bool) -> Result<Regex, String> {
    Regex::new(p, icase).map_err(|e| e.describe(p).trim_end_matches('.').to_string())
}

fn pattern_kind(
    k: &str,
    p: &str,
    http: bool,
    files: &mut dyn ArgResolver,
) -> Result<ExpectKind, String> {
    Ok(match (k, http) {
        ("string", false) => ExpectKind::String(p.as_bytes().to_vec()),
        ("string", true) => ExpectKind::HttpBody(p.as_bytes().to_vec()),
        ("rstring", false) => ExpectKind::Regex(regex(p, false)?),
        ("rstring", true) => ExpectKind::HttpBodyRegex(regex(p, false)?),
        ("binary", _) => {
            ExpectKind::Binary(parse_hex(p).map_err(|e| format!("invalid binary string ({e})"))?)
        }
        ("rbinary", _) => ExpectKind::BinaryRegex(regex(p, false)?),
        ("string-lf", false) => ExpectKind::StringFormat(check_format(p, files)?),
        ("string-lf", true) => ExpectKind::HttpBodyFormat(check_format(p, files)?),
        ("binary-lf", _) => ExpectKind::BinaryFormat(check_format(p, files)?),
        ("rstatus", _) => ExpectKind::HttpStatusRegex(regex(p, false)?),
        _ => ExpectKind::HttpStatus(status_list(p)?),
    })
}

/// `200`, `200-399`, `200,301-302`: HAProxy reads numbers with
/// `read_uint` (no digits reads 0).
fn status_list(p: &str) -> Result<Vec<(u32, u32)>, String> {
    let b = p.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize| {
        let mut n: u32 = 0;
        while let Some(d) = b.get(*i).filter(|d| d.is_ascii_digit()) {
            n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
            *i += 1;
        }
        n
    };
    let mut out = Vec::new();
    loop {
        let c1 = num(&mut i);
        let mut c2 = c1;
        if b.get(i) == Some(&b'-') {
            i += 1;
            c2 = num(&mut i);
        }
        if c1 > c2 {
            return Err(format!("invalid range of status codes '{p}'"));
        }
        out.push((c1, c2));
        match b.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(&c) => {
                return Err(format!(
                    "invalid character '{}' in the list of status codes",
                    c as char
                ))
            }
        }
    }
}

type RawHdr = (bool, &'static str, String, Option<(&'static str, String)>);

/// `hdr|fhdr name [-m <meth>] <pattern> [value [-m <meth>] <pattern>]`
/// starting at word `i`; gives the parts and the index of its last word.
fn parse_hdr(w: &Words<'_>, i: usize) -> Result<(RawHdr, usize), String> {
    let kw = w.at(i).to_string();
    let full = kw == "fhdr";
    if w.at(i + 1).is_empty() || w.at(i + 2).is_empty() || w.at(i + 1) != "name" {
        if w.at(i + 1) == "name-lf" {
            return Err(format!("'{kw}' : 'name-lf' is not supported by this proxy"));
        }
        return Err(format!(
            "'{kw}' expects at the name keyword as first argument followed by a pattern"
        ));
    }
    let meth = |j: usize| -> Result<&'static str, String> {
        match w.at(j + 1) {
            "" => Err(format!(
                "'{kw}' : '-m' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg')"
            )),
            "str" => Ok("str"),
            "beg" => Ok("beg"),
            "end" => Ok("end"),
            "sub" => Ok("sub"),
            "reg" => Ok("reg"),
            o => Err(format!(
                "'{kw}' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '{o}')"
            )),
        }
    };
    let mut j = i + 2;
    let mut nmeth = "str";
    if w.at(j) == "-m" {
        nmeth = meth(j)?;
        j += 2;
    }
    let npat = w.at(j).to_string();
    if w.at(j + 1) != "value" {
        if w.at(j + 1) == "value-lf" {
            return Err(format!(
                "'{kw}' : 'value-lf' is not supported by this proxy"
            ));
        }
        return Ok(((full, nmeth, npat, None), j));
    }
    let mut vmeth = "str";
    let mut k = j + 1;
    if w.at(k + 1) == "-m" {
        vmeth = meth(k + 1)?;
        k += 2;
    }
    if w.at(k + 1).is_empty() {
        return Err(format!("'{kw}' expect a pattern with the value keyword"));
    }
    Ok((
        (full, nmeth, npat, Some((vmeth, w.at(k + 1).to_string()))),
        k + 1,
    ))
}

fn header_match(h: RawHdr, _files: &mut dyn ArgResolver) -> Result<HeaderMatch, String> {
    let (full, nmeth, npat, value) = h;
    // Names compare without case (a name regex too), values exactly.
    let pat = |m: &str, p: String, icase: bool| -> Result<Pattern, String> {
        let t = TextOrFormat::Text(p.clone());
        Ok(match m {
            "beg" => Pattern::Beg(t),
            "end" => Pattern::End(t),
            "sub" => Pattern::Sub(t),
            "reg" => Pattern::Reg(regex(&p, icase)?),
            _ => Pattern::Str(t),
        })
    };
    Ok(HeaderMatch {
        name: pat(nmeth, npat, true)?,
        value: value.map(|(m, p)| pat(m, p, false)).transpose()?,
        full,
    })
}
