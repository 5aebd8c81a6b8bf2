//! Answers the proxy writes itself: error pages (`errorfile` or the
//! built-in ones), rule answers (`deny`, `return`, `redirect`), failures
//! of the request's head, and the graceful close of a client connection.

use super::after_response::after_local;
use super::analyse::{Answer, Request};
use super::txn::Txn;
use super::Ctx;
use crate::connection::Transport;
use crate::error::ProxyError;
use crate::http::{Failure, MessagePath, RequestHead};
use crate::state::Proxy;
use crate::stream::recvbuf::{write_all, RecvBuf};
use crate::stream::Stream;

/// An error page to send, and what the log counts of it (`%B`: its size
/// as HAProxy 2.6 counts it, see [`crate::http::htx_size`]).
pub(super) struct ErrorPage<'a> {
    pub bytes: std::borrow::Cow<'a, [u8]>,
    pub logged: u64,
}

/// The error page for `status`: the backend's `errorfile`, else the
/// frontend's, else the built-in one. `keep` is the request's version
/// when the client connection stays open: the built-in page then goes
/// out as HAProxy's mux sends it on a kept connection (nothing added for
/// HTTP/1.1, `connection: keep-alive` for an HTTP/1.0 client); `None`
/// ends it with `connection: close`.
pub(super) fn error_page<'a>(
    fe: &'a Proxy,
    be: Option<&'a Proxy>,
    status: u16,
    keep: Option<crate::http::Version>,
) -> ErrorPage<'a> {
    use std::borrow::Cow;
    if let Some(file) = be
        .and_then(|b| b.cfg.http.errorfiles.get(&status))
        .or_else(|| fe.cfg.http.errorfiles.get(&status))
    {
        let file: &[u8] = file.as_ref();
        // HAProxy's HTTP/1 output says what becomes of the connection, as
        // for its own pages.
        let bytes = match keep {
            _ if file.is_empty() || says_connection(file) => Cow::Borrowed(file),
            Some(v) if v.is_11() => Cow::Borrowed(file),
            None => Cow::Owned(with_connection(file, b"close")),
            Some(_) => Cow::Owned(with_connection(file, b"keep-alive")),
        };
        return ErrorPage {
            logged: crate::http::htx_size(file).unwrap_or(file.len() as u64),
            bytes,
        };
    }
    let bytes = match keep {
        None => Cow::Borrowed(crate::http::error_response_close(status)),
        Some(v) if v.is_11() => Cow::Borrowed(crate::http::error_response(status)),
        Some(_) => {
            let page = crate::http::error_response(status);
            let end = page
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(page.len(), |i| i + 2);
            let mut out = Vec::with_capacity(page.len() + 24);
            out.extend_from_slice(&page[..end]);
            out.extend_from_slice(b"connection: keep-alive\r\n");
            out.extend_from_slice(&page[end..]);
            Cow::Owned(out)
        }
    };
    ErrorPage {
        bytes,
        logged: crate::http::error_logged_size(status),
    }
}

/// `%B` for a failure's message: HAProxy 2.6 does not count what the H1
/// mux sends by itself before a stream exists (bad head, 408, 422...):
/// those lines show 0 bytes (see [`crate::http::errors`]).
pub(super) fn logged_len(o: &crate::http::Outcome, msg: &[u8]) -> u64 {
    match o.path {
        MessagePath::Early => 0,
        MessagePath::Stream => crate::http::error_logged_size(o.status()),
        MessagePath::None => msg.len() as u64,
    }
}

/// How long a closing client connection is drained (see [`close_client`]).
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

/// Closes the client side gracefully: FIN first, then whatever the client
/// still sends is read and dropped until it closes too (for [`LINGER`] at
/// most). Closing a socket with unread bytes (the rest of an oversized
/// head, a body nobody read) makes the kernel send a reset, which can
/// destroy the error response still in flight; HAProxy drains the same
/// way, its clients see an orderly close.
pub(super) async fn close_client(s: &mut Stream, size: usize) {
    let Some(c) = s.si[0].conn_mut() else { return };
    let _ = c.transport.shutdown_write();
    let t = &mut c.transport;
    let mut buf = RecvBuf::default();
    let _ = tokio::time::timeout(LINGER, async {
        loop {
            match buf.fill(t, size).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.consume(n),
            }
        }
    })
    .await;
}

/// The socket of the client side (always attached while a stream lives).
pub(super) fn client_transport(s: &Stream) -> &Transport {
    static NONE: Transport = Transport::None;
    s.si[0].conn().map_or(&NONE, |c| &c.transport)
}

/// Sends an answer of the proxy's own (`return`, `redirect`, `deny`,
/// `monitor-uri`), consuming the request.
pub(super) async fn local_answer(
    ctx: &Ctx<'_>,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    req: &Request,
    txn: &mut Txn,
    mut a: Answer,
) -> bool {
    if let Some((bytes, status)) = after_local(ctx, s, txn, &a.bytes) {
        a.bytes = bytes;
        a.status = status;
    }
    // Logged as HAProxy counts a message it makes itself.
    let logged = crate::http::htx_size(&a.bytes).unwrap_or(a.bytes.len() as u64);
    txn.ended(a.end, i32::from(a.status), logged);
    if let Some(body) = req.body_raw {
        // The whole body was buffered (`option http-buffer-request`): it
        // goes with the request and the connection may serve another.
        cbuf.consume(req.head.len + body);
        let keep = req.framing.keep_alive;
        let msg = with_connection_mode(&a.bytes, &req.framing, keep);
        return write_all(client_transport(s), &msg).await.is_ok() && keep;
    }
    send_local(s, &a.bytes, &req.framing, cbuf, &req.head, a.close_on_body).await
}

/// Writes `msg` and drops the request from the buffer. A body already
/// here whole goes with it, and the connection may serve another request
/// (if the client keeps it); a body still on its way ends the connection,
/// and the answer says so with `connection: close`, as HAProxy 2.6 ends
/// its own answer to an incomplete request. With `close_on_body` (a
/// redirect) any body ends the connection.
pub(super) async fn send_local(
    s: &mut Stream,
    msg: &[u8],
    framing: &crate::http::Framing,
    cbuf: &mut RecvBuf,
    head: &RequestHead,
    close_on_body: bool,
) -> bool {
    cbuf.consume(head.len);
    let bodyless = matches!(framing.body, crate::http::BodyKind::None);
    let whole = buffered_body(framing.body, cbuf.data()).filter(|_| bodyless || !close_on_body);
    if let Some(n) = whole {
        cbuf.consume(n);
    }
    let keep = framing.keep_alive && whole.is_some();
    let msg = with_connection_mode(msg, framing, keep);
    if write_all(client_transport(s), &msg).await.is_err() {
        return false;
    }
    keep
}

/// `msg` saying what becomes of the connection, as HAProxy 2.6's HTTP/1
/// output does for its own answers: `connection: close` when it closes
/// (the client asked, a body still on its way), `connection: keep-alive`
/// when an HTTP/1.0 client's connection stays open; unchanged when the
/// answer already has a `Connection` field or needs none.
fn with_connection_mode<'m>(
    msg: &'m [u8],
    framing: &crate::http::Framing,
    keep: bool,
) -> std::borrow::Cow<'m, [u8]> {
    use std::borrow::Cow;
    let http10 = framing.version == crate::http::Version::Http10;
    if says_connection(msg) || (keep && !http10) {
        return Cow::Borrowed(msg);
    }
    let value: &[u8] = if keep { b"keep-alive" } else { b"close" };
    Cow::Owned(with_connection(msg, value))
}

/// The length of a request body of kind `body` when all of it is in
/// `data`.
fn buffered_body(body: crate::http::BodyKind, data: &[u8]) -> Option<usize> {
    use crate::http::BodyKind;
    match body {
        BodyKind::None => Some(0),
        BodyKind::Length(n) => usize::try_from(n).ok().filter(|&n| n <= data.len()),
        BodyKind::Chunked => {
            let mut d = crate::http::ChunkedDecoder::default();
            let p = d.advance(data).ok()?;
            p.done.then_some(p.consumed)
        }
        BodyKind::UntilClose | BodyKind::Tunnel => None,
    }
}

/// Whether a message's head has a `Connection` field.
fn says_connection(msg: &[u8]) -> bool {
    let end = msg
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(msg.len());
    msg[..end]
        .split(|&b| b == b'\n')
        .any(|l| l.len() > 11 && l[..11].eq_ignore_ascii_case(b"connection:"))
}

/// `msg` with `connection: <value>` as its last header field.
fn with_connection(msg: &[u8], value: &[u8]) -> Vec<u8> {
    let Some(end) = msg.windows(4).position(|w| w == b"\r\n\r\n") else {
        return msg.to_vec();
    };
    let mut out = Vec::with_capacity(msg.len() + 14 + value.len());
    out.extend_from_slice(&msg[..end + 2]);
    out.extend_from_slice(b"connection: ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&msg[end + 2..]);
    out
}

/// Ends the transaction with `f` as HTTP refuses it (the early or the
/// stream form of its message, or nothing); the client connection closes.
pub(super) async fn local_failure(s: &mut Stream, txn: &mut Txn, f: Failure) -> bool {
    let o = f.outcome();
    let status = i32::from(o.status());
    let logged = o.message(true).map_or(0, |msg| logged_len(&o, msg));
    if let Some(msg) = o.message(true) {
        let _ = write_all(client_transport(s), msg).await;
    }
    txn.ended(o.end, status, logged);
    false
}

/// Ends the transaction with `end`, answered with its error page (the
/// `errorfile` of `be` or the frontend, else the built-in one). `keep` is
/// the request's version when the client connection stays open. Returns
/// whether it does.
pub(super) async fn send_error(
    ctx: &Ctx<'_>,
    be: Option<&Proxy>,
    s: &mut Stream,
    txn: &mut Txn,
    end: ProxyError,
    keep: Option<crate::http::Version>,
) -> bool {
    let mut status = end.http_status();
    let mut page = error_page(ctx.fe, be, status, keep);
    // `http-after-response` rules run on error pages too.
    if let Some((bytes, new)) = after_local(ctx, s, txn, &page.bytes) {
        page.logged = crate::http::htx_size(&bytes).unwrap_or(bytes.len() as u64);
        page.bytes = bytes.into();
        status = new;
    }
    txn.ended(end, i32::from(status), page.logged);
    write_all(client_transport(s), &page.bytes).await.is_ok() && keep.is_some()
}

/// The answer of an `http-response deny`: the one its rule made, else the
/// error page for its status (502 by default), logged with that status.
pub(super) async fn send_denied(
    ctx: &Ctx<'_>,
    be: Option<&Proxy>,
    s: &mut Stream,
    txn: &mut Txn,
    (end, denied): (ProxyError, super::request::Denied),
    keep: Option<crate::http::Version>,
) -> bool {
    let end = end.answer(Some(denied.status));
    let Some(mut bytes) = denied.bytes else {
        return send_error(ctx, be, s, txn, end, keep).await;
    };
    let mut status = denied.status;
    // What becomes of the connection, said as for the proxy's own pages.
    let value: Option<&[u8]> = match keep {
        None => Some(b"close"),
        Some(crate::http::Version::Http10) => Some(b"keep-alive"),
        Some(_) => None,
    };
    if let Some(v) = value.filter(|_| !says_connection(&bytes)) {
        bytes = with_connection(&bytes, v);
    }
    if let Some((b, new)) = after_local(ctx, s, txn, &bytes) {
        (bytes, status) = (b, new);
    }
    let logged = crate::http::htx_size(&bytes).unwrap_or(bytes.len() as u64);
    txn.ended(end, i32::from(status), logged);
    write_all(client_transport(s), &bytes).await.is_ok() && keep.is_some()
}

/// The request's version when the client connection may stay open after
/// an error answered now: the client wants keep-alive, the frontend does
/// not close, and the request was read whole (`complete`).
pub(super) fn keep_after(
    fe: &Proxy,
    framing: &crate::http::Framing,
    complete: bool,
) -> Option<crate::http::Version> {
    let fe_close = super::conn_mode(fe.cfg.http.conn_mode) == crate::http::ConnMode::Close;
    (framing.keep_alive && !fe_close && complete).then_some(framing.version)
}
