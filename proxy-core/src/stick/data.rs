//! The data a stick-table entry can store (`store ...`), with HAProxy 2.6's
//! numbering.
//!
//! The numeric id of each type is its bit in the peers protocol's data-type
//! bitfield, and `show table` lists stored types in id order. Ids and
//! standard types are those of `enum STKTABLE_DT_*` and
//! `stktable_data_types[]` in HAProxy 2.6 (`stick_table-t.h`,
//! `stick_table.c`):
//!
//! | id | name | type | argument |
//! |---:|---|---|---|
//! | 0 | server_id | signed int | |
//! | 1 | gpt0 | unsigned int | |
//! | 2 | gpc0 | unsigned int | |
//! | 3 | gpc0_rate | freq counter | period |
//! | 4 | conn_cnt | unsigned int | |
//! | 5 | conn_rate | freq counter | period |
//! | 6 | conn_cur | unsigned int, local (never learned from peers) | |
//! | 7 | sess_cnt | unsigned int | |
//! | 8 | sess_rate | freq counter | period |
//! | 9 | http_req_cnt | unsigned int | |
//! | 10 | http_req_rate | freq counter | period |
//! | 11 | http_err_cnt | unsigned int | |
//! | 12 | http_err_rate | freq counter | period |
//! | 13 | bytes_in_cnt | unsigned 64-bit | |
//! | 14 | bytes_in_rate | freq counter | period |
//! | 15 | bytes_out_cnt | unsigned 64-bit | |
//! | 16 | bytes_out_rate | freq counter | period |
//! | 17 | gpc1 | unsigned int | |
//! | 18 | gpc1_rate | freq counter | period |
//! | 19 | server_key | dictionary string | |
//! | 20 | http_fail_cnt | unsigned int | |
//! | 21 | http_fail_rate | freq counter | period |
//! | 22 | gpt | array of unsigned int | count |
//! | 23 | gpc | array of unsigned int | count |
//! | 24 | gpc_rate | array of freq counters | count, period |
//!
//! The old name `server_name` is accepted for `server_key`; `store` lists
//! are parsed in [`super::store`].

use std::sync::Arc;

use super::freq::FreqCtr;

/// Number of data types HAProxy 2.6 knows.
pub const DATA_TYPES: usize = 25;

/// The storage behind a data type (HAProxy's `STD_T_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdType {
    SInt,
    UInt,
    Ull,
    FreqCtr,
    Dict,
}

/// A stick-table data type; the discriminant is HAProxy's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum DataType {
    ServerId = 0,
    Gpt0 = 1,
    Gpc0 = 2,
    Gpc0Rate = 3,
    ConnCnt = 4,
    ConnRate = 5,
    ConnCur = 6,
    SessCnt = 7,
    SessRate = 8,
    HttpReqCnt = 9,
    HttpReqRate = 10,
    HttpErrCnt = 11,
    HttpErrRate = 12,
    BytesInCnt = 13,
    BytesInRate = 14,
    BytesOutCnt = 15,
    BytesOutRate = 16,
    Gpc1 = 17,
    Gpc1Rate = 18,
    ServerKey = 19,
    HttpFailCnt = 20,
    HttpFailRate = 21,
    Gpt = 22,
    Gpc = 23,
    GpcRate = 24,
}

use DataType::*;

impl DataType {
    /// Every type, in id order.
    pub const ALL: [DataType; DATA_TYPES] = [
        ServerId,
        Gpt0,
        Gpc0,
        Gpc0Rate,
        ConnCnt,
        ConnRate,
        ConnCur,
        SessCnt,
        SessRate,
        HttpReqCnt,
        HttpReqRate,
        HttpErrCnt,
        HttpErrRate,
        BytesInCnt,
        BytesInRate,
        BytesOutCnt,
        BytesOutRate,
        Gpc1,
        Gpc1Rate,
        ServerKey,
        HttpFailCnt,
        HttpFailRate,
        Gpt,
        Gpc,
        GpcRate,
    ];

    /// HAProxy's numeric id (bit number in the peers bitfield).
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The type with HAProxy id `id`.
    pub fn from_id(id: u64) -> Option<DataType> {
        DataType::ALL.get(usize::try_from(id).ok()?).copied()
    }

    /// The name used in `store` lists, `data.<name>` and `show table`.
    pub fn name(self) -> &'static str {
        match self {
            ServerId => "server_id",
            Gpt0 => "gpt0",
            Gpc0 => "gpc0",
            Gpc0Rate => "gpc0_rate",
            ConnCnt => "conn_cnt",
            ConnRate => "conn_rate",
            ConnCur => "conn_cur",
            SessCnt => "sess_cnt",
            SessRate => "sess_rate",
            HttpReqCnt => "http_req_cnt",
            HttpReqRate => "http_req_rate",
            HttpErrCnt => "http_err_cnt",
            HttpErrRate => "http_err_rate",
            BytesInCnt => "bytes_in_cnt",
            BytesInRate => "bytes_in_rate",
            BytesOutCnt => "bytes_out_cnt",
            BytesOutRate => "bytes_out_rate",
            Gpc1 => "gpc1",
            Gpc1Rate => "gpc1_rate",
            ServerKey => "server_key",
            HttpFailCnt => "http_fail_cnt",
            HttpFailRate => "http_fail_rate",
            Gpt => "gpt",
            Gpc => "gpc",
            GpcRate => "gpc_rate",
        }
    }

    /// Looks a type up by name (`stktable_get_data_type`, with the
    /// `server_name` alias).
    pub fn from_name(name: &str) -> Option<DataType> {
        if name == "server_name" {
            return Some(ServerKey);
        }
        DataType::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// The storage of one element.
    pub fn std_type(self) -> StdType {
        match self {
            ServerId => StdType::SInt,
            BytesInCnt | BytesOutCnt => StdType::Ull,
            Gpc0Rate | ConnRate | SessRate | HttpReqRate | HttpErrRate | BytesInRate
            | BytesOutRate | Gpc1Rate | HttpFailRate | GpcRate => StdType::FreqCtr,
            ServerKey => StdType::Dict,
            _ => StdType::UInt,
        }
    }

    /// Array types (`gpt(n)`, `gpc(n)`, `gpc_rate(n,p)`).
    pub fn is_array(self) -> bool {
        matches!(self, Gpt | Gpc | GpcRate)
    }

    /// Local-only types, sent to peers but never learned from them.
    pub fn is_local(self) -> bool {
        self == ConnCur
    }

    /// Whether the type takes a period (all frequency counters).
    pub fn takes_period(self) -> bool {
        self.std_type() == StdType::FreqCtr
    }
}

/// One stored data type with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSpec {
    pub data_type: DataType,
    /// Elements (1 unless an array).
    pub nbelem: u32,
    /// Period in ms of frequency counters (0 otherwise).
    pub period_ms: u32,
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataValue {
    SInt(i32),
    UInt(u32),
    Ull(u64),
    Freq(FreqCtr),
    Dict(Option<Arc<str>>),
}

impl DataValue {
    /// The zero value of a storage type.
    pub fn zero(t: StdType) -> DataValue {
        match t {
            StdType::SInt => DataValue::SInt(0),
            StdType::UInt => DataValue::UInt(0),
            StdType::Ull => DataValue::Ull(0),
            StdType::FreqCtr => DataValue::Freq(FreqCtr::default()),
            StdType::Dict => DataValue::Dict(None),
        }
    }

    /// The value as CLI filters and fetches see it: integers as is, a
    /// frequency counter read over `period`, a dictionary entry as 0.
    pub fn as_i64(&self, now_ms: u64, period: u32) -> i64 {
        match self {
            DataValue::SInt(v) => i64::from(*v),
            DataValue::UInt(v) => i64::from(*v),
            DataValue::Ull(v) => *v as i64,
            DataValue::Freq(f) => i64::from(f.read(now_ms, period)),
            DataValue::Dict(_) => 0,
        }
    }

    /// Stores an integer the way HAProxy's C assignments do (truncating to
    /// the storage width); a frequency counter is [`FreqCtr::set`].
    pub fn set_i64(&mut self, now_ms: u64, v: i64) {
        match self {
            DataValue::SInt(x) => *x = v as i32,
            DataValue::UInt(x) => *x = v as u32,
            DataValue::Ull(x) => *x = v as u64,
            DataValue::Freq(f) => f.set(now_ms, v as u32),
            DataValue::Dict(_) => {}
        }
    }
}

/// Where each stored type lives in an entry's value array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLayout {
    specs: Vec<StoreSpec>,
    /// Index of the first element of each type, or `u16::MAX` if absent.
    offset: [u16; DATA_TYPES],
    len: usize,
}

impl DataLayout {
    /// Builds the layout of `specs` (any order; duplicates keep the first).
    pub fn new(specs: &[StoreSpec]) -> DataLayout {
        let mut sorted: Vec<StoreSpec> = Vec::with_capacity(specs.len());
        for s in specs {
            if !sorted.iter().any(|x| x.data_type == s.data_type) {
                sorted.push(*s);
            }
        }
        sorted.sort_by_key(|s| s.data_type);
        let mut offset = [u16::MAX; DATA_TYPES];
        let mut len = 0usize;
        for s in &sorted {
            offset[usize::from(s.data_type.id())] = len as u16;
            len += s.nbelem.max(1) as usize;
        }
        DataLayout {
            specs: sorted,
            offset,
            len,
        }
    }

    /// The stored types with their parameters, in id order.
    pub fn specs(&self) -> &[StoreSpec] {
        &self.specs
    }

    /// The spec of `dt` if stored.
    pub fn spec(&self, dt: DataType) -> Option<&StoreSpec> {
        self.specs.iter().find(|s| s.data_type == dt)
    }

    /// Whether `dt` is stored.
    pub fn has(&self, dt: DataType) -> bool {
        self.offset[usize::from(dt.id())] != u16::MAX
    }

    /// Index of element `idx` of `dt` in the value array.
    pub fn index(&self, dt: DataType, idx: u32) -> Option<usize> {
        let off = self.offset[usize::from(dt.id())];
        if off == u16::MAX {
            return None;
        }
        let n = self.spec(dt).map_or(1, |s| s.nbelem);
        (idx < n).then(|| usize::from(off) + idx as usize)
    }

    /// The period of a stored frequency counter type (0 otherwise).
    pub fn period(&self, dt: DataType) -> u32 {
        self.spec(dt).map_or(0, |s| s.period_ms)
    }

    /// The peers protocol data-type bitfield.
    pub fn bitfield(&self) -> u64 {
        self.specs
            .iter()
            .fold(0, |b, s| b | 1u64 << s.data_type.id())
    }

    /// Values of a new entry.
    pub fn zero_values(&self) -> Box<[DataValue]> {
        let mut v = Vec::with_capacity(self.len);
        for s in &self.specs {
            for _ in 0..s.nbelem.max(1) {
                v.push(DataValue::zero(s.data_type.std_type()));
            }
        }
        v.into_boxed_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stick::store::parse_store_list;

    #[test]
    fn ids_names_types() {
        for (i, d) in DataType::ALL.iter().enumerate() {
            assert_eq!(usize::from(d.id()), i);
            assert_eq!(DataType::from_id(i as u64), Some(*d));
            assert_eq!(DataType::from_name(d.name()), Some(*d));
        }
        assert_eq!(DataType::from_id(25), None);
        assert_eq!(DataType::from_name("server_name"), Some(ServerKey));
        assert_eq!(DataType::from_name("nope"), None);
        assert_eq!(ServerId.std_type(), StdType::SInt);
        assert_eq!(BytesOutCnt.std_type(), StdType::Ull);
        assert_eq!(HttpFailRate.std_type(), StdType::FreqCtr);
        assert_eq!(ServerKey.std_type(), StdType::Dict);
        assert_eq!(Gpt.std_type(), StdType::UInt);
        assert!(GpcRate.is_array() && GpcRate.takes_period());
        assert!(ConnCur.is_local() && !ConnCnt.is_local());
    }

    #[test]
    fn layout() {
        let (specs, _) = parse_store_list("gpc(3),server_key,conn_rate(1s),server_id").unwrap();
        let l = DataLayout::new(&specs);
        assert_eq!(l.index(ServerId, 0), Some(0));
        assert_eq!(l.index(ConnRate, 0), Some(1));
        assert_eq!(l.index(ServerKey, 0), Some(2));
        assert_eq!(l.index(Gpc, 2), Some(5));
        assert_eq!(l.index(Gpc, 3), None);
        assert_eq!(l.index(Gpt0, 0), None);
        assert_eq!(l.period(ConnRate), 1000);
        let z = l.zero_values();
        assert_eq!(z.len(), 6);
        assert_eq!(z[0], DataValue::SInt(0));
        assert_eq!(z[2], DataValue::Dict(None));
        assert_eq!(z[3], DataValue::UInt(0));
    }

    #[test]
    fn values() {
        let mut v = DataValue::UInt(0);
        v.set_i64(0, -1);
        assert_eq!(v, DataValue::UInt(u32::MAX));
        assert_eq!(v.as_i64(0, 0), i64::from(u32::MAX));
        let mut s = DataValue::SInt(0);
        s.set_i64(0, -3);
        assert_eq!(s.as_i64(0, 0), -3);
        let mut f = DataValue::Freq(FreqCtr::default());
        f.set_i64(1_000_000, 7);
        assert_eq!(f.as_i64(1_000_010, 10_000), 7);
        assert_eq!(DataValue::Dict(Some("s1".into())).as_i64(0, 0), 0);
    }
}
