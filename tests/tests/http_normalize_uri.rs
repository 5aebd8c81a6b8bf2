//! `http-request normalize-uri` against HAProxy 2.6 with the same
//! configuration and client: the target later rules and the origin see
//! after a chain of normalizers, the 400 of a `strict` one, and the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::checks::compare;
use tests::http::{raw_exchange, status_and_body_line};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn config(chain: &BoundPort, strict: &BoundPort) -> String {
    let answer =
        "http-request return status 200 content-type text/plain lf-string \"%[url] %[path]\"";
    format!(
        "global\n    expose-experimental-directives\n    log stdout format raw local0\n\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n    log-format \"LOG %ST %tsc %{{+Q}}r\"\n\n\
         frontend chain\n    bind {chain}\n    \
         http-request normalize-uri path-merge-slashes\n    \
         http-request normalize-uri path-strip-dot\n    \
         http-request normalize-uri path-strip-dotdot\n    \
         http-request normalize-uri percent-decode-unreserved\n    \
         http-request normalize-uri percent-to-uppercase\n    \
         http-request normalize-uri query-sort-by-name\n    \
         {answer}\n\n\
         frontend strict\n    bind {strict}\n    \
         http-request normalize-uri percent-decode-unreserved strict\n    \
         http-request normalize-uri path-strip-dotdot full\n    \
         {answer}\n"
    )
}

fn scenario(bin: &Path) -> Vec<String> {
    let (chain, strict) = (BoundPort::new(), BoundPort::new());
    let px = Proxy::builder(&config(&chain, &strict))
        .bin(bin)
        .listen(&chain)
        .listen(&strict)
        .start();
    let cases = [
        (chain.port, "//a/./b/../c%7e%2f%41?z=1&a=%6f"),
        (chain.port, "/x//y/./..?b&a"),
        (chain.port, "http://h//p/../q?y&x"),
        (strict.port, "/../%41b"),
        (strict.port, "/a%zz"),
    ];
    let mut t = Vec::new();
    for (port, uri) in cases {
        let req = format!("GET {uri} HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n");
        let got = raw_exchange(port, req.as_bytes(), T);
        t.push(format!("{uri}: {}", status_and_body_line(&got)));
    }
    let mut logs = px.wait_logs(cases.len(), |l| l.starts_with("LOG "), T);
    logs.sort();
    t.extend(logs);
    t
}

#[test]
fn normalize_uri_as_haproxy() {
    compare(scenario, |t| {
        assert!(
            t.iter()
                .any(|l| l.ends_with("200 OK /a/c~%2FA?a=o&z=1 /a/c~%2FA")),
            "{t:?}"
        );
        assert!(t.iter().any(|l| l.starts_with("/a%zz: HTTP/1.1 400")));
    });
}
