//! Tests of `show table`, `clear table` and `set table` (formats and
//! HAProxy's error messages).

use std::sync::Arc;

use super::show::{cli_table, Action};
use super::tests::{ip, table, NOW};
use super::*;

fn tables(t: StickTable) -> (StickTables, Arc<StickTable>) {
    let t = Arc::new(t);
    let mut all = StickTables::new();
    all.register(t.clone());
    (all, t)
}

fn strip_ptr(s: &str) -> String {
    s.lines()
        .map(|l| match l.split_once(": key=") {
            Some((p, rest)) if p.starts_with("0x") => format!("PTR: key={rest}\n"),
            _ => format!("{l}\n"),
        })
        .collect()
}

#[test]
fn show_table_format() {
    let (all, t) = tables(table("stick-table type ip size 1k expire 10m store server_id,gpc0,conn_cnt,conn_rate(10s),http_req_cnt,server_key"));
    t.update_local(Key::Ip([127, 0, 0, 1]), NOW, |e| {
        e.set(DataType::ServerId, 0, 2);
        e.set_dict(DataType::ServerKey, Some("s2".into()));
    })
    .unwrap();
    let out = cli_table(&all, Action::Show, &["be"], NOW + 130).unwrap();
    assert_eq!(
        strip_ptr(&out),
        "# table: be, type: ip, size:1024, used:1\n\
         PTR: key=127.0.0.1 use=0 exp=599870 server_id=2 gpc0=0 conn_cnt=0 conn_rate(10000)=0 http_req_cnt=0 server_key=s2\n"
    );
    assert!(out.starts_with("# table"));
    assert!(out.lines().nth(1).unwrap().starts_with("0x"));
    assert_eq!(
        cli_table(&all, Action::Show, &[], NOW).unwrap(),
        "# table: be, type: ip, size:1024, used:1\n"
    );
    assert_eq!(
        cli_table(&all, Action::Show, &["nope"], NOW),
        Err("No such table\n".into())
    );
}

#[test]
fn show_arrays_strings_and_missing_dict() {
    let words: Vec<&str> =
        "table t type string len 20 size 10 store gpt(2),gpc_rate(2,1s),server_key"
            .split_whitespace()
            .collect();
    let (conf, _) = TableConfig::parse_peers("mypeers", &words).unwrap();
    let (all, t) = tables(StickTable::new(conf));
    let k = Key::string(&t.config().key_type, b"foo.example");
    t.update_local(k, NOW, |e| e.add(DataType::GpcRate, 1, 3))
        .unwrap();
    let out = cli_table(&all, Action::Show, &["mypeers/t"], NOW).unwrap();
    assert_eq!(
        strip_ptr(&out),
        "# table: mypeers/t, type: string, size:10, used:1\n\
         PTR: key=foo.example use=0 exp=0 server_key=- gpt0=0 gpt1=0 gpc0_rate(1000)=0 gpc1_rate(1000)=3\n"
    );
}

#[test]
fn show_filters_and_key() {
    let (all, t) = tables(table(
        "stick-table type ip size 10 store gpc0,http_req_rate(10s)",
    ));
    for i in 1..=3u8 {
        t.update_local(ip(i), NOW, |e| e.add(DataType::Gpc0, 0, u64::from(i)))
            .unwrap();
    }
    let keys = |out: String| -> Vec<String> {
        out.lines()
            .skip(1)
            .map(|l| l.split(' ').nth(1).unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        keys(cli_table(&all, Action::Show, &["be", "data.gpc0", "gt", "1"], NOW).unwrap()),
        ["key=10.0.0.2", "key=10.0.0.3"]
    );
    assert_eq!(
        keys(
            cli_table(
                &all,
                Action::Show,
                &["be", "data.gpc0", "ge", "1", "data.gpc0", "ne", "2"],
                NOW
            )
            .unwrap()
        ),
        ["key=10.0.0.1", "key=10.0.0.3"]
    );
    assert_eq!(
        keys(
            cli_table(
                &all,
                Action::Show,
                &["be", "data.http_req_rate", "eq", "0"],
                NOW
            )
            .unwrap()
        )
        .len(),
        3
    );
    assert_eq!(
        keys(cli_table(&all, Action::Show, &["be", "key", "10.0.0.2"], NOW).unwrap()),
        ["key=10.0.0.2"]
    );
    assert_eq!(
        cli_table(&all, Action::Show, &["be", "key", "10.0.0.9"], NOW).unwrap(),
        ""
    );
    let e = |a: &[&str]| cli_table(&all, Action::Show, a, NOW).unwrap_err();
    assert_eq!(
        e(&["be", "data.nope", "eq", "1"]),
        "Filter entry #1: Unknown data type\n"
    );
    assert_eq!(
        e(&["be", "data.conn_cnt", "eq", "1"]),
        "Filter entry #1: Data type not stored in this table\n"
    );
    assert_eq!(e(&["be", "data.gpc0", "xx", "1"]), "Filter entry #1: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n");
    assert_eq!(
        e(&["be", "data.gpc0", "eq", "x"]),
        "Filter entry #1: Require a valid integer value to compare against\n"
    );
    assert_eq!(
        e(&["be", "data.gpc0", "eq", "1", "data.gpc0", "eq"]),
        "Filter entry #2: Require a valid integer value to compare against\n"
    );
    let five = [
        "be",
        "data.gpc0",
        "eq",
        "1",
        "data.gpc0",
        "eq",
        "1",
        "data.gpc0",
        "eq",
        "1",
        "data.gpc0",
        "eq",
        "1",
        "data.gpc0",
    ];
    assert_eq!(
        e(&five),
        "Detected extra data in filter, 16th word of input, after '1'\n"
    );
    assert_eq!(e(&["be", "foo"]), "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n");
    assert_eq!(e(&["be", "key"]), "Key value expected\n");
    // an unparsable IPv4 key is 0.0.0.0, as HAProxy's inetaddr_host()
    assert_eq!(
        cli_table(&all, Action::Show, &["be", "key", "x"], NOW),
        Ok(String::new())
    );
}

#[test]
fn clear_and_set() {
    let (all, t) = tables(table(
        "stick-table type ip size 10 expire 1m store gpc0,conn_rate(10s),server_key",
    ));
    assert_eq!(
        cli_table(
            &all,
            Action::Set,
            &[
                "be",
                "key",
                "10.0.0.1",
                "data.gpc0",
                "5",
                "data.conn_rate",
                "3"
            ],
            NOW
        ),
        Ok(String::new())
    );
    assert_eq!(
        t.lookup(&ip(1), NOW + 10, |e| (
            e.read(DataType::Gpc0, 0),
            e.read(DataType::ConnRate, 0)
        )),
        Some((Some(5), Some(3)))
    );
    let e = |a: &[&str]| cli_table(&all, Action::Set, a, NOW).unwrap_err();
    assert_eq!(
        e(&["be", "key", "10.0.0.2", "gpc0", "1"]),
        "\"data.<type>\" followed by a value expected\n"
    );
    assert!(
        t.contains(&ip(2)),
        "the entry is created before the data are checked"
    );
    assert_eq!(
        e(&["be", "key", "10.0.0.1", "data.foo", "1"]),
        "Unknown data type\n"
    );
    assert_eq!(
        e(&["be", "key", "10.0.0.1", "data.gpc1", "1"]),
        "Data type not stored in this table\n"
    );
    assert_eq!(
        e(&["be", "key", "10.0.0.1", "data.gpc0"]),
        "Require a valid integer value to store\n"
    );
    assert_eq!(
        e(&["be"]),
        "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n"
    );
    assert_eq!(
        e(&["be", "data.gpc0", "eq", "1"]),
        "content-based lookup is only supported with the \"show\" and \"clear\" actions\n"
    );
    t.acquire(ip(3), NOW).unwrap();
    assert_eq!(
        cli_table(&all, Action::Clear, &["be", "key", "10.0.0.3"], NOW),
        Err("Entry currently in use, cannot remove\n".into())
    );
    assert_eq!(
        cli_table(&all, Action::Clear, &["be", "data.gpc0", "eq", "5"], NOW),
        Ok(String::new())
    );
    assert!(!t.contains(&ip(1)) && t.contains(&ip(2)));
    assert_eq!(
        cli_table(&all, Action::Clear, &["be"], NOW),
        Ok(String::new())
    );
    assert_eq!(t.used(), 1, "the referenced entry stays");
    assert!(cli_table(&all, Action::Clear, &[], NOW)
        .unwrap_err()
        .starts_with("Required arguments"));
    let bin = StickTable::new(TableConfig::new("b", KeyType::binary(None).unwrap(), 10));
    let (all, _) = tables(bin);
    assert_eq!(
        cli_table(&all, Action::Clear, &["b", "key", "00"], NOW),
        Err("Removing keys from tables of type other than ip, ipv6, string and integer is not supported\n".into())
    );
}

#[test]
fn registry_order() {
    let mut all = StickTables::new();
    all.register(Arc::new(StickTable::new(TableConfig::new(
        "a",
        KeyType::IP,
        1,
    ))));
    all.register(Arc::new(StickTable::new(TableConfig::new(
        "b",
        KeyType::IP,
        1,
    ))));
    let names: Vec<&str> = all.iter().map(|t| t.name()).collect();
    assert_eq!(names, ["b", "a"]);
    assert!(all.find("a").is_some() && all.find("c").is_none());
}

/// The two-instance capture of the reference (§8): `show table
/// mypeers/src_track` on the peer after two requests and one `sc-inc-gpc0`.
#[test]
fn peers_section_table_capture() {
    let words: Vec<&str> = "table src_track type ip size 10k expire 1h store http_req_cnt,gpc0"
        .split_whitespace()
        .collect();
    let (conf, _) = TableConfig::parse_peers("mypeers", &words).unwrap();
    let (all, t) = tables(StickTable::new(conf));
    let k = Key::Ip([127, 0, 0, 1]);
    t.update_local(k.clone(), NOW, |e| e.add(DataType::HttpReqCnt, 0, 1))
        .unwrap();
    t.update_local(k, NOW, |e| {
        e.add(DataType::HttpReqCnt, 0, 1);
        e.add(DataType::Gpc0, 0, 1);
    })
    .unwrap();
    let out = cli_table(&all, Action::Show, &["mypeers/src_track"], NOW + 1004).unwrap();
    assert_eq!(
        strip_ptr(&out),
        "# table: mypeers/src_track, type: ip, size:10240, used:1\n\
         PTR: key=127.0.0.1 use=0 exp=3598996 gpc0=1 http_req_cnt=2\n"
    );
}

#[test]
fn access_levels() {
    use super::show::{cli_table_access, Access};
    let (all, t) = tables(table("stick-table type ip size 10 store gpc0"));
    t.update_local(Key::Ip([10, 0, 0, 1]), NOW, |_| ()).unwrap();
    let user_socket = Access {
        session_oper: false,
        socket_oper: false,
    };
    let run = |action, args: &[&str], access| cli_table_access(&all, action, args, NOW, access);
    assert_eq!(
        run(Action::Show, &["be"], user_socket),
        Ok("# table: be, type: ip, size:10, used:1\n# contents not dumped due to insufficient privileges\n".into())
    );
    assert_eq!(
        run(Action::Show, &["be", "key", "10.0.0.1"], user_socket),
        Err("Permission denied\n".into())
    );
    assert_eq!(
        run(
            Action::Set,
            &["be", "key", "10.0.0.2", "data.gpc0", "1"],
            user_socket
        ),
        Err("Permission denied\n".into())
    );
    // an operator session on a user socket (`operator` lowered to `user`
    // and back cannot happen, but the two checks are separate)
    assert_eq!(run(Action::Clear, &["be"], user_socket), Ok(String::new()));
    assert_eq!(t.used(), 1);
    let oper = Access {
        session_oper: true,
        socket_oper: false,
    };
    assert_eq!(
        run(Action::Clear, &["be", "key", "10.0.0.1"], oper),
        Ok(String::new())
    );
    assert_eq!(t.used(), 0);
}
