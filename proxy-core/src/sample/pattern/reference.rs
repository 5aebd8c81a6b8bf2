//! Pattern references (HAProxy's `pat_ref`): the ordered entries of one
//! file or of one ACL's inline patterns, and every change to them, kept
//! in step with the expressions compiled from them.
//!
//! Facts matched from HAProxy 2.6.12:
//! - an entry has a unique id (HAProxy shows its address; we show a
//!   made-up one as `0x...`), a version (`gen`) and its file line;
//! - only entries of the current version match; `prepare` allocates a
//!   version, `add @ver` fills it, `commit` makes it current and drops the
//!   older ones;
//! - `entry_cnt` counts each entry once per expression it was indexed in,
//!   and drops by one per removed entry, also when an addition fails
//!   (it can wrap below zero: HAProxy prints it as an unsigned 64-bit
//!   number);
//! - map files: a `#` in the first column starts a comment, blanks are
//!   skipped, the key is the first word and the value the rest of the line
//!   without trailing blanks; pattern files: the whole line after leading
//!   blanks (trailing blanks kept).

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use super::index::{ExprState, Slot};
use super::parse::{parse_pattern, parse_sample};
use super::{ExprShared, MatchKind, Out};

/// Locks a reference, poisoned or not (its data stays consistent: every
/// change is made under the lock without panicking paths).
pub(crate) fn lock(r: &Mutex<PatRef>) -> MutexGuard<'_, PatRef> {
    r.lock().unwrap_or_else(|e| e.into_inner())
}

/// One entry.
#[derive(Clone, Debug)]
pub struct Elt {
    pub id: u64,
    pub pattern: String,
    pub sample: Option<String>,
    pub gen: u32,
    /// The line in the file, 0 for entries added by the CLI or inline.
    pub line: u32,
}

/// One reference.
#[derive(Debug)]
pub struct PatRef {
    /// `-1` until the registry assigns ids (after the configuration).
    pub unique_id: i32,
    /// The file name as written, `None` for inline ACL patterns.
    pub reference: Option<String>,
    pub display: String,
    pub is_acl: bool,
    pub is_map: bool,
    /// Two columns (a map file).
    pub smp: bool,
    pub curr_gen: u32,
    pub next_gen: u32,
    pub entry_cnt: u64,
    pub elts: Vec<Elt>,
    pub(crate) exprs: Vec<Arc<ExprShared>>,
}

/// Entry ids: unique in the process, growing (so file order is id order).
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x5600_0000_1000);

fn new_id() -> u64 {
    NEXT_ID.fetch_add(0x30, std::sync::atomic::Ordering::Relaxed)
}

fn write(e: &ExprShared) -> std::sync::RwLockWriteGuard<'_, ExprState> {
    e.state.write().unwrap_or_else(|p| p.into_inner())
}

/// Compiles one entry for one expression.
fn compile(e: &ExprShared, elt: &Elt) -> Result<Slot, String> {
    let value = match (&elt.sample, e.out) {
        (Some(s), Some(out)) => {
            Some(parse_sample(out, s).ok_or_else(|| format!("unable to parse '{s}'"))?)
        }
        _ => None,
    };
    let pat = parse_pattern(e.kind, &elt.pattern, e.icase)?;
    Ok(Slot {
        gen: elt.gen,
        key: elt.pattern.as_str().into(),
        sample: elt.sample.as_deref().map(Into::into),
        value,
        pat,
    })
}

impl PatRef {
    pub(crate) fn new(reference: Option<String>, display: String, acl: bool, map: bool) -> PatRef {
        PatRef {
            unique_id: -1,
            reference,
            display,
            is_acl: acl,
            is_map: map,
            smp: false,
            curr_gen: 0,
            next_gen: 0,
            entry_cnt: 0,
            elts: Vec::new(),
            exprs: Vec::new(),
        }
    }

    /// Appends entries read from a file (not compiled: no expression yet).
    pub(crate) fn append_loaded(&mut self, rows: Rows) {
        for (pattern, sample, line) in rows {
            self.elts.push(Elt {
                id: new_id(),
                pattern,
                sample,
                gen: self.curr_gen,
                line,
            });
        }
    }

    /// The expression for (`kind`, `icase`, `out`): an existing one that
    /// parses and indexes alike, or a new one with every entry compiled.
    pub(crate) fn bind_expr(
        &mut self,
        kind: MatchKind,
        icase: bool,
        out: Option<Out>,
    ) -> Result<Arc<ExprShared>, String> {
        if let Some(e) = self.exprs.iter().find(|e| e.same_as(kind, icase, out)) {
            return Ok(e.clone());
        }
        let e = Arc::new(ExprShared {
            kind,
            icase,
            out,
            state: RwLock::new(ExprState::new(kind, icase, self.curr_gen)),
        });
        for elt in &self.elts {
            match compile(&e, elt) {
                Ok(slot) => {
                    write(&e).insert(elt.id, slot);
                    self.entry_cnt = self.entry_cnt.wrapping_add(1);
                }
                Err(msg) if elt.line > 0 => {
                    let file = self.reference.as_deref().unwrap_or("");
                    return Err(format!("{msg} at line {} of file '{file}'", elt.line));
                }
                Err(msg) => return Err(msg),
            }
        }
        self.exprs.push(e.clone());
        Ok(e)
    }

    /// Adds an entry in version `gen` and compiles it everywhere; on an
    /// error nothing is left (and `entry_cnt` drops by one, as in HAProxy).
    pub fn load(&mut self, gen: u32, pattern: &str, sample: Option<&str>) -> Result<u64, String> {
        let elt = Elt {
            id: new_id(),
            pattern: pattern.to_string(),
            sample: sample.map(str::to_string),
            gen,
            line: 0,
        };
        for (i, e) in self.exprs.iter().enumerate() {
            match compile(e, &elt) {
                Ok(slot) => {
                    write(e).insert(elt.id, slot);
                    self.entry_cnt = self.entry_cnt.wrapping_add(1);
                }
                Err(msg) => {
                    for done in &self.exprs[..i] {
                        write(done).remove(elt.id);
                    }
                    self.entry_cnt = self.entry_cnt.wrapping_sub(1);
                    return Err(msg);
                }
            }
        }
        let id = elt.id;
        self.elts.push(elt);
        Ok(id)
    }

    fn delete_at(&mut self, pos: usize) {
        let elt = self.elts.remove(pos);
        for e in &self.exprs {
            write(e).remove(elt.id);
        }
        self.entry_cnt = self.entry_cnt.wrapping_sub(1);
    }

    /// Deletes the entry with id `id`; false when there is none.
    pub fn delete_id(&mut self, id: u64) -> bool {
        match self.elts.iter().position(|e| e.id == id) {
            Some(pos) => {
                self.delete_at(pos);
                true
            }
            None => false,
        }
    }

    /// Deletes every entry whose pattern is `key` (any version).
    pub fn delete_key(&mut self, key: &str) -> bool {
        let mut found = false;
        while let Some(pos) = self.elts.iter().position(|e| e.pattern == key) {
            self.delete_at(pos);
            found = true;
        }
        found
    }

    fn set_at(&mut self, pos: usize, value: &str) -> Result<(), String> {
        let mut parsed = Vec::with_capacity(self.exprs.len());
        for e in &self.exprs {
            match e.out {
                Some(out) => parsed.push(Some(
                    parse_sample(out, value).ok_or_else(|| format!("unable to parse '{value}'"))?,
                )),
                None => parsed.push(None),
            }
        }
        let Some(elt) = self.elts.get_mut(pos) else {
            return Ok(());
        };
        for (e, v) in self.exprs.iter().zip(parsed) {
            if e.out.is_none() {
                continue;
            }
            if let Some(slot) = write(e).slot_mut(elt.id) {
                slot.value = v;
                slot.sample = Some(value.into());
            }
        }
        elt.sample = Some(value.to_string());
        Ok(())
    }

    /// `set map <map> #<id> <value>`.
    pub fn set_id(&mut self, id: u64, value: &str) -> Result<(), String> {
        match self.elts.iter().position(|e| e.id == id) {
            Some(pos) => self.set_at(pos, value),
            None => Err("key or pattern not found".into()),
        }
    }

    /// `set map <map> <key> <value>`: every entry with this pattern. As in
    /// HAProxy, a value that does not parse leaves the entries unchanged
    /// without an error once an entry was found.
    pub fn set_key(&mut self, key: &str, value: &str) -> Result<(), String> {
        let positions: Vec<usize> = (0..self.elts.len())
            .filter(|&i| self.elts[i].pattern == key)
            .collect();
        if positions.is_empty() {
            return Err("entry not found".into());
        }
        for pos in positions {
            let _ = self.set_at(pos, value);
        }
        Ok(())
    }

    /// Removes the entries whose version is in `from..=to` (wrapping).
    pub fn purge_range(&mut self, from: u32, to: u32) {
        let span = to.wrapping_sub(from);
        while let Some(pos) = self
            .elts
            .iter()
            .position(|e| e.gen.wrapping_sub(from) <= span)
        {
            self.delete_at(pos);
        }
    }

    /// Makes version `gen` current when it is newer; the difference with
    /// the current version after that (0: done).
    pub fn commit(&mut self, gen: u32) -> u32 {
        if (gen.wrapping_sub(self.curr_gen) as i32) > 0 {
            self.curr_gen = gen;
            for e in &self.exprs {
                write(e).curr_gen = gen;
            }
        }
        gen.wrapping_sub(self.curr_gen)
    }

    /// The kinds of the expressions, in order, for `get map`/`get acl`.
    pub(crate) fn exprs(&self) -> &[Arc<ExprShared>] {
        &self.exprs
    }
}

/// Reads a map file: `(key, value, line)` rows.
pub(crate) fn read_map_file(full: &std::path::Path, path: &str) -> Result<Rows, String> {
    let data = read(full, path)?;
    let mut rows = Vec::new();
    for (n, raw) in data.split(|&b| b == b'\n').enumerate() {
        let line = (n + 1) as u32;
        if raw.first() == Some(&b'#') {
            continue;
        }
        let blank = |b: &u8| *b == b' ' || *b == b'\t';
        let start = raw.iter().position(|b| !blank(b)).unwrap_or(raw.len());
        let rest = &raw[start..];
        let key_end = rest
            .iter()
            .position(|b| matches!(b, b' ' | b'\t' | b'\r' | 0))
            .unwrap_or(rest.len());
        if key_end == 0 {
            continue;
        }
        let key = &rest[..key_end];
        let after = &rest[key_end..];
        let vstart = after.iter().position(|b| !blank(b)).unwrap_or(after.len());
        let value = &after[vstart..];
        let vend = value
            .iter()
            .position(|b| matches!(b, b'\r' | 0))
            .unwrap_or(value.len());
        let mut value = &value[..vend];
        while let Some((last, head)) = value.split_last() {
            if !blank(last) {
                break;
            }
            value = head;
        }
        rows.push((text(key), Some(text(value)), line));
    }
    Ok(rows)
}

/// Reads a pattern file (one column): `(pattern, None, line)` rows.
pub(crate) fn read_pattern_file(full: &std::path::Path, path: &str) -> Result<Rows, String> {
    let data = read(full, path)?;
    let mut rows = Vec::new();
    for (n, raw) in data.split(|&b| b == b'\n').enumerate() {
        if raw.first() == Some(&b'#') {
            continue;
        }
        let start = raw
            .iter()
            .position(|b| *b != b' ' && *b != b'\t')
            .unwrap_or(raw.len());
        let rest = &raw[start..];
        let end = rest
            .iter()
            .position(|b| matches!(b, b'\r' | 0))
            .unwrap_or(rest.len());
        if end == 0 {
            continue;
        }
        rows.push((text(&rest[..end]), None, (n + 1) as u32));
    }
    Ok(rows)
}

/// `(pattern, value, line)` rows of a file.
pub(crate) type Rows = Vec<(String, Option<String>, u32)>;

/// The bytes of `full`; errors name the file as written (`path`).
fn read(full: &std::path::Path, path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(full).map_err(|_| format!("failed to open pattern file <{path}>"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
