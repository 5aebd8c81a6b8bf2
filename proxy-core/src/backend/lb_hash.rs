//! Hash-based server selection as HAProxy does it, so that a key lands on
//! the server HAProxy would pick: the map-based table (one slot per unit
//! of weight, spread by a weighted interleave) and the consistent-hashing
//! ring (16 points per unit of weight, optionally load-bounded by
//! `hash-balance-factor`).
//!
//! The table or ring depends only on the usable servers and their
//! weights, so it is rebuilt when those change and reused otherwise.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use super::Server;
use crate::config::model::{HashFn, HashType};
use crate::sample::conv::hash::{djb2_hash, full_hash, sdbm_hash, wt6_hash};

/// HAProxy's effective-weight scale for consistent hashing: a user weight
/// of `w` becomes `16 * w` ring points.
const BE_WEIGHT_SCALE: u32 = 16;
/// The span of point numbers a server owns on the ring (256 weights of 16
/// points): point `n` of server id `id` sits at `full_hash(id * 4096 + n)`.
const SRV_EWGHT_RANGE: u32 = 256 * BE_WEIGHT_SCALE;

/// The built table or ring, with what it was built from.
#[derive(Debug, Default)]
pub struct HashLb {
    /// `(server, effective weight)` of the usable servers it was built for.
    sig: Vec<(usize, u32)>,
    consistent: bool,
    /// Map-based: slot → server.
    map: Vec<usize>,
    /// Consistent: `(point, server)` sorted by point.
    ring: Vec<(u32, usize)>,
    /// Consistent: sum of the effective weights on the ring.
    tot_weight: u64,
    /// Map-based round robin (no key): the next slot to try.
    rr_idx: usize,
    /// Consistent round robin (no key): the ring point used last.
    last: Option<usize>,
}

/// Hashes a string key with the `hash-type` function and modifier.
pub fn key_hash(ht: HashType, key: &[u8]) -> u32 {
    let h = match ht.func {
        HashFn::Sdbm => sdbm_hash(key),
        HashFn::Djb2 => djb2_hash(key),
        HashFn::Wt6 => wt6_hash(key),
        HashFn::Crc32 => crc32fast::hash(key),
    };
    if ht.avalanche {
        full_hash(h)
    } else {
        h
    }
}

/// `balance source`'s hash: the address's 32-bit big-endian words XORed
/// together, then avalanched when `hash-type` says `avalanche` (as
/// `consistent` alone implies). The hash function of `hash-type` plays no
/// part. With a single usable server HAProxy skips
/// hashing and uses 0.
pub fn source_hash(ht: HashType, ip: IpAddr, usable: usize) -> u32 {
    if usable == 1 {
        return 0;
    }
    let h = match ip {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(a) => a.octets().chunks(4).fold(0u32, |acc, c| {
            acc ^ u32::from_be_bytes([c[0], c[1], c[2], c[3]])
        }),
    };
    if ht.avalanche {
        full_hash(h)
    } else {
        h
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl HashLb {
    /// The server for hash `h` among `usable`, or `None` when no usable
    /// server has weight (or, with a balance factor, none has room).
    pub fn pick(
        &mut self,
        ht: HashType,
        factor: u32,
        servers: &[Server],
        usable: &[usize],
        h: u32,
    ) -> Option<usize> {
        self.refresh(ht.consistent, servers, usable);
        if self.consistent {
            self.ring_pick(factor, servers, h)
        } else if self.map.is_empty() {
            None
        } else {
            let slot = h as usize % self.map.len();
            Some(self.map[slot])
        }
    }

    /// Rebuilds the table or ring when the usable servers or their weights
    /// changed since the last build.
    fn refresh(&mut self, consistent: bool, servers: &[Server], usable: &[usize]) {
        let sig: Vec<(usize, u32)> = usable
            .iter()
            .map(|&i| (i, servers[i].eweight()))
            .filter(|&(_, w)| w > 0)
            .collect();
        if sig == self.sig && consistent == self.consistent && !self.is_empty() {
            return;
        }
        self.consistent = consistent;
        self.map.clear();
        self.ring.clear();
        if consistent {
            self.build_ring(servers, &sig);
        } else {
            // HAProxy divides every weight by the GCD of the configured
            // weights of all servers, which keeps the table small.
            let div = servers
                .iter()
                .map(|s| s.iweight)
                .filter(|&w| w > 0)
                .fold(0, gcd)
                .max(1);
            let w: Vec<(usize, u64)> = sig
                .iter()
                .map(|&(i, w)| (i, u64::from(w.div_ceil(div))))
                .collect();
            self.map = build_map(&w);
        }
        self.sig = sig;
    }

    /// Round robin when the request has no key, as HAProxy falls back:
    /// the map's slots in order, or the ring's points in order, skipping
    /// full servers.
    pub fn next_rr(
        &mut self,
        consistent: bool,
        servers: &[Server],
        usable: &[usize],
    ) -> Option<usize> {
        self.refresh(consistent, servers, usable);
        if self.consistent {
            let n = self.ring.len();
            for _ in 0..n {
                let idx = self.last.map_or(0, |l| (l + 1) % n);
                self.last = Some(idx);
                let srv = self.ring[idx].1;
                if super::lb::has_room(&servers[srv]) {
                    return Some(srv);
                }
            }
            return None;
        }
        let n = self.map.len();
        if self.rr_idx >= n {
            self.rr_idx = 0;
        }
        let start = self.rr_idx;
        let mut idx = start;
        for _ in 0..n {
            let srv = self.map[idx];
            idx += 1;
            if super::lb::has_room(&servers[srv]) {
                self.rr_idx = idx;
                return Some(srv);
            }
            if idx == n {
                idx = 0;
            }
        }
        None
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty() && self.ring.is_empty()
    }

    fn build_ring(&mut self, servers: &[Server], sig: &[(usize, u32)]) {
        self.tot_weight = 0;
        for &(i, w) in sig {
            let ew = w * BE_WEIGHT_SCALE;
            self.tot_weight += u64::from(ew);
            let base = servers[i].id.wrapping_mul(SRV_EWGHT_RANGE);
            self.ring
                .extend((0..ew).map(|n| (full_hash(base.wrapping_add(n)), i)));
        }
        self.ring.sort_unstable();
    }

    /// The ring point closest to `h` (the one before on a tie), then, when
    /// that server is over its bounded load, the following points in turn.
    fn ring_pick(&self, factor: u32, servers: &[Server], h: u32) -> Option<usize> {
        let n = self.ring.len();
        if n == 0 {
            return None;
        }
        let next = self.ring.partition_point(|&(k, _)| k < h) % n;
        let prev = (next + n - 1) % n;
        let dp = h.wrapping_sub(self.ring[prev].0);
        let dn = self.ring[next].0.wrapping_sub(h);
        let start = if dp <= dn { prev } else { next };
        if factor == 0 {
            return Some(self.ring[start].1);
        }
        let served: u64 = self
            .sig
            .iter()
            .map(|&(i, _)| u64::from(servers[i].cur_sess.load(Ordering::Relaxed)))
            .sum();
        (0..n)
            .map(|k| self.ring[(start + k) % n].1)
            .find(|&i| self.eligible(factor, servers, i, served))
            .or(Some(self.ring[start].1))
    }

    /// HAProxy's bounded-load test: the outstanding streams (plus this
    /// one) times the factor, shared in proportion to the weights; a
    /// server is eligible while it serves fewer than its share.
    fn eligible(&self, factor: u32, servers: &[Server], srv: usize, served: u64) -> bool {
        let tot = self.tot_weight.max(1);
        let tot_slots = ((served + 1) * u64::from(factor)).div_ceil(100);
        let (per_weight, rem) = (tot_slots / tot, tot_slots % tot);
        let mut cumulative = 0u64;
        let mut weight = 0u64;
        for &(i, w) in &self.sig {
            if i == srv {
                weight = u64::from(w * BE_WEIGHT_SCALE);
                break;
            }
            cumulative += u64::from(w * BE_WEIGHT_SCALE);
        }
        let slots =
            weight * per_weight + ((cumulative + weight) * rem) / tot - (cumulative * rem) / tot;
        u64::from(servers[srv].cur_sess.load(Ordering::Relaxed)) < slots.max(1)
    }
}

/// The map-based table: `sum(weights)` slots filled by HAProxy's weighted
/// interleave: each round every server gains its weight, the one whose
/// score divided by the total is highest (the first on a tie) takes the
/// slot and pays the total back.
fn build_map(weights: &[(usize, u64)]) -> Vec<usize> {
    let tot: u64 = weights.iter().map(|&(_, w)| w).sum();
    let mut score = vec![0i64; weights.len()];
    let mut map = Vec::with_capacity(tot as usize);
    let itot = tot as i64;
    for _ in 0..tot {
        if weights.len() == 1 {
            map.push(weights[0].0);
            continue;
        }
        let mut best: Option<(usize, i64)> = None;
        for (k, &(_, w)) in weights.iter().enumerate() {
            score[k] += w as i64;
            let v = (score[k] + itot) / itot;
            if best.is_none_or(|(_, m)| v > m) {
                best = Some((k, v));
            }
        }
        if let Some((k, _)) = best {
            score[k] -= itot;
            map.push(weights[k].0);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_interleaves_by_weight() {
        assert_eq!(build_map(&[(0, 1), (1, 1)]), vec![0, 1]);
        let m = build_map(&[(0, 3), (1, 1)]);
        assert_eq!(m.len(), 4);
        assert_eq!(m.iter().filter(|&&s| s == 0).count(), 3);
    }

    #[test]
    fn source_hash_is_the_address_for_map_based() {
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(source_hash(HashType::default(), ip, 2), 0x0a00_0001);
        assert_eq!(source_hash(HashType::default(), ip, 1), 0);
        let v6: IpAddr = "::1:0:0:2".parse().unwrap();
        assert_eq!(source_hash(HashType::default(), v6, 2), 0x0001_0002);
    }
}
