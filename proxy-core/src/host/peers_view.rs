//! `peers_view` of the host-services table: `show peers` as data for
//! applets ([`applet_sdk::peers_view`]).
//!
//! As HAProxy 2.6 lists them: sections last declared first, only those
//! naming the local peer (`-L`, `localpeer`, host name). Each carries its
//! configuration (the peers applet's [`PeersSectionInfo`]), the
//! identities `show peers` prints as addresses (the configuration
//! objects' and the tables' own), the tables' update counters, and the
//! state the peers applet last published on the status board
//! (`State::peers`), with when it did. The section's date is the
//! process's start, in local time as HAProxy prints it.
//!
//! [`PeersSectionInfo`]: applet_sdk::peers::PeersSectionInfo

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use abi_stable::std_types::{ROption, RVec};
use applet_sdk::peers::TableMarks;
use applet_sdk::{PeersSectionView, PeersView, SharedTableView};

use super::peers::{section_info, section_tables};
use super::services::{contain, state};
use crate::config::model_stick::{local_peer_name, PeersConfig};
use crate::state::State;

pub(super) extern "C" fn host_peers_view() -> PeersView {
    contain("peers_view", PeersView::default(), || match state() {
        Some(st) => view(&st),
        None => PeersView::default(),
    })
}

/// Milliseconds from the state's start to `t` (0 before it).
fn since_start(st: &State, t: Instant) -> u64 {
    t.saturating_duration_since(st.started).as_millis() as u64
}

/// The sections `show peers` lists, in its order.
pub(super) fn view(st: &State) -> PeersView {
    let local = local_peer_name(st.config.global.localpeer.as_deref());
    let now = Instant::now();
    let started = SystemTime::now()
        .checked_sub(now.saturating_duration_since(st.started))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let started_s = started
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let sections = st
        .config
        .peers
        .iter()
        .rev()
        .filter(|p| p.local(&local).is_some())
        .map(|p| section(st, p, &local, started_s))
        .collect();
    PeersView {
        now_ms: since_start(st, now),
        sections,
        metrics: RVec::new(),
    }
}

fn section(st: &State, p: &PeersConfig, local: &str, started_s: i64) -> PeersSectionView {
    let (status, published_ms) = match st.peers.section_status(&p.name) {
        Some((s, at)) => (ROption::RSome(s), since_start(st, at)),
        None => (ROption::RNone, 0),
    };
    PeersSectionView {
        config: section_info(st, p, local),
        id: p as *const PeersConfig as u64,
        disabled: p.disabled,
        last_change_s: started_s,
        utc_offset_s: crate::log::date::local_offset(started_s),
        peer_ids: p.peers.iter().map(|l| l as *const _ as u64).collect(),
        tables: section_tables(st, &p.name)
            .into_iter()
            .map(|t| SharedTableView {
                id: Arc::as_ptr(t) as u64,
                marks: TableMarks {
                    local_update: t.local_watermark(),
                    update: t.watermark(),
                },
            })
            .collect(),
        status,
        published_ms,
        metrics: RVec::new(),
    }
}

#[cfg(test)]
mod tests {
    use applet_sdk::peers::SectionStatus;

    use super::*;

    const CFG: &str = "\
global
    localpeer hapA

peers mypeers
    peer hapA 127.0.0.1:10000
    peer hapB 127.0.0.1:10001
    table t type ip size 10 store gpc0

peers other
    peer someone 127.0.0.1:1

peers second
    disabled
    peer hapA 127.0.0.1:10002
";

    #[test]
    fn sections_as_show_peers_lists_them() {
        let config = crate::config::parse_str(CFG, "test.cfg").expect("config");
        let st = State::build(config);
        if std::env::var_os("HAPROXY_LOCALPEER").is_some() {
            return; // another name wins over `localpeer`
        }
        let v = view(&st);
        let names: Vec<&str> = v.sections.iter().map(|s| s.config.name.as_str()).collect();
        assert_eq!(names, ["second", "mypeers"]);
        let s = &v.sections[1];
        assert!(v.sections[0].disabled && !s.disabled);
        let peers: Vec<(&str, &str, bool)> = s
            .config
            .peers
            .iter()
            .map(|p| (p.name.as_str(), p.addr.as_str(), p.local))
            .collect();
        assert_eq!(
            peers,
            [
                ("hapA", "127.0.0.1:10000", true),
                ("hapB", "127.0.0.1:10001", false)
            ]
        );
        assert_eq!(s.peer_ids.len(), 2);
        assert!(s.peer_ids[0] != 0 && s.peer_ids[0] != s.peer_ids[1]);
        assert_eq!(s.config.tables[0].name.as_str(), "mypeers/t");
        assert_eq!(s.tables.len(), 1);
        assert_eq!(s.tables[0].marks, TableMarks::default());
        assert!(s.status.is_none());

        st.peers.publish(
            "mypeers",
            SectionStatus {
                flags: 3,
                resync_timeout: ROption::RNone,
                task_calls: 7,
                peers: RVec::new(),
            },
        );
        let v = view(&st);
        let s = &v.sections[1];
        assert_eq!(
            s.status.as_ref().map(|s| s.task_calls).into_option(),
            Some(7)
        );
        assert!(s.published_ms <= v.now_ms);
    }
}
