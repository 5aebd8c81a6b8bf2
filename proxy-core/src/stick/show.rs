//! The stick-table CLI commands, as HAProxy 2.6 answers them:
//! `show table [<name> [data.<type> <op> <value>]* | [key <key>]]`,
//! `clear table <name> [data.<type> <op> <value>]* | [key <key>]` and
//! `set table <name> key <key> [data.<type> <value>]*`.
//!
//! Output (each line ends with `\n`; the CLI adds the final empty line):
//!
//! ```text
//! # table: be_app, type: ip, size:1024, used:1
//! 0x55e6b25291b8: key=127.0.0.1 use=0 exp=599870 server_id=2 gpc0=0 conn_rate(10000)=0 server_key=s2
//! ```
//!
//! The header shows the table's name, key type, size and entry count; each
//! entry its address, key, reference count, remaining ms, then the stored
//! types in id order: rates as `name(<period>)=<events over the period>`,
//! arrays element by element (`gpc0=`, `gpc1=`, `gpc0_rate(1000)=`, ...),
//! `server_key` as the name or `-`. Errors are HAProxy's messages.
//!
//! Filters compare integers (a rate is read over its period, an array by
//! its first element, `server_key` as 0); up to four, all must match.
//! Differences from 2.6, on purpose: `set table <t>` without a key is an
//! argument error (2.6 clears the table), filter words after the first
//! must also start with `data.` (2.6 skips five characters blindly), and
//! `clear table <t> [data...]` removes every unreferenced matching entry
//! (2.6 spares an entry whose successor in key order is referenced: its
//! walker tests the next entry's reference count).
//!
//! Access (the `stats socket` levels): from a session below `operator`,
//! `key` commands answer `Permission denied`; on a socket below
//! `operator`, `show table <t>` prints the header and `# contents not
//! dumped due to insufficient privileges`, and `clear table <t>` by filter
//! does nothing (see [`Access`]).

use super::data::DataType;
use super::entry::EntryMut;
use super::key::{CliKeyError, Key};
use super::table::StickTable;
use super::{view, StickTables};

/// Most data filters on one command (`STKTABLE_FILTER_LEN`).
pub const MAX_FILTERS: usize = 4;

/// Which command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Show,
    Clear,
    Set,
}

/// A filter comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    /// `eq`, `ne`, `lt`, `le`, `gt`, `ge`.
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            _ => return None,
        })
    }

    pub fn test(self, data: i64, value: i64) -> bool {
        match self {
            Op::Eq => data == value,
            Op::Ne => data != value,
            Op::Lt => data < value,
            Op::Le => data <= value,
            Op::Gt => data > value,
            Op::Ge => data >= value,
        }
    }
}

/// `data.<type> <op> <value>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    pub data_type: DataType,
    pub op: Op,
    pub value: i64,
}

impl Filter {
    /// Whether the entry passes.
    pub fn matches(&self, e: &EntryMut<'_>) -> bool {
        self.op
            .test(e.read(self.data_type, 0).unwrap_or(0), self.value)
    }
}

/// What the CLI session may see and change (HAProxy 2.6's checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The session's level is `operator` or more: `key` commands act.
    pub session_oper: bool,
    /// The socket's level is `operator` or more: entries are dumped or
    /// cleared by filter (else `show` prints the header and
    /// `# contents not dumped due to insufficient privileges`).
    pub socket_oper: bool,
}

impl Access {
    pub const FULL: Access = Access {
        session_oper: true,
        socket_oper: true,
    };
}

/// Runs `show|clear|set table <args>` (`args` are the words after
/// `table`). `Ok` is the output, `Err` an error message; both end with a
/// newline when not empty.
pub fn cli_table(
    tables: &StickTables,
    action: Action,
    args: &[&str],
    now_ms: u64,
) -> Result<String, String> {
    cli_table_access(tables, action, args, now_ms, Access::FULL)
}

/// [`cli_table`] for a session with `access`.
pub fn cli_table_access(
    tables: &StickTables,
    action: Action,
    args: &[&str],
    now_ms: u64,
    access: Access,
) -> Result<String, String> {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    if action == Action::Show {
        if arg(0).is_empty() {
            return Ok(view::render_all(&view::show_all(tables)));
        }
        let key = (arg(1) == "key").then(|| arg(2));
        let words = &args[1.min(args.len())..];
        let (v, shown) = view::show_one(tables, arg(0), key, words, now_ms, access)?;
        return Ok(view::render(&v, shown));
    }
    if arg(0).is_empty() {
        return Err(args_error(action));
    }
    let t = tables
        .find(arg(0))
        .ok_or_else(|| "No such table\n".to_string())?;
    if arg(1) == "key" {
        return per_key(t, action, args, now_ms, access);
    }
    if arg(1).starts_with("data.") {
        if action == Action::Set {
            return Err(
                "content-based lookup is only supported with the \"show\" and \"clear\" actions\n"
                    .into(),
            );
        }
        let filters = parse_filters(t, &args[1..])?;
        return Ok(clear(t, &filters, now_ms, access));
    }
    if !arg(1).is_empty() || action == Action::Set {
        return Err(args_error(action));
    }
    Ok(clear(t, &[], now_ms, access))
}

/// The message of a command whose arguments do not fit.
pub(super) fn args_error(action: Action) -> String {
    match action {
        Action::Show => "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n",
        Action::Clear => "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n",
        Action::Set => "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n",
    }
    .to_string()
}

/// Parses `data.<type> <op> <value>` groups (`words` starts at the first).
pub fn parse_filters(t: &StickTable, words: &[&str]) -> Result<Vec<Filter>, String> {
    let w = |i: usize| words.get(i).copied().unwrap_or("");
    let mut filters = Vec::new();
    let mut i = 0;
    while i < MAX_FILTERS {
        if i > 0 && w(3 * i).is_empty() {
            break;
        }
        let n = i + 1;
        let dt = w(3 * i)
            .strip_prefix("data.")
            .and_then(DataType::from_name)
            .ok_or_else(|| format!("Filter entry #{n}: Unknown data type\n"))?;
        if !t.config().layout.has(dt) {
            return Err(format!(
                "Filter entry #{n}: Data type not stored in this table\n"
            ));
        }
        let op = Op::parse(w(3 * i + 1)).ok_or_else(|| {
            format!("Filter entry #{n}: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n")
        })?;
        let value = parse_ll(w(3 * i + 2)).ok_or_else(|| {
            format!("Filter entry #{n}: Require a valid integer value to compare against\n")
        })?;
        filters.push(Filter {
            data_type: dt,
            op,
            value,
        });
        i += 1;
    }
    if !w(3 * i).is_empty() {
        // word numbers count from `show` (the table name is the 3rd word)
        return Err(format!(
            "Detected extra data in filter, {}th word of input, after '{}'\n",
            3 + 3 * i + 1,
            if i == 0 { "" } else { w(3 * i - 1) }
        ));
    }
    Ok(filters)
}

/// A decimal signed 64-bit integer (`strl2llrc`).
fn parse_ll(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if s.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().or_else(|| (s == "-").then_some(0))
}

/// `clear table <t> [data...]`: removes every unreferenced matching
/// entry (nothing on a socket below `operator`).
fn clear(t: &StickTable, filters: &[Filter], now_ms: u64, access: Access) -> String {
    if t.config().size == 0 || !access.socket_oper {
        return String::new();
    }
    t.remove_if(now_ms, |e| filters.iter().all(|f| f.matches(e)));
    String::new()
}

fn per_key(
    t: &StickTable,
    action: Action,
    args: &[&str],
    now_ms: u64,
    access: Access,
) -> Result<String, String> {
    let c = t.config();
    let key =
        Key::parse_cli(&c.key_type, args.get(2).copied().unwrap_or("")).map_err(|e| match e {
            CliKeyError::Missing => "Key value expected\n".to_string(),
            CliKeyError::Invalid => "Invalid key\n".to_string(),
            CliKeyError::Unsupported => format!(
                "{} tables of type other than ip, ipv6, string and integer is not supported\n",
                match action {
                    Action::Show => "Showing keys from",
                    Action::Clear => "Removing keys from",
                    Action::Set => "Inserting keys into",
                }
            ),
        })?;
    if !access.session_oper {
        return Err("Permission denied\n".into());
    }
    match action {
        // answered by `view::show_one`
        Action::Show => Err(args_error(action)),
        Action::Clear => match t.remove(&key) {
            Ok(_) => Ok(String::new()),
            Err(_) => Err("Entry currently in use, cannot remove\n".into()),
        },
        Action::Set => {
            let words = &args[3.min(args.len())..];
            t.update_local(key, now_ms, |e| set_values(e, c, words))
                .map_err(|_| "Unable to allocate a new entry\n".to_string())?
                .map(|()| String::new())
        }
    }
}

/// Applies `data.<type> <value>` pairs in order; stops at the first bad one
/// (the earlier ones stay applied and the entry is still touched, as 2.6).
fn set_values(e: &mut EntryMut<'_>, c: &super::TableConfig, words: &[&str]) -> Result<(), String> {
    for pair in words.chunks(2) {
        let dt = pair[0]
            .strip_prefix("data.")
            .ok_or_else(|| "\"data.<type>\" followed by a value expected\n".to_string())?;
        let dt = DataType::from_name(dt).ok_or_else(|| "Unknown data type\n".to_string())?;
        if !c.layout.has(dt) {
            return Err("Data type not stored in this table\n".into());
        }
        let v = pair
            .get(1)
            .and_then(|v| parse_ll(v))
            .ok_or_else(|| "Require a valid integer value to store\n".to_string())?;
        e.set(dt, 0, v);
    }
    Ok(())
}
