//! Test certificates, made once per test run by the `openssl` command in
//! a temporary directory (no key is kept in the repository). Tests skip,
//! saying so, where there is no `openssl` command; a failing script fails
//! them.
//!
//! The files (`<f>.crt`/`<f>.key` hold the parts of `<f>.pem`):
//! - `rsa.pem`: RSA-2048, subject `/C=FR/O=Test Org/CN=www.example.com`,
//!   SAN DNS www.example.com, IP, DNS *.Example.org, email; cert then key;
//! - `ec.pem`: P-256, two CNs (`EC.example.com`, `second.example.com`),
//!   no SAN; key then cert;
//! - `rsa_pkcs1.pem`, `ec_sec1.pem`: the same with traditional keys;
//! - `chain.pem`: a P-384 leaf (UTF-8 and punctuation in its subject,
//!   serial 0x8000000000000001) issued by `int.crt`, issued by `ca.crt`;
//!   leaf, intermediate, key;
//! - `ed.pem`: Ed25519; `small.pem`: RSA-1024 (ring refuses it);
//! - `mism.pem`: the EC certificate with the RSA key;
//! - `sep.pem` + `sep.pem.key`, `mismkey.pem` + `mismkey.pem.key` (EC key
//!   for the RSA certificate), `badkey.pem` + `badkey.pem.key` (garbage),
//!   `nokey.pem` (no `.key`), `enc.pem` (encrypted key), `keyonly.pem`,
//!   `garbage.pem`, `empty.pem`;
//! - `crl.pem`: a CRL of `ca.crt`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const SCRIPT: &str = r#"
set -e
# Quiet on success (key generation draws progress dots), loud on failure.
q() { "$@" >q.out 2>&1 || { cat q.out >&2; return 1; }; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt -days 365 \
  -subj "/C=FR/O=Test Org/CN=www.example.com" \
  -addext "subjectAltName=DNS:www.example.com,IP:127.0.0.1,DNS:*.Example.org,email:a@b.c"
cat rsa.crt rsa.key > rsa.pem
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key \
  -out ec.crt -days 365 -subj "/CN=EC.example.com/CN=second.example.com"
cat ec.key ec.crt > ec.pem
q openssl pkey -in rsa.key -traditional -out rsa1.key
cat rsa.crt rsa1.key > rsa_pkcs1.pem
q openssl pkey -in ec.key -traditional -out ec1.key
cat ec1.key ec.crt > ec_sec1.pem
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
  -out ca.crt -days 3650 -subj "/C=FR/O=Root Org/CN=Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=keyCertSign,cRLSign"
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr \
  -subj "/C=FR/O=Root Org/OU=Int/CN=Intermediate CA"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n' > ca.ext
q openssl x509 -req -in int.csr -CA ca.crt -CAkey ca.key -set_serial 2 -out int.crt \
  -days 3650 -extfile ca.ext
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout leaf.key \
  -out leaf.csr -utf8 -subj "/CN=leaf.example.com/O=Caf$(printf '\303\251') \\\\ x\/y, z\+w"
printf 'subjectAltName=DNS:leaf.example.com,IP:10.0.0.1,DNS:Alt.Example.com,email:x@y.z\n' > leaf.ext
q openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -set_serial 0x8000000000000001 \
  -out leaf.crt -days 30 -extfile leaf.ext
cat leaf.crt int.crt leaf.key > chain.pem
q openssl genpkey -algorithm ed25519 -out ed.key
q openssl req -x509 -new -key ed.key -out ed.crt -days 10 -subj "/CN=ed.example.com"
cat ed.crt ed.key > ed.pem
q openssl req -x509 -newkey rsa:1024 -nodes -keyout small.key -out small.crt -days 1 -subj "/CN=small"
cat small.crt small.key > small.pem
cat ec.crt rsa.key > mism.pem
cp rsa.crt sep.pem; cp rsa.key sep.pem.key
cp rsa.crt mismkey.pem; cp ec.key mismkey.pem.key
cp rsa.crt badkey.pem; echo garbage > badkey.pem.key
cp rsa.crt nokey.pem
q openssl pkey -in rsa.key -aes128 -passout pass:x -out enc.key
cat rsa.crt enc.key > enc.pem
cp rsa.key keyonly.pem
echo garbage > garbage.pem
: > empty.pem
mkdir -p cadb; : > cadb/index.txt; echo 1000 > cadb/crlnumber
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=cadb/index.txt\ncrlnumber=cadb/crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n' > cadb/ca.cnf
q openssl ca -config cadb/ca.cnf -gencrl -keyfile ca.key -cert ca.crt -out crl.pem
"#;

/// The directory of the test certificates, made on first use; `None`
/// when `openssl` cannot be run.
pub(crate) fn fixture() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if Command::new("openssl").arg("version").output().is_err() {
            eprintln!("tls tests skipped: no openssl command");
            return None;
        }
        remove_stale();
        let dir = std::env::temp_dir().join(format!("proxy-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let out = Command::new("sh")
            .arg("-c")
            .arg(SCRIPT)
            .current_dir(&dir)
            .output()
            .expect("sh runs");
        // openssl is there: a failing script is a broken test, not a skip.
        assert!(
            out.status.success(),
            "making test certificates failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(dir)
    })
    .as_deref()
}

/// Removes the fixtures of earlier test runs whose process is gone: a
/// static cannot clean up after the last test, so each run does it for
/// the ones before.
fn remove_stale() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix("proxy-tls-"));
        if let Some(pid) = pid.filter(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// A fresh directory under the fixture for one test.
pub(super) fn subdir(name: &str) -> Option<PathBuf> {
    let d = fixture()?.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).ok()?;
    Some(d)
}

/// What `openssl x509 -noout <flag>` prints for `crt`, after its `=`.
pub(super) fn openssl_field(crt: &Path, flag: &str) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", flag, "-in"])
        .arg(crt)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.trim_end()
        .split_once('=')
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}
