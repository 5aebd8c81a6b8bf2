//! The registry of pattern references, owned by the configuration and
//! then by the running state.
//!
//! - map converters: [`PatRegistry`] is the [`ArgResolver`] of their file
//!   argument (a file used by several users is read once and shared; the
//!   name is used as written, relative to the working directory); the
//!   converter binds the returned [`PatExpr`] to its output type;
//! - ACLs: [`PatRegistry::acl_file`] for each `-f <file>`, then
//!   [`PatRegistry::acl_inline`] for the words after the flags (HAProxy
//!   creates the inline reference after the files, even when empty);
//! - after the configuration, [`PatRegistry::finalize`] numbers the
//!   references (creation order, skipping ids given with `-u`), which the
//!   CLI uses as `#<id>`.
//!
//! Descriptions are HAProxy's: `pattern loaded from file '<f>' used by
//! map at file '<cfg>' line <n>`, extended with `, by acl at file ...` for
//! each further user; inline ones: `acl '<fetch>' file '<cfg>' line <n>`.

use std::sync::{Arc, Mutex, MutexGuard};

use super::reference::{lock, read_map_file, read_pattern_file, PatRef};
use super::{acl_int_words, MatchKind, PatExpr};
use crate::sample::args::ArgResolver;

/// Every pattern reference.
#[derive(Debug, Default)]
pub struct PatRegistry {
    refs: Mutex<Vec<Arc<Mutex<PatRef>>>>,
    /// Where the configuration is being read, for descriptions (see
    /// [`PatRegistry::set_origin`]).
    origin: (String, u32),
    /// Where relative file names are read from (`None`: the working
    /// directory, as HAProxy does without `default-path`).
    base: Option<std::path::PathBuf>,
}

impl PatRegistry {
    pub fn new() -> PatRegistry {
        PatRegistry::default()
    }

    pub(crate) fn refs(&self) -> MutexGuard<'_, Vec<Arc<Mutex<PatRef>>>> {
        self.refs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads relative file names from `dir` instead of the working
    /// directory (HAProxy's `default-path`); names are kept as written.
    pub fn set_base_dir(&mut self, dir: impl Into<std::path::PathBuf>) {
        self.base = Some(dir.into());
    }

    /// The configuration file and line being parsed: used by the
    /// [`ArgResolver`] implementation to describe map references.
    pub fn set_origin(&mut self, file: &str, line: u32) {
        self.origin = (file.to_string(), line);
    }

    /// The configuration file and line set by [`PatRegistry::set_origin`].
    pub fn origin(&self) -> (&str, u32) {
        (&self.origin.0, self.origin.1)
    }

    /// A reference by file name or `#<id>` (the CLI's lookup).
    pub(crate) fn lookup(&self, name: &str) -> Option<Arc<Mutex<PatRef>>> {
        let refs = self.refs();
        if let Some(id) = name.strip_prefix('#') {
            let id = parse_c_long(id)?;
            return refs
                .iter()
                .find(|r| i64::from(lock(r).unique_id) == id)
                .cloned();
        }
        refs.iter()
            .find(|r| lock(r).reference.as_deref() == Some(name))
            .cloned()
    }

    /// Finds or loads the file `path` (two columns when `smp`) for a user
    /// at `cfg:line`, checking the column count against earlier users.
    fn file_ref(
        &self,
        path: &str,
        smp: bool,
        as_map: bool,
        cfg: &str,
        line: u32,
    ) -> Result<Arc<Mutex<PatRef>>, String> {
        let user = if as_map { "map" } else { "acl" };
        let mut refs = self.refs();
        let found = refs
            .iter()
            .find(|r| lock(r).reference.as_deref() == Some(path))
            .cloned();
        if let Some(r) = found {
            let mut g = lock(&r);
            if smp && !g.smp {
                return Err(format!(
                    "The file \"{path}\" is already used as one column file and cannot be used by as two column file."
                ));
            }
            if !smp && g.smp {
                return Err(format!(
                    "The file \"{path}\" is already used as two column file and cannot be used by as one column file."
                ));
            }
            g.display = format!("{}, by {user} at file '{cfg}' line {line}", g.display);
            if as_map {
                g.is_map = true;
            } else {
                g.is_acl = true;
            }
            drop(g);
            return Ok(r);
        }
        let display =
            format!("pattern loaded from file '{path}' used by {user} at file '{cfg}' line {line}");
        let mut r = PatRef::new(Some(path.to_string()), display, !as_map, as_map);
        r.smp = smp;
        let full = match &self.base {
            Some(b) if !path.starts_with('/') => b.join(path),
            _ => std::path::PathBuf::from(path),
        };
        let rows = if smp {
            read_map_file(&full, path)
        } else {
            read_pattern_file(&full, path)
        };
        // HAProxy registers the reference before reading the file.
        let r = Arc::new(Mutex::new(r));
        refs.push(r.clone());
        lock(&r).append_loaded(rows?);
        Ok(r)
    }

    /// A map converter's file at `cfg:line`: the returned expression is
    /// not compiled yet; the converter's check binds it to its output type
    /// ([`PatExpr::bind`]). Errors: `failed to open pattern file <f>`.
    pub fn map_file(
        &self,
        path: &str,
        kind: MatchKind,
        cfg: &str,
        line: u32,
    ) -> Result<Arc<PatExpr>, String> {
        let r = self.file_ref(path, true, true, cfg, line)?;
        Ok(Arc::new(PatExpr::new(kind, false, r)))
    }

    /// `-f <path>` of an ACL at `cfg:line` (`as_map`: the `-M` flag, two
    /// columns), compiled for `kind` and `icase`. Errors as HAProxy words
    /// them after `error detected while parsing ACL '<name>' : `, e.g.
    /// `failed to open pattern file <f>` or `'foo' is not a valid IPv4 or
    /// IPv6 address at line 2 of file 'f'`.
    pub fn acl_file(
        &self,
        path: &str,
        kind: MatchKind,
        icase: bool,
        as_map: bool,
        cfg: &str,
        line: u32,
    ) -> Result<Arc<PatExpr>, String> {
        let r = self.file_ref(path, as_map, as_map, cfg, line)?;
        let e = Arc::new(PatExpr::new(kind, icase, r));
        e.bind(None)?;
        Ok(e)
    }

    /// The inline patterns of an ACL (`words`: everything after the flags,
    /// `int`/`len` operators included) for the fetch keyword `kw` at
    /// `cfg:line`, with the id given by `-u` if any. Errors (without the
    /// final period): `'x' is not a number`, `the id is already used`...
    #[allow(clippy::too_many_arguments)]
    pub fn acl_inline(
        &self,
        kw: &str,
        cfg: &str,
        line: u32,
        kind: MatchKind,
        icase: bool,
        id: Option<i32>,
        words: &[&str],
    ) -> Result<Arc<PatExpr>, String> {
        let mut refs = self.refs();
        if let Some(id) = id {
            if refs.iter().any(|r| lock(r).unique_id == id) {
                return Err("the id is already used".into());
            }
        }
        let mut r = PatRef::new(
            None,
            format!("acl '{kw}' file '{cfg}' line {line}"),
            true,
            false,
        );
        r.unique_id = id.unwrap_or(-1);
        let r = Arc::new(Mutex::new(r));
        let e = Arc::new(PatExpr::new(kind, icase, r.clone()));
        e.bind(None)?;
        let patterns = acl_int_words(kind, words)?;
        {
            let mut g = lock(&r);
            for p in &patterns {
                let gen = g.curr_gen;
                g.load(gen, p, None)?;
            }
        }
        refs.push(r);
        Ok(e)
    }

    /// Numbers the references still without id, in creation order,
    /// skipping the ids given explicitly; then orders them by id (the
    /// order of `show map`/`show acl`). Call after the configuration.
    pub fn finalize(&self) {
        let mut refs = self.refs();
        let mut taken: Vec<i32> = refs
            .iter()
            .map(|r| lock(r).unique_id)
            .filter(|&i| i >= 0)
            .collect();
        taken.sort_unstable();
        let mut next = 0;
        for r in refs.iter() {
            let mut g = lock(r);
            if g.unique_id >= 0 {
                continue;
            }
            while taken.binary_search(&next).is_ok() {
                next += 1;
            }
            g.unique_id = next;
            next += 1;
        }
        refs.sort_by_key(|r| lock(r).unique_id);
    }
}

impl ArgResolver for PatRegistry {
    fn map(&mut self, path: &str, kind: MatchKind) -> Result<Arc<PatExpr>, String> {
        let (cfg, line) = self.origin.clone();
        self.map_file(path, kind, &cfg, line)
    }
}

/// `strtol(s, &end, 10)` with the whole text consumed.
fn parse_c_long(s: &str) -> Option<i64> {
    let t = s.trim_start();
    if t.is_empty() {
        return Some(0);
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}
