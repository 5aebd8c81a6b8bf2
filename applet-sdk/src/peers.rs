//! What a peers applet needs from the host: the configuration of a peers
//! section, its shared stick tables in wire form, outgoing peer streams,
//! and a way to wake another stream's applet.
//!
//! The host owns the sockets and the stick tables; a peers applet owns the
//! protocol. The host runs three kinds of instances of a
//! [`ServiceKind::PEERS`](crate::ServiceKind::PEERS) service, told apart by
//! their arguments:
//!
//! * `[<section>, "sync"]`: one per section, attached to no socket: the
//!   section's timer task. It is called when the timer it asked for fires,
//!   when a table of the section changed locally, and when woken
//!   ([`Host::wake`](crate::Host::wake)); its input is always empty and it must not write.
//!   When the process stops softly (a new process started with `-sf`),
//!   the host calls it with its input *closed*: it hands the tables over
//!   to the new process through the local peer and returns
//!   [`Wait::DONE`](crate::Wait::DONE) once done; the process exits after
//!   that (the host bounds the wait).
//! * `[<section>, "accept"]`: a connection accepted on the local peer's
//!   address, the applet on the stream's server side (si\[1\]): no server
//!   connection is ever made for it.
//! * `[<section>, "connect", <peer>, <token>]`: a stream the host opened for
//!   [`Host::peer_connect`](crate::Host::peer_connect), the applet on the client side (si\[0\]) and a
//!   connection to the peer on the server side (si\[1\]). The first call
//!   comes once the connection is established (input open) or failed
//!   (input closed and empty).
//!
//! Tables are named as the CLI names them (`be`, `mypeers/t1`). Keys and
//! values travel in the peers protocol's own forms, so an applet never
//! needs the host's stick-table types: a key is the wire key (string bytes
//! without NUL, an integer as 4 big-endian bytes, IPv4/IPv6/binary as their
//! raw `key_len` bytes), values follow the table's data types in id order
//! with arrays expanded.
//!
//! Every type here is `#[repr(C)]`; kinds that may grow are integer
//! newtypes.

use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};

/// One peer of a section.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub name: RString,
    /// `ip:port`; for the local peer, the address it listens on.
    pub addr: RString,
    /// This process's own peer.
    pub local: bool,
}

/// The parameters of one stored data type (HAProxy 2.6's ids).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDataInfo {
    /// The data type id (`server_id` 0 ... `gpc_rate` 24).
    pub id: u8,
    /// Array elements (1 for non-array types).
    pub nbelem: u32,
    /// Period in ms of frequency counters, 0 otherwise.
    pub period: u32,
}

/// A stick table shared by a peers section.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct SharedTableInfo {
    /// The table's name on the CLI (`be`, `mypeers/t1`).
    pub name: RString,
    /// The name peers use on the wire (`be`, `/t1`).
    pub net_name: RString,
    /// Peers key type: 2 integer, 4 IPv4, 5 IPv6, 6 string, 7 binary.
    pub key_type: u32,
    /// Key length as the protocol states it (string: `len` + 1).
    pub key_len: u32,
    /// The table's `expire` in ms (0: none).
    pub expire_ms: u32,
    /// Stored data types, in id order.
    pub data: RVec<TableDataInfo>,
}

/// A peers section as configured.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PeersSectionInfo {
    pub name: RString,
    /// This process's peer name (`-L`, `localpeer`, host name).
    pub local_peer: RString,
    /// Every peer, the local one included, in configuration order.
    pub peers: RVec<PeerInfo>,
    /// The shared tables, in declaration order.
    pub tables: RVec<SharedTableInfo>,
    /// The process id to announce in hellos.
    pub pid: u32,
    /// Largest message the host accepts (`tune.bufsize`).
    pub max_message: u32,
    /// This process replaces an older one (`-sf`), which may connect on
    /// the local peer's address to hand its tables over.
    pub old_process: bool,
}

/// The kind of a [`PeerValue`].
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerValueKind(pub u8);

impl PeerValueKind {
    /// An integer in `a` (signed types sign-extended to 64 bits).
    pub const INT: PeerValueKind = PeerValueKind(1);
    /// A frequency counter: `a` ms since its current period started, `b`
    /// the current period's count, `c` the previous one's.
    pub const FREQ: PeerValueKind = PeerValueKind(2);
    /// A dictionary string (`server_key`) in `text`; `None`: no value
    /// (received: leave the stored one alone).
    pub const DICT: PeerValueKind = PeerValueKind(3);
}

/// One element of a data type.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PeerValue {
    pub kind: PeerValueKind,
    pub a: u64,
    pub b: u64,
    pub c: u64,
    pub text: ROption<RString>,
}

impl PeerValue {
    pub fn int(v: u64) -> PeerValue {
        PeerValue {
            kind: PeerValueKind::INT,
            a: v,
            b: 0,
            c: 0,
            text: ROption::RNone,
        }
    }

    pub fn freq(elapsed: u64, curr: u64, prev: u64) -> PeerValue {
        PeerValue {
            kind: PeerValueKind::FREQ,
            a: elapsed,
            b: curr,
            c: prev,
            text: ROption::RNone,
        }
    }

    pub fn dict(text: Option<&str>) -> PeerValue {
        PeerValue {
            kind: PeerValueKind::DICT,
            a: 0,
            b: 0,
            c: 0,
            text: text.map(RString::from).into(),
        }
    }
}

/// A changed entry to push to peers.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PeerEntry {
    /// The entry's update id (its low 32 bits go on the wire).
    pub id: u64,
    /// The key in wire form (see the module docs).
    pub key: RVec<u8>,
    /// Remaining lifetime in ms.
    pub expire_ms: u32,
    /// Changed locally (`false`: learned from a peer).
    pub local: bool,
    /// The values of the table's data types in id order, arrays expanded.
    pub values: RVec<PeerValue>,
}

/// One update of a [`PeerUpdates`] batch: where its key and values end.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerUpdateItem {
    /// End of its key in [`PeerUpdates::keys`] (it starts where the
    /// previous one ends).
    pub key_end: u32,
    /// End of its values in [`PeerUpdates::values`].
    pub values_end: u32,
    /// Remaining lifetime in ms, if `has_expire` (else the table's own).
    pub expire_ms: u32,
    pub has_expire: bool,
}

/// One learned value: data type `id`, element `index` (0 unless an array).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PeerUpdateValue {
    pub id: u8,
    pub index: u32,
    pub value: PeerValue,
}

/// Updates learned from a peer, flattened so that a batch of thousands
/// crosses the boundary in three buffers (no allocation per update).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerUpdates {
    /// The wire keys, one after the other.
    pub keys: RVec<u8>,
    pub items: RVec<PeerUpdateItem>,
    /// The values, update after update (only types the local table also
    /// stores).
    pub values: RVec<PeerUpdateValue>,
}

impl PeerUpdates {
    /// Appends one update.
    pub fn push(
        &mut self,
        key: &[u8],
        expire_ms: Option<u32>,
        values: impl IntoIterator<Item = PeerUpdateValue>,
    ) {
        self.keys.extend_from_slice(key);
        self.values.extend(values);
        self.items.push(PeerUpdateItem {
            key_end: self.keys.len() as u32,
            values_end: self.values.len() as u32,
            expire_ms: expire_ms.unwrap_or(0),
            has_expire: expire_ms.is_some(),
        });
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every update: its key, expiry and values (out-of-range offsets give
    /// empty slices, never a panic).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<u32>, &[PeerUpdateValue])> + '_ {
        let (mut k0, mut v0) = (0usize, 0usize);
        self.items.iter().map(move |it| {
            let (k1, v1) = (it.key_end as usize, it.values_end as usize);
            let key = self.keys.get(k0..k1).unwrap_or(&[]);
            let values = self.values.get(v0..v1).unwrap_or(&[]);
            (k0, v0) = (k1.max(k0), v1.max(v0));
            (key, it.has_expire.then_some(it.expire_ms), values)
        })
    }
}

/// A table's update counters.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableMarks {
    /// The last update id given to a local change.
    pub local_update: u64,
    /// The last update id given to any change (local or learned).
    pub update: u64,
}

/// One shared table as a peer session sees it, for `show peers`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerTableStatus {
    pub local_id: u64,
    pub remote_id: u64,
    pub flags: u32,
    pub remote_data: u64,
    pub last_acked: u64,
    pub last_pushed: u64,
    pub last_get: u64,
    pub teaching_origin: u64,
    pub update: u64,
}

/// One peer's state, for `show peers`. Times are ms relative to now
/// (negative: in the past), `None` for never.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PeerStatus {
    pub name: RString,
    /// A session exists.
    pub active: bool,
    /// `show peers`' `last_status` code (0, 100, 110, 200, 300, 501..504).
    pub status: u32,
    pub last_hdshk: ROption<i64>,
    pub reconnect: ROption<i64>,
    pub heartbeat: ROption<i64>,
    pub confirm: u32,
    pub tx_hbt: u32,
    pub rx_hbt: u32,
    pub no_hbt: u32,
    pub new_conn: u32,
    pub proto_err: u32,
    pub coll: u32,
    pub flags: u32,
    /// The session's stream (`show sess` id), 0 without one.
    pub stream_id: u64,
    /// The table (1-based index into `tables`) the peer's updates go to
    /// now, 0 for none.
    pub remote_table: u32,
    /// The table last defined to the peer, 0 for none.
    pub last_local_table: u32,
    pub tables: RVec<PeerTableStatus>,
}

/// A section's state, for `show peers`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct SectionStatus {
    pub flags: u32,
    pub resync_timeout: ROption<i64>,
    pub task_calls: u64,
    /// In configuration order.
    pub peers: RVec<PeerStatus>,
}
