//! The one driver: full-duplex forwarding between two sides, each a
//! socket or an applet pipe ([`SideIo`]), with half-close and the
//! inactivity timeouts of TCP mode.
//!
//! Each direction is the one-direction [`Mover`] in "until close" mode
//! over its own receive buffer: wait until the source is readable, take a
//! pooled buffer, read, write everything out, give the buffer back. A FIN
//! from one side is passed on as a half-close of the other
//! ([`SideIo::shutdown_write`]: a FIN for a socket, end of input for an
//! applet) while the opposite direction keeps flowing; an applet that
//! finished its output ends the stream ([`SideIo::eof_closes`]). Both
//! directions and the one timer run in a single future, so a stream costs
//! one task and no buffer while idle, and each poll does a bounded number
//! of reads and writes ([`super::mover::ROUNDS`] per direction).
//!
//! Used by TCP server streams, TCP services, the CLI, peer sessions (both
//! ways round) and HTTP tunnels. Generic over both sides, so a
//! socket-to-socket stream is compiled to direct socket calls.

use std::future::{poll_fn, Future};
use std::io;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use super::mover::{Activity, BodyError, Mover};
use super::recvbuf::RecvBuf;
use super::side::SideIo;
use crate::http::BodyKind;

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

impl SideTimeouts {
    /// The same inactivity limit on both sides, as an applet stream's
    /// one timeout (`stats timeout`, a service's `timeout client`): the
    /// stream ends once neither side moved for `limit`.
    pub fn both(limit: Option<Duration>) -> SideTimeouts {
        SideTimeouts {
            client: limit,
            server: limit,
            ..SideTimeouts::default()
        }
    }
}

/// How forwarding ended.
#[derive(Debug)]
pub enum FwdEnd {
    /// Both directions reached end-of-stream and were passed on (or an
    /// applet side finished).
    Done,
    ClientTimeout,
    ServerTimeout,
    /// A read or write on the client side failed (reset, broken pipe, a
    /// failed applet).
    ClientError(io::Error),
    ServerError(io::Error),
}

/// One direction: a receive buffer, the mover, and whether the end was
/// passed on.
struct Dir {
    buf: RecvBuf,
    mv: Mover,
    /// Half-close passed on to the destination.
    shut: bool,
}

enum DirErr {
    Read(io::Error),
    Write(io::Error),
}

impl Dir {
    fn new() -> Dir {
        Dir {
            buf: RecvBuf::default(),
            mv: Mover::new(BodyKind::UntilClose),
            shut: false,
        }
    }

    fn done(&self) -> bool {
        self.shut
    }

    /// Source reached end-of-stream (its bytes may still be in flight).
    fn eof(&self) -> bool {
        self.buf.eof
    }

    /// Bytes read and not yet written.
    fn pending(&self) -> bool {
        !self.buf.is_empty()
    }

    fn poll<S: SideIo + ?Sized, D: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
        bufsize: usize,
        act: &mut Activity,
        last: bool,
    ) -> Result<(), DirErr> {
        if self.shut {
            return Ok(());
        }
        match self.mv.poll(cx, src, &mut self.buf, &*dst, bufsize, act) {
            Poll::Pending => return Ok(()),
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(BodyError::Write(e))) => return Err(DirErr::Write(e)),
            Poll::Ready(Err(BodyError::Read(e))) => return Err(DirErr::Read(e)),
            // Not produced in "until close" mode.
            Poll::Ready(Err(e)) => return Err(DirErr::Read(io::Error::other(format!("{e:?}")))),
        }
        // The peer may already be gone; its error shows up on the other
        // direction if it matters. When the other direction is over too
        // (`last`), both sockets close next, which sends the FIN anyway.
        if !last {
            let _ = dst.shutdown_write();
        }
        self.shut = true;
        Ok(())
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

/// The two last-activity instants and the one timer of a forwarding.
struct Clock {
    client_last: Instant,
    server_last: Instant,
    far: Instant,
}

impl Clock {
    fn new() -> Clock {
        let now = Instant::now();
        Clock {
            client_last: now,
            server_last: now,
            far: now + Duration::from_secs(86400 * 365),
        }
    }

    fn note(&mut self, a_req: Activity, a_res: Activity) {
        if a_req.read || a_res.wrote || a_req.wrote || a_res.read {
            let t = Instant::now();
            if a_req.read || a_res.wrote {
                self.client_last = t;
            }
            if a_req.wrote || a_res.read {
                self.server_last = t;
            }
        }
    }

    /// A timeout that fired, or the next deadline.
    fn check(&self, to: &SideTimeouts, req: &Dir, res: &Dir) -> Result<Instant, FwdEnd> {
        // Which limit applies to each side now. A side counts as
        // half-closed once we have passed a FIN to it (as HAProxy applies
        // `timeout client-fin`/`server-fin`).
        let cto = if res.shut {
            to.client_fin.or(to.client)
        } else {
            to.client
        };
        let sto = if req.shut {
            to.server_fin.or(to.server)
        } else {
            to.server
        };
        // A side is only timed while something is expected of it: data
        // it may still send, or data waiting to be written to it. A
        // client that sent its FIN and has nothing pending is not.
        let client_expected = !req.eof() || res.pending();
        let server_expected = !res.eof() || req.pending();
        let cdl = cto
            .filter(|_| client_expected)
            .map(|d| self.client_last + d);
        let sdl = sto
            .filter(|_| server_expected)
            .map(|d| self.server_last + d);
        let t = Instant::now();
        match (cdl, sdl) {
            (Some(c), Some(s)) if c <= t && s <= t => {
                return Err(if c <= s {
                    FwdEnd::ClientTimeout
                } else {
                    FwdEnd::ServerTimeout
                })
            }
            (Some(c), _) if c <= t => return Err(FwdEnd::ClientTimeout),
            (_, Some(s)) if s <= t => return Err(FwdEnd::ServerTimeout),
            _ => {}
        }
        Ok(match (cdl, sdl) {
            (Some(c), Some(s)) => c.min(s),
            (Some(c), None) => c,
            (None, Some(s)) => s,
            (None, None) => self.far,
        })
    }
}

/// Arms `sleep` for `next` and polls it: `Ready` once it fired (the caller
/// looks again, as activity may have moved its deadline). The timer is
/// re-armed only when it would fire too late or already fired: activity
/// alone never touches the timer wheel.
pub fn poll_deadline(
    mut sleep: std::pin::Pin<&mut tokio::time::Sleep>,
    next: tokio::time::Instant,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if next < sleep.deadline() || sleep.is_elapsed() {
        sleep.as_mut().reset(next);
    }
    sleep.poll(cx)
}

/// Moves bytes both ways until both directions end (or an applet side
/// finishes), a side fails, or a side stays inactive past its timeout.
pub async fn forward<C: SideIo + ?Sized, S: SideIo + ?Sized>(
    client: &mut C,
    server: &mut S,
    timeouts: SideTimeouts,
    bufsize: usize,
    totals: &mut Totals,
) -> FwdEnd {
    let mut req = Dir::new();
    let mut res = Dir::new();
    let mut clock = Clock::new();
    let sleep = tokio::time::sleep_until(clock.far);
    tokio::pin!(sleep);

    let end = poll_fn(|cx| loop {
        let mut a_req = Activity::default();
        let mut a_res = Activity::default();
        if let Err(e) = req.poll(cx, client, server, bufsize, &mut a_req, res.done()) {
            return Poll::Ready(match e {
                DirErr::Read(e) => FwdEnd::ClientError(e),
                DirErr::Write(e) => FwdEnd::ServerError(e),
            });
        }
        if let Err(e) = res.poll(cx, server, client, bufsize, &mut a_res, req.done()) {
            return Poll::Ready(match e {
                DirErr::Read(e) => FwdEnd::ServerError(e),
                DirErr::Write(e) => FwdEnd::ClientError(e),
            });
        }
        if (req.done() && res.done())
            || (req.done() && client.eof_closes())
            || (res.done() && server.eof_closes())
        {
            return Poll::Ready(FwdEnd::Done);
        }
        clock.note(a_req, a_res);
        let next = match clock.check(&timeouts, &req, &res) {
            Ok(next) => next,
            Err(end) => return Poll::Ready(end),
        };
        match poll_deadline(sleep.as_mut(), next, cx) {
            Poll::Pending => return Poll::Pending,
            // The timer fired but activity moved the deadline: go round.
            Poll::Ready(()) => continue,
        }
    })
    .await;
    totals.req = req.mv.total;
    totals.res = res.mv.total;
    end
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::connection::Transport;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// Two ends of a loopback TCP connection.
    pub(crate) async fn pair() -> (TcpStream, TcpStream) {
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

#[cfg(test)]
mod applet_tests {
    use super::*;
    use crate::connection::Transport;
    use crate::stream::side::AppletSide;
    use crate::stream::{AppCtx, Applet, AppletIo, AppletWait};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// Echoes its input upper-cased as it comes; done once its input ends.
    struct Echo;

    impl Applet for Echo {
        fn name(&self) -> &str {
            "echo"
        }
        fn on_io(&mut self, io: &mut AppletIo<'_>) -> AppletWait {
            let up: Vec<u8> = io.input.iter().map(u8::to_ascii_uppercase).collect();
            io.consumed = io.write(&up);
            if io.input_closed && io.consumed == io.input.len() {
                AppletWait::Done
            } else {
                AppletWait::Input
            }
        }
    }

    /// The applet as the client side (an outgoing peer session): its
    /// output, produced while the socket's bytes are written to it, is
    /// read although that direction was polled first.
    #[tokio::test]
    async fn an_applet_on_the_client_side_answers_and_ends_the_stream() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut peer = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (ours, _) = l.accept().await.unwrap();
        let task = tokio::spawn(async move {
            let mut app = AppCtx::new(Box::new(Echo));
            let mut side = AppletSide::new(&mut app);
            let mut sock = Transport::Tcp(ours);
            let mut t = Totals::default();
            let to = SideTimeouts::both(Some(Duration::from_secs(5)));
            let end = forward(&mut side, &mut sock, to, 1024, &mut t).await;
            (end, t)
        });
        peer.write_all(b"hello").await.unwrap();
        let mut got = [0u8; 5];
        peer.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"HELLO");
        peer.shutdown().await.unwrap();
        let mut rest = Vec::new();
        peer.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        let (end, t) = task.await.unwrap();
        assert!(matches!(end, FwdEnd::Done), "{end:?}");
        assert_eq!((t.req, t.res), (5, 5));
    }
}
