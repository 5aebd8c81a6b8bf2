//! Decoding a PROXY protocol header (v1 text line or v2 binary block)
//! from the first bytes of a connection, without I/O.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The v2 signature: 12 bytes no HTTP, SMTP or TLS client begins with.
pub const V2_SIG: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The longest v1 line, CRLF included (the spec's bound for TCP6).
pub const V1_MAX: usize = 107;
const V1_PREFIX: &[u8] = b"PROXY ";

/// TLV types this proxy reads (the spec's PP2_TYPE_* numbers).
pub const TLV_ALPN: u8 = 0x01;
pub const TLV_AUTHORITY: u8 = 0x02;
pub const TLV_UNIQUE_ID: u8 = 0x05;
pub const TLV_SSL: u8 = 0x20;

/// One type-length-value extension of a v2 header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    pub kind: u8,
    pub value: Vec<u8>,
}

/// A decoded header.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// 1 or 2.
    pub version: u8,
    /// Addresses announced for the client (source) and for what it
    /// connected to (destination); `None` for v1 `UNKNOWN`, the v2 LOCAL
    /// command and address families other than TCP over IPv4/IPv6, where
    /// the connection keeps its real addresses.
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    /// The v2 LOCAL command (a health check of the sender itself).
    pub local: bool,
    pub tlvs: Vec<Tlv>,
}

impl Header {
    /// The value of the first TLV of this type.
    pub fn tlv(&self, kind: u8) -> Option<&[u8]> {
        self.tlvs
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.value.as_slice())
    }

    /// `PP2_TYPE_AUTHORITY`: the host name the client asked for.
    pub fn authority(&self) -> Option<&[u8]> {
        self.tlv(TLV_AUTHORITY)
    }

    /// `PP2_TYPE_UNIQUE_ID`: the sender's unique id of the connection.
    pub fn unique_id(&self) -> Option<&[u8]> {
        self.tlv(TLV_UNIQUE_ID)
    }
}

/// What the bytes received so far hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A prefix of a header: more bytes are needed.
    Incomplete,
    /// A whole header, taking the first `len` bytes.
    Done { header: Header, len: usize },
}

/// Why the bytes can never be a valid header. The variants follow the
/// reasons HAProxy 2.6 gives in its log (see [`PpError::log_text`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PpError {
    /// Neither the v1 `PROXY ` word nor the v2 signature and version.
    NotHeader,
    /// A v1 line with no CR within its 107-byte bound.
    Truncated,
    /// Starts like a header but breaks its grammar (a bad address or
    /// port, an unknown v2 command, a family other than TCP over IP, a
    /// block shorter than its addresses).
    BadHeader,
    /// A TLV overrunning the v2 block: the addresses before it were read
    /// already, and 2.6 logs the failure with them.
    BadTlv(SocketAddr, SocketAddr),
    /// A v1 protocol word other than TCP4, TCP6 and a bare UNKNOWN.
    BadProto,
}

impl PpError {
    /// The reason as HAProxy 2.6 logs it for an embryonic connection.
    pub fn log_text(self) -> &'static str {
        match self {
            PpError::NotHeader => {
                "Received something which does not look like a PROXY protocol header"
            }
            PpError::Truncated => "Truncated PROXY protocol header received",
            PpError::BadHeader | PpError::BadTlv(..) => "Received an invalid PROXY protocol header",
            PpError::BadProto => "Received an unhandled protocol in the PROXY protocol header",
        }
    }

    /// The addresses announced before the error, when there were some.
    pub fn announced(self) -> Option<(SocketAddr, SocketAddr)> {
        match self {
            PpError::BadTlv(s, d) => Some((s, d)),
            _ => None,
        }
    }
}

/// Decodes the header at the start of `buf` (the bytes received so far).
/// Pure and total: any input gives an answer, never a panic.
pub fn decode(buf: &[u8]) -> Result<Decoded, PpError> {
    if buf.starts_with(V1_PREFIX) {
        return decode_v1(buf);
    }
    // As 2.6 decides: anything not yet 16 bytes long may still be a v2
    // block (or a v1 line), whatever its first bytes.
    if buf.len() < 16 {
        return Ok(Decoded::Incomplete);
    }
    if !buf.starts_with(V2_SIG) {
        return Err(PpError::NotHeader);
    }
    decode_v2(buf)
}

/// A v1 line: `PROXY <proto> [<src> <dst> <sport> <dport>]\r\n`.
fn decode_v1(buf: &[u8]) -> Result<Decoded, PpError> {
    // 2.6 looks for the CR in all it received, past the 107 bytes of
    // the spec's longest line (a longer line then fails on its words).
    let Some(cr) = buf.iter().position(|&b| b == b'\r') else {
        // The whole bound received without an end of line is no header;
        // anything shorter may still get its CRLF.
        return if buf.len() >= V1_MAX {
            Err(PpError::Truncated)
        } else {
            Ok(Decoded::Incomplete)
        };
    };
    match buf.get(cr + 1) {
        None => return Ok(Decoded::Incomplete),
        Some(b'\n') => {}
        Some(_) => return Err(PpError::BadHeader),
    }
    let len = cr + 2;
    let line = std::str::from_utf8(&buf[V1_PREFIX.len()..cr]).map_err(|_| PpError::BadHeader)?;
    // The spec lets UNKNOWN carry anything up to the end of line; 2.6
    // takes only a bare UNKNOWN and calls the rest an unhandled protocol.
    if line == "UNKNOWN" {
        let header = Header {
            version: 1,
            ..Header::default()
        };
        return Ok(Decoded::Done { header, len });
    }
    let mut words = line.split(' ');
    let v6 = match words.next() {
        Some("TCP4") => false,
        Some("TCP6") => true,
        _ => return Err(PpError::BadProto),
    };
    let mut next = || words.next().ok_or(PpError::BadHeader);
    let (src, dst) = (v1_ip(next()?, v6)?, v1_ip(next()?, v6)?);
    let (sport, dport) = (v1_port(next()?)?, v1_port(next()?)?);
    if words.next().is_some() {
        return Err(PpError::BadHeader);
    }
    let header = Header {
        version: 1,
        src: Some(SocketAddr::new(src, sport)),
        dst: Some(SocketAddr::new(dst, dport)),
        ..Header::default()
    };
    Ok(Decoded::Done { header, len })
}

fn v1_ip(word: &str, v6: bool) -> Result<IpAddr, PpError> {
    let ip = if v6 {
        word.parse::<Ipv6Addr>().map(IpAddr::V6)
    } else {
        word.parse::<Ipv4Addr>().map(IpAddr::V4)
    };
    ip.map_err(|_| PpError::BadHeader)
}

/// Decimal digits only; 2.6 keeps the low 16 bits of a larger number
/// (`99999999` is port 57599) rather than refusing it.
fn v1_port(word: &str) -> Result<u16, PpError> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PpError::BadHeader);
    }
    let wide = word.bytes().fold(0u32, |n, d| {
        n.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
    });
    Ok((wide & 0xffff) as u16)
}

/// A v2 block: signature, version/command, family/transport, length,
/// addresses, then TLVs up to the length.
fn decode_v2(buf: &[u8]) -> Result<Decoded, PpError> {
    if buf.len() < 16 {
        return Ok(Decoded::Incomplete);
    }
    let (ver_cmd, fam) = (buf[12], buf[13]);
    let body_len = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if ver_cmd >> 4 != 2 {
        return Err(PpError::NotHeader);
    }
    let local = match ver_cmd & 0x0f {
        0 => true,
        1 => false,
        _ => return Err(PpError::BadHeader),
    };
    let len = 16 + body_len;
    let Some(body) = buf.get(16..len) else {
        return Ok(Decoded::Incomplete);
    };
    // The LOCAL command keeps the connection's own addresses, whatever
    // the block says; with PROXY, 2.6 takes only TCP over IPv4 or IPv6.
    let (addrs, addr_len) = match (local, fam) {
        (true, _) => (None, v2_addr_len(fam).min(body.len())),
        (false, 0x11) => (Some(v2_inet4(body)?), 12),
        (false, 0x21) => (Some(v2_inet6(body)?), 36),
        (false, _) => return Err(PpError::BadHeader),
    };
    // 2.6 reads no TLV of a LOCAL block (nor checks them).
    let tlvs = if local {
        Vec::new()
    } else {
        v2_tlvs(&body[addr_len..]).map_err(|e| match addrs {
            Some((s, d)) => PpError::BadTlv(s, d),
            None => e,
        })?
    };
    let header = Header {
        version: 2,
        src: addrs.map(|a| a.0),
        dst: addrs.map(|a| a.1),
        local,
        tlvs,
    };
    Ok(Decoded::Done { header, len })
}

/// The size of the address block of a family byte.
fn v2_addr_len(fam: u8) -> usize {
    match fam >> 4 {
        1 => 12,
        2 => 36,
        3 => 216,
        _ => 0,
    }
}

fn v2_inet4(body: &[u8]) -> Result<(SocketAddr, SocketAddr), PpError> {
    let a = body.get(..12).ok_or(PpError::BadHeader)?;
    let ip = |i: usize| Ipv4Addr::new(a[i], a[i + 1], a[i + 2], a[i + 3]);
    let port = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
    Ok((
        SocketAddr::new(IpAddr::V4(ip(0)), port(8)),
        SocketAddr::new(IpAddr::V4(ip(4)), port(10)),
    ))
}

fn v2_inet6(body: &[u8]) -> Result<(SocketAddr, SocketAddr), PpError> {
    let a = body.get(..36).ok_or(PpError::BadHeader)?;
    let ip = |i: usize| {
        let mut o = [0u8; 16];
        o.copy_from_slice(&a[i..i + 16]);
        Ipv6Addr::from(o)
    };
    let port = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
    Ok((
        SocketAddr::new(IpAddr::V6(ip(0)), port(32)),
        SocketAddr::new(IpAddr::V6(ip(16)), port(34)),
    ))
}

/// The TLVs filling the rest of the block; one running past its end
/// makes the whole header invalid.
fn v2_tlvs(mut rest: &[u8]) -> Result<Vec<Tlv>, PpError> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 3 {
            return Err(PpError::BadHeader);
        }
        let n = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
        let value = rest.get(3..3 + n).ok_or(PpError::BadHeader)?;
        out.push(Tlv {
            kind: rest[0],
            value: value.to_vec(),
        });
        rest = &rest[3 + n..];
    }
    Ok(out)
}
