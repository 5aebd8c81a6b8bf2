//! TCP-mode content inspection: with `tcp-request inspect-delay`, the
//! client's first bytes are buffered and the `tcp-request content` rules
//! run again each time more arrive, as long as a rule's condition needs
//! data that is not complete yet (a `req.ssl_*` fetch on a partial hello,
//! see [`crate::rules::Payload`]). The wait ends when the buffer is full,
//! the client closes or the delay expires; the rules then run one last
//! time on what is there, incomplete fetches failing. Without a delay the
//! rules run once, at once, on an empty buffer.
//!
//! The buffered bytes are not consumed: they go to the server first once
//! it is connected ([`send_buffered`]).

use std::io;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::config::model_stick::TcpRule;
use crate::connection::Transport;
use crate::rules::Payload;
use crate::stkctr::rules::{tcp_rules, ConnView, RuleCtx, TcpVerdict};
use crate::stkctr::Trackers;

/// Where the rules run: their context, the rules, the delay and the most
/// the buffer may hold.
pub(crate) struct Inspect<'a> {
    pub ctx: RuleCtx<'a>,
    pub rules: &'a [TcpRule],
    pub delay: Option<Duration>,
    pub limit: usize,
}

impl Inspect<'_> {
    /// Runs the rules, reading client bytes into `buf` while they wait;
    /// `base` is the connection's view (addresses, variables) to which
    /// the buffer is added.
    pub(crate) async fn run(
        &self,
        client: &Transport,
        base: &ConnView<'_>,
        trk: &mut Trackers,
        buf: &mut Vec<u8>,
    ) -> TcpVerdict {
        let deadline = self.delay.map(|d| tokio::time::Instant::now() + d);
        let mut ended = false;
        loop {
            let expired = deadline.is_none_or(|d| tokio::time::Instant::now() >= d);
            let partial = !(ended || expired || buf.len() >= self.limit);
            let flag = AtomicBool::new(false);
            let view = with_payload(base.clone(), buf, self.limit, partial, &flag);
            match tcp_rules(self.ctx, self.rules, false, trk, &view) {
                TcpVerdict::Wait if partial => {}
                TcpVerdict::Wait => return TcpVerdict::Continue,
                v => return v,
            }
            let Some(d) = deadline else {
                return TcpVerdict::Continue;
            };
            match tokio::time::timeout_at(d, read_some(client, buf, self.limit)).await {
                Err(_) => {} // expired: the next pass is the last
                Ok(Ok(0) | Err(_)) => ended = true,
                Ok(Ok(_)) => {}
            }
        }
    }
}

/// `base` with the buffered bytes added.
pub(crate) fn with_payload<'v>(
    mut base: ConnView<'v>,
    data: &'v [u8],
    limit: usize,
    partial: bool,
    may_change: &'v AtomicBool,
) -> ConnView<'v> {
    base.payload = Some(Payload {
        data,
        limit,
        partial,
        may_change,
    });
    base
}

/// Reads what the client sent (at most up to `limit` buffered bytes);
/// `Ok(0)`: it closed.
async fn read_some(t: &Transport, buf: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let mut chunk = [0u8; 4096];
    let room = limit.saturating_sub(buf.len()).min(chunk.len());
    if room == 0 {
        return Ok(0);
    }
    loop {
        std::future::poll_fn(|cx| t.poll_read_ready(cx)).await?;
        match t.try_read(&mut chunk[..room]) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(n);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Writes the inspected bytes to the server before forwarding starts.
pub(crate) async fn send_buffered(t: &mut Transport, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        let n = std::future::poll_fn(|cx| t.poll_write(cx, data)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
    }
    Ok(())
}
