//! Tests of the table as a whole: creation, eviction, expiry, references,
//! update numbering, learned updates, and concurrency.

use std::sync::Arc;

use super::*;

pub(super) const NOW: u64 = 10_000_000;

pub(super) fn table(line: &str) -> StickTable {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (conf, w) = TableConfig::parse_proxy("be", &words).unwrap();
    assert!(w.is_empty());
    StickTable::with_shards(conf, 4)
}

pub(super) fn ip(last: u8) -> Key {
    Key::Ip([10, 0, 0, last])
}

#[test]
fn create_lookup_touch() {
    let t = table("stick-table type ip size 10 expire 30s store gpc0,conn_cnt");
    assert_eq!(t.lookup(&ip(1), NOW, |_| ()), None);
    t.update_local(ip(1), NOW, |e| e.add(DataType::ConnCnt, 0, 1))
        .unwrap();
    assert_eq!(t.used(), 1);
    assert!(t.contains(&ip(1)));
    let (cnt, exp) = t
        .lookup(&ip(1), NOW + 1000, |e| {
            (
                e.read(DataType::ConnCnt, 0),
                e.entry().expire_in(NOW + 1000),
            )
        })
        .unwrap();
    assert_eq!((cnt, exp), (Some(1), 29_000));
    assert!(t.touch_local(&ip(1), NOW + 5000));
    assert_eq!(
        t.lookup(&ip(1), NOW + 5000, |e| e.entry().expire_in(NOW + 5000)),
        Some(30_000)
    );
    assert!(!t.touch_local(&ip(2), NOW));
    // get_or_create does not restart the expiry of an existing entry
    t.get_or_create(ip(1), NOW + 6000, |_| ()).unwrap();
    assert_eq!(
        t.lookup(&ip(1), NOW + 6000, |e| e.entry().expire_in(NOW + 6000)),
        Some(29_000)
    );
}

#[test]
fn eviction_takes_the_oldest() {
    let t = table("stick-table type ip size 4 expire 10s");
    for i in 0..4u8 {
        t.update_local(ip(i), NOW + u64::from(i), |_| ()).unwrap();
    }
    // refresh the first: the second becomes the oldest
    t.touch_local(&ip(0), NOW + 10);
    t.update_local(ip(9), NOW + 11, |_| ()).unwrap();
    assert_eq!(t.used(), 4);
    assert!(t.contains(&ip(0)) && !t.contains(&ip(1)) && t.contains(&ip(9)));
    // with many shards too, the survivors are the most recently touched
    let (conf, _) =
        TableConfig::parse_proxy("be", &["stick-table", "type", "ip", "size", "10"]).unwrap();
    let t = StickTable::with_shards(conf, 64);
    for i in 0..100u8 {
        t.update_local(ip(i), NOW + u64::from(i), |_| ()).unwrap();
    }
    assert_eq!(t.used(), 10);
    assert!((90..100u8).all(|i| t.contains(&ip(i))));
}

#[test]
fn eviction_spares_referenced_and_nopurge_refuses() {
    let t = table("stick-table type ip size 2");
    t.acquire(ip(1), NOW).unwrap();
    t.acquire(ip(2), NOW).unwrap();
    assert_eq!(t.update_local(ip(3), NOW, |_| ()), Err(TableFull));
    t.release(&ip(2));
    t.update_local(ip(3), NOW + 1, |_| ()).unwrap();
    assert!(t.contains(&ip(1)) && !t.contains(&ip(2)) && t.contains(&ip(3)));
    let n = table("stick-table type ip size 2 nopurge");
    n.update_local(ip(1), NOW, |_| ()).unwrap();
    n.update_local(ip(2), NOW, |_| ()).unwrap();
    assert_eq!(n.update_local(ip(3), NOW, |_| ()), Err(TableFull));
    assert_eq!(n.used(), 2);
}

#[test]
fn expiry_purge() {
    let t = table("stick-table type ip size 100 expire 1s");
    t.update_local(ip(1), NOW, |_| ()).unwrap();
    t.update_local(ip(2), NOW + 500, |_| ()).unwrap();
    t.acquire(ip(3), NOW).unwrap();
    assert_eq!(t.next_expiry(), Some(NOW + 1000));
    assert_eq!(t.purge_expired(NOW + 999), 0);
    // ip(1) was touched again: its filed date is stale and gets corrected
    t.touch_local(&ip(1), NOW + 900);
    assert_eq!(t.purge_expired(NOW + 1000), 0);
    assert_eq!(t.purge_expired(NOW + 1500), 1);
    assert!(t.contains(&ip(1)) && !t.contains(&ip(2)));
    assert_eq!(t.purge_expired(NOW + 5000), 1);
    assert!(t.contains(&ip(3)), "referenced entries are kept");
    assert_eq!(t.used(), 1);
    // tables without expire never purge
    let n = table("stick-table type ip size 10");
    n.update_local(ip(1), NOW, |_| ()).unwrap();
    assert_eq!(n.purge_expired(NOW + 1_000_000), 0);
    assert_eq!(n.next_expiry(), None);
}

#[test]
fn remove_and_clear() {
    let t = table("stick-table type ip size 10");
    t.update_local(ip(1), NOW, |_| ()).unwrap();
    t.acquire(ip(2), NOW).unwrap();
    assert_eq!(t.remove(&ip(1)), Ok(true));
    assert_eq!(t.remove(&ip(1)), Ok(false));
    assert_eq!(t.remove(&ip(2)), Err(InUse));
    assert_eq!(t.remove_if(NOW, |_| true), 0);
    t.release(&ip(2));
    assert_eq!(t.remove_if(NOW, |_| true), 1);
    assert_eq!(t.used(), 0);
}

fn replicated(line: &str) -> StickTable {
    let mut t = table(line);
    t.set_track_updates(true);
    t
}

#[test]
fn local_updates_are_numbered() {
    let t = replicated("stick-table type ip size 10 expire 30s store gpc0");
    t.update_local(ip(1), NOW, |e| e.add(DataType::Gpc0, 0, 1))
        .unwrap();
    t.update_local(ip(2), NOW, |_| ()).unwrap();
    t.update_local(ip(1), NOW + 10, |e| e.add(DataType::Gpc0, 0, 1))
        .unwrap();
    assert_eq!((t.watermark(), t.local_watermark()), (3, 3));
    let u = t.collect_updates(0, t.watermark(), false, 10, NOW + 10);
    let ids: Vec<(u64, Key)> = u.iter().map(|r| (r.id, r.key.clone())).collect();
    assert_eq!(ids, [(2, ip(2)), (3, ip(1))]);
    assert_eq!(u[1].values[0], DataValue::UInt(2));
    assert_eq!(u[1].expire_in, 30_000);
    assert!(u[1].local);
    // resume after an acknowledged id, and a limit
    assert_eq!(t.collect_updates(2, 3, false, 10, NOW).len(), 1);
    assert_eq!(t.collect_updates(0, 3, false, 1, NOW)[0].id, 2);
    assert!(t.collect_updates(3, 3, false, 10, NOW).is_empty());
    // tables that are not replicated keep no ids
    let plain = table("stick-table type ip size 10");
    plain.update_local(ip(1), NOW, |_| ()).unwrap();
    assert_eq!(plain.watermark(), 0);
}

#[test]
fn collecting_walks_every_shard_in_id_order() {
    // 2,000 keys spread over every shard, some touched again (new ids),
    // some learned: any window and limit gives the ids a full sort would.
    let t = replicated("stick-table type integer size 5000 expire 30s store gpc0");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for n in 0..2000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = Key::Integer((x % 1500) as u32);
        if n % 7 == 0 {
            t.apply_remote(k, &[], None, NOW);
        } else {
            t.update_local(k, NOW, |e| e.add(DataType::Gpc0, 0, 1))
                .unwrap();
        }
    }
    let every: Vec<(u64, bool)> = t
        .collect_updates(0, t.watermark(), true, usize::MAX, NOW)
        .iter()
        .map(|r| (r.id, r.local))
        .collect();
    assert!(every.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(every.len(), t.used() as usize);
    for (after, max, learned) in [
        (0, 1, true),
        (0, 64, false),
        (100, 64, true),
        (1500, 7, false),
        (0, 5000, false),
    ] {
        let want: Vec<u64> = every
            .iter()
            .filter(|(id, local)| *id > after && (learned || *local))
            .map(|(id, _)| *id)
            .take(max)
            .collect();
        let got: Vec<u64> = t
            .collect_updates(after, t.watermark(), learned, max, NOW)
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(got, want, "after {after} max {max} learned {learned}");
    }
}

#[test]
fn learned_updates() {
    let t = replicated("stick-table type ip size 10 expire 30s store server_id,conn_cur,conn_rate(10s),server_key,gpc(2)");
    let data = vec![
        RemoteData {
            data_type: DataType::ServerId,
            values: vec![RemoteValue::Int(u64::MAX)],
        },
        RemoteData {
            data_type: DataType::ConnCur,
            values: vec![RemoteValue::Int(7)],
        },
        RemoteData {
            data_type: DataType::ConnRate,
            values: vec![RemoteValue::Freq {
                elapsed: 1012,
                curr: 2,
                prev: 0,
            }],
        },
        RemoteData {
            data_type: DataType::ServerKey,
            values: vec![RemoteValue::Dict(Some("s2".into()))],
        },
        // the sender has 3 elements, this table 2
        RemoteData {
            data_type: DataType::Gpc,
            values: vec![
                RemoteValue::Int(1),
                RemoteValue::Int(2),
                RemoteValue::Int(3),
            ],
        },
        // not stored here: ignored
        RemoteData {
            data_type: DataType::Gpc1,
            values: vec![RemoteValue::Int(5)],
        },
    ];
    assert!(t.apply_remote(ip(1), &data, Some(20_000), NOW));
    t.lookup(&ip(1), NOW, |e| {
        assert_eq!(e.read(DataType::ServerId, 0), Some(-1));
        assert_eq!(
            e.read(DataType::ConnCur, 0),
            Some(0),
            "conn_cur is never learned"
        );
        assert_eq!(e.read(DataType::ConnRate, 0), Some(2));
        assert_eq!(e.dict(DataType::ServerKey).map(|s| &**s), Some("s2"));
        assert_eq!(
            (e.read(DataType::Gpc, 0), e.read(DataType::Gpc, 1)),
            (Some(1), Some(2))
        );
        assert_eq!(e.entry().expire_in(NOW), 20_000);
    })
    .unwrap();
    // an absent dictionary value leaves the stored one; no expire: the table's
    let keep = [RemoteData {
        data_type: DataType::ServerKey,
        values: vec![RemoteValue::Dict(None)],
    }];
    assert!(t.apply_remote(ip(1), &keep, None, NOW));
    assert_eq!(
        t.lookup(&ip(1), NOW, |e| (
            e.dict(DataType::ServerKey).cloned(),
            e.entry().expire_in(NOW)
        )),
        Some((Some("s2".into()), 30_000))
    );
    // learned changes are not pushed, but are taught
    assert_eq!((t.watermark(), t.local_watermark()), (1, 0));
    assert!(t.collect_updates(0, 1, false, 10, NOW).is_empty());
    let all = t.collect_updates(0, 1, true, 10, NOW);
    assert_eq!((all.len(), all[0].local), (1, false));
    // a local change makes it a local update again
    t.update_local(ip(1), NOW, |_| ()).unwrap();
    assert_eq!(t.collect_updates(0, t.watermark(), false, 10, NOW)[0].id, 2);
    assert_eq!(t.local_watermark(), 2);
}

#[test]
fn learned_updates_respect_nopurge() {
    let t = replicated("stick-table type ip size 1 nopurge store gpc0");
    assert!(t.apply_remote(ip(1), &[], None, NOW));
    assert!(!t.apply_remote(ip(2), &[], None, NOW));
}

#[test]
fn concurrent_updates_lose_nothing() {
    let t = Arc::new(replicated(
        "stick-table type integer size 100000 store gpc0,conn_rate(1s)",
    ));
    let threads: Vec<_> = (0..8u32)
        .map(|n| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 0..2000u32 {
                    let k = Key::Integer(i % 500);
                    t.update_local(k, NOW, |e| {
                        e.add(DataType::Gpc0, 0, 1);
                        e.add(DataType::ConnRate, 0, 1);
                    })
                    .unwrap();
                    if i % 97 == n {
                        t.collect_updates(0, t.watermark(), false, 16, NOW);
                    }
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    assert_eq!(t.used(), 500);
    let mut total = 0;
    t.for_each(NOW, |e| total += e.read(DataType::Gpc0, 0).unwrap_or(0));
    assert_eq!(total, 16_000);
    assert_eq!(t.watermark(), 16_000);
    assert_eq!(t.local_watermark(), 16_000);
    // every entry appears once, with its latest id
    let u = t.collect_updates(0, t.watermark(), false, 1000, NOW);
    assert_eq!(u.len(), 500);
    assert!(u.windows(2).all(|w| w[0].id < w[1].id));
}

#[test]
fn concurrent_eviction_keeps_the_size() {
    let t = Arc::new(table("stick-table type integer size 256 expire 1m"));
    let threads: Vec<_> = (0..4u32)
        .map(|n| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 0..5000u32 {
                    t.update_local(Key::Integer(n * 100_000 + i), NOW + u64::from(i), |_| ())
                        .unwrap();
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    assert!(t.used() <= 256);
    let mut n = 0;
    t.for_each(NOW, |_| n += 1);
    assert_eq!(n, t.used());
}

/// What the peers glue will do: snapshot changes on one side, turn the
/// values into their wire forms, apply them on the other side.
#[test]
fn replica_round_trip() {
    let line = "stick-table type string len 16 size 100 expire 1m store server_id,conn_cur,conn_rate(10s),server_key,gpc(2),bytes_in_cnt";
    let a = replicated(line);
    let b = replicated(line);
    let kt = a.config().key_type;
    for (i, name) in ["alpha", "beta"].iter().enumerate() {
        a.update_local(Key::string(&kt, name.as_bytes()), NOW, |e| {
            e.set(DataType::ServerId, 0, -(i as i64) - 1);
            e.add(DataType::ConnCur, 0, 3);
            e.add(DataType::ConnRate, 0, 4);
            e.set_dict(DataType::ServerKey, Some("s1".into()));
            e.add(DataType::Gpc, 1, 9);
            e.add(DataType::BytesInCnt, 0, 1 << 40);
        })
        .unwrap();
    }
    let later = NOW + 2_500;
    for r in a.collect_updates(0, a.local_watermark(), false, 100, later) {
        let layout = &a.config().layout;
        let mut data = Vec::new();
        for spec in layout.specs() {
            let values = (0..spec.nbelem)
                .filter_map(|i| layout.index(spec.data_type, i))
                .map(|i| match &r.values[i] {
                    DataValue::SInt(v) => RemoteValue::Int(i64::from(*v) as u64),
                    DataValue::UInt(v) => RemoteValue::Int(u64::from(*v)),
                    DataValue::Ull(v) => RemoteValue::Int(*v),
                    DataValue::Freq(f) => {
                        let (elapsed, curr, prev) = f.to_wire(later);
                        RemoteValue::Freq {
                            elapsed: u64::from(elapsed),
                            curr,
                            prev,
                        }
                    }
                    DataValue::Dict(d) => RemoteValue::Dict(d.clone()),
                })
                .collect();
            data.push(RemoteData {
                data_type: spec.data_type,
                values,
            });
        }
        let key = Key::from_wire(&kt, &r.key.to_wire()).unwrap();
        assert!(b.apply_remote(key, &data, Some(r.expire_in), later + 100));
    }
    for name in ["alpha", "beta"] {
        let k = Key::string(&kt, name.as_bytes());
        let read = |t: &StickTable, now| {
            t.lookup(&k, now, |e| {
                [
                    DataType::ServerId,
                    DataType::ConnCur,
                    DataType::ConnRate,
                    DataType::Gpc,
                    DataType::BytesInCnt,
                ]
                .map(|d| e.read(d, if d == DataType::Gpc { 1 } else { 0 }))
            })
        };
        let (x, y) = (read(&a, later).unwrap(), read(&b, later + 100).unwrap());
        assert_eq!(x[0], y[0]);
        assert_eq!(y[1], Some(0), "conn_cur is local");
        assert_eq!((x[2], y[2]), (Some(4), Some(4)));
        assert_eq!(&x[3..], &y[3..]);
        assert_eq!(
            b.lookup(&k, later, |e| e.dict(DataType::ServerKey).cloned()),
            Some(Some("s1".into()))
        );
    }
    // the learned entries expire when the originals do
    assert_eq!(
        b.lookup(&Key::string(&kt, b"beta"), later + 100, |e| e
            .entry()
            .expire_in(later + 100)),
        Some(57_500)
    );
    assert_eq!(b.local_watermark(), 0);
}

#[test]
fn referenced_entries_are_reached_by_their_slot() {
    let t = table("stick-table type string len 8 size 4 store gpc0");
    let kt = t.config().key_type;
    let k = Key::string(&kt, b"alpha");
    let ((), at) = t.track_local(&k, NOW, |_| ()).unwrap();
    assert_eq!(
        t.modify_ref(at, &k, NOW, |e| e.add(DataType::Gpc0, 0, 2)),
        Some(Some(2))
    );
    assert_eq!(t.lookup_ref(at, &k, NOW, |e| e.entry().ref_cnt()), Some(1));
    // a referenced entry survives eviction: fill the table past its size
    for i in 0..8u8 {
        let _ = t.update_local(
            Key::string(&kt, &[b'k', b'0' + i]),
            NOW + 1 + u64::from(i),
            |_| (),
        );
    }
    assert!(t.contains(&k));
    // a wrong key at that place falls back to a lookup by key
    let other = Key::string(&kt, b"k7");
    assert_eq!(
        t.lookup_ref(at, &other, NOW, |e| e.key().clone()),
        Some(other)
    );
    assert_eq!(
        t.untrack_ref(at, &k, NOW, |e| e.read(DataType::Gpc0, 0)),
        Some(Some(2))
    );
    assert_eq!(t.lookup(&k, NOW, |e| e.entry().ref_cnt()), Some(0));
}
