//! HAProxy's frequency counter over a configurable period (`*_rate(p)`).
//!
//! Three 32-bit words, as in HAProxy 2.6's `struct freq_ctr`: the start of
//! the current period (`curr_tick`, wrapping milliseconds, bit 0 always
//! clear since HAProxy uses it as a lock bit), the events counted in the
//! current period and those of the previous one.
//!
//! Reading (`read_freq_ctr_period`) estimates the events over the last
//! period: all of the current period plus the previous period weighted by
//! the part of the current period that has not elapsed yet, with HAProxy's
//! anti-flapping rule for very low rates (no event in the current period
//! and at most one in the previous: report the previous count as is).
//!
//! The peers protocol carries a counter as three integers: milliseconds
//! since `curr_tick`, `curr_ctr`, `prev_ctr`; the receiver rebuilds
//! `curr_tick` from its own clock.
//!
//! Entries are updated under their shard's lock, so unlike HAProxy's
//! counters these are plain integers, not atomics.

/// Wrapping millisecond clock value as HAProxy's tickers use it.
pub fn tick(now_ms: u64) -> u32 {
    now_ms as u32
}

/// A frequency counter over a period known by its owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreqCtr {
    /// Start of the current period (wrapping ms, bit 0 clear).
    pub curr_tick: u32,
    /// Events in the current period.
    pub curr_ctr: u32,
    /// Events in the previous period.
    pub prev_ctr: u32,
}

impl FreqCtr {
    /// Adds `inc` events at `now_ms` for a counter over `period` ms and
    /// returns the current period's count (`update_freq_ctr_period`).
    pub fn update(&mut self, now_ms: u64, period: u32, inc: u32) -> u32 {
        let now = tick(now_ms);
        let period = period.max(1);
        if now.wrapping_sub(self.curr_tick) < period {
            self.curr_ctr = self.curr_ctr.wrapping_add(inc);
            return self.curr_ctr;
        }
        // rotate: the current period becomes the previous one
        self.prev_ctr = self.curr_ctr;
        self.curr_ctr = inc;
        let mut curr_tick = self.curr_tick.wrapping_add(period);
        if now.wrapping_sub(curr_tick) >= period {
            // at least two periods missed
            self.prev_ctr = 0;
            curr_tick = now;
        }
        self.curr_tick = curr_tick & !1;
        inc
    }

    /// The events over the last `period` ms at `now_ms`
    /// (`read_freq_ctr_period`).
    pub fn read(&self, now_ms: u64, period: u32) -> u32 {
        let period = period.max(1);
        let (curr, past, remain) = self.window(now_ms, period);
        if curr == 0 && past <= 1 {
            return past as u32;
        }
        let total = past * remain + curr * u64::from(period);
        (total / u64::from(period)) as u32
    }

    /// How many more events may happen at `now_ms` without exceeding `freq`
    /// per period, `pend` being already pending (`freq_ctr_remain_period`).
    pub fn remain(&self, now_ms: u64, period: u32, freq: u32, pend: u32) -> u32 {
        let period = period.max(1);
        let (curr, past, remain) = self.window(now_ms, period);
        let total = past * remain + (curr + u64::from(pend)) * u64::from(period);
        let avg = (total / u64::from(period)).min(u64::from(freq)) as u32;
        freq - avg
    }

    /// (current count, previous count, remaining ms of the current period)
    /// as `freq_ctr_total` sees them.
    fn window(&self, now_ms: u64, period: u32) -> (u64, u64, u64) {
        let now = tick(now_ms);
        let mut curr = u64::from(self.curr_ctr);
        let mut past = u64::from(self.prev_ctr);
        let mut remain = i64::from(self.curr_tick.wrapping_add(period).wrapping_sub(now) as i32);
        if remain < 0 {
            // past the current period: maybe part of it is still visible
            remain += i64::from(period);
            past = if remain >= 0 { curr } else { 0 };
            curr = 0;
        }
        (curr, past, remain.max(0) as u64)
    }

    /// `set table ... data.<rate> <v>`: the value becomes the current count
    /// of a period starting now, the previous period is cleared.
    pub fn set(&mut self, now_ms: u64, value: u32) {
        self.curr_tick = tick(now_ms) & !1;
        self.prev_ctr = 0;
        self.curr_ctr = value;
    }

    /// The counter in its peers-protocol form: (ms since the start of the
    /// current period, current count, previous count).
    pub fn to_wire(&self, now_ms: u64) -> (u32, u32, u32) {
        (
            tick(now_ms).wrapping_sub(self.curr_tick),
            self.curr_ctr,
            self.prev_ctr,
        )
    }

    /// Rebuilds a counter received from a peer at `now_ms` (the elapsed
    /// time is a 64-bit integer on the wire, used modulo 2^32 as HAProxy).
    pub fn from_wire(now_ms: u64, elapsed: u64, curr: u32, prev: u32) -> FreqCtr {
        FreqCtr {
            curr_tick: tick(now_ms).wrapping_sub(elapsed as u32) & !1,
            curr_ctr: curr,
            prev_ctr: prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u32 = 10_000;

    #[test]
    fn first_event_starts_a_period() {
        let mut f = FreqCtr::default();
        let t0 = 1_000_000;
        assert_eq!(f.update(t0, P, 1), 1);
        assert_eq!(f.curr_tick, tick(t0));
        assert_eq!((f.curr_ctr, f.prev_ctr), (1, 0));
        assert_eq!(f.update(t0 + 5, P, 2), 3);
        assert_eq!(f.read(t0 + 5, P), 3);
    }

    #[test]
    fn rotation_and_weighting() {
        let mut f = FreqCtr::default();
        let t0 = 2_000_000;
        for _ in 0..10 {
            f.update(t0, P, 1);
        }
        // next period, 2.5 s in: 1 new event; previous weighted by 75%
        f.update(t0 + 12_500, P, 1);
        assert_eq!(
            (f.curr_ctr, f.prev_ctr, f.curr_tick),
            (1, 10, tick(t0 + 10_000))
        );
        assert_eq!(f.read(t0 + 12_500, P), 1 + 10 * 7_500 / 10_000);
        // with no current event, the previous period fades
        let g = FreqCtr {
            curr_tick: tick(t0),
            curr_ctr: 0,
            prev_ctr: 10,
        };
        assert_eq!(g.read(t0 + 5_000, P), 5);
    }

    #[test]
    fn reads_after_the_period() {
        let f = FreqCtr {
            curr_tick: tick(1_000_000),
            curr_ctr: 10,
            prev_ctr: 4,
        };
        // within the period: 10 + 4 * remain/period
        assert_eq!(f.read(1_000_000, P), 14);
        // 4 s into the next period: current becomes past, weighted 60%
        assert_eq!(f.read(1_014_000, P), 6);
        // two periods later: nothing left
        assert_eq!(f.read(1_020_001, P), 0);
    }

    #[test]
    fn anti_flapping() {
        let f = FreqCtr {
            curr_tick: tick(1_000_000),
            curr_ctr: 0,
            prev_ctr: 1,
        };
        assert_eq!(f.read(1_009_999, P), 1);
        let f = FreqCtr {
            curr_tick: tick(1_000_000),
            curr_ctr: 1,
            prev_ctr: 0,
        };
        // current count 1 becomes "past" after the period: still 1 (<= 1)
        assert_eq!(f.read(1_010_500, P), 1);
    }

    #[test]
    fn missed_periods_reset() {
        let mut f = FreqCtr::default();
        f.update(1_000_000, P, 5);
        f.update(1_050_000, P, 1);
        assert_eq!(
            (f.curr_ctr, f.prev_ctr, f.curr_tick),
            (1, 0, tick(1_050_000))
        );
    }

    #[test]
    fn wrapping_clock() {
        let mut f = FreqCtr::default();
        let t0 = u64::from(u32::MAX) - 1_000; // wraps during the period
        f.update(t0, P, 3);
        assert_eq!(f.update(t0 + 5_000, P, 1), 4);
        assert_eq!(f.read(t0 + 5_000, P), 4);
    }

    #[test]
    fn remain_limits() {
        let f = FreqCtr {
            curr_tick: tick(1_000_000),
            curr_ctr: 7,
            prev_ctr: 0,
        };
        assert_eq!(f.remain(1_000_100, P, 10, 0), 3);
        assert_eq!(f.remain(1_000_100, P, 10, 5), 0);
    }

    #[test]
    fn wire_round_trip() {
        let f = FreqCtr {
            curr_tick: tick(1_000_000),
            curr_ctr: 2,
            prev_ctr: 1,
        };
        assert_eq!(f.to_wire(1_001_012), (1012, 2, 1));
        let g = FreqCtr::from_wire(5_001_012, 1012, 2, 1);
        assert_eq!(
            g,
            FreqCtr {
                curr_tick: tick(5_000_000),
                curr_ctr: 2,
                prev_ctr: 1
            }
        );
        // odd results lose bit 0 like HAProxy's
        assert_eq!(FreqCtr::from_wire(101, 0, 0, 0).curr_tick, 100);
    }

    #[test]
    fn set_value() {
        let mut f = FreqCtr {
            curr_tick: 4,
            curr_ctr: 9,
            prev_ctr: 9,
        };
        f.set(1_000_001, 3);
        assert_eq!(
            f,
            FreqCtr {
                curr_tick: tick(1_000_000),
                curr_ctr: 3,
                prev_ctr: 0
            }
        );
        assert_eq!(f.read(1_000_001, P), 3);
    }
}
