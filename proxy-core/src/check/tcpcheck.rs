//! Runs a proxy's check rules against one server, as HAProxy 2.6's
//! `tcpcheck_main` does: a plain connect without a check option, the
//! `tcp-check` rules, the `http-check` rules, or the agent's exchange.
//!
//! The rules run in order over one connection (a `connect` rule closes
//! the previous one). An `expect` reads only when the data it has cannot
//! decide, and a rule that waits for more data resumes the run at the
//! first inverted `expect` before it. What each failure reports (status,
//! text with step numbers and comments) follows HAProxy's
//! `chk_report_conn_err` and the expect messages (see `expect`); the
//! outcomes were compared with HAProxy 2.6.12's `log-health-checks` lines.

use std::io;
use std::time::{Duration, Instant};

use super::conn::{strerror, CheckConn, Io, BUFSIZE};
use super::view::CheckView;
use super::{CheckOutcome, CheckStatus, CheckTarget};
use crate::config::model_check::{
    CheckAction, CheckKind, CheckRule, ConnectRule, Expect, ProxyChecks, RuleStatus,
};
use crate::sample::vars::VarStore;

/// Which kind of rule list runs: it decides the messages (only
/// `tcp-check` lists name their steps) and how responses are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Proto {
    Connect,
    Tcp,
    Http,
    Agent,
}

/// What evaluating a rule decided.
pub(super) enum Eval {
    Continue,
    /// More data is needed.
    Wait,
    Stop(CheckOutcome),
}

/// One check run: the connection, the input buffer, the deadline.
pub(super) struct Run<'a> {
    pub t: &'a CheckTarget,
    pub proto: Proto,
    pub rules: &'a [CheckRule],
    pub disable_on_404: bool,
    conn: Option<CheckConn>,
    connected: bool,
    /// The response so far, at most [`BUFSIZE`] bytes.
    pub buf: Vec<u8>,
    pub eos: bool,
    read_err: Option<io::Error>,
    deadline: Instant,
    start: Instant,
    /// The rule being run (HAProxy's `current_step`).
    pub current: Option<usize>,
    /// The check code (HTTP status, `status-code`), reset at every rule.
    pub code: i32,
    vars: VarStore,
    /// The method of the last HTTP request (a HEAD response has no body).
    pub last_method: Option<String>,
    pub agent_reply: Option<super::agent::AgentReply>,
}

/// Runs one health check of `target` following `checks`.
pub async fn run_health(checks: &ProxyChecks, target: &CheckTarget) -> CheckOutcome {
    let implicit;
    let (proto, rules) = match checks.kind {
        CheckKind::Connect => {
            implicit = [CheckRule::implicit_connect()];
            (Proto::Connect, &implicit[..])
        }
        CheckKind::TcpCheck => (Proto::Tcp, &checks.rules[..]),
        CheckKind::HttpCheck => (Proto::Http, &checks.rules[..]),
    };
    let mut run = Run::new(target, proto, rules, checks.disable_on_404);
    run.run().await
}

/// HAProxy's statuses for the ones rules name.
pub(super) fn status_of(s: RuleStatus) -> CheckStatus {
    match s {
        RuleStatus::L4Ok => CheckStatus::L4Ok,
        RuleStatus::L4Tout => CheckStatus::L4Tout,
        RuleStatus::L4Con => CheckStatus::L4Con,
        RuleStatus::L6Ok => CheckStatus::L6Ok,
        RuleStatus::L6Tout => CheckStatus::L6Tout,
        RuleStatus::L6Rsp => CheckStatus::L6Rsp,
        RuleStatus::L7Tout => CheckStatus::L7Tout,
        RuleStatus::L7Rsp => CheckStatus::L7Rsp,
        RuleStatus::L7Ok => CheckStatus::L7Ok,
        RuleStatus::L7OkC => CheckStatus::L7OkC,
        RuleStatus::L7Sts => CheckStatus::L7Sts,
    }
}

impl<'a> Run<'a> {
    pub(super) fn new(
        t: &'a CheckTarget,
        proto: Proto,
        rules: &'a [CheckRule],
        disable_on_404: bool,
    ) -> Run<'a> {
        let start = Instant::now();
        Run {
            t,
            proto,
            rules,
            disable_on_404,
            conn: None,
            connected: false,
            buf: Vec::new(),
            eos: false,
            read_err: None,
            deadline: start + t.inter,
            start,
            current: None,
            code: 0,
            vars: VarStore::new(t.proc_vars.clone().unwrap_or_default()),
            last_method: None,
            agent_reply: None,
        }
    }

    /// What formats and expressions see.
    pub(super) fn view(&self) -> CheckView<'_> {
        CheckView {
            vars: &self.vars,
            proxy: (&self.t.proxy, self.t.proxy_id),
            server: (&self.t.server, self.t.server_id),
            src: self.conn.as_ref().and_then(CheckConn::local),
            dst: self.conn.as_ref().and_then(CheckConn::peer),
        }
    }

    /// The outcome with HAProxy's limits: the description is cut at 127
    /// bytes (`HCHK_DESC_LEN`), the code kept where HAProxy shows it.
    pub(super) fn outcome(&self, status: CheckStatus, desc: impl Into<String>) -> CheckOutcome {
        let mut desc = desc.into();
        if desc.len() > 127 {
            let mut cut = 127;
            while !desc.is_char_boundary(cut) {
                cut -= 1;
            }
            desc.truncate(cut);
        }
        CheckOutcome {
            status,
            code: status.is_l57_data().then_some(self.code),
            desc,
            duration: self.start.elapsed(),
        }
    }

    /// HAProxy's step number of rule `i` (0: the implicit first connect).
    pub(super) fn step_of(&self, i: usize) -> usize {
        let r = &self.rules[i];
        match &r.action {
            CheckAction::Connect(c) if c.implicit && r.index == 0 => 0,
            _ => r.index + 1,
        }
    }

    pub(super) async fn run(&mut self) -> CheckOutcome {
        let rules = self.rules;
        let mut i = 0;
        let mut must_read = true;
        let mut last_read = false;
        while let Some(rule) = rules.get(i) {
            self.code = 0;
            match &rule.action {
                CheckAction::Connect(c) => {
                    self.current = Some(i);
                    if let Err(o) = self.connect(i, c).await {
                        return o;
                    }
                    must_read = true;
                    last_read = false;
                }
                CheckAction::Send(d) => {
                    self.current = Some(i);
                    self.buf.clear();
                    let data = match super::expect::send_data(self, i, d) {
                        Ok(d) => d,
                        Err(o) => return o,
                    };
                    if let Err(o) = self.send(&data).await {
                        return o;
                    }
                    must_read = true;
                }
                CheckAction::HttpSend(h) => {
                    self.current = Some(i);
                    self.buf.clear();
                    let data = match super::http_check::request(self, i, h) {
                        Ok(d) => d,
                        Err(o) => return o,
                    };
                    if let Err(o) = self.send(&data).await {
                        return o;
                    }
                    must_read = true;
                }
                CheckAction::Expect(e) => {
                    self.current = Some(i);
                    if must_read {
                        if let Err(o) = self.recv().await {
                            return o;
                        }
                        last_read = self.eos || self.read_err.is_some();
                        must_read = false;
                    }
                    match self.eval_expect(i, e, last_read) {
                        Eval::Continue => {}
                        Eval::Stop(o) => return o,
                        Eval::Wait => {
                            i = e.head.min(i);
                            must_read = true;
                            continue;
                        }
                    }
                }
                CheckAction::Var(v) => v.apply(&self.view()),
                CheckAction::Comment => {}
            }
            i += 1;
        }
        self.passed()
    }

    fn eval_expect(&mut self, i: usize, e: &Expect, last_read: bool) -> Eval {
        match self.proto {
            Proto::Http => super::http_check::eval(self, i, e, last_read),
            Proto::Agent => super::agent::eval(self, i, last_read),
            _ => super::expect::eval(self, i, e, last_read),
        }
    }

    /// The end of the rules: what the last step passed with.
    fn passed(&self) -> CheckOutcome {
        let Some(rule) = self.current.and_then(|i| self.rules.get(i)) else {
            return self.outcome(CheckStatus::L7Ok, "(tcp-check)");
        };
        match &rule.action {
            CheckAction::Expect(e) => {
                if self.disable_on_404 && !self.t.server_stopped && self.code == 404 {
                    return self.outcome(CheckStatus::L7OkC, "");
                }
                let mut run_code = self.code;
                let msg = super::expect::success_message(self, e, &mut run_code);
                let status = e.ok_status.map_or(CheckStatus::L7Ok, status_of);
                let mut o = self.outcome(status, msg);
                o.code = status.is_l57_data().then_some(run_code);
                o
            }
            CheckAction::Connect(c) => {
                let msg = if c.implicit { "" } else { "(tcp-check)" };
                // A TLS connection passed its handshake too: layer 6.
                let status = if self.conn.as_ref().is_some_and(CheckConn::is_tls) {
                    CheckStatus::L6Ok
                } else {
                    CheckStatus::L4Ok
                };
                self.outcome(status, msg)
            }
            _ => self.outcome(CheckStatus::L7Ok, "(tcp-check)"),
        }
    }

    /// A `connect` rule: closes the previous connection, opens the next.
    async fn connect(&mut self, i: usize, c: &ConnectRule) -> Result<(), CheckOutcome> {
        self.conn = None;
        self.connected = false;
        self.buf.clear();
        self.eos = false;
        self.read_err = None;
        let now = Instant::now();
        self.deadline = now + self.t.inter;
        if let (Some(_), Some(tc)) = (self.t.timeout_check, self.t.timeout_connect) {
            self.deadline = self.deadline.min(now + tc);
        }
        let mut to = self.t.addr;
        if let Some((ip, port)) = c.addr {
            to.set_ip(ip);
            if let Some(p) = port {
                to.set_port(p);
            }
        }
        if let Some(p) = c.port {
            to.set_port(p);
        }
        let mut conn = match CheckConn::alloc(&self.t.pool, to) {
            Ok(conn) => conn,
            Err(_) => {
                let mut msg = format!(
                    "TCPCHK error allocating connection at step {}",
                    self.step_of(i)
                );
                if let Some(cm) = &self.rules[i].comment {
                    msg.push_str(&format!(" comment: '{cm}'"));
                }
                return Err(self.outcome(CheckStatus::SockErr, msg));
            }
        };
        match conn.connect(self.t.source, self.deadline, c.linger).await {
            Ok(()) => {}
            Err((started, Io::Failed(e))) => {
                let status = if started {
                    CheckStatus::L4Con
                } else {
                    CheckStatus::SockErr
                };
                return Err(self.outcome(status, format!("{}{}", strerror(&e), self.where_())));
            }
            Err((_, _)) => return Err(self.outcome(CheckStatus::L4Tout, self.where_())),
        }
        // The server's settings (its TLS) apply to the connections made
        // with them, as HAProxy's `default` connect rules.
        if let Some(tls) = self
            .t
            .tls
            .as_ref()
            .filter(|_| c.default && self.proto != Proto::Agent)
        {
            match conn.start_tls(tls, self.deadline).await {
                Io::Done(()) => {}
                Io::Failed(e) => return Err(self.handshake_failed(&e)),
                Io::Expired => return Err(self.outcome(CheckStatus::L6Tout, self.where_())),
            }
        }
        self.conn = Some(conn);
        self.connected = true;
        if let Some(tc) = self.t.timeout_check {
            let floor = self.t.inter.min(Duration::from_secs(1));
            self.deadline = Instant::now() + tc.max(floor);
        }
        let proxy = c.send_proxy || (c.default && self.t.send_proxy && self.proto != Proto::Agent);
        if proxy {
            let line = self.proxy_line();
            self.send(&line).await?;
        }
        Ok(())
    }

    /// The PROXY header of this connection: its own two ends in a v1
    /// line, or a v2 LOCAL block when the server sends v2.
    fn proxy_line(&self) -> Vec<u8> {
        let c = self.conn.as_ref();
        let (local, peer) = (c.and_then(CheckConn::local), c.and_then(CheckConn::peer));
        crate::proxy_proto::send::check_header(self.t.pp, local, peer)
    }

    async fn send(&mut self, data: &[u8]) -> Result<(), CheckOutcome> {
        let Some(conn) = self.conn.as_mut() else {
            return Err(self.outcome(CheckStatus::SockErr, self.where_()));
        };
        match conn.write_all(data, self.deadline).await {
            Io::Done(()) => Ok(()),
            Io::Failed(e) => Err(self.conn_error(&e)),
            Io::Expired => Err(self.expired()),
        }
    }

    /// Reads before an `expect`: waits for data, the end, an error or the
    /// deadline. A read error with nothing read stops the check; with
    /// data, `tcp-check` judges the data (HAProxy reports the error only
    /// when nothing came), HTTP reports the error.
    async fn recv(&mut self) -> Result<(), CheckOutcome> {
        if self.eos || self.read_err.is_some() || self.buf.len() >= BUFSIZE {
            return Ok(());
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(self.outcome(CheckStatus::SockErr, self.where_()));
        };
        match conn.read(&mut self.buf, self.deadline).await {
            Io::Done(0) => self.eos = true,
            Io::Done(_) => {}
            Io::Failed(e) => self.read_err = Some(e),
            Io::Expired => return Err(self.expired()),
        }
        match &self.read_err {
            Some(e) if self.buf.is_empty() || self.proto == Proto::Http => Err(self.conn_error(e)),
            _ => Ok(()),
        }
    }

    /// A connection error: `L4CON` before the connection is up, else
    /// `SOCKERR`, with `strerror` and where the check was.
    fn conn_error(&self, e: &io::Error) -> CheckOutcome {
        let status = if self.connected {
            CheckStatus::SockErr
        } else {
            CheckStatus::L4Con
        };
        self.outcome(status, format!("{}{}", strerror(e), self.where_()))
    }

    /// A TLS handshake that failed: `L6RSP`, with the system's error
    /// when there was one (tcp-check rules only, as 2.6 words it).
    fn handshake_failed(&self, e: &io::Error) -> CheckOutcome {
        let errno = match e.raw_os_error() {
            Some(_) if self.proto == Proto::Tcp => format!(" ({})", strerror(e)),
            _ => String::new(),
        };
        let msg = format!("SSL handshake failure{errno}{}", self.where_());
        self.outcome(CheckStatus::L6Rsp, msg)
    }

    /// The deadline passed: `L4TOUT` while connecting, else the current
    /// expect's `tout-status` or `L7TOUT`.
    fn expired(&self) -> CheckOutcome {
        let status = if !self.connected {
            CheckStatus::L4Tout
        } else {
            match self
                .current
                .and_then(|i| self.rules.get(i))
                .map(|r| &r.action)
            {
                Some(CheckAction::Expect(e)) => {
                    e.tout_status.map_or(CheckStatus::L7Tout, status_of)
                }
                _ => CheckStatus::L7Tout,
            }
        };
        self.outcome(status, self.where_())
    }

    /// Where a `tcp-check` failed (`" at step 2 of tcp-check (expect
    /// string 'x')"`); other checks say nothing.
    fn where_(&self) -> String {
        if self.proto != Proto::Tcp {
            return String::new();
        }
        let Some(i) = self.current else {
            return " at step 1 of tcp-check".into();
        };
        let step = self.step_of(i);
        if step == 0 {
            return " at initial connection step of tcp-check".into();
        }
        let rule = &self.rules[i];
        let mut s = format!(" at step {step} of tcp-check");
        match &rule.action {
            CheckAction::Connect(c) => match c.port {
                Some(p) => s.push_str(&format!(" (connect port {p})")),
                None => s.push_str(" (connect)"),
            },
            CheckAction::Expect(e) => s.push_str(&super::expect::expect_detail(e)),
            CheckAction::Send(_) | CheckAction::HttpSend(_) => s.push_str(" (send)"),
            _ => {}
        }
        if let Some(c) = &rule.comment {
            s.push_str(&format!(" comment: '{c}'"));
        }
        s
    }
}
