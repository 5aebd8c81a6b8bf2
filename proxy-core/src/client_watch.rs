//! Watching a TCP-mode client while its stream waits for a server
//! (queued or connecting), to end the wait when the client is gone as
//! HAProxy 2.6 does: a reset or read error always ends it; an end of
//! input (FIN) ends it with `option abortonclose`, and without it when
//! nothing of the request waits to be sent and the stream is queued (a
//! fast connect is let through, as 2.6 starts it before it looks at the
//! client; a slow one 2.6 would give up `CC`, we let it finish). The
//! stream then ends `CQ` or `CC`.
//!
//! HTTP mode has its own rule (`http_mode::abort_watch`): only a
//! request whose body is incomplete is given up.

use std::io;

use crate::connection::Transport;

/// What the TCP-mode watcher may do with the client's bytes.
pub(crate) struct TcpWatch<'a> {
    /// The client bytes already buffered for the server (`tcp-request
    /// content` inspection): with some, a FIN alone does not abort.
    pub buffered: bool,
    /// `option abortonclose` on the backend.
    pub abortonclose: bool,
    /// Where the bytes read while watching go (sent to the server first
    /// once it is connected), at most `limit` of them.
    pub read: &'a mut Vec<u8>,
    pub limit: usize,
    /// The stream's live record: whether it is queued right now.
    pub live: std::sync::Arc<crate::stream::live::LiveStream>,
}

/// Resolves only when the TCP-mode stream must give up waiting.
pub(crate) async fn tcp_client_gone(t: &Transport, w: TcpWatch<'_>) {
    if matches!(t, Transport::None) {
        return std::future::pending().await;
    }
    let mut chunk = [0u8; 4096];
    loop {
        let room = w.limit.saturating_sub(w.read.len()).min(chunk.len());
        if room == 0 {
            // Full: what follows stays in the socket, unwatched.
            return std::future::pending().await;
        }
        if std::future::poll_fn(|cx| t.poll_read_ready(cx))
            .await
            .is_err()
        {
            return;
        }
        match t.try_read(&mut chunk[..room]) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
            Ok(0) if w.abortonclose => return,
            Ok(0) if !w.buffered && w.read.is_empty() => return until_queued(&w.live).await,
            // The FIN waits for forwarding to pass it on.
            Ok(0) => return std::future::pending().await,
            Ok(n) => w.read.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Resolves once the stream is (or is already) in its backend's queue;
/// the client's end of input is known, so its state is polled instead.
async fn until_queued(live: &crate::stream::live::LiveStream) {
    loop {
        if live.si[1].state() == crate::stream::SiState::Que {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
