//! Property tests with a tiny xorshift generator: any split of the input
//! gives the same result, garbage never panics, encode/decode round-trips.

use crate::dict::{DictRx, DictTx};
use crate::msg::{self, parse_frame};
use crate::section::Event;
use crate::table_def::{parse_define, DataParam, RemoteLayout, TableDef};
use crate::tests_util::{be_def, be_values, drain, section, Fake};
use crate::update::{decode_update, encode_update, KeySpec, UpdateOut, Value};
use crate::{datatypes, varint};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A peer's stream after the hello: definition, many updates, heartbeats.
fn stream(rng: &mut Rng) -> Vec<u8> {
    let def = TableDef { id: 3, ..be_def() };
    let mut m = Vec::new();
    def.encode(&mut m);
    let mut dict = DictTx::new();
    for i in 0..200u32 {
        let v = be_values(rng.below(100_000));
        let key = i.to_be_bytes();
        let timed = rng.below(2) == 0;
        let u = UpdateOut {
            id: 1000 + i,
            with_id: rng.below(3) == 0,
            expire: timed.then_some(i),
            key: &key,
            values: &v,
        };
        encode_update(&def, &u, &mut dict, &mut m);
        if i % 50 == 0 {
            msg::encode_control(msg::CTRL_HEARTBEAT, &mut m);
        }
    }
    m
}

fn run_split(input: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    let t = Fake::new(1);
    let mut s = section("B", &["A", "B"]);
    let c = s.accept(0);
    let mut all = b"HAProxyS 2.1\nB\nA 1 1\n".to_vec();
    all.extend_from_slice(input);
    let mut out = Vec::new();
    let mut prev = 0;
    for &cut in cuts.iter().chain(std::iter::once(&all.len())) {
        s.receive(c, &all[prev..cut], 0, &t);
        out.extend(s.transmit(c, 0, &t));
        prev = cut;
    }
    (drain(&mut s), out)
}

#[test]
fn random_splits_give_the_same_result() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let input = stream(&mut rng);
    let (want, _) = run_split(&input, &[]);
    assert_eq!(want.len(), 200);
    for _ in 0..50 {
        let total = input.len() + 22;
        let mut cuts: Vec<usize> = (0..rng.below(40))
            .map(|_| rng.below(total as u64) as usize)
            .collect();
        cuts.sort_unstable();
        let (got, out) = run_split(&input, &cuts);
        assert_eq!(got, want);
        // acks may come in several pieces, but the last one names the last id
        assert!(
            out.ends_with(&[0x0a, 0x84, 0x05, 0x03, 0, 0, 0x04, 0xaf]),
            "{:02x?}",
            &out[out.len().saturating_sub(8)..]
        );
    }
    // one byte at a time
    let cuts: Vec<usize> = (1..input.len() + 22).collect();
    assert_eq!(run_split(&input, &cuts).0, want);
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let t = Fake::new(1);
    for round in 0..2000 {
        let n = rng.below(300) as usize;
        let mut junk = rng.bytes(n);
        // often make it look like a stick-table message
        if round % 2 == 0 && junk.len() > 2 {
            junk[0] = [0, 1, 10, 255][rng.below(4) as usize];
            junk[1] |= 0x80;
        }
        let mut s = section("B", &["A", "B"]);
        let c = s.accept(0);
        if round % 3 != 0 {
            s.receive(c, b"HAProxyS 2.1\nB\nA 1 1\n", 0, &t);
            if round % 5 == 0 {
                let mut d = Vec::new();
                TableDef { id: 1, ..be_def() }.encode(&mut d);
                s.receive(c, &d, 0, &t);
            }
        }
        s.receive(c, &junk, 0, &t);
        let _ = s.transmit(c, 0, &t);
        s.tick(10_000, &t);
        drain(&mut s);
        s.closed(c, 10_001);
        // the decoders alone
        let _ = parse_frame(&junk, 16384);
        let _ = varint::decode(&junk);
        let _ = TableDef::decode(&junk);
        let _ = parse_define(&junk, |_| Some((0, 4, 4)));
        let _ = msg::decode_ack(&junk);
        let mut layout = RemoteLayout::of(&be_def());
        layout.bitfield = rng.next() & ((1 << 26) - 1);
        layout.nbelem[22] = rng.below(1 << 31) as u32;
        for (kt, kl) in [(2, 4), (4, 4), (5, 16), (6, 32), (7, rng.below(64))] {
            let _ = decode_update(
                true,
                true,
                &junk,
                0,
                KeySpec {
                    key_type: kt,
                    key_len: kl,
                },
                &layout,
                &mut DictRx::new(),
            );
            let _ = decode_update(
                false,
                false,
                &junk,
                0,
                KeySpec {
                    key_type: kt,
                    key_len: kl,
                },
                &layout,
                &mut DictRx::new(),
            );
        }
    }
}

fn random_value(rng: &mut Rng, id: u8) -> Value {
    match datatypes::wire_type(id) {
        Some(datatypes::WireType::Freq) => Value::Freq {
            elapsed: rng.below(1 << 32),
            curr: rng.below(1 << 32),
            prev: rng.below(1 << 32),
        },
        Some(datatypes::WireType::Dict) => {
            Value::Dict((rng.below(3) > 0).then(|| format!("srv{}", rng.below(200))))
        }
        Some(datatypes::WireType::SInt) => {
            Value::Int(rng.below(1 << 32) as u32 as i32 as i64 as u64)
        }
        _ => Value::Int(rng.next() >> rng.below(64)),
    }
}

#[test]
fn random_definitions_and_updates_round_trip() {
    let mut rng = Rng(42);
    for _ in 0..500 {
        let mut params = Vec::new();
        for id in 0..datatypes::DATA_TYPES {
            if rng.below(3) == 0 {
                let nbelem = if datatypes::is_array(id) {
                    1 + rng.below(5) as u32
                } else {
                    1
                };
                let period = if datatypes::has_period(id) {
                    1 + rng.below(100_000) as u32
                } else {
                    0
                };
                params.push(DataParam { id, nbelem, period });
            }
        }
        // (a 600-byte string key makes payloads of more than 240 bytes,
        // whose length takes more than one byte)
        let (kt, kl) =
            [(2u64, 4u64), (4, 4), (5, 16), (6, 33), (7, 20), (6, 600)][rng.below(6) as usize];
        let def = TableDef {
            id: 1 + rng.below(1000),
            name: b"/tbl".to_vec(),
            key_type: kt,
            key_len: kl,
            expire: rng.below(1 << 31),
            params,
        };
        let mut m = Vec::new();
        def.encode(&mut m);
        let (f, _) = parse_frame(&m, 1 << 20).unwrap().unwrap();
        assert_eq!(TableDef::decode(f.payload), Ok(def.clone()));
        let layout = RemoteLayout::of(&def);
        let mut tx = DictTx::new();
        let mut rx = DictRx::new();
        let mut last = 0u32;
        for _ in 0..20 {
            let klen = if kt == 6 {
                rng.below(32) as usize
            } else {
                kl as usize
            };
            let key = rng.bytes(klen);
            let mut values = Vec::new();
            let mut want = Vec::new();
            for p in &def.params {
                let mut v = Vec::new();
                for _ in 0..p.nbelem {
                    v.push(random_value(&mut rng, p.id));
                }
                values.extend(v.iter().cloned());
                want.extend(v.into_iter().map(|x| (p.id, x)));
            }
            let id = last.wrapping_add(1 + rng.below(2) as u32);
            let with_id = id != last.wrapping_add(1) || rng.below(4) == 0;
            let expire = (rng.below(2) == 0).then(|| rng.next() as u32);
            let mut out = Vec::new();
            encode_update(
                &def,
                &UpdateOut {
                    id,
                    with_id,
                    expire,
                    key: &key,
                    values: &values,
                },
                &mut tx,
                &mut out,
            );
            let (f, n) = parse_frame(&out, 1 << 20).unwrap().unwrap();
            assert_eq!(n, out.len());
            let msg::Kind::Update { with_id: w, timed } = msg::classify(&f) else {
                panic!()
            };
            let d = decode_update(
                w,
                timed,
                f.payload,
                last,
                KeySpec {
                    key_type: kt,
                    key_len: kl,
                },
                &layout,
                &mut rx,
            )
            .unwrap();
            assert_eq!((d.id, d.expire, d.key), (id, expire, key));
            assert_eq!(d.data, want);
            last = id;
        }
    }
}
