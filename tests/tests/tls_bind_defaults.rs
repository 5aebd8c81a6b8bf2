//! What an `ssl` bind offers by default: nothing below TLS 1.2 and no
//! weak cipher (no static RSA key exchange, no CBC, no SHA-1 MAC, no
//! 3DES/RC4/NULL/anonymous suites, no finite-field DHE), probed with
//! `openssl s_client` and, when installed, `testssl`.
//!
//! This is our behaviour only: HAProxy 2.6 with OpenSSL 3 also offers
//! OpenSSL's DEFAULT TLS 1.2 list (CBC suites, static RSA key exchange),
//! which rustls does not implement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use tests::http::run_tool;
use tests::tlskit::Pki;
use tests::{BoundPort, Proxy};

/// Every TLS 1.2 suite OpenSSL has but the six ECDHE AEAD ones, by class.
const WEAK_TLS12: &[(&str, &str)] = &[
    ("static RSA key exchange", "kRSA:@SECLEVEL=0"),
    ("CBC with SHA-1", "SHA1:@SECLEVEL=0"),
    (
        "CBC with SHA-2",
        "SHA256:SHA384:!AESGCM:!CHACHA20:!ARIAGCM:@SECLEVEL=0",
    ),
    ("finite-field DHE", "kDHE:@SECLEVEL=0"),
    ("3DES", "3DES:@SECLEVEL=0"),
    ("NULL encryption", "eNULL:@SECLEVEL=0"),
    ("anonymous", "aNULL:@SECLEVEL=0"),
    ("CCM", "AESCCM:@SECLEVEL=0"),
    ("Camellia and ARIA", "CAMELLIA:ARIA:@SECLEVEL=0"),
    ("PSK and SRP", "PSK:SRP:@SECLEVEL=0"),
    (
        "all but ECDHE AEAD",
        "ALL:COMPLEMENTOFALL:!ECDHE+AESGCM:!ECDHE+CHACHA20:@SECLEVEL=0",
    ),
];

#[test]
fn nothing_below_tls12_nor_weak_ciphers_by_default() {
    let Some(pki) = Pki::new() else { return };
    let (rsa, ec) = (BoundPort::new(), BoundPort::new());
    let cfg = format!(
        "global\n    crt-base {}\n\ndefaults\n    mode http\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n\n\
         frontend fe\n    bind {rsa} ssl crt rsa.pem\n    bind {ec} ssl crt ec.pem\n    \
         http-request return status 200 content-type text/plain string hello\n",
        pki.dir.path().display()
    );
    let _px = Proxy::start_with(&cfg, &[&rsa, &ec]);
    for port in [rsa.port, ec.port] {
        for v in ["-tls1", "-tls1_1"] {
            let r = pki.s_client(port, &[v, "-cipher", "DEFAULT@SECLEVEL=0"]);
            assert_eq!(r, "refused: tlsv1 alert protocol version", "{v} on {port}");
        }
        for (what, ciphers) in WEAK_TLS12 {
            let r = pki.s_client(port, &["-tls1_2", "-cipher", ciphers]);
            assert!(
                r.starts_with("refused"),
                "{what} ({ciphers}) negotiated: {r}"
            );
        }
        for suite in ["TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"] {
            let r = pki.s_client(port, &["-tls1_3", "-ciphersuites", suite]);
            assert!(r.starts_with("refused"), "{suite} negotiated: {r}");
        }
    }
    // What is offered: exactly these, each alone.
    let good = [
        (rsa.port, "ECDHE-RSA-AES128-GCM-SHA256"),
        (rsa.port, "ECDHE-RSA-AES256-GCM-SHA384"),
        (rsa.port, "ECDHE-RSA-CHACHA20-POLY1305"),
        (ec.port, "ECDHE-ECDSA-AES128-GCM-SHA256"),
        (ec.port, "ECDHE-ECDSA-AES256-GCM-SHA384"),
        (ec.port, "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ];
    for (port, suite) in good {
        let r = pki.s_client(port, &["-tls1_2", "-cipher", suite]);
        assert!(r.starts_with(&format!("TLSv1.2 {suite} ")), "{suite}: {r}");
    }
    for suite in [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
    ] {
        let r = pki.s_client(rsa.port, &["-tls1_3", "-ciphersuites", suite]);
        assert!(r.starts_with(&format!("TLSv1.3 {suite} ")), "{suite}: {r}");
    }
    testssl(rsa.port);
}

/// `testssl` (Debian's testssl.sh) on the bind, when installed: protocols
/// and cipher classes.
fn testssl(port: u16) {
    let have = Command::new("testssl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        eprintln!("testssl not installed: its part skipped");
        return;
    }
    let target = format!("127.0.0.1:{port}");
    let args = [
        "--quiet",
        "--color",
        "0",
        "--warnings",
        "off",
        "--ip",
        "one",
        "-p",
        "-s",
        &target,
    ];
    let out = run_tool("testssl", &args, b"", std::time::Duration::from_secs(180));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = |start: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} line in testssl's output:\n{text}"))
            .to_string()
    };
    for p in ["SSLv2 ", "SSLv3 ", "TLS 1 ", "TLS 1.1 "] {
        assert!(line(p).contains("not offered"), "{p}: {text}");
    }
    for p in ["TLS 1.2 ", "TLS 1.3 "] {
        let l = line(p);
        assert!(
            l.contains("offered") && !l.contains("not offered"),
            "{p}: {text}"
        );
    }
    for c in [
        "NULL ciphers",
        "Anonymous NULL",
        "Export ciphers",
        "LOW: 64 Bit",
        "Triple DES",
        "Obsolete CBC",
    ] {
        assert!(line(c).contains("not offered"), "{c}: {text}");
    }
    assert!(line("Strong encryption").contains("offered (OK)"), "{text}");
}
