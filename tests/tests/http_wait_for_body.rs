//! `http-request wait-for-body` against HAProxy 2.6 with the same
//! configuration and client: a body already here, one that does not come
//! in time (408), and `at-least` letting a partial body through to the
//! next rules (`req.body`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::checks::compare;
use tests::http::{raw_exchange, status_and_body_line};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn config(all: &BoundPort, least: &BoundPort) -> String {
    let answer =
        "http-request return status 200 content-type text/plain lf-string \"[%[req.body]]\"";
    format!(
        "global\n    log stdout format raw local0\n\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n    log-format \"LOG %ST %tsc %HP\"\n\n\
         frontend all\n    bind {all}\n    \
         http-request wait-for-body time 300ms if {{ method POST }}\n    \
         {answer}\n\n\
         frontend least\n    bind {least}\n    \
         http-request wait-for-body time 300ms at-least 4\n    \
         {answer}\n"
    )
}

fn scenario(bin: &Path) -> Vec<String> {
    let (all, least) = (BoundPort::new(), BoundPort::new());
    let px = Proxy::builder(&config(&all, &least))
        .bin(bin)
        .listen(&all)
        .listen(&least)
        .start();
    let post = |path: &str, len: usize, body: &str| {
        format!("POST {path} HTTP/1.1\r\nhost: h\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n{body}")
    };
    let cases = [
        ("whole", all.port, post("/whole", 5, "hello")),
        ("late", all.port, post("/late", 10, "he")),
        (
            "get",
            all.port,
            "GET /get HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n".to_string(),
        ),
        ("at-least", least.port, post("/least", 10, "hello")),
        ("too-few", least.port, post("/few", 10, "he")),
    ];
    let mut t = Vec::new();
    for (what, port, req) in &cases {
        let got = raw_exchange(*port, req.as_bytes(), T);
        t.push(format!("{what}: {}", status_and_body_line(&got)));
    }
    let mut logs = px.wait_logs(cases.len(), |l| l.starts_with("LOG "), T);
    logs.sort();
    t.extend(logs);
    t
}

#[test]
fn wait_for_body_as_haproxy() {
    compare(scenario, |t| {
        assert!(
            t.iter().any(|l| l == "whole: HTTP/1.1 200 OK [hello]"),
            "{t:?}"
        );
        assert!(t.iter().any(|l| l.starts_with("late: HTTP/1.1 408")));
    });
}
