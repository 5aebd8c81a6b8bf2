//! An accepted connection on an `ssl` bind: the handshake first (HAProxy's
//! embryonic session, bounded by `timeout client`), then the same stream
//! a plain connection gets, over the TLS transport. A handshake that
//! fails ends here, counted and logged as HAProxy 2.6 logs it:
//! `<ip>:<port> [<date>] <frontend>/<bind>: SSL handshake failure` (or
//! `Connection closed during SSL handshake`, `Timeout during SSL
//! handshake`, `SSL client certificate not trusted`), at severity info,
//! when the frontend has a log format; with `option dontlognull` only the
//! failures are logged, not the closes and timeouts, as 2.6 does.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use crate::connection::{Connection, Transport};
use crate::log::fields::ClientAddr;
use crate::state::State;
use crate::stkctr::Trackers;
use crate::stream::live::LiveStream;
use crate::tcp::Permits;
use crate::tls::accept::{accept, HandshakeError};
use crate::tls::bind::BindTls;

/// A connection in its handshake, counted in the process's current
/// connections as HAProxy counts an embryonic session in `actconn`: a
/// soft stop (`-sf`) waits for it instead of exiting under the client.
/// The stream, once it starts, counts itself.
struct Embryonic(Arc<State>);

impl Embryonic {
    fn enter(st: &Arc<State>) -> Embryonic {
        st.global.cur.fetch_add(1, Ordering::Relaxed);
        Embryonic(st.clone())
    }
}

impl Drop for Embryonic {
    fn drop(&mut self) {
        self.0.global.cur.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs the handshake, then the frontend's stream (HTTP or TCP). The
/// connection counts as current from this call on, before its task runs.
#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    st: Arc<State>,
    tls: Arc<BindTls>,
    bind_name: Arc<str>,
    (fe_idx, lid): (usize, u32),
    mut conn: Box<Connection>,
    live: Arc<LiveStream>,
    mut permits: Permits,
    trk: Trackers,
    http: bool,
) -> impl Future<Output = ()> {
    let embryonic = Embryonic::enter(&st);
    async move {
        let accepted = SystemTime::now();
        let Transport::Tcp(sock) = std::mem::take(&mut conn.transport) else {
            return;
        };
        let timeout = st.proxies.get(fe_idx).and_then(|p| p.cfg.timeouts.client);
        match accept(sock, &tls, timeout, &tls.counters).await {
            Ok(s) => conn.transport = Transport::Tls(Box::new(s)),
            Err(e) => {
                log_failure(&st, fe_idx, &bind_name, &conn, accepted, &e);
                return;
            }
        }
        // Still counted until the stream counts itself (`-sf` never sees
        // zero in between), then released, so never counted twice.
        permits.precount = Some(Box::new(embryonic));
        if http {
            crate::http_mode::run_stream(st, fe_idx, lid, conn, live, permits, trk).await;
        } else {
            crate::tcp::run_stream(st, fe_idx, lid, conn, live, permits, trk).await;
        }
    }
}

/// The log line of a failed handshake, on the frontend's log targets.
fn log_failure(
    st: &State,
    fe_idx: usize,
    bind_name: &str,
    conn: &Connection,
    accepted: SystemTime,
    e: &HandshakeError,
) {
    tracing::debug!("TLS handshake on frontend #{fe_idx}: {e:?}");
    let client = conn.from.map_or(ClientAddr::Unknown, ClientAddr::Inet);
    let hard = e.logged_with_dontlognull();
    log_embryonic(st, fe_idx, bind_name, client, accepted, e.log_text(), hard);
}

/// The line 2.6 logs when a connection dies before its stream starts
/// (handshake, PROXY header): `<client> [<date>] <frontend>/<bind>:
/// <reason>`. `hard`: a real failure, still logged under `option
/// dontlognull` (a close or a timeout is not).
pub(super) fn log_embryonic(
    st: &State,
    fe_idx: usize,
    bind_name: &str,
    client: ClientAddr,
    accepted: SystemTime,
    reason: &str,
    hard: bool,
) {
    let Some(p) = st.proxies.get(fe_idx) else {
        return;
    };
    // Without a log format (no `option httplog`/`tcplog`, no
    // `log-format`) 2.6 logs only the "Connect from" line of a stream,
    // and a failed handshake makes none.
    let quiet = p.cfg.log_format.is_none() || p.cfg.dontlognull && !hard;
    if p.cfg.logs.is_empty() || quiet {
        return;
    }
    let mut line = format!("{client} [");
    crate::log::date::write_log_date(accepted, &mut line);
    line.push_str("] ");
    line.push_str(&p.cfg.name);
    line.push('/');
    line.push_str(bind_name);
    line.push_str(": ");
    line.push_str(reason);
    crate::log::subscriber::traffic(fe_idx, &line);
}
