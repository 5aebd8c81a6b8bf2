//! In-process test kit for applet authors (feature `testing`).
//!
//! Runs one instance of an HTTP service against one request, without a
//! proxy, and hands back what a client would have received, in the spirit
//! of tower's `ServiceExt::oneshot`:
//!
//! - build the request with [`TestRequest`] (method, target, version,
//!   headers, a body given as pieces, optionally chunked with trailers,
//!   optionally with `Expect: 100-continue`);
//! - [`run`](TestRequest::run) any [`AppletImpl`] value against it
//!   (usually made by the service's own constructor, with [`test_host`]);
//! - check the [`TestResponse`], or the [`TestError`] saying which rule
//!   the applet broke.
//!
//! The applet is driven as the proxy drives it: through the SDK's own
//! wrapper (panic containment, output kept by [`Io::write_all`]) and the
//! [`Applet`](crate::Applet) object's `on_io`, once before any body byte arrives, then
//! one body piece per call, with a small output room in every call
//! ([`TestRequest::room`]) so that the paths waiting for room or input run
//! too. The rules are the proxy's: a status from 200 to 599, no
//! `Content-Length`, `Transfer-Encoding` or `Connection` header of the
//! applet's own, exactly the announced number of body bytes, one head
//! before any body, nothing after the end, no more output than the room.
//! `100 Continue` is "sent" (see [`TestResponse::continue_sent`]) the
//! first time the applet waits for input while a body announced with
//! `Expect: 100-continue` has not started; the body of a `HEAD`, 204 or
//! 304 answer is dropped.
//!
//! # Example
//!
//! ```
//! use applet_sdk::testing::{test_host, TestRequest};
//! use applet_sdk::{AppletImpl, Host, Io, Response, Wait};
//!
//! /// Answers with the length of the request body.
//! struct Count {
//!     seen: usize,
//! }
//!
//! impl Count {
//!     fn new(_args: &[String], _host: Host) -> Result<Count, String> {
//!         Ok(Count { seen: 0 })
//!     }
//! }
//!
//! impl AppletImpl for Count {
//!     fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
//!         let n = io.body().len();
//!         self.seen += n;
//!         io.consume(n);
//!         if !io.body_ended() {
//!             return Wait::INPUT;
//!         }
//!         let _ = io.respond(200, "text/plain", format!("{}\n", self.seen).as_bytes());
//!         Wait::DONE
//!     }
//! }
//!
//! let count = Count::new(&[], test_host()).unwrap();
//! let res = TestRequest::post("/count", "")
//!     .chunked()
//!     .piece("hello ")
//!     .piece("world")
//!     .expect_continue()
//!     .run(count)
//!     .unwrap();
//! assert_eq!(res.status, 200);
//! assert_eq!(res.body, b"11\n");
//! assert_eq!(res.header("content-type"), Some("text/plain"));
//! assert_eq!(res.length, Some(3));
//! assert!(res.ended && res.continue_sent);
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::OnceLock;
use std::time::Instant;

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{
    RErr, RNone, ROk, ROption, RResult, RSlice, RSome, RStr, RString, RVec,
};

use crate::abi::{
    AppletBox, AppletError, Applet_TO, Header, HttpOut, IoCtx, RequestHead, ResponseStart,
    StreamInfo, Wait, WaitKind,
};
use crate::author::{AppletImpl, Shim};
use crate::host::{
    AdminCmd, Host, HostServices, HostServices_Ref, LogLevel, PoolSnapshot, ProcessSnapshot,
    ProxySnapshot, StreamSnapshot, TableCmd,
};
use crate::peers::{PeerEntry, PeerUpdates, PeersSectionInfo, SectionStatus, TableMarks};
#[cfg(doc)]
use crate::Io;

/// De-framed body bytes the proxy lets wait for the applet before it stops
/// reading the client (its `BODY_ROOM`).
pub const BODY_ROOM: usize = 16384;

/// The output room of every call unless [`TestRequest::room`] says
/// otherwise: small, so that answers take several calls.
pub const DEFAULT_ROOM: usize = 256;

/// How many calls a run allows unless [`TestRequest::max_calls`] says
/// otherwise.
pub const DEFAULT_MAX_CALLS: usize = 100_000;

/// One request to run a service against. Framing headers are added by the
/// kit from the body given: `content-length` (when not chunked and the body
/// is not empty), `transfer-encoding: chunked`, `expect: 100-continue`.
#[derive(Debug, Clone)]
pub struct TestRequest {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    pieces: Vec<Vec<u8>>,
    chunked: bool,
    trailers: Vec<(String, String)>,
    expect_continue: bool,
    room: usize,
    max_calls: usize,
}

impl TestRequest {
    /// `method target HTTP/1.1`, no header, no body.
    pub fn new(method: &str, target: &str) -> TestRequest {
        TestRequest {
            method: method.to_string(),
            target: target.to_string(),
            version: "HTTP/1.1".to_string(),
            headers: Vec::new(),
            pieces: Vec::new(),
            chunked: false,
            trailers: Vec::new(),
            expect_continue: false,
            room: DEFAULT_ROOM,
            max_calls: DEFAULT_MAX_CALLS,
        }
    }

    pub fn get(target: &str) -> TestRequest {
        TestRequest::new("GET", target)
    }

    pub fn head(target: &str) -> TestRequest {
        TestRequest::new("HEAD", target)
    }

    pub fn delete(target: &str) -> TestRequest {
        TestRequest::new("DELETE", target)
    }

    /// `PUT` with `body` as one piece.
    pub fn put(target: &str, body: impl AsRef<[u8]>) -> TestRequest {
        TestRequest::new("PUT", target).body(body)
    }

    /// `POST` with `body` as one piece.
    pub fn post(target: &str, body: impl AsRef<[u8]>) -> TestRequest {
        TestRequest::new("POST", target).body(body)
    }

    /// `HTTP/1.0` or `HTTP/1.1` (the only versions the proxy hands over).
    ///
    /// # Panics
    ///
    /// On any other version.
    pub fn version(mut self, version: &str) -> TestRequest {
        assert!(
            version == "HTTP/1.0" || version == "HTTP/1.1",
            "version {version:?}: HTTP/1.0 or HTTP/1.1 only"
        );
        self.version = version.to_string();
        self
    }

    /// Adds a header field.
    ///
    /// # Panics
    ///
    /// On `Content-Length`, `Transfer-Encoding` and `Expect`: the kit
    /// writes those from [`body`](Self::body), [`chunked`](Self::chunked)
    /// and [`expect_continue`](Self::expect_continue).
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        for framing in ["content-length", "transfer-encoding", "expect"] {
            assert!(
                !name.eq_ignore_ascii_case(framing),
                "header '{name}': the kit frames the request, use body/chunked/expect_continue"
            );
        }
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The whole body, as one piece (replaces the pieces given so far).
    pub fn body(mut self, body: impl AsRef<[u8]>) -> TestRequest {
        self.pieces.clear();
        self.piece(body)
    }

    /// One more body piece: the applet gets it in a call of its own (a
    /// piece over [`BODY_ROOM`] is split as the proxy splits it). Empty
    /// pieces are ignored.
    pub fn piece(mut self, piece: impl AsRef<[u8]>) -> TestRequest {
        if !piece.as_ref().is_empty() {
            self.pieces.push(piece.as_ref().to_vec());
        }
        self
    }

    /// Several body pieces (see [`piece`](Self::piece)).
    pub fn pieces<I>(self, pieces: I) -> TestRequest
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        pieces.into_iter().fold(self, TestRequest::piece)
    }

    /// Sends the body chunked: no length announced
    /// ([`Request::content_length`](crate::Request::content_length) is
    /// `None`), and the end comes in a call after the last piece.
    pub fn chunked(mut self) -> TestRequest {
        self.chunked = true;
        self
    }

    /// A trailer field after a chunked body (implies [`chunked`](Self::chunked)).
    pub fn trailer(mut self, name: &str, value: &str) -> TestRequest {
        self.chunked = true;
        self.trailers.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds `Expect: 100-continue`: the body is held back until the applet
    /// waits for input (as the proxy then sends `100 Continue`). Ignored
    /// for HTTP/1.0, as the proxy ignores it.
    pub fn expect_continue(mut self) -> TestRequest {
        self.expect_continue = true;
        self
    }

    /// The output room of every call (at least 1; [`DEFAULT_ROOM`] unless
    /// set).
    pub fn room(mut self, room: usize) -> TestRequest {
        self.room = room.max(1);
        self
    }

    /// Fails the run with [`TestErrorKind::NoEnd`] after this many calls
    /// without an end ([`DEFAULT_MAX_CALLS`] unless set).
    pub fn max_calls(mut self, n: usize) -> TestRequest {
        self.max_calls = n;
        self
    }

    /// Runs `applet` (wrapped as the proxy wraps it) against the request,
    /// then releases it.
    pub fn run<A: AppletImpl>(self, applet: A) -> Result<TestResponse, TestError> {
        let mut boxed: AppletBox = Applet_TO::from_value(Shim::new(applet), TD_Opaque);
        self.run_boxed(&mut boxed)
    }

    /// Runs an applet object as a library's `create` returns it, then
    /// releases it.
    pub fn run_boxed(self, applet: &mut AppletBox) -> Result<TestResponse, TestError> {
        let mut d = Driver::new(self);
        let r = d.drive(applet);
        let released = applet.release();
        match (r, released) {
            (Err(e), _) => Err(e),
            (Ok(()), ROk(())) => Ok(d.res),
            (Ok(()), RErr(e)) => Err(d.error(classify(&e), format!("release: {}", e.message()))),
        }
    }
}

/// What the client received (framing undone), or what it had received
/// when a run failed ([`TestError::partial`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestResponse {
    /// 0 when no head was sent.
    pub status: u16,
    /// The reason phrase the applet gave; empty when it left the standard
    /// one to the proxy.
    pub reason: String,
    /// The applet's header fields (the proxy adds the framing ones).
    pub headers: Vec<(String, String)>,
    /// The body as the client gets it: empty for `HEAD`, 204 and 304.
    pub body: Vec<u8>,
    /// The length announced with [`Response::length`](crate::Response::length).
    pub length: Option<u64>,
    /// The response ended ([`Io::end`], or [`Wait::DONE`]).
    pub ended: bool,
    /// `100 Continue` went to the client before the answer.
    pub continue_sent: bool,
    /// How many times the applet object was called.
    pub calls: usize,
}

impl TestResponse {
    /// The first header field of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Which way a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestErrorKind {
    /// The applet broke the response contract; the proxy would fail the
    /// stream (500 before any output, a cut connection after).
    Contract,
    /// The applet called [`Io::fail`].
    Failed,
    /// The applet panicked (the message includes the location).
    Panicked,
    /// The applet waits for input that cannot come (the body ended, or
    /// [`BODY_ROOM`] bytes wait unread); the proxy would wait until a
    /// timeout.
    Stalled,
    /// No end within [`TestRequest::max_calls`] calls.
    NoEnd,
}

/// Why a run failed, with what the client had received by then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestError {
    pub kind: TestErrorKind,
    pub message: String,
    /// What the client had received (boxed: errors stay small).
    pub partial: Box<TestResponse>,
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TestErrorKind::Contract => "broke the response contract",
            TestErrorKind::Failed => "failed",
            TestErrorKind::Panicked => "panicked",
            TestErrorKind::Stalled => "stalled",
            TestErrorKind::NoEnd => "did not end",
        };
        write!(
            f,
            "{kind}: {} (after {} calls)",
            self.message, self.partial.calls
        )
    }
}

impl std::error::Error for TestError {}

fn classify(e: &AppletError) -> TestErrorKind {
    match e {
        AppletError::Panicked(_) => TestErrorKind::Panicked,
        _ => TestErrorKind::Failed,
    }
}

/// How the response body goes to the client (as the proxy frames it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyOut {
    /// `Content-Length`: bytes left.
    Length { announced: u64, left: u64 },
    /// Chunked, or until close for an HTTP/1.0 client.
    Stream,
    /// `HEAD`, 204, 304: dropped.
    Discard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Waiting,
    Body(BodyOut),
    Ended,
}

/// One run: the client's side of the exchange and the proxy's checks.
struct Driver {
    req: TestRequest,
    /// The header fields the applet sees (the kit's framing included).
    fields: Vec<(String, String)>,
    content_length: Option<u64>,
    /// Body not sent by the client yet.
    to_send: VecDeque<Vec<u8>>,
    /// De-framed body not consumed by the applet yet.
    body: Vec<u8>,
    body_done: bool,
    /// The client sends its body (no `Expect`, or `100 Continue` seen, or
    /// it stopped waiting for it).
    sending: bool,
    out: Out,
    res: TestResponse,
}

impl Driver {
    fn new(req: TestRequest) -> Driver {
        let total: usize = req.pieces.iter().map(Vec::len).sum();
        let mut fields = req.headers.clone();
        let content_length = if req.chunked {
            fields.push(("transfer-encoding".into(), "chunked".into()));
            None
        } else {
            if total > 0 {
                fields.push(("content-length".into(), total.to_string()));
            }
            Some(total as u64)
        };
        let expect_100 = req.expect_continue && req.version == "HTTP/1.1";
        if req.expect_continue {
            fields.push(("expect".into(), "100-continue".into()));
        }
        Driver {
            fields,
            content_length,
            to_send: req.pieces.iter().cloned().collect(),
            body: Vec::new(),
            body_done: !req.chunked && total == 0,
            sending: !expect_100,
            out: Out::Waiting,
            res: TestResponse::default(),
            req,
        }
    }

    fn error(&self, kind: TestErrorKind, message: impl Into<String>) -> TestError {
        TestError {
            kind,
            message: message.into(),
            partial: Box::new(self.res.clone()),
        }
    }

    fn contract(&self, message: impl Into<String>) -> TestError {
        self.error(TestErrorKind::Contract, message)
    }

    /// Whether the next call can bring more input.
    fn can_feed(&self) -> bool {
        if self.body_done || !self.sending {
            return false;
        }
        match self.to_send.front() {
            Some(_) => self.body.len() < BODY_ROOM,
            // The last chunk (and trailers) of a chunked body.
            None => true,
        }
    }

    /// The client sends one more piece (at most what the proxy buffers).
    fn feed(&mut self) {
        if !self.can_feed() {
            return;
        }
        let Some(piece) = self.to_send.front_mut() else {
            self.body_done = true;
            return;
        };
        let n = piece.len().min(BODY_ROOM - self.body.len());
        self.body.extend(piece.drain(..n));
        if piece.is_empty() {
            self.to_send.pop_front();
        }
        // A body of known length ends with its last byte.
        if !self.req.chunked && self.to_send.is_empty() {
            self.body_done = true;
        }
    }

    fn drive(&mut self, applet: &mut AppletBox) -> Result<(), TestError> {
        let stream = StreamInfo {
            id: 1,
            frontend: RStr::from_str("test"),
            backend: RStr::from_str("test"),
            client_addr: RStr::from_str("127.0.0.1:40000"),
            local_addr: RStr::from_str("127.0.0.1:8080"),
        };
        let room = self.req.room;
        let mut output = RVec::new();
        loop {
            if self.res.calls >= self.req.max_calls {
                return Err(self.error(
                    TestErrorKind::NoEnd,
                    format!("no end within {} calls", self.req.max_calls),
                ));
            }
            // The first call comes before any body byte, as in the proxy.
            if self.res.calls > 0 {
                self.feed();
            }
            self.res.calls += 1;
            output.clear();
            let mut http_out = HttpOut::default();
            let headers: Vec<Header<'_>> = self.fields.iter().map(field).collect();
            let trailers: Vec<Header<'_>> = if self.body_done {
                self.req.trailers.iter().map(field).collect()
            } else {
                Vec::new()
            };
            let (path, query) = split_target(&self.req.target);
            let head = RequestHead {
                method: RStr::from_str(&self.req.method),
                target: RStr::from_str(&self.req.target),
                path: RStr::from_str(path),
                query: RStr::from_str(query),
                version: RStr::from_str(&self.req.version),
                headers: RSlice::from_slice(&headers),
                content_length: match self.content_length {
                    Some(n) => RSome(n),
                    None => RNone,
                },
                trailers: RSlice::from_slice(&trailers),
            };
            let mut ctx = IoCtx {
                input: RSlice::from_slice(&self.body),
                consumed: 0,
                input_closed: self.body_done,
                room,
                output: &mut output,
                stream,
                request: ROption::RSome(head),
                response: &mut http_out,
            };
            let result: RResult<Wait, AppletError> = applet.on_io(&mut ctx);
            let consumed = ctx.consumed.min(self.body.len());
            drop(headers);
            drop(trailers);
            self.body.drain(..consumed);
            if output.len() > room {
                return Err(
                    self.contract(format!("wrote {} bytes with room for {room}", output.len()))
                );
            }
            let wait = match result {
                ROk(w) => w,
                RErr(e) => return Err(self.error(classify(&e), e.message())),
            };
            self.answer(http_out, &output, wait.kind)?;
            if self.out == Out::Ended {
                return Ok(());
            }
            match wait.kind {
                WaitKind::INPUT => self.waits_for_input()?,
                WaitKind::ROOM | WaitKind::TIMER => {}
                WaitKind(k) => return Err(self.contract(format!("unknown wait kind {k}"))),
            }
        }
    }

    /// The applet returned [`Wait::INPUT`]: `100 Continue` as the proxy
    /// sends it, or the client stops waiting for it; then, is there any
    /// input left to come?
    fn waits_for_input(&mut self) -> Result<(), TestError> {
        if !self.sending {
            if self.out == Out::Waiting && !self.body_done && self.body.is_empty() {
                self.res.continue_sent = true;
            }
            // Else the client gives up waiting (curl does after 1 s).
            self.sending = true;
        }
        if self.can_feed() {
            return Ok(());
        }
        let why = if self.body_done {
            "the request body ended".to_string()
        } else {
            format!(
                "{} bytes of request body wait unread (the proxy buffers {BODY_ROOM})",
                self.body.len()
            )
        };
        Err(self.error(
            TestErrorKind::Stalled,
            format!("waits for input, but {why}"),
        ))
    }

    /// Checks and takes what the applet answered in one call (as the
    /// proxy's codec does).
    fn answer(&mut self, http_out: HttpOut, data: &[u8], wait: WaitKind) -> Result<(), TestError> {
        if let ROption::RSome(start) = http_out.head {
            match self.out {
                Out::Waiting => self.out = Out::Body(self.head(start)?),
                Out::Ended => return Err(self.contract("wrote after the end of its response")),
                Out::Body(_) => return Err(self.contract("sent a second response head")),
            }
        }
        if !data.is_empty() {
            match &mut self.out {
                Out::Waiting => {
                    return Err(self.contract("wrote body bytes before its response head"))
                }
                Out::Ended => return Err(self.contract("wrote after the end of its response")),
                Out::Body(BodyOut::Length { announced, left }) => {
                    if data.len() as u64 > *left {
                        let msg = format!("sent more body than the {announced} bytes it announced");
                        return Err(self.contract(msg));
                    }
                    *left -= data.len() as u64;
                    self.res.body.extend_from_slice(data);
                }
                Out::Body(BodyOut::Stream) => self.res.body.extend_from_slice(data),
                Out::Body(BodyOut::Discard) => {}
            }
        }
        if http_out.end || wait == WaitKind::DONE {
            match self.out {
                Out::Waiting => return Err(self.contract("finished without sending a response")),
                Out::Body(BodyOut::Length { announced, left }) if left > 0 => {
                    return Err(self.contract(format!(
                        "ended its response after {} of the {announced} bytes it announced",
                        announced - left
                    )))
                }
                Out::Body(_) => {
                    self.out = Out::Ended;
                    self.res.ended = true;
                }
                Out::Ended => {}
            }
        }
        Ok(())
    }

    /// Checks a response head; returns how its body goes.
    fn head(&mut self, start: ResponseStart) -> Result<BodyOut, TestError> {
        let status = start.status;
        if !(200..=599).contains(&status) {
            return Err(self.contract(format!("answered with status {status} (200 to 599 only)")));
        }
        if !start.reason.bytes().all(is_field_value_byte) {
            return Err(self.contract("sent a reason phrase with control characters"));
        }
        for h in start.headers.iter() {
            let (name, value) = (h.name.as_str(), h.value.as_str());
            if name.is_empty() || !name.bytes().all(is_tchar) {
                return Err(self.contract(format!("sent an invalid header name {name:?}")));
            }
            if !value.bytes().all(is_field_value_byte) {
                return Err(self.contract(format!("sent an invalid value for header '{name}'")));
            }
            for framing in ["content-length", "transfer-encoding", "connection"] {
                if name.eq_ignore_ascii_case(framing) {
                    return Err(self.contract(format!(
                        "set '{name}' itself (the proxy frames the response: give the length instead)"
                    )));
                }
            }
        }
        let length = start.length.into_option();
        self.res.status = status;
        self.res.reason = start.reason.into_string();
        self.res.length = length;
        self.res.headers = start
            .headers
            .into_iter()
            .map(|h| (h.name.into_string(), h.value.into_string()))
            .collect();
        let no_body = self.req.method == "HEAD" || status == 204 || status == 304;
        Ok(match length {
            _ if no_body => BodyOut::Discard,
            Some(n) => BodyOut::Length {
                announced: n,
                left: n,
            },
            None => BodyOut::Stream,
        })
    }
}

fn field((name, value): &(String, String)) -> Header<'_> {
    Header {
        name: RStr::from_str(name),
        value: RStr::from_str(value),
    }
}

/// The path and the query of a request target, as the proxy splits them.
fn split_target(target: &str) -> (&str, &str) {
    let (before, query) = target.split_once('?').unwrap_or((target, ""));
    let path = if before.starts_with('/') {
        before
    } else {
        // An absolute URI: the path starts at the first `/` after the
        // authority; `/` when there is none.
        before
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|p| &rest[p..]))
            .unwrap_or("/")
    };
    (path, query)
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A byte allowed in a field value (or a reason phrase).
fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80
}

// ---------------------------------------------------------------------------
// A host without a proxy.

/// A [`Host`] for tests: logs go to stderr, the clock counts from the
/// first call, every listing is empty, every command and peers function
/// answers "not available".
pub fn test_host() -> Host {
    Host::new(test_table(), "test")
}

/// The table behind [`test_host`], built once per process.
pub fn test_table() -> HostServices_Ref {
    static TABLE: OnceLock<HostServices_Ref> = OnceLock::new();
    *TABLE.get_or_init(|| {
        HostServices {
            log: h_log,
            now_ms: h_now,
            proxies: h_proxies,
            sessions: h_sessions,
            pools: h_pools,
            admin: h_admin,
            info: h_info,
            tables: h_tables,
            peers_section: h_section,
            table_marks: h_marks,
            table_collect: h_collect,
            table_apply: h_apply,
            peer_connect: h_connect,
            wake: h_wake,
            peers_status: h_status,
            stick_tables: h_stick_tables,
            peers_view: h_peers_view,
            log_enabled: h_log_enabled,
            patterns: h_patterns,
        }
        .leak_into_prefix()
    })
}

const NO_PROXY: &str = "not available in tests (no proxy)";

extern "C" fn h_stick_tables(
    _: crate::StickQuery,
) -> abi_stable::std_types::RResult<RVec<crate::StickTableInfo>, RString> {
    abi_stable::std_types::RErr(NO_PROXY.into())
}

/// No proxy, no peers sections.
extern "C" fn h_patterns(
    _: crate::PatternQuery,
) -> abi_stable::std_types::RResult<RVec<crate::PatternRefView>, RString> {
    abi_stable::std_types::RErr(NO_PROXY.into())
}

extern "C" fn h_peers_view() -> crate::PeersView {
    crate::PeersView::default()
}

extern "C" fn h_log(level: LogLevel, source: RStr<'_>, msg: RStr<'_>) {
    let level = match level {
        LogLevel::EMERG => "emerg",
        LogLevel::ALERT => "alert",
        LogLevel::CRIT => "crit",
        LogLevel::ERR => "err",
        LogLevel::WARNING => "warning",
        LogLevel::NOTICE => "notice",
        LogLevel::INFO => "info",
        _ => "debug",
    };
    eprintln!("[{level}] {source}: {msg}");
}
extern "C" fn h_now() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}
extern "C" fn h_proxies() -> RVec<ProxySnapshot> {
    RVec::new()
}
extern "C" fn h_sessions() -> RVec<StreamSnapshot> {
    RVec::new()
}
extern "C" fn h_pools() -> RVec<PoolSnapshot> {
    RVec::new()
}
extern "C" fn h_admin(_: AdminCmd) -> RResult<RString, RString> {
    RErr(NO_PROXY.into())
}
extern "C" fn h_info() -> ProcessSnapshot {
    ProcessSnapshot::default()
}
extern "C" fn h_tables(_: TableCmd) -> RResult<RString, RString> {
    RErr(NO_PROXY.into())
}
extern "C" fn h_section(_: RStr<'_>) -> ROption<PeersSectionInfo> {
    RNone
}
extern "C" fn h_marks(_: RStr<'_>) -> ROption<TableMarks> {
    RNone
}
extern "C" fn h_collect(_: RStr<'_>, _: u64, _: u64, _: bool, _: u32) -> RVec<PeerEntry> {
    RVec::new()
}
extern "C" fn h_apply(_: RStr<'_>, _: &PeerUpdates) -> u32 {
    0
}
extern "C" fn h_connect(_: RStr<'_>, _: RStr<'_>, _: u64) -> RResult<u64, RString> {
    RErr(NO_PROXY.into())
}
extern "C" fn h_wake(_: u64) {}
extern "C" fn h_status(_: RStr<'_>, _: SectionStatus) {}

#[cfg(test)]
mod tests;

extern "C" fn h_log_enabled(_: crate::LogLevel) -> bool {
    true
}
