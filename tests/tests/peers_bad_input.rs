//! The peers protocol's receiving side against hand-made bytes: a raw
//! client connects to the local peer address of ONE instance (named
//! `prxB`, its section also declaring the remote peer `hapA` that nothing
//! serves), plays `hapA`, and checks the handshake status codes, the error
//! messages and closes on malformed input, what is silently ignored, a
//! valid DEFINE + UPDATE with its ACK, and the answer to a RESYNC REQUEST.
//! Every error case also checks that `show table` is untouched.
//!
//! With `PROXY_BIN=/usr/sbin/haproxy` the same cases run against HAProxy
//! 2.6 (the expectations were checked there first).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tests::is_haproxy;
use tests::peers::{
    ack_payload, decode_varint, defaults, define_msg, entry, frame, has_field, incupdate_msg,
    key_type, msg, show_msgs, table_lines, update_msg, varint, Cluster, Kind, Msg, Next, RawPeer,
};

/// Our name for the instance under test, and the remote peer we play.
const LOCAL: &str = "prxB";
const REMOTE: &str = "hapA";
const TABLE: &str = "mypeers/t";
/// Its network name (a table of a peers section: leading slash).
const NET_NAME: &str = "/t";
/// gpc0 (2) and http_req_cnt (9).
const DATA_BITS: u64 = (1 << 2) | (1 << 9);

const T: Duration = Duration::from_secs(5);

/// One running instance with `mypeers/t` holding 10.0.0.1 (gpc0=5,
/// http_req_cnt=3).
struct Fixture {
    c: Cluster,
    started: Instant,
}

fn fixture() -> Fixture {
    let mut c = Cluster::new(&[(LOCAL, Kind::Ours)]);
    let cfg = format!(
        "{}peers mypeers\n\
         \x20   peer {REMOTE} 127.0.0.1:{}\n\
         {}\
         \x20   table t type ip size 100 expire 1h store gpc0,http_req_cnt\n\
         \n\
         frontend fe\n\
         \x20   bind 127.0.0.1:\"${{FEPORT}}\"\n\
         \x20   http-request return status 200\n",
        defaults("http"),
        // The remote peer's address, where the test never listens: a real
        // port because peers name addresses (the Cluster's ports are real
        // too: every node's configuration names every node's address).
        tests::free_port(),
        c.peer_lines()
    );
    c.start(&cfg);
    let started = Instant::now();
    let out = c
        .node(0)
        .cli("set table mypeers/t key 10.0.0.1 data.gpc0 5 data.http_req_cnt 3");
    assert_eq!(out.trim(), "", "set table");
    let f = Fixture { c, started };
    let t = f.table();
    assert_eq!(t.len(), 2, "{t:#?}");
    assert_eq!(
        entry(&t, "10.0.0.1"),
        Some("0x: key=10.0.0.1 use=0 exp=E gpc0=5 http_req_cnt=3")
    );
    f
}

impl Fixture {
    fn port(&self) -> u16 {
        self.c.node(0).peer_port
    }

    /// `show table mypeers/t`, masked (see `table_lines`).
    fn table(&self) -> Vec<String> {
        table_lines(&self.raw_table(), false)
    }

    fn raw_table(&self) -> String {
        self.c.node(0).show_table(TABLE)
    }

    /// A session that got `200`.
    fn session(&self) -> RawPeer {
        RawPeer::established(self.port(), LOCAL, REMOTE)
    }

    /// After a good hello, `bytes` make the instance send ERROR `01 <err>`
    /// and close; the table is untouched.
    #[track_caller]
    fn expect_error(&self, what: &str, bytes: &[u8], err: u8) {
        self.expect_error_quirk(what, bytes, err, None);
    }

    /// [`Fixture::expect_error`]; `haproxy_leaves`: HAProxy 2.6 stores the
    /// key of an update and then each value as it decodes it, so a value
    /// that cannot be decoded leaves that key behind with the values before
    /// it. Tolerated from HAProxy only: ours must leave the table untouched.
    #[track_caller]
    fn expect_error_quirk(&self, what: &str, bytes: &[u8], err: u8, haproxy_leaves: Option<&str>) {
        let before = self.table();
        let mut p = self.session();
        p.send(bytes);
        let (msgs, end) = p.until_closed(T);
        assert!(
            matches!(end, Next::Eof(0) | Next::Error(_)),
            "{what}: the connection should close after the error, got {end:?}; messages:\n{}",
            show_msgs(&msgs)
        );
        assert!(
            msgs.last().is_some_and(|m| m.is(msg::ERROR, err)),
            "{what}: the last message should be 01 {err:02x}; messages:\n{}",
            show_msgs(&msgs)
        );
        // Nothing but the instance's own RESYNC REQUEST or heartbeats before.
        for m in &msgs[..msgs.len() - 1] {
            assert_eq!(m.class, msg::CONTROL, "{what}: unexpected {m}");
        }
        let after = self.table();
        if let (true, Some(key)) = (is_haproxy(), haproxy_leaves) {
            if after != before {
                assert!(
                    entry(&after, key).is_some(),
                    "{what}: the table changed:\n{after:#?}"
                );
                let out = self
                    .c
                    .node(0)
                    .cli(&format!("clear table {TABLE} key {key}"));
                assert_eq!(out.trim(), "", "clear table");
                let after = self.table();
                assert_eq!(after, before, "{what}: the table changed beyond {key}");
                return;
            }
        }
        assert_eq!(after, before, "{what}: the table changed");
    }

    /// After a good hello, `junk` is ignored: the session stays open, a
    /// valid DEFINE + UPDATE of 10.0.1.`n` that follows is applied and
    /// acknowledged, and nothing else changes in the table.
    #[track_caller]
    fn expect_ignored(&self, what: &str, junk: &[u8], n: u8) {
        let before = self.table();
        let mut p = self.session();
        p.send(junk);
        let id = 200 + u32::from(n);
        let mut ok = define_msg(7, NET_NAME, key_type::IPV4, 4, DATA_BITS, 3_600_000, &[]);
        ok.extend(update_msg(id, &[10, 0, 1, n], &[u64::from(n), 1]));
        assert!(p.try_send(&ok), "{what}: the instance closed the session");
        let want = ack_payload(7, id);
        p.wait_for(T, &format!("{what}: ACK of the valid update"), |m| {
            assert!(m.class != msg::ERROR, "{what}: got the error {m}");
            m.is(msg::STICK, msg::ACK) && m.payload == want
        });
        let after = self.table();
        let expected = with_entry(
            &before,
            format!("0x: key=10.0.1.{n} use=0 exp=E gpc0={n} http_req_cnt=1"),
        );
        assert_eq!(after, expected, "{what}");
        // Still open.
        p.open_for(Duration::from_millis(200));
    }
}

/// Masked table lines `before` plus the entry line `line` (header count
/// updated, entries sorted).
fn with_entry(before: &[String], line: String) -> Vec<String> {
    let mut t = before.to_vec();
    t[0] = before[0].replace(
        &format!("used:{}", before.len() - 1),
        &format!("used:{}", before.len()),
    );
    t.push(line);
    t[1..].sort();
    t
}

#[test]
fn varint_vectors() {
    let vectors: &[(u64, &[u8])] = &[
        (0, &[0x00]),
        (239, &[0xef]),
        (240, &[0xf0, 0x00]),
        (1000, &[0xf8, 0x2f]),
        (2287, &[0xff, 0x7f]),
        (2288, &[0xf0, 0x80, 0x00]),
        (10000, &[0xf0, 0xe2, 0x03]),
        (30000, &[0xf0, 0xc4, 0x0d]),
        (264_431, &[0xff, 0xff, 0x7f]),
        (264_432, &[0xf0, 0x80, 0x80, 0x00]),
        (33_818_864, &[0xf0, 0x80, 0x80, 0x80, 0x00]),
        (4_328_786_160, &[0xf0, 0x80, 0x80, 0x80, 0x80, 0x00]),
    ];
    for (v, bytes) in vectors {
        assert_eq!(varint(*v), *bytes, "encode {v}");
        assert_eq!(decode_varint(bytes), Some((*v, bytes.len())), "decode {v}");
        assert_eq!(decode_varint(&bytes[..bytes.len() - 1]), None, "cut {v}");
    }
    for v in [u64::MAX, u64::MAX - 1, 1 << 63, (-1i64) as u64] {
        let b = varint(v);
        assert_eq!(b.len(), 10, "{v}");
        assert_eq!(decode_varint(&b), Some((v, 10)), "{v}");
    }
}

#[test]
fn hello_status_codes() {
    let f = fixture();
    let pid = std::process::id();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "version 3.0",
            format!("HAProxyS 3.0\n{LOCAL}\n{REMOTE} {pid} 1\n"),
            "502",
        ),
        (
            "version 2.2",
            format!("HAProxyS 2.2\n{LOCAL}\n{REMOTE} {pid} 1\n"),
            "502",
        ),
        (
            "version not a number",
            format!("HAProxyS x.y\n{LOCAL}\n{REMOTE} {pid} 1\n"),
            "502",
        ),
        (
            "unknown peer on line 3",
            format!("HAProxyS 2.1\n{LOCAL}\nnobody {pid} 1\n"),
            "504",
        ),
        (
            "wrong local name on line 2",
            format!("HAProxyS 2.1\nsomeone\n{REMOTE} {pid} 1\n"),
            "503",
        ),
        (
            "garbage first line",
            format!("GET / HTTP/1.0\n{LOCAL}\n{REMOTE} {pid} 1\n"),
            "501",
        ),
        (
            "protocol name without the space",
            format!("HAProxyS2.1\n{LOCAL}\n{REMOTE} {pid} 1\n"),
            "501",
        ),
        (
            "line 3 without a space",
            format!("HAProxyS 2.1\n{LOCAL}\n{REMOTE}\n"),
            "501",
        ),
    ];
    for (what, hello, code) in &cases {
        let (mut p, st) = RawPeer::hello_raw(f.port(), hello.as_bytes());
        assert_eq!(st.as_deref(), Some(*code), "{what}: {hello:?}");
        let (msgs, end) = p.until_closed(T);
        assert!(
            msgs.is_empty() && matches!(end, Next::Eof(0) | Next::Error(_)),
            "{what}: expected a close right after {code}, got {end:?} after:\n{}",
            show_msgs(&msgs)
        );
    }
    // Accepted: 2.1, 2.0 (the session is then downgraded), CRLF lines.
    for (what, hello) in [
        ("2.1", format!("HAProxyS 2.1\n{LOCAL}\n{REMOTE} {pid} 1\n")),
        ("2.0", format!("HAProxyS 2.0\n{LOCAL}\n{REMOTE} {pid} 1\n")),
        (
            "CRLF",
            format!("HAProxyS 2.1\r\n{LOCAL}\r\n{REMOTE} {pid} 1\r\n"),
        ),
    ] {
        let (mut p, st) = RawPeer::hello_raw(f.port(), hello.as_bytes());
        assert_eq!(st.as_deref(), Some("200"), "{what}: {hello:?}");
        // A peer silent for a whole reconnect period (5 s, not aligned on
        // the session: HAProxy dropped one 1.2 s after its hello) is
        // considered dead: say something.
        p.send(&frame(msg::CONTROL, msg::HEARTBEAT, &[]));
        for m in p.open_for(Duration::from_millis(300)) {
            assert!(m.class != msg::ERROR, "{what}: {m}");
        }
    }
    let t = f.table();
    assert_eq!(t.len(), 2, "{t:#?}");
}

#[test]
fn oversized_message_gets_size_limit_error() {
    let f = fixture();
    // Lengths on up to 5 bytes (< 4328786160) are read, then found too
    // large for the buffer.
    for len in [16_385u64, 100_000, 4_328_786_159] {
        let mut b = vec![msg::STICK, msg::UPDATE];
        b.extend(varint(len));
        f.expect_error(&format!("length {len}"), &b, msg::ERR_SIZELIMIT);
    }
    // HAProxy 2.6 reads a message head (class, type, length) of at most 7
    // bytes: a length on 6 bytes or more is a protocol error.
    for len in [4_328_786_160u64, 1 << 40, u64::MAX] {
        let mut b = vec![msg::STICK, msg::UPDATE];
        b.extend(varint(len));
        f.expect_error(&format!("length {len}"), &b, msg::ERR_PROTOCOL);
    }
}

#[test]
fn malformed_messages_get_protocol_error() {
    let f = fixture();
    let good_define = define_msg(7, NET_NAME, key_type::IPV4, 4, DATA_BITS, 3_600_000, &[]);
    let with_define = |tail: Vec<u8>| {
        let mut b = good_define.clone();
        b.extend(tail);
        b
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("class 255", vec![0xff, 0x00]),
        ("class 255 with a payload", frame(0xff, 0x80, &[1, 2, 3])),
        (
            "definition: truncated varint (name length)",
            frame(msg::STICK, msg::DEFINE, &[0x07, 0xf5]),
        ),
        (
            "definition: truncated varint (table id)",
            frame(msg::STICK, msg::DEFINE, &[0xf9]),
        ),
        (
            "definition: name longer than the message",
            frame(msg::STICK, msg::DEFINE, &[0x07, 0x20, b'/', b't']),
        ),
        (
            "definition: stops after the key type",
            frame(msg::STICK, msg::DEFINE, &[0x07, 0x02, b'/', b't', 0x04]),
        ),
        (
            "definition: stops after the key length",
            frame(
                msg::STICK,
                msg::DEFINE,
                &[0x07, 0x02, b'/', b't', 0x04, 0x04],
            ),
        ),
        (
            "update: key cut short",
            with_define(frame(msg::STICK, msg::UPDATE, &[0, 0, 0, 1, 10, 0])),
        ),
        (
            "update: update id cut short",
            with_define(frame(msg::STICK, msg::UPDATE, &[0, 0])),
        ),
        (
            "timed update: expire cut short",
            with_define(frame(msg::STICK, msg::UPDATE_TIMED, &[0, 0, 0, 1, 0, 0])),
        ),
    ];
    for (what, bytes) in &cases {
        f.expect_error(what, bytes, msg::ERR_PROTOCOL);
    }
    // Updates whose key is complete but whose values are not: HAProxy
    // leaves the key behind (see `expect_error_quirk`).
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "update: truncated varint value",
            with_define(frame(
                msg::STICK,
                msg::UPDATE,
                &[0, 0, 0, 1, 10, 0, 0, 9, 0xf5],
            )),
        ),
        (
            "update: second value missing",
            with_define(frame(
                msg::STICK,
                msg::UPDATE,
                &[0, 0, 0, 1, 10, 0, 0, 9, 3],
            )),
        ),
        (
            "update: no value at all",
            with_define(frame(msg::STICK, msg::UPDATE, &[0, 0, 0, 1, 10, 0, 0, 9])),
        ),
    ];
    for (what, bytes) in &cases {
        f.expect_error_quirk(what, bytes, msg::ERR_PROTOCOL, Some("10.0.0.9"));
    }
    // The instance still works: a valid update is applied.
    f.expect_ignored("nothing", &[], 1);
}

#[test]
fn unknown_tables_classes_and_mismatched_definitions_are_ignored() {
    let f = fixture();
    let string_key = |k: &str| {
        let mut b = varint(k.len() as u64);
        b.extend_from_slice(k.as_bytes());
        b
    };
    let mut mismatched_type =
        define_msg(3, NET_NAME, key_type::STRING, 32, DATA_BITS, 3_600_000, &[]);
    mismatched_type.extend(update_msg(50, &string_key("10.9.9.9"), &[7, 7]));
    mismatched_type.extend(incupdate_msg(&string_key("10.9.9.8"), &[7, 7]));
    let mut mismatched_len = define_msg(3, NET_NAME, key_type::IPV4, 8, DATA_BITS, 0, &[]);
    mismatched_len.extend(update_msg(50, &[10, 9, 9, 9, 0, 0, 0, 0], &[7, 7]));
    let mut unknown_table = define_msg(3, "/nope", key_type::IPV4, 4, DATA_BITS, 0, &[]);
    unknown_table.extend(update_msg(50, &[10, 9, 9, 9], &[7, 7]));
    let mut other_net_name = define_msg(3, "t", key_type::IPV4, 4, DATA_BITS, 0, &[]);
    other_net_name.extend(update_msg(50, &[10, 9, 9, 9], &[7, 7]));
    let mut switch_unknown = frame(msg::STICK, msg::SWITCH, &varint(9));
    switch_unknown.extend(update_msg(50, &[10, 9, 9, 6], &[7, 7]));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown class without payload", vec![0x07, 0x00]),
        ("unknown class with payload", frame(0x07, 0x85, &[1, 2, 3])),
        ("unknown class 254", frame(0xfe, 0x80, &[0xff; 20])),
        (
            "definition with a string key for an ip table, then updates",
            mismatched_type,
        ),
        (
            "definition with an 8-byte ip key, then an update",
            mismatched_len,
        ),
        (
            "definition of an unknown table, then an update",
            unknown_table,
        ),
        (
            "definition naming the table without its slash, then an update",
            other_net_name,
        ),
        (
            "update before any definition",
            update_msg(50, &[10, 9, 9, 7], &[7, 7]),
        ),
        (
            "switch to an undefined table, then an update",
            switch_unknown,
        ),
        (
            "ack of an unknown table",
            frame(msg::STICK, msg::ACK, &ack_payload(9, 5)),
        ),
        (
            "unknown stick-table message type",
            frame(msg::STICK, 0x87, &[1, 2]),
        ),
        ("unknown control message", vec![msg::CONTROL, 0x09]),
        ("heartbeat", vec![msg::CONTROL, msg::HEARTBEAT]),
        (
            "unexpected resync confirm",
            vec![msg::CONTROL, msg::RESYNC_CONFIRM],
        ),
    ];
    for (i, (what, bytes)) in cases.iter().enumerate() {
        f.expect_ignored(what, bytes, 10 + i as u8);
    }
    let t = f.table();
    assert!(
        !t.iter().any(|l| l.contains("key=10.9.")),
        "an ignored update was applied:\n{t:#?}"
    );
}

#[test]
fn define_and_updates_are_applied_and_acked() {
    let f = fixture();
    let mut p = f.session();
    // DEFINE, UPDATE (id 100), INCREMENTAL UPDATE (id 101), in one write.
    let mut b = define_msg(7, NET_NAME, key_type::IPV4, 4, DATA_BITS, 3_600_000, &[]);
    b.extend(update_msg(100, &[10, 0, 0, 2], &[9, 4]));
    b.extend(incupdate_msg(&[10, 0, 0, 3], &[1, 2]));
    p.send(&b);
    let want = ack_payload(7, 101);
    let ack = p.wait_for(T, "ACK 101", |m| {
        assert!(m.class != msg::ERROR, "got the error {m}");
        m.is(msg::STICK, msg::ACK) && m.payload == want
    });
    // On the wire: 0a 84 05 07 00 00 00 65.
    assert_eq!(
        frame(ack.class, ack.typ, &ack.payload),
        [0x0a, 0x84, 0x05, 0x07, 0x00, 0x00, 0x00, 0x65]
    );
    let t = f.table();
    assert_eq!(
        t,
        [
            "# table: mypeers/t, type: ip, size:100, used:3",
            "0x: key=10.0.0.1 use=0 exp=E gpc0=5 http_req_cnt=3",
            "0x: key=10.0.0.2 use=0 exp=E gpc0=9 http_req_cnt=4",
            "0x: key=10.0.0.3 use=0 exp=E gpc0=1 http_req_cnt=2",
        ]
    );
    // A timed update (0x85, id 300, 20 s left) then an incremental timed
    // one (0x86): the given lifetime replaces the table's.
    let mut timed = Vec::new();
    timed.extend_from_slice(&300u32.to_be_bytes());
    timed.extend_from_slice(&20_000u32.to_be_bytes());
    timed.extend_from_slice(&[10, 0, 0, 4]);
    timed.extend(varint(6));
    timed.extend(varint(6));
    let mut b = frame(msg::STICK, msg::UPDATE_TIMED, &timed);
    let mut inc = 30_000u32.to_be_bytes().to_vec();
    inc.extend_from_slice(&[10, 0, 0, 5]);
    inc.extend(varint(2000));
    inc.extend(varint(0));
    b.extend(frame(msg::STICK, msg::INCUPDATE_TIMED, &inc));
    p.send(&b);
    let want = ack_payload(7, 301);
    p.wait_for(T, "ACK 301", |m| {
        m.is(msg::STICK, msg::ACK) && m.payload == want
    });
    let raw = f.raw_table();
    let exp_of = |key: &str| -> u64 {
        raw.lines()
            .find(|l| l.contains(&format!(" key={key} ")))
            .and_then(|l| l.split(' ').find_map(|w| w.strip_prefix("exp=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no exp for {key} in {raw}"))
    };
    assert!(exp_of("10.0.0.4") <= 20_000, "{raw}");
    assert!(exp_of("10.0.0.4") > 10_000, "{raw}");
    assert!(exp_of("10.0.0.5") <= 30_000, "{raw}");
    assert!(exp_of("10.0.0.5") > 20_000, "{raw}");
    assert!(exp_of("10.0.0.2") > 3_000_000, "{raw}");
    let t = f.table();
    assert!(
        has_field(entry(&t, "10.0.0.4").unwrap(), "gpc0=6"),
        "{t:#?}"
    );
    assert!(
        has_field(entry(&t, "10.0.0.5").unwrap(), "gpc0=2000"),
        "{t:#?}"
    );
    // A SWITCH back to table 7 then an UPDATE.
    let mut b = frame(msg::STICK, msg::SWITCH, &varint(7));
    b.extend(update_msg(400, &[10, 0, 0, 6], &[1, 1]));
    p.send(&b);
    let want = ack_payload(7, 400);
    p.wait_for(T, "ACK 400", |m| {
        m.is(msg::STICK, msg::ACK) && m.payload == want
    });
    assert!(entry(&f.table(), "10.0.0.6").is_some());
    p.open_for(Duration::from_millis(200));
}

/// The teaching answer to RESYNC REQUEST: the table's DEFINE, its entry as
/// a timed update (2.1 sessions), then RESYNC FINISHED or PARTIAL.
fn check_teaching(msgs: &[Msg], timed: bool) {
    let all = show_msgs(msgs);
    let def = msgs
        .iter()
        .find(|m| m.is(msg::STICK, msg::DEFINE))
        .unwrap_or_else(|| panic!("no DEFINE:\n{all}"));
    // id, "/t", ipv4, 4, bits, expire 1 h.
    let (tid, n) = decode_varint(&def.payload).unwrap();
    let mut want = varint(tid);
    want.extend([2, b'/', b't', 4, 4]);
    want.extend(varint(DATA_BITS));
    want.extend(varint(3_600_000));
    assert_eq!(def.payload, want, "DEFINE (table id {tid}, {n} bytes)");
    let ups: Vec<&Msg> = msgs.iter().filter(|m| m.is_update()).collect();
    assert_eq!(ups.len(), 1, "{all}");
    if timed {
        assert!(
            matches!(ups[0].typ, msg::UPDATE_TIMED | msg::INCUPDATE_TIMED),
            "teaching a 2.1 peer uses timed updates:\n{all}"
        );
    } else {
        assert!(
            matches!(ups[0].typ, msg::UPDATE | msg::INCUPDATE),
            "teaching a 2.0 peer uses updates without expire:\n{all}"
        );
    }
    let u = ups[0].split_update(4).unwrap();
    if let Some(e) = u.expire {
        assert!(e <= 3_600_000 && e > 3_000_000, "expire {e}");
    }
    assert_eq!(u.key, [10, 0, 0, 1]);
    assert_eq!(u.rest, [5, 3], "gpc0=5 http_req_cnt=3");
    let last = msgs.last().unwrap();
    assert!(
        last.is(msg::CONTROL, msg::RESYNC_FINISHED) || last.is(msg::CONTROL, msg::RESYNC_PARTIAL),
        "{all}"
    );
}

#[test]
fn resync_request_is_taught() {
    let f = fixture();
    let mut p = f.session();
    let fresh = f.started.elapsed() < Duration::from_secs(3);
    // A fresh instance asks its first connected peer for a full copy.
    if fresh {
        p.wait_for(T, "the instance's RESYNC REQUEST", |m| {
            m.is(msg::CONTROL, msg::RESYNC_REQUEST)
        });
    }
    let msgs = request_teaching(&mut p, false);
    check_teaching(&msgs, true);
    p.send(&frame(msg::CONTROL, msg::RESYNC_CONFIRM, &[]));
    p.open_for(Duration::from_millis(300));
    let t = f.table();
    assert_eq!(t.len(), 2, "{t:#?}");
}

/// Sends RESYNC REQUEST and collects what is taught up to RESYNC FINISHED
/// or PARTIAL (heartbeats left out, and the instance's own resync request
/// if `skip_requests`).
fn request_teaching(p: &mut RawPeer, skip_requests: bool) -> Vec<tests::peers::Msg> {
    p.send(&frame(msg::CONTROL, msg::RESYNC_REQUEST, &[]));
    let mut msgs = Vec::new();
    loop {
        match p.next(T) {
            Next::Msg(m) if m.is(msg::CONTROL, msg::HEARTBEAT) => {}
            Next::Msg(m) if skip_requests && m.is(msg::CONTROL, msg::RESYNC_REQUEST) => {}
            Next::Msg(m) => {
                let done = m.is(msg::CONTROL, msg::RESYNC_FINISHED)
                    || m.is(msg::CONTROL, msg::RESYNC_PARTIAL);
                msgs.push(m);
                if done {
                    return msgs;
                }
            }
            end => panic!(
                "no RESYNC FINISHED/PARTIAL: {end:?} after\n{}",
                show_msgs(&msgs)
            ),
        }
    }
}

#[test]
fn downgraded_peer_is_taught_without_expire() {
    let f = fixture();
    let (mut p, st) = RawPeer::hello(f.port(), "2.0", LOCAL, REMOTE);
    assert_eq!(st.as_deref(), Some("200"));
    let msgs = request_teaching(&mut p, true);
    check_teaching(&msgs, false);
}

/// The seed's endpoint rules on peer streams: a session the proxy opens is a
/// stream whose client side (si[0]) is the peers applet and whose server
/// side (si[1]) is the connection to the peer; a session it accepts has the
/// client connection on si[0] and the applet on si[1], and never a server
/// connection. Checked in `show sess all`, with two hand-driven peers: one
/// we accept a connection from, one that connects to us.
#[test]
fn peer_streams_hold_the_applet_on_the_seeds_side() {
    if is_haproxy() {
        return; // HAProxy's appctx-based streams print differently
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let out_port = listener.local_addr().expect("addr").port();
    // prxA is the proxy itself: it binds the address its `peer` line names,
    // so that one is a real port. "in" has nothing listening (held closed),
    // and the frontend is inherited.
    let pa = tests::free_port();
    let down = tests::ClosedPort::new();
    let closed = down.port;
    let fe = tests::BoundPort::new();
    let dir = tests::TempDir::new();
    let sock = dir.path().join("a.sock");
    let cfg = format!(
        "global\n    stats socket {} level admin\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\
         peers mypeers\n\
         \x20   peer prxA 127.0.0.1:{pa}\n\
         \x20   peer out 127.0.0.1:{out_port}\n\
         \x20   peer in 127.0.0.1:{closed}\n\
         \x20   table t type ip size 1k expire 1h store gpc0\n\
         frontend fe\n    bind {fe}\n    http-request return status 200\n",
        sock.display()
    );
    let _px = tests::Proxy::builder(&cfg)
        .listen(&fe)
        .args(["-L", "prxA"])
        .start();
    // The proxy connects to "out" at once: be that peer.
    listener.set_nonblocking(true).expect("nonblocking");
    let deadline = Instant::now() + Duration::from_secs(5);
    let s = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("the proxy did not connect to its peer: {e}"),
        }
    };
    s.set_nonblocking(false).expect("blocking");
    let mut out = RawPeer::accepted(s);
    let hello: Vec<String> = (0..3)
        .map(|_| out.read_line(Duration::from_secs(5)).expect("hello line"))
        .collect();
    assert_eq!(hello[0], "HAProxyS 2.1");
    assert_eq!(hello[1], "out");
    assert!(hello[2].starts_with("prxA "), "{hello:?}");
    out.send(b"200\n");
    // And "in" connects to the proxy.
    let _inbound = RawPeer::established(pa, "prxA", "in");
    let mut text = String::new();
    let ok = tests::peers::wait_until(Duration::from_secs(5), || {
        text = tests::stick::cli(&sock, "show sess all");
        text.contains("endp0=APPCTX") && text.contains(&format!("addr=127.0.0.1:{pa}"))
    });
    assert!(ok, "{text}");
    let streams: Vec<&str> = text.split("\n0x").collect();
    let outgoing = streams
        .iter()
        .find(|s| s.contains("endp0=APPCTX"))
        .unwrap_or_else(|| panic!("no outgoing peer stream:\n{text}"));
    assert!(outgoing.contains("endp1=CONN"), "{outgoing}");
    let accepted = streams
        .iter()
        .find(|s| s.contains(&format!("addr=127.0.0.1:{pa}")))
        .unwrap_or_else(|| panic!("no accepted peer stream:\n{text}"));
    assert!(
        accepted.contains("endp0=CONN") && accepted.contains("endp1=APPCTX"),
        "{accepted}"
    );
}
