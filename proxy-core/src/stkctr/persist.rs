//! Persistence: `stick match`, `stick store-request` and `stick on` (both)
//! in a backend, as HAProxy 2.6's `process_sticking_rules` and
//! `process_store_rules`.
//!
//! Before the server is chosen, the rules run in order: a `match` rule
//! whose key is in its table sends the stream to the server the entry
//! names (by `server_key`, the server's name or `addr:port` per the
//! table's `srvkey`, else by `server_id`) if that server is not in
//! maintenance, and refreshes the entry; the first `store` rule of each
//! table keeps its key aside. Once the stream is connected, every kept key
//! learns the server that took it (`server_id`, `server_key`). The final
//! configuration checks add `server_id` and `server_key` to the tables of
//! `stick` rules, as HAProxy does.
//!
//! Differences: a persistent server that is full is not waited for in
//! its own queue: load balancing picks another (see
//! [`crate::backend::Backend::assign_direct`]).

use std::sync::Arc;

use super::key::eval_key;
use super::TableSet;
use crate::backend::Server;
use crate::config::model_stick::StickRule;
use crate::rules::{eval_opt, RequestView};
use crate::stick::{DataType, Key, SrvKey};
use crate::stream::{sess_flags, Stream};

/// Most keys a stream learns (`s->store[8]` in HAProxy).
const MAX_STORES: usize = 8;

/// Keys to learn the server of once the stream is connected.
#[derive(Debug, Default)]
pub struct Pending {
    stores: Vec<(usize, Key)>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }
}

/// The server a table's `server_key` text names.
fn server_key(srv: &Server, how: SrvKey) -> Arc<str> {
    match how {
        SrvKey::Name => Arc::from(srv.name.as_str()),
        SrvKey::Addr => Arc::from(srv.addr(None).to_string().as_str()),
    }
}

/// Runs the `stick` rules of a backend for a stream about to choose its
/// server: may pin it to a server (`DIRECT`); returns the keys to store.
pub fn on_request(
    tables: &TableSet,
    rules: &[StickRule],
    servers: &[Server],
    s: &mut Stream,
    view: &dyn RequestView,
) -> Pending {
    let mut pending = Pending::default();
    if rules.is_empty() {
        return pending;
    }
    let now = crate::counters::now_ms();
    for r in rules {
        if r.kind.stores() && pending.stores.iter().any(|(t, _)| *t == r.table) {
            continue;
        }
        if !eval_opt(r.cond.as_ref(), view) {
            continue;
        }
        let Some(t) = tables.get(r.table) else {
            continue;
        };
        let how = t.config().srvkey;
        let Some(key) = eval_key(&r.key, &t.config().key_type, view) else {
            continue;
        };
        if r.kind.matches() {
            let found = t.modify_local(&key, now, |e| {
                let by_key = e.dict(DataType::ServerKey).and_then(|k| {
                    servers.iter().position(|srv| match how {
                        SrvKey::Name => srv.name == **k,
                        SrvKey::Addr => srv.addr(None).to_string() == **k,
                    })
                });
                by_key.or_else(|| {
                    let id = e.read(DataType::ServerId, 0)?;
                    servers.iter().position(|srv| i64::from(srv.id) == id)
                })
            });
            if let Some(Some(i)) = found {
                let assigned = s.flags & (sess_flags::ASSIGNED | sess_flags::DIRECT) != 0;
                if !assigned && !servers[i].in_maint() {
                    s.srv = Some(i);
                    s.flags |= sess_flags::DIRECT;
                }
            }
        }
        if r.kind.stores() && pending.stores.len() < MAX_STORES {
            pending.stores.push((r.table, key));
        }
    }
    pending
}

/// The stream reached server `srv`: every kept key learns it.
pub fn store(tables: &TableSet, pending: Pending, srv: &Server) {
    if pending.stores.is_empty() {
        return;
    }
    let now = crate::counters::now_ms();
    for (ti, key) in pending.stores {
        let Some(t) = tables.get(ti) else { continue };
        let name = server_key(srv, t.config().srvkey);
        let _ = t.update_local(key, now, |e| {
            e.set(DataType::ServerId, 0, i64::from(srv.id));
            e.set_dict(DataType::ServerKey, Some(name));
        });
    }
}
