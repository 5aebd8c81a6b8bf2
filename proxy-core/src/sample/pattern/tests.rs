//! Matching, loading and converter tests (the CLI is in `cli_tests`).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;

use super::{MatchKind as K, Out, PatExpr, PatRegistry};
use crate::sample::args::Arg;
use crate::sample::conv::{self, NoEnv};
use crate::sample::value::Value;

/// A fresh directory for files this test writes.
fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wt-maps-{}-{name}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

fn reg_in(dir: &PathBuf) -> PatRegistry {
    let mut r = PatRegistry::new();
    r.set_base_dir(dir);
    r
}

fn map(reg: &PatRegistry, file: &str, kind: K, out: Out) -> Result<Arc<PatExpr>, String> {
    let e = reg.map_file(file, kind, "t.cfg", 1)?;
    e.bind(Some(out))?;
    Ok(e)
}

fn inline(kind: K, icase: bool, words: &[&str]) -> Arc<PatExpr> {
    match PatRegistry::new().acl_inline("f", "t.cfg", 1, kind, icase, None, words) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

fn s(t: &str) -> Value<'_> {
    Value::str(t.as_bytes())
}

#[test]
fn big_maps_are_indexed() {
    let dir = tmpdir("big");
    let mut strs = String::new();
    let mut nets = String::new();
    let mut begs = String::new();
    for i in 0..100_000u32 {
        strs.push_str(&format!("host{i}.example v{i}\n"));
        let [a, b, c, _] = (0x0a00_0000 + (i << 8)).to_be_bytes();
        nets.push_str(&format!("{a}.{b}.{c}.0/24 n{i}\n"));
        begs.push_str(&format!("/p/{i}/ b{i}\n"));
    }
    nets.push_str("12.0.0.0/8 wide\n");
    let _ = std::fs::write(dir.join("s.map"), strs);
    let _ = std::fs::write(dir.join("n.map"), nets);
    let _ = std::fs::write(dir.join("b.map"), begs);
    let reg = reg_in(&dir);
    let (Ok(sm), Ok(nm), Ok(bm)) = (
        map(&reg, "s.map", K::Str, Out::Str),
        map(&reg, "n.map", K::Ip, Out::Str),
        map(&reg, "b.map", K::Beg, Out::Str),
    ) else {
        panic!("loading the maps failed");
    };
    assert_eq!(
        sm.map_value(&s("host99999.example")),
        Some(Value::owned_str("v99999"))
    );
    assert_eq!(
        sm.map_value(&s("host7.example")),
        Some(Value::owned_str("v7"))
    );
    assert_eq!(sm.map_value(&s("host100000.example")), None);
    let ip = |t: &str| Value::Ipv4(t.parse().unwrap_or(Ipv4Addr::UNSPECIFIED));
    assert_eq!(
        nm.map_value(&ip("10.1.134.9")),
        Some(Value::owned_str("n390"))
    );
    assert_eq!(
        nm.map_value(&ip("12.255.0.1")),
        Some(Value::owned_str("wide"))
    );
    assert_eq!(
        nm.map_value(&ip("11.0.0.1")),
        Some(Value::owned_str("n65536"))
    );
    assert_eq!(nm.map_value(&s("10.0.0.1")), Some(Value::owned_str("n0")));
    assert_eq!(nm.map_value(&ip("13.0.0.1")), None);
    assert_eq!(
        bm.map_value(&s("/p/4242/x")),
        Some(Value::owned_str("b4242"))
    );
    assert_eq!(bm.map_value(&s("/p/4242")), None);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn load_errors_are_haproxys() {
    let dir = tmpdir("errors");
    let _ = std::fs::write(dir.join("bad.map"), "a 1\nb x2\n");
    let _ = std::fs::write(dir.join("keys.map"), "# c\n1.2.3.4 x\nfoo y\n");
    let reg = reg_in(&dir);
    let err = |r: Result<Arc<PatExpr>, String>| r.err().unwrap_or_default();
    assert_eq!(
        err(map(&reg, "missing.map", K::Str, Out::Str)),
        "failed to open pattern file <missing.map>"
    );
    assert_eq!(
        err(reg.acl_file("missing.acl", K::Str, false, false, "t.cfg", 2)),
        "failed to open pattern file <missing.acl>"
    );
    assert_eq!(
        err(map(&reg, "bad.map", K::Str, Out::Int)),
        "unable to parse 'x2' at line 2 of file 'bad.map'"
    );
    assert_eq!(
        err(map(&reg, "keys.map", K::Ip, Out::Str)),
        "'foo' is not a valid IPv4 or IPv6 address at line 3 of file 'keys.map'"
    );
    assert_eq!(
        err(reg.acl_file("bad.map", K::Str, false, false, "t.cfg", 3)),
        "The file \"bad.map\" is already used as two column file and cannot be used by as one column file."
    );
    let r = PatRegistry::new();
    let inline_err = |k, w: &[&str]| err(r.acl_inline("f", "t.cfg", 1, k, false, None, w));
    assert_eq!(inline_err(K::Int, &["1", "x"]), "'x' is not a number");
    assert_eq!(
        inline_err(K::Int, &["gt", "x"]),
        "'x' is neither a number nor a supported operator"
    );
    assert_eq!(
        inline_err(K::Int, &["5:1"]),
        "'5:1' is not a valid number range"
    );
    assert_eq!(
        inline_err(K::Ip, &["zz"]),
        "'zz' is not a valid IPv4 or IPv6 address"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn list_kinds_follow_haproxy() {
    let dom = inline(K::Dom, false, &["example.com", ".org."]);
    assert!(dom.matches(&s("www.example.com:80")));
    assert!(dom.matches(&s("a.org?x")));
    assert!(!dom.matches(&s("notexample.com")));
    let dir = inline(K::Dir, false, &["/a/b/", "img"]);
    assert!(dir.matches(&s("/a/b/c")));
    assert!(dir.matches(&s("/x/img?y=1")));
    assert!(!dir.matches(&s("/x/img.png")));
    let ints = inline(K::Int, false, &["80", "gt", "9000", "-3", "5-7"]);
    for (n, hit) in [
        (80, true),
        (9001, true),
        (9000, false),
        (-10, true),
        (6, true),
        (4, false),
    ] {
        assert_eq!(ints.matches(&Value::Int(n)), hit, "{n}");
    }
    let lens = inline(K::Len, false, &["3:5"]);
    assert!(lens.matches(&s("abcd")) && !lens.matches(&s("abcdef")));
    let icase = inline(K::Str, true, &["Example.COM"]);
    assert!(icase.matches(&s("EXAMPLE.com")));
    let beg = inline(K::Beg, true, &["/API"]);
    assert!(beg.matches(&s("/api/x")) && !beg.matches(&s("/ap")));
    let reg = inline(K::Reg, true, &["^/img/.*\\.png$"]);
    assert!(reg.matches(&s("/IMG/a.PNG")));
    let sub = inline(K::Sub, false, &["foo", ""]);
    assert!(sub.matches(&s("afoob")) && !sub.matches(&s("bar")));
    let found = inline(K::Found, false, &[]);
    assert!(found.matches(&s("")));
    let boolean = inline(K::Bool, false, &[]);
    assert!(boolean.matches(&Value::Int(2)) && !boolean.matches(&Value::Int(0)));
}

#[test]
fn ip_lookups_cross_families() {
    let nets = inline(
        K::Ip,
        false,
        &[
            "10.0.0.0/8",
            "10.1.2.3",
            "2001:db8::/32",
            "::ffff:172.16.0.0/112",
            "10.2.0.0/255.0.255.0",
        ],
    );
    let v6 = |t: &str| Value::Ipv6(t.parse().unwrap_or(Ipv6Addr::UNSPECIFIED));
    assert!(nets.matches(&v6("::ffff:10.1.2.3")));
    assert!(nets.matches(&v6("2002:0a01:0203::1")));
    assert!(nets.matches(&Value::Ipv4(Ipv4Addr::new(172, 16, 0, 5))));
    assert!(nets.matches(&v6("2001:db8:1::1")));
    assert!(!nets.matches(&v6("2001:db9::1")));
    assert!(nets.matches(&Value::Ipv4(Ipv4Addr::new(10, 9, 7, 9))));
    assert!(!nets.matches(&s("not an address")));
}

#[test]
fn map_converters_return_values_and_defaults() {
    let dir = tmpdir("conv");
    let _ = std::fs::write(dir.join("p.map"), "/api 1\n/api/v2 2\n");
    let _ = std::fs::write(dir.join("ip.map"), "10.0.0.0/8 ::1\n");
    let reg = reg_in(&dir);
    let run = |name: &str, args: &[Arg], v: Value<'static>| {
        let c = conv::lookup(name)?;
        if let Some(check) = c.check {
            check(args).ok()?;
        }
        (c.run)(args, v, &NoEnv)
    };
    let Ok(p) = reg.map_file("p.map", K::Beg, "t.cfg", 1) else {
        panic!("p.map")
    };
    let args = [Arg::Map(p), Arg::Int(-1)];
    assert_eq!(
        run("map_beg_int", &args, Value::owned_str("/api/v2/x")),
        Some(Value::Int(2))
    );
    assert_eq!(
        run("map_beg_int", &args, Value::owned_str("/x")),
        Some(Value::Int(-1))
    );
    let Ok(ip) = reg.map_file("ip.map", K::Ip, "t.cfg", 2) else {
        panic!("ip.map")
    };
    let args = [
        Arg::Map(ip.clone()),
        Arg::Str(b"127.0.0.1".as_slice().into()),
    ];
    assert_eq!(
        run("map_ip_ip", &args, Value::Ipv4(Ipv4Addr::new(10, 0, 0, 1))),
        Some(Value::Ipv6(Ipv6Addr::LOCALHOST))
    );
    assert_eq!(
        run("map_ip_ip", &args, Value::Ipv4(Ipv4Addr::new(11, 0, 0, 1))),
        Some(Value::Ipv4(Ipv4Addr::LOCALHOST))
    );
    let bad_default = [Arg::Map(ip), Arg::Str(b"nope".as_slice().into())];
    let check = conv::lookup("map_ip_ip").and_then(|c| c.check);
    assert_eq!(
        check.map(|c| c(&bad_default)),
        Some(Err("map: cannot parse default ip <nope>.".into()))
    );
    assert!(conv::lookup("map_beg_str").is_none());
    assert_eq!(
        conv::lookup("map_int").map(|c| c.input),
        Some(crate::sample::SmpType::Int)
    );
    let _ = std::fs::remove_dir_all(dir);
}
