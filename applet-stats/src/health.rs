//! Server health/admin state and the strings HAProxy 2.6 derives from it.
//!
//! A server's `status` column (`UP`, `DOWN 1/2`, `NOLB`, `DRAIN (agent)`,
//! `no check`, `MAINT (via px/srv)`, ...), its HTML row class
//! (`active_up`, `backup_going_down`, `maintain`, ...), its Prometheus
//! `state` label and whether `;up`/`;no-maint` hide it all come from
//! [`ServerHealth`]. For a server that tracks another one, the *reference*
//! server (end of the tracking chain) supplies the health numbers, as in
//! HAProxy.

/// Result of the last health check / agent check, HAProxy's check status
/// codes in their internal order (the order matters: [`CheckStatus::code`]
/// is what `show servers state` prints and some fields only appear past
/// `L57DATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckStatus {
    /// `UNK`
    Unknown,
    /// `INI`
    #[default]
    Init,
    /// `CHECKED`: an agent answer that changes nothing ("No status
    /// change").
    Checked,
    /// `HANA`: health analysis (observe) reported errors.
    Hana,
    /// `SOCKERR`
    SockErr,
    /// `L4OK`
    L4Ok,
    /// `L4TOUT`
    L4Tout,
    /// `L4CON`
    L4Con,
    /// `L6OK`
    L6Ok,
    /// `L6TOUT`
    L6Tout,
    /// `L6RSP`
    L6Rsp,
    /// `L7TOUT`
    L7Tout,
    /// `L7RSP`
    L7Rsp,
    /// `L7OK` (carries a layer 5-7 code)
    L7Ok,
    /// `L7OKC` (carries a code)
    L7OkC,
    /// `L7STS` (carries a code)
    L7Sts,
    /// `PROCERR` (carries a code)
    ProcErr,
    /// `PROCTOUT` (carries a code)
    ProcTout,
    /// `PROCOK` (carries a code)
    ProcOk,
}

impl CheckStatus {
    /// Statuses listed by the Prometheus `check_status` metric, in order
    /// (the ones whose result is at least "failed").
    pub const PROM_STATES: [CheckStatus; 16] = [
        CheckStatus::Hana,
        CheckStatus::SockErr,
        CheckStatus::L4Ok,
        CheckStatus::L4Tout,
        CheckStatus::L4Con,
        CheckStatus::L6Ok,
        CheckStatus::L6Tout,
        CheckStatus::L6Rsp,
        CheckStatus::L7Tout,
        CheckStatus::L7Rsp,
        CheckStatus::L7Ok,
        CheckStatus::L7OkC,
        CheckStatus::L7Sts,
        CheckStatus::ProcErr,
        CheckStatus::ProcTout,
        CheckStatus::ProcOk,
    ];

    /// Parses a short name (`L7OK`, ...) back.
    pub fn from_info(s: &str) -> Option<CheckStatus> {
        let all = [
            CheckStatus::Unknown,
            CheckStatus::Init,
            CheckStatus::Checked,
        ];
        all.into_iter()
            .chain(CheckStatus::PROM_STATES)
            .find(|c| c.info() == s)
    }

    /// HAProxy's numeric status (as in `show servers state`).
    pub fn code(self) -> u32 {
        match self {
            CheckStatus::Unknown => 0,
            CheckStatus::Init => 1,
            CheckStatus::Checked => 3,
            CheckStatus::Hana => 4,
            CheckStatus::SockErr => 5,
            CheckStatus::L4Ok => 6,
            CheckStatus::L4Tout => 7,
            CheckStatus::L4Con => 8,
            CheckStatus::L6Ok => 9,
            CheckStatus::L6Tout => 10,
            CheckStatus::L6Rsp => 11,
            CheckStatus::L7Tout => 12,
            CheckStatus::L7Rsp => 13,
            CheckStatus::L7Ok => 15,
            CheckStatus::L7OkC => 16,
            CheckStatus::L7Sts => 17,
            CheckStatus::ProcErr => 18,
            CheckStatus::ProcTout => 19,
            CheckStatus::ProcOk => 20,
        }
    }

    /// Short name (`check_status` column).
    pub fn info(self) -> &'static str {
        match self {
            CheckStatus::Unknown => "UNK",
            CheckStatus::Init => "INI",
            CheckStatus::Checked => "CHECKED",
            CheckStatus::Hana => "HANA",
            CheckStatus::SockErr => "SOCKERR",
            CheckStatus::L4Ok => "L4OK",
            CheckStatus::L4Tout => "L4TOUT",
            CheckStatus::L4Con => "L4CON",
            CheckStatus::L6Ok => "L6OK",
            CheckStatus::L6Tout => "L6TOUT",
            CheckStatus::L6Rsp => "L6RSP",
            CheckStatus::L7Tout => "L7TOUT",
            CheckStatus::L7Rsp => "L7RSP",
            CheckStatus::L7Ok => "L7OK",
            CheckStatus::L7OkC => "L7OKC",
            CheckStatus::L7Sts => "L7STS",
            CheckStatus::ProcErr => "PROCERR",
            CheckStatus::ProcTout => "PROCTOUT",
            CheckStatus::ProcOk => "PROCOK",
        }
    }

    /// Long description (`check_desc` column).
    pub fn description(self) -> &'static str {
        match self {
            CheckStatus::Unknown => "Unknown",
            CheckStatus::Init => "Initializing",
            CheckStatus::Checked => "No status change",
            CheckStatus::Hana => "Health analyze",
            CheckStatus::SockErr => "Socket error",
            CheckStatus::L4Ok => "Layer4 check passed",
            CheckStatus::L4Tout => "Layer4 timeout",
            CheckStatus::L4Con => "Layer4 connection problem",
            CheckStatus::L6Ok => "Layer6 check passed",
            CheckStatus::L6Tout => "Layer6 timeout",
            CheckStatus::L6Rsp => "Layer6 invalid response",
            CheckStatus::L7Tout => "Layer7 timeout",
            CheckStatus::L7Rsp => "Layer7 invalid response",
            CheckStatus::L7Ok => "Layer7 check passed",
            CheckStatus::L7OkC => "Layer7 check conditionally passed",
            CheckStatus::L7Sts => "Layer7 wrong status",
            CheckStatus::ProcErr => "External check error",
            CheckStatus::ProcTout => "External check timeout",
            CheckStatus::ProcOk => "External check passed",
        }
    }

    /// The check has completed at least once (`check_duration` is shown).
    pub fn is_finished(self) -> bool {
        self.code() >= 3
    }

    /// The status carries a layer 5-7 code (`check_code` is shown).
    pub fn has_code(self) -> bool {
        self.code() >= 14
    }
}

/// Health check or agent check of one server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckInfo {
    /// Currently enabled (`disable health` / `disable agent` clear it).
    pub enabled: bool,
    /// Paused (a paused check's results are not shown).
    pub paused: bool,
    /// A check is running right now (`* ` prefix on the status).
    pub in_progress: bool,
    /// Last result.
    pub status: CheckStatus,
    /// Layer 5-7 code of the last result (HTTP status, agent code...).
    pub code: u32,
    /// Duration of the last check in milliseconds.
    pub duration_ms: u64,
    /// Free text of the last check (`last_chk` / `last_agt`, e.g.
    /// `Connection refused`).
    pub desc: String,
    /// `rise` parameter.
    pub rise: u32,
    /// `fall` parameter.
    pub fall: u32,
    /// Current health counter (0..rise+fall-1; >= rise means UP).
    pub health: u32,
}

impl CheckInfo {
    /// Results are displayed (enabled and not paused).
    pub fn active(&self) -> bool {
        self.enabled && !self.paused
    }
}

/// Operational state of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpState {
    /// DOWN.
    Stopped,
    /// UP, in slowstart.
    Starting,
    /// UP.
    #[default]
    Running,
    /// UP but not taking new traffic (NOLB).
    Stopping,
}

/// Maintenance cause, in HAProxy's precedence order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Maint {
    /// Not in maintenance.
    #[default]
    None,
    /// Forced or configured maintenance: `MAINT`.
    Forced,
    /// Inherited from the tracked server `px/srv`: `MAINT (via px/srv)`.
    Via(String),
    /// DNS resolution failure: `MAINT (resolution)`.
    Resolution,
}

/// The server a tracking server follows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Track {
    /// `px/srv` of the directly tracked server (the `tracked` column).
    pub name: String,
    /// Health check of the reference server (end of the tracking chain).
    pub check: Option<CheckInfo>,
    /// Agent check of the reference server.
    pub agent: Option<CheckInfo>,
    /// `observe` is set on the reference server (shows `hanafail`).
    pub observe: bool,
}

/// Structured state of a server row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHealth {
    /// Operational state. A server in maintenance is `Stopped` (as in
    /// HAProxy, which takes it down); its status still reads `MAINT`.
    pub op_state: OpState,
    /// Maintenance state.
    pub maint: Maint,
    /// Administratively draining (`set server ... state drain`).
    pub drain: bool,
    /// Backup server.
    pub backup: bool,
    /// Own health check (`None` = not configured).
    pub check: Option<CheckInfo>,
    /// Own agent check (`None` = not configured).
    pub agent: Option<CheckInfo>,
    /// `observe` is configured (shows `hanafail`).
    pub observe: bool,
    /// Tracked server, if any.
    pub track: Option<Track>,
}

/// Prometheus server state label set (`DOWN`, `UP`, `MAINT`, `DRAIN`, `NOLB`).
pub const PROM_SRV_STATES: [&str; 5] = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];

fn enabled(c: &Option<CheckInfo>) -> Option<&CheckInfo> {
    c.as_ref().filter(|c| c.enabled)
}

impl ServerHealth {
    /// Health check of the reference server.
    pub fn ref_check(&self) -> Option<&CheckInfo> {
        match &self.track {
            Some(t) => enabled(&t.check),
            None => enabled(&self.check),
        }
    }

    /// Agent check of the reference server.
    pub fn ref_agent(&self) -> Option<&CheckInfo> {
        match &self.track {
            Some(t) => enabled(&t.agent),
            None => enabled(&self.agent),
        }
    }

    /// `observe` on the reference server.
    pub fn ref_observe(&self) -> bool {
        self.track.as_ref().map_or(self.observe, |t| t.observe)
    }

    /// In any kind of maintenance.
    pub fn in_maint(&self) -> bool {
        self.maint != Maint::None
    }

    /// Whether `;up` (CLI `up`) hides this server: in maintenance, or down
    /// and not on its way up.
    pub fn hidden_when_up_only(&self) -> bool {
        if self.in_maint() {
            return true;
        }
        if self.op_state != OpState::Stopped {
            return false;
        }
        let (chk, agt) = (self.ref_check(), self.ref_agent());
        (chk.is_none() && agt.is_none())
            || agt.is_some_and(|a| a.health == 0)
            || chk.is_some_and(|c| c.health == 0)
    }

    /// The `status` column.
    pub fn status(&self) -> String {
        match &self.maint {
            Maint::Resolution => return "MAINT (resolution)".to_string(),
            Maint::Via(v) => return format!("MAINT (via {v})"),
            Maint::Forced => return "MAINT".to_string(),
            Maint::None => {}
        }
        let chk = self.ref_check();
        let agt = self.ref_agent();
        let (rise, fall, health) = chk.map_or((0, 0, 0), |c| (c.rise, c.fall, c.health));
        let full = (rise + fall).saturating_sub(1);
        // "n/m": going down counts from the top, going up from zero.
        let going = |word: &str| {
            if self.op_state != OpState::Stopped {
                format!("{word} {}/{}", (health + 1).saturating_sub(rise), fall)
            } else {
                format!("{word} {health}/{rise}")
            }
        };
        match self.op_state {
            OpState::Running | OpState::Starting => {
                let going_down = chk.is_some_and(|_| health < full);
                if self.drain {
                    if agt.is_some() {
                        "DRAIN (agent)".to_string()
                    } else if going_down {
                        going("DRAIN")
                    } else {
                        "DRAIN".to_string()
                    }
                } else if going_down {
                    going("UP")
                } else if chk.is_none() {
                    "no check".to_string()
                } else {
                    "UP".to_string()
                }
            }
            OpState::Stopping => {
                let own_checked = enabled(&self.check).is_some() || self.track.is_some();
                if !own_checked || (chk.is_some() && health == full) {
                    "NOLB".to_string()
                } else {
                    going("NOLB")
                }
            }
            OpState::Stopped => {
                if agt.is_some_and(|a| a.health == 0) {
                    "DOWN (agent)".to_string()
                } else if chk.is_some_and(|c| c.health == 0) {
                    "DOWN".to_string()
                } else if chk.is_some() || agt.is_some() {
                    going("DOWN")
                } else {
                    "DOWN".to_string()
                }
            }
        }
    }

    /// Index into [`PROM_SRV_STATES`].
    pub fn prom_state(&self) -> usize {
        if self.in_maint() {
            return 2;
        }
        match self.op_state {
            OpState::Running | OpState::Starting if self.drain => 3,
            OpState::Running | OpState::Starting => 1,
            OpState::Stopping => 4,
            OpState::Stopped => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chk(health: u32) -> Option<CheckInfo> {
        Some(CheckInfo {
            enabled: true,
            rise: 2,
            fall: 3,
            health,
            ..CheckInfo::default()
        })
    }

    #[test]
    fn status_strings() {
        let mut h = ServerHealth {
            check: chk(4),
            ..ServerHealth::default()
        };
        assert_eq!(h.status(), "UP");
        h.check = chk(3);
        assert_eq!(h.status(), "UP 2/3");
        h.drain = true;
        assert_eq!(h.status(), "DRAIN 2/3");
        h.check = chk(4);
        assert_eq!(h.status(), "DRAIN");
        h.drain = false;
        h.op_state = OpState::Stopped;
        h.check = chk(0);
        assert_eq!(h.status(), "DOWN");
        h.check = chk(1);
        assert_eq!(h.status(), "DOWN 1/2");
        h.op_state = OpState::Stopping;
        h.check = chk(4);
        assert_eq!(h.status(), "NOLB");
        h.check = chk(3);
        assert_eq!(h.status(), "NOLB 2/3");
        let nochk = ServerHealth::default();
        assert_eq!(nochk.status(), "no check");
        let m = ServerHealth {
            maint: Maint::Via("be/s1".into()),
            ..ServerHealth::default()
        };
        assert_eq!(m.status(), "MAINT (via be/s1)");
        assert!(m.hidden_when_up_only());
        let down = ServerHealth {
            op_state: OpState::Stopped,
            ..ServerHealth::default()
        };
        assert_eq!(down.status(), "DOWN");
        assert!(down.hidden_when_up_only());
    }

    #[test]
    fn check_codes() {
        assert_eq!(CheckStatus::L7Ok.code(), 15);
        assert_eq!(CheckStatus::L4Con.code(), 8);
        assert!(CheckStatus::L7Ok.has_code() && !CheckStatus::L4Ok.has_code());
        assert!(CheckStatus::L4Ok.is_finished() && !CheckStatus::Init.is_finished());
    }
}
