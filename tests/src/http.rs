//! HTTP test support: a scriptable origin server that records the raw bytes
//! of every request it receives, a small blocking HTTP/1.1 client that
//! reads responses by their framing (keeping the raw bytes), `mode http`
//! defaults, and runners for curl and Python's `http.client`.
//!
//! Everything is bounded: origin connections live at most
//! [`crate::servers::CONN_LIFETIME`], reads time out, external clients are
//! killed after their deadline.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::servers::CONN_LIFETIME;
use crate::util::{local, poll_until};

/// `global` + `defaults` for HTTP tests: httplog to stdout, short timeouts.
pub fn http_defaults() -> String {
    "global\n\
     \x20   log stdout format raw local0\n\
     \n\
     defaults\n\
     \x20   mode http\n\
     \x20   log global\n\
     \x20   option httplog\n\
     \x20   timeout connect 2s\n\
     \x20   timeout client 10s\n\
     \x20   timeout server 10s\n\
     \n"
    .to_string()
}

// ---------------------------------------------------------------------------
// Parsing helpers shared by the origin and the client.

/// Position just after the end of a head (`\r\n\r\n` or `\n\n`).
pub fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// A parsed head: start line and fields, names as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub start_line: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn parse(raw: &[u8]) -> Head {
        let text = String::from_utf8_lossy(raw);
        let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
        let start_line = lines.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        for l in lines {
            if l.is_empty() {
                break;
            }
            match l.split_once(':') {
                Some((n, v)) => headers.push((n.to_string(), v.trim().to_string())),
                None => headers.push((l.to_string(), String::new())),
            }
        }
        Head {
            start_line,
            headers,
        }
    }

    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether a `Connection` field lists `token`.
    pub fn connection_has(&self, token: &str) -> bool {
        self.all("connection")
            .iter()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn content_length(&self) -> Option<usize> {
        self.get("content-length")
            .and_then(|v| v.trim().parse().ok())
    }

    fn chunked(&self) -> bool {
        self.all("transfer-encoding")
            .iter()
            .flat_map(|v| v.split(','))
            .next_back()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked"))
    }

    /// `GET /x HTTP/1.1` → `GET`.
    pub fn method(&self) -> &str {
        self.start_line.split(' ').next().unwrap_or("")
    }

    /// `GET /x HTTP/1.1` → `/x`.
    pub fn target(&self) -> &str {
        self.start_line.split(' ').nth(1).unwrap_or("")
    }

    /// The status of a status line.
    pub fn status(&self) -> u16 {
        self.start_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

/// Result of decoding a chunked body at the start of a buffer.
enum Chunked {
    /// Need more bytes.
    Partial,
    /// `(bytes taken, decoded data, trailer lines)`.
    Done(usize, Vec<u8>, Vec<String>),
    Bad,
}

fn find_lf(buf: &[u8], from: usize) -> Option<usize> {
    buf[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| p + from)
}

fn decode_chunked(buf: &[u8]) -> Chunked {
    let mut pos = 0;
    let mut data = Vec::new();
    loop {
        let Some(lf) = find_lf(buf, pos) else {
            return Chunked::Partial;
        };
        let line = String::from_utf8_lossy(&buf[pos..lf]);
        let size_txt = line.trim_end_matches('\r');
        let size_txt = size_txt.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_txt, 16) else {
            return Chunked::Bad;
        };
        pos = lf + 1;
        if size == 0 {
            // Trailers until an empty line.
            let mut trailers = Vec::new();
            loop {
                let Some(lf) = find_lf(buf, pos) else {
                    return Chunked::Partial;
                };
                let l = String::from_utf8_lossy(&buf[pos..lf])
                    .trim_end_matches('\r')
                    .to_string();
                pos = lf + 1;
                if l.is_empty() {
                    return Chunked::Done(pos, data, trailers);
                }
                trailers.push(l);
            }
        }
        if buf.len() < pos + size {
            return Chunked::Partial;
        }
        data.extend_from_slice(&buf[pos..pos + size]);
        pos += size;
        let Some(lf) = find_lf(buf, pos) else {
            return Chunked::Partial;
        };
        pos = lf + 1;
    }
}

// ---------------------------------------------------------------------------
// The origin server.

/// One request as the origin received it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// Which accepted connection it came on (0-based, accept order).
    pub conn: usize,
    /// Its position on that connection (0-based).
    pub index: usize,
    /// The raw bytes: head and body exactly as they arrived.
    pub raw: Vec<u8>,
    pub head: Head,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Trailer lines of a chunked body.
    pub trailers: Vec<String>,
}

/// What the origin does after receiving a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Send the bytes and wait for the next request on the connection.
    Send(Vec<u8>),
    /// Send the bytes, then close the connection.
    SendClose(Vec<u8>),
    /// Close without answering.
    Close,
    /// Send the bytes, then echo every byte received until EOF (a tunnel
    /// after a 101).
    SendThenEcho(Vec<u8>),
    /// Wait, then do the rest.
    After(Duration, Box<Reply>),
    /// Never answer; close when the peer closes (or the lifetime ends).
    Hang,
}

impl Reply {
    /// `200` with a `content-length` body.
    pub fn ok(body: &[u8]) -> Reply {
        Reply::Send(response(200, &[], body))
    }
}

/// `HTTP/1.1 <status> X`, extra header lines (each `"name: value"`),
/// then a `content-length` body.
pub fn response(status: u16, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\n").into_bytes();
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// A chunked encoding of `body` in chunks of `chunk` bytes, with trailers.
pub fn chunked(body: &[u8], chunk: usize, trailers: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / chunk.max(1) * 8 + 16);
    for c in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n");
    for t in trailers {
        out.extend_from_slice(t.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

type Handler = dyn Fn(&Received) -> Reply + Send + Sync;

/// What the origin does with `Expect: 100-continue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Nothing special: read the body (the client sends it after its
    /// own timeout).
    Ignore,
    /// Send `100 Continue`, then read the body.
    Continue,
    /// Answer right after the head without reading any body (the handler
    /// sees an empty body), e.g. a 401 or 417.
    Refuse,
}

#[derive(Default)]
struct OriginState {
    accepted: AtomicUsize,
    active: AtomicUsize,
    requests: Mutex<Vec<Received>>,
    /// Every byte received, per connection.
    raw: Mutex<Vec<Vec<u8>>>,
}

/// An HTTP origin on 127.0.0.1: each request is parsed by its framing
/// (Content-Length, chunked, none), recorded, and answered as the handler
/// says. Bytes that do not parse as a request are still recorded per
/// connection ([`Origin::raw`]).
pub struct Origin {
    pub port: u16,
    state: Arc<OriginState>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Origin").field("port", &self.port).finish()
    }
}

impl Origin {
    /// Starts an origin answering with `handler`.
    pub fn start(handler: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Origin {
        Self::start_with(false, handler)
    }

    /// Same; with `continue_100`, a request carrying `Expect: 100-continue`
    /// gets `HTTP/1.1 100 Continue` before its body is read.
    pub fn start_with(
        continue_100: bool,
        handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
    ) -> Origin {
        Self::start_mode(
            if continue_100 {
                Expect::Continue
            } else {
                Expect::Ignore
            },
            handler,
        )
    }

    /// Same, choosing what a request with `Expect: 100-continue` gets.
    pub fn start_mode(
        expect: Expect,
        handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
    ) -> Origin {
        let l = TcpListener::bind(local(0)).expect("bind origin");
        let port = l.local_addr().expect("addr").port();
        let state = Arc::new(OriginState::default());
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || accept_loop(l, state, stop, handler, expect))
        };
        Origin {
            port,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Answers every request with `200` and `body`.
    pub fn fixed(body: &'static [u8]) -> Origin {
        Self::start(move |_| Reply::ok(body))
    }

    /// Answers every request with exactly these bytes.
    pub fn raw_reply(bytes: Vec<u8>) -> Origin {
        Self::start(move |_| Reply::Send(bytes.clone()))
    }

    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    pub fn active(&self) -> usize {
        self.state.active.load(Ordering::SeqCst)
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.state
            .requests
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }

    /// Every byte received, one entry per accepted connection.
    pub fn raw(&self) -> Vec<Vec<u8>> {
        self.state.raw.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// All received bytes of all connections, concatenated.
    pub fn all_bytes(&self) -> Vec<u8> {
        self.raw().concat()
    }

    /// Waits until `n` requests were received; returns them.
    pub fn wait_requests(&self, n: usize, timeout: Duration) -> Vec<Received> {
        poll_until(timeout, || {
            let r = self.requests();
            (r.len() >= n).then_some(r)
        })
        .unwrap_or_else(|| {
            panic!(
                "origin: expected {n} requests within {timeout:?}, got {:?}",
                self.requests()
                    .iter()
                    .map(|r| r.head.start_line.clone())
                    .collect::<Vec<_>>()
            )
        })
    }

    /// Waits until no origin connection is open.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        poll_until(timeout, || (self.active() == 0).then_some(())).is_some()
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    l: TcpListener,
    state: Arc<OriginState>,
    stop: Arc<AtomicBool>,
    handler: Arc<Handler>,
    expect: Expect,
) {
    l.set_nonblocking(true).expect("nonblocking listener");
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(600) {
        match l.accept() {
            Ok((s, _)) => {
                let idx = state.accepted.fetch_add(1, Ordering::SeqCst);
                state.active.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut r) = state.raw.lock() {
                    r.push(Vec::new());
                }
                let (st, h, stop) = (state.clone(), handler.clone(), stop.clone());
                std::thread::spawn(move || {
                    let _ = s.set_nonblocking(false);
                    let _ = serve_conn(s, idx, &st, &*h, &stop, expect);
                    st.active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Reads more bytes into `buf` (recording them); `Ok(false)` on EOF.
fn more(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    idx: usize,
    st: &OriginState,
    stop: &AtomicBool,
    born: Instant,
) -> std::io::Result<bool> {
    let mut tmp = vec![0u8; 65536];
    loop {
        if born.elapsed() > CONN_LIFETIME || stop.load(Ordering::SeqCst) {
            return Err(ErrorKind::TimedOut.into());
        }
        match s.read(&mut tmp) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                buf.extend_from_slice(&tmp[..n]);
                if let Ok(mut r) = st.raw.lock() {
                    if let Some(c) = r.get_mut(idx) {
                        c.extend_from_slice(&tmp[..n]);
                    }
                }
                return Ok(true);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn serve_conn(
    mut s: TcpStream,
    idx: usize,
    st: &OriginState,
    handler: &Handler,
    stop: &AtomicBool,
    expect: Expect,
) -> std::io::Result<()> {
    let born = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    s.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::new();
    let mut n_req = 0usize;
    loop {
        // Skip empty lines between requests, then wait for a head.
        let end = loop {
            while buf.first().is_some_and(|&b| b == b'\r' || b == b'\n') {
                buf.remove(0);
            }
            if let Some(e) = head_end(&buf) {
                break e;
            }
            if !more(&mut s, &mut buf, idx, st, stop, born)? {
                return Ok(());
            }
        };
        let head = Head::parse(&buf[..end]);
        let expects = head
            .get("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if expects && expect == Expect::Continue {
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let (taken, body, trailers) = if expects && expect == Expect::Refuse {
            // Answer on the head alone: the body will not come.
            (end, Vec::new(), Vec::new())
        } else if head.chunked() {
            loop {
                match decode_chunked(&buf[end..]) {
                    Chunked::Done(n, d, t) => break (end + n, d, t),
                    Chunked::Bad => return Ok(()),
                    Chunked::Partial => {
                        if !more(&mut s, &mut buf, idx, st, stop, born)? {
                            return Ok(());
                        }
                    }
                }
            }
        } else {
            let n = head.content_length().unwrap_or(0);
            while buf.len() < end + n {
                if !more(&mut s, &mut buf, idx, st, stop, born)? {
                    return Ok(());
                }
            }
            (end + n, buf[end..end + n].to_vec(), Vec::new())
        };
        let req = Received {
            conn: idx,
            index: n_req,
            raw: buf[..taken].to_vec(),
            head,
            body,
            trailers,
        };
        buf.drain(..taken);
        n_req += 1;
        let reply = handler(&req);
        if let Ok(mut r) = st.requests.lock() {
            r.push(req);
        }
        let mut reply = reply;
        loop {
            match reply {
                Reply::After(d, next) => {
                    std::thread::sleep(d);
                    reply = *next;
                }
                Reply::Send(b) => {
                    s.write_all(&b)?;
                    break;
                }
                Reply::SendClose(b) => {
                    s.write_all(&b)?;
                    let _ = s.shutdown(Shutdown::Both);
                    return Ok(());
                }
                Reply::Close => return Ok(()),
                Reply::SendThenEcho(b) => {
                    s.write_all(&b)?;
                    if !buf.is_empty() {
                        s.write_all(&buf)?;
                        buf.clear();
                    }
                    loop {
                        let mut tmp = Vec::new();
                        if !more(&mut s, &mut tmp, idx, st, stop, born)? {
                            return Ok(());
                        }
                        s.write_all(&tmp)?;
                    }
                }
                Reply::Hang => {
                    while more(&mut s, &mut buf, idx, st, stop, born)? {}
                    return Ok(());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The client side.

/// One response as the client received it.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Exactly the bytes of this response (interim ones not included).
    pub raw: Vec<u8>,
    pub head: Head,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    pub trailers: Vec<String>,
    /// Interim (1xx) heads received before it, raw.
    pub interim: Vec<Vec<u8>>,
}

impl Response {
    pub fn status(&self) -> u16 {
        self.head.status()
    }
}

/// A blocking HTTP/1.1 client connection with its receive buffer.
#[derive(Debug)]
pub struct Client {
    pub s: TcpStream,
    buf: Vec<u8>,
    /// The connection ended (EOF seen).
    pub eof: bool,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        Client {
            s: crate::client::connect(port),
            buf: Vec::new(),
            eof: false,
        }
    }

    pub fn port(&self) -> u16 {
        crate::client::client_port(&self.s)
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("client write");
    }

    /// Sends a simple GET for `path` with a Host field.
    pub fn get(&mut self, path: &str) -> Response {
        self.send(format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n").as_bytes());
        self.read_response(false)
    }

    /// Reads once more; false on EOF or error.
    fn fill(&mut self, deadline: Instant) -> std::io::Result<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        self.s.set_read_timeout(Some(left))?;
        let mut tmp = vec![0u8; 65536];
        loop {
            match self.s.read(&mut tmp) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Err(ErrorKind::TimedOut.into())
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads one final response (interim 1xx collected on the way);
    /// `head_request`: the response has no body. Errors on timeout, on a
    /// reset, or on EOF before a complete response.
    pub fn try_read_response(
        &mut self,
        head_request: bool,
        timeout: Duration,
    ) -> std::io::Result<Response> {
        let deadline = Instant::now() + timeout;
        let mut interim = Vec::new();
        loop {
            let end = loop {
                if let Some(e) = head_end(&self.buf) {
                    break e;
                }
                if !self.fill(deadline)? {
                    return Err(std::io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!(
                            "EOF before a complete response head; got {:?}",
                            String::from_utf8_lossy(&self.buf)
                        ),
                    ));
                }
            };
            let head = Head::parse(&self.buf[..end]);
            let status = head.status();
            if (100..200).contains(&status) && status != 101 {
                interim.push(self.buf.drain(..end).collect());
                continue;
            }
            let no_body = head_request || status == 204 || status == 304 || status == 101;
            let (taken, body, trailers) = if no_body {
                (end, Vec::new(), Vec::new())
            } else if head.chunked() {
                loop {
                    match decode_chunked(&self.buf[end..]) {
                        Chunked::Done(n, d, t) => break (end + n, d, t),
                        Chunked::Bad => {
                            return Err(std::io::Error::new(
                                ErrorKind::InvalidData,
                                "bad chunked response",
                            ))
                        }
                        Chunked::Partial => {
                            if !self.fill(deadline)? {
                                return Err(ErrorKind::UnexpectedEof.into());
                            }
                        }
                    }
                }
            } else if let Some(n) = head.content_length() {
                while self.buf.len() < end + n {
                    if !self.fill(deadline)? {
                        return Err(ErrorKind::UnexpectedEof.into());
                    }
                }
                (end + n, self.buf[end..end + n].to_vec(), Vec::new())
            } else {
                // Until close.
                while self.fill(deadline)? {}
                (self.buf.len(), self.buf[end..].to_vec(), Vec::new())
            };
            let raw: Vec<u8> = self.buf.drain(..taken).collect();
            return Ok(Response {
                raw,
                head,
                body,
                trailers,
                interim,
            });
        }
    }

    /// [`Client::try_read_response`] with a 10 s timeout, panicking on error.
    pub fn read_response(&mut self, head_request: bool) -> Response {
        self.try_read_response(head_request, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("reading a response: {e}"))
    }

    /// Bytes received and not yet taken by a response.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Waits for the connection to end; `Some(true)` on EOF, `Some(false)`
    /// on reset, `None` if still open after `timeout`. Extra bytes are kept
    /// in [`Client::pending`].
    pub fn wait_closed(&mut self, timeout: Duration) -> Option<bool> {
        if self.eof {
            return Some(true);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) => return Some(true),
                Err(e) if e.kind() == ErrorKind::TimedOut => return None,
                Err(_) => return Some(false),
            }
        }
    }

    /// True if the connection stays open and silent for `d`.
    pub fn quiet_for(&mut self, d: Duration) -> bool {
        let before = self.buf.len();
        matches!(self.fill(Instant::now() + d), Err(e) if e.kind() == ErrorKind::TimedOut)
            && self.buf.len() == before
    }

    /// Reads everything until EOF (raw), e.g. an answer with no framing.
    pub fn read_to_eof(&mut self, timeout: Duration) -> Vec<u8> {
        let deadline = Instant::now() + timeout;
        while !self.eof {
            match self.fill(deadline) {
                Ok(_) => {}
                Err(e) => panic!(
                    "reading to EOF: {e}; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
        std::mem::take(&mut self.buf)
    }
}

/// A raw answer as one transcript word: its status line and the first
/// line of its body.
pub fn status_and_body_line(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let status = text.lines().next().unwrap_or("none");
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("");
    format!("{status} {body}")
}

/// One request on a fresh connection: sends `req`, reads all until EOF or
/// `timeout`, returns the bytes (the connection is closed by the caller's
/// drop otherwise).
pub fn raw_exchange(port: u16, req: &[u8], timeout: Duration) -> Vec<u8> {
    let mut c = Client::connect(port);
    c.send(req);
    let deadline = Instant::now() + timeout;
    while !c.eof {
        match c.fill(deadline) {
            Ok(_) => {}
            Err(_) => break,
        }
    }
    std::mem::take(&mut c.buf)
}

// ---------------------------------------------------------------------------
// External clients.

/// Output of an external client run.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs `prog args...` with `stdin` bytes, killing it after `timeout`.
pub fn run_tool(prog: &str, args: &[&str], stdin: &[u8], timeout: Duration) -> ToolOutput {
    let start = Instant::now();
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {prog}: {e}"));
    let mut stdin_pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let w = std::thread::spawn(move || {
        let _ = stdin_pipe.write_all(&input);
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let ro = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let re = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = poll_until(timeout, || child.try_wait().ok().flatten());
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.kill();
            child.wait().expect("wait killed tool")
        }
    };
    let _ = w.join();
    let stdout = ro.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&re.join().unwrap_or_default()).into_owned();
    ToolOutput {
        code: status.code(),
        stdout,
        stderr,
        elapsed: start.elapsed(),
    }
}

/// Whether `prog` can be run (e.g. `curl`, `python3`).
pub fn have_tool(prog: &str) -> bool {
    Command::new(prog)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs curl with `args` (`-sS` added), 20 s at most.
pub fn curl(args: &[&str], stdin: &[u8]) -> ToolOutput {
    let mut a = vec!["-sS", "--max-time", "15"];
    a.extend_from_slice(args);
    run_tool("curl", &a, stdin, Duration::from_secs(20))
}

/// Runs a Python 3 script (given on the command line), 20 s at most.
pub fn python(script: &str, args: &[&str]) -> ToolOutput {
    let mut a = vec!["-c", script];
    a.extend_from_slice(args);
    run_tool("python3", &a, b"", Duration::from_secs(20))
}
