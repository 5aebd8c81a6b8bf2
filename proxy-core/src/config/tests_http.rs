//! Tests of the HTTP keywords: `acl`, conditions, `use_backend`,
//! `http-request`, `http-response`, `redirect`, `tcp-request`. Messages
//! and acceptance follow `haproxy -c` 2.6.12 (see `kw_http_misc` tests for
//! the settings keywords).

use super::model::Config;
use super::model_http::{HeaderMatch, HttpAction, RedirectKind, ReplyBody};
use super::model_stick::TcpAction;
use super::parser::testing::{error, ok};
use crate::rules::tests::Req;
use crate::rules::{eval, eval_opt};

const HEAD: &str = "defaults d\n mode http\nfrontend f\n bind :1\n";

/// `lines` in frontend `f` (first at line 5), then backends `b` and `c`.
fn fe(lines: &str) -> String {
    format!("{HEAD}{lines}\n default_backend b\nbackend b\nbackend c\n")
}

/// Parses; warnings about missing timeouts are dropped.
fn fe_ok(lines: &str) -> Config {
    let mut c = ok(&fe(lines));
    c.warnings.retain(|w| !w.contains("missing timeouts"));
    c
}

fn fe_err(lines: &str) -> String {
    error(&fe(lines))
}

#[test]
fn acl_lines() {
    let c = fe_ok(
        " acl api path_beg /api\n acl api path_beg /v2\n acl 1a.b-c:d_e hdr(host) -i a\n use_backend c if api",
    );
    let f = c.proxy("f").unwrap();
    assert_eq!(f.acls.len(), 2);
    assert_eq!(f.acls[0].exprs.len(), 2);
    let cond = f.use_backends[0].cond.as_ref().unwrap();
    assert!(eval(cond, &Req::get("/v2/x")));
    assert!(!eval(cond, &Req::get("/v3")));
    assert_eq!(
        fe_err(" acl a foo /x"),
        "parsing [t.cfg:5] : error detected while parsing ACL 'a' : unknown fetch method 'foo' in ACL expression 'foo'."
    );
    assert_eq!(
        fe_err(" acl a/b path /x"),
        "parsing [t.cfg:5] : character '/' is not permitted in acl name 'a/b'."
    );
    assert!(fe_err(" acl a").contains("missing fetch method in ACL expression ''."));
    assert!(fe_err(" acl").contains("'acl' expects an ACL name"));
    assert!(fe_err(" acl a path_reg (")
        .contains("regex '(' is invalid (error=missing closing parenthesis, erroffset=1)."));
    assert!(fe_err(" acl a src 1.2.3.4/33").contains("not a valid IPv4 or IPv6 address"));
    let w = fe_ok(" acl a path").warnings;
    assert!(
        w[0].starts_with("config : parsing acl keyword 'path' :\n  no pattern"),
        "{w:?}"
    );
}

#[test]
fn acl_lines_after_a_rule_still_count() {
    // HAProxy's rules see every line of an ACL, even later ones.
    let c = fe_ok(" acl a path /one\n use_backend c if a\n acl a path /two");
    let cond = c.proxy("f").unwrap().use_backends[0].cond.clone().unwrap();
    assert!(eval(&cond, &Req::get("/two")));
    assert_eq!(
        fe_err(" use_backend c if a\n acl a path /one"),
        "parsing [t.cfg:5] : error detected while parsing switching rule : no such ACL : 'a'."
    );
}

#[test]
fn acls_of_defaults_are_not_inherited() {
    let e = error("defaults d\n mode http\n acl x path /x\n http-request deny if x\nfrontend f from d\n bind :1\n http-request deny if x\n");
    assert_eq!(
        e,
        "parsing [t.cfg:7] : error detected while parsing an 'http-request deny' condition : no such ACL : 'x'."
    );
    // The inherited rule keeps its own ACL.
    let c = ok("defaults d\n mode http\n acl x path /x\n http-request deny if x\nfrontend f from d\n bind :1\n");
    let f = c.proxy("f").unwrap();
    assert!(f.acls.is_empty());
    assert!(eval_opt(f.http.request[0].cond.as_ref(), &Req::get("/x")));
}

#[test]
fn use_backend_conditions() {
    let c = fe_ok(" use_backend c if { path_beg /c } || METH_POST\n use_backend b unless TRUE\n use_backend c");
    let u = &c.proxy("f").unwrap().use_backends;
    assert!(eval_opt(u[0].cond.as_ref(), &Req::get("/c/x")));
    assert!(!eval_opt(u[0].cond.as_ref(), &Req::get("/b")));
    assert!(!eval_opt(u[1].cond.as_ref(), &Req::get("/")));
    assert!(u[2].cond.is_none());
    assert_eq!(
        fe_err(" use_backend c if { foo /x }"),
        "parsing [t.cfg:5] : error detected while parsing switching rule : unknown fetch method 'foo' in ACL expression 'foo'."
    );
    assert_eq!(
        fe_err(" use_backend c if { path /x"),
        "parsing [t.cfg:5] : error detected while parsing switching rule : missing closing '}' in condition."
    );
    let w = fe_ok(" use_backend c if { status 200 }").warnings;
    assert_eq!(w[0], "config : parsing [t.cfg:5] : anonymous acl will never match because it uses keyword 'status' which is incompatible with 'frontend use-backend rule'");
}

#[test]
fn http_request_actions() {
    let c = fe_ok(
        " http-request allow if { src 10.0.0.0/8 }
 http-request deny
 http-request deny deny_status 429 if { path /slow }
 http-request deny status 403 content-type text/plain string nope
 http-request return status 200 content-type text/plain string ok hdr X-A \"%[src]\" if { path /ok }
 http-request return status 503 default-errorfiles
 http-request return
 http-request redirect location /new code 301 if { path /old }
 http-request redirect prefix https://x drop-query append-slash
 http-request redirect scheme https ignore-empty
 http-request set-header X-Real-IP %[src]
 http-request add-header X-Via \"proxy %[dst]\"
 http-request del-header X-Secret
 http-request del-header X-Debug- -m beg
 http-request del-header ^x-.*-id$ -m reg
 http-request use-service prometheus-exporter if { path /metrics }",
    );
    let r = &c.proxy("f").unwrap().http.request;
    assert_eq!(r.len(), 16);
    assert!(matches!(r[0].action, HttpAction::Allow) && r[0].cond.is_some());
    let HttpAction::Deny(d) = &r[1].action else {
        panic!()
    };
    assert_eq!((d.status, &d.body), (403, &ReplyBody::DefaultErrorfile));
    let HttpAction::Deny(d) = &r[2].action else {
        panic!()
    };
    assert_eq!(d.status, 429);
    let HttpAction::Deny(d) = &r[3].action else {
        panic!()
    };
    assert_eq!(d.body, ReplyBody::Payload("nope".into()));
    let HttpAction::Return(ret) = &r[4].action else {
        panic!()
    };
    assert_eq!(
        (ret.status, ret.content_type.as_deref()),
        (200, Some("text/plain"))
    );
    assert_eq!(ret.headers[0].0, "X-A");
    assert_eq!(ret.headers[0].1.render(&Req::get("/")), b"10.1.2.3");
    let HttpAction::Return(ret) = &r[5].action else {
        panic!()
    };
    assert_eq!((ret.status, &ret.body), (503, &ReplyBody::DefaultErrorfile));
    let HttpAction::Return(ret) = &r[6].action else {
        panic!()
    };
    assert_eq!((ret.status, &ret.body), (200, &ReplyBody::Empty));
    let HttpAction::Redirect(rd) = &r[7].action else {
        panic!()
    };
    assert_eq!(
        (rd.kind, rd.code, rd.target.as_str()),
        (RedirectKind::Location, 301, "/new")
    );
    let HttpAction::Redirect(rd) = &r[8].action else {
        panic!()
    };
    assert!(rd.kind == RedirectKind::Prefix && rd.drop_query && rd.append_slash && rd.code == 302);
    let HttpAction::Redirect(rd) = &r[9].action else {
        panic!()
    };
    assert!(rd.kind == RedirectKind::Scheme && rd.ignore_empty);
    let HttpAction::SetHeader { name, value } = &r[10].action else {
        panic!()
    };
    assert_eq!(
        (name.as_str(), value.render(&Req::get("/"))),
        ("X-Real-IP", b"10.1.2.3".to_vec())
    );
    let HttpAction::AddHeader { value, .. } = &r[11].action else {
        panic!()
    };
    assert_eq!(value.render(&Req::get("/")), b"proxy 127.0.0.1");
    let HttpAction::DelHeader { name, how } = &r[12].action else {
        panic!()
    };
    assert!(how.matches(name, b"x-secret") && !how.matches(name, b"x-secrets"));
    let HttpAction::DelHeader { name, how } = &r[13].action else {
        panic!()
    };
    assert!(how.matches(name, b"x-debug-level") && matches!(how, HeaderMatch::Beg));
    let HttpAction::DelHeader { name, how } = &r[14].action else {
        panic!()
    };
    assert!(how.matches(name, b"X-Request-ID") && !how.matches(name, b"x-id"));
    assert_eq!(
        r[15].action,
        HttpAction::UseService("prometheus-exporter".into(), Vec::new())
    );
    assert_eq!(r[15].loc.line, 20);
}

#[test]
fn http_request_errors() {
    let e = |l: &str| fe_err(&format!(" {l}"));
    let pre = "parsing [t.cfg:5] : error detected in frontend 'f' while parsing";
    assert!(e("http-request foo")
        .starts_with("parsing [t.cfg:5] : 'http-request' expects 'allow', 'deny',"));
    assert!(e("http-request foo").ends_with("but got 'foo'."));
    assert!(e("http-request").ends_with("but got '' (missing argument)."));
    assert!(e("http-request set-path /x")
        .contains("'http-request set-path' is not supported by this proxy."));
    assert!(e("http-request set-var(foo.x) str(1)").ends_with(
        "invalid variable name 'foo.x'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'"
    ));
    assert!(e("http-request set-var(txn.x) path,bar").ends_with("unknown converter 'bar'"));
    assert_eq!(
        e("http-request deny deny_status 999"),
        format!("{pre} 'http-request deny' rule : Unexpected status code '999'.")
    );
    assert!(e("http-request deny deny_status abc").ends_with("Unexpected status code '0'."));
    assert_eq!(
        e("http-request deny when x"),
        "parsing [t.cfg:5] : 'http-request deny' expects either 'if' or 'unless' followed by a condition but found 'when'."
    );
    assert_eq!(
        e("http-request deny if nope"),
        "parsing [t.cfg:5] : error detected while parsing an 'http-request deny' condition : no such ACL : 'nope'."
    );
    assert_eq!(
        e("http-request redirect location /x if nope"),
        format!("{pre} 'http-request redirect' rule : error in condition: no such ACL : 'nope'.")
    );
    assert!(e("http-request redirect")
        .ends_with("redirection type expected ('prefix', 'location', or 'scheme')."));
    assert!(e("http-request redirect location").ends_with("missing argument for 'location'."));
    assert!(e("http-request redirect location /x code 304").ends_with(
        "'code': unsupported HTTP code '304' (must be one of 301, 302, 303, 307 or 308)."
    ));
    assert!(e("http-request redirect location /x bar").contains("(was 'bar')."));
    assert!(e("http-request redirect location /x set-cookie")
        .ends_with("missing argument for 'set-cookie'."));
    assert!(e("http-request redirect location %[nope]/x")
        .ends_with("failed to parse sample expression <nope]/x> : unknown fetch method 'nope'."));
    assert!(e("http-request return status 600").ends_with("Unexpected status code '600'."));
    assert!(e("http-request return string ok")
        .ends_with("a content type must be defined when non-empty payload is configured."));
    assert!(e("http-request return status 204 content-type t string x")
        .ends_with("No body expected for 204 responses."));
    assert!(
        e("http-request return status 200 string").ends_with("'string' expects <str> as argument.")
    );
    assert!(
        e("http-request return hdr X").ends_with("'hdr' expects <name> and <value> as arguments.")
    );
    assert!(e("http-request return content-type t string a string b")
        .ends_with("unexpected 'string' argument, 'string' already defined."));
    assert!(e("http-request return content-type t file /nonexistent/x")
        .ends_with("error opening file '/nonexistent/x'."));
    assert!(e("http-request return lf-string %[src]")
        .ends_with("a content type must be defined when non-empty payload is configured."));
    assert!(e("http-request set-header X %[res.hdr(a)]").ends_with(
        "sample fetch <res.hdr> may not be reliably used here because it needs 'HTTP response headers' which is not available here."
    ));
    assert!(e("http-request return status 200 foo").contains("expects either 'if' or 'unless'"));
    assert_eq!(
        e("http-request set-header X"),
        format!("{pre} 'http-request set-header' rule : expects exactly 2 arguments.")
    );
    assert!(e("http-request set-header X a b").contains("but found 'b'."));
    assert!(e("http-request set-header X 100%").ends_with("truncated line after '%'."));
    assert!(e("http-request set-header X %[src,nope]").ends_with("unknown converter 'nope'."));
    assert!(e("http-request set-header X %Q").contains("no such format variable 'Q'"));
    assert!(e("http-request del-header").ends_with("expects at least 1 argument."));
    assert!(e("http-request del-header X -m foo")
        .ends_with("-m with unsupported matching method 'foo'."));
    assert!(e("http-request use-service").ends_with("'use-service' expects a service name."));
    let listen = error("listen l\n mode http\n bind :1\n http-request deny deny_status 1\n");
    assert!(listen.contains("error detected in proxy 'l' while parsing 'http-request deny' rule"));
}

#[test]
fn http_request_warnings() {
    let w = fe_ok(" http-request return content-type text/plain\n http-request return content-type t string x hdr content-length 3").warnings;
    assert_eq!(w[0], "config : parsing [t.cfg:5] : content-type 'text/plain' ignored by the http reply because neither errorfile nor payload defined.");
    assert_eq!(
        w[1],
        "config : parsing [t.cfg:6] : header 'content-length' always ignored by the http reply."
    );
    let w = fe_ok(" http-request deny if { status 500 }").warnings;
    assert_eq!(w[0], "config : parsing [t.cfg:5] : anonymous acl will never match because it uses keyword 'status' which is incompatible with 'frontend http-request header rule'");
}

#[test]
fn rule_order_warnings() {
    let c = fe_ok(
        " use_backend c if { path /c }
 redirect location /x if { path /r }
 http-request deny if { path /d }
 tcp-request content use-service x
 http-response deny
 http-request allow",
    );
    let at = |l: usize, what: &str, after: &str| {
        format!("config : parsing [t.cfg:{l}] : a '{what}' rule placed after {after} rule will still be processed before.")
    };
    assert_eq!(
        c.warnings,
        [
            at(6, "redirect", "a 'use_backend'"),
            at(7, "http-request", "a 'redirect'"),
            at(8, "tcp-request", "an 'http-request'"),
            at(10, "http-request", "a 'redirect'"),
        ]
    );
    let c = fe_ok(" use_backend c\n http-request deny\n tcp-request content use-service x");
    assert_eq!(
        c.warnings,
        [
            at(6, "http-request", "a 'use_backend'"),
            at(7, "tcp-request", "an 'http-request'")
        ]
    );
    let c = fe_ok(" redirect location /x\n tcp-request content use-service x");
    assert_eq!(c.warnings, [at(6, "tcp-request", "a 'redirect'")]);
}

#[test]
fn http_response_rules() {
    let c = fe_ok(" http-response set-header X-Served-By %[dst]\n http-response del-header Server\n http-response deny if { status 500:599 }\n http-response allow\n http-response deny deny_status 503");
    let r = &c.proxy("f").unwrap().http.response;
    assert_eq!(r.len(), 5);
    let HttpAction::Deny(d) = &r[2].action else {
        panic!()
    };
    assert_eq!(d.status, 502);
    let mut res = Req::get("/");
    res.status = Some(503);
    assert!(eval_opt(r[2].cond.as_ref(), &res));
    let HttpAction::Deny(d) = &r[4].action else {
        panic!()
    };
    assert_eq!(d.status, 503);
    assert!(fe_err(" http-response frob").contains("'http-response' expects 'allow', 'deny', 'set-header', 'add-header', 'del-header', but got 'frob'."));
    assert!(fe_err(" http-response return").contains("'http-response return' is not supported"));
    assert!(fe_err(" http-response set-status 503").contains("not supported"));
    assert_eq!(
        fe_err(" http-response deny if nope"),
        "parsing [t.cfg:5] : error detected while parsing an 'http-response deny' condition : no such ACL : 'nope'."
    );
    let w = fe_ok(" acl p path /p\n acl p status 200\n acl q path /q\n http-response deny if p\n http-response deny if q\n http-response deny if { hdr(host) x }").warnings;
    assert_eq!(w, [
        "config : parsing [t.cfg:8] : acl 'p' involves keywords 'path' which is incompatible with 'frontend http-response header rule'",
        "config : parsing [t.cfg:9] : acl 'q' will never match because it only involves keywords that are incompatible with 'frontend http-response header rule'",
        "config : parsing [t.cfg:10] : anonymous acl will never match because it uses keyword 'hdr' which is incompatible with 'frontend http-response header rule'",
    ]);
    let w = ok("backend b\n mode http\n http-response deny if { path /x }\n").warnings;
    assert!(
        w[0].ends_with("incompatible with 'backend http-response header rule'"),
        "{w:?}"
    );
}

#[test]
fn standalone_redirect() {
    let c = fe_ok(" redirect location /x code 301\n redirect prefix / drop-query if { path_beg /old }\n redirect scheme https if !{ dst_port 443 }");
    let r = &c.proxy("f").unwrap().http.redirects;
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].redirect.kind, r[0].redirect.code),
        (RedirectKind::Location, 301)
    );
    assert!(r[1].redirect.drop_query && r[1].cond.is_some());
    assert!(eval_opt(r[2].cond.as_ref(), &Req::get("/")));
    let pre = "parsing [t.cfg:5] : error detected in frontend 'f' while parsing redirect rule :";
    assert_eq!(
        fe_err(" redirect"),
        format!("{pre} redirection type expected ('prefix', 'location', or 'scheme').")
    );
    assert_eq!(
        fe_err(" redirect location"),
        format!("{pre} missing argument for 'location'.")
    );
    assert_eq!(
        fe_err(" redirect location /x if nope"),
        format!("{pre} error in condition: no such ACL : 'nope'.")
    );
    assert!(fe_err(" redirect location /x code 999").contains("unsupported HTTP code '999'"));
    assert_eq!(
        error("defaults\n redirect location /x\n"),
        "parsing [t.cfg:2] : 'redirect' not allowed in 'defaults' section."
    );
    // Allowed in backends.
    assert_eq!(
        ok("backend b\n mode http\n redirect location /x\n").proxies[0]
            .http
            .redirects
            .len(),
        1
    );
}

#[test]
fn tcp_request_content() {
    let c = fe_ok(" tcp-request inspect-delay 5s\n tcp-request content use-service my-applet if { path /metrics }");
    let h = &c.proxy("f").unwrap().http;
    assert_eq!(h.inspect_delay, Some(std::time::Duration::from_secs(5)));
    assert_eq!(h.tcp_content[0].service(), Some("my-applet"));
    assert!(h.tcp_content[0].cond.is_some());
    assert_eq!(
        fe_err(" tcp-request content use-service"),
        "parsing [t.cfg:5] : 'tcp-request' expects a service name."
    );
    assert!(fe_err(" tcp-request content capture req.hdr(x) len 4")
        .contains("'tcp-request content capture' is not supported"));
    assert!(fe_err(" tcp-request content frob").contains(
        "'tcp-request content' expects 'accept', 'reject', 'use-service', 'track-sc0' ... 'track-sc2'"
    ));
    assert_eq!(
        fe_err(" tcp-request content use-service prometheus-exporter"),
        "parsing [t.cfg:5] : Prometheus exporter service only available on 'http-request' rulesets"
    );
    let c = fe_ok(" tcp-request connection accept if { src 10.0.0.1 }\n tcp-request connection reject\n tcp-request content accept");
    assert_eq!(c.proxy("f").unwrap().tcp_conn.len(), 2);
    assert!(fe_err(" tcp-request connection track-sc0 hdr(x)")
        .contains("fetch method 'hdr' extracts information from 'HTTP request headers', none of which is available here"));
    let c = fe_ok(
        " tcp-request session set-var(sess.a) src\n tcp-request session reject if { src 10.0.0.1 }",
    );
    assert_eq!(c.proxy("f").unwrap().tcp_sess.len(), 2);
    assert!(fe_err(" tcp-request session set-var(sess.a) req.hdr(x)")
        .contains("fetch method 'set-var(sess.a)' extracts information from 'HTTP request headers', none of which is available here"));
    assert!(fe_err(" tcp-request session use-service x").contains("expects 'accept', 'reject'"));
    // Words after the service name are its arguments (issue 14).
    let c = fe_ok(" tcp-request content use-service x foo \"b c\" if TRUE");
    let rule = &c.proxy("f").unwrap().http.tcp_content[0];
    assert_eq!(
        rule.action,
        TcpAction::UseService("x".into(), vec!["foo".into(), "b c".into()])
    );
    assert_eq!(
        fe_err(" tcp-request content use-service x if nope"),
        "parsing [t.cfg:5] : 'tcp-request content use-service' : error detected in frontend 'f' while parsing 'if' condition : no such ACL : 'nope'."
    );
    let w = fe_ok(" tcp-request content use-service x if { status 200 }").warnings;
    assert_eq!(w[0], "config : parsing [t.cfg:5] : anonymous acl will never match in 'tcp-request content' because it uses keyword 'status' which is incompatible with 'frontend tcp-request content rule'");
}

#[test]
fn rules_in_defaults_sections() {
    for (kw, msg) in [
        (
            "http-request deny",
            "'http-request' not allowed in anonymous 'defaults' section.",
        ),
        (
            "http-response deny",
            "'http-response' not allowed in anonymous 'defaults' section.",
        ),
        (
            "tcp-request content use-service x",
            "tcp-request content is not allowed in anonymous 'defaults' sections",
        ),
    ] {
        assert_eq!(
            error(&format!("defaults\n {kw}\n")),
            format!("parsing [t.cfg:2] : {msg}")
        );
    }
    // A named defaults passes its rules on, first.
    let c = ok("defaults d\n mode http\n http-request deny if { path /x }\nfrontend f from d\n bind :1\n http-request allow\n");
    let f = c.proxy("f").unwrap();
    assert_eq!(f.http.request.len(), 2);
    assert_eq!(f.http.request[0].loc.line, 3);
    assert!(matches!(f.http.request[1].action, HttpAction::Allow));
    // ... but not to both sides, nor to listens or other defaults.
    let base = "defaults A\n mode http\n http-request deny\n";
    assert_eq!(
        error(&format!("{base}frontend f from A\n bind :1\nbackend b from A\n")),
        "parsing [t.cfg:6] : frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at t.cfg:1)."
    );
    assert_eq!(
        error(&format!("{base}listen l\n bind :1\n")),
        "parsing [t.cfg:4] : a listen section cannot inherit from a defaults section defining TCP/HTTP rules."
    );
    assert_eq!(
        error(&format!("{base}defaults B from A\n")),
        "parsing [t.cfg:4] : a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at t.cfg:1)."
    );
    // Without rules, anything goes.
    ok("defaults A\n mode http\n acl x path /x\nfrontend f from A\n bind :1\nbackend b from A\nlisten l\n bind :2\n");
}

#[test]
fn regexes_that_need_backtracking_are_config_errors_at_file_line() {
    assert_eq!(
        fe_err(" acl a path_reg a(?=b)"),
        "parsing [t.cfg:5] : error detected while parsing ACL 'a' : regex 'a(?=b)': look-ahead '(?=' is not supported (the proxy uses linear-time regular expressions)"
    );
    assert_eq!(
        fe_err(" http-request deny if { path_reg (a)\\1 }"),
        "parsing [t.cfg:5] : error detected while parsing an 'http-request deny' condition : regex '(a)\\1': back-reference '\\1' is not supported (the proxy uses linear-time regular expressions)"
    );
    assert_eq!(
        fe_err(" http-request del-header x(?<!y) -m reg"),
        "parsing [t.cfg:5] : error detected in frontend 'f' while parsing 'http-request del-header' rule : regex 'x(?<!y)': negative look-behind '(?<!' is not supported (the proxy uses linear-time regular expressions)"
    );
}
