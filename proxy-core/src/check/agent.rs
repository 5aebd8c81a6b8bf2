//! The agent check: what an agent answers and what it means (placeholder
//! until the agent work lands).

use super::{CheckOutcome, CheckStatus, CheckTarget};

/// The administrative state an agent asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentAdmin {
    /// `ready`: leave maintenance and drain.
    Ready,
    /// `drain`
    Drain,
    /// `maint`
    Maint,
}

/// The operational state an agent reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentOp {
    Up,
    Down,
    /// `stopped`
    Stopped,
    /// `fail`
    Fail,
}

/// What one agent answer asks for; `None` parts leave things as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentReply {
    pub admin: Option<AgentAdmin>,
    pub op: Option<AgentOp>,
    /// A weight in percent of the configured one.
    pub weight_pct: Option<u32>,
    /// `maxconn:<n>`.
    pub maxconn: Option<u32>,
    /// Text after `#` (shown as the check's description).
    pub message: Option<String>,
}

/// Runs one agent check: connects, sends `agent-send` if any, reads one
/// line.
pub async fn run_agent(
    _target: &CheckTarget,
    _send: Option<&str>,
) -> (CheckOutcome, Option<AgentReply>) {
    (CheckOutcome::new(CheckStatus::L7Rsp, ""), None)
}
