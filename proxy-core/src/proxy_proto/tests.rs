//! Decoder and encoder tests, malformed input among them.

use super::decode::{TLV_AUTHORITY, TLV_UNIQUE_ID, V1_MAX, V2_SIG};
use super::*;
use std::net::SocketAddr;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn done(buf: &[u8]) -> (Header, usize) {
    match decode(buf) {
        Ok(Decoded::Done { header, len }) => (header, len),
        other => panic!("not a whole header: {other:?}"),
    }
}

#[test]
fn v1_tcp4_and_what_follows_stays() {
    let buf = b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET / HTTP/1.1\r\n";
    let (h, len) = done(buf);
    assert_eq!(&buf[len..len + 3], b"GET");
    assert_eq!(h.version, 1);
    assert_eq!(h.src, Some(addr("192.0.2.1:56324")));
    assert_eq!(h.dst, Some(addr("198.51.100.2:443")));
}

#[test]
fn v1_tcp6_and_unknown() {
    let (h, _) = done(b"PROXY TCP6 2001:db8::1 ::1 1 65535\r\n");
    assert_eq!(h.src, Some(addr("[2001:db8::1]:1")));
    assert_eq!(h.dst, Some(addr("[::1]:65535")));
    let (h, len) = done(b"PROXY UNKNOWN\r\n");
    assert_eq!((h.src, len), (None, 15));
    // 2.6 refuses what the spec allows after UNKNOWN.
    let e = decode(b"PROXY UNKNOWN ffff::1 ::1 1 2\r\n");
    assert_eq!(e, Err(PpError::BadProto));
    // Ports wrap as 2.6 wraps them.
    let (h, _) = done(b"PROXY TCP4 1.2.3.4 5.6.7.8 99999999 01\r\n");
    assert_eq!(h.src, Some(addr("1.2.3.4:57599")));
    assert_eq!(h.dst, Some(addr("5.6.7.8:1")));
}

#[test]
fn prefixes_are_incomplete() {
    let full = b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
    for n in 0..full.len() {
        assert_eq!(decode(&full[..n]), Ok(Decoded::Incomplete), "{n}");
    }
    let v2 = encode_v2(
        Some(addr("1.2.3.4:1")),
        Some(addr("5.6.7.8:2")),
        &V2Options::default(),
    );
    for n in 0..v2.len() {
        assert_eq!(decode(&v2[..n]), Ok(Decoded::Incomplete), "{n}");
    }
}

#[test]
fn v1_malformed() {
    // No CRLF within the 107-byte bound.
    let mut long = b"PROXY TCP4 ".to_vec();
    long.resize(V1_MAX, b'1');
    assert_eq!(decode(&long), Err(PpError::Truncated));
    assert_eq!(decode(&long[..V1_MAX - 1]), Ok(Decoded::Incomplete));
    // A CR past the bound: the line is read, and its words are wrong.
    long.extend_from_slice(b"\r\n");
    assert_eq!(decode(&long), Err(PpError::BadHeader));
    for bad in [
        &b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"[..],
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
        b"PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n",
        b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
        b"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
        b"PROXY TCP6 ::1 1.2.3.4 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
    ] {
        assert_eq!(decode(bad), Err(PpError::BadHeader), "{bad:?}");
    }
    assert_eq!(
        decode(b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"),
        Err(PpError::BadProto)
    );
}

#[test]
fn bad_signatures() {
    for bad in [
        &b"GET / HTTP/1.0\r\n\r\n"[..],
        b"\r\n\r\n\0\r\nQUIT!abcdefgh",
    ] {
        assert_eq!(decode(bad), Err(PpError::NotHeader), "{bad:?}");
    }
    // Under 16 bytes 2.6 waits (and calls it truncated), whatever they are.
    for short in [&b"GET / HT"[..], b"PROXY\r\n", b"\x16\x03\x01"] {
        assert_eq!(decode(short), Ok(Decoded::Incomplete), "{short:?}");
    }
    // A version other than 2 after the signature is no header either.
    assert_eq!(decode(&v2(0x11, 0x11, &[1; 12])), Err(PpError::NotHeader));
}

fn v2(ver_cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
    let mut b = V2_SIG.to_vec();
    b.extend_from_slice(&[ver_cmd, fam]);
    b.extend_from_slice(&(body.len() as u16).to_be_bytes());
    b.extend_from_slice(body);
    b
}

#[test]
fn v2_round_trips_with_tlvs() {
    let opts = V2Options {
        local: false,
        authority: Some(b"example.com".to_vec()),
        unique_id: Some(b"abc-123".to_vec()),
        ..V2Options::default()
    };
    let mut buf = encode_v2(
        Some(addr("10.0.0.1:4000")),
        Some(addr("10.0.0.2:80")),
        &opts,
    );
    let whole = buf.len();
    buf.extend_from_slice(b"payload");
    let (h, len) = done(&buf);
    assert_eq!(len, whole);
    assert_eq!(h.src, Some(addr("10.0.0.1:4000")));
    assert_eq!(h.dst, Some(addr("10.0.0.2:80")));
    assert_eq!(h.authority(), Some(&b"example.com"[..]));
    assert_eq!(h.unique_id(), Some(&b"abc-123"[..]));
    let six = encode_v2(Some(addr("[::1]:1")), Some(addr("10.0.0.2:80")), &opts);
    let (h, _) = done(&six);
    assert_eq!(h.dst, Some(addr("[::ffff:10.0.0.2]:80")));
}

#[test]
fn v2_local_and_unspec_keep_real_addresses() {
    let (h, _) = done(&v2(0x20, 0x00, b""));
    assert!(h.local && h.src.is_none());
    // LOCAL with an address block: the block is skipped.
    let (h, _) = done(&v2(0x20, 0x11, &[1; 12]));
    assert!(h.local && h.src.is_none());
    // With the PROXY command 2.6 takes no family but TCP over IP.
    for fam in [0x00, 0x01, 0x12, 0x31] {
        let e = decode(&v2(0x21, fam, &[0; 216]));
        assert_eq!(e, Err(PpError::BadHeader), "{fam:#x}");
    }
}

#[test]
fn v2_malformed() {
    // A TLV whose length runs past the block.
    let mut body = vec![1; 12];
    body.extend_from_slice(&[TLV_AUTHORITY, 0, 10, b'a']);
    let e = decode(&v2(0x21, 0x11, &body));
    let a = addr("1.1.1.1:257");
    assert_eq!(e, Err(PpError::BadTlv(a, a)));
    // A TLV cut inside its own type and length.
    let mut body = vec![1; 12];
    body.extend_from_slice(&[TLV_UNIQUE_ID, 0]);
    let e = decode(&v2(0x21, 0x11, &body)).map_err(PpError::log_text);
    assert_eq!(e, Err("Received an invalid PROXY protocol header"));
    // Unknown command, wrong version, addresses shorter than the family.
    assert_eq!(decode(&v2(0x22, 0x11, &[1; 12])), Err(PpError::BadHeader));
    assert_eq!(decode(&v2(0x21, 0x11, &[1; 11])), Err(PpError::BadHeader));
    assert_eq!(decode(&v2(0x21, 0x21, &[1; 12])), Err(PpError::BadHeader));
}

#[test]
fn v1_encoding() {
    let l = encode_v1(Some(addr("1.2.3.4:5")), Some(addr("6.7.8.9:10")));
    assert_eq!(l, b"PROXY TCP4 1.2.3.4 6.7.8.9 5 10\r\n");
    let l = encode_v1(Some(addr("1.2.3.4:5")), Some(addr("[::1]:10")));
    assert_eq!(l, b"PROXY TCP6 ::ffff:1.2.3.4 ::1 5 10\r\n");
    assert_eq!(encode_v1(None, None), b"PROXY UNKNOWN\r\n");
}

#[test]
fn decoder_never_panics_on_arbitrary_bytes() {
    // A cheap deterministic sweep until the fuzzer (issue 17) runs.
    let mut seed = 0x2545_f491_u32;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed % 80) as usize;
        let mut b = if seed & 1 == 0 {
            V2_SIG.to_vec()
        } else {
            b"PROXY ".to_vec()
        };
        for i in 0..n {
            b.push((seed.rotate_left(i as u32) & 0xff) as u8);
        }
        let _ = decode(&b);
    }
}
