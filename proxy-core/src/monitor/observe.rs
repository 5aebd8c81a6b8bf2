//! `observe layer4|layer7`: live traffic as a health signal. Consecutive
//! errors up to `error-limit` trigger the server's `on-error` action, as
//! a check result with status `HANA`.

use std::sync::atomic::Ordering;

use super::transition::SrvRef;
use crate::check::CheckOutcome;
use crate::config::model_check::{Observe, OnError};
use crate::health::status::CheckStatus;
use crate::state::State;

/// What one stream saw of its server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Connected (layer 4 good).
    L4Ok,
    /// Could not connect (bad at both layers).
    L4Err,
    /// A response with a status the server is accountable for (layer 7).
    Status(u16),
    /// A broken or missing response (layer 7 bad).
    BadResponse,
}

impl Seen {
    /// HAProxy's analysis: `Some(true)` an error, `Some(false)` a success
    /// that clears the count, `None` not relevant at this layer.
    fn verdict(self, layer: Observe) -> Option<bool> {
        match (self, layer) {
            (Seen::L4Ok, Observe::Layer4) => Some(false),
            (Seen::L4Ok, Observe::Layer7) => None,
            (Seen::L4Err, _) => Some(true),
            (Seen::Status(_) | Seen::BadResponse, Observe::Layer4) => None,
            (Seen::Status(s), Observe::Layer7) => {
                // 501 and 505 answer what the client asked: not the
                // server's fault.
                Some(!(100..500).contains(&s) && s != 501 && s != 505)
            }
            (Seen::BadResponse, Observe::Layer7) => Some(true),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Seen::L4Ok => "L4 successful connection",
            Seen::L4Err => "L4 unsuccessful connection",
            Seen::Status(_) => "Wrong http response",
            Seen::BadResponse => "Invalid http response",
        }
    }
}

/// Feeds one observation about server `r`.
pub fn report(st: &State, r: SrvRef, seen: Seen) {
    let Some(s) = super::server_at(st, r) else {
        return;
    };
    let Some(layer) = s.health.cfg.observe else {
        return;
    };
    let Some(failed) = seen.verdict(layer) else {
        return;
    };
    let h = &s.health;
    if !failed {
        h.consecutive_errors.store(0, Ordering::Relaxed);
        return;
    }
    let n = h.consecutive_errors.fetch_add(1, Ordering::Relaxed) + 1;
    if n < h.cfg.error_limit {
        return;
    }
    let desc = format!(
        "Detected {n} consecutive errors, last one was: {}",
        seen.describe()
    );
    {
        let mut c = h.lock();
        c.check.fast_once = true;
        match h.cfg.on_error {
            OnError::FastInter => {}
            OnError::SuddenDeath => {
                if c.check.health > c.check.rise {
                    c.check.health = c.check.rise + 1;
                }
            }
            OnError::FailCheck => {}
            OnError::MarkDown => c.check.health = c.check.rise,
        }
    }
    if h.cfg.on_error != OnError::FastInter {
        super::task::apply(st, r, false, &CheckOutcome::new(CheckStatus::Hana, desc));
    }
    h.consecutive_errors.store(0, Ordering::Relaxed);
    h.hanafail.fetch_add(1, Ordering::Relaxed);
}
