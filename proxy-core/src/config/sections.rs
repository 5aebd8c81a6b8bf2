//! Section headers and keyword lines: which section a line belongs to,
//! `defaults` inheritance and name clashes, and dispatch of each keyword to
//! its handler through the table in [`super::keywords`], with HAProxy's
//! messages for keywords that are unknown, misplaced or ignored.
//!
//! Parsing goes on after an error so that one run reports every broken
//! line, as `haproxy -c` does.

use super::checks::finalize;
use super::keywords::{
    invalid_char, lookup, type_str, Ctx, Handler, Keyword, Lookup, ProxyState, SectionKind,
};
use super::kw_http::rule_inheritance;
use super::kw_userlist::UserlistState;
use super::model::{Config, Global, Location};
use super::model_stick::PeersConfig;
use super::parser::{ConfigError, ConfigErrors};
use crate::sample::pattern::PatRegistry;

/// Which section the following lines belong to.
#[derive(Clone, Copy)]
pub(super) enum Cur {
    /// Before the first section of a file.
    Outside,
    Global,
    Defaults(usize),
    Proxy(usize),
    /// A `peers` section.
    Peers(usize),
    /// A `userlist` section.
    Userlist(usize),
    /// An `http-errors` section.
    HttpErrors(usize),
    /// A section we refused; its lines are skipped silently.
    Skip,
}

/// The state of a configuration being read, file after file.
pub(super) struct Parser<'e> {
    pub(super) env: &'e dyn Fn(&str) -> Option<String>,
    pub(super) global: Global,
    /// Every defaults section in order; the last one is the implicit parent.
    pub(super) defaults: Vec<ProxyState>,
    pub(super) proxies: Vec<ProxyState>,
    pub(super) peers: Vec<PeersConfig>,
    pub(super) userlists: Vec<UserlistState>,
    pub(super) http_errors: Vec<super::kw_errors::HttpErrors>,
    pub(super) cur: Cur,
    pub(super) errors: Vec<ConfigError>,
    pub(super) warnings: Vec<String>,
    pub(super) notices: Vec<String>,
    /// Map and pattern files, loaded as lines name them.
    pub(super) patterns: PatRegistry,
}

impl<'e> Parser<'e> {
    pub(super) fn new(env: &'e dyn Fn(&str) -> Option<String>) -> Self {
        Parser {
            env,
            global: Global::default(),
            defaults: Vec::new(),
            proxies: Vec::new(),
            peers: Vec::new(),
            userlists: Vec::new(),
            http_errors: Vec::new(),
            cur: Cur::Outside,
            errors: Vec::new(),
            warnings: Vec::new(),
            notices: Vec::new(),
            patterns: PatRegistry::default(),
        }
    }

    pub(super) fn fatal(&mut self, loc: Option<&Location>, msg: impl Into<String>) {
        self.errors.push(ConfigError {
            loc: loc.cloned(),
            msg: msg.into(),
        });
    }

    /// A keyword line (or a section header) in an active block.
    pub(super) fn line(&mut self, args: &[String], loc: &Location) {
        let (negate, args) = match args {
            [no, rest @ ..] if no == "no" && !rest.is_empty() => (true, rest),
            _ => (false, args),
        };
        if !negate && self.section_header(args, loc) {
            return;
        }
        let Some(section) = self.keyword_section(args, loc) else {
            return;
        };
        let Some(row) = self.keyword_row(&args[0], section, loc) else {
            return;
        };
        if negate && !row.negatable {
            return self.fatal(
                Some(loc),
                "negation/default currently supported only for options and log.",
            );
        }
        self.run_keyword(row, args, loc, negate);
    }

    /// Handles a line that opens a section (a refused one included);
    /// false for any other line.
    fn section_header(&mut self, args: &[String], loc: &Location) -> bool {
        if let Some(kind) = section_kind(&args[0]) {
            self.start_section(kind, args, loc);
            return true;
        }
        if args[0] == "peers" {
            self.cur = Cur::Skip;
            match super::kw_peers::start(args, loc, &self.peers) {
                Ok(p) => {
                    self.peers.push(p);
                    self.cur = Cur::Peers(self.peers.len() - 1);
                }
                Err((msg, true)) => self.fatal(None, msg),
                Err((msg, false)) => self.fatal(Some(loc), msg),
            }
            return true;
        }
        if args[0] == "userlist" {
            self.start_userlist(args, loc);
            return true;
        }
        if args[0] == "http-errors" {
            self.cur = Cur::Skip;
            match super::kw_errors::start(args, loc, &self.http_errors) {
                Ok(sec) => {
                    self.http_errors.push(sec);
                    self.cur = Cur::HttpErrors(self.http_errors.len() - 1);
                }
                Err(msg) => self.fatal(None, msg),
            }
            return true;
        }
        if UNSUPPORTED_SECTIONS.contains(&args[0].as_str()) {
            self.cur = Cur::Skip;
            self.fatal(
                Some(loc),
                format!("'{}' sections are not supported by this proxy.", args[0]),
            );
            return true;
        }
        false
    }

    /// The kind of section a keyword line belongs to; `None` once the line
    /// is dealt with (outside any section, skipped, or a `peers` line).
    fn keyword_section(&mut self, args: &[String], loc: &Location) -> Option<SectionKind> {
        let kw = args[0].as_str();
        match self.cur {
            Cur::Outside => {
                self.fatal(Some(loc), format!("unknown keyword '{kw}' out of section."));
                None
            }
            Cur::Skip => None,
            Cur::Peers(i) => {
                if let Err(msg) = super::kw_peers::line(&mut self.peers[i], args, loc) {
                    self.fatal(Some(loc), msg);
                }
                None
            }
            Cur::Userlist(i) => {
                match super::kw_userlist::line(&mut self.userlists[i], args, loc) {
                    Ok(warning) => self.warnings.extend(warning),
                    Err(msg) => self.fatal(None, msg),
                }
                None
            }
            Cur::HttpErrors(i) => {
                if let Err(msg) = super::kw_errors::line(&mut self.http_errors[i], args, loc) {
                    self.fatal(None, msg);
                }
                None
            }
            Cur::Global => Some(SectionKind::Global),
            Cur::Defaults(_) => Some(SectionKind::Defaults),
            Cur::Proxy(i) => Some(self.proxies[i].section),
        }
    }

    /// The table row of `kw` in `section`; `None` after HAProxy's warning
    /// or error for a keyword that is ignored, misplaced or unknown.
    fn keyword_row(
        &mut self,
        kw: &str,
        section: SectionKind,
        loc: &Location,
    ) -> Option<&'static Keyword> {
        match lookup(kw, section) {
            Lookup::Found(row) => return Some(row),
            Lookup::Ignored => {
                let phrase = self
                    .proxy_mut()
                    .map(|st| st.lacks_phrase())
                    .unwrap_or_default();
                self.warnings.push(format!(
                    "config : parsing [{loc}] : '{kw}' ignored because {phrase}."
                ));
            }
            Lookup::NotAllowed => {
                let msg = match self.proxy_mut() {
                    Some(st) if st.section != SectionKind::Defaults => {
                        format!("'{kw}' not allowed because {}.", st.lacks_phrase())
                    }
                    _ => format!("'{kw}' not allowed in '{}' section.", section.name()),
                };
                self.fatal(Some(loc), msg);
            }
            Lookup::Unknown(hint) => {
                let hint = hint
                    .map(|h| format!("; did you mean '{h}' maybe ?"))
                    .unwrap_or_default();
                self.fatal(
                    Some(loc),
                    format!(
                        "unknown keyword '{kw}' in '{}' section{hint}",
                        section.name()
                    ),
                );
            }
        }
        None
    }

    /// Calls the keyword's handler on the global section or the current
    /// proxy; its error is the line's.
    fn run_keyword(&mut self, row: &Keyword, args: &[String], loc: &Location, negate: bool) {
        let mut warnings = std::mem::take(&mut self.warnings);
        let mut patterns = std::mem::take(&mut self.patterns);
        patterns.set_origin(&loc.file, u32::try_from(loc.line).unwrap_or(u32::MAX));
        let mut ctx = Ctx {
            args,
            loc,
            negate,
            warnings: &mut warnings,
            files: &mut patterns,
        };
        let res = match &row.handler {
            Handler::Global(f) => f(&mut self.global, &mut ctx),
            Handler::Proxy(f) => match self.proxy_mut() {
                Some(st) => f(st, &mut ctx),
                None => Ok(()),
            },
        };
        self.warnings = warnings;
        self.patterns = patterns;
        if let Err(msg) = res {
            self.fatal(Some(loc), msg);
        }
    }

    /// The proxy or defaults section being filled, if any.
    fn proxy_mut(&mut self) -> Option<&mut ProxyState> {
        match self.cur {
            Cur::Defaults(i) => self.defaults.get_mut(i),
            Cur::Proxy(i) => self.proxies.get_mut(i),
            _ => None,
        }
    }

    /// `userlist <name>`.
    fn start_userlist(&mut self, args: &[String], loc: &Location) {
        self.cur = Cur::Skip;
        match super::kw_userlist::start(args, loc, &self.userlists) {
            Ok((st, warning)) => {
                self.warnings.extend(warning);
                self.userlists.push(st);
                self.cur = Cur::Userlist(self.userlists.len() - 1);
            }
            Err(msg) => self.fatal(None, msg),
        }
    }

    /// `global`, `defaults [<name>] [from <defaults>]` or
    /// `frontend|backend|listen <name> [from <defaults>]`.
    fn start_section(&mut self, kind: SectionKind, args: &[String], loc: &Location) {
        // Until the header is validated, lines go nowhere.
        self.cur = Cur::Skip;
        let kw = kind.name();
        if kind == SectionKind::Global {
            self.cur = Cur::Global;
            return;
        }
        let (name, rest) = match (kind, args.get(1).map(String::as_str)) {
            (SectionKind::Defaults, Some("from")) | (SectionKind::Defaults, None) => {
                ("", &args[1..])
            }
            (_, Some(n)) => (n, &args[2..]),
            (_, None) => return self.fatal(Some(loc), format!("'{kw}' expects an <id> argument")),
        };
        if let Some(c) = invalid_char(name) {
            return self.fatal(
                Some(loc),
                format!("character '{c}' is not permitted in '{kw}' name '{name}'."),
            );
        }
        let parent = match rest {
            // A new `defaults` section starts from the built-in values.
            [] if kind == SectionKind::Defaults => None,
            [] => self.defaults.len().checked_sub(1),
            [from, def] if from == "from" => {
                match self.defaults.iter().rposition(|d| d.cfg.name == *def) {
                    Some(d) => Some(d),
                    None => {
                        return self.fatal(
                            Some(loc),
                            format!("defaults section '{def}' not found for {kw} '{name}'."),
                        )
                    }
                }
            }
            [from] if from == "from" => {
                return self.fatal(
                    Some(loc),
                    format!("'{kw}' : 'from' expects a defaults section name."),
                )
            }
            _ => {
                return self.fatal(
                    Some(loc),
                    "please use the 'bind' keyword for listening addresses.",
                )
            }
        };
        if let Some(Err(msg)) = parent.map(|i| rule_inheritance(&mut self.defaults[i], kind)) {
            self.fatal(Some(loc), msg);
        }
        let mut st =
            ProxyState::inherit(parent.map(|i| &self.defaults[i]), name, kind, loc.clone());
        // `crt-base`/`ca-base` apply to the lines after them, as HAProxy
        // joins paths while parsing.
        st.global_ssl = self.global.ssl.clone();
        if kind == SectionKind::Defaults {
            self.defaults.push(st);
            self.cur = Cur::Defaults(self.defaults.len() - 1);
            return;
        }
        let clash = |other: &ProxyState| {
            other.cfg.name == name
                && ((other.section.has_frontend() && kind.has_frontend())
                    || (other.section.has_backend() && kind.has_backend()))
        };
        if let Some(other) = self.proxies.iter().find(|o| clash(o)) {
            let msg = format!(
                "{} '{name}' has the same name as {} '{name}' declared at {}.",
                type_str(st.cfg.kind),
                type_str(other.cfg.kind),
                other.cfg.loc
            );
            self.fatal(Some(loc), msg);
        }
        self.proxies.push(st);
        self.cur = Cur::Proxy(self.proxies.len() - 1);
    }

    pub(super) fn finish(self) -> Result<Config, ConfigErrors> {
        let Parser {
            global,
            mut proxies,
            peers,
            userlists,
            http_errors,
            mut errors,
            mut warnings,
            notices,
            patterns,
            ..
        } = self;
        let mut post = Vec::new();
        let userlists = super::kw_userlist::resolve(userlists, &mut post);
        super::kw_userlist::check_refs(&proxies, &userlists, &mut post);
        super::kw_errors::resolve(&mut proxies, &http_errors, &mut post, &mut warnings);
        super::kw_auth::default_realms(&mut proxies);
        super::kw_tarpit::delays(&mut proxies);
        errors.extend(post.into_iter().map(|msg| ConfigError { loc: None, msg }));
        if errors.is_empty() {
            let mut config = finalize(global, proxies, peers, &mut errors, &mut warnings);
            config.userlists = userlists;
            if errors.is_empty() {
                config.warnings = warnings;
                config.notices = notices;
                config.patterns = std::sync::Arc::new(patterns);
                return Ok(config);
            }
        }
        Err(ConfigErrors { errors, warnings })
    }
}

fn section_kind(word: &str) -> Option<SectionKind> {
    Some(match word {
        "global" => SectionKind::Global,
        "defaults" => SectionKind::Defaults,
        "frontend" => SectionKind::Frontend,
        "backend" => SectionKind::Backend,
        "listen" => SectionKind::Listen,
        _ => return None,
    })
}

/// HAProxy sections this proxy does not implement (yet).
const UNSUPPORTED_SECTIONS: &[&str] = &[
    "resolvers",
    "mailers",
    "cache",
    "program",
    "ring",
    "log-forward",
    "fcgi-app",
    "dynamic-update",
];

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, errors, ok};
    use super::*;
    use crate::config::model::{Mode, ProxyKind};
    use std::time::Duration;
    const FULL: &str = "
global
    maxconn 500
    log stdout format raw local0

defaults
    mode http
    timeout client 30s
    timeout server 30s
    timeout connect 5s
    log global
    option httplog

frontend www
    bind 127.0.0.1:8000
    default_backend app

backend app
    server a1 127.0.0.1:9001
    server a2 127.0.0.1:9002

listen tcp_svc
    mode tcp
    no option httplog
    bind 127.0.0.1:8001
    server t1 127.0.0.1:9000
";

    #[test]
    fn multi_section_config() {
        let c = ok(FULL);
        assert_eq!(c.global.maxconn, Some(500));
        assert_eq!(c.proxies.len(), 3);
        let www = c.proxy("www").unwrap();
        assert_eq!(
            (www.kind, www.mode, www.id),
            (ProxyKind::Frontend, Mode::Http, 1)
        );
        assert_eq!(
            www.loc,
            Location {
                file: "t.cfg".into(),
                line: 14
            }
        );
        assert_eq!(www.default_backend.as_deref(), Some("app"));
        assert_eq!(www.timeouts.client, Some(Duration::from_secs(30)));
        // A frontend does not inherit server-side timeouts.
        assert_eq!(www.timeouts.connect, None);
        assert_eq!(www.maxconn, Some(500));
        assert!(www.httplog);
        assert_eq!(www.logs.len(), 1);
        let app = c.proxy("app").unwrap();
        assert_eq!(
            (app.kind, app.id, app.servers.len()),
            (ProxyKind::Backend, 2, 2)
        );
        assert_eq!(app.timeouts.client, None);
        assert_eq!(app.timeouts.connect, Some(Duration::from_secs(5)));
        assert_eq!(app.maxconn, None);
        assert_eq!(app.servers[1].id, 2);
        let l = c.proxy("tcp_svc").unwrap();
        assert_eq!(
            (l.kind, l.mode, l.id, l.httplog),
            (ProxyKind::Listen, Mode::Tcp, 3, false)
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn defaults_inheritance() {
        let c = ok("
defaults base
    retries 5
    timeout client 1s
defaults
    retries 7
frontend a
    bind :1
backend b
    server s 127.0.0.1:1
frontend c from base
    bind :2
defaults other from base
    option dontlognull
frontend d
    bind :3
");
        let retries = |n: &str| c.proxy(n).unwrap().retries;
        // `a` gets the last defaults (which started afresh), `c` the named one.
        assert_eq!(c.proxy("a").unwrap().timeouts.client, None);
        assert_eq!(retries("b"), 7);
        assert_eq!(
            c.proxy("c").unwrap().timeouts.client,
            Some(Duration::from_secs(1))
        );
        let d = c.proxy("d").unwrap();
        assert!(d.dontlognull);
        assert_eq!(d.timeouts.client, Some(Duration::from_secs(1)));
        assert!(error("frontend x from nope\n")
            .contains("defaults section 'nope' not found for frontend 'x'"));
    }

    #[test]
    fn sections_repeat_and_names_clash() {
        let c = ok("global\n  maxconn 10\nglobal\n  nbthread 4\n");
        assert_eq!((c.global.maxconn, c.global.nbthread), (Some(10), 4));
        // A frontend and a backend may share a name.
        let c = ok("frontend x\n bind :1\n default_backend x\nbackend x\n server s 127.0.0.1:1\n");
        assert_eq!(c.proxies.len(), 2);
        let e = error("frontend x\n bind :1\nfrontend x\n bind :2\n");
        assert_eq!(e, "parsing [t.cfg:3] : frontend 'x' has the same name as frontend 'x' declared at t.cfg:1.");
        let e = error("backend x\nlisten x\n bind :2\n");
        assert!(
            e.contains("proxy 'x' has the same name as backend 'x' declared at t.cfg:1"),
            "{e}"
        );
        assert_eq!(
            error("frontend\n"),
            "parsing [t.cfg:1] : 'frontend' expects an <id> argument"
        );
        assert!(error("backend \"a b\"\n")
            .contains("character ' ' is not permitted in 'backend' name 'a b'"));
        assert!(error("listen x 1.2.3.4:80\n").contains("please use the 'bind' keyword"));
        assert!(
            error("cache c\n  total-max-size 4\n").contains("'cache' sections are not supported")
        );
    }

    #[test]
    fn keyword_errors_name_line_and_keyword() {
        assert_eq!(
            error("backend b\n  serverr s 127.0.0.1:1\n"),
            "parsing [t.cfg:2] : unknown keyword 'serverr' in 'backend' section; did you mean 'server' maybe ?"
        );
        assert_eq!(
            error("global\n  frobnicate 1\n"),
            "parsing [t.cfg:2] : unknown keyword 'frobnicate' in 'global' section"
        );
        assert_eq!(
            error("maxconn 1\n"),
            "parsing [t.cfg:1] : unknown keyword 'maxconn' out of section."
        );
        assert_eq!(
            error("frontend f\n bind :1\n server s 127.0.0.1:1\n"),
            "parsing [t.cfg:3] : 'server' not allowed because frontend 'f' has no backend capability."
        );
        assert_eq!(
            error("defaults\n bind :1\n"),
            "parsing [t.cfg:2] : 'bind' not allowed in 'defaults' section."
        );
        assert_eq!(
            error("global\n no daemon\n"),
            "parsing [t.cfg:2] : negation/default currently supported only for options and log."
        );
        // Parsing goes on after an error.
        assert_eq!(
            errors("global\n  maxconn x\n  nbthread 0\n  bogus\n").len(),
            3
        );
    }

    #[test]
    fn other_side_keywords_are_ignored_with_a_warning() {
        let c = ok(
            "frontend f\n bind :1\n balance leastconn\n timeout client 1s\nbackend b\n bind :2\n",
        );
        assert_eq!(c.warnings[0], "config : parsing [t.cfg:3] : 'balance' ignored because frontend 'f' has no backend capability.");
        assert_eq!(c.warnings[1], "config : parsing [t.cfg:6] : 'bind' ignored because backend 'b' has no frontend capability.");
        assert!(c.proxy("b").unwrap().binds.is_empty());
    }

    #[test]
    fn env_expansion() {
        let c = ok("frontend f\n bind \"${ADDR}\":${PORT}\n bind :\"${NOPE-9000}\"\n");
        let f = c.proxy("f").unwrap();
        assert_eq!(
            f.binds[0].addrs,
            [crate::config::BindAddr::Tcp(
                "127.0.0.1:8080".parse().unwrap()
            )]
        );
        assert_eq!(
            f.binds[1].addrs,
            [crate::config::BindAddr::Tcp(
                "0.0.0.0:9000".parse().unwrap()
            )]
        );
        assert_eq!(
            error("global\n  pidfile \"/x\n"),
            "parsing [t.cfg:2] : unmatched quote at position 11"
        );
    }
}
