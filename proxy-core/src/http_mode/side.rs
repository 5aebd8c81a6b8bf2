//! The two kinds of server side an exchange can talk to: a socket, or an
//! applet attached to si[1] in place of a connection. Both look the same
//! to the exchange (readiness, then a non-blocking read or write), which
//! is what gives servers and applets one data path: an applet's response
//! is parsed, rewritten, logged and kept alive exactly like a server's.

use std::io;
use std::sync::Mutex;
use std::task::{Context, Poll};

use crate::connection::Transport;
use crate::stream::applet_pipe::AppletPipe;
use crate::stream::AppCtx;

/// Non-blocking byte I/O on one side of an exchange. Reads take the side
/// exclusively (a socket read that comes back short also tells the event
/// loop the socket is drained, saving a wasted read next time); writes
/// only need a shared reference.
pub trait SideIo: Sync {
    /// Reads into `buf`; `Ok(0)` is end-of-stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    fn try_write(&self, data: &[u8]) -> io::Result<usize>;
    /// The request was sent whole: nothing more will be written.
    fn input_done(&self) {}
}

impl SideIo for Transport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Transport::poll_read(self, cx, buf)
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Transport::poll_write_ready(self, cx)
    }
    fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        Transport::try_write(self, data)
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

    /// An applet side whose applet is also called when `kick` rings.
    pub fn with_kick(
        app: &'a mut AppCtx,
        kick: std::sync::Arc<crate::applet::kick::Kick>,
    ) -> AppletSide<'a> {
        AppletSide {
            inner: Mutex::new((AppletPipe::with_kick(kick), app)),
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
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.with(|p, a| p.poll_read(cx, a, buf))
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|p, _| p.poll_write_ready(cx))
    }
    fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        self.with(|p, a| p.write(a, data))
    }
    fn input_done(&self) {
        self.with(|p, a| p.close_input(a))
    }
}
