//! The keyword table: which keywords exist, in which sections, and which
//! function parses each one.
//!
//! Adding a keyword means adding a row to [`KEYWORDS`] and writing its
//! handler; the parser, the "not allowed here" and "unknown keyword; did you
//! mean" messages all come from the table. A row says where the keyword is
//! valid (`allowed`) and where HAProxy merely warns and ignores it because
//! the proxy lacks the frontend or backend side (`ignored`); anywhere else in
//! the same family of sections it is an error.

use super::kw_acl::acl;
use super::kw_global as g;
use super::kw_http as h;
use super::kw_http_misc as hm;
use super::kw_logformat as lf;
use super::kw_option::option;
use super::kw_proxy as p;
use super::kw_server as s;
use super::kw_stick as stk;
use super::model::{Global, Location, LogTarget, ProxyConfig, ProxyKind};

/// The kind of section a line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SectionKind {
    Global,
    Defaults,
    Frontend,
    Backend,
    Listen,
}

pub(super) const GLOBAL: u8 = 1;
pub(super) const DEFAULTS: u8 = 2;
pub(super) const FRONTEND: u8 = 4;
pub(super) const BACKEND: u8 = 8;
pub(super) const LISTEN: u8 = 16;
/// Every proxy-like section.
const PROXIES: u8 = DEFAULTS | FRONTEND | BACKEND | LISTEN;

impl SectionKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            SectionKind::Global => "global",
            SectionKind::Defaults => "defaults",
            SectionKind::Frontend => "frontend",
            SectionKind::Backend => "backend",
            SectionKind::Listen => "listen",
        }
    }

    fn bit(self) -> u8 {
        match self {
            SectionKind::Global => GLOBAL,
            SectionKind::Defaults => DEFAULTS,
            SectionKind::Frontend => FRONTEND,
            SectionKind::Backend => BACKEND,
            SectionKind::Listen => LISTEN,
        }
    }

    /// Defaults sections hold settings for both sides.
    pub(super) fn has_frontend(self) -> bool {
        matches!(
            self,
            SectionKind::Defaults | SectionKind::Frontend | SectionKind::Listen
        )
    }

    pub(super) fn has_backend(self) -> bool {
        matches!(
            self,
            SectionKind::Defaults | SectionKind::Backend | SectionKind::Listen
        )
    }
}

/// How HAProxy names a proxy in messages: `frontend`, `backend`, or
/// `proxy` for a listen section.
pub(super) fn type_str(kind: ProxyKind) -> &'static str {
    match kind {
        ProxyKind::Frontend => "frontend",
        ProxyKind::Backend => "backend",
        ProxyKind::Listen => "proxy",
    }
}

/// The first character HAProxy refuses in a proxy or server name (it
/// allows letters, digits, `-`, `_`, `.` and `:`).
pub(super) fn invalid_char(name: &str) -> Option<char> {
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.:".contains(*c)))
}

/// A `log` line of a proxy before `log global` is resolved (the global
/// targets are only complete once every file is read).
#[derive(Clone, Debug)]
pub(super) enum LogItem {
    Global,
    Target(LogTarget),
}

/// A proxy or defaults section while it is being parsed.
#[derive(Clone, Debug)]
pub(super) struct ProxyState {
    /// For a defaults section `cfg.kind` is meaningless; `section` is right.
    pub cfg: ProxyConfig,
    pub section: SectionKind,
    pub logs: Vec<LogItem>,
    /// Where `id` was given; `cfg.id` stays 0 until ids are assigned.
    pub id_loc: Option<Location>,
    /// Where `option httplog` was set, for the mode check.
    pub httplog_loc: Option<Location>,
    /// Where `default_backend` was set, for errors about its target.
    pub default_backend_loc: Option<Location>,
    /// Rule kinds this section wrote itself (`kw_http::SEEN_*`), for HAProxy's
    /// "rule placed after" warnings; inherited rules do not count.
    pub seen: u8,
    /// For a defaults section with rules: which sides (`FRONTEND`,
    /// `BACKEND`) of proxies inherit from it.
    pub rule_users: u8,
    /// `nbsrv(<backend>)` references, checked once every backend is known.
    pub nbsrv_refs: Vec<(String, Location)>,
    /// Tables named by stick-table fetches (`None`: the proxy's own), with
    /// the ACL keyword, checked once every table is known.
    pub stick_refs: Vec<(Option<String>, String, Location)>,
    /// Userlists named by `http_auth*` fetches, with the ACL keyword,
    /// checked once every userlist is known.
    pub userlist_refs: Vec<super::kw_userlist::UserlistRef>,
    /// `errorfiles` lines (a defaults' first), applied once every
    /// `http-errors` section is known.
    pub errorfiles_refs: Vec<super::kw_errors::ErrorfilesRef>,
    /// `tcp-check` / `http-check` rules while the section is parsed.
    pub checks: super::kw_check::CheckState,
    /// The global TLS settings as they stood when the section began.
    pub global_ssl: crate::tls::opts::GlobalSsl,
    /// `expose-experimental-directives` was given before the section.
    pub experimental: bool,
}

impl ProxyState {
    pub(super) fn global_ssl(&self) -> &crate::tls::opts::GlobalSsl {
        &self.global_ssl
    }

    /// A new section, empty or inheriting from `parent` (a defaults
    /// section). Settings
    /// for the side the new proxy lacks are dropped, as HAProxy only copies
    /// what applies (a backend gets no `timeout client`).
    pub(super) fn inherit(
        parent: Option<&ProxyState>,
        name: &str,
        section: SectionKind,
        loc: Location,
    ) -> Self {
        let kind = match section {
            SectionKind::Frontend => ProxyKind::Frontend,
            SectionKind::Backend => ProxyKind::Backend,
            _ => ProxyKind::Listen,
        };
        let Some(parent) = parent else {
            return ProxyState {
                cfg: ProxyConfig::new(name, kind, 0, loc),
                section,
                logs: Vec::new(),
                id_loc: None,
                httplog_loc: None,
                default_backend_loc: None,
                seen: 0,
                rule_users: 0,
                nbsrv_refs: Vec::new(),
                stick_refs: Vec::new(),
                userlist_refs: Vec::new(),
                errorfiles_refs: Vec::new(),
                checks: Default::default(),
                global_ssl: Default::default(),
                experimental: false,
            };
        };
        let mut st = parent.clone();
        st.section = section;
        st.id_loc = None;
        st.seen = 0;
        st.rule_users = 0;
        st.nbsrv_refs.clear();
        st.stick_refs.clear();
        st.userlist_refs.clear();
        st.checks = parent.checks.inherited();
        let cfg = &mut st.cfg;
        // ACLs stay in their section; inherited rules keep theirs.
        cfg.acls.clear();
        cfg.name = name.to_string();
        cfg.kind = kind;
        cfg.id = 0;
        cfg.loc = loc;
        let t = &mut cfg.timeouts;
        if !section.has_frontend() {
            t.client = None;
            t.client_fin = None;
            cfg.maxconn = None;
            cfg.default_backend = None;
            cfg.http.monitor_uri = None;
            cfg.http.capture_request.clear();
            cfg.http.capture_response.clear();
        }
        if !section.has_backend() {
            t.connect = None;
            t.server = None;
            t.server_fin = None;
            t.queue = None;
            t.tunnel = None;
            t.check = None;
            cfg.http.reuse = Default::default();
        }
        st
    }
}

impl ProxyState {
    /// `frontend 'fe' has no backend capability`: the side this proxy
    /// lacks, for "ignored because" and "not allowed because" messages.
    pub(super) fn lacks_phrase(&self) -> String {
        let side = if self.section.has_frontend() {
            "backend"
        } else {
            "frontend"
        };
        format!(
            "{} '{}' has no {side} capability",
            type_str(self.cfg.kind),
            self.cfg.name
        )
    }
}

/// What a handler sees of the line being parsed.
pub(super) struct Ctx<'a> {
    /// The words of the line, the keyword first (without a leading `no`).
    pub args: &'a [String],
    pub loc: &'a Location,
    /// The line started with `no`.
    pub negate: bool,
    pub warnings: &'a mut Vec<String>,
    /// Where map and pattern files named by expressions are loaded.
    pub files: &'a mut crate::sample::pattern::PatRegistry,
}

pub(super) type KwResult = Result<(), String>;

impl Ctx<'_> {
    pub(super) fn kw(&self) -> &str {
        self.args.first().map_or("", String::as_str)
    }

    pub(super) fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    /// Records a warning about this line, formatted as HAProxy prints it.
    pub(super) fn warn(&mut self, msg: impl std::fmt::Display) {
        self.warnings
            .push(format!("config : parsing [{}] : {msg}", self.loc));
    }

    /// Errors if the line has more than `n` arguments after the keyword.
    pub(super) fn max_args(&self, n: usize) -> KwResult {
        match self.args.get(n + 1) {
            Some(extra) => Err(format!(
                "'{}' cannot handle unexpected argument '{extra}'.",
                self.kw()
            )),
            None => Ok(()),
        }
    }

    /// The integer argument `i`, or the usual "expects an integer" error.
    pub(super) fn int_arg<T: std::str::FromStr>(&self, i: usize) -> Result<T, String> {
        self.arg(i)
            .and_then(|a| a.parse::<T>().ok())
            .ok_or_else(|| format!("'{}' expects an integer argument.", self.kw()))
    }
}

/// A keyword handler, by the section state it modifies.
pub(super) enum Handler {
    Global(fn(&mut Global, &mut Ctx<'_>) -> KwResult),
    Proxy(fn(&mut ProxyState, &mut Ctx<'_>) -> KwResult),
}

pub(super) struct Keyword {
    pub name: &'static str,
    /// Sections where the keyword is parsed.
    pub allowed: u8,
    /// Proxy sections where it is accepted but ignored with a warning.
    pub ignored: u8,
    /// `no <kw>` is meaningful.
    pub negatable: bool,
    pub handler: Handler,
}

const fn gl(name: &'static str, f: fn(&mut Global, &mut Ctx<'_>) -> KwResult) -> Keyword {
    Keyword {
        name,
        allowed: GLOBAL,
        ignored: 0,
        negatable: false,
        handler: Handler::Global(f),
    }
}

const fn px(
    name: &'static str,
    allowed: u8,
    ignored: u8,
    f: fn(&mut ProxyState, &mut Ctx<'_>) -> KwResult,
) -> Keyword {
    Keyword {
        name,
        allowed,
        ignored,
        negatable: false,
        handler: Handler::Proxy(f),
    }
}

const fn negatable(mut k: Keyword) -> Keyword {
    k.negatable = true;
    k
}

const D: u8 = DEFAULTS;
const F: u8 = FRONTEND;
const B: u8 = BACKEND;
const L: u8 = LISTEN;

/// Every keyword we know, by section.
pub(super) static KEYWORDS: &[Keyword] = &[
    // global
    gl("maxconn", g::maxconn),
    gl("nbthread", g::nbthread),
    gl("nbproc", g::nbproc),
    gl("spread-checks", g::spread_checks),
    gl("server-state-file", g::server_state),
    gl("server-state-base", g::server_state),
    negatable(gl("log", g::log)),
    gl("pidfile", g::pidfile),
    gl("localpeer", g::localpeer),
    gl("applet-load", g::applet_load),
    gl("set-var", g::set_var),
    gl("set-var-fmt", g::set_var),
    gl("stats", g::stats),
    gl("daemon", g::daemon),
    gl("expose-experimental-directives", g::expose_experimental),
    gl("tune.bufsize", g::tune_bufsize),
    gl("tune.maxrewrite", g::tune_maxrewrite),
    gl("tune.fail-alloc", g::tune_fail_alloc),
    gl("tune.conn-pool-max", g::tune_conn_pool_max),
    gl("tune.http.maxhdr", super::kw_tune_http::tune_http_maxhdr),
    gl(
        "tune.http.logurilen",
        super::kw_tune_http::tune_http_logurilen,
    ),
    gl(
        "tune.http.cookielen",
        super::kw_tune_http::tune_http_cookielen,
    ),
    gl(
        "tune.idle-pool.shared",
        super::kw_tune_http::tune_idle_pool_shared,
    ),
    gl("crt-base", g::ssl_base),
    gl("ca-base", g::ssl_base),
    gl("ssl-default-bind-options", g::ssl_default),
    gl("ssl-default-bind-ciphers", g::ssl_default),
    gl("ssl-default-bind-ciphersuites", g::ssl_default),
    gl("ssl-default-bind-curves", g::ssl_default),
    gl("ssl-default-server-options", g::ssl_default),
    gl("ssl-default-server-ciphers", g::ssl_default),
    gl("ssl-default-server-ciphersuites", g::ssl_default),
    gl("ssl-server-verify", g::ssl_server_verify),
    gl("tune.ssl.default-dh-param", g::ssl_accepted),
    gl("tune.ssl.cachesize", g::tune_ssl_cachesize),
    gl("tune.ssl.lifetime", g::ssl_accepted),
    gl("tune.ssl.maxrecord", g::ssl_accepted),
    gl("tune.ssl.ssl-ctx-cache-size", g::ssl_accepted),
    gl("tune.ssl.capture-buffer-size", g::ssl_accepted),
    gl("tune.ssl.capture-cipherlist-size", g::ssl_accepted),
    gl("tune.ssl.force-private-cache", g::ssl_accepted),
    gl("tune.ssl.keylog", g::ssl_accepted),
    gl("ssl-dh-param-file", g::ssl_accepted),
    gl("ssl-mode-async", g::ssl_accepted),
    gl("ssl-load-extra-files", g::ssl_accepted),
    gl("ssl-load-extra-del-ext", g::ssl_accepted),
    gl("ssl-skip-self-issued-ca", g::ssl_accepted),
    // proxies
    px("mode", D | F | B | L, 0, p::mode),
    px("bind", F | L, B, super::kw_bind::bind),
    px("maxconn", D | F | L, B, p::maxconn),
    px("default_backend", D | F | L, B, p::default_backend),
    px("use_backend", F | L, B, p::use_backend),
    px("server", B | L, 0, s::server),
    px("default-server", D | B | L, F, s::default_server),
    px("dispatch", B | L, F, p::dispatch),
    px(
        "load-server-state-from-file",
        D | B | L,
        F,
        p::load_server_state,
    ),
    px(
        "server-state-file-name",
        D | B | L,
        F,
        p::server_state_file_name,
    ),
    px("source", D | B | L, F, p::source),
    px("timeout", D | F | B | L, 0, p::timeout),
    px("contimeout", D | F | B | L, 0, p::removed_timeout),
    px("clitimeout", D | F | B | L, 0, p::removed_timeout),
    px("srvtimeout", D | F | B | L, 0, p::removed_timeout),
    px("retries", D | B | L, F, p::retries),
    negatable(px("option", D | F | B | L, 0, option)),
    px("balance", D | B | L, F, super::kw_balance::balance),
    px("hash-type", D | B | L, F, super::kw_lb::hash_type),
    px(
        "hash-balance-factor",
        D | B | L,
        F,
        super::kw_lb::hash_balance_factor,
    ),
    negatable(px("log", D | F | B | L, 0, p::log)),
    px("id", F | B | L, 0, p::id),
    px("description", D | F | B | L, 0, p::description),
    px("log-format", D | F | B | L, 0, lf::log_format),
    px("log-format-sd", D | F | B | L, 0, lf::log_format_sd),
    px("error-log-format", D | F | B | L, 0, lf::error_log_format),
    px("unique-id-format", D | F | B | L, 0, lf::unique_id_format),
    px("unique-id-header", D | F | B | L, 0, lf::unique_id_header),
    // HTTP rules and settings
    px("acl", D | F | B | L, 0, acl),
    px("http-request", D | F | B | L, 0, h::http_request),
    px("http-response", D | F | B | L, 0, h::http_response),
    px(
        "http-after-response",
        D | F | B | L,
        0,
        h::http_after_response,
    ),
    px("redirect", F | B | L, 0, h::redirect),
    px("declare", D | F | B | L, 0, super::kw_capture_rule::declare),
    px("tcp-request", D | F | B | L, 0, super::kw_tcp::tcp_request),
    px(
        "tcp-response",
        D | F | B | L,
        0,
        super::kw_tcp_response::tcp_response,
    ),
    // health checks (HAProxy parses them in frontends too, with a warning)
    px("tcp-check", D | F | B | L, 0, super::kw_check::tcp_check),
    px("http-check", D | F | B | L, 0, super::kw_check::http_check),
    px("errorfile", D | F | B | L, 0, hm::errorfile),
    px("errorfiles", D | F | B | L, 0, super::kw_errors::errorfiles),
    px("errorloc", D | F | B | L, 0, super::kw_errors::errorloc),
    px("errorloc302", D | F | B | L, 0, super::kw_errors::errorloc),
    px("errorloc303", D | F | B | L, 0, super::kw_errors::errorloc),
    px("http-reuse", D | B | L, F, hm::http_reuse),
    px("monitor-uri", D | F | L, B, hm::monitor_uri),
    px("capture", D | F | L, B, hm::capture),
    px("stats", D | F | B | L, 0, hm::stats),
    // stick tables
    px("stick-table", D | F | B | L, 0, stk::stick_table),
    px("stick", B | L, F, stk::stick),
    // cookie persistence
    px("cookie", D | B | L, F, super::kw_cookie::cookie),
    px(
        "dynamic-cookie-key",
        D | B | L,
        F,
        super::kw_cookie::dynamic_cookie_key,
    ),
    px("force-persist", B | L, F, super::kw_cookie::persist_rule),
    px("ignore-persist", B | L, F, super::kw_cookie::persist_rule),
];

/// Section keywords, also offered as suggestions for typos.
pub(super) const SECTIONS: &[&str] = &["global", "defaults", "frontend", "backend", "listen"];

pub(super) enum Lookup {
    Found(&'static Keyword),
    /// Valid for the other side of a proxy: warn and ignore.
    Ignored,
    /// Exists for this family of sections but not this one.
    NotAllowed,
    /// Unknown here; maybe a close known keyword.
    Unknown(Option<&'static str>),
}

pub(super) fn lookup(name: &str, section: SectionKind) -> Lookup {
    let bit = section.bit();
    let rows = || KEYWORDS.iter().filter(|k| k.name == name);
    if let Some(k) = rows().find(|k| k.allowed & bit != 0) {
        return Lookup::Found(k);
    }
    if rows().any(|k| k.ignored & bit != 0) {
        return Lookup::Ignored;
    }
    let family = if bit == GLOBAL { GLOBAL } else { PROXIES };
    if rows().any(|k| k.allowed & family != 0) {
        return Lookup::NotAllowed;
    }
    // Like HAProxy, suggest any keyword of the family, even one that would
    // then be refused here: the typo is the first thing to fix.
    let kin = KEYWORDS
        .iter()
        .filter(|k| (k.allowed | k.ignored) & family != 0)
        .map(|k| k.name);
    Lookup::Unknown(suggest(name, kin.chain(SECTIONS.iter().copied())))
}

/// The candidate closest to `word`, if close enough to be a likely typo.
pub(super) fn suggest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of
/// adjacent characters (typos are often swaps).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[(i - 2) * w + j - 2] + 1);
                }
                v
            };
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("server", "server"), 0);
        assert_eq!(distance("serverr", "server"), 1);
        assert_eq!(distance("tiemout", "timeout"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let c = ["server", "timeout", "maxconn"];
        assert_eq!(suggest("serverr", c.iter().copied()), Some("server"));
        assert_eq!(suggest("mxconn", c.iter().copied()), Some("maxconn"));
        assert_eq!(suggest("zzz", c.iter().copied()), None);
        assert_eq!(suggest("acl", c.iter().copied()), None);
    }

    #[test]
    fn lookups() {
        assert!(matches!(
            lookup("server", SectionKind::Backend),
            Lookup::Found(_)
        ));
        assert!(matches!(
            lookup("server", SectionKind::Frontend),
            Lookup::NotAllowed
        ));
        assert!(matches!(
            lookup("server", SectionKind::Defaults),
            Lookup::NotAllowed
        ));
        assert!(matches!(
            lookup("balance", SectionKind::Frontend),
            Lookup::Ignored
        ));
        assert!(
            matches!(lookup("maxconn", SectionKind::Global), Lookup::Found(k) if matches!(k.handler, Handler::Global(_)))
        );
        assert!(
            matches!(lookup("maxconn", SectionKind::Frontend), Lookup::Found(k) if matches!(k.handler, Handler::Proxy(_)))
        );
        // A global-only keyword in a proxy is simply unknown there.
        assert!(matches!(
            lookup("nbthread", SectionKind::Frontend),
            Lookup::Unknown(None)
        ));
        // Suggestions come from the whole family, as in HAProxy.
        assert!(matches!(
            lookup("serverr", SectionKind::Frontend),
            Lookup::Unknown(Some("server"))
        ));
        assert!(matches!(
            lookup("serverr", SectionKind::Listen),
            Lookup::Unknown(Some("server"))
        ));
        assert!(matches!(
            lookup("frontned", SectionKind::Global),
            Lookup::Unknown(Some("frontend"))
        ));
    }

    #[test]
    fn every_row_is_reachable() {
        for k in KEYWORDS {
            assert!(k.allowed != 0 && k.allowed & k.ignored == 0, "{}", k.name);
            let mut first = None;
            for s in [
                SectionKind::Global,
                SectionKind::Defaults,
                SectionKind::Frontend,
                SectionKind::Backend,
                SectionKind::Listen,
            ] {
                if let Lookup::Found(f) = lookup(k.name, s) {
                    if std::ptr::eq(f, k) {
                        first = Some(s);
                    }
                }
            }
            assert!(first.is_some(), "row {} shadowed", k.name);
        }
    }
}
