//! Tests for [`super`]: ClientHellos made at test time by Python's `ssl`
//! (memory BIOs, no socket), hand-made malformed hellos, and random
//! garbage and truncations.

use super::*;

/// A ClientHello from Python's `ssl` with this SNI (none if empty) and
/// ALPN list; `None` when python3 is not there.
fn real_hello(sni: &str, alpn: &[&str]) -> Option<Vec<u8>> {
    let script = r#"
import ssl, sys
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
alpn = [p for p in sys.argv[2].split(',') if p]
if alpn:
    c.set_alpn_protocols(alpn)
o = ssl.MemoryBIO()
s = c.wrap_bio(ssl.MemoryBIO(), o, server_hostname=sys.argv[1] or None)
try:
    s.do_handshake()
except ssl.SSLWantReadError:
    pass
sys.stdout.buffer.write(o.read())
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(sni)
        .arg(alpn.join(","))
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

#[test]
fn real_hellos() {
    let Some(h) = real_hello("a.example.com", &["h2", "http/1.1"]) else {
        eprintln!("python3 missing: skipped");
        return;
    };
    assert_eq!(hello_type(&h), Found(1));
    assert_eq!(version(&h, 15360), Found(0x30003));
    assert_eq!(sni(&h), Found(&b"a.example.com"[..]));
    assert_eq!(alpn(&h), Found(vec![&b"h2"[..], b"http/1.1"]));
    // every strict prefix is incomplete
    for n in 0..h.len() {
        assert_eq!(sni(&h[..n]), Incomplete, "sni at {n}");
        assert_eq!(hello_type(&h[..n]), Incomplete, "type at {n}");
    }
    let h = real_hello("", &[]).unwrap_or_default();
    assert_eq!(hello_type(&h), Found(1));
    assert_eq!(sni(&h), NotTls);
    assert_eq!(alpn(&h), NotTls);
}

#[test]
fn long_sni_does_not_complete_in_a_buffer() {
    let name = format!("{}.example.com", "a".repeat(16 * 1024));
    let Some(h) = real_hello(&name, &[]) else {
        return;
    };
    // Python may refuse such a name: then nothing to check.
    if h.is_empty() {
        return;
    }
    let buf = &h[..h.len().min(15360)];
    assert_eq!(sni(buf), Incomplete);
    assert_eq!(hello_type(buf), Incomplete);
}

/// A minimal well-formed ClientHello with these extensions.
fn hello_with(exts: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 2, 0x13, 0x01]); // one cipher
    body.extend_from_slice(&[1, 0]); // null compression
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(exts);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

fn ext(ty: u16, data: &[u8]) -> Vec<u8> {
    let mut e = ty.to_be_bytes().to_vec();
    e.extend_from_slice(&(data.len() as u16).to_be_bytes());
    e.extend_from_slice(data);
    e
}

#[test]
fn hand_made() {
    let sni_ext = ext(0, &[0, 8, 0, 0, 5, b'a', b'.', b'c', b'o', b'm']);
    let h = hello_with(&sni_ext);
    assert_eq!(sni(&h), Found(&b"a.com"[..]));
    // a server name longer than its list
    let bad = hello_with(&ext(0, &[0, 8, 0, 0, 200, b'a', b'.', b'c', b'o', b'm']));
    assert_eq!(sni(&bad), NotTls);
    // an extension longer than the block
    let mut lie = sni_ext.clone();
    lie[3] = 200;
    assert_eq!(sni(&hello_with(&lie)), NotTls);
    // a cipher list longer than the hello
    let mut h2 = h.clone();
    h2[9 + 35] = 0xff;
    assert_eq!(sni(&h2), NotTls);
    // a session id over 32 bytes
    let mut h3 = h.clone();
    h3[9 + 34] = 33;
    assert_eq!(sni(&h3), NotTls);
    // not a handshake record, not a ClientHello
    let mut h4 = h.clone();
    h4[0] = 0x17;
    assert_eq!(sni(&h4), NotTls);
    assert_eq!(hello_type(&h4), Found(1));
    let mut h5 = h.clone();
    h5[5] = 2;
    assert_eq!(sni(&h5), NotTls);
    assert_eq!(hello_type(&h5), Found(2));
    // empty ALPN list, truncated ALPN entry
    assert_eq!(alpn(&hello_with(&ext(16, &[0, 0]))), NotTls);
    assert_eq!(alpn(&hello_with(&ext(16, &[0, 3, 5, b'h', b'2']))), NotTls);
    assert_eq!(
        alpn(&hello_with(&ext(16, &[0, 3, 2, b'h', b'2']))),
        Found(vec![&b"h2"[..]])
    );
    assert_eq!(hello_type(b"GET / HTTP/1.1\r\n"), NotTls);
    assert_eq!(version(b"GET / HTTP/1.1\r\n", 15360), NotTls);
    assert_eq!(hello_type(b""), Incomplete);
    assert_eq!(hello_type(&[0x16, 2, 0, 0, 4, 1, 0, 0, 0]), NotTls);
}

#[test]
fn sslv2_hello_version() {
    // short header, type 1, version 3.0, 3 bytes of ciphers, no session
    // id, 16 bytes of challenge
    let mut h = vec![0x80, 9 + 3 + 16, 1, 3, 0, 0, 3, 0, 0, 0, 16];
    h.extend_from_slice(&[0, 0, 4]);
    h.extend_from_slice(&[9; 16]);
    assert_eq!(version(&h, 15360), Found(0x30000));
    assert_eq!(version(&h[..h.len() - 1], 15360), Incomplete);
    h[2] = 2;
    assert_eq!(version(&h, 15360), NotTls);
}

/// xorshift64*: a tiny deterministic PRNG for property tests.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn all(b: &[u8]) {
    let _ = hello_type(b);
    let _ = version(b, 15360);
    let _ = version(b, 3);
    let _ = sni(b);
    let _ = alpn(b);
}

#[test]
fn garbage_and_truncations_never_panic() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let base = hello_with(
        &[
            ext(0, &[0, 8, 0, 0, 5, b'a', b'.', b'c', b'o', b'm']),
            ext(16, &[0, 3, 2, b'h', b'2']),
        ]
        .concat(),
    );
    for _ in 0..20_000 {
        let mut b = base.clone();
        // flip some bytes, truncate, or use pure noise
        match rng.below(3) {
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
            }
            1 => b.truncate(rng.below(b.len() + 1)),
            _ => {
                let n = rng.below(300);
                b = (0..n).map(|_| rng.next() as u8).collect();
                if let Some(f) = b.first_mut() {
                    *f = [0x16, 0x80, 0x01, 0x17][rng.below(4)];
                }
            }
        }
        all(&b);
    }
}
