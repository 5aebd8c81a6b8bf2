//! `show peers [dict|-] [<section>]` in HAProxy 2.6's layout, for the
//! configured `peers` sections.
//!
//! The peers applet owns the sessions and publishes their state (host
//! service `peers_status`); this renders the last published state, timers
//! moved on by the time since. Before the applet published anything (or
//! without it) every peer shows as before its first connection attempt:
//! `inactive`, `last_status=NONE`, timers `<NEVER>`, counters 0, no
//! `appctx`. The shared tables are listed per peer with the tables' own
//! update counters.
//! As in HAProxy, peers are listed last declared first, a section without
//! the local peer (`-L`, `localpeer`, host name) is not shown, and an
//! unknown section name is `No such peers`. Dates are UTC.

use std::fmt::Write;
use std::time::SystemTime;

use crate::config::model_stick::{local_peer_name, PeerLine, PeersConfig};
use crate::config::BindAddr;
use crate::state::State;

/// Runs `show peers <args>` (`args`: the words after `peers`).
pub fn show_peers(st: &State, args: &[&str]) -> Result<String, String> {
    let mut args = args;
    let mut dict = false;
    match args.first().copied() {
        Some("dict") => {
            dict = true;
            args = &args[1..];
        }
        Some("-") => args = &args[1..],
        _ => {}
    }
    let local = local_peer_name(st.config.global.localpeer.as_deref());
    let shown: Vec<&PeersConfig> = st
        .config
        .peers
        .iter()
        .rev()
        .filter(|p| p.local(&local).is_some())
        .collect();
    let only = args.first().copied().filter(|a| !a.is_empty());
    let list: Vec<&PeersConfig> = match only {
        Some(name) => match shown.iter().find(|p| p.name == name) {
            Some(p) => vec![*p],
            None => return Err("No such peers\n".into()),
        },
        None => shown,
    };
    let started = SystemTime::now()
        .checked_sub(st.started.elapsed())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let date = crate::log::date::log_date(started);
    let date = date.split('.').next().unwrap_or("");
    let mut out = String::new();
    for (n, p) in list.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let (flags, resync, calls) = match st.peers.section_status(&p.name) {
            Some((s, at)) => (
                s.flags,
                timer(
                    s.resync_timeout.into_option(),
                    at.elapsed().as_millis() as i64,
                ),
                s.task_calls,
            ),
            None => (0, "<NEVER>".to_string(), 0),
        };
        let _ = writeln!(
            out,
            "{:p}: [{date}] id={} disabled={} flags={flags:#x} resync_timeout={resync} task_calls={calls}",
            *p,
            p.name,
            u8::from(p.disabled)
        );
        for peer in p.peers.iter().rev() {
            dump_peer(st, p, peer, &local, dict, &mut out);
        }
    }
    Ok(out)
}

/// A peer's address: its own, or the section's `bind` for the local one.
fn peer_addr(p: &PeersConfig, peer: &PeerLine) -> String {
    if let Some(a) = peer.addr {
        return a.to_string();
    }
    match p.bind.as_ref().and_then(|b| b.addrs.first()) {
        Some(BindAddr::Tcp(a)) => a.to_string(),
        _ => "0.0.0.0:0".to_string(),
    }
}

fn dump_peer(
    st: &State,
    p: &PeersConfig,
    peer: &PeerLine,
    local: &str,
    dict: bool,
    out: &mut String,
) {
    let role = if peer.name == local {
        "local"
    } else {
        "remote"
    };
    let board = st.peers.section_status(&p.name);
    let status = board
        .as_ref()
        .and_then(|(s, at)| Some((s.peers.iter().find(|x| x.name.as_str() == peer.name)?, *at)));
    let Some((ps, at)) = status else {
        let _ = writeln!(
            out,
            "  {:p}: id={}({role},inactive) addr={} last_status=NONE last_hdshk=<NEVER>",
            peer,
            peer.name,
            peer_addr(p, peer)
        );
        out.push_str(
            "        reconnect=<NEVER> heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=0 proto_err=0 coll=0\n",
        );
        out.push_str("        flags=0x0");
        dump_tables(st, p, peer, None, dict, out);
        return;
    };
    // Published `age` ago: times move on by as much.
    let age = at.elapsed().as_millis() as i64;
    let hdshk = match ps.last_hdshk.into_option() {
        Some(t) => human_ms(age - t),
        None => "<NEVER>".to_string(),
    };
    let _ = writeln!(
        out,
        "  {:p}: id={}({role},{}) addr={} last_status={} last_hdshk={hdshk}",
        peer,
        peer.name,
        if ps.active { "active" } else { "inactive" },
        peer_addr(p, peer),
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
    let shared = super::peers::section_tables(st, &p.name);
    for (label, idx) in [
        ("remote_table", ps.remote_table),
        ("last_local_table", ps.last_local_table),
    ] {
        let i = idx as usize;
        if let (Some(t), Some(ts)) = (
            i.checked_sub(1).and_then(|i| shared.get(i)),
            i.checked_sub(1).and_then(|i| ps.tables.get(i)),
        ) {
            let _ = write!(
                out,
                "\n        {label}:{:#x} id={} local_id={} remote_id={}",
                table_ptr(peer, i - 1),
                t.name(),
                ts.local_id,
                ts.remote_id
            );
        }
    }
    dump_tables(st, p, peer, Some(ps), dict, out);
}

/// The address `show peers` gives a peer's shared-table record.
fn table_ptr(peer: &PeerLine, i: usize) -> usize {
    (peer as *const PeerLine as usize) + 8 * (i + 1)
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

fn dump_tables(
    st: &State,
    p: &PeersConfig,
    peer: &PeerLine,
    ps: Option<&applet_sdk::peers::PeerStatus>,
    dict: bool,
    out: &mut String,
) {
    let shared = super::peers::section_tables(st, &p.name);
    if !shared.is_empty() {
        out.push_str("\n        shared tables:");
        for (i, t) in shared.iter().enumerate().rev() {
            let st_ptr = table_ptr(peer, i);
            let ts = ps
                .and_then(|s| s.tables.get(i))
                .cloned()
                .unwrap_or_default();
            let _ = write!(
                out,
                "\n          {st_ptr:#x} local_id={} remote_id={} flags={:#x} remote_data={:#x}",
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
                "\n              table:{:p} id={} update={} localupdate={} commitupdate=0 refcnt=1",
                std::sync::Arc::as_ptr(t),
                t.name(),
                t.watermark() as u32,
                t.local_watermark() as u32
            );
            if dict {
                out.push_str("\n        TX dictionary cache:\n        RX dictionary cache:");
                for k in 0..128 {
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
