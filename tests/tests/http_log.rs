//! The httplog line (`option httplog`, 2.6 layout), checked field by field
//! with the strict parser, `%B` against the bytes the client received, and
//! line against line with HAProxy 2.6 running the same scenarios (when
//! `/usr/sbin/haproxy` is installed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::http::{http_defaults, response, Client, Origin, Reply};
use tests::httplog::{logs_for, HttpLog};
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);
const HAPROXY: &str = "/usr/sbin/haproxy";

/// What one scenario produced: the log lines of its connection and the
/// raw bytes of each response the client received.
#[derive(Debug)]
struct Outcome {
    name: &'static str,
    logs: Vec<HttpLog>,
    received: Vec<usize>,
}

fn origin() -> Origin {
    Origin::start(|r| match r.head.target() {
        "/missing" => Reply::Send(response(404, &["server: tiny"], b"no such thing")),
        "/garbage" => Reply::Send(b"garbage\r\n\r\n".to_vec()),
        _ => Reply::Send(response(200, &["server: tiny"], b"hello world")),
    })
}

/// Runs every scenario against `bin` (`None`: the binary under test).
fn run_all(bin: Option<&Path>) -> Vec<Outcome> {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n    bind {fe}\n    capture request header Host len 20\n    capture response header Server len 10\n    http-request deny if {{ path /deny }}\n    http-request return status 200 content-type text/plain string ok if {{ path /ret }}\n    use_backend empty if {{ path /empty }}\n    default_backend be\n\nbackend be\n    server o1 127.0.0.1:{}\n\nbackend empty\n",
        http_defaults(),
        o.port
    );
    let mut b = Proxy::builder(&cfg).listen(&fe);
    if let Some(p) = bin {
        b = b.bin(p);
    }
    let px = b.start();
    let mut out = Vec::new();
    let mut simple = |name: &'static str, reqs: &[&str]| {
        let mut c = Client::connect(port);
        let mut received = Vec::new();
        for path in reqs {
            c.send(format!("GET {path} HTTP/1.1\r\nhost: example.org\r\n\r\n").as_bytes());
            received.push(c.read_response(false).raw.len());
        }
        let port = c.port();
        drop(c);
        let logs = logs_for(&px, port, reqs.len(), T);
        out.push(Outcome {
            name,
            logs,
            received,
        });
    };
    simple("200 then 404 on one connection", &["/a?x=1", "/missing"]);
    simple("deny", &["/deny"]);
    simple("return", &["/ret"]);
    simple("no server", &["/empty"]);
    simple("garbage response", &["/garbage"]);
    // A bad request.
    let mut c = Client::connect(port);
    c.send(b"GET / HTTP/1.1\r\nhost: a\r\nbad header\r\n\r\n");
    c.wait_closed(T);
    let received = vec![c.pending().len()];
    let port_bad = c.port();
    drop(c);
    out.push(Outcome {
        name: "bad request",
        logs: logs_for(&px, port_bad, 1, T),
        received,
    });
    out
}

/// Status, termination state and `backend/server` of one line.
type Expected = (i32, &'static str, &'static str);

/// Checks each line on its own: shapes and values that do not depend on
/// the implementation.
fn check_lines(outs: &[Outcome], exact_bytes: bool) {
    let expect: &[(&str, &[Expected])] = &[
        (
            "200 then 404 on one connection",
            &[(200, "----", "be/o1"), (404, "----", "be/o1")],
        ),
        ("deny", &[(403, "PR--", "fe/<NOSRV>")]),
        ("return", &[(200, "LR--", "fe/<NOSRV>")]),
        ("no server", &[(503, "SC--", "empty/<NOSRV>")]),
        ("garbage response", &[(502, "PH--", "be/o1")]),
        ("bad request", &[(400, "PR--", "fe/<NOSRV>")]),
    ];
    for (o, (name, want)) in outs.iter().zip(expect) {
        assert_eq!(o.name, *name);
        for ((l, (status, term, route)), got) in o.logs.iter().zip(*want).zip(&o.received) {
            assert_eq!(l.status, *status, "{name}: {l}");
            assert_eq!(l.term, *term, "{name}: {l}");
            assert_eq!(format!("{}/{}", l.backend, l.server), *route, "{name}: {l}");
            assert_eq!(l.frontend, "fe", "{l}");
            assert_eq!(l.client_ip, "127.0.0.1", "{l}");
            assert_eq!(
                (l.req_cookie.as_str(), l.res_cookie.as_str()),
                ("-", "-"),
                "{l}"
            );
            assert_eq!((l.srv_queue, l.be_queue, l.retries), (0, 0, 0), "{l}");
            assert!(l.t_active >= 0 && l.t_active < 2000, "{l}");
            if *name == "bad request" {
                assert_eq!(l.request, "<BADREQ>", "{l}");
                assert_eq!(l.bytes, 0, "{l}");
                assert_eq!(l.req_captures, None, "{l}");
                continue;
            }
            assert!(l.request.starts_with("GET /"), "{l}");
            assert_eq!(l.req_captures, Some(vec!["example.org".to_string()]), "{l}");
            let server_hdr = if l.server == "o1" && l.status != 502 {
                "tiny"
            } else {
                ""
            };
            assert_eq!(l.res_captures, Some(vec![server_hdr.to_string()]), "{l}");
            if exact_bytes && !PAGE_SCENARIOS.contains(name) {
                assert_eq!(l.bytes, *got as u64, "%B vs bytes received: {l}");
            } else {
                // HAProxy counts the response in its internal form.
                assert!(l.bytes.abs_diff(*got as u64) < 40, "%B {got}: {l}");
            }
        }
    }
    let first = &outs[0].logs[0];
    assert_eq!(first.request, "GET /a?x=1 HTTP/1.1");
    assert!(
        first.t_request >= 0 && first.t_connect >= 0 && first.t_response >= 0,
        "{first}"
    );
}

/// Scenarios answered with a message of the proxy's own: `%B` is the page's
/// size as HAProxy counts it, not the bytes on the wire, and must equal
/// HAProxy's.
const PAGE_SCENARIOS: &[&str] = &[
    "deny",
    "return",
    "no server",
    "garbage response",
    "bad request",
];

/// Which timers were reached (`-1` or not), per line.
fn reached(l: &HttpLog) -> [bool; 4] {
    [l.t_request, l.t_queue, l.t_connect, l.t_response].map(|t| t >= 0)
}

#[test]
fn httplog_lines_are_well_formed() {
    let outs = run_all(None);
    check_lines(&outs, !is_haproxy());
}

/// The same scenarios under HAProxy 2.6: every line must match ours in all
/// fields but times, dates, ports and byte counts.
#[test]
fn httplog_lines_match_haproxy() {
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed (or already under test): skipped");
        return;
    }
    let ours = run_all(None);
    let theirs = run_all(Some(&PathBuf::from(HAPROXY)));
    check_lines(&theirs, false);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.logs.len(), b.logs.len(), "{}", a.name);
        for (x, y) in a.logs.iter().zip(&b.logs) {
            let ctx = format!("{}:\n ours:    {x}\n haproxy: {y}", a.name);
            assert_eq!(x.frontend, y.frontend, "{ctx}");
            assert_eq!((&x.backend, &x.server), (&y.backend, &y.server), "{ctx}");
            assert_eq!(reached(x), reached(y), "timers reached: {ctx}");
            assert_eq!(x.status, y.status, "{ctx}");
            assert_eq!(x.term, y.term, "{ctx}");
            // %ac/%fc may still count the previous scenario's connection
            // (closed by the client, not yet seen closed by the proxy).
            assert!(x.actconn >= 1 && x.feconn >= 1 && y.actconn >= 1, "{ctx}");
            assert_eq!(
                (x.beconn, x.srvconn, x.retries),
                (y.beconn, y.srvconn, y.retries),
                "counters: {ctx}"
            );
            assert_eq!(
                (x.srv_queue, x.be_queue),
                (y.srv_queue, y.be_queue),
                "{ctx}"
            );
            assert_eq!(x.req_captures, y.req_captures, "{ctx}");
            assert_eq!(x.res_captures, y.res_captures, "{ctx}");
            assert_eq!(x.request, y.request, "{ctx}");
            if PAGE_SCENARIOS.contains(&a.name) {
                assert_eq!(x.bytes, y.bytes, "%B of an error page: {ctx}");
            }
        }
    }
}
