//! A client leaving while its request waits for a server (queued or
//! connecting), in HTTP mode, as 2.6 handles it: when the request body
//! is not all received yet, the client's close ends the stream (`CQ`,
//! `CC`, nothing answered); a complete request is still served (with or
//! without `option abortonclose`, checked on 2.6), and a client that
//! left is found gone when its answer is sent.

use crate::connect::{connect_server, ConnectInfo};
use crate::connection::Transport;
use crate::error::{ErrorKind, ProxyError};
use crate::http::BodyKind;
use crate::log::termination::FinState;
use crate::proxy_proto::send::PpFacts;
use crate::state::{Proxy, State};
use crate::stream::recvbuf::RecvBuf;
use crate::stream::{SiState, Stream};

use super::analyse::Request;

/// [`connect_server`], given up when the client closes first while the
/// body of `req` (whose head left `cbuf` already) is incomplete.
pub(super) async fn connect_watching(
    (st, bp): (&State, &Proxy),
    s: &mut Stream,
    (req, cbuf): (&Request, &RecvBuf),
    info: &mut ConnectInfo,
    (reuse, sni): (bool, &[Option<String>]),
    pp: &PpFacts<'_>,
) -> Result<(), ProxyError> {
    if !body_pending(req, cbuf) {
        return connect_server(st, bp, s, info, reuse, sni, pp).await;
    }
    // The client's socket is lent to the watcher while the connect runs.
    let client_t = match s.si[0].conn_mut() {
        Some(c) => {
            c.dst();
            std::mem::take(&mut c.transport)
        }
        None => Transport::None,
    };
    let outcome = tokio::select! {
        r = Box::pin(connect_server(st, bp, s, info, reuse, sni, pp)) => Some(r),
        _ = client_closed(&client_t) => None,
    };
    if let Some(c) = s.si[0].conn_mut() {
        c.transport = client_t;
    }
    outcome.unwrap_or_else(|| {
        let phase = if s.si[1].state == SiState::Que {
            // Tw is the time spent in the queue, up to the abort.
            s.timers.queued = Some(std::time::Instant::now());
            FinState::Q
        } else {
            FinState::C
        };
        Err(ProxyError::new(ErrorKind::ClientAborted).at(phase))
    })
}

/// Whether body bytes are still to come from the client.
fn body_pending(req: &Request, cbuf: &RecvBuf) -> bool {
    match req.framing.body {
        BodyKind::Length(n) => (cbuf.data().len() as u64) < n,
        // The last chunk (no trailers) ends what is buffered.
        BodyKind::Chunked => !cbuf.data().ends_with(b"0\r\n\r\n"),
        _ => false,
    }
}

/// Resolves when the client closed or failed; data it sends (more body)
/// hides a later close, which forwarding then finds.
async fn client_closed(t: &Transport) {
    if let Transport::Tcp(sock) = t {
        let mut probe = [0u8; 1];
        if matches!(sock.peek(&mut probe).await, Ok(0) | Err(_)) {
            return;
        }
    }
    std::future::pending().await
}
