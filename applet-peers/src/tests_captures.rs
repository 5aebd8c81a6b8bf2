//! Every capture of the reference notes (HAProxy 2.6.12 on loopback),
//! byte for byte: encoded by us, and decoded back.

use crate::dict::{DictRx, DictTx};
use crate::hello;
use crate::msg::{self, parse_frame, Kind};
use crate::section::{Event, PeersSection, SectionConfig, TableSource};
use crate::table_def::{RemoteLayout, TableDef};
use crate::tests_util::{be_def, be_values, drain, section, Fake};
use crate::update::{decode_update, encode_update, KeySpec, UpdateOut, Value};

fn h(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect()
}

const DEFINE: &str = "0a 82 13 01 02 62 65 04 04 f5 54 f0 c4 0d 05 f0 e2 03 0a f0 e2 03";
const PUSH1: &str = "0a 80 12 00 00 00 02 7f 00 00 01 00 00 01 01 01 00 01 01 01 00";
const PUSH2: &str = "0a 80 14 00000004 7f000001 00 00 02 f430 02 00 02 f430 02 00";

fn be1() -> TableDef {
    TableDef { id: 1, ..be_def() }
}

fn push_values(cnt: u64, elapsed: u64) -> Vec<Value> {
    let f = Value::Freq {
        elapsed,
        curr: cnt,
        prev: 0,
    };
    vec![
        Value::Int(0),
        Value::Int(0),
        Value::Int(cnt),
        f.clone(),
        Value::Int(cnt),
        f,
    ]
}

#[test]
fn define_capture() {
    let mut out = Vec::new();
    be1().encode(&mut out);
    assert_eq!(out, h(DEFINE));
    let (f, n) = parse_frame(&out, 16384).unwrap().unwrap();
    assert_eq!((msg::classify(&f), n), (Kind::Define, out.len()));
    assert_eq!(TableDef::decode(f.payload), Ok(be1()));
}

#[test]
fn update_captures() {
    let def = be1();
    let key = [0x7f, 0, 0, 1];
    for (cap, id, cnt, elapsed) in [(PUSH1, 2u32, 1u64, 1u64), (PUSH2, 4, 2, 1012)] {
        let values = push_values(cnt, elapsed);
        let mut out = Vec::new();
        let u = UpdateOut {
            id,
            with_id: true,
            expire: None,
            key: &key,
            values: &values,
        };
        encode_update(&def, &u, &mut DictTx::new(), &mut out);
        assert_eq!(out, h(cap), "push {id}");
        let (f, _) = parse_frame(&out, 16384).unwrap().unwrap();
        let d = decode_update(
            true,
            false,
            f.payload,
            0,
            KeySpec {
                key_type: 4,
                key_len: 4,
            },
            &RemoteLayout::of(&def),
            &mut DictRx::new(),
        )
        .unwrap();
        assert_eq!((d.id, d.expire, d.key.as_slice()), (id, None, &key[..]));
        let flat: Vec<Value> = d.data.into_iter().map(|(_, v)| v).collect();
        assert_eq!(flat, values);
    }
}

#[test]
fn hellos() {
    assert_eq!(
        hello::build_hello("pyB", "hapA", 19694, false),
        b"HAProxyS 2.1\npyB\nhapA 19694 1\n"
    );
    // reload: the old process names the local peer on both lines
    assert_eq!(
        hello::build_hello("hapA", "hapA", 7, false),
        b"HAProxyS 2.1\nhapA\nhapA 7 1\n"
    );
}

/// We are `pyB`; HAProxy `hapA` connects, gets 200, and asks for a resync
/// (`00 00`); we teach with timed updates, then `00 01`/`00 02`; it
/// confirms with `00 03`.
#[test]
fn haproxy_connects_and_learns_from_us() {
    let t = Fake::new(1);
    let mut s = section("pyB", &["hapA", "pyB"]);
    let c = s.accept(0);
    s.receive(c, b"HAProxyS 2.1\npyB\nhapA 19694 1\n", 0, &t);
    assert_eq!(s.transmit(c, 0, &t), b"200\n");
    t.set(0, &[0x7f, 0, 0, 1], push_values(1, 0));
    s.receive(c, &[0x00, 0x00], 0, &t);
    let out = s.transmit(c, 0, &t);
    // DEFINE, one timed update (id 1, expire 30000), then PARTIAL: this
    // process has not finished its own resync yet
    let mut want = h(DEFINE);
    let values = push_values(1, 0);
    let u = UpdateOut {
        id: 1,
        with_id: true,
        expire: Some(30_000),
        key: &[0x7f, 0, 0, 1],
        values: &values,
    };
    encode_update(&be1(), &u, &mut DictTx::new(), &mut want);
    assert_eq!(&want[22..24], [0x0a, 0x85]);
    want.extend_from_slice(&[0x00, 0x02]);
    assert_eq!(out, want);
    // after the confirmation, normal pushes resume from the lesson's origin
    s.receive(c, &[0x00, 0x03], 0, &t);
    assert_eq!(&s.transmit(c, 0, &t)[..2], [0x0a, 0x80]);
    assert_eq!(s.transmit(c, 0, &t), b"");
    // once up to date, the same lesson ends with FINISHED
    s.flags |= crate::section::sflags::FINISHED;
    s.receive(c, &[0x00, 0x00], 0, &t);
    assert!(s.transmit(c, 0, &t).ends_with(&[0x00, 0x01]));
}

/// We connect to HAProxy: `200\n` and its DEFINE + UPDATE arrive in one
/// read; we apply the update, ack it, and ask for a resync.
#[test]
fn we_connect_and_receive_define_and_update_in_one_read() {
    let t = Fake::new(1);
    let mut s = section("pyB", &["hapA", "pyB"]);
    s.tick(0, &t);
    let Some(Event::Connect { peer: 0, conn }) = s.poll_event() else {
        panic!()
    };
    assert_eq!(
        s.transmit(conn, 0, &t),
        format!("HAProxyS 2.1\nhapA\npyB {} 1\n", 4242).as_bytes()
    );
    let mut input = b"200\n".to_vec();
    input.extend(h(DEFINE));
    input.extend(h(PUSH1));
    s.receive(conn, &input, 0, &t);
    let evs = drain(&mut s);
    let [Event::Apply { table: 0, update }] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(
        (update.id, update.key.as_slice()),
        (2, &[0x7f, 0, 0, 1][..])
    );
    // the sync task picks hapA to learn from: the request goes out with the ack
    s.tick(1, &t);
    let out = s.transmit(conn, 1, &t);
    assert_eq!(out, [0x00, 0x00, 0x0a, 0x84, 0x05, 0x01, 0, 0, 0, 2]);
    // hapA finishes: we confirm
    s.receive(conn, &[0x00, 0x01], 2, &t);
    assert_eq!(drain(&mut s), [Event::ResyncFinished { peer: 0 }]);
    assert_eq!(s.transmit(conn, 2, &t), [0x00, 0x03]);
    assert!(s.resync_done());
}

/// The reference's receive check: DEFINE with table id 7, `0a 85` (id 100,
/// expire 20000, 10.0.0.1) then `0a 81` (10.0.0.2): haproxy stores both
/// and answers `0a 84 05 07 00 00 00 65`. We must do the same.
#[test]
fn timed_then_incremental_updates_are_acked() {
    let t = Fake::new(1);
    let mut s = section("hapA", &["hapA", "py"]);
    let c = s.accept(0);
    s.receive(c, b"HAProxyS 2.1\nhapA\npy 1 1\n", 0, &t);
    let _ = s.transmit(c, 0, &t);
    let def = TableDef { id: 7, ..be_def() };
    let mut m = Vec::new();
    def.encode(&mut m);
    let mut dict = DictTx::new();
    let v = be_values(1);
    encode_update(
        &def,
        &UpdateOut {
            id: 100,
            with_id: true,
            expire: Some(20_000),
            key: &[10, 0, 0, 1],
            values: &v,
        },
        &mut dict,
        &mut m,
    );
    let start = m.len();
    encode_update(
        &def,
        &UpdateOut {
            id: 101,
            with_id: false,
            expire: None,
            key: &[10, 0, 0, 2],
            values: &v,
        },
        &mut dict,
        &mut m,
    );
    assert_eq!(&m[start..start + 2], [0x0a, 0x81]);
    s.receive(c, &m, 0, &t);
    let evs = drain(&mut s);
    let ids: Vec<(u32, Option<u32>, Vec<u8>)> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Apply { update, .. } => Some((update.id, update.expire, update.key.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        [
            (100, Some(20_000), vec![10, 0, 0, 1]),
            (101, None, vec![10, 0, 0, 2])
        ]
    );
    assert_eq!(
        s.transmit(c, 0, &t),
        [0x0a, 0x84, 0x05, 0x07, 0x00, 0x00, 0x00, 0x65]
    );
}

#[test]
fn heartbeat_bytes() {
    let t = Fake::new(1);
    let mut s = section("B", &["A", "B"]);
    let c = s.accept(0);
    s.receive(c, b"HAProxyS 2.1\nB\nA 1 1\n", 0, &t);
    let _ = s.transmit(c, 0, &t);
    s.flags |= crate::section::sflags::FINISHED;
    s.tick(3000, &t);
    assert_eq!(s.transmit(c, 3000, &t), [0x00, 0x04]);
    assert_eq!(t.local_update(0), 0);
}

#[test]
fn server_key_dictionary() {
    let mut def = be1();
    def.params.push(crate::table_def::DataParam {
        id: 19,
        nbelem: 1,
        period: 0,
    });
    let mut tx = DictTx::new();
    let mut rx = DictRx::new();
    let layout = RemoteLayout::of(&def);
    let mut vals = push_values(1, 0);
    vals.push(Value::Dict(Some("s2".into())));
    let mut first = Vec::new();
    encode_update(
        &def,
        &UpdateOut {
            id: 1,
            with_id: true,
            expire: None,
            key: &[1, 2, 3, 4],
            values: &vals,
        },
        &mut tx,
        &mut first,
    );
    // length 4: id 1, string length 2, "s2"
    assert!(first.ends_with(&[0x04, 0x01, 0x02, b's', b'2']));
    let mut second = Vec::new();
    encode_update(
        &def,
        &UpdateOut {
            id: 2,
            with_id: false,
            expire: None,
            key: &[1, 2, 3, 5],
            values: &vals,
        },
        &mut tx,
        &mut second,
    );
    assert!(second.ends_with(&[0x01, 0x01]), "id only the second time");
    let mut none = vals.clone();
    none[6] = Value::Dict(None);
    let mut third = Vec::new();
    encode_update(
        &def,
        &UpdateOut {
            id: 3,
            with_id: false,
            expire: None,
            key: &[1, 2, 3, 6],
            values: &none,
        },
        &mut tx,
        &mut third,
    );
    assert!(third.ends_with(&[0x00]));
    let ks = KeySpec {
        key_type: 4,
        key_len: 4,
    };
    for (m, want) in [(&first, Some("s2")), (&second, Some("s2")), (&third, None)] {
        let (f, _) = parse_frame(m, 16384).unwrap().unwrap();
        let Kind::Update { with_id, timed } = msg::classify(&f) else {
            panic!()
        };
        let d = decode_update(with_id, timed, f.payload, 0, ks, &layout, &mut rx).unwrap();
        assert_eq!(
            d.data.last().map(|x| x.1.clone()),
            Some(Value::Dict(want.map(String::from)))
        );
    }
    // a bare id the receiver never saw leaves the value unchanged
    let (f, _) = parse_frame(&second, 16384).unwrap().unwrap();
    let d = decode_update(false, false, f.payload, 0, ks, &layout, &mut DictRx::new()).unwrap();
    assert_eq!(d.data.last().map(|x| x.1.clone()), Some(Value::Dict(None)));
}

#[test]
fn string_and_integer_keys() {
    let mk = |kt: u64, kl: u64| TableDef {
        id: 1,
        name: b"t".to_vec(),
        key_type: kt,
        key_len: kl,
        expire: 0,
        params: vec![],
    };
    let s = mk(6, 5);
    let mut out = Vec::new();
    encode_update(
        &s,
        &UpdateOut {
            id: 1,
            with_id: true,
            expire: None,
            key: b"abcdef",
            values: &[],
        },
        &mut DictTx::new(),
        &mut out,
    );
    assert_eq!(
        out,
        [0x0a, 0x80, 0x0b, 0, 0, 0, 1, 6, b'a', b'b', b'c', b'd', b'e', b'f']
    );
    let d = decode_update(
        true,
        false,
        &out[3..],
        0,
        KeySpec {
            key_type: 6,
            key_len: 5,
        },
        &RemoteLayout::of(&s),
        &mut DictRx::new(),
    )
    .unwrap();
    assert_eq!(d.key, b"abcd", "truncated to key_len - 1");
    let i = mk(2, 4);
    let mut out = Vec::new();
    encode_update(
        &i,
        &UpdateOut {
            id: 1,
            with_id: false,
            expire: Some(5),
            key: &[0, 0, 1, 0],
            values: &[],
        },
        &mut DictTx::new(),
        &mut out,
    );
    assert_eq!(out, [0x0a, 0x86, 0x08, 0, 0, 0, 5, 0, 0, 1, 0]);
}

#[test]
fn sections_are_built_from_configs() {
    let c = SectionConfig::new(
        "A",
        &["A", "B"],
        vec![
            be_def(),
            TableDef {
                name: b"/t".to_vec(),
                ..be_def()
            },
        ],
    );
    let s = PeersSection::new(c);
    assert_eq!(
        s.config().tables.iter().map(|t| t.id).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(s.peers()[0].local && !s.peers()[1].local);
    assert_eq!(s.peers()[1].tables[1].local_id, 2);
}
