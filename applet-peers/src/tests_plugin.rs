//! The `peers` service end to end inside one test binary: two processes
//! (peers `a` and `b` of one section) on the fake host of
//! `tests_fakehost`, their instances created through the exported entry
//! point and run by the scheduler of `tests_net`, the bytes between them
//! being the real protocol.
//!
//! Unless a test says otherwise, `b` refuses to open streams
//! (`peer_connect` fails), so the only session is `a` → `b`.

use std::time::Instant;

use applet_sdk::peers::PeerValue;
use applet_sdk::ServiceKind;

use crate::hello::status;
use crate::peer::{pflags, sflags};
use crate::tests_fakehost::{add_section, key, values, with};
use crate::tests_net::{create, Net};

/// Sections `tag@a`, `tag@b`; `b` refuses to connect out.
fn net(tag: &str) -> Net {
    let n = Net::new(tag);
    add_section(tag, "a");
    add_section(tag, "b");
    with(|w| w.refuse.insert(n.section("b")));
    n
}

/// Both processes up and connected.
fn established(tag: &str) -> Net {
    let mut n = net(tag);
    n.start("a");
    n.start("b");
    n.run();
    // a's start-up resync gives up on b (it is not finished either)
    n.advance(6000);
    n
}

fn status_of(n: &Net, local: &str, peer: &str) -> applet_sdk::peers::PeerStatus {
    with(|w| w.peer_status(&n.section(local), peer))
}

#[test]
fn exports_one_peers_service() {
    let list = crate::__applet_sdk_services();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name.as_str(), "peers");
    assert_eq!(list[0].kind, ServiceKind::PEERS);
    add_section("ex", "a");
    assert!(create(&["ex@a", "sync"]).is_ok());
    assert!(create(&["ex@a", "accept"]).is_ok());
    assert!(create(&["ex@a", "connect", "b", "3"]).is_ok());
    let err = |args: &[&str]| create(args).err().unwrap_or_default();
    assert!(err(&["nope", "sync"]).contains("unknown peers section 'nope'"));
    assert!(err(&["ex@a", "connect", "zz", "3"]).contains("no peer 'zz'"));
    assert!(err(&["ex@a", "connect", "b", "x"]).contains("bad connection token"));
    assert!(err(&["ex@a"]).contains("expected '<section> sync'"));
    assert!(err(&["ex@a", "serve"]).contains("expected '<section> sync'"));
}

#[test]
fn handshake_reaches_established_on_both_sides() {
    let mut n = net("hs");
    n.start("a");
    n.start("b");
    n.run();
    let (a, b) = (status_of(&n, "a", "b"), status_of(&n, "b", "a"));
    assert_eq!((a.status, b.status), (status::SUCCESS, status::SUCCESS));
    assert!(a.active && b.active);
    let live = n.live();
    assert_eq!(live.len(), 1);
    let p = live[0];
    assert_eq!(a.stream_id, p.a.stream);
    assert_eq!(b.stream_id, p.b.as_ref().map_or(0, |x| x.stream));
    // the hello went out first, and b answered 200
    assert!(p.a.written.starts_with(b"HAProxyS 2.1\nb\na 4242 1\n"));
    assert!(p.b.as_ref().unwrap().written.starts_with(b"200\n"));
    // b's own attempts to connect failed and were logged
    assert!(with(|w| w
        .logs
        .iter()
        .any(|l| l.contains("hs@b: cannot connect to peer a"))));
    // the local peer never gets a session
    assert!(!status_of(&n, "a", "a").active);
}

#[test]
fn peers_connecting_to_each_other_settle_on_one_session() {
    let mut n = Net::new("both");
    add_section("both", "a");
    add_section("both", "b");
    n.start("a");
    n.start("b");
    n.advance(10_000);
    let (a, b) = (status_of(&n, "a", "b"), status_of(&n, "b", "a"));
    assert_eq!((a.status, b.status), (status::SUCCESS, status::SUCCESS));
    let live = n.live();
    assert_eq!(live.len(), 1, "one session left");
    // both connected at once: b kept a's session, and its own one ended
    // before it started, without a stale hello
    assert_eq!((a.coll + b.coll, a.new_conn, b.new_conn), (1, 1, 1));
    let lost = n.pipes.iter().find(|p| p.a.section == "both@b").unwrap();
    assert!(lost.a.done && lost.a.written.is_empty());
    let streams = [live[0].a.stream, live[0].b.as_ref().map_or(0, |x| x.stream)];
    assert!(streams.contains(&a.stream_id) && streams.contains(&b.stream_id));
    // and it carries updates
    with(|w| w.table("both@b:t").set(&key(9), values(9)));
    n.kick("b");
    n.run();
    assert!(with(|w| w.table("both@a:t").get(&key(9)).is_some()));
}

#[test]
fn a_local_change_is_pushed_and_applied() {
    let mut n = established("push");
    with(|w| {
        let t = w.table("push@a:t");
        t.set(&key(1), values(41));
        t.set(&key(2), values(42));
    });
    n.kick("a");
    n.run();
    let got = with(|w| w.last_applied.get("push@b:t").cloned()).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(&got[0].key[..], &key(1)[..]);
    // no expire on a plain update: the table's own applies
    assert!(got[0].expire_ms.is_none());
    let ids: Vec<u8> = got[0].data.iter().map(|d| d.id).collect();
    assert_eq!(ids, [0, 5, 19, 23], "conn_cur is local-only");
    let v = values(41);
    assert_eq!(&got[0].data[1].values[..], &[v[1].clone()]);
    assert_eq!(&got[0].data[2].values[..], &[PeerValue::dict(Some("srv2"))]);
    assert_eq!(&got[0].data[3].values[..], &v[4..6]);
    let stored = with(|w| w.table("push@b:t").get(&key(2)).cloned()).unwrap();
    assert!(!stored.local);
    let mut want = values(42);
    want[2] = PeerValue::int(0);
    assert_eq!(stored.values, want);
    // b acknowledged: a knows b has everything
    let a = status_of(&n, "a", "b");
    let local = with(|w| w.table("push@a:t").marks.local_update);
    assert_eq!(a.tables[0].update, local);
    // a learned entry is not pushed back
    assert!(with(|w| w.applies.iter().all(|(t, _)| t != "push@a:t")));
}

#[test]
fn a_new_peer_learns_everything_at_start_up() {
    let mut n = net("rs");
    with(|w| {
        let t = w.table("rs@a:t");
        for i in 0..300 {
            t.set(&key(i), values(u64::from(i)));
        }
    });
    // a runs alone: b is down, its resync gives up after 5 s
    n.start("a");
    n.advance(6000);
    let flags = with(|w| w.status["rs@a"].flags);
    assert_eq!(flags & sflags::FINISHED, sflags::FINISHED);
    // b starts: it asks a, a teaches, b applies everything
    n.start("b");
    n.advance(6000);
    assert_eq!(with(|w| w.table("rs@b:t").entries.len()), 300);
    let sb = with(|w| w.status["rs@b"].clone());
    assert_ne!(sb.flags & sflags::REMOTE_FINISHED, 0);
    assert_eq!(sb.flags & sflags::FINISHED, sflags::FINISHED);
    assert!(with(|w| w
        .logs
        .iter()
        .any(|l| l.contains("rs@b: resync from peer a finished"))));
    // a was asked and got the confirmation
    let sa = with(|w| w.status["rs@a"].clone());
    assert_ne!(sa.flags & sflags::REQUESTED, 0);
    let a = status_of(&n, "a", "b");
    assert_eq!(a.flags & pflags::TEACH_PROCESS, 0);
    assert_eq!(a.status, status::SUCCESS);
    // learned entries are b's, not pushed back to a
    assert_eq!(with(|w| w.table("rs@b:t").marks.local_update), 0);
    assert_eq!(
        with(|w| w.table("rs@b:t").get(&key(7)).map(|e| e.values.clone())),
        Some({
            let mut v = values(7);
            v[2] = PeerValue::int(0);
            v
        })
    );
}

#[test]
fn heartbeats_keep_an_idle_session() {
    let mut n = established("hb");
    let before = status_of(&n, "a", "b");
    n.advance(7000);
    let (a, b) = (status_of(&n, "a", "b"), status_of(&n, "b", "a"));
    assert!(
        a.tx_hbt >= before.tx_hbt + 2,
        "{} {}",
        a.tx_hbt,
        before.tx_hbt
    );
    assert!(b.rx_hbt >= 2 && b.tx_hbt >= 2 && a.rx_hbt >= 2);
    assert_eq!((a.status, a.new_conn, a.no_hbt), (status::SUCCESS, 1, 0));
    assert_eq!(a.stream_id, before.stream_id);
}

#[test]
fn a_failed_connection_is_retried() {
    let mut n = net("fc");
    n.start("a");
    n.run();
    assert_eq!(n.pipes.len(), 1);
    assert!(n.pipes[0].a.done, "the failed stream ended");
    let a = status_of(&n, "a", "b");
    assert!(!a.active);
    assert_eq!(a.new_conn, 1);
    assert!(a.reconnect.into_option().is_some_and(|t| t > 4000));
    n.advance(5100);
    assert_eq!(status_of(&n, "a", "b").new_conn, 2);
    // the host refusing the stream: retried the same way
    with(|w| w.refuse.insert("fc@a".into()));
    n.advance(5100);
    assert_eq!(status_of(&n, "a", "b").new_conn, 3);
    assert!(with(|w| w
        .logs
        .iter()
        .any(|l| l.contains("fc@a: cannot connect to peer b: refused"))));
    // b comes up: the next attempt succeeds
    with(|w| w.refuse.remove("fc@a"));
    n.start("b");
    n.advance(5100);
    assert_eq!(status_of(&n, "a", "b").status, status::SUCCESS);
}

#[test]
fn a_protocol_error_ends_the_session_that_got_it() {
    let mut n = established("pe");
    let i = n.pipes.iter().position(|p| !p.a.done).unwrap();
    {
        let b = n.pipes[i].b.as_mut().unwrap();
        b.input.extend_from_slice(&[0xff, 0x00]);
        b.fresh = true;
    }
    n.run();
    let p = &n.pipes[i];
    let b = p.b.as_ref().unwrap();
    assert!(
        b.done && b.written.ends_with(&[1, 0]),
        "b sent 01 00 and ended"
    );
    assert!(p.a.done, "a saw the close");
    assert_eq!(status_of(&n, "b", "a").proto_err, 1);
    assert!(with(|w| w
        .logs
        .iter()
        .any(|l| l.contains("pe@a: peer b reported error 0"))));
    // a reconnects
    n.advance(5100);
    assert_eq!(status_of(&n, "a", "b").status, status::SUCCESS);
    assert_eq!(n.live().len(), 1);
}

#[test]
fn a_silent_peer_is_dropped_by_the_sync_task() {
    let mut n = established("dp");
    let i = n.pipes.iter().position(|p| !p.a.done).unwrap();
    n.frozen.insert("b".into());
    let woken = n.pipes[i].a.woken;
    for _ in 0..130 {
        n.advance(100);
        if n.pipes[i].a.done {
            break;
        }
    }
    let p = &n.pipes[i];
    assert!(p.a.done, "a's session ended");
    assert!(p.a.woken > woken, "the sync task woke a's stream");
    assert!(!p.b.as_ref().unwrap().done, "b's instance was not called");
    assert_eq!(status_of(&n, "a", "b").no_hbt, 1);
    // b wakes up: its old session sees the close, a new one is made
    n.frozen.clear();
    n.advance(5100);
    assert!(n.pipes[i].b.as_ref().unwrap().done);
    assert_eq!(status_of(&n, "a", "b").status, status::SUCCESS);
    assert_eq!(status_of(&n, "b", "a").status, status::SUCCESS);
}

#[test]
fn a_released_stream_leaves_no_session_behind() {
    let mut n = established("rl");
    let i = n.pipes.iter().position(|p| !p.a.done).unwrap();
    // the host detaches a's stream without a final call
    let _ = n.pipes[i].a.app.release();
    n.pipes[i].a.done = true;
    let a = status_of(&n, "a", "b");
    assert!(!a.active, "the section forgot the session at once");
    {
        let b = n.pipes[i].b.as_mut().unwrap();
        b.input_closed = true;
        b.fresh = true;
    }
    n.advance(5100);
    assert!(n.pipes[i].b.as_ref().unwrap().done);
    let a = status_of(&n, "a", "b");
    assert_eq!((a.status, a.new_conn), (status::SUCCESS, 2));
}

#[test]
fn many_updates_cross_in_few_table_applies() {
    const N: u32 = 100_000;
    let mut n = established("bt");
    with(|w| {
        w.applies.clear();
        let t = w.table("bt@a:t");
        for i in 0..N {
            t.set(&key(i), values(u64::from(i)));
        }
    });
    let start = Instant::now();
    n.kick("a");
    n.run();
    let took = start.elapsed();
    assert_eq!(with(|w| w.table("bt@b:t").entries.len()), N as usize);
    let calls = with(|w| w.applies.iter().filter(|(t, _)| t == "bt@b:t").count());
    assert!(calls <= (N / 200) as usize, "{calls} table_apply calls");
    eprintln!("{N} updates in {took:?}, {calls} table_apply calls");
    let a = status_of(&n, "a", "b");
    let local = with(|w| w.table("bt@a:t").marks.local_update);
    assert_eq!(a.tables[0].update, local, "all acknowledged");
}
