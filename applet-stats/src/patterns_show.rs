//! `show map|acl [[@<ver>] <map|acl>]`, rendered here from the host's data
//! ([`applet_sdk::patterns`]) in HAProxy 2.6's layout. Without a name, the
//! references of that kind:
//!
//! ```text
//! # id (file) description
//! 0 (/etc/haproxy/hosts.map) pattern loaded from file '/etc/haproxy/hosts.map' used by map at file 'h.cfg' line 12. curr_ver=0 next_ver=0 entry_cnt=2
//! 1 () acl 'path' file 'h.cfg' line 14. curr_ver=0 next_ver=0 entry_cnt=1
//! ```
//!
//! With one (its file name or `#<id>`), its entries of the current version
//! (or of `@<ver>`), an id (HAProxy prints the entry's address), the
//! pattern and, for a map, the value:
//!
//! ```text
//! 0x5600000010a0 www.example.com be_www
//! ```
//!
//! The host finds the reference (only among those used as maps, resp.
//! ACLs) and answers HAProxy's message when it does not; this module
//! builds the query from the command's words and prints. The applet-sdk
//! types are read directly: plain data already.

use std::fmt::Write;

use applet_sdk::{PatternKind, PatternQuery, PatternRefView};

/// HAProxy's `str2uic`: leading decimal digits, wrapping, 0 when none.
fn str2uic(s: &str) -> u32 {
    s.bytes().take_while(u8::is_ascii_digit).fold(0u32, |n, b| {
        n.wrapping_mul(10).wrapping_add(u32::from(b - b'0'))
    })
}

/// The query for `show map|acl <args>` (`args`: the whole command).
pub fn query(args: &[&str]) -> PatternQuery {
    let kind = match args.get(1).copied() {
        Some("acl") => PatternKind::ACL,
        _ => PatternKind::MAP,
    };
    let rest = args.get(2..).unwrap_or(&[]);
    match rest.first().copied().filter(|w| !w.is_empty()) {
        None => PatternQuery::all(kind),
        Some(first) => match first.strip_prefix('@') {
            Some(ver) => {
                let name = rest.get(1).copied().unwrap_or("");
                PatternQuery::one(kind, name, Some(str2uic(ver)))
            }
            None => PatternQuery::one(kind, first, None),
        },
    }
}

/// The text of the host's answer: the entries of a dumped reference, the
/// listing otherwise, or the host's message.
pub fn render(answer: Result<Vec<PatternRefView>, String>) -> String {
    let views = match answer {
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut out = String::new();
    if let Some(r) = views.iter().find(|r| r.dumped) {
        for e in r.entries.iter() {
            match e.value.as_ref().into_option() {
                Some(v) => writeln!(out, "{:#x} {} {}", e.id, e.pattern, v),
                None => writeln!(out, "{:#x} {}", e.id, e.pattern),
            }
            .ok();
        }
        return out;
    }
    out.push_str("# id (file) description\n");
    for r in &views {
        let _ = writeln!(
            out,
            "{} ({}) {}. curr_ver={} next_ver={} entry_cnt={}",
            r.id, r.file, r.description, r.curr_ver, r.next_ver, r.entry_cnt
        );
    }
    out
}

#[cfg(test)]
#[path = "patterns_show_tests.rs"]
mod tests;
