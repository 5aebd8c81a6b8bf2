//! Session tests: handshakes, pushes, acks, resync, heartbeats, dead
//! peers, collisions, errors.

use crate::msg;
use crate::section::{pflags, sflags, Event, PeersSection, SectionConfig, TableSource};
use crate::table_def::DataParam;
use crate::tests_util::{be_def, be_values, drain, section, Fake, Pair};
use crate::update::Value;

#[test]
fn handshake_and_push_both_ways() {
    let mut p = Pair::new();
    p.ta.set(0, &[10, 0, 0, 1], be_values(1));
    p.run();
    assert_eq!(p.a.peers()[1].statuscode, 200);
    assert_eq!(p.b.peers()[0].statuscode, 200);
    assert_eq!(p.tb.get(0, &[10, 0, 0, 1]), Some(be_values(1)));
    // B's change reaches A; A acknowledges it
    p.tb.set(0, &[10, 0, 0, 2], be_values(7));
    p.run();
    assert_eq!(p.ta.get(0, &[10, 0, 0, 2]), Some(be_values(7)));
    assert_eq!(p.b.peers()[0].tables[0].update, p.tb.local_update(0));
    // a learned entry is not pushed back
    assert_eq!(p.ta.len(0), 2);
    assert_eq!(p.a.peers()[1].tables[0].last_pushed, p.ta.local_update(0));
}

#[test]
fn startup_resync_learns_the_whole_table() {
    let mut p = Pair::new();
    // B already has entries (some learned from a third peer) before A starts
    p.b.flags |= sflags::FINISHED;
    for i in 0..200u8 {
        p.tb.set(0, &[10, 1, 0, i], be_values(u64::from(i)));
    }
    p.tb.learn(0, &[10, 9, 9, 9], be_values(99));
    p.run();
    // A requested a resync (not being finished), B taught everything
    assert_eq!(p.ta.len(0), 201);
    assert_eq!(p.ta.get(0, &[10, 9, 9, 9]), Some(be_values(99)));
    assert!(p.a.resync_done());
    assert_ne!(p.a.flags & sflags::REMOTE_FINISHED, 0);
    assert_eq!(
        p.b.peers()[0].flags & pflags::TEACH_PROCESS,
        0,
        "teaching over after confirm"
    );
    assert_ne!(p.b.flags & sflags::REQUESTED, 0);
}

#[test]
fn heartbeats_and_dead_peer() {
    let mut p = Pair::new();
    p.a.flags |= sflags::FINISHED;
    p.b.flags |= sflags::FINISHED;
    p.run();
    let (ca, cb) = (p.ca.unwrap(), p.cb.unwrap());
    // 3 s of silence: both send a heartbeat
    p.now += 3000;
    p.run();
    assert_eq!((p.a.peers()[1].tx_hbt, p.b.peers()[0].rx_hbt), (1, 1));
    // A stops hearing from B (B's output is lost): after a reconnect period
    // without traffic A drops the session
    p.now += 5000;
    p.a.tick(p.now, &p.ta);
    let x = p.a.transmit(ca, p.now, &p.ta);
    p.b.receive(cb, &x, p.now, &p.tb);
    drain(&mut p.b);
    let _ = p.b.transmit(cb, p.now, &p.tb); // lost
                                            // 3 s later A sends a heartbeat; 6 s later the period without news ends
    for _ in 0..2 {
        p.now += 3000;
        p.a.tick(p.now, &p.ta);
        let _ = p.a.transmit(ca, p.now, &p.ta);
    }
    assert_eq!((p.a.peers()[1].tx_hbt, p.a.peers()[1].no_hbt), (2, 1));
    assert!(drain(&mut p.a).contains(&Event::Close { conn: ca }));
    assert_eq!(p.a.peers()[1].conn, None);
    // reconnect 50..2049 ms later
    let at = p.a.peers()[1].reconnect.unwrap();
    assert!((p.now + 50..p.now + 2050).contains(&at));
    p.a.tick(at - 1, &p.ta);
    assert_eq!(p.a.poll_event(), None);
    p.a.tick(at, &p.ta);
    assert!(matches!(
        p.a.poll_event(),
        Some(Event::Connect { peer: 1, .. })
    ));
}

#[test]
fn reconnect_resumes_from_the_ack() {
    let mut p = Pair::new();
    // no start-up resync here (acks are ignored while teaching)
    p.a.flags |= sflags::FINISHED;
    p.b.flags |= sflags::FINISHED;
    p.ta.set(0, &[1, 1, 1, 1], be_values(1));
    p.run();
    let acked = p.a.peers()[1].tables[0].update;
    assert_eq!(acked, 1);
    // the connection breaks; a change happens meanwhile
    let (ca, cb) = (p.ca.take().unwrap(), p.cb.take().unwrap());
    p.a.closed(ca, p.now);
    p.b.closed(cb, p.now);
    p.ta.set(0, &[2, 2, 2, 2], be_values(2));
    p.now += 5000;
    p.run();
    assert_eq!(p.tb.get(0, &[2, 2, 2, 2]), Some(be_values(2)));
    assert_eq!(p.a.peers()[1].new_conn, 2);
}

#[test]
fn failed_connects_retry_every_5s_and_errors_stop() {
    let mut s = section("A", &["A", "B"]);
    let t = Fake::new(1);
    let now = 1_000_000;
    s.tick(now, &t);
    let Some(Event::Connect { conn, .. }) = s.poll_event() else {
        panic!()
    };
    assert_eq!(s.transmit(conn, now, &t), b"HAProxyS 2.1\nB\nA 4242 1\n");
    s.closed(conn, now + 10); // refused
    s.tick(now + 4000, &t);
    assert_eq!(s.poll_event(), None);
    s.tick(now + 5000, &t);
    let Some(Event::Connect { conn, .. }) = s.poll_event() else {
        panic!()
    };
    s.receive(conn, b"502\n", now + 5001, &t);
    assert_eq!(s.poll_event(), Some(Event::Close { conn }));
    s.closed(conn, now + 5001);
    assert_eq!(s.peers()[1].statuscode, 502);
    assert_ne!(s.peers()[1].flags & pflags::DWNGRD, 0);
    s.tick(now + 60_000, &t);
    assert_eq!(s.poll_event(), None, "no retry after an error status");
}

#[test]
fn acceptor_status_codes() {
    let t = Fake::new(1);
    for (hello, reply) in [
        (&b"HAProxyS 2.1\nB\nA 1 1\n"[..], &b"200\n"[..]),
        (b"HAProxyS 2.2\nB\nA 1 1\n", b"502\n"),
        (b"HAProxyX 2.1\n", b"501\n"),
        (b"HAProxyS 2.1\nC\n", b"503\n"),
        (b"HAProxyS 2.1\nB\nZ 1 1\n", b"504\n"),
        (b"HAProxyS 2.1\nB\nA\n", b"501\n"),
    ] {
        let mut s = section("B", &["A", "B"]);
        let c = s.accept(0);
        s.receive(c, hello, 0, &t);
        assert_eq!(
            &s.transmit(c, 0, &t)[..],
            reply,
            "{:?}",
            String::from_utf8_lossy(hello)
        );
    }
    // the local peer already connected (reload): 300
    let mut s = section("B", &["A", "B"]);
    let c1 = s.accept(0);
    s.receive(c1, b"HAProxyS 2.1\nB\nB 1 1\n", 0, &t);
    assert_eq!(s.transmit(c1, 0, &t), b"200\n");
    let c2 = s.accept(0);
    s.receive(c2, b"HAProxyS 2.1\nB\nB 2 1\n", 0, &t);
    assert_eq!(s.transmit(c2, 0, &t), b"300\n");
}

#[test]
fn collision_keeps_the_new_session() {
    let t = Fake::new(1);
    let mut s = section("B", &["A", "B"]);
    s.tick(1000, &t); // B connects to A
    let Some(Event::Connect { conn: out, .. }) = s.poll_event() else {
        panic!()
    };
    let inc = s.accept(1000); // while A connects to B
    s.receive(inc, b"HAProxyS 2.1\nB\nA 1 1\n", 1000, &t);
    // 200, then a resync request: B has not learned its tables yet
    assert_eq!(s.transmit(inc, 1000, &t), b"200\n\x00\x00");
    assert_eq!(s.poll_event(), Some(Event::Close { conn: out }));
    assert_eq!((s.peers()[0].coll, s.peers()[0].conn), (1, Some(inc)));
    let r = s.peers()[0].reconnect.unwrap();
    assert!((1050..3050).contains(&r));
}

#[test]
fn protocol_errors() {
    let t = Fake::new(1);
    let cases: [(&[u8], &[u8]); 5] = [
        (&[0xff, 0x00], &[1, 0]),                                  // reserved class
        (&[0x0a, 0x82, 0xf0, 0x80, 0x80, 0x80, 0x80, 0], &[1, 0]), // length not in 5 bytes
        (&[0x0a, 0x82, 0xf0, 0x80, 0x80, 0x80, 0x00], &[1, 1]),    // oversized
        (&[0x0a, 0x82, 0x01, 0x01], &[1, 0]),                      // malformed define
        (&[0x0a, 0x84, 0x02, 0x01, 0x00], &[1, 0]),                // truncated ack
    ];
    for (input, reply) in cases {
        let mut s = section("B", &["A", "B"]);
        let c = s.accept(0);
        s.receive(c, b"HAProxyS 2.1\nB\nA 1 1\n", 0, &t);
        let _ = s.transmit(c, 0, &t);
        s.receive(c, input, 0, &t);
        assert_eq!(s.transmit(c, 0, &t), reply, "{input:02x?}");
        assert_eq!(s.poll_event(), Some(Event::Close { conn: c }));
        assert_eq!(s.peers()[0].proto_err, u32::from(reply == [1, 0]));
    }
    // unknown classes and types are skipped
    let mut s = section("B", &["A", "B"]);
    let c = s.accept(0);
    s.receive(c, b"HAProxyS 2.1\nB\nA 1 1\n", 0, &t);
    let _ = s.transmit(c, 0, &t);
    s.receive(
        c,
        &[0x07, 0x01, 0x0a, 0x10, 0x00, 0x99, 0x01, 0x00, 0x00, 0x04],
        0,
        &t,
    );
    assert_eq!(drain(&mut s), []);
    assert_eq!(s.peers()[0].rx_hbt, 1);
}

#[test]
fn mismatched_definition_is_ignored() {
    let t = Fake::new(1);
    let mut s = section("B", &["A", "B"]);
    let c = s.accept(0);
    s.receive(c, b"HAProxyS 2.1\nB\nA 1 1\n", 0, &t);
    let mut m = Vec::new();
    let mut d = be_def();
    d.id = 3;
    d.key_type = 6; // string, ours is ip
    d.encode(&mut m);
    m.extend_from_slice(&[0x0a, 0x80, 0x0a, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0]);
    s.receive(c, &m, 0, &t);
    assert_eq!(drain(&mut s), [], "no update applied");
    assert_eq!(s.peers()[0].tables[0].remote_id, 0);
    assert_eq!(s.transmit(c, 0, &t), b"200\n", "no error, no ack");
}

#[test]
fn conn_cur_is_never_learned() {
    let t = Fake::new(1);
    let mut def = be_def();
    def.params.insert(
        3,
        DataParam {
            id: 6,
            nbelem: 1,
            period: 0,
        },
    );
    let mut c = SectionConfig::new("B", &["A", "B"], vec![def.clone()]);
    c.pid = 1;
    let mut s = PeersSection::new(c);
    let conn = s.accept(0);
    s.receive(conn, b"HAProxyS 2.1\nB\nA 1 1\n", 0, &t);
    let mut m = Vec::new();
    def.id = 1;
    def.encode(&mut m);
    let mut values = be_values(3);
    values.insert(3, Value::Int(55));
    let u = crate::update::UpdateOut {
        id: 9,
        with_id: true,
        expire: None,
        key: &[1, 2, 3, 4],
        values: &values,
    };
    crate::update::encode_update(&def, &u, &mut crate::dict::DictTx::new(), &mut m);
    s.receive(conn, &m, 0, &t);
    let evs = drain(&mut s);
    let Some(Event::Apply { update, .. }) = evs.first() else {
        panic!("{evs:?}")
    };
    assert!(update.data.iter().all(|(dt, _)| *dt != 6));
    assert_eq!(update.data.len(), 6);
    let mut ack = Vec::new();
    msg::encode_ack(1, 9, &mut ack);
    assert!(s.transmit(conn, 0, &t).ends_with(&ack));
}

/// Reload: the old process connects to the new one on the local peer's
/// address, teaches everything, and may exit once the new one confirms.
#[test]
fn soft_stop_hands_the_tables_over() {
    let (told, tnew) = (Fake::new(1), Fake::new(1));
    for i in 0..10u8 {
        told.set(0, &[10, 0, 0, i], be_values(u64::from(i)));
    }
    let mut old = section("A", &["A", "B"]);
    old.flags |= sflags::FINISHED;
    let mut c = SectionConfig::new("A", &["A", "B"], vec![be_def()]);
    c.old_process = true;
    let mut new = PeersSection::new(c);
    new.tick(0, &tnew);
    assert!(!new.resync_done(), "waiting for the old process");
    old.soft_stop(0);
    let evs = drain(&mut old);
    let Some(Event::Connect { peer: 0, conn: co }) = evs.last().cloned() else {
        panic!("{evs:?}")
    };
    let cn = new.accept(0);
    for _ in 0..10 {
        let x = old.transmit(co, 0, &told);
        new.receive(cn, &x, 0, &tnew);
        for ev in drain(&mut new) {
            if let Event::Apply { table, update } = ev {
                crate::tests_util::apply(&tnew, table, update);
            }
        }
        let y = new.transmit(cn, 0, &tnew);
        old.receive(co, &y, 0, &told);
    }
    assert_eq!(tnew.len(0), 10);
    assert!(new.resync_done());
    assert_ne!(new.flags & sflags::LOCAL_FINISHED, 0);
    let evs = drain(&mut old);
    assert!(
        evs.contains(&Event::Close { conn: co }) && evs.contains(&Event::StopReady),
        "{evs:?}"
    );
    // a second connection from the local peer while one is up gets 300
    let mut fresh = PeersSection::new(SectionConfig::new("A", &["A", "B"], vec![be_def()]));
    let c1 = fresh.accept(0);
    fresh.receive(c1, b"HAProxyS 2.1\nA\nA 1 1\n", 0, &tnew);
    let c2 = fresh.accept(0);
    fresh.receive(c2, b"HAProxyS 2.1\nA\nA 2 1\n", 0, &tnew);
    assert_eq!(fresh.transmit(c2, 0, &tnew), b"300\n");
}

/// A peer that teaches only part of what we need (PARTIAL) is not asked
/// again; the resync gives up after 5 s without another peer.
#[test]
fn partial_resync_then_timeout() {
    let t = Fake::new(1);
    let mut s = section("A", &["A", "B"]);
    s.tick(0, &t);
    let Some(Event::Connect { conn, .. }) = s.poll_event() else {
        panic!()
    };
    let _ = s.transmit(conn, 0, &t);
    s.receive(conn, b"200\n", 0, &t);
    assert_eq!(s.transmit(conn, 0, &t), [0x00, 0x00]);
    s.receive(conn, &[0x00, 0x02], 100, &t);
    assert_eq!(drain(&mut s), [Event::ResyncPartial { peer: 1 }]);
    assert_eq!(s.transmit(conn, 100, &t), [0x00, 0x03]);
    assert_ne!(s.peers()[1].flags & pflags::LEARN_NOTUP2DATE, 0);
    s.tick(5099, &t);
    assert!(!s.resync_done());
    assert_eq!(s.transmit(conn, 5099, &t), b"", "not asked again");
    s.tick(5100, &t);
    assert!(s.resync_done());
    assert_ne!(s.flags & sflags::REMOTE_TIMEOUT, 0);
}
