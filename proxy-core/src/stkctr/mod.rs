//! Stick tables at run time: the tables built from the configuration,
//! the counters a stream tracks, the stick-table fetches, persistence, and
//! expiry. The tables themselves are [`crate::stick`] (sharded, one short
//! lock per operation, so threads do not serialise on the request path).
//!
//! - [`TableSet`]: every table of the configuration, by index (the rules
//!   were resolved to these indexes) and in `show table` order.
//! - [`track`]: [`Trackers`], the `sc0`..`sc2` counters of a client
//!   connection (`tcp-request connection`) and of its current stream
//!   (`tcp-request content`, `http-request`), and what updates them:
//!   connections, sessions, HTTP requests and errors, bytes; a tracked
//!   entry is referenced until the stream (or the connection) ends, when
//!   its `conn_cur` goes down again.
//! - [`key`]: turning a fetched sample into a table key.
//! - [`eval`]: the values of `src_*`, `sc*_*`, `table_*`, `in_table`.
//! - [`persist`]: `stick match|on|store-request`.
//! - [`rules`]: running `tcp-request connection|content` and the
//!   stick-table actions of `http-request`.
//!
//! Clock: [`crate::counters::now_ms`], shared by every thread. Expiry
//! runs as [`TableSet::purge`] calls from a task of the runtime.

pub mod eval;
pub mod key;
pub mod persist;
pub mod rules;
pub mod track;

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::stick::{StickTable, StickTables};

pub use eval::StickEnv;
pub use track::{Tracked, Trackers};

/// The run time's stick tables.
#[derive(Debug, Default)]
pub struct TableSet {
    /// By configuration index ([`Config::tables`]).
    pub list: Vec<Arc<StickTable>>,
    /// The same tables in `show table` order (the last declared first).
    pub registry: StickTables,
}

impl TableSet {
    /// One table per declaration of `cfg`.
    pub fn build(cfg: &Config) -> TableSet {
        let mut set = TableSet::default();
        for d in &cfg.tables {
            let mut t = StickTable::new(d.conf.clone());
            // A table of a disabled peers section is not replicated.
            let replicated = d
                .conf
                .peers
                .as_deref()
                .and_then(|p| cfg.peers.iter().find(|s| s.name == p))
                .is_some_and(|s| !s.disabled);
            t.set_track_updates(replicated);
            let t = Arc::new(t);
            set.registry.register(t.clone());
            set.list.push(t);
        }
        set
    }

    pub fn get(&self, idx: usize) -> Option<&Arc<StickTable>> {
        self.list.get(idx)
    }

    /// The table named `name` (`be`, `mypeers/t1`).
    pub fn find(&self, name: &str) -> Option<&Arc<StickTable>> {
        self.list.iter().find(|t| t.name() == name)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Removes the expired entries of every table; returns the delay
    /// until the next one is due (clamped to `min..=max`).
    pub fn purge(&self, now_ms: u64, min: Duration, max: Duration) -> Duration {
        let mut next: Option<u64> = None;
        for t in &self.list {
            t.purge_expired(now_ms);
            if let Some(n) = t.next_expiry() {
                next = Some(next.map_or(n, |m| m.min(n)));
            }
        }
        let wait = next.map_or(max, |n| Duration::from_millis(n.saturating_sub(now_ms)));
        wait.clamp(min, max)
    }
}
