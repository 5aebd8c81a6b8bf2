//! `show peers` rendered from a hand-built view: one section of two
//! peers, the remote one connected, one shared table.

use applet_sdk::abi_stable::std_types::{RNone, RSome, RVec};
use applet_sdk::peers::{
    PeerInfo, PeerStatus, PeerTableStatus, PeersSectionInfo, SectionStatus, SharedTableInfo,
    TableMarks,
};
use applet_sdk::{PeersSectionView, PeersView, SharedTableView};

use super::*;

fn peer(name: &str, addr: &str, local: bool) -> PeerInfo {
    PeerInfo {
        name: name.into(),
        addr: addr.into(),
        local,
    }
}

fn config() -> PeersSectionInfo {
    PeersSectionInfo {
        name: "mypeers".into(),
        local_peer: "hapA".into(),
        peers: RVec::from(vec![
            peer("hapA", "127.0.0.1:10000", true),
            peer("hapB", "127.0.0.1:10001", false),
        ]),
        tables: RVec::from(vec![SharedTableInfo {
            name: "mypeers/t".into(),
            net_name: "/t".into(),
            key_type: 4,
            key_len: 4,
            expire_ms: 0,
            data: RVec::new(),
        }]),
        pid: 1,
        max_message: 16384,
        old_process: false,
    }
}

/// hapB connected (published 500 ms before the view was taken).
fn status() -> SectionStatus {
    SectionStatus {
        flags: 0x3,
        resync_timeout: RSome(-5),
        task_calls: 12,
        peers: RVec::from(vec![PeerStatus {
            name: "hapB".into(),
            active: true,
            status: 200,
            last_hdshk: RSome(-1500),
            reconnect: RSome(3500),
            heartbeat: RSome(1200),
            confirm: 0,
            tx_hbt: 1,
            rx_hbt: 0,
            no_hbt: 0,
            new_conn: 1,
            proto_err: 0,
            coll: 0,
            flags: 0,
            stream_id: 0xa,
            remote_table: 1,
            last_local_table: 1,
            tables: RVec::from(vec![PeerTableStatus {
                local_id: 1,
                remote_id: 1,
                flags: 0,
                remote_data: 6,
                last_acked: 2,
                last_pushed: 2,
                last_get: 0,
                teaching_origin: 0,
                update: 2,
            }]),
        }]),
    }
}

fn view(status: Option<SectionStatus>) -> PeersView {
    PeersView {
        now_ms: 1500,
        sections: RVec::from(vec![PeersSectionView {
            config: config(),
            id: 0x55d0_c8a1_c2a0,
            disabled: false,
            // 07/Dec/2026:18:09:44 UTC, an hour east.
            last_change_s: 1_796_666_984,
            utc_offset_s: 3600,
            peer_ids: RVec::from(vec![0x55d0_c8a1_c300, 0x55d0_c8a1_c3f0]),
            tables: RVec::from(vec![SharedTableView {
                id: 0x55d0_c8a1_d000,
                marks: TableMarks {
                    local_update: 2,
                    update: 3,
                },
            }]),
            status: status.into(),
            published_ms: 1000,
            metrics: RVec::new(),
        }]),
        metrics: RVec::new(),
    }
}

const CONNECTED: &str = "\
0x55d0c8a1c2a0: [07/Dec/2026:19:09:44] id=mypeers disabled=0 flags=0x3 resync_timeout=<PAST> task_calls=12
  0x55d0c8a1c3f0: id=hapB(remote,active) addr=127.0.0.1:10001 last_status=ESTA last_hdshk=2s
        reconnect=3s heartbeat=1s confirm=0 tx_hbt=1 rx_hbt=0 no_hbt=0 new_conn=1 proto_err=0 coll=0
        flags=0x0 appctx:0x7f00000000a0 st0=7 st1=0 task_calls=0 state=EST
        remote_table:0x55d0c8a1c3f8 id=mypeers/t local_id=1 remote_id=1
        last_local_table:0x55d0c8a1c3f8 id=mypeers/t local_id=1 remote_id=1
        shared tables:
          0x55d0c8a1c3f8 local_id=1 remote_id=1 flags=0x0 remote_data=0x6
              last_acked=2 last_pushed=2 last_get=0 teaching_origin=0 update=2
              table:0x55d0c8a1d000 id=mypeers/t update=3 localupdate=2 commitupdate=0 refcnt=1
        Dictionary cache not dumped (use \"show peers dict\")
  0x55d0c8a1c300: id=hapA(local,inactive) addr=127.0.0.1:10000 last_status=NONE last_hdshk=<NEVER>
        reconnect=<NEVER> heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=0 proto_err=0 coll=0
        flags=0x0
        shared tables:
          0x55d0c8a1c308 local_id=1 remote_id=0 flags=0x0 remote_data=0x0
              last_acked=0 last_pushed=0 last_get=0 teaching_origin=0 update=0
              table:0x55d0c8a1d000 id=mypeers/t update=3 localupdate=2 commitupdate=0 refcnt=1
        Dictionary cache not dumped (use \"show peers dict\")
";

#[test]
fn connected_peer_and_local_one() {
    let v = view(Some(status()));
    assert_eq!(render(&[], &v).as_deref(), Ok(CONNECTED));
    assert_eq!(render(&["-", "mypeers"], &v).as_deref(), Ok(CONNECTED));
    assert_eq!(render(&["mypeers"], &v).as_deref(), Ok(CONNECTED));
}

#[test]
fn before_anything_was_published() {
    let out = render(&[], &view(None)).unwrap_or_default();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "0x55d0c8a1c2a0: [07/Dec/2026:19:09:44] id=mypeers disabled=0 flags=0x0 resync_timeout=<NEVER> task_calls=0"
    );
    assert_eq!(
        lines[1],
        "  0x55d0c8a1c3f0: id=hapB(remote,inactive) addr=127.0.0.1:10001 last_status=NONE last_hdshk=<NEVER>"
    );
    assert_eq!(lines[3], "        flags=0x0");
    assert_eq!(lines[4], "        shared tables:");
}

#[test]
fn dict_form() {
    let out = render(&["dict", "mypeers"], &view(Some(status()))).unwrap_or_default();
    assert!(!out.contains("not dumped"));
    let tail = "        TX dictionary cache:\n        RX dictionary cache:\n            0 -> -    1 -> -    2 -> -    3 -> -\n";
    assert_eq!(out.matches(tail).count(), 2, "{out}");
    assert_eq!(
        out.matches("          124 -> -  125 -> -  126 -> -  127 -> -\n")
            .count(),
        2
    );
    // The section, hapB (with its table lines), hapA.
    assert_eq!(
        out.lines().count(),
        1 + (5 + 1 + 3 + 2 + 32) + (3 + 1 + 3 + 2 + 32)
    );
}

#[test]
fn unknown_section_and_empty_view() {
    let v = view(None);
    assert_eq!(render(&["nope"], &v), Err("No such peers\n".to_string()));
    assert_eq!(
        render(&["dict", "nope"], &v),
        Err("No such peers\n".to_string())
    );
    assert_eq!(render(&[], &PeersView::default()), Ok(String::new()));
    assert_eq!(
        render(&["x"], &PeersView::default()),
        Err("No such peers\n".to_string())
    );
}

#[test]
fn sections_are_separated_by_an_empty_line() {
    let mut v = view(None);
    let mut other = v.sections[0].clone();
    other.config.name = "other".into();
    other.config.tables = RVec::new();
    other.disabled = true;
    other.status = RNone;
    v.sections.push(other);
    let out = render(&[], &v).unwrap_or_default();
    assert!(out.contains(
        "(use \"show peers dict\")\n\n0x55d0c8a1c2a0: [07/Dec/2026:19:09:44] id=other disabled=1 "
    ));
    assert!(out.ends_with("flags=0x0\n"));
    assert_eq!(render(&["other"], &v).map(|s| s.lines().count()), Ok(7));
}

#[test]
fn times() {
    assert_eq!(human_ms(0), "0s");
    assert_eq!(human_ms(1), "1s");
    assert_eq!(human_ms(61_000), "1m1s");
    assert_eq!(human_ms(90_061_000), "1d1h");
    assert_eq!(human_ms(-1), "?");
    assert_eq!(timer(Some(10), 10), "<PAST>");
    assert_eq!(dmy_hms(0), "01/Jan/1970:00:00:00");
    assert_eq!(dmy_hms(951_782_400), "29/Feb/2000:00:00:00");
}
