//! The HTTP part of a proxy's configuration: rules (`http-request`,
//! `http-response`, `redirect`, `tcp-request content use-service`), HTTP
//! options, error files and captures. Conditions, ACLs and header formats
//! are the compiled objects of [`crate::rules`], ready to evaluate.
//!
//! Rules of a named `defaults` section come first in the rule lists of the
//! proxies using it, as HAProxy runs them first.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::model::Location;
use super::model_stick::{ScAction, TcpRule, TrackAction};
use crate::rules::acl::IpNet;
use crate::rules::LogFormat;
pub use crate::rules::{Acl, Condition, Polarity, Term};
use crate::sample::regex::Regex;

/// One `http-request` or `http-response` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRule {
    pub action: HttpAction,
    /// `None`: the rule always applies.
    pub cond: Option<Condition>,
    pub loc: Location,
}

/// What a rule does. `http-response` rules only use `Allow`, `Deny`,
/// `SetHeader`, `AddHeader` and `DelHeader`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpAction {
    /// Stop evaluating the rules of this list; go on with the request.
    Allow,
    /// Answer with an error: status 403 (502 for `http-response`) and the
    /// proxy's error file unless the rule gave its own payload.
    Deny(HttpReply),
    /// Answer directly (`http-request return`).
    Return(HttpReply),
    Redirect(Redirect),
    SetHeader {
        name: String,
        value: LogFormat,
    },
    AddHeader {
        name: String,
        value: LogFormat,
    },
    /// `del-header <name> [-m str|beg|end|sub|reg]`: names compared
    /// case-insensitively (the regex is compiled with `-i`).
    DelHeader {
        name: String,
        how: HeaderMatch,
    },
    /// Hand the request to a service (`prometheus-exporter`, an applet):
    /// checked against the registered services after parsing.
    /// `use-service <name> [<arg>...]`.
    UseService(String, Vec<String>),
    /// `track-sc<n> <key> [table <t>]`.
    Track(TrackAction),
    /// `sc-inc-gpc0(<n>)`, `sc-inc-gpc1(<n>)`, `sc-set-gpt0(<n>) <v>`.
    Sc(ScAction),
    /// `set-src <expr>`: the client's address becomes the fetched one
    /// (an IP, or text holding one) for the rest of the connection.
    SetSrc(crate::config::model_stick::KeyExpr),
    /// `set-dst <expr>`: the destination address the connection shows
    /// (`dst`, `%fi`) from now on.
    SetDst(crate::config::model_stick::KeyExpr),
    /// `set-src-port <expr>`: the client's port for this request.
    SetSrcPort(crate::config::model_stick::KeyExpr),
    /// `set-dst-port <expr>`: the destination port, which a server
    /// without a port connects to.
    SetDstPort(crate::config::model_stick::KeyExpr),
    /// `set-var(...)`, `set-var-fmt(...)`, `unset-var(...)`.
    SetVar(crate::rules::var_action::VarAction),
    /// `auth [realm <realm>]`: a 401 asking for Basic credentials; the
    /// realm defaults to the name of the proxy running the rule (filled in
    /// once the configuration is read: `None` only while parsing).
    Auth {
        realm: Option<String>,
    },
    /// `set-path`, `replace-header`, `set-status`, ... (see
    /// [`super::model_rewrite`]).
    Rewrite(super::model_rewrite::RewriteAction),
    /// `reject`: the connection closes, nothing answered.
    Reject,
    /// `tarpit [reply]`: the answer (500 by default) goes out after
    /// `timeout tarpit`.
    Tarpit(HttpReply),
    /// `set-log-level <level>|silent`: the syslog severity of the
    /// transaction's log line (`None`: no line).
    SetLogLevel(Option<u8>),
    /// `set-timeout server|tunnel <time>|<expr>`.
    SetTimeout(
        super::kw_http_flow::TimeoutKind,
        super::kw_http_flow::TimeoutValue,
    ),
    /// `wait-for-body time <t> [at-least <bytes>]`: the body is read
    /// (all of it, `at-least` bytes or a buffer) before the next rule; a
    /// 408 when `time` passes first.
    WaitForBody {
        time: Duration,
        at_least: Option<u64>,
    },
    /// `capture <expr> len <n> | id <n>`.
    Capture(super::kw_capture_rule::CaptureAction),
    /// `early-hint <name> <fmt>`: a `103 Early Hints` answer with this
    /// field, sent once the rule set has run.
    EarlyHint {
        name: String,
        value: LogFormat,
    },
}

impl HttpAction {
    /// The sample expressions the action evaluates (its formats' too), for
    /// the configuration checks.
    pub fn exprs(&self) -> Vec<&crate::rules::expr::Expr> {
        fn reply(r: &HttpReply) -> Vec<&crate::rules::expr::Expr> {
            let mut v: Vec<&crate::rules::expr::Expr> =
                r.headers.iter().flat_map(|(_, f)| f.exprs()).collect();
            if let ReplyBody::Format(f) = &r.body {
                v.extend(f.exprs());
            }
            v
        }
        match self {
            HttpAction::Deny(r) | HttpAction::Return(r) | HttpAction::Tarpit(r) => reply(r),
            HttpAction::Redirect(r) => r.target.exprs().collect(),
            HttpAction::SetHeader { value, .. }
            | HttpAction::AddHeader { value, .. }
            | HttpAction::EarlyHint { value, .. } => value.exprs().collect(),
            HttpAction::Track(t) => vec![&t.key],
            HttpAction::SetSrc(e)
            | HttpAction::SetDst(e)
            | HttpAction::SetSrcPort(e)
            | HttpAction::SetDstPort(e) => vec![e],
            HttpAction::Capture(c) => vec![&c.expr],
            HttpAction::SetVar(a) => a.exprs(),
            HttpAction::Rewrite(r) => r.formats().map_or(Vec::new(), |f| f.exprs().collect()),
            HttpAction::Allow
            | HttpAction::Reject
            | HttpAction::SetLogLevel(_)
            | HttpAction::SetTimeout(..)
            | HttpAction::WaitForBody { .. }
            | HttpAction::DelHeader { .. }
            | HttpAction::UseService(..)
            | HttpAction::Sc(_)
            | HttpAction::Auth { .. } => Vec::new(),
        }
    }
}

/// How `del-header` matches names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderMatch {
    Str,
    Beg,
    End,
    Sub,
    Reg(Regex),
}

impl HeaderMatch {
    /// Whether header `name` is selected by `pattern`.
    pub fn matches(&self, pattern: &str, name: &[u8]) -> bool {
        let p = pattern.as_bytes();
        match self {
            HeaderMatch::Str => name.eq_ignore_ascii_case(p),
            HeaderMatch::Beg => name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p),
            HeaderMatch::End => {
                name.len() >= p.len() && name[name.len() - p.len()..].eq_ignore_ascii_case(p)
            }
            HeaderMatch::Sub => {
                p.is_empty() || name.windows(p.len()).any(|w| w.eq_ignore_ascii_case(p))
            }
            HeaderMatch::Reg(r) => r.is_match(name),
        }
    }
}

/// The answer of `deny` / `return`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    /// Only set with a `string` or `file` payload.
    pub content_type: Option<String>,
    pub body: ReplyBody,
    /// `hdr <name> <fmt>` (never `content-length`, always ignored).
    pub headers: Vec<(String, LogFormat)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyBody {
    /// No payload: `Content-Length: 0`.
    Empty,
    /// The proxy's `errorfile` for the status, else the built-in page
    /// (`deny` without payload, `return ... default-errorfiles`).
    DefaultErrorfile,
    /// `errorfile <file>`: a complete raw HTTP response, sent as is.
    Errorfile(Bytes),
    /// `string <text>` or `file <path>` (read at parse time): the body.
    Payload(Bytes),
    /// `lf-string <fmt>` or `lf-file <path>`: the body, made per request.
    Format(LogFormat),
    /// `errorfiles <name>`: while parsing only; becomes the section's
    /// `Errorfile` for the status, or `Empty`.
    Errorfiles(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// `Location: <target>`.
    Location,
    /// `Location: <target><path>` (`/` alone: the path only).
    Prefix,
    /// `Location: <target>://<host><uri>`.
    Scheme,
}

/// `redirect ...` / `http-request redirect ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub kind: RedirectKind,
    pub target: LogFormat,
    /// 301, 302 (default), 303, 307 or 308.
    pub code: u16,
    /// Drop the query string of the request (`prefix` and `scheme`).
    pub drop_query: bool,
    /// Add a `/` to a path not ending with one (`prefix` and `scheme`).
    pub append_slash: bool,
    /// Do nothing when the target evaluates empty.
    pub ignore_empty: bool,
    /// The `set-cookie` field value of `set-cookie` / `clear-cookie`.
    pub cookie: Option<String>,
}

/// A standalone `redirect` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectRule {
    pub redirect: Redirect,
    pub cond: Option<Condition>,
    pub loc: Location,
}

/// `option forwardfor [except <net>] [header <name>] [if-none]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardFor {
    /// Clients in this network get no header.
    pub except: Option<IpNet>,
    /// Default `X-Forwarded-For`.
    pub header: String,
    /// Only add the header when the request has none.
    pub if_none: bool,
}

/// `option http-keep-alive` (default), `http-server-close`, `httpclose`:
/// the last one in a section wins. The runtime combines the frontend's
/// and the backend's (the more closing one applies, as in HAProxy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpConnMode {
    #[default]
    KeepAlive,
    ServerClose,
    Close,
}

/// `http-reuse` (default `safe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpReuse {
    Never,
    #[default]
    Safe,
    Aggressive,
    Always,
}

/// `capture request|response header <name> len <n>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    pub name: String,
    /// Bytes kept of the value.
    pub len: usize,
}

/// HTTP settings and rules of a proxy (`ProxyConfig::http`).
#[derive(Clone, Debug, Default)]
pub struct HttpConfig {
    /// `http-request` rules, in order (a named defaults' first).
    pub request: Vec<HttpRule>,
    /// `http-response` rules, in order.
    pub response: Vec<HttpRule>,
    /// `http-after-response` rules, in order: they run on every answer,
    /// the proxy's own included.
    pub after: Vec<HttpRule>,
    /// Standalone `redirect` rules (run after `http-request` rules).
    pub redirects: Vec<RedirectRule>,
    /// `tcp-request content` rules (`use-service`, `track-sc*`, `accept`,
    /// `reject`, `sc-*`), in order.
    pub tcp_content: Vec<TcpRule>,
    /// `tcp-request inspect-delay`.
    pub inspect_delay: Option<Duration>,
    pub forwardfor: Option<ForwardFor>,
    pub conn_mode: HttpConnMode,
    /// `option http_proxy`: connect to the host and port of the absolute
    /// request URI (removed from HAProxy 2.5; supported here).
    pub http_proxy: bool,
    /// `option http-buffer-request`: the request body (what fits in a
    /// buffer) is read before the `http-request` rules run (`req.body`).
    pub buffer_request: bool,
    pub reuse: HttpReuse,
    /// Requests for this URI get a `200` from the proxy itself.
    pub monitor_uri: Option<String>,
    /// `errorfile <code> <file>`: raw responses by status.
    pub errorfiles: BTreeMap<u16, Bytes>,
    /// `capture request header` (the `{...}` of httplog lines, in order).
    pub capture_request: Vec<Capture>,
    /// `capture response header`.
    pub capture_response: Vec<Capture>,
    /// The HTTP stats page (`stats enable|uri|auth|...`), when enabled.
    pub stats: Option<StatsConfig>,
}

/// The `stats` keywords of a proxy: the stats page it serves.
#[derive(Clone, Debug)]
pub struct StatsConfig {
    /// `stats uri`: the path prefix that selects the page.
    pub uri: String,
    /// `stats realm` (basic auth realm).
    pub realm: Option<String>,
    /// `stats auth user:pass`, every one accepted.
    pub auth: Vec<String>,
    /// `stats refresh` in seconds.
    pub refresh: Option<u32>,
    /// `stats admin if|unless <cond>`: the page's admin form is enabled
    /// for requests matching one of these.
    pub admin: Vec<Condition>,
    pub hide_version: bool,
    pub show_legends: bool,
    /// `stats scope <name>`: only these proxies (`.` = this one).
    pub scope: Vec<String>,
    /// `stats show-node [name]`, `stats show-desc [text]`.
    pub show_node: Option<String>,
    pub show_desc: Option<String>,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            uri: "/haproxy?stats".to_string(),
            realm: None,
            auth: Vec::new(),
            refresh: None,
            admin: Vec::new(),
            hide_version: false,
            show_legends: false,
            scope: Vec::new(),
            show_node: None,
            show_desc: None,
        }
    }
}

impl HttpConfig {
    /// Every condition of the proxy's rules, `use_backend` excepted.
    pub fn conditions_mut(&mut self) -> impl Iterator<Item = &mut Condition> {
        let rules = self.request.iter_mut().chain(self.response.iter_mut());
        rules
            .filter_map(|r| r.cond.as_mut())
            .chain(self.redirects.iter_mut().filter_map(|r| r.cond.as_mut()))
            .chain(self.tcp_content.iter_mut().filter_map(|r| r.cond.as_mut()))
    }

    /// Whether there are rules a named defaults section passes on (HAProxy's
    /// "TCP/HTTP rules").
    pub fn has_rules(&self) -> bool {
        !(self.request.is_empty()
            && self.response.is_empty()
            && self.after.is_empty()
            && self.tcp_content.is_empty())
    }
}
