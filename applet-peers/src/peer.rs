//! Per-peer state kept across sessions (HAProxy's `struct peer` and
//! `struct shared_table`), and the flags of peers and sections.
//!
//! Flags use HAProxy 2.6's bit values so `show peers` can print them as 2.6
//! does.

use crate::dict::{DictRx, DictTx};
use crate::section::ConnId;
use crate::table_def::RemoteLayout;

/// Section flags (`PEERS_F_*`).
pub mod sflags {
    pub const RESYNC_LOCAL: u32 = 0x1;
    pub const RESYNC_REMOTE: u32 = 0x2;
    pub const RESYNC_ASSIGN: u32 = 0x4;
    pub const RESYNC_PROCESS: u32 = 0x8;
    pub const LOCAL_TIMEOUT: u32 = 0x10;
    pub const REMOTE_TIMEOUT: u32 = 0x20;
    pub const LOCAL_ABORT: u32 = 0x40;
    pub const REMOTE_ABORT: u32 = 0x80;
    pub const LOCAL_FINISHED: u32 = 0x100;
    pub const REMOTE_FINISHED: u32 = 0x200;
    pub const LOCAL_PARTIAL: u32 = 0x400;
    pub const REMOTE_PARTIAL: u32 = 0x800;
    pub const LOCAL_ASSIGN: u32 = 0x1000;
    pub const REMOTE_ASSIGN: u32 = 0x2000;
    pub const REQUESTED: u32 = 0x4000;
    pub const DONOTSTOP: u32 = 0x10000;
    /// Both resync phases over.
    pub const FINISHED: u32 = RESYNC_LOCAL | RESYNC_REMOTE;
}

/// Peer flags (`PEER_F_*`).
pub mod pflags {
    pub const TEACH_PROCESS: u32 = 0x1;
    pub const TEACH_FINISHED: u32 = 0x8;
    pub const TEACH_COMPLETE: u32 = 0x10;
    pub const LEARN_ASSIGN: u32 = 0x100;
    pub const LEARN_NOTUP2DATE: u32 = 0x200;
    pub const ALIVE: u32 = 0x2000_0000;
    pub const HEARTBEAT: u32 = 0x4000_0000;
    pub const DWNGRD: u32 = 0x8000_0000;
    /// Cleared when teaching restarts (`TEACH_COMPLETE` stays).
    pub const TEACH_RESET: u32 = TEACH_PROCESS | TEACH_FINISHED;
    pub const LEARN_RESET: u32 = LEARN_ASSIGN | LEARN_NOTUP2DATE;
}

/// Shared-table flags: teaching stages done.
pub const TEACH_STAGE1: u32 = 0x1;
pub const TEACH_STAGE2: u32 = 0x2;

/// A peer's view of one shared table (`struct shared_table`).
#[derive(Debug, Clone, Default)]
pub struct SharedTable {
    /// Our id for the table (sent in our definitions).
    pub local_id: u64,
    /// The peer's id for it (0: not defined by the peer).
    pub remote_id: u64,
    /// Teaching stages done.
    pub flags: u32,
    /// The peer's encoding, from its definition.
    pub remote: Option<RemoteLayout>,
    /// Last update id received, and the last one acknowledged.
    pub last_get: u32,
    pub last_acked: u32,
    /// Last update id pushed.
    pub last_pushed: u64,
    /// Position of a resync's start.
    pub teaching_origin: u64,
    /// The last update id the peer acknowledged: pushes resume after it.
    pub update: u64,
}

/// A remote (or the local) peer and its counters (`struct peer`).
#[derive(Debug, Clone)]
pub struct PeerState {
    pub name: String,
    /// The `peer` line naming this process.
    pub local: bool,
    pub flags: u32,
    /// Last status (see [`crate::hello::status`]).
    pub statuscode: u32,
    pub reconnect: Option<u64>,
    pub heartbeat: Option<u64>,
    /// Resync finished/partial messages to confirm.
    pub confirm: u32,
    pub last_hdshk: Option<u64>,
    pub rx_hbt: u32,
    pub tx_hbt: u32,
    pub no_hbt: u32,
    pub new_conn: u32,
    pub proto_err: u32,
    pub coll: u32,
    /// The current session.
    pub conn: Option<ConnId>,
    pub tables: Vec<SharedTable>,
    /// The peer's current table for updates (index of ours).
    pub remote_table: Option<usize>,
    /// The last table we defined to the peer.
    pub last_local_table: Option<usize>,
    pub(crate) dict_tx: DictTx,
    pub(crate) dict_rx: DictRx,
}
