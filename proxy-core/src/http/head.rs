//! Parsing HTTP/1.x message heads (request line or status line, then the
//! header fields) out of a byte buffer, without copying them.
//!
//! [`parse_request`] and [`parse_response`] run httparse in its strict
//! configuration and return either [`Parsed::Incomplete`] (more bytes are
//! needed) or a head made of [`Span`]s, i.e. offsets into the buffer that was
//! passed in. One `Vec<HeaderField>` is allocated per head, nothing per
//! header. A head always starts at offset 0 of the slice given: to parse
//! pipelined requests, call again on `&buf[previous_end..]`.
//!
//! Rules, and where they come from (HAProxy 2.6: `src/h1.c`
//! `h1_headers_to_hdr_list`, `src/h1_htx.c` `h1_process_req_vsn`):
//! - Empty lines before the start line are skipped (both do).
//! - Lines may end in CRLF or in a bare LF; a CR not followed by LF is an
//!   error (both do).
//! - Header names must be tokens; a space before the colon, an empty name,
//!   or an obs-fold continuation line is an error. HAProxy 2.6 actually
//!   *unfolds* obs-fold (replaces CRLF+LWS by spaces); we reject it, as RFC
//!   9112 §5.2 allows for a proxy.
//! - Field values may hold HTAB, SP, VCHAR and obs-text; NUL or any other
//!   control byte is an error (HAProxy 2.6.12 still let NUL through in
//!   values; later 2.6 releases reject it, and so does httparse).
//! - The request target may only hold bytes 0x21..=0x7e, and no `#`
//!   (HAProxy rejects non-ASCII targets unless `option
//!   accept-invalid-http-request`; `#` is rejected since 2.6.15).
//! - Versions: HAProxy has no 505. In strict mode the version must be
//!   exactly `HTTP/<digit>.<digit>`; anything from 1.1 up is handled as 1.1
//!   (and forwarded as `HTTP/1.1`), below as 1.0 (forwarded verbatim).
//!   httparse only knows 1.0 and 1.1, so for other digits we re-parse a copy
//!   with the version patched. No version at all (HTTP/0.9) is a 400.
//! - At most `tune.http.maxhdr` (101) lines *including the start line*, so
//!   100 header fields (doc/configuration.txt, `tune.http.maxhdr`), a
//!   `Connection: close|keep-alive` not counted (see [`super::field_count`]).
//! - A head must fit in `tune.bufsize - tune.maxrewrite` bytes (15360 by
//!   default). HAProxy 2.6 answers a too-large request with a plain **400**
//!   (414 and 431 only appeared in 3.2, mux-h1 commit "Return 414 or 431
//!   when appropriate", 2024-11) and a too-large response with 502.

use std::fmt;

use httparse::{Header, ParserConfig, EMPTY_HEADER};

use super::field_count::{field_slots, within_limit};
use super::tokens::eq_ignore_case;
use super::version::{first_line, patch_version};

/// `tune.bufsize` default.
pub const DEFAULT_BUFSIZE: usize = 16384;
/// `tune.maxrewrite` default.
pub const DEFAULT_MAXREWRITE: usize = 1024;
/// Largest head accepted by default: `tune.bufsize - tune.maxrewrite`.
pub const DEFAULT_MAX_HEAD: usize = DEFAULT_BUFSIZE - DEFAULT_MAXREWRITE;
/// `tune.http.maxhdr` default: lines per head, start line included.
pub const DEFAULT_MAX_HDR: usize = 101;

/// Header slots kept on the stack; larger `maxhdr` values use the heap.
const STACK_SLOTS: usize = 128;

/// Size limits applied to one head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadLimits {
    /// Bytes the head (leading empty lines included) may take.
    pub max_head: usize,
    /// Lines the head may hold, the start line included (`tune.http.maxhdr`).
    pub max_hdr: usize,
    /// `option accept-invalid-http-request` (for a request) or
    /// `-response` (for a server's response): a head the strict parser
    /// refuses is read again leniently (see `head_lenient`).
    pub lenient: bool,
}

impl HeadLimits {
    /// Limits derived from the `tune.*` settings.
    pub fn from_tune(bufsize: usize, maxrewrite: usize, maxhdr: usize) -> HeadLimits {
        HeadLimits {
            max_head: bufsize.saturating_sub(maxrewrite),
            max_hdr: maxhdr,
            lenient: false,
        }
    }
}

impl Default for HeadLimits {
    fn default() -> HeadLimits {
        HeadLimits {
            max_head: DEFAULT_MAX_HEAD,
            max_hdr: DEFAULT_MAX_HDR,
            lenient: false,
        }
    }
}

/// A byte range in the buffer a head was parsed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The bytes this span designates in `buf` (empty if out of range).
    pub fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start..self.end).unwrap_or(&[])
    }
}

/// The HTTP version, as HAProxy classifies it (`H1_MF_VER_11`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 1.0 and anything below.
    Http10,
    /// 1.1 and anything above.
    Http11,
}

impl Version {
    pub fn is_11(self) -> bool {
        self == Version::Http11
    }

    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Version::Http10 => b"HTTP/1.0",
            Version::Http11 => b"HTTP/1.1",
        }
    }
}

/// One header field: name and value (value trimmed of leading/trailing
/// whitespace, as both httparse and HAProxy do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderField {
    pub name: Span,
    pub value: Span,
}

impl HeaderField {
    pub fn name<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        self.name.get(buf)
    }

    pub fn value<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        self.value.get(buf)
    }

    /// Whether the field is called `name` (ASCII case-insensitive).
    pub fn is(&self, buf: &[u8], name: &[u8]) -> bool {
        eq_ignore_case(self.name(buf), name)
    }
}

/// Values of every field called `name`, with their index in `headers`.
pub fn header_values<'a>(
    headers: &'a [HeaderField],
    buf: &'a [u8],
    name: &'a [u8],
) -> impl Iterator<Item = (usize, &'a [u8])> + 'a {
    headers
        .iter()
        .enumerate()
        .filter(move |(_, h)| h.is(buf, name))
        .map(move |(i, h)| (i, h.value(buf)))
}

/// A parsed request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// Offset of the request line (after skipped empty lines).
    pub start: usize,
    pub method: Span,
    /// The request target (URI) exactly as sent.
    pub target: Span,
    pub version: Version,
    /// The version as written on the wire (e.g. `HTTP/1.0`, `HTTP/2.0`).
    pub version_raw: Span,
    pub headers: Vec<HeaderField>,
    /// Bytes taken by the head, leading empty lines and final empty line
    /// included: the body (or the next request) starts there.
    pub len: usize,
}

impl RequestHead {
    pub fn method<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        self.method.get(buf)
    }

    pub fn target<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        self.target.get(buf)
    }

    /// Methods are case-sensitive (RFC 9110 §9.1).
    pub fn is_method(&self, buf: &[u8], method: &[u8]) -> bool {
        self.method(buf) == method
    }

    /// The request line without its line ending, for `%r` in logs.
    pub fn request_line<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        Span::new(self.start, self.version_raw.end).get(buf)
    }

    pub fn values<'a>(
        &'a self,
        buf: &'a [u8],
        name: &'a [u8],
    ) -> impl Iterator<Item = (usize, &'a [u8])> + 'a {
        header_values(&self.headers, buf, name)
    }
}

/// A parsed response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// Offset of the status line (after skipped empty lines).
    pub start: usize,
    pub version: Version,
    pub version_raw: Span,
    pub status: u16,
    /// The three status digits.
    pub status_raw: Span,
    /// The reason phrase, possibly empty, exactly as sent.
    pub reason: Span,
    pub headers: Vec<HeaderField>,
    /// Bytes taken by the head, final empty line included.
    pub len: usize,
}

impl ResponseHead {
    pub fn values<'a>(
        &'a self,
        buf: &'a [u8],
        name: &'a [u8],
    ) -> impl Iterator<Item = (usize, &'a [u8])> + 'a {
        header_values(&self.headers, buf, name)
    }
}

/// Outcome of a parse attempt that did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    Complete(T),
    /// The head is not complete yet: read more and call again.
    Incomplete,
}

/// Why a head was refused. Requests get a 400, responses a 502
/// ([`HeadError::status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadError {
    /// No complete head within `max_head` bytes.
    TooLarge,
    /// More than `tune.http.maxhdr - 1` header fields.
    TooManyHeaders,
    /// Invalid byte in a header name (space before colon, obs-fold, ...).
    HeaderName,
    /// Invalid byte in a header value (NUL, bare CR, controls).
    HeaderValue,
    /// Invalid line ending (CR without LF).
    NewLine,
    /// Invalid method or request target, or a request without a version.
    Token,
    /// Request target with a non-ASCII byte or a `#`.
    Uri,
    /// Version not of the form `HTTP/<digit>.<digit>`.
    Version,
    /// Invalid status code.
    Status,
    /// The `PRI` method: HTTP/2's connection preface (or a request posing
    /// as one) sent to an HTTP/1 listener.
    Preface,
}

impl HeadError {
    /// Status code HAProxy answers with: 400 for a request, 502 for a
    /// response.
    pub fn status(self, is_request: bool) -> u16 {
        if is_request {
            400
        } else {
            502
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HeadError::TooLarge => "head too large",
            HeadError::TooManyHeaders => "too many header fields",
            HeadError::HeaderName => "invalid header name",
            HeadError::HeaderValue => "invalid header value",
            HeadError::NewLine => "invalid line ending",
            HeadError::Token => "invalid method or request target",
            HeadError::Uri => "invalid byte in request target",
            HeadError::Version => "invalid HTTP version",
            HeadError::Status => "invalid status code",
            HeadError::Preface => "HTTP/2 connection preface on an HTTP/1 listener",
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for HeadError {}

impl From<httparse::Error> for HeadError {
    fn from(e: httparse::Error) -> HeadError {
        match e {
            httparse::Error::HeaderName => HeadError::HeaderName,
            httparse::Error::HeaderValue => HeadError::HeaderValue,
            httparse::Error::NewLine => HeadError::NewLine,
            httparse::Error::Status => HeadError::Status,
            httparse::Error::Token => HeadError::Token,
            httparse::Error::TooManyHeaders => HeadError::TooManyHeaders,
            httparse::Error::Version => HeadError::Version,
        }
    }
}

/// httparse with every leniency off (these are its defaults; spelled out so
/// that a future default change cannot loosen us).
fn strict_config() -> ParserConfig {
    let mut cfg = ParserConfig::default();
    cfg.allow_spaces_after_header_name_in_responses(false)
        .allow_obsolete_multiline_headers_in_responses(false)
        .allow_multiple_spaces_in_request_line_delimiters(false)
        .allow_multiple_spaces_in_response_status_delimiters(false)
        .allow_space_before_first_header_name(false)
        .ignore_invalid_headers_in_requests(false)
        .ignore_invalid_headers_in_responses(false);
    cfg
}

/// Runs `f` with `n` header slots, on the stack when they fit.
fn with_slots<'b, R>(n: usize, f: impl FnOnce(&mut [Header<'b>]) -> R) -> R {
    if n <= STACK_SLOTS {
        let mut slots: [Header<'b>; STACK_SLOTS] = [EMPTY_HEADER; STACK_SLOTS];
        f(&mut slots[..n])
    } else {
        let mut slots: Vec<Header<'b>> = vec![EMPTY_HEADER; n];
        f(&mut slots)
    }
}

/// Where `part` (a sub-slice of `base`) lies in `base`.
fn span_of(base: &[u8], part: &[u8]) -> Option<Span> {
    let start = (part.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= base.len()).then_some(Span { start, end })
}

fn fields_of(base: &[u8], headers: &[Header<'_>]) -> Result<Vec<HeaderField>, HeadError> {
    headers
        .iter()
        .map(|h| {
            let name = span_of(base, h.name.as_bytes()).ok_or(HeadError::HeaderName)?;
            // An empty value may point anywhere: anchor it after the name.
            let value = if h.value.is_empty() {
                Span::new(name.end, name.end)
            } else {
                span_of(base, h.value).ok_or(HeadError::HeaderValue)?
            };
            Ok(HeaderField { name, value })
        })
        .collect()
}

/// Parses a request head at the start of `buf`.
pub fn parse_request(buf: &[u8], limits: &HeadLimits) -> Result<Parsed<RequestHead>, HeadError> {
    let window = &buf[..buf.len().min(limits.max_head)];
    let out =
        match request_in(window, limits) {
            Err(HeadError::Version) => match patch_version(window, true)? {
                None => Ok(Parsed::Incomplete),
                Some((copy, version, raw)) => request_in(&copy, limits).map(|p| match p {
                    Parsed::Complete(mut head) => {
                        head.version = version;
                        head.version_raw = raw;
                        Parsed::Complete(head)
                    }
                    Parsed::Incomplete => Parsed::Incomplete,
                }),
            },
            Err(
                HeadError::HeaderName | HeadError::HeaderValue | HeadError::Uri | HeadError::Token,
            ) if limits.lenient => super::head_lenient::request(window, limits),
            other => other,
        }?;
    finish(out, buf.len(), limits)
}

/// Parses a response head at the start of `buf`.
pub fn parse_response(buf: &[u8], limits: &HeadLimits) -> Result<Parsed<ResponseHead>, HeadError> {
    let window = &buf[..buf.len().min(limits.max_head)];
    let out = match response_in(window, limits) {
        Err(HeadError::Version) => match patch_version(window, false)? {
            None => Ok(Parsed::Incomplete),
            Some((copy, version, raw)) => response_in(&copy, limits).map(|p| match p {
                Parsed::Complete(mut head) => {
                    head.version = version;
                    head.version_raw = raw;
                    Parsed::Complete(head)
                }
                Parsed::Incomplete => Parsed::Incomplete,
            }),
        },
        Err(
            HeadError::HeaderName | HeadError::HeaderValue | HeadError::Status | HeadError::Token,
        ) if limits.lenient => super::head_lenient::response(window, limits),
        other => other,
    }?;
    finish(out, buf.len(), limits)
}

/// Whether `buf`, the start of a response that was cut short, can still
/// be read as the beginning of a status line (`HTTP/<d>.<d> <ddd>`). A
/// server that closes after sending bytes that cannot is one that answered
/// garbage (HAProxy 2.6 logs it `PH`), not one that closed early (`SH`).
pub fn may_start_status_line(buf: &[u8]) -> bool {
    const SHAPE: &[u8] = b"HTTP/#.# ###";
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n');
    let Some(start) = start else { return true };
    let line = &buf[start..];
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    line.iter().zip(SHAPE).all(|(&b, &want)| match want {
        b'#' => b.is_ascii_digit(),
        _ => b == want,
    })
}

/// An incomplete head that already fills `max_head` bytes is too large.
fn finish<T>(
    out: Parsed<T>,
    available: usize,
    limits: &HeadLimits,
) -> Result<Parsed<T>, HeadError> {
    match out {
        Parsed::Incomplete if available >= limits.max_head => Err(HeadError::TooLarge),
        other => Ok(other),
    }
}

fn request_in(window: &[u8], limits: &HeadLimits) -> Result<Parsed<RequestHead>, HeadError> {
    with_slots(field_slots(limits), |slots| {
        let mut req = httparse::Request::new(slots);
        let len = match strict_config().parse_request(&mut req, window)? {
            httparse::Status::Partial => return Ok(Parsed::Incomplete),
            httparse::Status::Complete(len) => len,
        };
        let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
            return Err(HeadError::Token);
        };
        // `PRI` only exists to open HTTP/2 (RFC 9113 3.4); forwarding it as
        // an HTTP/1 request would hand the server a preface it never agreed
        // to, so it is refused whatever its target or version.
        if method == "PRI" {
            return Err(HeadError::Preface);
        }
        let method = span_of(window, method.as_bytes()).ok_or(HeadError::Token)?;
        let target = span_of(window, target.as_bytes()).ok_or(HeadError::Token)?;
        if target.get(window).iter().any(|&b| b >= 0x80 || b == b'#') {
            return Err(HeadError::Uri);
        }
        let version_raw = Span::new(target.end + 1, target.end + 9);
        Ok(Parsed::Complete(RequestHead {
            start: method.start,
            method,
            target,
            version: if minor == 1 {
                Version::Http11
            } else {
                Version::Http10
            },
            version_raw,
            headers: fields_of(window, within_limit(req.headers, limits)?)?,
            len,
        }))
    })
}

fn response_in(window: &[u8], limits: &HeadLimits) -> Result<Parsed<ResponseHead>, HeadError> {
    with_slots(field_slots(limits), |slots| {
        let mut resp = httparse::Response::new(slots);
        let len = match strict_config().parse_response(&mut resp, window)? {
            httparse::Status::Partial => return Ok(Parsed::Incomplete),
            httparse::Status::Complete(len) => len,
        };
        let (Some(minor), Some(status)) = (resp.version, resp.code) else {
            return Err(HeadError::Status);
        };
        // The reason is taken from the raw line: httparse hides reasons
        // holding obs-text, HAProxy forwards them.
        let Some((start, line)) = first_line(window) else {
            return Err(HeadError::Status);
        };
        let status_raw = Span::new(start + 9, start + 12);
        let line_end = start + line.len();
        let reason = if line_end > status_raw.end {
            Span::new(status_raw.end + 1, line_end)
        } else {
            Span::new(line_end, line_end)
        };
        Ok(Parsed::Complete(ResponseHead {
            start,
            version: if minor == 1 {
                Version::Http11
            } else {
                Version::Http10
            },
            version_raw: Span::new(start, start + 8),
            status,
            status_raw,
            reason,
            headers: fields_of(window, within_limit(resp.headers, limits)?)?,
            len,
        }))
    })
}
