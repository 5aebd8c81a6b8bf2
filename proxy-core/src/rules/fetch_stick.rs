//! The stick-table sample fetches of HAProxy 2.6: `src_*` (the client
//! address looked up in a table), `sc0_*`..`sc2_*` and `sc_*(<n>)` (a
//! tracked counter), `table_cnt` / `table_avl`, and the `in_table(<t>)`
//! converter. Parsing only; the values come from the stick-table runtime
//! through [`super::RequestView::stick`], as a [`StickFetches`].
//!
//! Arguments, as in 2.6: `src_<x>([<table>])`, `sc<n>_<x>([<table>])`,
//! `sc_<x>(<n>[,<table>])`; the array forms take the element first:
//! `sc_get_gpc(<idx>,<n>[,<table>])`, `src_get_gpc(<idx>[,<table>])`.
//! Without a table, `src_*` and `table_*` use the table of the proxy the
//! rule belongs to; `sc*` read the tracked entry (a table argument looks
//! the tracked key up in that other table).

use std::net::SocketAddr;

use crate::sample::Value;
use crate::stick::DataType;

/// Where the stick-table fetches get their values: the tables and the
/// stream's tracked counters at run time (`stkctr::StickEnv`), handed to
/// the rules by [`super::RequestView::stick`]. A trait rather than that
/// type because the stick-table runtime evaluates rule conditions itself
/// (`tcp-request` rules, `stick` rules): it sits above the rules.
pub trait StickFetches {
    /// The value of a `src_*` / `sc*_*` fetch; `src` is the client.
    fn fetch(&self, f: &StkFetch, src: Option<SocketAddr>) -> Option<Value<'static>>;
    /// `table_cnt`.
    fn table_cnt(&self, name: Option<&str>) -> Option<Value<'static>>;
    /// `table_avl`.
    fn table_avl(&self, name: Option<&str>) -> Option<Value<'static>>;
    /// `<sample>,in_table(<table>)` (`field` empty: whether the key is
    /// there) and `<sample>,table_<field>(<table>)` (its stored value, 0
    /// without an entry; `idx` for the array types).
    fn table_data(
        &self,
        table: &str,
        key: &Value<'_>,
        field: &str,
        idx: Option<u32>,
    ) -> Option<Value<'static>>;
}

/// Whose entry a fetch reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StkSrc {
    /// `src_*`: the client address, looked up in the table.
    Src,
    /// `sc<n>_*` / `sc_*(<n>)`: the entry tracked by counter `n`.
    Sc(u8),
}

/// What a fetch reads or does to the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StkOp {
    /// A stored value as is (counters; rates over their period).
    Read(DataType),
    /// `get_gpt0`, `get_gpc0`, `get_gpc1`, `gpc0_rate`, `gpc1_rate`:
    /// the named type, else element `idx` of its array form.
    ReadOr(DataType, DataType, u32),
    /// `get_gpt(<idx>)`, `get_gpc(<idx>)`, `gpc_rate(<idx>)`.
    Elem(DataType, u32),
    /// `kbytes_in`, `kbytes_out`: the byte count divided by 1024.
    Kbytes(DataType),
    /// `inc_gpc0` (0), `inc_gpc1` (1): increments, returns the new value.
    IncGpc(u8),
    /// `clr_gpc0`, `clr_gpc1`: clears, returns the old value.
    ClrGpc(u8),
    /// `inc_gpc(<idx>)`, `clr_gpc(<idx>)`.
    IncGpcIdx(u32),
    ClrGpcIdx(u32),
    /// `sc*_tracked`: whether the counter is tracked.
    Tracked,
    /// `sc*_trackers`: how many trackers hold the entry.
    Trackers,
    /// `src_updt_conn_cnt`: counts a connection, returns the new count.
    UpdtConnCnt,
}

/// A stick-counter fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StkFetch {
    pub src: StkSrc,
    pub op: StkOp,
    /// The table argument, if given.
    pub table: Option<String>,
}

impl StkOp {
    /// Operations that change the entry (the `src_` form creates it).
    pub fn writes(self) -> bool {
        matches!(
            self,
            StkOp::IncGpc(_)
                | StkOp::ClrGpc(_)
                | StkOp::IncGpcIdx(_)
                | StkOp::ClrGpcIdx(_)
                | StkOp::UpdtConnCnt
        )
    }
}

/// Operation names and whether they take an element index first.
fn op_of(name: &str) -> Option<(StkOp, bool)> {
    use DataType as D;
    Some(match name {
        "conn_cnt" => (StkOp::Read(D::ConnCnt), false),
        "conn_cur" => (StkOp::Read(D::ConnCur), false),
        "conn_rate" => (StkOp::Read(D::ConnRate), false),
        "sess_cnt" => (StkOp::Read(D::SessCnt), false),
        "sess_rate" => (StkOp::Read(D::SessRate), false),
        "http_req_cnt" => (StkOp::Read(D::HttpReqCnt), false),
        "http_req_rate" => (StkOp::Read(D::HttpReqRate), false),
        "http_err_cnt" => (StkOp::Read(D::HttpErrCnt), false),
        "http_err_rate" => (StkOp::Read(D::HttpErrRate), false),
        "http_fail_cnt" => (StkOp::Read(D::HttpFailCnt), false),
        "http_fail_rate" => (StkOp::Read(D::HttpFailRate), false),
        "bytes_in_rate" => (StkOp::Read(D::BytesInRate), false),
        "bytes_out_rate" => (StkOp::Read(D::BytesOutRate), false),
        "kbytes_in" => (StkOp::Kbytes(D::BytesInCnt), false),
        "kbytes_out" => (StkOp::Kbytes(D::BytesOutCnt), false),
        "get_gpt0" => (StkOp::ReadOr(D::Gpt0, D::Gpt, 0), false),
        "get_gpc0" => (StkOp::ReadOr(D::Gpc0, D::Gpc, 0), false),
        "get_gpc1" => (StkOp::ReadOr(D::Gpc1, D::Gpc, 1), false),
        "gpc0_rate" => (StkOp::ReadOr(D::Gpc0Rate, D::GpcRate, 0), false),
        "gpc1_rate" => (StkOp::ReadOr(D::Gpc1Rate, D::GpcRate, 1), false),
        "get_gpt" => (StkOp::Elem(D::Gpt, 0), true),
        "get_gpc" => (StkOp::Elem(D::Gpc, 0), true),
        "gpc_rate" => (StkOp::Elem(D::GpcRate, 0), true),
        "inc_gpc0" => (StkOp::IncGpc(0), false),
        "inc_gpc1" => (StkOp::IncGpc(1), false),
        "clr_gpc0" => (StkOp::ClrGpc(0), false),
        "clr_gpc1" => (StkOp::ClrGpc(1), false),
        "inc_gpc" => (StkOp::IncGpcIdx(0), true),
        "clr_gpc" => (StkOp::ClrGpcIdx(0), true),
        "tracked" => (StkOp::Tracked, false),
        "trackers" => (StkOp::Trackers, false),
        "updt_conn_cnt" => (StkOp::UpdtConnCnt, false),
        _ => return None,
    })
}

/// The read operation of converter `table_<field>` (`idx` for the array
/// forms); `None` for fields that are not stored data.
pub fn table_conv_op(field: &str, idx: Option<u32>) -> Option<StkOp> {
    let name = match field {
        "gpc0" | "gpc1" | "gpt0" | "gpc" | "gpt" => format!("get_{field}"),
        f => f.to_string(),
    };
    let (op, takes_idx) = op_of(&name)?;
    if op.writes() || op == StkOp::Tracked || op == StkOp::UpdtConnCnt {
        return None;
    }
    Some(match (takes_idx, idx) {
        (true, Some(i)) => with_idx(op, i),
        (true, None) => return None,
        _ => op,
    })
}

fn with_idx(op: StkOp, idx: u32) -> StkOp {
    match op {
        StkOp::Elem(dt, _) => StkOp::Elem(dt, idx),
        StkOp::IncGpcIdx(_) => StkOp::IncGpcIdx(idx),
        StkOp::ClrGpcIdx(_) => StkOp::ClrGpcIdx(idx),
        other => other,
    }
}

/// What [`parse`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Stk(StkFetch),
    TableCnt(Option<String>),
    TableAvl(Option<String>),
}

/// Whether `kw` names a stick-table fetch.
pub fn is_stick_keyword(kw: &str) -> bool {
    split(kw).is_some() || matches!(kw, "table_cnt" | "table_avl")
}

/// The counter kind and operation of `kw`, with whether the operation
/// takes an index and whether the counter number is an argument.
fn split(kw: &str) -> Option<(Option<StkSrc>, StkOp, bool)> {
    let (src, rest) = if let Some(r) = kw.strip_prefix("src_") {
        (Some(StkSrc::Src), r)
    } else if let Some(r) = kw.strip_prefix("sc_") {
        (None, r)
    } else {
        let r = kw.strip_prefix("sc")?;
        let n = r.as_bytes().first().filter(|c| (b'0'..=b'2').contains(c))?;
        let r = r[1..].strip_prefix('_')?;
        (Some(StkSrc::Sc(n - b'0')), r)
    };
    let (op, idx) = op_of(rest)?;
    // Forms HAProxy does not register.
    let ok = match (src, op) {
        (Some(StkSrc::Src), StkOp::Tracked | StkOp::Trackers) => false,
        (Some(StkSrc::Sc(_)), _) if idx => false,
        (Some(StkSrc::Sc(_)) | None, StkOp::UpdtConnCnt) => false,
        _ => true,
    };
    ok.then_some((src, op, idx))
}

/// Parses a stick fetch keyword with its arguments (`args` are the words
/// between the parentheses, empty without them). `None` if `kw` is not a
/// stick fetch; `Err` is the reason the arguments are wrong.
pub fn parse(kw: &str, args: &[&str]) -> Option<Result<Parsed, String>> {
    let args: Vec<&str> = args.iter().map(|a| a.trim()).collect();
    let args: &[&str] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        &args
    };
    let table_of = |a: Option<&&str>| a.filter(|t| !t.is_empty()).map(|t| t.to_string());
    if matches!(kw, "table_cnt" | "table_avl") {
        if args.len() > 1 {
            return Some(Err(too_many(2, args)));
        }
        let t = table_of(args.first());
        return Some(Ok(if kw == "table_cnt" {
            Parsed::TableCnt(t)
        } else {
            Parsed::TableAvl(t)
        }));
    }
    let (src, op, takes_idx) = split(kw)?;
    Some((|| {
        let mut i = 0;
        let int = |i: usize, what: &str| -> Result<u32, String> {
            let a = args
                .get(i)
                .ok_or_else(|| format!("missing {what} at position {}", i + 1))?;
            a.parse::<u32>().map_err(|_| {
                format!(
                    "failed to parse '{a}' as type 'integer' at position {}",
                    i + 1
                )
            })
        };
        let op = if takes_idx {
            let idx = int(i, "element index")?;
            i += 1;
            with_idx(op, idx)
        } else {
            op
        };
        let src = match src {
            Some(s) => s,
            None => {
                let n = int(i, "stick counter number")?;
                i += 1;
                StkSrc::Sc(u8::try_from(n).unwrap_or(u8::MAX))
            }
        };
        let table = table_of(args.get(i));
        if args.len() > i + 1 {
            return Err(too_many(i + 2, args));
        }
        Ok(Parsed::Stk(StkFetch { src, op, table }))
    })())
}

fn too_many(pos: usize, args: &[&str]) -> String {
    format!(
        "end of arguments expected at position {pos}, but got '{}'",
        args[pos - 1..].join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(kw: &str, args: &[&str]) -> Parsed {
        parse(kw, args).unwrap().unwrap()
    }

    #[test]
    fn names() {
        assert_eq!(
            ok("src_conn_rate", &[]),
            Parsed::Stk(StkFetch {
                src: StkSrc::Src,
                op: StkOp::Read(DataType::ConnRate),
                table: None
            })
        );
        assert_eq!(
            ok("sc1_http_req_rate", &["t"]),
            Parsed::Stk(StkFetch {
                src: StkSrc::Sc(1),
                op: StkOp::Read(DataType::HttpReqRate),
                table: Some("t".into())
            })
        );
        assert_eq!(
            ok("sc_get_gpc", &["2", "0", "p/t"]),
            Parsed::Stk(StkFetch {
                src: StkSrc::Sc(0),
                op: StkOp::Elem(DataType::Gpc, 2),
                table: Some("p/t".into())
            })
        );
        assert_eq!(
            ok("sc0_get_gpc0", &[""]),
            Parsed::Stk(StkFetch {
                src: StkSrc::Sc(0),
                op: StkOp::ReadOr(DataType::Gpc0, DataType::Gpc, 0),
                table: None
            })
        );
        assert_eq!(ok("table_avl", &["x"]), Parsed::TableAvl(Some("x".into())));
        assert!(parse("sc3_conn_cnt", &[]).is_none());
        assert!(parse("src_tracked", &[]).is_none());
        assert!(parse("sc0_get_gpc", &[]).is_none());
        assert!(parse("sc0_updt_conn_cnt", &[]).is_none());
        assert!(parse("src_nope", &[]).is_none());
        assert!(is_stick_keyword("sc2_trackers") && !is_stick_keyword("src"));
    }

    #[test]
    fn argument_errors() {
        let e = |kw: &str, a: &[&str]| parse(kw, a).unwrap().unwrap_err();
        assert_eq!(
            e("sc_conn_cnt", &[]),
            "missing stick counter number at position 1"
        );
        assert_eq!(
            e("sc_conn_cnt", &["x"]),
            "failed to parse 'x' as type 'integer' at position 1"
        );
        assert_eq!(
            e("src_conn_cnt", &["t", "u"]),
            "end of arguments expected at position 2, but got 'u'"
        );
    }
}
