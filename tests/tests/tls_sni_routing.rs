//! Routing TLS by its ClientHello without terminating it (TCP mode,
//! `tcp-request inspect-delay` + `req.ssl_*`), the same configuration
//! run through our proxy and through HAProxy 2.6, same answers.
//!
//! Backends are Python `ssl` servers that answer with their name and the
//! ALPN protocol they chose; clients are Python `ssl` clients that verify
//! the backend's certificate (made at test time with `openssl req`) and
//! read that answer, so each TLS session works end to end through the
//! proxy. Each case's transcript line is the client's answer and the
//! backend/server of the proxy's tcplog line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tests::checks::compare;
use tests::{tcp_defaults, BoundPort, Proxy, TempDir};

const PEER: &str = r#"
import socket, ssl, sys, time

def server(name, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(['h2', 'http/1.1'])
    ls = socket.socket()
    ls.bind(('127.0.0.1', 0))
    ls.listen(64)
    print(ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        try:
            c.settimeout(2)
            s = ctx.wrap_socket(c, server_side=True)
            s.recv(100)
            s.sendall(('%s alpn=%s\n' % (name, s.selected_alpn_protocol())).encode())
            s.close()
        except Exception:
            c.close()

def send(raw, data, bytewise):
    if bytewise:
        for i in range(len(data)):
            raw.sendall(data[i:i + 1])
            time.sleep(0.001)
    else:
        raw.sendall(data)

def tls(raw, sni, alpn, ca, bytewise):
    ctx = ssl.create_default_context(cafile=ca)
    if not sni:
        ctx.check_hostname = False
    if alpn:
        ctx.set_alpn_protocols(alpn.split(','))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(inc, out, server_hostname=sni or None)
    while True:
        try:
            s.do_handshake()
            break
        except ssl.SSLWantReadError:
            send(raw, out.read(), bytewise)
            bytewise = False
            d = raw.recv(65536)
            if not d:
                return 'closed'
            inc.write(d)
    send(raw, out.read(), False)
    s.write(b'hello\n')
    send(raw, out.read(), False)
    ans = b''
    while not ans.endswith(b'\n'):
        try:
            chunk = s.read(1024)
            if not chunk:
                break
            ans += chunk
        except ssl.SSLWantReadError:
            d = raw.recv(65536)
            if not d:
                break
            inc.write(d)
    return ans.decode().strip() or 'closed'

def plain(raw, path):
    raw.sendall(open(path, 'rb').read())
    n = 0
    while True:
        d = raw.recv(65536)
        if not d:
            break
        n += len(d)
    return 'closed'

def client(port, how, arg, alpn, ca):
    raw = socket.create_connection(('127.0.0.1', int(port)), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print('port=%d' % raw.getsockname()[1], flush=True)
    try:
        if how == 'raw':
            ans = plain(raw, arg)
        else:
            ans = tls(raw, arg, alpn, ca, how == 'bytewise')
    except ssl.SSLError as e:
        ans = 'ssl error'
    except ConnectionResetError:
        ans = 'closed'
    except socket.timeout:
        ans = 'timeout'
    print('answer=' + ans, flush=True)

if sys.argv[1] == 'server':
    server(*sys.argv[2:5])
else:
    client(*sys.argv[2:7])
"#;

/// The certificate, key and peer script, or `None` (test skipped) when
/// python3 or openssl is missing.
struct Kit {
    dir: TempDir,
    cert: PathBuf,
    key: PathBuf,
    peer: PathBuf,
}

fn kit() -> Option<Kit> {
    let dir = TempDir::new();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=tls-sni-test"])
        .args([
            "-addext",
            "subjectAltName=DNS:a.example.com,DNS:*.b.example.com,DNS:default.test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let py = Command::new("python3")
        .args(["-c", "import ssl"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok || !py {
        eprintln!("openssl or python3 missing: skipped");
        return None;
    }
    let peer = dir.write("peer.py", PEER);
    Some(Kit {
        dir,
        cert,
        key,
        peer,
    })
}

/// A Python TLS server answering `<name> alpn=<protocol>`; killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
}

impl TlsServer {
    fn start(kit: &Kit, name: &str) -> TlsServer {
        let mut child = Command::new("python3")
            .arg(&kit.peer)
            .args(["server", name])
            .arg(&kit.cert)
            .arg(&kit.key)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("server port");
        TlsServer { child, port }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a client talks: TLS with an SNI (maybe empty) and ALPN list,
/// the same with the ClientHello one byte per write, or raw bytes from a
/// file.
enum How<'a> {
    Tls(&'a str, &'a str),
    Bytewise(&'a str),
    Raw(&'a Path),
}

/// Runs one client; returns (its local port, its answer).
fn client(kit: &Kit, port: u16, how: &How<'_>) -> (u16, String) {
    let ca = kit.cert.display().to_string();
    let (mode, arg, alpn) = match how {
        How::Tls(sni, alpn) => ("tls", sni.to_string(), *alpn),
        How::Bytewise(sni) => ("bytewise", sni.to_string(), ""),
        How::Raw(p) => ("raw", p.display().to_string(), ""),
    };
    let out = Command::new("python3")
        .arg(&kit.peer)
        .args(["client", &port.to_string(), mode, &arg, alpn, &ca])
        .output()
        .expect("python3 client");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap_or("")
            .to_string()
    };
    let cport = field("port=").parse().unwrap_or(0);
    (cport, field("answer="))
}

fn config(fes: &[&BoundPort; 3], be: &[&TlsServer; 4]) -> String {
    format!(
        "{d}frontend fe\n    bind {f0}\n    tcp-request inspect-delay 5s\n    \
         tcp-request content accept if {{ req.ssl_hello_type 1 }}\n    \
         use_backend be_a if {{ req.ssl_sni -i a.example.com }}\n    \
         use_backend be_b if {{ req_ssl_sni -m end .b.example.com }}\n    \
         use_backend be_h2 if {{ req.ssl_alpn h2 }}\n    \
         default_backend be_default\n\n\
         frontend fe_short\n    bind {f1}\n    tcp-request inspect-delay 300ms\n    \
         tcp-request content accept if {{ req.ssl_hello_type 1 }}\n    \
         use_backend be_a if {{ req.ssl_sni -i a.example.com }}\n    \
         use_backend be_b if {{ req.ssl_ver 3.3 }}\n    \
         default_backend be_default\n\n\
         frontend fe_strict\n    bind {f2}\n    tcp-request inspect-delay 5s\n    \
         tcp-request content reject if !{{ req.ssl_hello_type 1 }}\n    \
         use_backend be_b if {{ req.ssl_sni -m beg x. }}\n    \
         default_backend be_a\n\n\
         backend be_a\n    server a 127.0.0.1:{a}\n\
         backend be_b\n    server b 127.0.0.1:{b}\n\
         backend be_h2\n    server h2 127.0.0.1:{h2}\n\
         backend be_default\n    server d 127.0.0.1:{dflt}\n",
        d = tcp_defaults(),
        f0 = fes[0],
        f1 = fes[1],
        f2 = fes[2],
        a = be[0].port,
        b = be[1].port,
        h2 = be[2].port,
        dflt = be[3].port,
    )
}

#[test]
fn tls_routed_by_client_hello_as_haproxy() {
    let Some(kit) = kit() else { return };
    let servers = ["A", "B", "H2", "DEFAULT"].map(|n| TlsServer::start(&kit, n));
    let garbage = kit.dir.write("garbage", "this is not TLS at all\r\n\r\n");
    let long = kit.dir.path().join("long");
    std::fs::write(&long, tests::tlskit::hand_made_hello(16 * 1024, 1 << 16)).unwrap();
    // The first bytes of a hello, then nothing: the delay expires.
    let partial = kit.dir.path().join("partial");
    std::fs::write(
        &partial,
        &tests::tlskit::hand_made_hello(16 * 1024, 1 << 16)[..20],
    )
    .unwrap();
    let cases: Vec<(usize, How<'_>)> = vec![
        (0, How::Tls("a.example.com", "")),
        (0, How::Tls("x.b.example.com", "")),
        (0, How::Tls("", "")),
        (0, How::Tls("default.test", "h2,http/1.1")),
        (0, How::Tls("default.test", "http/1.1,h2")),
        (0, How::Tls("default.test", "http/1.1")),
        (0, How::Bytewise("a.example.com")),
        (0, How::Raw(&long)),
        (1, How::Raw(&garbage)),
        (1, How::Tls("a.example.com", "")),
        (1, How::Tls("x.b.example.com", "")),
        (1, How::Raw(&partial)),
        (2, How::Raw(&garbage)),
        (2, How::Tls("x.b.example.com", "")),
        (2, How::Tls("a.example.com", "")),
    ];
    compare(
        |bin| {
            let fes = [BoundPort::new(), BoundPort::new(), BoundPort::new()];
            let ports = fes.each_ref().map(|f| f.addr().port());
            let [s0, s1, s2, s3] = &servers;
            let cfg = config(&fes.each_ref(), &[s0, s1, s2, s3]);
            let px = fes
                .iter()
                .fold(Proxy::builder(&cfg).bin(bin), |b, p| b.listen(p))
                .start();
            let mut t = Vec::new();
            for (fe, how) in &cases {
                let (cport, answer) = client(&kit, ports[*fe], how);
                let log = px.log_for(cport, Duration::from_secs(10));
                t.push(format!(
                    "fe{fe}: {answer} via {}/{}/{} {}",
                    log.frontend, log.backend, log.server, log.term
                ));
            }
            t
        },
        |t| {
            assert_eq!(t.len(), cases.len());
            assert!(t[0].starts_with("fe0: A alpn=None via fe/be_a/a"), "{t:?}");
            assert!(t[1].starts_with("fe0: B alpn=None via fe/be_b/b"), "{t:?}");
            assert!(t[2].starts_with("fe0: DEFAULT"), "{t:?}");
            assert!(t[3].starts_with("fe0: H2 alpn=h2"), "{t:?}");
            assert!(t[6].starts_with("fe0: A "), "{t:?}");
            assert!(t[7].contains("be_default/d"), "{t:?}");
            assert!(t[8].contains("be_default/d"), "{t:?}");
            assert!(t[10].starts_with("fe1: B "), "{t:?}");
            assert!(t[11].contains("be_default/d"), "{t:?}");
            assert!(t[12].contains("<NOSRV>"), "{t:?}");
            assert!(t[13].starts_with("fe2: B "), "{t:?}");
        },
    );
}
