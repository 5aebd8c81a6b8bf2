//! The fetches on the request body `option http-buffer-request` waited
//! for: `req.body_len` (the bytes buffered), `req.body_size` (the whole
//! body's announced size, else what is buffered) and `req.body_param`
//! (a field of an `application/x-www-form-urlencoded` body). Without a
//! buffered body they give nothing, as in HAProxy.

use std::ops::ControlFlow;

use super::RequestView;
use crate::sample::Value;

/// `req.body_len`.
pub(super) fn body_len(view: &dyn RequestView) -> Option<Value<'static>> {
    let body = view.stream()?.body()?;
    Some(Value::Int(i64::try_from(body.len()).unwrap_or(i64::MAX)))
}

/// `req.body_size`: `Content-Length` when the request has one.
pub(super) fn body_size(view: &dyn RequestView) -> Option<Value<'static>> {
    let buffered = view.stream()?.body()?.len();
    let mut announced = None;
    view.for_each_header(&mut |n, v| {
        if n.eq_ignore_ascii_case(b"content-length") {
            announced = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok());
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    let size = announced.unwrap_or_else(|| i64::try_from(buffered).unwrap_or(i64::MAX));
    Some(Value::Int(size))
}

/// `req.body_param([<name>])`: the value of the first `&`-separated
/// field called `name`, or of the first field.
pub(super) fn body_param<'v>(view: &'v dyn RequestView, name: Option<&str>) -> Option<Value<'v>> {
    let body = view.stream()?.body()?;
    body.split(|&b| b == b'&').find_map(|field| {
        let (k, v) = match field.iter().position(|&b| b == b'=') {
            Some(i) => (&field[..i], &field[i + 1..]),
            None => (field, &field[field.len()..]),
        };
        let wanted = match name {
            None => !field.is_empty(),
            Some(n) => k == n.as_bytes(),
        };
        wanted.then(|| Value::str(v))
    })
}
