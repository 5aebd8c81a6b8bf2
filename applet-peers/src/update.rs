//! Update messages (class 10, types 0x80, 0x81, 0x85, 0x86).
//!
//! Payload, in order:
//! 1. types 0x80 / 0x85: the 32-bit big-endian update id (0x81 / 0x86 mean
//!    "previous id + 1"); the sender includes it for the first update of a
//!    burst and whenever the id is not the previous one plus 1;
//! 2. types 0x85 / 0x86: the entry's remaining lifetime in ms, 32-bit BE
//!    (otherwise the receiver applies its table's `expire`);
//! 3. the key: string → varint length + bytes (no NUL; the receiver keeps
//!    at most `key_len - 1`), integer → 32-bit BE, IPv4 / IPv6 / binary →
//!    `key_len` raw bytes;
//! 4. the values of every data type of the sender's definition, in id
//!    order (arrays element by element): integers as one varint (a signed
//!    `server_id` sign-extended to 64 bits), frequency counters as three
//!    (ms since the period started, current count, previous count),
//!    `server_key` as a dictionary reference (see [`crate::dict`]): `0` for
//!    none, otherwise the length of what follows, the 1-based cache id, and
//!    the first time on the connection the string's length and bytes.

use crate::datatypes::{self, WireType};
use crate::dict::{DictRx, DictTx};
use crate::msg::{self, Malformed, CLASS_STICKTABLE};
use crate::table_def::{RemoteLayout, TableDef};
use crate::varint::{self, Reader};

/// Peers key type of string keys.
pub const KEY_STRING: u64 = 6;
/// Peers key type of integer keys.
pub const KEY_INTEGER: u64 = 2;

/// Longest dictionary string accepted (HAProxy's chunk size minus the NUL).
const MAX_DICT_VALUE: u64 = 16383;

/// One element of a data type, as the wire carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Any integer type. A signed value must be given sign-extended
    /// (`v as i64 as u64`); the receiver truncates to its storage width.
    Int(u64),
    /// A frequency counter: ms since its current period started, current
    /// and previous counts.
    Freq { elapsed: u64, curr: u64, prev: u64 },
    /// A dictionary string; on receipt `None` means "leave the stored value
    /// as it is" (no value sent, or an id the cache does not know).
    Dict(Option<String>),
}

/// An update to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOut<'a> {
    /// The low 32 bits of the update id.
    pub id: u32,
    /// Send the id (else the receiver assumes previous + 1).
    pub with_id: bool,
    /// Remaining lifetime in ms, for a timed update.
    pub expire: Option<u32>,
    /// The key in wire form: string bytes, integer as 4 BE bytes, else the
    /// raw `key_len` bytes.
    pub key: &'a [u8],
    /// Values of `def.params` in order, arrays expanded. Missing or
    /// mistyped values are sent as zero / none.
    pub values: &'a [Value],
}

/// Appends the update message for table `def`.
///
/// The payload is written in place after a one-byte length, the common
/// case (under 240 bytes); a longer one has its length widened afterwards.
/// No scratch buffer: teaching a table encodes one message per entry.
pub fn encode_update(def: &TableDef, u: &UpdateOut<'_>, dict: &mut DictTx, out: &mut Vec<u8>) {
    out.push(CLASS_STICKTABLE);
    out.push(msg::update_type(u.with_id, u.expire.is_some()));
    out.push(0);
    let body = out.len();
    let p = &mut *out;
    if u.with_id {
        p.extend_from_slice(&u.id.to_be_bytes());
    }
    if let Some(e) = u.expire {
        p.extend_from_slice(&e.to_be_bytes());
    }
    match def.key_type {
        KEY_STRING => {
            varint::encode(u.key.len() as u64, p);
            p.extend_from_slice(u.key);
        }
        _ => p.extend_from_slice(u.key),
    }
    let mut values = u.values.iter();
    for d in &def.params {
        let Some(wt) = datatypes::wire_type(d.id) else {
            continue;
        };
        let n = if datatypes::is_array(d.id) {
            d.nbelem
        } else {
            1
        };
        for _ in 0..n {
            encode_value(wt, values.next(), dict, p);
        }
    }
    let len = out.len() - body;
    if len < 0xf0 {
        out[body - 1] = len as u8;
    } else {
        let mut v = Vec::with_capacity(10);
        varint::encode(len as u64, &mut v);
        out.splice(body - 1..body, v);
    }
}

fn encode_value(wt: WireType, v: Option<&Value>, dict: &mut DictTx, p: &mut Vec<u8>) {
    match (wt, v) {
        (
            WireType::Freq,
            Some(Value::Freq {
                elapsed,
                curr,
                prev,
            }),
        ) => {
            varint::encode(*elapsed, p);
            varint::encode(*curr, p);
            varint::encode(*prev, p);
        }
        (WireType::Freq, _) => p.extend_from_slice(&[0, 0, 0]),
        (WireType::Dict, Some(Value::Dict(Some(s)))) => {
            let (slot, known) = dict.lookup_or_insert(s);
            let id = slot as u64 + 1;
            if known {
                varint::encode(varint::encoded_len(id) as u64, p);
                varint::encode(id, p);
            } else {
                let mut d = Vec::with_capacity(4 + s.len());
                varint::encode(id, &mut d);
                varint::encode(s.len() as u64, &mut d);
                d.extend_from_slice(s.as_bytes());
                varint::encode(d.len() as u64, p);
                p.extend_from_slice(&d);
            }
        }
        (WireType::Dict, _) => p.push(0),
        (_, Some(Value::Int(v))) => {
            varint::encode(*v, p);
        }
        (_, _) => p.push(0),
    }
}

/// A received update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateIn {
    /// The update id (explicit, or the previous one + 1).
    pub id: u32,
    /// Remaining lifetime in ms of a timed update.
    pub expire: Option<u32>,
    /// The key in wire form (string bytes already truncated to
    /// `key_len - 1`).
    pub key: Vec<u8>,
    /// The values of every data type the sender defined, as `(type id,
    /// value)` in id order, an array's elements one after the other
    /// (local-only types included; the session drops them before
    /// applying). Flat: one allocation per update, not one per type.
    pub data: Vec<(u8, Value)>,
}

/// Our table as the decoder needs it: its key type and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub key_type: u64,
    pub key_len: u64,
}

/// Decodes an update payload. `last_get` is the previous update id
/// received for this table; `layout` the sender's definition.
pub fn decode_update(
    with_id: bool,
    timed: bool,
    payload: &[u8],
    last_get: u32,
    key: KeySpec,
    layout: &RemoteLayout,
    dict: &mut DictRx,
) -> Result<UpdateIn, Malformed> {
    let mut r = Reader::new(payload);
    let id = if with_id {
        r.u32_be().ok_or(Malformed)?
    } else {
        last_get.wrapping_add(1)
    };
    let expire = if timed {
        Some(r.u32_be().ok_or(Malformed)?)
    } else {
        None
    };
    let key = match key.key_type {
        KEY_STRING => {
            let to_read = r.varint()?;
            let to_store = to_read.min(key.key_len.saturating_sub(1));
            let bytes = r
                .bytes(usize::try_from(to_store).map_err(|_| Malformed)?)
                .ok_or(Malformed)?
                .to_vec();
            // HAProxy skips the whole announced length, possibly past the end
            r.skip(usize::try_from(to_read - to_store).unwrap_or(usize::MAX));
            bytes
        }
        KEY_INTEGER => r.bytes(4).ok_or(Malformed)?.to_vec(),
        _ => r
            .bytes(usize::try_from(key.key_len).map_err(|_| Malformed)?)
            .ok_or(Malformed)?
            .to_vec(),
    };
    let mut data = Vec::with_capacity(layout.bitfield.count_ones() as usize);
    for dt in datatypes::ids(layout.bitfield) {
        let Some(wt) = datatypes::wire_type(dt) else {
            continue;
        };
        let n = if datatypes::is_array(dt) {
            layout.nbelem[usize::from(dt)]
        } else {
            1
        };
        for _ in 0..n {
            data.push((dt, decode_value(wt, &mut r, dict)?));
        }
    }
    Ok(UpdateIn {
        id,
        expire,
        key,
        data,
    })
}

fn decode_value(wt: WireType, r: &mut Reader<'_>, dict: &mut DictRx) -> Result<Value, Malformed> {
    let v = r.varint()?;
    Ok(match wt {
        WireType::Freq => Value::Freq {
            elapsed: v,
            curr: r.varint()?,
            prev: r.varint()?,
        },
        WireType::Dict => {
            if v == 0 {
                return Ok(Value::Dict(None));
            }
            let len = usize::try_from(v).map_err(|_| Malformed)?;
            let mut d = r.sub(len).ok_or(Malformed)?;
            let id = d.varint()?;
            if id == 0 || id > crate::dict::CACHE_ENTRIES as u64 {
                return Err(Malformed);
            }
            if d.is_empty() {
                return Ok(Value::Dict(dict.get(id).map(str::to_string)));
            }
            let vlen = d.varint()?;
            if vlen >= MAX_DICT_VALUE {
                return Err(Malformed);
            }
            let bytes = d.bytes(vlen as usize).ok_or(Malformed)?;
            // a C string: an embedded NUL ends it
            let text = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
            let s = String::from_utf8_lossy(text).into_owned();
            dict.set(id, s.clone());
            Value::Dict(Some(s))
        }
        _ => Value::Int(v),
    })
}
