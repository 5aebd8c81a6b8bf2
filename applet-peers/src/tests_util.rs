//! Test support: an in-memory table source that numbers changes the way
//! the proxy's stick tables do, the `be` table of the reference captures,
//! and two sections wired together over one connection.

use std::cell::RefCell;

use crate::section::{ConnId, Event, OutEntry, PeersSection, SectionConfig, TableSource};
use crate::table_def::{DataParam, TableDef};
use crate::update::Value;

/// One entry of a fake table.
#[derive(Debug, Clone)]
pub(crate) struct FakeEntry {
    pub id: u64,
    pub local: bool,
    pub key: Vec<u8>,
    pub values: Vec<Value>,
    pub expire: u32,
}

/// Tables the way the proxy's stick tables behave for replication.
#[derive(Debug, Default)]
pub(crate) struct Fake {
    pub tables: RefCell<Vec<Vec<FakeEntry>>>,
    pub seq: RefCell<Vec<u64>>,
    pub local_seq: RefCell<Vec<u64>>,
}

impl Fake {
    pub fn new(n: usize) -> Fake {
        Fake {
            tables: RefCell::new(vec![Vec::new(); n]),
            seq: RefCell::new(vec![0; n]),
            local_seq: RefCell::new(vec![0; n]),
        }
    }

    /// A local change (new id, local).
    pub fn set(&self, t: usize, key: &[u8], values: Vec<Value>) {
        let id = {
            let mut s = self.seq.borrow_mut();
            s[t] += 1;
            s[t]
        };
        self.local_seq.borrow_mut()[t] = id;
        let mut tabs = self.tables.borrow_mut();
        tabs[t].retain(|e| e.key != key);
        tabs[t].push(FakeEntry {
            id,
            local: true,
            key: key.to_vec(),
            values,
            expire: 30_000,
        });
    }

    /// A learned change (id only if new, learned).
    pub fn learn(&self, t: usize, key: &[u8], values: Vec<Value>) {
        let mut tabs = self.tables.borrow_mut();
        if let Some(e) = tabs[t].iter_mut().find(|e| e.key == key) {
            e.values = values;
            return;
        }
        let mut s = self.seq.borrow_mut();
        s[t] += 1;
        tabs[t].push(FakeEntry {
            id: s[t],
            local: false,
            key: key.to_vec(),
            values,
            expire: 30_000,
        });
    }

    pub fn get(&self, t: usize, key: &[u8]) -> Option<Vec<Value>> {
        self.tables.borrow()[t]
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.values.clone())
    }

    pub fn len(&self, t: usize) -> usize {
        self.tables.borrow()[t].len()
    }
}

impl TableSource for Fake {
    fn local_update(&self, t: usize) -> u64 {
        self.local_seq.borrow()[t]
    }
    fn update(&self, t: usize) -> u64 {
        self.seq.borrow()[t]
    }
    fn collect(&self, t: usize, after: u64, upto: u64, learned: bool, max: usize) -> Vec<OutEntry> {
        let mut v: Vec<OutEntry> = self.tables.borrow()[t]
            .iter()
            .filter(|e| e.id > after && e.id <= upto && (learned || e.local))
            .map(|e| OutEntry {
                id: e.id,
                key: e.key.clone(),
                expire: e.expire,
                values: e.values.clone(),
            })
            .collect();
        v.sort_by_key(|e| e.id);
        v.truncate(max);
        v
    }
}

/// Table `be` of the reference capture: ip, expire 30s, server_id, gpc0,
/// conn_cnt, conn_rate(10s), http_req_cnt, http_req_rate(10s).
pub(crate) fn be_def() -> TableDef {
    let p = |id, period| DataParam {
        id,
        nbelem: 1,
        period,
    };
    TableDef {
        id: 0,
        name: b"be".to_vec(),
        key_type: 4,
        key_len: 4,
        expire: 30_000,
        params: vec![
            p(0, 0),
            p(2, 0),
            p(4, 0),
            p(5, 10_000),
            p(9, 0),
            p(10, 10_000),
        ],
    }
}

/// Values for `be`: server_id, gpc0, conn_cnt, conn_rate, http_req_cnt,
/// http_req_rate.
pub(crate) fn be_values(n: u64) -> Vec<Value> {
    let f = Value::Freq {
        elapsed: 0,
        curr: n,
        prev: 0,
    };
    vec![
        Value::Int(0),
        Value::Int(0),
        Value::Int(n),
        f.clone(),
        Value::Int(n),
        f,
    ]
}

pub(crate) fn section(local: &str, peers: &[&str]) -> PeersSection {
    let mut c = SectionConfig::new(local, peers, vec![be_def()]);
    c.pid = 4242;
    PeersSection::new(c)
}

pub(crate) fn drain(s: &mut PeersSection) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Two sections A (connector) and B (acceptor) over one connection.
pub(crate) struct Pair {
    pub a: PeersSection,
    pub b: PeersSection,
    pub ta: Fake,
    pub tb: Fake,
    pub ca: Option<ConnId>,
    pub cb: Option<ConnId>,
    pub now: u64,
}

impl Pair {
    pub fn new() -> Pair {
        Pair {
            a: section("A", &["A", "B"]),
            b: section("B", &["A", "B"]),
            ta: Fake::new(1),
            tb: Fake::new(1),
            ca: None,
            cb: None,
            now: 1_000_000,
        }
    }

    /// Runs the sync tasks, opens connections, shuttles bytes and applies
    /// updates until nothing moves.
    pub fn run(&mut self) {
        for _ in 0..100 {
            let mut moved = false;
            self.a.tick(self.now, &self.ta);
            self.b.tick(self.now, &self.tb);
            for ev in drain(&mut self.a) {
                moved = true;
                match ev {
                    Event::Connect { peer: 1, conn } => {
                        self.ca = Some(conn);
                        self.cb = Some(self.b.accept(self.now));
                    }
                    Event::Close { conn } if Some(conn) == self.ca => {
                        let rest = self.a.transmit(conn, self.now, &self.ta);
                        self.a.closed(conn, self.now);
                        if let Some(cb) = self.cb.take() {
                            self.b.receive(cb, &rest, self.now, &self.tb);
                            self.b.closed(cb, self.now);
                        }
                        self.ca = None;
                    }
                    Event::Close { conn } => self.a.closed(conn, self.now),
                    Event::Apply { table, update } => apply(&self.ta, table, update),
                    _ => {}
                }
            }
            for ev in drain(&mut self.b) {
                moved = true;
                match ev {
                    // B's own connections to A are refused: A connects to B
                    Event::Connect { conn, .. } => self.b.closed(conn, self.now),
                    Event::Close { conn } if Some(conn) == self.cb => {
                        let rest = self.b.transmit(conn, self.now, &self.tb);
                        if let Some(ca) = self.ca.take() {
                            self.a.receive(ca, &rest, self.now, &self.ta);
                            self.a.closed(ca, self.now);
                        }
                        self.b.closed(conn, self.now);
                        self.cb = None;
                    }
                    Event::Close { conn } => self.b.closed(conn, self.now),
                    Event::Apply { table, update } => apply(&self.tb, table, update),
                    _ => {}
                }
            }
            if let (Some(ca), Some(cb)) = (self.ca, self.cb) {
                let x = self.a.transmit(ca, self.now, &self.ta);
                if std::env::var("PEERS_TRACE").is_ok() {
                    eprintln!("A->B {x:02x?}");
                }
                if !x.is_empty() {
                    moved = true;
                    self.b.receive(cb, &x, self.now, &self.tb);
                }
                let y = self.b.transmit(cb, self.now, &self.tb);
                if std::env::var("PEERS_TRACE").is_ok() {
                    eprintln!("B->A {y:02x?}");
                }
                if !y.is_empty() {
                    moved = true;
                    self.a.receive(ca, &y, self.now, &self.ta);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }
}

/// Applies a learned update to a fake table (values as sent).
pub(crate) fn apply(t: &Fake, table: usize, u: crate::update::UpdateIn) {
    let values = u.data.into_iter().map(|(_, v)| v).collect();
    t.learn(table, &u.key, values);
}
