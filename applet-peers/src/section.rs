//! A peers section as a sans-io state machine: its peers, their sessions,
//! and HAProxy 2.6's sync task (`process_peer_sync`): reconnects,
//! heartbeats, dead-peer detection, the start-up resync and the soft-stop
//! hand-over to a new local process.
//!
//! The host owns the sockets and the stick tables. It tells the section
//! what happens ([`PeersSection::accept`], [`PeersSection::receive`],
//! [`PeersSection::closed`], [`PeersSection::tick`]), collects bytes to
//! write with [`PeersSection::transmit`] and acts on [`Event`]s: open a
//! connection, close one, apply a learned update to a table. Local changes
//! are pulled from the host through [`TableSource`] when transmitting.
//!
//! Timers (ms): heartbeat 3000 (sent when a session had nothing to push for
//! that long), reconnect 5000 (a session whose peer sent nothing during a
//! whole reconnect period is dropped and retried after 50–2049 ms; a failed
//! connection is retried after 5000), resync 5000 (how long to wait for an
//! old local process, then for a remote peer, to teach the tables).
//!
//! The per-peer state and the flags are in [`crate::peer`].

use std::collections::{BTreeMap, VecDeque};

use crate::dict::{DictRx, DictTx};
use crate::hello::{self, status, HelloAcceptor};
pub use crate::peer::{pflags, sflags, PeerState, SharedTable, TEACH_STAGE1, TEACH_STAGE2};
use crate::table_def::TableDef;
use crate::update::{UpdateIn, Value};

pub const RESYNC_TIMEOUT: u64 = 5000;
pub const RECONNECT_TIMEOUT: u64 = 5000;
pub const HEARTBEAT_TIMEOUT: u64 = 3000;

/// A connection, named by the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// What the host must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Open a TCP connection to peer `peer` for `conn`, then
    /// [`PeersSection::transmit`] its hello.
    Connect { peer: usize, conn: ConnId },
    /// Write what [`PeersSection::transmit`] still returns, then close.
    Close { conn: ConnId },
    /// Apply a learned update to table `table` (local-only types removed).
    Apply { table: usize, update: UpdateIn },
    /// Peer `peer` finished teaching us and was up to date.
    ResyncFinished { peer: usize },
    /// Peer `peer` finished teaching us but was not up to date.
    ResyncPartial { peer: usize },
    /// The peer sent an error message (it closes next).
    PeerError { conn: ConnId, kind: u8 },
    /// Soft stop: the new local process has everything (or cannot be
    /// reached); this process may exit.
    StopReady,
}

/// The local tables, as the section reads them.
pub trait TableSource {
    /// Highest update id of local changes to table `t`.
    fn local_update(&self, t: usize) -> u64;
    /// Highest update id of all changes (local and learned).
    fn update(&self, t: usize) -> u64;
    /// Up to `max` entries with an update id in `(after, upto]`, ascending,
    /// learned ones only if `include_learned`.
    fn collect(
        &self,
        t: usize,
        after: u64,
        upto: u64,
        include_learned: bool,
        max: usize,
    ) -> Vec<OutEntry>;
}

/// A changed entry to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutEntry {
    pub id: u64,
    /// Key in wire form (see [`crate::update::UpdateOut::key`]).
    pub key: Vec<u8>,
    /// Remaining lifetime in ms.
    pub expire: u32,
    /// Values in the table definition's order, arrays expanded.
    pub values: Vec<Value>,
}

/// The section's configuration.
#[derive(Debug, Clone)]
pub struct SectionConfig {
    /// This process's peer name (`-L`, `localpeer`, hostname).
    pub local_name: String,
    /// Every `peer` of the section, the local one included.
    pub peers: Vec<String>,
    /// The shared tables; their ids become 1, 2, ... in this order.
    pub tables: Vec<TableDef>,
    pub pid: u32,
    /// An old process (`-sf`) may teach us on the local address first.
    pub old_process: bool,
    /// Largest message payload accepted.
    pub max_payload: usize,
    /// Bytes one [`PeersSection::transmit`] produces at most (roughly).
    pub max_output: usize,
    /// Entries asked from [`TableSource::collect`] at a time.
    pub batch: usize,
    /// Seed of the reconnect delay randomness.
    pub seed: u64,
}

impl SectionConfig {
    pub fn new(local_name: &str, peers: &[&str], tables: Vec<TableDef>) -> SectionConfig {
        SectionConfig {
            local_name: local_name.to_string(),
            peers: peers.iter().map(|s| s.to_string()).collect(),
            tables,
            pid: std::process::id(),
            old_process: false,
            max_payload: crate::msg::DEFAULT_MAX_PAYLOAD,
            max_output: 16384,
            batch: 512,
            seed: 0x2545_f491_4f6c_dd1d,
        }
    }
}

/// Where a connection is.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Accepting: reading the hello.
    Hello(HelloAcceptor),
    /// Connecting: hello sent, waiting for the status line.
    Status,
    Established,
    /// Ended: only pending output remains.
    Done,
}

#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) peer: Option<usize>,
    pub(crate) phase: Phase,
    pub(crate) inbuf: Vec<u8>,
    pub(crate) out: Vec<u8>,
}

/// A peers section.
#[derive(Debug)]
pub struct PeersSection {
    pub(crate) cfg: SectionConfig,
    /// Section flags ([`sflags`]).
    pub flags: u32,
    pub resync_timeout: Option<u64>,
    pub(crate) peers: Vec<PeerState>,
    pub(crate) conns: BTreeMap<ConnId, Conn>,
    next_conn: u64,
    pub(crate) events: VecDeque<Event>,
    rng: u64,
    pub(crate) stopping: bool,
}

pub(crate) fn expired(t: Option<u64>, now: u64) -> bool {
    t.is_some_and(|t| now >= t)
}

impl PeersSection {
    pub fn new(mut cfg: SectionConfig) -> PeersSection {
        for (i, t) in cfg.tables.iter_mut().enumerate() {
            t.id = i as u64 + 1;
        }
        let tables: Vec<SharedTable> = cfg
            .tables
            .iter()
            .map(|t| SharedTable {
                local_id: t.id,
                ..SharedTable::default()
            })
            .collect();
        let peers = cfg
            .peers
            .iter()
            .map(|name| PeerState {
                name: name.clone(),
                local: *name == cfg.local_name,
                flags: 0,
                statuscode: status::NONE,
                reconnect: None,
                heartbeat: None,
                confirm: 0,
                last_hdshk: None,
                rx_hbt: 0,
                tx_hbt: 0,
                no_hbt: 0,
                new_conn: 0,
                proto_err: 0,
                coll: 0,
                conn: None,
                tables: tables.clone(),
                remote_table: None,
                last_local_table: None,
                dict_tx: DictTx::new(),
                dict_rx: DictRx::new(),
            })
            .collect();
        let rng = cfg.seed | 1;
        PeersSection {
            cfg,
            flags: 0,
            resync_timeout: None,
            peers,
            conns: BTreeMap::new(),
            next_conn: 1,
            events: VecDeque::new(),
            rng,
            stopping: false,
        }
    }

    pub fn config(&self) -> &SectionConfig {
        &self.cfg
    }

    /// The peers, in configuration order.
    pub fn peers(&self) -> &[PeerState] {
        &self.peers
    }

    /// Whether the start-up resync is over (learned, or given up).
    pub fn resync_done(&self) -> bool {
        self.flags & sflags::FINISHED == sflags::FINISHED
    }

    /// The next event for the host.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// 50 to 2049 ms, the delay before reconnecting after killing a session.
    pub(crate) fn random_delay(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        50 + self.rng % 2000
    }

    /// An incoming connection on the local peer's address.
    pub fn accept(&mut self, _now: u64) -> ConnId {
        let id = self.new_conn_id();
        self.conns.insert(
            id,
            Conn {
                peer: None,
                phase: Phase::Hello(HelloAcceptor::new()),
                inbuf: Vec::new(),
                out: Vec::new(),
            },
        );
        id
    }

    /// The outgoing connection `conn` is established (status 110).
    pub fn connected(&mut self, conn: ConnId) {
        if let Some(p) = self.conns.get(&conn).and_then(|c| c.peer) {
            if self.peers[p].conn == Some(conn) && self.peers[p].statuscode == status::CONNECT {
                self.peers[p].statuscode = status::CONNECTED;
            }
        }
    }

    /// The host closed `conn` (peer EOF, error, or after a `Close` event).
    pub fn closed(&mut self, conn: ConnId, now: u64) {
        if self
            .conns
            .get(&conn)
            .is_some_and(|c| !matches!(c.phase, Phase::Done))
        {
            self.end_session(conn, now, false);
        }
        self.conns.remove(&conn);
    }

    fn new_conn_id(&mut self) -> ConnId {
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        id
    }

    /// Opens a session to peer `p` (`peer_session_create`).
    fn create_session(&mut self, p: usize, now: u64) {
        let id = self.new_conn_id();
        let peer = &mut self.peers[p];
        peer.new_conn += 1;
        peer.reconnect = Some(now + RECONNECT_TIMEOUT);
        peer.heartbeat = None;
        peer.statuscode = status::CONNECT;
        peer.last_hdshk = Some(now);
        peer.conn = Some(id);
        let downgrade = peer.flags & pflags::DWNGRD != 0;
        let out = hello::build_hello(&peer.name, &self.cfg.local_name, self.cfg.pid, downgrade);
        self.conns.insert(
            id,
            Conn {
                peer: Some(p),
                phase: Phase::Status,
                inbuf: Vec::new(),
                out,
            },
        );
        self.events.push_back(Event::Connect { peer: p, conn: id });
    }

    /// Ends a session: releases the peer (`__peer_session_deinit`), keeps
    /// the pending output, and asks the host to close if `notify`.
    pub(crate) fn end_session(&mut self, conn: ConnId, now: u64, notify: bool) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if matches!(c.phase, Phase::Done) {
            return;
        }
        c.phase = Phase::Done;
        let peer = c.peer;
        if let Some(p) = peer {
            if self.peers[p].conn == Some(conn) {
                self.deinit(p, now);
            }
            self.peers[p].flags &= !pflags::ALIVE;
        }
        if notify {
            self.events.push_back(Event::Close { conn });
        }
    }

    fn deinit(&mut self, p: usize, now: u64) {
        let peer = &mut self.peers[p];
        peer.dict_tx.flush();
        peer.dict_rx.flush();
        peer.remote_table = None;
        peer.last_local_table = None;
        peer.conn = None;
        if peer.flags & pflags::LEARN_ASSIGN != 0 {
            peer.flags &= !pflags::LEARN_ASSIGN;
            self.flags &= !(sflags::RESYNC_ASSIGN | sflags::RESYNC_PROCESS);
            self.flags |= if peer.local {
                sflags::LOCAL_ABORT
            } else {
                sflags::REMOTE_ABORT
            };
            self.resync_timeout = Some(now + RESYNC_TIMEOUT);
        }
        peer.flags &= !(pflags::TEACH_RESET | pflags::LEARN_RESET);
    }

    /// Kills peer `p`'s session (`peer_session_forceshutdown`).
    pub(crate) fn force_shutdown(&mut self, p: usize, now: u64) {
        if let Some(c) = self.peers[p].conn {
            self.end_session(c, now, true);
        }
    }

    /// The sync task: run it when [`PeersSection::next_wakeup`] is due, and
    /// after events (it is cheap).
    pub fn tick(&mut self, now: u64, src: &dyn TableSource) {
        if self.stopping {
            self.tick_stopping(now);
            return;
        }
        use sflags::*;
        if self.resync_timeout.is_none() {
            self.resync_timeout = Some(now + RESYNC_TIMEOUT);
        }
        if self.flags & FINISHED == 0
            && (!self.cfg.old_process || expired(self.resync_timeout, now))
            && self.flags & RESYNC_ASSIGN == 0
        {
            self.flags |= RESYNC_LOCAL | LOCAL_TIMEOUT;
            self.resync_timeout = Some(now + RESYNC_TIMEOUT);
        }
        for p in 0..self.peers.len() {
            if self.peers[p].local {
                continue;
            }
            let ps = &self.peers[p];
            if ps.conn.is_none() {
                let retry = matches!(
                    ps.statuscode,
                    status::CONNECT | status::SUCCESS | status::CONNECTED
                );
                if ps.statuscode == status::NONE || (retry && expired(ps.reconnect, now)) {
                    self.create_session(p, now);
                }
                continue;
            }
            if ps.statuscode != status::SUCCESS {
                continue;
            }
            if self.flags & FINISHED == RESYNC_LOCAL
                && self.flags & RESYNC_ASSIGN == 0
                && ps.flags & pflags::LEARN_NOTUP2DATE == 0
            {
                self.peers[p].flags |= pflags::LEARN_ASSIGN;
                self.flags |= RESYNC_ASSIGN | REMOTE_ASSIGN;
                continue;
            }
            let to_push = ps
                .tables
                .iter()
                .enumerate()
                .any(|(t, st)| st.last_pushed != src.local_update(t));
            if to_push {
                let ps = &mut self.peers[p];
                ps.flags &= !pflags::HEARTBEAT;
                ps.heartbeat = Some(now + HEARTBEAT_TIMEOUT);
            } else if expired(ps.reconnect, now) {
                if ps.flags & pflags::ALIVE != 0 {
                    let ps = &mut self.peers[p];
                    ps.flags &= !pflags::ALIVE;
                    ps.reconnect = Some(now + RECONNECT_TIMEOUT);
                } else {
                    let delay = self.random_delay();
                    let ps = &mut self.peers[p];
                    ps.reconnect = Some(now + delay);
                    ps.heartbeat = None;
                    ps.no_hbt += 1;
                    self.force_shutdown(p, now);
                }
            } else if expired(ps.heartbeat, now) {
                let ps = &mut self.peers[p];
                ps.heartbeat = Some(now + HEARTBEAT_TIMEOUT);
                ps.flags |= pflags::HEARTBEAT;
            }
        }
        if self.flags & FINISHED == RESYNC_LOCAL
            && self.flags & RESYNC_ASSIGN == 0
            && expired(self.resync_timeout, now)
        {
            self.flags |= RESYNC_REMOTE | REMOTE_TIMEOUT;
        }
    }

    /// Soft stop (`-sf`): drops the remote sessions and hands the tables
    /// over to the new process through the local peer; [`Event::StopReady`]
    /// follows when done.
    pub fn soft_stop(&mut self, now: u64) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.flags |= sflags::DONOTSTOP;
        for p in 0..self.peers.len() {
            let delay = self.random_delay();
            self.peers[p].reconnect = Some(now + delay);
            self.force_shutdown(p, now);
        }
        self.tick_stopping(now);
    }

    pub(crate) fn tick_stopping(&mut self, now: u64) {
        if self.flags & sflags::DONOTSTOP == 0 {
            return;
        }
        let Some(p) = self.peers.iter().position(|p| p.local) else {
            self.flags &= !sflags::DONOTSTOP;
            self.events.push_back(Event::StopReady);
            return;
        };
        let ps = &self.peers[p];
        if ps.flags & pflags::TEACH_COMPLETE != 0 {
            self.flags &= !sflags::DONOTSTOP;
            self.events.push_back(Event::StopReady);
        } else if ps.conn.is_none() {
            let again = matches!(
                ps.statuscode,
                status::NONE | status::SUCCESS | status::CONNECTED | status::TRY_AGAIN
            );
            if again {
                self.create_session(p, now);
            } else {
                self.flags &= !sflags::DONOTSTOP;
                self.events.push_back(Event::StopReady);
            }
        }
    }

    /// When [`PeersSection::tick`] should run next.
    pub fn next_wakeup(&self) -> Option<u64> {
        let mut t: Option<u64> = None;
        let mut add = |x: Option<u64>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        if !self.resync_done() {
            add(self.resync_timeout);
        }
        for p in self.peers.iter().filter(|p| !p.local) {
            add(p.reconnect);
            if p.conn.is_some() {
                add(p.heartbeat);
            }
        }
        t
    }
}
