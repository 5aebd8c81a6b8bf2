//! Error pages against HAProxy 2.6 on the same config and requests:
//! `http-errors` sections imported by `errorfiles` (whole or by status,
//! from `defaults`, in order with `errorfile` and `errorloc`), the
//! `errorfiles` argument of `deny` / `return`, `deny status` versus
//! `deny_status`, `errorloc` / `errorloc303` redirects, and the pages the
//! proxy sends for its own errors (400, 502, 503, 504); each answer
//! compared byte for byte with its log fields. Config mistakes are
//! compared as `-c` reports them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::checks::compare;
use tests::http::{raw_exchange, Origin, Reply};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

/// The pages the sections serve, written once for both runs.
fn pages() -> PathBuf {
    let d = std::env::temp_dir().join(format!("http-errorfiles-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let files: [(&str, &str); 6] = [
        ("503.http", "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nsorry\n"),
        ("404.http", "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnf!\n"),
        // LF line ends, odd blanks and case: sent as HAProxy rewrites them.
        ("403.http", "HTTP/1.1 403 Forbidden\nContent-Type: text/plain\nX-Foo:  bar \nContent-Length: 5\n\nnope\n"),
        ("400.http", "HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\nbad\n"),
        ("502.http", "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 4\r\n\r\ngw!\n"),
        ("504.http", "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 4\r\n\r\nslo\n"),
    ];
    for (name, text) in files {
        std::fs::write(d.join(name), text).unwrap();
    }
    d
}

fn config(fe: &BoundPort, dir: &Path, broken: u16, hang: u16) -> String {
    let p = |f: &str| dir.join(f).display().to_string();
    let be = |name: &str, lines: &str| format!("backend {name}\n{lines}  server s 127.0.0.1:1\n");
    format!(
        "global\n  log stdout format raw local0\n\
         http-errors site\n  errorfile 503 {}\n  errorfile 404 {}\n  errorfile 403 {}\n\
         http-errors gw\n  errorfile 502 {}\n  errorfile 504 {}\n  errorfile 400 {}\n\
         defaults\n  mode http\n  log global\n  option httplog\n  retries 0\n  timeout connect 2s\n  timeout client 5s\n  timeout server 300ms\n  errorfile 503 {}\n\
         frontend fe\n  bind {fe}\n  errorfiles gw 400\n\
         \x20 http-request deny if {{ path /d }}\n\
         \x20 http-request deny errorfiles site if {{ path /d2 }}\n\
         \x20 http-request deny status 404 errorfiles site if {{ path /d3 }}\n\
         \x20 http-request return status 404 errorfiles site if {{ path /r }}\n\
         \x20 http-request deny deny_status 400 errorfiles site if {{ path /d4 }}\n\
         \x20 http-request deny status 503 if {{ path /d5 }}\n\
         \x20 http-request deny deny_status 503 if {{ path /d6 }}\n\
         \x20 http-request return status 503 default-errorfiles if {{ path /r1 }}\n\
         {}\
         \x20 use_backend broken if {{ path /broken }}\n\
         \x20 use_backend hang if {{ path /hang }}\n\
         \x20 default_backend b0\n\
         {}{}{}{}{}{}{}{}{}\
         backend broken\n  errorfiles gw\n  server s 127.0.0.1:{broken}\n\
         backend hang\n  errorfiles gw\n  server s 127.0.0.1:{hang}\n",
        p("503.http"),
        p("404.http"),
        p("403.http"),
        p("502.http"),
        p("504.http"),
        p("400.http"),
        p("403.http"),
        (1..=8)
            .map(|i| format!("  use_backend b{i} if {{ path /b{i} }}\n"))
            .collect::<String>(),
        be("b0", ""),
        be("b1", "  errorfiles site\n"),
        be("b2", &format!("  errorfile 503 {}\n  errorfiles site\n", p("404.http"))),
        be("b3", &format!("  errorfiles site\n  errorfile 503 {}\n", p("404.http"))),
        be("b4", "  errorfiles site\n  errorloc 503 /loc\n"),
        be("b5", "  errorloc 503 /loc\n  errorfiles site\n"),
        be("b6", "  errorloc303 503 http://example.com/down\n"),
        be("b7", "  errorfiles site 404 403\n"),
        be("b8", "  errorloc302 503 /x?y=1\n"),
    )
}

/// The answer's bytes escaped to one line, then the log's status,
/// termination state and byte count.
fn probe(px: &Proxy, port: u16, n: usize, req: &str) -> String {
    // Under load a log line now and then never shows (on either side):
    // the request is then made once more, under another marker.
    for attempt in [n, n + 1000] {
        let marker = format!("?n={attempt}");
        let req = req.replacen(" HTTP/1.1", &format!("{marker} HTTP/1.1"), 1);
        let got = raw_exchange(port, req.as_bytes(), T);
        // A request HAProxy cannot parse is logged as `<BADREQ>`.
        let key = if req.contains("bad header") {
            "<BADREQ>".to_string()
        } else {
            format!("{marker} ")
        };
        let Some(line) = px.wait_log(|l| l.contains(&key), T) else {
            continue;
        };
        return tests::httplog::answer_and_log(&got, &line);
    }
    panic!("no log for {req:?}: {:?}", px.logs())
}

#[test]
fn error_pages_as_haproxy() {
    let dir = pages();
    // A server answering garbage (502) and one never answering (504).
    let broken = Origin::start(|_| Reply::SendClose(b"garbage\r\n\r\n".to_vec()));
    let hang = Origin::start(|_| Reply::Hang);
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let mut cases: Vec<(String, String)> = [
        "/d", "/d2", "/d3", "/r", "/d4", "/d5", "/d6", "/r1", "/b0", "/b1", "/b2", "/b3", "/b4",
        "/b5", "/b6", "/b7", "/b8", "/broken", "/hang",
    ]
    .iter()
    .map(|p| (p.to_string(), get(p)))
    .collect();
    cases.push((
        "bad request".into(),
        "GET /bad HTTP/1.1\r\nHost: t\r\nbad header\r\nConnection: close\r\n\r\n".into(),
    ));
    compare(
        |bin| {
            let fe = BoundPort::new();
            let px = Proxy::builder(&config(&fe, &dir, broken.port, hang.port))
                .bin(bin)
                .listen(&fe)
                .start();
            cases
                .iter()
                .enumerate()
                .map(|(n, (what, req))| format!("{what}: {}", probe(&px, fe.port, n, req)))
                .collect()
        },
        |t| {
            let line = |what: &str| {
                let key = format!("{what}: ");
                t.iter().find(|l| l.starts_with(&key)).unwrap().clone()
            };
            assert!(line("/d2").contains("x-foo: bar\\r\\n"), "{t:?}");
            assert!(line("/b1").contains("sorry"), "{t:?}");
            assert!(line("/b3").contains("nf!"), "{t:?}");
            assert!(line("/b4").contains("location: /loc"), "{t:?}");
            assert!(line("/broken").contains("gw!"), "{t:?}");
            assert!(line("/hang").contains("slo"), "{t:?}");
        },
    );
}

/// `-c` refuses bad error-page lines with HAProxy 2.6's words, on both.
#[test]
fn error_page_config_errors() {
    let dir = pages();
    let page = dir.join("503.http").display().to_string();
    let d = "defaults\n mode http\n timeout client 1s\n timeout server 1s\n timeout connect 1s\n";
    let cases = [
        ("http-errors\n".to_string(), "missing name for http-errors section."),
        ("http-errors s\n errorfile 503\n".into(), "errorfile: expects <status_code> and <file> as arguments."),
        (format!("http-errors s\n errorfile 999 {page}\n"), "errorfile : status code '999' not handled."),
        ("http-errors s\n errorfile 503 /nonexistent\n".into(), "errorfile : error opening file '/nonexistent'."),
        ("http-errors s\n frob\n".into(), "unknown keyword 'frob' in 'http-errors' section"),
        ("http-errors s\nhttp-errors s\n".into(), "http-errors section 's' already exists (declared at "),
        (format!("{d}frontend f\n bind 127.0.0.1:1\n errorfiles nope\n"), "proxy 'f': unknown http-errors section 'nope' (at "),
        (format!("{d}frontend f\n bind 127.0.0.1:1\n errorfiles\n"), "errorfiles : expects <name> as argument."),
        (format!("http-errors s\n errorfile 503 {page}\n{d}frontend f\n bind 127.0.0.1:1\n errorfiles s 999\n"), "errorfiles : status code '999' not handled."),
        (format!("{d}frontend f\n bind 127.0.0.1:1\n http-request deny errorfiles nope\n"), "Proxy 'f': unknown http-errors section 'nope' referenced by an http reply ."),
        (format!("{d}frontend f\n bind 127.0.0.1:1\n errorloc 503\n"), "errorloc : expects <status_code> and <url> as arguments."),
        (format!("{d}frontend f\n bind 127.0.0.1:1\n errorloc303 999 /x\n"), "errorloc303 : status code '999' not handled."),
    ];
    let path = dir.join("bad.cfg");
    for (cfg, want) in &cases {
        std::fs::write(&path, cfg).unwrap();
        for bin in [tests::proxy_bin(), "/usr/sbin/haproxy".into()] {
            if !bin.exists() {
                continue;
            }
            let out = std::process::Command::new(&bin)
                .args(["-c", "-f", path.to_str().unwrap()])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout);
            assert!(!out.status.success(), "{}: {cfg}: {text}", bin.display());
            assert!(text.contains(want), "{}: {cfg}: {text}", bin.display());
        }
    }
}

/// `http-request tarpit`: the refusal (500, `deny_status`, a payload, an
/// `errorfiles` page) comes after `timeout tarpit`, or the backend side's
/// `timeout connect` without it, and is logged `PT` with the wait as `Tw`.
#[test]
fn tarpit_as_haproxy() {
    let dir = pages();
    let cfg = |fe: &BoundPort, ls: &BoundPort| {
        format!(
            "global\n  log stdout format raw local0\n\
             http-errors site\n  errorfile 403 {}\n\
             defaults\n  mode http\n  log global\n  option httplog\n  timeout connect 300ms\n  timeout client 5s\n  timeout server 5s\n\
             frontend fe\n  bind {fe}\n  timeout tarpit 200ms\n\
             \x20 http-request tarpit deny_status 403 if {{ path /t2 }}\n\
             \x20 http-request tarpit status 429 content-type text/plain string slow if {{ path /t3 }}\n\
             \x20 http-request tarpit deny_status 403 errorfiles site if {{ path /t4 }}\n\
             \x20 http-request tarpit\n\
             listen ls\n  bind {ls}\n  http-request tarpit\n",
            dir.join("403.http").display()
        )
    };
    compare(
        |bin| {
            let (fe, ls) = (BoundPort::new(), BoundPort::new());
            let px = Proxy::builder(&cfg(&fe, &ls))
                .bin(bin)
                .listen(&fe)
                .listen(&ls)
                .start();
            let mut t = Vec::new();
            for (n, (port, path, wait)) in [
                (fe.port, "/t", 200i64),
                (fe.port, "/t2", 200),
                (fe.port, "/t3", 200),
                (fe.port, "/t4", 200),
                (ls.port, "/l", 300),
            ]
            .into_iter()
            .enumerate()
            {
                let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                let start = std::time::Instant::now();
                let got = probe(&px, port, n, &req);
                let waited = start.elapsed() >= Duration::from_millis(wait as u64 - 20);
                let tw = px
                    .logs()
                    .iter()
                    .rev()
                    .find(|l| l.contains(&format!("{path}?n=")))
                    .map(|l| tests::httplog::parse(l).unwrap())
                    .map(|l| (l.t_request, l.t_queue >= wait - 20));
                t.push(format!(
                    "{path}: {got} | waited {waited} | Tq, Tw>=wait: {tw:?}"
                ));
            }
            t
        },
        |t| {
            assert!(
                t[0].contains("500 PT--") && t[0].contains("waited true"),
                "{t:?}"
            );
            assert!(t[3].contains("x-foo: bar"), "{t:?}");
            assert!(t[4].contains("waited true"), "{t:?}");
        },
    );
}

/// `http-response deny` answers what its rule asks for: the 502 page by
/// default, the page of `deny_status`, a payload with its headers, an
/// errorfile or an `errorfiles` section's page; compared with HAProxy
/// byte for byte with the log's status and termination state.
#[test]
fn response_deny_replies_as_haproxy() {
    let dir = pages();
    let origin = Origin::start(|_| Reply::ok(b"hello"));
    let p = |f: &str| dir.join(f).display().to_string();
    let cfg = |fe: &BoundPort| {
        format!(
            "global\n  log stdout format raw local0\n\
             http-errors site\n  errorfile 403 {}\n\
             defaults\n  mode http\n  log global\n  option httplog\n  timeout connect 2s\n  timeout client 5s\n  timeout server 2s\n\
             frontend fe\n  bind {fe}\n  http-request set-var(txn.p) path\n  default_backend be\n\
             backend be\n  errorfile 502 {}\n\
             \x20 http-response deny if {{ var(txn.p) -m str /d }}\n\
             \x20 http-response deny deny_status 403 if {{ var(txn.p) -m str /d403 }}\n\
             \x20 http-response deny status 418 content-type text/plain string nope hdr x-why %[var(txn.p)] if {{ var(txn.p) -m str /s }}\n\
             \x20 http-response deny deny_status 403 errorfiles site if {{ var(txn.p) -m str /ef }}\n\
             \x20 http-response deny errorfile {} if {{ var(txn.p) -m str /f }}\n\
             \x20 server s 127.0.0.1:{}\n",
            p("403.http"),
            p("502.http"),
            p("404.http"),
            origin.port
        )
    };
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let paths = ["/d", "/d403", "/s", "/ef", "/f", "/ok"];
    compare(
        |bin| {
            let fe = BoundPort::new();
            let px = Proxy::builder(&cfg(&fe)).bin(bin).listen(&fe).start();
            paths
                .iter()
                .enumerate()
                .map(|(n, path)| {
                    // `%B` left out: 2.6 adds the refused server response
                    // to it (a difference the README lists).
                    let line = probe(&px, fe.port, n, &get(path));
                    let cut = line.rsplit_once(' ').map_or(line.as_str(), |(l, _)| l);
                    format!("{path}: {cut}")
                })
                .collect()
        },
        |t| {
            assert!(t[0].contains("gw!"), "{t:?}");
            assert!(t[2].contains("418") && t[2].contains("nope"), "{t:?}");
            assert!(t[5].contains("hello"), "{t:?}");
        },
    );
}
