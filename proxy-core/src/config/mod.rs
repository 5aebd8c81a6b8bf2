//! haproxy.cfg, the subset we run, parsed as HAProxy parses it.
//!
//! - [`tokenizer`]: one line into words (quotes, escapes, `${VAR}`, comments).
//! - [`units`]: time and size values.
//! - [`cond`]: `.if` / `-cc` condition expressions.
//! - [`parser`]: sections and keywords into the [`model`] types.
//! - [`model`]: the parsed configuration the runtime is built from.

pub mod cond;
pub mod model;
pub mod parser;
pub mod tokenizer;
pub mod units;

pub use model::*;
pub use parser::{load_paths, parse_str, ConfigError, ConfigErrors};
