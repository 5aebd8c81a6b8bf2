//! From a fetched sample to a table key, with HAProxy's casts
//! (`smp_to_stkey`): an address goes into `ip` and `ipv6` tables (an IPv4
//! address as `::ffff:a.b.c.d` in an `ipv6` table, an IPv6 address only
//! into an `ip` table when it is IPv4-mapped), into `integer` tables as its
//! 32-bit value, into `string` tables as text and `binary` tables as its
//! bytes; a string is parsed as an address or an integer where needed; an
//! integer is an address (`ip`), its decimal text (`string`) or 8 bytes
//! (`binary`).

use std::net::IpAddr;
use std::ops::ControlFlow;

use crate::config::model_stick::KeyExpr;
use crate::rules::RequestView;
use crate::sample::{SmpType, Value};
use crate::stick::{Key, KeyKind, KeyType};

/// The key of sample `s` in a table of type `kt`, `None` when the sample
/// cannot be converted (HAProxy casts it to the table's type).
pub fn sample_key(kt: &KeyType, s: &Value<'_>) -> Option<Key> {
    let want = match kt.kind() {
        KeyKind::Ip => SmpType::Ipv4,
        KeyKind::Ipv6 => SmpType::Ipv6,
        KeyKind::Integer => SmpType::Int,
        KeyKind::String => SmpType::Str,
        KeyKind::Binary => SmpType::Bin,
    };
    Some(match s.reborrow().cast(want)? {
        Value::Ipv4(a) => Key::ipv4(a),
        Value::Ipv6(a) => Key::ipv6(a),
        Value::Int(n) => Key::integer(n),
        Value::Str(b) => Key::string(kt, &b),
        Value::Bin(b) => Key::binary(kt, &b),
        _ => return None,
    })
}

/// Evaluates a key expression for a table of type `kt` (a multi-valued
/// fetch gives its last value, as a sample expression does).
pub fn eval_key(e: &KeyExpr, kt: &KeyType, view: &dyn RequestView) -> Option<Key> {
    let mut key = None;
    let _ = e.each(view, false, &mut |s| {
        key = sample_key(kt, &s);
        ControlFlow::Break(())
    });
    key
}

/// The key of a client address in a table of type `kt` (`src_*`).
pub fn addr_key(kt: &KeyType, ip: IpAddr) -> Option<Key> {
    sample_key(kt, &Value::ip(ip))
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
            sample_key(&KeyType::IP, &Value::ip(v4)),
            Some(Key::Ip([10, 1, 2, 3]))
        );
        assert_eq!(
            sample_key(&KeyType::IP, &Value::ip(mapped)),
            Some(Key::Ip([10, 1, 2, 3]))
        );
        assert_eq!(sample_key(&KeyType::IP, &Value::ip(v6)), None);
        assert_eq!(
            sample_key(&KeyType::IPV6, &Value::ip(v4)),
            Some(Key::ipv6("::ffff:10.1.2.3".parse().unwrap()))
        );
        let st = KeyType::string(Some(4)).unwrap();
        assert_eq!(
            sample_key(&st, &Value::str(b"abcdef")),
            Some(Key::Bytes((*b"abcd").into()))
        );
        assert_eq!(
            sample_key(&KeyType::string(None).unwrap(), &Value::ip(v4)),
            Some(Key::Bytes((*b"10.1.2.3").into()))
        );
        assert_eq!(
            sample_key(&KeyType::INTEGER, &Value::str(b"42")),
            Some(Key::Integer(42))
        );
        assert_eq!(
            sample_key(&KeyType::INTEGER, &Value::str(b"x")),
            Some(Key::Integer(0))
        );
    }
}
