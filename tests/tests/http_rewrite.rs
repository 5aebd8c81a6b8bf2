//! Request and response rewriting actions (`set-path`, `set-query`,
//! `set-uri`, `set-method`, `replace-*`, `set-status`) against HAProxy 2.6
//! with the same configuration and client: what the origin received, what
//! the client got, and the log fields (`%r`/`%HP`/... keep the request as
//! received, `%ST` the status as sent; `capture` rules fill `%hr` and
//! `capture.req.hdr`). Later rules and `use_backend` see what earlier
//! rules rewrote.
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
         log-format \"LOG %ST %HM %HP %HQ %HU %b %hr %{{+Q}}r\"\n    \
         capture request header host len 10\n    \
         declare capture request len 4\n    \
         http-request capture req.hdr(x-cap) len 5\n    \
         http-request capture path id 1\n    \
         http-request set-path /api/v1%[path] if {{ path_beg /old }}\n    \
         http-request set-header x-seen-path %[path]\n    \
         http-request replace-path ^/api/v1/(.*) /api/v2/\\1\n    \
         http-request set-query %[query]&added=1 if {{ path /q }}\n    \
         http-request set-method POST if {{ path_end /post }}\n    \
         http-request set-uri /fixed%[path] if {{ hdr(x-fixed) -m found }}\n    \
         http-request set-uri http://other.example:8080/abs%[path] if {{ hdr(x-abs) -m found }}\n    \
         http-request set-pathq /pq?z=9 if {{ path /pathq }}\n    \
         http-request replace-uri ^(.*)/dup$ \\1/undup\n    \
         http-request replace-pathq ^/rp\\?(.*)$ /rp2?\\1&more\n    \
         http-request replace-header x-h ^(.*)-old$ \\1-new\n    \
         http-request replace-value x-list ^b$ B\n    \
         http-request set-header x-after %[method]-%[url]\n    \
         http-request del-header x-after if {{ path_beg /api/v2/nodel }}\n    \
         use_backend be_api if {{ path_beg /api }}\n    \
         default_backend be_web\n\n\
         backend be_api\n    \
         http-request set-header x-cap2 %[capture.req.hdr(2)]\n    \
         http-response set-status 203 reason Rewritten if {{ status 200 }}\n    \
         http-response set-header x-status %[status]\n    \
         http-response replace-header x-origin ^(.*)$ api-\\1\n    \
         http-response replace-value x-vals ^two$ TWO\n    \
         server a 127.0.0.1:{origin}\n\n\
         backend be_web\n    \
         http-response set-status 299\n    \
         server w 127.0.0.1:{origin}\n"
    )
}

/// The head of a message, one line per field, minus the `content-length`
/// and `connection` lines (framing, not rewriting).
fn head_lines(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n")
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.starts_with("content-length:") && !l.starts_with("connection:")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn scenario(bin: &Path) -> Vec<String> {
    let origin = Origin::start(|_| {
        Reply::Send(response(
            200,
            &["x-origin: tiny", "x-vals: one, two ,three"],
            b"ok",
        ))
    });
    let fe = BoundPort::new();
    let px = Proxy::builder(&config(&fe, origin.port))
        .bin(bin)
        .listen(&fe)
        .start();
    let requests: &[&str] = &[
        "GET /old/x?k=v HTTP/1.1\r\nhost: h\r\nx-cap: 123456789\r\n",
        "GET /plain?q=1 HTTP/1.1\r\nhost: h\r\n",
        "GET /q?a=b HTTP/1.1\r\nhost: h\r\n",
        "GET /thing/post HTTP/1.1\r\nhost: h\r\n",
        "GET /a?b=c HTTP/1.1\r\nhost: h\r\nx-fixed: 1\r\n",
        "GET /pathq?x=1 HTTP/1.1\r\nhost: h\r\n",
        "GET /b HTTP/1.1\r\nhost: h\r\nx-abs: 1\r\n",
        "GET /api/v1/dup?k HTTP/1.1\r\nhost: h\r\n",
        "GET /rp?z=1 HTTP/1.1\r\nhost: h\r\n",
        "GET /h HTTP/1.1\r\nhost: h\r\nx-h: v-old\r\nx-h: keep\r\nx-list: a, b ,c\r\nx-list: a , b , c\r\n",
        "GET /api/v1/nodel HTTP/1.1\r\nhost: h\r\n",
        "GET http://abs.example/old/y?q=2 HTTP/1.1\r\nhost: abs.example\r\n",
    ];
    let mut t = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let req = format!("{r}connection: close\r\n\r\n");
        let got = raw_exchange(fe.port, req.as_bytes(), T);
        let seen = origin
            .wait_requests(i + 1, T)
            .get(i)
            .map_or("nothing".to_string(), |x| head_lines(&x.raw));
        t.push(format!("origin got: {seen}"));
        t.push(format!("client got: {}", head_lines(&got)));
    }
    let mut logs = px.wait_logs(requests.len(), |l| l.starts_with("LOG "), T);
    // Each log line is written as its connection ends: their order may
    // differ from the requests'.
    logs.sort();
    t.extend(logs);
    t
}

#[test]
fn rewrites_as_haproxy() {
    compare(scenario, |t| {
        assert!(
            t.iter()
                .any(|l| l.starts_with("origin got: GET /api/v2/old/x?k=v HTTP/1.1")),
            "set-path then replace-path: {t:?}"
        );
        assert!(t.iter().any(|l| l.contains("x-seen-path: /api/v1/old/x")));
        assert!(t
            .iter()
            .any(|l| l.starts_with("client got: HTTP/1.1 203 Rewritten")));
        assert!(t.iter().any(|l| l.contains("x-origin: api-tiny")));
        assert!(t
            .iter()
            .any(|l| l.starts_with("LOG 203 GET /old/x ?k=v /old/x?k=v be_api {h|/old|12345}")));
        assert!(t.iter().any(|l| l.contains("x-cap2: 12345")));
    });
}
