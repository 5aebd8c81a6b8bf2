//! Pattern lists and maps: the patterns of ACLs (inline or `-f <file>`)
//! and the map files of the `map*` converters, indexed per match kind and
//! changed at run time by the CLI, as HAProxy 2.6 does.
//!
//! The pieces, as HAProxy names them:
//! - a *reference* ([`reference`], HAProxy's `pat_ref`): the ordered
//!   entries `(pattern, optional value)` of one file, or of the inline
//!   patterns of one ACL, with a unique id, versions for atomic updates
//!   and the text the CLI shows;
//! - an *expression* (`ExprShared`, HAProxy's `pattern_expr`): the entries
//!   of a reference compiled for one match kind, `-i` flag and map output
//!   type, indexed ([`index`]); users with the same needs share one;
//! - a [`PatExpr`]: what one user (an ACL, a converter) holds: its own
//!   match kind and the shared expression;
//! - the [`PatRegistry`] ([`registry`]): every reference, loading files
//!   once, resolving `map*` converter arguments, and answering the CLI
//!   ([`cli`]).
//!
//! Parsing of patterns and values is in [`parse`].

pub mod cli;
mod index;
pub mod parse;
pub mod reference;
pub mod registry;
pub mod view;

#[cfg(test)]
mod cli_tests;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, OnceLock, RwLock};

use self::index::ExprState;
use self::reference::PatRef;
use super::value::{SmpType, Value};

pub use self::parse::acl_int_words;
pub use self::registry::PatRegistry;

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

const KIND_NAMES: &[(&str, MatchKind)] = &[
    ("found", MatchKind::Found),
    ("bool", MatchKind::Bool),
    ("int", MatchKind::Int),
    ("ip", MatchKind::Ip),
    ("bin", MatchKind::Bin),
    ("len", MatchKind::Len),
    ("str", MatchKind::Str),
    ("beg", MatchKind::Beg),
    ("sub", MatchKind::Sub),
    ("dir", MatchKind::Dir),
    ("dom", MatchKind::Dom),
    ("end", MatchKind::End),
    ("reg", MatchKind::Reg),
];

impl MatchKind {
    /// `-m <name>`.
    pub fn from_name(name: &str) -> Option<MatchKind> {
        KIND_NAMES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    pub fn name(self) -> &'static str {
        KIND_NAMES
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(n, _)| n)
    }

    /// The type a sample is cast to before matching (`found` takes any
    /// sample as it is).
    pub fn input_type(self) -> SmpType {
        match self {
            MatchKind::Found => SmpType::Any,
            MatchKind::Bool | MatchKind::Int => SmpType::Int,
            MatchKind::Ip => SmpType::Addr,
            MatchKind::Bin => SmpType::Bin,
            _ => SmpType::Str,
        }
    }

    /// Kinds that parse and index alike share an expression in HAProxy
    /// (`sub`, `dir`, `dom`, `end` all keep a plain list of strings).
    fn share_class(self) -> u8 {
        match self {
            MatchKind::Found | MatchKind::Bool => 0,
            MatchKind::Int | MatchKind::Len => 1,
            MatchKind::Ip => 2,
            MatchKind::Bin => 3,
            MatchKind::Str => 4,
            MatchKind::Beg => 5,
            MatchKind::Sub | MatchKind::Dir | MatchKind::Dom | MatchKind::End => 6,
            MatchKind::Reg => 7,
        }
    }
}

/// The output type of a map converter (`map_<kind>` gives `Str`,
/// `map_<kind>_int` `Int`, `map_<kind>_ip` `Ip`): each value of the file
/// is parsed to it when loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Out {
    Str,
    Int,
    Ip,
}

/// The entries of a reference compiled for one kind, `-i` and output
/// type; shared by every user with the same needs.
#[derive(Debug)]
pub(crate) struct ExprShared {
    /// The kind of the first user (what `get map` reports).
    pub kind: MatchKind,
    pub icase: bool,
    pub out: Option<Out>,
    pub state: RwLock<ExprState>,
}

impl ExprShared {
    fn same_as(&self, kind: MatchKind, icase: bool, out: Option<Out>) -> bool {
        self.kind.share_class() == kind.share_class() && self.icase == icase && self.out == out
    }
}

/// What one ACL or converter holds: its match kind and the compiled,
/// shared entries of a reference. Map converters get it unbound from the
/// argument resolver and bind it to their output type in their check.
pub struct PatExpr {
    kind: MatchKind,
    icase: bool,
    pref: Arc<Mutex<PatRef>>,
    bound: OnceLock<Arc<ExprShared>>,
}

impl std::fmt::Debug for PatExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PatExpr({}{})",
            self.kind.name(),
            if self.icase { ", -i" } else { "" }
        )
    }
}

impl PatExpr {
    pub(crate) fn new(kind: MatchKind, icase: bool, pref: Arc<Mutex<PatRef>>) -> PatExpr {
        PatExpr {
            kind,
            icase,
            pref,
            bound: OnceLock::new(),
        }
    }

    pub fn kind(&self) -> MatchKind {
        self.kind
    }

    pub fn icase(&self) -> bool {
        self.icase
    }

    /// Compiles the reference's entries for this user (ACLs: `out` is
    /// `None`; maps: the converter's output type), sharing an existing
    /// compilation when one fits. The error names the file and line of a
    /// bad entry: `unable to parse 'x2' at line 2 of file 'f.map'`.
    /// Binding again is a no-op.
    pub fn bind(&self, out: Option<Out>) -> Result<(), String> {
        if self.bound.get().is_some() {
            return Ok(());
        }
        let shared = reference::lock(&self.pref).bind_expr(self.kind, self.icase, out)?;
        let _ = self.bound.set(shared);
        Ok(())
    }

    /// Whether `v` matches an entry (an ACL test). An unbound expression
    /// matches nothing.
    pub fn matches(&self, v: &Value<'_>) -> bool {
        self.with_hit(v, |_| ()).is_some()
    }

    /// The value of the entry matching `v` (a map lookup): the first in
    /// file order for list kinds, the exact or longest-prefix entry for
    /// indexed ones. An entry without value gives the integer 1, as
    /// HAProxy does.
    pub fn map_value(&self, v: &Value<'_>) -> Option<Value<'static>> {
        self.with_hit(v, |slot| {
            slot.and_then(|s| s.value.clone()).unwrap_or(Value::Int(1))
        })
    }

    fn with_hit<T>(&self, v: &Value<'_>, f: impl FnOnce(Option<&index::Slot>) -> T) -> Option<T> {
        let shared = self.bound.get()?;
        let cast = v.reborrow().cast(self.kind.input_type())?;
        let state = shared.state.read().unwrap_or_else(|e| e.into_inner());
        let hit = state.find(self.kind, &cast)?;
        Some(f(hit.slot))
    }
}

/// Whether any of `exprs` matches `v` (an ACL with several `-f` files and
/// inline patterns: HAProxy tries them in order).
pub fn match_any(exprs: &[Arc<PatExpr>], v: &Value<'_>) -> bool {
    exprs.iter().any(|e| e.matches(v))
}
