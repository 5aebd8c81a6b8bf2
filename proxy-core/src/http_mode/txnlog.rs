//! The end of a transaction's accounting: counters of the frontend,
//! backend and server (`count_txn`), the log line in the proxy's
//! log-format (`emit_log`) and the unique id (`unique_id`), both rendered
//! from the transaction's [`LogRecord`], and the same accounting for a
//! client refused for want of an allocation (`refuse`).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use super::facts::Facts;
use super::txn::Txn;
use crate::connection::Transport;
use crate::error::{ErrorKind, ProxyError};
use crate::log::fields::{ClientAddr, LogCounters};
use crate::log::record::{LogRecord, LogView, Timers};
use crate::log::subscriber::traffic;
use crate::log::termination::{term_code_http, FinState};
use crate::rules::format::{LogFormat, Var};
use crate::rules::format_render::Captures;
use crate::rules::RequestView;
use crate::state::{Proxy, State};
use crate::stream::Stream;

/// When the stream left the queue and when its server connection was
/// established (none for a client refused before its stream existed).
fn timers_of(s: Option<&Stream>) -> (Option<Instant>, Option<Instant>) {
    s.map_or((None, None), |s| (s.timers.queued, s.timers.connected))
}

/// Counts one finished transaction: requests, response classes, errors,
/// aborts and timers on the frontend, the backend and the server, and the
/// process-wide request total.
pub(super) fn count_txn(st: &State, fe: &Proxy, s: Option<&Stream>, log: &Txn) {
    use crate::counters::{Counters, StreamTimes};
    let Some(fec) = fe.fe.as_ref().map(|f| &f.counters) else {
        return;
    };
    st.global.request();
    fec.request();
    fec.add_bytes(log.bytes_in, log.bytes_out);
    if log.status > 0 {
        fec.response(log.status);
    }
    if log.applet.as_deref() == Some("stats") {
        fec.intercepted.fetch_add(1, Ordering::Relaxed);
    }
    let be = log
        .backend
        .and_then(|i| st.proxies.get(i))
        .and_then(|p| p.be.as_ref());
    let srv = be.and_then(|be| s.and_then(|s| s.srv).and_then(|i| be.servers.get(i)));
    if let Some(end) = &log.end {
        end.account(Some(fec), be.map(|b| &b.counters), srv.map(|x| &x.counters));
    }
    let Some(be) = be else { return };
    observe_response(st, log, s);
    let sides: Vec<&Counters> = std::iter::once(&be.counters)
        .chain(srv.map(|x| &x.counters))
        .collect();
    let head_done = log.head_done;
    let ms = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_millis() as i64,
        _ => -1,
    };
    let (queued, connected) = timers_of(s);
    let times = StreamTimes {
        queue: ms(head_done, queued),
        connect: ms(queued, connected),
        response: ms(connected, log.response_at),
        total: Instant::now()
            .saturating_duration_since(log.first_byte)
            .as_millis() as i64,
    };
    for c in sides {
        c.request();
        c.add_bytes(log.bytes_in, log.bytes_out);
        if log.status > 0 {
            c.response(log.status);
        }
        c.add_times(times);
    }
}

/// `observe layer7`: what the server's answer says about its health.
fn observe_response(st: &State, log: &Txn, s: Option<&Stream>) {
    use crate::monitor::observe::{report, Seen};
    let (Some(pi), Some(si)) = (log.backend, s.and_then(|s| s.srv)) else {
        return;
    };
    if log.response_at.is_some() && log.status > 0 {
        report(st, (pi, si), Seen::Status(log.status as u16));
    } else if matches!(log.status, 502 | 504) {
        report(st, (pi, si), Seen::BadResponse);
    }
}

/// What a log line or unique id of this transaction may show.
pub(super) struct LogCtx<'a> {
    pub(super) st: &'a State,
    pub(super) fe: &'a Proxy,
    pub(super) s: Option<&'a Stream>,
    pub(super) txn: &'a Txn,
    pub(super) client: ClientAddr,
    pub(super) listener_id: u32,
}

impl<'a> LogCtx<'a> {
    /// The record of the transaction; `server` names an applet's `<NAME>`
    /// (kept by the caller), `fmt` is what it is for (only the addresses
    /// it shows are read).
    fn record(&self, server: &'a str, fmt: &LogFormat) -> LogRecord<'a> {
        let (st, fe, s, log) = (self.st, self.fe, self.s, self.txn);
        let now = Instant::now();
        let ms = |a: Instant, b: Option<Instant>| {
            b.map_or(-1, |b| b.saturating_duration_since(a).as_millis() as i64)
        };
        let head_done = log.head_done;
        let t_request = head_done.map_or(-1, |h| {
            h.saturating_duration_since(log.first_byte).as_millis() as i64
        });
        let (queued, connected) = timers_of(s);
        let t_queue = match (head_done, queued) {
            (Some(h), Some(q)) => q.saturating_duration_since(h).as_millis() as i64,
            // A tarpit: no request time, the wait counted from the start.
            (None, Some(q)) => q.saturating_duration_since(log.first_byte).as_millis() as i64,
            _ => -1,
        };
        let t_connect = match (queued, connected) {
            (Some(q), Some(c)) => c.saturating_duration_since(q).as_millis() as i64,
            _ => -1,
        };
        let t_response = match (connected, log.response_at) {
            (Some(c), Some(r)) => r.saturating_duration_since(c).as_millis() as i64,
            _ => -1,
        };
        let bp = log.backend.and_then(|i| st.proxies.get(i));
        let be_name = bp.map_or(fe.name.as_str(), |b| b.name.as_str());
        // The cookie of a denied request may name a server (of a listen
        // whose own rules denied it: no backend chosen yet).
        let srv_idx = log.cookie.log_server.or(s.and_then(|s| s.srv));
        let srv = bp
            .or_else(|| log.cookie.log_server.and(Some(fe)))
            .and_then(|b| b.be.as_ref())
            .zip(srv_idx)
            .and_then(|(b, i)| b.servers.get(i));
        let (srv_name, srv_conn) = match srv {
            _ if log.applet.is_some() => (server, 0),
            Some(x) => (x.name.as_str(), x.counters.cur()),
            None => ("<NOSRV>", 0),
        };
        let beconn = bp
            .and_then(|b| b.be.as_ref())
            .map_or(0, |b| b.counters.cur());
        let idle = log.idle_ms;
        let accept_date = log
            .request_date
            .checked_sub(Duration::from_millis(idle.max(0) as u64))
            .unwrap_or(log.request_date);
        let wants = |v: &[Var]| fmt.vars().any(|x| v.contains(&x));
        let front = s.and_then(|s| s.si[0].conn());
        let back = s.and_then(|s| s.si[1].conn());
        let frontend_addr = match front {
            Some(c) if wants(&[Var::fi, Var::fp]) || fmt.exprs().next().is_some() => {
                log.dst.or(c.to).or_else(|| c.transport.local_addr())
            }
            _ => None,
        };
        let backend_src = match back {
            Some(c) if wants(&[Var::bi, Var::bp]) => c.from.or_else(|| c.transport.local_addr()),
            _ => None,
        };
        LogRecord {
            frontend_addr,
            backend_src,
            server_addr: back.and_then(|c| c.to),
            request_date: log.request_date,
            backend: be_name,
            http_backend: bp.is_none_or(|b| b.mode == crate::config::model::Mode::Http),
            server: srv_name,
            timers: Timers::from_steps(
                idle,
                t_request,
                t_queue,
                t_connect,
                t_response,
                ms(log.first_byte, Some(now)),
            ),
            status: log.status,
            bytes_out: log.bytes_out,
            bytes_in: log.bytes_in,
            term: {
                let (err, finst) = log.term();
                let cookie = bp
                    .or(Some(fe))
                    .and_then(|b| b.cfg.persist.cookie.as_ref())
                    .filter(|c| c.logs_letters())
                    .map(|_| (log.cookie.req, log.cookie.res));
                term_code_http(err, finst, cookie)
            },
            counters: LogCounters {
                actconn: st.global.cur(),
                feconn: fe.fe.as_ref().map_or(0, |f| f.counters.cur()),
                beconn,
                srv_conn,
                retries: log.info.retries,
                redispatched: log.info.redispatched,
                srv_queue: 0,
                be_queue: log.info.be_queue,
            },
            req_captures: Captures::Vecs(&log.req_captures),
            res_captures: Captures::Vecs(&log.res_captures),
            request_line: log.request_line.as_deref(),
            req_cookie: log.cookie.cli_capture.as_deref(),
            res_cookie: log.cookie.srv_capture.as_deref(),
            unique_id: log.unique_id.as_deref(),
            request_id: log.uniq_id,
            ..LogRecord::new(self.client, accept_date, &fe.name)
        }
        .with_client_tls(front)
    }

    /// Renders `fmt` for this transaction into `out`; `view` evaluates
    /// the `%[expr]` items (none given: the stream's facts).
    fn render(&self, fmt: &LogFormat, view: Option<&dyn RequestView>, out: &mut Vec<u8>) {
        let applet = self
            .txn
            .applet
            .as_ref()
            .map(|a| format!("<{}>", a.to_uppercase()));
        let rec = self.record(applet.as_deref().unwrap_or("<NOSRV>"), fmt);
        if view.is_some() || fmt.exprs().next().is_none() {
            return rec.render(fmt, view, out);
        }
        let Some(s) = self.s else {
            return rec.render(fmt, None, out);
        };
        let log = self.txn;
        let facts = Facts {
            st: self.st,
            fe: self.fe,
            be: s.be.or(log.backend),
            srv: s.srv,
            listener_id: self.listener_id,
            vars: &s.vars,
            unique_id: log.unique_id.as_deref(),
            req_captures: &log.req_captures,
            res_captures: &log.res_captures,
            body: None,
            tls: s.tls_cells(),
            pp: s.si[0].conn().and_then(|c| c.pp.clone()),
        };
        let src = match self.client {
            ClientAddr::Inet(a) => Some(a),
            _ => None,
        };
        let view = LogView {
            line: log.request_line.as_deref().unwrap_or(b""),
            src,
            dst: rec.frontend_addr,
            info: &facts,
            stick: None,
        };
        rec.render(fmt, Some(&view), out);
    }
}

/// The unique id of the transaction (`unique-id-format`), made once
/// before the rules run, on the request `view`.
pub(super) fn unique_id(lc: &LogCtx<'_>, view: &dyn RequestView) -> Option<Vec<u8>> {
    let fmt = lc.fe.cfg.unique_id_format.as_ref()?.get()?;
    let mut out = Vec::with_capacity(64);
    lc.render(fmt, Some(view), &mut out);
    Some(out)
}

pub(super) fn emit_log(lc: &LogCtx<'_>) {
    let fe = lc.fe;
    let Some(fmt) = fe.cfg.log_format() else {
        return;
    };
    if fe.cfg.logs.is_empty() {
        return;
    }
    let level = lc.txn.knobs.log_level;
    if level == Some(None) {
        return; // `set-log-level silent`
    }
    let mut line = Vec::with_capacity(256);
    lc.render(fmt, None, &mut line);
    match level {
        Some(Some(severity)) => crate::log::subscriber::traffic_with_severity(
            fe.idx,
            severity,
            &String::from_utf8_lossy(&line),
        ),
        _ => traffic(fe.idx, &String::from_utf8_lossy(&line)),
    }
}

/// A client the proxy cannot take on for want of an allocation (its
/// connection object or its stream): HAProxy's 500 goes out from a static
/// buffer without waiting (it fits any new socket's send buffer, and needs
/// nothing allocated), and the refusal is counted (`failed_req`,
/// `hrsp_5xx`) and logged `RR--` with `<BADREQ>`, as any request the proxy
/// answers. Like the H1 mux's own errors its size is logged as 0.
pub(crate) fn refuse(st: &State, fe: &Proxy, transport: &Transport, client: ClientAddr) {
    let _ = transport.try_write(crate::http::early_error_response(500));
    let mut log = Txn::new(SystemTime::now(), Instant::now(), true);
    let end = ProxyError::new(ErrorKind::Resource).at(FinState::R);
    log.ended(end.answer(Some(500)), 500, 0);
    count_txn(st, fe, None, &log);
    emit_log(&LogCtx {
        st,
        fe,
        s: None,
        txn: &log,
        client,
        listener_id: 0,
    });
}
