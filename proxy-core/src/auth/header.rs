//! The credentials of a request's `Authorization` header, read as
//! HAProxy 2.6 reads them: the first value of the first such header
//! (values split on commas), `<scheme> <data>` with one or more spaces
//! between them, the scheme compared without case. `Basic` data must be
//! well-formed base64 (a multiple of 4 digits) of `<user>:<pass>`, the
//! password starting after the first colon; `Bearer` is recognised (its
//! token is not checked). Anything else gives no credentials.

use std::ops::ControlFlow;

/// The scheme of credentials HAProxy recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Basic,
    Bearer,
}

impl Scheme {
    /// The name `http_auth_type` gives.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::Bearer => "Bearer",
        }
    }
}

/// What a request's `Authorization` header gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub scheme: Scheme,
    /// `Basic` only; empty for `Bearer`.
    pub user: Vec<u8>,
    pub pass: Vec<u8>,
}

/// The credentials in the request headers that `for_each` walks (name,
/// value), if any. `proxy`: read `Proxy-Authorization` instead.
pub fn credentials<'h>(
    for_each: impl FnOnce(&mut dyn FnMut(&'h [u8], &'h [u8]) -> ControlFlow<()>),
    proxy: bool,
) -> Option<Credentials> {
    let wanted: &[u8] = if proxy {
        b"proxy-authorization"
    } else {
        b"authorization"
    };
    let mut found: Option<&[u8]> = None;
    for_each(&mut |n, v| {
        if n.eq_ignore_ascii_case(wanted) {
            found = Some(v);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    parse(first_value(found?))
}

/// The first comma-separated value of a header, without the spaces
/// around it.
fn first_value(v: &[u8]) -> &[u8] {
    let end = v.iter().position(|&b| b == b',').unwrap_or(v.len());
    trim(&v[..end])
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// `<scheme> <data>`.
fn parse(value: &[u8]) -> Option<Credentials> {
    let sp = value.iter().position(|&b| b == b' ').filter(|&i| i > 0)?;
    let scheme = &value[..sp];
    let mut data = &value[sp..];
    while let [b' ', rest @ ..] = data {
        data = rest;
    }
    if scheme.eq_ignore_ascii_case(b"bearer") {
        return Some(Credentials {
            scheme: Scheme::Bearer,
            user: Vec::new(),
            pass: Vec::new(),
        });
    }
    if !scheme.eq_ignore_ascii_case(b"basic") || !data.len().is_multiple_of(4) {
        return None;
    }
    let decoded = crate::sample::conv::encode::b64_decode(data, false)?;
    // HAProxy reads the decoded text as a C string.
    let text = decoded.split(|&b| b == 0).next().unwrap_or_default();
    let colon = text.iter().position(|&b| b == b':')?;
    Some(Credentials {
        scheme: Scheme::Basic,
        user: text[..colon].to_vec(),
        pass: text[colon + 1..].to_vec(),
    })
}
