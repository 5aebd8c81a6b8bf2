//! `stats-page`: HAProxy's HTTP stats page (`stats uri`) as an HTTP
//! service: the HTML page with its `;csv`, `;json`, `;typed`, `;up`,
//! `;no-maint`, `;norefresh` variants, basic auth, and the admin form
//! (a `POST` whose de-framed body is read to its end, then answered by a
//! redirection to the page with the result, `;st=DONE`...).
//!
//! Arguments: `uri=<prefix>`, `realm=<text>`, `auth=<user:pass>`
//! (repeatable), `refresh=<secs>`, `admin` (granted for this request),
//! `hide-version`, `show-legends`, `scope=<proxy>` (repeatable),
//! `node=<name>`, `desc=<text>`, `frontend=<name>`.

use applet_sdk::{Host, Io, Request, Wait};

use crate::answer::send;
use crate::api::{Admin, AdminState, Source};
use crate::host_source::HostData;
use crate::html::{HtmlOptions, PostStatus};
use crate::select::StatOptions;

/// The most form bytes taken: past that the POST is answered `st=EXCD`,
/// as HAProxy does once its buffer (16384 bytes less the 1024 kept for
/// rewrites) is full before the body ended.
const MAX_FORM: usize = 16384 - 1024;

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

    /// Whether the `Authorization` value (if any) opens the page.
    fn authorized(&self, authorization: Option<&str>) -> bool {
        if self.auth.is_empty() {
            return true;
        }
        let Some(v) = authorization else {
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
    /// The admin form's body read so far.
    form: Vec<u8>,
}

/// The target's path and query (`/p;csv?x`), also for an absolute URI.
fn origin_form(target: &str) -> &str {
    if target.starts_with('/') {
        return target;
    }
    match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or(target, |i| &rest[i..]),
        None => target,
    }
}

impl StatsPage {
    pub fn new(args: &[String], host: Host) -> Result<StatsPage, String> {
        Ok(StatsPage {
            data: HostData::new(host),
            cfg: PageCfg::parse(args)?,
            form: Vec::new(),
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

    fn unauthorized(&self, io: &mut Io<'_>, req: &Request<'_>) {
        let body = b"<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
        let headers = [
            ("cache-control", "no-cache".to_string()),
            ("content-type", "text/html".to_string()),
            (
                "www-authenticate",
                format!("Basic realm=\"{}\"", self.cfg.realm),
            ),
        ];
        send(io, req, (401, "Unauthorized"), &headers, body);
    }

    /// The page itself, in the format the URI asks for.
    fn page(&self, io: &mut Io<'_>, req: &Request<'_>) {
        let target = req.target();
        let rest = origin_form(target)
            .strip_prefix(self.cfg.uri.as_str())
            .or_else(|| target.strip_prefix(self.cfg.uri.as_str()))
            .unwrap_or("");
        let q = PageQuery::parse(rest);
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
        let mut headers = vec![
            ("cache-control", "no-cache".to_string()),
            ("content-type", ctype.to_string()),
        ];
        if let Some(r) = self.cfg.refresh.filter(|r| *r > 0 && !q.norefresh) {
            headers.push(("refresh", r.to_string()));
        }
        send(io, req, (200, "OK"), &headers, body.as_bytes());
    }

    /// Reads the admin form's body: `None` while more is coming, else the
    /// result to redirect with.
    fn read_form(&mut self, io: &mut Io<'_>) -> Option<&'static str> {
        if !self.cfg.admin {
            // Denied without reading: the proxy drops the unread body.
            return Some("DENY");
        }
        let body = io.body();
        if self.form.len() + body.len() > MAX_FORM {
            return Some("EXCD");
        }
        self.form.extend_from_slice(body);
        io.consume(body.len());
        if !io.body_ended() {
            return None;
        }
        Some(self.apply_form(&String::from_utf8_lossy(&self.form)))
    }

    /// The redirection to the page with the admin form's result.
    fn redirect(&self, io: &mut Io<'_>, req: &Request<'_>, st: &str) {
        let headers = [
            ("cache-control", "no-cache".to_string()),
            ("content-type", "text/plain".to_string()),
            ("location", format!("{};st={st}", self.cfg.uri)),
        ];
        send(io, req, (303, "See Other"), &headers, b"");
    }

    /// The admin form: `s=<server>`... `action=<a>` `b=#<iid>`.
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

impl applet_sdk::AppletImpl for StatsPage {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        let Some(req) = io.request() else {
            io.fail("stats-page: called without an HTTP request");
            return Wait::DONE;
        };
        if !self.cfg.authorized(req.header("authorization")) {
            self.unauthorized(io, &req);
        } else if req.method() == "POST" {
            match self.read_form(io) {
                Some(st) => self.redirect(io, &req, st),
                None => return Wait::INPUT,
            }
        } else {
            self.page(io, &req);
        }
        Wait::DONE
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
    fn queries_and_targets() {
        let q = PageQuery::parse(";csv;norefresh;up");
        assert!(q.csv && q.norefresh && q.up && !q.json);
        assert_eq!(origin_form("/stats;csv"), "/stats;csv");
        assert_eq!(origin_form("http://h:8/stats;csv?x"), "/stats;csv?x");
        assert_eq!(origin_form("http://h:8"), "http://h:8");
    }

    #[test]
    fn basic_auth() {
        let cfg = PageCfg::parse(&["auth=admin:secret".to_string()]).unwrap();
        assert!(cfg.authorized(Some("Basic YWRtaW46c2VjcmV0")));
        assert!(cfg.authorized(Some("basic YWRtaW46c2VjcmV0")));
        assert!(!cfg.authorized(Some("Basic YWRtaW46d3Jvbmc=")));
        assert!(!cfg.authorized(None));
        assert!(PageCfg::parse(&[]).unwrap().authorized(None));
    }
}
