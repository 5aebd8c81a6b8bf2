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

/// An HTTP frontend `fe` answering `hello`, with these bind lines.
fn fe(binds: &str) -> String {
    format!(
        "frontend fe\n{binds}    http-request return status 200 content-type text/plain string hello\n\n"
    )
}

/// A TCP frontend `fe_tcp` with these bind lines, for handshakes only (its
/// server refuses connections).
fn fe_tcp(binds: &str) -> String {
    format!(
        "frontend fe_tcp\n    mode tcp\n{binds}    default_backend be_none\n\n\
         backend be_none\n    mode tcp\n    server none 127.0.0.1:1\n"
    )
}

/// Starts `bin` on `body` (sections) with fresh ports bound as `{p0}`,
/// `{p1}`...; `files` are written beside the configuration.
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
    let cfg = format!("{}{body}", head(pki, global));
    let b = files
        .iter()
        .fold(Proxy::builder(&cfg).bin(bin), |b, (n, c)| b.file(n, *c));
    let px = ports.iter().fold(b, |b, p| b.listen(p)).start();
    (px, ports.iter().map(|p| p.port).collect())
}

const LIST: &str = "dflt.pem\n\
wild.pem *.wild.test !bad.wild.test\n\
rsa.pem [alpn http/1.0,http/1.1 ssl-min-ver TLSv1.3] h2only.test\n\
ec.pem both.test\n\
rsa.pem both.test\n";

#[test]
fn certificate_chosen_by_sni_and_key_type_as_haproxy() {
    let Some(pki) = Pki::new() else { return };
    let body = fe("    bind {p0} ssl crt-list list.txt alpn http/1.1\n\
                \x20   bind {p1} ssl crt dir\n\
                \x20   bind {p2} ssl crt rsa.pem crt ec.pem strict-sni\n\
                \x20   bind {p3} ssl crt ec.pem crt rsa.pem\n");
    let rsa_only = ["-sigalgs", "RSA-PSS+SHA256:rsa_pkcs1_sha256"];
    compare(
        |bin| {
            let (_px, p) = start(bin, &pki, "", &body, &[("list.txt", LIST)]);
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
                &["-servername", "h2only.test", "-alpn", "http/1.1,http/1.0"],
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
                get("list line opts").contains("cert=rsa.test sig=RSA-PSS alpn=http/1.0 "),
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

/// A session saved by one `s_client` and offered by the next: `New` or
/// `Reused` for each, and whether the server gave a ticket.
fn s_client_resume(pki: &Pki, port: u16, args: &[&str]) -> String {
    let sess = pki.path(&format!("sess-{port}"));
    let _ = std::fs::remove_file(&sess);
    let target = format!("127.0.0.1:{port}");
    let mut out = Vec::new();
    for flag in ["-sess_out", "-sess_in"] {
        let mut a = vec!["s_client", "-connect", &target, flag, &sess];
        a.extend_from_slice(args);
        let o = tests::http::run_tool("openssl", &a, b"", tests::tlskit::CLIENT_TIMEOUT);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let kind = text
            .lines()
            .find(|l| l.starts_with("New,") || l.starts_with("Reused,"))
            .and_then(|l| l.split(',').next())
            .unwrap_or("failed")
            .to_string();
        out.push(kind);
        if flag == "-sess_out" {
            out.push(format!("ticket={}", text.contains("TLS session ticket:")));
        }
    }
    out.join(" ")
}

#[test]
fn protocol_options_negotiated_as_haproxy() {
    let Some(pki) = Pki::new() else { return };
    // h2 is offered in TCP mode only: in HTTP mode this proxy speaks
    // HTTP/1.1 alone (see `h2_not_offered_in_http_mode`).
    let body = fe("    bind {p0} ssl crt rsa.pem\n\
                \x20   bind {p1} ssl crt rsa.pem ssl-min-ver TLSv1.3\n\
                \x20   bind {p2} ssl crt rsa.pem ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-CHACHA20-POLY1305\n\
                \x20   bind {p3} ssl crt rsa.pem ciphersuites TLS_CHACHA20_POLY1305_SHA256 curves secp384r1\n\
                \x20   bind {p5} ssl crt rsa.pem no-tls-tickets\n\
                \x20   bind {p6} ssl crt rsa.pem ecdhe prime256v1\n")
        + &fe_tcp("    bind {p4} ssl crt rsa.pem alpn h2,http/1.1\n");
    let old = ["-cipher", "DEFAULT@SECLEVEL=0"];
    compare(
        |bin| {
            let (_px, p) = start(bin, &pki, "", &body, &[]);
            let mut t = Vec::new();
            let mut probe = |what: &str, port: u16, args: &[&str]| {
                t.push(format!("{what}: {}", pki.s_client(port, args)));
            };
            probe("old tls1.0", p[0], &["-tls1", old[0], old[1]]);
            probe("old tls1.1", p[0], &["-tls1_1", old[0], old[1]]);
            probe("default", p[0], &[]);
            probe("default tls1.2", p[0], &["-tls1_2"]);
            probe("default p-256", p[0], &["-curves", "prime256v1"]);
            probe("min 1.3 with 1.3", p[1], &[]);
            probe("min 1.3 with 1.2", p[1], &["-tls1_2"]);
            probe("max 1.2 + cipher", p[2], &[]);
            probe(
                "max 1.2 other cipher",
                p[2],
                &["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
            );
            probe("ciphersuites + curves", p[3], &[]);
            probe(
                "other ciphersuite",
                p[3],
                &["-ciphersuites", "TLS_AES_128_GCM_SHA256"],
            );
            probe("other curve", p[3], &["-curves", "prime256v1"]);
            probe("ecdhe", p[6], &[]);
            probe("ecdhe other curve", p[6], &["-curves", "X25519"]);
            probe("alpn h2", p[4], &["-alpn", "h2"]);
            probe("alpn http/1.1", p[4], &["-alpn", "http/1.1"]);
            probe("alpn client order", p[4], &["-alpn", "http/1.1,h2"]);
            probe("alpn none shared", p[4], &["-alpn", "spdy/3"]);
            for (what, port, args) in [
                ("resume tls1.2", p[0], &["-tls1_2"][..]),
                ("resume tls1.2 by id", p[0], &["-tls1_2", "-no_ticket"]),
                ("resume no-tls-tickets", p[5], &["-tls1_2"]),
            ] {
                t.push(format!("{what}: {}", s_client_resume(&pki, port, args)));
            }
            for (what, port, args) in [
                ("py resume 1.2", p[0], ["1.2", "1"]),
                ("py resume 1.2 by id", p[0], ["1.2", "0"]),
                ("py resume 1.3", p[0], ["1.3", "1"]),
                ("py resume no-tls-tickets 1.2", p[5], ["1.2", "1"]),
                ("py resume no-tls-tickets 1.3", p[5], ["1.3", "1"]),
            ] {
                let r = pki.py(&["resume", &port.to_string(), args[0], args[1]]);
                t.push(format!("{what}: {r}"));
            }
            t
        },
        |t| {
            let get = |k: &str| {
                t.iter()
                    .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                    .unwrap_or_else(|| panic!("no {k} in {t:#?}"))
            };
            let old = "refused: tlsv1 alert protocol version";
            assert_eq!(get("old tls1.0"), old, "{t:#?}");
            assert_eq!(get("old tls1.1"), old, "{t:#?}");
            assert!(get("default").starts_with("TLSv1.3 "), "{t:#?}");
            assert!(
                get("default tls1.2").starts_with("TLSv1.2 ECDHE-RSA-"),
                "{t:#?}"
            );
            assert!(get("default p-256").ends_with("kx=prime256v1"), "{t:#?}");
            assert!(get("min 1.3 with 1.3").starts_with("TLSv1.3 "), "{t:#?}");
            assert_eq!(
                get("min 1.3 with 1.2"),
                "refused: tlsv1 alert protocol version",
                "{t:#?}"
            );
            assert!(
                get("max 1.2 + cipher").starts_with("TLSv1.2 ECDHE-RSA-CHACHA20-POLY1305 "),
                "{t:#?}"
            );
            assert!(get("max 1.2 other cipher").starts_with("refused"), "{t:#?}");
            assert!(
                get("ciphersuites + curves").starts_with("TLSv1.3 TLS_CHACHA20_POLY1305_SHA256 "),
                "{t:#?}"
            );
            assert!(
                get("ciphersuites + curves").ends_with("kx=secp384r1"),
                "{t:#?}"
            );
            assert!(get("other ciphersuite").starts_with("refused"), "{t:#?}");
            assert!(get("other curve").starts_with("refused"), "{t:#?}");
            assert!(get("ecdhe").ends_with("kx=prime256v1"), "{t:#?}");
            assert!(get("ecdhe other curve").starts_with("refused"), "{t:#?}");
            assert!(get("alpn h2").contains("alpn=h2 "), "{t:#?}");
            assert!(get("alpn http/1.1").contains("alpn=http/1.1 "), "{t:#?}");
            assert!(get("alpn client order").contains("alpn=h2 "), "{t:#?}");
            assert!(get("alpn none shared").contains("alpn=- "), "{t:#?}");
            assert_eq!(get("resume tls1.2"), "New ticket=true Reused", "{t:#?}");
            assert_eq!(
                get("resume tls1.2 by id"),
                "New ticket=false Reused",
                "{t:#?}"
            );
            assert_eq!(
                get("resume no-tls-tickets"),
                "New ticket=false Reused",
                "{t:#?}"
            );
            for k in [
                "py resume 1.2",
                "py resume 1.3",
                "py resume no-tls-tickets 1.3",
            ] {
                assert!(
                    get(k).starts_with("new ticket=True HTTP/1.1 200 OK reused"),
                    "{k}: {t:#?}"
                );
            }
            for k in ["py resume 1.2 by id", "py resume no-tls-tickets 1.2"] {
                assert!(
                    get(k).starts_with("new ticket=False HTTP/1.1 200 OK reused"),
                    "{k}: {t:#?}"
                );
            }
        },
    );
}

#[test]
fn ssl_default_bind_settings_apply_as_haproxy() {
    let Some(pki) = Pki::new() else { return };
    let global = "    ssl-default-bind-options ssl-max-ver TLSv1.2 no-tls-tickets\n\
                  \x20   ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256\n\
                  \x20   ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256\n\
                  \x20   ssl-default-bind-curves X25519:secp384r1\n";
    let body = fe("    bind {p0} ssl crt rsa.pem\n\
                \x20   bind {p1} ssl crt rsa.pem ssl-max-ver TLSv1.3 ciphers ECDHE-RSA-CHACHA20-POLY1305\n\
                \x20   bind {p2} ssl crt rsa.pem ssl-max-ver TLSv1.3 ecdhe prime256v1\n");
    compare(
        |bin| {
            let (_px, p) = start(bin, &pki, global, &body, &[]);
            let mut t = Vec::new();
            for (what, port, args) in [
                ("defaults", p[0], &[][..]),
                ("defaults refuse 1.3", p[0], &["-tls1_3"]),
                (
                    "defaults other cipher",
                    p[0],
                    &["-cipher", "ECDHE-RSA-AES256-GCM-SHA384"],
                ),
                ("bind over defaults", p[1], &[]),
                ("bind over defaults 1.2", p[1], &["-tls1_2"]),
                ("default curves over ecdhe", p[2], &["-curves", "secp384r1"]),
                (
                    "default curves refuse p-256",
                    p[2],
                    &["-curves", "prime256v1"],
                ),
            ] {
                t.push(format!("{what}: {}", pki.s_client(port, args)));
            }
            let r = pki.py(&["resume", &p[0].to_string(), "1.2", "1"]);
            t.push(format!("resume: {r}"));
            t.push(format!("curl: {}", pki.curl(p[1], "rsa.test", None)));
            t
        },
        |t| {
            assert!(
                t[0].starts_with("defaults: TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "),
                "{t:#?}"
            );
            assert!(t[1].starts_with("defaults refuse 1.3: refused"), "{t:#?}");
            assert!(t[2].starts_with("defaults other cipher: refused"), "{t:#?}");
            assert!(
                t[3].starts_with("bind over defaults: TLSv1.3 TLS_AES_128_GCM_SHA256 "),
                "{t:#?}"
            );
            assert!(
                t[4].starts_with("bind over defaults 1.2: TLSv1.2 ECDHE-RSA-CHACHA20-POLY1305 "),
                "{t:#?}"
            );
            assert!(
                t[7].starts_with("resume: new ticket=False HTTP/1.1 200 OK reused"),
                "{t:#?}"
            );
            assert_eq!(t[8], "curl: hello 200", "{t:#?}");
            assert!(t[5].ends_with("kx=secp384r1"), "{t:#?}");
            assert!(
                t[6].starts_with("default curves refuse p-256: refused"),
                "{t:#?}"
            );
        },
    );
}

#[test]
fn h2_not_offered_in_http_mode() {
    let Some(pki) = Pki::new() else { return };
    let body = fe("    bind {p0} ssl crt rsa.pem alpn h2,http/1.1\n\
                   \x20   bind {p1} ssl crt rsa.pem alpn h2\n");
    let (px, p) = start(&tests::proxy_bin(), &pki, "", &body, &[]);
    assert!(
        px.stderr().contains("'alpn' : h2 is not offered"),
        "{}",
        px.stderr()
    );
    let r = pki.s_client(p[0], &["-alpn", "h2,http/1.1"]);
    assert!(r.contains("alpn=http/1.1 "), "{r}");
    let r = pki.s_client(p[1], &["-alpn", "h2"]);
    assert!(r.contains("alpn=- "), "{r}");
    // An HTTP/2-capable curl falls back to HTTP/1.1 and is served.
    let resolve = format!("rsa.test:{}:127.0.0.1", p[0]);
    let url = format!("https://rsa.test:{}/", p[0]);
    let ca = pki.path("servers.crt");
    let out = tests::http::curl(
        &[
            "--http2",
            "--resolve",
            &resolve,
            "--cacert",
            &ca,
            "-w",
            " %{http_version}",
            &url,
        ],
        b"",
    );
    assert_eq!(tests::tlskit::curl_summary(&out), "hello 1.1");
}
