//! Certificates at run time through the real CLI (the applet-stats
//! plugin): `show|set|commit|abort|new|del ssl cert` and `add|del|show ssl
//! crt-list`, run on our proxy and on HAProxy 2.6 in the same test, with
//! the same transcript: every answer, and which certificate each new
//! handshake gets (a committed certificate is served by the next
//! handshake, a line added to a crt-list answers its SNI at once, a
//! connection opened before a commit keeps working). A `-sf` reload keeps
//! an `ssl` bind serving.
//!
//! Certificates are made at test time with `openssl req` (skipped without
//! openssl or python3); clients are Python `ssl` scripts that name the
//! certificate they were served by its SHA-1 fingerprint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tests::checks::{compare, has, step_has};
use tests::stick::cli;
use tests::{free_port, BoundPort, Proxy, TempDir};

const PEER: &str = r#"
import hashlib, os, socket, ssl, sys, time

def tls(port, sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(('127.0.0.1', int(port)), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=sni if sni != '-' else None)

def fp(s):
    return hashlib.sha1(s.getpeercert(True)).hexdigest().upper()

def get(s):
    s.sendall(b'GET / HTTP/1.1\r\nhost: x\r\n\r\n')
    data = b''
    while not (b'\r\n\r\n' in data and data.endswith(b'ok')):
        d = s.recv(4096)
        if not d:
            break
        data += d
    return data.split(b'\r\n')[0].decode()

mode, port, sni = sys.argv[1:4]
if mode == 'once':
    try:
        s = tls(port, sni)
        print(fp(s) + ' ' + get(s), flush=True)
    except (OSError, ssl.SSLError):
        print('refused', flush=True)
elif mode == 'hold':
    s = tls(port, sni)
    print(fp(s) + ' ' + get(s), flush=True)
    sys.stdin.readline()
    print(fp(s) + ' ' + get(s), flush=True)
else:
    ok = fail = reset = 0
    while not os.path.exists(sys.argv[4]):
        try:
            s = tls(port, sni)
            if get(s).startswith('HTTP/1.1 200'):
                ok += 1
            else:
                fail += 1
            s.close()
        except ConnectionResetError:
            reset += 1
        except (OSError, ssl.SSLError) as e:
            fail += 1
            print('failed: %r' % e, file=sys.stderr, flush=True)
        time.sleep(0.005)
    print('ok=%d fail=%d reset=%d' % (ok, fail, reset), flush=True)
"#;

/// Certificates `a`..`e` (`CN=<x>.test`, serial `<x>01`), a directory of
/// two of them, two crt-lists, the client script, and each certificate's
/// fingerprint.
struct Kit {
    dir: TempDir,
    peer: PathBuf,
    fps: Vec<(String, String)>,
}

const NAMES: &[&str] = &["a", "b", "c", "d", "e"];

fn kit() -> Option<Kit> {
    let dir = TempDir::new();
    let d = dir.path();
    let mut fps = Vec::new();
    for (i, n) in NAMES.iter().enumerate() {
        let ok = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args(["-subj", &format!("/CN={n}.test")])
            .args(["-set_serial", &format!("0x{:02X}01", 0x61 + i)])
            .arg("-keyout")
            .arg(d.join(format!("{n}.key")))
            .arg("-out")
            .arg(d.join(format!("{n}.crt")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("openssl missing: skipped");
            return None;
        }
        let crt = std::fs::read_to_string(d.join(format!("{n}.crt"))).unwrap();
        let key = std::fs::read_to_string(d.join(format!("{n}.key"))).unwrap();
        dir.write(&format!("{n}.pem"), &(crt + &key));
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha1", "-in"])
            .arg(d.join(format!("{n}.crt")))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let fp = text.trim().rsplit('=').next().unwrap().replace(':', "");
        fps.push((fp, n.to_string()));
    }
    if !Command::new("python3")
        .args(["-c", "import ssl"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("python3 missing: skipped");
        return None;
    }
    std::fs::create_dir(d.join("dir")).unwrap();
    std::fs::copy(d.join("d.pem"), d.join("dir/a1.pem")).unwrap();
    std::fs::copy(d.join("e.pem"), d.join("dir/z1.pem")).unwrap();
    let p = |f: &str| d.join(f).display().to_string();
    dir.write(
        "list.txt",
        &format!(
            "# comment\n{} [alpn h2] b.test\n\n{}\n# trailing\n",
            p("b.pem"),
            p("d.pem")
        ),
    );
    dir.write("list2.txt", &format!("{}\n", p("e.pem")));
    let peer = dir.write("peer.py", PEER);
    Some(Kit { dir, peer, fps })
}

impl Kit {
    fn path(&self, f: &str) -> String {
        self.dir.path().join(f).display().to_string()
    }

    fn pem(&self, f: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(f)).unwrap()
    }

    /// `<cert name> <status line>` of a client's output line.
    fn name(&self, line: &str) -> String {
        let (fp, rest) = line.split_once(' ').unwrap_or((line, ""));
        let name = self
            .fps
            .iter()
            .find(|(f, _)| f == fp)
            .map_or(fp, |(_, n)| n.as_str());
        format!("{name} {rest}").trim().to_string()
    }

    /// One TLS connection with this SNI (`-`: none): the certificate
    /// served and the answer to a request, or `refused`.
    fn handshake(&self, port: u16, sni: &str) -> String {
        let out = Command::new("python3")
            .arg(&self.peer)
            .args(["once", &port.to_string(), sni])
            .output()
            .expect("python3 client");
        self.name(String::from_utf8_lossy(&out.stdout).trim())
    }
}

/// A run's transcript: commands with their answers, handshakes.
struct Run<'a> {
    kit: &'a Kit,
    sock: PathBuf,
    cfg_dir: String,
    t: Vec<String>,
}

impl Run<'_> {
    /// The answer's lines, the kit and configuration directories masked
    /// (NUL bytes, which 2.6 prints after ALPN lists, as `^@`).
    fn push_answer(&mut self, answer: &str) {
        let kit = format!("{}/", self.kit.dir.path().display());
        let a = answer
            .replace(&kit, "KIT/")
            .replace(&self.cfg_dir, "")
            .replace('\0', "^@");
        self.t.extend(a.split('\n').map(str::to_string));
    }

    fn cmd(&mut self, c: &str) {
        self.t.push(format!("> {c}"));
        let c = c.replace("KIT/", &format!("{}/", self.kit.dir.path().display()));
        let a = cli(&self.sock, &c);
        self.push_answer(&a);
    }

    /// `<c> <<` with `payload` (its lines, then the empty line).
    fn payload(&mut self, c: &str, what: &str, payload: &str) {
        self.t.push(format!("> {c} << {what}"));
        let c = c.replace("KIT/", &format!("{}/", self.kit.dir.path().display()));
        let a = cli(&self.sock, &format!("{c} <<\n{payload}"));
        self.push_answer(&a);
    }

    fn step(&mut self, name: &str) {
        self.t.push(format!("== {name}"));
    }

    fn hs(&mut self, label: &str, port: u16, sni: &str) {
        let got = self.kit.handshake(port, sni);
        self.t.push(format!("handshake {label} sni={sni}: {got}"));
    }
}

/// Three binds sharing `a.pem` and `list.txt`, one with `list2.txt`, one
/// `strict-sni` on a directory.
fn config(kit: &Kit, sock: &Path, fe: &[BoundPort; 4]) -> String {
    let p = |f: &str| kit.path(f);
    format!(
        "global\n    stats socket {} level admin\n\ndefaults\n    mode http\n    \
timeout client 30s\n    timeout server 5s\n    timeout connect 5s\n\nfrontend fe\n    \
bind {} ssl crt {a} crt-list {l}\n    bind {} ssl crt-list {l} crt {a}\n    \
bind {} ssl crt-list {l2} crt {a}\n    bind {} ssl strict-sni crt {dir}\n    \
http-request return status 200 content-type text/plain string ok\n",
        sock.display(),
        fe[0],
        fe[1],
        fe[2],
        fe[3],
        a = p("a.pem"),
        l = p("list.txt"),
        l2 = p("list2.txt"),
        dir = p("dir"),
    )
}

fn start<'a>(kit: &'a Kit, bin: &Path, run_dir: &TempDir) -> (Proxy, Run<'a>, [u16; 4]) {
    let sock = run_dir.path().join("ssl.sock");
    let fe = [
        BoundPort::new(),
        BoundPort::new(),
        BoundPort::new(),
        BoundPort::new(),
    ];
    let ports = [fe[0].port, fe[1].port, fe[2].port, fe[3].port];
    let mut b = Proxy::builder(&config(kit, &sock, &fe)).bin(bin);
    for p in &fe {
        b = b.listen(p);
    }
    let px = b.start();
    let cfg_dir = format!("{}/", px.cfg_path.parent().unwrap().display());
    let run = Run {
        kit,
        sock,
        cfg_dir,
        t: Vec::new(),
    };
    (px, run, ports)
}

#[path = "tls_cli/scenarios.rs"]
mod scenarios;

#[test]
fn cert_commands_answer_as_haproxy_2_6() {
    let Some(kit) = kit() else { return };
    compare(
        |bin| scenarios::certs(&kit, bin),
        |t| {
            step_has(t, "start", "handshake fe0 sni=-: a HTTP/1.1 200 OK");
            step_has(t, "commit", "Committing KIT/a.pem...");
            step_has(t, "commit", "handshake fe0 sni=-: c HTTP/1.1 200 OK");
            step_has(t, "commit", "held connection: a HTTP/1.1 200 OK");
            step_has(t, "new", "handshake fe1 sni=new.test: e HTTP/1.1 200 OK");
            has(t, "Can't allocate memory!");
        },
    );
}

#[test]
fn crt_list_commands_answer_as_haproxy_2_6() {
    let Some(kit) = kit() else { return };
    compare(
        |bin| scenarios::crt_lists(&kit, bin),
        |t| {
            step_has(t, "add", "handshake fe1 sni=x.test: c HTTP/1.1 200 OK");
            step_has(t, "del", "handshake fe1 sni=x.test: b HTTP/1.1 200 OK");
            step_has(t, "dir", "handshake fe3 sni=-: refused");
            has(t, "\t- proxy.cfg:12");
        },
    );
}

/// `-sf`: the new process reads the certificate files again (the commit
/// was in memory only, as in HAProxy) and no handshake fails meanwhile.
#[test]
fn sf_reload_keeps_an_ssl_bind_serving() {
    let Some(kit) = kit() else { return };
    let port = free_port();
    let sock = kit.dir.path().join("reload.sock");
    let cfg = format!(
        "global\n    stats socket {} level admin\n\ndefaults\n    mode http\n    \
timeout client 30s\n    timeout server 5s\n    timeout connect 5s\n\nfrontend fe\n    \
bind 127.0.0.1:{port} ssl crt {}\n    \
http-request return status 200 content-type text/plain string ok\n",
        sock.display(),
        kit.path("a.pem")
    );
    let mut old = Proxy::start(&cfg);
    let a = kit.path("a.pem");
    let ans = cli(&sock, &format!("set ssl cert {a} <<\n{}", kit.pem("c.pem")));
    assert_eq!(ans, format!("Transaction created for certificate {a}!\n\n"));
    let ans = cli(&sock, &format!("commit ssl cert {a}"));
    assert_eq!(ans, format!("Committing {a}.\nSuccess!\n\n"));
    assert_eq!(kit.handshake(port, "-"), "c HTTP/1.1 200 OK");

    let stop = kit.dir.path().join("stop");
    let mut load = Command::new("python3")
        .arg(&kit.peer)
        .args(["loop", &port.to_string(), "-"])
        .arg(&stop)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let new = Proxy::builder(&cfg)
        .args(["-sf", &old.pid().to_string()])
        .start();
    let st = old
        .wait_exit(Duration::from_secs(5))
        .expect("old process did not exit after -sf");
    assert_eq!(st.code(), Some(0), "{st}");
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&stop, "").unwrap();
    let mut line = String::new();
    BufReader::new(load.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = load.wait();
    let counts: Vec<usize> = line
        .trim()
        .split(' ')
        .map(|kv| kv.split('=').nth(1).unwrap().parse().unwrap())
        .collect();
    // No handshake broken, none refused. A reset is the kernel's: a
    // connection queued on the old process's listener when it closes
    // (SO_REUSEPORT, as HAProxy 2.6 without `-x`); rare, not the proxy's.
    assert!(
        counts[0] > 10 && counts[1] == 0 && counts[2] <= 2,
        "handshakes: {line}"
    );
    assert_eq!(kit.handshake(port, "-"), "a HTTP/1.1 200 OK");
    let ans = cli(&sock, &format!("show ssl cert {a}"));
    assert!(ans.contains("Status: Used\nSerial: 6101\n"), "{ans}");
    drop(new);
}

/// A connection opened before a change, to use after it.
struct Held {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Held {
    fn open(kit: &Kit, port: u16, sni: &str) -> (Held, String) {
        let mut child = Command::new("python3")
            .arg(&kit.peer)
            .args(["hold", &port.to_string(), sni])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        (Held { child, out }, kit.name(line.trim()))
    }

    /// The certificate of the connection and the answer to a second
    /// request on it.
    fn again(mut self, kit: &Kit) -> String {
        self.child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        let _ = self.child.wait();
        kit.name(line.trim())
    }
}
