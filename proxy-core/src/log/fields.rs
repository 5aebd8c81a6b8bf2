//! Pieces of a log record: the client address and the connection
//! counters (`%ac/%fc/%bc/%sc/%rc %sq/%bq`).

use std::fmt;
use std::net::SocketAddr;

/// Who the client is, as `%ci:%cp` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAddr {
    /// An IP client: `127.0.0.1:57230`, and IPv6 without brackets, `::1:57230`,
    /// which is what HAProxy prints (ambiguous, but log parsers expect it).
    Inet(SocketAddr),
    /// A client on a unix-socket listener: there is no address, so the IP
    /// part is `unix` and the port part is the listener's numeric id.
    Unix { listener_id: u32 },
    /// Unknown family (e.g. an abstract socket or a closed connection).
    Unknown,
}

impl fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Print the bare IP then the port; `SocketAddr`'s own Display would
            // bracket IPv6 addresses.
            ClientAddr::Inet(sa) => write!(f, "{}:{}", sa.ip(), sa.port()),
            ClientAddr::Unix { listener_id } => write!(f, "unix:{listener_id}"),
            ClientAddr::Unknown => f.write_str("-:-"),
        }
    }
}

impl From<SocketAddr> for ClientAddr {
    fn from(sa: SocketAddr) -> Self {
        ClientAddr::Inet(sa)
    }
}

/// `%ac/%fc/%bc/%sc/%rc %sq/%bq`: load figures taken when the line is built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCounters {
    /// Connections in the whole process.
    pub actconn: u32,
    /// Connections on the frontend.
    pub feconn: u32,
    /// Connections on the backend.
    pub beconn: u32,
    /// Connections on the server.
    pub srv_conn: u32,
    /// Connection retries.
    pub retries: u32,
    /// The stream was redispatched to another server; prints `+N`.
    pub redispatched: bool,
    /// Streams queued on the server when this one left its queue.
    pub srv_queue: u32,
    /// Streams queued on the backend.
    pub be_queue: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_addresses() {
        let v4: SocketAddr = "127.0.0.1:57230".parse().unwrap();
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:9".parse().unwrap();
        assert_eq!(ClientAddr::from(v4).to_string(), "127.0.0.1:57230");
        assert_eq!(ClientAddr::from(v6).to_string(), "::1:8080");
        assert_eq!(ClientAddr::from(mapped).to_string(), "::ffff:10.0.0.1:9");
        assert_eq!(ClientAddr::Unix { listener_id: 1 }.to_string(), "unix:1");
        assert_eq!(ClientAddr::Unknown.to_string(), "-:-");
    }
}
