//! Backends and servers at run time: selection, slots and the queue.
//!
//! - [`lb`]: the `balance` algorithms.
//! - [`conns`]: connections in use, idle and needed per server (the idle
//!   pool's policy).
//! - this file: [`Server`] (live counts, weight, limits), [`Backend`]
//!   (servers, selection state and the queue under one lock) and the slot
//!   protocol: a stream takes a server slot before connecting and gives it
//!   back when done; a slot given back while streams wait in the queue goes
//!   straight to the oldest of them.

pub mod conns;
pub mod health;
pub mod lb;
mod lb_hash;
pub mod lb_key;
mod server_tls;
pub use server_tls::traffic_tls;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::config::{Balance, ProxyConfig, ServerConfig};
use crate::counters::Counters;
use crate::health::machine::OpState;
use lb::LbState;

/// A server's administrative state (`set server ... state`).
pub mod admin_state {
    /// Takes traffic.
    pub const READY: u8 = 0;
    /// Keeps its streams, takes no new ones (effective weight 0).
    pub const DRAIN: u8 = 1;
    /// Maintenance: never selected.
    pub const MAINT: u8 = 2;
}

/// A server of a backend.
#[derive(Debug)]
pub struct Server {
    pub name: String,
    pub idx: usize,
    pub id: u32,
    pub ip: IpAddr,
    pub port: Option<u16>,
    /// The host name of the configured address (`srv_fqdn`).
    pub hostname: Option<String>,
    pub source: Option<SocketAddr>,
    pub backup: bool,
    /// `disabled` in the configuration (starts in maintenance).
    pub disabled: bool,
    /// [`admin_state`]: ready, drain or maintenance.
    pub admin: AtomicU8,
    /// Maintenance inherited from the tracked server.
    pub imaint: std::sync::atomic::AtomicBool,
    /// When the state last changed ([`crate::counters::now_ms`]).
    pub last_change: AtomicU64,
    /// The configured weight (`iweight`).
    pub iweight: u32,
    /// Current user weight (changeable at run time).
    pub weight: AtomicU32,
    /// Slot limit, 0 = none.
    pub maxconn: AtomicU32,
    /// Streams currently holding a slot on this server.
    pub cur_sess: AtomicU32,
    pub counters: Counters,
    /// Server connections in use, idle and needed (idle pool policy).
    pub conns: std::sync::Arc<conns::ServerConns>,
    /// Operational state, checks and their counters.
    pub health: health::ServerHealth,
    /// `slowstart`: how long the weight takes to ramp up after going up.
    pub slowstart: Option<std::time::Duration>,
    /// The balance algorithm adapts weights at run time (slowstart only
    /// ramps those up).
    pub dynamic_lb: bool,
    /// `ssl`: connections to it run a TLS handshake first.
    pub tls: Option<crate::tls_client::TrafficTls>,
    /// The persistence cookie value (`cookie`, or the dynamic one).
    pub cookie: Option<String>,
}

impl Server {
    pub fn from_config(
        idx: usize,
        c: &ServerConfig,
        track: Option<(usize, usize)>,
        balance: Balance,
    ) -> Server {
        Server {
            health: health::ServerHealth::from_config(c, track),
            slowstart: c.hc.slowstart,
            dynamic_lb: !(matches!(balance, Balance::StaticRr | Balance::Source)
                || balance.hashes_request()),
            name: c.name.clone(),
            idx,
            id: c.id,
            ip: c.ip,
            port: c.port,
            hostname: c.hostname.clone(),
            source: c.source.map(|s| SocketAddr::new(s.ip, s.port)),
            backup: c.backup,
            disabled: c.disabled,
            admin: AtomicU8::new(if c.disabled || c.hc.unresolved {
                admin_state::MAINT
            } else {
                admin_state::READY
            }),
            imaint: std::sync::atomic::AtomicBool::new(false),
            last_change: AtomicU64::new(crate::counters::now_ms()),
            iweight: c.weight,
            weight: AtomicU32::new(c.weight),
            maxconn: AtomicU32::new(c.maxconn),
            cur_sess: AtomicU32::new(0),
            counters: Counters::default(),
            conns: conns::ServerConns::new(c.pool_low_conn, c.pool_max_conn, c.pool_purge_delay),
            tls: None,
            cookie: c.cookie.clone(),
        }
    }

    pub fn admin_state(&self) -> u8 {
        self.admin.load(Ordering::Relaxed)
    }

    /// In maintenance (its own, or inherited from the server it tracks):
    /// never selected.
    pub fn in_maint(&self) -> bool {
        self.admin_state() == admin_state::MAINT || self.inherited_maint()
    }

    /// In maintenance because the tracked server is (`MAINT (via ...)`).
    pub fn inherited_maint(&self) -> bool {
        self.imaint.load(Ordering::Relaxed)
    }

    /// The weight load balancing uses for new traffic: the user weight,
    /// 0 while draining, in maintenance, down or stopping, ramping up
    /// during a slowstart.
    pub fn eweight(&self) -> u32 {
        if self.admin_state() != admin_state::READY || self.inherited_maint() {
            return 0;
        }
        let w = self.weight.load(Ordering::Relaxed);
        match self.health.op() {
            OpState::Running => w,
            OpState::Starting => self.warming_weight(w),
            OpState::Stopped | OpState::Stopping => 0,
        }
    }

    /// The slowstart ramp in sixteenths: 1 at the start, short of 16 until
    /// the warm-up task declares the server RUNNING.
    fn warm_step(&self) -> u64 {
        let Some(ss) = self.slowstart else { return 16 };
        let total = ss.as_millis().div_ceil(1000).max(1) as u64;
        let since = self.warm_elapsed_secs().min(total.saturating_sub(1));
        ((16 * since + total) / total).min(16)
    }

    fn warm_elapsed_secs(&self) -> u64 {
        crate::counters::ms_since(self.last_change.load(Ordering::Relaxed)) / 1000
    }

    /// The slowstart period has elapsed (time to turn RUNNING).
    pub fn warm_done(&self) -> bool {
        self.slowstart.is_none_or(|ss| {
            self.warm_elapsed_secs() >= ss.as_millis().div_ceil(1000).max(1) as u64
        })
    }

    /// `throttle`: the percentage of its weight a server in slowstart
    /// gets (shown only while it is starting).
    pub fn throttle(&self) -> Option<u32> {
        if self.health.op() != OpState::Starting {
            return None;
        }
        if self.weight.load(Ordering::Relaxed) == 0 {
            return Some(100);
        }
        let step = if self.dynamic_lb {
            self.warm_step()
        } else {
            16
        };
        Some((100 * step).div_ceil(16) as u32)
    }

    /// The weight during a slowstart: HAProxy's ramp, in sixteenths of
    /// the weight per whole second elapsed, never below one sixteenth.
    /// The full weight comes with RUNNING, which the warm-up task sets
    /// (and logs) once the slowstart has elapsed.
    fn warming_weight(&self, w: u32) -> u32 {
        if !self.dynamic_lb {
            return w;
        }
        (u64::from(w) * self.warm_step()).div_ceil(16) as u32
    }

    /// The `weight` the stats show: the user weight (ramping during a
    /// slowstart) whatever the server's state, as HAProxy reports its
    /// effective weight even for a server that is down or drained.
    pub fn shown_weight(&self) -> u32 {
        let w = self.weight.load(Ordering::Relaxed);
        match self.health.op() {
            OpState::Starting => self.warming_weight(w),
            _ => w,
        }
    }

    /// Persistence may send a stream here: not in maintenance, not down.
    pub fn takes_persistent(&self) -> bool {
        !self.in_maint() && self.health.op() != OpState::Stopped
    }

    /// Changes the administrative state; returns whether it changed.
    pub fn set_admin(&self, state: u8) -> bool {
        let old = self.admin.swap(state, Ordering::Relaxed);
        if old != state {
            self.last_change
                .store(crate::counters::now_ms(), Ordering::Relaxed);
        }
        old != state
    }

    /// Dates the last state change `ago_ms` before now (a saved state).
    pub fn set_changed_ago(&self, ago_ms: u64) {
        self.last_change
            .store(crate::counters::ms_ago(ago_ms), Ordering::Relaxed);
        self.health.backdate_down(ago_ms);
    }

    /// The address to connect to; a server without a port takes the port
    /// the client connected to.
    pub fn addr(&self, client_dst_port: Option<u16>) -> SocketAddr {
        SocketAddr::new(self.ip, self.port.or(client_dst_port).unwrap_or(0))
    }

    #[cfg(test)]
    pub fn for_test(idx: usize, weight: u32, maxconn: u32) -> Server {
        Server {
            name: format!("s{idx}"),
            idx,
            id: idx as u32 + 1,
            ip: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: Some(1),
            hostname: None,
            source: None,
            backup: false,
            disabled: false,
            admin: AtomicU8::new(admin_state::READY),
            imaint: std::sync::atomic::AtomicBool::new(false),
            last_change: AtomicU64::new(0),
            iweight: weight,
            weight: AtomicU32::new(weight),
            maxconn: AtomicU32::new(maxconn),
            cur_sess: AtomicU32::new(0),
            counters: Counters::default(),
            conns: conns::ServerConns::new(0, None, std::time::Duration::from_secs(5)),
            health: health::ServerHealth::from_config(
                &crate::config::ServerConfig::for_test(),
                None,
            ),
            slowstart: None,
            dynamic_lb: true,
            tls: None,
            cookie: None,
        }
    }
}

/// What a stream gets when it asks for a server.
#[derive(Debug)]
pub enum Assignment {
    /// A slot on this server is now held by the caller.
    Server(usize),
    /// Every usable server is full: wait on this for a slot.
    Queued(QueueTicket),
    /// No usable server at all.
    NoServer,
}

/// A place in the backend queue.
#[derive(Debug)]
pub struct QueueTicket {
    pub id: u64,
    /// How many streams were ahead when this one queued (`%bq`).
    pub position: u32,
    pub rx: oneshot::Receiver<usize>,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    tx: oneshot::Sender<usize>,
}

#[derive(Debug)]
struct Shared {
    lb: LbState,
    queue: VecDeque<Waiter>,
    next_ticket: u64,
}

/// The backend side of a proxy.
#[derive(Debug)]
pub struct Backend {
    pub balance: Balance,
    pub servers: Vec<Server>,
    /// The servers' distinct `sni` expressions (see
    /// [`crate::backend::traffic_tls`]).
    pub sni_exprs: Vec<crate::rules::expr::Expr>,
    /// What the request-hashing `balance` algorithms hash.
    pub lb_key: Option<lb_key::KeySource>,
    pub dispatch: Option<SocketAddr>,
    pub source: Option<SocketAddr>,
    pub counters: Counters,
    /// Streams waiting in the queue (mirrors `queue.len()` for lock-free reads).
    pub queued: AtomicU32,
    pub queued_total: AtomicU64,
    /// Highest `queued` seen (`qmax`).
    pub queued_max: AtomicU32,
    /// `option allbackups`.
    pub allbackups: bool,
    /// Times the backend lost its last server (`chkdown` of BACKEND).
    pub down_trans: AtomicU64,
    /// When it last gained its first or lost its last server.
    pub last_change: AtomicU64,
    shared: Mutex<Shared>,
}

/// `(proxy, server)` indexes of the server `s` tracks.
fn resolve_track(p: &ProxyConfig, s: &ServerConfig, all: &[ProxyConfig]) -> Option<(usize, usize)> {
    let t = s.hc.track.as_ref()?;
    let be_name = t.backend.as_deref().unwrap_or(&p.name);
    let pi = all
        .iter()
        .position(|x| x.kind.has_backend() && x.name == be_name)?;
    let si = all[pi].servers.iter().position(|x| x.name == t.server)?;
    Some((pi, si))
}

impl Backend {
    /// The backend of `p`; `all` (every proxy, by index) resolves `track`.
    pub fn from_config(p: &ProxyConfig, all: &[ProxyConfig]) -> Backend {
        let (tls, sni_exprs) = crate::backend::traffic_tls(&p.servers);
        let balance = p.balance;
        let servers: Vec<Server> = p
            .servers
            .iter()
            .zip(tls)
            .enumerate()
            .map(|(i, (s, tls))| Server {
                tls,
                ..Server::from_config(i, s, resolve_track(p, s, all), balance)
            })
            .collect();
        Backend {
            sni_exprs,
            lb_key: lb_key::KeySource::new(balance, &p.lb_params, p.hash_type),
            allbackups: p.allbackups,
            down_trans: AtomicU64::new(0),
            last_change: AtomicU64::new(crate::counters::now_ms()),
            balance,
            dispatch: p.dispatch,
            source: p.source.map(|s| SocketAddr::new(s.ip, s.port)),
            counters: Counters::default(),
            queued: AtomicU32::new(0),
            queued_total: AtomicU64::new(0),
            queued_max: AtomicU32::new(0),
            shared: Mutex::new(Shared {
                lb: LbState::with_hash(
                    servers.len(),
                    p.hash_type,
                    p.hash_balance_factor,
                    p.lb_params.draws,
                ),
                queue: VecDeque::new(),
                next_ticket: 0,
            }),
            servers,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panic while holding this lock leaves only counters behind;
        // carrying on is better than poisoning every later stream.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The candidates: active servers that can take traffic (up, ready,
    /// weight above 0), or, when there is none, the first such backup, or
    /// all of them with `option allbackups`.
    fn usable(&self) -> Vec<usize> {
        let live = |s: &&Server| s.eweight() > 0;
        let active: Vec<usize> = self
            .servers
            .iter()
            .filter(live)
            .filter(|s| !s.backup)
            .map(|s| s.idx)
            .collect();
        if !active.is_empty() {
            return active;
        }
        let backups = self.servers.iter().filter(live).filter(|s| s.backup);
        if self.allbackups {
            backups.map(|s| s.idx).collect()
        } else {
            backups.take(1).map(|s| s.idx).collect()
        }
    }

    /// Tells load balancing that server `srv` changed state or weight
    /// (see [`LbState::reposition`]).
    pub fn server_changed(&self, srv: usize) {
        self.lock().lb.reposition(srv, false);
    }

    /// Server `srv` came up: it is next in the rotation.
    pub fn server_came_up(&self, srv: usize) {
        self.lock().lb.reposition(srv, true);
    }

    /// Usable active and backup servers (`srv_act`, `srv_bck`).
    pub fn usable_counts(&self) -> (u32, u32) {
        let mut n = (0, 0);
        for s in self.servers.iter().filter(|s| s.eweight() > 0) {
            if s.backup {
                n.1 += 1;
            } else {
                n.0 += 1;
            }
        }
        n
    }

    /// Hands free slots of server `srv` to streams waiting in the queue
    /// (a server that just came up); returns how many it took.
    pub fn serve_queue(&self, srv: usize) -> u32 {
        let Some(s) = self.servers.get(srv) else {
            return 0;
        };
        let mut sh = self.lock();
        let mut n = 0;
        while lb::has_room(s) {
            let Some(w) = sh.queue.pop_front() else { break };
            self.queued.fetch_sub(1, Ordering::Relaxed);
            s.cur_sess.fetch_add(1, Ordering::Relaxed);
            match w.tx.send(srv) {
                Ok(()) => n += 1,
                Err(_) => {
                    s.cur_sess.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
        n
    }

    /// Servers that may take traffic (enabled, weight above 0), for `nbsrv`.
    pub fn usable_count(&self) -> u32 {
        self.servers.iter().filter(|s| s.eweight() > 0).count() as u32
    }

    /// Chooses a server and takes a slot on it, or queues the caller.
    /// `key`: the hash of the request's key for the algorithms that hash
    /// one (`None`: it has none).
    pub fn assign(&self, client: Option<IpAddr>, key: Option<u32>) -> Assignment {
        let usable = self.usable();
        if usable.iter().all(|&i| self.servers[i].eweight() == 0) {
            return Assignment::NoServer;
        }
        let mut sh = self.lock();
        // Streams already waiting go first: a newcomer does not overtake them.
        let picked = if sh.queue.is_empty() {
            sh.lb
                .pick(self.balance, &self.servers, &usable, client, key)
        } else {
            None
        };
        match picked {
            Some(i) => {
                self.servers[i].cur_sess.fetch_add(1, Ordering::Relaxed);
                Assignment::Server(i)
            }
            None => {
                let (tx, rx) = oneshot::channel();
                let id = sh.next_ticket;
                sh.next_ticket += 1;
                let position = sh.queue.len() as u32;
                sh.queue.push_back(Waiter { id, tx });
                let q = self.queued.fetch_add(1, Ordering::Relaxed) + 1;
                self.queued_max.fetch_max(q, Ordering::Relaxed);
                self.queued_total.fetch_add(1, Ordering::Relaxed);
                Assignment::Queued(QueueTicket { id, position, rx })
            }
        }
    }

    /// Takes a slot on server `srv` chosen by persistence (`stick match`):
    /// `false` when it is in maintenance or full (the caller then balances
    /// as usual; HAProxy would queue on that server instead).
    pub fn assign_direct(&self, srv: usize) -> bool {
        let Some(s) = self.servers.get(srv) else {
            return false;
        };
        let _sh = self.lock();
        if !s.takes_persistent() || !lb::has_room(s) {
            return false;
        }
        s.cur_sess.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Takes a slot on `srv` for a stream persistence sends there even
    /// though it is DOWN or in maintenance (`option persist`,
    /// `force-persist`, as 2.6): only a full server refuses.
    pub fn assign_forced(&self, srv: usize) -> bool {
        let Some(s) = self.servers.get(srv) else {
            return false;
        };
        let _sh = self.lock();
        if !lb::has_room(s) {
            return false;
        }
        s.cur_sess.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Gives a server slot back: to the oldest waiter if any, else to the
    /// server.
    pub fn release(&self, srv: usize) {
        let mut sh = self.lock();
        while let Some(w) = sh.queue.pop_front() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            match w.tx.send(srv) {
                Ok(()) => return,
                // The waiter gave up (timeout, client gone): try the next.
                Err(_) => continue,
            }
        }
        self.servers[srv].cur_sess.fetch_sub(1, Ordering::Relaxed);
    }

    /// Leaves the queue without a slot. Returns a slot granted meanwhile,
    /// which the caller now holds.
    pub fn dequeue(&self, mut ticket: QueueTicket) -> Option<usize> {
        {
            let mut sh = self.lock();
            if let Some(pos) = sh.queue.iter().position(|w| w.id == ticket.id) {
                sh.queue.remove(pos);
                self.queued.fetch_sub(1, Ordering::Relaxed);
                return None;
            }
        }
        // Not in the queue any more: a slot was sent before we left.
        ticket.rx.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(maxconn: u32, n: usize) -> Backend {
        let mut b = Backend {
            allbackups: false,
            down_trans: AtomicU64::new(0),
            last_change: AtomicU64::new(0),
            balance: Balance::RoundRobin,
            servers: Vec::new(),
            sni_exprs: Vec::new(),
            lb_key: None,
            dispatch: None,
            source: None,
            counters: Counters::default(),
            queued: AtomicU32::new(0),
            queued_total: AtomicU64::new(0),
            queued_max: AtomicU32::new(0),
            shared: Mutex::new(Shared {
                lb: LbState::new(n),
                queue: VecDeque::new(),
                next_ticket: 0,
            }),
        };
        b.servers = (0..n).map(|i| Server::for_test(i, 1, maxconn)).collect();
        b
    }

    #[test]
    fn full_servers_queue_and_a_release_hands_the_slot_over() {
        let b = backend(1, 1);
        assert!(matches!(b.assign(None, None), Assignment::Server(0)));
        let Assignment::Queued(mut t) = b.assign(None, None) else {
            panic!("expected a queue")
        };
        assert_eq!(b.queued.load(Ordering::Relaxed), 1);
        b.release(0);
        assert_eq!(t.rx.try_recv().unwrap(), 0);
        assert_eq!(
            b.servers[0].cur_sess.load(Ordering::Relaxed),
            1,
            "the slot moved, not freed"
        );
        b.release(0);
        assert_eq!(b.servers[0].cur_sess.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_waiter_that_left_is_skipped() {
        let b = backend(1, 1);
        let _ = b.assign(None, None);
        let Assignment::Queued(t1) = b.assign(None, None) else {
            panic!()
        };
        let Assignment::Queued(mut t2) = b.assign(None, None) else {
            panic!()
        };
        assert_eq!(t2.position, 1);
        assert_eq!(b.dequeue(t1), None);
        b.release(0);
        assert_eq!(t2.rx.try_recv().unwrap(), 0);
    }

    #[test]
    fn dequeue_after_grant_returns_the_slot() {
        let b = backend(1, 1);
        let _ = b.assign(None, None);
        let Assignment::Queued(t) = b.assign(None, None) else {
            panic!()
        };
        b.release(0);
        assert_eq!(b.dequeue(t), Some(0));
    }

    #[test]
    fn down_servers_leave_balancing_and_backups_take_over() {
        use crate::health::machine::OpState;
        let mut b = backend(0, 4);
        b.servers[2].backup = true;
        b.servers[3].backup = true;
        let picks = |b: &Backend, n: usize| {
            let mut seen = vec![0; 4];
            for _ in 0..n {
                match b.assign(None, None) {
                    Assignment::Server(i) => {
                        seen[i] += 1;
                        b.release(i);
                    }
                    other => panic!("{other:?}"),
                }
            }
            seen
        };
        assert_eq!(picks(&b, 4), [2, 2, 0, 0]);
        b.servers[0].health.set_op(OpState::Stopped);
        assert_eq!(picks(&b, 4), [0, 4, 0, 0], "a DOWN server gets nothing");
        assert!(!b.assign_direct(0), "nor persistent traffic");
        b.servers[1].health.set_op(OpState::Stopping);
        assert_eq!(picks(&b, 4), [0, 0, 4, 0], "the first backup takes over");
        assert!(b.assign_direct(1), "NOLB keeps persistent traffic");
        b.release(1);
        b.allbackups = true;
        assert_eq!(picks(&b, 4), [0, 0, 2, 2], "option allbackups: all of them");
        assert_eq!(b.usable_counts(), (0, 2));
        b.servers[2].health.set_op(OpState::Stopped);
        b.servers[3].health.set_op(OpState::Stopped);
        assert!(matches!(b.assign(None, None), Assignment::NoServer));
    }

    #[test]
    fn a_server_coming_up_serves_the_queue() {
        use crate::health::machine::OpState;
        let b = backend(1, 2);
        b.servers[1].health.set_op(OpState::Stopped);
        assert!(matches!(b.assign(None, None), Assignment::Server(0)));
        let Assignment::Queued(mut t) = b.assign(None, None) else {
            panic!("expected a queue")
        };
        b.servers[1].health.set_op(OpState::Running);
        assert_eq!(b.serve_queue(1), 1);
        assert_eq!(t.rx.try_recv().unwrap(), 1);
        assert_eq!(b.queued.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn disabled_servers_leave_no_server() {
        let b = backend(0, 1);
        b.servers[0].set_admin(admin_state::MAINT);
        assert!(matches!(b.assign(None, None), Assignment::NoServer));
    }
}
