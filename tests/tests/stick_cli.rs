//! The stick-table CLI: `show table` (list, dump, filters, `key`), `set
//! table`, `clear table`, the access levels, and `show peers`. The same
//! scenario runs on our proxy and on HAProxy 2.6 (when `/usr/sbin/haproxy`
//! is installed) and every answer is compared, with entry addresses and
//! remaining lifetimes masked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::http::{http_defaults, Origin, Reply};
use tests::stick::{cli, get_from, get_from_with, mask_table};
use tests::{client, free_port, is_haproxy, BoundPort, Proxy};

const HAPROXY: &str = "/usr/sbin/haproxy";

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

/// The commands of the scenario, in order; each answer is kept.
const COMMANDS: &[&str] = &[
    "show table",
    "show table fe",
    "show table be",
    "show table p/users",
    "show table fe key 127.0.0.2",
    "show table fe key 10.9.9.9",
    "show table fe data.gpc0 gt 0",
    "show table fe data.conn_cnt ge 4 data.http_err_cnt eq 1",
    "show table nope",
    "show table fe foo",
    "show table fe key",
    "show table fe data.bogus eq 1",
    "show table fe data.server_id eq 1",
    "show table fe data.gpc0 xx 1",
    "clear table fe key 127.0.0.1",
    "set table fe key 10.0.0.1 data.gpc0 4 data.conn_cnt 2 data.http_req_rate 3",
    "show table fe key 10.0.0.1",
    "set table fe key 10.0.0.2 data.nope 1",
    "set table fe key 10.0.0.3 data.gpc0",
    "set table fe key 10.0.0.4 data.server_id 1",
    "set table p/users key carol data.gpc0 3",
    "show table p/users",
    "clear table fe key 10.0.0.1",
    "show table fe key 10.0.0.1",
    "clear table",
];

/// Commands run once no connection is open (HAProxy 2.6's `clear table`
/// by filter spares an entry followed by a referenced one; we do not).
const LATE_COMMANDS: &[&str] = &[
    "show table fe",
    "clear table fe data.gpc0 eq 0",
    "show table fe",
    "clear table fe data.http_req_cnt gt 100",
    "show table fe",
    "clear table be",
    "show table be",
    "clear table fe",
    "show table",
];

/// Commands run on the user-level socket.
const USER_COMMANDS: &[&str] = &[
    "show table",
    "show table fe",
    "show table fe key 127.0.0.1",
    "set table fe key 10.1.1.1 data.gpc0 1",
    "clear table fe",
    "show table fe data.gpc0 ge 0",
];

struct Run {
    answers: Vec<(String, String)>,
}

/// Runs the scenario on `bin` (`None`: the binary under test).
fn scenario(bin: Option<&Path>) -> Run {
    let o1 = Origin::start(|_| Reply::ok(b"one"));
    let o2 = Origin::start(|_| Reply::ok(b"two"));
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = tests::TempDir::new();
    let admin = dir.path().join("admin.sock");
    let user = dir.path().join("user.sock");
    let cfg = format!(
        "{}global\n\
         \x20   stats socket {} level admin\n\
         \x20   stats socket {} level user\n\
         peers p\n\
         \x20   peer local1 127.0.0.1:{}\n\
         \x20   table users type string len 8 size 10 expire 10m store gpc0,http_req_cnt\n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   stick-table type ip size 1k expire 10m store conn_cnt,http_req_rate(10s),gpc0,conn_cur,sess_cnt,http_req_cnt,http_err_cnt\n\
         \x20   tcp-request connection track-sc1 src\n\
         \x20   http-request track-sc0 src\n\
         \x20   http-request track-sc2 req.hdr(x-user) table p/users if {{ req.hdr(x-user) -m found }}\n\
         \x20   http-request sc-inc-gpc0(0) if {{ path /bump }}\n\
         \x20   http-request sc-inc-gpc0(2) if {{ path /bump }}\n\
         \x20   http-request deny if {{ path /deny }}\n\
         \x20   default_backend be\n\
         backend be\n\
         \x20   balance roundrobin\n\
         \x20   stick-table type ip size 1k expire 10m store gpc1\n\
         \x20   stick on src\n\
         \x20   server s1 127.0.0.1:{}\n\
         \x20   server s2 127.0.0.1:{}\n",
        http_defaults(),
        admin.display(),
        user.display(),
        // The local peer's address, which the proxy binds itself: peers
        // name addresses, so it cannot be an inherited socket.
        free_port(),
        o1.port,
        o2.port
    );
    let mut b = Proxy::builder(&cfg).listen(&fe).args(["-L", "local1"]);
    if let Some(p) = bin {
        b = b.bin(p);
    }
    let _px = b.start();
    let alice = "x-user: alice\r\n";
    assert_eq!(get_from_with(ip(1), port, "/bump", alice), 200);
    assert_eq!(get_from_with(ip(1), port, "/", alice), 200);
    assert_eq!(get_from(ip(1), port, "/deny"), 403);
    assert_eq!(get_from(ip(1), port, "/"), 200);
    assert_eq!(get_from_with(ip(2), port, "/", "x-user: bob\r\n"), 200);
    // A connection that stays open keeps its entry referenced.
    let mut held = client::connect_from(ip(1), port);
    held.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    let _ = std::io::Read::read(&mut held, &mut buf).unwrap();
    let mut answers = Vec::new();
    for c in COMMANDS {
        answers.push((c.to_string(), cli(&admin, c)));
    }
    for c in USER_COMMANDS {
        answers.push((format!("user: {c}"), cli(&user, c)));
    }
    answers.push(("after user".into(), cli(&admin, "show table fe")));
    drop(held);
    // Wait until the closed session released its entry (no reference, no
    // current connection), rather than for a fixed 300 ms; the answer is
    // compared either way.
    let mut after = String::new();
    let _ = tests::util::poll_until(Duration::from_secs(5), || {
        after = cli(&admin, "show table fe key 127.0.0.1");
        (after.contains(" use=0 ") && after.contains(" conn_cur=0 ")).then_some(())
    });
    answers.push(("after close".into(), after));
    for c in LATE_COMMANDS {
        answers.push((format!("late: {c}"), cli(&admin, c)));
    }
    Run { answers }
}

fn masked(r: &Run) -> Vec<(String, String)> {
    r.answers
        .iter()
        .map(|(c, a)| (c.clone(), mask_table(a, 600_000)))
        .collect()
}

#[test]
fn table_commands_answer_as_haproxy_2_6() {
    let ours = masked(&scenario(None));
    let get = |cmd: &str| {
        ours.iter()
            .find(|(c, _)| c == cmd)
            .map(|(_, a)| a.as_str())
            .unwrap()
    };
    // What the scenario must show, whatever the reference says.
    assert_eq!(
        get("show table"),
        "# table: be, type: ip, size:1024, used:2\n\
         # table: fe, type: ip, size:1024, used:2\n\
         # table: p/users, type: string, size:10, used:2\n\n"
    );
    assert_eq!(
        get("show table be"),
        "# table: be, type: ip, size:1024, used:2\n\
         0x: key=127.0.0.1 use=0 exp=E server_id=1 gpc1=0 server_key=s1\n\
         0x: key=127.0.0.2 use=0 exp=E server_id=2 gpc1=0 server_key=s2\n\n"
    );
    assert_eq!(
        get("show table fe key 127.0.0.2"),
        "# table: fe, type: ip, size:1024, used:2\n\
         0x: key=127.0.0.2 use=0 exp=E gpc0=0 conn_cnt=2 conn_cur=0 sess_cnt=1 http_req_cnt=2 http_req_rate(10000)=2 http_err_cnt=0\n\n"
    );
    assert_eq!(
        get("clear table fe key 127.0.0.1"),
        "Entry currently in use, cannot remove\n\n"
    );
    let user_dump = get("user: show table fe");
    assert!(
        user_dump.starts_with("# table: fe, type: ip, size:1024, used:")
            && user_dump.ends_with("\n# contents not dumped due to insufficient privileges\n\n"),
        "{user_dump}"
    );
    assert!(get("show table fe").contains("key=127.0.0.1 use=1 "));
    assert_eq!(
        get("user: show table fe key 127.0.0.1"),
        "Permission denied\n\n"
    );
    assert!(get("after close").contains("key=127.0.0.1 use=0 "));
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        return;
    }
    let reference = masked(&scenario(Some(&PathBuf::from(HAPROXY))));
    if std::env::var_os("STICK_CLI_DUMP").is_some() {
        for ((cmd, a), (_, b)) in ours.iter().zip(&reference) {
            eprintln!("=== {cmd}\n--- ours\n{a}--- haproxy\n{b}");
        }
    }
    for ((cmd, a), (_, b)) in ours.iter().zip(&reference) {
        assert_eq!(a, b, "answer to `{cmd}` differs from HAProxy 2.6");
    }
}

/// `show peers` while the remote peer cannot be reached: the local peer
/// is listed as such, the remote one is being connected to (`CONN`, a
/// reconnect timer, one connection attempt), shared tables with their
/// counters; a section without the local peer is not shown. The same test
/// runs against HAProxy.
#[test]
fn show_peers_while_the_remote_peer_is_unreachable() {
    let fe = BoundPort::new();
    let port = fe.port;
    // Peers name addresses: hapA is the proxy (it binds pa itself), hapB
    // is unreachable.
    let (pa, pb) = (free_port(), free_port());
    let dir = tests::TempDir::new();
    let admin = dir.path().join("admin.sock");
    let cfg = format!(
        "{}global\n\
         \x20   stats socket {} level admin\n\
         peers mypeers\n\
         \x20   peer hapA 127.0.0.1:{pa}\n\
         \x20   peer hapB 127.0.0.1:{pb}\n\
         \x20   table src_track type ip size 10k expire 1h store http_req_cnt,gpc0\n\
         peers other\n\
         \x20   peer someone 127.0.0.1:1\n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   http-request track-sc0 src table mypeers/src_track\n\
         \x20   http-request return status 200\n",
        http_defaults(),
        admin.display()
    );
    let _px = Proxy::builder(&cfg)
        .listen(&fe)
        .args(["-L", "hapA"])
        .start();
    assert_eq!(get_from(ip(1), port, "/"), 200);
    // The first connection attempt is made at once and refused.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let out = loop {
        let out = cli(&admin, "show peers");
        if out.contains("last_status=CONN") || std::time::Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let lines: Vec<&str> = out.lines().collect();
    assert!(!out.contains("id=other"), "{out}");
    assert!(
        lines[0].starts_with("0x")
            && lines[0].contains(": [")
            && lines[0].contains("] id=mypeers disabled=0 flags=0x"),
        "{out}"
    );
    // Peers last declared first, the local one marked. (HAProxy's
    // session may still be retrying its connect, `active` in state TAR.)
    assert!(
        lines[1].contains(": id=hapB(remote,")
            && lines[1].contains(&format!(
                ") addr=127.0.0.1:{pb} last_status=CONN last_hdshk="
            )),
        "{out}"
    );
    assert!(
        lines[2].starts_with("        reconnect=")
            && !lines[2].starts_with("        reconnect=<NEVER>")
            && lines[2].contains(" heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=1 proto_err=0 coll=0"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            ": id=hapA(local,inactive) addr=127.0.0.1:{pa} last_status=NONE last_hdshk=<NEVER>"
        )),
        "{out}"
    );
    assert!(out.contains("        reconnect=<NEVER> heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=0 proto_err=0 coll=0\n"));
    assert!(out.contains("        shared tables:\n          0x"));
    assert!(out.contains(" local_id=1 remote_id=0 flags=0x0 remote_data=0x0\n              last_acked=0 last_pushed=0 last_get=0 teaching_origin=0 update=0\n              table:0x"));
    let table_line = lines
        .iter()
        .find(|l| l.contains(" id=mypeers/src_track update="))
        .unwrap_or_else(|| panic!("{out}"));
    // One request touches the entry twice (tracked, then counted at the
    // end of the stream): two local updates.
    assert!(table_line.ends_with(" refcnt=1"), "{table_line}");
    assert!(
        table_line.contains(" update=2 localupdate=2 "),
        "{table_line}"
    );
    assert!(out.contains("        Dictionary cache not dumped (use \"show peers dict\")\n"));
    assert!(out.ends_with("\n\n"));
    assert_eq!(cli(&admin, "show peers nope"), "No such peers\n\n");
    let dict = cli(&admin, "show peers dict mypeers");
    assert!(dict.contains("        TX dictionary cache:\n        RX dictionary cache:\n            0 -> -    1 -> -    2 -> -    3 -> -\n"), "{dict}");
    assert!(dict.contains("          124 -> -  125 -> -  126 -> -  127 -> -\n"));
}
