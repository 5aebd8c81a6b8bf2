//! Idle server connections kept for reuse (`http-reuse`).
//!
//! When an HTTP transaction ends cleanly on a reusable server connection,
//! the stream hands the connection to this pool instead of closing it, and
//! a later request to the same server may take it back through
//! `alloc_conn`'s caller. The pool owns what it holds: a parked connection
//! keeps its slot in the connection pool (it is still an allocated
//! connection) and is closed when it has been idle longer than its limit,
//! when the server closed it, when a purge finds more idle connections
//! than the server needs, or when a new connection needs its slot.
//!
//! How many to keep follows HAProxy 2.6 (see [`crate::backend::conns`]):
//! a released connection is parked when its thread has none idle for the
//! server yet, or when connections in use plus idle ones stay within the
//! estimated need plus `pool-low-conn`; otherwise it is closed. Each
//! `pool-purge-delay` the estimate moves and the excess is closed, oldest
//! first, each thread closing its share in proportion to what it holds.
//!
//! Lists are per worker thread, like HAProxy's: a stream and every
//! connection it uses live on one thread, so parking and taking need no
//! lock; the counts all threads share are atomics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::backend::conns::ServerConns;
use crate::connection::{Connection, Transport};
use crate::pool::{AllocError, Pool};

/// A server, as `(proxy index, server index)`.
pub type ServerKey = (usize, usize);

/// Counts a parked connection in its server's idle connections for as
/// long as it is parked.
struct IdleMark {
    srv: Arc<ServerConns>,
    /// The worker thread that parked it (the one that drops it too).
    thread: usize,
    /// It had served more than one request.
    safe: bool,
}

impl Drop for IdleMark {
    fn drop(&mut self) {
        self.srv.unmark_parked(self.thread, self.safe);
        self.srv.remove_idle();
    }
}

struct Parked {
    conn: Box<Connection>,
    since: Instant,
    expires: Instant,
    _idle: IdleMark,
}

/// This thread's idle connections to one server, oldest first.
struct ServerIdle {
    srv: Arc<ServerConns>,
    list: Vec<Parked>,
    /// The last purge order this thread applied.
    seen_gen: u64,
}

thread_local! {
    static IDLE: RefCell<HashMap<ServerKey, ServerIdle>> = RefCell::new(HashMap::new());
    /// Connections this thread keeps parked at most, all servers together
    /// (HAProxy bounds idle connections by a share of its descriptors).
    static CAP: std::cell::Cell<usize> = const { std::cell::Cell::new(DEFAULT_CAP) };
    /// This worker thread's number, for the per-thread idle counts.
    static THREAD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Tells the pool which worker thread this is (the runtime does, at
/// start): the server's per-thread idle counts file its connections there.
pub fn set_thread_index(index: usize) {
    THREAD.with(|t| t.set(index));
}

/// The per-thread cap when the runtime sets none.
const DEFAULT_CAP: usize = 1024;

/// Sets this thread's cap on parked connections (a quarter of the
/// connections it may have, as HAProxy's `tune.pool-high-fd-ratio`).
pub fn set_thread_cap(cap: usize) {
    CAP.with(|c| c.set(cap.max(16)));
}

/// Parks `conn` for server `key` (whose shared counts are `srv`), for at
/// most `keep`. Returns false, and drops (so closes) the connection, when
/// the policy says the server does not need it idle, when `pool-max-conn`
/// idle connections exist already, or when the thread's cap is reached.
pub fn park(key: ServerKey, srv: &Arc<ServerConns>, conn: Box<Connection>, keep: Duration) -> bool {
    if keep.is_zero() || conn.transport.is_none() || srv.purge_delay_ms == 0 {
        return false;
    }
    let cap = CAP.with(std::cell::Cell::get);
    IDLE.with(|m| {
        let mut m = m.borrow_mut();
        if m.values().map(|e| e.list.len()).sum::<usize>() >= cap {
            return false;
        }
        let entry = m.entry(key).or_insert_with(|| ServerIdle {
            srv: Arc::clone(srv),
            list: Vec::new(),
            seen_gen: srv.purge_gen(),
        });
        // The decision counts this connection as still in use.
        if !srv.may_park(!entry.list.is_empty()) || !srv.add_idle(crate::counters::now_ms()) {
            return false;
        }
        let mut conn = conn;
        conn.in_use = None;
        let now = Instant::now();
        let mark = IdleMark {
            srv: Arc::clone(srv),
            thread: THREAD.with(std::cell::Cell::get),
            safe: conn.reused,
        };
        srv.mark_parked(mark.thread, mark.safe);
        entry.list.push(Parked {
            conn,
            since: now,
            expires: now + keep,
            _idle: mark,
        });
        true
    })
}

/// Whether a parked socket is still usable: no data pending (a response we
/// did not ask for) and no end-of-stream or error from the server. Over
/// TLS, records that carry no data (a late session ticket, a key update)
/// are taken in on the way: only data, a close or an error count.
fn still_open(t: &Transport) -> bool {
    match t {
        Transport::Tcp(s) => {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let mut probe = [0u8; 1];
            let mut rb = tokio::io::ReadBuf::new(&mut probe);
            matches!(s.poll_peek(&mut cx, &mut rb), Poll::Pending)
        }
        Transport::Tls(s) => {
            let mut probe = [0u8; 1];
            matches!(s.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        }
        _ => false,
    }
}

/// Takes the most recently parked live connection for `key` made with
/// SNI `sni` and begun with PROXY header `pp`, closing any dead or
/// expired ones met on the way. It counts as in use again.
pub fn take(key: ServerKey, sni: Option<&str>, pp: Option<&[u8]>) -> Option<Box<Connection>> {
    let now = Instant::now();
    IDLE.with(|m| {
        let mut m = m.borrow_mut();
        let entry = m.get_mut(&key)?;
        let mut i = entry.list.len();
        while i > 0 {
            i -= 1;
            let c = &entry.list[i].conn;
            if c.sni.as_deref() != sni || c.pp_sent.as_deref() != pp {
                continue;
            }
            // Its idle mark goes at the end of this pass, after the
            // connection counts as in use again (as before it was found).
            let p = entry.list.remove(i);
            let Parked {
                mut conn, expires, ..
            } = p;
            if expires > now && still_open(&conn.transport) {
                conn.in_use = Some(entry.srv.use_conn());
                conn.reused = true;
                return Some(conn);
            }
        }
        None
    })
}

/// This thread's periodic pass: closes expired parked connections, runs
/// the purge of each server it holds idle connections for when it is due
/// (whichever thread comes first runs it), and closes this thread's share
/// of any new purge order, oldest first.
pub fn purge() {
    // Expiry only: checking liveness here would cost a system call per
    // parked connection every pass; `take` checks the one it hands out.
    let now = Instant::now();
    let now_ms = crate::counters::now_ms();
    IDLE.with(|m| {
        let mut m = m.borrow_mut();
        for e in m.values_mut() {
            e.list.retain(|p| p.expires > now);
            if e.list.is_empty() {
                continue;
            }
            e.srv.schedule_purge(now_ms);
            e.srv.purge_if_due(now_ms);
            let order = e.srv.purge_order();
            if order.gen != e.seen_gen {
                e.seen_gen = order.gen;
                let mine = u32::try_from(e.list.len()).unwrap_or(u32::MAX);
                let n = e.srv.claim_share(order, mine) as usize;
                e.list.drain(..n.min(e.list.len()));
            }
        }
        m.retain(|_, e| !e.list.is_empty());
    })
}

/// Closes this thread's oldest idle connection, whatever its server, to
/// free its slot in the connection pool. Returns whether there was one.
pub fn evict_oldest() -> bool {
    IDLE.with(|m| {
        let mut m = m.borrow_mut();
        let oldest = m
            .iter()
            .filter_map(|(k, e)| e.list.first().map(|p| (p.since, *k)))
            .min();
        let Some((_, key)) = oldest else {
            return false;
        };
        let Some(e) = m.get_mut(&key) else {
            return false;
        };
        // Dropped outside the list: closes the socket, frees the slot.
        let p = e.list.remove(0);
        if e.list.is_empty() {
            m.remove(&key);
        }
        drop(p);
        true
    })
}

/// Makes a connection object from `pool`. When the pool's cap refuses
/// and this thread holds an idle server connection, the oldest one is
/// closed to free its slot and the allocation is tried once more: an
/// idle connection never makes a live one fail. Every connection
/// allocation (accept, the server side) goes through here.
pub fn alloc_connection(pool: &Arc<Pool>) -> Result<Box<Connection>, AllocError> {
    pool.take_or_reclaim(evict_oldest)
        .map(|slot| Box::new(Connection::new(slot)))
}

/// How many connections this thread keeps parked for `key`.
pub fn count(key: ServerKey) -> usize {
    IDLE.with(|m| m.borrow().get(&key).map_or(0, |e| e.list.len()))
}

/// How many connections this thread keeps parked in all.
pub fn total() -> usize {
    IDLE.with(|m| m.borrow().values().map(|e| e.list.len()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Pool;
    use std::sync::atomic::Ordering;
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    const KEEP: Duration = Duration::from_secs(5);

    async fn conn_pair(pool: &Arc<Pool>) -> (Box<Connection>, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (srv, _) = l.accept().await.unwrap();
        let mut conn = Connection::new(pool.take().unwrap());
        conn.transport = Transport::Tcp(c);
        (Box::new(conn), srv)
    }

    /// A connection in use on `srv`, as connect_server leaves it.
    async fn used_conn(pool: &Arc<Pool>, srv: &Arc<ServerConns>) -> (Box<Connection>, TcpStream) {
        let (mut c, s) = conn_pair(pool).await;
        c.in_use = Some(srv.use_conn());
        (c, s)
    }

    fn srv() -> Arc<ServerConns> {
        ServerConns::new(0, None, KEEP)
    }

    fn used(s: &ServerConns) -> u32 {
        s.curr_used.load(Ordering::Relaxed)
    }

    fn idle(s: &ServerConns) -> u32 {
        s.curr_idle.load(Ordering::Relaxed)
    }

    #[tokio::test]
    async fn parked_connections_come_back_and_count_in_the_pool() {
        let pool = Pool::new("connection", 1, None, 0);
        let s = srv();
        let (c, _srv) = used_conn(&pool, &s).await;
        assert!(park((0, 0), &s, c, KEEP));
        assert_eq!(pool.used(), 1, "a parked connection is still allocated");
        assert_eq!((count((0, 0)), used(&s), idle(&s)), (1, 0, 1));
        assert!(
            take((0, 1), None, None).is_none(),
            "another server's pool is empty"
        );
        let back = take((0, 0), None, None).unwrap();
        assert_eq!((used(&s), idle(&s)), (1, 0), "in use again");
        drop(back);
        assert_eq!((pool.used(), used(&s)), (0, 0));
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_not_reused() {
        let pool = Pool::new("connection", 1, None, 0);
        let s = srv();
        let (c, mut peer) = used_conn(&pool, &s).await;
        assert!(park((1, 0), &s, c, KEEP));
        peer.shutdown().await.unwrap();
        drop(peer);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(take((1, 0), None, None).is_none());
        assert_eq!(pool.used(), 0, "the dead connection was closed and freed");
        assert_eq!((used(&s), idle(&s)), (0, 0));
    }

    #[tokio::test]
    async fn pool_max_conn_bounds_and_connections_expire() {
        let pool = Pool::new("connection", 1, None, 0);
        let s = ServerConns::new(0, Some(1), KEEP);
        let (a, _sa) = used_conn(&pool, &s).await;
        let (b, _sb) = used_conn(&pool, &s).await;
        assert!(park((2, 0), &s, a, Duration::from_millis(20)));
        assert!(!park((2, 0), &s, b, KEEP), "full");
        assert_eq!((pool.used(), used(&s), idle(&s)), (1, 0, 1));
        tokio::time::sleep(Duration::from_millis(40)).await;
        purge();
        assert_eq!(total(), 0);
        assert_eq!((pool.used(), idle(&s)), (0, 0));
    }

    /// One request per client connection (`http-reuse safe` never reuses
    /// for a first request): 50 in use at once; each released one is
    /// parked only while in-use plus idle stay within the need.
    #[tokio::test]
    async fn released_connections_are_parked_only_up_to_the_need() {
        let pool = Pool::new("connection", 1, None, 0);
        let s = srv();
        let mut live = Vec::new();
        for _ in 0..50 {
            live.push(used_conn(&pool, &s).await);
        }
        assert_eq!(s.est_need.load(Ordering::Relaxed), 50);
        // Release them all: each fits (used + idle stays 50).
        for (c, _peer) in live.drain(..) {
            assert!(park((3, 0), &s, c, KEEP));
        }
        assert_eq!((used(&s), idle(&s)), (0, 50));
        // One more in use now: 51 > 50, so it is closed when released.
        let (c, _p) = used_conn(&pool, &s).await;
        assert!(!park((3, 0), &s, c, KEEP));
        assert_eq!((used(&s), idle(&s), pool.used()), (0, 50, 50));
    }

    #[tokio::test]
    async fn pool_low_conn_keeps_that_many_more() {
        for (low, extra) in [(0, 0), (2, 2)] {
            let pool = Pool::new("connection", 1, None, 0);
            let s = ServerConns::new(low, None, KEEP);
            let key = (4, low as usize);
            let mut live = Vec::new();
            for _ in 0..4 {
                live.push(used_conn(&pool, &s).await);
            }
            let mut peers = Vec::new();
            for (c, p) in live.drain(..) {
                assert!(park(key, &s, c, KEEP));
                peers.push(p);
            }
            // Need 4, 4 idle: one at a time in use, released, kept only
            // within `low` more.
            let mut kept = 0;
            for _ in 0..4 {
                let (c, p) = used_conn(&pool, &s).await;
                kept += usize::from(park(key, &s, c, KEEP));
                peers.push(p);
            }
            assert_eq!(kept, extra, "pool-low-conn {low}");
            assert_eq!(idle(&s) as usize, 4 + extra);
        }
    }

    #[tokio::test]
    async fn the_purge_closes_the_excess_oldest_first() {
        let pool = Pool::new("connection", 1, None, 0);
        let s = ServerConns::new(0, None, Duration::from_millis(50));
        let mut live = Vec::new();
        for _ in 0..10 {
            live.push(used_conn(&pool, &s).await);
        }
        let mut peers = Vec::new();
        for (c, p) in live.drain(..) {
            assert!(park((5, 0), &s, c, KEEP));
            peers.push(p);
        }
        let first = IDLE.with(|m| m.borrow()[&(5, 0)].list[0].expires);
        assert_eq!(idle(&s), 10);
        // First period: the peak (10) still covers them all.
        tokio::time::sleep(Duration::from_millis(60)).await;
        purge();
        assert_eq!(idle(&s), 10);
        // Second: the peak since is 0 but the estimate is still 10 (it
        // halves to 5 for the next period).
        tokio::time::sleep(Duration::from_millis(60)).await;
        purge();
        assert_eq!(idle(&s), 10);
        // Third: beyond the estimate of 5, the 5 oldest go.
        tokio::time::sleep(Duration::from_millis(60)).await;
        purge();
        assert_eq!((idle(&s), total(), pool.used()), (5, 5, 5));
        let oldest_left = IDLE.with(|m| m.borrow()[&(5, 0)].list[0].expires);
        assert!(oldest_left > first, "the oldest were closed");
        // Then the estimate keeps halving (2, 1, 0) and the rest goes.
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(60)).await;
            purge();
        }
        assert_eq!((idle(&s), total(), pool.used()), (0, 0, 0));
    }

    #[tokio::test]
    async fn an_exhausted_pool_evicts_the_oldest_idle_connection() {
        let pool = Pool::new("connection", 1, Some(3), 0);
        let (a, b) = (srv(), srv());
        let (c1, _p1) = used_conn(&pool, &a).await;
        let (c2, _p2) = used_conn(&pool, &b).await;
        assert!(park((6, 0), &a, c1, KEEP));
        assert!(park((6, 1), &b, c2, KEEP));
        let third = alloc_connection(&pool).unwrap();
        assert_eq!(pool.used(), 3);
        // Full: the oldest idle one (server a's) is closed for the next.
        let fourth = alloc_connection(&pool).unwrap();
        assert_eq!((count((6, 0)), count((6, 1))), (0, 1));
        assert_eq!((idle(&a), idle(&b)), (0, 1));
        assert_eq!(pool.stats().failed, 0, "a reclaimed slot is no failure");
        let fifth = alloc_connection(&pool).unwrap();
        assert_eq!(total(), 0);
        // Nothing idle left: now it fails, and counts.
        assert_eq!(alloc_connection(&pool).unwrap_err(), AllocError::Exhausted);
        assert_eq!(pool.stats().failed, 1);
        drop((third, fourth, fifth));
        assert_eq!(pool.used(), 0);
    }
}
