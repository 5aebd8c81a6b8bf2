//! The CLI commands on maps and ACLs, answering as HAProxy 2.6 does:
//! `show`, `get`, `add`, `del`, `clear`, `prepare`, `commit` on `map` and
//! `acl`, and `set map`. `<map>`/`<acl>` is a file name or `#<id>`; an
//! entry is its pattern or `#0x<id>` as `show` prints it.
//!
//! Facts matched (HAProxy 2.6.12): `get` and `add`/`set` accept any
//! reference, `show`, `clear`, `del`, `prepare` and `commit` only one used
//! as a map (resp. an ACL); `del acl` says "Unknown map identifier" too;
//! `set map` with a value that does not parse is silently ignored for a
//! key, refused for an `#<id>`; `clear` empties the current version only.
//! The payload form of `add map` is not supported.

use std::fmt::Write;

use super::reference::{lock, PatRef};
use super::registry::PatRegistry;
use super::view::RefView;
use super::MatchKind;
use crate::sample::value::Value;

const UNKNOWN_MAP: &str = "Unknown map identifier. Please use #<id> or <file>.\n";
const UNKNOWN_ACL: &str = "Unknown ACL identifier. Please use #<id> or <file>.\n";
const MALFORMED: &str = "Malformed identifier. Please use #<id> or <file>.\n";

pub(super) fn unknown(map: bool) -> String {
    (if map { UNKNOWN_MAP } else { UNKNOWN_ACL }).to_string()
}

pub(super) fn has_flag(r: &PatRef, map: bool) -> bool {
    if map {
        r.is_map
    } else {
        r.is_acl
    }
}

/// HAProxy's `str2uic`: leading decimal digits, wrapping, 0 when none.
pub fn str2uic(s: &str) -> u32 {
    s.bytes().take_while(u8::is_ascii_digit).fold(0u32, |n, b| {
        n.wrapping_mul(10).wrapping_add(u32::from(b - b'0'))
    })
}

/// `#0x<hex>`: `None` when not that form, `Some(Err)` when malformed,
/// `Some(Ok(None))` when too large to be an id.
fn entry_id(w: &str) -> Option<Result<Option<u64>, String>> {
    let hex = w.strip_prefix("#0x")?;
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(Err(MALFORMED.into()));
    }
    Some(Ok(u64::from_str_radix(hex, 16).ok()))
}

fn type_name(v: &Value<'_>) -> &'static str {
    v.smp_type().name()
}

impl PatRegistry {
    /// Answers a CLI command given as words (`["show", "map"]`,
    /// `["get", "acl", "#3", "10.0.0.1"]`...): `None` when it is not a
    /// map or ACL command, else the answer (`Ok`) or error (`Err`) text,
    /// byte for byte what HAProxy 2.6 prints before the CLI's closing
    /// empty line.
    pub fn cli(&self, words: &[&str]) -> Option<Result<String, String>> {
        let (verb, what) = (*words.first()?, *words.get(1)?);
        let map = match what {
            "map" => true,
            "acl" => false,
            _ => return None,
        };
        self.ensure_ids();
        let args = &words[2..];
        Some(match verb {
            "show" => self.cli_show(map, args),
            "get" => self.cli_get(map, args),
            "add" => self.cli_add(map, args),
            "set" if map => self.cli_set(args),
            "del" => self.cli_del(map, args),
            "clear" => self.cli_clear(map, args),
            "prepare" => self.cli_prepare(map, args),
            "commit" => self.cli_commit(map, args),
            _ => return None,
        })
    }

    /// A reference for a command that needs it to be a map (an ACL).
    fn lookup_flagged(
        &self,
        name: &str,
        map: bool,
    ) -> Option<std::sync::Arc<std::sync::Mutex<PatRef>>> {
        self.lookup(name).filter(|r| has_flag(&lock(r), map))
    }

    /// `show map|acl [[@<ver>] <ref>]`, rendered from [`Self::show_view`].
    fn cli_show(&self, map: bool, args: &[&str]) -> Result<String, String> {
        let (name, gen) = show_args(args);
        Ok(show_text(&self.show_view(map, name, gen)?))
    }

    fn cli_get(&self, map: bool, args: &[&str]) -> Result<String, String> {
        let (name, key) = (arg(args, 0), arg(args, 1));
        if name.is_empty() || key.is_empty() {
            return Err(if map {
                "Missing map identifier and/or key.\n"
            } else {
                "Missing ACL identifier and/or key.\n"
            }
            .into());
        }
        let r = self.lookup(name).ok_or_else(|| unknown(map))?;
        let r = lock(&r);
        let mut out = String::new();
        for e in r.exprs() {
            let _ = write!(
                out,
                "type={}, case={}",
                e.kind.name(),
                if e.icase { "insensitive" } else { "sensitive" }
            );
            let state = e.state.read().unwrap_or_else(|p| p.into_inner());
            let hit = match e.kind {
                MatchKind::Found => None,
                k => Value::str(key.as_bytes())
                    .cast(k.input_type())
                    .and_then(|v| state.find(k, &v).map(|h| (h.slot, h.tree))),
            };
            let (yes, no) = if map {
                (", found=yes", ", found=no")
            } else {
                (", match=yes", ", match=no")
            };
            match hit {
                None => out.push_str(no),
                Some((slot, tree)) => {
                    out.push_str(yes);
                    out.push_str(if tree { ", idx=tree" } else { ", idx=list" });
                    let label = if map { "key" } else { "pattern" };
                    match slot {
                        Some(s) => write!(out, ", {label}=\"{}\"", s.key),
                        None => write!(out, ", {label}=unknown"),
                    }
                    .ok();
                    if map {
                        match slot.and_then(|s| Some((s.value.as_ref()?, s.sample.as_ref()?))) {
                            Some((v, text)) => {
                                let _ =
                                    write!(out, ", value=\"{text}\", type=\"{}\"", type_name(v));
                            }
                            None => out.push_str(", value=none"),
                        }
                    }
                }
            }
            out.push('\n');
        }
        Ok(out)
    }

    fn cli_add(&self, map: bool, args: &[&str]) -> Result<String, String> {
        let (gen, args) = split_gen(args);
        let (name, key, value) = (arg(args, 0), arg(args, 1), arg(args, 2));
        if map && (name.is_empty() || key.is_empty() || value.is_empty()) {
            return Err("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n".into());
        }
        if !map && (name.is_empty() || key.is_empty()) {
            return Err("'add acl' expects two parameters: ACL identifier and pattern.\n".into());
        }
        let r = self.lookup(name).ok_or_else(|| unknown(map))?;
        let mut r = lock(&r);
        if let Some(g) = gen {
            if (g.wrapping_sub(r.next_gen) as i32) > 0 {
                return Err(format!(
                    "Version number in the future, please use 'prepare {}' before.\n",
                    if map { "map" } else { "acl" }
                ));
            }
        }
        if !map && r.smp {
            return Err("This ACL is shared with a map containing samples. You must use the command 'add map' to add values.\n".into());
        }
        let gen = gen.unwrap_or(r.curr_gen);
        r.load(gen, key, map.then_some(value))
            .map(|_| String::new())
            .map_err(|e| format!("{e}.\n"))
    }

    fn cli_set(&self, args: &[&str]) -> Result<String, String> {
        let (name, key, value) = (arg(args, 0), arg(args, 1), arg(args, 2));
        if name.is_empty() || key.is_empty() || value.is_empty() {
            return Err(
                "'set map' expects three parameters: map identifier, key and value.\n".into(),
            );
        }
        let r = self.lookup(name).ok_or_else(|| unknown(true))?;
        let mut r = lock(&r);
        let done = match entry_id(key) {
            Some(id) => match id? {
                Some(id) => r.set_id(id, value),
                None => Err("key or pattern not found".into()),
            },
            None => r.set_key(key, value),
        };
        done.map(|_| String::new()).map_err(|e| format!("{e}.\n"))
    }

    fn cli_del(&self, map: bool, args: &[&str]) -> Result<String, String> {
        let (name, key) = (arg(args, 0), arg(args, 1));
        if name.is_empty() || key.is_empty() {
            return Err(format!(
                "This command expects two parameters: {} identifier and key.\n",
                if map { "map" } else { "ACL" }
            ));
        }
        let r = self
            .lookup_flagged(name, map)
            .ok_or_else(|| unknown(true))?;
        let mut r = lock(&r);
        let found = match entry_id(key) {
            Some(id) => id?.is_some_and(|id| r.delete_id(id)),
            None => r.delete_key(key),
        };
        if found {
            Ok(String::new())
        } else {
            Err("Key not found.\n".into())
        }
    }

    fn cli_clear(&self, map: bool, args: &[&str]) -> Result<String, String> {
        let (gen, args) = split_gen(args);
        let name = arg(args, 0);
        if name.is_empty() {
            return Err(missing_id(map));
        }
        let r = self.lookup_flagged(name, map).ok_or_else(|| unknown(map))?;
        let mut r = lock(&r);
        let gen = gen.unwrap_or(r.curr_gen);
        r.purge_range(gen, gen);
        Ok(String::new())
    }

    fn cli_prepare(&self, map: bool, args: &[&str]) -> Result<String, String> {
        let r = self
            .lookup_flagged(arg(args, 0), map)
            .ok_or_else(|| unknown(map))?;
        let mut r = lock(&r);
        r.next_gen = r.next_gen.wrapping_add(1);
        Ok(format!("New version created: {}\n", r.next_gen))
    }

    fn cli_commit(&self, map: bool, args: &[&str]) -> Result<String, String> {
        let Some(gen) = arg(args, 0).strip_prefix('@').map(str2uic) else {
            return Err("Missing version number.\n".into());
        };
        let name = arg(args, 1);
        if name.is_empty() {
            return Err(missing_id(map));
        }
        let r = self.lookup_flagged(name, map).ok_or_else(|| unknown(map))?;
        let mut r = lock(&r);
        let ret =
            if gen.wrapping_sub(r.curr_gen.wrapping_add(1)) < r.next_gen.wrapping_sub(r.curr_gen) {
                r.commit(gen)
            } else {
                1
            };
        if ret != 0 {
            return Err("Version number out of range.\n".into());
        }
        let to = gen.wrapping_sub(1);
        r.purge_range(to.wrapping_sub(u32::MAX >> 1), to);
        Ok(String::new())
    }
}

/// The reference and version `show map|acl <args>` asks for (`None`: the
/// listing; `@<ver>` without a name asks for `""`, which nothing is).
pub fn show_args<'a>(args: &[&'a str]) -> (Option<&'a str>, Option<u32>) {
    match args.first().copied().filter(|w| !w.is_empty()) {
        None => (None, None),
        Some(first) => match first.strip_prefix('@') {
            Some(g) => (Some(arg(args, 1)), Some(str2uic(g))),
            None => (Some(first), None),
        },
    }
}

/// HAProxy 2.6's `show map|acl` text: the listing when no view carries
/// entries, else the entries (`<id> <pattern>[ <value>]`).
pub fn show_text(views: &[RefView]) -> String {
    let mut out = String::new();
    if let Some(entries) = views.iter().find_map(|v| v.entries.as_ref()) {
        for e in entries {
            match &e.sample {
                Some(s) => writeln!(out, "{:#x} {} {}", e.id, e.pattern, s),
                None => writeln!(out, "{:#x} {}", e.id, e.pattern),
            }
            .ok();
        }
        return out;
    }
    out.push_str("# id (file) description\n");
    for r in views {
        let _ = writeln!(
            out,
            "{} ({}) {}. curr_ver={} next_ver={} entry_cnt={}",
            r.unique_id,
            r.reference.as_deref().unwrap_or(""),
            r.display,
            r.curr_gen,
            r.next_gen,
            r.entry_cnt
        );
    }
    out
}

fn arg<'a>(args: &[&'a str], i: usize) -> &'a str {
    args.get(i).copied().unwrap_or("")
}

fn missing_id(map: bool) -> String {
    if map {
        "Missing map identifier.\n".into()
    } else {
        "Missing ACL identifier.\n".into()
    }
}

/// An optional `@<version>` first word.
fn split_gen<'a, 'b>(args: &'b [&'a str]) -> (Option<u32>, &'b [&'a str]) {
    match args.first().and_then(|w| w.strip_prefix('@')) {
        Some(g) => (Some(str2uic(g)), &args[1..]),
        None => (None, args),
    }
}
