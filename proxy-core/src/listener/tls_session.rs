//! An accepted connection on an `ssl` bind: the handshake first (HAProxy's
//! embryonic session, bounded by `timeout client`), then the same stream
//! a plain connection gets, over the TLS transport. A handshake that
//! fails ends here, counted and logged as HAProxy 2.6 logs it:
//! `<ip>:<port> [<date>] <frontend>/<bind>: SSL handshake failure`.

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
    permits: Permits,
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
        if http {
            let stream = crate::http_mode::run_stream(st, fe_idx, lid, conn, live, permits, trk);
            hand_over(embryonic, stream).await;
        } else {
            let stream = crate::tcp::run_stream(st, fe_idx, lid, conn, live, permits, trk);
            hand_over(embryonic, stream).await;
        }
    }
}

/// Runs `stream`, keeping `embryonic` counted until the stream's first
/// poll has counted the stream itself: the count never shows zero
/// between the two (another thread's soft stop could see it).
async fn hand_over(embryonic: Embryonic, stream: impl Future<Output = ()>) {
    let mut stream = std::pin::pin!(stream);
    let mut held = Some(embryonic);
    std::future::poll_fn(move |cx| {
        let r = stream.as_mut().poll(cx);
        drop(held.take());
        r
    })
    .await
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
    let Some(p) = st.proxies.get(fe_idx) else {
        return;
    };
    if p.cfg.logs.is_empty() {
        return;
    }
    let client = conn.from.map_or(ClientAddr::Unknown, ClientAddr::Inet);
    let mut line = format!("{client} [");
    crate::log::date::write_log_date(accepted, &mut line);
    line.push_str("] ");
    line.push_str(&p.cfg.name);
    line.push('/');
    line.push_str(bind_name);
    line.push_str(": ");
    line.push_str(e.log_text());
    crate::log::subscriber::traffic(fe_idx, &line);
}
