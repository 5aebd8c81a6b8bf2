//! Server-state files: the servers' state saved by the previous process
//! (`show servers state` redirected to a file before a reload), read at
//! start-up as HAProxy 2.6 reads it.
//!
//! The format: a first line holding the version (`1`), then one line per
//! server, blank-separated fields in the order of the `#` header that
//! `show servers state` prints (lines starting with `#` and blank lines
//! are skipped). A line must end with a newline and fit in 2000 bytes,
//! and must have 20 to 25 fields; anything else makes the whole file
//! "corrupted" and none of it is applied.
//!
//! Which file a backend reads (`load-server-state-from-file`):
//! - `global`: the global `server-state-file`; lines match on backend
//!   and server names.
//! - `local`: the backend's `server-state-file-name` (its own name when
//!   unset); a line must name the backend by name or id (a mismatch of
//!   either is reported), and lines naming no server of it are reported.
//! - `none` (the default): nothing.
//!
//! Relative file names are taken under `server-state-base`.
//!
//! This file is the sans-io part (splitting, parsing, validating a line's
//! values) and the reading of the files into a [`Plan`];
//! [`super::state_apply`] applies the plan to the configuration (addresses)
//! and to the running servers (states, weights, checks).

use std::collections::HashSet;
use std::path::PathBuf;

use crate::config::model_check::StateFrom;
use crate::config::Config;

/// HAProxy reads lines into a buffer of this size (newline and NUL
/// included): longer lines are corrupted.
pub const LINE_MAXLEN: usize = 2000;
/// Fields of a version 1 line, at least and at most (more are ignored).
pub const MIN_FIELDS: usize = 20;
pub const MAX_FIELDS: usize = 25;
/// Longest path HAProxy builds (`MAXPATHLEN`).
const MAXPATHLEN: usize = 4096;

/// One server's line, split into fields: `be_id be_name srv_id srv_name`
/// then the state (see [`super::state_apply::SavedState::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub fields: Vec<String>,
}

impl Entry {
    pub fn be_id(&self) -> &str {
        self.field(0)
    }
    pub fn be_name(&self) -> &str {
        self.field(1)
    }
    pub fn srv_name(&self) -> &str {
        self.field(3)
    }
    /// `bk_f_forced_id`: the backend's id was set in the configuration.
    pub fn be_forced_id(&self) -> bool {
        strtol(self.field(15)).is_some_and(|v| v & 1 == 1)
    }
    /// The fields from `srv_addr` on.
    pub fn params(&self) -> &[String] {
        self.fields.get(4..).unwrap_or(&[])
    }
    fn field(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", String::as_str)
    }
}

/// What one line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// Blank or a comment.
    Skip,
    Entry(Entry),
    /// Truncated (no newline, too long) or the wrong number of fields.
    Corrupt,
}

/// Splits `buf` as `fgets` with a [`LINE_MAXLEN`] buffer does: up to and
/// including a newline, or [`LINE_MAXLEN`] - 1 bytes. Returns the chunk
/// and the rest.
pub fn next_chunk(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    if buf.is_empty() {
        return None;
    }
    let cap = buf.len().min(LINE_MAXLEN - 1);
    let end = buf[..cap]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(cap, |i| i + 1);
    Some(buf.split_at(end))
}

/// The version on the first line: `Some(1)` when it holds a supported
/// one, `None` for an empty file, a truncated line or another version.
pub fn version(first: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(first).ok()?;
    let body = text.strip_suffix('\n')?;
    // strtol: leading blanks and a sign, then digits up to the newline.
    let t = body.trim_start_matches([' ', '\t', '\x0b', '\x0c', '\r']);
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (digits.parse::<u64>().ok()? == 1).then_some(1)
}

/// Parses one chunk from [`next_chunk`].
pub fn parse_line(chunk: &[u8]) -> Line {
    let Some(body) = chunk.strip_suffix(b"\n") else {
        return Line::Corrupt;
    };
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = body.iter().position(|b| !blank(b)).unwrap_or(body.len());
    let rest = &body[start..];
    if rest.is_empty() || rest[0] == b'#' {
        return Line::Skip;
    }
    // HAProxy reads a NUL as the end of the line.
    let rest = rest.split(|&b| b == 0).next().unwrap_or_default();
    let fields: Vec<String> = rest
        .split(blank)
        .filter(|f| !f.is_empty())
        .take(MAX_FIELDS)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    if fields.len() < MIN_FIELDS {
        return Line::Corrupt;
    }
    Line::Entry(Entry { fields })
}

/// A file's server lines in order, and the number of the first corrupted
/// line if any (counted from 1 after the version line, as HAProxy does);
/// the lines after it are not read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub corrupt_at: Option<usize>,
}

/// The file has no valid version line (empty, truncated, another one).
#[derive(Debug, PartialEq, Eq)]
pub struct NoVersion;

/// Parses a whole file.
pub fn parse(content: &[u8]) -> Result<Parsed, NoVersion> {
    let (first, mut rest) = next_chunk(content).ok_or(NoVersion)?;
    version(first).ok_or(NoVersion)?;
    let mut out = Parsed::default();
    let mut n = 1;
    while let Some((chunk, more)) = next_chunk(rest) {
        match parse_line(chunk) {
            Line::Skip => {}
            Line::Entry(e) => out.entries.push(e),
            Line::Corrupt => {
                out.corrupt_at = Some(n);
                break;
            }
        }
        rest = more;
        n += 1;
    }
    Ok(out)
}

/// C's `strtol` on a field: leading blanks, a sign, digits; `None` when
/// no digit is found or the value overflows. Trailing text is ignored.
pub fn strtol(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = t.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return None;
    }
    let v: i64 = t[..end].parse().ok()?;
    Some(if neg { -v } else { v })
}

/// `base` + `name` as HAProxy joins them: `name` alone when absolute or
/// without a base; `None` when too long.
pub fn file_path(base: Option<&str>, name: &str) -> Option<PathBuf> {
    let p = match base {
        Some(b) if !name.starts_with('/') && !b.is_empty() => {
            let sep = if b.ends_with('/') { "" } else { "/" };
            format!("{b}{sep}{name}")
        }
        _ => name.to_string(),
    };
    (p.len() < MAXPATHLEN).then(|| PathBuf::from(p))
}

/// What start-up does with the files, in HAProxy's order: warnings to
/// print, and lines to apply to a server (`(proxy, server)` indexes).
#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
}

#[derive(Debug)]
pub enum Step {
    Warn(String),
    Apply {
        proxy: usize,
        server: usize,
        entry: Entry,
    },
}

/// Reads `path`; `Err` is the system's message for the open failure.
fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| {
        // The libc text, without Rust's " (os error N)".
        let s = e.to_string();
        match s.find(" (os error") {
            Some(i) => s[..i].to_string(),
            None => s,
        }
    })
}

/// The global file's lines by `(backend, server)` name, first one kept.
type Table = Vec<Entry>;

fn insert(table: &mut Table, seen: &mut HashSet<(String, String)>, be: &str, e: Entry) {
    if seen.insert((be.to_string(), e.srv_name().to_string())) {
        table.push(e);
    }
}

/// Reads the global file into a table; warnings go to `out`.
fn load_global(cfg: &Config, out: &mut Plan) -> Option<Table> {
    let g = &cfg.global;
    let name = g.server_state_file.as_deref()?;
    let Some(path) = file_path(g.server_state_base.as_deref(), name) else {
        out.warn("config: Can't load global server state file: file too long.".into());
        return None;
    };
    let shown = path.display();
    let content = match read(&path) {
        Ok(c) => c,
        Err(e) => {
            out.warn(format!(
                "config: Can't open global server state file '{shown}': {e}"
            ));
            return None;
        }
    };
    let Ok(parsed) = parse(&content) else {
        out.warn(format!(
            "config: Can't get version of the global server state file '{shown}'."
        ));
        return None;
    };
    if let Some(n) = parsed.corrupt_at {
        out.warn(format!(
            "config: corrupted global server state file '{shown}' at line {n}."
        ));
        return None;
    }
    let mut table = Vec::new();
    let mut seen = HashSet::new();
    for e in parsed.entries {
        let be = e.be_name().to_string();
        insert(&mut table, &mut seen, &be, e);
    }
    Some(table)
}

impl Plan {
    fn warn(&mut self, m: String) {
        self.steps.push(Step::Warn(m));
    }

    /// Matches `table` lines to the servers of proxy `pi` (named `be`),
    /// taking each used line out.
    fn match_servers(&mut self, cfg: &Config, pi: usize, be: &str, table: &mut Table) {
        for (si, s) in cfg.proxies[pi].servers.iter().enumerate() {
            if let Some(i) = table
                .iter()
                .position(|e| e.be_name() == be && e.srv_name() == s.name)
            {
                let entry = table.remove(i);
                self.steps.push(Step::Apply {
                    proxy: pi,
                    server: si,
                    entry,
                });
            }
        }
    }

    /// Reads and matches proxy `pi`'s own file.
    fn load_local(&mut self, cfg: &Config, pi: usize) {
        let p = &cfg.proxies[pi];
        let px = &p.name;
        let name = p
            .server_state_file_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(px);
        let Some(path) = file_path(cfg.global.server_state_base.as_deref(), name) else {
            self.warn(format!(
                "Proxy '{px}': Can't load local server state file: file too long."
            ));
            return;
        };
        let shown = path.display();
        let content = match read(&path) {
            Ok(c) => c,
            Err(e) => {
                self.warn(format!(
                    "Proxy '{px}': Can't open server state file '{shown}': {e}."
                ));
                return;
            }
        };
        let Ok(parsed) = parse(&content) else {
            self.warn(format!(
                "Proxy '{px}': Can't get version of the server state file '{shown}'."
            ));
            return;
        };
        let mut table = Vec::new();
        let mut seen = HashSet::new();
        for e in parsed.entries {
            let id_ok = strtol(e.be_id()).is_some_and(|v| v == i64::from(p.id));
            let name_ok = e.be_name() == px;
            if !id_ok && !name_ok {
                continue;
            }
            if !id_ok {
                self.warn(format!(
                    "Proxy '{px}': backend ID mismatch: from server state file: '{}', from running config '{}'",
                    e.be_id(),
                    p.id
                ));
            } else if !name_ok {
                self.warn(format!(
                    "Proxy '{px}': backend name mismatch: from server state file: '{}', from running config '{px}'",
                    e.be_name()
                ));
                if !e.be_forced_id() {
                    continue;
                }
            }
            insert(&mut table, &mut seen, px, e);
        }
        if let Some(n) = parsed.corrupt_at {
            self.warn(format!(
                "Proxy '{px}': corrupted server state file '{shown}' at line {n}."
            ));
            return;
        }
        // Lines keep the name they were written with; match on ours.
        for e in &mut table {
            if let Some(f) = e.fields.get_mut(1) {
                f.clone_from(px);
            }
        }
        self.match_servers(cfg, pi, px, &mut table);
        for e in table {
            self.warn(format!(
                "Proxy '{px}': can't find server '{}' in backend '{px}'",
                e.srv_name()
            ));
        }
    }
}

/// Reads the files the configuration names and matches their lines to
/// the servers. Never fails: problems become warnings in the plan.
pub fn load(cfg: &Config) -> Plan {
    let mut plan = Plan::default();
    // The global file is read whether or not a backend uses it.
    let mut global = load_global(cfg, &mut plan);
    for (pi, p) in cfg.proxies.iter().enumerate() {
        if !p.kind.has_backend() || p.servers.is_empty() {
            continue;
        }
        match p.load_server_state {
            Some(StateFrom::Global) => {
                if let Some(t) = global.as_mut() {
                    plan.match_servers(cfg, pi, &p.name, t);
                }
            }
            Some(StateFrom::Local) => plan.load_local(cfg, pi),
            Some(StateFrom::None) | None => {}
        }
    }
    plan
}

#[cfg(test)]
#[path = "state_file_tests.rs"]
mod tests;
