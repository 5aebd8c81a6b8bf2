//! Sample expressions, ACLs, conditions, formats and variable actions,
//! evaluated against requests (and responses, for `http-response` rules)
//! and the streams around them.
//!
//! The configuration parser ([`crate::config`]) builds the objects once:
//! - [`expr::Expr`]: a fetch and its converters, the one engine every
//!   user of samples shares (values, casts and converters are in
//!   [`crate::sample`]);
//! - [`acl::AclExpr`]: `<expr> [-i] [-f <file>] [-m <method>] <patterns...>`
//!   on the shared pattern lists ([`acl::parse_expr`]);
//! - [`cond::Acl`]: a named (or anonymous) ACL, the OR of its expressions;
//! - [`cond::Condition`]: `if|unless` over OR-ed suites of AND-ed, maybe
//!   negated, ACL terms ([`cond::Condition::parse`]), predefined ACLs
//!   included (`TRUE`, `METH_GET`, `LOCALHOST`, ...);
//! - [`format::LogFormat`]: a log-format string (log lines, unique ids,
//!   header values, `return` bodies), rendered by [`format_render`];
//! - [`var_action::VarAction`]: `set-var`, `set-var-fmt`, `unset-var`.
//!
//! At run time the drivers implement [`RequestView`] over a parsed
//! request (or a connection) and [`StreamInfo`] over the stream, and call
//! [`eval`] / [`eval_opt`], [`expr::Expr::eval`] and the formats.
//!
//! Modules: [`fetch`] (what a fetch is and how a word names one),
//! `fetch_table` (the keyword table), `fetch_eval` (what each fetch
//! reads), [`fetch_stick`] (the stick-table fetches), [`fetch_ssl`] (the
//! TLS fetches of layer 5), `sample` (header
//! value helpers), [`expr`], [`acl`], [`cond`], [`format`],
//! [`format_render`], [`var_action`].

pub mod acl;
pub mod cond;
pub mod expr;
pub mod fetch;
pub mod fetch_auth;
mod fetch_body;
mod fetch_eval;
mod fetch_payload;
pub mod fetch_ssl;
pub mod fetch_stick;
mod fetch_table;
pub mod format;
pub mod format_render;
mod sample;
pub mod var_action;
pub use crate::sample::regex;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_cond;
#[cfg(test)]
mod tests_ssl;

use std::net::SocketAddr;
use std::ops::ControlFlow;

use crate::tls::info::TlsInfo;
pub use acl::{AclExpr, MatchMethod};
pub use cond::{Acl, Condition, Polarity, Term};
pub use format::LogFormat;

/// What rules can see of a request (and, for `http-response` rules, of
/// its response). The HTTP driver implements it over its parsed message.
pub trait RequestView {
    /// The method as received (`GET`).
    fn method(&self) -> &[u8];
    /// The request target as received (`/a?b`, `http://h/a`, `*`).
    fn uri(&self) -> &[u8];
    /// The path: no query string; for an absolute-form target, what follows
    /// the authority (`http://h/a?b` → `/a`); empty for `*`.
    fn path(&self) -> &[u8];
    /// The HTTP version, `(1, 1)` for `HTTP/1.1`.
    fn version(&self) -> (u8, u8);
    /// Calls `f(name, value)` for each request header line, in order,
    /// until it returns `Break`. Values as received (the fetches trim them
    /// and split them on commas).
    fn for_each_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>);
    /// The client's address.
    fn src(&self) -> Option<SocketAddr>;
    /// The address the client connected to.
    fn dst(&self) -> Option<SocketAddr>;
    /// Usable (up, not in maintenance, weight > 0) servers of `backend`;
    /// `None` (bare `nbsrv`) means the proxy whose rule is running, which
    /// has a backend side (the parser refuses bare `nbsrv` in a frontend,
    /// as HAProxy). 0 for an unknown backend.
    fn nbsrv(&self, backend: Option<&str>) -> u32;
    /// Request bytes already buffered (`req.len`, the `REQ_CONTENT` ACL).
    fn req_len(&self) -> u64 {
        0
    }
    /// The response status, once there is a response.
    fn status(&self) -> Option<u16> {
        None
    }
    /// The response's HTTP version, once there is a response.
    fn res_version(&self) -> Option<(u8, u8)> {
        None
    }
    /// Like [`RequestView::for_each_header`] for the response headers.
    fn for_each_res_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        let _ = f;
    }
    /// The stick tables and the stream's tracked counters, for the
    /// stick-table fetches (`src_*`, `sc0_*`, `table_cnt`, `in_table`);
    /// `None` where there are none: those fetches then find nothing.
    fn stick(&self) -> Option<&dyn fetch_stick::StickFetches> {
        None
    }
    /// The stream around the message (names, variables, captures, load
    /// figures), for the fetches that read it; `None` outside a stream.
    fn stream(&self) -> Option<&dyn StreamInfo> {
        None
    }
    /// The client bytes a TCP-mode stream buffered for inspection (the
    /// `req.ssl_*` fetches); `None` elsewhere (HTTP mode).
    fn payload(&self) -> Option<&Payload<'_>> {
        None
    }
    /// The TLS facts of the client connection (`back`: the server
    /// connection), for the `ssl_*` fetches; `None` when it is not TLS.
    fn tls(&self, back: bool) -> Option<&TlsInfo> {
        self.stream().and_then(|s| s.tls(back))
    }
    /// `tcp-request connection expect-proxy layer4` matched: only the
    /// accept path's view, before any stream, records it.
    fn expect_proxy(&self) {}
}

/// Client bytes buffered for `tcp-request content` inspection.
#[derive(Clone, Copy, Debug)]
pub struct Payload<'a> {
    pub data: &'a [u8],
    /// The most the buffer may hold.
    pub limit: usize,
    /// More data may still come (the rules may wait for it).
    pub partial: bool,
    /// Raised by a fetch whose answer may change with more data.
    pub may_change: &'a std::sync::atomic::AtomicBool,
}

impl Payload<'_> {
    /// A fetch's answer depends on data not there yet.
    pub fn note_incomplete(&self) {
        if self.partial {
            self.may_change
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// What fetches and converters see of the stream beyond the message.
/// Every method has a default for streams that lack the thing.
pub trait StreamInfo: Sync {
    /// The stream's variables (and the process-wide ones).
    fn vars(&self) -> Option<&crate::sample::vars::VarStore> {
        None
    }
    /// The PROXY header the client connection arrived with
    /// (`fc_rcvd_proxy`, `fc_pp_*`).
    fn proxy_header(&self) -> Option<&crate::proxy_proto::Header> {
        None
    }
    /// The name and numeric id of the frontend, backend, server or
    /// listener (`fe_name`, `be_id`, ...), once known.
    fn named(&self, which: fetch::Named) -> Option<(&str, i64)> {
        let _ = which;
        None
    }
    /// The stream's unique id (`unique-id-format`).
    fn unique_id(&self) -> Option<&[u8]> {
        None
    }
    /// A captured request (`res`: response) header, by capture index.
    fn capture(&self, res: bool, idx: u32) -> Option<&[u8]> {
        let _ = (res, idx);
        None
    }
    /// The request body buffered so far (`option http-buffer-request`).
    fn body(&self) -> Option<&[u8]> {
        None
    }
    /// A backend's or server's load figure: `backend` `None` is the
    /// stream's backend; `server` is set for server figures.
    fn load(&self, what: fetch::Load, backend: Option<&str>, server: Option<&str>) -> Option<i64> {
        let _ = (what, backend, server);
        None
    }
    /// The number of worker threads and this one's (0-based).
    fn threads(&self) -> (u32, u32) {
        (1, 0)
    }
    /// Whether the process is stopping (soft stop).
    fn stopping(&self) -> bool {
        false
    }
    /// The TLS facts of the client connection (`back`: the server
    /// connection), when it is TLS.
    fn tls(&self, back: bool) -> Option<&TlsInfo> {
        let _ = back;
        None
    }
    /// The `userlist` section of that name (the `http_auth*` fetches).
    fn userlist(&self, name: &str) -> Option<&crate::auth::Userlist> {
        let _ = name;
        None
    }
    /// Whether the frontend has `option http-use-proxy-header`.
    fn uses_proxy_header(&self) -> bool {
        false
    }
}

/// Evaluates a condition against a request.
pub fn eval(cond: &Condition, view: &dyn RequestView) -> bool {
    cond.eval(view)
}

/// Evaluates an optional condition: a rule without one always applies.
pub fn eval_opt(cond: Option<&Condition>, view: &dyn RequestView) -> bool {
    cond.is_none_or(|c| c.eval(view))
}
