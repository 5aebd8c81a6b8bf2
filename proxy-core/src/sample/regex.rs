//! Regular expressions for `*_reg` ACLs and `-m reg`, on the `regex` crate.
//!
//! HAProxy compiles these with PCRE; the `regex` crate matches in linear
//! time, so a pathological pattern such as `(a+)+b` cannot stall a worker.
//! Patterns are written in PCRE syntax and translated here, at configuration
//! time, into the crate's syntax, matching on bytes (no Unicode) like PCRE
//! without its UTF mode:
//! - what PCRE reads differently is rewritten: `$` also matches before a
//!   final `\n`; `{` that does not start a quantifier is a literal;
//!   `[`, `&&`, `--`, `~~` inside a class are literals; `\<`, `\>` are the
//!   characters; `\v` is vertical white space; `\e \cX \0nn \o{}` `\xH`,
//!   `\h \H \V \R \N \Z \C \Q...\E`, `\K` (no effect on a yes/no match),
//!   `(?|` and `(?'name'` have equivalents;
//! - what needs backtracking is refused at configuration time, naming the
//!   construct: look-ahead `(?=` `(?!`, look-behind `(?<=` `(?<!`,
//!   back-references `\1`..`\9` `\g` `\k` `(?P=`, atomic groups `(?>`,
//!   possessive quantifiers `*+` `++` `?+` `{n}+`, recursion and subroutine
//!   calls `(?R` `(?1` `(?&` `(?P>`, conditionals `(?(`, callouts `(?C` and
//!   verbs `(*...)`.
//!
//! Searches are unanchored (the pattern may match anywhere) unless `^` is
//! used, like `regexec()`. Case-insensitive matching (`-i`) folds ASCII
//! letters.

use std::fmt;

/// Why a pattern was refused, and where (a byte offset in the pattern as
/// written, like PCRE's `erroffset`, when known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegexError {
    /// A malformed pattern.
    Syntax { msg: String, offset: Option<usize> },
    /// A valid PCRE construct that linear-time matching cannot express:
    /// `what` names it, `construct` is how it starts.
    Unsupported {
        what: &'static str,
        construct: String,
        offset: usize,
    },
}

impl RegexError {
    pub(super) fn syntax(msg: impl Into<String>, offset: usize) -> RegexError {
        RegexError::Syntax {
            msg: msg.into(),
            offset: Some(offset),
        }
    }

    pub(super) fn unsupported(what: &'static str, construct: &[u8], offset: usize) -> RegexError {
        RegexError::Unsupported {
            what,
            construct: String::from_utf8_lossy(construct).into_owned(),
            offset,
        }
    }

    /// The configuration error for `pattern`, as ACLs and rules print it:
    /// `regex 'a(' is invalid (error=..., erroffset=2).` or
    /// `regex 'a(?=b)': look-ahead '(?=' is not supported (...)`.
    pub fn describe(&self, pattern: &str) -> String {
        match self {
            RegexError::Syntax { .. } => format!("regex '{pattern}' is invalid ({self})."),
            RegexError::Unsupported { .. } => format!("regex '{pattern}': {self}"),
        }
    }
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegexError::Syntax {
                msg,
                offset: Some(o),
            } => write!(f, "error={msg}, erroffset={o}"),
            RegexError::Syntax { msg, offset: None } => write!(f, "error={msg}"),
            RegexError::Unsupported {
                what, construct, ..
            } => write!(
                f,
                "{what} '{construct}' is not supported (the proxy uses linear-time regular expressions)"
            ),
        }
    }
}

/// A compiled regular expression.
#[derive(Clone)]
pub struct Regex {
    source: String,
    icase: bool,
    re: regex::bytes::Regex,
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

impl Regex {
    /// Compiles `pattern` (PCRE syntax); `icase` makes ASCII letters match
    /// either case.
    pub fn new(pattern: &str, icase: bool) -> Result<Regex, RegexError> {
        let translated = super::regex_pcre::translate(pattern.as_bytes())?;
        let re = regex::bytes::RegexBuilder::new(&translated)
            .unicode(false)
            .case_insensitive(icase)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => RegexError::Syntax {
                    msg: "regular expression is too large".into(),
                    offset: None,
                },
                other => RegexError::Syntax {
                    msg: crate_message(&other.to_string()),
                    offset: None,
                },
            })?;
        Ok(Regex {
            source: pattern.to_string(),
            icase,
            re,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn icase(&self) -> bool {
        self.icase
    }

    /// Whether the pattern matches somewhere in `s`.
    pub fn is_match(&self, s: &[u8]) -> bool {
        self.re.is_match(s)
    }

    /// The compiled matcher, for searches with captures (`regsub`).
    pub fn matcher(&self) -> &regex::bytes::Regex {
        &self.re
    }
}

/// The one-line reason out of the regex crate's multi-line message.
fn crate_message(full: &str) -> String {
    full.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(full.trim())
        .to_string()
}
