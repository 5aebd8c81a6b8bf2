//! Pooled I/O buffers, held only while data is in flight.
//!
//! An idle connection holds no buffer: a direction takes one when its
//! source becomes readable and gives it back as soon as everything read was
//! written out. Freed buffers stay in a small per-thread cache, so the data
//! path neither locks nor calls the allocator in the steady state.
//!
//! A buffer is never cleared or zero-filled: reads append into its spare
//! capacity, so only the pages that received bytes become resident. A
//! client that sent a few bytes of a head costs a page, not `tune.bufsize`.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many free buffers a thread keeps for reuse.
const CACHE_MAX: usize = 64;

static USED: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static CACHE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer taken from the pool; dropping it returns it. Its length is
/// what it holds, its capacity what it may hold.
#[derive(Debug)]
pub struct Buffer {
    data: Vec<u8>,
}

impl Buffer {
    /// Takes a buffer of `size` bytes from this thread's cache, or makes one.
    pub fn take(size: usize) -> Buffer {
        USED.fetch_add(1, Ordering::Relaxed);
        let cached = CACHE.with(|c| {
            let mut c = c.borrow_mut();
            let pos = c.iter().rposition(|b| b.capacity() == size)?;
            Some(c.swap_remove(pos))
        });
        let data = cached.unwrap_or_else(|| {
            ALLOCATED.fetch_add(1, Ordering::Relaxed);
            Vec::with_capacity(size)
        });
        Buffer { data }
    }

    /// The bytes it holds.
    pub fn as_slice(&self) -> &[u8] {
        &self.data
    }

    /// How many bytes it may hold.
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// The bytes it holds, to append to (within its capacity) or move.
    pub fn vec_mut(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        USED.fetch_sub(1, Ordering::Relaxed);
        let mut data = std::mem::take(&mut self.data);
        data.clear();
        let kept = CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() < CACHE_MAX {
                c.push(data);
                true
            } else {
                false
            }
        });
        if !kept {
            ALLOCATED.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// `(allocated, used)` buffers across threads, for `show pools`.
pub fn stats() -> (usize, usize) {
    (
        ALLOCATED.load(Ordering::Relaxed),
        USED.load(Ordering::Relaxed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_per_thread() {
        std::thread::spawn(|| {
            let (a0, u0) = stats();
            let b = Buffer::take(4096);
            assert_eq!((b.as_slice().len(), b.data.capacity()), (0, 4096));
            let p = b.as_slice().as_ptr();
            drop(b);
            let b2 = Buffer::take(4096);
            assert_eq!(b2.as_slice().as_ptr(), p, "the cached buffer came back");
            let (a1, u1) = stats();
            assert!(u1 > u0 && a1 > a0);
        })
        .join()
        .unwrap();
    }
}
