//! The per-connection `server_key` dictionary cache (HAProxy's `dcache`).
//!
//! `server_key` values (server names or addresses) repeat a lot, so a
//! sender numbers the strings it sends on a connection: the first time a
//! string goes out it is sent with a cache id (1-based on the wire), later
//! only the id. The sender's cache has 128 slots filled in turn (the slot
//! after the last one filled is reused next, whatever it held); the
//! receiver stores each (id, string) it receives and resolves bare ids from
//! it. Both caches are emptied when the session ends.

/// Slots in a cache (`PEER_STKT_CACHE_MAX_ENTRIES`).
pub const CACHE_ENTRIES: usize = 128;

/// The sending side's cache.
#[derive(Debug, Clone)]
pub struct DictTx {
    slots: Vec<Option<String>>,
    next: usize,
}

impl Default for DictTx {
    fn default() -> Self {
        DictTx {
            slots: vec![None; CACHE_ENTRIES],
            next: 0,
        }
    }
}

impl DictTx {
    pub fn new() -> DictTx {
        DictTx::default()
    }

    /// The slot of `value` (0-based) and whether it was already sent; a new
    /// value takes the next slot in turn.
    pub fn lookup_or_insert(&mut self, value: &str) -> (usize, bool) {
        if let Some(i) = self.slots.iter().position(|s| s.as_deref() == Some(value)) {
            return (i, true);
        }
        let i = self.next;
        self.slots[i] = Some(value.to_string());
        self.next = (self.next + 1) % CACHE_ENTRIES;
        (i, false)
    }

    pub fn flush(&mut self) {
        *self = DictTx::default();
    }
}

/// The receiving side's cache.
#[derive(Debug, Clone)]
pub struct DictRx {
    slots: Vec<Option<String>>,
}

impl Default for DictRx {
    fn default() -> Self {
        DictRx {
            slots: vec![None; CACHE_ENTRIES],
        }
    }
}

impl DictRx {
    pub fn new() -> DictRx {
        DictRx::default()
    }

    /// The string of wire id `id` (1-based), if known.
    pub fn get(&self, id: u64) -> Option<&str> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        self.slots.get(i)?.as_deref()
    }

    /// Stores the string of wire id `id`; `false` if the id is out of range.
    pub fn set(&mut self, id: u64, value: String) -> bool {
        let slot = usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.slots.get_mut(i));
        match slot {
            Some(s) => {
                *s = Some(value);
                true
            }
            None => false,
        }
    }

    pub fn flush(&mut self) {
        *self = DictRx::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_round_robin() {
        let mut d = DictTx::new();
        assert_eq!(d.lookup_or_insert("s1"), (0, false));
        assert_eq!(d.lookup_or_insert("s2"), (1, false));
        assert_eq!(d.lookup_or_insert("s1"), (0, true));
        for i in 2..CACHE_ENTRIES {
            assert_eq!(d.lookup_or_insert(&format!("x{i}")), (i, false));
        }
        // full: the oldest slot is reused
        assert_eq!(d.lookup_or_insert("new"), (0, false));
        assert_eq!(d.lookup_or_insert("s1"), (1, false));
        d.flush();
        assert_eq!(d.lookup_or_insert("s2"), (0, false));
    }

    #[test]
    fn rx() {
        let mut d = DictRx::new();
        assert_eq!(d.get(1), None);
        assert!(d.set(1, "s1".into()));
        assert!(d.set(128, "last".into()));
        assert!(!d.set(129, "x".into()));
        assert!(!d.set(0, "x".into()));
        assert_eq!(
            (d.get(1), d.get(128), d.get(0), d.get(129)),
            (Some("s1"), Some("last"), None, None)
        );
        d.flush();
        assert_eq!(d.get(1), None);
    }
}
