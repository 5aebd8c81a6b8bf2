//! The rules of `tcp-check` and `http-check` (and of `option httpchk`):
//! what the configuration parser builds (`kw_check`) and the check
//! executor (`crate::check::tcpcheck`) runs.
//!
//! A rule keeps HAProxy's step index (messages say `at step <index+1>`)
//! and its comment: the rule's own `comment` argument, or the text of a
//! `comment` rule written just before it, as HAProxy attaches it.

use std::net::IpAddr;

use crate::rules::expr::Expr;
use crate::rules::format::LogFormat;
use crate::rules::var_action::VarAction;
use crate::sample::regex::Regex;

/// One rule, in the order the checks run them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRule {
    /// HAProxy's step index: a rule's position in its section's rule list
    /// (comment and variable rules count); the implicit first connect has 0
    /// and is reported as "the initial connection step".
    pub index: usize,
    pub comment: Option<String>,
    pub action: CheckAction,
}

impl CheckRule {
    /// The connect rule HAProxy puts first when the rules have none.
    pub fn implicit_connect() -> CheckRule {
        CheckRule {
            index: 0,
            comment: None,
            action: CheckAction::Connect(ConnectRule {
                default: true,
                implicit: true,
                ..ConnectRule::default()
            }),
        }
    }
}

/// What a rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckAction {
    Connect(ConnectRule),
    /// `tcp-check send|send-binary|send-lf|send-binary-lf`.
    Send(SendData),
    /// `http-check send` or the request of `option httpchk`.
    HttpSend(HttpSend),
    Expect(Expect),
    /// `set-var(...)`, `set-var-fmt(...)`, `unset-var(...)`.
    Var(VarAction),
    /// A `comment` rule; gone once the rules are final (its text moved to
    /// the rules it precedes).
    Comment,
}

/// `tcp-check connect` / `http-check connect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectRule {
    pub port: Option<u16>,
    /// `addr <ip>[:port]`: the port, when given, is used if `port` is not.
    pub addr: Option<(IpAddr, Option<u16>)>,
    pub send_proxy: bool,
    /// `linger`: close with a FIN rather than a reset.
    pub linger: bool,
    /// `default`: the server's check settings apply (`check-send-proxy`).
    pub default: bool,
    /// Added by the parser in front of rules that lack a connect.
    pub implicit: bool,
}

/// What a `tcp-check send*` rule sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendData {
    /// `send` and `send-binary` (already decoded).
    Bytes(Vec<u8>),
    /// `send-lf`.
    Format(LogFormat),
    /// `send-binary-lf`: the format gives hex digits.
    BinaryFormat(LogFormat),
}

/// A string or a log-format string (`uri`/`uri-lf`, `body`/`body-lf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextOrFormat {
    Text(String),
    Format(LogFormat),
}

/// An HTTP check request (`http-check send`, `option httpchk`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpSend {
    /// `None`: `OPTIONS`.
    pub method: Option<String>,
    /// `None`: `/`.
    pub uri: Option<TextOrFormat>,
    /// `None`: `HTTP/1.0`.
    pub version: Option<String>,
    /// Header names as written, values as log-format strings.
    pub headers: Vec<(String, LogFormat)>,
    pub body: Option<TextOrFormat>,
    /// Comes from `option httpchk` (merged with the first `http-check
    /// send` rule, wherever it is).
    pub from_option: bool,
}

/// `tcp-check expect` / `http-check expect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    pub kind: ExpectKind,
    /// `!`: the rule passes when the pattern does not match.
    pub inverse: bool,
    /// `min-recv`: -1 when not set (then a mismatch waits for more data).
    pub min_recv: i64,
    pub on_success: Option<LogFormat>,
    pub on_error: Option<LogFormat>,
    /// `status-code <expr>`: the check code reported.
    pub status_code: Option<Expr>,
    pub ok_status: Option<RuleStatus>,
    pub error_status: Option<RuleStatus>,
    pub tout_status: Option<RuleStatus>,
    /// Where evaluation resumes when this rule waits for more data: the
    /// first inverted rule of the run of `expect` rules it ends (HAProxy's
    /// `expect.head`), as an index into the final rule list; set when the
    /// rules are final.
    pub head: usize,
}

impl Expect {
    /// An expect rule with every option at its default (`min-recv -1`, no
    /// messages, no statuses, no code expression).
    pub fn new(kind: ExpectKind, head: usize) -> Expect {
        Expect {
            kind,
            inverse: false,
            min_recv: -1,
            on_success: None,
            on_error: None,
            status_code: None,
            ok_status: None,
            error_status: None,
            tout_status: None,
            head,
        }
    }
}

/// The pattern of an `expect` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectKind {
    /// `string` (tcp-check).
    String(Vec<u8>),
    /// `binary` (decoded from hex).
    Binary(Vec<u8>),
    /// `rstring`.
    Regex(Regex),
    /// `rbinary`: matched against the hex dump of the data.
    BinaryRegex(Regex),
    /// `string-lf`.
    StringFormat(LogFormat),
    /// `binary-lf`: the format gives hex digits.
    BinaryFormat(LogFormat),
    /// `status <codes>` (http-check): inclusive ranges.
    HttpStatus(Vec<(u32, u32)>),
    /// `rstatus`.
    HttpStatusRegex(Regex),
    /// `string` (http-check): searched in the body.
    HttpBody(Vec<u8>),
    /// `rstring` (http-check).
    HttpBodyRegex(Regex),
    /// `string-lf` (http-check).
    HttpBodyFormat(LogFormat),
    /// `hdr` / `fhdr`.
    HttpHeader(HeaderMatch),
}

/// `hdr name [-m <meth>] <pattern> [value [-m <meth>] <pattern>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMatch {
    pub name: Pattern,
    /// `None`: any header with a matching name passes.
    pub value: Option<Pattern>,
    /// `fhdr`: values are taken whole instead of split on commas.
    pub full: bool,
}

/// A header name or value pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    Str(TextOrFormat),
    Beg(TextOrFormat),
    End(TextOrFormat),
    Sub(TextOrFormat),
    Reg(Regex),
}

/// A status an `expect` rule names (`ok-status`, `error-status`,
/// `tout-status`), HAProxy's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStatus {
    L4Ok,
    L4Tout,
    L4Con,
    L6Ok,
    L6Tout,
    L6Rsp,
    L7Tout,
    L7Rsp,
    L7Ok,
    L7OkC,
    L7Sts,
}
