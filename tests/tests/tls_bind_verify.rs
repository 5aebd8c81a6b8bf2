//! Client certificates on `ssl` binds (`verify required|optional|none`
//! with `ca-file` under `ca-base`, `crl-file`, `crt-ignore-err`), and
//! HAProxy 2.6 as the TLS client of an `ssl` bind (a `server ... ssl
//! verify required` presenting a client certificate), each run on HAProxy
//! 2.6 and on ours with the same transcript required.
//!
//! A transcript line is what curl got and the log line the connection
//! left: the handshake failure message (`<fe>/<bind>: SSL client
//! certificate not trusted`, ...), or `request` for a served request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::checks::{compare, HAPROXY};
use tests::http::{curl, Origin, Reply};
use tests::tlskit::Pki;
use tests::util::{payload, Fnv64};
use tests::{BoundPort, Proxy};

/// What the log says about the connection of a probe: the text after the
/// date of a handshake failure line, or `request` for a traffic line.
/// Waits for the `n`th line of the run.
fn log_line(px: &Proxy, n: usize) -> String {
    let lines = px.wait_logs(n, |_| true, Duration::from_secs(10));
    let Some(line) = lines.get(n - 1) else {
        return "no log".to_string();
    };
    match line.split_once("] ") {
        Some((_, rest)) if rest.contains("SSL") || rest.contains("during") => rest.to_string(),
        _ => "request".to_string(),
    }
}

fn config(pki: &Pki, ports: &[BoundPort]) -> String {
    let crl = "crl-file ca.crl";
    let binds = [
        "verify required",
        "verify optional",
        "verify none",
        &format!("verify required {crl}"),
        "verify required crt-ignore-err all",
        "verify required crt-ignore-err 10",
        &format!("verify required {crl} crt-ignore-err 23"),
        "verify optional crt-ignore-err 20",
        "verify required crt-ignore-err 21",
        "verify required crt-ignore-err 20,21",
    ]
    .iter()
    .zip(ports)
    .map(|(opts, p)| format!("    bind {p} ssl crt rsa.pem ca-file ca.crt {opts}\n"))
    .collect::<String>()
        + &format!("    bind {} ssl crt-list list.txt\n", ports[10]);
    let dir = pki.dir.path().display();
    format!(
        "global\n    log stdout format raw local0\n    crt-base {dir}\n    ca-base {dir}\n\n\
         defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n\n\
         frontend fe\n{binds}    http-request return status 200 content-type text/plain string hello\n"
    )
}

/// A crt-list asking for client certificates for one name only.
const PER_NAME_VERIFY: &str = "dflt.pem\nrsa.pem [verify required ca-file ca.crt] rsa.test\n";

#[test]
fn client_certificates_verified_as_haproxy() {
    let Some(pki) = Pki::new() else { return };
    // (bind index, client certificate): bind order as in `config`.
    let probes: &[(usize, Option<&str>)] = &[
        (0, None),
        (0, Some("client")),
        (0, Some("wrong")),
        (0, Some("expired")),
        (1, None),
        (1, Some("client")),
        (1, Some("wrong")),
        (1, Some("expired")),
        (2, None),
        (2, Some("wrong")),
        (3, Some("client")),
        (3, Some("revoked")),
        (0, Some("revoked")),
        (4, Some("expired")),
        (4, Some("wrong")),
        (5, Some("expired")),
        (5, Some("wrong")),
        (6, Some("revoked")),
        (6, Some("expired")),
        (7, Some("wrong")),
        (7, None),
        (8, Some("wrong")),
        (9, Some("wrong")),
        (9, Some("expired")),
        // Version 1 (no extensions), as `openssl x509 -req` makes them.
        (0, Some("client_v1")),
        (3, Some("client_v1")),
    ];
    compare(
        |bin| {
            let ports: Vec<BoundPort> = (0..11).map(|_| BoundPort::new()).collect();
            let cfg = config(&pki, &ports);
            let px = ports
                .iter()
                .fold(Proxy::builder(&cfg).bin(bin), |b, p| b.listen(p))
                .file("list.txt", PER_NAME_VERIFY)
                .start();
            let mut t = Vec::new();
            for (i, (bind, client)) in probes.iter().enumerate() {
                let got = pki.curl(ports[*bind].port, "rsa.test", *client);
                let log = log_line(&px, i + 1);
                t.push(format!(
                    "bind {} {}: {got} | {log}",
                    bind + 1,
                    client.unwrap_or("no cert")
                ));
            }
            // TLS 1.2 signs the handshake differently: a v1 certificate there.
            let (c, k) = (pki.path("client_v1.crt"), pki.path("client_v1.key"));
            let port = ports[0].port.to_string();
            let got = pki.py(&["hs", &port, "rsa.test", "-", "1.2", &c, &k]);
            let log = log_line(&px, probes.len() + 1);
            t.push(format!("bind 1 client_v1 tls1.2: {got} | {log}"));
            // `verify` on a crt-list line: for that name only.
            let list_probes = [
                ("rsa.test", None),
                ("rsa.test", Some("client")),
                ("dflt.test", None),
            ];
            for (i, (sni, client)) in list_probes.iter().enumerate() {
                let got = pki.curl(ports[10].port, sni, *client);
                let log = log_line(&px, probes.len() + 2 + i);
                let who = client.unwrap_or("no cert");
                t.push(format!("list {sni} {who}: {got} | {log}"));
            }
            t
        },
        |t| {
            let get = |k: &str| {
                t.iter()
                    .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                    .unwrap_or_else(|| panic!("no {k} in {t:#?}"))
            };
            let ok = "hello 200 | request";
            let untrusted = |n: usize| format!("fe/{n}: SSL client certificate not trusted");
            assert!(
                get("bind 1 no cert").ends_with("| fe/1: SSL handshake failure"),
                "{t:#?}"
            );
            assert!(
                get("bind 1 no cert").contains("certificate required"),
                "{t:#?}"
            );
            assert_eq!(get("bind 1 client"), ok, "{t:#?}");
            assert!(get("bind 1 wrong").ends_with(&untrusted(1)), "{t:#?}");
            assert!(get("bind 1 wrong").contains("unknown ca"), "{t:#?}");
            assert!(
                get("bind 1 expired").contains("certificate expired"),
                "{t:#?}"
            );
            assert_eq!(get("bind 2 no cert"), ok, "{t:#?}");
            assert_eq!(get("bind 2 client"), ok, "{t:#?}");
            assert!(get("bind 2 wrong").ends_with(&untrusted(2)), "{t:#?}");
            assert_eq!(get("bind 3 no cert"), ok, "{t:#?}");
            assert_eq!(get("bind 3 wrong"), ok, "{t:#?}");
            assert_eq!(get("bind 4 client"), ok, "{t:#?}");
            assert!(
                get("bind 4 revoked").contains("certificate revoked"),
                "{t:#?}"
            );
            assert!(get("bind 4 revoked").ends_with(&untrusted(4)), "{t:#?}");
            assert_eq!(get("bind 1 revoked"), ok, "no CRL, no revocation: {t:#?}");
            assert_eq!(get("bind 5 expired"), ok, "{t:#?}");
            assert_eq!(get("bind 5 wrong"), ok, "{t:#?}");
            assert_eq!(get("bind 6 expired"), ok, "{t:#?}");
            assert!(get("bind 6 wrong").ends_with(&untrusted(6)), "{t:#?}");
            assert_eq!(get("bind 7 revoked"), ok, "{t:#?}");
            assert!(get("bind 7 expired").ends_with(&untrusted(7)), "{t:#?}");
            // A lone certificate of an unknown CA raises errors 20 and 21
            // for OpenSSL: both must be ignored.
            assert!(get("bind 8 wrong").ends_with(&untrusted(8)), "{t:#?}");
            assert_eq!(get("bind 8 no cert"), ok, "{t:#?}");
            assert!(get("bind 9 wrong").ends_with(&untrusted(9)), "{t:#?}");
            assert_eq!(get("bind 10 wrong"), ok, "{t:#?}");
            assert!(
                get("list rsa.test no cert").ends_with("fe/11: SSL handshake failure"),
                "{t:#?}"
            );
            assert_eq!(get("list rsa.test client"), ok, "{t:#?}");
            assert_eq!(get("list dflt.test no cert"), ok, "{t:#?}");
            assert_eq!(get("bind 1 client_v1"), ok, "{t:#?}");
            assert_eq!(get("bind 4 client_v1"), ok, "{t:#?}");
            let v1_tls12 = "TLSv1.2 None HTTP/1.1 200 OK | request";
            assert_eq!(get("bind 1 client_v1 tls1.2"), v1_tls12, "{t:#?}");
            assert!(get("bind 10 expired").ends_with(&untrusted(10)), "{t:#?}");
        },
    );
}

/// HAProxy 2.6 in front, as the TLS client of the binary under test: a
/// server line with `ssl verify required ca-file` and a client
/// certificate, carrying a 300 KB upload and a 200 KB answer; a second
/// server presenting a certificate of the wrong CA is refused.
#[test]
fn haproxy_as_tls_client_of_an_ssl_bind() {
    let Some(pki) = Pki::new() else { return };
    if !Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} missing: skipped");
        return;
    }
    for name in ["client", "wrong"] {
        let pem = std::fs::read_to_string(pki.path(&format!("{name}.crt"))).unwrap()
            + &std::fs::read_to_string(pki.path(&format!("{name}.key"))).unwrap();
        pki.dir.write(&format!("{name}.pem"), &pem);
    }
    let answer = payload(7, 200_000);
    let answer_sum = Fnv64::of(&answer).to_string();
    let origin = Origin::start(move |r| {
        let got = format!("x-got: {} {}", r.body.len(), Fnv64::of(&r.body));
        Reply::Send(tests::http::response(200, &[&got], &answer))
    });
    let upload = payload(3, 300_000);
    let up_file = pki.dir.path().join("upload");
    std::fs::write(&up_file, &upload).unwrap();
    let want_got = format!("{} {}", upload.len(), Fnv64::of(&upload));
    compare(
        |bin| {
            let tls_port = BoundPort::new();
            let dir = pki.dir.path().display();
            let cfg = format!(
                "global\n    log stdout format raw local0\n    crt-base {dir}\n    ca-base {dir}\n\n\
                 defaults\n    mode http\n    log global\n    option httplog\n    \
                 timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n\n\
                 frontend fe\n    bind {tls_port} ssl crt rsa.pem ca-file ca.crt verify required\n    \
                 default_backend be\n\nbackend be\n    server o 127.0.0.1:{}\n",
                origin.port
            );
            let ours = Proxy::builder(&cfg).bin(bin).listen(&tls_port).start();
            let (good, bad) = (BoundPort::new(), BoundPort::new());
            let front_cfg = format!(
                "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    \
                 timeout server 5s\n\n\
                 frontend good\n    bind {good}\n    default_backend good\n\
                 frontend bad\n    bind {bad}\n    default_backend bad\n\n\
                 backend good\n    server s 127.0.0.1:{port} ssl verify required ca-file {ca} \
                 sni str(rsa.test) crt {client}\n\
                 backend bad\n    server s 127.0.0.1:{port} ssl verify required ca-file {ca} \
                 sni str(rsa.test) crt {wrong}\n",
                port = tls_port.port,
                ca = pki.path("servers.crt"),
                client = pki.path("client.pem"),
                wrong = pki.path("wrong.pem"),
            );
            let _front = Proxy::builder(&front_cfg)
                .bin(HAPROXY)
                .listen(&good)
                .listen(&bad)
                .start();
            let down = pki.dir.path().join("down");
            let mut t = Vec::new();
            let data = format!("@{}", up_file.display());
            let url = format!("http://127.0.0.1:{}/", good.port);
            let out = curl(
                &[
                    "--data-binary",
                    &data,
                    "-D",
                    "-",
                    "-o",
                    down.to_str().unwrap(),
                    &url,
                ],
                b"",
            );
            let head = String::from_utf8_lossy(&out.stdout).into_owned();
            let got = head
                .lines()
                .find_map(|l| l.strip_prefix("x-got: "))
                .unwrap_or("none")
                .trim()
                .to_string();
            let body = std::fs::read(&down).unwrap_or_default();
            t.push(format!(
                "good: {} upload {got} answer {} {}",
                head.lines().next().unwrap_or("no answer").trim(),
                body.len(),
                Fnv64::of(&body)
            ));
            let url = format!("http://127.0.0.1:{}/", bad.port);
            let out = curl(&["-o", "/dev/null", "-w", "%{http_code}", &url], b"");
            // 502 when the refusal (TLS 1.3: after HAProxy's Finished)
            // reaches it after its request went out, 503 when before
            // (a failed connection, retried): timing decides.
            let code = String::from_utf8_lossy(&out.stdout).into_owned();
            let code = if code == "502" || code == "503" {
                "502/503"
            } else {
                &code
            };
            t.push(format!("bad: {code}"));
            let refused = ours.wait_log(|l| l.contains("SSL"), Duration::from_secs(10));
            let refused = refused
                .as_deref()
                .and_then(|l| l.split_once("] "))
                .map(|x| x.1);
            t.push(format!("ours logged: {}", refused.unwrap_or("nothing")));
            t
        },
        |t| {
            assert_eq!(
                t[0],
                format!("good: HTTP/1.1 200 X upload {want_got} answer 200000 {answer_sum}"),
                "{t:#?}"
            );
            assert_eq!(t[1], "bad: 502/503", "{t:#?}");
            assert_eq!(
                t[2], "ours logged: fe/1: SSL client certificate not trusted",
                "{t:#?}"
            );
        },
    );
}
