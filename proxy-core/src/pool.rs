//! Object pools with counters, a cap and fault injection.
//!
//! HAProxy allocates connections and streams from pools and reports them in
//! `show pools` (allocated, used, failures). We keep the same accounting: an
//! object holds a [`PoolSlot`] for as long as it lives, and dropping the slot
//! gives it back. The cap (`tune.conn-pool-max`) and the failure rate
//! (`tune.fail-alloc`) make allocation failure a real, testable path rather
//! than something that only happens under memory pressure.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Why an allocation from a pool failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocError {
    /// The pool reached its cap.
    Exhausted,
    /// `tune.fail-alloc` decided this allocation fails.
    Injected,
}

impl std::fmt::Display for AllocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AllocError::Exhausted => f.write_str("pool exhausted"),
            AllocError::Injected => f.write_str("allocation failure injected by tune.fail-alloc"),
        }
    }
}

impl std::error::Error for AllocError {}

/// A snapshot of a pool's counters, as `show pools` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub name: &'static str,
    pub obj_size: usize,
    /// Objects the pool holds: the peak of `used`, since freed objects stay
    /// cached for reuse as in HAProxy's pools.
    pub allocated: usize,
    pub used: usize,
    pub failed: usize,
}

/// A pool of one kind of object (connections, streams).
#[derive(Debug)]
pub struct Pool {
    name: &'static str,
    obj_size: usize,
    used: AtomicUsize,
    allocated: AtomicUsize,
    failed: AtomicUsize,
    cap: Option<usize>,
    /// Probability in percent (0..=100) that an allocation fails on purpose.
    fail_pct: u32,
}

impl Pool {
    pub fn new(
        name: &'static str,
        obj_size: usize,
        cap: Option<usize>,
        fail_pct: u32,
    ) -> Arc<Pool> {
        Arc::new(Pool {
            name,
            obj_size,
            used: AtomicUsize::new(0),
            allocated: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            cap,
            fail_pct: fail_pct.min(100),
        })
    }

    /// Takes one object's worth from the pool.
    pub fn take(self: &Arc<Self>) -> Result<PoolSlot, AllocError> {
        self.take_or_reclaim(|| false)
    }

    /// Takes one object's worth; when the cap refuses, `reclaim` may free
    /// an object this pool counts (an idle connection nobody uses) and
    /// returns whether it did, and the take is tried once more. Only a
    /// final refusal counts as a failure.
    pub fn take_or_reclaim(
        self: &Arc<Self>,
        reclaim: impl FnOnce() -> bool,
    ) -> Result<PoolSlot, AllocError> {
        if self.fail_pct > 0 && random_percent() < self.fail_pct {
            self.failed.fetch_add(1, Ordering::Relaxed);
            return Err(AllocError::Injected);
        }
        let used = match self.grab() {
            Some(u) => u,
            None => match reclaim().then(|| self.grab()).flatten() {
                Some(u) => u,
                None => {
                    self.failed.fetch_add(1, Ordering::Relaxed);
                    return Err(AllocError::Exhausted);
                }
            },
        };
        self.allocated.fetch_max(used, Ordering::Relaxed);
        Ok(PoolSlot {
            pool: Arc::clone(self),
        })
    }

    /// Counts one more object in use unless the cap is reached; returns
    /// the new count.
    fn grab(&self) -> Option<usize> {
        match self.cap {
            None => Some(self.used.fetch_add(1, Ordering::Relaxed) + 1),
            Some(cap) => self
                .used
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                    (u < cap).then_some(u + 1)
                })
                .ok()
                .map(|prev| prev + 1),
        }
    }

    /// Whether the cap leaves fewer than `n` objects free.
    pub fn room_below(&self, n: usize) -> bool {
        self.cap
            .is_some_and(|cap| self.used.load(Ordering::Relaxed).saturating_add(n) > cap)
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            name: self.name,
            obj_size: self.obj_size,
            allocated: self.allocated.load(Ordering::Relaxed),
            used: self.used.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Proof that one object of a pool is in use; dropping it gives it back.
#[derive(Debug)]
pub struct PoolSlot {
    pool: Arc<Pool>,
}

impl PoolSlot {
    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        self.pool.used.fetch_sub(1, Ordering::Relaxed);
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    // Mix in a per-thread address so threads started together differ.
    let local = 0u8;
    t ^ ((&local as *const u8 as u64).rotate_left(32)) | 1
}

/// xorshift64*: fault injection needs cheap, not cryptographic, randomness.
fn random_percent() -> u32 {
    RNG.with(|r| {
        let mut x = r.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r.set(x);
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as u32 % 100
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_used_allocated_and_gives_back_on_drop() {
        let p = Pool::new("connection", 64, None, 0);
        let a = p.take().unwrap();
        let b = p.take().unwrap();
        assert_eq!(p.stats().used, 2);
        drop(a);
        assert_eq!(p.stats().used, 1);
        assert_eq!(p.stats().allocated, 2, "allocated keeps the peak");
        drop(b);
        assert_eq!(p.stats().used, 0);
    }

    #[test]
    fn cap_makes_allocation_fail_and_counts_failures() {
        let p = Pool::new("connection", 64, Some(1), 0);
        let a = p.take().unwrap();
        assert_eq!(p.take().unwrap_err(), AllocError::Exhausted);
        assert_eq!(p.stats().failed, 1);
        drop(a);
        assert!(p.take().is_ok(), "a freed slot can be taken again");
    }

    #[test]
    fn reclaim_frees_a_slot_for_one_more_try() {
        let p = Pool::new("connection", 64, Some(1), 0);
        let held = std::cell::RefCell::new(Some(p.take().unwrap()));
        // Nothing to reclaim: refused and counted.
        assert_eq!(
            p.take_or_reclaim(|| false).unwrap_err(),
            AllocError::Exhausted
        );
        assert_eq!(p.stats().failed, 1);
        // A reclaim that frees the held slot lets the take succeed, and
        // the first refusal is not counted as a failure.
        let got = p.take_or_reclaim(|| held.borrow_mut().take().is_some());
        assert!(got.is_ok());
        assert_eq!((p.stats().used, p.stats().failed), (1, 1));
        // A reclaim that claims success but frees nothing still fails.
        assert_eq!(
            p.take_or_reclaim(|| true).unwrap_err(),
            AllocError::Exhausted
        );
        assert_eq!(p.stats().failed, 2);
        assert!(p.room_below(1));
        drop(got);
        assert!(!p.room_below(1) && p.room_below(2));
    }

    #[test]
    fn fail_alloc_100_always_fails_0_never() {
        let always = Pool::new("stream", 64, None, 100);
        assert!((0..100).all(|_| always.take().is_err()));
        assert_eq!(always.stats().failed, 100);
        let never = Pool::new("stream", 64, None, 0);
        assert!((0..100).all(|_| never.take().is_ok()));
    }

    #[test]
    fn fail_alloc_50_fails_sometimes() {
        let p = Pool::new("stream", 64, None, 50);
        let fails = (0..1000).filter(|_| p.take().is_err()).count();
        assert!((300..700).contains(&fails), "{fails} failures out of 1000");
    }
}
