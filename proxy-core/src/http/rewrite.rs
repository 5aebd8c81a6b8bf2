//! What the forwarded head is written with: the plan (the fields the
//! framing step dropped, a `Content-Length` rewrite, the proxy's
//! `Connection` value), the output sinks and the per-field writer. The
//! writers themselves, which also apply the rules' changes, are in
//! [`super::head_edit`].
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
//! - rule edits follow HTX's order (see [`super::head_edit`]).

use std::fmt;

use bytes::BytesMut;

use super::connection_header::{clean_connection_value, te_outgoing, CleanedValue};
use super::framing::Framing;
use super::head::{Span, Version};
use super::tokens::eq_ignore_case;

/// How header names are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NameCase {
    /// Lower-case, as HAProxy 2.6 does.
    #[default]
    Lower,
    /// As received (or as given in an edit).
    Preserve,
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
        }
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
pub(super) struct Counter(pub(super) usize);

impl HeadOut for Counter {
    fn reserve_bytes(&mut self, _: usize) {}

    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    fn put_lower(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

pub(super) fn put_version(o: &mut dyn HeadOut, buf: &[u8], version: Version, raw: Span) {
    match version {
        Version::Http11 => o.put(b"HTTP/1.1"),
        Version::Http10 => o.put(raw.get(buf)),
    }
}

fn put_name(o: &mut dyn HeadOut, name: &[u8], case: NameCase) {
    match case {
        NameCase::Lower => o.put_lower(name),
        NameCase::Preserve => o.put(name),
    }
}

/// One field, with the mux's `Connection` and `TE` treatment.
pub(super) fn put_field(o: &mut dyn HeadOut, name: &[u8], value: &[u8], case: NameCase) {
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
