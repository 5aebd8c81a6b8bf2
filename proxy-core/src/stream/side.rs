//! The two kinds of endpoint a stream moves bytes to and from: a socket,
//! or an applet attached to a stream interface in place of a connection.
//! Both look the same to the movers (readiness, then a non-blocking read
//! or write, and a half-close), which is what gives servers and applets
//! one data path: an applet's response is parsed, rewritten, logged and
//! kept alive exactly like a server's, and a TCP service, the CLI or a
//! peer session is forwarded like a TCP server stream.
//!
//! The socket implementation goes straight to the socket's readiness and
//! non-blocking calls (no lock, no allocation); only [`AppletSide`] wraps
//! its pipe in a `Mutex` (never contended: one task owns it), because the
//! HTTP exchange writes to a side through a shared reference.

use std::io;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::applet_pipe::AppletPipe;
use super::AppCtx;
use crate::connection::Transport;

/// Non-blocking byte I/O on one side of a stream. Reads take the side
/// exclusively (a socket read that comes back short also tells the event
/// loop the socket is drained, saving a wasted read next time); writes
/// only need a shared reference.
pub trait SideIo: Sync {
    /// Ready when a read may return something (data, end-of-stream or an
    /// error). Checked before a buffer is taken, so an idle side holds
    /// none.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Reads into the spare capacity of `buf` (appending, never past its
    /// capacity); `Ok(0)` is end-of-stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> Poll<io::Result<usize>>;
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    fn try_write(&self, data: &[u8]) -> io::Result<usize>;
    /// Half-close: nothing more will be written to this side. A FIN for a
    /// socket (the other direction keeps flowing), end of input for an
    /// applet.
    fn shutdown_write(&mut self) -> io::Result<()>;
    /// HTTP's "the request was sent whole". An applet's input ends (it
    /// may answer now); a server socket is left open for keep-alive.
    fn input_done(&self) {}
    /// Whether end-of-stream read from this side ends the whole stream
    /// rather than one direction: an applet that finished its output is
    /// done (HAProxy releases it and closes both ways), while a socket's
    /// FIN is a half-close.
    fn eof_closes(&self) -> bool {
        false
    }
}

impl SideIo for Transport {
    #[inline]
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Transport::poll_read_ready(self, cx)
    }
    #[inline]
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> Poll<io::Result<usize>> {
        Transport::poll_read(self, cx, buf)
    }
    #[inline]
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Transport::poll_write_ready(self, cx)
    }
    #[inline]
    fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        Transport::try_write(self, data)
    }
    fn shutdown_write(&mut self) -> io::Result<()> {
        Transport::shutdown_write(self)
    }
}

/// An applet seen as a server: writes feed it, reads take its output.
pub struct AppletSide<'a> {
    inner: Mutex<(AppletPipe, &'a mut AppCtx)>,
}

impl<'a> AppletSide<'a> {
    pub fn new(app: &'a mut AppCtx) -> AppletSide<'a> {
        AppletSide {
            inner: Mutex::new((AppletPipe::default(), app)),
        }
    }

    /// An applet side whose applet is called once before any input (an
    /// HTTP service handed its request head as fields), and again
    /// whenever `kick` rings.
    pub fn started(
        app: &'a mut AppCtx,
        kick: Option<std::sync::Arc<crate::kick::Kick>>,
    ) -> AppletSide<'a> {
        AppletSide {
            inner: Mutex::new((AppletPipe::started(kick), app)),
        }
    }

    /// An applet side whose applet is also called when `kick` rings.
    pub fn with_kick(
        app: &'a mut AppCtx,
        kick: Option<std::sync::Arc<crate::kick::Kick>>,
    ) -> AppletSide<'a> {
        let pipe = match kick {
            Some(k) => AppletPipe::with_kick(k),
            None => AppletPipe::default(),
        };
        AppletSide {
            inner: Mutex::new((pipe, app)),
        }
    }

    /// Why the applet failed, if it did.
    pub fn failure(&self) -> Option<String> {
        let g = self.inner.lock().ok()?;
        g.0.failure().map(str::to_string)
    }

    fn with<R>(&self, f: impl FnOnce(&mut AppletPipe, &mut AppCtx) -> R) -> R {
        // Only this stream's task touches the lock, so it is never
        // contended; a poisoned one still holds consistent buffers.
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (pipe, app) = &mut *g;
        f(pipe, app)
    }
}

impl SideIo for AppletSide<'_> {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|p, a| p.poll_output(cx, a))
    }
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> Poll<io::Result<usize>> {
        self.with(|p, a| p.poll_read(cx, a, buf))
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|p, _| p.poll_write_ready(cx))
    }
    fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        self.with(|p, a| p.write(a, data))
    }
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.input_done();
        Ok(())
    }
    fn input_done(&self) {
        self.with(|p, a| p.close_input(a))
    }
    fn eof_closes(&self) -> bool {
        true
    }
}
