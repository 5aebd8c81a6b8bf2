//! The arguments of `deny` / `return` replies and of redirects, and the
//! reading of error files, shared by `http-request`, `http-response`,
//! `redirect` and `errorfile`.
//!
//! Files (`errorfile`, `return ... file|errorfile`) are read when the
//! configuration is parsed, as HAProxy does; an error file must hold a
//! complete HTTP/1.x response (status line, headers, empty line, optional
//! body), with CRLF or LF line ends. An empty error file is accepted, as
//! by HAProxy 2.6 (the connection is then closed without a response).

use bytes::Bytes;

use super::model_http::{HttpReply, Redirect, RedirectKind, ReplyBody};
use crate::rules::LogFormat;
use crate::sample::pattern::PatRegistry;

/// Reads a file named in the configuration.
pub(super) fn read_file(path: &str) -> Result<Bytes, String> {
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|_| format!("error opening file '{path}'."))
}

/// Checks that `raw` is an HTTP/1.x response (or empty).
pub(super) fn check_raw_response(raw: &[u8]) -> Result<(), String> {
    if raw.is_empty() {
        return Ok(());
    }
    let bad = |at: usize| Err(format!("unable to parse headers (error offset: {at})"));
    let mut lines = Vec::new();
    let mut start = 0;
    while let Some(n) = raw[start..].iter().position(|&b| b == b'\n') {
        let end = start + n;
        let line = &raw[start..end];
        lines.push((start, line.strip_suffix(b"\r").unwrap_or(line)));
        start = end + 1;
        if lines.last().is_some_and(|(_, l)| l.is_empty()) {
            break;
        }
    }
    let Some(&(_, status)) = lines.first() else {
        return bad(0);
    };
    if !status.starts_with(b"HTTP/") {
        return bad(0);
    }
    let version = status.split(|&b| b == b' ').next().unwrap_or_default();
    if version != b"HTTP/1.0" && version != b"HTTP/1.1" {
        return Err(format!(
            "invalid http version ({})",
            String::from_utf8_lossy(version)
        ));
    }
    let code = status
        .get(version.len() + 1..version.len() + 4)
        .unwrap_or_default();
    if code.len() != 3
        || !code.iter().all(u8::is_ascii_digit)
        || !matches!(status.get(version.len() + 4), None | Some(b' '))
    {
        return bad(version.len() + 1);
    }
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    for &(at, line) in &lines[1..] {
        if line.is_empty() {
            return Ok(());
        }
        // The first byte that cannot be in a name must be its colon.
        let end = line.iter().position(|b| !token(b)).unwrap_or(line.len());
        if end == 0 || line.get(end) != Some(&b':') {
            return bad(at + end);
        }
    }
    Err("unable to parse headers (no empty line after them)".into())
}

/// Status codes of `deny` / `return`.
fn status_code(raw: Option<&str>) -> Result<u16, String> {
    let n = raw.and_then(|r| r.parse::<u16>().ok()).unwrap_or(0);
    if (200..=599).contains(&n) {
        Ok(n)
    } else {
        Err(format!("Unexpected status code '{n}'."))
    }
}

/// Headers a reply always sets itself.
const IGNORED_HEADERS: &[&str] = &["content-length", "transfer-encoding"];

/// Parses reply arguments from `args[i]` up to the first word that is not
/// one (`if`, `unless`, or an error for the caller); returns the reply and
/// that index. `deny`: `deny_status` is accepted and the default body is
/// the error file. `warn` records HAProxy's warnings.
pub(super) fn parse_reply(
    args: &[String],
    mut i: usize,
    (status, deny): (u16, bool),
    warn: &mut dyn FnMut(String),
    files: &mut PatRegistry,
) -> Result<(HttpReply, usize), String> {
    let mut r = ReplyArgs {
        reply: HttpReply {
            status,
            content_type: None,
            body: if deny {
                ReplyBody::DefaultErrorfile
            } else {
                ReplyBody::Empty
            },
            headers: Vec::new(),
        },
        payload: None,
        has_payload: false,
        deny,
        status_kw: false,
        files,
    };
    while i < args.len() {
        match r.argument(args, i, warn)? {
            Some(taken) => i += taken,
            None => break,
        }
    }
    Ok((r.finish(warn)?, i))
}

/// A reply being read from its arguments.
struct ReplyArgs<'f> {
    reply: HttpReply,
    /// The argument that gave the body, if any.
    payload: Option<&'static str>,
    /// A non-empty `string` or `file` body.
    has_payload: bool,
    /// A `deny` reply (takes `deny_status`).
    deny: bool,
    /// `status` was given: a `deny` then has no default error page (2.6
    /// answers an empty body), unlike with `deny_status`.
    status_kw: bool,
    /// Map files named by the formats.
    files: &'f mut PatRegistry,
}

impl ReplyArgs<'_> {
    /// Reads the argument at `args[i]`: how many words it took, or `None`
    /// when the word is not a reply argument.
    fn argument(
        &mut self,
        args: &[String],
        i: usize,
        warn: &mut dyn FnMut(String),
    ) -> Result<Option<usize>, String> {
        let kw = args[i].as_str();
        let value = args.get(i + 1).map(String::as_str);
        match kw {
            "status" => {
                self.reply.status = status_code(value)?;
                self.status_kw = true;
            }
            "deny_status" if self.deny => self.reply.status = status_code(value)?,
            "content-type" => {
                self.reply.content_type = Some(
                    value
                        .ok_or("'content-type' expects <type> as argument.")?
                        .to_string(),
                )
            }
            "default-errorfiles" => {
                self.set_payload("default-errorfiles")?;
                self.reply.body = ReplyBody::DefaultErrorfile;
                return Ok(Some(1));
            }
            "errorfile" => self.errorfile(value)?,
            "string" => self.payload("string", value)?,
            "file" => self.payload("file", value)?,
            "lf-string" => self.format_payload("lf-string", value)?,
            "lf-file" => self.format_payload("lf-file", value)?,
            "errorfiles" => {
                self.set_payload("errorfiles")?;
                let name = value.ok_or("'errorfiles' expects <name> as argument.")?;
                self.reply.body = ReplyBody::Errorfiles(name.to_string());
            }
            "hdr" => {
                self.header(value, args.get(i + 2), warn)?;
                return Ok(Some(3));
            }
            _ => return Ok(None),
        }
        Ok(Some(2))
    }

    /// Only one argument may give the body.
    fn set_payload(&mut self, kw: &'static str) -> Result<(), String> {
        match self.payload {
            Some(old) => Err(format!(
                "unexpected '{kw}' argument, '{old}' already defined."
            )),
            None => {
                self.payload = Some(kw);
                Ok(())
            }
        }
    }

    /// `errorfile <path>`: a complete HTTP response read now.
    fn errorfile(&mut self, value: Option<&str>) -> Result<(), String> {
        self.set_payload("errorfile")?;
        let path = value.ok_or("'errorfile' expects <fmt> as argument.")?;
        let raw = read_file(path)?;
        check_raw_response(&raw).map_err(|e| format!("'{path}': {e}."))?;
        self.reply.body = ReplyBody::Errorfile(super::errorpage::normalize(&raw).into());
        Ok(())
    }

    /// `string <str>` or `file <path>`: the body.
    fn payload(&mut self, kw: &'static str, value: Option<&str>) -> Result<(), String> {
        self.set_payload(kw)?;
        let v = value.ok_or_else(|| {
            format!(
                "'{kw}' expects <{}> as argument.",
                if kw == "string" { "str" } else { "file" }
            )
        })?;
        let body = if kw == "string" {
            Bytes::copy_from_slice(v.as_bytes())
        } else {
            read_file(v)?
        };
        self.has_payload = !body.is_empty();
        self.reply.body = ReplyBody::Payload(body);
        Ok(())
    }

    /// `lf-string <fmt>` or `lf-file <path>`: a body made per request.
    fn format_payload(&mut self, kw: &'static str, value: Option<&str>) -> Result<(), String> {
        self.set_payload(kw)?;
        let v = value.ok_or_else(|| {
            format!(
                "'{kw}' expects <{}> as argument.",
                if kw == "lf-string" { "fmt" } else { "file" }
            )
        })?;
        let text = if kw == "lf-string" {
            v.to_string()
        } else {
            let raw = read_file(v)?;
            String::from_utf8_lossy(&raw).into_owned()
        };
        let fmt = LogFormat::parse_with(&text, self.files)?;
        self.has_payload = !text.is_empty();
        self.reply.body = ReplyBody::Format(fmt);
        Ok(())
    }

    /// `hdr <name> <fmt>`; the headers the reply sets itself are ignored
    /// with a warning.
    fn header(
        &mut self,
        name: Option<&str>,
        value: Option<&String>,
        warn: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        let (Some(name), Some(v)) = (name, value) else {
            return Err("'hdr' expects <name> and <value> as arguments.".into());
        };
        if IGNORED_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            warn(format!("header '{name}' always ignored by the http reply."));
        } else {
            let fmt = LogFormat::parse_with(v, self.files).map_err(|e| format!("'hdr' : {e}"))?;
            self.reply.headers.push((name.to_string(), fmt));
        }
        Ok(())
    }

    /// The checks once every argument is read: a payload needs a content
    /// type and a status that has a body; a content type without payload
    /// is dropped with a warning.
    fn finish(mut self, warn: &mut dyn FnMut(String)) -> Result<HttpReply, String> {
        let reply = &mut self.reply;
        if self.deny && self.status_kw && self.payload.is_none() {
            reply.body = ReplyBody::Empty;
        }
        if self.has_payload && reply.content_type.is_none() {
            return Err(
                "a content type must be defined when non-empty payload is configured.".into(),
            );
        }
        if self.has_payload && matches!(reply.status, 204 | 304) {
            return Err(format!("No body expected for {} responses.", reply.status));
        }
        if let Some(t) = &reply.content_type {
            if !matches!(reply.body, ReplyBody::Payload(_) | ReplyBody::Format(_)) {
                let why = if matches!(reply.body, ReplyBody::Errorfile(_)) {
                    "when an errorfile is defined"
                } else {
                    "because neither errorfile nor payload defined"
                };
                warn(format!(
                    "content-type '{t}' ignored by the http reply {why}."
                ));
                reply.content_type = None;
            }
        }
        Ok(self.reply)
    }
}

/// Parses redirect arguments from `args[i]` up to `if` / `unless` or the
/// end; returns the redirect and that index.
pub(super) fn parse_redirect(
    args: &[String],
    mut i: usize,
    files: &mut PatRegistry,
) -> Result<(Redirect, usize), String> {
    let mut target: Option<(RedirectKind, LogFormat)> = None;
    let mut r = Redirect {
        kind: RedirectKind::Location,
        target: LogFormat::parse("").map_err(|e| e.to_string())?,
        code: 302,
        drop_query: false,
        append_slash: false,
        ignore_empty: false,
        cookie: None,
    };
    while let Some(kw) = args.get(i).map(String::as_str) {
        if kw == "if" || kw == "unless" {
            break;
        }
        let value = args.get(i + 1).map(String::as_str);
        match kw {
            "location" | "prefix" | "scheme" => {
                let v = value.ok_or_else(|| format!("missing argument for '{kw}'."))?;
                let kind = match kw {
                    "location" => RedirectKind::Location,
                    "prefix" => RedirectKind::Prefix,
                    _ => RedirectKind::Scheme,
                };
                target = Some((kind, LogFormat::parse_with(v, files)?));
                i += 1;
            }
            "code" => {
                let v = value.unwrap_or("");
                r.code = v
                    .parse::<u16>()
                    .ok()
                    .filter(|c| matches!(c, 301 | 302 | 303 | 307 | 308))
                    .ok_or_else(|| {
                        format!(
                            "'code': unsupported HTTP code '{v}' (must be one of 301, 302, 303, 307 or 308)."
                        )
                    })?;
                i += 1;
            }
            "drop-query" => r.drop_query = true,
            "append-slash" => r.append_slash = true,
            "ignore-empty" => r.ignore_empty = true,
            "set-cookie" | "clear-cookie" => {
                r.cookie = Some(redirect_cookie(kw, value)?);
                i += 1;
            }
            _ => {
                return Err(format!(
                    "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', \
                     'drop-query', 'ignore-empty' or 'append-slash' (was '{kw}')."
                ))
            }
        }
        i += 1;
    }
    let Some((kind, fmt)) = target else {
        return Err("redirection type expected ('prefix', 'location', or 'scheme').".into());
    };
    r.kind = kind;
    r.target = fmt;
    Ok((r, i))
}

/// The `set-cookie` field a redirect sends for `set-cookie <NAME[=value]>`
/// or `clear-cookie <NAME[=]>`, as HAProxy 2.6 writes it (the cookie as
/// given, then `path=/`, and `Max-Age=0` to clear it).
fn redirect_cookie(kw: &str, value: Option<&str>) -> Result<String, String> {
    let v = value.ok_or_else(|| format!("missing argument for '{kw}'."))?;
    Ok(if kw == "set-cookie" {
        format!("{v}; path=/;")
    } else {
        format!("{v}; path=/; Max-Age=0;")
    })
}
