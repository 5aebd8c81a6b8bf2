//! The `ssl_c_*` certificate fields against `openssl x509` on the test
//! certificates: the DN forms (HAProxy 2.6 prints the RFC 2253 form with
//! OpenSSL's `XN_FLAG_RFC2253`, as `-nameopt RFC2253` does), the serial,
//! the validity dates, the version and the fingerprint.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::certfields::{dn, serial, sha1, validity, version, DnSel};
use super::testgen::{fixture, openssl_field};

fn der(path: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).expect("a PEM certificate")
}

fn sel(entry: &str, occ: i64, ldap: bool) -> DnSel {
    DnSel {
        entry: Some(entry.to_string()).filter(|e| !e.is_empty()),
        occ,
        ldap,
    }
}

fn text(v: Option<Vec<u8>>) -> String {
    String::from_utf8(v.unwrap_or_default()).expect("UTF-8")
}

#[test]
fn dns_as_haproxy_gives_them() {
    let Some(dir) = fixture() else { return };
    let leaf = dir.join("leaf.crt");
    let d = der(&leaf);
    let rfc = |issuer| {
        let flag = if issuer { "-issuer" } else { "-subject" };
        let out = std::process::Command::new("openssl")
            .args(["x509", "-noout", flag, "-nameopt", "RFC2253", "-in"])
            .arg(&leaf)
            .output()
            .expect("openssl");
        let s = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        s.split_once('=')
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(text(dn(&d, false, &sel("", 0, true))), rfc(false));
    assert_eq!(text(dn(&d, true, &sel("", 0, true))), rfc(true));
    assert_eq!(
        text(dn(&d, true, &DnSel::default())),
        "/C=FR/O=Root Org/OU=Int/CN=Intermediate CA"
    );
    assert_eq!(
        text(dn(&d, false, &sel("cn", 1, false))),
        "leaf.example.com"
    );
    assert_eq!(text(dn(&d, true, &sel("O", -1, true))), "Root Org");
    // Occurrence 0, past the last, or a long name: nothing.
    assert_eq!(dn(&d, true, &sel("O", 0, false)), None);
    assert_eq!(dn(&d, true, &sel("O", 2, false)), None);
    assert_eq!(dn(&d, true, &sel("O", -2, false)), None);
    assert_eq!(dn(&d, true, &sel("organizationName", 1, false)), None);
    let ec = der(&dir.join("ec.crt"));
    assert_eq!(
        text(dn(&ec, false, &sel("CN", 2, false))),
        "second.example.com"
    );
    assert_eq!(
        text(dn(&ec, false, &sel("CN", -2, false))),
        "EC.example.com"
    );
}

#[test]
fn serial_dates_version_fingerprint() {
    let Some(dir) = fixture() else { return };
    let leaf = dir.join("leaf.crt");
    let d = der(&leaf);
    // The DER serial has a sign byte before 0x80...: not in the fetch.
    assert_eq!(serial(&d), Some(vec![0x80, 0, 0, 0, 0, 0, 0, 1]));
    assert_eq!(version(&d), Some(3));
    let fp = openssl_field(&leaf, "-fingerprint").replace(':', "");
    let hex: String = sha1(&d).iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(hex, fp);
    // `notAfter=Jan  6 21:15:11 2027 GMT` -> `270106211511Z`.
    let when = openssl_field(&leaf, "-enddate");
    let t = jiff::fmt::strtime::parse(
        "%b %e %H:%M:%S %Y GMT",
        when.split_whitespace().collect::<Vec<_>>().join(" "),
    )
    .and_then(|p| p.to_datetime())
    .expect("openssl's date");
    let want = t.strftime("%y%m%d%H%M%SZ").to_string();
    assert_eq!(validity(&d, true), Some(want));
    assert!(validity(&d, false).is_some_and(|s| s.len() == 13 && s.ends_with('Z')));
}
