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

mod driver;
mod host;
#[cfg(test)]
mod tests;

use driver::Driver;
pub use host::{test_host, test_table};
