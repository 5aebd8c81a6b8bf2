//! Stream interfaces: one side of a stream, with its state and endpoint.
//!
//! The names and numbers follow HAProxy's stream interface at the seed
//! commit, because `show sess` prints them and users read them there.

use std::sync::Arc;

use super::endpoint::{AppCtx, Applet, Endpoint};
use crate::connection::Connection;
use crate::pool::{AllocError, Pool};

/// Stream interface states, in HAProxy's order (comparisons use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum SiState {
    /// Nothing yet.
    #[default]
    Ini = 0,
    /// A server connection was requested.
    Req = 1,
    /// Waiting in a queue for a server slot.
    Que = 2,
    /// Turn-around delay before a retry.
    Tar = 3,
    /// A server is assigned; connect next.
    Ass = 4,
    /// Connecting.
    Con = 5,
    /// The connect failed.
    Cer = 6,
    /// Established.
    Est = 7,
    /// Disconnecting.
    Dis = 8,
    /// Closed.
    Clo = 9,
}

impl SiState {
    pub fn name(self) -> &'static str {
        [
            "INI", "REQ", "QUE", "TAR", "ASS", "CON", "CER", "EST", "DIS", "CLO",
        ][self as usize]
    }
}

/// Stream interface flags (HAProxy's `SI_FL_*` at the seed).
pub mod si_flags {
    /// Waiting for data from its endpoint (an applet that was just
    /// registered); shown in `show sess`.
    pub const WAIT_DATA: u32 = 0x0008;
}

pub use crate::error::err_type;

/// Why `alloc_conn` could not give a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocConnError {
    /// An applet holds this stream interface.
    AppletHolds,
    /// The connection pool refused (cap or injected failure).
    Resource(AllocError),
}

/// One side of a stream.
#[derive(Debug, Default)]
pub struct StreamInterface {
    pub state: SiState,
    pub prev_state: SiState,
    pub flags: u32,
    pub err_type: u32,
    /// Connect attempts left.
    pub conn_retries: i32,
    endpoint: Endpoint,
    /// The live-stream record this side reports to (`show sess`), and
    /// which side it is there.
    live: Option<(Arc<super::live::LiveStream>, u8)>,
}

impl StreamInterface {
    /// A stream interface in INI with no endpoint (HAProxy's `si_reset`).
    pub fn new() -> StreamInterface {
        StreamInterface::default()
    }

    /// A client-side stream interface: established on an accepted connection.
    pub fn with_conn(conn: Box<Connection>) -> StreamInterface {
        let mut si = StreamInterface::new();
        si.state = SiState::Est;
        si.prev_state = SiState::Est;
        si.endpoint = Endpoint::Conn(conn);
        si
    }

    /// Links this side to its live-stream record (`show sess`).
    pub fn set_live(&mut self, live: Arc<super::live::LiveStream>, side: u8) {
        self.live = Some((live, side));
        self.sync();
    }

    /// Copies state, flags and endpoint type into the live record.
    fn sync(&self) {
        if let Some((l, side)) = &self.live {
            l.si[usize::from(*side & 1)].sync(
                self.state,
                self.flags,
                self.err_type,
                &self.endpoint,
            );
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn endpoint_mut(&mut self) -> &mut Endpoint {
        &mut self.endpoint
    }

    pub fn conn(&self) -> Option<&Connection> {
        self.endpoint.conn()
    }

    pub fn conn_mut(&mut self) -> Option<&mut Connection> {
        self.endpoint.conn_mut()
    }

    pub fn set_state(&mut self, state: SiState) {
        self.prev_state = self.state;
        self.state = state;
        self.sync();
    }

    /// Returns the connection already attached, or allocates one from `pool`
    /// and attaches it. This is the only way the server side gets a
    /// connection, and it is called on the first touch of its address.
    /// Fails when an applet holds the interface or the pool refuses.
    pub fn alloc_conn(&mut self, pool: &Arc<Pool>) -> Result<&mut Connection, AllocConnError> {
        if let Endpoint::None = self.endpoint {
            // An idle server connection gives way if the pool is full.
            let conn = crate::idle::alloc_connection(pool).map_err(AllocConnError::Resource)?;
            self.endpoint = Endpoint::Conn(conn);
            self.sync();
        }
        match &mut self.endpoint {
            Endpoint::Conn(c) => Ok(c),
            _ => Err(AllocConnError::AppletHolds),
        }
    }

    /// Attaches an existing connection (one taken back from the idle pool),
    /// freeing whatever endpoint was there.
    pub fn attach_conn(&mut self, conn: Box<Connection>) {
        self.endpoint = Endpoint::Conn(conn);
        self.sync();
    }

    /// Detaches the connection to hand it to a new owner (the idle pool);
    /// anything else attached is freed.
    pub fn take_conn(&mut self) -> Option<Box<Connection>> {
        let r = match std::mem::take(&mut self.endpoint) {
            Endpoint::Conn(c) => Some(c),
            _ => None,
        };
        self.sync();
        r
    }

    /// Detaches and frees the endpoint, whatever it is (HAProxy's
    /// `si_release_endpoint`): a connection is closed and given back to its
    /// pool, an applet's release hook runs.
    pub fn release_endpoint(&mut self) {
        self.endpoint = Endpoint::None;
        self.sync();
    }

    /// Attaches an applet, first freeing any endpoint already there (a
    /// connection that was allocated before the applet was chosen).
    pub fn register_handler(&mut self, applet: Box<dyn Applet>) {
        self.release_endpoint();
        self.endpoint = Endpoint::Applet(AppCtx::new(applet));
        self.flags |= si_flags::WAIT_DATA;
        self.sync();
    }

    /// Detaches the applet (and anything else that was attached).
    pub fn unregister_handler(&mut self) {
        self.release_endpoint();
    }

    /// Back to INI with no endpoint, as between two HTTP transactions.
    pub fn reset(&mut self) {
        self.release_endpoint();
        self.state = SiState::Ini;
        self.prev_state = SiState::Ini;
        self.flags = 0;
        self.err_type = err_type::NONE;
        self.conn_retries = 0;
        self.sync();
    }
}
