//! Encoding the PROXY header sent to a server (`send-proxy`,
//! `send-proxy-v2`), from the client connection's addresses.

use std::net::{IpAddr, SocketAddr};

use super::decode::{TLV_AUTHORITY, TLV_UNIQUE_ID, V2_SIG};

/// A v1 line for a client `src` that connected to `dst`. Mixed families
/// are sent as IPv6 (the IPv4 end mapped), and unknown ends (a unix
/// socket) as `UNKNOWN`, so the receiver keeps its own addresses.
pub fn encode_v1(src: Option<SocketAddr>, dst: Option<SocketAddr>) -> Vec<u8> {
    let (Some(s), Some(d)) = (src, dst) else {
        return b"PROXY UNKNOWN\r\n".to_vec();
    };
    let line = match (s.ip(), d.ip()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            format!("PROXY TCP4 {a} {b} {} {}\r\n", s.port(), d.port())
        }
        (a, b) => format!(
            "PROXY TCP6 {} {} {} {}\r\n",
            v6(a),
            v6(b),
            s.port(),
            d.port()
        ),
    };
    line.into_bytes()
}

fn v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// The TLVs `proxy-v2-options` asks for, already known by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct V2Options {
    /// The LOCAL command: a health check speaking for itself.
    pub local: bool,
    pub authority: Option<Vec<u8>>,
    pub unique_id: Option<Vec<u8>>,
}

/// A v2 block. Without both ends known (a unix client) the family is
/// UNSPEC, so the receiver keeps its own addresses.
pub fn encode_v2(src: Option<SocketAddr>, dst: Option<SocketAddr>, opts: &V2Options) -> Vec<u8> {
    let mut body = Vec::with_capacity(64);
    let fam = match (src, dst) {
        _ if opts.local => 0x00,
        (Some(s), Some(d)) => match (s.ip(), d.ip()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                body.extend_from_slice(&a.octets());
                body.extend_from_slice(&b.octets());
                body.extend_from_slice(&s.port().to_be_bytes());
                body.extend_from_slice(&d.port().to_be_bytes());
                0x11
            }
            (a, b) => {
                body.extend_from_slice(&v6(a).octets());
                body.extend_from_slice(&v6(b).octets());
                body.extend_from_slice(&s.port().to_be_bytes());
                body.extend_from_slice(&d.port().to_be_bytes());
                0x21
            }
        },
        _ => 0x00,
    };
    for (kind, value) in [
        (TLV_AUTHORITY, &opts.authority),
        (TLV_UNIQUE_ID, &opts.unique_id),
    ] {
        if let Some(v) = value {
            // A value longer than a TLV can say is cut, not sent broken.
            let v = &v[..v.len().min(usize::from(u16::MAX) - 64)];
            body.push(kind);
            body.extend_from_slice(&(v.len() as u16).to_be_bytes());
            body.extend_from_slice(v);
        }
    }
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(V2_SIG);
    out.push(if opts.local { 0x20 } else { 0x21 });
    out.push(fam);
    let len = u16::try_from(body.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    out
}
