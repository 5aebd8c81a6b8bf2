//! Stick tables, as HAProxy 2.6 has them.
//!
//! A stick table maps keys (client addresses, integers, strings, binary
//! blobs) to entries holding counters, rates and a server reference; rules
//! look entries up on the request path (`stick on`, `track-sc0`, fetches
//! such as `src_conn_rate`) and peers sections replicate them between
//! instances.
//!
//! - [`key`]: key types and their normalisation and text forms.
//! - [`data`]: data types (HAProxy's ids and names), values and the
//!   per-table layout of an entry's values.
//! - [`store`]: `store` lists.
//! - [`freq`]: HAProxy's frequency counter over a period.
//! - [`conf`]: a table's configuration and its `stick-table` / `table`
//!   declaration parser.
//! - [`entry`]: an entry and the accessor rules use to change it.
//! - [`table`]: the sharded table: lookup, creation, eviction, expiry
//!   (the concurrency design is described there).
//! - [`replicate`]: update numbering, changes to push to peers, learned
//!   updates.
//! - [`show`]: `show table`, `clear table`, `set table`.
//!
//! Clocks: every time-dependent call takes `now_ms`, a monotonic
//! millisecond clock chosen by the caller (the tables keep no clock of
//! their own, which keeps them deterministic under test); frequency
//! counters use its low 32 bits as HAProxy's wrapping ticks.
//!
//! ```
//! use proxy_core::stick::{DataType, Key, KeyType, StickTable, TableConfig};
//!
//! let (conf, _) = TableConfig::parse_proxy(
//!     "be",
//!     &["stick-table", "type", "ip", "size", "1k", "expire", "30s", "store", "gpc0,conn_rate(10s)"],
//! )
//! .unwrap();
//! let t = StickTable::new(conf);
//! let k = Key::Ip([127, 0, 0, 1]);
//! let now = 1_000_000;
//! t.update_local(k.clone(), now, |e| e.add(DataType::ConnRate, 0, 1)).unwrap();
//! assert_eq!(t.lookup(&k, now, |e| e.read(DataType::ConnRate, 0)), Some(Some(1)));
//! ```

pub mod conf;
pub mod data;
pub mod entry;
pub mod freq;
pub mod key;
pub mod replicate;
mod shard;
pub mod show;
pub mod store;
pub mod table;
pub mod view;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_show;

use std::sync::Arc;

pub use conf::{SrvKey, TableConfig};
pub use data::{DataLayout, DataType, DataValue, StdType, StoreSpec};
pub use entry::{Entry, EntryMut};
pub use freq::FreqCtr;
pub use key::{Key, KeyKind, KeyType};
pub use replicate::{RemoteData, RemoteValue, ReplicaEntry};
pub use table::{EntryRef, InUse, StickTable, TableFull};

/// All the tables of a configuration, in HAProxy's `show table` order
/// (the last declared first).
#[derive(Debug, Default, Clone)]
pub struct StickTables {
    list: Vec<Arc<StickTable>>,
}

impl StickTables {
    pub fn new() -> StickTables {
        StickTables::default()
    }

    /// Adds a table declared after the ones already there.
    pub fn register(&mut self, t: Arc<StickTable>) {
        self.list.insert(0, t);
    }

    /// The table named `name` (`be`, `mypeers/t1`).
    pub fn find(&self, name: &str) -> Option<&Arc<StickTable>> {
        self.list.iter().find(|t| t.name() == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<StickTable>> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
