//! `option http-use-proxy-header` against HAProxy 2.6 with the same
//! configuration and client: a request whose target starts with neither
//! `/` nor `*` (an absolute URI, `CONNECT`) is one for a proxy, so
//! `http-request auth` answers 407 with `Proxy-Authenticate` and the
//! `http_auth*` fetches read `Proxy-Authorization` (not `Authorization`);
//! other requests keep 401 and `Authorization`. `Proxy-Connection` does
//! not change the connection's fate (2.6 ignores it, as seen).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::checks::compare;
use tests::http::raw_exchange;
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn config(fe: &BoundPort) -> String {
    format!(
        "defaults\n    mode http\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n\n\
         userlist u\n    user bob insecure-password pw\n\n\
         frontend fe\n    bind {fe}\n    \
         option http-use-proxy-header\n    \
         http-request auth realm R unless {{ http_auth(u) }}\n    \
         http-request return status 200 content-type text/plain \
         lf-string \"ok %[http_auth_user] %[http_auth_type]\"\n"
    )
}

/// `bob:pw` in base64.
const BOB: &str = "Ym9iOnB3";

fn scenario(bin: &Path) -> Vec<String> {
    let fe = BoundPort::new();
    let _px = Proxy::builder(&config(&fe)).bin(bin).listen(&fe).start();
    let cases = [
        ("absolute", "GET http://x/a HTTP/1.1", ""),
        ("origin-form", "GET /a HTTP/1.1", ""),
        ("asterisk", "OPTIONS * HTTP/1.1", ""),
        ("connect", "CONNECT x:80 HTTP/1.1", ""),
        (
            "absolute+proxy-auth",
            "GET http://x/a HTTP/1.1",
            "proxy-authorization: Basic {BOB}\r\n",
        ),
        (
            "absolute+auth",
            "GET http://x/a HTTP/1.1",
            "authorization: Basic {BOB}\r\n",
        ),
        (
            "origin+proxy-auth",
            "GET /a HTTP/1.1",
            "proxy-authorization: Basic {BOB}\r\n",
        ),
        (
            "origin+auth",
            "GET /a HTTP/1.1",
            "authorization: Basic {BOB}\r\n",
        ),
    ];
    let mut t = Vec::new();
    for (name, line, extra) in cases {
        let extra = extra.replace("{BOB}", BOB);
        let req = format!("{line}\r\nhost: x\r\n{extra}connection: close\r\n\r\n");
        let got = raw_exchange(fe.port, req.as_bytes(), T);
        let text = String::from_utf8_lossy(&got).replace("\r\n", " | ");
        t.push(format!("{name}: {text}"));
    }
    // `Proxy-Connection: close` on a request for a proxy: the connection
    // stays open for the next one.
    let one = format!("GET http://x/a HTTP/1.1\r\nhost: x\r\nproxy-authorization: Basic {BOB}\r\nproxy-connection: close\r\n\r\n");
    let two = format!("GET http://x/b HTTP/1.1\r\nhost: x\r\nproxy-authorization: Basic {BOB}\r\nconnection: close\r\n\r\n");
    let got = raw_exchange(fe.port, format!("{one}{two}").as_bytes(), T);
    let answers = String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200")
        .count();
    t.push(format!("proxy-connection close: {answers} answers"));
    t
}

#[test]
fn proxy_authentication_as_haproxy() {
    compare(scenario, |t| {
        let line = |name: &str| {
            t.iter()
                .find(|l| l.starts_with(&format!("{name}: ")))
                .cloned()
                .unwrap_or_default()
        };
        for name in ["absolute", "connect", "absolute+auth"] {
            let l = line(name);
            assert!(l.contains("HTTP/1.1 407 "), "{l}");
            assert!(l.contains("proxy-authenticate: Basic realm=\"R\""), "{l}");
        }
        for name in ["origin-form", "asterisk", "origin+proxy-auth"] {
            let l = line(name);
            assert!(l.contains("HTTP/1.1 401 "), "{l}");
            assert!(l.contains("www-authenticate: Basic realm=\"R\""), "{l}");
        }
        for name in ["absolute+proxy-auth", "origin+auth"] {
            assert!(line(name).contains("ok bob Basic"), "{t:?}");
        }
        assert!(t.contains(&"proxy-connection close: 2 answers".to_string()));
    });
}
