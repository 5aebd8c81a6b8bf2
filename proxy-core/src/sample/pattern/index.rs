//! The compiled entries of one expression and their index, as HAProxy
//! indexes them:
//!
//! - `str` (case-sensitive): a hash map from the text to its entries;
//! - `beg` (case-sensitive): hash maps per pattern length, probed from the
//!   longest length that fits the sample (longest prefix wins);
//! - `ip`: hash maps per prefix length for IPv4 and for IPv6, probed from
//!   the longest (longest prefix wins); IPv4 networks with a mask that is
//!   not contiguous go to a list;
//! - `int`/`len`: exact values in a hash map, ranges in a list; the entry
//!   first in file order wins;
//! - `-i` on `str`/`beg`: hash maps on the lowercased text; the entry
//!   first in file order wins (HAProxy keeps those in a list);
//! - every other kind: the entries in file order, the first match wins.
//!
//! Entries are keyed by their reference entry's id, which grows in file
//! (and CLI addition) order, so "first in file order" is "smallest id".
//! Only entries of the reference's current version (`curr_gen`) match.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use super::parse::{mask6, Pat};
use super::MatchKind;
use crate::sample::value::Value;

/// One compiled entry.
#[derive(Debug)]
pub(crate) struct Slot {
    pub gen: u32,
    pub key: Box<str>,
    pub sample: Option<Box<str>>,
    /// The map value parsed to the output type (`None` for ACLs).
    pub value: Option<Value<'static>>,
    pub pat: Pat,
}

type Ids = Vec<u64>;

#[derive(Debug)]
enum Idx {
    List,
    Str(HashMap<Box<[u8]>, Ids>),
    Beg(BTreeMap<usize, HashMap<Box<[u8]>, Ids>>),
    Int {
        exact: HashMap<i64, Ids>,
        ranges: Ids,
    },
    Ip {
        v4: Box<[HashMap<u32, Ids>]>,
        v6: Box<[HashMap<u128, Ids>]>,
        list: Ids,
    },
}

/// A hit: the entry (none for `found`/`bool`) and whether an index (the
/// CLI's `idx=tree`) or a list found it.
pub(crate) struct Hit<'s> {
    pub slot: Option<&'s Slot>,
    pub tree: bool,
}

/// The entries of one expression.
#[derive(Debug)]
pub(crate) struct ExprState {
    pub curr_gen: u32,
    fold: bool,
    slots: BTreeMap<u64, Slot>,
    idx: Idx,
}

fn fold(b: &[u8], on: bool) -> Box<[u8]> {
    if on {
        b.to_ascii_lowercase().into()
    } else {
        b.into()
    }
}

fn drop_id(ids: &mut Ids, id: u64) {
    ids.retain(|&i| i != id);
}

impl ExprState {
    pub(crate) fn new(kind: MatchKind, icase: bool, curr_gen: u32) -> ExprState {
        let idx = match kind {
            MatchKind::Str => Idx::Str(HashMap::default()),
            MatchKind::Beg => Idx::Beg(BTreeMap::new()),
            MatchKind::Int | MatchKind::Len => Idx::Int {
                exact: HashMap::default(),
                ranges: Vec::new(),
            },
            MatchKind::Ip => Idx::Ip {
                v4: (0..=32).map(|_| HashMap::default()).collect(),
                v6: (0..=128).map(|_| HashMap::default()).collect(),
                list: Vec::new(),
            },
            _ => Idx::List,
        };
        ExprState {
            curr_gen,
            fold: icase,
            slots: BTreeMap::new(),
            idx,
        }
    }

    pub(crate) fn slot_mut(&mut self, id: u64) -> Option<&mut Slot> {
        self.slots.get_mut(&id)
    }

    pub(crate) fn insert(&mut self, id: u64, slot: Slot) {
        let f = self.fold;
        match (&mut self.idx, &slot.pat) {
            (Idx::Str(m), Pat::Str(s)) => m.entry(fold(s, f)).or_default().push(id),
            (Idx::Beg(m), Pat::Str(s)) => m
                .entry(s.len())
                .or_default()
                .entry(fold(s, f))
                .or_default()
                .push(id),
            (Idx::Int { exact, ranges }, p) => match *p {
                Pat::Int {
                    min: Some(a),
                    max: Some(b),
                } if a == b => exact.entry(a).or_default().push(id),
                _ => ranges.push(id),
            },
            (Idx::Ip { v4, list, .. }, Pat::V4 { addr, mask }) => {
                if mask.wrapping_add(mask & mask.wrapping_neg()) == 0 {
                    let bits = mask.count_ones() as usize;
                    if let Some(m) = v4.get_mut(bits) {
                        m.entry(*addr).or_default().push(id);
                    }
                } else {
                    list.push(id);
                }
            }
            (Idx::Ip { v6, .. }, Pat::V6 { addr, bits }) => {
                if let Some(m) = v6.get_mut(usize::from(*bits)) {
                    m.entry(*addr).or_default().push(id);
                }
            }
            _ => {}
        }
        self.slots.insert(id, slot);
    }

    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let Some(slot) = self.slots.remove(&id) else {
            return false;
        };
        let f = self.fold;
        match (&mut self.idx, &slot.pat) {
            (Idx::Str(m), Pat::Str(s)) => {
                let k = fold(s, f);
                if let Some(ids) = m.get_mut(&k) {
                    drop_id(ids, id);
                    if ids.is_empty() {
                        m.remove(&k);
                    }
                }
            }
            (Idx::Beg(m), Pat::Str(s)) => {
                if let Some(by) = m.get_mut(&s.len()) {
                    let k = fold(s, f);
                    if let Some(ids) = by.get_mut(&k) {
                        drop_id(ids, id);
                        if ids.is_empty() {
                            by.remove(&k);
                        }
                    }
                    if by.is_empty() {
                        m.remove(&s.len());
                    }
                }
            }
            (Idx::Int { exact, ranges }, _) => {
                for ids in exact.values_mut() {
                    drop_id(ids, id);
                }
                exact.retain(|_, ids| !ids.is_empty());
                drop_id(ranges, id);
            }
            (Idx::Ip { v4, v6, list }, p) => {
                match *p {
                    Pat::V4 { addr, mask } => {
                        if let Some(m) = v4.get_mut(mask.count_ones() as usize) {
                            if let Some(ids) = m.get_mut(&addr) {
                                drop_id(ids, id);
                                if ids.is_empty() {
                                    m.remove(&addr);
                                }
                            }
                        }
                    }
                    Pat::V6 { addr, bits } => {
                        if let Some(m) = v6.get_mut(usize::from(bits)) {
                            if let Some(ids) = m.get_mut(&addr) {
                                drop_id(ids, id);
                                if ids.is_empty() {
                                    m.remove(&addr);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                drop_id(list, id);
            }
            _ => {}
        }
        true
    }

    /// The first entry of `ids` in the current version.
    fn first<'s>(&'s self, ids: Option<&Ids>) -> Option<(u64, &'s Slot)> {
        ids?.iter().find_map(|id| {
            let s = self.slots.get(id)?;
            (s.gen == self.curr_gen).then_some((*id, s))
        })
    }

    fn current(&self) -> impl Iterator<Item = (u64, &Slot)> + '_ {
        self.slots
            .iter()
            .filter(|(_, s)| s.gen == self.curr_gen)
            .map(|(id, s)| (*id, s))
    }

    /// Looks `v` up as `kind` (which may differ from the kind the index was
    /// built for when kinds share an expression: `sub`, `dir`, `dom` and
    /// `end` share a list). `v` is already cast to the kind's input type.
    pub(crate) fn find(&self, kind: MatchKind, v: &Value<'_>) -> Option<Hit<'_>> {
        match kind {
            MatchKind::Found => Some(Hit {
                slot: None,
                tree: false,
            }),
            MatchKind::Bool => (v.to_int()? != 0).then_some(Hit {
                slot: None,
                tree: false,
            }),
            MatchKind::Int | MatchKind::Len => {
                let n = match kind {
                    MatchKind::Int => v.to_int()?,
                    _ => v.bytes()?.len() as i64,
                };
                let Idx::Int { exact, ranges } = &self.idx else {
                    return None;
                };
                let a = self.first(exact.get(&n));
                let b = ranges.iter().find_map(|id| {
                    let s = self.slots.get(id)?;
                    (s.gen == self.curr_gen && s.pat.contains(n)).then_some((*id, s))
                });
                let best = match (a, b) {
                    (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
                    (a, b) => a.or(b),
                };
                best.map(|(_, s)| list(s))
            }
            MatchKind::Ip => self.find_ip(v),
            MatchKind::Str => {
                let s = v.bytes()?;
                if let Idx::Str(m) = &self.idx {
                    let (_, slot) = self.first(m.get(&*fold(s, self.fold)))?;
                    return Some(if self.fold { list(slot) } else { tree(slot) });
                }
                None
            }
            MatchKind::Beg => {
                let s = v.bytes()?;
                let Idx::Beg(m) = &self.idx else { return None };
                if self.fold {
                    let folded = s.to_ascii_lowercase();
                    return m
                        .range(..=s.len())
                        .filter_map(|(&len, by)| self.first(by.get(&folded[..len])))
                        .min_by_key(|(id, _)| *id)
                        .map(|(_, slot)| list(slot));
                }
                m.range(..=s.len())
                    .rev()
                    .find_map(|(&len, by)| self.first(by.get(&s[..len])))
                    .map(|(_, slot)| tree(slot))
            }
            _ => {
                let s = v.bytes()?;
                self.current()
                    .find(|(_, slot)| list_match(kind, &slot.pat, s, self.fold))
                    .map(|(_, slot)| list(slot))
            }
        }
    }

    fn find_ip(&self, v: &Value<'_>) -> Option<Hit<'_>> {
        let Idx::Ip { v4, v6, list } = &self.idx else {
            return None;
        };
        let hit = |slot| Hit {
            slot: Some(slot),
            tree: true,
        };
        let in_v4 = |a: u32| {
            (0..=32usize).rev().find_map(|bits| {
                let m = v4.get(bits).filter(|m| !m.is_empty())?;
                let mask = u32::MAX.checked_shl(32 - bits as u32).unwrap_or(0);
                self.first(m.get(&(a & mask)))
            })
        };
        let in_v6 = |a: u128| {
            (0..=128u8).rev().find_map(|bits| {
                let m = v6.get(usize::from(bits)).filter(|m| !m.is_empty())?;
                self.first(m.get(&(a & mask6(bits))))
            })
        };
        // The IPv4 form of a sample, for the IPv4 tree and list: an IPv4
        // sample, or an IPv6 one that is IPv4-mapped, IPv4-compatible
        // (`::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`).
        let as_v4 = match *v {
            Value::Ipv4(a) => Some(u32::from(a)),
            Value::Ipv6(a) => {
                let n = u128::from(a);
                if n >> 64 == 0 && matches!((n >> 32) as u32, 0 | 0xffff) {
                    Some(n as u32)
                } else if (n >> 112) == 0x2002 {
                    Some((n >> 80) as u32)
                } else {
                    None
                }
            }
            _ => return None,
        };
        match *v {
            Value::Ipv4(a) => {
                if let Some((_, s)) = in_v4(u32::from(a)) {
                    return Some(hit(s));
                }
                if let Some((_, s)) = in_v6(u128::from(a.to_ipv6_mapped())) {
                    return Some(hit(s));
                }
            }
            Value::Ipv6(a) => {
                if let Some((_, s)) = in_v6(u128::from(a)) {
                    return Some(hit(s));
                }
                if let Some((_, s)) = as_v4.and_then(in_v4) {
                    return Some(hit(s));
                }
            }
            _ => {}
        }
        let a = as_v4?;
        list.iter().find_map(|id| {
            let s = self.slots.get(id).filter(|s| s.gen == self.curr_gen)?;
            match s.pat {
                Pat::V4 { addr, mask } if (a ^ addr) & mask == 0 => Some(Hit {
                    slot: Some(s),
                    tree: false,
                }),
                _ => None,
            }
        })
    }
}

fn tree(slot: &Slot) -> Hit<'_> {
    Hit {
        slot: Some(slot),
        tree: true,
    }
}

fn list(slot: &Slot) -> Hit<'_> {
    Hit {
        slot: Some(slot),
        tree: false,
    }
}

fn eq(a: &[u8], b: &[u8], icase: bool) -> bool {
    if icase {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// The list kinds: `sub`, `dir`, `dom`, `end`, `reg`, `bin` (and `str`
/// or `beg` when they share nothing else).
fn list_match(kind: MatchKind, pat: &Pat, s: &[u8], icase: bool) -> bool {
    match (kind, pat) {
        (MatchKind::Reg, Pat::Reg(r)) => r.is_match(s),
        (MatchKind::Bin, Pat::Bin(p)) => s == &p[..],
        (_, Pat::Str(p)) => {
            let p = &p[..];
            match kind {
                MatchKind::Str => eq(s, p, icase),
                MatchKind::Beg => s.len() >= p.len() && eq(&s[..p.len()], p, icase),
                MatchKind::End => s.len() >= p.len() && eq(&s[s.len() - p.len()..], p, icase),
                // An empty pattern never matches (HAProxy compares its NUL).
                MatchKind::Sub => !p.is_empty() && s.windows(p.len()).any(|w| eq(w, p, icase)),
                MatchKind::Dir => match_word(s, p, b"/?", icase),
                MatchKind::Dom => match_word(s, p, b"/?.:", icase),
                _ => false,
            }
        }
        _ => false,
    }
}

/// `pat`, without its own leading and trailing delimiters, found in `s`
/// between delimiters or the ends (`dir` and `dom`).
fn match_word(s: &[u8], pat: &[u8], delims: &[u8], icase: bool) -> bool {
    let is_d = |b: &u8| delims.contains(b);
    let start = pat.iter().position(|b| !is_d(b)).unwrap_or(pat.len());
    let end = pat.iter().rposition(|b| !is_d(b)).map_or(start, |e| e + 1);
    let p = &pat[start..end.max(start)];
    if p.is_empty() || p.len() > s.len() {
        return false;
    }
    let mut may = true;
    for i in 0..=s.len() - p.len() {
        if is_d(&s[i]) {
            may = true;
            continue;
        }
        if !may {
            continue;
        }
        let j = i + p.len();
        if eq(&s[i..j], p, icase) && (j == s.len() || is_d(&s[j])) {
            return true;
        }
        may = false;
    }
    false
}
