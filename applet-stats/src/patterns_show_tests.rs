//! `show map|acl` rendered from a hand-built host: one map file (two
//! entries of version 0, one of version 1) and one inline ACL, found as
//! the host finds them (kind, file name or `#<id>`, version).

use applet_sdk::abi_stable::std_types::{RNone, RSome, RVec};
use applet_sdk::PatternEntryView;

use super::*;

const UNKNOWN_MAP: &str = "Unknown map identifier. Please use #<id> or <file>.\n";
const UNKNOWN_ACL: &str = "Unknown ACL identifier. Please use #<id> or <file>.\n";

fn entry(id: u64, pattern: &str, value: Option<&str>, version: u32) -> PatternEntryView {
    PatternEntryView {
        id,
        pattern: pattern.into(),
        value: value.map(Into::into).into(),
        version,
        line: 0,
    }
}

fn refs() -> Vec<PatternRefView> {
    vec![
        PatternRefView {
            id: 0,
            file: "/etc/haproxy/hosts.map".into(),
            description: "pattern loaded from file '/etc/haproxy/hosts.map' used by map at file 'h.cfg' line 12".into(),
            is_map: true,
            curr_ver: 0,
            next_ver: 1,
            entry_cnt: 3,
            entries: RVec::from(vec![
                entry(0x5600_0000_1000, "www.example.com", Some("be_www"), 0),
                entry(0x5600_0000_1030, "api.example.com", Some("be api"), 0),
                entry(0x5600_0000_1060, "new.example.com", Some("be_new"), 1),
            ]),
            ..PatternRefView::default()
        },
        PatternRefView {
            id: 1,
            description: "acl 'path' file 'h.cfg' line 14".into(),
            is_acl: true,
            entry_cnt: 1,
            entries: RVec::from(vec![entry(0x5600_0000_1090, "/admin", None, 0)]),
            ..PatternRefView::default()
        },
    ]
}

/// The host's side, on `refs()`.
fn host(q: PatternQuery) -> Result<Vec<PatternRefView>, String> {
    let map = q.kind == PatternKind::MAP;
    let kind = refs()
        .into_iter()
        .filter(|r| if map { r.is_map } else { r.is_acl });
    let Some(name) = q.reference.as_ref().into_option() else {
        return Ok(kind
            .map(|r| PatternRefView {
                entries: RVec::new(),
                ..r
            })
            .collect());
    };
    let found = kind
        .into_iter()
        .find(|r| r.file == *name || format!("#{}", r.id) == *name);
    let Some(mut r) = found else {
        return Err(if map { UNKNOWN_MAP } else { UNKNOWN_ACL }.into());
    };
    let ver = q.version.unwrap_or(r.curr_ver);
    r.entries.retain(|e| e.version == ver);
    r.dumped = true;
    Ok(vec![r])
}

fn show(line: &str) -> String {
    let args: Vec<&str> = line.split(' ').collect();
    render(host(query(&args)))
}

#[test]
fn listing() {
    assert_eq!(
        show("show map"),
        "# id (file) description\n\
         0 (/etc/haproxy/hosts.map) pattern loaded from file '/etc/haproxy/hosts.map' used by map at file 'h.cfg' line 12. curr_ver=0 next_ver=1 entry_cnt=3\n"
    );
    assert_eq!(
        show("show acl"),
        "# id (file) description\n1 () acl 'path' file 'h.cfg' line 14. curr_ver=0 next_ver=0 entry_cnt=1\n"
    );
    assert_eq!(render(Ok(Vec::new())), "# id (file) description\n");
}

#[test]
fn entries_of_a_map_and_of_an_acl() {
    let map = "0x560000001000 www.example.com be_www\n0x560000001030 api.example.com be api\n";
    assert_eq!(show("show map /etc/haproxy/hosts.map"), map);
    assert_eq!(show("show map #0"), map);
    assert_eq!(show("show acl #1"), "0x560000001090 /admin\n");
}

#[test]
fn a_version() {
    assert_eq!(
        query(&["show", "map", "@1", "#0"]),
        PatternQuery::one(PatternKind::MAP, "#0", Some(1))
    );
    assert_eq!(
        show("show map @1 #0"),
        "0x560000001060 new.example.com be_new\n"
    );
    assert_eq!(show("show map @7 #0"), "");
    assert_eq!(
        query(&["show", "acl", "@x"]),
        PatternQuery {
            kind: PatternKind::ACL,
            reference: RSome("".into()),
            version: RSome(0),
        }
    );
    assert_eq!(query(&["show", "acl", ""]).reference, RNone);
}

#[test]
fn unknown_reference() {
    assert_eq!(show("show map nope.map"), UNKNOWN_MAP);
    assert_eq!(show("show acl #0"), UNKNOWN_ACL);
    assert_eq!(show("show map @1"), UNKNOWN_MAP);
}
