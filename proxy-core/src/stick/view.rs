//! `show table` as data: what the command finds (tables, their stored
//! data types, and the entries it dumps) before any text is made of it.
//!
//! [`show_all`] and [`show_one`] apply HAProxy 2.6's rules of the command
//! (argument checks and their messages, access levels, entry order, the
//! reaping of due entries a dump walks over); [`render`] makes HAProxy's
//! text of the result (see [`super::show`] for the format). Applets get
//! the same views through the host (`HostServices::stick_tables`) and
//! render them themselves.

use super::data::DataValue;
use super::entry::EntryMut;
use super::key::{format_key, CliKeyError, Key};
use super::show::{args_error, parse_filters, Access, Action};
use super::table::StickTable;
use super::StickTables;

/// One stored value as `show table` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueView {
    /// An integer (a rate read over its period).
    Int(i64),
    /// A dictionary value (`server_key`); `None` prints as `-`.
    Text(Option<String>),
    /// Not stored (prints nothing after `=`).
    Absent,
}

/// One printed column: a data type, or one element of an array type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnView {
    /// As printed before `=`: `gpc0`, `conn_cnt`, `http_req_rate(10000)`.
    pub label: String,
    /// The data type's name (`gpc`, `http_req_rate`).
    pub data_type: &'static str,
    /// The element of an array type (0 otherwise).
    pub index: u32,
    /// A rate's period in ms (0 otherwise).
    pub period_ms: u32,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    /// The entry's address (printed as HAProxy prints its pointer).
    pub addr: usize,
    pub key: String,
    pub use_count: u32,
    /// Remaining ms before expiry.
    pub expire_ms: u64,
    /// One per column, in column order.
    pub values: Vec<ValueView>,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableView {
    pub name: String,
    pub key_type: &'static str,
    pub size: u32,
    pub used: u32,
    pub key_len: usize,
    /// The configured entry lifetime in ms (0: never expire).
    pub expire_ms: u32,
    pub columns: Vec<ColumnView>,
    /// `None`: entries not dumped (a listing, or a socket below
    /// `operator`, which prints a notice instead).
    pub entries: Option<Vec<EntryView>>,
}

/// What one table's `show` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// `show table <t> [data...]`: the header and the matching entries
    /// (nothing for a table of size 0).
    Dump,
    /// `show table <t> key <k>`: the header and the entry, or nothing when
    /// the key is absent (no entries).
    Key,
}

/// The table's description without entries.
pub fn table_view(t: &StickTable) -> TableView {
    let c = t.config();
    let mut columns = Vec::new();
    for spec in c.layout.specs() {
        let dt = spec.data_type;
        let name = dt.name();
        for index in 0..spec.nbelem {
            let mut label = if dt.is_array() {
                match name.split_once('_') {
                    Some((pfx, sfx)) => format!("{pfx}{index}_{sfx}"),
                    None => format!("{name}{index}"),
                }
            } else {
                name.to_string()
            };
            let period_ms = if dt.takes_period() {
                label.push_str(&format!("({})", spec.period_ms));
                spec.period_ms
            } else {
                0
            };
            columns.push(ColumnView {
                label,
                data_type: name,
                index,
                period_ms,
            });
        }
    }
    TableView {
        name: c.name.clone(),
        key_type: c.key_type.name(),
        size: c.size,
        used: t.used(),
        key_len: c.key_type.key_size(),
        expire_ms: c.expire_ms,
        columns,
        entries: None,
    }
}

/// One entry of `t`.
pub fn entry_view(t: &StickTable, e: &EntryMut<'_>) -> EntryView {
    let c = t.config();
    let entry = e.entry();
    let mut values = Vec::new();
    for spec in c.layout.specs() {
        for idx in 0..spec.nbelem {
            values.push(match e.get(spec.data_type, idx) {
                Some(DataValue::Dict(d)) => ValueView::Text(d.as_deref().map(str::to_string)),
                Some(v) => ValueView::Int(v.as_i64(e.now_ms, spec.period_ms)),
                None => ValueView::Absent,
            });
        }
    }
    EntryView {
        addr: entry as *const _ as usize,
        key: format_key(&c.key_type, entry.key()),
        use_count: entry.ref_cnt(),
        expire_ms: entry.expire_in(e.now_ms),
        values,
    }
}

/// `show table`: every table, without entries (tables of size 0
/// included: the listing leaves them out).
pub fn show_all(tables: &StickTables) -> Vec<TableView> {
    tables.iter().map(|t| table_view(t)).collect()
}

/// `show table <name> [key <key> | data.<type> <op> <value>...]`: `key`
/// is the word after `key` (`Some("")` when missing), `words` what
/// follows the name otherwise. `Err` is HAProxy's message.
pub fn show_one(
    tables: &StickTables,
    name: &str,
    key: Option<&str>,
    words: &[&str],
    now_ms: u64,
    access: Access,
) -> Result<(TableView, Shown), String> {
    let t = tables
        .find(name)
        .ok_or_else(|| "No such table\n".to_string())?;
    let c = t.config();
    if let Some(key) = key {
        let key = Key::parse_cli(&c.key_type, key).map_err(|e| match e {
            CliKeyError::Missing => "Key value expected\n".to_string(),
            CliKeyError::Invalid => "Invalid key\n".to_string(),
            CliKeyError::Unsupported => "Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n".to_string(),
        })?;
        if !access.session_oper {
            return Err("Permission denied\n".into());
        }
        return Ok(
            match t.lookup(&key, now_ms, |e| {
                let mut v = table_view(t);
                v.entries = Some(vec![entry_view(t, e)]);
                v
            }) {
                Some(v) => (v, Shown::Key),
                None => (table_view(t), Shown::Key),
            },
        );
    }
    let first = words.first().copied().unwrap_or("");
    if !first.is_empty() && !first.starts_with("data.") {
        return Err(args_error(Action::Show));
    }
    let filters = if first.is_empty() {
        Vec::new()
    } else {
        parse_filters(t, words)?
    };
    if c.size == 0 || !access.socket_oper {
        return Ok((table_view(t), Shown::Dump));
    }
    let mut lines: Vec<(Vec<u8>, EntryView)> = Vec::new();
    t.for_each(now_ms, |e| {
        if filters.iter().all(|f| f.matches(e)) {
            lines.push((sort_key(e.key()), entry_view(t, e)));
        }
    });
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    let mut v = table_view(t);
    v.entries = Some(lines.into_iter().map(|(_, e)| e).collect());
    // as HAProxy, a dump also reaps the due entries it walked over
    t.purge_expired(now_ms);
    Ok((v, Shown::Dump))
}

/// HAProxy walks its key tree in byte order; integer keys are stored in
/// host (little-endian) order there.
fn sort_key(k: &Key) -> Vec<u8> {
    match k {
        Key::Integer(v) => v.to_le_bytes().to_vec(),
        other => other.to_wire(),
    }
}

/// The header line of a table.
pub fn header(v: &TableView) -> String {
    format!(
        "# table: {}, type: {}, size:{}, used:{}\n",
        v.name, v.key_type, v.size, v.used
    )
}

/// One entry line.
pub fn entry_line(v: &TableView, e: &EntryView) -> String {
    let mut s = format!(
        "{:#x}: key={} use={} exp={}",
        e.addr, e.key, e.use_count, e.expire_ms
    );
    for (col, val) in v.columns.iter().zip(&e.values) {
        s.push(' ');
        s.push_str(&col.label);
        s.push('=');
        match val {
            ValueView::Int(n) => s.push_str(&n.to_string()),
            ValueView::Text(t) => s.push_str(t.as_deref().unwrap_or("-")),
            ValueView::Absent => {}
        }
    }
    s.push('\n');
    s
}

/// The listing: the header of every table of a non-zero size.
pub fn render_all(views: &[TableView]) -> String {
    views.iter().filter(|v| v.size > 0).map(header).collect()
}

/// One table's answer.
pub fn render(v: &TableView, shown: Shown) -> String {
    match (shown, &v.entries) {
        (Shown::Key, None) => String::new(),
        (Shown::Key, Some(list)) => {
            let mut out = header(v);
            out.extend(list.iter().map(|e| entry_line(v, e)));
            out
        }
        (Shown::Dump, _) if v.size == 0 => String::new(),
        (Shown::Dump, None) => header(v) + "# contents not dumped due to insufficient privileges\n",
        (Shown::Dump, Some(list)) => {
            let mut out = header(v);
            out.extend(list.iter().map(|e| entry_line(v, e)));
            out
        }
    }
}
