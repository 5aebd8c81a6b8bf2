//! `stick_tables` of the host-services table: `show table` as data for
//! applets ([`applet_sdk::tables`]), from the core's views
//! ([`crate::stick::view`]), with the same rules as the text command.

use abi_stable::std_types::{RErr, ROk, RResult, RString, RVec};
use applet_sdk::{cli_level, StickColumn, StickEntry, StickQuery, StickTableInfo, StickValue};

use super::services::{contain, m, state};
use crate::stick::show::Access;
use crate::stick::view::{self, TableView, ValueView};

pub(super) extern "C" fn host_stick_tables(
    query: StickQuery,
) -> RResult<RVec<StickTableInfo>, RString> {
    contain("stick_tables", RErr("internal error\n".into()), || {
        let Some(st) = state() else {
            return RErr("No such table\n".into());
        };
        let tables = &st.stick.registry;
        if query.table.is_empty() {
            return ROk(view::show_all(tables).iter().map(info).collect());
        }
        let access = Access {
            session_oper: query.level >= cli_level::OPERATOR,
            socket_oper: query.socket_level >= cli_level::OPERATOR,
        };
        let key = query.key.as_ref().map(|k| k.as_str()).into_option();
        let words: Vec<&str> = query.filters.iter().map(|w| w.as_str()).collect();
        let now = crate::counters::now_ms();
        match view::show_one(tables, &query.table, key, &words, now, access) {
            Ok((v, _)) => ROk(RVec::from(vec![info(&v)])),
            Err(e) => RErr(e.into()),
        }
    })
}

/// The SDK's form of a table view.
fn info(v: &TableView) -> StickTableInfo {
    let entries = v.entries.as_deref().unwrap_or(&[]);
    StickTableInfo {
        name: v.name.as_str().into(),
        key_type: v.key_type.into(),
        size: u64::from(v.size),
        used: u64::from(v.used),
        key_len: v.key_len as u32,
        columns: v
            .columns
            .iter()
            .map(|c| StickColumn {
                name: c.label.as_str().into(),
                data_type: c.data_type.into(),
                index: c.index,
                period_ms: c.period_ms,
            })
            .collect(),
        dumped: v.entries.is_some(),
        entries: entries
            .iter()
            .map(|e| StickEntry {
                id: e.addr as u64,
                key: e.key.as_str().into(),
                use_count: e.use_count,
                expire_ms: e.expire_ms,
                values: e
                    .values
                    .iter()
                    .map(|val| match val {
                        ValueView::Int(n) if *n >= 0 => StickValue::unsigned(*n as u64),
                        ValueView::Int(n) => StickValue::signed(*n),
                        ValueView::Text(t) => StickValue::text(t.as_deref()),
                        ValueView::Absent => StickValue::absent(),
                    })
                    .collect(),
            })
            .collect(),
        metrics: RVec::from(vec![m("expire", u64::from(v.expire_ms))]),
    }
}
