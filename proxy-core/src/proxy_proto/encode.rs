//! Encoding the PROXY header sent to a server (`send-proxy`,
//! `send-proxy-v2`), from the client connection's addresses.

use std::net::{IpAddr, SocketAddr};

use super::decode::{TLV_ALPN, TLV_AUTHORITY, TLV_SSL, TLV_UNIQUE_ID, V2_SIG};

/// PP2_TYPE_CRC32C.
pub const TLV_CRC32C: u8 = 0x03;

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
    /// A CRC32C TLV checks the whole block.
    pub crc32c: bool,
    /// The client's negotiated ALPN protocol.
    pub alpn: Option<Vec<u8>>,
    pub authority: Option<Vec<u8>>,
    pub unique_id: Option<Vec<u8>>,
    /// The SSL TLV's value (client flags, verify result, sub-TLVs).
    pub ssl: Option<Vec<u8>>,
}

/// A v2 block, TLVs in HAProxy's order (CRC32C, ALPN, authority, unique
/// id, SSL). Without both ends known (a unix client), or for LOCAL, the
/// command is LOCAL with no address, so the receiver keeps its own.
pub fn encode_v2(src: Option<SocketAddr>, dst: Option<SocketAddr>, opts: &V2Options) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(V2_SIG);
    out.extend_from_slice(&[0x20, 0x00, 0, 0]);
    match (src, dst) {
        (Some(s), Some(d)) if !opts.local => {
            out[12] = 0x21;
            out[13] = match (s.ip(), d.ip()) {
                (IpAddr::V4(a), IpAddr::V4(b)) => {
                    out.extend_from_slice(&a.octets());
                    out.extend_from_slice(&b.octets());
                    0x11
                }
                (a, b) => {
                    out.extend_from_slice(&v6(a).octets());
                    out.extend_from_slice(&v6(b).octets());
                    0x21
                }
            };
            out.extend_from_slice(&s.port().to_be_bytes());
            out.extend_from_slice(&d.port().to_be_bytes());
        }
        _ => {}
    }
    let crc_at = opts.crc32c.then(|| {
        push_tlv(&mut out, TLV_CRC32C, &[0; 4]);
        out.len() - 4
    });
    for (kind, value) in [
        (TLV_ALPN, &opts.alpn),
        (TLV_AUTHORITY, &opts.authority),
        (TLV_UNIQUE_ID, &opts.unique_id),
        (TLV_SSL, &opts.ssl),
    ] {
        if let Some(v) = value {
            push_tlv(&mut out, kind, v);
        }
    }
    let len = u16::try_from(out.len() - 16).unwrap_or(u16::MAX);
    out[14..16].copy_from_slice(&len.to_be_bytes());
    if let Some(at) = crc_at {
        let crc = crc32c(&out);
        out[at..at + 4].copy_from_slice(&crc.to_be_bytes());
    }
    out
}

/// Appends one TLV; a value longer than a TLV can say is cut, not sent
/// broken.
pub fn push_tlv(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
    let v = &value[..value.len().min(usize::from(u16::MAX) - 512)];
    out.push(kind);
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(v);
}

/// CRC-32C (Castagnoli), the checksum of the CRC32C TLV.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82F6_3B78 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod crc_tests {
    #[test]
    fn crc32c_check_value() {
        assert_eq!(super::crc32c(b"123456789"), 0xE306_9283);
    }
}
