//! The host's side of the protocol in this crate's terms: a peers section's
//! configuration ([`applet_sdk::peers::PeersSectionInfo`]) as a
//! [`SectionConfig`], the host's stick tables as a [`TableSource`], and the
//! conversions between the SDK's wire-form entries and values and
//! [`OutEntry`] / [`UpdateIn`] / [`Value`].
//!
//! This is the only module (with `runtime` and `plugin`) that reads
//! `applet_sdk::peers` types; the protocol modules never see them.

use applet_sdk::peers::{
    PeerEntry, PeerUpdateValue, PeerUpdates, PeerValue, PeerValueKind, PeersSectionInfo,
    SharedTableInfo,
};
use applet_sdk::Host;

use crate::section::{OutEntry, SectionConfig, TableSource};
use crate::table_def::{DataParam, TableDef};
use crate::update::{UpdateIn, Value};

/// A table as the protocol defines it to peers (its id is set by the
/// section).
pub fn table_def(t: &SharedTableInfo) -> TableDef {
    TableDef {
        id: 0,
        name: t.net_name.as_str().as_bytes().to_vec(),
        key_type: u64::from(t.key_type),
        key_len: u64::from(t.key_len),
        expire: u64::from(t.expire_ms),
        params: t
            .data
            .iter()
            .map(|d| DataParam {
                id: d.id,
                nbelem: d.nbelem,
                period: d.period,
            })
            .collect(),
    }
}

/// The section's configuration from the host's description. `seed` feeds
/// the reconnect delays' randomness.
pub fn section_config(info: &PeersSectionInfo, seed: u64) -> SectionConfig {
    let peers: Vec<&str> = info.peers.iter().map(|p| p.name.as_str()).collect();
    let tables = info.tables.iter().map(table_def).collect();
    let mut cfg = SectionConfig::new(info.local_peer.as_str(), &peers, tables);
    cfg.pid = info.pid;
    cfg.old_process = info.old_process;
    if info.max_message > 0 {
        cfg.max_payload = info.max_message as usize;
    }
    cfg.seed = seed;
    cfg
}

/// One SDK value as the protocol's.
pub fn value_in(v: &PeerValue) -> Value {
    match v.kind {
        PeerValueKind::FREQ => Value::Freq {
            elapsed: v.a,
            curr: v.b,
            prev: v.c,
        },
        PeerValueKind::DICT => Value::Dict(v.text.as_ref().map(|s| s.to_string()).into_option()),
        // INT, and any kind newer than this library: its integer
        _ => Value::Int(v.a),
    }
}

/// One protocol value as the SDK's.
pub fn value_out(v: &Value) -> PeerValue {
    match v {
        Value::Int(a) => PeerValue::int(*a),
        Value::Freq {
            elapsed,
            curr,
            prev,
        } => PeerValue::freq(*elapsed, *curr, *prev),
        Value::Dict(text) => PeerValue::dict(text.as_deref()),
    }
}

/// A changed entry of the host's table, to push (its key buffer is
/// taken over, not copied).
pub fn out_entry(e: PeerEntry) -> OutEntry {
    OutEntry {
        id: e.id,
        key: e.key.into_vec(),
        expire: e.expire_ms,
        values: e.values.iter().map(value_in).collect(),
    }
}

/// A learned update, for the host's table that stores `stored` (the
/// sender's other types are dropped, as HAProxy does).
pub fn push_update(batch: &mut PeerUpdates, u: &UpdateIn, stored: &[DataParam]) {
    // an array's elements come one after the other: count them per type
    let mut last: Option<u8> = None;
    let mut index = 0u32;
    let values = u.data.iter().filter_map(move |(id, v)| {
        index = if last == Some(*id) { index + 1 } else { 0 };
        last = Some(*id);
        stored.iter().any(|p| p.id == *id).then(|| PeerUpdateValue {
            id: *id,
            index,
            value: value_out(v),
        })
    });
    batch.push(&u.key, u.expire, values);
}

/// The host's stick tables of one section, by index (the section's table
/// order) and CLI name.
pub struct HostSource<'a> {
    pub host: Host,
    pub tables: &'a [String],
}

impl HostSource<'_> {
    fn name(&self, t: usize) -> Option<&str> {
        self.tables.get(t).map(String::as_str)
    }
}

impl TableSource for HostSource<'_> {
    fn local_update(&self, t: usize) -> u64 {
        self.name(t)
            .and_then(|n| self.host.table_marks(n))
            .map_or(0, |m| m.local_update)
    }

    fn update(&self, t: usize) -> u64 {
        self.name(t)
            .and_then(|n| self.host.table_marks(n))
            .map_or(0, |m| m.update)
    }

    fn collect(
        &self,
        t: usize,
        after: u64,
        upto: u64,
        include_learned: bool,
        max: usize,
    ) -> Vec<OutEntry> {
        let Some(name) = self.name(t) else {
            return Vec::new();
        };
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.host
            .table_collect(name, after, upto, include_learned, max)
            .into_iter()
            // never more than asked, never outside the range: the push
            // loop relies on both
            .filter(|e| e.id > after && e.id <= upto)
            .take(max as usize)
            .map(out_entry)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use applet_sdk::abi_stable::std_types::RVec;
    use applet_sdk::peers::{PeerInfo, TableDataInfo};

    #[test]
    fn values_convert_both_ways() {
        let vals = [
            Value::Int(7),
            Value::Int(u64::MAX),
            Value::Freq {
                elapsed: 1,
                curr: 2,
                prev: 3,
            },
            Value::Dict(Some("srv1".into())),
            Value::Dict(None),
        ];
        for v in &vals {
            assert_eq!(&value_in(&value_out(v)), v);
        }
        let odd = PeerValue {
            kind: PeerValueKind(99),
            ..PeerValue::int(5)
        };
        assert_eq!(value_in(&odd), Value::Int(5));
    }

    #[test]
    fn updates_and_entries_convert() {
        let u = UpdateIn {
            id: 3,
            expire: Some(1000),
            key: vec![10, 0, 0, 1],
            data: vec![(0, Value::Int(2)), (23, Value::Int(1)), (23, Value::Int(4))],
        };
        let param = |id| DataParam {
            id,
            nbelem: 2,
            period: 0,
        };
        let mut b = PeerUpdates::default();
        push_update(&mut b, &u, &[param(0), param(23)]);
        // a type the local table does not store is dropped
        push_update(&mut b, &u, &[param(23), param(2)]);
        let all: Vec<_> = b.iter().collect();
        assert_eq!(all.len(), 2);
        let (key, expire, vals) = all[0];
        assert_eq!((key, expire), (&[10, 0, 0, 1][..], Some(1000)));
        let ids: Vec<(u8, u32)> = vals.iter().map(|v| (v.id, v.index)).collect();
        assert_eq!(ids, [(0, 0), (23, 0), (23, 1)]);
        assert_eq!(vals[2].value, PeerValue::int(4));
        assert_eq!(all[1].2.iter().map(|v| v.id).collect::<Vec<_>>(), [23, 23]);
        let e = PeerEntry {
            id: 9,
            key: RVec::from(b"abc".to_vec()),
            expire_ms: 5,
            local: true,
            values: RVec::from(vec![PeerValue::freq(1, 2, 3)]),
        };
        let o = out_entry(e);
        assert_eq!((o.id, &o.key[..], o.expire), (9, &b"abc"[..], 5));
        assert_eq!(
            o.values,
            [Value::Freq {
                elapsed: 1,
                curr: 2,
                prev: 3
            }]
        );
    }

    #[test]
    fn the_section_config_follows_the_host() {
        let info = PeersSectionInfo {
            name: "mypeers".into(),
            local_peer: "b".into(),
            peers: RVec::from(vec![
                PeerInfo {
                    name: "a".into(),
                    addr: "127.0.0.1:1".into(),
                    local: false,
                },
                PeerInfo {
                    name: "b".into(),
                    addr: "127.0.0.1:2".into(),
                    local: true,
                },
            ]),
            tables: RVec::from(vec![SharedTableInfo {
                name: "mypeers/t1".into(),
                net_name: "/t1".into(),
                key_type: 6,
                key_len: 33,
                expire_ms: 30_000,
                data: RVec::from(vec![TableDataInfo {
                    id: 5,
                    nbelem: 1,
                    period: 10_000,
                }]),
            }]),
            pid: 77,
            max_message: 8192,
            old_process: false,
        };
        let c = section_config(&info, 1);
        assert_eq!(c.local_name, "b");
        assert_eq!(c.peers, ["a", "b"]);
        assert_eq!((c.pid, c.max_payload), (77, 8192));
        let t = &c.tables[0];
        assert_eq!(
            (&t.name[..], t.key_type, t.key_len, t.expire),
            (&b"/t1"[..], 6, 33, 30_000)
        );
        assert_eq!(
            t.params,
            [DataParam {
                id: 5,
                nbelem: 1,
                period: 10_000
            }]
        );
    }
}
