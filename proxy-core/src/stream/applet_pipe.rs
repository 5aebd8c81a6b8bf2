//! Driving an applet as a byte pipe, so the stream code moves bytes to and
//! from it exactly as it does with a server socket.
//!
//! What the stream would write to a server goes into the applet's input;
//! what the applet produces is read back as if a server had sent it. The
//! applet is called synchronously, on the stream's own thread, whenever
//! input arrives, its output was consumed (room) or the timer it asked for
//! fires. A call that panics or reports a failure ends the pipe with an
//! error; the stream then ends as HAProxy ends an internal error (`I`).

use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use std::sync::Arc;

use super::endpoint::{AppCtx, AppletIo, AppletWait};
use crate::kick::Kick;

/// How much output an applet may have pending before it must wait for room.
const OUT_ROOM: usize = 16384;

/// How much input may wait for an applet to consume it; beyond that the
/// writer waits, so a slow applet (or a client that does not read what an
/// applet answers) never makes the proxy buffer without bound.
const IN_ROOM: usize = 16384;

/// An applet's input and output buffers and what it waits for.
pub struct AppletPipe {
    input: Vec<u8>,
    input_closed: bool,
    output: Vec<u8>,
    out_pos: usize,
    wait: AppletWait,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    failed: Option<String>,
    /// The writer waiting for input room.
    write_waker: Option<std::task::Waker>,
    /// The reader waiting for output, woken when a call (made by a write,
    /// in either order of the two directions) produces some or ends.
    read_waker: Option<std::task::Waker>,
    /// Calls made, and calls that failed (panic or error), for counters.
    pub calls: u64,
    /// Rung from outside to have the applet called although it waits for
    /// input or a timer (peers applets; see [`crate::kick`]).
    kick: Option<Arc<Kick>>,
}

impl Default for AppletPipe {
    fn default() -> Self {
        AppletPipe {
            input: Vec::new(),
            input_closed: false,
            output: Vec::new(),
            out_pos: 0,
            wait: AppletWait::Input,
            timer: None,
            failed: None,
            write_waker: None,
            read_waker: None,
            calls: 0,
            kick: None,
        }
    }
}

impl AppletPipe {
    /// A pipe whose applet is also called when `kick` rings.
    pub fn with_kick(kick: Arc<Kick>) -> AppletPipe {
        AppletPipe {
            kick: Some(kick),
            ..AppletPipe::default()
        }
    }

    /// A pipe whose applet is called as soon as its output is polled,
    /// before any input (and when `kick` rings, if given).
    pub fn started(kick: Option<Arc<Kick>>) -> AppletPipe {
        AppletPipe {
            wait: AppletWait::Room,
            kick,
            ..AppletPipe::default()
        }
    }

    fn kicked(&self, cx: &mut Context<'_>) -> bool {
        self.kick.as_ref().is_some_and(|k| k.poll_rung(cx))
    }

    /// Why the applet failed, if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Whether the applet finished and all its output was read.
    pub fn is_done(&self) -> bool {
        self.wait == AppletWait::Done && self.out_pos >= self.output.len()
    }

    fn call(&mut self, app: &mut AppCtx) {
        if self.failed.is_some() || self.wait == AppletWait::Done {
            return;
        }
        if self.out_pos > 0 && self.out_pos >= self.output.len() {
            self.output.clear();
            self.out_pos = 0;
        }
        let room = OUT_ROOM.saturating_sub(self.output.len() - self.out_pos);
        if let Some(w) = self.invoke(app, room) {
            self.timer = match w {
                AppletWait::Timer(d) => Some(Box::pin(tokio::time::sleep(
                    d.max(Duration::from_millis(1)),
                ))),
                _ => None,
            };
        }
        let readable = self.out_pos < self.output.len()
            || self.wait == AppletWait::Done
            || self.failed.is_some();
        if readable {
            if let Some(w) = self.read_waker.take() {
                w.wake();
            }
        }
    }

    /// Calls an applet that serves no byte stream (the peers sync task):
    /// no input, no room for output, its input closed once `closing`. The
    /// same containment as every other call: a panic or a failure ends it
    /// (`Done`, with [`AppletPipe::failure`] set). The caller runs the
    /// timer it asks for.
    pub fn call_task(&mut self, app: &mut AppCtx, closing: bool) -> AppletWait {
        if self.failed.is_some() || self.wait == AppletWait::Done {
            return AppletWait::Done;
        }
        self.input_closed |= closing;
        let w = self.invoke(app, 0);
        self.output.clear();
        self.out_pos = 0;
        if self.failed.is_some() {
            return AppletWait::Done;
        }
        w.unwrap_or(AppletWait::Done)
    }

    /// One call of the applet with `room` for output; what it waits for,
    /// `None` if it panicked. Panics and reported failures are recorded.
    fn invoke(&mut self, app: &mut AppCtx, room: usize) -> Option<AppletWait> {
        let mut io = AppletIo {
            input: &self.input,
            consumed: 0,
            input_closed: self.input_closed,
            output: &mut self.output,
            room,
        };
        self.calls += 1;
        let result = catch_unwind(AssertUnwindSafe(|| app.applet().on_io(&mut io)));
        let consumed = io.consumed.min(self.input.len());
        let wait = match result {
            Ok(w) => {
                self.input.drain(..consumed);
                if consumed > 0 {
                    if let Some(wk) = self.write_waker.take() {
                        wk.wake();
                    }
                }
                self.wait = w;
                Some(w)
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                self.failed = Some(format!("applet '{}' panicked: {msg}", app.name()));
                None
            }
        };
        if let Some(reason) = app.failure() {
            self.failed.get_or_insert(reason);
        }
        wait
    }

    /// Whether the applet can take more input now; if not, the caller is
    /// woken once it consumed some.
    pub fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(f) = &self.failed {
            return Poll::Ready(Err(io::Error::other(f.clone())));
        }
        if self.input.len() < IN_ROOM || self.wait == AppletWait::Done {
            return Poll::Ready(Ok(()));
        }
        self.write_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Hands bytes to the applet (what would go to a server), as many as
    /// its input room takes; `WouldBlock` when it is full.
    pub fn write(&mut self, app: &mut AppCtx, data: &[u8]) -> io::Result<usize> {
        if let Some(f) = &self.failed {
            return Err(io::Error::other(f.clone()));
        }
        if self.wait == AppletWait::Done {
            // Nothing will read it any more: drop it, as a closed server
            // connection would refuse it.
            return Ok(data.len());
        }
        let n = data.len().min(IN_ROOM.saturating_sub(self.input.len()));
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.input.extend_from_slice(&data[..n]);
        self.call(app);
        Ok(n)
    }

    /// No more input will come (the client finished its request or closed).
    pub fn close_input(&mut self, app: &mut AppCtx) {
        if !self.input_closed {
            self.input_closed = true;
            self.call(app);
        }
    }

    /// Waits until the applet has output to read, is done, or failed.
    pub fn poll_output(&mut self, cx: &mut Context<'_>, app: &mut AppCtx) -> Poll<io::Result<()>> {
        for _ in 0..8 {
            if self.out_pos < self.output.len() || self.failed.is_some() {
                return Poll::Ready(Ok(()));
            }
            match self.wait {
                AppletWait::Done => return Poll::Ready(Ok(())),
                AppletWait::Room => self.call(app),
                AppletWait::Timer(_) => match self.timer.as_mut().map(|t| t.as_mut().poll(cx)) {
                    Some(Poll::Pending) if !self.kicked(cx) => return self.wait_output(cx),
                    _ => self.call(app),
                },
                // Input: the next write calls the applet again.
                AppletWait::Input if !self.kicked(cx) => return self.wait_output(cx),
                AppletWait::Input => self.call(app),
            }
        }
        // An applet that keeps asking to be called without producing
        // anything: let the other streams of this thread run first.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Nothing to read yet: the next call that produces output wakes
    /// this reader.
    fn wait_output(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.read_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => self.read_waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Takes output produced so far; `Ok(0)` once the applet is done and
    /// everything was read; `WouldBlock` when nothing is there yet.
    pub fn read_output(&mut self, app: &mut AppCtx, buf: &mut Vec<u8>) -> io::Result<usize> {
        if self.out_pos < self.output.len() {
            let room = buf.capacity() - buf.len();
            let n = (self.output.len() - self.out_pos).min(room);
            buf.extend_from_slice(&self.output[self.out_pos..self.out_pos + n]);
            self.out_pos += n;
            if self.wait == AppletWait::Room {
                self.call(app);
            }
            return Ok(n);
        }
        if let Some(f) = &self.failed {
            return Err(io::Error::other(f.clone()));
        }
        if self.wait == AppletWait::Done {
            return Ok(0);
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    /// Reads the applet's output (what a server would have sent); `Ok(0)`
    /// once the applet is done and everything was read.
    pub fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        app: &mut AppCtx,
        buf: &mut Vec<u8>,
    ) -> Poll<io::Result<usize>> {
        match self.poll_output(cx, app) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => match self.read_output(app, buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
                r => Poll::Ready(r),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::endpoint::Applet;

    /// Answers "ok:<input>" once the input is closed; can be told to panic.
    struct Upper {
        panic: bool,
    }

    impl Applet for Upper {
        fn name(&self) -> &str {
            "upper"
        }
        fn on_io(&mut self, io: &mut AppletIo<'_>) -> AppletWait {
            if self.panic {
                panic!("boom");
            }
            if !io.input_closed {
                return AppletWait::Input;
            }
            let mut out = b"ok:".to_vec();
            out.extend(io.input.iter().map(u8::to_ascii_uppercase));
            io.consumed = io.input.len();
            io.write(&out);
            AppletWait::Done
        }
    }

    fn noop_cx() -> Context<'static> {
        Context::from_waker(std::task::Waker::noop())
    }

    #[tokio::test]
    async fn input_then_output_like_a_server() {
        let mut app = AppCtx::new(Box::new(Upper { panic: false }));
        let mut pipe = AppletPipe::default();
        pipe.write(&mut app, b"abc").unwrap();
        let mut buf = Vec::with_capacity(64);
        assert!(pipe
            .poll_read(&mut noop_cx(), &mut app, &mut buf)
            .is_pending());
        pipe.close_input(&mut app);
        match pipe.poll_read(&mut noop_cx(), &mut app, &mut buf) {
            Poll::Ready(Ok(n)) => assert_eq!(&buf[..n], b"ok:ABC"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            pipe.poll_read(&mut noop_cx(), &mut app, &mut buf),
            Poll::Ready(Ok(0))
        ));
        assert!(pipe.is_done());
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error_not_a_crash() {
        let mut app = AppCtx::new(Box::new(Upper { panic: true }));
        let mut pipe = AppletPipe::default();
        let _ = pipe.write(&mut app, b"x");
        assert!(pipe.failure().is_some_and(|f| f.contains("boom")));
        let mut buf = Vec::with_capacity(8);
        assert!(matches!(
            pipe.poll_read(&mut noop_cx(), &mut app, &mut buf),
            Poll::Ready(Err(_))
        ));
    }
}
