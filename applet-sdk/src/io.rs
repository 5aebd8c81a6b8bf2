//! The I/O handle an applet gets in each call: the input (bytes, or an
//! HTTP service's de-framed request body), the output (bytes, or the
//! response body), the parsed request and the response writer.
//!
//! Output has two speeds: [`Io::write`] takes what fits in this call's
//! room (pace a long stream with it and [`Wait::ROOM`](crate::Wait::ROOM)),
//! [`Io::write_all`] takes everything and keeps what does not fit until
//! later calls (the SDK flushes it before calling the applet again).

use abi_stable::std_types::{RSome, RString, RVec};

use crate::abi::{
    HttpOut, IoCtx, OwnedHeader, RequestHead, ResponseStart, ServiceFlags, StreamInfo,
};

/// Output state that outlives one call: bytes waiting for room and how
/// far the response got. Kept by the SDK's wrapper of each instance.
#[derive(Debug, Default)]
pub(crate) struct OutState {
    pub(crate) pending: Vec<u8>,
    pub(crate) pos: usize,
    pub(crate) head_sent: bool,
    /// `end` was called (it reaches the host once `pending` is flushed).
    pub(crate) ended: bool,
}

impl OutState {
    pub(crate) fn has_pending(&self) -> bool {
        self.pos < self.pending.len()
    }

    /// Moves pending bytes into `out` within `room`; returns how many.
    pub(crate) fn flush_into(&mut self, out: &mut RVec<u8>, room: usize) -> usize {
        let n = (self.pending.len() - self.pos).min(room);
        out.extend_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
        }
        n
    }
}

/// Why the response writer refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    /// The response head was already sent.
    HeadSent,
    /// The response already ended.
    Ended,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WriteError::HeadSent => "the response head was already sent",
            WriteError::Ended => "the response already ended",
        })
    }
}

impl std::error::Error for WriteError {}

/// The I/O handle of one call.
pub struct Io<'a> {
    input: &'a [u8],
    consumed: &'a mut usize,
    input_closed: bool,
    room: usize,
    output: &'a mut RVec<u8>,
    start_len: usize,
    stream: StreamInfo<'a>,
    request: Option<RequestHead<'a>>,
    response: &'a mut HttpOut,
    state: &'a mut OutState,
    pub(crate) error: Option<String>,
}

impl<'a> Io<'a> {
    pub(crate) fn new(ctx: &'a mut IoCtx<'_>, state: &'a mut OutState) -> Io<'a> {
        let start_len = ctx.output.len();
        Io {
            input: ctx.input.as_slice(),
            consumed: &mut ctx.consumed,
            input_closed: ctx.input_closed,
            room: ctx.room,
            output: &mut *ctx.output,
            start_len,
            stream: ctx.stream,
            request: ctx.request.into_option(),
            response: &mut *ctx.response,
            state,
            error: None,
        }
    }

    /// The input not consumed yet: an HTTP service's request body
    /// (de-framed), otherwise the bytes the peer sent.
    pub fn input(&self) -> &'a [u8] {
        &self.input[(*self.consumed).min(self.input.len())..]
    }

    /// Marks `n` more bytes of the input as used (clamped to what is
    /// there); they are gone on the next call.
    pub fn consume(&mut self, n: usize) {
        *self.consumed = (*self.consumed + n).min(self.input.len());
    }

    /// No more input will come: for an HTTP service the request body
    /// ended (its trailers are in [`Request::trailers`]); otherwise the
    /// peer closed its side.
    pub fn input_closed(&self) -> bool {
        self.input_closed
    }

    /// The request body received and not consumed yet (HTTP services;
    /// the same as [`input`](Io::input)).
    pub fn body(&self) -> &'a [u8] {
        self.input()
    }

    /// Whether the whole request body was received (HTTP services; the
    /// same as [`input_closed`](Io::input_closed)).
    pub fn body_ended(&self) -> bool {
        self.input_closed
    }

    /// How many more bytes [`write`](Io::write) takes in this call.
    pub fn room(&self) -> usize {
        if self.state.has_pending() {
            return 0;
        }
        self.room - self.written()
    }

    /// Bytes written in this call so far.
    pub fn written(&self) -> usize {
        self.output.len() - self.start_len
    }

    /// Appends what fits in the room left; returns how much was taken.
    /// Keep the rest and return [`Wait::ROOM`](crate::Wait::ROOM). For an
    /// HTTP service these are body bytes: send the head first.
    pub fn write(&mut self, data: &[u8]) -> usize {
        if self.state.ended {
            return 0;
        }
        let n = data.len().min(self.room());
        self.output.extend_from_slice(&data[..n]);
        n
    }

    /// Writes all of `data`: what does not fit now is kept by the SDK and
    /// sent before this applet is called again (it is called only once
    /// everything went out, whatever it returned). For answers of known,
    /// reasonable size; pace long streams with [`write`](Io::write).
    pub fn write_all(&mut self, data: &[u8]) -> Result<(), WriteError> {
        if self.state.ended {
            return Err(WriteError::Ended);
        }
        let n = self.write(data);
        self.state.pending.extend_from_slice(&data[n..]);
        Ok(())
    }

    /// Whether output is waiting for room (see [`write_all`](Io::write_all)).
    pub fn has_pending_output(&self) -> bool {
        self.state.has_pending()
    }

    /// The stream the applet serves.
    pub fn stream(&self) -> Stream<'a> {
        Stream(self.stream)
    }

    /// The parsed request (HTTP services; `None` for other kinds and for
    /// [`ServiceFlags::RAW_HTTP`] services).
    pub fn request(&self) -> Option<Request<'a>> {
        self.request.map(Request)
    }

    /// Sends the response head (HTTP services), once, before any body.
    pub fn send_head(&mut self, head: Response) -> Result<(), WriteError> {
        if self.state.ended {
            return Err(WriteError::Ended);
        }
        if self.state.head_sent {
            return Err(WriteError::HeadSent);
        }
        self.state.head_sent = true;
        self.response.head = RSome(head.start);
        Ok(())
    }

    /// Whether the response head was sent.
    pub fn head_sent(&self) -> bool {
        self.state.head_sent
    }

    /// Ends the response (HTTP services): no body byte may follow. Output
    /// still pending goes out first. The host keeps the client connection
    /// for its next request and drops whatever request body was not read.
    pub fn end(&mut self) {
        self.state.ended = true;
        if !self.state.has_pending() {
            self.response.end = true;
        }
    }

    /// Whether [`end`](Io::end) was called.
    pub fn ended(&self) -> bool {
        self.state.ended
    }

    /// A whole answer at once: the head (with `Content-Length` and, when
    /// not empty, `content_type`), the body, the end.
    pub fn respond(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> Result<(), WriteError> {
        let mut head = Response::new(status).length(body.len() as u64);
        if !content_type.is_empty() {
            head = head.header("content-type", content_type);
        }
        self.send_head(head)?;
        self.write_all(body)?;
        self.end();
        Ok(())
    }

    /// Fails the call: the host reports `msg`, closes the stream and does
    /// not call `on_io` again (`release` still runs).
    pub fn fail(&mut self, msg: impl Into<String>) {
        self.error = Some(msg.into());
    }
}

/// The stream's identity and addresses.
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a>(StreamInfo<'a>);

impl<'a> Stream<'a> {
    pub fn id(&self) -> u64 {
        self.0.id
    }
    pub fn frontend(&self) -> &'a str {
        self.0.frontend.as_str()
    }
    pub fn backend(&self) -> &'a str {
        self.0.backend.as_str()
    }
    /// `ip:port`, empty when unknown.
    pub fn client_addr(&self) -> &'a str {
        self.0.client_addr.as_str()
    }
    /// `ip:port`, empty when unknown.
    pub fn local_addr(&self) -> &'a str {
        self.0.local_addr.as_str()
    }
}

/// The parsed request of an HTTP service.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a>(RequestHead<'a>);

impl<'a> Request<'a> {
    /// Wraps a raw head (for hosts and tests).
    pub fn from_head(head: RequestHead<'a>) -> Request<'a> {
        Request(head)
    }
    pub fn method(&self) -> &'a str {
        self.0.method.as_str()
    }
    /// The request target exactly as sent.
    pub fn target(&self) -> &'a str {
        self.0.target.as_str()
    }
    /// The target's path.
    pub fn path(&self) -> &'a str {
        self.0.path.as_str()
    }
    /// What follows `?` in the target, empty when nothing does.
    pub fn query(&self) -> &'a str {
        self.0.query.as_str()
    }
    /// The value of query parameter `name` (`a=1&b=2`), not decoded.
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        self.query()
            .split('&')
            .find_map(|kv| match kv.split_once('=') {
                Some((k, v)) if k == name => Some(v),
                None if kv == name => Some(""),
                _ => None,
            })
    }
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub fn version(&self) -> &'a str {
        self.0.version.as_str()
    }
    /// Every header field in order.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0
            .headers
            .as_slice()
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
    }
    /// The first header field of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
    /// The body's length when announced (`Content-Length`; 0 without a
    /// body), `None` when chunked.
    pub fn content_length(&self) -> Option<u64> {
        self.0.content_length.into_option()
    }
    /// The trailer fields of a chunked body, once it ended.
    pub fn trailers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0
            .trailers
            .as_slice()
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
    }
    /// The first trailer field of that name (case-insensitive).
    pub fn trailer(&self, name: &str) -> Option<&'a str> {
        self.trailers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// A response head to send with [`Io::send_head`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    start: ResponseStart,
}

impl Response {
    /// Status `status` (200 to 599) with its standard reason.
    pub fn new(status: u16) -> Response {
        Response {
            start: ResponseStart {
                status,
                reason: RString::new(),
                // Room for the usual few headers in one allocation.
                headers: RVec::with_capacity(4),
                length: abi_stable::std_types::RNone,
            },
        }
    }
    /// A reason phrase other than the standard one.
    pub fn reason(mut self, reason: &str) -> Response {
        self.start.reason = reason.into();
        self
    }
    /// Adds a header field (sent with the name as given). The host frames
    /// the response: do not add `Content-Length`, `Transfer-Encoding` or
    /// `Connection`.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.start.headers.push(OwnedHeader {
            name: name.into(),
            value: value.into(),
        });
        self
    }
    /// The body's length, known up front: sent as `Content-Length`, and
    /// the host checks that exactly that many bytes follow.
    pub fn length(mut self, n: u64) -> Response {
        self.start.length = RSome(n);
        self
    }
    /// The status.
    pub fn status(&self) -> u16 {
        self.start.status
    }
}

/// Services of a library, as [`export_applet!`](crate::export_applet)
/// lists them: a kind, optionally with flags (`(ServiceKind::HTTP_SERVICE,
/// ServiceFlags::RAW_HTTP)`).
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    pub kind: crate::ServiceKind,
    pub flags: ServiceFlags,
}

impl From<crate::ServiceKind> for ServiceSpec {
    fn from(kind: crate::ServiceKind) -> ServiceSpec {
        ServiceSpec {
            kind,
            flags: ServiceFlags::NONE,
        }
    }
}

impl From<(crate::ServiceKind, ServiceFlags)> for ServiceSpec {
    fn from((kind, flags): (crate::ServiceKind, ServiceFlags)) -> ServiceSpec {
        ServiceSpec { kind, flags }
    }
}
