//! The HTTP side of an applet: what lets an HTTP service work at the level
//! of HTTP while the stream moves bytes to and from it as to a server.
//!
//! In: the request head the proxy parsed (after the `http-request` rules)
//! is handed over as fields; the body arrives framed, as a server would get
//! it, and is de-framed here ([`BodyDecoder`]) into pieces the applet
//! consumes, with the trailers at the end. `Expect: 100-continue` is
//! answered here the first time the applet waits for a body that has not
//! started.
//!
//! Out: the applet gives a status, headers and an optional length, then
//! body pieces and an end; this frames them as an HTTP/1.1 response
//! (`Content-Length` when the length was given, chunked otherwise, until
//! close for an HTTP/1.0 client) which the exchange then handles as a
//! server's. Every broken promise (a second head, body before the head or
//! after the end, more or fewer bytes than announced, an invalid status or
//! header) fails the applet with a message saying which.

use std::io::Write;

use abi_stable::std_types::{RNone, ROption, RSlice, RSome, RStr, RVec};
use applet_sdk::{
    AppletBox, Header, HttpOut, IoCtx, RequestHead as AbiHead, ResponseStart, StreamInfo, WaitKind,
};

use crate::http::dechunk::{trailer_fields, BodyDecoder};
use crate::http::head::{RequestHead, Span};
use crate::http::tokens::{is_field_value_byte, is_tchar};
use crate::http::BodyKind;
use crate::stream::{AppletIo, AppletWait};

/// De-framed body bytes the applet may have waiting before the proxy stops
/// taking more from the client.
const BODY_ROOM: usize = 16384;

/// Output room kept back from the applet for the chunk framing of what
/// it writes in one call.
const FRAMING_RESERVE: usize = 32;

/// The request as the applet sees it: the head's bytes (owned; bytes that
/// are not UTF-8 replaced by `?` in place) and spans into them.
#[derive(Debug)]
struct RequestView {
    head: String,
    method: Span,
    target: Span,
    /// `None`: an absolute URI without a path, seen as `/`.
    path: Option<Span>,
    query: Span,
    http11: bool,
    fields: Vec<(Span, Span)>,
    content_length: Option<u64>,
    trailers_raw: String,
    trailers: Vec<(Span, Span)>,
}

/// How the response body goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyOut {
    /// `Content-Length`: announced, and bytes left.
    Length {
        announced: u64,
        left: u64,
    },
    Chunked,
    /// Until close (HTTP/1.0 client, no length).
    Close,
    /// No body on the wire (`HEAD`, 204, 304): what the applet writes is
    /// dropped.
    Discard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    /// No head yet.
    Waiting,
    Body(BodyOut),
    Ended,
}

/// One transaction of an HTTP service.
#[derive(Debug)]
pub struct HttpCodec {
    req: RequestView,
    decoder: BodyDecoder,
    /// De-framed body not consumed by the applet yet.
    body: Vec<u8>,
    body_done: bool,
    expect_100: bool,
    sent_100: bool,
    head_request: bool,
    out: Out,
    /// What the applet writes in one call, framed afterwards.
    scratch: RVec<u8>,
    http_out: HttpOut,
}

/// `buf` as text, its bytes that are not UTF-8 replaced by `?` (offsets
/// kept), checked once so that every field is then a plain slice.
fn utf8_text(mut buf: Vec<u8>) -> String {
    let mut pos = 0;
    loop {
        match std::str::from_utf8(&buf[pos..]) {
            Ok(_) => break,
            Err(e) => {
                let bad = pos + e.valid_up_to();
                let n = e.error_len().unwrap_or(buf.len() - bad);
                buf[bad..bad + n].fill(b'?');
                pos = bad + n;
            }
        }
    }
    String::from_utf8(buf).unwrap_or_default()
}

fn rstr(text: &str, span: Span) -> RStr<'_> {
    // Spans start and end on ASCII bytes (delimiters), so on character
    // boundaries; `get` only checks that.
    RStr::from_str(text.get(span.start..span.end).unwrap_or(""))
}

impl RequestView {
    fn new(head: Vec<u8>, parsed: &RequestHead, body: BodyKind) -> RequestView {
        let head = utf8_text(head);
        let target = parsed.target;
        let t = target.get(head.as_bytes());
        let q = t.iter().position(|&b| b == b'?');
        let path_end = target.start + q.unwrap_or(t.len());
        let query = match q {
            Some(q) => Span::new(target.start + q + 1, target.end),
            None => Span::new(target.end, target.end),
        };
        let path_start = if t.first() == Some(&b'/') {
            Some(target.start)
        } else {
            // An absolute URI: the path starts at the first `/` after the
            // authority.
            let rest = &t[..path_end - target.start];
            rest.windows(3).position(|w| w == b"://").and_then(|s| {
                rest[s + 3..]
                    .iter()
                    .position(|&b| b == b'/')
                    .map(|p| target.start + s + 3 + p)
            })
        };
        RequestView {
            method: parsed.method,
            target,
            path: path_start.map(|s| Span::new(s, path_end)),
            query,
            http11: parsed.version.is_11(),
            fields: parsed.headers.iter().map(|h| (h.name, h.value)).collect(),
            content_length: match body {
                BodyKind::Length(n) => Some(n),
                BodyKind::Chunked => None,
                _ => Some(0),
            },
            trailers_raw: String::new(),
            trailers: Vec::new(),
            head,
        }
    }
}

impl HttpCodec {
    /// The codec for one request: `head` holds the head's bytes as they
    /// would go to a server (`parsed` spans into them), `body` its framing.
    pub fn new(head: Vec<u8>, parsed: &RequestHead, body: BodyKind, expect_100: bool) -> HttpCodec {
        let head_request = parsed.method(&head) == b"HEAD";
        let decoder = BodyDecoder::new(body);
        HttpCodec {
            body_done: decoder.is_done(),
            req: RequestView::new(head, parsed, body),
            decoder,
            body: Vec::new(),
            expect_100,
            sent_100: false,
            head_request,
            out: Out::Waiting,
            scratch: RVec::new(),
            http_out: HttpOut::default(),
        }
    }

    /// One call of the applet: de-frames what arrived, calls it, frames
    /// what it answered into `io.output`. `Err` says how it failed.
    pub fn call(
        &mut self,
        applet: &mut AppletBox,
        stream: StreamInfo<'_>,
        io: &mut AppletIo<'_>,
    ) -> Result<AppletWait, String> {
        self.take_input(io)?;
        let room = io.room.saturating_sub(FRAMING_RESERVE);
        self.scratch.clear();
        self.http_out = HttpOut::default();
        let r = &self.req;
        let h = &r.head;
        // The usual few headers go in an array on the stack, not a
        // fresh allocation per call.
        let empty = Header {
            name: RStr::from_str(""),
            value: RStr::from_str(""),
        };
        let mut few = [empty; 24];
        let many: Vec<Header<'_>>;
        let header = |&(n, v): &(Span, Span)| Header {
            name: rstr(h, n),
            value: rstr(h, v),
        };
        let headers: &[Header<'_>] = if r.fields.len() <= few.len() {
            for (slot, f) in few.iter_mut().zip(&r.fields) {
                *slot = header(f);
            }
            &few[..r.fields.len()]
        } else {
            many = r.fields.iter().map(header).collect();
            &many
        };
        let trailers: Vec<Header<'_>> = r
            .trailers
            .iter()
            .map(|&(n, v)| Header {
                name: rstr(&r.trailers_raw, n),
                value: rstr(&r.trailers_raw, v),
            })
            .collect();
        let head = AbiHead {
            method: rstr(h, r.method),
            target: rstr(h, r.target),
            path: r.path.map_or(RStr::from_str("/"), |p| rstr(h, p)),
            query: rstr(h, r.query),
            version: RStr::from_str(if r.http11 { "HTTP/1.1" } else { "HTTP/1.0" }),
            headers: RSlice::from_slice(headers),
            content_length: match r.content_length {
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
            output: &mut self.scratch,
            stream,
            request: ROption::RSome(head),
            response: &mut self.http_out,
        };
        let result = applet.on_io(&mut ctx).into_result();
        let consumed = ctx.consumed.min(self.body.len());
        drop(trailers);
        self.body.drain(..consumed);
        if self.scratch.len() > room {
            return Err(format!(
                "wrote {} bytes with room for {room}",
                self.scratch.len()
            ));
        }
        let wait = result.map_err(|e| e.to_string())?;
        let before = io.output.len();
        if let Err(why) = self.answer(io.output, wait.kind) {
            // Nothing of a broken answer goes out: the client gets a clean
            // error if nothing was sent before.
            io.output.truncate(before);
            return Err(why);
        }
        io.room = io.room.saturating_sub(io.output.len() - before);
        if self.out == Out::Ended {
            return Ok(AppletWait::Done);
        }
        if wait.kind == WaitKind::INPUT {
            self.maybe_continue(io.output);
        }
        match wait.kind {
            WaitKind::INPUT => Ok(AppletWait::Input),
            WaitKind::ROOM => Ok(AppletWait::Room),
            WaitKind::TIMER => Ok(AppletWait::Timer(std::time::Duration::from_millis(
                wait.timer_ms,
            ))),
            WaitKind(k) => Err(format!("unknown wait kind {k}")),
        }
    }

    /// De-frames the framed body bytes that arrived, as far as the body
    /// buffer has room (the rest stays with the pipe: backpressure).
    fn take_input(&mut self, io: &mut AppletIo<'_>) -> Result<(), String> {
        if self.body_done {
            // Whatever follows (a body the applet did not read after it
            // ended) is dropped.
            io.consumed = io.input.len();
            return Ok(());
        }
        let start = io.consumed.min(io.input.len());
        let (fed, trailers) = self
            .decoder
            .feed(&io.input[start..], &mut self.body, BODY_ROOM)
            .map_err(|e| format!("request body: {e}"))?;
        io.consumed = start + fed.consumed;
        if let Some(raw) = trailers {
            self.req.trailers = trailer_fields(&raw);
            self.req.trailers_raw = utf8_text(raw);
        }
        self.body_done = fed.done;
        Ok(())
    }

    /// `100 Continue`, once, when the applet waits for a body the client
    /// holds back until told to send it.
    fn maybe_continue(&mut self, output: &mut Vec<u8>) {
        if self.expect_100
            && !self.sent_100
            && self.out == Out::Waiting
            && !self.body_done
            && self.body.is_empty()
        {
            output.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            self.sent_100 = true;
        }
    }

    /// Frames what the applet answered in this call.
    fn answer(&mut self, output: &mut Vec<u8>, wait: WaitKind) -> Result<(), String> {
        if let ROption::RSome(start) = std::mem::replace(&mut self.http_out.head, RNone) {
            match self.out {
                Out::Waiting => self.out = Out::Body(self.write_head(&start, output)?),
                Out::Ended => return Err("wrote after the end of its response".into()),
                Out::Body(_) => return Err("sent a second response head".into()),
            }
        }
        if !self.scratch.is_empty() {
            match &mut self.out {
                Out::Waiting => return Err("wrote body bytes before its response head".into()),
                Out::Ended => return Err("wrote after the end of its response".into()),
                Out::Body(b) => frame(b, &self.scratch, output)?,
            }
        }
        let end = self.http_out.end || wait == WaitKind::DONE;
        if end {
            match self.out {
                Out::Waiting => return Err("finished without sending a response".into()),
                Out::Body(b) => {
                    finish(b, output)?;
                    self.out = Out::Ended;
                }
                Out::Ended => {}
            }
        }
        Ok(())
    }

    /// Checks and writes the status line and header fields; returns how
    /// the body goes.
    fn write_head(&self, start: &ResponseStart, output: &mut Vec<u8>) -> Result<BodyOut, String> {
        let status = start.status;
        if !(200..=599).contains(&status) {
            return Err(format!("answered with status {status} (200 to 599 only)"));
        }
        let reason = match start.reason.as_str() {
            "" => crate::http::status::reason(status),
            r if r
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80) =>
            {
                r
            }
            _ => return Err("sent a reason phrase with control characters".into()),
        };
        // Written straight into the output; the caller takes it back out
        // if the head turns out to be invalid.
        let head = output;
        head.extend_from_slice(b"HTTP/1.1 ");
        head.extend_from_slice(&three_digits(status));
        head.push(b' ');
        head.extend_from_slice(reason.as_bytes());
        head.extend_from_slice(b"\r\n");
        for h in start.headers.iter() {
            let (name, value) = (h.name.as_str(), h.value.as_str());
            if name.is_empty() || !name.bytes().all(is_tchar) {
                return Err(format!("sent an invalid header name {name:?}"));
            }
            if !value.bytes().all(is_field_value_byte) {
                return Err(format!("sent an invalid value for header '{name}'"));
            }
            for framing in ["content-length", "transfer-encoding", "connection"] {
                if name.eq_ignore_ascii_case(framing) {
                    return Err(format!(
                        "set '{name}' itself (the proxy frames the response: give the length instead)"
                    ));
                }
            }
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        let no_body = self.head_request || status == 204 || status == 304;
        let length = start.length.into_option();
        let body = match length {
            Some(n) => {
                if status != 204 {
                    head.extend_from_slice(b"content-length: ");
                    push_decimal(head, n);
                    head.extend_from_slice(b"\r\n");
                }
                if no_body {
                    BodyOut::Discard
                } else {
                    BodyOut::Length {
                        announced: n,
                        left: n,
                    }
                }
            }
            None if no_body => BodyOut::Discard,
            None if !self.req.http11 => BodyOut::Close,
            None => {
                head.extend_from_slice(b"transfer-encoding: chunked\r\n");
                BodyOut::Chunked
            }
        };
        head.extend_from_slice(b"\r\n");
        Ok(body)
    }
}

/// A status from 100 to 999 as its three digits.
fn three_digits(status: u16) -> [u8; 3] {
    [
        b'0' + (status / 100 % 10) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
    ]
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Frames body bytes.
fn frame(b: &mut BodyOut, data: &[u8], output: &mut Vec<u8>) -> Result<(), String> {
    match b {
        BodyOut::Length { announced, left } => {
            if data.len() as u64 > *left {
                return Err(format!(
                    "sent more body than the {announced} bytes it announced"
                ));
            }
            *left -= data.len() as u64;
            output.extend_from_slice(data);
        }
        BodyOut::Chunked => {
            let _ = write!(output, "{:x}\r\n", data.len());
            output.extend_from_slice(data);
            output.extend_from_slice(b"\r\n");
        }
        BodyOut::Close => output.extend_from_slice(data),
        BodyOut::Discard => {}
    }
    Ok(())
}

/// Ends the body.
fn finish(b: BodyOut, output: &mut Vec<u8>) -> Result<(), String> {
    match b {
        BodyOut::Length { announced, left } if left > 0 => Err(format!(
            "ended its response after {} of the {announced} bytes it announced",
            announced - left
        )),
        BodyOut::Chunked => {
            output.extend_from_slice(b"0\r\n\r\n");
            Ok(())
        }
        _ => Ok(()),
    }
}
