//! Health-check configuration against HAProxy 2.6.12: the messages are
//! what `haproxy -c` printed for the same lines, the rule lists what its
//! checks sent (captured with a listener, see the check module tests).

use super::model_check::RuleStatus as CheckStatus;
use super::model_check::{CheckAction, CheckKind, ExpectKind, HttpSend, TextOrFormat};
use super::parser::testing::{error, ok};

const D: &str = "defaults\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n";

fn be(lines: &str) -> String {
    format!("{D}backend be\n{lines}\n server s1 127.0.0.1:1 check\n")
}

fn err(lines: &str) -> String {
    error(&be(lines))
}

fn actions(c: &super::Config, px: &str) -> Vec<CheckAction> {
    c.proxy(px)
        .map(|p| p.checks.rules.iter().map(|r| r.action.clone()).collect())
        .unwrap_or_default()
}

fn send_of(a: &CheckAction) -> &HttpSend {
    match a {
        CheckAction::HttpSend(h) => h,
        other => panic!("not an http send: {other:?}"),
    }
}

#[test]
fn option_errors_as_haproxy() {
    let cases = [
        (" http-check expect", "parsing [t.cfg:6] : 'http-check expect' : expects at least a matching pattern as arguments."),
        (" option httpchk\n http-check expect", "parsing [t.cfg:7] : 'http-check expect' : expects at least a matching pattern as arguments."),
        (" option httpchk\n http-check expect foo bar", "parsing [t.cfg:7] : 'http-check expect' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got 'foo' as argument.."),
        (" option tcp-check\n tcp-check expect status 200", "parsing [t.cfg:7] : 'tcp-check expect' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got 'status' as argument.."),
        (" option httpchk\n http-check expect binary 00", "parsing [t.cfg:7] : 'http-check expect' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got 'binary' as argument.."),
        (" option tcp-check\n tcp-check expect binary zz", "parsing [t.cfg:7] : 'tcp-check expect' : invalid binary string (an hex digit is expected (found 'z'))."),
        (" option tcp-check\n tcp-check expect binary 123", "parsing [t.cfg:7] : 'tcp-check expect' : invalid binary string (an even number of hex digit is expected)."),
        (" option tcp-check\n tcp-check send-binary zz", "parsing [t.cfg:7] : 'tcp-check send-binary' : 'zz' invalid binary string (an hex digit is expected (found 'z'))."),
        (" option tcp-check\n tcp-check connect proto h2", "parsing [t.cfg:7] : 'tcp-check connect' : 'proto' is not supported by this proxy.."),
        (" option tcp-check\n tcp-check connect ssl", "parsing [t.cfg:7] : 'tcp-check connect' : 'ssl' is not supported by this proxy.."),
        (" option tcp-check\n tcp-check connect foo", "parsing [t.cfg:7] : 'tcp-check connect' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got 'foo' as argument.."),
        (" option tcp-check\n tcp-check foo", "parsing [t.cfg:7] : 'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'"),
        (" option httpchk\n http-check foo", "parsing [t.cfg:7] : 'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'"),
        (" no option httpchk", "parsing [t.cfg:6] : negation/default is not supported for option 'httpchk'."),
        (" no option tcp-check", "parsing [t.cfg:6] : negation/default is not supported for option 'tcp-check'."),
        (" option log-health-checks x", "parsing [t.cfg:6] : 'option log-health-checks' cannot handle unexpected argument 'x'."),
        (" option tcp-check x", "parsing [t.cfg:6] : 'option tcp-check' cannot handle unexpected argument 'x'."),
        (" option httpchk a b c d", "parsing [t.cfg:6] : 'option httpchk' cannot handle unexpected argument 'd'."),
        (" option httpchk\n http-check send meth GET\n http-check send meth PUT", "parsing [t.cfg:8] : 'http-check send' : unable to add http-check send rule at step 2 (missing connect rule).."),
        (" option httpchk\n http-check expect status 200\n http-check send meth PUT", "parsing [t.cfg:8] : 'http-check send' : unable to add http-check send rule at step 2 (missing connect rule).."),
        (" option httpchk\n http-check expect status 200\n http-check connect", "parsing [t.cfg:8] : 'http-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset."),
        (" option httpchk\n http-check connect\n http-check connect", "parsing [t.cfg:8] : 'http-check connect' : unable to add http-check connect rule at step 2 (missing expect rule).."),
        (" option tcp-check\n tcp-check comment x\n tcp-check connect\n tcp-check connect port 99999", "parsing [t.cfg:9] : 'tcp-check connect' : expects a valid TCP port (from range 1 to 65535) or a sample expression, got 99999.."),
        (" option tcp-check\n tcp-check connect port", "parsing [t.cfg:7] : 'tcp-check connect' : 'port' expects a port number or a sample expression as argument.."),
        (" option tcp-check\n tcp-check connect addr", "parsing [t.cfg:7] : 'tcp-check connect' : 'addr' expects <ipv4|ipv6> as argument.."),
        (" option tcp-check\n tcp-check send", "parsing [t.cfg:7] : 'tcp-check send' : 'string' expects a send as argument."),
        (" option tcp-check\n tcp-check send-binary", "parsing [t.cfg:7] : 'tcp-check send-binary' : 'binary string' expects a send-binary as argument."),
        (" option tcp-check\n tcp-check send x y", "parsing [t.cfg:7] : 'tcp-check send' : expects 'comment' but got 'y' as argument.."),
        (" option tcp-check\n tcp-check send x comment", "parsing [t.cfg:7] : 'tcp-check send' : 'comment' expects a string as argument.."),
        (" option tcp-check\n tcp-check comment", "parsing [t.cfg:7] : 'tcp-check comment' : expects a string as argument."),
        (" option tcp-check\n tcp-check expect min-recv -2 string a", "parsing [t.cfg:7] : 'tcp-check expect' : 'min-recv' expects -1 or an integer from 0 to INT_MAX."),
        (" option httpchk\n http-check expect status 300-200", "parsing [t.cfg:7] : 'http-check expect' : invalid range of status codes '300-200'."),
        (" option httpchk\n http-check expect status 200x", "parsing [t.cfg:7] : 'http-check expect' : invalid character 'x' in the list of status codes."),
        (" option httpchk\n http-check expect ! comment x status 200", "parsing [t.cfg:7] : 'http-check expect' : [!] not supported with 'comment'."),
        (" option httpchk\n http-check expect hdr foo", "parsing [t.cfg:7] : 'http-check expect' : 'hdr' expects at the name keyword as first argument followed by a pattern."),
        (" option httpchk\n http-check expect hdr name x value", "parsing [t.cfg:7] : 'http-check expect' : 'hdr' expect a pattern with the value keyword."),
        (" option httpchk\n http-check expect hdr name -m foo x", "parsing [t.cfg:7] : 'http-check expect' : 'hdr' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got 'foo')."),
        (" option httpchk\n http-check expect ok-status FOO status 200", "parsing [t.cfg:7] : 'http-check expect' : 'ok-status' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got 'FOO').."),
        (" option httpchk\n http-check expect error-status FOO status 200", "parsing [t.cfg:7] : 'http-check expect' : 'error-status' only supports 'L4CON', 'L6RSP', 'L7RSP' or 'L7STS' status (got 'FOO').."),
        (" option httpchk\n http-check expect tout-status FOO status 200", "parsing [t.cfg:7] : 'http-check expect' : 'tout-status' only supports 'L4TOUT', 'L6TOUT' or 'L7TOUT' status (got 'FOO').."),
        (" option httpchk\n http-check expect status 200 string x", "parsing [t.cfg:7] : 'http-check expect' : only on pattern expected."),
        (" option httpchk\n http-check send hdr host a hdr Host b", "parsing [t.cfg:7] : 'http-check send' : 'Host' header already defined (previous value is 'a')."),
        (" option httpchk\n http-check send hdr a", "parsing [t.cfg:7] : 'http-check send' : 'hdr' expects <name> and <value> as arguments."),
        (" option httpchk\n http-check send foo", "parsing [t.cfg:7] : 'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got 'foo' as argument.."),
        (" http-check send-state", "parsing [t.cfg:6] : 'http-check send-state' is not supported by this proxy."),
        (" http-check disable-on-404 x", "parsing [t.cfg:6] : 'http-check' cannot handle unexpected argument 'x'."),
    ];
    for (lines, want) in cases {
        assert_eq!(err(lines), want, "for {lines:?}");
    }
    // Our regex engine words its errors its own way; the frame is HAProxy's.
    for l in [
        " option httpchk\n http-check expect rstring (",
        " option tcp-check\n tcp-check expect rbinary ab(",
    ] {
        let e = err(l);
        assert!(
            e.contains("expect' : regex '") && e.contains("' is invalid (error="),
            "{e}"
        );
    }
}

#[test]
fn warnings_as_haproxy() {
    let c = ok(&format!(
        "{D}frontend fe\n bind :8080\n option httpchk\n option tcp-check\n option log-health-checks\n tcp-check expect string x\n http-check expect status 200\n http-check disable-on-404\n"
    ));
    let w: Vec<&str> = c.warnings.iter().map(String::as_str).collect();
    assert_eq!(w, [
        "config : parsing [t.cfg:7] : 'httpchk' ignored because frontend 'fe' has no backend capability.",
        "config : parsing [t.cfg:8] : 'tcp-check' ignored because frontend 'fe' has no backend capability.",
        "config : parsing [t.cfg:9] : 'log-health-checks' ignored because frontend 'fe' has no backend capability.",
        "config : parsing [t.cfg:10] : 'tcp-check' ignored because frontend 'fe' has no backend capability.",
        "config : parsing [t.cfg:11] : 'http-check' ignored because frontend 'fe' has no backend capability.",
        "config : parsing [t.cfg:12] : 'http-check' ignored because frontend 'fe' has no backend capability.",
        "config : frontend 'fe' uses http-check rules without 'option httpchk', so the rules are ignored.",
        "config : 'disable-on-404' will be ignored for frontend 'fe' (requires 'option httpchk').",
    ]);
    let c = ok(&be(" tcp-check expect string foo"));
    assert_eq!(c.warnings, ["config : backend 'be' uses tcp-check rules without 'option tcp-check', so the rules are ignored."]);
    assert_eq!(
        c.proxy("be").map(|p| p.checks.kind),
        Some(CheckKind::Connect)
    );
    let c = ok(&be(" http-check expect status 200"));
    assert_eq!(c.warnings, ["config : backend 'be' uses http-check rules without 'option httpchk', so the rules are ignored."]);
    let c = ok(&be(" option tcp-check\n http-check disable-on-404"));
    assert_eq!(c.warnings, ["config : 'disable-on-404' will be ignored for backend 'be' (requires 'option httpchk')."]);
    // Without any check option, HAProxy says nothing.
    assert!(ok(&be(" http-check disable-on-404")).warnings.is_empty());
}

#[test]
fn httpchk_request_and_implicit_rules() {
    let c = ok(&be(" option httpchk GET /health HTTP/1.1"));
    let a = actions(&c, "be");
    assert_eq!(a.len(), 3, "{a:?}");
    assert!(matches!(&a[0], CheckAction::Connect(k) if k.implicit));
    let s = send_of(&a[1]);
    assert_eq!(
        (s.method.as_deref(), s.version.as_deref()),
        (Some("GET"), Some("HTTP/1.1"))
    );
    assert_eq!(s.uri, Some(TextOrFormat::Text("/health".into())));
    assert!(
        matches!(&a[2], CheckAction::Expect(e) if e.kind == ExpectKind::HttpStatus(vec![(200, 399)]))
    );
    // One word is the URI.
    let c = ok(&be(" option httpchk /x"));
    let s = send_of(&actions(&c, "be")[1]).clone();
    assert_eq!(
        (s.method, s.uri),
        (None, Some(TextOrFormat::Text("/x".into())))
    );
    // `http-check send` merges into the option's request, whatever the order.
    for lines in [
        " option httpchk GET /a\n http-check send hdr X-A 1",
        " http-check send hdr X-A 1\n option httpchk GET /a",
    ] {
        let c = ok(&be(lines));
        let a = actions(&c, "be");
        assert_eq!(a.len(), 3, "{lines}: {a:?}");
        let s = send_of(&a[1]);
        assert_eq!(
            (s.method.as_deref(), s.headers.len()),
            (Some("GET"), 1),
            "{lines}"
        );
    }
}

#[test]
fn inheritance_as_haproxy() {
    // The backend uses the defaults' option and rules when it has none.
    let c = ok(&format!("{D} option httpchk GET /d\n http-check expect string hello\nbackend be\n server s1 127.0.0.1:1 check\n"));
    let p = c
        .proxy("be")
        .map(|p| &p.checks)
        .cloned()
        .unwrap_or_default();
    assert_eq!(p.kind, CheckKind::HttpCheck);
    assert_eq!(p.rules.len(), 3);
    assert_eq!(send_of(&p.rules[1].action).method.as_deref(), Some("GET"));
    // Its own rule replaces all of them, the option's request included
    // (HAProxy then sends nothing).
    let c = ok(&format!("{D} option httpchk GET /d\nbackend be\n http-check expect string nope\n server s1 127.0.0.1:1 check\n"));
    let a = actions(&c, "be");
    assert_eq!(a.len(), 2, "{a:?}");
    assert!(
        matches!(&a[1], CheckAction::Expect(e) if e.kind == ExpectKind::HttpBody(b"nope".to_vec()))
    );
    let c = ok(&format!("{D} option httpchk GET /d\nbackend be\n http-check send meth PUT\n server s1 127.0.0.1:1 check\n"));
    let a = actions(&c, "be");
    assert_eq!(send_of(&a[1]).method.as_deref(), Some("PUT"));
    assert_eq!(send_of(&a[1]).uri, None);
    // Rules of the defaults without its option are not inherited.
    let c = ok(&format!("{D} http-check expect string nope\nbackend be\n option httpchk\n server s1 127.0.0.1:1 check\n"));
    assert_eq!(actions(&c, "be").len(), 3);
    // disable-on-404 and log-health-checks are flags, inherited as such.
    let c = ok(&format!("{D} http-check disable-on-404\n option log-health-checks\nbackend be\n option httpchk\n server s1 127.0.0.1:1 check\n"));
    let p = c
        .proxy("be")
        .map(|p| &p.checks)
        .cloned()
        .unwrap_or_default();
    assert!(p.disable_on_404 && p.log_health_checks);
    let c = ok(&format!("{D} option tcp-check\n tcp-check send hi\n tcp-check expect string nope\nbackend be\n tcp-check expect string HTTP\n server s1 127.0.0.1:1 check\n"));
    assert_eq!(actions(&c, "be").len(), 2);
}

#[test]
fn tcp_rules_steps_and_comments() {
    let c = ok(&be(" option tcp-check\n tcp-check comment cmt\n tcp-check expect string -ERR\n tcp-check expect ! string x comment own\n tcp-check send-binary 0102\n tcp-check expect min-recv 3 rstring ^a error-status L7STS tout-status L6TOUT ok-status L4OK"));
    let rules = c
        .proxy("be")
        .map(|p| p.checks.rules.clone())
        .unwrap_or_default();
    let got: Vec<(usize, Option<&str>)> = rules
        .iter()
        .map(|r| (r.index, r.comment.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (0, None),
            (1, Some("cmt")),
            (2, Some("own")),
            (3, None),
            (4, None)
        ]
    );
    let CheckAction::Expect(e) = &rules[4].action else {
        panic!()
    };
    assert_eq!(
        (e.min_recv, e.error_status, e.tout_status, e.ok_status),
        (
            3,
            Some(CheckStatus::L7Sts),
            Some(CheckStatus::L6Tout),
            Some(CheckStatus::L4Ok)
        )
    );
    assert!(
        matches!(&rules[3].action, CheckAction::Send(crate::config::model_check::SendData::Bytes(b)) if b == &[1, 2])
    );
    // The second expect waits from the first inverted one of its run.
    let c = ok(&be(
        " option tcp-check\n tcp-check expect ! string a\n tcp-check expect string b",
    ));
    let rules = c
        .proxy("be")
        .map(|p| p.checks.rules.clone())
        .unwrap_or_default();
    assert!(matches!(&rules[2].action, CheckAction::Expect(e) if e.head == 1));
    // Comment rule lines extend to the next rules of one kind.
    let c = ok(&be(" option tcp-check\n tcp-check comment c\n tcp-check send a\n tcp-check send b\n tcp-check expect string x"));
    let rules = c
        .proxy("be")
        .map(|p| p.checks.rules.clone())
        .unwrap_or_default();
    let got: Vec<Option<&str>> = rules.iter().map(|r| r.comment.as_deref()).collect();
    assert_eq!(got, [None, Some("c"), Some("c"), None]);
}
