//! `http-request set-dst`, `set-dst-port` and `set-src-port` against
//! HAProxy 2.6 with the same configuration and client: what later rules
//! and the origin see, which server address a port-less server gets, and
//! the log's addresses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::checks::compare;
use tests::http::{raw_exchange, response, Origin, Reply};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn config(fe: &BoundPort, origin: u16) -> String {
    format!(
        "global\n    log stdout format raw local0\n\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n\n\
         frontend fe\n    bind {fe}\n    \
         log-format \"LOG %HP %cp %fi:%fp %ST\"\n    \
         http-request set-src-port int(1234) if {{ path /srcport }}\n    \
         http-request set-dst ipv4(127.0.0.2) if {{ path /dst }}\n    \
         http-request set-dst-port int({origin})\n    \
         http-request set-header x-seen %[src_port]-%[dst]:%[dst_port]\n    \
         default_backend be\n\n\
         backend be\n    \
         server o 127.0.0.1\n"
    )
}

fn scenario(bin: &Path) -> Vec<String> {
    let origin = Origin::start(|r| {
        let seen = r.head.get("x-seen").unwrap_or("-").to_string();
        Reply::Send(response(200, &[], seen.as_bytes()))
    });
    let fe = BoundPort::new();
    let px = Proxy::builder(&config(&fe, origin.port))
        .bin(bin)
        .listen(&fe)
        .start();
    let hide = |text: &str| {
        text.replace(&origin.port.to_string(), "ORIGIN")
            .replace(&fe.port.to_string(), "FE")
    };
    let mut t = Vec::new();
    for p in ["/plain", "/srcport", "/dst"] {
        let req = format!("GET {p} HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n");
        let got = raw_exchange(fe.port, req.as_bytes(), T);
        let text = hide(&String::from_utf8_lossy(&got));
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        t.push(format!(
            "{p}: {} {}",
            text.lines().next().unwrap_or("none"),
            client_port(body)
        ));
    }
    // Does `set-dst` outlive its request on a kept connection?
    let two = b"GET /dst HTTP/1.1\r\nhost: h\r\n\r\nGET /plain HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n";
    let got = hide(&String::from_utf8_lossy(&raw_exchange(fe.port, two, T)));
    let bodies: Vec<String> = got
        .split("HTTP/1.1 ")
        .filter_map(|r| r.split("\r\n\r\n").nth(1))
        .map(client_port)
        .collect();
    t.push(format!("kept connection: {}", bodies.join(" then ")));
    let mut logs: Vec<String> = px
        .wait_logs(5, |l| l.starts_with("LOG "), T)
        .iter()
        .map(|l| {
            let l = hide(l);
            let mut f: Vec<String> = l.split(' ').map(str::to_string).collect();
            if f.len() > 2 && f[2] != "1234" {
                f[2] = "EPH".into();
            }
            f.join(" ")
        })
        .collect();
    logs.sort();
    t.extend(logs);
    t
}

/// `<src_port>-<dst>` with an ephemeral client port hidden.
fn client_port(body: &str) -> String {
    match body.split_once('-') {
        Some((p, rest)) if p != "1234" => format!("EPH-{rest}"),
        _ => body.to_string(),
    }
}

#[test]
fn address_actions_as_haproxy() {
    compare(scenario, |t| {
        assert!(
            t.iter().any(|l| l.starts_with("/plain: HTTP/1.1 200")),
            "{t:?}"
        );
    });
}
