//! The fetches on a TCP stream's buffered client bytes: `req.len` and the
//! `req.ssl_*` hello fetches (see [`crate::sample::ssl_hello`]). Outside
//! TCP-mode inspection there is no buffer ([`RequestView::payload`] is
//! `None`) and they give nothing, as in HAProxy where the buffer then
//! holds HTTP.
//!
//! A fetch whose answer may still change with more bytes notes it on the
//! payload ([`super::Payload::note_incomplete`]), which lets the
//! `tcp-request content` rules wait for more data.

use std::ops::ControlFlow;

use super::fetch::SslField;
use super::RequestView;
use crate::sample::ssl_hello::{self, Parsed};
use crate::sample::Value;

/// A `req.ssl_*` fetch.
pub(super) fn ssl<'v>(view: &'v dyn RequestView, f: SslField) -> Option<Value<'v>> {
    let p = view.payload()?;
    let b = p.data;
    let found = match f {
        SslField::HelloType => ssl_hello::hello_type(b).map(|t| Value::Int(i64::from(t))),
        SslField::Ver => ssl_hello::version(b, p.limit).map(Value::Int),
        SslField::Sni => ssl_hello::sni(b).map(Value::str),
        SslField::Alpn => ssl_hello::alpn(b).map(|l| Value::str(l.first().copied().unwrap_or(b""))),
    };
    match found {
        Parsed::Found(v) => Some(v),
        Parsed::Incomplete => {
            p.note_incomplete();
            None
        }
        Parsed::NotTls => None,
    }
}

/// `req.ssl_alpn`: each protocol the client offers in ACL mode (`all`),
/// as HAProxy matches any of them; else the first.
pub(super) fn alpn<'v>(
    view: &'v dyn RequestView,
    all: bool,
    f: &mut dyn FnMut(Value<'v>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let Some(p) = view.payload() else {
        return ControlFlow::Continue(());
    };
    match ssl_hello::alpn(p.data) {
        Parsed::Found(list) => {
            for proto in list.into_iter().take(if all { usize::MAX } else { 1 }) {
                f(Value::str(proto))?;
            }
        }
        Parsed::Incomplete => p.note_incomplete(),
        Parsed::NotTls => {}
    }
    ControlFlow::Continue(())
}

/// `req.len`: the bytes buffered; its value may change while more come.
pub(super) fn req_len(view: &dyn RequestView) -> Value<'static> {
    if let Some(p) = view.payload() {
        p.note_incomplete();
    }
    Value::Int(i64::try_from(view.req_len()).unwrap_or(i64::MAX))
}

/// `res.len`: the server bytes buffered for the `tcp-response` rules;
/// nothing outside that inspection.
pub(super) fn res_len(view: &dyn RequestView) -> Option<Value<'static>> {
    let p = view.payload()?;
    p.note_incomplete();
    Some(Value::Int(i64::try_from(p.data.len()).unwrap_or(i64::MAX)))
}

/// `req.payload`/`res.payload(<offset>,<length>)`: those bytes of the
/// buffer (length 0: all from the offset); not yet there while more may
/// come, else nothing.
pub(super) fn payload<'v>(
    view: &'v dyn RequestView,
    offset: usize,
    len: usize,
) -> Option<Value<'v>> {
    let p = view.payload()?;
    let end = if len == 0 {
        p.data.len()
    } else {
        offset.saturating_add(len)
    };
    if len == 0 {
        p.note_incomplete();
    }
    match p.data.get(offset..end) {
        Some(b) if end > offset || len == 0 => Some(Value::Bin(std::borrow::Cow::Borrowed(b))),
        _ => {
            p.note_incomplete();
            None
        }
    }
}
