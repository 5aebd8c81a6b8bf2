//! From a fetched sample to a table key, with HAProxy's casts
//! (`smp_to_stkey`): an address goes into `ip` and `ipv6` tables (an IPv4
//! address as `::ffff:a.b.c.d` in an `ipv6` table, an IPv6 address only
//! into an `ip` table when it is IPv4-mapped), into `integer` tables as its
//! 32-bit value, into `string` tables as text and `binary` tables as its
//! bytes; a string is parsed as an address or an integer where needed; an
//! integer is an address (`ip`), its decimal text (`string`) or 8 bytes
//! (`binary`).

use std::net::{IpAddr, Ipv4Addr};
use std::ops::ControlFlow;

use crate::config::model_stick::KeyExpr;
use crate::rules::fetch::Sample;
use crate::rules::RequestView;
use crate::stick::{Key, KeyKind, KeyType};

/// The key of sample `s` in a table of type `kt`, `None` when the sample
/// cannot be converted.
pub fn sample_key(kt: &KeyType, s: &Sample<'_>) -> Option<Key> {
    match kt.kind() {
        KeyKind::Ip => match *s {
            Sample::Ip(IpAddr::V4(a)) => Some(Key::ipv4(a)),
            Sample::Ip(IpAddr::V6(a)) => a.to_ipv4_mapped().map(Key::ipv4),
            Sample::Str(b) => text(b)?.parse::<Ipv4Addr>().ok().map(Key::ipv4),
            Sample::Int(n) => Some(Key::ipv4(Ipv4Addr::from(n as u32))),
            Sample::Bool(_) => None,
        },
        KeyKind::Ipv6 => match *s {
            Sample::Ip(IpAddr::V4(a)) => Some(Key::ipv6(a.to_ipv6_mapped())),
            Sample::Ip(IpAddr::V6(a)) => Some(Key::ipv6(a)),
            Sample::Str(b) => match text(b)?.parse::<IpAddr>().ok()? {
                IpAddr::V4(a) => Some(Key::ipv6(a.to_ipv6_mapped())),
                IpAddr::V6(a) => Some(Key::ipv6(a)),
            },
            Sample::Int(n) => Some(Key::ipv6(Ipv4Addr::from(n as u32).to_ipv6_mapped())),
            Sample::Bool(_) => None,
        },
        KeyKind::Integer => match *s {
            Sample::Int(n) => Some(Key::integer(n)),
            Sample::Bool(b) => Some(Key::integer(i64::from(b))),
            Sample::Str(b) => text(b)?.trim().parse::<i64>().ok().map(Key::integer),
            Sample::Ip(IpAddr::V4(a)) => Some(Key::integer(i64::from(u32::from(a)))),
            Sample::Ip(IpAddr::V6(_)) => None,
        },
        KeyKind::String => Some(match *s {
            Sample::Str(b) => Key::string(kt, b),
            Sample::Int(n) => Key::string(kt, n.to_string().as_bytes()),
            Sample::Bool(b) => Key::string(kt, if b { b"1" } else { b"0" }),
            Sample::Ip(a) => Key::string(kt, a.to_string().as_bytes()),
        }),
        KeyKind::Binary => Some(match *s {
            Sample::Str(b) => Key::binary(kt, b),
            Sample::Int(n) => Key::binary(kt, &n.to_be_bytes()),
            Sample::Bool(b) => Key::binary(kt, &i64::from(b).to_be_bytes()),
            Sample::Ip(IpAddr::V4(a)) => Key::binary(kt, &a.octets()),
            Sample::Ip(IpAddr::V6(a)) => Key::binary(kt, &a.octets()),
        }),
    }
}

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

/// Evaluates a key expression for a table of type `kt` (a multi-valued
/// fetch gives its last value, as a sample expression does).
pub fn eval_key(e: &KeyExpr, kt: &KeyType, view: &dyn RequestView) -> Option<Key> {
    let mut key = None;
    let _ = e.fetch.each(view, false, &mut |s| {
        key = sample_key(kt, &s);
        ControlFlow::Break(())
    });
    key
}

/// The key of a client address in a table of type `kt` (`src_*`).
pub fn addr_key(kt: &KeyType, ip: IpAddr) -> Option<Key> {
    sample_key(kt, &Sample::Ip(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts() {
        let v4: IpAddr = "10.1.2.3".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            sample_key(&KeyType::IP, &Sample::Ip(v4)),
            Some(Key::Ip([10, 1, 2, 3]))
        );
        assert_eq!(
            sample_key(&KeyType::IP, &Sample::Ip(mapped)),
            Some(Key::Ip([10, 1, 2, 3]))
        );
        assert_eq!(sample_key(&KeyType::IP, &Sample::Ip(v6)), None);
        assert_eq!(
            sample_key(&KeyType::IPV6, &Sample::Ip(v4)),
            Some(Key::ipv6("::ffff:10.1.2.3".parse().unwrap()))
        );
        let st = KeyType::string(Some(4)).unwrap();
        assert_eq!(
            sample_key(&st, &Sample::Str(b"abcdef")),
            Some(Key::Bytes((*b"abcd").into()))
        );
        assert_eq!(
            sample_key(&KeyType::string(None).unwrap(), &Sample::Ip(v4)),
            Some(Key::Bytes((*b"10.1.2.3").into()))
        );
        assert_eq!(
            sample_key(&KeyType::INTEGER, &Sample::Str(b"42")),
            Some(Key::Integer(42))
        );
        assert_eq!(sample_key(&KeyType::INTEGER, &Sample::Str(b"x")), None);
    }
}
