//! TCP-mode response inspection: a backend's `tcp-response content`
//! rules run on the server's first bytes once it is connected, as
//! HAProxy 2.6 does. Without `tcp-response inspect-delay` they run once,
//! at once, on whatever is there (usually nothing); with a delay, they run
//! again each time server bytes arrive while a condition's answer may
//! still change (`res.len`, `res.payload`), until the buffer is full, the
//! server closes or the delay expires, when they run a last time.
//!
//! While the rules wait, the client's bytes still go to the server (most
//! protocols only answer once asked). The server bytes read are not
//! consumed: the caller sends them to the client unless a rule rejects.

use std::io;
use std::sync::atomic::AtomicBool;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::config::model_stick::TcpRule;
use crate::connection::{Connection, Transport};
use crate::state::{Proxy, State};
use crate::stkctr::rules::{tcp_rules, ConnView, RuleCtx, TcpVerdict};
use crate::stkctr::Trackers;
use crate::stream::forward::{FwdEnd, Totals};
use crate::tcp_inspect::{send_buffered, with_payload};

/// The most client bytes held between reading them and writing them to
/// the server while the rules wait.
const RELAY_CHUNK: usize = 16 * 1024;

/// Where the rules run: their context, the rules, the delay and the most
/// the response buffer may hold.
pub(crate) struct ResponseInspect<'a> {
    pub ctx: RuleCtx<'a>,
    pub rules: &'a [TcpRule],
    pub delay: Option<Duration>,
    pub limit: usize,
}

/// What the inspection leaves: the verdict, the server bytes read, and
/// the client bytes read but not yet written to the server.
pub(crate) struct Inspected {
    pub verdict: TcpVerdict,
    pub response: Vec<u8>,
    pub relay: Relay,
}

/// Client-to-server bytes moved while the response rules wait.
#[derive(Default)]
pub(crate) struct Relay {
    /// Read from the client, not yet written to the server.
    pub pending: Vec<u8>,
    /// Bytes written to the server.
    pub sent: u64,
    /// Relaying stopped: the client closed or failed, or the server
    /// refused a write (forwarding finds out again afterwards).
    stopped: bool,
}

impl ResponseInspect<'_> {
    /// Runs the rules on what `server` sends, relaying `client`'s bytes
    /// meanwhile; `base` is the stream's view (addresses, variables).
    pub(crate) async fn run(
        &self,
        client: &Transport,
        server: &Transport,
        base: &ConnView<'_>,
        trk: &mut Trackers,
    ) -> Inspected {
        let deadline = self.delay.map(|d| tokio::time::Instant::now() + d);
        let mut response = Vec::new();
        let mut relay = Relay::default();
        let mut server_done = false;
        loop {
            let expired = deadline.is_none_or(|d| tokio::time::Instant::now() >= d);
            let partial = !(server_done || expired || response.len() >= self.limit);
            let flag = AtomicBool::new(false);
            let view = with_payload(base.clone(), &response, self.limit, partial, &flag);
            let verdict = match tcp_rules(self.ctx, self.rules, false, trk, &view) {
                TcpVerdict::Wait if partial => None,
                TcpVerdict::Wait => Some(TcpVerdict::Continue),
                v => Some(v),
            };
            let waiting_until = match (verdict, deadline) {
                (None, Some(d)) => d,
                // Only a delay makes a pass partial: without one the
                // first pass decides.
                (v, _) => {
                    return Inspected {
                        verdict: v.unwrap_or(TcpVerdict::Continue),
                        response,
                        relay,
                    }
                }
            };
            let read = std::future::poll_fn(|cx| {
                relay.poll(cx, client, server);
                poll_read_some(cx, server, &mut response, self.limit)
            });
            match tokio::time::timeout_at(waiting_until, read).await {
                Err(_) => {} // expired: the next pass is the last
                Ok(Ok(0) | Err(_)) => server_done = true,
                Ok(Ok(_)) => {}
            }
        }
    }
}

impl Relay {
    /// Moves what the client sent to the server as far as both sockets
    /// allow now; registers for wake-ups where they block.
    fn poll(&mut self, cx: &mut Context<'_>, client: &Transport, server: &Transport) {
        let mut chunk = [0u8; 4096];
        while !self.stopped {
            if self.pending.is_empty() {
                match client.poll_read_ready(cx) {
                    Poll::Pending => return,
                    Poll::Ready(Err(_)) => self.stopped = true,
                    Poll::Ready(Ok(())) => match client.try_read(&mut chunk) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Ok(0) | Err(_) => self.stopped = true,
                        Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                    },
                }
                continue;
            }
            match server.poll_write_ready(cx) {
                Poll::Pending => return,
                Poll::Ready(Err(_)) => self.stopped = true,
                Poll::Ready(Ok(())) => {
                    let n = self.pending.len().min(RELAY_CHUNK);
                    match server.try_write(&self.pending[..n]) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Ok(0) | Err(_) => self.stopped = true,
                        Ok(w) => {
                            self.pending.drain(..w);
                            self.sent += w as u64;
                        }
                    }
                }
            }
        }
    }
}

/// Reads server bytes into `buf` (up to `limit` in all): `Ok(0)` when the
/// server closed or the buffer is full.
fn poll_read_some(
    cx: &mut Context<'_>,
    t: &Transport,
    buf: &mut Vec<u8>,
    limit: usize,
) -> Poll<io::Result<usize>> {
    let mut chunk = [0u8; 4096];
    let room = limit.saturating_sub(buf.len()).min(chunk.len());
    if room == 0 {
        return Poll::Ready(Ok(0));
    }
    loop {
        match t.poll_read_ready(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {}
        }
        match t.try_read(&mut chunk[..room]) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Poll::Ready(Ok(n));
            }
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

/// How the response rules leave the stream.
pub(crate) enum Outcome {
    /// Go on forwarding both ways.
    Forward,
    /// `close`: what the server sent went to the client; both sides close.
    Close,
    /// `reject`: nothing goes to the client; the stream ends (`PD`).
    Reject,
    /// A side failed while the rules waited or their bytes were sent.
    Failed(FwdEnd),
}

/// The stream's two connections.
pub(crate) struct Sides<'c> {
    pub client: &'c mut Connection,
    pub server: &'c mut Connection,
}

/// Runs backend `bp`'s `tcp-response` rules on the connected server's
/// first bytes, then passes on what they let through: the client bytes
/// read meanwhile to the server, the server's to the client (counted in
/// `totals`).
pub(crate) async fn run(
    st: &State,
    bp: &Proxy,
    view: &ConnView<'_>,
    io: Sides<'_>,
    trk: &mut Trackers,
    totals: &mut Totals,
) -> Outcome {
    let g = &st.config.global;
    let inspect = ResponseInspect {
        ctx: RuleCtx::new(&st.stick, bp.cfg.table),
        rules: &bp.cfg.tcp_res.rules,
        delay: bp.cfg.tcp_res.delay,
        limit: g.bufsize.saturating_sub(g.maxrewrite).max(1),
    };
    let (client, server) = (&mut io.client.transport, &mut io.server.transport);
    let done = inspect.run(client, server, view, trk).await;
    totals.req += done.relay.sent;
    if let Err(e) = send_buffered(server, &done.relay.pending).await {
        return Outcome::Failed(FwdEnd::ServerError(e));
    }
    totals.req += done.relay.pending.len() as u64;
    // Read from the server, so counted, even when not passed on.
    totals.res += done.response.len() as u64;
    if done.verdict == TcpVerdict::Reject {
        return Outcome::Reject;
    }
    if let Err(e) = send_buffered(client, &done.response).await {
        return Outcome::Failed(FwdEnd::ClientError(e));
    }
    match done.verdict {
        TcpVerdict::Close => Outcome::Close,
        _ => Outcome::Forward,
    }
}

/// A `reject` counts as a denied response on the frontend, the backend
/// and the server.
pub(crate) fn count_denied(fe: &Proxy, bp: &Proxy, srv: Option<usize>) {
    let bump = |c: &crate::counters::Counters| {
        c.denied_resp
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    };
    if let Some(f) = fe.fe.as_ref() {
        bump(&f.counters);
    }
    if let Some(b) = bp.be.as_ref() {
        bump(&b.counters);
        if let Some(x) = srv.and_then(|i| b.servers.get(i)) {
            bump(&x.counters);
        }
    }
}
