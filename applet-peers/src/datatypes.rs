//! What the wire needs to know of each stick-table data type (HAProxy 2.6
//! ids): how one element is encoded, whether it is an array, whether it has
//! a period, and whether it is local-only (sent, never learned).
//!
//! This crate depends on no proxy code, so the table is repeated here; the
//! core's `stick::data` module has the same ids (tests on both sides check
//! the names and ids).

/// Number of data types HAProxy 2.6 knows; bitfield bits above are ignored.
pub const DATA_TYPES: u8 = 25;

/// Id of `conn_cur`, the local-only type.
pub const CONN_CUR: u8 = 6;
/// Id of `server_key`, the dictionary type.
pub const SERVER_KEY: u8 = 19;

/// The encoding of one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    /// `server_id`: a C `int`, sign-extended to 64 bits, one varint.
    SInt,
    /// One varint.
    UInt,
    /// One varint (64-bit counters).
    Ull,
    /// Three varints: elapsed ms, current, previous.
    Freq,
    /// Dictionary reference (`server_key`).
    Dict,
}

/// Names, in id order.
pub const NAMES: [&str; DATA_TYPES as usize] = [
    "server_id",
    "gpt0",
    "gpc0",
    "gpc0_rate",
    "conn_cnt",
    "conn_rate",
    "conn_cur",
    "sess_cnt",
    "sess_rate",
    "http_req_cnt",
    "http_req_rate",
    "http_err_cnt",
    "http_err_rate",
    "bytes_in_cnt",
    "bytes_in_rate",
    "bytes_out_cnt",
    "bytes_out_rate",
    "gpc1",
    "gpc1_rate",
    "server_key",
    "http_fail_cnt",
    "http_fail_rate",
    "gpt",
    "gpc",
    "gpc_rate",
];

/// The element encoding of data type `id`, `None` beyond the known ones.
pub fn wire_type(id: u8) -> Option<WireType> {
    Some(match id {
        0 => WireType::SInt,
        13 | 15 => WireType::Ull,
        3 | 5 | 8 | 10 | 12 | 14 | 16 | 18 | 21 | 24 => WireType::Freq,
        19 => WireType::Dict,
        1 | 2 | 4 | 6 | 7 | 9 | 11 | 17 | 20 | 22 | 23 => WireType::UInt,
        _ => return None,
    })
}

/// `gpt`, `gpc`, `gpc_rate`.
pub fn is_array(id: u8) -> bool {
    matches!(id, 22..=24)
}

/// Frequency counters (their definition carries a period).
pub fn has_period(id: u8) -> bool {
    wire_type(id) == Some(WireType::Freq)
}

/// Sent but never learned (`conn_cur`).
pub fn is_local(id: u8) -> bool {
    id == CONN_CUR
}

/// The data type ids set in a bitfield, in increasing order (known ones
/// only).
pub fn ids(bitfield: u64) -> impl Iterator<Item = u8> {
    (0..DATA_TYPES).filter(move |&i| bitfield & (1u64 << i) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(NAMES[usize::from(CONN_CUR)], "conn_cur");
        assert_eq!(NAMES[usize::from(SERVER_KEY)], "server_key");
        for id in 0..DATA_TYPES {
            let n = NAMES[usize::from(id)];
            assert!(wire_type(id).is_some());
            assert_eq!(has_period(id), n.ends_with("_rate"), "{n}");
            assert_eq!(is_array(id), matches!(n, "gpt" | "gpc" | "gpc_rate"));
        }
        assert_eq!(wire_type(25), None);
        assert_eq!(wire_type(0), Some(WireType::SInt));
        assert_eq!(wire_type(15), Some(WireType::Ull));
        assert_eq!(ids(1589).collect::<Vec<_>>(), [0, 2, 4, 5, 9, 10]);
        assert_eq!(ids(1 << 40 | 1).collect::<Vec<_>>(), [0]);
    }
}
