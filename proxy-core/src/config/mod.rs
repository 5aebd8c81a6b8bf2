//! haproxy.cfg, the subset we run, parsed as HAProxy parses it.
//!
//! - [`tokenizer`]: one line into words (quotes, escapes, `${VAR}`, comments).
//! - time and size values are [`crate::units`] (shared with the stick-table
//!   declarations, which the model holds).
//! - [`cond`]: `.if` / `-cc` condition expressions.
//! - [`parser`]: the entry points (`parse_str`, `load_paths`) and the error
//!   types; reads files and directories.
//! - `blocks`: the lines of a file, `.if` blocks and `.notice`-style
//!   directives.
//! - `sections`: section headers, `defaults` inheritance, and keyword lines
//!   dispatched to their handlers through the table in `keywords`.
//! - `keywords`: the keyword table (name, sections, handler), the section
//!   state and the "did you mean" suggestions.
//! - `kw_global`, `kw_proxy`, `kw_option`, `kw_server`: the keyword handlers
//!   (`global`, with its `set-var`; proxies; `option`; `bind` and `server`).
//! - `kw_acl`: `acl` lines and the `if|unless` conditions of rules.
//! - `kw_http`: `http-request`, `http-response` and `redirect` rules;
//!   `kw_tcp`: `tcp-request` rules; `kw_reply`: the `deny` / `return` /
//!   `redirect` arguments and error files; `kw_http_misc`: `errorfile`, `http-reuse`,
//!   `monitor-uri`, `capture`.
//! - `kw_logformat`: `log-format`, `log-format-sd`, `error-log-format`,
//!   `unique-id-format`, `unique-id-header` and the formats' final checks.
//! - `addr`, `logtarget`: addresses and `log` lines, shared by handlers.
//! - `checks`: ids, `log global` and the whole-configuration checks.
//! - `kw_stick`: `stick-table`, `stick` and the `track-sc*` / `sc-*`
//!   actions; `kw_peers`: the lines of `peers` sections.
//! - [`model`]: the parsed configuration the runtime is built from;
//!   [`model_http`]: its HTTP rules and settings; [`model_stick`]: stick
//!   tables, peers sections and the rules using tables.

mod addr;
mod blocks;
mod checks;
mod checks_tls;
pub mod cond;
mod errorpage;
mod keywords;
mod kw_acl;
mod kw_auth;
mod kw_balance;
mod kw_bind;
pub mod kw_capture_rule;
mod kw_check;
mod kw_check_expect;
mod kw_check_rules;
mod kw_cookie;
mod kw_errors;
mod kw_global;
mod kw_http;
pub mod kw_http_flow;
mod kw_http_misc;
mod kw_http_rewrite;
mod kw_lb;
mod kw_logformat;
mod kw_option;
mod kw_option_conn;
mod kw_peers;
mod kw_proxy;
mod kw_reply;
mod kw_server;
mod kw_server_check;
mod kw_server_pp;
mod kw_server_tls;
mod kw_stick;
mod kw_tcp;
mod kw_tcp_response;
mod kw_tune_http;
mod kw_userlist;
mod logtarget;
pub mod model;
pub mod model_check;
pub mod model_check_rules;
pub mod model_cookie;
pub mod model_http;
pub mod model_lb;
pub mod model_options;
pub mod model_rewrite;
pub mod model_stick;
pub mod parser;
mod sections;
pub mod tokenizer;

#[cfg(test)]
mod tests_check;
#[cfg(test)]
mod tests_http;
#[cfg(test)]
mod tests_http_rewrite;
#[cfg(test)]
mod tests_tls_usage;

pub use model::*;
pub use model_http::*;
pub use model_stick::*;
pub use parser::{
    load_paths, load_paths_with_env, parse_str, parse_str_with_env, ConfigError, ConfigErrors,
};
