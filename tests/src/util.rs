//! Small self-contained helpers: PRNG, checksum, temp dirs, ports, polling.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The loopback address every test uses.
pub const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// `127.0.0.1:<port>`.
pub fn local(port: u16) -> SocketAddr {
    SocketAddr::from((LOCALHOST, port))
}

/// xorshift64* PRNG: deterministic payloads from a seed.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        // Never zero (xorshift's fixed point), and mix small seeds.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// `len` pseudo-random bytes from `seed`.
pub fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    XorShift::new(seed).fill(&mut v);
    v
}

/// Incremental FNV-1a 64-bit checksum plus a byte count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv64 {
    pub hash: u64,
    pub len: u64,
}

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64 {
            hash: 0xcbf2_9ce4_8422_2325,
            len: 0,
        }
    }
}

impl Fnv64 {
    pub fn update(&mut self, data: &[u8]) {
        let mut h = self.hash;
        for &b in data {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
        self.hash = h;
        self.len += data.len() as u64;
    }

    pub fn of(data: &[u8]) -> Self {
        let mut f = Fnv64::default();
        f.update(data);
        f
    }
}

impl std::fmt::Display for Fnv64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes, fnv64 {:016x}", self.len, self.hash)
    }
}

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("proxy-tests-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` in the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path.join(name);
        std::fs::write(&p, contents).expect("write temp file");
        p
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A currently free TCP port on 127.0.0.1, below the kernel's ephemeral range
/// (so no outgoing connection of this machine can grab it meanwhile), never
/// handed out twice by this process. Nothing listens on it when returned.
///
/// Use it for the proxy's `bind` lines and for "nothing listens here (yet)"
/// server addresses; test backends bind port 0 instead.
pub fn free_port() -> u16 {
    const LOW: u64 = 20000;
    const SPAN: u64 = 12000; // 20000..32000
    static NEXT: AtomicU64 = AtomicU64::new(u64::MAX);
    // Start at a pid-dependent offset so that concurrent test processes
    // (other binaries, other checkouts) rarely walk the same ports.
    let _ = NEXT.compare_exchange(
        u64::MAX,
        (u64::from(std::process::id()).wrapping_mul(7919)) % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = (LOW + n % SPAN) as u16;
        if TcpListener::bind(local(port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..32000");
}

/// Polls `f` every 5 ms until it returns `Some` or `timeout` passes.
pub fn poll_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts that `d` lies in `[lo, hi]`, with a readable message.
#[track_caller]
pub fn assert_between(what: &str, d: Duration, lo: Duration, hi: Duration) {
    assert!(
        d >= lo && d <= hi,
        "{what}: took {d:?}, expected between {lo:?} and {hi:?}"
    );
}
