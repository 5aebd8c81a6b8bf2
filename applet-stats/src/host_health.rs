//! A server's health from the host's snapshot: the `check.*`/`agent.*`
//! fields, `op_state`, maintenance causes and tracking, read back into
//! [`ServerHealth`], with a tracking server showing its reference
//! server's checks.

use applet_sdk::{ServerSnapshot, ServerState};

use crate::health::{CheckInfo, CheckStatus, Maint, OpState, ServerHealth, Track};
use crate::model::ProxyStats;

/// One check's record from its `<prefix>.*` fields; `None` when not
/// configured.
fn check_info(s: &ServerSnapshot, prefix: &str) -> Option<CheckInfo> {
    let fld = |n: &str| applet_sdk::field(&s.fields, &format!("{prefix}.{n}"));
    let num = |n: &str| fld(n).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    if fld("configured") != Some("1") {
        return None;
    }
    let duration = fld("duration").filter(|d| !d.is_empty());
    Some(CheckInfo {
        enabled: fld("enabled") == Some("1"),
        paused: fld("paused") == Some("1"),
        in_progress: fld("in_progress") == Some("1"),
        status: fld("status")
            .and_then(CheckStatus::from_info)
            .unwrap_or_default(),
        code: num("code") as u32,
        duration_ms: duration.and_then(|d| d.parse().ok()).unwrap_or(0),
        desc: fld("desc").unwrap_or_default().to_string(),
        rise: num("rise") as u32,
        fall: num("fall") as u32,
        health: num("health") as u32,
    })
}

pub(crate) fn server_health(s: &ServerSnapshot) -> ServerHealth {
    let maint = s.state == ServerState::MAINT;
    let op = applet_sdk::field(&s.fields, "op_state");
    let op_state = match op {
        _ if maint => OpState::Stopped,
        Some("STOPPED") => OpState::Stopped,
        Some("STARTING") => OpState::Starting,
        Some("STOPPING") => OpState::Stopping,
        Some(_) => OpState::Running,
        None if s.state == ServerState::DOWN => OpState::Stopped,
        None => OpState::Running,
    };
    let track = applet_sdk::field(&s.fields, "track").map(|t| Track {
        name: t.to_string(),
        ..Track::default()
    });
    ServerHealth {
        op_state,
        maint: match applet_sdk::field(&s.fields, "maint_cause") {
            _ if !maint => Maint::None,
            Some("resolution") => Maint::Resolution,
            Some("via") => Maint::Via(
                applet_sdk::field(&s.fields, "track")
                    .unwrap_or_default()
                    .to_string(),
            ),
            _ => Maint::Forced,
        },
        drain: s.state == ServerState::DRAIN,
        backup: s.backup,
        check: check_info(s, "check"),
        agent: check_info(s, "agent"),
        observe: applet_sdk::field(&s.fields, "observe") == Some("1"),
        track,
    }
}

/// A tracking server shows its reference server's checks (the end of
/// the tracking chain), as HAProxy does.
pub(crate) fn resolve_tracks(rows: &mut [ProxyStats]) {
    let find = |rows: &[ProxyStats], name: &str| {
        let (px, sv) = name.split_once('/')?;
        rows.iter()
            .find(|r| r.pxname == px && r.svname == sv)
            .and_then(|r| r.server.clone())
    };
    for i in 0..rows.len() {
        let Some(name) = rows[i]
            .server
            .as_ref()
            .and_then(|h| h.track.as_ref())
            .map(|t| t.name.clone())
        else {
            continue;
        };
        // Follow the chain to its end (bounded by the number of rows).
        let mut cur = find(rows, &name);
        for _ in 0..rows.len() {
            match cur.as_ref().and_then(|h| h.track.clone()) {
                Some(t) => cur = find(rows, &t.name),
                None => break,
            }
        }
        if let (Some(reference), Some(h)) = (cur, rows[i].server.as_mut()) {
            if let Some(t) = h.track.as_mut() {
                t.check = reference.check;
                t.agent = reference.agent;
                t.observe = reference.observe;
            }
        }
    }
}
