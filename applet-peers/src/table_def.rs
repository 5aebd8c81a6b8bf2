//! Table definition messages (class 10, type 0x82).
//!
//! Payload, in order: the sender's table id; the network name (length and
//! bytes: `be` for a proxy's table, `/t1` for `table t1` in a peers
//! section); the key type (2 integer, 4 IPv4, 5 IPv6, 6 string, 7 binary);
//! the key length; the bitfield of stored data types; the table's `expire`
//! in ms; then, for each stored type in id order that has parameters, its id
//! followed by the array size (arrays) and the period (frequency counters).
//!
//! The receiver (HAProxy's `peer_treat_definemsg`) looks its own table up by
//! network name. A malformed message (truncated integer, empty name, name
//! reaching the end) is a protocol error; an unknown name, a different key
//! type or length, or parameters missing or not matching the bitfield make
//! it ignore the table (its updates are then skipped), not an error. A
//! definition without the expire field is an old sender's, accepted unless
//! it has array types.

use crate::datatypes::{self, DATA_TYPES};
use crate::msg::{encode_frame, Malformed, CLASS_STICKTABLE, STKT_DEFINE};
use crate::varint::{self, Reader};

/// Parameters of one stored data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataParam {
    /// Data type id.
    pub id: u8,
    /// Array elements (1 for non-arrays).
    pub nbelem: u32,
    /// Period in ms (frequency counters; 0 otherwise).
    pub period: u32,
}

/// A table as its owner defines it to a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// The sender's table id (1-based per peers section).
    pub id: u64,
    /// Network name.
    pub name: Vec<u8>,
    /// Peers key type (2, 4, 5, 6, 7).
    pub key_type: u64,
    /// Key length (HAProxy's `key_size`).
    pub key_len: u64,
    /// `expire` in ms (0: none).
    pub expire: u64,
    /// One per stored data type, in id order.
    pub params: Vec<DataParam>,
}

impl TableDef {
    /// The data-type bitfield.
    pub fn bitfield(&self) -> u64 {
        self.params.iter().fold(0, |b, p| b | 1u64 << p.id)
    }

    /// The definition payload.
    pub fn encode_payload(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(32 + self.name.len());
        varint::encode(self.id, &mut p);
        varint::encode(self.name.len() as u64, &mut p);
        p.extend_from_slice(&self.name);
        varint::encode(self.key_type, &mut p);
        varint::encode(self.key_len, &mut p);
        varint::encode(self.bitfield(), &mut p);
        varint::encode(self.expire, &mut p);
        for d in &self.params {
            if datatypes::is_array(d.id) {
                varint::encode(u64::from(d.id), &mut p);
                varint::encode(u64::from(d.nbelem), &mut p);
                if datatypes::has_period(d.id) {
                    varint::encode(u64::from(d.period), &mut p);
                }
            } else if datatypes::has_period(d.id) {
                varint::encode(u64::from(d.id), &mut p);
                varint::encode(u64::from(d.period), &mut p);
            }
        }
        p
    }

    /// Appends the whole message.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(CLASS_STICKTABLE, STKT_DEFINE, &self.encode_payload(), out);
    }

    /// Decodes a complete (new-format) definition, for tests and tools.
    /// Parameters must match the bitfield.
    pub fn decode(payload: &[u8]) -> Result<TableDef, Malformed> {
        let mut r = Reader::new(payload);
        let (id, name) = read_head(&mut r)?;
        let key_type = r.varint()?;
        let key_len = r.varint()?;
        let bits = r.varint()?;
        let expire = r.varint()?;
        let layout = read_params(&mut r, bits, true).ok_or(Malformed)?;
        let params = datatypes::ids(bits)
            .map(|i| DataParam {
                id: i,
                nbelem: layout.nbelem[usize::from(i)],
                period: layout.period[usize::from(i)],
            })
            .collect();
        Ok(TableDef {
            id,
            name: name.to_vec(),
            key_type,
            key_len,
            expire,
            params,
        })
    }
}

/// How the peer encodes the table's updates, learned from its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteLayout {
    /// Data types sent, one bit per id.
    pub bitfield: u64,
    /// Array sizes (1 for non-arrays).
    pub nbelem: [u32; DATA_TYPES as usize],
    /// Periods of frequency counters (0 if unknown).
    pub period: [u32; DATA_TYPES as usize],
}

impl Default for RemoteLayout {
    fn default() -> Self {
        RemoteLayout {
            bitfield: 0,
            nbelem: [1; DATA_TYPES as usize],
            period: [0; DATA_TYPES as usize],
        }
    }
}

impl RemoteLayout {
    /// The layout of our own definition (what we encode with).
    pub fn of(def: &TableDef) -> RemoteLayout {
        let mut l = RemoteLayout {
            bitfield: def.bitfield(),
            ..RemoteLayout::default()
        };
        for p in &def.params {
            if p.id < DATA_TYPES {
                l.nbelem[usize::from(p.id)] = if datatypes::is_array(p.id) {
                    p.nbelem
                } else {
                    1
                };
                l.period[usize::from(p.id)] = p.period;
            }
        }
        l
    }
}

/// What the receiver makes of a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefineOutcome {
    /// Not ours or not compatible: following updates are skipped.
    Ignored,
    /// Our table `local` (the index `find` returned), encoded as `layout`.
    Accepted {
        local: usize,
        layout: Box<RemoteLayout>,
    },
}

/// The id and name at the head of a definition.
fn read_head<'a>(r: &mut Reader<'a>) -> Result<(u64, &'a [u8]), Malformed> {
    let id = r.varint()?;
    let len = usize::try_from(r.varint()?).map_err(|_| Malformed)?;
    // the name may not be empty nor reach the end of the message
    if len == 0 || len >= r.remaining() {
        return Err(Malformed);
    }
    let name = r.bytes(len).ok_or(Malformed)?;
    Ok((id, name))
}

/// Reads the parameter list for `bits` (`None`: missing or mismatched, the
/// table is ignored). Without parameters (`with_params` false, an old
/// sender) arrays cannot be decoded.
fn read_params(r: &mut Reader<'_>, bits: u64, with_params: bool) -> Option<RemoteLayout> {
    let mut l = RemoteLayout {
        bitfield: bits,
        ..RemoteLayout::default()
    };
    for id in datatypes::ids(bits) {
        let (array, freq) = (datatypes::is_array(id), datatypes::has_period(id));
        if !with_params {
            if array {
                return None;
            }
            continue;
        }
        if !array && !freq {
            continue;
        }
        if r.varint().ok()? != u64::from(id) {
            return None;
        }
        let i = usize::from(id);
        if array {
            l.nbelem[i] = r.varint().ok()? as u32;
        }
        if freq {
            l.period[i] = r.varint().ok()? as u32;
        }
    }
    Some(l)
}

/// Parses a received definition. `find` maps a network name to our table:
/// (index, key type, key length). Returns the sender's table id and the
/// outcome, or `Malformed`.
pub fn parse_define(
    payload: &[u8],
    find: impl Fn(&[u8]) -> Option<(usize, u64, u64)>,
) -> Result<(u64, DefineOutcome), Malformed> {
    let mut r = Reader::new(payload);
    let (id, name) = read_head(&mut r)?;
    let Some((local, key_type, key_len)) = find(name) else {
        return Ok((id, DefineOutcome::Ignored));
    };
    let remote_type = r.varint()?;
    let remote_len = r.varint()?;
    let bits = r.varint()?;
    if remote_type != key_type || remote_len != key_len {
        return Ok((id, DefineOutcome::Ignored));
    }
    let with_params = r.varint().is_ok();
    Ok((
        id,
        match read_params(&mut r, bits, with_params) {
            Some(layout) => DefineOutcome::Accepted {
                local,
                layout: Box::new(layout),
            },
            None => DefineOutcome::Ignored,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be() -> TableDef {
        let p = |id, period| DataParam {
            id,
            nbelem: 1,
            period,
        };
        TableDef {
            id: 1,
            name: b"be".to_vec(),
            key_type: 4,
            key_len: 4,
            expire: 30_000,
            params: vec![
                p(0, 0),
                p(2, 0),
                p(4, 0),
                p(5, 10_000),
                p(9, 0),
                p(10, 10_000),
            ],
        }
    }

    /// The reference capture: backend `be`, type ip, expire 30s, store
    /// server_id,gpc0,conn_cnt,conn_rate(10s),http_req_cnt,http_req_rate(10s).
    const CAPTURE: &[u8] = &[
        0x0a, 0x82, 0x13, 0x01, 0x02, 0x62, 0x65, 0x04, 0x04, 0xf5, 0x54, 0xf0, 0xc4, 0x0d, 0x05,
        0xf0, 0xe2, 0x03, 0x0a, 0xf0, 0xe2, 0x03,
    ];

    #[test]
    fn captured_definition() {
        let mut out = Vec::new();
        be().encode(&mut out);
        assert_eq!(out, CAPTURE);
        assert_eq!(be().bitfield(), 1589);
        assert_eq!(TableDef::decode(&CAPTURE[3..]), Ok(be()));
    }

    #[test]
    fn arrays_and_peers_names() {
        let d = TableDef {
            id: 2,
            name: b"/t1".to_vec(),
            key_type: 6,
            key_len: 33,
            expire: 0,
            params: vec![
                DataParam {
                    id: 19,
                    nbelem: 1,
                    period: 0,
                },
                DataParam {
                    id: 22,
                    nbelem: 4,
                    period: 0,
                },
                DataParam {
                    id: 24,
                    nbelem: 2,
                    period: 60_000,
                },
            ],
        };
        let p = d.encode_payload();
        // ... bitfield, expire 0, then 22 4, then 24 2 60000
        let mut tail = vec![0x00, 22, 4, 24, 2];
        varint::encode(60_000, &mut tail);
        assert!(p.ends_with(&tail));
        assert_eq!(TableDef::decode(&p), Ok(d.clone()));
        let (id, out) = parse_define(&p, |n| (n == b"/t1").then_some((3, 6, 33))).unwrap();
        let DefineOutcome::Accepted { local, layout } = out else {
            panic!("{out:?}")
        };
        assert_eq!(
            (
                id,
                local,
                layout.nbelem[22],
                layout.nbelem[24],
                layout.period[24]
            ),
            (2, 3, 4, 2, 60_000)
        );
        assert_eq!(*layout, RemoteLayout::of(&d));
    }

    #[test]
    fn receiver_outcomes() {
        let p = be().encode_payload();
        let find = |n: &[u8]| (n == b"be").then_some((0, 4, 4));
        assert!(matches!(
            parse_define(&p, find),
            Ok((1, DefineOutcome::Accepted { local: 0, .. }))
        ));
        // unknown name: ignored, even if the rest is garbage
        assert_eq!(
            parse_define(&[1, 2, b'x', b'y', 0xf0], find),
            Ok((1, DefineOutcome::Ignored))
        );
        // key type or length differ: ignored
        assert_eq!(
            parse_define(&p, |_| Some((0, 6, 32))),
            Ok((1, DefineOutcome::Ignored))
        );
        assert_eq!(
            parse_define(&p, |_| Some((0, 4, 16))),
            Ok((1, DefineOutcome::Ignored))
        );
        // old format (no expire, no params): fine without arrays
        let old = [1, 2, b'b', b'e', 4, 4, 0xf5, 0x54];
        assert!(matches!(
            parse_define(&old, find),
            Ok((1, DefineOutcome::Accepted { .. }))
        ));
        // ... not with an array type
        let mut old_arr = vec![1, 2, b'b', b'e', 4, 4];
        varint::encode(1 << 22, &mut old_arr);
        assert_eq!(
            parse_define(&old_arr, find).map(|x| x.1),
            Ok(DefineOutcome::Ignored)
        );
        // parameters that do not match the bitfield: ignored
        let mut bad = p.clone();
        let n = bad.len();
        bad[n - 4] = 11; // http_req_rate's id replaced
        assert_eq!(
            parse_define(&bad, find).map(|x| x.1),
            Ok(DefineOutcome::Ignored)
        );
        assert_eq!(
            parse_define(&p[..p.len() - 1], find).map(|x| x.1),
            Ok(DefineOutcome::Ignored)
        );
    }

    #[test]
    fn malformed() {
        let find = |_: &[u8]| Some((0, 4, 4));
        assert_eq!(parse_define(&[], find), Err(Malformed));
        assert_eq!(parse_define(&[1], find), Err(Malformed));
        assert_eq!(parse_define(&[1, 0, 4], find), Err(Malformed), "empty name");
        assert_eq!(
            parse_define(&[1, 2, b'b', b'e'], find),
            Err(Malformed),
            "name reaches the end"
        );
        assert_eq!(
            parse_define(&[1, 2, b'b', b'e', 0xf0], find),
            Err(Malformed),
            "truncated key type"
        );
        assert_eq!(
            parse_define(&[1, 2, b'b', b'e', 4, 4], find),
            Err(Malformed),
            "no bitfield"
        );
        assert_eq!(
            TableDef::decode(&[1, 2, b'b', b'e', 4, 4, 0x20, 0]),
            Err(Malformed),
            "missing period"
        );
    }
}
