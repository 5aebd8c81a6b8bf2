//! Building the head that is forwarded: the parsed head, minus the fields
//! the framing step dropped, with the edits of `http-request` /
//! `http-response` rules applied, and the proxy's `Connection` value.
//!
//! The output is sized first and reserved once, then written, so a `Vec`
//! or `BytesMut` grows at most once per head.
//!
//! What HAProxy 2.6 puts on the wire (its H1 mux re-emits every head from
//! its internal HTX form: `src/h1_htx.c` `h1_format_htx_reqline`,
//! `h1_format_htx_stline`, `h1_format_htx_hdr`; `src/htx.c`
//! `htx_add_header` lower-cases names):
//! - header names are **lower-cased**, for forwarded fields as well as for
//!   its own (unless `h1-case-adjust` maps them back): [`NameCase::Lower`].
//!   [`NameCase::Preserve`] is offered for tests and special needs;
//! - each field is written `name: value\r\n`, the value trimmed, whatever
//!   spacing and line endings (bare LF) came in;
//! - the start line is rebuilt from its parts with single spaces and CRLF:
//!   a 1.1-or-above version is written `HTTP/1.1`, a lower one verbatim; a
//!   status line without reason keeps its space (`HTTP/1.1 200 \r\n`). For
//!   a well-formed input this is byte-identical to what was received;
//! - `Connection` loses its `close`/`keep-alive` tokens, `TE` becomes
//!   `te: trailers` or disappears (see [`super::connection_header`]); the
//!   proxy's own `connection:` field comes last;
//! - rule edits: `del-header` removes every field of that name,
//!   `set-header` removes them and appends one, `add-header` appends; the
//!   appended fields come after the kept ones, in rule order.

use std::fmt;

use bytes::BytesMut;

use super::connection_header::{clean_connection_value, te_outgoing, CleanedValue};
use super::framing::Framing;
use super::head::{HeaderField, RequestHead, ResponseHead, Span, Version};
use super::tokens::{eq_ignore_case, is_field_value_byte, is_tchar};

/// How header names are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NameCase {
    /// Lower-case, as HAProxy 2.6 does.
    #[default]
    Lower,
    /// As received (or as given in an edit).
    Preserve,
}

/// One header edit from a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit<'a> {
    /// Remove every field with this name (case-insensitive).
    Del(&'a [u8]),
    /// Remove every field with this name, then append one with this value.
    Set(&'a [u8], &'a [u8]),
    /// Append a field.
    Add(&'a [u8], &'a [u8]),
}

/// What the forwarded head must change besides rule edits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ForwardPlan<'a> {
    /// Indices of fields not to forward, ascending ([`Framing::skip`]).
    pub skip: &'a [usize],
    /// A `Content-Length` field to write with this value instead.
    pub content_length: Option<(usize, u64)>,
    /// Drop every `Content-Length` field.
    pub remove_content_length: bool,
    /// `Connection` value appended last (from `plan_request` /
    /// `plan_response`).
    pub connection: Option<&'a [u8]>,
    pub name_case: NameCase,
    /// Fields forwarded in place with another value (index ascending), as
    /// cookie persistence edits `Cookie`.
    pub values: &'a [(usize, Vec<u8>)],
}

impl<'a> ForwardPlan<'a> {
    /// The plan implied by a message's framing, plus the proxy's
    /// `Connection` value.
    pub fn new(framing: &'a Framing, connection: Option<&'a [u8]>) -> ForwardPlan<'a> {
        ForwardPlan {
            skip: &framing.skip,
            content_length: framing.content_length_rewrite,
            remove_content_length: false,
            connection,
            name_case: NameCase::Lower,
            values: &[],
        }
    }
}

/// Fields forwarded otherwise than received, by index (as cookie
/// persistence edits `Cookie` and `Set-Cookie` where they stand).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldEdits {
    /// Fields not forwarded.
    pub drop: Vec<usize>,
    /// Fields forwarded with this value instead (index ascending).
    pub values: Vec<(usize, Vec<u8>)>,
}

impl FieldEdits {
    pub fn is_empty(&self) -> bool {
        self.drop.is_empty() && self.values.is_empty()
    }

    /// `skip` (ascending) with the dropped fields, ascending.
    pub fn skip_with(&self, skip: &[usize]) -> Vec<usize> {
        let mut all = skip.to_vec();
        all.extend_from_slice(&self.drop);
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// An edit that would produce an invalid head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewriteError {
    /// Header name not a token.
    BadName,
    /// Header value with CR, LF, NUL or another control byte.
    BadValue,
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RewriteError::BadName => "invalid header name in rewrite",
            RewriteError::BadValue => "invalid header value in rewrite",
        })
    }
}

impl std::error::Error for RewriteError {}

/// Where a head is written.
pub trait HeadOut {
    fn reserve_bytes(&mut self, n: usize);
    fn put(&mut self, bytes: &[u8]);
    fn put_lower(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.put(&[b.to_ascii_lowercase()]);
        }
    }
}

impl HeadOut for Vec<u8> {
    fn reserve_bytes(&mut self, n: usize) {
        self.reserve(n);
    }

    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn put_lower(&mut self, bytes: &[u8]) {
        self.extend(bytes.iter().map(u8::to_ascii_lowercase));
    }
}

impl HeadOut for BytesMut {
    fn reserve_bytes(&mut self, n: usize) {
        self.reserve(n);
    }

    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts bytes instead of writing them.
struct Counter(usize);

impl HeadOut for Counter {
    fn reserve_bytes(&mut self, _: usize) {}

    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    fn put_lower(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

fn check_edits(edits: &[Edit<'_>]) -> Result<(), RewriteError> {
    for e in edits {
        let (name, value) = match *e {
            Edit::Del(n) => (n, &b""[..]),
            Edit::Set(n, v) | Edit::Add(n, v) => (n, v),
        };
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(RewriteError::BadName);
        }
        if !value.iter().all(|&b| is_field_value_byte(b)) {
            return Err(RewriteError::BadValue);
        }
    }
    Ok(())
}

/// Writes the forwarded request head into `out`.
pub fn write_request_head<O: HeadOut>(
    buf: &[u8],
    head: &RequestHead,
    plan: &ForwardPlan<'_>,
    edits: &[Edit<'_>],
    out: &mut O,
) -> Result<(), RewriteError> {
    check_edits(edits)?;
    let emit = |o: &mut dyn HeadOut| {
        o.put(head.method(buf));
        o.put(b" ");
        o.put(head.target(buf));
        o.put(b" ");
        put_version(o, buf, head.version, head.version_raw);
        o.put(b"\r\n");
        put_fields(o, buf, &head.headers, plan, edits);
    };
    let mut counter = Counter(0);
    emit(&mut counter);
    out.reserve_bytes(counter.0);
    emit(out);
    Ok(())
}

/// Writes the forwarded response head into `out`.
pub fn write_response_head<O: HeadOut>(
    buf: &[u8],
    head: &ResponseHead,
    plan: &ForwardPlan<'_>,
    edits: &[Edit<'_>],
    out: &mut O,
) -> Result<(), RewriteError> {
    check_edits(edits)?;
    let emit = |o: &mut dyn HeadOut| {
        put_version(o, buf, head.version, head.version_raw);
        o.put(b" ");
        o.put(head.status_raw.get(buf));
        o.put(b" ");
        o.put(head.reason.get(buf));
        o.put(b"\r\n");
        put_fields(o, buf, &head.headers, plan, edits);
    };
    let mut counter = Counter(0);
    emit(&mut counter);
    out.reserve_bytes(counter.0);
    emit(out);
    Ok(())
}

fn put_version(o: &mut dyn HeadOut, buf: &[u8], version: Version, raw: Span) {
    match version {
        Version::Http11 => o.put(b"HTTP/1.1"),
        Version::Http10 => o.put(raw.get(buf)),
    }
}

fn put_fields(
    o: &mut dyn HeadOut,
    buf: &[u8],
    headers: &[HeaderField],
    plan: &ForwardPlan<'_>,
    edits: &[Edit<'_>],
) {
    let removed_by_edit = |name: &[u8]| {
        edits.iter().any(|e| match *e {
            Edit::Del(n) | Edit::Set(n, _) => eq_ignore_case(n, name),
            Edit::Add(..) => false,
        })
    };
    for (i, h) in headers.iter().enumerate() {
        let name = h.name(buf);
        if plan.skip.binary_search(&i).is_ok()
            || removed_by_edit(name)
            || (plan.remove_content_length && eq_ignore_case(name, b"content-length"))
        {
            continue;
        }
        if let Ok(k) = plan.values.binary_search_by_key(&i, |(at, _)| *at) {
            put_field(o, name, &plan.values[k].1, plan.name_case);
            continue;
        }
        match plan.content_length {
            Some((at, n)) if at == i => {
                put_name(o, name, plan.name_case);
                o.put(b": ");
                o.put(n.to_string().as_bytes());
                o.put(b"\r\n");
            }
            _ => put_field(o, name, h.value(buf), plan.name_case),
        }
    }
    for e in edits {
        match *e {
            Edit::Set(n, v) | Edit::Add(n, v) => {
                if !(plan.remove_content_length && eq_ignore_case(n, b"content-length")) {
                    put_field(o, n, v, plan.name_case);
                }
            }
            Edit::Del(_) => {}
        }
    }
    if let Some(v) = plan.connection {
        // The proxy's own value: written as is, never cleaned.
        o.put(b"connection: ");
        o.put(v);
        o.put(b"\r\n");
    }
    o.put(b"\r\n");
}

fn put_name(o: &mut dyn HeadOut, name: &[u8], case: NameCase) {
    match case {
        NameCase::Lower => o.put_lower(name),
        NameCase::Preserve => o.put(name),
    }
}

/// One field, with the mux's `Connection` and `TE` treatment.
fn put_field(o: &mut dyn HeadOut, name: &[u8], value: &[u8], case: NameCase) {
    let cleaned;
    let value = if eq_ignore_case(name, b"connection") {
        match clean_connection_value(value) {
            CleanedValue::Unchanged => value,
            CleanedValue::Drop => return,
            CleanedValue::Rewritten(v) => {
                cleaned = v;
                &cleaned[..]
            }
        }
    } else if eq_ignore_case(name, b"te") {
        match te_outgoing(value) {
            Some(v) => v,
            None => return,
        }
    } else {
        value
    };
    put_name(o, name, case);
    o.put(b": ");
    o.put(value);
    o.put(b"\r\n");
}
