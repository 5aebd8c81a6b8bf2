//! `tcp-check send` data and `tcp-check expect` evaluation, with
//! HAProxy 2.6's messages: "TCPCHK did not match content 'x' at step 2",
//! the `on-success`/`on-error` formats, comments, `status-code`.
//!
//! An expect waits for more data while it cannot decide: fewer bytes
//! than the pattern or than `min-recv`, or no match yet without
//! `min-recv`. The end of the stream, an error after some data, or a full
//! buffer (`tune.bufsize`) make the data final.

use super::conn::BUFSIZE;
use super::tcpcheck::{status_of, Eval, Proto, Run};
use super::CheckStatus;
use crate::config::model_check::{Expect, ExpectKind, SendData};
use crate::rules::format::LogFormat;

/// Decodes hex digits (`send-binary-lf`, `binary-lf`).
fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| {
            let d = |c: u8| (c as char).to_digit(16);
            Some((d(p[0])? << 4 | d(p[1])?) as u8)
        })
        .collect()
}

fn render(run: &Run<'_>, f: &LogFormat) -> Vec<u8> {
    let mut out = f.render(&run.view());
    out.truncate(BUFSIZE);
    out
}

/// The bytes of a `tcp-check send*` rule, or the check's end when they
/// cannot be built.
pub(super) fn send_data(
    run: &Run<'_>,
    i: usize,
    d: &SendData,
) -> Result<Vec<u8>, super::CheckOutcome> {
    let step = run.step_of(i);
    match d {
        SendData::Bytes(b) if b.len() >= BUFSIZE => Err(run.outcome(
            CheckStatus::L7Rsp,
            format!(
                "tcp-check send : string too large ({}) for buffer size ({BUFSIZE}) at step {step}",
                b.len()
            ),
        )),
        SendData::Bytes(b) => Ok(b.clone()),
        SendData::Format(f) => Ok(render(run, f)),
        SendData::BinaryFormat(f) => {
            let text = render(run, f);
            if text.is_empty() {
                return Ok(text);
            }
            unhex(&text).ok_or_else(|| {
                run.outcome(
                    CheckStatus::L7Rsp,
                    format!("tcp-check send : failed to build log-format string at step {step}"),
                )
            })
        }
    }
}

/// `<01><02>A`: HAProxy's dump of binary patterns in messages.
fn dump(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                (c as char).to_string()
            } else {
                format!("<{c:02X}>")
            }
        })
        .collect()
}

/// The data as uppercase hex, as `rbinary` sees it (the dump fills at
/// most one buffer).
fn hex_dump(b: &[u8]) -> Vec<u8> {
    let n = b.len().min((BUFSIZE - 1) / 2);
    b[..n]
        .iter()
        .flat_map(|c| format!("{c:02X}").into_bytes())
        .collect()
}

/// What a timeout or error message says of an expect rule.
pub(super) fn expect_detail(e: &Expect) -> String {
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match &e.kind {
        ExpectKind::String(p) => format!(" (expect string '{}')", lossy(p)),
        ExpectKind::Binary(p) => format!(" (expect binary '{}')", dump(p)),
        ExpectKind::Regex(_) => " (expect regex)".into(),
        ExpectKind::BinaryRegex(_) => " (expect binary regex)".into(),
        ExpectKind::StringFormat(_) => " (expect log-format string)".into(),
        ExpectKind::BinaryFormat(_) => " (expect log-format binary)".into(),
        ExpectKind::HttpStatus(_) => " (expect HTTP status codes)".into(),
        ExpectKind::HttpStatusRegex(_) => " (expect HTTP status regex)".into(),
        ExpectKind::HttpHeader(_) => " (expect HTTP header pattern)".into(),
        ExpectKind::HttpBody(p) => format!(" (expect HTTP body content '{}')", lossy(p)),
        ExpectKind::HttpBodyRegex(_) => " (expect HTTP body regex)".into(),
        ExpectKind::HttpBodyFormat(_) => " (expect log-format HTTP body)".into(),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Evaluates a `tcp-check expect` rule on the data read so far.
pub(super) fn eval(run: &mut Run<'_>, i: usize, e: &Expect, last_read: bool) -> Eval {
    let last_read = last_read || run.buf.len() >= BUFSIZE;
    let data = &run.buf;
    if !last_read {
        let short = match &e.kind {
            ExpectKind::String(p) | ExpectKind::Binary(p) => data.len() < p.len(),
            _ => false,
        };
        if short || (e.min_recv > 0 && (data.len() as i64) < e.min_recv) {
            return Eval::Wait;
        }
    }
    let status = e.error_status.map_or(CheckStatus::L7Rsp, status_of);
    let matched = match &e.kind {
        ExpectKind::String(p) | ExpectKind::Binary(p) => contains(data, p),
        ExpectKind::Regex(re) => re.is_match(&data[..data.len().min(BUFSIZE - 1)]),
        ExpectKind::BinaryRegex(re) => re.is_match(&hex_dump(data)),
        ExpectKind::StringFormat(f) | ExpectKind::BinaryFormat(f) => {
            let mut pat = render(run, f);
            if pat.is_empty() {
                let desc = "log-format string evaluated to an empty string";
                return Eval::Stop(failure(run, i, e, CheckStatus::L7Rsp, false, desc));
            }
            if matches!(e.kind, ExpectKind::BinaryFormat(_)) {
                match unhex(&pat) {
                    Some(b) => pat = b,
                    None => {
                        let desc =
                            "Failed to parse hexastring resulting of eval of a log-format string";
                        return Eval::Stop(failure(run, i, e, CheckStatus::L7Rsp, false, desc));
                    }
                }
            }
            if data.len() < pat.len() && !last_read {
                return Eval::Wait;
            }
            data.len() >= pat.len() && contains(data, &pat)
        }
        // HTTP patterns never reach a tcp-check list.
        _ => false,
    };
    if !matched && !last_read && e.min_recv == -1 {
        return Eval::Wait;
    }
    if matched != e.inverse {
        return Eval::Continue;
    }
    Eval::Stop(failure(run, i, e, status, matched, ""))
}

/// The end of a check on a failed expect: HAProxy's message, the
/// comment, the `status-code` (`tcpcheck_expect_onerror_message`).
pub(super) fn failure(
    run: &Run<'_>,
    i: usize,
    e: &Expect,
    status: CheckStatus,
    matched: bool,
    info: &str,
) -> super::CheckOutcome {
    let rule = &run.rules[i];
    let mut msg = String::new();
    let mut quoted_comment = false;
    if !info.is_empty() {
        msg.push_str(info);
    } else if let Some(f) = &e.on_error {
        msg = String::from_utf8_lossy(&render(run, f)).into_owned();
    } else if run.proto == Proto::Http {
        // HTTP failures always carry their own text (or none).
    } else if run.buf.is_empty() {
        msg = format!("TCPCHK got an empty response at step {}", run.step_of(i));
        quoted_comment = true;
    } else if run.proto == Proto::Tcp {
        msg.push_str(if matched {
            "TCPCHK matched unwanted content"
        } else {
            "TCPCHK did not match content"
        });
        let step = run.step_of(i);
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        msg.push_str(&match &e.kind {
            ExpectKind::HttpStatus(_) => format!("(status codes) at step {step}"),
            ExpectKind::String(p) | ExpectKind::HttpBody(p) => {
                format!(" '{}' at step {step}", lossy(p))
            }
            ExpectKind::Binary(_) => format!(" (binary) at step {step}"),
            ExpectKind::Regex(_)
            | ExpectKind::HttpStatusRegex(_)
            | ExpectKind::HttpBodyRegex(_) => {
                format!(" (regex) at step {step}")
            }
            ExpectKind::BinaryRegex(_) => format!(" (binary regex) at step {step}"),
            ExpectKind::StringFormat(_) | ExpectKind::HttpBodyFormat(_) => {
                format!(" (log-format string) at step {step}")
            }
            ExpectKind::BinaryFormat(_) => format!(" (log-format binary) at step {step}"),
            ExpectKind::HttpHeader(_) => format!(" (header pattern) at step {step}"),
        });
    }
    if let Some(c) = &rule.comment {
        if quoted_comment {
            msg.push_str(&format!(" comment: '{c}'"));
        } else {
            msg.push_str(&format!(" comment: {c}"));
        }
    }
    let mut out = run.outcome(status, msg);
    if let Some(code) = status_code(run, e) {
        out.code = status.is_l57_data().then_some(code);
    }
    out
}

/// `status-code <expr>`, as an integer.
fn status_code(run: &Run<'_>, e: &Expect) -> Option<i32> {
    let view = run.view();
    let v = e.status_code.as_ref()?.eval(&view)?;
    v.to_int().and_then(|n| i32::try_from(n).ok())
}

/// The text of a passed check that ended on an expect: `on-success`, or
/// `(tcp-check)` for `tcp-check` lists; `code` takes `status-code`.
pub(super) fn success_message(run: &Run<'_>, e: &Expect, code: &mut i32) -> String {
    if let Some(c) = status_code(run, e) {
        *code = c;
    }
    match &e.on_success {
        Some(f) => String::from_utf8_lossy(&render(run, f)).into_owned(),
        None if run.proto == Proto::Tcp => "(tcp-check)".into(),
        None => String::new(),
    }
}
