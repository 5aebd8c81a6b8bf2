//! Tests of fetches, ACL matching, conditions and formats against a mock
//! request. Expected results follow what `haproxy` 2.6.12 did with the
//! same ACLs and requests.

use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::sync::Arc;

use super::acl::{parse_expr, AclExpr, IpNet};
use super::cond::{Acl, Condition};
use super::RequestView;

pub(crate) struct Req {
    pub method: &'static str,
    pub uri: &'static str,
    pub path: &'static str,
    pub version: (u8, u8),
    pub headers: Vec<(&'static str, &'static str)>,
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub status: Option<u16>,
    pub res_headers: Vec<(&'static str, &'static str)>,
}

impl Req {
    pub(crate) fn get(uri: &'static str) -> Req {
        let path = uri.split('?').next().unwrap_or("");
        Req {
            method: "GET",
            uri,
            path,
            version: (1, 1),
            headers: Vec::new(),
            src: Some("10.1.2.3:40000".parse().unwrap()),
            dst: Some("127.0.0.1:8080".parse().unwrap()),
            status: None,
            res_headers: Vec::new(),
        }
    }

    pub(crate) fn hdr(mut self, n: &'static str, v: &'static str) -> Req {
        self.headers.push((n, v));
        self
    }
}

fn each<'a>(
    h: &'a [(&'static str, &'static str)],
    f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>,
) {
    for (n, v) in h {
        if f(n.as_bytes(), v.as_bytes()).is_break() {
            return;
        }
    }
}

impl RequestView for Req {
    fn method(&self) -> &[u8] {
        self.method.as_bytes()
    }
    fn uri(&self) -> &[u8] {
        self.uri.as_bytes()
    }
    fn path(&self) -> &[u8] {
        self.path.as_bytes()
    }
    fn version(&self) -> (u8, u8) {
        self.version
    }
    fn for_each_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        each(&self.headers, f);
    }
    fn src(&self) -> Option<SocketAddr> {
        self.src
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.dst
    }
    fn nbsrv(&self, backend: Option<&str>) -> u32 {
        match backend {
            None => 2,
            Some("empty") => 0,
            Some(_) => 1,
        }
    }
    fn status(&self) -> Option<u16> {
        self.status
    }
    fn for_each_res_header<'a>(&'a self, f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {
        each(&self.res_headers, f);
    }
}

pub(super) fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

pub(super) fn expr(s: &str) -> AclExpr {
    parse_expr(&words(s))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .expr
}

fn m(s: &str, r: &Req) -> bool {
    expr(s).matches(r)
}

fn expr_err(s: &str) -> String {
    parse_expr(&words(s)).unwrap_err()
}

pub(super) fn cond(s: &str) -> Condition {
    cond_with(s, &[])
}

pub(super) fn cond_with(s: &str, acls: &[(&str, &str)]) -> Condition {
    let acls: Vec<Arc<Acl>> = acls
        .iter()
        .map(|(n, e)| {
            Arc::new(Acl {
                name: n.to_string(),
                exprs: vec![expr(e)],
            })
        })
        .collect();
    let lookup = |n: &str| acls.iter().find(|a| a.name == n).cloned();
    Condition::parse(&words(s), &lookup)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .cond
}

pub(super) fn cond_err(s: &str) -> String {
    Condition::parse(&words(s), &|_| None).unwrap_err()
}

#[test]
fn string_methods() {
    let r = Req::get("/api/v1/Users?id=3");
    assert!(m("path /api/v1/Users", &r));
    assert!(!m("path /api/v1/users", &r));
    assert!(m("path -i /api/v1/users", &r));
    assert!(m("path_beg /api /static", &r));
    assert!(!m("path_beg /static", &r));
    assert!(m("path_end Users", &r));
    assert!(m("path_sub v1", &r));
    assert!(m("path_reg ^/api/v[0-9]+/", &r));
    assert!(m("path_reg -i users$", &r));
    assert!(!m("path_reg users$", &r));
    assert!(m("path_dir v1", &r));
    assert!(!m("path_dir v", &r));
    assert!(m("path_len 13", &r));
    assert!(m("path -m len 10:20", &r));
    assert!(m("url /api/v1/Users?id=3", &r));
    assert!(m("url_beg /api/", &r));
    assert!(m("url_reg id=[0-9]$", &r));
    assert!(m("query id=3", &r));
    // -m overrides the derived method; flags only come before patterns.
    assert!(m("path_end -m beg /api", &r));
    assert!(m("path -m sub -i USERS", &r));
    assert!(!m("path /x -i", &r));
    assert!(m("path -m found", &r));
    assert!(m("path -m found /ignored", &r));
    assert!(!m("path -m int 5", &r));
    let h = Req::get("/").hdr("Host", "www.Example.com");
    assert!(m("hdr_dom(host) -i example", &h));
    assert!(m("hdr_end(host) -i .example.com", &h));
    assert!(m("hdr_beg(host) www.", &h));
    assert!(m("hdr(host) -i www.example.com", &h));
    assert!(!m("hdr(host) www.example.com", &h));
}

#[test]
fn header_occurrences_and_commas() {
    // As haproxy 2.6.12: values split on commas outside quotes, trimmed.
    let r = Req::get("/")
        .hdr("X", "a, b")
        .hdr("x", "c")
        .hdr("Q", "\"b,c\"")
        .hdr("E", "")
        .hdr("N", "7, 9");
    assert!(m("hdr(x) b", &r));
    assert!(m("hdr(x,1) a", &r));
    assert!(!m("hdr(x,1) b", &r));
    assert!(m("hdr(x,-1) c", &r));
    assert!(m("hdr(x,2) b", &r));
    assert!(!m("hdr(x,4) c", &r));
    assert!(m("hdr_cnt(x) 3", &r));
    assert!(m("req.hdr_cnt(x) eq 3", &r));
    assert!(m("req.fhdr(x) \"a,", &r) || m("fhdr_cnt(x) 2", &r));
    assert!(m("fhdr_cnt(x) 2", &r));
    assert!(m("hdr(q) \"b,c\"", &r));
    assert!(!m("hdr(q) b", &r));
    assert!(m("hdr_cnt(e) 1", &r));
    assert!(m("hdr(e) -m len 0", &r));
    assert!(m("hdr_val(n) gt 8", &r));
    assert!(m("hdr(n) -m int 9", &r));
    assert!(m("hdr_cnt(nope) 0", &r));
    assert!(!m("hdr(nope) -m found", &r));
    assert!(m("hdr(x) -m found", &r));
    // `hdr()` sees every header; bare `hdr` finds nothing (as 2.6).
    assert!(m("hdr() 9", &r));
    assert!(m("hdr(,-1) 9", &r));
    assert!(!m("hdr 9", &r));
    assert!(m("hdr_cnt 7", &r));
    assert!(m("hdr_cnt() 7", &r));
}

#[test]
fn integers_and_operators() {
    let r = Req::get("/");
    assert!(m("dst_port 8080", &r));
    assert!(m("dst_port 80 8000:8090", &r));
    assert!(m("dst_port 8080:", &r));
    assert!(m("dst_port :8080", &r));
    assert!(!m("dst_port :8079", &r));
    assert!(m("dst_port gt 8079", &r));
    assert!(!m("dst_port gt 8080", &r));
    assert!(m("dst_port ge 8080", &r));
    assert!(m("dst_port lt 8081", &r));
    assert!(m("dst_port le 8080", &r));
    assert!(m("dst_port eq 1 eq 8080", &r));
    // An operator applies to the following values.
    assert!(m("dst_port lt 5 9000", &r));
    assert!(m("dst_port ge 1 lt 5", &r));
    // HAProxy 2.6 matches `ne` like `eq` (measured).
    assert!(m("dst_port ne 8080", &r));
    assert!(!m("dst_port ne 1", &r));
    assert!(m("src_port 40000", &r));
    assert!(m("dst_port -m str 8080", &r));
    assert!(m("dst_port -m beg 80", &r));
    assert!(m("nbsrv 2", &r));
    assert!(m("nbsrv(app) 1", &r));
    assert!(m("nbsrv(empty) lt 1", &r));
    assert!(m("nbsrv(app) -m bool", &r));
    assert!(!m("nbsrv(empty) -m bool", &r));
    assert_eq!(expr_err("dst_port abc"), "'abc' is not a number.");
    assert_eq!(expr_err("dst_port 1.5"), "'1.5' is not a number.");
    assert_eq!(
        expr_err("dst_port 80:70"),
        "'80:70' is not a valid number range."
    );
    assert_eq!(
        expr_err("dst_port -5"),
        "'-5' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'."
    );
    assert!(!m("dst_port -- -5", &r));
}

#[test]
fn addresses() {
    let r = Req::get("/");
    assert!(m("src 10.0.0.0/8", &r));
    assert!(m("src 192.168.0.0/16 10.1.2.3", &r));
    assert!(!m("src 10.1.2.4", &r));
    assert!(m("src 10.1.0.0/255.255.0.0", &r));
    assert!(m("src 0.0.0.0/0", &r));
    assert!(m("src ::ffff:10.1.2.3", &r));
    assert!(m("src ::ffff:10.0.0.0/104", &r));
    assert!(m("dst 127.0.0.1", &r));
    assert!(m("src -m beg 10.1.", &r));
    assert!(m("src -m str 10.1.2.3", &r));
    let mut v6 = Req::get("/");
    v6.src = Some("[::ffff:10.1.2.3]:1".parse().unwrap());
    assert!(m("src 10.1.2.0/24", &v6));
    v6.src = Some("[2001:db8::1]:1".parse().unwrap());
    assert!(m("src 2001:db8::/32", &v6));
    assert!(!m("src 10.0.0.0/8", &v6));
    v6.src = None;
    assert!(!m("src -m found", &v6));
    for bad in ["src foo", "src 1.2.3.4/33", "src ::1/129", "src 1.2.3"] {
        assert!(
            expr_err(bad).ends_with("is not a valid IPv4 or IPv6 address."),
            "{bad}"
        );
    }
    assert_eq!(
        IpNet::parse("10.1.2.3/8"),
        Some(IpNet::V4 {
            addr: 0x0a00_0000,
            mask: 0xff00_0000
        })
    );
}

#[test]
fn methods_and_versions() {
    let mut r = Req::get("/");
    assert!(m("method GET", &r));
    // A standard method must be written exactly (as haproxy 2.6.12).
    assert!(!m("method get", &r));
    assert!(!m("method -i get", &r));
    r.method = "get";
    assert!(m("method get", &r));
    assert!(m("method -i GeT", &r) || !m("method -i GET", &r));
    assert!(!m("method GET", &r));
    r.method = "PURGE";
    assert!(m("method -i purge", &r));
    assert!(m("req_ver 1.1", &r));
    r.version = (1, 0);
    assert!(m("req.ver 1.0", &r));
    assert!(m("always_true", &r));
    assert!(!m("always_false", &r));
    assert!(!m("always_true -m str x", &r));
}

#[test]
fn expression_errors_and_warnings() {
    assert_eq!(
        expr_err("foo /x"),
        "unknown fetch method 'foo' in ACL expression 'foo'."
    );
    assert_eq!(
        expr_err("foo(a) /x"),
        "unknown fetch method 'foo' in ACL expression 'foo(a)'."
    );
    assert_eq!(
        parse_expr(&[]).unwrap_err(),
        "missing fetch method in ACL expression ''."
    );
    assert_eq!(
        expr_err("path -m foo /x"),
        "unknown matching method 'foo' when parsing ACL expression."
    );
    assert_eq!(
        expr_err("path -m"),
        "unknown matching method '' when parsing ACL expression."
    );
    assert_eq!(
        expr_err("hdr(host,x) a"),
        "ACL keyword 'hdr' : failed to parse 'x' as type 'integer' at position 2."
    );
    assert_eq!(
        expr_err("path(x) a"),
        "ACL keyword 'path' : expected ')' before 'x)'."
    );
    assert_eq!(
        expr_err("path,nope /x"),
        "ACL keyword 'path' : unknown converter 'nope'."
    );
    assert!(expr("path,lower /x").matches(&Req::get("/X")));
    assert_eq!(
        expr_err("path -f /nonexistent/x"),
        "failed to open pattern file </nonexistent/x>."
    );
    assert!(expr_err("req.hdr_beg(x) 1").contains("unknown fetch method 'req.hdr_beg'"));
    assert_eq!(
        expr_err("path_reg ("),
        "regex '(' is invalid (error=missing closing parenthesis, erroffset=1)."
    );
    let w = parse_expr(&words("path")).unwrap().warnings;
    assert!(w[0].starts_with("config : parsing acl keyword 'path' :\n  no pattern to match"));
    for quiet in [
        "path --",
        "path -m found",
        "always_true",
        "nbsrv -m bool",
        "path x",
    ] {
        assert!(
            parse_expr(&words(quiet)).unwrap().warnings.is_empty(),
            "{quiet}"
        );
    }
}
