//! The sample engine's values and converters, below the rules that use
//! them: typed values with HAProxy's casts ([`value`]), fetch and
//! converter arguments ([`args`]), converters ([`conv`]), variables
//! ([`vars`]), pattern lists and maps ([`pattern`]) and PCRE-syntax
//! regexes ([`regex`]).
//!
//! No module here reads a request: fetches live in [`crate::rules`], which
//! builds expressions (a fetch and its converters) on top of this.

pub mod args;
pub mod conv;
pub mod pattern;
pub mod regex;
mod regex_pcre;
pub mod ssl_hello;
pub mod value;
pub mod vars;

#[cfg(test)]
mod regex_tests;

pub use value::{SmpType, Value};
