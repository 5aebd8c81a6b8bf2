//! Stick-table replication between instances with the HAProxy 2.6 peers
//! protocol: HAProxy and our proxy in one peers section replicate both
//! ways, `stick on src` persistence holds across instances, a restarted
//! instance learns every entry back (resync), three instances converge,
//! two of ours replicate, and 1,000 `set table` entries cross over.
//!
//! Nodes named `hap*` always run `/usr/sbin/haproxy`; nodes named `prx*`
//! run the binary under test. With `PROXY_BIN=/usr/sbin/haproxy` every node
//! is HAProxy: the reference run of the same scenarios.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::time::Duration;

use tests::peers::{defaults, entry, has_field, wait_until, Cluster, Kind};
use tests::servers::Backend;
use tests::stick::{banner_from, get_from};

/// Replication delays are sub-second; a restarted node first connects then
/// asks for a resync: a few seconds at most.
const CONVERGE: Duration = Duration::from_secs(10);

const SRC_TRACK: &str = "mypeers/src_track";

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

fn keys(lasts: impl IntoIterator<Item = u8>) -> Vec<String> {
    lasts.into_iter().map(|l| ip(l).to_string()).collect()
}

/// The configuration of reference §8, with more stored data.
fn src_track_cfg(c: &Cluster) -> String {
    format!(
        "{}peers mypeers\n\
         {}\
         \x20   table src_track type ip size 10k expire 1h store http_req_cnt,gpc0,conn_cnt,http_req_rate(10s)\n\
         \n\
         frontend fe\n\
         \x20   bind 127.0.0.1:\"${{FEPORT}}\"\n\
         \x20   http-request track-sc0 src table mypeers/src_track\n\
         \x20   http-request sc-inc-gpc0(0) if {{ path /bump }}\n\
         \x20   http-request return status 200 content-type text/plain string ok\n",
        defaults("http"),
        c.peer_lines()
    )
}

/// Sends `paths` from 127.0.0.`src` to `port`, each answered 200.
fn requests(src: u8, port: u16, paths: &[&str]) {
    for p in paths {
        assert_eq!(get_from(ip(src), port, p), 200, "GET {p} from {}", ip(src));
    }
}

/// Asserts the entry of `key` shows every `fields` word.
#[track_caller]
fn assert_entry(lines: &[String], key: &str, fields: &[&str]) {
    let e = entry(lines, key).unwrap_or_else(|| panic!("no entry {key} in:\n{}", lines.join("\n")));
    for f in fields {
        assert!(has_field(e, f), "entry {key} lacks {f}: {e}");
    }
}

fn replicate_both_ways(a: (&str, Kind), b: (&str, Kind)) {
    let mut c = Cluster::new(&[a, b]);
    c.start(&src_track_cfg(&c));
    let (pa, pb) = (c.node(0).fe_port, c.node(1).fe_port);
    requests(2, pa, &["/", "/bump"]);
    requests(3, pb, &["/bump", "/bump", "/"]);
    let lines = c.wait_converged(SRC_TRACK, &keys([2, 3]), false, CONVERGE);
    assert_eq!(
        lines[0], "# table: mypeers/src_track, type: ip, size:10240, used:2",
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert_entry(
        &lines,
        "127.0.0.2",
        &[
            "use=0",
            "gpc0=1",
            "http_req_cnt=2",
            "http_req_rate(10000)=2",
        ],
    );
    assert_entry(
        &lines,
        "127.0.0.3",
        &[
            "use=0",
            "gpc0=2",
            "http_req_cnt=3",
            "http_req_rate(10000)=3",
        ],
    );
    // A second round on the other instance: the counters go on from the
    // replicated values, and travel back.
    requests(2, pb, &["/bump"]);
    requests(3, pa, &["/"]);
    let lines = c.wait_converged(SRC_TRACK, &keys([2, 3]), false, CONVERGE);
    assert_entry(&lines, "127.0.0.2", &["gpc0=2", "http_req_cnt=3"]);
    assert_entry(&lines, "127.0.0.3", &["gpc0=2", "http_req_cnt=4"]);
}

#[test]
fn haproxy_and_proxy_replicate_both_ways() {
    replicate_both_ways(("hapA", Kind::Haproxy), ("prxB", Kind::Ours));
}

#[test]
fn proxy_to_proxy() {
    replicate_both_ways(("prxA", Kind::Ours), ("prxB", Kind::Ours));
}

/// `stick on src` with `store server_id` in a table shared by two
/// instances: a client keeps its server when it moves to the other one.
fn stick_persistence(a: (&str, Kind), b: (&str, Kind)) {
    let s1 = Backend::banner("s1");
    let s2 = Backend::banner("s2");
    let mut c = Cluster::new(&[a, b]);
    let cfg = format!(
        "{}peers mypeers\n\
         {}\
         \n\
         frontend fe\n\
         \x20   bind 127.0.0.1:\"${{FEPORT}}\"\n\
         \x20   default_backend be\n\
         \n\
         backend be\n\
         \x20   balance roundrobin\n\
         \x20   stick-table type ip size 1k expire 30s peers mypeers store server_id\n\
         \x20   stick on src\n\
         \x20   server s1 127.0.0.1:{}\n\
         \x20   server s2 127.0.0.1:{}\n",
        defaults("tcp"),
        c.peer_lines(),
        s1.port,
        s2.port
    );
    c.start(&cfg);
    let (pa, pb) = (c.node(0).fe_port, c.node(1).fe_port);
    let sid = |name: &str| if name == "s1" { 1 } else { 2 };

    // On A: two clients, one per server (round robin).
    let first = banner_from(ip(9), pa);
    let x = banner_from(ip(4), pa);
    assert_ne!(first, x, "round robin on {}", c.node(0).name);
    let lines = c.wait_converged("be", &keys([4, 9]), false, CONVERGE);
    assert_entry(&lines, "127.0.0.4", &[&format!("server_id={}", sid(&x))]);
    assert_entry(
        &lines,
        "127.0.0.9",
        &[&format!("server_id={}", sid(&first))],
    );
    // On B (which never balanced anything: its round robin would start
    // with `first`), 127.0.0.4 reaches x.
    for _ in 0..3 {
        assert_eq!(banner_from(ip(4), pb), x, "127.0.0.4 on {}", c.node(1).name);
    }
    assert_eq!(
        banner_from(ip(9), pb),
        first,
        "127.0.0.9 on {}",
        c.node(1).name
    );

    // The other way: two new clients on B, then on A in the reverse order
    // (where round robin alone would swap them).
    let p = banner_from(ip(5), pb);
    let q = banner_from(ip(6), pb);
    assert_ne!(p, q, "round robin on {}", c.node(1).name);
    let lines = c.wait_converged("be", &keys([4, 5, 6, 9]), false, CONVERGE);
    assert_entry(&lines, "127.0.0.5", &[&format!("server_id={}", sid(&p))]);
    assert_entry(&lines, "127.0.0.6", &[&format!("server_id={}", sid(&q))]);
    assert_eq!(banner_from(ip(6), pa), q, "127.0.0.6 on {}", c.node(0).name);
    assert_eq!(banner_from(ip(5), pa), p, "127.0.0.5 on {}", c.node(0).name);
    c.wait_converged("be", &keys([4, 5, 6, 9]), false, CONVERGE);
}

#[test]
fn stick_on_src_server_id_replicates_and_persists() {
    stick_persistence(("hapA", Kind::Haproxy), ("prxB", Kind::Ours));
}

#[test]
fn stick_on_src_server_id_replicates_and_persists_proxy_first() {
    stick_persistence(("prxA", Kind::Ours), ("hapB", Kind::Haproxy));
}

/// A node stopped (killed) and started again learns the whole table from
/// the other one (RESYNC REQUEST), including what changed meanwhile.
/// First node 1 is restarted, then node 0.
fn restart_learns(a: (&str, Kind), b: (&str, Kind)) {
    let mut c = Cluster::new(&[a, b]);
    c.start(&src_track_cfg(&c));
    let (pa, pb) = (c.node(0).fe_port, c.node(1).fe_port);
    for src in 10..20u8 {
        let paths: &[&str] = if src % 3 == 0 {
            &["/bump", "/"]
        } else {
            &["/"]
        };
        requests(src, pa, paths);
    }
    // The rates are masked: this test may outlast their 10 s period.
    c.wait_converged(SRC_TRACK, &keys(10..20), true, CONVERGE);

    c.stop_node(1);
    requests(20, pa, &["/bump"]);
    let set = c
        .node(0)
        .cli("set table mypeers/src_track key 127.0.0.10 data.gpc0 42");
    assert_eq!(set.trim(), "", "set table on {}", c.node(0).name);
    c.start_node(1);
    let lines = c.wait_converged(SRC_TRACK, &keys(10..21), true, CONVERGE);
    assert_eq!(lines.len(), 12, "{lines:#?}");
    assert_entry(&lines, "127.0.0.10", &["gpc0=42"]);
    assert_entry(&lines, "127.0.0.12", &["gpc0=1", "http_req_cnt=2"]);
    assert_entry(&lines, "127.0.0.20", &["gpc0=1", "http_req_cnt=1"]);

    // The reverse: node 0 restarts and learns from node 1.
    c.stop_node(0);
    requests(21, pb, &["/bump", "/bump"]);
    let set = c
        .node(1)
        .cli("set table mypeers/src_track key 127.0.0.11 data.gpc0 43");
    assert_eq!(set.trim(), "", "set table on {}", c.node(1).name);
    c.start_node(0);
    let lines = c.wait_converged(SRC_TRACK, &keys(10..22), true, CONVERGE);
    assert_eq!(lines.len(), 13, "{lines:#?}");
    assert_entry(&lines, "127.0.0.10", &["gpc0=42"]);
    assert_entry(&lines, "127.0.0.11", &["gpc0=43"]);
    assert_entry(&lines, "127.0.0.21", &["gpc0=2", "http_req_cnt=2"]);
}

#[test]
fn restarted_proxy_learns_by_resync() {
    // Node 1 (ours) restarts and learns from HAProxy, then HAProxy
    // restarts and learns from ours.
    restart_learns(("hapA", Kind::Haproxy), ("prxB", Kind::Ours));
}

#[test]
fn restarted_haproxy_learns_by_resync() {
    // The same with the roles swapped: HAProxy restarts first.
    restart_learns(("prxA", Kind::Ours), ("hapB", Kind::Haproxy));
}

/// Three instances in one section, entries created on each: all three
/// tables end identical.
fn three_converge(specs: [(&str, Kind); 3]) {
    let mut c = Cluster::new(&specs);
    c.start(&src_track_cfg(&c));
    for i in 0..3u8 {
        let port = c.node(usize::from(i)).fe_port;
        requests(40 + 2 * i, port, &["/"]);
        requests(41 + 2 * i, port, &["/bump", "/bump"]);
    }
    let lines = c.wait_converged(SRC_TRACK, &keys(40..46), false, CONVERGE);
    assert_eq!(lines.len(), 7, "{lines:#?}");
    for i in 0..3u8 {
        assert_entry(
            &lines,
            &ip(40 + 2 * i).to_string(),
            &["gpc0=0", "http_req_cnt=1"],
        );
        assert_entry(
            &lines,
            &ip(41 + 2 * i).to_string(),
            &["gpc0=2", "http_req_cnt=2"],
        );
    }
    // One key changed on every node in turn ends with the last value, once
    // no resync lesson can still carry an older one.
    c.wait_resynced(Duration::from_secs(20));
    for i in 0..3 {
        requests(40, c.node(i).fe_port, &["/bump"]);
        c.wait_converged(SRC_TRACK, &keys(40..46), false, CONVERGE);
    }
    let lines = c.wait_converged(SRC_TRACK, &keys(40..46), false, CONVERGE);
    assert_entry(&lines, "127.0.0.40", &["gpc0=3", "http_req_cnt=4"]);
}

#[test]
fn three_instances_converge() {
    three_converge([
        ("prxA", Kind::Ours),
        ("prxB", Kind::Ours),
        ("hapC", Kind::Haproxy),
    ]);
}

#[test]
fn three_instances_converge_two_haproxy() {
    three_converge([
        ("hapA", Kind::Haproxy),
        ("prxB", Kind::Ours),
        ("hapC", Kind::Haproxy),
    ]);
}

/// 1,000 entries set with `set table` on one side appear on the other with
/// the same values: a string-keyed table filled on node 0, an
/// integer-keyed one filled on node 1.
fn thousand_entries(a: (&str, Kind), b: (&str, Kind)) {
    const N: u32 = 1000;
    let mut c = Cluster::new(&[a, b]);
    let cfg = format!(
        "{}peers mypeers\n\
         {}\
         \x20   table strs type string len 32 size 10k expire 1h store gpc0,http_req_cnt\n\
         \x20   table ints type integer size 10k expire 1h store gpt0,gpc0\n\
         \n\
         frontend fe\n\
         \x20   bind 127.0.0.1:\"${{FEPORT}}\"\n\
         \x20   http-request return status 200\n",
        defaults("http"),
        c.peer_lines()
    );
    c.start(&cfg);
    let mut str_keys = Vec::new();
    let mut int_keys = Vec::new();
    for i in 0..N {
        let k = format!("user-{i:04}-{}", i * 7919 % 10007);
        let out = c.node(0).cli(&format!(
            "set table mypeers/strs key {k} data.gpc0 {} data.http_req_cnt {i}",
            i * 37 % 1000
        ));
        assert_eq!(out.trim(), "", "set table strs key {k}");
        str_keys.push(k);
        let k = (100_000 + i * 3).to_string();
        let out = c.node(1).cli(&format!(
            "set table mypeers/ints key {k} data.gpt0 {} data.gpc0 {i}",
            i % 5
        ));
        assert_eq!(out.trim(), "", "set table ints key {k}");
        int_keys.push(k);
    }
    let timeout = Duration::from_secs(20);
    let lines = c.wait_converged("mypeers/strs", &str_keys, false, timeout);
    assert_eq!(
        lines[0],
        format!("# table: mypeers/strs, type: string, size:10240, used:{N}")
    );
    assert_eq!(lines.len(), 1 + N as usize);
    for i in [0, 1, 499, 998, 999] {
        assert_entry(
            &lines,
            &str_keys[i as usize],
            &[
                &format!("gpc0={}", i * 37 % 1000),
                &format!("http_req_cnt={i}"),
            ],
        );
    }
    let lines = c.wait_converged("mypeers/ints", &int_keys, false, timeout);
    assert_eq!(
        lines[0],
        format!("# table: mypeers/ints, type: integer, size:10240, used:{N}")
    );
    assert_eq!(lines.len(), 1 + N as usize);
    for i in [0, 1, 499, 998, 999] {
        assert_entry(
            &lines,
            &int_keys[i as usize],
            &[&format!("gpt0={}", i % 5), &format!("gpc0={i}")],
        );
    }
}

#[test]
fn thousand_set_table_entries_replicate() {
    thousand_entries(("hapA", Kind::Haproxy), ("prxB", Kind::Ours));
}

/// The `bind` + `server` form of a peers section: the local peer is a
/// `server` without address and listens on the section's `bind`; the
/// others are `server <name> <addr>`. Each instance gets its own lines
/// through `.if streq("${HAPROXY_LOCALPEER}",...)`.
#[test]
fn server_and_bind_forms_replicate() {
    let mut c = Cluster::new(&[("hapA", Kind::Haproxy), ("prxB", Kind::Ours)]);
    let mut section = String::from("peers mypeers\n");
    for me in &c.nodes {
        section.push_str(&format!(
            ".if streq(\"${{HAPROXY_LOCALPEER}}\",\"{}\")\n    bind 127.0.0.1:{}\n",
            me.name, me.peer_port
        ));
        for n in &c.nodes {
            if n.name == me.name {
                section.push_str(&format!("    server {}\n", n.name));
            } else {
                section.push_str(&format!(
                    "    server {} 127.0.0.1:{}\n",
                    n.name, n.peer_port
                ));
            }
        }
        section.push_str(".endif\n");
    }
    let cfg = format!(
        "{}{section}\
         \x20   table src_track type ip size 10k expire 1h store http_req_cnt,gpc0\n\
         \n\
         frontend fe\n\
         \x20   bind 127.0.0.1:\"${{FEPORT}}\"\n\
         \x20   http-request track-sc0 src table mypeers/src_track\n\
         \x20   http-request sc-inc-gpc0(0) if {{ path /bump }}\n\
         \x20   http-request return status 200 content-type text/plain string ok\n",
        defaults("http")
    );
    c.start(&cfg);
    let (pa, pb) = (c.node(0).fe_port, c.node(1).fe_port);
    requests(60, pa, &["/bump"]);
    requests(61, pb, &["/", "/bump"]);
    let lines = c.wait_converged(SRC_TRACK, &keys([60, 61]), false, CONVERGE);
    assert_entry(&lines, "127.0.0.60", &["gpc0=1", "http_req_cnt=1"]);
    assert_entry(&lines, "127.0.0.61", &["gpc0=1", "http_req_cnt=2"]);
}

/// A peer session cut while both instances keep running: changes made on
/// either side meanwhile reach the other after the reconnect, pushed from
/// the last acknowledged update (no resync: neither process restarted).
#[test]
fn changes_made_while_the_session_is_down_cross_after_reconnect() {
    let mut c = Cluster::new(&[("hapA", Kind::Haproxy), ("prxB", Kind::Ours)]);
    c.start(&src_track_cfg(&c));
    let (pa, pb) = (c.node(0).fe_port, c.node(1).fe_port);
    requests(70, pa, &["/"]);
    requests(71, pb, &["/"]);
    c.wait_converged(SRC_TRACK, &keys([70, 71]), true, CONVERGE);
    // Both first finish their start-up resync (each gave the other up as
    // not up to date, then waited its 5 s): a session cut before that
    // would be followed by a new full resync, which legitimately
    // overwrites what changed meanwhile (in HAProxy too).
    let finished = |out: &str| {
        out.lines()
            .next()
            .and_then(|l| l.split(" flags=0x").nth(1))
            .and_then(|f| f.split(' ').next())
            .and_then(|f| u32::from_str_radix(f, 16).ok())
            .is_some_and(|f| f & 3 == 3)
    };
    assert!(
        wait_until(Duration::from_secs(15), || {
            finished(&c.node(0).cli("show peers")) && finished(&c.node(1).cli("show peers"))
        }),
        "resync never finished:\n{}\n{}",
        c.node(0).cli("show peers"),
        c.node(1).cli("show peers")
    );
    // Cut every peer session of node 1 (ours: TCP streams of the GLOBAL
    // frontend, the stats socket being a unix one; HAProxy: streams of the
    // peers frontend, named after the local peer, or still without a
    // protocol for outgoing ones), then change both sides at once, before
    // the reconnect.
    let peers_fe = format!("fe={} ", c.node(1).name);
    let sess = c.node(1).cli("show sess");
    let peers: Vec<&str> = sess
        .lines()
        .filter(|l| {
            (l.contains("fe=GLOBAL") && l.contains("proto=tcp"))
                || l.contains(&peers_fe)
                || l.contains("proto=?")
        })
        .filter_map(|l| l.split(':').next())
        .collect();
    assert!(!peers.is_empty(), "no peer stream in:\n{sess}");
    for p in &peers {
        let out = c.node(1).cli(&format!("shutdown session {p}"));
        assert_eq!(out.trim(), "", "shutdown session {p}");
    }
    requests(72, pa, &["/bump"]);
    requests(73, pb, &["/bump", "/bump"]);
    requests(70, pb, &["/bump"]);
    let lines = c.wait_converged(SRC_TRACK, &keys(70..74), true, CONVERGE);
    assert_entry(&lines, "127.0.0.70", &["gpc0=1", "http_req_cnt=2"]);
    assert_entry(&lines, "127.0.0.72", &["gpc0=1", "http_req_cnt=1"]);
    assert_entry(&lines, "127.0.0.73", &["gpc0=2", "http_req_cnt=2"]);
    // A new peer session carried them: none of the cut ones (HAProxy
    // reuses stream addresses, so only checked on ours, whose handles
    // are never reused).
    if tests::is_haproxy() {
        return;
    }
    // (Both ends reconnect after their 5 s timer, and when they do at once
    // the collision rule drops both sessions for 50-2049 ms: poll.)
    let mut sess = String::new();
    let fresh = wait_until(CONVERGE, || {
        sess = c.node(1).cli("show sess");
        sess.lines()
            .filter(|l| {
                (l.contains("fe=GLOBAL") && l.contains("proto=tcp"))
                    || l.contains(&peers_fe)
                    || l.contains("proto=?")
            })
            .filter_map(|l| l.split(':').next())
            .any(|p| !peers.contains(&p))
    });
    assert!(fresh, "no new peer session (cut: {peers:?}):\n{sess}");
}
