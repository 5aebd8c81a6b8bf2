//! Full-duplex forwarding between two sockets, with half-close and the
//! inactivity timeouts of TCP mode.
//!
//! Each direction is a small state machine: wait until the source is
//! readable, take a pooled buffer, read, write everything out, give the
//! buffer back. A FIN from one side is passed on as a FIN to the other
//! (`shutdown(SHUT_WR)`) while the opposite direction keeps flowing. Both
//! directions and the one timer run in a single future, so a stream costs
//! one task and no buffer while idle.

use std::future::{poll_fn, Future};
use std::io;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use crate::buffer::Buffer;
use crate::connection::Transport;

/// Inactivity timeouts of each side; `None` = no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct SideTimeouts {
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    /// Replaces `client` once a FIN was passed on to the client.
    pub client_fin: Option<Duration>,
    /// Replaces `server` once a FIN was passed on to the server.
    pub server_fin: Option<Duration>,
}

/// How forwarding ended.
#[derive(Debug)]
pub enum FwdEnd {
    /// Both directions reached end-of-stream and were passed on.
    Done,
    ClientTimeout,
    ServerTimeout,
    /// A read or write on the client socket failed (reset, broken pipe).
    ClientError(io::Error),
    ServerError(io::Error),
}

/// One direction's state.
#[derive(Debug, Default)]
struct Dir {
    buf: Option<Buffer>,
    start: usize,
    end: usize,
    /// End-of-stream read from the source.
    eof: bool,
    /// FIN passed on to the destination.
    shut: bool,
    total: u64,
}

enum DirErr {
    Read(io::Error),
    Write(io::Error),
}

/// What one poll of a direction did.
#[derive(Default)]
struct Activity {
    read: bool,
    wrote: bool,
}

/// Budget of read/write rounds per poll, so one busy stream cannot starve
/// the others on its thread.
const ROUNDS: usize = 16;

impl Dir {
    fn done(&self) -> bool {
        self.eof && self.shut
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut Transport,
        dst: &mut Transport,
        bufsize: usize,
        act: &mut Activity,
    ) -> Result<bool, DirErr> {
        for _ in 0..ROUNDS {
            if self.start < self.end {
                let Some(buf) = &self.buf else {
                    return Ok(false);
                };
                match dst.poll_write(cx, &buf.as_slice()[self.start..self.end]) {
                    Poll::Pending => return Ok(false),
                    Poll::Ready(Err(e)) => return Err(DirErr::Write(e)),
                    Poll::Ready(Ok(0)) => {
                        return Err(DirErr::Write(io::ErrorKind::WriteZero.into()))
                    }
                    Poll::Ready(Ok(n)) => {
                        self.start += n;
                        act.wrote = true;
                        if self.start == self.end {
                            // Nothing in flight: the buffer goes back now.
                            self.buf = None;
                            self.start = 0;
                            self.end = 0;
                        }
                    }
                }
                continue;
            }
            if self.eof {
                if !self.shut {
                    // The peer may already be gone; its error shows up on
                    // the other direction if it matters.
                    let _ = dst.shutdown_write();
                    self.shut = true;
                }
                return Ok(false);
            }
            match src.poll_read_ready(cx) {
                Poll::Pending => return Ok(false),
                Poll::Ready(Err(e)) => return Err(DirErr::Read(e)),
                Poll::Ready(Ok(())) => {}
            }
            let mut buf = self.buf.take().unwrap_or_else(|| Buffer::take(bufsize));
            match src.poll_read(cx, buf.as_mut_slice()) {
                Poll::Pending => return Ok(false), // buffer dropped: back to the pool
                Poll::Ready(Err(e)) => return Err(DirErr::Read(e)),
                Poll::Ready(Ok(0)) => {
                    self.eof = true;
                    act.read = true;
                }
                Poll::Ready(Ok(n)) => {
                    self.start = 0;
                    self.end = n;
                    self.total += n as u64;
                    self.buf = Some(buf);
                    act.read = true;
                }
            }
        }
        // Budget spent with work left: ask to be polled again.
        cx.waker().wake_by_ref();
        Ok(true)
    }
}

/// Byte counts of a finished forwarding.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    /// Client to server.
    pub req: u64,
    /// Server to client.
    pub res: u64,
}

/// Moves bytes both ways until both directions end, a side fails, or a
/// side stays inactive past its timeout.
pub async fn forward(
    client: &mut Transport,
    server: &mut Transport,
    timeouts: SideTimeouts,
    bufsize: usize,
    totals: &mut Totals,
) -> FwdEnd {
    let mut req = Dir::default();
    let mut res = Dir::default();
    let now = Instant::now();
    let (mut client_last, mut server_last) = (now, now);
    let far = now + Duration::from_secs(86400 * 365);
    let sleep = tokio::time::sleep_until(far);
    tokio::pin!(sleep);

    let end = poll_fn(|cx| {
        loop {
            let mut a_req = Activity::default();
            let mut a_res = Activity::default();
            if let Err(e) = req.poll(cx, client, server, bufsize, &mut a_req) {
                return Poll::Ready(match e {
                    DirErr::Read(e) => FwdEnd::ClientError(e),
                    DirErr::Write(e) => FwdEnd::ServerError(e),
                });
            }
            if let Err(e) = res.poll(cx, server, client, bufsize, &mut a_res) {
                return Poll::Ready(match e {
                    DirErr::Read(e) => FwdEnd::ServerError(e),
                    DirErr::Write(e) => FwdEnd::ClientError(e),
                });
            }
            if req.done() && res.done() {
                return Poll::Ready(FwdEnd::Done);
            }
            if a_req.read || a_res.wrote || a_req.wrote || a_res.read {
                let t = Instant::now();
                if a_req.read || a_res.wrote {
                    client_last = t;
                }
                if a_req.wrote || a_res.read {
                    server_last = t;
                }
            }
            // Which limit applies to each side now.
            // A side counts as half-closed once we have passed a FIN to it
            // (as HAProxy applies `timeout client-fin`/`server-fin`).
            let client_half = res.shut;
            let server_half = req.shut;
            let cto = if client_half {
                timeouts.client_fin.or(timeouts.client)
            } else {
                timeouts.client
            };
            let sto = if server_half {
                timeouts.server_fin.or(timeouts.server)
            } else {
                timeouts.server
            };
            // A side is only timed while something is expected of it: data
            // it may still send, or data waiting to be written to it. A
            // client that sent its FIN and has nothing pending is not.
            let client_expected = !req.eof || res.start < res.end;
            let server_expected = !res.eof || req.start < req.end;
            let cdl = cto.filter(|_| client_expected).map(|d| client_last + d);
            let sdl = sto.filter(|_| server_expected).map(|d| server_last + d);
            let t = Instant::now();
            match (cdl, sdl) {
                (Some(c), Some(s)) if c <= t && s <= t => {
                    return Poll::Ready(if c <= s {
                        FwdEnd::ClientTimeout
                    } else {
                        FwdEnd::ServerTimeout
                    })
                }
                (Some(c), _) if c <= t => return Poll::Ready(FwdEnd::ClientTimeout),
                (_, Some(s)) if s <= t => return Poll::Ready(FwdEnd::ServerTimeout),
                _ => {}
            }
            let next = match (cdl, sdl) {
                (Some(c), Some(s)) => c.min(s),
                (Some(c), None) => c,
                (None, Some(s)) => s,
                (None, None) => far,
            };
            // Re-arm the timer only when it would fire too late or when it
            // already fired; activity alone never touches the timer wheel.
            if next < sleep.deadline() || sleep.is_elapsed() {
                sleep.as_mut().reset(next);
            }
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                // The timer fired but activity moved the deadline: go round.
                Poll::Ready(()) => continue,
            }
        }
    })
    .await;
    totals.req = req.total;
    totals.res = res.total;
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    async fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (b, _) = l.accept().await.unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn forwards_both_ways_and_passes_half_closes() {
        let (mut cli, proxy_cli) = pair().await;
        let (proxy_srv, mut srv) = pair().await;
        let task = tokio::spawn(async move {
            let mut c = Transport::Tcp(proxy_cli);
            let mut s = Transport::Tcp(proxy_srv);
            let mut t = Totals::default();
            let end = forward(&mut c, &mut s, SideTimeouts::default(), 1024, &mut t).await;
            (end, t)
        });
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let p2 = payload.clone();
        let writer = tokio::spawn(async move {
            cli.write_all(&p2).await.unwrap();
            cli.shutdown().await.unwrap(); // FIN to the server, via the proxy
            let mut back = Vec::new();
            cli.read_to_end(&mut back).await.unwrap();
            back
        });
        let mut got = Vec::new();
        srv.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, payload, "the server saw every byte, then EOF");
        // The other direction still flows after the client's FIN.
        srv.write_all(b"reply after half-close").await.unwrap();
        srv.shutdown().await.unwrap();
        assert_eq!(writer.await.unwrap(), b"reply after half-close");
        let (end, t) = task.await.unwrap();
        assert!(matches!(end, FwdEnd::Done), "{end:?}");
        assert_eq!((t.req, t.res), (300_000, 22));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_client_times_out_first() {
        let (_cli, proxy_cli) = pair().await;
        let (proxy_srv, _srv) = pair().await;
        let mut c = Transport::Tcp(proxy_cli);
        let mut s = Transport::Tcp(proxy_srv);
        let to = SideTimeouts {
            client: Some(Duration::from_secs(2)),
            server: Some(Duration::from_secs(5)),
            ..Default::default()
        };
        let end = forward(&mut c, &mut s, to, 1024, &mut Totals::default()).await;
        assert!(matches!(end, FwdEnd::ClientTimeout), "{end:?}");
    }
}
