//! Server selection: HAProxy's `balance` algorithms over the usable servers.
//!
//! Selection runs under the backend's lock (see [`super::Backend`]); it
//! only reads the servers' live counts and weights, and keeps its own small
//! state (the smooth round-robin weights, the leastconn rotation).

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use super::lb_hash::{source_hash, HashLb};
use super::Server;
use crate::config::model::HashType;
use crate::config::Balance;

/// Per-backend selection state.
#[derive(Debug, Default)]
pub struct LbState {
    /// Smooth weighted round-robin: each server's running weight.
    current: Vec<i64>,
    /// Where the leastconn tie-break rotation starts next.
    next: usize,
    /// `hash-type` and `hash-balance-factor` of the backend.
    hash_type: HashType,
    balance_factor: u32,
    /// The hash algorithms' table or ring.
    hash: HashLb,
    /// `balance random(<draws>)`.
    draws: u32,
}

/// The earlier draw `prev` serves fewer streams for its weight than the
/// new draw `cur` (on a tie the new draw wins, as in HAProxy).
fn lighter(prev: &Server, cur: &Server) -> bool {
    let load = |s: &Server| u64::from(s.cur_sess.load(Ordering::Relaxed));
    load(cur) * u64::from(prev.eweight()) > load(prev) * u64::from(cur.eweight())
}

/// Whether a server may take a new stream now.
pub(crate) fn has_room(s: &Server) -> bool {
    let max = s.maxconn.load(Ordering::Relaxed);
    max == 0 || s.cur_sess.load(Ordering::Relaxed) < max
}

impl LbState {
    pub fn new(n: usize) -> LbState {
        LbState {
            current: vec![0; n],
            ..LbState::default()
        }
    }

    /// State for a backend whose hash algorithms follow `hash-type` and
    /// `hash-balance-factor`.
    pub fn with_hash(n: usize, hash_type: HashType, balance_factor: u32, draws: u32) -> LbState {
        LbState {
            hash_type,
            balance_factor,
            draws,
            ..LbState::new(n)
        }
    }

    /// A server changed: the rotation starts afresh, with that server
    /// first when it just came up (`ahead`), else (a weight change, a
    /// drain ending) behind the others: where HAProxy's weighted
    /// round-robin tree puts a server it requeues in those cases.
    pub fn reposition(&mut self, srv: usize, ahead: bool) {
        self.current.iter_mut().for_each(|c| *c = 0);
        if let Some(c) = self.current.get_mut(srv) {
            *c = if ahead { 1 } else { -1 };
        }
    }

    /// Picks a server for a new stream, or `None` when every usable server
    /// is full. `usable` says which servers are candidates (the active ones,
    /// or the backups when no active one is up).
    pub fn pick(
        &mut self,
        algo: Balance,
        servers: &[Server],
        usable: &[usize],
        client: Option<IpAddr>,
        key: Option<u32>,
    ) -> Option<usize> {
        match algo {
            Balance::RoundRobin | Balance::StaticRr => self.smooth_rr(servers, usable),
            Balance::LeastConn => self.least_conn(servers, usable),
            Balance::First => usable.iter().copied().find(|&i| has_room(&servers[i])),
            Balance::Source => match client {
                Some(ip) => {
                    let h = source_hash(self.hash_type, ip, usable.len());
                    self.by_hash(servers, usable, h)
                }
                // No address to hash (a UNIX socket client): HAProxy
                // falls back to round robin.
                None => self.smooth_rr(servers, usable),
            },
            Balance::Uri
            | Balance::UrlParam
            | Balance::Hdr
            | Balance::RdpCookie
            | Balance::Hash => match key {
                Some(h) => self.by_hash(servers, usable, h),
                None => {
                    let consistent = self.hash_type.consistent;
                    self.hash.next_rr(consistent, servers, usable)
                }
            },
            Balance::Random => self.random(servers, usable),
        }
    }

    /// `balance random(<draws>)`: random points of the consistent ring,
    /// keeping the server with the fewest streams for its weight; a full
    /// winner means the stream queues.
    fn random(&mut self, servers: &[Server], usable: &[usize]) -> Option<usize> {
        let ht = HashType {
            consistent: true,
            ..self.hash_type
        };
        let mut best: Option<usize> = None;
        for _ in 0..self.draws.max(1) {
            let h = fastrand::u32(..);
            let cur = self
                .hash
                .pick(ht, self.balance_factor, servers, usable, h)?;
            best = Some(match best {
                Some(prev) if prev != cur && lighter(&servers[prev], &servers[cur]) => prev,
                _ => cur,
            });
        }
        best.filter(|&i| has_room(&servers[i]))
    }

    /// Smooth weighted round-robin: every pick adds each candidate's weight
    /// to its running total and takes the largest, which then pays the sum
    /// back. Picks interleave in proportion to the weights (5:1:1 gives
    /// a a b a c a a, not a a a a a b c).
    fn smooth_rr(&mut self, servers: &[Server], usable: &[usize]) -> Option<usize> {
        if self.current.len() < servers.len() {
            self.current.resize(servers.len(), 0);
        }
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for &i in usable {
            let s = &servers[i];
            let w = i64::from(s.eweight());
            if w == 0 || !has_room(s) {
                continue;
            }
            self.current[i] += w;
            total += w;
            if best.is_none_or(|b| self.current[i] > self.current[b]) {
                best = Some(i);
            }
        }
        let b = best?;
        self.current[b] -= total;
        Some(b)
    }

    /// The server the hash `h` maps to; when it is full the stream queues
    /// rather than breaking the mapping.
    fn by_hash(&mut self, servers: &[Server], usable: &[usize], h: u32) -> Option<usize> {
        let i = self
            .hash
            .pick(self.hash_type, self.balance_factor, servers, usable, h)?;
        has_room(&servers[i]).then_some(i)
    }

    /// Fewest current streams relative to weight; equals take turns.
    fn least_conn(&mut self, servers: &[Server], usable: &[usize]) -> Option<usize> {
        let n = usable.len();
        let mut best: Option<(usize, u64)> = None;
        for k in 0..n {
            let i = usable[(self.next + k) % n];
            let s = &servers[i];
            let w = u64::from(s.eweight());
            if w == 0 || !has_room(s) {
                continue;
            }
            // Compare cur/w without division: scale by a common factor.
            let load = (u64::from(s.cur_sess.load(Ordering::Relaxed)) + 1) * 65536 / w;
            if best.is_none_or(|(_, l)| load < l) {
                best = Some((i, load));
            }
        }
        let (b, _) = best?;
        if n > 0 {
            self.next = (self.next + 1) % n;
        }
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Server;
    use std::net::Ipv4Addr;

    fn servers(weights: &[u32]) -> Vec<Server> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Server::for_test(i, w, 0))
            .collect()
    }

    fn count(algo: Balance, s: &[Server], n: usize) -> Vec<usize> {
        let mut lb = LbState::new(s.len());
        let usable: Vec<usize> = (0..s.len()).collect();
        let mut c = vec![0; s.len()];
        for _ in 0..n {
            c[lb.pick(algo, s, &usable, None, None).unwrap()] += 1;
        }
        c
    }

    #[test]
    fn roundrobin_follows_weights_and_interleaves() {
        let s = servers(&[5, 1, 1]);
        assert_eq!(count(Balance::RoundRobin, &s, 700), vec![500, 100, 100]);
        let mut lb = LbState::new(3);
        let seq: Vec<usize> = (0..7)
            .map(|_| {
                lb.pick(Balance::RoundRobin, &s, &[0, 1, 2], None, None)
                    .unwrap()
            })
            .collect();
        assert_eq!(seq, vec![0, 0, 1, 0, 2, 0, 0]);
    }

    #[test]
    fn zero_weight_servers_get_nothing() {
        let s = servers(&[1, 0, 2]);
        assert_eq!(count(Balance::StaticRr, &s, 300), vec![100, 0, 200]);
    }

    #[test]
    fn leastconn_prefers_the_least_loaded() {
        let s = servers(&[1, 1, 1]);
        s[0].cur_sess.store(5, Ordering::Relaxed);
        s[1].cur_sess.store(1, Ordering::Relaxed);
        s[2].cur_sess.store(3, Ordering::Relaxed);
        let mut lb = LbState::new(3);
        assert_eq!(
            lb.pick(Balance::LeastConn, &s, &[0, 1, 2], None, None),
            Some(1)
        );
        s[1].cur_sess.store(9, Ordering::Relaxed);
        assert_eq!(
            lb.pick(Balance::LeastConn, &s, &[0, 1, 2], None, None),
            Some(2)
        );
    }

    #[test]
    fn first_fills_servers_in_order() {
        let s: Vec<Server> = (0..3).map(|i| Server::for_test(i, 1, 2)).collect();
        let mut lb = LbState::new(3);
        assert_eq!(lb.pick(Balance::First, &s, &[0, 1, 2], None, None), Some(0));
        s[0].cur_sess.store(2, Ordering::Relaxed);
        assert_eq!(lb.pick(Balance::First, &s, &[0, 1, 2], None, None), Some(1));
        s[1].cur_sess.store(2, Ordering::Relaxed);
        s[2].cur_sess.store(2, Ordering::Relaxed);
        assert_eq!(
            lb.pick(Balance::First, &s, &[0, 1, 2], None, None),
            None,
            "all full: queue"
        );
    }

    #[test]
    fn source_is_sticky_per_client_and_spreads_clients() {
        let s = servers(&[1, 1, 1]);
        let mut lb = LbState::new(3);
        let usable = [0, 1, 2];
        let mut seen = [0; 3];
        for n in 0..300u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x7f00_0001 + n));
            let a = lb
                .pick(Balance::Source, &s, &usable, Some(ip), None)
                .unwrap();
            let b = lb
                .pick(Balance::Source, &s, &usable, Some(ip), None)
                .unwrap();
            assert_eq!(a, b);
            seen[a] += 1;
        }
        assert!(seen.iter().all(|&c| c > 50), "{seen:?}");
    }
}
