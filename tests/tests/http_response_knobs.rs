//! What response rules note for the transaction, and `set-timeout` with a
//! sample expression, against HAProxy 2.6 with the same configuration and
//! client: `http-response set-log-level` (the log line's severity, or no
//! line), `declare capture response` with `http-response` /
//! `http-after-response capture ... id` (in `%hs` and
//! `capture.res.hdr(<n>)`, mixed with `capture response header` slots in
//! declaration order, the proxy's own answers included), and the
//! timeouts `set-timeout server <expr>` sets. Also `haproxy -c`'s
//! messages for these rules, checked on both binaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::checks::compare;
use tests::http::{raw_exchange, response, Origin, Reply};
use tests::{BoundPort, Proxy, TempDir};

const T: Duration = Duration::from_secs(5);

fn config(fe: &BoundPort, origin: u16) -> String {
    format!(
        "global\n    log stdout format rfc3164 local0\n\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n\n\
         frontend fe\n    bind {fe}\n    \
         log-format \"LOG %HP %ST %b %hs c1=%[capture.res.hdr(1)]\"\n    \
         capture response header x-a len 4\n    \
         declare capture response len 6\n    \
         capture response header x-c len 3\n    \
         http-request return status 404 if {{ path /local }}\n    \
         http-response capture res.hdr(x-b) id 1\n    \
         http-response capture res.hdr(x-over) id 0 if {{ res.hdr(x-over) -m found }}\n    \
         http-response set-log-level err if {{ status 201 }}\n    \
         http-response set-log-level silent if {{ res.hdr(x-quiet) -m found }}\n    \
         http-after-response capture str(after-rules) id 2 if {{ status 404 }}\n    \
         use_backend slow if {{ path_beg /slow }}\n    \
         default_backend be\n\n\
         backend be\n    \
         http-response capture res.hdr(x-d) id 1 if {{ res.hdr(x-d) -m found }}\n    \
         http-response capture str(nowhere) id 7\n    \
         server o 127.0.0.1:{origin}\n\n\
         backend slow\n    \
         timeout server 1s\n    \
         http-request set-timeout server req.hdr(x-t) if {{ req.hdr(x-t) -m found }}\n    \
         server o 127.0.0.1:{origin}\n"
    )
}

/// The origin's answer to `path`.
fn origin_reply(path: &str) -> Reply {
    let send = |status, headers: &[&str]| Reply::Send(response(status, headers, b"ok"));
    match path {
        "/plain" => send(200, &["x-a: abcdefg", "x-b: 123456789", "x-c: xyzw"]),
        "/over" => send(200, &["x-a: abcdefg", "x-over: OVERWRITTEN"]),
        "/created" => send(201, &["x-b: new"]),
        "/quiet" => send(200, &["x-quiet: 1", "x-b: q"]),
        "/bed" => send(200, &["x-b: fe", "x-d: backend-value"]),
        p if p.starts_with("/slow") => Reply::After(
            Duration::from_millis(600),
            Box::new(send(200, &["x-b: slow"])),
        ),
        _ => send(200, &[]),
    }
}

/// Sends `path` (with extra header lines `hdrs`): the status line.
fn status_of(port: u16, path: &str, hdrs: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nhost: h\r\n{hdrs}connection: close\r\n\r\n");
    let got = raw_exchange(port, req.as_bytes(), T);
    let text = String::from_utf8_lossy(&got);
    let line = text.lines().next().unwrap_or("none").to_string();
    format!("{path} {}: {line}", hdrs.trim_end())
}

/// A log line with its syslog header reduced to the priority.
fn norm(line: &str) -> String {
    let pri = line.split('>').next().unwrap_or("");
    let body = line.split_once("LOG ").map_or(line, |(_, b)| b);
    format!("{pri}> {body}")
}

fn scenario(bin: &Path) -> Vec<String> {
    let origin = Origin::start(|r| origin_reply(r.head.target()));
    let fe = BoundPort::new();
    let px = Proxy::builder(&config(&fe, origin.port))
        .bin(bin)
        .listen(&fe)
        .start();
    let asks = [
        ("/plain", ""),
        ("/over", ""),
        ("/created", ""),
        ("/quiet", ""),
        ("/bed", ""),
        ("/local", ""),
        // `timeout server 1s` unless the rule sets another (a count of
        // ms; a text by its leading digits; 0 changes nothing; a negative
        // count ends the wait at once): the origin answers after 600 ms.
        ("/slow/none", ""),
        ("/slow/short", "x-t: 100\r\n"),
        ("/slow/long", "x-t: 2000\r\n"),
        ("/slow/text", "x-t: 250ms\r\n"),
        ("/slow/zero", "x-t: 0\r\n"),
        ("/slow/neg", "x-t: -5\r\n"),
    ];
    let mut t: Vec<String> = asks.iter().map(|(p, h)| status_of(fe.port, p, h)).collect();
    // Every answer but the silent one is logged.
    let mut logs: Vec<String> = px
        .wait_logs(asks.len() - 1, |l| l.contains("LOG "), T)
        .iter()
        .map(|l| norm(l))
        .collect();
    logs.sort();
    t.extend(logs);
    t
}

#[test]
fn response_knobs_as_haproxy() {
    compare(scenario, |t| {
        let has = |s: &str| t.iter().any(|l| l.contains(s));
        // Header and rule captures share the slots; the backend's rules
        // run before the frontend's, which overwrite them.
        assert!(has("/plain 200 be {abcd|123456|xyz} c1=123456"), "{t:?}");
        assert!(has("/over 200 be {OVER||} c1=-"), "{t:?}");
        assert!(has("<131> /created 201"), "{t:?}");
        assert!(!has("/quiet 200"), "{t:?}");
        assert!(has("/bed 200 be {|fe|} c1=fe"), "{t:?}");
        assert!(has("/local 404 fe {||aft} c1=-"), "{t:?}");
        assert!(has("/slow/none : HTTP/1.1 200"), "{t:?}");
        assert!(has("/slow/short x-t: 100: HTTP/1.1 504"), "{t:?}");
        assert!(has("/slow/long x-t: 2000: HTTP/1.1 200"), "{t:?}");
        assert!(has("/slow/text x-t: 250ms: HTTP/1.1 504"), "{t:?}");
        assert!(has("/slow/zero x-t: 0: HTTP/1.1 200"), "{t:?}");
        assert!(has("/slow/neg x-t: -5: HTTP/1.1 504"), "{t:?}");
    });
}

/// `haproxy -c` on `body` (after a `defaults` section): its output, and
/// whether it passed.
fn check(bin: &Path, body: &str) -> (bool, String) {
    let dir = TempDir::new();
    let cfg = format!("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\n{body}");
    let path = dir.write("t.cfg", &cfg);
    let out = std::process::Command::new(bin)
        .args(["-c", "-f", &path.to_string_lossy()])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

#[test]
fn response_capture_and_set_timeout_config_as_haproxy() {
    let fe = "frontend f\n    bind 127.0.0.1:1\n    declare capture response len 4\n";
    let be = "backend b\n    server s 127.0.0.1:1\n";
    let cases: &[(String, Option<&str>)] = &[
        (format!("{fe}    http-response capture res.hdr(x) id 0\n    http-after-response capture status id 0\n{be}"), None),
        // A backend's id is a frontend's slot, unknown when parsing.
        (format!("{fe}{be}    http-response capture res.hdr(x) id 5\n"), None),
        (format!("{fe}{be}    http-request set-timeout server int(100)\n    http-request set-timeout tunnel req.hdr(x)\n"), None),
        (format!("{fe}    http-response set-log-level info\n{be}"), None),
        (
            format!("{fe}    http-response capture res.hdr(x) id 1\n{be}"),
            Some("unable to find capture id '1' referenced by http-response capture rule"),
        ),
        (
            format!("{fe}    http-after-response capture res.hdr(x) id 3\n{be}"),
            Some("unable to find capture id '3' referenced by http-response capture rule"),
        ),
        (
            format!("{fe}    http-response capture res.hdr(x) len 3\n{be}"),
            Some("while parsing 'http-response capture' rule : expects 'id', found 'len'."),
        ),
        (
            format!("{fe}    http-response capture res.hdr(x) id\n{be}"),
            Some("while parsing 'http-response capture' rule : expects <expression> id <idx>."),
        ),
        (
            format!("{fe}    http-response capture res.hdr(x) id x1\n{be}"),
            Some("while parsing 'http-response capture' rule : cannot parse id 'x1'."),
        ),
        (
            format!("{be}    http-request set-timeout server 0\n"),
            Some("null value is not valid for a 'set-timeout server' rule."),
        ),
        (
            format!("{be}    http-request set-timeout server 30d\n"),
            Some("timer overflow in argument '30d' to rule 'set-timeout server' (maximum value is 2147483647 ms or ~24.8 days)."),
        ),
        (
            format!("{be}    http-request set-timeout server bogus(1)\n"),
            Some("unexpected character 'b' in rule 'set-timeout server'."),
        ),
        (
            format!("{fe}    http-after-response set-log-level err\n{be}"),
            Some("'http-after-response'"),
        ),
    ];
    for bin in [tests::proxy_bin(), "/usr/sbin/haproxy".into()] {
        if !bin.exists() {
            continue;
        }
        for (cfg, want) in cases {
            let (ok, text) = check(&bin, cfg);
            match want {
                None => assert!(ok, "{}: {cfg}: {text}", bin.display()),
                Some(w) => {
                    assert!(!ok, "{}: {cfg}: {text}", bin.display());
                    assert!(text.contains(w), "{}: {cfg}: {text}", bin.display());
                }
            }
        }
    }
}
