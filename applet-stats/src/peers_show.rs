//! `show peers [dict|-] [<section>]`, rendered here from the host's
//! `show peers` data ([`applet_sdk::peers_view`]) in HAProxy 2.6's layout:
//!
//! ```text
//! 0x55d0c8a1c2a0: [07/Dec/2026:19:09:44] id=mypeers disabled=0 flags=0x3 resync_timeout=<PAST> task_calls=12
//!   0x55d0c8a1c3f0: id=hapB(remote,active) addr=127.0.0.1:10001 last_status=ESTA last_hdshk=2s
//!         reconnect=3s heartbeat=1s confirm=0 tx_hbt=1 rx_hbt=0 no_hbt=0 new_conn=1 proto_err=0 coll=0
//!         flags=0x0 appctx:0x7f00000000a0 st0=7 st1=0 task_calls=0 state=EST
//!         shared tables:
//!           0x55d0c8a1c3f8 local_id=1 remote_id=1 flags=0x0 remote_data=0x6
//!               last_acked=2 last_pushed=2 last_get=0 teaching_origin=0 update=2
//!               table:0x55d0c8a1d000 id=mypeers/t update=2 localupdate=2 commitupdate=0 refcnt=1
//!         Dictionary cache not dumped (use "show peers dict")
//! ```
//!
//! The host lists the sections `show peers` shows, in its order; a name
//! picks one (`No such peers` otherwise), `dict` dumps the dictionary
//! caches (published by nobody yet: 128 empty entries each), `-` is the
//! default. Peers are listed last declared first. A peer the peers applet
//! has not reported (or before it published anything) shows as before its
//! first connection: `inactive`, `last_status=NONE`, timers `<NEVER>`,
//! counters 0, no `appctx`. Published timers are relative to the moment
//! of publication and are moved on by the time since. Dates are the local
//! time the host states.
//!
//! The applet-sdk types are read directly: they are plain data already,
//! and a copy into this crate's model would be field for field.

use std::fmt::Write;

use applet_sdk::peers::{PeerInfo, PeerStatus, PeerTableStatus};
use applet_sdk::{PeersSectionView, PeersView};

/// HAProxy's dictionary cache size (`PEER_STKT_CACHE_MAX_ENTRIES`).
const DICT_ENTRIES: usize = 128;

/// The answer to `show peers <args>` (`args`: the words after `peers`):
/// the text, or HAProxy's error message.
pub fn render(args: &[&str], view: &PeersView) -> Result<String, String> {
    let (dict, args) = match args.split_first() {
        Some((&"dict", rest)) => (true, rest),
        Some((&"-", rest)) => (false, rest),
        _ => (false, args),
    };
    let list: Vec<&PeersSectionView> = match args.first().copied().filter(|a| !a.is_empty()) {
        Some(name) => match view.sections.iter().find(|s| s.config.name == name) {
            Some(s) => vec![s],
            None => return Err("No such peers\n".into()),
        },
        None => view.sections.iter().collect(),
    };
    let mut out = String::new();
    for (n, s) in list.into_iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        section(view, s, dict, &mut out);
    }
    Ok(out)
}

/// One section: its line, then its peers, last declared first.
fn section(view: &PeersView, s: &PeersSectionView, dict: bool, out: &mut String) {
    let age = s.status_age_ms(view) as i64;
    let status = s.status.as_ref().into_option();
    let (flags, resync, calls) = match status {
        Some(st) => (
            st.flags,
            timer(st.resync_timeout.into_option(), age),
            st.task_calls,
        ),
        None => (0, "<NEVER>".to_string(), 0),
    };
    let _ = writeln!(
        out,
        "{:#x}: [{}] id={} disabled={} flags={flags:#x} resync_timeout={resync} task_calls={calls}",
        s.id,
        dmy_hms(s.last_change_s + i64::from(s.utc_offset_s)),
        s.config.name,
        u8::from(s.disabled)
    );
    for (i, peer) in s.config.peers.iter().enumerate().rev() {
        let ps = status.and_then(|st| st.peers.iter().find(|p| p.name == peer.name));
        let id = s.peer_ids.get(i).copied().unwrap_or(0);
        dump_peer(s, peer, id, ps, age, dict, out);
    }
}

fn dump_peer(
    s: &PeersSectionView,
    peer: &PeerInfo,
    id: u64,
    ps: Option<&PeerStatus>,
    age: i64,
    dict: bool,
    out: &mut String,
) {
    let role = if peer.local { "local" } else { "remote" };
    let addr = if peer.addr.is_empty() {
        "0.0.0.0:0"
    } else {
        peer.addr.as_str()
    };
    let Some(ps) = ps else {
        let _ = writeln!(
            out,
            "  {id:#x}: id={}({role},inactive) addr={addr} last_status=NONE last_hdshk=<NEVER>",
            peer.name
        );
        out.push_str(
            "        reconnect=<NEVER> heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=0 proto_err=0 coll=0\n",
        );
        out.push_str("        flags=0x0");
        dump_tables(s, id, None, dict, out);
        return;
    };
    let hdshk = match ps.last_hdshk.into_option() {
        Some(t) => human_ms(age - t),
        None => "<NEVER>".to_string(),
    };
    let _ = writeln!(
        out,
        "  {id:#x}: id={}({role},{}) addr={addr} last_status={} last_hdshk={hdshk}",
        peer.name,
        if ps.active { "active" } else { "inactive" },
        status_name(ps.status)
    );
    let _ = writeln!(
        out,
        "        reconnect={} heartbeat={} confirm={} tx_hbt={} rx_hbt={} no_hbt={} new_conn={} proto_err={} coll={}",
        timer(ps.reconnect.into_option(), age),
        timer(ps.heartbeat.into_option(), age),
        ps.confirm,
        ps.tx_hbt,
        ps.rx_hbt,
        ps.no_hbt,
        ps.new_conn,
        ps.proto_err,
        ps.coll
    );
    let _ = write!(out, "        flags={:#x}", ps.flags);
    if ps.stream_id != 0 {
        let _ = write!(
            out,
            " appctx:{:#x} st0=7 st1=0 task_calls=0 state=EST",
            0x7f00_0000_0000u64 | ps.stream_id << 4
        );
    }
    for (label, idx) in [
        ("remote_table", ps.remote_table),
        ("last_local_table", ps.last_local_table),
    ] {
        let Some(i) = (idx as usize).checked_sub(1) else {
            continue;
        };
        if let (Some(t), Some(ts)) = (s.config.tables.get(i), ps.tables.get(i)) {
            let _ = write!(
                out,
                "\n        {label}:{:#x} id={} local_id={} remote_id={}",
                table_ptr(id, i),
                t.name,
                ts.local_id,
                ts.remote_id
            );
        }
    }
    dump_tables(s, id, Some(ps), dict, out);
}

/// The address `show peers` gives a peer's shared-table record.
fn table_ptr(peer_id: u64, i: usize) -> u64 {
    peer_id.wrapping_add(8 * (i as u64 + 1))
}

/// A peer's shared tables (last declared first), each with the
/// dictionary caches or the notice that they are not dumped.
fn dump_tables(
    s: &PeersSectionView,
    peer_id: u64,
    ps: Option<&PeerStatus>,
    dict: bool,
    out: &mut String,
) {
    if !s.config.tables.is_empty() {
        out.push_str("\n        shared tables:");
        for (i, t) in s.config.tables.iter().enumerate().rev() {
            let ts = ps
                .and_then(|p| p.tables.get(i))
                .cloned()
                .unwrap_or_else(PeerTableStatus::default);
            let tv = s.tables.get(i).copied().unwrap_or_default();
            let _ = write!(
                out,
                "\n          {:#x} local_id={} remote_id={} flags={:#x} remote_data={:#x}",
                table_ptr(peer_id, i),
                i + 1,
                ts.remote_id,
                ts.flags,
                ts.remote_data
            );
            let _ = write!(
                out,
                "\n              last_acked={} last_pushed={} last_get={} teaching_origin={} update={}",
                ts.last_acked as u32,
                ts.last_pushed as u32,
                ts.last_get as u32,
                ts.teaching_origin as u32,
                ts.update as u32
            );
            let _ = write!(
                out,
                "\n              table:{:#x} id={} update={} localupdate={} commitupdate=0 refcnt=1",
                tv.id, t.name, tv.marks.update as u32, tv.marks.local_update as u32
            );
            if dict {
                out.push_str("\n        TX dictionary cache:\n        RX dictionary cache:");
                for k in 0..DICT_ENTRIES {
                    if k % 4 == 0 {
                        out.push_str("\n        ");
                    }
                    let _ = write!(out, "  {k:3} -> -");
                }
            } else {
                out.push_str("\n        Dictionary cache not dumped (use \"show peers dict\")");
            }
        }
    }
    out.push('\n');
}

/// `show peers`' name of a status code.
fn status_name(code: u32) -> &'static str {
    match code {
        100 => "CONN",
        110 => "HSHK",
        200 => "ESTA",
        300 => "RETR",
        501 => "PROT",
        502 => "VERS",
        503 => "NAME",
        504 => "UNKN",
        _ => "NONE",
    }
}

/// A timer `t` ms from when it was published `age` ms ago.
fn timer(t: Option<i64>, age: i64) -> String {
    match t {
        None => "<NEVER>".to_string(),
        Some(t) if t - age <= 0 => "<PAST>".to_string(),
        Some(t) => human_ms(t - age),
    }
}

/// HAProxy's `human_time(ms, 1000)`: whole seconds rounded up, at most two
/// units among `d`, `h`, `m`, `s`.
fn human_ms(ms: i64) -> String {
    if ms < 0 {
        return "?".to_string();
    }
    let t = (ms + 999) / 1000;
    let mut out = String::new();
    let mut left = 2;
    for (unit, secs, modulo) in [("d", 86400, i64::MAX), ("h", 3600, 24), ("m", 60, 60)] {
        let v = (t / secs) % modulo;
        if left > 0 && v != 0 {
            let _ = write!(out, "{v}{unit}");
            left -= 1;
        }
    }
    if (left > 0 && t % 60 != 0) || t == 0 {
        let _ = write!(out, "{}s", t % 60);
    }
    out
}

/// `07/Dec/2026:19:09:44` for `secs` seconds since the epoch (already in
/// the zone to print).
fn dmy_hms(secs: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to a civil date (proleptic Gregorian), years counted from
    // March so that the leap day ends the year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{day:02}/{}/{year:04}:{:02}:{:02}:{:02}",
        MONTHS[(month - 1).clamp(0, 11) as usize],
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

#[cfg(test)]
#[path = "peers_show_tests.rs"]
mod tests;
