//! Tests for [`super`] and [`super::super::certinfo`] on certificates made
//! by `openssl` at test time ([`super::super::testgen`]).

use super::*;
use crate::tls::testgen::{fixture, openssl_field, subdir};

fn load(dir: &Path, f: &str) -> Result<LoadedCert, String> {
    load_pem(&dir.join(f))
}

fn p(dir: &Path, f: &str) -> String {
    dir.join(f).to_string_lossy().into_owned()
}

#[test]
fn rsa_cert_then_key() {
    let Some(d) = fixture() else { return };
    let c = load(d, "rsa.pem").unwrap();
    assert_eq!(c.path, p(d, "rsa.pem"));
    assert_eq!(c.algo, KeyAlgo::Rsa);
    assert_eq!(c.names, ["www.example.com", "*.example.org"]);
    assert_eq!(c.key.cert.len(), 1);
    assert_eq!(c.info.algorithm.as_deref(), Some("RSA2048"));
    assert_eq!(c.info.subject, "/C=FR/O=Test Org/CN=www.example.com");
    assert_eq!(c.info.issuer, c.info.subject);
    assert_eq!(c.info.sans, ["www.example.com", "*.Example.org"]);
    // DNS, IP, DNS, email: 2.6 leaves the non-DNS items empty.
    assert_eq!(
        c.info.san_line,
        "DNS:www.example.com, , DNS:*.Example.org, "
    );
}

#[test]
fn ec_key_then_cert_and_all_cns() {
    let Some(d) = fixture() else { return };
    let c = load(d, "ec.pem").unwrap();
    assert_eq!(c.algo, KeyAlgo::Ecdsa);
    assert_eq!(c.names, ["ec.example.com", "second.example.com"]);
    assert_eq!(c.info.algorithm.as_deref(), Some("EC256"));
    assert_eq!(c.info.san_line, "");
    assert!(c.info.sans.is_empty());
}

#[test]
fn traditional_key_formats() {
    let Some(d) = fixture() else { return };
    assert_eq!(load(d, "rsa_pkcs1.pem").unwrap().algo, KeyAlgo::Rsa);
    assert_eq!(load(d, "ec_sec1.pem").unwrap().algo, KeyAlgo::Ecdsa);
}

#[test]
fn chain_and_its_show_ssl_cert_lines() {
    let Some(d) = fixture() else { return };
    let c = load(d, "chain.pem").unwrap();
    assert_eq!(c.key.cert.len(), 2);
    let i = &c.info;
    assert_eq!(i.serial_hex, "8000000000000001");
    assert_eq!(i.algorithm.as_deref(), Some("EC384"));
    assert_eq!(
        i.subject, "/CN=leaf.example.com/O=Caf\u{e9} \\ x/y, z+w",
        "raw value bytes, nothing escaped"
    );
    assert_eq!(i.issuer, "/C=FR/O=Root Org/OU=Int/CN=Intermediate CA");
    assert_eq!(
        i.chain_subjects,
        ["/C=FR/O=Root Org/OU=Int/CN=Intermediate CA"]
    );
    assert_eq!(i.chain_issuers, ["/C=FR/O=Root Org/CN=Root CA"]);
    // Dates and fingerprint in the forms openssl itself prints.
    let crt = d.join("leaf.crt");
    assert_eq!(i.not_before, openssl_field(&crt, "-startdate"));
    assert_eq!(i.not_after, openssl_field(&crt, "-enddate"));
    assert_eq!(
        i.sha1_fingerprint_hex,
        openssl_field(&crt, "-fingerprint").replace(':', "")
    );
    let shown = i.render_show("/x/chain.pem", "Used");
    let want = format!(
        "Filename: /x/chain.pem\nStatus: Used\nSerial: 8000000000000001\n\
         notBefore: {}\nnotAfter: {}\n\
         Subject Alternative Name: DNS:leaf.example.com, , DNS:Alt.Example.com, \n\
         Algorithm: EC384\nSHA1 FingerPrint: {}\n\
         Subject: /CN=leaf.example.com/O=Caf\u{e9} \\ x/y, z+w\n\
         Issuer: /C=FR/O=Root Org/OU=Int/CN=Intermediate CA\n\
         Chain Subject: /C=FR/O=Root Org/OU=Int/CN=Intermediate CA\n\
         Chain Issuer: /C=FR/O=Root Org/CN=Root CA\n\
         OCSP Response Key: \n",
        i.not_before, i.not_after, i.sha1_fingerprint_hex
    );
    assert_eq!(shown, want);
}

#[test]
fn ed25519_loads_and_shows_as_26_does() {
    let Some(d) = fixture() else { return };
    let c = load(d, "ed.pem").unwrap();
    assert_eq!(c.algo, KeyAlgo::Ed25519);
    assert_eq!(c.info.algorithm, None);
    let shown = c.info.render_show("ed.pem", "Used");
    assert!(
        shown.ends_with("\nAlgorithm: OCSP Response Key: \n"),
        "{shown}"
    );
}

#[test]
fn key_in_separate_file() {
    let Some(d) = fixture() else { return };
    let c = load(d, "sep.pem").unwrap();
    assert_eq!(c.algo, KeyAlgo::Rsa);
    assert_eq!(c.path, p(d, "sep.pem"));
}

#[test]
fn errors_worded_as_26() {
    let Some(d) = fixture() else { return };
    let err = |f: &str| load(d, f).unwrap_err();
    assert_eq!(
        err("nope.pem"),
        format!(
            "unable to stat SSL certificate from file '{}' : No such file or directory.",
            p(d, "nope.pem")
        )
    );
    for f in ["keyonly.pem", "garbage.pem", "empty.pem"] {
        assert_eq!(
            err(f),
            format!("unable to load certificate from file '{}'.", p(d, f))
        );
    }
    for f in ["nokey.pem", "enc.pem"] {
        assert_eq!(
            err(f),
            format!("No Private Key found in '{}.key'.", p(d, f))
        );
    }
    for f in ["mism.pem", "mismkey.pem"] {
        assert_eq!(
            err(f),
            format!(
                "inconsistencies between private key and certificate loaded '{}'.",
                p(d, f)
            )
        );
    }
    let k = p(d, "badkey.pem.key");
    assert_eq!(
        err("badkey.pem"),
        format!(
            "\n  unable to load private key from file '{k}'.\n   '{k}' is present but cannot be read or parsed'."
        )
    );
    assert!(err("small.pem").starts_with(&format!(
        "unable to load private key from file '{}' (",
        p(d, "small.pem")
    )));
}

#[test]
fn directory_order_and_skips() {
    let Some(d) = subdir("dir") else { return };
    let f = fixture().unwrap();
    let cp = |from: &str, to: &str| std::fs::copy(f.join(from), d.join(to)).unwrap();
    cp("ec.pem", "b.pem");
    cp("rsa.pem", "a.pem");
    cp("ed.pem", "C.pem");
    cp("rsa.pem", ".hidden.pem");
    cp("nokey.pem", "s.crt");
    cp("rsa.key", "s.crt.key");
    for junk in ["x.key", "x.ocsp", "x.issuer", "x.sctl"] {
        cp("garbage.pem", junk);
    }
    std::fs::create_dir(d.join("sub.pem")).unwrap();
    std::os::unix::fs::symlink(f.join("ec.pem"), d.join("link.pem")).unwrap();
    let got = load_crt_arg(&d).unwrap();
    let names: Vec<_> = got.iter().map(|c| c.path.clone()).collect();
    let dir = d.to_string_lossy();
    let want: Vec<_> = ["C.pem", "a.pem", "b.pem", "link.pem", "s.crt"]
        .iter()
        .map(|n| format!("{dir}/{n}"))
        .collect();
    assert_eq!(names, want);
    // A trailing slash is not doubled in the files' names.
    let again = load_crt_arg(Path::new(&format!("{dir}/"))).unwrap();
    assert_eq!(again[0].path, want[0]);
    // Extensions are matched case-sensitively: X.KEY is a certificate file.
    cp("garbage.pem", "y.KEY");
    assert_eq!(
        load_crt_arg(&d).unwrap_err(),
        format!("unable to load certificate from file '{dir}/y.KEY'.")
    );
}

#[test]
fn empty_and_missing_directory_entries() {
    let Some(d) = subdir("emptydir") else { return };
    assert!(load_crt_arg(&d).unwrap().is_empty());
    std::os::unix::fs::symlink("/nonexistent/x.pem", d.join("dangling.pem")).unwrap();
    assert_eq!(
        load_crt_arg(&d).unwrap_err(),
        format!(
            "unable to stat SSL certificate from file '{}/dangling.pem' : No such file or directory.",
            d.to_string_lossy()
        )
    );
}

#[test]
fn multi_cert_bundle_by_extension() {
    let Some(d) = subdir("bundle") else { return };
    let f = fixture().unwrap();
    std::fs::copy(f.join("rsa.pem"), d.join("site.pem.rsa")).unwrap();
    std::fs::copy(f.join("ec.pem"), d.join("site.pem.ecdsa")).unwrap();
    let got = load_crt_arg(&d.join("site.pem")).unwrap();
    let algos: Vec<_> = got.iter().map(|c| c.algo).collect();
    assert_eq!(
        algos,
        [KeyAlgo::Ecdsa, KeyAlgo::Rsa],
        "dsa, ecdsa, rsa order"
    );
    assert!(got[0].path.ends_with("/site.pem.ecdsa"));
    assert!(load_crt_arg(&d.join("other.pem"))
        .unwrap_err()
        .starts_with("unable to stat SSL certificate from file '"));
}

#[test]
fn single_file_argument() {
    let Some(d) = fixture() else { return };
    let got = load_crt_arg(&d.join("rsa.pem")).unwrap();
    assert_eq!(got.len(), 1);
}

#[test]
fn base_joining() {
    assert_eq!(join_base(Some("/etc/ssl"), "a.pem"), "/etc/ssl/a.pem");
    assert_eq!(join_base(Some("/etc/ssl/"), "a.pem"), "/etc/ssl//a.pem");
    assert_eq!(join_base(Some("/etc/ssl"), "/abs/a.pem"), "/abs/a.pem");
    assert_eq!(join_base(None, "a.pem"), "a.pem");
    assert_eq!(join_base(Some("rel"), "d/a.pem"), "rel/d/a.pem");
    assert_eq!(dir_name("/a/b//"), "/a/b");
    assert_eq!(dir_name("/"), "/");
}

#[test]
fn ca_and_crl_files() {
    let Some(d) = fixture() else { return };
    let store = load_ca_file(&d.join("ca.crt")).unwrap();
    assert_eq!(store.len(), 1);
    // CRLs and certificates are read from either file, as 2.6 does.
    assert_eq!(load_ca_file(&d.join("crl.pem")).unwrap().len(), 0);
    assert_eq!(load_crl_file(&d.join("crl.pem")).unwrap().len(), 1);
    assert!(load_crl_file(&d.join("ca.crt")).unwrap().is_empty());
    let nope = p(d, "nope.pem");
    assert_eq!(
        load_ca_file(Path::new(&nope)).unwrap_err(),
        format!("Couldn't open the ca-file '{nope}' (No such file or directory).")
    );
    for f in ["garbage.pem", "empty.pem", "rsa.key"] {
        assert_eq!(
            load_crl_file(&d.join(f)).unwrap_err(),
            format!(
                "Couldn't open the ca-file '{}' (no certificate or crl found).",
                p(d, f)
            )
        );
    }
}

#[test]
fn ca_directory() {
    let Some(d) = subdir("cadir") else { return };
    let f = fixture().unwrap();
    std::fs::copy(f.join("ca.crt"), d.join("a.pem")).unwrap();
    std::fs::copy(f.join("int.crt"), d.join("b.crt")).unwrap();
    std::fs::copy(f.join("rsa.crt"), d.join("c.txt")).unwrap();
    std::fs::copy(f.join("rsa.crt"), d.join(".d.pem")).unwrap();
    std::fs::copy(f.join("crl.pem"), d.join("e.crl")).unwrap();
    assert_eq!(load_ca_file(&d).unwrap().len(), 2);
}

#[test]
fn dn_of_a_parsed_name() {
    let Some(d) = fixture() else { return };
    let pem = std::fs::read(d.join("chain.pem")).unwrap();
    let der = CertificateDer::pem_slice_iter(&pem)
        .next()
        .unwrap()
        .unwrap();
    let (_, x) = X509Certificate::from_der(&der).unwrap();
    let raw = crate::tls::certinfo::dn_oneline(x.subject());
    assert_eq!(
        raw,
        "/CN=leaf.example.com/O=Caf\u{e9} \\ x/y, z+w".as_bytes()
    );
    let e = crate::tls::certinfo::dn_entries(x.issuer());
    let short: Vec<_> = e.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(short, ["C", "O", "OU", "CN"]);
}
