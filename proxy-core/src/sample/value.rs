//! Sample values and their types, with HAProxy 2.6's implicit casts.
//!
//! A fetch produces a [`Value`]; converters take one and give one; the
//! engine casts between them where a converter or a user (an ACL match, a
//! table key, a format) expects another type. The cast table is HAProxy's
//! (`sample_casts` in its sample engine), as facts:
//!
//! | from \ to | bool | int | ipv4 | ipv6 | str | bin | meth |
//! |---|---|---|---|---|---|---|---|
//! | bool | = | yes | - | - | `0`/`1` | 8 bytes BE | - |
//! | int | yes | = | 32 bits | mapped | decimal | 8 bytes BE | - |
//! | ipv4 | - | 32 bits | = | mapped | dotted | 4 bytes | - |
//! | ipv6 | - | - | if mapped | = | text | 16 bytes | - |
//! | str | leading int | leading int | parsed | parsed | = | = | yes |
//! | bin | - | - | - | - | up to a NUL | = | yes |
//! | meth | - | - | - | - | name | name | = |
//!
//! "leading int" reads an optional sign and the digits that follow, so
//! `"12ab"` is 12 and `"ab"` is 0; an empty string does not cast.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// HAProxy's sample types. `Any` and `Addr` only appear as what a
/// converter accepts (`Addr`: either address family).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SmpType {
    Any,
    Bool,
    Int,
    Addr,
    Ipv4,
    Ipv6,
    Str,
    Bin,
    Meth,
}

impl SmpType {
    /// The name HAProxy uses in messages (`sint`, `ipv4`, `str`...).
    pub fn name(self) -> &'static str {
        match self {
            SmpType::Any => "any",
            SmpType::Bool => "bool",
            SmpType::Int => "sint",
            SmpType::Addr => "addr",
            SmpType::Ipv4 => "ipv4",
            SmpType::Ipv6 => "ipv6",
            SmpType::Str => "str",
            SmpType::Bin => "bin",
            SmpType::Meth => "meth",
        }
    }

    /// Whether a value of this type can be cast to `to` at all (the
    /// configuration check; the cast itself may still fail on a value).
    pub fn casts_to(self, to: SmpType) -> bool {
        use SmpType::*;
        if self == to || to == Any || self == Any {
            return true;
        }
        match self {
            Bool => matches!(to, Int | Str | Bin),
            Int => matches!(to, Bool | Addr | Ipv4 | Ipv6 | Str | Bin),
            Ipv4 => matches!(to, Int | Addr | Ipv6 | Str | Bin),
            Ipv6 => matches!(to, Addr | Ipv4 | Str | Bin),
            Str => true,
            Bin => matches!(to, Str | Meth),
            Meth => matches!(to, Str | Bin),
            Addr => matches!(to, Ipv4 | Ipv6 | Str | Bin),
            Any => true,
        }
    }
}

/// One sample. Text and binary borrow from the message when they can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Bool(bool),
    Int(i64),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Str(Cow<'a, [u8]>),
    Bin(Cow<'a, [u8]>),
    /// A method name (`GET`, or any token).
    Meth(Cow<'a, [u8]>),
}

impl<'a> Value<'a> {
    pub fn str(b: &'a [u8]) -> Value<'a> {
        Value::Str(Cow::Borrowed(b))
    }

    pub fn owned_str(b: impl Into<Vec<u8>>) -> Value<'a> {
        Value::Str(Cow::Owned(b.into()))
    }

    pub fn bin(b: impl Into<Vec<u8>>) -> Value<'a> {
        Value::Bin(Cow::Owned(b.into()))
    }

    pub fn ip(ip: IpAddr) -> Value<'a> {
        match ip {
            IpAddr::V4(a) => Value::Ipv4(a),
            IpAddr::V6(a) => Value::Ipv6(a),
        }
    }

    pub fn smp_type(&self) -> SmpType {
        match self {
            Value::Bool(_) => SmpType::Bool,
            Value::Int(_) => SmpType::Int,
            Value::Ipv4(_) => SmpType::Ipv4,
            Value::Ipv6(_) => SmpType::Ipv6,
            Value::Str(_) => SmpType::Str,
            Value::Bin(_) => SmpType::Bin,
            Value::Meth(_) => SmpType::Meth,
        }
    }

    /// The value with no borrow left (to keep it in a variable).
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Bool(b) => Value::Bool(b),
            Value::Int(n) => Value::Int(n),
            Value::Ipv4(a) => Value::Ipv4(a),
            Value::Ipv6(a) => Value::Ipv6(a),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Bin(s) => Value::Bin(Cow::Owned(s.into_owned())),
            Value::Meth(s) => Value::Meth(Cow::Owned(s.into_owned())),
        }
    }

    /// A borrowed copy (cheap for text: no bytes are copied).
    pub fn reborrow(&self) -> Value<'_> {
        match self {
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(n) => Value::Int(*n),
            Value::Ipv4(a) => Value::Ipv4(*a),
            Value::Ipv6(a) => Value::Ipv6(*a),
            Value::Str(s) => Value::Str(Cow::Borrowed(s)),
            Value::Bin(s) => Value::Bin(Cow::Borrowed(s)),
            Value::Meth(s) => Value::Meth(Cow::Borrowed(s)),
        }
    }

    /// The bytes of a text, binary or method value.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) | Value::Bin(s) | Value::Meth(s) => Some(s),
            _ => None,
        }
    }

    /// Casts to `to` as HAProxy does; `None` when the cast does not exist
    /// or fails on this value.
    pub fn cast(self, to: SmpType) -> Option<Value<'a>> {
        use SmpType as T;
        if to == T::Any || self.smp_type() == to {
            return Some(self);
        }
        match (self, to) {
            (Value::Bool(b), T::Int) => Some(Value::Int(i64::from(b))),
            (Value::Bool(b), T::Str) => Some(Value::str(if b { b"1" } else { b"0" })),
            (Value::Bool(b), T::Bin) => Some(Value::bin(i64::from(b).to_be_bytes().to_vec())),
            (Value::Int(n), T::Bool) => Some(Value::Bool(n != 0)),
            (Value::Int(n), T::Ipv4 | T::Addr) => Some(Value::Ipv4(Ipv4Addr::from(n as u32))),
            (Value::Int(n), T::Ipv6) => {
                Some(Value::Ipv6(Ipv4Addr::from(n as u32).to_ipv6_mapped()))
            }
            (Value::Int(n), T::Str) => Some(Value::owned_str(n.to_string())),
            (Value::Int(n), T::Bin) => Some(Value::bin(n.to_be_bytes().to_vec())),
            (Value::Ipv4(a), T::Int) => Some(Value::Int(i64::from(u32::from(a)))),
            (Value::Ipv4(a), T::Addr) => Some(Value::Ipv4(a)),
            (Value::Ipv4(a), T::Ipv6) => Some(Value::Ipv6(a.to_ipv6_mapped())),
            (Value::Ipv4(a), T::Str) => Some(Value::owned_str(a.to_string())),
            (Value::Ipv4(a), T::Bin) => Some(Value::bin(a.octets().to_vec())),
            (Value::Ipv6(a), T::Addr) => Some(Value::Ipv6(a)),
            (Value::Ipv6(a), T::Ipv4) => a.to_ipv4_mapped().map(Value::Ipv4),
            (Value::Ipv6(a), T::Str) => Some(Value::owned_str(a.to_string())),
            (Value::Ipv6(a), T::Bin) => Some(Value::bin(a.octets().to_vec())),
            (Value::Str(s), T::Bool | T::Int) => {
                if s.is_empty() {
                    return None;
                }
                let n = leading_int(&s);
                Some(if to == T::Bool {
                    Value::Bool(n != 0)
                } else {
                    Value::Int(n)
                })
            }
            (Value::Str(s), T::Ipv4) => parse_text::<Ipv4Addr>(&s).map(Value::Ipv4),
            (Value::Str(s), T::Ipv6) => parse_text::<Ipv6Addr>(&s).map(Value::Ipv6),
            (Value::Str(s), T::Addr) => parse_text::<Ipv4Addr>(&s)
                .map(Value::Ipv4)
                .or_else(|| parse_text::<Ipv6Addr>(&s).map(Value::Ipv6)),
            (Value::Str(s), T::Bin) => Some(Value::Bin(s)),
            (Value::Str(s) | Value::Bin(s), T::Meth) => Some(Value::Meth(s)),
            (Value::Bin(s), T::Str) => Some(Value::Str(up_to_nul(s))),
            (Value::Meth(s), T::Str) => Some(Value::Str(s)),
            (Value::Meth(s), T::Bin) => Some(Value::Bin(s)),
            _ => None,
        }
    }

    /// The text form (a cast to string), `None` where there is none.
    pub fn into_text(self) -> Option<Cow<'a, [u8]>> {
        match self.cast(SmpType::Str)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the text form to `out` (nothing when there is none).
    pub fn write_text(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        match self {
            Value::Str(s) | Value::Meth(s) => out.extend_from_slice(s),
            Value::Bin(s) => out.extend_from_slice(&up_to_nul(Cow::Borrowed(s))),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Bool(b) => out.push(if *b { b'1' } else { b'0' }),
            Value::Ipv4(a) => {
                let _ = write!(out, "{a}");
            }
            Value::Ipv6(a) => {
                let _ = write!(out, "{a}");
            }
        }
    }

    /// The integer form, `None` where there is none.
    pub fn to_int(&self) -> Option<i64> {
        match self.reborrow().cast(SmpType::Int)? {
            Value::Int(n) => Some(n),
            _ => None,
        }
    }
}

/// HAProxy's lenient integer reading: optional sign and leading digits,
/// 0 when there are none, saturating.
pub fn leading_int(v: &[u8]) -> i64 {
    let (neg, digits) = match v.first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &b| {
            let d = i64::from(b - b'0');
            let n = n.saturating_mul(10);
            if neg {
                n.saturating_sub(d)
            } else {
                n.saturating_add(d)
            }
        })
}

fn parse_text<T: std::str::FromStr>(b: &[u8]) -> Option<T> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Binary data as text ends at its first NUL byte.
fn up_to_nul(s: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    match s.iter().position(|&b| b == 0) {
        None => s,
        Some(n) => match s {
            Cow::Borrowed(b) => Cow::Borrowed(&b[..n]),
            Cow::Owned(mut v) => {
                v.truncate(n);
                Cow::Owned(v)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_haproxy() {
        assert_eq!(Value::str(b"12ab").cast(SmpType::Int), Some(Value::Int(12)));
        assert_eq!(Value::str(b"ab").cast(SmpType::Int), Some(Value::Int(0)));
        assert_eq!(Value::str(b"").cast(SmpType::Int), None);
        assert_eq!(
            Value::Int(0x7f000001).cast(SmpType::Ipv4),
            Some(Value::Ipv4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(
            Value::Ipv4(Ipv4Addr::LOCALHOST).cast(SmpType::Str),
            Some(Value::str(b"127.0.0.1"))
        );
        assert_eq!(
            Value::bin(b"ab\0cd".to_vec()).cast(SmpType::Str),
            Some(Value::str(b"ab"))
        );
        assert_eq!(Value::Bool(true).cast(SmpType::Ipv4), None);
        assert!(!SmpType::Bin.casts_to(SmpType::Int));
        assert!(SmpType::Str.casts_to(SmpType::Ipv6));
    }
}
