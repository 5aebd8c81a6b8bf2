//! Pattern lists and maps: the patterns of ACLs (inline or `-f <file>`)
//! and the map files of the `map*` converters, indexed per match kind.
//!
//! (Being written: this module is filled by the maps work of issue 12.)

use super::value::Value;

/// How a sample is compared with patterns (`-m <kind>`, `map_<kind>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKind {
    Found,
    Bool,
    Int,
    Ip,
    Bin,
    Len,
    Str,
    Beg,
    Sub,
    Dir,
    Dom,
    End,
    Reg,
}

/// A pattern list compiled for one match kind (maps: with the value of
/// each pattern).
#[derive(Debug, Default)]
pub struct PatExpr {}

impl PatExpr {
    /// The value of the first pattern matching `v` (a map lookup).
    pub fn map_value(&self, v: &Value<'_>) -> Option<Value<'static>> {
        let _ = v;
        None
    }
}

/// The pattern files and maps a configuration loaded, shared by every
/// user and by the CLI.
#[derive(Debug, Default)]
pub struct PatRegistry {}

impl super::args::ArgResolver for PatRegistry {
    fn map(&mut self, path: &str, kind: MatchKind) -> Result<std::sync::Arc<PatExpr>, String> {
        let _ = kind;
        Err(format!("failed to load map file '{path}'"))
    }
}
