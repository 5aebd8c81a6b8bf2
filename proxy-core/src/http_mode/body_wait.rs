//! `option http-buffer-request`: before the rules run, the request body is
//! read into the client buffer, up to its end or until the buffer is full
//! or `timeout http-request` strikes, so that `req.body` (and
//! `req.len`) see it. The bytes stay in the buffer and are forwarded as
//! usual; a chunked body is given to the fetches without its framing. A
//! client that asked for `100 Continue` gets it before the wait.

use std::time::{Duration, Instant};

use super::analyse::Request;
use super::Ctx;
use crate::connection::Transport;
use crate::http::{BodyKind, ChunkedDecoder};
use crate::stream::recvbuf::{write_all, RecvBuf};

/// Reads the body of `req` (whose head is at the front of `cbuf`) and
/// keeps its payload in `req.body`.
pub(super) async fn buffer_body(
    ctx: &Ctx<'_>,
    client: &mut Transport,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    started: Instant,
) {
    if matches!(req.framing.body, BodyKind::None) {
        req.body = Some(Vec::new());
        req.body_raw = Some(0);
        return;
    }
    let limit = ctx
        .fe
        .cfg
        .timeouts
        .http_request
        .or(ctx.fe.cfg.timeouts.client);
    let deadline = limit.map(|d| started + d);
    buffer_body_until(ctx, client, cbuf, req, (deadline, None)).await;
}

/// `http-request wait-for-body`: reads the body of `req` until it is all
/// here, or `at_least` bytes of it are, or the buffer is full (`true`), or
/// `deadline` strikes first (`false`); what came is in `req.body`.
pub(super) async fn buffer_body_until(
    ctx: &Ctx<'_>,
    client: &mut Transport,
    cbuf: &mut RecvBuf,
    req: &mut Request,
    (deadline, at_least): (Option<Instant>, Option<usize>),
) -> bool {
    if matches!(req.framing.body, BodyKind::None) {
        req.body = Some(Vec::new());
        req.body_raw = Some(0);
        return true;
    }
    let enough = |req: &Request, cbuf: &RecvBuf| {
        complete(req, cbuf.data())
            || cbuf.is_full(ctx.size)
            || at_least.is_some_and(|n| payload(req, cbuf.data()).len() >= n)
    };
    // A client waiting for `100 Continue` before its body would otherwise
    // wait for nothing (curl gives up after a second): tell it to go on.
    // 2.6 says it even when the body came with the head.
    if expects_continue(req, cbuf.data()) {
        let _ = write_all(&*client, b"HTTP/1.1 100 Continue\r\n\r\n").await;
    }
    while !enough(req, cbuf) {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            break;
        }
        let read = cbuf.fill(client, ctx.size);
        let read = match left {
            Some(l) => match tokio::time::timeout(l, read).await {
                Ok(r) => r,
                Err(_) => break,
            },
            None => read.await,
        };
        if !matches!(read, Ok(n) if n > 0) {
            break;
        }
    }
    req.body = Some(payload(req, cbuf.data()));
    req.body_raw = raw_len(req, cbuf.data());
    enough(req, cbuf)
}

/// The length of the whole body as received, when all of it is in `data`.
fn raw_len(req: &Request, data: &[u8]) -> Option<usize> {
    let body = data.get(req.head.len..).unwrap_or_default();
    match req.framing.body {
        BodyKind::Length(n) => usize::try_from(n).ok().filter(|&n| body.len() >= n),
        BodyKind::Chunked => {
            let (_, done, used) = dechunk_at(body);
            done.then_some(used)
        }
        _ => Some(0),
    }
}

/// `Expect: 100-continue` in the request head.
fn expects_continue(req: &Request, data: &[u8]) -> bool {
    req.head.headers.iter().any(|h| {
        h.is(data, b"expect")
            && h.value(data)
                .trim_ascii()
                .eq_ignore_ascii_case(b"100-continue")
    })
}

/// Whether the whole body is in `data` (the head first).
fn complete(req: &Request, data: &[u8]) -> bool {
    let body = data.get(req.head.len..).unwrap_or_default();
    match req.framing.body {
        BodyKind::Length(n) => body.len() as u64 >= n,
        BodyKind::Chunked => dechunk(body).1,
        _ => true,
    }
}

/// The payload buffered so far.
fn payload(req: &Request, data: &[u8]) -> Vec<u8> {
    let body = data.get(req.head.len..).unwrap_or_default();
    match req.framing.body {
        BodyKind::Length(n) => {
            body[..body.len().min(usize::try_from(n).unwrap_or(usize::MAX))].to_vec()
        }
        BodyKind::Chunked => dechunk(body).0,
        _ => Vec::new(),
    }
}

/// The data of the chunks in `body`, and whether the last chunk (and the
/// trailers) went through.
fn dechunk(body: &[u8]) -> (Vec<u8>, bool) {
    let (out, done, _) = dechunk_at(body);
    (out, done)
}

/// [`dechunk`], with how many bytes of `body` the chunks took.
fn dechunk_at(body: &[u8]) -> (Vec<u8>, bool, usize) {
    let mut dec = ChunkedDecoder::default();
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() && !dec.is_done() {
        let pending = usize::try_from(dec.pending_data()).unwrap_or(usize::MAX);
        let step = if pending > 0 {
            pending.min(body.len() - i)
        } else {
            1
        };
        let part = &body[i..i + step];
        let Ok(p) = dec.advance(part) else { break };
        if pending > 0 {
            out.extend_from_slice(&part[..p.consumed]);
        }
        if p.consumed == 0 {
            break;
        }
        i += p.consumed;
    }
    (out, dec.is_done(), i)
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn chunks_lose_their_framing() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"),
            (b"abcde".to_vec(), true)
        );
        assert_eq!(dechunk(b"3\r\nab"), (b"ab".to_vec(), false));
    }
}
