//! Tests of the rewriting actions' parsing (`set-path`, `replace-header`,
//! `set-status`, ...): what they compile to, and `haproxy -c` 2.6.12's
//! messages for their mistakes.

use super::model_http::HttpAction;
use super::model_rewrite::{LinePart, RewriteAction};
use super::parser::testing::{error, ok};

const HEAD: &str = "defaults d\n mode http\nfrontend f\n bind :1\n";

fn fe(lines: &str) -> String {
    format!("{HEAD}{lines}\n default_backend b\nbackend b\n")
}

fn err(line: &str) -> String {
    error(&fe(&format!(" {line}")))
}

#[test]
fn rewriting_actions_compile() {
    let c = ok(&fe(" http-request set-path /x%[path] if { path_beg /a }\n http-request replace-uri ^(.*)$ \\1\n http-request replace-value x ^a$ b\n http-response set-status 404 reason Gone\n http-response set-status 200"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    let req = &f.http.request;
    assert!(matches!(
        &req[0].action,
        HttpAction::Rewrite(RewriteAction::Set(LinePart::Path, _))
    ));
    assert!(req[0].cond.is_some());
    assert!(matches!(
        &req[1].action,
        HttpAction::Rewrite(RewriteAction::Replace(LinePart::Uri, _, _))
    ));
    assert!(matches!(
        &req[2].action,
        HttpAction::Rewrite(RewriteAction::ReplaceHeader {
            each_value: true,
            ..
        })
    ));
    let res = &f.http.response;
    assert_eq!(
        res[0].action,
        HttpAction::Rewrite(RewriteAction::SetStatus(404, Some("Gone".into())))
    );
    assert_eq!(
        res[1].action,
        HttpAction::Rewrite(RewriteAction::SetStatus(200, None))
    );
}

#[test]
fn rewriting_action_mistakes_as_haproxy() {
    let pre = "parsing [t.cfg:5] : error detected in frontend 'f' while parsing";
    assert_eq!(
        err("http-request set-path"),
        format!("{pre} 'http-request set-path' rule : expects exactly 1 argument <format>.")
    );
    assert_eq!(
        err("http-request set-method a b"),
        format!("{pre} 'http-request set-method' rule : expects exactly 1 argument <format>.")
    );
    assert_eq!(
        err("http-request replace-path x"),
        format!("{pre} 'http-request replace-path' rule : expects exactly 2 arguments <match-regex> and <replace-format>.")
    );
    assert_eq!(
        err("http-request replace-header x y"),
        format!("{pre} 'http-request replace-header' rule : expects exactly 3 arguments.")
    );
    assert!(err("http-request replace-path ( y").starts_with(&format!(
        "{pre} 'http-request replace-path' rule : failed to parse the regex : regex '(' is invalid"
    )));
    assert_eq!(
        err("http-response set-status 99"),
        format!("{pre} 'http-response set-status' rule : expects an integer status code between 100 and 999.")
    );
    assert_eq!(
        err("http-response set-status 200 reason"),
        "parsing [t.cfg:5] : 'http-response set-status' expects either 'if' or 'unless' followed by a condition but found 'reason'."
    );
    // Request-only and response-only actions stay in their rule set.
    assert!(err("http-request set-status 200").contains("but got 'set-status'"));
    assert!(err("http-response set-path /x").contains("but got 'set-path'"));
}

#[test]
fn http_after_response_sections_and_actions() {
    let c = ok(&fe(" http-after-response set-header x %[status]\n http-after-response set-status 500 if { status 200 }\n http-after-response allow\n http-after-response set-var(txn.x) str(1)"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    assert_eq!(f.http.after.len(), 4);
    assert!(f.http.response.is_empty());
    assert_eq!(
        error("defaults\n mode http\n http-after-response set-header a b\n"),
        "parsing [t.cfg:3] : 'http-after-response' not allowed in anonymous 'defaults' section."
    );
    assert!(err("http-after-response deny")
        .ends_with("'http-after-response' expects 'allow', 'set-header', 'add-header', 'del-header', but got 'deny'."));
    assert!(
        err("http-after-response capture res.hdr(x) len 3").ends_with(
            "while parsing 'http-after-response capture' rule : expects 'id', found 'len'."
        )
    );
    let w = ok("listen t\n mode tcp\n bind :1\n http-after-response set-header a b\n").warnings;
    assert!(
        w.iter().any(|w| w.ends_with(
            "'http-after-response' rules ignored for proxy 't' as they require HTTP mode."
        )),
        "{w:?}"
    );
}

#[test]
fn flow_actions_and_their_mistakes() {
    let c = ok(&fe(" http-request reject if { path /x }\n http-request tarpit deny_status 429\n http-request set-log-level err\n http-request set-log-level silent"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    let acts: Vec<&HttpAction> = f.http.request.iter().map(|r| &r.action).collect();
    assert_eq!(acts[0], &HttpAction::Reject);
    assert!(matches!(acts[1], HttpAction::Tarpit(r) if r.status == 429));
    assert_eq!(acts[2], &HttpAction::SetLogLevel(Some(3)));
    assert_eq!(acts[3], &HttpAction::SetLogLevel(None));
    let pre = "parsing [t.cfg:5] : error detected in frontend 'f' while parsing";
    assert_eq!(
        err("http-request set-log-level foo"),
        format!("{pre} 'http-request set-log-level' rule : expects exactly 1 argument (log level name or 'silent').")
    );
    assert_eq!(
        err("http-request set-timeout server 1s"),
        format!("{pre} 'http-request set-timeout' rule : proxy 'f' has no backend capability.")
    );
    assert_eq!(
        err("http-request reject x"),
        "parsing [t.cfg:5] : 'http-request reject' expects either 'if' or 'unless' followed by a condition but found 'x'."
    );
    let be = |l: &str| error(&format!("defaults d\n mode http\nbackend b\n {l}\n"));
    let pre = "parsing [t.cfg:4] : error detected in backend 'b' while parsing 'http-request set-timeout' rule :";
    assert_eq!(
        be("http-request set-timeout foo 1s"),
        format!("{pre} 'set-timeout' rule supports 'server'/'tunnel' (got 'foo').")
    );
    assert_eq!(
        be("http-request set-timeout server abc"),
        format!("{pre} unexpected character 'a' in rule 'set-timeout server'.")
    );
    assert_eq!(
        be("http-request set-timeout server"),
        format!("{pre} expects exactly 2 arguments.")
    );
    let c = ok(&fe(" http-response set-log-level err"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    assert_eq!(f.http.response[0].action, HttpAction::SetLogLevel(Some(3)));
    assert!(err("http-after-response set-log-level err").contains("but got 'set-log-level'"));
}

#[test]
fn capture_rules_and_declarations() {
    let c = ok(&fe(" capture request header host len 3\n declare capture request len 4\n http-request capture req.hdr(x) len 5\n http-request capture path id 1"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    let lens: Vec<usize> = f.http.capture_request.iter().map(|c| c.len).collect();
    assert_eq!(lens, [3, 4, 5]);
    let slots: Vec<(usize, Option<usize>)> = f
        .http
        .request
        .iter()
        .filter_map(|r| match &r.action {
            HttpAction::Capture(c) => Some((c.slot, c.len)),
            _ => None,
        })
        .collect();
    assert_eq!(slots, [(2, Some(5)), (1, None)]);
    let pre = "parsing [t.cfg:5] : error detected in frontend 'f' while parsing 'http-request capture' rule :";
    assert_eq!(
        err("http-request capture hdr(x)"),
        format!("{pre} expects <expression> [ 'len' <length> | id <idx> ].")
    );
    assert_eq!(
        err("http-request capture hdr(x) foo 1"),
        format!("{pre} expects 'len' or 'id', found 'foo'.")
    );
    assert_eq!(
        err("http-request capture hdr(x) len 0"),
        format!("{pre} length must be > 0.")
    );
    assert_eq!(
        err("http-request capture hdr(x) id 3"),
        "Proxy 'f': unable to find capture id '3' referenced by http-request capture rule."
    );
    assert_eq!(
        err("declare capture request len 0"),
        "parsing [t.cfg:5] : length must be > 0"
    );
    assert_eq!(
        err("declare capture request"),
        "parsing [t.cfg:5] : 'declare capture' requires a capture length ('len')"
    );
    assert_eq!(
        error("defaults d\n mode http\nbackend b\n declare capture request len 3\n"),
        "parsing [t.cfg:4] : 'declare' only available in frontend or listen section"
    );
    let c = ok(&fe(" declare capture response len 4
 capture response header x len 2
 http-response capture res.hdr(x) id 1"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    let lens: Vec<usize> = f.http.capture_response.iter().map(|c| c.len).collect();
    assert_eq!(lens, [4, 2]);
    assert!(matches!(&f.http.response[0].action, HttpAction::Capture(c) if c.slot == 1));
    assert!(err("http-response capture res.hdr(x) id 0")
        .contains("unable to find capture id '0' referenced by http-response capture rule"));
}

#[test]
fn early_hint_rules() {
    let c = ok(&fe(
        " http-request early-hint link \"</a.css>; rel=preload\" if { path /x }",
    ));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    assert!(
        matches!(&f.http.request[0].action, HttpAction::EarlyHint { name, .. } if name == "link")
    );
    assert_eq!(
        err("http-request early-hint x"),
        "parsing [t.cfg:5] : error detected in frontend 'f' while parsing 'http-request early-hint' rule : expects exactly 2 arguments."
    );
    assert_eq!(
        err("http-request early-hint x y z"),
        "parsing [t.cfg:5] : 'http-request early-hint' expects either 'if' or 'unless' followed by a condition but found 'z'."
    );
}

#[test]
fn address_actions() {
    let c = ok(&fe(" http-request set-dst ipv4(10.0.0.1)\n http-request set-dst-port int(81)\n http-request set-src-port hdr(x-port)"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    let acts: Vec<&HttpAction> = f.http.request.iter().map(|r| &r.action).collect();
    assert!(matches!(acts[0], HttpAction::SetDst(_)));
    assert!(matches!(acts[1], HttpAction::SetDstPort(_)));
    assert!(matches!(acts[2], HttpAction::SetSrcPort(_)));
    assert!(err("http-request set-dst").contains(
        "'http-request set-dst' rule : failed to parse sample expression : missing fetch method"
    ));
}

#[test]
fn normalize_uri_needs_experimental_directives() {
    use super::model_rewrite::Normalizer as N;
    assert_eq!(
        err("http-request normalize-uri path-strip-dot"),
        "parsing [t.cfg:5] : 'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'"
    );
    let exp = |l: &str| {
        format!(
            "global\n expose-experimental-directives\n{}",
            fe(&format!(" {l}"))
        )
    };
    let c = ok(&exp("http-request normalize-uri path-strip-dotdot full\n http-request normalize-uri percent-to-uppercase"));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    let acts: Vec<&HttpAction> = f.http.request.iter().map(|r| &r.action).collect();
    assert_eq!(
        acts[0],
        &HttpAction::Rewrite(RewriteAction::Normalize(N::StripDotdot { full: true }))
    );
    assert_eq!(
        acts[1],
        &HttpAction::Rewrite(RewriteAction::Normalize(N::PercentUpper { strict: false }))
    );
    let pre = "parsing [t.cfg:7] : error detected in frontend 'f' while parsing 'http-request normalize-uri' rule :";
    assert_eq!(
        error(&exp("http-request normalize-uri")),
        format!("{pre} missing argument <normalizer>.")
    );
    assert_eq!(
        error(&exp("http-request normalize-uri foo")),
        format!("{pre} unknown normalizer 'foo'.")
    );
    assert_eq!(
        error(&exp("http-request normalize-uri path-strip-dotdot foo")),
        format!("{pre} unknown argument 'foo' for 'path-strip-dotdot' normalizer.")
    );
}

#[test]
fn wait_for_body_rules() {
    let c = ok(&fe(
        " http-request wait-for-body time 1s at-least 1k if { method POST }",
    ));
    let f = c.proxy("f").unwrap_or_else(|| panic!("no frontend"));
    assert_eq!(
        f.http.request[0].action,
        HttpAction::WaitForBody {
            time: std::time::Duration::from_secs(1),
            at_least: Some(1024)
        }
    );
    let pre = "parsing [t.cfg:5] : error detected in frontend 'f' while parsing 'http-request wait-for-body' rule :";
    assert_eq!(
        err("http-request wait-for-body"),
        format!("{pre} expects time <time> [ at-least <bytes> ].")
    );
    assert_eq!(
        err("http-request wait-for-body time"),
        format!("{pre} missing argument for 'time'.")
    );
    assert_eq!(
        err("http-request wait-for-body time x"),
        format!("{pre} unexpected character 'x'.")
    );
    assert_eq!(
        err("http-request wait-for-body time 1s at-least"),
        format!("{pre} missing argument for 'at-least'.")
    );
}
