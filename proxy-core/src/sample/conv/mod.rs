//! Converters: `<fetch>,<conv>(<args>),...` as HAProxy 2.6 names them.
//!
//! Each converter is a [`ConvDef`]: its name, its argument kinds, the
//! type it accepts (the engine casts the sample to it first, and refuses
//! at configuration time a chain where no cast exists) and the type it
//! gives. A converter that fails (bad input, overflow where HAProxy fails)
//! returns `None` and the sample is absent, never a panic.
//!
//! Converters that need the stream (variables, stick tables, the clock,
//! the log) reach it through [`Env`].
//!
//! Modules, by family: [`text`] (case, length, fields, words, bytes,
//! trims, regsub), [`json`] (JSON escaping), [`arith`] (integer arithmetic
//! and bits), [`encode`] (base64, hex, be2dec/be2hex, htonl, url), [`hash`]
//! (crc, djb2, sdbm, wt6, xxh, sha1/sha2), [`time`] (ltime, utime,
//! http_date), [`ctx`] (variables, tables, debug, maps), [`other`]
//! (ipmask, concat, add_item, strcmp, secure_memcmp, iif, language).
//!
//! The converters of HAProxy 2.6's manual this proxy lacks are listed,
//! with why, in [`NOT_SUPPORTED`].

pub mod arith;
pub mod ctx;
pub mod encode;
pub mod hash;
pub mod json;
pub mod map;
pub mod other;
pub mod text;
pub mod time;

#[cfg(test)]
mod tests;

use std::time::SystemTime;

use super::args::{Arg, ArgKind};
use super::value::{SmpType, Value};
use super::vars::VarStore;

/// A converter's function: the typed arguments, the input (already cast
/// to the converter's input type) and the stream's environment.
pub type ConvFn = for<'a> fn(&[Arg], Value<'a>, &dyn Env) -> Option<Value<'a>>;

/// Extra configuration-time checks of a converter's arguments (beyond
/// their kinds): a message when they are wrong.
pub type ConvCheck = fn(&[Arg]) -> Result<(), String>;

/// One converter keyword.
pub struct ConvDef {
    pub name: &'static str,
    /// The arguments in order; the first `min_args` are required.
    pub args: &'static [ArgKind],
    pub min_args: usize,
    pub input: SmpType,
    pub output: SmpType,
    pub run: ConvFn,
    pub check: Option<ConvCheck>,
}

impl std::fmt::Debug for ConvDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// What the stream offers converters (and fetches) beyond the sample.
pub trait Env {
    /// The stream's variables, when it has any.
    fn vars(&self) -> Option<&VarStore> {
        None
    }

    /// `table_<field>` / `in_table`: the value of data `field` (`gpc0`,
    /// `http_req_rate`, `trackers`, `expire`, `idle`, `server_id`...;
    /// `""` asks only whether the entry exists, as a boolean) of the entry
    /// keyed by `key` in `table`; `idx` for the array types (`gpc`,
    /// `gpt`, `gpc_rate`). `None`: no such entry or field.
    fn table(
        &self,
        table: &str,
        key: &Value<'_>,
        field: &str,
        idx: Option<u32>,
    ) -> Option<Value<'static>> {
        let _ = (table, key, field, idx);
        None
    }

    /// The current date (`ltime`/`utime` take their input as a date; this
    /// is for converters that need "now").
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    /// `debug`: where the line goes (HAProxy sends it to its ring buffer).
    fn debug(&self, line: &str) {
        let _ = line;
    }
}

/// An environment with nothing in it (evaluation outside a stream).
pub struct NoEnv;

impl Env for NoEnv {}

/// Every converter, looked up by name.
pub fn lookup(name: &str) -> Option<&'static ConvDef> {
    [
        text::CONVS,
        arith::CONVS,
        encode::CONVS,
        hash::CONVS,
        json::CONVS,
        time::CONVS,
        ctx::CONVS,
        map::CONVS,
        other::CONVS,
    ]
    .into_iter()
    .flatten()
    .find(|c| c.name == name)
}

/// Converters of HAProxy 2.6's manual (section 7.3.1) this proxy does not
/// have, with why, so that a configuration using one is refused with a
/// clear message instead of "unknown converter".
pub const NOT_SUPPORTED: &[(&str, &str)] = &[
    ("aes_gcm_dec", "needs OpenSSL"),
    ("digest", "needs OpenSSL"),
    ("hmac", "needs OpenSSL"),
    ("da-csv-conv", "needs the DeviceAtlas library"),
    ("51d.single", "needs the 51Degrees library"),
    ("wurfl-get", "needs the WURFL library"),
    ("wurfl-get-all", "needs the WURFL library"),
    ("protobuf", "gRPC message parsing is not implemented"),
    ("ungrpc", "gRPC message parsing is not implemented"),
    ("jwt_header_query", "needs OpenSSL (and json_query)"),
    ("jwt_payload_query", "needs OpenSSL (and json_query)"),
    ("jwt_verify", "needs OpenSSL"),
    ("json_query", "JSON path queries are not implemented"),
    (
        "capture-req",
        "needs the stream's capture slots (declare capture), not a pure function",
    ),
    (
        "capture-res",
        "needs the stream's capture slots (declare capture), not a pure function",
    ),
    (
        "nbsrv",
        "needs a run-time lookup of a backend's server states",
    ),
    ("srv_queue", "needs a run-time lookup of a server's queue"),
    ("fix_is_valid", "FIX message parsing is not implemented"),
    ("fix_tag_value", "FIX message parsing is not implemented"),
    ("mqtt_is_valid", "MQTT packet parsing is not implemented"),
    ("mqtt_field_value", "MQTT packet parsing is not implemented"),
];

/// Builds a [`ConvDef`] table entry.
pub(crate) const fn def(
    name: &'static str,
    args: &'static [ArgKind],
    min_args: usize,
    input: SmpType,
    output: SmpType,
    run: ConvFn,
) -> ConvDef {
    ConvDef {
        name,
        args,
        min_args,
        input,
        output,
        run,
        check: None,
    }
}
