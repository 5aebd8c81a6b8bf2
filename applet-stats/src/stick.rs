//! `show table`, rendered here from the host's stick tables as data
//! (HAProxy 2.6's text):
//!
//! ```text
//! # table: be_app, type: ip, size:1024, used:1
//! 0x55e6b25291b8: key=127.0.0.1 use=0 exp=599870 server_id=2 gpc0=0 conn_rate(10000)=0 server_key=s2
//! ```
//!
//! `show table` lists the header of every table of a non-zero size;
//! `show table <t> [data.<type> <op> <value>]*` dumps the header and the
//! matching entries (nothing for a table of size 0; a notice instead of
//! the entries on a socket below `operator`); `show table <t> key <k>`
//! prints the header and the entry, or nothing when the key is absent.
//! The host checks the arguments (with HAProxy's messages), applies the
//! levels and orders the entries; the conversion from its types is in
//! `host_source`.

use std::fmt::Write;

/// What `show table <args>` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickShow<'a> {
    /// Every table's header.
    All,
    /// One table, by key or by filters.
    Table {
        name: &'a str,
        /// The word after `key` (`""` when missing).
        key: Option<&'a str>,
        /// Otherwise the words after the name (checked by the host).
        filters: &'a [&'a str],
    },
}

impl<'a> StickShow<'a> {
    /// From the words after `show table`.
    pub fn parse(args: &'a [&'a str]) -> StickShow<'a> {
        let arg = |i: usize| args.get(i).copied().unwrap_or("");
        if arg(0).is_empty() {
            return StickShow::All;
        }
        let key = (arg(1) == "key").then(|| arg(2));
        StickShow::Table {
            name: arg(0),
            key,
            filters: if key.is_some() { &[] } else { &args[1..] },
        }
    }
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StickValue {
    Unsigned(u64),
    Signed(i64),
    /// `server_key`: `None` prints `-`.
    Text(Option<String>),
    /// Not stored: nothing after `=`.
    Absent,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickEntry {
    /// The entry's identity (HAProxy prints its address).
    pub id: u64,
    pub key: String,
    pub use_count: u32,
    pub expire_ms: u64,
    /// One per [`StickTable::columns`].
    pub values: Vec<StickValue>,
}

/// One table as the host gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickTable {
    pub name: String,
    pub key_type: String,
    pub size: u64,
    pub used: u64,
    /// The printed names of the stored values (`gpc0`,
    /// `http_req_rate(10000)`).
    pub columns: Vec<String>,
    /// Whether `entries` is a dump (false on a socket below `operator`).
    pub dumped: bool,
    pub entries: Vec<StickEntry>,
}

/// The header line of a table.
fn header(t: &StickTable) -> String {
    format!(
        "# table: {}, type: {}, size:{}, used:{}\n",
        t.name, t.key_type, t.size, t.used
    )
}

/// The header and one line per entry.
fn dump(t: &StickTable) -> String {
    let mut s = header(t);
    for e in &t.entries {
        let _ = write!(
            s,
            "{:#x}: key={} use={} exp={}",
            e.id, e.key, e.use_count, e.expire_ms
        );
        for (col, v) in t.columns.iter().zip(&e.values) {
            let _ = write!(s, " {col}=");
            let _ = match v {
                StickValue::Unsigned(n) => write!(s, "{n}"),
                StickValue::Signed(n) => write!(s, "{n}"),
                StickValue::Text(t) => write!(s, "{}", t.as_deref().unwrap_or("-")),
                StickValue::Absent => Ok(()),
            };
        }
        s.push('\n');
    }
    s
}

/// The command's output for what the host answered to `show`.
pub fn render(show: &StickShow<'_>, tables: &[StickTable]) -> String {
    match show {
        StickShow::All => tables.iter().filter(|t| t.size > 0).map(header).collect(),
        StickShow::Table { key: Some(_), .. } => tables
            .iter()
            .filter(|t| !t.entries.is_empty())
            .map(dump)
            .collect(),
        StickShow::Table { key: None, .. } => tables
            .iter()
            .filter(|t| t.size > 0)
            .map(|t| {
                if t.dumped {
                    dump(t)
                } else {
                    header(t) + "# contents not dumped due to insufficient privileges\n"
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(size: u64, dumped: bool, entries: Vec<StickEntry>) -> StickTable {
        StickTable {
            name: "be_app".into(),
            key_type: "ip".into(),
            size,
            used: entries.len() as u64,
            columns: vec![
                "server_id".into(),
                "gpc0".into(),
                "conn_rate(10000)".into(),
                "server_key".into(),
            ],
            dumped,
            entries,
        }
    }

    fn entry() -> StickEntry {
        StickEntry {
            id: 0x55e6b25291b8,
            key: "127.0.0.1".into(),
            use_count: 0,
            expire_ms: 599870,
            values: vec![
                StickValue::Signed(2),
                StickValue::Unsigned(0),
                StickValue::Unsigned(0),
                StickValue::Text(Some("s2".into())),
            ],
        }
    }

    #[test]
    fn arguments() {
        assert_eq!(StickShow::parse(&[]), StickShow::All);
        let args = ["t", "key"];
        assert_eq!(
            StickShow::parse(&args),
            StickShow::Table {
                name: "t",
                key: Some(""),
                filters: &[]
            }
        );
        let args = ["t", "data.gpc0", "gt", "1"];
        assert_eq!(
            StickShow::parse(&args),
            StickShow::Table {
                name: "t",
                key: None,
                filters: &["data.gpc0", "gt", "1"]
            }
        );
    }

    #[test]
    fn haproxy_text() {
        let t = table(1024, true, vec![entry()]);
        let dump = StickShow::parse(&["be_app"]);
        assert_eq!(
            render(&dump, std::slice::from_ref(&t)),
            "# table: be_app, type: ip, size:1024, used:1\n\
             0x55e6b25291b8: key=127.0.0.1 use=0 exp=599870 server_id=2 gpc0=0 conn_rate(10000)=0 server_key=s2\n"
        );
        let all = [t.clone(), table(0, false, vec![])];
        assert_eq!(
            render(&StickShow::All, &all),
            "# table: be_app, type: ip, size:1024, used:1\n"
        );
        let key = StickShow::parse(&["be_app", "key", "10.0.0.1"]);
        assert_eq!(render(&key, &[table(1024, false, vec![])]), "");
        assert_eq!(render(&dump, &[table(0, true, vec![])]), "");
        assert_eq!(
            render(&dump, &[table(8, false, vec![])]),
            "# table: be_app, type: ip, size:8, used:0\n\
             # contents not dumped due to insufficient privileges\n"
        );
        let mut e = entry();
        e.values = vec![StickValue::Absent, StickValue::Text(None)];
        let mut t = table(8, true, vec![e]);
        t.columns.truncate(2);
        assert!(render(&dump, &[t]).ends_with(" server_id= gpc0=-\n"));
    }
}
