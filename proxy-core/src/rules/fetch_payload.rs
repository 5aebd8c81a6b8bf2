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
