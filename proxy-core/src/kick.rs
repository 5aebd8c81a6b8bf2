//! Waking an applet from outside its stream.
//!
//! A peers applet instance must run when another instance of its section
//! produced output for it, or when a shared stick table changed locally;
//! neither is I/O on its own sockets. A [`Kick`] is the doorbell: whoever
//! has news rings it, the stream's task is woken and calls its applet.
//!
//! Streams that can be woken register their kick under their stream id
//! in the state's [`Kicks`] (`State::kicks`, [`Kicks::register`]); the
//! host service `wake(id)` rings it ([`Kicks::wake`]).
//!
//! Stick tables ring a kick on every local change, on the request path, so
//! ringing must cost nothing when nobody listens: a listener *arms* the
//! kick before it looks at the tables ([`Kick::arm`]), and a change rings
//! only an armed kick ([`Kick::ring_if_armed`]), disarming it. Between a
//! wake-up and the next arming, changes cost one read of a shared flag.
//!
//! Std only, and a module of its own: the stick tables ring kicks and the
//! streams' applet sides wait on them, both far below the applets.

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A doorbell for one task.
#[derive(Debug, Default)]
pub struct Kick {
    rung: AtomicBool,
    armed: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Kick {
    pub fn new() -> Arc<Kick> {
        Arc::new(Kick::default())
    }

    /// Wakes the task (now, or at its next [`Kick::poll_rung`]).
    pub fn ring(&self) {
        self.rung.store(true, Ordering::SeqCst);
        let w = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Lets the next [`Kick::ring_if_armed`] ring. Arm *before* reading the
    /// state the ring announces, so that no change falls in between.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Rings if armed (and disarms). Almost free when not armed.
    #[inline]
    pub fn ring_if_armed(&self) {
        if self.armed.load(Ordering::SeqCst) && self.armed.swap(false, Ordering::SeqCst) {
            self.ring();
        }
    }

    /// Whether the kick was rung since the last call (consuming it); if
    /// not, the task is woken when it is.
    pub fn poll_rung(&self, cx: &mut Context<'_>) -> bool {
        if self.rung.swap(false, Ordering::SeqCst) {
            return true;
        }
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        // A ring between the check and storing the waker found no waker.
        self.rung.swap(false, Ordering::SeqCst)
    }

    /// Waits until rung.
    pub async fn rung(&self) {
        poll_fn(|cx| {
            if self.poll_rung(cx) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// The kicks of the streams that can be woken, by stream id. Only peers
/// streams and those of services flagged `WAKEABLE` register (at their
/// start and end), so one lock serves.
#[derive(Debug, Default)]
pub struct Kicks {
    by_id: Mutex<HashMap<u64, Arc<Kick>>>,
}

impl Kicks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Kick>>> {
        self.by_id.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes stream `id` wakeable through [`Kicks::wake`] while the guard
    /// lives.
    pub fn register(self: &Arc<Self>, id: u64) -> Registered {
        let kick = Kick::new();
        self.lock().insert(id, kick.clone());
        Registered {
            id,
            kick,
            kicks: self.clone(),
        }
    }

    /// Rings the kick of stream `id`, if it is registered.
    pub fn wake(&self, id: u64) {
        let k = self.lock().get(&id).cloned();
        if let Some(k) = k {
            k.ring();
        }
    }
}

/// Keeps a stream's kick registered; unregisters it when dropped.
#[derive(Debug)]
pub struct Registered {
    id: u64,
    pub kick: Arc<Kick>,
    kicks: Arc<Kicks>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.kicks.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_is_kept_until_polled() {
        let k = Kick::new();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(!k.poll_rung(&mut cx));
        k.ring();
        assert!(k.poll_rung(&mut cx));
        assert!(!k.poll_rung(&mut cx));
    }

    #[test]
    fn only_an_armed_kick_rings_on_change() {
        let k = Kick::new();
        let mut cx = Context::from_waker(Waker::noop());
        k.ring_if_armed();
        assert!(!k.poll_rung(&mut cx));
        k.arm();
        k.ring_if_armed();
        k.ring_if_armed();
        assert!(k.poll_rung(&mut cx));
        k.ring_if_armed();
        assert!(!k.poll_rung(&mut cx), "disarmed by the first ring");
    }

    #[tokio::test]
    async fn wake_reaches_a_registered_stream_only() {
        let kicks = Arc::new(Kicks::default());
        let r = kicks.register(7);
        kicks.wake(8);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(!r.kick.poll_rung(&mut cx));
        kicks.wake(7);
        r.kick.rung().await;
        drop(r);
        assert!(kicks.lock().is_empty(), "unregistered when dropped");
        kicks.wake(7); // gone: no effect, no panic
    }
}
