//! Stick tables as data (`HostServices::stick_tables`, read through
//! [`Host::stick_tables`](crate::Host::stick_tables)): what `show table`
//! finds, for an applet to present itself.
//!
//! A query names one table (optionally with a key or the CLI's data
//! filters) or none (every table, without entries). The answer is a list
//! of [`StickTableInfo`]: the table's name, key type, size, use, key
//! length, the data types it stores ([`StickColumn`], one per printed
//! column), and, for a one-table query, its entries ([`StickEntry`]) with
//! one [`StickValue`] per column. The host applies HAProxy 2.6's rules
//! (argument checks with HAProxy's messages, access levels, entry order).
//!
//! Growth: every type is `#[repr(C)]`; later values go into the
//! open-ended `metrics` lists (see [`crate::Metric`]) rather than new
//! fields.

use abi_stable::std_types::{ROption, RString, RVec};
use abi_stable::StableAbi;

use crate::host::Metric;

/// What to show.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct StickQuery {
    /// The table; empty for every table (without entries).
    pub table: RString,
    /// `key <key>`: only that entry (`Some("")` when the key is missing:
    /// the host answers HAProxy's message).
    pub key: ROption<RString>,
    /// Otherwise the words after the table name (`data.<type> <op>
    /// <value>`...), checked by the host.
    pub filters: RVec<RString>,
    /// The session's level ([`cli_level`](crate::cli_level)): `key`
    /// queries need `operator`.
    pub level: u8,
    /// The socket's level: entries are dumped only from `operator` on.
    pub socket_level: u8,
}

impl StickQuery {
    /// Every table, without entries.
    pub fn all() -> StickQuery {
        StickQuery::table("", None, &[], 0, 0)
    }

    /// One table, by key or filters.
    pub fn table(
        name: &str,
        key: Option<&str>,
        filters: &[&str],
        level: u8,
        socket_level: u8,
    ) -> StickQuery {
        StickQuery {
            table: name.into(),
            key: key.map(RString::from).into(),
            filters: filters.iter().map(|f| RString::from(*f)).collect(),
            level,
            socket_level,
        }
    }
}

/// One column of an entry: a stored data type, or one element of an
/// array type.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct StickColumn {
    /// HAProxy's name as `show table` prints it: `gpc0`, `conn_cnt`,
    /// `http_req_rate(10000)`, `gpc1_rate(1000)`.
    pub name: RString,
    /// The data type's name (`gpc`, `conn_cnt`, `http_req_rate`).
    pub data_type: RString,
    /// The element of an array type (0 otherwise).
    pub index: u32,
    /// A rate's period in ms (0 otherwise).
    pub period_ms: u32,
}

/// How a [`StickValue`] reads.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StickValueKind(pub u8);

impl StickValueKind {
    /// Not stored: nothing to print.
    pub const ABSENT: StickValueKind = StickValueKind(0);
    /// `num` as an unsigned integer.
    pub const UNSIGNED: StickValueKind = StickValueKind(1);
    /// `num` as the bits of a signed integer.
    pub const SIGNED: StickValueKind = StickValueKind(2);
    /// `text` (`server_key`); empty `text` is no value (printed `-`).
    pub const TEXT: StickValueKind = StickValueKind(3);
}

/// One stored value (a rate is read over its period).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct StickValue {
    pub kind: StickValueKind,
    pub num: u64,
    pub text: ROption<RString>,
}

impl StickValue {
    pub fn absent() -> StickValue {
        StickValue {
            kind: StickValueKind::ABSENT,
            num: 0,
            text: ROption::RNone,
        }
    }
    pub fn unsigned(n: u64) -> StickValue {
        StickValue {
            kind: StickValueKind::UNSIGNED,
            num: n,
            ..StickValue::absent()
        }
    }
    pub fn signed(n: i64) -> StickValue {
        StickValue {
            kind: StickValueKind::SIGNED,
            num: n as u64,
            ..StickValue::absent()
        }
    }
    pub fn text(t: Option<&str>) -> StickValue {
        StickValue {
            kind: StickValueKind::TEXT,
            num: 0,
            text: t.map(RString::from).into(),
        }
    }
}

/// One entry.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct StickEntry {
    /// The entry's identity as HAProxy prints it (its address).
    pub id: u64,
    /// The key as text (an address, a number, a string, hex bytes).
    pub key: RString,
    /// How many streams track it (`use=`).
    pub use_count: u32,
    /// Milliseconds before it expires (`exp=`).
    pub expire_ms: u64,
    /// One per [`StickTableInfo::columns`], in that order.
    pub values: RVec<StickValue>,
}

/// One table.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct StickTableInfo {
    pub name: RString,
    /// `ip`, `ipv6`, `integer`, `string` or `binary`.
    pub key_type: RString,
    /// Most entries.
    pub size: u64,
    /// Entries stored.
    pub used: u64,
    /// The key's length in bytes.
    pub key_len: u32,
    /// The stored data types, as printed columns.
    pub columns: RVec<StickColumn>,
    /// Whether `entries` is the dump asked for (false for a listing, and
    /// on a socket below `operator`, where HAProxy prints a notice).
    pub dumped: bool,
    /// The entries found, in HAProxy's order (for a `key` query: the one
    /// entry, none when the key is absent).
    pub entries: RVec<StickEntry>,
    /// Other values by name: `expire` (the configured lifetime, ms).
    pub metrics: RVec<Metric>,
}
