//! Configuration errors of `ssl` binds as `-c` reports them, on HAProxy
//! 2.6 and on ours: certificate files (no key, a bad key, a key of another
//! certificate, garbage, absent, an unreadable directory), CA and CRL
//! files, `verify` without a CA file, no version left, and an unknown
//! cipher (an error at its line on both, worded differently).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};

use tests::checks::{compare, HAPROXY};
use tests::tlskit::Pki;

/// `-c` on a configuration whose bind has `ssl <opts>`: the exit code and
/// the ALERT lines but the closing ones, without the pid. `setpriv` drops
/// the capabilities that let root read any directory, so that `chmod 000`
/// means something.
fn check_bind(bin: &Path, pki: &Pki, opts: &str) -> String {
    let cfg = format!(
        "defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    \
         timeout connect 1s\n\nfrontend fe\n    bind 127.0.0.1:8443 ssl {opts}\n"
    );
    let path = pki.dir.write("check.cfg", &cfg);
    let out = Command::new("setpriv")
        .args(["--bounding-set=-dac_override,-dac_read_search", "--"])
        .arg(bin)
        .args(["-c", "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let alerts: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("[ALERT]"))
        .filter(|l| !l.contains("Fatal errors found") && !l.contains("Error(s) found"))
        .map(|l| l.split_once(") : ").map_or(l, |x| x.1))
        .collect();
    let dir = pki.dir.path().display().to_string();
    format!(
        "exit {:?}: {}",
        out.status.code(),
        alerts.join(" // ").replace(&dir, "<kit>")
    )
}

#[test]
fn bad_certificate_files_refused_as_haproxy() {
    let Some(pki) = Pki::new() else { return };
    let have_setpriv = Command::new("setpriv")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let rsa_crt = std::fs::read_to_string(pki.path("rsa.crt")).unwrap();
    let ec_key = std::fs::read_to_string(pki.path("ec.key")).unwrap();
    pki.dir.write("nokey.pem", &rsa_crt);
    pki.dir.write(
        "badkey.pem",
        &format!(
            "{rsa_crt}-----BEGIN PRIVATE KEY-----\nAAAAbadbase64==\n-----END PRIVATE KEY-----\n"
        ),
    );
    pki.dir.write("mismatch.pem", &format!("{rsa_crt}{ec_key}"));
    pki.dir.write("garbage.pem", "not a certificate at all\n");
    let locked = pki.dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::copy(pki.path("rsa.pem"), locked.join("rsa.pem")).unwrap();
    let mut files = vec![
        "nokey.pem",
        "badkey.pem",
        "mismatch.pem",
        "garbage.pem",
        "absent.pem",
    ];
    if have_setpriv {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        files.push("locked");
    }
    let ca = pki.path("ca.crt");
    let rsa = pki.path("rsa.pem");
    let more = [
        (
            "verify without ca-file",
            format!("crt {rsa} verify required"),
        ),
        (
            "absent ca-file",
            format!("crt {rsa} ca-file {ca}x verify required"),
        ),
        (
            "absent crl-file",
            format!("crt {rsa} ca-file {ca} crl-file {ca}x verify optional"),
        ),
        ("no version left", format!("crt {rsa} no-tlsv12 no-tlsv13")),
    ];
    compare(
        |bin| {
            let mut t: Vec<String> = files
                .iter()
                .map(|f| {
                    let r = check_bind(bin, &pki, &format!("crt {}", pki.path(f)));
                    format!("{f}: {r}")
                })
                .collect();
            for (what, opts) in &more {
                t.push(format!("{what}: {}", check_bind(bin, &pki, opts)));
            }
            t
        },
        |t| {
            let has = |k: &str, what: &str| {
                let l = t.iter().find(|l| l.starts_with(k)).unwrap();
                assert!(l.starts_with(&format!("{k}: exit Some(1): ")), "{t:#?}");
                assert!(
                    l.contains("check.cfg:8] : 'bind 127.0.0.1:8443' in section 'frontend'"),
                    "{t:#?}"
                );
                assert!(l.contains(what), "{k}: {t:#?}");
            };
            has(
                "nokey.pem",
                "No Private Key found in '<kit>/nokey.pem.key'.",
            );
            has(
                "badkey.pem",
                "No Private Key found in '<kit>/badkey.pem.key'.",
            );
            has(
                "mismatch.pem",
                "inconsistencies between private key and certificate loaded '<kit>/mismatch.pem'.",
            );
            has(
                "garbage.pem",
                "unable to load certificate from file '<kit>/garbage.pem'.",
            );
            has("absent.pem", "unable to stat SSL certificate from file '<kit>/absent.pem' : No such file or directory.");
            if t.iter().any(|l| l.starts_with("locked")) {
                has(
                    "locked",
                    "unable to scan directory '<kit>/locked' : Permission denied.",
                );
            }
            let get = |k: &str| {
                t.iter()
                    .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                    .unwrap()
            };
            let at = "for bind '127.0.0.1:8443' at [<kit>/check.cfg:8].";
            let no_ca = "verify is enabled but no CA file specified";
            assert_eq!(
                get("verify without ca-file"),
                format!("exit Some(1): config : Proxy 'fe': {no_ca} {at}")
            );
            assert_eq!(
                get("no version left"),
                format!(
                    "exit Some(1): config : Proxy 'fe': all SSL/TLS versions are disabled {at}"
                )
            );
            let absent = "Couldn't open the ca-file '<kit>/ca.crtx' (No such file or directory).";
            assert!(
                get("absent ca-file").starts_with(&format!("exit Some(1): config : {absent} // ")),
                "{t:#?}"
            );
            let crl = "'crl-file' : unable to load <kit>/ca.crtx";
            assert!(get("absent crl-file").ends_with(crl), "{t:#?}");
        },
    );
    if have_setpriv {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755));
    }
}

/// An unknown cipher is an error naming it at its line, on both (the
/// wording differs: 2.6 says it could not set the list; ours names the
/// word it does not know).
#[test]
fn unknown_cipher_is_an_error_at_its_line() {
    let Some(pki) = Pki::new() else { return };
    let cfg = format!(
        "defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    \
         timeout connect 1s\n\nfrontend fe\n    bind 127.0.0.1:8443 ssl crt {} ciphers FOO-BAR\n",
        pki.path("rsa.pem")
    );
    let path = pki.dir.write("cipher.cfg", &cfg);
    let mut bins = vec![tests::proxy_bin()];
    if Path::new(HAPROXY).exists() && !tests::is_haproxy() {
        bins.push(HAPROXY.into());
    }
    for bin in bins {
        let out = Command::new(&bin)
            .args(["-c", "-f"])
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{}: {text}", bin.display());
        let alert = text.lines().find(|l| l.contains("FOO-BAR")).unwrap_or("");
        assert!(alert.contains("[ALERT]"), "{}: {text}", bin.display());
        assert!(alert.contains("cipher.cfg:8]"), "{}: {text}", bin.display());
    }
}
