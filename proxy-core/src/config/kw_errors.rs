//! Error pages beyond `errorfile`: `http-errors <name>` sections (their
//! `errorfile <code> <file>` lines), the proxies' `errorfiles <name>
//! [<code>...]`, `errorloc|errorloc302|errorloc303 <code> <url>`, and the
//! `errorfiles <name>` argument of `deny` / `return` replies.
//!
//! As in HAProxy 2.6, the sections may come after the proxies using them:
//! the references are resolved once every line is read. A proxy's error
//! directives apply in the order written, those of its `defaults` first,
//! the last one for a status winning; `errorfiles` imports every status of
//! the section, or only those listed (a status the section lacks is a
//! warning). A reply naming a section that lacks its status answers with
//! no body (warned).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::keywords::{Ctx, KwResult, ProxyState};
use super::kw_http_misc::ERRORFILE_CODES;
use super::kw_reply::{check_raw_response, read_file};
use super::model::Location;
use super::model_http::{HttpAction, HttpReply, ReplyBody};

/// An `http-errors` section.
#[derive(Debug)]
pub(super) struct HttpErrors {
    name: String,
    loc: Location,
    pages: BTreeMap<u16, Bytes>,
}

/// A proxy's `errorfiles <name> [<code>...]` line, resolved later.
#[derive(Clone, Debug)]
pub(crate) struct ErrorfilesRef {
    name: String,
    /// Empty: every status of the section.
    codes: Vec<u16>,
    loc: Location,
    /// Statuses a later `errorfile` / `errorloc` line of the proxy set:
    /// those win over this import.
    overridden: BTreeSet<u16>,
}

/// `http-errors <name>`: the new section, or HAProxy's error.
pub(super) fn start(
    args: &[String],
    loc: &Location,
    known: &[HttpErrors],
) -> Result<HttpErrors, String> {
    let Some(name) = args.get(1).filter(|n| !n.is_empty()) else {
        return Err(format!(
            "parsing [{loc}] : missing name for http-errors section."
        ));
    };
    if let Some(old) = known.iter().find(|s| s.name == *name) {
        return Err(format!(
            "parsing [{loc}]: http-errors section '{name}' already exists (declared at {}).",
            old.loc
        ));
    }
    Ok(HttpErrors {
        name: name.clone(),
        loc: loc.clone(),
        pages: BTreeMap::new(),
    })
}

/// One line of an `http-errors` section (only `errorfile`).
pub(super) fn line(sec: &mut HttpErrors, args: &[String], loc: &Location) -> Result<(), String> {
    let at = |msg: String| format!("parsing [{loc}] : {msg}");
    if args[0] != "errorfile" {
        return Err(at(format!(
            "unknown keyword '{}' in 'http-errors' section",
            args[0]
        )));
    }
    let (Some(code), Some(path)) = (args.get(1), args.get(2)) else {
        return Err(at(
            "errorfile: expects <status_code> and <file> as arguments.".into(),
        ));
    };
    let status = handled(code).map_err(|e| at(format!("errorfile : {e}")))?;
    let raw = read_file(path).map_err(|e| at(format!("errorfile : {e}")))?;
    check_raw_response(&raw).map_err(|e| at(format!("errorfile : '{path}': {e}")))?;
    sec.pages
        .insert(status, super::errorpage::normalize(&raw).into());
    Ok(())
}

/// A status an error page may be given for.
fn handled(code: &str) -> Result<u16, String> {
    let status = code.parse::<u16>().unwrap_or(0);
    if ERRORFILE_CODES.contains(&status) {
        Ok(status)
    } else {
        Err(format!("status code '{status}' not handled."))
    }
}

/// A proxy's `errorfile` or `errorloc` line set `status`: it wins over the
/// `errorfiles` lines before it.
pub(super) fn set_directly(st: &mut ProxyState, status: u16) {
    for r in &mut st.errorfiles_refs {
        r.overridden.insert(status);
    }
}

/// `errorfiles <name> [<code>...]`.
pub(super) fn errorfiles(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let name = ctx
        .arg(1)
        .filter(|n| !n.is_empty())
        .ok_or("errorfiles : expects <name> as argument.")?
        .to_string();
    let codes = ctx.args[2..]
        .iter()
        .map(|c| handled(c).map_err(|e| format!("errorfiles : {e}")))
        .collect::<Result<Vec<u16>, String>>()?;
    st.errorfiles_refs.push(ErrorfilesRef {
        name,
        codes,
        loc: ctx.loc.clone(),
        overridden: BTreeSet::new(),
    });
    Ok(())
}

/// `errorloc|errorloc302|errorloc303 <code> <url>`: the status is answered
/// with a redirect to the URL.
pub(super) fn errorloc(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let kw = ctx.kw().to_string();
    let (Some(code), Some(url)) = (ctx.arg(1), ctx.arg(2)) else {
        return Err(format!(
            "{kw} : expects <status_code> and <url> as arguments.\n"
        ));
    };
    let status = handled(code).map_err(|e| format!("{kw} : {e}"))?;
    let (redirect, reason) = if kw == "errorloc303" {
        (303, "See Other")
    } else {
        (302, "Found")
    };
    let page = format!(
        "HTTP/1.1 {redirect} {reason}\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: {url}\r\n\r\n"
    );
    st.cfg.http.errorfiles.insert(status, Bytes::from(page));
    set_directly(st, status);
    Ok(())
}

/// Resolves every proxy's `errorfiles` lines and its replies' `errorfiles`
/// arguments against the sections; `errors` and `warnings` get HAProxy's
/// messages.
pub(super) fn resolve(
    proxies: &mut [ProxyState],
    sections: &[HttpErrors],
    errors: &mut Vec<String>,
    warnings: &mut Vec<String>,
) {
    for st in proxies {
        let name = st.cfg.name.clone();
        for r in std::mem::take(&mut st.errorfiles_refs) {
            let Some(sec) = sections.iter().find(|s| s.name == r.name) else {
                errors.push(format!(
                    "proxy '{name}': unknown http-errors section '{}' (at {}).",
                    r.name, r.loc
                ));
                continue;
            };
            import(st, sec, &r, warnings);
        }
        let rules = st
            .cfg
            .http
            .request
            .iter_mut()
            .chain(st.cfg.http.response.iter_mut());
        for rule in rules {
            if let HttpAction::Deny(reply)
            | HttpAction::Return(reply)
            | HttpAction::Tarpit(reply, _) = &mut rule.action
            {
                reply_page(&name, reply, sections, errors, warnings);
            }
        }
    }
}

/// Imports the pages of `sec` that `r` selects into the proxy.
fn import(st: &mut ProxyState, sec: &HttpErrors, r: &ErrorfilesRef, warnings: &mut Vec<String>) {
    let codes: Vec<u16> = if r.codes.is_empty() {
        sec.pages.keys().copied().collect()
    } else {
        r.codes.clone()
    };
    for code in codes {
        let Some(page) = sec.pages.get(&code) else {
            warnings.push(format!(
                "config : config: proxy '{}' : status '{code}' not declared in http-errors section '{}' (at {}).",
                st.cfg.name, sec.name, r.loc
            ));
            continue;
        };
        if !r.overridden.contains(&code) {
            st.cfg.http.errorfiles.insert(code, page.clone());
        }
    }
}

/// A reply's `errorfiles <name>`: the section's page for its status, or
/// no body.
fn reply_page(
    proxy: &str,
    reply: &mut HttpReply,
    sections: &[HttpErrors],
    errors: &mut Vec<String>,
    warnings: &mut Vec<String>,
) {
    let ReplyBody::Errorfiles(name) = &reply.body else {
        return;
    };
    let Some(sec) = sections.iter().find(|s| s.name == *name) else {
        errors.push(format!(
            "Proxy '{proxy}': unknown http-errors section '{name}' referenced by an http reply ."
        ));
        return;
    };
    reply.body = match sec.pages.get(&reply.status) {
        Some(page) => ReplyBody::Errorfile(page.clone()),
        None => {
            warnings.push(format!(
                "config : Proxy '{proxy}': status '{}' referenced by an http reply not declared in http-errors section '{name}'.",
                reply.status
            ));
            ReplyBody::Empty
        }
    };
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use crate::config::model_http::{HttpAction, ReplyBody};

    /// Files under the temporary directory, unique to this test run.
    fn page(name: &str, status: &str) -> String {
        let dir = std::env::temp_dir().join(format!("proxy-core-errors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, format!("HTTP/1.1 {status}\nContent-Length: 0\n\n")).unwrap();
        path.display().to_string()
    }

    fn first_line(c: &crate::config::Config, px: &str, code: u16) -> String {
        let raw = &c.proxy(px).unwrap().http.errorfiles[&code];
        let end = raw.iter().position(|&b| b == b'\r').unwrap_or(raw.len());
        String::from_utf8_lossy(&raw[..end]).into_owned()
    }

    #[test]
    fn errorfiles_in_order_and_inherited() {
        let (a, b) = (page("a.http", "503 A"), page("b.http", "503 B"));
        let n = page("n.http", "404 N");
        let c = ok(&format!(
            "defaults\n errorfiles site\nbackend b1\nbackend b2\n errorfile 503 {b}\n errorfiles site\nbackend b3\n errorfiles site 404\n errorfile 503 {b}\nbackend b4\n errorloc303 503 /x\nhttp-errors site\n errorfile 503 {a}\n errorfile 404 {n}\n"
        ));
        assert_eq!(first_line(&c, "b1", 503), "HTTP/1.1 503 A");
        assert_eq!(first_line(&c, "b1", 404), "HTTP/1.1 404 N");
        assert_eq!(first_line(&c, "b2", 503), "HTTP/1.1 503 A");
        assert_eq!(first_line(&c, "b3", 503), "HTTP/1.1 503 B");
        assert_eq!(first_line(&c, "b4", 503), "HTTP/1.1 303 See Other");
        assert!(c.proxy("b4").unwrap().http.errorfiles[&503].ends_with(b"location: /x\r\n\r\n"));
    }

    #[test]
    fn warnings_and_replies() {
        let a = page("a2.http", "503 A");
        let c = ok(&format!(
            "http-errors site\n errorfile 503 {a}\nfrontend f\n mode http\n bind :1\n errorfiles site 404\n http-request deny errorfiles site deny_status 400\n http-request return status 503 errorfiles site\n"
        ));
        assert_eq!(
            c.warnings[..2],
            [
                "config : config: proxy 'f' : status '404' not declared in http-errors section 'site' (at t.cfg:6).",
                "config : Proxy 'f': status '400' referenced by an http reply not declared in http-errors section 'site'.",
            ]
        );
        let rules = &c.proxy("f").unwrap().http.request;
        let HttpAction::Deny(r) = &rules[0].action else {
            panic!()
        };
        assert_eq!(r.body, ReplyBody::Empty);
        let HttpAction::Return(r) = &rules[1].action else {
            panic!()
        };
        assert!(matches!(&r.body, ReplyBody::Errorfile(b) if b.starts_with(b"HTTP/1.1 503 A")));
        assert_eq!(
            error("frontend f\n mode http\n bind :1\n errorfiles nope\n"),
            "proxy 'f': unknown http-errors section 'nope' (at t.cfg:4)."
        );
    }
}
