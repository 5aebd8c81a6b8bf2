//! HAProxy's check statuses and the outcome of one check run.

use std::time::Duration;

/// A check status, with HAProxy 2.6's numbers (`show servers state`
/// prints them; the order decides what counts as a layer 5-7 answer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckStatus {
    Unknown = 0,
    #[default]
    Init = 1,
    Start = 2,
    /// An agent answer that changes nothing about health (weights, admin
    /// state only): no log, no count.
    Checked = 3,
    /// Health analysis of live traffic (`observe`) reported errors.
    Hana = 4,
    SockErr = 5,
    L4Ok = 6,
    L4Tout = 7,
    L4Con = 8,
    L6Ok = 9,
    L6Tout = 10,
    L6Rsp = 11,
    L7Tout = 12,
    L7Rsp = 13,
    L7Ok = 15,
    L7OkC = 16,
    L7Sts = 17,
    ProcErr = 18,
    ProcTout = 19,
    ProcOk = 20,
}

/// The result class of a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckResult {
    /// No change to the server's health (`Init`, `Start`, `Unknown`).
    Neutral,
    Failed,
    Passed,
    /// `L7OKC`: passed, but the server should stop taking new traffic.
    CondPass,
}

impl CheckStatus {
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The status of HAProxy number `n` (as a server-state file has it);
    /// `None` for numbers that name no status (3 and 14 are HAProxy's
    /// internal markers, 21 and up do not exist).
    pub fn from_code(n: u32) -> Option<CheckStatus> {
        use CheckStatus::*;
        [
            Unknown, Init, Start, Hana, SockErr, L4Ok, L4Tout, L4Con, L6Ok, L6Tout, L6Rsp, L7Tout,
            L7Rsp, L7Ok, L7OkC, L7Sts, ProcErr, ProcTout, ProcOk,
        ]
        .into_iter()
        .find(|s| s.code() == n)
    }

    /// Statuses from here on carry data from layer 5-7 (an answer was
    /// read): an agent failing below this does not mark its server down.
    pub fn is_l57_data(self) -> bool {
        self.code() >= 14
    }

    pub fn result(self) -> CheckResult {
        use CheckStatus::*;
        match self {
            Unknown | Init | Start | Checked => CheckResult::Neutral,
            L4Ok | L6Ok | L7Ok | ProcOk => CheckResult::Passed,
            L7OkC => CheckResult::CondPass,
            _ => CheckResult::Failed,
        }
    }

    /// The short name (`check_status` column).
    pub fn info(self) -> &'static str {
        use CheckStatus::*;
        match self {
            Unknown => "UNK",
            Init => "INI",
            Start => "START",
            Checked => "CHECKED",
            Hana => "HANA",
            SockErr => "SOCKERR",
            L4Ok => "L4OK",
            L4Tout => "L4TOUT",
            L4Con => "L4CON",
            L6Ok => "L6OK",
            L6Tout => "L6TOUT",
            L6Rsp => "L6RSP",
            L7Tout => "L7TOUT",
            L7Rsp => "L7RSP",
            L7Ok => "L7OK",
            L7OkC => "L7OKC",
            L7Sts => "L7STS",
            ProcErr => "PROCERR",
            ProcTout => "PROCTOUT",
            ProcOk => "PROCOK",
        }
    }

    /// The long description (`reason:` in logs, `check_desc`).
    pub fn description(self) -> &'static str {
        use CheckStatus::*;
        match self {
            Unknown => "Unknown",
            Init => "Initializing",
            Start => "Start",
            Checked => "No status change",
            Hana => "Health analyze",
            SockErr => "Socket error",
            L4Ok => "Layer4 check passed",
            L4Tout => "Layer4 timeout",
            L4Con => "Layer4 connection problem",
            L6Ok => "Layer6 check passed",
            L6Tout => "Layer6 timeout",
            L6Rsp => "Layer6 invalid response",
            L7Tout => "Layer7 timeout",
            L7Rsp => "Layer7 invalid response",
            L7Ok => "Layer7 check passed",
            L7OkC => "Layer7 check conditionally passed",
            L7Sts => "Layer7 wrong status",
            ProcErr => "External check error",
            ProcTout => "External check timeout",
            ProcOk => "External check passed",
        }
    }
}

/// What one check run found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    pub status: CheckStatus,
    /// The layer 5-7 code (HTTP status...), when the status has one.
    pub code: Option<i32>,
    /// The free text HAProxy reports as `info: "..."` (`Connection
    /// refused`, `HTTP status check returned code <3C>500<3E>`...), empty
    /// when there is none.
    pub desc: String,
    pub duration: Duration,
}

impl CheckOutcome {
    pub fn new(status: CheckStatus, desc: impl Into<String>) -> CheckOutcome {
        CheckOutcome {
            status,
            code: None,
            desc: desc.into(),
            duration: Duration::ZERO,
        }
    }
}
