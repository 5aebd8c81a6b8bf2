//! Converters against HAProxy 2.6.12's own answers (the oracle list is
//! CONV_ORACLE.md at the root of the repository): each row is a converter,
//! its raw arguments, the input and the output HAProxy gave.
//!
//! Inputs: `int:N` an integer, `hex:..` binary, `bool:1`, `ip:..` an
//! address, anything else a string. Outputs: `<absent>` when the sample
//! is absent, binary in uppercase hex, the rest in its text form.

use std::sync::Arc;

use super::{lookup, Env, NoEnv};
use crate::sample::args::{resolve, ArgResolver};
use crate::sample::pattern::{MatchKind, PatExpr};
use crate::sample::value::Value;
use crate::sample::vars::{SetCond, VarName, VarStore};

struct NoMaps;

impl ArgResolver for NoMaps {
    fn map(&mut self, _: &str, _: MatchKind) -> Result<Arc<PatExpr>, String> {
        Err("no maps in these tests".into())
    }
}

/// The variables the oracle's configuration set before each case.
struct TestEnv(VarStore);

impl Env for TestEnv {
    fn vars(&self) -> Option<&VarStore> {
        Some(&self.0)
    }
}

fn env() -> TestEnv {
    let store = VarStore::default();
    let set = |n: &str, v: Value<'_>| {
        let name = VarName::parse(n).map_err(|e| e.to_string());
        assert!(store.set(&name.expect("test variable name"), v, SetCond::default()));
    };
    set("txn.a", Value::str(b"abc"));
    set("txn.n", Value::Int(7));
    set("txn.z", Value::Int(0));
    set("txn.e", Value::str(b""));
    set("txn.b", Value::str(b"abd"));
    set("txn.ab", Value::str(b"ab"));
    TestEnv(store)
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len() / 2)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn input(spec: &str) -> Value<'static> {
    if let Some(n) = spec.strip_prefix("int:") {
        Value::Int(n.parse().expect("int input"))
    } else if let Some(h) = spec.strip_prefix("hex:") {
        Value::bin(unhex(h))
    } else if let Some(b) = spec.strip_prefix("bool:") {
        Value::Bool(b == "1")
    } else if let Some(a) = spec.strip_prefix("ip:") {
        Value::ip(a.parse().expect("ip input"))
    } else {
        Value::owned_str(spec.as_bytes().to_vec())
    }
}

fn render(v: Option<Value<'_>>) -> String {
    match v {
        None => "<absent>".into(),
        Some(Value::Bin(b)) => b.iter().map(|b| format!("{b:02X}")).collect(),
        Some(v) => {
            let mut out = Vec::new();
            v.write_text(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        }
    }
}

/// Runs `name(args)` on `input` as the engine does; `Err` is a
/// configuration error.
fn run(name: &str, args: &[&str], spec: &str, env: &dyn Env) -> Result<String, String> {
    let def = lookup(name).ok_or_else(|| format!("unknown converter {name}"))?;
    let raw: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let typed = resolve(name, &raw, def.args, def.min_args, &mut NoMaps)?;
    if let Some(check) = def.check {
        check(&typed)?;
    }
    Ok(render(
        input(spec)
            .cast(def.input)
            .and_then(|v| (def.run)(&typed, v, env)),
    ))
}

type Row = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

fn table(rows: &[Row]) {
    let env = env();
    let mut bad = Vec::new();
    for &(name, args, spec, want) in rows {
        match run(name, args, spec, &env) {
            Ok(got) if got == want => {}
            other => bad.push(format!(
                "{name}({}) on {spec:?}: {other:?}, want {want:?}",
                args.join(",")
            )),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn arithmetic() {
    const MAX: &str = "9223372036854775807";
    const MIN: &str = "-9223372036854775808";
    table(&[
        ("add", &["3"], "int:5", "8"),
        ("add", &["-8"], "int:5", "-3"),
        ("add", &["1"], "int:9223372036854775807", MAX),
        ("add", &["-1"], "int:-9223372036854775808", MIN),
        ("sub", &["1"], "int:-9223372036854775808", MIN),
        ("sub", &["-1"], "int:9223372036854775807", MAX),
        ("sub", &[MIN], "int:0", MAX),
        ("sub", &[MIN], "int:-1", MAX),
        ("sub", &["7"], "int:5", "-2"),
        ("mul", &["7"], "int:6", "42"),
        ("mul", &["2"], "int:9223372036854775807", MAX),
        ("mul", &["-2"], "int:9223372036854775807", MIN),
        ("mul", &["-1"], "int:-9223372036854775808", MAX),
        ("mul", &["2"], "int:-9223372036854775808", MIN),
        ("div", &["2"], "int:7", "3"),
        ("div", &["2"], "int:-7", "-3"),
        ("div", &["0"], "int:7", MAX),
        ("div", &["0"], "int:-7", MAX),
        ("div", &["0"], "int:0", MAX),
        ("div", &["-1"], "int:-9223372036854775808", MAX),
        ("mod", &["3"], "int:7", "1"),
        ("mod", &["3"], "int:-7", "-1"),
        ("mod", &["-3"], "int:7", "1"),
        ("mod", &["0"], "int:7", "0"),
        ("mod", &["-1"], "int:-9223372036854775808", "0"),
        ("neg", &[], "int:5", "-5"),
        ("neg", &[], "int:-9223372036854775808", MAX),
        ("and", &["10"], "int:12", "8"),
        ("or", &["3"], "int:12", "15"),
        ("xor", &["10"], "int:12", "6"),
        ("cpl", &[], "int:12", "-13"),
        ("cpl", &[], "int:0", "-1"),
        ("bool", &[], "int:0", "0"),
        ("bool", &[], "int:-3", "1"),
        ("not", &[], "int:0", "1"),
        ("not", &[], "int:4", "0"),
        ("odd", &[], "int:-3", "1"),
        ("even", &[], "int:-4", "1"),
        ("odd", &[], "x3", "0"),
        ("add", &["txn.n"], "int:5", "12"),
        ("add", &["txn.nope"], "int:5", "<absent>"),
        ("div", &["txn.z"], "int:5", MAX),
        ("add", &["txn.a"], "int:5", "5"),
        ("mul", &["txn.e"], "int:5", "<absent>"),
        ("add", &["1"], "12ab", "13"),
        ("add", &["1"], "ab", "1"),
        ("add", &["1"], "", "<absent>"),
        ("add", &["1"], "+4", "5"),
        ("add", &["1"], "99999999999999999999", MAX),
    ]);
}

#[test]
fn text() {
    let f = "f1_f2_f3__f5";
    table(&[
        ("lower", &[], "AbC-\u{e9}", "abc-\u{e9}"),
        ("upper", &[], "AbC-z", "ABC-Z"),
        ("length", &[], "", "0"),
        ("length", &[], "int:1234", "4"),
        ("field", &["5", "_"], f, "f5"),
        ("field", &["2", "_", "0"], f, "f2_f3__f5"),
        ("field", &["2", "_", "2"], f, "f2_f3"),
        ("field", &["-2", "_", "3"], f, "f2_f3_"),
        ("field", &["-3", "_", "0"], f, "f1_f2_f3"),
        ("field", &["4", "_"], f, ""),
        ("field", &["6", "_"], f, "<absent>"),
        ("field", &["-5", "_"], f, "f1"),
        ("field", &["-6", "_"], f, "<absent>"),
        ("field", &["-1", "_", "0"], f, f),
        ("field", &["3", "_", "9"], f, "f3__f5"),
        ("field", &["-2", "_", "9"], f, "f1_f2_f3_"),
        ("field", &["1", "x"], f, f),
        ("field", &["2", "x"], f, "<absent>"),
        ("field", &["3", ":;"], "a:b;c", "c"),
        ("field", &["-1", "_"], "", ""),
        ("field", &["2", "_"], "_", ""),
        ("field", &["3", "_"], "_", "<absent>"),
        ("field", &["5", "_", "-1"], f, "f5"),
        ("word", &["4", "_"], f, "f5"),
        ("word", &["2", "_", "0"], f, "f2_f3__f5"),
        ("word", &["3", "_", "2"], f, "f3__f5"),
        ("word", &["-2", "_", "3"], f, "f1_f2_f3"),
        ("word", &["-3", "_", "0"], f, "f1_f2"),
        ("word", &["1", "/"], "/f1/f2/f3/f4", "f1"),
        ("word", &["-1", "/"], "/f1/f2/f3/f4/", "f4"),
        ("word", &["5", "/"], "/f1/f2/f3/f4/", ""),
        ("word", &["-4", "/"], "/f1/f2/f3/f4/", "f1"),
        ("word", &["2", "/", "0"], "/f1/f2/f3/f4/", "f2/f3/f4/"),
        ("word", &["-2", "/", "0"], "/f1/f2/f3/f4/", "/f1/f2/f3"),
        ("word", &["-2", "/", "2"], "/f1/f2/f3/f4/", "f2/f3"),
        ("word", &["1", "/"], "//", ""),
        ("word", &["-1", "/"], "abc", "abc"),
        ("word", &["1", "_", "0"], "__a__b__", "a__b__"),
        ("word", &["-1", "_", "0"], "__a__b__", "__a__b"),
        ("word", &["-1", "_", "2"], "__a__b__c__", "b__c"),
        ("bytes", &["2"], "0123456789", "3233343536373839"),
        ("bytes", &["2", "3"], "0123456789", "323334"),
        ("bytes", &["2", "30"], "0123456789", "3233343536373839"),
        ("bytes", &["10"], "0123456789", ""),
        ("bytes", &["9", "0"], "0123456789", ""),
        ("bytes", &["-1"], "0123456789", ""),
        ("bytes", &["2", "-1"], "0123456789", "3233343536373839"),
        ("bytes", &["6"], "int:258", "0102"),
        ("ltrim", &["a"], "aabca", "bca"),
        ("ltrim", &["abc"], "abcab", ""),
        ("rtrim", &["ab"], "abcab", "abc"),
        ("ltrim", &["3"], "int:3", ""),
        ("cut_crlf", &[], "abx\r\nyz", "abx"),
        ("cut_crlf", &[], "ab\ncd", "ab"),
        ("cut_crlf", &[], "", ""),
    ]);
}

#[test]
fn regsub() {
    table(&[
        ("regsub", &["a", "X"], "banana", "bXnana"),
        ("regsub", &["a", "X", "g"], "banana", "bXnXnX"),
        ("regsub", &["A", "X", "g"], "banana", "banana"),
        ("regsub", &["A", "X", "gi"], "banana", "bXnXnX"),
        ("regsub", &["A", "X", "i"], "banana", "bXnana"),
        ("regsub", &["x*", "-", "g"], "abc", "-a-b-c-"),
        ("regsub", &["x*", "-"], "abc", "-abc"),
        ("regsub", &["b*", "-", "g"], "abbc", "-a--c-"),
        ("regsub", &["(a)(n)", r"\2\1", "g"], "banana", "bnanaa"),
        ("regsub", &["(a)(n)", r"<\0>", "g"], "banana", "b<an><an>a"),
        ("regsub", &["(a)(n)", r"<\3>", "g"], "banana", "b<><>a"),
        ("regsub", &["(a)(n)", r"<\>", "g"], "banana", "b<><>a"),
        ("regsub", &["(a)|(z)", r"<\2>", "g"], "banana", "b<>n<>n<>"),
        ("regsub", &["n", r"\x41", "g"], "banana", "baAaAa"),
        ("regsub", &["^", "X", "g"], "abc", "Xabc"),
        ("regsub", &["$", "X", "g"], "abc", "abcXX"),
        ("regsub", &["a", "X", "g"], "", ""),
        (
            "regsub",
            &["/+", "/", "g"],
            "/////a///b/c/xzxyz/",
            "/a/b/c/xzxyz/",
        ),
        ("regsub", &["a", "X", ""], "banana", "bXnana"),
        (
            "regsub",
            &["(a)(n)(a)(n)(a)(n)(a)(n)(a)(n)(a)", r"\10", "g"],
            "ananananana",
            "a0",
        ),
    ]);
}

#[test]
fn json() {
    table(&[
        ("json", &[], "a\"b\\c/d", r#"a\"b\\c\/d"#),
        (
            "json",
            &["ascii"],
            "a\"b\\c/d\u{e9}",
            r#"a\"b\\c\/d\u00c3\u00a9"#,
        ),
        ("json", &["utf8"], "a\u{e9}\u{20ac}", r"a\u00e9\u20ac"),
        ("json", &["utf8"], "a\u{20ac}\u{1f600}b", "<absent>"),
        ("json", &["utf8s"], "a\u{1f600}b", "ab"),
        ("json", &["utf8p"], "a\u{1f600}b", "<absent>"),
        (
            "json",
            &["ascii"],
            "a\u{1f600}b",
            r"a\u00f0\u009f\u0098\u0080b",
        ),
        ("json", &[], "hex:610962", r"a\tb"),
        ("json", &["utf8"], "hex:61ff62", "<absent>"),
        ("json", &["utf8s"], "hex:61ff62", "ab"),
        ("json", &["ascii"], "hex:61ff62", r"a\u00ffb"),
        ("json", &["utf8"], "hex:61c0af62", "<absent>"),
        ("json", &["utf8p"], "hex:61c0af62", r"a\/b"),
        ("json", &["utf8ps"], "hex:61c0af62", r"a\/b"),
        ("json", &["utf8s"], "hex:61c0af62", "ab"),
        ("json", &["utf8p"], "hex:61e0808062", r"a\u0000b"),
        ("json", &["utf8"], "hex:61eda08062", "<absent>"),
        ("json", &["utf8s"], "hex:61eda08062", "ab"),
        ("json", &["utf8p"], "hex:61eda08062", "<absent>"),
        ("json", &["utf8"], "hex:61c362", "<absent>"),
        ("json", &["utf8s"], "hex:61c362", "ab"),
        ("json", &["utf8s"], "hex:61c3", "a"),
        ("json", &["ascii"], "hex:61c3", r"a\u00c3"),
        ("json", &[], "hex:617f01081f62", r"a\u007f\u0001\b\u001fb"),
        ("json", &["utf8"], "hex:61f4908080", "<absent>"),
        ("json", &["utf8s"], "hex:61f4908080", "a"),
        ("json", &["utf8"], "hex:61efbfbf62", "<absent>"),
        ("json", &["utf8ps"], "hex:61f0908080", "a"),
        ("json", &["utf8p"], "hex:61f08f808062", r"a\uf000b"),
        ("json", &["utf8p"], "hex:61c18162", "aAb"),
        ("json", &["utf8p"], "hex:61e08f8062", r"a\u03c0b"),
        ("json", &["utf8s"], "hex:61fe62", "ab"),
        ("json", &["utf8s"], "hex:61f88080808062", "ab"),
    ]);
}

#[test]
fn encodings() {
    table(&[
        ("base64", &[], "hello", "aGVsbG8="),
        ("base64", &[], "", ""),
        ("base64", &[], "hex:fbff00", "+/8A"),
        ("ub64enc", &[], "hex:fbff00", "-_8A"),
        ("ub64enc", &[], "a", "YQ"),
        ("ub64enc", &[], "ab", "YWI"),
        ("base64", &[], "a", "YQ=="),
        ("b64dec", &[], "aGVsbG8=", "68656C6C6F"),
        ("b64dec", &[], "aGVsbG8", "<absent>"),
        ("b64dec", &[], "YQ==YQ==", "6161"),
        ("b64dec", &[], "YQ=a", "<absent>"),
        ("b64dec", &[], "Y===", ""),
        ("b64dec", &[], "====", "<absent>"),
        ("b64dec", &[], "-_8A", "<absent>"),
        ("b64dec", &[], "+/8A", "FBFF00"),
        ("b64dec", &[], "YR==", "61"),
        ("b64dec", &[], "", ""),
        ("ub64dec", &[], "-_8A", "FBFF00"),
        ("ub64dec", &[], "+/8A", "<absent>"),
        ("ub64dec", &[], "YQ", "61"),
        ("ub64dec", &[], "YWI", "6162"),
        ("ub64dec", &[], "YQ==", "610FFF"),
        ("ub64dec", &[], "YQ=", "610F"),
        ("ub64dec", &[], "Y", "<absent>"),
        ("hex", &[], "Hi!", "486921"),
        ("hex", &[], "int:258", "0000000000000102"),
        ("hex2i", &[], "ff", "255"),
        ("hex2i", &[], "FF", "255"),
        ("hex2i", &[], "", "0"),
        ("hex2i", &[], "fg", "<absent>"),
        ("hex2i", &[], "ffffffffffffffff", "-1"),
        ("hex2i", &[], "1ffffffffffffffff", "-1"),
        ("hex2i", &[], "-1", "<absent>"),
        ("htonl", &[], "int:1", "00000001"),
        ("htonl", &[], "int:-1", "FFFFFFFF"),
        ("htonl", &[], "int:4294967298", "00000002"),
        ("url_dec", &[], "a%20b+c", "a b+c"),
        ("url_dec", &[], "a%20b+c?d+e", "a b+c?d e"),
        ("url_dec", &["1"], "a+b", "a b"),
        ("url_dec", &["0"], "a+b", "a+b"),
        ("url_dec", &[], "a%2", "<absent>"),
        ("url_dec", &[], "a%zz", "<absent>"),
        ("url_dec", &[], "a%41%42%", "<absent>"),
        (
            "url_enc",
            &[],
            "a b&c=d/\u{e9}~-._",
            "a%20b%26c%3Dd%2F%C3%A9~-._",
        ),
        ("url_enc", &["query"], "a b", "a%20b"),
        (
            "be2dec",
            &[":", "2"],
            "hex:01020304050607",
            "258:772:1286:7",
        ),
        (
            "be2dec",
            &["-", "2", "1"],
            "hex:01020304050607",
            "258-772-1286",
        ),
        (
            "be2dec",
            &["", "2", "1"],
            "hex:01020304050607",
            "2587721286",
        ),
        ("be2dec", &[".", "1"], "hex:7f000001", "127.0.0.1"),
        (
            "be2dec",
            &[".", "8"],
            "hex:ffffffffffffffff",
            "18446744073709551615",
        ),
        ("be2dec", &[".", "4", "1"], "hex:0102", ""),
        ("be2dec", &[".", "4"], "hex:0102", "258"),
        ("be2hex", &[], "hex:01020304050607", "01020304050607"),
        (
            "be2hex",
            &[":", "2"],
            "hex:01020304050607",
            "0102:0304:0506:07",
        ),
        (
            "be2hex",
            &["--", "2", "1"],
            "hex:01020304050607",
            "0102--0304--0506",
        ),
        (
            "be2hex",
            &["", "3", "1"],
            "hex:0102030405060708",
            "010203040506",
        ),
        (
            "be2hex",
            &["", "3"],
            "hex:0102030405060708",
            "0102030405060708",
        ),
        ("be2hex", &[":", "4", "1"], "hex:0102", ""),
        ("be2hex", &[], "abc", "616263"),
    ]);
}

#[test]
fn hashes() {
    table(&[
        ("crc32", &[], "hello", "907060870"),
        ("crc32", &["1"], "hello", "3902247103"),
        ("crc32", &["2"], "hello", "3902247103"),
        ("crc32", &[], "", "0"),
        ("crc32", &["1"], "", "2874071335"),
        ("crc32c", &[], "hello", "2591144780"),
        ("crc32c", &["1"], "hello", "2290590055"),
        ("djb2", &[], "hello", "261238937"),
        ("djb2", &["1"], "hello", "1119739105"),
        ("djb2", &[], "", "5381"),
        ("djb2", &[], "hello world, this is long", "845140497"),
        ("sdbm", &[], "hello", "684824882"),
        ("sdbm", &["1"], "hello", "2061535398"),
        ("wt6", &[], "hello", "3538347703"),
        ("wt6", &["1"], "hello", "140457739"),
        ("wt6", &[], "", "4187620192"),
        ("wt6", &[], "hello world, this is long", "2168518749"),
        ("xxh32", &[], "hello", "4211111929"),
        ("xxh32", &["1"], "hello", "4244634537"),
        ("xxh32", &["-1"], "hello", "655458443"),
        ("xxh64", &[], "hello", "2794345569481354659"),
        ("xxh64", &["1"], "hello", "2584346877953614258"),
        ("xxh64", &["-1"], "hello", "125878816811915416"),
        ("xxh3", &[], "hello", "-7685981735718036227"),
        ("xxh3", &["1"], "hello", "8408359951548325522"),
        ("xxh3", &["-1"], "hello", "2602620247648655140"),
        ("xxh3", &[], "", "3244421341483603138"),
        ("sha1", &[], "hello", "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D"),
        ("sha1", &[], "", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"),
        ("sha2", &[], "hello", "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"),
        ("sha2", &["224"], "hello", "EA09AE9CC6768C50FCEE903ED054556E5BFC8347907F12598AA24193"),
        ("sha2", &["384"], "hello", "59E1748777448C69DE6B800D7A33BBFB9FF1B463E44354C3553BCDB9C666FA90125A3C79F90397BDF5F6A13DE828684F"),
        ("sha2", &["512"], "hello", "9B71D224BD62F3785D96D46AD3EA3D73319BFBC2890CAADAE2DFF72519673CA72323C3D99BA5C11D7C7ACC6E14B8C5DA0C4663475C2E5C3ADEF46F73BCDEC043"),
        ("crc32", &[], "int:1", "304476159"),
        ("sha1", &[], "int:1", "CB473678976F425D6EC1339838F11011007AD27D"),
    ]);
}

#[test]
fn dates() {
    table(&[
        (
            "utime",
            &["%Y-%m-%d %H:%M:%S"],
            "int:1700000000",
            "2023-11-14 22:13:20",
        ),
        (
            "utime",
            &["%Y%m%d%H%M%S", "3600"],
            "int:1700000000",
            "20231114231320",
        ),
        (
            "utime",
            &["%a %b %e %j %p %I %y %Z %z %%"],
            "int:1700000000",
            "Tue Nov 14 318 PM 10 23 GMT +0000 %",
        ),
        (
            "utime",
            &["%Y-%m-%d %H:%M:%S", "-1"],
            "int:0",
            "1969-12-31 23:59:59",
        ),
        (
            "utime",
            &["%s %u %w %C %D %F %T %R %h %n %t %G %V %U %W"],
            "int:1700000000",
            "1700000000 2 2 20 11/14/23 2023-11-14 22:13:20 22:13 Nov \n \t 2023 46 46 46",
        ),
        (
            "utime",
            &["%c|%x|%X|%r"],
            "int:1700000000",
            "Tue Nov 14 22:13:20 2023|11/14/23|22:13:20|10:13:20 PM",
        ),
        ("utime", &["%Q"], "int:1700000000", "%Q"),
        (
            "utime",
            &["%-d|%_H|%e|%k|%l|%P|%g|%E|%Ey|%5Y"],
            "int:1700000000",
            "14|22|14|22|10|pm|23|%E|23|02023",
        ),
        ("utime", &["%Z%%Z"], "int:1700000000", "GMT%Z"),
        ("utime", &["ab%"], "int:1700000000", "ab%"),
        ("ltime", &["%Y"], "int:1700000000", "2023"),
        (
            "http_date",
            &[],
            "int:1700000000",
            "Tue, 14 Nov 2023 22:13:20 GMT",
        ),
        (
            "http_date",
            &["3600"],
            "int:1700000000",
            "Tue, 14 Nov 2023 23:13:20 GMT",
        ),
        (
            "http_date",
            &["0", "ms"],
            "int:1700000000123",
            "Tue, 14 Nov 2023 22:13:20.123 GMT",
        ),
        (
            "http_date",
            &["0", "ms"],
            "int:1700000000012",
            "Tue, 14 Nov 2023 22:13:20.12 GMT",
        ),
        (
            "http_date",
            &["0", "us"],
            "int:1700000000123456",
            "Tue, 14 Nov 2023 22:13:20.123456 GMT",
        ),
        (
            "http_date",
            &["0", "s"],
            "int:1700000000",
            "Tue, 14 Nov 2023 22:13:20 GMT",
        ),
        (
            "http_date",
            &[],
            "int:-1",
            "Sun, 13 Jun 1141709097 06:26:07 GMT",
        ),
        (
            "http_date",
            &["0", "ms"],
            "int:-1500",
            "Sun, 13 Jun 1141709097 06:26:07.-500 GMT",
        ),
    ]);
}

#[test]
fn others() {
    table(&[
        ("ipmask", &["24"], "1.2.3.4", "1.2.3.0"),
        ("ipmask", &["255.255.0.0"], "1.2.3.4", "1.2.0.0"),
        ("ipmask", &["0"], "1.2.3.4", "0.0.0.0"),
        ("ipmask", &["32"], "1.2.3.4", "1.2.3.4"),
        ("ipmask", &["24"], "::ffff:1.2.3.4", "1.2.3.0"),
        ("ipmask", &["24"], "2001:db8::1", "<absent>"),
        ("ipmask", &["24", "32"], "2001:db8:1:2::1", "2001:db8::"),
        ("ipmask", &["24", "0"], "2001:db8:1:2::1", "::"),
        ("ipmask", &["16"], "int:16909060", "1.2.0.0"),
        ("ipmask", &["8"], "nope", "<absent>"),
        ("concat", &["-", "txn.n", "-"], "abc", "abc-7-"),
        ("concat", &["-", "txn.nope", "-"], "abc", "abc--"),
        ("concat", &["", "txn.a"], "abc", "abcabc"),
        ("concat", &["x"], "abc", "abcx"),
        ("concat", &["", "", "y"], "", "y"),
        ("concat", &["x"], "int:3", "3x"),
        ("add_item", &["-", "txn.n", "s"], "abc", "abc-7s"),
        ("add_item", &["-", "txn.n", "s"], "", "7s"),
        ("add_item", &["-", "txn.e"], "abc", "abc"),
        ("add_item", &["-", "txn.e", "s"], "abc", "abc-s"),
        ("add_item", &["-", "txn.nope", "s"], "abc", "abc-s"),
        ("add_item", &["-", "", "s"], "abc", "abc-s"),
        ("strcmp", &["txn.a"], "abc", "0"),
        ("strcmp", &["txn.a"], "abb", "-1"),
        ("strcmp", &["txn.a"], "abz", "23"),
        ("strcmp", &["txn.a"], "ab", "-1"),
        ("strcmp", &["txn.a"], "abcd", "1"),
        ("strcmp", &["txn.nope"], "abc", "<absent>"),
        ("strcmp", &["txn.n"], "int:7", "0"),
        ("strcmp", &["txn.ab"], "abz", "1"),
        ("strcmp", &["txn.e"], "a", "1"),
        ("secure_memcmp", &["txn.a"], "abc", "1"),
        ("secure_memcmp", &["txn.a"], "abd", "0"),
        ("secure_memcmp", &["txn.a"], "ab", "0"),
        ("secure_memcmp", &["txn.nope"], "abc", "<absent>"),
        ("secure_memcmp", &["txn.n"], "int:7", "1"),
        ("iif", &["yes", "no"], "int:1", "yes"),
        ("iif", &["yes", "no"], "int:0", "no"),
        ("iif", &["yes", "no"], "", "<absent>"),
        ("iif", &["yes", "no"], "x", "no"),
        ("language", &["es;fr;en"], "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("language", &["es;fr;en"], "en;q=0.5,es;q=0.7", "es"),
        ("language", &["es;fr;en"], "de", "<absent>"),
        ("language", &["es;fr;en", "zz"], "de", "zz"),
        ("language", &["es;fr-CA;en"], "fr-FR,fr-CA;q=0.9", "fr-CA"),
        ("language", &["es;fr;en"], "fr-FR;q=0.2,en-US;q=0.3", "en"),
        ("language", &["es;fr;en"], "fr;q=0,en;q=0.001", "<absent>"),
        ("language", &["es;fr;en"], "fr;q=abc,en", "fr"),
        ("language", &["es;fr;en"], "es ; q = 0.5 , fr", "fr"),
        ("language", &["es;fr;en"], "*", "<absent>"),
        ("language", &["fr-CA;fr"], "fr-CA", "fr-CA"),
        ("language", &["fr;fr-CA"], "fr-CA", "fr"),
        ("language", &["es;fr;en"], "fr;q=1.5", "fr"),
        ("language", &["es;fr;en"], "fr;q=0.5,en;q=0.5", "fr"),
        ("language", &["es;fr", "zz"], "", "zz"),
    ]);
}

/// Configuration errors: the message HAProxy gives (or ours, where the
/// argument typing is the engine's).
#[test]
fn config_errors() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("field", &["0", "_"], "Unexpected value 0 for index"),
        ("field", &["1", ""], "Empty separators list"),
        ("word", &["0", "_"], "Unexpected value 0 for index"),
        ("regsub", &["a", "X", "x"], "invalid regex flag 'x', only 'i' and 'g' are supported"),
        ("json", &["foo"], "Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'"),
        ("url_enc", &["foo"], "Unexpected encode type. Allowed value is 'query'"),
        ("be2dec", &[":"], "chunk_size out of [1..8] range (0)"),
        ("be2dec", &[":", "9"], "chunk_size out of [1..8] range (9)"),
        ("be2dec", &[":", "2", "2"], "Unsupported truncate value (2)"),
        ("be2hex", &[":"], "chunk_size needs to be positive (0)"),
        ("be2hex", &["", "0", "1"], "chunk_size needs to be positive (0)"),
        ("be2hex", &[":", "2", "3"], "Unsupported truncate value (3)"),
        ("sha2", &["100"], "Unsupported number of bits: '100'"),
        ("http_date", &["0", "h"], "expects 's', 'ms' or 'us', got 'h'"),
        ("add_item", &["-", "", ""], "one of the optional arguments has to be nonempty"),
        ("add_item", &["-"], "one of the optional arguments has to be nonempty"),
    ];
    for &(name, args, want) in cases {
        assert_eq!(
            run(name, args, "", &NoEnv),
            Err(want.to_string()),
            "{name}({})",
            args.join(",")
        );
    }
    // Accepted as HAProxy accepts them.
    for (name, args) in [
        ("json", &[""][..]),
        ("url_enc", &[""]),
        ("be2hex", &["", "-1"]),
    ] {
        assert!(run(name, args, "", &NoEnv).is_ok(), "{name}");
    }
    // Refused by the argument typing (HAProxy refuses them too).
    for (name, args) in [
        ("field", &["1"][..]),
        ("bytes", &[]),
        ("bytes", &["x"]),
        ("regsub", &["a"]),
        ("regsub", &["(", "X"]),
        ("crc32", &["x"]),
        ("ipmask", &["33"]),
        ("ipmask", &["24", "129"]),
        ("concat", &["a", "b"]),
        ("strcmp", &["x"]),
        ("iif", &["a"]),
        ("add", &["1x"]),
        ("hex", &["1"]),
    ] {
        assert!(
            run(name, args, "", &NoEnv).is_err(),
            "{name}({})",
            args.join(",")
        );
    }
}
