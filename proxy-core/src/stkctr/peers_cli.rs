//! `show peers [dict|-] [<section>]` in HAProxy 2.6's layout, for the
//! configured `peers` sections.
//!
//! The core opens no peer connection yet (the peers applet will), so every
//! peer shows as it would before its first connection attempt: `inactive`,
//! `last_status=NONE`, timers `<NEVER>`, counters 0, no `appctx`; the
//! section line has `flags=0x0 resync_timeout=<NEVER> task_calls=0`. The
//! shared tables are listed per peer with the tables' own update counters.
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
        let _ = writeln!(
            out,
            "{:p}: [{date}] id={} disabled={} flags=0x0 resync_timeout=<NEVER> task_calls=0",
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
    let shared: Vec<_> = st
        .stick
        .list
        .iter()
        .filter(|t| t.config().peers.as_deref() == Some(p.name.as_str()))
        .collect();
    if !shared.is_empty() {
        out.push_str("\n        shared tables:");
        for (i, t) in shared.iter().enumerate().rev() {
            let st_ptr = (peer as *const PeerLine as usize) + 8 * (i + 1);
            let _ = write!(
                out,
                "\n          {st_ptr:#x} local_id={} remote_id=0 flags=0x0 remote_data=0x0",
                i + 1
            );
            out.push_str(
                "\n              last_acked=0 last_pushed=0 last_get=0 teaching_origin=0 update=0",
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
