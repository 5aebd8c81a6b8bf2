//! Streams: what HAProxy calls a session, a client connection paired with
//! whatever serves it.
//!
//! - [`endpoint`]: `Endpoint::{None, Conn, Applet}` and the applet trait.
//! - [`si`]: stream interfaces, their states, flags and `alloc_conn`.
//! - [`side`]: what a stream moves bytes with: a socket or an applet pipe
//!   ([`applet_pipe`]), behind one trait.
//! - [`recvbuf`]: receive buffers and write helpers on a side.
//! - [`mover`]: one direction of bytes (an HTTP body, or until close).
//! - [`forward`]: the full-duplex driver over two sides (TCP streams, TCP
//!   services, the CLI, peer sessions, tunnels).
//! - this file: the [`Stream`] with its two interfaces, its backend and server,
//!   session flags and log timers.
//!
//! The endpoint ownership rules of ARCHITECTURE.md hold by construction:
//! the client connection exists before the stream and is freed with it when
//! the stream cannot be made (rule 1); si[1] starts empty (2); only
//! `alloc_conn` gives it a connection and it returns the existing one (3, 4);
//! a new transaction releases it (5); `register_handler` frees what was there
//! (6); dropping a stream drops both endpoints (7).

pub mod applet_pipe;
pub mod endpoint;
pub mod forward;
pub mod live;
pub mod mover;
pub mod recvbuf;
pub mod si;
pub mod side;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::connection::Connection;
use crate::error::ProxyError;
use crate::log::termination::{ErrCause, FinState};
use crate::pool::{AllocError, Pool, PoolSlot};
use crate::sample::vars::VarStore;
pub use endpoint::{AppCtx, Applet, AppletIo, AppletWait, Endpoint};
pub use si::{AllocConnError, SiState, StreamInterface};

/// Session flags (HAProxy's `SF_*`), the ones this proxy sets.
pub mod sess_flags {
    /// The server was chosen by persistence.
    pub const DIRECT: u32 = 0x0000_0001;
    /// A server is assigned (`target` is valid).
    pub const ASSIGNED: u32 = 0x0000_0002;
    /// The server-side connection's destination address is set.
    pub const ADDR_SET: u32 = 0x0000_0004;
    /// A backend was chosen.
    pub const BE_ASSIGNED: u32 = 0x0000_0008;
    /// The stream is counted in its server's current sessions.
    pub const CURR_SESS: u32 = 0x0000_0040;
    /// The last retry went to another server.
    pub const REDISP: u32 = 0x0000_0100;
    /// `force-persist` matched: persistence may use a DOWN server and the
    /// stream is never redispatched.
    pub const FORCE_PRST: u32 = 0x0000_0200;
}

/// Timestamps of a stream's life, for the log's timers.
#[derive(Debug, Clone, Copy)]
pub struct LogTimers {
    pub accept_date: SystemTime,
    pub accept: Instant,
    /// When the stream left the queue (a server slot was granted).
    pub queued: Option<Instant>,
    /// When the server connection was established.
    pub connected: Option<Instant>,
}

impl LogTimers {
    pub fn now() -> LogTimers {
        LogTimers {
            accept_date: SystemTime::now(),
            accept: Instant::now(),
            queued: None,
            connected: None,
        }
    }

    /// Milliseconds from `a` to `b`, `-1` if `b` never happened.
    pub fn ms(a: Instant, b: Option<Instant>) -> i64 {
        b.map_or(-1, |b| b.saturating_duration_since(a).as_millis() as i64)
    }
}

/// A stream: two stream interfaces and what flows between them.
#[derive(Debug)]
pub struct Stream {
    pub uniq_id: u64,
    /// si[0] is the client side, si[1] the server side.
    pub si: [StreamInterface; 2],
    pub flags: u32,
    /// How the stream ended, when not normally (the first end wins).
    end: Option<ProxyError>,
    /// Frontend proxy index.
    pub fe: usize,
    pub be: Option<usize>,
    pub srv: Option<usize>,
    pub timers: LogTimers,
    /// The live-stream record (`show sess`); its id is the stream's.
    pub live: Arc<live::LiveStream>,
    /// Its variables (`sess.`, `txn.`, `req.`, `res.`, and `proc.`).
    pub vars: VarStore,
    _slot: PoolSlot,
}

impl Stream {
    /// The cells of the TLS facts of the client (0) and server (1)
    /// connections, for rules that run while the stream moves bytes.
    pub fn tls_cells(&self) -> [Option<crate::tls::conn::TlsCell>; 2] {
        [0, 1].map(|i| self.si[i].conn().and_then(Connection::tls_cell))
    }

    /// Makes a stream around an accepted client connection, reporting to
    /// its live record `live` (registered at accept). If the stream
    /// pool refuses, the connection is handed back so the caller can answer
    /// (an HTTP frontend writes a 500) before dropping it, which closes it
    /// and returns it to its pool (rule 1).
    pub fn new(
        pool: &Arc<Pool>,
        client: Box<Connection>,
        fe: usize,
        live: Arc<live::LiveStream>,
    ) -> Result<Stream, (Box<Connection>, AllocError)> {
        let slot = match pool.take() {
            Ok(s) => s,
            Err(e) => return Err((client, e)),
        };
        Ok(Stream::build(
            slot,
            [StreamInterface::with_conn(client), StreamInterface::new()],
            fe,
            live,
        ))
    }

    /// Makes a stream with nothing on either side yet: one the proxy opens
    /// itself, whose client side is an applet (a peers session).
    pub fn without_client(
        pool: &Arc<Pool>,
        fe: usize,
        live: Arc<live::LiveStream>,
    ) -> Result<Stream, AllocError> {
        let slot = pool.take()?;
        Ok(Stream::build(
            slot,
            [StreamInterface::new(), StreamInterface::new()],
            fe,
            live,
        ))
    }

    fn build(
        slot: PoolSlot,
        mut si: [StreamInterface; 2],
        fe: usize,
        live: Arc<live::LiveStream>,
    ) -> Stream {
        si[0].set_live(live.clone(), 0);
        si[1].set_live(live.clone(), 1);
        Stream {
            uniq_id: live.id,
            si,
            flags: 0,
            end: None,
            fe,
            be: None,
            srv: None,
            timers: LogTimers::now(),
            live,
            vars: VarStore::default(),
            _slot: slot,
        }
    }

    /// Records how the stream ends; the first end recorded wins, as the
    /// first cause does in HAProxy. Its kind also marks si[1]'s error type.
    pub fn end_with(&mut self, e: ProxyError) {
        if self.end.is_none() {
            self.si[1].err_type |= e.si_err_type();
            self.end = Some(e);
        }
    }

    /// How the stream ended, if not normally.
    pub fn end(&self) -> Option<&ProxyError> {
        self.end.as_ref()
    }

    pub fn err(&self) -> ErrCause {
        self.end
            .as_ref()
            .map_or(ErrCause::None, ProxyError::err_cause)
    }

    /// The final state: the end's phase, else derived from si[1]'s state
    /// (HAProxy's `sess_set_term_flags`).
    pub fn finst(&self) -> FinState {
        let Some(e) = &self.end else {
            return FinState::None;
        };
        if e.phase() != FinState::None {
            return e.phase();
        }
        let si = &self.si[1];
        match si.state {
            s if s < SiState::Req => FinState::R,
            SiState::Que => FinState::Q,
            s if s < SiState::Est => FinState::C,
            SiState::Est => FinState::D,
            _ if si.prev_state == SiState::Est => FinState::D,
            _ => FinState::L,
        }
    }

    /// Ends one HTTP transaction on a kept-alive client connection: the
    /// server side is released and goes back to INI, so the next request
    /// allocates afresh (rule 5).
    pub fn new_transaction(&mut self) {
        self.si[1].reset();
        self.flags &= !(sess_flags::DIRECT
            | sess_flags::ASSIGNED
            | sess_flags::ADDR_SET
            | sess_flags::BE_ASSIGNED
            | sess_flags::CURR_SESS
            | sess_flags::REDISP
            | sess_flags::FORCE_PRST);
        self.end = None;
        self.timers = LogTimers::now();
        self.vars.end_txn();
        self.sync_live();
    }

    /// Copies the backend, server and flags into the live record.
    pub fn sync_live(&self) {
        self.live.set_target(
            self.be,
            self.srv,
            self.flags & sess_flags::ASSIGNED != 0,
            self.flags,
        );
    }

    /// Age of the stream, for `show sess`.
    pub fn age(&self) -> Duration {
        self.timers.accept.elapsed()
    }
}

#[cfg(test)]
mod tests;
