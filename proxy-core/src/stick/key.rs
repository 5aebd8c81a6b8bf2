//! Stick-table key types and keys.
//!
//! A table has one key type, chosen by `type` on its `stick-table` line:
//!
//! | type | `key_size` | stored as |
//! |---|---|---|
//! | `ip` | 4 | IPv4 address, network order |
//! | `ipv6` | 16 | IPv6 address, network order |
//! | `integer` | 4 | `u32` (a sample's signed 64-bit value cast to 32 bits) |
//! | `string [len N]` | 32, or N + 1 | bytes, truncated to `key_size - 1` (room for the C NUL) |
//! | `binary [len N]` | 32, or N | exactly `key_size` bytes, zero padded or truncated |
//!
//! `key_size` is HAProxy's own number: it is what the peers protocol sends in
//! a table definition, so both ends must agree on it (`string` default 32 has
//! no +1, `string len 32` is 33: that is how HAProxy 2.6 counts).
//!
//! Text forms follow HAProxy 2.6's `show table`: dotted quad / RFC 5952 IPv6,
//! unsigned decimal for integers, escaped text for strings (`\ ` for space,
//! `\=`, `\\`, `\t`, `\n`, `\r`, `\e`, `\xHH` for other bytes) and upper-case
//! hex without prefix for binary keys.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Default `key_size` of `string` and `binary` tables.
pub const DEFAULT_KEY_LEN: usize = 32;

/// The kind of key a table stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Ip,
    Ipv6,
    Integer,
    String,
    Binary,
}

/// A table's key type: its kind and HAProxy's `key_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyType {
    kind: KeyKind,
    size: usize,
}

impl KeyType {
    /// `type ip`.
    pub const IP: KeyType = KeyType {
        kind: KeyKind::Ip,
        size: 4,
    };
    /// `type ipv6`.
    pub const IPV6: KeyType = KeyType {
        kind: KeyKind::Ipv6,
        size: 16,
    };
    /// `type integer`.
    pub const INTEGER: KeyType = KeyType {
        kind: KeyKind::Integer,
        size: 4,
    };

    /// `type string [len N]`: `None` gives the default size 32, `Some(n)`
    /// gives `n + 1` (HAProxy reserves the NUL). `len 0` is refused.
    pub fn string(len: Option<usize>) -> Option<KeyType> {
        match len {
            None => Some(KeyType {
                kind: KeyKind::String,
                size: DEFAULT_KEY_LEN,
            }),
            Some(0) => None,
            Some(n) => Some(KeyType {
                kind: KeyKind::String,
                size: n.checked_add(1)?,
            }),
        }
    }

    /// `type binary [len N]`: default 32 bytes. `len 0` is refused.
    pub fn binary(len: Option<usize>) -> Option<KeyType> {
        match len {
            None => Some(KeyType {
                kind: KeyKind::Binary,
                size: DEFAULT_KEY_LEN,
            }),
            Some(0) => None,
            Some(n) => Some(KeyType {
                kind: KeyKind::Binary,
                size: n,
            }),
        }
    }

    /// Parses `args` starting at a type keyword (`ip`, `string len 64`, ...).
    /// Returns the type and how many words it used, or `None` for an
    /// unknown type or a bad `len` (HAProxy then says "unknown type").
    pub fn parse(args: &[&str]) -> Option<(KeyType, usize)> {
        let kw = *args.first()?;
        let custom = matches!(kw, "string" | "binary");
        let len = if custom && args.get(1) == Some(&"len") {
            Some(args.get(2)?.parse::<usize>().ok()?)
        } else {
            None
        };
        let used = if len.is_some() { 3 } else { 1 };
        let kt = match kw {
            "ip" => KeyType::IP,
            "ipv6" => KeyType::IPV6,
            "integer" => KeyType::INTEGER,
            "string" => KeyType::string(len)?,
            "binary" => KeyType::binary(len)?,
            _ => return None,
        };
        Some((kt, used))
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// HAProxy's `key_size` (sent as the key length in table definitions).
    pub fn key_size(&self) -> usize {
        self.size
    }

    /// The keyword `show table` prints after `type:`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            KeyKind::Ip => "ip",
            KeyKind::Ipv6 => "ipv6",
            KeyKind::Integer => "integer",
            KeyKind::String => "string",
            KeyKind::Binary => "binary",
        }
    }

    /// The peers protocol key type number (2 integer, 4 IPv4, 5 IPv6,
    /// 6 string, 7 binary).
    pub fn peer_key_type(&self) -> u8 {
        match self.kind {
            KeyKind::Integer => 2,
            KeyKind::Ip => 4,
            KeyKind::Ipv6 => 5,
            KeyKind::String => 6,
            KeyKind::Binary => 7,
        }
    }
}

/// One key, already normalised for its table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Ip([u8; 4]),
    Ipv6([u8; 16]),
    Integer(u32),
    /// String (no NUL, at most `key_size - 1` bytes) or binary (exactly
    /// `key_size` bytes) key. Shared, not copied: a table holds each key
    /// twice (its entry and its hash map), and cloning must not allocate.
    Bytes(Arc<[u8]>),
}

impl Key {
    /// An IPv4 key.
    pub fn ipv4(a: Ipv4Addr) -> Key {
        Key::Ip(a.octets())
    }

    /// An IPv6 key.
    pub fn ipv6(a: Ipv6Addr) -> Key {
        Key::Ipv6(a.octets())
    }

    /// An integer key from a sample's signed 64-bit value (cast to 32 bits
    /// as HAProxy does).
    pub fn integer(v: i64) -> Key {
        Key::Integer(v as u32)
    }

    /// A string key for a table of type `kt`: cut at the first NUL and at
    /// `key_size - 1` bytes.
    pub fn string(kt: &KeyType, s: &[u8]) -> Key {
        let s = s.split(|&b| b == 0).next().unwrap_or(&[]);
        let n = s.len().min(kt.size.saturating_sub(1));
        Key::Bytes(s[..n].into())
    }

    /// A binary key for a table of type `kt`: zero padded or truncated to
    /// `key_size` bytes.
    pub fn binary(kt: &KeyType, b: &[u8]) -> Key {
        let mut v = vec![0u8; kt.size];
        let n = b.len().min(kt.size);
        v[..n].copy_from_slice(&b[..n]);
        Key::Bytes(v.into())
    }

    /// Decodes a key in its peers-protocol form for a table of type `kt`:
    /// string bytes (no NUL, truncated), integer 4 bytes big-endian, ip /
    /// ipv6 / binary exactly `key_size` raw bytes. `None` if the length is
    /// wrong.
    pub fn from_wire(kt: &KeyType, b: &[u8]) -> Option<Key> {
        match kt.kind {
            KeyKind::String => Some(Key::string(kt, b)),
            KeyKind::Integer => Some(Key::Integer(u32::from_be_bytes(b.try_into().ok()?))),
            KeyKind::Ip => Some(Key::Ip(b.try_into().ok()?)),
            KeyKind::Ipv6 => Some(Key::Ipv6(b.try_into().ok()?)),
            KeyKind::Binary => (b.len() == kt.size).then(|| Key::Bytes(b.into())),
        }
    }

    /// The key in its peers-protocol form (see [`Key::from_wire`]); the
    /// string length prefix is the codec's business.
    pub fn to_wire(&self) -> Vec<u8> {
        match self {
            Key::Ip(a) => a.to_vec(),
            Key::Ipv6(a) => a.to_vec(),
            Key::Integer(v) => v.to_be_bytes().to_vec(),
            Key::Bytes(b) => b.to_vec(),
        }
    }

    /// Parses the `<key>` argument of `show/clear/set table ... key <key>`.
    pub fn parse_cli(kt: &KeyType, s: &str) -> Result<Key, CliKeyError> {
        if s.is_empty() {
            return Err(CliKeyError::Missing);
        }
        match kt.kind {
            KeyKind::Ip => Ok(Key::Ip(inetaddr_host(s.as_bytes()).to_be_bytes())),
            KeyKind::Ipv6 => s
                .parse::<Ipv6Addr>()
                .map(Key::ipv6)
                .map_err(|_| CliKeyError::Invalid),
            KeyKind::Integer => match s.parse::<u64>() {
                Ok(v) if v <= u64::from(u32::MAX) => Ok(Key::Integer(v as u32)),
                _ => Err(CliKeyError::Invalid),
            },
            KeyKind::String => Ok(Key::string(kt, s.as_bytes())),
            KeyKind::Binary => Err(CliKeyError::Unsupported),
        }
    }

    /// The `key=` text of `show table`.
    pub fn display(&self) -> KeyDisplay<'_> {
        KeyDisplay(self)
    }
}

/// HAProxy's `inetaddr_host()`, which reads the IPv4 keys of the CLI: no
/// validation, each dot-separated part gives its last three digits (a
/// part above 255 carries into the next byte), missing parts are 0, so
/// `x` is `0.0.0.0` and `10.0.0` is `10.0.0.0`.
pub fn inetaddr_host(text: &[u8]) -> u32 {
    let dig = |c: u8| u32::from(c - b'0');
    let (mut d1, mut d10, mut d100) = (0u32, 0u32, 0u32);
    let (mut start, mut p, mut shift) = (0usize, 0usize, 24u32);
    loop {
        while p < text.len() && text[p].is_ascii_digit() {
            p += 1;
        }
        if p > start {
            d1 |= dig(text[p - 1]) << shift;
            if p - 1 > start {
                d10 |= dig(text[p - 2]) << shift;
                if p - 2 > start {
                    d100 |= dig(text[p - 3]) << shift;
                }
            }
        }
        if shift == 0 || text.get(p) != Some(&b'.') {
            break;
        }
        shift -= 8;
        p += 1;
        start = p;
    }
    d100.wrapping_mul(10)
        .wrapping_add(d10)
        .wrapping_mul(10)
        .wrapping_add(d1)
}

/// Why a CLI key argument was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliKeyError {
    /// No key after `key` (HAProxy: `Key value expected`).
    Missing,
    /// Not an address / integer (HAProxy: `Invalid key`).
    Invalid,
    /// Binary tables take no CLI keys in 2.6 (the message names the action).
    Unsupported,
}

/// `show table`'s text form of a key (see the module docs).
pub struct KeyDisplay<'a>(&'a Key);

impl fmt::Display for KeyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Key::Ip(a) => write!(f, "{}", Ipv4Addr::from(*a)),
            Key::Ipv6(a) => write!(f, "{}", Ipv6Addr::from(*a)),
            Key::Integer(v) => write!(f, "{v}"),
            Key::Bytes(b) => write_bytes(f, b),
        }
    }
}

/// Whether a `Key::Bytes` is shown as text (string tables) or hex (binary
/// tables) is not known from the key alone; the table tells
/// [`format_key`], which `show table` uses. Bare `Display` treats bytes as
/// text.
fn write_bytes(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    f.write_str(&escape_text(b))
}

/// The text of a key as `show table` prints it for a table of type `kt`.
pub fn format_key(kt: &KeyType, key: &Key) -> String {
    match (kt.kind, key) {
        (KeyKind::Binary, Key::Bytes(b)) => b.iter().map(|c| format!("{c:02X}")).collect(),
        _ => key.display().to_string(),
    }
}

/// HAProxy's `dump_text()`: stops at a NUL, escapes separators.
fn escape_text(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for &c in b {
        match c {
            0 => break,
            b' ' | b'=' | b'\\' => {
                out.push('\\');
                out.push(c as char);
            }
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x1b => out.push_str("\\e"),
            0x21..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_types() {
        assert_eq!(KeyType::parse(&["ip", "size"]), Some((KeyType::IP, 1)));
        assert_eq!(KeyType::parse(&["ipv6"]), Some((KeyType::IPV6, 1)));
        assert_eq!(KeyType::parse(&["integer"]), Some((KeyType::INTEGER, 1)));
        let (s, n) = KeyType::parse(&["string", "len", "64", "size"]).unwrap();
        assert_eq!((s.name(), s.key_size(), n), ("string", 65, 3));
        let (s, n) = KeyType::parse(&["string", "size"]).unwrap();
        assert_eq!((s.key_size(), n), (32, 1));
        let (b, n) = KeyType::parse(&["binary", "len", "20"]).unwrap();
        assert_eq!((b.name(), b.key_size(), n), ("binary", 20, 3));
        assert_eq!(KeyType::parse(&["binary"]).unwrap().0.key_size(), 32);
        assert_eq!(KeyType::parse(&["string", "len", "0"]), None);
        assert_eq!(KeyType::parse(&["string", "len", "x"]), None);
        assert_eq!(KeyType::parse(&["ipv4"]), None);
        assert_eq!(KeyType::parse(&[]), None);
        // `len` is only for string/binary: `ip len 4` leaves `len` unread
        assert_eq!(KeyType::parse(&["ip", "len", "4"]), Some((KeyType::IP, 1)));
    }

    #[test]
    fn peer_key_types() {
        let t: Vec<u8> = [
            KeyType::INTEGER,
            KeyType::IP,
            KeyType::IPV6,
            KeyType::string(None).unwrap(),
            KeyType::binary(None).unwrap(),
        ]
        .iter()
        .map(KeyType::peer_key_type)
        .collect();
        assert_eq!(t, [2, 4, 5, 6, 7]);
    }

    #[test]
    fn normalisation() {
        let st = KeyType::string(Some(4)).unwrap();
        assert_eq!(Key::string(&st, b"abcdefg"), Key::Bytes((*b"abcd").into()));
        assert_eq!(Key::string(&st, b"ab\0cd"), Key::Bytes((*b"ab").into()));
        let def = KeyType::string(None).unwrap();
        assert_eq!(
            Key::string(&def, &[b'x'; 40]),
            Key::Bytes(vec![b'x'; 31].into())
        );
        let bt = KeyType::binary(Some(4)).unwrap();
        assert_eq!(
            Key::binary(&bt, b"\x01\x02"),
            Key::Bytes((*b"\x01\x02\0\0").into())
        );
        assert_eq!(
            Key::binary(&bt, b"\x01\x02\x03\x04\x05"),
            Key::Bytes((*b"\x01\x02\x03\x04").into())
        );
        assert_eq!(Key::integer(-1), Key::Integer(u32::MAX));
        assert_eq!(Key::integer(0x1_0000_0005), Key::Integer(5));
    }

    #[test]
    fn wire_forms() {
        let k = Key::ipv4(Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(k.to_wire(), [0x7f, 0, 0, 1]);
        assert_eq!(Key::from_wire(&KeyType::IP, &[0x7f, 0, 0, 1]), Some(k));
        assert_eq!(Key::from_wire(&KeyType::IP, &[1, 2, 3]), None);
        assert_eq!(Key::Integer(0x01020304).to_wire(), [1, 2, 3, 4]);
        assert_eq!(
            Key::from_wire(&KeyType::INTEGER, &[0, 0, 1, 0]),
            Some(Key::Integer(256))
        );
        let st = KeyType::string(Some(3)).unwrap();
        assert_eq!(
            Key::from_wire(&st, b"abcdef"),
            Some(Key::Bytes((*b"abc").into()))
        );
        let bt = KeyType::binary(Some(2)).unwrap();
        assert_eq!(
            Key::from_wire(&bt, b"ab"),
            Some(Key::Bytes((*b"ab").into()))
        );
        assert_eq!(Key::from_wire(&bt, b"abc"), None);
        let v6 = Key::ipv6("2001:db8::1".parse().unwrap());
        assert_eq!(Key::from_wire(&KeyType::IPV6, &v6.to_wire()), Some(v6));
    }

    #[test]
    fn text_forms() {
        let st = KeyType::string(None).unwrap();
        assert_eq!(
            format_key(&KeyType::IP, &Key::Ip([127, 0, 0, 1])),
            "127.0.0.1"
        );
        assert_eq!(
            format_key(&KeyType::IPV6, &Key::ipv6("::1".parse().unwrap())),
            "::1"
        );
        assert_eq!(
            format_key(&KeyType::INTEGER, &Key::Integer(u32::MAX)),
            "4294967295"
        );
        assert_eq!(
            format_key(&st, &Key::string(&st, b"foo.example")),
            "foo.example"
        );
        assert_eq!(
            format_key(&st, &Key::string(&st, b"a b=c\\d\te\x01\xff")),
            "a\\ b\\=c\\\\d\\te\\x01\\xFF"
        );
        let bt = KeyType::binary(Some(3)).unwrap();
        assert_eq!(format_key(&bt, &Key::binary(&bt, b"\x0a\xbc")), "0ABC00");
    }

    #[test]
    fn cli_keys() {
        let st = KeyType::string(None).unwrap();
        assert_eq!(
            Key::parse_cli(&KeyType::IP, "10.0.0.1"),
            Ok(Key::Ip([10, 0, 0, 1]))
        );
        // HAProxy reads IPv4 keys without validation (inetaddr_host)
        assert_eq!(
            Key::parse_cli(&KeyType::IP, "10.0.0"),
            Ok(Key::Ip([10, 0, 0, 0]))
        );
        assert_eq!(Key::parse_cli(&KeyType::IP, "x"), Ok(Key::Ip([0; 4])));
        assert_eq!(
            Key::parse_cli(&KeyType::IP, "1.2.3.1004"),
            Ok(Key::Ip([1, 2, 3, 4]))
        );
        assert_eq!(
            Key::parse_cli(&KeyType::IP, "1.2.3.300"),
            Ok(Key::Ip([1, 2, 4, 44]))
        );
        assert_eq!(
            Key::parse_cli(&KeyType::IPV6, "zz"),
            Err(CliKeyError::Invalid)
        );
        assert_eq!(
            Key::parse_cli(&KeyType::INTEGER, "4294967295"),
            Ok(Key::Integer(u32::MAX))
        );
        assert_eq!(
            Key::parse_cli(&KeyType::INTEGER, "4294967296"),
            Err(CliKeyError::Invalid)
        );
        assert_eq!(
            Key::parse_cli(&KeyType::INTEGER, "-1"),
            Err(CliKeyError::Invalid)
        );
        assert_eq!(Key::parse_cli(&st, "abc"), Ok(Key::Bytes((*b"abc").into())));
        assert_eq!(Key::parse_cli(&st, ""), Err(CliKeyError::Missing));
        let bt = KeyType::binary(None).unwrap();
        assert_eq!(Key::parse_cli(&bt, "00"), Err(CliKeyError::Unsupported));
    }
}
