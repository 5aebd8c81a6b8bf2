//! The host's stick tables as data (applet-sdk's `StickTableInfo`) become
//! this crate's [`crate::stick`] model; the query goes the other way.

use applet_sdk::{Host, StickQuery, StickTableInfo, StickValueKind};

use crate::stick::{StickEntry, StickShow, StickTable, StickValue};

/// Asks the host; `None` when it is older than `stick_tables`.
pub(crate) fn stick_tables(
    host: &Host,
    show: &StickShow<'_>,
    level: u8,
    socket_level: u8,
) -> Option<Result<Vec<StickTable>, String>> {
    let query = match show {
        StickShow::All => StickQuery::all(),
        StickShow::Table { name, key, filters } => {
            StickQuery::table(name, *key, filters, level, socket_level)
        }
    };
    host.stick_tables(query)
        .map(|r| r.map(|list| list.iter().map(table_from).collect()))
}

fn table_from(t: &StickTableInfo) -> StickTable {
    StickTable {
        name: t.name.to_string(),
        key_type: t.key_type.to_string(),
        size: t.size,
        used: t.used,
        columns: t.columns.iter().map(|c| c.name.to_string()).collect(),
        dumped: t.dumped,
        entries: t
            .entries
            .iter()
            .map(|e| StickEntry {
                id: e.id,
                key: e.key.to_string(),
                use_count: e.use_count,
                expire_ms: e.expire_ms,
                values: e.values.iter().map(value_from).collect(),
            })
            .collect(),
    }
}

fn value_from(v: &applet_sdk::StickValue) -> StickValue {
    match v.kind {
        StickValueKind::UNSIGNED => StickValue::Unsigned(v.num),
        StickValueKind::SIGNED => StickValue::Signed(v.num as i64),
        StickValueKind::TEXT => {
            StickValue::Text(v.text.as_ref().map(|t| t.to_string()).into_option())
        }
        _ => StickValue::Absent,
    }
}
