//! What fetches see of an HTTP stream beyond its messages
//! ([`StreamInfo`]): the proxies, server and listener by name and id, the
//! variables, the captures, the unique id, the buffered body, the load
//! figures of backends and servers, and the TLS facts of both connections.

use super::txn::Txn;
use super::Ctx;
use crate::rules::fetch::{Load, Named};
use crate::rules::StreamInfo;
use crate::sample::vars::VarStore;
use crate::state::{Proxy, State};
use crate::stream::Stream;
use crate::tls::conn::TlsCell;
use crate::tls::info::TlsInfo;

/// One stream's facts, borrowed for the time rules run.
pub struct Facts<'a> {
    pub st: &'a State,
    pub fe: &'a Proxy,
    pub be: Option<usize>,
    pub srv: Option<usize>,
    pub listener_id: u32,
    pub vars: &'a VarStore,
    pub unique_id: Option<&'a [u8]>,
    pub req_captures: &'a [Vec<u8>],
    pub res_captures: &'a [Vec<u8>],
    pub body: Option<&'a [u8]>,
    /// The TLS facts of the client and server connections.
    pub tls: [Option<TlsCell>; 2],
    /// The PROXY header the client connection arrived with.
    pub pp: Option<std::sync::Arc<crate::proxy_proto::Header>>,
}

impl<'a> Facts<'a> {
    /// The facts of stream `s` in transaction `txn`.
    pub(super) fn of(ctx: &Ctx<'a>, s: &'a Stream, txn: Option<&'a Txn>) -> Facts<'a> {
        Facts {
            st: ctx.st,
            fe: ctx.fe,
            be: s.be.or(txn.and_then(|t| t.backend)),
            srv: s.srv,
            listener_id: ctx.listener_id,
            vars: &s.vars,
            unique_id: txn.and_then(|t| t.unique_id.as_deref()),
            req_captures: txn.map_or(&[], |t| &t.req_captures),
            res_captures: txn.map_or(&[], |t| &t.res_captures),
            body: None,
            tls: s.tls_cells(),
            pp: s.si[0].conn().and_then(|c| c.pp.clone()),
        }
    }

    /// The same facts with the buffered request body (`req.body`).
    pub(super) fn with_body(mut self, body: Option<&'a [u8]>) -> Facts<'a> {
        self.body = body;
        self
    }

    fn backend(&self, name: Option<&str>) -> Option<&'a Proxy> {
        let idx = match name {
            Some(n) => self.st.backend_index(n)?,
            None => self.be.or_else(|| self.fe.fe.as_ref()?.backend)?,
        };
        self.st.proxies.get(idx)
    }

    /// The name of the listener the client came in on (`bind ... name`).
    fn bind_name(&self) -> Option<&'a str> {
        let mut first = 1u32;
        for b in &self.fe.cfg.binds {
            let n = b.addrs.len() as u32;
            if (first..first + n).contains(&self.listener_id) {
                return b.name.as_deref();
            }
            first += n;
        }
        None
    }
}

impl StreamInfo for Facts<'_> {
    fn proxy_header(&self) -> Option<&crate::proxy_proto::Header> {
        self.pp.as_deref()
    }

    fn vars(&self) -> Option<&VarStore> {
        Some(self.vars)
    }

    fn named(&self, which: Named) -> Option<(&str, i64)> {
        match which {
            Named::Frontend => Some((&self.fe.name, i64::from(self.fe.cfg.id))),
            Named::Backend => {
                let p = self.st.proxies.get(self.be?)?;
                Some((&p.name, i64::from(p.cfg.id)))
            }
            Named::Server => {
                let p = self.st.proxies.get(self.be?)?;
                let srv = p.be.as_ref()?.servers.get(self.srv?)?;
                Some((&srv.name, i64::from(srv.id)))
            }
            Named::Bind => Some((self.bind_name().unwrap_or(""), i64::from(self.listener_id))),
        }
    }

    fn unique_id(&self) -> Option<&[u8]> {
        self.unique_id
    }

    fn capture(&self, res: bool, idx: u32) -> Option<&[u8]> {
        let list = if res {
            self.res_captures
        } else {
            self.req_captures
        };
        list.get(idx as usize).map(Vec::as_slice)
    }

    fn body(&self) -> Option<&[u8]> {
        self.body
    }

    fn load(&self, what: Load, backend: Option<&str>, server: Option<&str>) -> Option<i64> {
        let p = self.backend(backend)?;
        let be = p.be.as_ref()?;
        let queued = i64::from(be.queued.load(std::sync::atomic::Ordering::Relaxed));
        let srv = || be.servers.iter().find(|s| Some(s.name.as_str()) == server);
        Some(match what {
            Load::BeConn => i64::from(be.counters.cur()),
            Load::Queue => queued,
            Load::AvgQueue => {
                let n = i64::from(be.usable_count());
                if n == 0 {
                    queued
                } else {
                    (queued + n - 1) / n
                }
            }
            Load::ConnSlots => {
                let mut slots = 0i64;
                for s in be.servers.iter().filter(|s| !s.in_maint()) {
                    let max = s.maxconn.load(std::sync::atomic::Ordering::Relaxed);
                    if max == 0 {
                        return Some(-1);
                    }
                    let cur = s.cur_sess.load(std::sync::atomic::Ordering::Relaxed);
                    slots += i64::from(max.saturating_sub(cur));
                }
                slots
            }
            Load::SrvConn => i64::from(srv()?.cur_sess.load(std::sync::atomic::Ordering::Relaxed)),
            Load::SrvIsUp => i64::from(!srv()?.in_maint()),
        })
    }

    fn threads(&self) -> (u32, u32) {
        let n = self.st.config.global.nbthread.max(1) as u32;
        (n, crate::stream::live::worker_index().unwrap_or(0) as u32)
    }

    fn stopping(&self) -> bool {
        self.st.is_stopping()
    }

    fn tls(&self, back: bool) -> Option<&TlsInfo> {
        self.tls[usize::from(back)].as_ref()?.get()
    }

    fn userlist(&self, name: &str) -> Option<&crate::auth::Userlist> {
        self.st.config.userlists.iter().find(|u| u.name == name)
    }

    fn uses_proxy_header(&self) -> bool {
        self.fe.cfg.options.use_proxy_header
    }
}
