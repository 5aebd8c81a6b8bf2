//! A stick table's configuration, and the parser of its declaration.
//!
//! Two forms declare a table (HAProxy 2.6 `parse_stick_table()`):
//!
//! * `stick-table type <t> size <n> [expire <t>] [nopurge] [peers <name>]
//!   [srvkey name|addr] [store <list>]` in a proxy: the table is named after
//!   the proxy, and that name is also its network name;
//! * `table <name> type ...` in a `peers <section>`: the table is named
//!   `<section>/<name>` and its network name is `/<name>` (what the peers
//!   protocol sends); `peers` is then not accepted (the section is implied).
//!
//! Errors are the text HAProxy prints after `parsing [file:line] : `, so the
//! configuration parser only adds the location.

use super::data::DataLayout;
use super::key::KeyType;
use super::store::parse_store_list;
use crate::units::{parse_size, parse_time, MAX_TIMER_MS};

/// How `server_key` names a server (`srvkey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrvKey {
    /// The server's name (default).
    #[default]
    Name,
    /// The server's `addr:port`.
    Addr,
}

/// Everything a `stick-table` / `table` line configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableConfig {
    /// Local name (`show table`, `table` arguments of rules).
    pub name: String,
    /// Network name sent in peers table definitions.
    pub nid: String,
    pub key_type: KeyType,
    /// Maximum entries.
    pub size: u32,
    /// Entry lifetime in ms after the last local touch; 0 = never expire.
    pub expire_ms: u32,
    /// Refuse new entries when full instead of evicting old ones.
    pub nopurge: bool,
    /// The peers section that replicates the table, if any.
    pub peers: Option<String>,
    pub srvkey: SrvKey,
    /// The stored data types.
    pub layout: DataLayout,
}

impl TableConfig {
    /// A table with no stored data, no expiry, not replicated: a starting
    /// point for tests and programmatic tables.
    pub fn new(name: &str, key_type: KeyType, size: u32) -> TableConfig {
        TableConfig {
            name: name.to_string(),
            nid: name.to_string(),
            key_type,
            size,
            expire_ms: 0,
            nopurge: false,
            peers: None,
            srvkey: SrvKey::Name,
            layout: DataLayout::new(&[]),
        }
    }

    /// Parses a proxy's `stick-table ...` line (`args[0]` is the keyword).
    /// Returns the configuration and warnings.
    pub fn parse_proxy(proxy: &str, args: &[&str]) -> Result<(TableConfig, Vec<String>), String> {
        parse(args, 1, proxy.to_string(), proxy.to_string(), None)
    }

    /// Parses `table <name> type ...` in `peers <section>` (`args[0]` is
    /// `table`).
    pub fn parse_peers(section: &str, args: &[&str]) -> Result<(TableConfig, Vec<String>), String> {
        let kw = args.first().copied().unwrap_or("table");
        let name = args.get(1).copied().unwrap_or("");
        if name.is_empty() {
            return Err(format!("{kw}: ID not provided."));
        }
        parse(
            args,
            2,
            format!("{section}/{name}"),
            format!("/{name}"),
            Some(section),
        )
    }
}

/// The common part: `args[start..]` are the options.
fn parse(
    args: &[&str],
    start: usize,
    name: String,
    nid: String,
    section: Option<&str>,
) -> Result<(TableConfig, Vec<String>), String> {
    let kw = args.first().copied().unwrap_or("stick-table");
    let mut warnings = Vec::new();
    let mut key_type = None;
    let mut size = 0u32;
    let mut conf = TableConfig::new(&name, KeyType::IP, 0);
    conf.nid = nid;
    conf.peers = section.map(str::to_string);
    let missing = |i: usize| format!("{kw}: missing argument after '{}'.", args[i]);
    let mut i = start;
    while i < args.len() && !args[i].is_empty() {
        match args[i] {
            "size" => {
                let v = args
                    .get(i + 1)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| missing(i))?;
                let n = parse_size(v).map_err(|_| bad_char(kw, v, "size"))?;
                size = u32::try_from(n).map_err(|_| bad_char(kw, v, "size"))?;
                i += 2;
            }
            "peers" if section.is_none() => {
                let v = args
                    .get(i + 1)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| missing(i))?;
                conf.peers = Some(v.to_string());
                i += 2;
            }
            "expire" => {
                let v = args
                    .get(i + 1)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| missing(i))?;
                conf.expire_ms = parse_expire(kw, v)?;
                i += 2;
            }
            "nopurge" => {
                conf.nopurge = true;
                i += 1;
            }
            "type" => {
                let rest = &args[i + 1..];
                let (kt, used) = KeyType::parse(rest).ok_or_else(|| {
                    format!(
                        "{kw}: unknown type '{}'.",
                        rest.first().copied().unwrap_or("")
                    )
                })?;
                key_type = Some(kt);
                i += 1 + used;
            }
            "store" => {
                let list = args.get(i + 1).copied().unwrap_or("");
                let (specs, w) = parse_store_list(list).map_err(|e| format!("{kw}: {e}"))?;
                warnings.extend(w.into_iter().map(|w| format!("{kw}: {w}")));
                let mut all = conf.layout.specs().to_vec();
                for s in specs {
                    if all.iter().any(|x| x.data_type == s.data_type) {
                        let n = s.data_type.name();
                        warnings.push(format!(
                            "{kw}: store option '{n}' already enabled, ignored."
                        ));
                    } else {
                        all.push(s);
                    }
                }
                conf.layout = DataLayout::new(&all);
                i += 2;
            }
            "srvkey" => {
                conf.srvkey = match args.get(i + 1).copied().unwrap_or("") {
                    "name" => SrvKey::Name,
                    "addr" => SrvKey::Addr,
                    other => return Err(format!("{kw} : unknown server key type '{other}'.")),
                };
                i += 2;
            }
            other => return Err(format!("{kw}: unknown argument '{other}'.")),
        }
    }
    if size == 0 {
        return Err(format!("{kw}: missing size."));
    }
    conf.size = size;
    conf.key_type = key_type.ok_or_else(|| format!("{kw}: missing type."))?;
    Ok((conf, warnings))
}

fn bad_char(kw: &str, v: &str, opt: &str) -> String {
    let c = v.chars().find(|c| !c.is_ascii_digit()).unwrap_or(' ');
    format!("{kw}: unexpected character '{c}' in argument of '{opt}'.")
}

fn parse_expire(kw: &str, v: &str) -> Result<u32, String> {
    match parse_time(v) {
        Ok(d) => {
            let us = d.as_micros();
            if us > 0 && us < 1000 {
                return Err(format!("{kw}: timer underflow in argument <{v}> to <expire>, minimum non-null value is 1 ms."));
            }
            Ok((us / 1000) as u32)
        }
        Err(e) if e.starts_with("timer overflow") => Err(format!(
            "{kw}: timer overflow in argument <{v}> to <expire>, maximum value is {MAX_TIMER_MS} ms (~24.8 days)."
        )),
        Err(_) => Err(bad_char(kw, v, "expire")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stick::data::DataType;

    fn words(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn proxy_table() {
        let a = words("stick-table type ip size 1k expire 30s peers mypeers store server_id,gpc0,conn_cnt,conn_rate(10s),http_req_cnt,http_req_rate(10s)");
        let (c, w) = TableConfig::parse_proxy("be", &a).unwrap();
        assert!(w.is_empty());
        assert_eq!((c.name.as_str(), c.nid.as_str()), ("be", "be"));
        assert_eq!(
            (c.key_type, c.size, c.expire_ms),
            (KeyType::IP, 1024, 30_000)
        );
        assert_eq!(c.peers.as_deref(), Some("mypeers"));
        assert_eq!(c.layout.bitfield(), 1589);
        assert!(!c.nopurge);
    }

    #[test]
    fn peers_table() {
        let a = words("table src_track type ip size 10k expire 1h store http_req_cnt,gpc0");
        let (c, _) = TableConfig::parse_peers("mypeers", &a).unwrap();
        assert_eq!(
            (c.name.as_str(), c.nid.as_str()),
            ("mypeers/src_track", "/src_track")
        );
        assert_eq!((c.size, c.expire_ms), (10_240, 3_600_000));
        assert_eq!(c.peers.as_deref(), Some("mypeers"));
        assert!(c.layout.has(DataType::Gpc0) && c.layout.has(DataType::HttpReqCnt));
        let a = words("table t type ip size 1 peers x");
        assert_eq!(
            TableConfig::parse_peers("p", &a).unwrap_err(),
            "table: unknown argument 'peers'."
        );
        assert_eq!(
            TableConfig::parse_peers("p", &["table"]).unwrap_err(),
            "table: ID not provided."
        );
    }

    #[test]
    fn options() {
        let a = words("stick-table type string len 16 size 200 nopurge srvkey addr store gpc(2) store gpc0_rate(1s)");
        let (c, _) = TableConfig::parse_proxy("p", &a).unwrap();
        assert_eq!(c.key_type.key_size(), 17);
        assert!(c.nopurge);
        assert_eq!(c.srvkey, SrvKey::Addr);
        assert!(c.layout.has(DataType::Gpc) && c.layout.has(DataType::Gpc0Rate));
        assert_eq!(c.expire_ms, 0);
        let a = words("stick-table type ip size 10 store gpc0 store gpc0");
        let (_, w) = TableConfig::parse_proxy("p", &a).unwrap();
        assert_eq!(
            w,
            ["stick-table: store option 'gpc0' already enabled, ignored."]
        );
    }

    #[test]
    fn errors() {
        let e = |s: &str| TableConfig::parse_proxy("p", &words(s)).unwrap_err();
        assert_eq!(e("stick-table type ip"), "stick-table: missing size.");
        assert_eq!(e("stick-table size 10"), "stick-table: missing type.");
        assert_eq!(
            e("stick-table type foo size 1"),
            "stick-table: unknown type 'foo'."
        );
        assert_eq!(
            e("stick-table type ip size"),
            "stick-table: missing argument after 'size'."
        );
        assert_eq!(
            e("stick-table type ip size 1x"),
            "stick-table: unexpected character 'x' in argument of 'size'."
        );
        assert_eq!(
            e("stick-table type ip size 1 expire"),
            "stick-table: missing argument after 'expire'."
        );
        assert_eq!(
            e("stick-table type ip size 1 expire 3q"),
            "stick-table: unexpected character 'q' in argument of 'expire'."
        );
        assert!(e("stick-table type ip size 1 expire 30d")
            .starts_with("stick-table: timer overflow in argument <30d> to <expire>"));
        assert!(
            e("stick-table type ip size 1 expire 10us").starts_with("stick-table: timer underflow")
        );
        assert_eq!(
            e("stick-table type ip size 1 srvkey foo"),
            "stick-table : unknown server key type 'foo'."
        );
        assert_eq!(
            e("stick-table type ip size 1 bogus"),
            "stick-table: unknown argument 'bogus'."
        );
        assert_eq!(
            e("stick-table type ip size 1 store nope"),
            "stick-table: unknown store option 'nope'."
        );
    }
}
