//! A small regular expression engine for `*_reg` ACLs and `-m reg`.
//!
//! Supported syntax (a PCRE subset, matched on bytes):
//! - literals, `.` (any byte but `\n`), `^`, `$` (end, or before a final
//!   `\n`), `|`, groups `(...)` and `(?:...)` (nothing is captured);
//! - quantifiers `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}` (counts up to 1000),
//!   each optionally lazy (`*?`); a `{` that does not start a valid
//!   quantifier is a literal, as in PCRE;
//! - classes `[...]` with ranges, negation `[^...]`, escapes and the POSIX
//!   names `[:alpha:]`, `[:digit:]`, `[:alnum:]`, `[:space:]`, `[:upper:]`,
//!   `[:lower:]`, `[:punct:]`, `[:xdigit:]`, `[:word:]`;
//! - escapes `\d \D \w \W \s \S \b \B \t \n \r \f \v \e \xHH`, and a
//!   backslash before any punctuation for the character itself (`\.`, `\/`).
//!
//! Searches are unanchored (the pattern may match anywhere) unless `^` is
//! used, like `regexec()`. Case-insensitive matching (`-i`) folds ASCII
//! letters at compile time. Patterns are compiled once, at configuration
//! time, into a program for a backtracking machine ([`super::regex_vm`])
//! that runs without allocating (it reuses a per-thread stack) and gives up
//! after [`STEP_BUDGET`] steps, so that a pathological pattern such as
//! `(a*)*b` cannot stall a worker: a search over budget counts as no match.

use std::fmt;

use super::regex_parse::parse;
use super::regex_vm::{compile, Program};

/// Steps a search may take before it gives up (PCRE's own default limit is
/// ten times higher, but it runs much faster per step).
pub const STEP_BUDGET: u64 = 1_000_000;

/// 256 bits, one per byte value.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ByteSet(pub [u64; 4]);

impl ByteSet {
    pub(super) fn add(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    pub(super) fn add_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.add(b);
        }
    }

    pub(super) fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    pub(super) fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    pub(super) fn negate(&mut self) {
        for a in &mut self.0 {
            *a = !*a;
        }
    }

    /// Adds the other case of every ASCII letter in the set.
    pub(super) fn fold(&mut self) {
        for b in b'a'..=b'z' {
            let up = b.to_ascii_uppercase();
            if self.has(b) || self.has(up) {
                self.add(b);
                self.add(up);
            }
        }
    }

    pub(super) fn of(pred: fn(u8) -> bool) -> ByteSet {
        let mut s = ByteSet::default();
        for b in 0..=255u8 {
            if pred(b) {
                s.add(b);
            }
        }
        s
    }
}

pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The parsed pattern.
#[derive(Clone, Debug)]
pub(super) enum Node {
    Empty,
    Byte(u8),
    Set(ByteSet),
    Bol,
    Eol,
    /// `\b` (true) or `\B` (false).
    WordBoundary(bool),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
}

impl Node {
    /// Whether the node can match the empty string.
    pub(super) fn nullable(&self) -> bool {
        match self {
            Node::Byte(_) | Node::Set(_) => false,
            Node::Empty | Node::Bol | Node::Eol | Node::WordBoundary(_) => true,
            Node::Concat(v) => v.iter().all(Node::nullable),
            Node::Alt(v) => v.iter().any(Node::nullable),
            Node::Repeat { node, min, .. } => *min == 0 || node.nullable(),
        }
    }
}

impl fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ByteSet({:x?})", self.0)
    }
}

/// Why a pattern was refused, and where (a byte offset, like PCRE's
/// `erroffset`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexError {
    pub msg: &'static str,
    pub offset: usize,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error={}, erroffset={}", self.msg, self.offset)
    }
}

/// A compiled regular expression.
#[derive(Clone)]
pub struct Regex {
    source: String,
    icase: bool,
    pub(super) prog: Program,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Regex({:?}{})",
            self.source,
            if self.icase { ", -i" } else { "" }
        )
    }
}

/// Two regexes are equal when compiled from the same text and flag.
impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.icase == other.icase
    }
}

impl Eq for Regex {}

/// The search went over its step budget (a pathological pattern).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetExceeded;

impl Regex {
    /// Compiles `pattern`; `icase` makes ASCII letters match either case.
    pub fn new(pattern: &str, icase: bool) -> Result<Regex, RegexError> {
        let node = parse(pattern, icase)?;
        let prog = compile(&node).map_err(|msg| RegexError {
            msg,
            offset: pattern.len(),
        })?;
        Ok(Regex {
            source: pattern.to_string(),
            icase,
            prog,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn icase(&self) -> bool {
        self.icase
    }

    /// Whether the pattern matches somewhere in `s`; a search over
    /// [`STEP_BUDGET`] counts as no match.
    pub fn is_match(&self, s: &[u8]) -> bool {
        self.try_match(s, STEP_BUDGET).unwrap_or(false)
    }

    /// Like [`Regex::is_match`] with an explicit budget, telling when it ran
    /// out.
    pub fn try_match(&self, s: &[u8], budget: u64) -> Result<bool, BudgetExceeded> {
        self.prog.search(s, budget)
    }
}
