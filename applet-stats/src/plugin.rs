//! The three services this library exports (see `export_applet!` in
//! `lib.rs`), as non-blocking applets over the host's data:
//!
//! * `stats-cli` ([`Cli`]): the stats socket protocol; argument `level=<l>`
//!   (`user`, `operator`, `admin`; default `operator`).
//! * `stats-page` ([`StatsPage`]): the HTTP stats page with its `;csv`,
//!   `;json`, `;typed`, `;up`, `;no-maint`, `;norefresh` variants, basic
//!   auth and the admin form; arguments `uri=<prefix>`, `realm=<text>`,
//!   `auth=<user:pass>` (repeatable), `refresh=<secs>`, `admin` (granted
//!   for this request), `hide-version`, `show-legends`, `scope=<proxy>`
//!   (repeatable), `node=<name>`, `desc=<text>`, `frontend=<name>`.
//! * `prometheus-exporter` ([`Prometheus`]): HAProxy's exposition.
//!
//! The HTTP services read the raw request from their input (head, and for
//! the admin form's POST the body) and write one complete HTTP/1.1
//! response.

use applet_sdk::{AppletImpl, Host, Io, Wait};

use crate::api::{Admin, AdminState, Source};
use crate::cli::{CliSession, Level};
use crate::host_source::HostData;
use crate::html::{HtmlOptions, PostStatus};
use crate::prom::PromOptions;
use crate::select::StatOptions;

/// Writes what fits of `pending` (from `*pos`); `true` once all is out.
fn flush(io: &mut Io<'_>, pending: &[u8], pos: &mut usize) -> bool {
    if *pos < pending.len() {
        *pos += io.write(&pending[*pos..]);
    }
    *pos >= pending.len()
}

/// `stats-cli`: one stats-socket connection.
pub struct Cli {
    data: HostData,
    session: CliSession,
    out: Vec<u8>,
    pos: usize,
    closing: bool,
}

impl Cli {
    pub fn new(args: &[String], host: Host) -> Result<Cli, String> {
        let mut level = Level::Operator;
        for a in args {
            let v = a.strip_prefix("level=").unwrap_or(a);
            level = Level::parse(v).ok_or_else(|| format!("stats-cli: unknown level '{v}'"))?;
        }
        Ok(Cli {
            data: HostData::new(host),
            session: CliSession::new(level),
            out: Vec::new(),
            pos: 0,
            closing: false,
        })
    }

    fn run(&mut self, bytes: &[u8]) {
        let o = self.session.feed(bytes, &self.data, &self.data);
        if self.pos == self.out.len() {
            self.out.clear();
            self.pos = 0;
        }
        self.out.extend_from_slice(o.text.as_bytes());
        self.closing |= o.close;
    }
}

impl AppletImpl for Cli {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        // Answer what was asked before reading more: a client that sends
        // faster than it reads is throttled by its own output.
        if !flush(io, &self.out, &mut self.pos) {
            return Wait::ROOM;
        }
        if !self.closing {
            let input = io.input();
            if !input.is_empty() {
                let n = input.len();
                self.run(input);
                io.consume(n);
            } else if io.input_closed() {
                // A command is only run once its line is complete: a
                // client that closes mid-line (or is cut off) must not
                // have half a command executed, as HAProxy drops it too.
                self.closing = true;
            }
        }
        if !flush(io, &self.out, &mut self.pos) {
            return Wait::ROOM;
        }
        if self.closing {
            Wait::DONE
        } else {
            Wait::INPUT
        }
    }
}

/// A parsed HTTP request (head and body).
struct Request {
    method: String,
    uri: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a complete request from `input`: `Ok(None)` while more is
/// needed, `Ok(Some((request, bytes used)))`.
fn parse_request(input: &[u8]) -> Result<Option<(Request, usize)>, String> {
    let Some(end) = input.windows(4).position(|w| w == b"\r\n\r\n") else {
        if input.len() > 65536 {
            return Err("request head too large".into());
        }
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&input[..end]);
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let uri = parts.next().unwrap_or("").to_string();
    let version = parts.next().unwrap_or("HTTP/1.0").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut req = Request {
        method,
        uri,
        version,
        headers,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let start = end + 4;
    if input.len() < start + len {
        return Ok(None);
    }
    req.body = input[start..start + len].to_vec();
    Ok(Some((req, start + len)))
}

/// One complete response: chunked for an HTTP/1.1 GET, a content length
/// otherwise; no body for HEAD.
fn response(req: &Request, status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for (n, v) in headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    let head_only = req.method == "HEAD";
    let chunked = req.version == "HTTP/1.1" && !head_only && !body.is_empty();
    if chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
        out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n0\r\n\r\n");
    } else {
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        if !head_only {
            out.extend_from_slice(body);
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` on a bad byte.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = chunk.len().saturating_sub(1);
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// `%XX` and `+` decoding of a form value.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The stats page's configuration, from its arguments.
#[derive(Debug, Default, Clone)]
struct PageCfg {
    uri: String,
    realm: String,
    auth: Vec<String>,
    refresh: Option<u32>,
    admin: bool,
    hide_version: bool,
    show_legends: bool,
    scope: Vec<String>,
    node: Option<String>,
    desc: Option<String>,
    frontend: String,
}

impl PageCfg {
    fn parse(args: &[String]) -> Result<PageCfg, String> {
        let mut c = PageCfg {
            uri: "/haproxy?stats".into(),
            realm: "HAProxy Statistics".into(),
            ..PageCfg::default()
        };
        for a in args {
            let (k, v) = a.split_once('=').unwrap_or((a.as_str(), ""));
            match k {
                "uri" => c.uri = v.to_string(),
                "realm" => c.realm = v.to_string(),
                "auth" => c.auth.push(v.to_string()),
                "refresh" => c.refresh = Some(v.parse().map_err(|_| format!("bad refresh '{v}'"))?),
                "admin" => c.admin = true,
                "hide-version" => c.hide_version = true,
                "show-legends" => c.show_legends = true,
                "scope" => c.scope.push(v.to_string()),
                "node" => c.node = Some(v.to_string()),
                "desc" => c.desc = Some(v.to_string()),
                "frontend" => c.frontend = v.to_string(),
                other => return Err(format!("stats-page: unknown argument '{other}'")),
            }
        }
        Ok(c)
    }

    fn authorized(&self, req: &Request) -> bool {
        if self.auth.is_empty() {
            return true;
        }
        let Some(v) = req.header("authorization") else {
            return false;
        };
        let Some((scheme, cred)) = v.split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Some(plain) = base64_decode(cred.trim()) else {
            return false;
        };
        let plain = String::from_utf8_lossy(&plain);
        self.auth.iter().any(|a| a == plain.as_ref())
    }
}

/// What the URI after the prefix asks for.
#[derive(Debug, Default)]
struct PageQuery {
    csv: bool,
    json: bool,
    typed: bool,
    up: bool,
    no_maint: bool,
    norefresh: bool,
    st: Option<PostStatus>,
    scope: Option<String>,
}

impl PageQuery {
    fn parse(rest: &str) -> PageQuery {
        let mut q = PageQuery::default();
        for tok in rest.split([';', '&', '?']) {
            match tok {
                "csv" => q.csv = true,
                "json" => q.json = true,
                "typed" => q.typed = true,
                "up" => q.up = true,
                "no-maint" => q.no_maint = true,
                "norefresh" => q.norefresh = true,
                t if t.starts_with("st=") => q.st = Some(PostStatus::parse(&t[3..])),
                t if t.starts_with("scope=") => {
                    let v: String = url_decode(&t[6..]).chars().take(20).collect();
                    q.scope = Some(v);
                }
                _ => {}
            }
        }
        q
    }
}

/// `stats-page`: one HTTP transaction of the stats page.
pub struct StatsPage {
    data: HostData,
    cfg: PageCfg,
    out: Vec<u8>,
    pos: usize,
    answered: bool,
}

impl StatsPage {
    pub fn new(args: &[String], host: Host) -> Result<StatsPage, String> {
        Ok(StatsPage {
            data: HostData::new(host),
            cfg: PageCfg::parse(args)?,
            out: Vec::new(),
            pos: 0,
            answered: false,
        })
    }

    /// Rows restricted to `stats scope` (`.` is this page's frontend).
    fn rows(&self) -> Vec<crate::model::ProxyStats> {
        let mut rows = self.data.stats();
        if !self.cfg.scope.is_empty() {
            let fe = self.cfg.frontend.as_str();
            rows.retain(|r| {
                self.cfg
                    .scope
                    .iter()
                    .any(|s| r.pxname == *s || (s == "." && r.pxname == fe))
            });
        }
        rows
    }

    fn answer(&self, req: &Request) -> Vec<u8> {
        let nocache = ("cache-control", "no-cache".to_string());
        if !self.cfg.authorized(req) {
            let body = b"<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
            return response(
                req,
                "401 Unauthorized",
                &[
                    nocache,
                    ("content-type", "text/html".into()),
                    (
                        "www-authenticate",
                        format!("Basic realm=\"{}\"", self.cfg.realm),
                    ),
                ],
                body,
            );
        }
        let path = req
            .uri
            .strip_prefix("http://")
            .and_then(|r| r.find('/').map(|i| &r[i..]))
            .unwrap_or(&req.uri);
        let rest = path
            .strip_prefix(self.cfg.uri.as_str())
            .or_else(|| req.uri.strip_prefix(self.cfg.uri.as_str()))
            .unwrap_or("");
        let q = PageQuery::parse(rest);
        if req.method == "POST" {
            return self.post(req);
        }
        let opts = StatOptions {
            hide_down: q.up,
            hide_maint: q.no_maint,
            show_legends: self.cfg.show_legends,
            ..StatOptions::default()
        };
        let rows = self.rows();
        let (ctype, body) = if q.csv {
            ("text/plain", crate::csv::render(&rows, &opts))
        } else if q.json {
            ("application/json", crate::json::render_stats(&rows, &opts))
        } else if q.typed {
            ("text/plain", crate::typed::render_stats(&rows, &opts))
        } else {
            let o = HtmlOptions {
                uri_prefix: self.cfg.uri.clone(),
                refresh: self.cfg.refresh,
                no_refresh: q.norefresh,
                hide_version: self.cfg.hide_version,
                show_legends: self.cfg.show_legends,
                admin: self.cfg.admin,
                hide_down: q.up,
                hide_maint: q.no_maint,
                scope: q.scope.clone(),
                show_node: self.cfg.node.clone(),
                show_desc: self.cfg.desc.clone(),
                status: q.st,
                ..HtmlOptions::default()
            };
            let info = self.data.info();
            ("text/html", crate::html::render(&info, &rows, &o))
        };
        let mut headers = vec![nocache, ("content-type", ctype.to_string())];
        if let Some(r) = self.cfg.refresh.filter(|r| *r > 0 && !q.norefresh) {
            headers.push(("refresh", r.to_string()));
        }
        response(req, "200 OK", &headers, body.as_bytes())
    }

    /// The admin form: `s=<server>`... `action=<a>` `b=#<iid>`, then a
    /// redirection to the page with the result (`;st=DONE`...).
    fn post(&self, req: &Request) -> Vec<u8> {
        let st = if !self.cfg.admin {
            "DENY"
        } else {
            self.apply_form(&String::from_utf8_lossy(&req.body))
        };
        let loc = format!("{};st={st}", self.cfg.uri);
        response(
            req,
            "303 See Other",
            &[
                ("cache-control", "no-cache".into()),
                ("content-type", "text/plain".into()),
                ("location", loc),
            ],
            b"",
        )
    }

    fn apply_form(&self, body: &str) -> &'static str {
        let mut servers = Vec::new();
        let (mut action, mut backend) = (String::new(), String::new());
        for kv in body.split('&') {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = url_decode(v);
            match k {
                "s" => servers.push(v),
                "action" => action = v,
                "b" => backend = v,
                _ => {}
            }
        }
        let state = match action.as_str() {
            "ready" => AdminState::Ready,
            "drain" => AdminState::Drain,
            "maint" => AdminState::Maint,
            "" => return "NONE",
            _ => return "UNKN",
        };
        let stats = self.data.stats();
        let be = match backend.strip_prefix('#') {
            Some(id) => stats
                .iter()
                .find(|r| r.kind == crate::model::ObjType::Backend && r.iid.to_string() == id)
                .map(|r| r.pxname.clone()),
            None => Some(backend.clone()),
        };
        let Some(be) = be else { return "ERRP" };
        if servers.is_empty() {
            return "NONE";
        }
        let ok = servers
            .iter()
            .filter(|s| self.data.set_server_state(&be, s, state).is_ok())
            .count();
        match ok {
            0 => "ERRP",
            n if n == servers.len() => "DONE",
            _ => "PART",
        }
    }
}

impl AppletImpl for StatsPage {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        if !self.answered {
            match parse_request(io.input()) {
                Ok(Some((req, used))) => {
                    io.consume(used);
                    self.out = self.answer(&req);
                    self.answered = true;
                }
                Ok(None) if io.input_closed() => return Wait::DONE,
                Ok(None) => return Wait::INPUT,
                Err(e) => {
                    io.fail(e);
                    return Wait::DONE;
                }
            }
        }
        if flush(io, &self.out, &mut self.pos) {
            Wait::DONE
        } else {
            Wait::ROOM
        }
    }
}

/// `prometheus-exporter`: HAProxy's metrics in the text exposition format.
pub struct Prometheus {
    data: HostData,
    out: Vec<u8>,
    pos: usize,
    answered: bool,
}

impl Prometheus {
    pub fn new(_args: &[String], host: Host) -> Result<Prometheus, String> {
        Ok(Prometheus {
            data: HostData::new(host),
            out: Vec::new(),
            pos: 0,
            answered: false,
        })
    }

    fn answer(&self, req: &Request) -> Vec<u8> {
        let mut o = PromOptions::default();
        if let Some((_, query)) = req.uri.split_once('?') {
            let scopes: Vec<&str> = query
                .split('&')
                .filter_map(|kv| kv.strip_prefix("scope="))
                .collect();
            if !scopes.is_empty() {
                o = PromOptions {
                    global: false,
                    frontend: false,
                    listener: false,
                    backend: false,
                    server: false,
                    no_maint: false,
                };
                for s in scopes {
                    match s {
                        "global" => o.global = true,
                        "frontend" => o.frontend = true,
                        "listener" => o.listener = true,
                        "backend" => o.backend = true,
                        "server" => o.server = true,
                        "*" => o = PromOptions::default(),
                        _ => {}
                    }
                }
            }
            o.no_maint = query.split('&').any(|kv| kv == "no-maint");
        }
        let body = crate::prom::render(&self.data.info(), &self.data.stats(), &o);
        response(
            req,
            "200 OK",
            &[
                ("cache-control", "no-cache".into()),
                ("content-type", "text/plain; version=0.0.4".into()),
            ],
            body.as_bytes(),
        )
    }
}

impl AppletImpl for Prometheus {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        if !self.answered {
            match parse_request(io.input()) {
                Ok(Some((req, used))) => {
                    io.consume(used);
                    self.out = self.answer(&req);
                    self.answered = true;
                }
                Ok(None) if io.input_closed() => return Wait::DONE,
                Ok(None) => return Wait::INPUT,
                Err(e) => {
                    io.fail(e);
                    return Wait::DONE;
                }
            }
        }
        if flush(io, &self.out, &mut self.pos) {
            Wait::DONE
        } else {
            Wait::ROOM
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders() {
        assert_eq!(base64_decode("YWRtaW46c2VjcmV0").unwrap(), b"admin:secret");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("*").is_none());
        assert_eq!(url_decode("a%2Fb+c"), "a/b c");
    }

    #[test]
    fn requests_and_queries() {
        let raw = b"POST /s HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        let (r, n) = parse_request(raw).unwrap().unwrap();
        assert_eq!(
            (r.method.as_str(), r.body.as_slice(), n),
            ("POST", &b"abc"[..], raw.len())
        );
        assert!(parse_request(&raw[..raw.len() - 1]).unwrap().is_none());
        let q = PageQuery::parse(";csv;norefresh;up");
        assert!(q.csv && q.norefresh && q.up && !q.json);
        let resp = response(&r, "200 OK", &[], b"hi");
        assert!(resp.ends_with(b"2\r\nhi\r\n0\r\n\r\n"));
    }
}
