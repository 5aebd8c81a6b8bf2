//! Stick-table configuration: a valid file with tables, rules and a peers
//! section passes `-c`; unknown tables, unknown peers sections and bad
//! `stick-table` / `stick` / `track-sc` lines are errors at `file:line`
//! naming the keyword, and make `-c` exit with 1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tests::{is_haproxy, run_proxy, TempDir};

const HEAD: &str = "global\n    log stdout format raw local0\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\n";

/// Runs `-c -f <file>`: exit code and stderr.
fn check(cfg: &str) -> (Option<i32>, String, String) {
    let dir = TempDir::new();
    let path = dir.write("t.cfg", cfg);
    let p = path.to_string_lossy().into_owned();
    let out = run_proxy(&["-c", "-f", &p], &[]);
    (out.code, out.stderr + &out.stdout, p)
}

/// `-c` rejects `body` with exactly this message at `line` (a 1-based line
/// of `body`).
fn rejected(body: &str, line: usize, msg: &str) {
    let cfg = format!("{HEAD}{body}");
    let (code, out, path) = check(&cfg);
    assert_eq!(code, Some(1), "{out}");
    if is_haproxy() {
        return;
    }
    let at = HEAD.lines().count() + line;
    let want = format!("parsing [{path}:{at}] : {msg}");
    assert!(out.contains(&want), "missing {want:?} in:\n{out}");
}

#[test]
fn a_complete_configuration_is_valid() {
    let cfg = format!(
        "{HEAD}peers mypeers\n    peer hapA 127.0.0.1:39401\n    peer hapB 127.0.0.1:39402\n    table src_track type ip size 10k expire 1h store http_req_cnt,gpc0\n\n\
         frontend fe\n    bind 127.0.0.1:1\n    stick-table type ip size 200k expire 30s store conn_cnt,conn_cur,conn_rate(10s),http_req_rate(10s),gpc0,gpc1,gpt0,bytes_in_cnt,bytes_out_rate(1m)\n\
         \x20   tcp-request connection track-sc1 src\n    tcp-request connection reject if {{ sc1_conn_cur gt 100 }}\n\
         \x20   tcp-request content track-sc2 src table mypeers/src_track\n\
         \x20   http-request track-sc0 src\n    http-request sc-inc-gpc0(0) if {{ path /login }}\n    http-request sc-inc-gpc1(1)\n    http-request sc-set-gpt0(0) 1 if {{ src_get_gpc0 gt 10 }}\n\
         \x20   acl abuse sc0_http_req_rate gt 100\n    acl known src,in_table(be)\n    http-request deny deny_status 429 if abuse !known\n\
         \x20   http-request deny if {{ table_avl lt 10 }} || {{ src_conn_rate(fe) gt 50 }} || {{ sc_get_gpc0(0) gt 3 }}\n\
         \x20   default_backend be\n\n\
         backend be\n    balance roundrobin\n    stick-table type ipv6 size 1m expire 1h peers mypeers srvkey addr\n    stick match src\n    stick store-request src\n\
         \x20   stick on req.hdr(x-id) table mypeers/src_track if {{ req.hdr(x-id) -m found }}\n    server s1 127.0.0.1:2\n    server s2 127.0.0.1:3\n"
    );
    let (code, out, _) = check(&cfg);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Configuration file is valid"), "{out}");
}

#[test]
fn unknown_tables_and_peers_sections() {
    rejected(
        "backend be\n    stick-table type ip size 1k\n    stick on src table foo\n    server s 127.0.0.1:1\n",
        3,
        "Proxy 'be': unable to find stick-table 'foo'.",
    );
    rejected(
        "backend be\n    stick on src\n    server s 127.0.0.1:1\n",
        2,
        "Proxy 'be': unable to find stick-table 'be'.",
    );
    rejected(
        "frontend fe\n    bind 127.0.0.1:1\n    http-request track-sc1 src table nope\n",
        3,
        "Proxy 'fe': unable to find table 'nope' referenced by track-sc1.",
    );
    rejected(
        "frontend fe\n    bind 127.0.0.1:1\n    tcp-request connection track-sc0 src\n",
        3,
        "Proxy 'fe': unable to find table 'fe' referenced by track-sc0.",
    );
    rejected(
        "backend be\n    stick-table type ip size 1k peers nowhere\n",
        2,
        "Proxy 'be': unable to find sync peers 'nowhere'.",
    );
    rejected(
        "frontend fe\n    bind 127.0.0.1:1\n    http-request deny if { src_conn_rate(t2) gt 1 }\n",
        3,
        "unable to find table 't2' referenced in arg 1 of ACL keyword 'src_conn_rate' in proxy 'fe'.",
    );
}

#[test]
fn bad_lines_name_their_keyword() {
    rejected(
        "backend be\n    stick-table type ip\n",
        2,
        "stick-table: missing size.",
    );
    rejected(
        "backend be\n    stick-table type bogus size 1\n",
        2,
        "stick-table: unknown type 'bogus'.",
    );
    rejected(
        "backend be\n    stick-table type ip size 1 store nope\n",
        2,
        "stick-table: unknown store option 'nope'.",
    );
    rejected(
        "backend be\n    stick-table type ip size 1 expire 2x\n",
        2,
        "stick-table: unexpected character 'x' in argument of 'expire'.",
    );
    rejected(
        "defaults\n    stick-table type ip size 1\n",
        2,
        "'stick-table' is not supported in 'defaults' section.",
    );
    rejected(
        "backend be\n    stick-table type ip size 1\n    stick-table type ip size 2\n",
        3,
        "stick-table name 'be' conflicts with table declared in backend 'be' at ",
    );
    rejected(
        "backend be\n    stick-table type ip size 1\n    stick with src\n",
        3,
        "'stick' expects 'on', 'match', or 'store'.",
    );
    rejected(
        "backend be\n    stick-table type ip size 1\n    stick on\n",
        3,
        "'stick' expects a fetch method.",
    );
    rejected(
        "frontend fe\n    bind 127.0.0.1:1\n    stick-table type ip size 1\n    http-request track-sc5 src\n",
        4,
        "error detected in frontend 'fe' while parsing 'http-request track-sc5' rule : 5 track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value",
    );
    rejected(
        "frontend fe\n    bind 127.0.0.1:1\n    stick-table type ip size 1\n    http-request sc-inc-gpc0(9)\n",
        4,
        "error detected in frontend 'fe' while parsing 'http-request sc-inc-gpc0(9)' rule : invalid stick table track ID 'sc-inc-gpc0(9)'. The max allowed ID is 2",
    );
    rejected(
        "peers p\n    peer a 127.0.0.1:1\n    bind 127.0.0.1:2\n",
        3,
        "mixing \"peer\" and \"bind\" line is forbidden",
    );
    rejected("peers p\n    table t type ip\n", 2, "table: missing size.");
    rejected(
        "peers p\n    frobnicate\n",
        2,
        "unknown keyword 'frobnicate' in 'peers' section",
    );
}
