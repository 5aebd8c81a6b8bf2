//! A peers section at run time: the [`PeersSection`] state machine shared
//! by every instance of the `peers` service that serves the section (its
//! sync task, accepted and outgoing sessions), the bytes waiting for each
//! session's stream, and what the section asks of the host.
//!
//! Runtimes live in a process-wide registry keyed by (local peer name,
//! section name), created on first use from the host's description of the
//! section. Every instance holds the section's runtime through an `Arc` and
//! locks it for the duration of a call.
//!
//! After each call into the section the runtime acts on its [`Event`]s:
//! opens streams to peers ([`Host::peer_connect`]), marks sessions to close,
//! batches learned updates and applies them with one
//! [`Host::table_apply`] per table at the end of the call, and wakes the
//! streams of other sessions that got output or must close. The section's
//! state is published for `show peers` ([`Host::peers_status`]) at the end
//! of every call, its times relative to the host's clock at that moment.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use applet_sdk::abi_stable::std_types::{ROption, RVec};
use applet_sdk::peers::{
    PeerStatus, PeerTableStatus, PeerUpdates, PeersSectionInfo, SectionStatus,
};
use applet_sdk::{applet_info, applet_warn, Host};

use crate::hello::status;
use crate::section::{ConnId, Event, PeersSection, RECONNECT_TIMEOUT};
use crate::source::{push_update, section_config, HostSource};

/// A session's stream gets more bytes only while fewer than this wait.
pub const OUTBOX_LIMIT: usize = 16 * 1024;
/// The longest timer an instance asks for: the sync task runs at least
/// this often, which bounds how late a reconnect or heartbeat can be.
pub const MAX_TIMER_MS: u64 = 1000;
/// The timer asked for when the section's next wake-up is already past
/// after a tick (a timer the section waits on something else for).
const STALE_TIMER_MS: u64 = 100;
/// An outgoing session still without a status line after this long is
/// given up (the host's connect timeout should end it first).
pub const HANDSHAKE_TIMEOUT: u64 = 2 * RECONNECT_TIMEOUT;

/// A session's stream, as the runtime knows it.
#[derive(Debug, Default)]
pub struct ConnIo {
    /// The stream's id (`show sess`), once known.
    pub stream: Option<u64>,
    /// Bytes for the stream, not written yet.
    pub out: Vec<u8>,
    /// The section ended the session: write `out`, then close.
    pub closing: bool,
    /// Wake the stream at the end of the current call.
    wake: bool,
}

/// One peers section shared by its instances.
pub struct Runtime {
    /// The section's name, for host calls.
    name: String,
    pub section: PeersSection,
    /// The tables' CLI names, in the section's order.
    tables: Vec<String>,
    pub conns: BTreeMap<ConnId, ConnIo>,
    task_calls: u64,
    /// Learned updates not applied yet, per table.
    applies: Vec<PeerUpdates>,
    /// The process stops softly: the tables go to the new process.
    stopping: bool,
    /// The hand-over is over (done, or impossible): the sync task ends.
    pub stop_ready: bool,
}

type Registry = BTreeMap<(String, String), Arc<Mutex<Runtime>>>;

static REGISTRY: Mutex<Registry> = Mutex::new(BTreeMap::new());

/// The runtime of section `info` (created on first use).
pub fn runtime_for(info: &PeersSectionInfo, now: u64) -> Arc<Mutex<Runtime>> {
    let key = (info.local_peer.to_string(), info.name.to_string());
    let mut reg = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(
        reg.entry(key)
            .or_insert_with(|| Arc::new(Mutex::new(Runtime::new(info, now)))),
    )
}

/// Locks a runtime, whatever a panicking call left behind.
pub fn lock(rt: &Mutex<Runtime>) -> MutexGuard<'_, Runtime> {
    rt.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `t` relative to `now`, in ms.
fn rel(t: Option<u64>, now: u64) -> ROption<i64> {
    t.map(|t| {
        let d = i128::from(t) - i128::from(now);
        i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
    })
    .into()
}

impl Runtime {
    pub fn new(info: &PeersSectionInfo, now: u64) -> Runtime {
        let seed = info
            .local_peer
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
            ^ (u64::from(info.pid) << 32)
            ^ now;
        let tables: Vec<String> = info.tables.iter().map(|t| t.name.to_string()).collect();
        Runtime {
            name: info.name.to_string(),
            section: PeersSection::new(section_config(info, seed)),
            applies: vec![PeerUpdates::default(); tables.len()],
            tables,
            conns: BTreeMap::new(),
            task_calls: 0,
            stopping: false,
            stop_ready: false,
        }
    }

    /// Soft stop: drops the remote sessions and hands the tables over to
    /// the new process through the local peer (once).
    pub fn soft_stop(&mut self, host: Host, now: u64) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        applet_info!(
            host,
            "peers {}: stopping, handing the tables over to the new process",
            self.name
        );
        self.section.soft_stop(now);
        self.process(host, now, None);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The session `conn` is known to the section and has a stream.
    pub fn is_open(&self, conn: ConnId) -> bool {
        self.section.conns.contains_key(&conn) && self.conns.contains_key(&conn)
    }

    /// The sync task's call: runs the section's timers, fills every
    /// session's output, wakes the streams that have some, publishes the
    /// state. Returns the timer to ask for.
    pub fn sync_call(&mut self, host: Host, now: u64) -> u64 {
        self.task_calls += 1;
        self.give_up_handshakes(host, now);
        let src = HostSource {
            host,
            tables: &self.tables,
        };
        self.section.tick(now, &src);
        self.process(host, now, None);
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for c in ids {
            self.fill(host, c, now, true);
        }
        self.wake_others(host, None);
        self.publish(host, now);
        self.timer_ms(now)
    }

    /// A connection accepted on stream `stream`.
    pub fn accept(&mut self, now: u64, stream: u64) -> ConnId {
        let c = self.section.accept(now);
        self.conns.insert(
            c,
            ConnIo {
                stream: Some(stream),
                ..ConnIo::default()
            },
        );
        c
    }

    /// The outgoing connection `conn` is established on stream `stream`.
    pub fn connected(&mut self, conn: ConnId, stream: u64) {
        if let Some(cio) = self.conns.get_mut(&conn) {
            cio.stream.get_or_insert(stream);
            self.section.connected(conn);
        }
    }

    /// Runs the section's timers if one is due (sessions do it too, so a
    /// late sync task never delays a heartbeat).
    pub fn tick_if_due(&mut self, host: Host, now: u64) {
        if self.section.next_wakeup().is_some_and(|t| t <= now) {
            let src = HostSource {
                host,
                tables: &self.tables,
            };
            self.section.tick(now, &src);
        }
    }

    /// Bytes received on `conn`.
    pub fn receive(&mut self, host: Host, conn: ConnId, data: &[u8], now: u64) {
        let src = HostSource {
            host,
            tables: &self.tables,
        };
        self.section.receive(conn, data, now, &src);
    }

    /// Appends what the section has for `conn` to its output while below
    /// [`OUTBOX_LIMIT`]; `wake`: its stream is not the caller's.
    pub fn fill(&mut self, host: Host, conn: ConnId, now: u64, wake: bool) {
        let Some(cio) = self.conns.get_mut(&conn) else {
            return;
        };
        if cio.stream.is_none() || cio.out.len() >= OUTBOX_LIMIT {
            return;
        }
        let src = HostSource {
            host,
            tables: &self.tables,
        };
        let more = self.section.transmit(conn, now, &src);
        if !more.is_empty() {
            cio.out.extend_from_slice(&more);
            cio.wake |= wake;
        }
    }

    /// Whether the section ended session `conn`.
    pub fn closing(&self, conn: ConnId) -> bool {
        self.conns.get(&conn).is_some_and(|c| c.closing)
    }

    /// Ends session `conn` for good: the section forgets it, and the bytes
    /// still owed to its stream are returned (with the section's last ones
    /// if `drain`).
    pub fn finish(&mut self, host: Host, conn: ConnId, now: u64, drain: bool) -> Vec<u8> {
        let mut rest = Vec::new();
        if let Some(cio) = self.conns.remove(&conn) {
            rest = cio.out;
            if drain {
                let src = HostSource {
                    host,
                    tables: &self.tables,
                };
                // the session is over: this is its pending output only
                rest.extend_from_slice(&self.section.transmit(conn, now, &src));
            }
        }
        self.section.closed(conn, now);
        self.process(host, now, Some(conn));
        self.publish(host, now);
        rest
    }

    /// Acts on the section's events, applies learned updates, wakes the
    /// other streams that need it.
    pub fn process(&mut self, host: Host, now: u64, own: Option<ConnId>) {
        while let Some(ev) = self.section.poll_event() {
            self.on_event(host, now, ev);
        }
        for (t, batch) in self.applies.iter_mut().enumerate() {
            if batch.is_empty() {
                continue;
            }
            let n = batch.len();
            let stored = host.table_apply(&self.tables[t], batch);
            // emptied, capacity kept for the next batch
            batch.keys.clear();
            batch.items.clear();
            batch.values.clear();
            if (stored as usize) < n {
                applet_warn!(
                    host,
                    "peers {}: table {} stored {stored} of {n} learned updates",
                    self.name,
                    self.tables[t]
                );
            }
        }
        self.wake_others(host, own);
    }

    fn on_event(&mut self, host: Host, now: u64, ev: Event) {
        let peer_name = |s: &PeersSection, p: usize| {
            s.peers()
                .get(p)
                .map_or_else(String::new, |x| x.name.clone())
        };
        match ev {
            Event::Connect { peer, conn } => {
                let name = peer_name(&self.section, peer);
                match host.peer_connect(&self.name, &name, conn.0) {
                    Ok(stream) => {
                        self.conns.insert(
                            conn,
                            ConnIo {
                                stream: Some(stream),
                                ..ConnIo::default()
                            },
                        );
                    }
                    Err(e) => {
                        applet_warn!(
                            host,
                            "peers {}: cannot connect to peer {name}: {e}",
                            self.name
                        );
                        self.section.closed(conn, now);
                    }
                }
            }
            Event::Close { conn } => {
                if let Some(cio) = self.conns.get_mut(&conn) {
                    cio.closing = true;
                    cio.wake = true;
                }
            }
            Event::Apply { table, update } => {
                let stored = self.section.config().tables.get(table);
                if let (Some(batch), Some(def)) = (self.applies.get_mut(table), stored) {
                    push_update(batch, &update, &def.params);
                }
            }
            Event::ResyncFinished { peer } => applet_info!(
                host,
                "peers {}: resync from peer {} finished",
                self.name,
                peer_name(&self.section, peer)
            ),
            Event::ResyncPartial { peer } => applet_info!(
                host,
                "peers {}: partial resync from peer {} (it was not up to date)",
                self.name,
                peer_name(&self.section, peer)
            ),
            Event::PeerError { conn, kind } => {
                let who = self
                    .section
                    .conns
                    .get(&conn)
                    .and_then(|c| c.peer)
                    .map_or_else(|| "?".to_string(), |p| peer_name(&self.section, p));
                applet_warn!(
                    host,
                    "peers {}: peer {who} reported error {kind}",
                    self.name
                );
            }
            Event::StopReady => {
                applet_info!(host, "peers {}: hand-over finished", self.name);
                self.stop_ready = true;
            }
        }
    }

    /// Wakes the streams (but `own`'s) that got output or must close.
    pub fn wake_others(&mut self, host: Host, own: Option<ConnId>) {
        for (c, cio) in &mut self.conns {
            if !cio.wake {
                continue;
            }
            cio.wake = false;
            if Some(*c) == own {
                continue;
            }
            if let Some(s) = cio.stream {
                host.wake(s);
            }
        }
    }

    /// Gives up outgoing sessions stuck before their status line.
    fn give_up_handshakes(&mut self, host: Host, now: u64) {
        let stuck: Vec<(ConnId, String)> = self
            .section
            .peers()
            .iter()
            .filter(|p| matches!(p.statuscode, status::CONNECT | status::CONNECTED))
            .filter(|p| {
                p.last_hdshk
                    .is_some_and(|t| now >= t.saturating_add(HANDSHAKE_TIMEOUT))
            })
            .filter_map(|p| p.conn.map(|c| (c, p.name.clone())))
            .collect();
        for (c, name) in stuck {
            applet_warn!(
                host,
                "peers {}: no handshake with peer {name}: giving up",
                self.name
            );
            self.section.closed(c, now);
            // its stream, if it ever runs, finds the session gone and ends
            if let Some(s) = self.conns.remove(&c).and_then(|cio| cio.stream) {
                host.wake(s);
            }
        }
    }

    /// The timer an instance asks for: until the section's next wake-up,
    /// at most [`MAX_TIMER_MS`].
    pub fn timer_ms(&self, now: u64) -> u64 {
        match self.section.next_wakeup() {
            Some(t) if t > now => (t - now).min(MAX_TIMER_MS),
            Some(_) => STALE_TIMER_MS,
            None => MAX_TIMER_MS,
        }
    }

    /// Publishes the state for `show peers` (at the end of every call:
    /// the host keeps the last one).
    pub fn publish(&self, host: Host, now: u64) {
        host.peers_status(&self.name, self.status(now));
    }

    /// The state for `show peers`, times relative to `now`.
    pub fn status(&self, now: u64) -> SectionStatus {
        let s = &self.section;
        let peers = s.peers().iter().map(|p| PeerStatus {
            name: p.name.as_str().into(),
            active: p.conn.is_some(),
            status: p.statuscode,
            last_hdshk: rel(p.last_hdshk, now),
            reconnect: rel(p.reconnect, now),
            heartbeat: rel(p.heartbeat, now),
            confirm: p.confirm,
            tx_hbt: p.tx_hbt,
            rx_hbt: p.rx_hbt,
            no_hbt: p.no_hbt,
            new_conn: p.new_conn,
            proto_err: p.proto_err,
            coll: p.coll,
            flags: p.flags,
            stream_id: p
                .conn
                .and_then(|c| self.conns.get(&c))
                .and_then(|c| c.stream)
                .unwrap_or(0),
            remote_table: p.remote_table.map_or(0, |t| t as u32 + 1),
            last_local_table: p.last_local_table.map_or(0, |t| t as u32 + 1),
            tables: p
                .tables
                .iter()
                .map(|st| PeerTableStatus {
                    local_id: st.local_id,
                    remote_id: st.remote_id,
                    flags: st.flags,
                    remote_data: st.remote.map_or(0, |l| l.bitfield),
                    last_acked: u64::from(st.last_acked),
                    last_pushed: st.last_pushed,
                    last_get: u64::from(st.last_get),
                    teaching_origin: st.teaching_origin,
                    update: st.update,
                })
                .collect(),
        });
        SectionStatus {
            flags: s.flags,
            resync_timeout: rel(s.resync_timeout, now),
            task_calls: self.task_calls,
            peers: peers.collect::<RVec<_>>(),
        }
    }
}
