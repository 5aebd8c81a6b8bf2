//! `http-request reject`, `tarpit` (with `timeout tarpit`),
//! `set-log-level`, `set-timeout` and `early-hint` against HAProxy 2.6 with the same
//! configuration and client: what the client gets, when, and the log
//! line (termination state, timers, severity).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use tests::checks::compare;
use tests::http::{raw_exchange, response, Origin, Reply};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn config(fe: &BoundPort, origin: u16) -> String {
    format!(
        "global\n    log stdout format rfc3164 local0\n\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n    timeout tarpit 300ms\n\n\
         frontend fe\n    bind {fe}\n    \
         log-format \"LOG %ST %HP %tsc %TR/%Tw %b\"\n    \
         http-request reject if {{ path /rej }}\n    \
         http-request tarpit if {{ path /tar }}\n    \
         http-request tarpit deny_status 429 if {{ path /tar429 }}\n    \
         http-request set-log-level silent if {{ path /silent }}\n    \
         http-request set-log-level err if {{ path /err }}\n    \
         http-request early-hint link \"</a.css>; rel=preload\" if {{ path /hint }}\n    \
         http-request early-hint link \"</b.js>; rel=preload\" if {{ path /hint }}\n    \
         http-request set-var(txn.x) str(1)\n    \
         http-request early-hint x-path %[path] if {{ path /hint }}\n    \
         use_backend slow if {{ path_beg /slow }}\n    \
         default_backend be\n\n\
         backend be\n    \
         http-request tarpit deny_status 403 if {{ path /betar }}\n    \
         timeout tarpit 100ms\n    \
         server o 127.0.0.1:{origin}\n\n\
         backend slow\n    \
         http-request set-timeout server 200ms if {{ path /slow/short }}\n    \
         server o 127.0.0.1:{origin}\n"
    )
}

/// The status line of an answer (`none` when the connection closed
/// without one) and how long it took, in tenths of a second, in coarse
/// classes (a loaded machine only adds delays).
fn answer(port: u16, path: &str) -> String {
    let start = Instant::now();
    let req = format!("GET {path} HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n");
    let got = raw_exchange(port, req.as_bytes(), T);
    let text = String::from_utf8_lossy(&got);
    let line = text.lines().next().unwrap_or("none").to_string();
    let tenths = match start.elapsed().as_millis() / 100 {
        0 => "0",
        1..=2 => "1-2",
        3..=5 => "3-5",
        _ => "6+",
    };
    format!("{path}: {line} after {tenths}/10 s")
}

/// A log line with its syslog header reduced to the priority, and `%Tw`
/// rounded to tenths of a second (a timer).
fn norm(line: &str) -> String {
    let pri = line.split('>').next().unwrap_or("");
    let body = line.split_once("LOG ").map_or(line, |(_, b)| b);
    let fields: Vec<String> = body
        .split(' ')
        .map(|f| match f.split_once('/') {
            Some((tr, tw)) if tw.parse::<i64>().is_ok() => {
                let tw: i64 = tw.parse().unwrap_or(0);
                if tw < 0 {
                    format!("{tr}/-1")
                } else {
                    format!("{tr}/{}00ms", tw / 100)
                }
            }
            _ => f.to_string(),
        })
        .collect();
    format!("{pri}> {}", fields.join(" "))
}

fn scenario(bin: &Path) -> Vec<String> {
    let origin = Origin::start(|r| {
        let wait = if r.head.target().starts_with("/slow") {
            Duration::from_millis(600)
        } else {
            Duration::ZERO
        };
        Reply::After(wait, Box::new(Reply::Send(response(200, &[], b"ok"))))
    });
    let fe = BoundPort::new();
    let px = Proxy::builder(&config(&fe, origin.port))
        .bin(bin)
        .listen(&fe)
        .start();
    let paths = [
        "/rej",
        "/tar",
        "/tar429",
        "/betar",
        "/silent",
        "/err",
        "/ok",
        "/slow/short",
        "/slow/long",
    ];
    let mut t: Vec<String> = paths.iter().map(|p| answer(fe.port, p)).collect();
    // `early-hint`: 103 answers before the response, for HTTP/1.1 only.
    for v in ["1.1", "1.0"] {
        let req = format!("GET /hint HTTP/{v}\r\nhost: h\r\nconnection: close\r\n\r\n");
        let got = raw_exchange(fe.port, req.as_bytes(), T);
        let text = String::from_utf8_lossy(&got).replace("\r\n", " | ");
        t.push(format!(
            "hint {v}: {}",
            text.split("content-length").next().unwrap_or("")
        ));
    }
    // Every request but the silent one is logged.
    let mut logs: Vec<String> = px
        .wait_logs(paths.len() + 1, |l| l.contains("LOG "), T)
        .iter()
        .map(|l| norm(l))
        .collect();
    logs.sort();
    t.extend(logs);
    t
}

#[test]
fn flow_actions_as_haproxy() {
    compare(scenario, |t| {
        assert!(t.iter().any(|l| l == "/rej: none after 0/10 s"), "{t:?}");
        assert!(t
            .iter()
            .any(|l| l.starts_with("/tar: HTTP/1.1 500 ") && l.ends_with("after 3-5/10 s")));
        assert!(t.iter().any(|l| l.starts_with("/slow/short: HTTP/1.1 504")));
        assert!(!t.iter().any(|l| l.contains(" /silent ")));
    });
}
