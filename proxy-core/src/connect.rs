//! Getting a stream to a server: backend selection, the queue, the lazy
//! allocation of the server-side connection, connect, and retries.
//!
//! The order follows the seed: the server-side connection object is taken
//! from the pool by `alloc_conn` when its address is first needed, its
//! address is written once (`ADDR_SET`) and kept across retries, so a retry
//! reaches the same address; only `option redispatch`, on the last retry,
//! clears it and runs server selection again.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};

use crate::backend::{Assignment, Backend};
use crate::connection::{Target, Transport};
use crate::error::{ErrorKind, ProxyError};
use crate::log::termination::FinState;
use crate::monitor::observe::Seen;
use crate::proxy_proto::opts::ServerPp;
use crate::proxy_proto::send::{self, PpFacts};
use crate::state::{Proxy, State};
use crate::stream::{sess_flags, AllocConnError, SiState, Stream};
use crate::tls_client::{self, TrafficTls};

/// HAProxy waits this long before retrying a server that refused.
const TURN_AROUND: Duration = Duration::from_secs(1);

/// What the log needs to know about the way to the server.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConnectInfo {
    pub retries: u32,
    pub redispatched: bool,
    /// Streams ahead in the backend queue when this one queued.
    pub be_queue: u32,
    /// The server connection came from the idle pool.
    pub reused: bool,
    /// The client address as the rules left it (`set-src`), which is the
    /// one `balance source` hashes; `None`: the connection's.
    pub client: Option<std::net::IpAddr>,
    /// The destination as the rules left it (`set-dst-port`), whose port
    /// a server without one connects to; `None`: the connection's.
    pub dst: Option<std::net::SocketAddr>,
    /// The hash of the request's key for the `balance` algorithms that
    /// hash one (`uri`, `hdr`, ...); `None`: no key (round robin).
    pub lb_key: Option<u32>,
}

/// The PROXY protocol options of server `srv` of `p` (none for a
/// dispatch address).
fn server_pp(p: &Proxy, srv: Option<usize>) -> ServerPp {
    srv.and_then(|i| p.cfg.servers.get(i))
        .map_or(ServerPp::default(), |c| c.send_proxy)
}

/// Releases the server slot a stream holds, if any.
pub fn release_server(be: &Backend, s: &mut Stream) {
    if s.flags & sess_flags::ASSIGNED != 0 {
        if let Some(i) = s.srv {
            be.release(i);
        }
        s.flags &= !sess_flags::ASSIGNED;
        s.sync_live();
    }
}

/// Takes a server slot (possibly after waiting in the queue).
async fn assign_server(
    p: &Proxy,
    be: &Backend,
    s: &mut Stream,
    info: &mut ConnectInfo,
) -> Result<(), ProxyError> {
    s.si[1].set_state(SiState::Req);
    if s.flags & sess_flags::ADDR_SET != 0 && s.srv.is_none() {
        // The address is already known (option http_proxy wrote it when it
        // read the request URI): no server to choose.
        s.flags |= sess_flags::ASSIGNED;
        be.counters.selected();
        return Ok(());
    }
    let client_ip = info
        .client
        .or_else(|| s.si[0].conn().and_then(|c| c.from).map(|a| a.ip()));
    if be.servers.is_empty() {
        return match be.dispatch {
            Some(_) => {
                s.flags |= sess_flags::ASSIGNED;
                s.srv = None;
                be.counters.selected();
                Ok(())
            }
            None => Err(ProxyError::new(ErrorKind::NoServer)),
        };
    }

    // Persistence (`stick match`) chose the server already.
    if s.flags & sess_flags::DIRECT != 0 {
        let forced = s.flags & sess_flags::FORCE_PRST != 0 || p.cfg.persist.persist;
        if let Some(i) = s
            .srv
            .filter(|&i| be.assign_direct(i) || (forced && be.assign_forced(i)))
        {
            s.flags |= sess_flags::ASSIGNED;
            be.counters.persisted();
            be.servers[i].counters.persisted();
            s.sync_live();
            return Ok(());
        }
        s.flags &= !sess_flags::DIRECT;
        s.srv = None;
    }
    let srv = match be.assign(client_ip, info.lb_key) {
        Assignment::Server(i) => i,
        Assignment::NoServer => return Err(ProxyError::new(ErrorKind::NoServer)),
        Assignment::Queued(ticket) => {
            s.si[1].set_state(SiState::Que);
            // `%bq` counts this stream with those ahead of it.
            info.be_queue = info.be_queue.max(ticket.position + 1);
            let limit = p.cfg.timeouts.queue.or(p.cfg.timeouts.connect);
            // Leaves the queue if this wait is dropped (the client left).
            let mut place = QueuePlace {
                be,
                ticket: Some(ticket),
            };
            let rx = place.ticket.as_mut().map(|t| &mut t.rx);
            let granted = match (limit, rx) {
                (_, None) => None,
                (Some(d), Some(rx)) => tokio::time::timeout(d, rx).await.ok().and_then(|r| r.ok()),
                (None, Some(rx)) => rx.await.ok(),
            };
            let ticket = place.ticket.take();
            match granted.or_else(|| ticket.and_then(|t| be.dequeue(t))) {
                Some(i) => i,
                None => {
                    // Tw is the time spent waiting, even when it ran out.
                    s.timers.queued = Some(std::time::Instant::now());
                    return Err(ProxyError::new(ErrorKind::QueueTimeout));
                }
            }
        }
    };
    s.srv = Some(srv);
    s.flags |= sess_flags::ASSIGNED;
    be.counters.selected();
    be.servers[srv].counters.selected();
    s.sync_live();
    Ok(())
}

/// A stream's place in its backend's queue while it waits: dropped with
/// the wait (the client gave up), it leaves the queue, and gives back a
/// slot granted meanwhile, so that no dead waiter holds one.
struct QueuePlace<'a> {
    be: &'a Backend,
    ticket: Option<crate::backend::QueueTicket>,
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        if let Some(granted) = self.ticket.take().and_then(|t| self.be.dequeue(t)) {
            self.be.release(granted);
        }
    }
}

/// Writes the destination (and source) address into the server-side
/// connection, allocating it on this first touch (rule 3).
fn assign_address(
    st: &State,
    p: &Proxy,
    be: &Backend,
    s: &mut Stream,
    dst: Option<std::net::SocketAddr>,
) -> Result<(), ProxyError> {
    if s.flags & sess_flags::ADDR_SET != 0 && s.si[1].conn().is_some() {
        // Written already: by an earlier attempt (retries keep it, rule 4)
        // or by `option http_proxy` reading the request URI.
        return Ok(());
    }
    let client_dst = dst.or_else(|| s.si[0].conn_mut().and_then(|c| c.dst()));
    let client_dst_port = client_dst.map(|a| a.port());
    let (to, from, target) = match s.srv {
        Some(i) => {
            let srv = &be.servers[i];
            (
                srv.addr(client_dst_port),
                srv.source.or(be.source),
                Target::Server(p.idx, i),
            )
        }
        None => match be.dispatch {
            Some(d) => (d, be.source, Target::Proxy(p.idx)),
            None => return Err(ProxyError::new(ErrorKind::NoServer)),
        },
    };
    let set = s.flags & sess_flags::ADDR_SET != 0;
    let conn = s.si[1]
        .alloc_conn(&st.pools.connection)
        .map_err(|e| match e {
            AllocConnError::AppletHolds => {
                ProxyError::new(ErrorKind::Internal).context("an applet holds the server side")
            }
            AllocConnError::Resource(e) => ProxyError::new(ErrorKind::Resource)
                .at(FinState::C)
                .context(e.to_string()),
        })?;
    if !set {
        conn.to = Some(to);
        conn.from = from;
        conn.target = target;
        s.flags |= sess_flags::ADDR_SET;
    }
    Ok(())
}

async fn tcp_connect(to: SocketAddr, from: Option<SocketAddr>) -> std::io::Result<TcpStream> {
    let sock = if to.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(f) = from {
        sock.bind(f)?;
    }
    let stream = sock.connect(to).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The TLS a connection to a server runs, and the SNI it sends.
struct TlsPlan<'a> {
    tls: &'a TrafficTls,
    sni: Option<&'a str>,
}

/// What the chosen server of `s` needs: TLS (with the SNI its `sni`
/// expression gave, among the stream's values `sni`) or nothing.
fn tls_plan<'a>(be: &'a Backend, s: &Stream, sni: &'a [Option<String>]) -> Option<TlsPlan<'a>> {
    let tls = be.servers.get(s.srv?)?.tls.as_ref()?;
    let sni = tls
        .sni_slot
        .and_then(|i| sni.get(i))
        .and_then(|v| v.as_deref());
    Some(TlsPlan { tls, sni })
}

/// Why a connection could not be made.
enum ConnFail {
    Tcp(std::io::Error),
    Tls(std::io::Error),
}

/// The TCP connect, then the TLS handshake when the server has `ssl`: the
/// connection is established only once both are done, as in HAProxy
/// (`timeout connect` bounds them together).
async fn connect_transport(
    to: SocketAddr,
    from: Option<SocketAddr>,
    tls: Option<&TlsPlan<'_>>,
    pp: Option<&[u8]>,
) -> Result<Transport, ConnFail> {
    let mut sock = tcp_connect(to, from).await.map_err(ConnFail::Tcp)?;
    // The PROXY header goes first, in clear, before any TLS.
    if let Some(h) = pp {
        tokio::io::AsyncWriteExt::write_all(&mut sock, h)
            .await
            .map_err(ConnFail::Tcp)?;
    }
    let Some(plan) = tls else {
        return Ok(Transport::Tcp(sock));
    };
    let stream = tls_client::connect_tls(sock, &plan.tls.tls, plan.sni, to.ip())
        .await
        .map_err(ConnFail::Tls)?;
    Ok(Transport::Tls(Box::new(stream)))
}

/// One connect attempt on the connection already attached to si[1].
async fn attempt(
    p: &Proxy,
    s: &mut Stream,
    tls: Option<TlsPlan<'_>>,
    pp: Option<Vec<u8>>,
) -> Result<(), ProxyError> {
    let (to, from) = match s.si[1].conn() {
        Some(c) => (c.to, c.from),
        None => return Err(ProxyError::new(ErrorKind::Internal).context("no server connection")),
    };
    let Some(to) = to else {
        return Err(ProxyError::new(ErrorKind::Internal).context("no server address"));
    };
    s.si[1].set_state(SiState::Con);
    let connect = connect_transport(to, from, tls.as_ref(), pp.as_deref());
    let res = match p.cfg.timeouts.connect {
        Some(d) => match tokio::time::timeout(d, connect).await {
            Ok(r) => r,
            Err(_) => return Err(ProxyError::new(ErrorKind::ConnectTimeout)),
        },
        None => connect.await,
    };
    match res {
        Ok(t) => {
            // `option nolinger`: closing the server side sends a reset.
            if let (true, Transport::Tcp(sock)) = (p.cfg.options.nolinger, &t) {
                let _ = sock.set_zero_linger();
            }
            if let Some(c) = s.si[1].conn_mut() {
                c.transport = t;
                c.sni = tls.and_then(|t| t.sni).map(Into::into);
                c.pp_sent = pp.map(Vec::into_boxed_slice);
            }
            Ok(())
        }
        Err(ConnFail::Tcp(e)) => Err(ProxyError::from_connect(&e)),
        Err(ConnFail::Tls(e)) => {
            // A failed handshake is a failed connection: retried, `SC`,
            // 503, as HAProxy counts it.
            tracing::debug!(
                "TLS handshake with {to} (backend {}) failed: {e}",
                p.cfg.name
            );
            Err(ProxyError::new(ErrorKind::ConnectFailed)
                .at(FinState::C)
                .context(format!("SSL handshake failure: {e}")))
        }
    }
}

/// Brings si[1] to EST on a server of backend `p`, with retries and
/// redispatch; on failure the error says why, and si[1] ends in CLO.
///
/// With `reuse`, an idle connection to the chosen server is taken from this
/// thread's pool when there is one, instead of connecting. `sni` holds
/// the values of the backend's `sni` expressions on this stream (see
/// [`tls_client::eval_snis`]).
pub async fn connect_server(
    st: &State,
    p: &Proxy,
    s: &mut Stream,
    info: &mut ConnectInfo,
    reuse: bool,
    sni: &[Option<String>],
    pp: &PpFacts<'_>,
) -> Result<(), ProxyError> {
    let Some(be) = p.be.as_ref() else {
        return Err(ProxyError::new(ErrorKind::Internal));
    };
    let retries = p.cfg.retries as i32;
    s.si[1].conn_retries = retries;
    loop {
        if s.flags & sess_flags::ASSIGNED == 0 {
            assign_server(p, be, s, info).await?;
            s.timers.queued = Some(std::time::Instant::now());
        }
        // A connection that began with a PROXY header is reused only by
        // a stream that would send the same one.
        let header = send::header(server_pp(p, s.srv), pp);
        if reuse && matches!(s.si[1].endpoint(), crate::stream::Endpoint::None) {
            let want = tls_plan(be, s, sni).and_then(|t| t.sni);
            let taken = s
                .srv
                .and_then(|i| crate::idle::take((p.idx, i), want, header.as_deref()));
            if let Some(conn) = taken {
                bump(&be.counters.reuse);
                if let Some(i) = s.srv {
                    bump(&be.servers[i].counters.reuse);
                }
                s.si[1].attach_conn(conn);
                s.flags |= sess_flags::ADDR_SET;
                s.si[1].set_state(SiState::Est);
                s.timers.connected = Some(std::time::Instant::now());
                info.reused = true;
                return Ok(());
            }
        }
        let result = match assign_address(st, p, be, s, info.dst) {
            Ok(()) => {
                bump(&be.counters.connect);
                if let Some(i) = s.srv {
                    bump(&be.servers[i].counters.connect);
                }
                let tls = tls_plan(be, s, sni);
                attempt(p, s, tls, header).await
            }
            Err(e) => Err(e),
        };
        let err = match result {
            Ok(()) => {
                if let (Some(i), Some(c)) = (s.srv, s.si[1].conn_mut()) {
                    c.in_use = Some(be.servers[i].conns.use_conn());
                }
                if let Some(i) = s.srv {
                    crate::monitor::observe::report(st, (p.idx, i), Seen::L4Ok);
                }
                s.si[1].set_state(SiState::Est);
                s.timers.connected = Some(std::time::Instant::now());
                return Ok(());
            }
            Err(e) => e,
        };
        s.si[1].set_state(SiState::Cer);
        if let Some(i) = s
            .srv
            .filter(|_| err.kind == ErrorKind::ConnectFailed || err.retry)
        {
            crate::monitor::observe::report(st, (p.idx, i), Seen::L4Err);
        }
        if let Some(c) = s.si[1].conn_mut() {
            // Close the socket, keep the object and its address (rule 4).
            c.close_transport();
        }
        if !err.retry || s.si[1].conn_retries <= 0 {
            s.si[1].err_type |= err.si_err_type();
            s.si[1].set_state(SiState::Clo);
            bump(&be.counters.failed_conns);
            if let Some(i) = s.srv {
                bump(&be.servers[i].counters.failed_conns);
            }
            return Err(err);
        }
        s.si[1].conn_retries -= 1;
        info.retries += 1;
        bump(&be.counters.retries);
        if let Some(i) = s.srv {
            bump(&be.servers[i].counters.retries);
        }
        // A server that went DOWN is left at once, as 2.6 does.
        let down = s.srv.is_some_and(|i| !be.servers[i].takes_persistent());
        let last = s.si[1].conn_retries == 0 || down;
        // Another server could take it (the current one may be DOWN when
        // `option persist` sent the stream there); `force-persist` never
        // redispatches.
        let others = be
            .servers
            .iter()
            .enumerate()
            .any(|(j, x)| Some(j) != s.srv && x.eweight() > 0);
        let forced = s.flags & sess_flags::FORCE_PRST != 0;
        if p.cfg.redispatch && last && others && !forced && s.srv.is_some() {
            // Last try: pick a server again, into the same connection object.
            release_server(be, s);
            s.flags &= !(sess_flags::ADDR_SET | sess_flags::DIRECT | sess_flags::FORCE_PRST);
            s.flags |= sess_flags::REDISP;
            info.redispatched = true;
            bump(&be.counters.redispatches);
            continue;
        }
        if err.kind == ErrorKind::ConnectFailed {
            // The server answered with a refusal: give it a moment.
            s.si[1].set_state(SiState::Tar);
            tokio::time::sleep(TURN_AROUND).await;
        }
        s.si[1].set_state(SiState::Ass);
    }
}

fn bump(c: &std::sync::atomic::AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}
