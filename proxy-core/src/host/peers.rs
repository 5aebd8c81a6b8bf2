//! The host services of the peers applet: its section's configuration, the
//! shared stick tables in the protocol's wire forms, outgoing peer
//! streams (opened by [`crate::peers_net`], reached through
//! `State::peers`), waking a stream, and the status board `show peers`
//! reads (kept in `State::peers`, as the kicks are in `State::kicks`).
//!
//! Conversions: keys go out with [`Key::to_wire`] and come back with
//! [`Key::from_wire`] for the local table's type (a key of the wrong
//! length is dropped); values go out in the layout's order (arrays
//! expanded), signed ones sign-extended; learned values are matched by data
//! type id and element index, and [`StickTable::apply_remote`] keeps
//! local-only types (`conn_cur`) out.

use std::sync::Arc;

use abi_stable::std_types::{RErr, RNone, ROk, ROption, RResult, RSome, RStr, RString, RVec};
use applet_sdk::peers::{
    PeerEntry, PeerInfo, PeerUpdates, PeerValue, PeerValueKind, PeersSectionInfo, SectionStatus,
    SharedTableInfo, TableDataInfo, TableMarks,
};

use super::services::{contain, state};
use crate::config::model_stick::{local_peer_name, PeersConfig};
use crate::config::BindAddr;
use crate::state::State;
use crate::stick::{DataType, DataValue, Key, RemoteValue, StickTable};

/// The tables a peers section shares, in declaration order.
pub(crate) fn section_tables<'a>(st: &'a State, section: &str) -> Vec<&'a Arc<StickTable>> {
    let mut idx: Vec<usize> = (0..st.stick.list.len())
        .filter(|&i| st.stick.list[i].config().peers.as_deref() == Some(section))
        .collect();
    idx.sort_by_key(|&i| st.config.tables.get(i).map_or(i, |d| d.seq));
    idx.into_iter().map(|i| &st.stick.list[i]).collect()
}

/// A peer's address: its own, or the section's `bind` for the local one.
pub(crate) fn peer_addr(p: &PeersConfig, name: &str) -> Option<std::net::SocketAddr> {
    let peer = p.peers.iter().find(|x| x.name == name)?;
    if let Some(a) = peer.addr {
        return Some(a);
    }
    match p.bind.as_ref().and_then(|b| b.addrs.first()) {
        Some(BindAddr::Tcp(a)) => Some(*a),
        _ => None,
    }
}

fn table_info(t: &StickTable) -> SharedTableInfo {
    let c = t.config();
    SharedTableInfo {
        name: c.name.as_str().into(),
        net_name: c.nid.as_str().into(),
        key_type: u32::from(c.key_type.peer_key_type()),
        key_len: c.key_type.key_size() as u32,
        expire_ms: c.expire_ms,
        data: c
            .layout
            .specs()
            .iter()
            .map(|s| TableDataInfo {
                id: s.data_type.id(),
                nbelem: s.nbelem.max(1),
                period: s.period_ms,
            })
            .collect(),
    }
}

pub(super) extern "C" fn host_peers_section(name: RStr<'_>) -> ROption<PeersSectionInfo> {
    contain("peers_section", RNone, || {
        let Some(st) = state() else { return RNone };
        let Some(p) = st.config.peers.iter().find(|p| p.name == name.as_str()) else {
            return RNone;
        };
        let local = local_peer_name(st.config.global.localpeer.as_deref());
        RSome(section_info(&st, p, &local))
    })
}

/// Section `p` as the SDK describes it, `local` being the local peer's
/// name (also part of `show peers`' view).
pub(super) fn section_info(st: &State, p: &PeersConfig, local: &str) -> PeersSectionInfo {
    PeersSectionInfo {
        name: p.name.as_str().into(),
        local_peer: local.into(),
        peers: p
            .peers
            .iter()
            .map(|l| PeerInfo {
                name: l.name.as_str().into(),
                addr: peer_addr(p, &l.name)
                    .map(|a| RString::from(a.to_string()))
                    .unwrap_or_default(),
                local: l.name == local,
            })
            .collect(),
        tables: section_tables(st, &p.name)
            .into_iter()
            .map(|t| table_info(t))
            .collect(),
        pid: std::process::id(),
        max_message: st.config.global.bufsize as u32,
        old_process: st.peers.old_process(),
    }
}

fn find_table(st: &State, name: &str) -> Option<Arc<StickTable>> {
    st.stick.find(name).cloned()
}

pub(super) extern "C" fn host_table_marks(table: RStr<'_>) -> ROption<TableMarks> {
    contain("table_marks", RNone, || {
        let Some(t) = state().and_then(|st| find_table(&st, table.as_str())) else {
            return RNone;
        };
        RSome(TableMarks {
            local_update: t.local_watermark(),
            update: t.watermark(),
        })
    })
}

fn wire_value(v: &DataValue, now: u64) -> PeerValue {
    match v {
        DataValue::SInt(x) => PeerValue::int(i64::from(*x) as u64),
        DataValue::UInt(x) => PeerValue::int(u64::from(*x)),
        DataValue::Ull(x) => PeerValue::int(*x),
        DataValue::Freq(f) => {
            let (elapsed, curr, prev) = f.to_wire(now);
            PeerValue::freq(u64::from(elapsed), u64::from(curr), u64::from(prev))
        }
        DataValue::Dict(d) => PeerValue::dict(d.as_deref()),
    }
}

pub(super) extern "C" fn host_table_collect(
    table: RStr<'_>,
    after: u64,
    upto: u64,
    include_learned: bool,
    max: u32,
) -> RVec<PeerEntry> {
    contain("table_collect", RVec::new(), || {
        let Some(t) = state().and_then(|st| find_table(&st, table.as_str())) else {
            return RVec::new();
        };
        let now = crate::counters::now_ms();
        let mut out = RVec::with_capacity((max as usize).min(4096));
        t.visit_updates(
            after,
            upto,
            include_learned,
            max as usize,
            now,
            |id, e, exp| {
                out.push(PeerEntry {
                    id,
                    key: e.key().to_wire().into(),
                    expire_ms: exp,
                    local: e.changed_locally(),
                    values: e.values().iter().map(|v| wire_value(v, now)).collect(),
                })
            },
        );
        out
    })
}

fn remote_value(v: &PeerValue) -> Option<RemoteValue> {
    match v.kind {
        PeerValueKind::INT => Some(RemoteValue::Int(v.a)),
        PeerValueKind::FREQ => Some(RemoteValue::Freq {
            elapsed: v.a,
            curr: v.b as u32,
            prev: v.c as u32,
        }),
        PeerValueKind::DICT => Some(RemoteValue::Dict(
            v.text.as_ref().map(|s| Arc::from(s.as_str())).into_option(),
        )),
        _ => None,
    }
}

pub(super) extern "C" fn host_table_apply(table: RStr<'_>, updates: &PeerUpdates) -> u32 {
    contain("table_apply", 0, || {
        let Some(t) = state().and_then(|st| find_table(&st, table.as_str())) else {
            return 0;
        };
        let now = crate::counters::now_ms();
        let kt = t.config().key_type;
        let mut stored = 0;
        for (key, expire, values) in updates.iter() {
            let Some(key) = Key::from_wire(&kt, key) else {
                continue;
            };
            let values = values.iter().filter_map(|v| {
                Some((
                    DataType::from_id(u64::from(v.id))?,
                    v.index,
                    remote_value(&v.value)?,
                ))
            });
            if t.apply_remote_values(&key, values, expire, now) {
                stored += 1;
            }
        }
        stored
    })
}

pub(super) extern "C" fn host_peer_connect(
    section: RStr<'_>,
    peer: RStr<'_>,
    token: u64,
) -> RResult<u64, RString> {
    contain("peer_connect", RErr("internal error".into()), || {
        let Some(st) = state() else {
            return RErr("the proxy is not running".into());
        };
        match st
            .peers
            .connect(&st, section.as_str(), peer.as_str(), token)
        {
            Ok(id) => ROk(id),
            Err(e) => RErr(e.into()),
        }
    })
}

pub(super) extern "C" fn host_wake(stream_id: u64) {
    contain("wake", (), || {
        if let Some(st) = state() {
            st.kicks.wake(stream_id);
        }
    })
}

pub(super) extern "C" fn host_peers_status(section: RStr<'_>, status: SectionStatus) {
    contain("peers_status", (), || {
        if let Some(st) = state() {
            st.peers.publish(section.as_str(), status);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stick::freq::FreqCtr;

    #[test]
    fn values_cross_in_wire_form() {
        assert_eq!(wire_value(&DataValue::SInt(-1), 0).a, u64::MAX);
        assert_eq!(wire_value(&DataValue::UInt(7), 0), PeerValue::int(7));
        let mut f = FreqCtr::default();
        f.update(1_000_000, 10_000, 3);
        let w = wire_value(&DataValue::Freq(f), 1_000_500);
        assert_eq!((w.kind, w.a, w.b, w.c), (PeerValueKind::FREQ, 500, 3, 0));
        let d = wire_value(&DataValue::Dict(Some(Arc::from("s1"))), 0);
        assert_eq!(d.text.as_ref().map(|s| s.as_str()), RSome("s1"));
        assert_eq!(
            remote_value(&PeerValue::freq(5, 6, 7)),
            Some(RemoteValue::Freq {
                elapsed: 5,
                curr: 6,
                prev: 7
            })
        );
        assert_eq!(
            remote_value(&PeerValue::dict(None)),
            Some(RemoteValue::Dict(None))
        );
        let odd = PeerValue {
            kind: PeerValueKind(99),
            ..PeerValue::int(1)
        };
        assert_eq!(remote_value(&odd), None);
    }
}
