//! The end of a transaction's accounting: counters of the frontend,
//! backend and server (`count_txn`), the httplog line (`emit_log`), and
//! the same for a client refused for want of an allocation (`refuse`).

use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

use super::txn::Txn;
use crate::connection::Transport;
use crate::error::{ErrorKind, ProxyError};
use crate::log::fields::{ClientAddr, LogCounters};
use crate::log::httplog::{format_httplog, HttpLogRecord};
use crate::log::subscriber::traffic;
use crate::log::termination::{term_code_http, FinState};
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

pub(super) fn emit_log(st: &State, fe: &Proxy, s: Option<&Stream>, log: &Txn, client: ClientAddr) {
    if fe.cfg.logs.is_empty() || !fe.cfg.httplog {
        return;
    }
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
    let applet_name = log
        .applet
        .as_ref()
        .map(|a| format!("<{}>", a.to_uppercase()));
    let (srv_name, srv_conn) = match (bp.and_then(|b| b.be.as_ref()), s.and_then(|s| s.srv)) {
        _ if applet_name.is_some() => (applet_name.as_deref().unwrap_or("<NOSRV>"), 0),
        (Some(b), Some(i)) => (b.servers[i].name.as_str(), b.servers[i].counters.cur()),
        _ => ("<NOSRV>", 0),
    };
    let beconn = bp
        .and_then(|b| b.be.as_ref())
        .map_or(0, |b| b.counters.cur());
    let caps: Vec<&[u8]> = log.req_captures.iter().map(Vec::as_slice).collect();
    let res_caps: Vec<&[u8]> = log.res_captures.iter().map(Vec::as_slice).collect();
    let rec = HttpLogRecord {
        client,
        request_date: log.request_date,
        frontend: &fe.name,
        frontend_ssl: false,
        backend: be_name,
        server: srv_name,
        t_request,
        t_queue,
        t_connect,
        t_response,
        t_active: ms(log.first_byte, Some(now)),
        logasap: false,
        status: log.status,
        bytes_out: log.bytes_out,
        req_cookie: None,
        res_cookie: None,
        term: {
            let (err, finst) = log.term();
            term_code_http(err, finst, None)
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
        req_captures: &caps,
        res_captures: &res_caps,
        request_line: log.request_line.as_deref(),
    };
    let mut line = String::with_capacity(200);
    format_httplog(&rec, &mut line);
    traffic(fe.idx, &line);
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
    emit_log(st, fe, None, &log, client);
}
