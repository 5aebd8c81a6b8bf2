//! The rise/fall state machine of a server's checks, as HAProxy 2.6 runs
//! it; pure logic, no I/O and no clock of its own.
//!
//! Each check (the health check and the agent) keeps a `health` counter
//! from 0 to `rise + fall - 1`. A server is up while the counter is at
//! `rise` or above. A failure takes one off, and falling below `rise`
//! drops it straight to 0 (down); a success adds one, and reaching `rise`
//! jumps to the top (fully up). A server starts at `rise`: up, but the
//! first failure takes it down.
//!
//! What a result does to the server ([`ServerChecks::apply`]) follows
//! HAProxy's notify rules: a failing health check at 0 stops the server;
//! an agent only stops it when it answered `down`/`stopped`/`fail`
//! (`L7STS`); a success starts it only if every enabled check agrees and
//! it is neither in maintenance nor tracking a stopped server.

use std::time::Duration;

use super::status::{CheckOutcome, CheckResult, CheckStatus};

/// A server's operational state (HAProxy's `SRV_ST_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpState {
    /// Down.
    Stopped = 0,
    /// Up, its weight still ramping up (`slowstart`).
    Starting = 1,
    /// Up.
    #[default]
    Running = 2,
    /// Up but taking no new traffic (`NOLB`, `disable-on-404`).
    Stopping = 3,
}

impl OpState {
    pub fn from_u8(v: u8) -> OpState {
        match v {
            0 => OpState::Stopped,
            1 => OpState::Starting,
            3 => OpState::Stopping,
            _ => OpState::Running,
        }
    }

    /// HAProxy's number (`srv_op_state` in `show servers state`).
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn is_up(self) -> bool {
        matches!(self, OpState::Starting | OpState::Running)
    }
}

/// The run-time record of one check (health or agent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub agent: bool,
    /// Configured (`check` / `agent-check`).
    pub configured: bool,
    /// Enabled (the CLI's `disable health|agent` clears it).
    pub enabled: bool,
    /// Paused while the server is in maintenance.
    pub paused: bool,
    /// A run is under way.
    pub in_progress: bool,
    pub status: CheckStatus,
    pub code: i32,
    /// The last result's free text (`last_chk` / `last_agt`).
    pub desc: String,
    /// The last run's duration; `None` before the first result or after
    /// a health-analysis verdict (which has no duration).
    pub duration: Option<Duration>,
    pub health: u32,
    pub rise: u32,
    pub fall: u32,
    pub inter: Duration,
    pub fastinter: Option<Duration>,
    pub downinter: Option<Duration>,
    /// `on-error fastinter` asked for the fast interval once.
    pub fast_once: bool,
    /// Port override (`port`, `agent-port`, CLI `check-port`).
    pub port: Option<u16>,
}

/// What applying a result changed, for logs and counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The health counter moved or the status changed: worth a
    /// `log-health-checks` line.
    pub report: bool,
    /// One more failed check (`chkfail`).
    pub failed: bool,
}

impl Check {
    /// A health check (`agent == false`) or agent check as configured.
    pub fn new(agent: bool, configured: bool, rise: u32, fall: u32, inter: Duration) -> Check {
        Check {
            agent,
            configured,
            enabled: configured,
            paused: false,
            in_progress: false,
            status: CheckStatus::Init,
            code: 0,
            desc: String::new(),
            duration: None,
            health: rise,
            rise,
            fall,
            inter,
            fastinter: None,
            downinter: None,
            fast_once: false,
            port: None,
        }
    }

    /// The top of the counter: fully up.
    pub fn full(&self) -> u32 {
        self.rise + self.fall - 1
    }

    /// Enabled and not paused: runs and counts.
    pub fn active(&self) -> bool {
        self.enabled && !self.paused
    }

    /// Records one result and moves the health counter as HAProxy does.
    pub fn apply(&mut self, out: &CheckOutcome) -> Applied {
        // An agent that closed on an incomplete line: the status stays,
        // only the text says so.
        if out.status == CheckStatus::Unknown {
            self.desc = out.desc.clone();
            return Applied::default();
        }
        let mut applied = Applied {
            report: out.status != self.status,
            failed: false,
        };
        self.status = out.status;
        self.code = out.code.unwrap_or(0);
        self.desc = out.desc.clone();
        self.duration = (out.status != CheckStatus::Hana).then_some(out.duration);
        match out.status.result() {
            CheckResult::Neutral => return Applied::default(),
            CheckResult::Failed => {
                // An agent that cannot be reached does not count against
                // its server: only what it says does.
                if (!self.agent || out.status.is_l57_data()) && self.health > 0 {
                    applied.failed = true;
                    applied.report = true;
                    self.health -= 1;
                    if self.health < self.rise {
                        self.health = 0;
                    }
                }
            }
            CheckResult::Passed | CheckResult::CondPass => {
                if self.health < self.full() {
                    applied.report = true;
                    self.health += 1;
                    if self.health >= self.rise {
                        self.health = self.full();
                    }
                }
            }
        }
        applied
    }

    /// The counter says up.
    pub fn says_up(&self) -> bool {
        self.health >= self.rise
    }

    /// How long until the next run (HAProxy's `srv_getinter`): `inter`
    /// when fully up, `downinter` when down, `fastinter` in between.
    pub fn interval(&self, server_stopped: bool) -> Duration {
        if !self.fast_once && self.health == self.full() {
            return self.inter;
        }
        if server_stopped && self.health == 0 {
            return self.downinter.unwrap_or(self.inter);
        }
        self.fastinter.unwrap_or(self.inter)
    }

    /// `status: n/m UP|DOWN|DRAIN` of a `log-health-checks` line.
    pub fn progress(&self, drain: bool) -> String {
        if self.says_up() {
            let word = if drain { "DRAIN" } else { "UP" };
            format!("{}/{} {word}", self.health - self.rise + 1, self.fall)
        } else {
            format!("{}/{} DOWN", self.health, self.rise)
        }
    }

    /// `, reason: ..., code: ..., info: "...", check duration: Nms` (the
    /// part of state-change lines that describes this check's last result).
    pub fn append_info(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, ", reason: {}", self.status.description());
        if self.status.is_l57_data() {
            let _ = write!(out, ", code: {}", self.code);
        }
        if !self.desc.is_empty() {
            out.push_str(", info: \"");
            ascii_encode(&self.desc, out);
            out.push('"');
        }
        if let Some(d) = self.duration {
            let _ = write!(out, ", check duration: {}ms", d.as_millis());
        }
    }
}

/// Non-printable bytes and `"` as `<XX>`, the way HAProxy quotes check
/// texts in logs.
fn ascii_encode(s: &str, out: &mut String) {
    use std::fmt::Write;
    for b in s.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'"' {
            out.push(b as char);
        } else {
            let _ = write!(out, "<{b:02X}>");
        }
    }
}

/// What a result asks of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing changes.
    Stay,
    Stop,
    /// Up (`Starting` with a slowstart).
    Start,
    /// Up but no new traffic.
    Stopping,
}

/// Both checks of a server and what they decide together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerChecks {
    pub check: Check,
    pub agent: Check,
}

/// What the server is doing besides its checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerContext {
    pub op: OpState,
    pub maint: bool,
    /// The tracked server is stopped.
    pub tracked_stopped: bool,
}

impl ServerChecks {
    /// The verdict after `which` (the agent or the health check) got a
    /// result of class `result`.
    pub fn verdict(&self, agent: bool, result: CheckResult, ctx: ServerContext) -> Verdict {
        let which = if agent { &self.agent } else { &self.check };
        match result {
            CheckResult::Neutral => Verdict::Stay,
            CheckResult::Failed => {
                if agent && which.status != CheckStatus::L7Sts {
                    return Verdict::Stay;
                }
                if which.health > 0 || ctx.op == OpState::Stopped || ctx.maint {
                    return Verdict::Stay;
                }
                Verdict::Stop
            }
            CheckResult::Passed | CheckResult::CondPass => {
                if ctx.maint || ctx.tracked_stopped || !self.all_agree() {
                    return Verdict::Stay;
                }
                if result == CheckResult::CondPass {
                    if agent {
                        return Verdict::Stay;
                    }
                    return Verdict::Stopping;
                }
                // An agent's success does not end a health check's NOLB.
                if agent && ctx.op == OpState::Stopping {
                    return Verdict::Stay;
                }
                Verdict::Start
            }
        }
    }

    /// Every enabled check is at `rise` or above.
    pub fn all_agree(&self) -> bool {
        [&self.check, &self.agent]
            .iter()
            .all(|c| !c.enabled || c.says_up())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(status: CheckStatus) -> CheckOutcome {
        CheckOutcome::new(status, "")
    }

    #[test]
    fn starts_at_rise_and_first_failure_takes_it_down() {
        let mut c = Check::new(false, true, 2, 3, Duration::from_secs(2));
        assert_eq!(c.health, 2);
        assert!(c.says_up());
        let a = c.apply(&out(CheckStatus::L4Con));
        assert!(a.failed && a.report);
        assert_eq!(c.health, 0);
        assert_eq!(c.progress(false), "0/2 DOWN");
        c.apply(&out(CheckStatus::L4Ok));
        assert_eq!((c.health, c.progress(false)), (1, "1/2 DOWN".into()));
        c.apply(&out(CheckStatus::L4Ok));
        assert_eq!((c.health, c.progress(false)), (4, "3/3 UP".into()));
        c.apply(&out(CheckStatus::L4Con));
        assert_eq!((c.health, c.progress(false)), (3, "2/3 UP".into()));
        c.apply(&out(CheckStatus::L4Con));
        c.apply(&out(CheckStatus::L4Con));
        assert_eq!(c.health, 0);
        let a = c.apply(&out(CheckStatus::L4Con));
        assert!(!a.failed, "no failure counted at 0");
    }

    #[test]
    fn success_at_the_top_reports_only_a_status_change() {
        let mut c = Check::new(false, true, 2, 3, Duration::from_secs(2));
        c.apply(&out(CheckStatus::L4Ok));
        assert_eq!(c.health, 4);
        assert!(!c.apply(&out(CheckStatus::L4Ok)).report);
        assert!(c.apply(&out(CheckStatus::L7Ok)).report);
    }

    #[test]
    fn agent_unreachable_does_not_count() {
        let mut a = Check::new(true, true, 1, 1, Duration::from_secs(2));
        assert!(!a.apply(&out(CheckStatus::L4Con)).failed);
        assert_eq!(a.health, 1);
        assert!(a.apply(&out(CheckStatus::L7Sts)).failed);
        assert_eq!(a.health, 0);
    }

    #[test]
    fn intervals() {
        let mut c = Check::new(false, true, 2, 3, Duration::from_secs(2));
        c.fastinter = Some(Duration::from_millis(500));
        c.downinter = Some(Duration::from_secs(5));
        assert_eq!(c.interval(false), Duration::from_millis(500), "at rise");
        c.health = c.full();
        assert_eq!(c.interval(false), Duration::from_secs(2));
        c.health = 0;
        assert_eq!(c.interval(true), Duration::from_secs(5));
    }

    #[test]
    fn info_text() {
        let mut c = Check::new(false, true, 2, 3, Duration::from_secs(2));
        let mut o = CheckOutcome::new(
            CheckStatus::L7Sts,
            "HTTP status check returned code <3C>503<3E>",
        );
        o.code = Some(503);
        o.duration = Duration::from_millis(1);
        c.apply(&o);
        let mut s = String::new();
        c.append_info(&mut s);
        assert_eq!(
            s,
            ", reason: Layer7 wrong status, code: 503, info: \"HTTP status check returned code <3C>503<3E>\", check duration: 1ms"
        );
    }

    #[test]
    fn verdicts() {
        let mut sc = ServerChecks {
            check: Check::new(false, true, 2, 3, Duration::from_secs(2)),
            agent: Check::new(true, false, 1, 1, Duration::from_secs(2)),
        };
        let ctx = ServerContext {
            op: OpState::Running,
            maint: false,
            tracked_stopped: false,
        };
        sc.check.apply(&out(CheckStatus::L4Con));
        assert_eq!(sc.verdict(false, CheckResult::Failed, ctx), Verdict::Stop);
        let down = ServerContext {
            op: OpState::Stopped,
            ..ctx
        };
        sc.check.apply(&out(CheckStatus::L4Ok));
        assert_eq!(sc.verdict(false, CheckResult::Passed, down), Verdict::Stay);
        sc.check.apply(&out(CheckStatus::L4Ok));
        assert_eq!(sc.verdict(false, CheckResult::Passed, down), Verdict::Start);
        assert_eq!(
            sc.verdict(false, CheckResult::CondPass, ctx),
            Verdict::Stopping
        );
    }
}
