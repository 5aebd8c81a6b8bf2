//! The endpoint ownership rules, each proven through the pool counters.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;
use crate::error::{ErrorKind, ProxyError};
use crate::pool::Pool;

fn pools() -> (Arc<Pool>, Arc<Pool>) {
    (
        Pool::new("connection", 128, None, 0),
        Pool::new("stream", 512, None, 0),
    )
}

/// A live record for a stream made outside any task.
fn record() -> Arc<live::LiveStream> {
    live::Registry::new(1).register(live::LiveInfo::default())
}

fn client(conns: &Arc<Pool>) -> Box<Connection> {
    Box::new(Connection::new(conns.take().unwrap()))
}

struct CountingApplet(Arc<AtomicUsize>);

impl Applet for CountingApplet {
    fn name(&self) -> &str {
        "test"
    }
    fn on_io(&mut self, io: &mut AppletIo<'_>) -> AppletWait {
        io.consumed = io.input.len();
        io.write(b"hello");
        AppletWait::Done
    }
    fn release(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn rule1_stream_failure_frees_the_client_connection() {
    let conns = Pool::new("connection", 128, None, 0);
    let streams = Pool::new("stream", 512, Some(0), 0);
    let c = client(&conns);
    assert_eq!(conns.used(), 1);
    let (conn, err) = Stream::new(&streams, c, 0, record()).unwrap_err();
    assert_eq!(err, AllocError::Exhausted);
    drop(conn);
    assert_eq!(
        conns.used(),
        0,
        "the client connection went back to its pool"
    );
    assert_eq!(streams.stats().failed, 1);
}

#[test]
fn rule2_server_side_starts_empty() {
    let (conns, streams) = pools();
    let s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    assert_eq!(s.si[0].endpoint().type_name(), "CONN");
    assert_eq!(s.si[0].state, SiState::Est);
    assert_eq!(s.si[1].endpoint().type_name(), "NONE");
    assert_eq!(s.si[1].state, SiState::Ini);
    assert_eq!(conns.used(), 1, "only the client connection exists");
}

#[test]
fn rule3_alloc_conn_allocates_once_and_fails_under_an_applet_or_a_cap() {
    let (conns, streams) = pools();
    let mut s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    let p1 = s.si[1].alloc_conn(&conns).unwrap() as *const Connection;
    let p2 = s.si[1].alloc_conn(&conns).unwrap() as *const Connection;
    assert_eq!(p1, p2, "the attached connection is returned");
    assert_eq!(conns.used(), 2);

    let released = Arc::new(AtomicUsize::new(0));
    s.si[1].register_handler(Box::new(CountingApplet(released.clone())));
    assert_eq!(
        s.si[1].alloc_conn(&conns).unwrap_err(),
        AllocConnError::AppletHolds
    );

    let capped = Pool::new("connection", 128, Some(1), 0);
    let mut s2 = Stream::new(&streams, client(&capped), 0, record()).unwrap();
    assert_eq!(
        s2.si[1].alloc_conn(&capped).unwrap_err(),
        AllocConnError::Resource(AllocError::Exhausted),
        "the client took the last slot"
    );
    assert_eq!(s2.si[1].endpoint().type_name(), "NONE");
}

#[test]
fn rule4_the_address_survives_a_failed_attempt() {
    let (conns, streams) = pools();
    let mut s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let c = s.si[1].alloc_conn(&conns).unwrap();
    c.to = Some(addr);
    c.close_transport(); // the attempt failed
    let again = s.si[1].alloc_conn(&conns).unwrap();
    assert_eq!(again.to, Some(addr));
    assert_eq!(conns.used(), 2);
}

#[test]
fn rule5_new_transaction_releases_the_server_side() {
    let (conns, streams) = pools();
    let mut s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    s.si[1].alloc_conn(&conns).unwrap();
    s.si[1].set_state(SiState::Est);
    s.flags |= sess_flags::ADDR_SET;
    s.new_transaction();
    assert_eq!(s.si[1].state, SiState::Ini);
    assert_eq!(s.si[1].endpoint().type_name(), "NONE");
    assert_eq!(s.flags & sess_flags::ADDR_SET, 0);
    assert_eq!(conns.used(), 1);
    assert_eq!(s.si[0].endpoint().type_name(), "CONN", "the client stays");
}

#[test]
fn rule6_register_handler_frees_the_connection_and_unregister_frees_the_applet() {
    let (conns, streams) = pools();
    let mut s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    s.si[1].alloc_conn(&conns).unwrap();
    assert_eq!(conns.used(), 2);
    let released = Arc::new(AtomicUsize::new(0));
    s.si[1].register_handler(Box::new(CountingApplet(released.clone())));
    assert_eq!(
        conns.used(),
        1,
        "the connection allocated before the applet is freed"
    );
    assert_eq!(s.si[1].endpoint().type_name(), "APPCTX");

    // The applet runs through its context.
    let mut out = Vec::new();
    let mut io = AppletIo {
        input: b"x",
        consumed: 0,
        input_closed: false,
        output: &mut out,
        room: 3,
    };
    let wait = s.si[1]
        .endpoint_mut()
        .appctx_mut()
        .unwrap()
        .applet()
        .on_io(&mut io);
    assert_eq!((wait, io.consumed), (AppletWait::Done, 1));
    assert_eq!(out, b"hel", "output is bounded by the room");

    s.si[1].unregister_handler();
    assert_eq!(released.load(Ordering::SeqCst), 1, "release hook ran");
    assert_eq!(s.si[1].endpoint().type_name(), "NONE");

    // Registering over an applet releases the old one too.
    s.si[1].register_handler(Box::new(CountingApplet(released.clone())));
    s.si[1].register_handler(Box::new(CountingApplet(released.clone())));
    assert_eq!(released.load(Ordering::SeqCst), 2);
}

#[test]
fn rule7_dropping_a_stream_releases_both_endpoints() {
    let (conns, streams) = pools();
    let released = Arc::new(AtomicUsize::new(0));
    let mut s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    s.si[1].alloc_conn(&conns).unwrap();
    assert_eq!((conns.used(), streams.used()), (2, 1));
    drop(s);
    assert_eq!((conns.used(), streams.used()), (0, 0));

    let mut s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    s.si[1].register_handler(Box::new(CountingApplet(released.clone())));
    drop(s);
    assert_eq!(released.load(Ordering::SeqCst), 1);
    assert_eq!(conns.used(), 0);
}

#[test]
fn final_state_is_derived_from_the_server_side_state() {
    let (conns, streams) = pools();
    let mut s = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    s.end_with(ProxyError::new(ErrorKind::ServerAborted));
    s.si[1].set_state(SiState::Con);
    assert_eq!(s.finst(), FinState::C);
    s.si[1].set_state(SiState::Est);
    assert_eq!(s.finst(), FinState::D);
    s.end_with(ProxyError::new(ErrorKind::ClientTimeout));
    assert_eq!(s.err(), ErrCause::SrvCl, "first end wins");
    // A phase the end knows is kept.
    let mut q = Stream::new(&streams, client(&conns), 0, record()).unwrap();
    q.end_with(ProxyError::new(ErrorKind::QueueTimeout));
    assert_eq!((q.err(), q.finst()), (ErrCause::SrvTo, FinState::Q));
}
