//! Drives one applet instance through one request as the proxy does, with
//! the proxy's checks on its answer (see the kit's overview).

#[allow(clippy::wildcard_imports)]
use super::*;

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
pub(super) struct Driver {
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
    pub(super) res: TestResponse,
}

impl Driver {
    pub(super) fn new(req: TestRequest) -> Driver {
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

    pub(super) fn error(&self, kind: TestErrorKind, message: impl Into<String>) -> TestError {
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

    pub(super) fn drive(&mut self, applet: &mut AppletBox) -> Result<(), TestError> {
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
pub(super) fn split_target(target: &str) -> (&str, &str) {
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
