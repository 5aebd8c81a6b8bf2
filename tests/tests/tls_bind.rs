//! TLS termination on `bind ... ssl`: which certificate a ClientHello
//! gets (`crt` file, directory, several `crt`, `crt-list` with SNI
//! filters and per-line options, RSA and ECDSA side by side, `strict-sni`,
//! `crt-base`), and what the option keywords negotiate (`alpn`,
//! `ssl-min-ver`/`ssl-max-ver`, `ciphers`, `ciphersuites`, `curves`,
//! `ssl-default-bind-*`, tickets and session resumption). Each scenario
//! runs on HAProxy 2.6 and on ours with the same transcript required
//! (`tests::checks::compare`); clients are `openssl s_client`, curl and
//! Python `ssl`, certificates are made at test time ([`tests::tlskit`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tests::checks::compare;
use tests::tlskit::Pki;
use tests::{BoundPort, Proxy};

/// `global` (logs, `crt-base` = the kit) and `defaults` of these tests.
fn head(pki: &Pki, global_extra: &str) -> String {
    format!(
        "global\n    log stdout format raw local0\n    crt-base {}\n{global_extra}\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n\n",
        pki.dir.path().display()
    )
}

/// Starts `bin` with `n` fresh ports bound as `{0}`.. in `body` (a
/// frontend's bind lines); every frontend answers `hello`.
fn start(
    bin: &Path,
    pki: &Pki,
    global: &str,
    body: &str,
    files: &[(&str, &str)],
) -> (Proxy, Vec<u16>) {
    let n = body.matches("{p").count();
    let ports: Vec<BoundPort> = (0..n).map(|_| BoundPort::new()).collect();
    let mut body = body.to_string();
    for (i, p) in ports.iter().enumerate() {
        body = body.replace(&format!("{{p{i}}}"), &p.to_string());
    }
    let cfg = format!(
        "{}frontend fe\n{body}    http-request return status 200 content-type text/plain string hello\n",
        head(pki, global)
    );
    let b = files
        .iter()
        .fold(Proxy::builder(&cfg).bin(bin), |b, (n, c)| b.file(n, *c));
    let px = ports.iter().fold(b, |b, p| b.listen(p)).start();
    (px, ports.iter().map(|p| p.port).collect())
}

const LIST: &str = "dflt.pem\n\
wild.pem *.wild.test !bad.wild.test\n\
rsa.pem [alpn h2 ssl-min-ver TLSv1.3] h2only.test\n\
ec.pem both.test\n\
rsa.pem both.test\n";

#[test]
fn certificate_chosen_by_sni_and_key_type_as_haproxy() {
    let Some(pki) = Pki::new() else { return };
    let body = "    bind {p0} ssl crt-list list.txt alpn http/1.1\n\
                \x20   bind {p1} ssl crt dir\n\
                \x20   bind {p2} ssl crt rsa.pem crt ec.pem strict-sni\n\
                \x20   bind {p3} ssl crt ec.pem crt rsa.pem\n";
    let rsa_only = ["-sigalgs", "RSA-PSS+SHA256:rsa_pkcs1_sha256"];
    compare(
        |bin| {
            let (_px, p) = start(bin, &pki, "", body, &[("list.txt", LIST)]);
            let mut t = Vec::new();
            let mut probe = |what: &str, port: u16, args: &[&str]| {
                t.push(format!("{what}: {}", pki.s_client(port, args)));
            };
            probe("list default", p[0], &["-servername", "dflt.test"]);
            probe("list no sni", p[0], &["-noservername"]);
            probe("list unknown", p[0], &["-servername", "nobody.test"]);
            probe("list wildcard", p[0], &["-servername", "x.wild.test"]);
            probe("list negative", p[0], &["-servername", "bad.wild.test"]);
            probe("list two levels", p[0], &["-servername", "a.b.wild.test"]);
            probe(
                "list line opts",
                p[0],
                &["-servername", "h2only.test", "-alpn", "h2"],
            );
            probe(
                "list line min-ver",
                p[0],
                &["-servername", "h2only.test", "-tls1_2"],
            );
            probe(
                "list bind alpn",
                p[0],
                &["-servername", "dflt.test", "-alpn", "h2,http/1.1"],
            );
            probe(
                "list no common alpn",
                p[0],
                &["-servername", "dflt.test", "-alpn", "h2"],
            );
            probe("list ecdsa client", p[0], &["-servername", "both.test"]);
            probe(
                "list rsa client",
                p[0],
                &["-servername", "both.test", rsa_only[0], rsa_only[1]],
            );
            probe(
                "list upper case",
                p[0],
                &["-servername", "BOTH.TEST", "-tls1_2"],
            );
            probe(
                "list rsa suites only",
                p[0],
                &[
                    "-servername",
                    "both.test",
                    "-tls1_2",
                    "-cipher",
                    "ECDHE-RSA-AES128-GCM-SHA256",
                ],
            );
            probe(
                "list tls1.3 only",
                p[0],
                &["-servername", "both.test", "-tls1_3"],
            );
            probe("dir a", p[1], &["-servername", "a.dir.test"]);
            probe("dir b", p[1], &["-servername", "b.dir.test"]);
            probe("dir default", p[1], &["-servername", "zzz.test"]);
            probe("strict ec", p[2], &["-servername", "ec.test"]);
            probe("strict rsa", p[2], &["-servername", "rsa.test"]);
            probe("strict both", p[2], &["-servername", "both.test"]);
            probe("strict no sni", p[2], &["-noservername"]);
            probe("strict unknown", p[2], &["-servername", "unknown.test"]);
            probe("two crt default", p[3], &["-noservername"]);
            probe("two crt rsa", p[3], &["-servername", "rsa.test"]);
            probe(
                "two crt both rsa client",
                p[3],
                &["-servername", "both.test", rsa_only[0], rsa_only[1]],
            );
            // Whole requests through the chosen certificate, verified.
            t.push(format!(
                "curl wild: {}",
                pki.curl(p[0], "x.wild.test", None)
            ));
            t.push(format!("curl dir: {}", pki.curl(p[1], "b.dir.test", None)));
            t.push(format!("curl strict: {}", pki.curl(p[2], "ec.test", None)));
            t.push(format!(
                "python: {}",
                pki.py(&["hs", &p[0].to_string(), "both.test", "h2,http/1.1", "-"])
            ));
            t
        },
        |t| {
            let get = |k: &str| {
                t.iter()
                    .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                    .unwrap_or_else(|| panic!("no {k} in {t:#?}"))
            };
            assert!(get("list default").contains("cert=dflt.test"), "{t:#?}");
            assert!(get("list no sni").contains("cert=dflt.test"), "{t:#?}");
            assert!(get("list unknown").contains("cert=dflt.test"), "{t:#?}");
            assert!(get("list wildcard").contains("cert=wild "), "{t:#?}");
            assert!(get("list negative").contains("cert=dflt.test"), "{t:#?}");
            assert!(get("list two levels").contains("cert=dflt.test"), "{t:#?}");
            assert!(
                get("list line opts").contains("cert=rsa.test sig=RSA-PSS alpn=h2"),
                "{t:#?}"
            );
            assert!(
                get("list line min-ver").starts_with("refused: tlsv1 alert protocol version"),
                "{t:#?}"
            );
            assert!(get("list bind alpn").contains("alpn=http/1.1"), "{t:#?}");
            assert!(
                get("list no common alpn").contains("cert=dflt.test sig=RSA-PSS alpn=-"),
                "{t:#?}"
            );
            assert!(
                get("list ecdsa client").contains("cert=ec.test sig=ECDSA"),
                "{t:#?}"
            );
            assert!(get("list rsa client").contains("cert=rsa.test"), "{t:#?}");
            assert!(get("list upper case").contains("cert=ec.test"), "{t:#?}");
            assert!(
                get("list rsa suites only").contains("cert=rsa.test"),
                "{t:#?}"
            );
            assert!(get("list tls1.3 only").contains("cert=rsa.test"), "{t:#?}");
            assert!(get("dir a").contains("cert=a.dir.test"), "{t:#?}");
            assert!(get("dir b").contains("cert=b.dir.test"), "{t:#?}");
            assert!(get("dir default").contains("cert=a.dir.test"), "{t:#?}");
            assert!(get("strict ec").contains("cert=ec.test"), "{t:#?}");
            assert!(get("strict rsa").contains("cert=rsa.test"), "{t:#?}");
            assert!(get("strict both").contains("cert=ec.test"), "{t:#?}");
            assert_eq!(
                get("strict no sni"),
                "refused: tlsv1 unrecognized name",
                "{t:#?}"
            );
            assert_eq!(
                get("strict unknown"),
                "refused: tlsv1 unrecognized name",
                "{t:#?}"
            );
            assert!(get("two crt default").contains("cert=ec.test"), "{t:#?}");
            assert!(
                get("two crt both rsa client").contains("cert=rsa.test"),
                "{t:#?}"
            );
            assert_eq!(get("curl wild"), "hello 200", "{t:#?}");
            assert_eq!(get("curl dir"), "hello 200", "{t:#?}");
            assert_eq!(get("curl strict"), "hello 200", "{t:#?}");
            assert_eq!(get("python"), "TLSv1.3 http/1.1 HTTP/1.1 200 OK", "{t:#?}");
        },
    );
}
