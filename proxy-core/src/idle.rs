//! Idle server connections kept for reuse (`http-reuse`).
//!
//! When an HTTP transaction ends cleanly on a reusable server connection,
//! the stream hands the connection to this pool instead of closing it, and
//! a later request to the same server may take it back through
//! `alloc_conn`'s caller. The pool owns what it holds: a parked connection
//! keeps its slot in the connection pool (it is still an allocated
//! connection) and is closed when it has been idle longer than its limit,
//! when the server closed it, or when the pool for that server is full.
//!
//! Pools are per worker thread, like HAProxy's: a stream and every
//! connection it uses live on one thread, so parking and taking need no lock.

use std::cell::RefCell;
use std::collections::HashMap;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::connection::{Connection, Transport};

/// A server, as `(proxy index, server index)`.
pub type ServerKey = (usize, usize);

struct Parked {
    conn: Box<Connection>,
    expires: Instant,
}

thread_local! {
    static IDLE: RefCell<HashMap<ServerKey, Vec<Parked>>> = RefCell::new(HashMap::new());
    /// Connections this thread keeps parked at most, all servers together
    /// (HAProxy bounds idle connections by a share of its descriptors).
    static CAP: std::cell::Cell<usize> = const { std::cell::Cell::new(DEFAULT_CAP) };
}

/// The per-thread cap when the runtime sets none.
const DEFAULT_CAP: usize = 1024;

/// Sets this thread's cap on parked connections (a quarter of the
/// connections it may have, as HAProxy's `tune.pool-high-fd-ratio`).
pub fn set_thread_cap(cap: usize) {
    CAP.with(|c| c.set(cap.max(16)));
}

/// Parks `conn` for `key`, for at most `keep`. Returns false (and drops,
/// so closes, the connection) when `max` connections are parked already.
pub fn park(key: ServerKey, conn: Box<Connection>, max: usize, keep: Duration) -> bool {
    if max == 0 || keep.is_zero() || conn.transport.is_none() {
        return false;
    }
    let cap = CAP.with(std::cell::Cell::get);
    IDLE.with(|m| {
        let mut m = m.borrow_mut();
        // Past the thread's cap a connection is closed rather than kept:
        // with `Connection: close` clients nothing may ever reuse it, and
        // keeping every one would hold thousands of descriptors.
        if m.values().map(Vec::len).sum::<usize>() >= cap {
            return false;
        }
        let list = m.entry(key).or_default();
        if list.len() >= max {
            return false;
        }
        list.push(Parked {
            conn,
            expires: Instant::now() + keep,
        });
        true
    })
}

/// Whether a parked socket is still usable: no data pending (a response we
/// did not ask for) and no end-of-stream or error from the server.
fn still_open(t: &Transport) -> bool {
    let Transport::Tcp(s) = t else { return false };
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut probe = [0u8; 1];
    let mut rb = tokio::io::ReadBuf::new(&mut probe);
    matches!(s.poll_peek(&mut cx, &mut rb), Poll::Pending)
}

/// Takes the most recently parked live connection for `key`, closing any
/// dead or expired ones met on the way.
pub fn take(key: ServerKey) -> Option<Box<Connection>> {
    let now = Instant::now();
    IDLE.with(|m| {
        let mut m = m.borrow_mut();
        let list = m.get_mut(&key)?;
        while let Some(p) = list.pop() {
            if p.expires > now && still_open(&p.conn.transport) {
                return Some(p.conn);
            }
        }
        None
    })
}

/// Closes every expired parked connection of this thread.
pub fn purge() {
    // Expiry only: checking liveness here would cost a system call per
    // parked connection every pass; `take` checks the one it hands out.
    let now = Instant::now();
    IDLE.with(|m| {
        let mut m = m.borrow_mut();
        for list in m.values_mut() {
            list.retain(|p| p.expires > now);
        }
        m.retain(|_, l| !l.is_empty());
    })
}

/// How many connections this thread keeps parked for `key`.
pub fn count(key: ServerKey) -> usize {
    IDLE.with(|m| m.borrow().get(&key).map_or(0, Vec::len))
}

/// How many connections this thread keeps parked in all.
pub fn total() -> usize {
    IDLE.with(|m| m.borrow().values().map(Vec::len).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Pool;
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    async fn conn_pair(pool: &std::sync::Arc<Pool>) -> (Box<Connection>, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (srv, _) = l.accept().await.unwrap();
        let mut conn = Connection::new(pool.take().unwrap());
        conn.transport = Transport::Tcp(c);
        (Box::new(conn), srv)
    }

    #[tokio::test]
    async fn parked_connections_come_back_and_count_in_the_pool() {
        let pool = Pool::new("connection", 1, None, 0);
        let (c, _srv) = conn_pair(&pool).await;
        assert!(park((0, 0), c, 2, Duration::from_secs(5)));
        assert_eq!(pool.used(), 1, "a parked connection is still allocated");
        assert_eq!(count((0, 0)), 1);
        assert!(take((0, 1)).is_none(), "another server's pool is empty");
        let back = take((0, 0)).unwrap();
        drop(back);
        assert_eq!(pool.used(), 0);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_not_reused() {
        let pool = Pool::new("connection", 1, None, 0);
        let (c, mut srv) = conn_pair(&pool).await;
        assert!(park((1, 0), c, 2, Duration::from_secs(5)));
        srv.shutdown().await.unwrap();
        drop(srv);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(take((1, 0)).is_none());
        assert_eq!(pool.used(), 0, "the dead connection was closed and freed");
    }

    #[tokio::test]
    async fn the_pool_is_bounded_and_expires() {
        let pool = Pool::new("connection", 1, None, 0);
        let (a, _sa) = conn_pair(&pool).await;
        let (b, _sb) = conn_pair(&pool).await;
        assert!(park((2, 0), a, 1, Duration::from_millis(20)));
        assert!(!park((2, 0), b, 1, Duration::from_secs(5)), "full");
        assert_eq!(pool.used(), 1);
        tokio::time::sleep(Duration::from_millis(40)).await;
        purge();
        assert_eq!(total(), 0);
        assert_eq!(pool.used(), 0);
    }
}
