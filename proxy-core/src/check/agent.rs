//! The agent check: connect to the agent, send `agent-send` if any, read
//! one line, and what the line asks for (HAProxy 2.6's grammar, from
//! `tcpcheck_agent_expect_reply`).
//!
//! The line ends at the first CR or LF; words are separated by spaces,
//! tabs or commas, case does not matter, the last word of a kind wins:
//! `up`, `down`, `stopped`, `fail` (health), `ready`, `drain`, `maint`
//! (admin state), `<n>%` (weight, relative to the configured one),
//! `maxconn:<n>`. A `#` starts a description, shown only with a health
//! word. Unknown words (2.6 does not know `weight:`) are reported, not
//! fatal. A line without its end is ignored; a NUL byte makes it so.
//!
//! Outcomes: `up` is `L7OK` "via agent : up", `down`/`stopped`/`fail`
//! `L7STS` "via agent : down (reason)"; without a health word the status
//! is `CHECKED` (no change, no log) with "agent reports an error : <word>"
//! or "agent warns : <msg>" when there is something to say.

use super::conn::BUFSIZE;
use super::tcpcheck::{Eval, Proto, Run};
use super::{CheckOutcome, CheckStatus, CheckTarget};
use crate::config::model_check::{CheckAction, CheckRule, Expect, ExpectKind, SendData};

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
    /// The health word as the agent wrote it (`UP`): the description
    /// quotes it.
    pub op_word: Option<String>,
    /// A weight in percent of the configured one (at most 25600, as
    /// HAProxy caps it; the caller caps the result at 256).
    pub weight_pct: Option<u32>,
    /// `maxconn:<n>` (a negative number reads as 0).
    pub maxconn: Option<u32>,
    /// Text after `#` (shown with a health word).
    pub message: Option<String>,
    /// The first word not understood.
    pub error: Option<String>,
    /// The first problem with a weight or maxconn value, HAProxy's text
    /// (ending in a newline, as HAProxy's does). A caller that refuses a
    /// weight (static algorithm: "Backend is using a static LB algorithm
    /// and only accepts weights '0%' and '100%'.\n") sets it when empty
    /// and calls [`AgentReply::outcome`] again.
    pub warning: Option<String>,
}

/// C's `strtol` on a word: sign, digits; the value and the rest.
fn strtol(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    let (neg, at) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let n = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let v = s[at..at + n].bytes().fold(0i64, |a, d| {
        a.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some((if neg { -v } else { v }, &s[at + n..]))
}

impl AgentReply {
    /// Parses one line (without its end).
    pub fn parse(line: &str) -> AgentReply {
        let mut r = AgentReply::default();
        let (mut weight, mut maxconn) = (None::<&str>, None::<&str>);
        let mut rest = line;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                break;
            }
            if let Some(d) = rest.strip_prefix('#') {
                let d = d.trim_start_matches([' ', '\t']);
                r.message = Some(d.to_string());
                break;
            }
            // A word is at least its first character, whatever it is.
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..]
                .find([' ', '\t', ','])
                .map_or(rest.len(), |n| n + first);
            let (word, tail) = rest.split_at(end);
            rest = tail;
            let lw = word.to_ascii_lowercase();
            match lw.as_str() {
                "up" => r.set_op(AgentOp::Up, word),
                "down" => r.set_op(AgentOp::Down, word),
                "stopped" => r.set_op(AgentOp::Stopped, word),
                "fail" => r.set_op(AgentOp::Fail, word),
                "ready" => r.admin = Some(AgentAdmin::Ready),
                "drain" => r.admin = Some(AgentAdmin::Drain),
                "maint" => r.admin = Some(AgentAdmin::Maint),
                _ if word.as_bytes()[0].is_ascii_digit() && word.contains('%') => {
                    weight = Some(word)
                }
                _ if lw.starts_with("maxconn:") => maxconn = Some(&word[8..]),
                _ => {
                    if r.error.is_none() {
                        r.error = Some(word.to_string());
                    }
                }
            }
        }
        if let Some(w) = weight {
            match strtol(w) {
                None => r.warn("Empty weight string empty or preceded by garbage\n"),
                Some((v, "%")) if v >= 0 => r.weight_pct = u32::try_from(v.min(25600)).ok(),
                Some((_, "%")) => r.warn("Relative weight must be positive.\n"),
                Some((v, _)) if !(0..=256).contains(&v) => {
                    r.warn("Absolute weight can only be between 0 and 256 inclusive.\n")
                }
                Some(_) => r.warn("Trailing garbage in weight string\n"),
            }
        }
        if let Some(m) = maxconn {
            match strtol(m) {
                _ if m.is_empty() => r.warn("Require <maxconn>.\n"),
                None => r.warn("maxconn string empty or preceded by garbage\n"),
                Some((v, "")) => r.maxconn = Some(u32::try_from(v.max(0)).unwrap_or(u32::MAX)),
                Some(_) => r.warn("Trailing garbage in maxconn string\n"),
            }
        }
        r
    }

    fn set_op(&mut self, op: AgentOp, word: &str) {
        self.op = Some(op);
        self.op_word = Some(word.to_string());
    }

    fn warn(&mut self, w: &str) {
        if self.warning.is_none() {
            self.warning = Some(w.to_string());
        }
    }

    /// The status and description HAProxy sets for this reply.
    pub fn outcome(&self) -> (CheckStatus, String) {
        let err = self.error.as_deref().filter(|e| !e.is_empty());
        let wrn = self.warning.as_deref().filter(|w| !w.is_empty());
        let Some(op) = self.op else {
            return match (err, wrn) {
                (Some(e), _) => (
                    CheckStatus::Checked,
                    format!("agent reports an error : {e}"),
                ),
                (None, Some(w)) => (CheckStatus::Checked, format!("agent warns : {w}")),
                (None, None) => (CheckStatus::Checked, String::new()),
            };
        };
        let status = match op {
            AgentOp::Up => CheckStatus::L7Ok,
            _ => CheckStatus::L7Sts,
        };
        let word = self.op_word.as_deref().unwrap_or("");
        let mut msg = self.message.as_deref().unwrap_or("");
        // An `up`, or a reply without description, shows the first error
        // or warning instead (down reports keep their reason).
        if msg.is_empty() || op == AgentOp::Up {
            if let Some(x) = err.or(wrn) {
                msg = x;
            }
        }
        let desc = if msg.is_empty() {
            format!("via agent : {word}")
        } else {
            format!("via agent : {word} ({msg})")
        };
        (status, desc)
    }
}

/// Judges what the agent sent so far: waits for a line end.
pub(super) fn eval(run: &mut Run<'_>, i: usize, last_read: bool) -> Eval {
    let last_read = last_read || run.buf.len() >= BUFSIZE;
    if run.buf.is_empty() {
        if !last_read {
            return Eval::Wait;
        }
        let e = placeholder_expect();
        return Eval::Stop(super::expect::failure(
            run,
            i,
            &e,
            CheckStatus::L7Rsp,
            false,
            "",
        ));
    }
    let end = run
        .buf
        .iter()
        .position(|&c| c == b'\n' || c == b'\r' || c == 0);
    let line = match end {
        Some(n) if run.buf[n] != 0 => String::from_utf8_lossy(&run.buf[..n]).into_owned(),
        _ if !last_read => return Eval::Wait,
        // HAProxy keeps the previous status with this text: `Unknown`
        // asks the caller to do the same.
        _ => {
            return Eval::Stop(
                run.outcome(CheckStatus::Unknown, "Ignoring incomplete line from agent"),
            )
        }
    };
    let reply = AgentReply::parse(&line);
    let (status, desc) = reply.outcome();
    run.agent_reply = Some(reply);
    Eval::Stop(run.outcome(status, desc))
}

fn placeholder_expect() -> Expect {
    Expect::new(ExpectKind::String(Vec::new()), 2)
}

/// Runs one agent check: connects to `target` (the agent's address),
/// sends `send` (`agent-send`) if any, reads one line. The outcome's
/// status is `Unknown` when the agent closed on an incomplete line (keep
/// the previous status, as HAProxy does, with the description given).
pub async fn run_agent(
    target: &CheckTarget,
    send: Option<&str>,
) -> (CheckOutcome, Option<AgentReply>) {
    // HAProxy's agent rules: the implicit connect, `send-lf` of the
    // agent string (step 1), a custom expect (step 2).
    let rules = [
        CheckRule::implicit_connect(),
        CheckRule {
            index: 0,
            comment: None,
            action: CheckAction::Send(SendData::Bytes(send.unwrap_or("").as_bytes().to_vec())),
        },
        CheckRule {
            index: 1,
            comment: None,
            action: CheckAction::Expect(placeholder_expect()),
        },
    ];
    let mut run = Run::new(target, Proto::Agent, &rules, false);
    let out = run.run().await;
    (out, run.agent_reply.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(line: &str) -> (CheckStatus, String) {
        AgentReply::parse(line).outcome()
    }

    #[test]
    fn words_and_descriptions() {
        use CheckStatus::*;
        let s = |x: &str| x.to_string();
        assert_eq!(desc("up"), (L7Ok, s("via agent : up")));
        assert_eq!(desc("DOWN"), (L7Sts, s("via agent : DOWN")));
        assert_eq!(
            desc("  ,\tdown\t#  reason here"),
            (L7Sts, s("via agent : down (reason here)"))
        );
        assert_eq!(desc("down foo"), (L7Sts, s("via agent : down (foo)")));
        assert_eq!(
            desc("down foo #kept"),
            (L7Sts, s("via agent : down (kept)"))
        );
        assert_eq!(desc("up foo #dropped"), (L7Ok, s("via agent : up (foo)")));
        assert_eq!(desc("up #shown"), (L7Ok, s("via agent : up (shown)")));
        assert_eq!(desc("up down"), (L7Sts, s("via agent : down")));
        assert_eq!(desc("fail,stopped"), (L7Sts, s("via agent : stopped")));
        assert_eq!(desc(""), (Checked, s("")));
        assert_eq!(desc("#only a description"), (Checked, s("")));
        assert_eq!(
            desc("weight:20"),
            (Checked, s("agent reports an error : weight:20"))
        );
        assert_eq!(
            desc("\u{1}\u{2} up"),
            (L7Ok, s("via agent : up (\u{1}\u{2})"))
        );
        assert_eq!(desc("é up ü"), (L7Ok, s("via agent : up (é)")));
        assert_eq!(desc("#"), (Checked, s("")));
        assert_eq!(
            desc("maxconn:12x"),
            (
                Checked,
                s("agent warns : Trailing garbage in maxconn string\n")
            )
        );
        assert_eq!(
            desc("maxconn:"),
            (Checked, s("agent warns : Require <maxconn>.\n"))
        );
        assert_eq!(
            desc("maxconn:abc"),
            (
                Checked,
                s("agent warns : maxconn string empty or preceded by garbage\n")
            )
        );
        assert_eq!(
            desc("5%%"),
            (
                Checked,
                s("agent warns : Trailing garbage in weight string\n")
            )
        );
        assert_eq!(
            desc("up 300%x"),
            (
                L7Ok,
                s("via agent : up (Absolute weight can only be between 0 and 256 inclusive.\n)")
            )
        );
        // An error comes before a warning.
        assert_eq!(
            desc("bogus 5%%"),
            (Checked, s("agent reports an error : bogus"))
        );
    }

    #[test]
    fn values() {
        let r = AgentReply::parse("maint 75% maxconn:100");
        assert_eq!(
            (r.admin, r.op, r.weight_pct, r.maxconn),
            (Some(AgentAdmin::Maint), None, Some(75), Some(100))
        );
        let r = AgentReply::parse("drain up 50% ready");
        assert_eq!(
            (r.admin, r.op, r.weight_pct),
            (Some(AgentAdmin::Ready), Some(AgentOp::Up), Some(50))
        );
        assert_eq!(AgentReply::parse("100000%").weight_pct, Some(25600));
        assert_eq!(
            AgentReply::parse("99999999999999999999999%").weight_pct,
            Some(25600)
        );
        assert_eq!(AgentReply::parse("maxconn:-5").maxconn, Some(0));
        assert_eq!(AgentReply::parse("MAXCONN:7").maxconn, Some(7));
        assert_eq!(AgentReply::parse("0%").weight_pct, Some(0));
        // Words keep going however many there are.
        let long = "x ".repeat(10_000) + "up";
        let r = AgentReply::parse(&long);
        assert_eq!((r.op, r.error.as_deref()), (Some(AgentOp::Up), Some("x")));
        // A description takes everything after the sharp.
        let r = AgentReply::parse("down # a, b\tc ");
        assert_eq!(r.message.as_deref(), Some("a, b\tc "));
    }
}
