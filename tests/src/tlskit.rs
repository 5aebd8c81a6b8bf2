//! TLS test kit: certificates made at test time with the `openssl` CLI
//! (nothing secret is committed), and the clients the TLS bind tests
//! drive: `openssl s_client`, curl and a Python `ssl` client.
//!
//! [`Pki::new`] makes, in a temp dir (`None` when openssl or python3 is
//! missing, so the test skips):
//! - server certificates, each a PEM with its key: `rsa.pem` (RSA,
//!   `rsa.test` + `both.test`), `ec.pem` (ECDSA P-256, `ec.test` +
//!   `both.test`), `dflt.pem` (RSA, `dflt.test`), `wild.pem` (RSA,
//!   `*.wild.test`), and the directory `dir/` with `a.pem` and `b.pem`
//!   (ECDSA, `a.dir.test`, `b.dir.test`); `servers.crt` trusts them all;
//! - a CA `ca.crt` and, signed by it, the client certificates `client`,
//!   `revoked` (listed in `ca.crl`) and `expired` (valid in January 2020),
//!   each as `<name>.crt` + `<name>.key`; `wrong` is signed by another
//!   CA, `client_v1` is `client`'s key in a version 1 certificate (what
//!   `openssl x509 -req` makes without extensions).
//!
//! Every client run is bounded in time and talks to 127.0.0.1 only.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::http::{have_tool, run_tool, ToolOutput};
use crate::TempDir;

/// How long one client run may take.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The test certificates (see the module doc).
pub struct Pki {
    pub dir: TempDir,
}

/// Extensions of a client certificate (version 3, as webpki requires).
const CLIENT_EXT: &str = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";

/// A minimal `openssl ca` setup, for the expired certificate and the CRL.
const CA_CNF: &str = "[ca]\ndefault_ca = d\n[d]\ndir = DIR\ndatabase = $dir/index.txt\n\
serial = $dir/serial\ncrlnumber = $dir/crlnumber\nnew_certs_dir = $dir/issued\n\
certificate = $dir/ca.crt\nprivate_key = $dir/ca.key\ndefault_md = sha256\n\
policy = p\nx509_extensions = e\ndefault_crl_days = 30\n\
[p]\ncommonName = supplied\n[e]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\n";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Pki {
    /// Makes every certificate; `None` when openssl or python3 is missing.
    pub fn new() -> Option<Pki> {
        let openssl_ok = Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !openssl_ok || !have_tool("python3") {
            eprintln!("openssl or python3 missing: skipped");
            return None;
        }
        let pki = Pki {
            dir: TempDir::new(),
        };
        pki.server("rsa", "rsa", "rsa.test", "DNS:rsa.test,DNS:both.test");
        pki.server("ec", "ec", "ec.test", "DNS:ec.test,DNS:both.test");
        pki.server("dflt", "rsa", "dflt.test", "DNS:dflt.test");
        pki.server("wild", "rsa", "wild", "DNS:*.wild.test");
        std::fs::create_dir(pki.dir.path().join("dir")).expect("mkdir dir");
        pki.server("dir/a", "ec", "a.dir.test", "DNS:a.dir.test");
        pki.server("dir/b", "ec", "b.dir.test", "DNS:b.dir.test");
        let bundle: String = ["rsa", "ec", "dflt", "wild", "dir_a", "dir_b"]
            .iter()
            .map(|n| pki.read(&format!("{n}.crt")))
            .collect();
        pki.dir.write("servers.crt", &bundle);
        pki.clients();
        Some(pki)
    }

    /// A file's path in the kit, as a string for configurations.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).expect("read kit file")
    }

    /// A self-signed server certificate `<name>.pem` (and `.crt`).
    fn server(&self, name: &str, kind: &str, cn: &str, san: &str) {
        let key = match kind {
            "rsa" => vec!["-newkey", "rsa:2048"],
            _ => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        };
        // The certificate and key alone beside the PEM, outside `dir/`
        // (whose every file is a certificate to load).
        let flat = name.replace('/', "_");
        let (crt, keyf) = (format!("{flat}.crt"), format!("{flat}.key"));
        let subj = format!("/CN={cn}");
        let ext = format!("subjectAltName={san}");
        let mut args = vec!["req", "-x509"];
        args.extend(key);
        args.extend(["-nodes", "-days", "3", "-subj", &subj, "-addext", &ext]);
        args.extend(["-keyout", &keyf, "-out", &crt]);
        openssl(self.dir.path(), &args);
        let pem = self.read(&crt) + &self.read(&keyf);
        self.dir.write(&format!("{name}.pem"), &pem);
    }

    /// The CA, the client certificates and the CRL.
    fn clients(&self) {
        let d = self.dir.path();
        for ca in ["ca", "ca2"] {
            let subj = format!("/CN=Test {ca}");
            let (k, c) = (format!("{ca}.key"), format!("{ca}.crt"));
            openssl(
                d,
                &[
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3", "-subj", &subj,
                    "-keyout", &k, "-out", &c,
                ],
            );
        }
        self.dir.write("ext.cnf", CLIENT_EXT);
        for (name, ca, serial) in [("client", "ca", "101"), ("wrong", "ca2", "102")] {
            self.csr(name);
            let (csr, crt) = (format!("{name}.csr"), format!("{name}.crt"));
            let (cac, cak) = (format!("{ca}.crt"), format!("{ca}.key"));
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &cac,
                    "-CAkey",
                    &cak,
                    "-set_serial",
                    serial,
                    "-days",
                    "3",
                    "-extfile",
                    "ext.cnf",
                    "-out",
                    &crt,
                ],
            );
        }
        // The same key in a version 1 certificate (no extensions).
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "103",
                "-days",
                "3",
                "-out",
                "client_v1.crt",
            ],
        );
        std::fs::copy(d.join("client.key"), d.join("client_v1.key")).expect("copy key");
        // `openssl ca` for what `x509 -req` cannot do: past dates, a CRL.
        let db = d.join("cadb");
        std::fs::create_dir_all(db.join("issued")).expect("mkdir cadb");
        std::fs::write(db.join("index.txt"), "").expect("index");
        std::fs::write(db.join("serial"), "1000\n").expect("serial");
        std::fs::write(db.join("crlnumber"), "01\n").expect("crlnumber");
        std::fs::copy(d.join("ca.crt"), db.join("ca.crt")).expect("ca");
        std::fs::copy(d.join("ca.key"), db.join("ca.key")).expect("ca key");
        let cnf = CA_CNF.replace("DIR", &db.display().to_string());
        self.dir.write("ca.cnf", &cnf);
        let ca = |args: &[&str]| {
            let mut a = vec!["ca", "-batch", "-config", "ca.cnf", "-notext"];
            a.extend_from_slice(args);
            openssl(d, &a);
        };
        for name in ["revoked", "expired"] {
            self.csr(name);
        }
        ca(&["-in", "revoked.csr", "-out", "revoked.crt", "-days", "3"]);
        ca(&[
            "-in",
            "expired.csr",
            "-out",
            "expired.crt",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
        ]);
        ca(&["-revoke", "revoked.crt"]);
        ca(&["-gencrl", "-out", "ca.crl"]);
    }

    fn csr(&self, name: &str) {
        let subj = format!("/CN={name}");
        let (k, r) = (format!("{name}.key"), format!("{name}.csr"));
        openssl(
            self.dir.path(),
            &[
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", &subj, "-keyout", &k, "-out", &r,
            ],
        );
    }

    /// Runs `openssl s_client` against `port` with `args` (stdin closed,
    /// so it ends after the handshake) and sums up what it saw, one line:
    /// `TLSv1.3 TLS_AES_256_GCM_SHA384 cert=rsa.test sig=RSA-PSS
    /// alpn=h2 kx=X25519`, or `refused: <OpenSSL's reason>`.
    pub fn s_client(&self, port: u16, args: &[&str]) -> String {
        let target = format!("127.0.0.1:{port}");
        let mut a = vec!["s_client", "-connect", &target];
        a.extend_from_slice(args);
        let out = run_tool("openssl", &a, b"", CLIENT_TIMEOUT);
        summarize_s_client(&out)
    }

    /// The kit's Python client (see [`PY_CLIENT`]) with `args`; its last
    /// output line.
    pub fn py(&self, args: &[&str]) -> String {
        let script = self.dir.path().join("client.py");
        if !script.exists() {
            self.dir.write("client.py", PY_CLIENT);
        }
        let mut a = vec![script.to_str().unwrap_or("client.py")];
        a.extend_from_slice(args);
        let out = run_tool("python3", &a, b"", CLIENT_TIMEOUT);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        match text.lines().last() {
            Some(l) => l.to_string(),
            None => format!("no output (exit {:?}): {}", out.code, out.stderr),
        }
    }

    /// A GET through curl over TLS to `port` for `sni` (resolved to
    /// 127.0.0.1, the server certificate checked against `servers.crt`),
    /// with a client certificate when `client` names one: `<body>
    /// <status>` or `curl <exit code>: <OpenSSL's reason>`.
    pub fn curl(&self, port: u16, sni: &str, client: Option<&str>) -> String {
        let resolve = format!("{sni}:{port}:127.0.0.1");
        let url = format!("https://{sni}:{port}/");
        let ca = self.path("servers.crt");
        let mut a = vec![
            "-sS",
            "--max-time",
            "8",
            "--resolve",
            &resolve,
            "--cacert",
            &ca,
        ];
        let (cert, key);
        if let Some(c) = client {
            cert = self.path(&format!("{c}.crt"));
            key = self.path(&format!("{c}.key"));
            a.extend(["--cert", &cert, "--key", &key]);
        }
        a.extend(["-w", " %{http_code}", &url]);
        let out = run_tool("curl", &a, b"", CLIENT_TIMEOUT);
        curl_summary(&out)
    }
}

/// curl's result in a line (see [`Pki::curl`]).
pub fn curl_summary(out: &ToolOutput) -> String {
    let body = String::from_utf8_lossy(&out.stdout);
    if out.code == Some(0) {
        return body.trim().to_string();
    }
    let reason = out
        .stderr
        .split("SSL routines::")
        .nth(1)
        .map(|r| r.split(',').next().unwrap_or(r).trim().to_string())
        .unwrap_or_else(|| out.stderr.trim().to_string());
    format!("curl {}: {reason}", out.code.unwrap_or(-1))
}

/// The reason of OpenSSL's first error line (`...:SSL routines:<fn>:<reason>:<file>...`).
pub fn openssl_reason(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (_, rest) = l.split_once(":error:")?;
        let parts: Vec<&str> = rest.split(':').collect();
        parts.get(3).map(|r| r.to_string())
    })
}

/// See [`Pki::s_client`].
pub fn summarize_s_client(out: &ToolOutput) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!("{stdout}\n{}", out.stderr);
    let find = |prefix: &str| {
        all.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
    };
    let Some(new) = find("New, ").filter(|n| !n.starts_with("(NONE)")) else {
        return match openssl_reason(&all) {
            Some(r) => format!("refused: {r}"),
            None => "refused: no handshake".to_string(),
        };
    };
    let (proto, cipher) = new.split_once(", Cipher is ").unwrap_or((&new, ""));
    let cert = find("subject=")
        .map(|s| s.trim_start_matches("CN = ").to_string())
        .unwrap_or_default();
    let sig = find("Peer signature type:").unwrap_or_default();
    let alpn = find("ALPN protocol:").unwrap_or_else(|| "-".to_string());
    let kx = find("Server Temp Key:")
        .map(|k| {
            let k = k.trim_start_matches("ECDH, ");
            k.split(',').next().unwrap_or(k).to_string()
        })
        .unwrap_or_default();
    format!("{proto} {cipher} cert={cert} sig={sig} alpn={alpn} kx={kx}")
}

/// The Python client: `hs <port> <sni|-> <alpn list|-> <version|-> [<cert>
/// <key>]` does a handshake and a GET (`<version> <alpn> <status line>` or
/// `error <reason>`); `resume <port> <version> <tickets 0|1>` connects
/// twice, the second time offering the first session (`new/reused` per
/// connection and whether a ticket was given); `bytewise <port> <sni>`
/// sends its ClientHello one byte per write, then completes the handshake
/// and a GET.
pub const PY_CLIENT: &str = r#"
import socket, ssl, sys, time

def ctx_for(version, alpn, cert=None, key=None, tickets=True):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    if version != '-':
        v = {'1.2': ssl.TLSVersion.TLSv1_2, '1.3': ssl.TLSVersion.TLSv1_3}[version]
        c.minimum_version = v
        c.maximum_version = v
    if alpn and alpn != '-':
        c.set_alpn_protocols(alpn.split(','))
    if cert:
        c.load_cert_chain(cert, key)
    if not tickets:
        c.options |= ssl.OP_NO_TICKET
    return c

def get(s):
    s.sendall(b'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
    data = b''
    while b'\r\n' not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b'\r\n')[0].decode() or 'no response'

def hs(port, sni, alpn, version, cert=None, key=None):
    c = ctx_for(version, alpn, cert, key)
    raw = socket.create_connection(('127.0.0.1', int(port)), timeout=5)
    s = c.wrap_socket(raw, server_hostname=None if sni == '-' else sni)
    print(s.version(), s.selected_alpn_protocol(), get(s))

def resume(port, version, tickets):
    c = ctx_for(version, '-', tickets=tickets == '1')
    out = []
    sess = None
    for i in range(2):
        raw = socket.create_connection(('127.0.0.1', int(port)), timeout=5)
        s = c.wrap_socket(raw, session=sess)
        status = get(s)
        out.append('reused' if s.session_reused else 'new')
        sess = s.session
        if i == 0:
            out.append('ticket=%s' % sess.has_ticket)
        out.append(status)
        s.close()
    print(' '.join(out))

def bytewise(port, sni):
    c = ctx_for('-', '-')
    raw = socket.create_connection(('127.0.0.1', int(port)), timeout=5)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = c.wrap_bio(inc, out, server_hostname=sni)
    first = True
    while True:
        try:
            s.do_handshake()
            break
        except ssl.SSLWantReadError:
            data = out.read()
            if first:
                for i in range(len(data)):
                    raw.sendall(data[i:i + 1])
                    time.sleep(0.002)
                first = False
            else:
                raw.sendall(data)
            d = raw.recv(65536)
            if not d:
                print('closed')
                return
            inc.write(d)
    raw.sendall(out.read())
    s.write(b'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
    raw.sendall(out.read())
    ans = b''
    while b'\r\n' not in ans:
        try:
            ans += s.read(4096)
        except ssl.SSLWantReadError:
            d = raw.recv(65536)
            if not d:
                break
            inc.write(d)
    print(s.version(), ans.split(b'\r\n')[0].decode())

try:
    mode = sys.argv[1]
    if mode == 'hs':
        hs(*sys.argv[2:])
    elif mode == 'resume':
        resume(*sys.argv[2:])
    elif mode == 'bytewise':
        bytewise(*sys.argv[2:])
except ssl.SSLError as e:
    print('error', e.reason)
except (ConnectionError, socket.timeout, OSError) as e:
    print('error', type(e).__name__)
"#;

/// A hand-made ClientHello (TLS 1.2 header, one TLS 1.3 suite) whose
/// server name is `name_len` bytes long, framed in records of at most
/// `record` bytes of payload.
pub fn hand_made_hello(name_len: usize, record: usize) -> Vec<u8> {
    let name = vec![b'a'; name_len];
    let mut sni = vec![0u8, 0];
    let list = 3 + name.len();
    sni.extend_from_slice(&((list + 2) as u16).to_be_bytes());
    sni.extend_from_slice(&(list as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(&name);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    body.extend_from_slice(&sni);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut out = Vec::new();
    for chunk in hs.chunks(record) {
        out.extend_from_slice(&[0x16, 3, 1]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// Runs a shell script that makes test certificates in `dir` (with the
/// `openssl` CLI); fails the test with its stderr when it fails.
pub fn run_cert_script(dir: &TempDir, script: &str) {
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(dir.path())
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "making certificates failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
