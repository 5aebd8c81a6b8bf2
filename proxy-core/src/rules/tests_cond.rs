//! Tests of conditions (`!`, `||`, `{ }`, predefined ACLs), usage
//! warnings, ACL relinking and formats, against the mock request of
//! [`super::tests`].

use std::sync::Arc;

use super::cond::{predefined, Acl, Condition, Polarity};
use super::fetch::Usage;
use super::format::LogFormat;
use super::tests::{cond, cond_err, cond_with, expr, words, Req};

#[test]
fn conditions() {
    let r = Req::get("/api/x");
    let acls = [
        ("api", "path_beg /api"),
        ("st", "path_beg /static"),
        ("loc", "src 10.0.0.0/8"),
    ];
    let c = |s: &str| cond_with(s, &acls).eval(&r);
    assert!(c("if api"));
    assert!(!c("unless api"));
    assert!(c("if !st"));
    assert!(c("if api loc"));
    assert!(!c("if api !loc"));
    assert!(c("if st || api"));
    assert!(c("if st or api"));
    assert!(c("if st OR api"));
    assert!(!c("if st || !api"));
    assert!(c("if { path_beg /api }"));
    assert!(c("if !{ path_beg /static }"));
    assert!(c("if ! { path_beg /static }"));
    assert!(c("if !!{ path_beg /api }"));
    assert!(c("if ! api || api"));
    // A lone `!` carries over to the next term.
    assert!(!c("if ! api"));
    // Empty conditions and suites.
    assert!(!c("if"));
    assert!(c("unless"));
    assert!(!c("if !"));
    assert!(c("if || api ||"));
    assert!(c("if st || || api"));
    // `}{` is a pattern inside braces, as in HAProxy.
    assert!(c("if { path /nope }{ /api/x }"));
    let parsed = cond_with("if api !st || { src 10.0.0.0/8 }", &acls);
    assert_eq!(parsed.polarity, Polarity::If);
    assert_eq!(parsed.suites.len(), 2);
    assert_eq!(parsed.suites[0].len(), 2);
    assert!(parsed.suites[0][1].neg);
    assert!(parsed.suites[1][0].acl.name.is_empty());
    assert_eq!(parsed.exprs().count(), 3);
}

#[test]
fn condition_errors() {
    assert_eq!(cond_err("if nope"), "no such ACL : 'nope'.");
    assert_eq!(cond_err("if always_true"), "no such ACL : 'always_true'.");
    assert_eq!(cond_err("if {path /a}"), "no such ACL : '{path'.");
    assert_eq!(
        cond_err("if { path /x"),
        "missing closing '}' in condition."
    );
    assert_eq!(
        cond_err("if { }"),
        "missing fetch method in ACL expression ''."
    );
    assert_eq!(
        cond_err("if { foo /x }"),
        "unknown fetch method 'foo' in ACL expression 'foo'."
    );
    assert!(cond_err("if WAIT_END").contains("'WAIT_END' is not supported"));
    assert!(cond_err("when x").contains("expected 'if' or 'unless'"));
    let w = Condition::parse(&words("if { path }"), &|_| None)
        .unwrap()
        .warnings;
    assert_eq!(w.len(), 1);
}

#[test]
fn predefined_acls() {
    let mut r = Req::get("/");
    let c = |s: &str, r: &Req| cond(s).eval(r);
    assert!(c("if TRUE", &r) && !c("if FALSE", &r));
    assert!(c("if HTTP HTTP_1.1 METH_GET HTTP_URL_SLASH", &r));
    assert!(!c(
        "if HTTP_1.0 || METH_POST || HTTP_URL_ABS || HTTP_CONTENT",
        &r
    ));
    assert!(!c("if LOCALHOST || REQ_CONTENT", &r));
    r.src = Some("127.0.0.2:5".parse().unwrap());
    assert!(c("if LOCALHOST", &r));
    r.method = "HEAD";
    assert!(c("if METH_GET METH_HEAD", &r));
    for (meth, acl) in [
        ("POST", "METH_POST"),
        ("PUT", "METH_PUT"),
        ("DELETE", "METH_DELETE"),
        ("OPTIONS", "METH_OPTIONS"),
        ("CONNECT", "METH_CONNECT"),
        ("TRACE", "METH_TRACE"),
    ] {
        r.method = meth;
        assert!(c(&format!("if {acl} !METH_GET"), &r), "{acl}");
    }
    let abs = Req::get("http://h/x").hdr("Content-Length", "12");
    assert!(c("if HTTP_URL_ABS HTTP_CONTENT", &abs));
    assert!(c("if HTTP_URL_STAR", &Req::get("*")));
    let mut v2 = Req::get("/");
    v2.version = (2, 0);
    assert!(c("if HTTP_2.0", &v2));
    // A proxy's own ACL shadows a predefined one.
    assert!(!cond_with("if METH_GET", &[("METH_GET", "path /z")]).eval(&Req::get("/")));
    assert!(predefined("NOPE").is_none());
}

#[test]
fn response_fetches_and_usage_warnings() {
    let mut r = Req::get("/");
    r.status = Some(503);
    r.res_headers.push(("Server", "x, y"));
    assert!(cond("if { status 500:599 } { res.hdr(server) y } { shdr_cnt(server) 2 }").eval(&r));
    let w = cond("if { path /x }").usage_warnings(
        Usage::Response,
        "frontend http-response header rule",
        None,
    );
    assert_eq!(
        w,
        ["anonymous acl will never match because it uses keyword 'path' which is incompatible with 'frontend http-response header rule'"]
    );
    let acls = [("s", "status 200")];
    let w = cond_with("if s || s", &acls).usage_warnings(
        Usage::Request,
        "backend tcp-request content rule",
        Some("tcp-request content"),
    );
    assert_eq!(
        w,
        ["acl 's' will never match in 'tcp-request content' because it only involves keywords that are incompatible with 'backend tcp-request content rule'"]
    );
    assert!(cond("if METH_GET { src 1.2.3.4 } { nbsrv 1 }")
        .usage_warnings(Usage::Response, "x", None)
        .is_empty());
}

#[test]
fn relink_sees_later_acl_lines() {
    let one = Arc::new(Acl {
        name: "a".into(),
        exprs: vec![expr("path /one")],
    });
    let lookup = |n: &str| (n == "a").then(|| Arc::clone(&one));
    let mut c = Condition::parse(&words("if a"), &lookup).unwrap().cond;
    let both = Arc::new(Acl {
        name: "a".into(),
        exprs: vec![expr("path /one"), expr("path /two")],
    });
    assert!(!c.eval(&Req::get("/two")));
    c.relink(&one, &both);
    assert!(c.eval(&Req::get("/two")));
}

#[test]
fn formats() {
    let r = Req::get("/p?q=1")
        .hdr("Host", "h1")
        .hdr("host", "h2")
        .hdr("X", "a, b");
    let f = |s: &str| String::from_utf8(LogFormat::parse(s).unwrap().render(&r)).unwrap();
    assert_eq!(f("plain"), "plain");
    assert_eq!(f("100%%"), "100%");
    assert_eq!(f("%[src]"), "10.1.2.3");
    assert_eq!(
        f("for=%[src]:%[src_port];by=%[dst]"),
        "for=10.1.2.3:40000;by=127.0.0.1"
    );
    assert_eq!(f("%ci:%cp %fi:%fp"), "10.1.2.3:40000 127.0.0.1:8080");
    assert_eq!(f("%[req.hdr(host)]"), "h2");
    assert_eq!(f("%[hdr(host,1)]"), "h1");
    assert_eq!(f("%[hdr(x)]|%[hdr(x,1)]|%[hdr_cnt(x)]"), "b|a|2");
    assert_eq!(f("[%[hdr(none)]]"), "[]");
    assert_eq!(f("%[path]%[query]%[method]%[req.ver]"), "/pq=1GET1.1");
    assert_eq!(
        LogFormat::parse("a%%b").unwrap().literal(),
        Some(&b"a%b"[..])
    );
    assert_eq!(LogFormat::parse("%[src]").unwrap().literal(), None);
    assert_eq!(LogFormat::parse("x").unwrap().as_str(), "x");
    let e = |s: &str| LogFormat::parse(s).unwrap_err();
    assert_eq!(e("100%"), "truncated line after '%'.");
    assert_eq!(
        e("%["),
        "failed to parse sample expression <> : missing fetch method."
    );
    assert_eq!(
        e("%[]"),
        "failed to parse sample expression <]> : missing fetch method."
    );
    assert_eq!(
        e("%[nope]/x"),
        "failed to parse sample expression <nope]/x> : unknown fetch method 'nope'."
    );
    assert!(e("%[path_beg]").contains("unknown fetch method 'path_beg'"));
    assert_eq!(
        e("%[path,foo]"),
        "failed to parse sample expression <path,foo]> : unknown converter 'foo'."
    );
    assert_eq!(e("%[path lower]"), "missing ']' after 'path'.");
    assert_eq!(e("%[src"), "missing ']' after 'src'.");
    assert!(LogFormat::parse("%T").is_ok());
    assert_eq!(
        e("%zz"),
        "no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'."
    );
    // Values of HTTP rules are never quoted: `Q` only applies to log lines.
    assert_eq!(f("%{+Q}[src]"), "10.1.2.3");
}

/// TCP-mode payload fetches: nothing in HTTP mode; on a partial hello a
/// condition is a "miss" (`None`: wait), negated or not, unless another
/// term already decides; on a final buffer the fetch just fails.
#[test]
fn payload_conditions_wait_for_data() {
    use crate::stkctr::rules::ConnView;
    use std::sync::atomic::AtomicBool;
    let flag = AtomicBool::new(false);
    let hello = [0x16, 3, 1, 0, 60, 1, 0, 0, 56];
    let view = |data: &'static [u8], partial: bool| ConnView {
        src: None,
        dst: None,
        vars: None,
        payload: Some(super::Payload {
            data,
            limit: 100,
            partial,
            may_change: &flag,
        }),
        tls: Default::default(),
        expect_proxy: Default::default(),
        pp: None,
    };
    let half: &'static [u8] = Box::leak(Box::new(hello));
    let c = |s: &str, v: &ConnView<'_>| cond(s).eval_partial(v, &flag);
    assert_eq!(c("if { req.ssl_hello_type 1 }", &view(half, true)), None);
    assert_eq!(c("if !{ req.ssl_hello_type 1 }", &view(half, true)), None);
    assert_eq!(c("unless { req.ssl_sni x }", &view(half, true)), None);
    assert_eq!(
        c("if { req.ssl_sni x } || TRUE", &view(half, true)),
        Some(true)
    );
    assert_eq!(
        c("if { req.ssl_sni x } FALSE", &view(half, true)),
        Some(false)
    );
    assert_eq!(
        c("if !{ req.ssl_hello_type 1 }", &view(half, false)),
        Some(true)
    );
    assert_eq!(c("if { req.len gt 5 }", &view(half, true)), Some(true));
    assert_eq!(c("if { req.len gt 50 }", &view(half, true)), None);
    assert_eq!(
        c("if { req.ssl_hello_type 1 }", &view(b"GET /", true)),
        Some(false)
    );
    // `req.ssl_ver` patterns are dotted versions by default.
    assert!(cond_err("if { req.ssl_ver 3.x }").contains("'3.x' is not a dotted number."));
    let ver = cond("if { req.ssl_ver 3.1:3.3 }");
    assert_eq!(ver.exprs().next().map(|e| e.pats.len()), Some(1));
    // HTTP mode: no buffer, no value.
    assert!(!cond("if { req.ssl_hello_type 1 }").eval(&Req::get("/")));
    assert!(cond("if !{ req.ssl_sni -m found }").eval(&Req::get("/")));
}
