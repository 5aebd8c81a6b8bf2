//! Reading the PROXY header of an accepted connection (`bind ...
//! accept-proxy`, `tcp-request connection expect-proxy layer4`), before
//! any TLS handshake or stream. The announced addresses replace the
//! connection's own, so `src`, logs and stick tables see them.
//!
//! As HAProxy 2.6 does, the header is judged on what the first read
//! brings: it peeks at the socket once data is there, takes the header
//! out and leaves what follows for the next layer; a header not whole in
//! that first read is "truncated", not waited for. A failure resets the
//! connection and logs 2.6's reason with the real client address.

use std::io;
use std::time::SystemTime;

use tokio::net::TcpStream;

use crate::connection::{Connection, Transport};
use crate::log::fields::ClientAddr;
use crate::proxy_proto::{decode, Decoded, Header, PpError};
use crate::state::State;

/// The largest v2 block (16 bytes and a 16-bit length).
const MAX_HEADER: usize = 16 + 65535;

/// Why no header was taken; each has 2.6's log reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Closed,
    Error,
    Timeout,
    Bad(PpError),
}

impl Failure {
    fn log_text(self) -> &'static str {
        match self {
            Failure::Closed => "Connection closed while waiting for PROXY protocol header",
            Failure::Error => "Connection error while waiting for PROXY protocol header",
            Failure::Timeout => "Timeout while waiting for PROXY protocol header",
            Failure::Bad(e) => e.log_text(),
        }
    }
}

/// Reads the header and applies it to `conn`. False when the connection
/// was refused (already logged; dropping it resets it).
pub(super) async fn run(st: &State, fe_idx: usize, bind_name: &str, conn: &mut Connection) -> bool {
    let accepted = SystemTime::now();
    let timeout = st.proxies.get(fe_idx).and_then(|p| p.cfg.timeouts.client);
    let got = match &conn.transport {
        Transport::Tcp(sock) => match timeout {
            Some(t) => tokio::time::timeout(t, read_header(sock))
                .await
                .unwrap_or(Err(Failure::Timeout)),
            None => read_header(sock).await,
        },
        // Unix sockets and the rest: not read here (documented limit).
        _ => Err(Failure::Error),
    };
    match got {
        Ok(h) => {
            if let (Some(s), Some(d)) = (h.src, h.dst) {
                conn.from = Some(s);
                conn.to = Some(d);
            }
            conn.pp = Some(std::sync::Arc::new(h));
            true
        }
        Err(f) => {
            tracing::debug!("PROXY header on frontend #{fe_idx}: {f:?}");
            // 2.6 logs the addresses a block announced before a broken
            // TLV; otherwise the real ones.
            let client = match f {
                Failure::Bad(e) => e.announced().map(|a| a.0).or(conn.from),
                _ => conn.from,
            };
            let client = client.map_or(ClientAddr::Unknown, ClientAddr::Inet);
            let hard = matches!(f, Failure::Bad(_) | Failure::Error);
            super::tls_session::log_embryonic(
                st,
                fe_idx,
                bind_name,
                client,
                accepted,
                f.log_text(),
                hard,
            );
            if let Transport::Tcp(t) = &conn.transport {
                let _ = t.set_zero_linger();
            }
            false
        }
    }
}

/// Peeks at what the client sent first and takes the header out of it.
async fn read_header(sock: &TcpStream) -> Result<Header, Failure> {
    let mut buf = vec![0u8; 1024];
    loop {
        let n = match sock.peek(&mut buf).await {
            Ok(0) => return Err(Failure::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Failure::Error),
        };
        match decode(&buf[..n]) {
            Ok(Decoded::Done { header, len }) => {
                take(sock, len).await?;
                return Ok(header);
            }
            // A long v2 block filling the peek window: look wider.
            Ok(Decoded::Incomplete) if n == buf.len() && buf.len() < MAX_HEADER => {
                buf.resize(MAX_HEADER, 0);
            }
            Ok(Decoded::Incomplete) => return Err(Failure::Bad(PpError::Truncated)),
            Err(e) => return Err(Failure::Bad(e)),
        }
    }
}

/// Consumes the `len` bytes of the header, already in the socket.
async fn take(sock: &TcpStream, len: usize) -> Result<(), Failure> {
    let mut sink = vec![0u8; len];
    let mut done = 0;
    while done < len {
        sock.readable().await.map_err(|_| Failure::Error)?;
        match sock.try_read(&mut sink[done..]) {
            Ok(0) => return Err(Failure::Closed),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(_) => return Err(Failure::Error),
        }
    }
    Ok(())
}
