//! Where the layer-5 TLS fetches may be used, and `option httpslog`:
//! warnings and errors as `haproxy -c` 2.6.12 gives them (the client
//! connection's TLS exists from `tcp-request session` on, the server
//! connection's in response rules and logs only).

use super::parser::testing::{error, ok};
use crate::rules::format::Builtin;

const HEAD: &str = "defaults d\n mode http\nfrontend f\n bind :1\n";

fn fe(lines: &str) -> String {
    format!("{HEAD}{lines}\n default_backend b\nbackend b\n")
}

/// The warnings of `lines` but the timeouts'.
fn warnings(lines: &str) -> Vec<String> {
    let mut c = ok(&fe(lines));
    c.warnings.retain(|w| !w.contains("missing timeouts"));
    c.warnings
}

#[test]
fn client_tls_fetches_wait_for_the_session() {
    let w = warnings(" tcp-request connection accept if { ssl_fc }");
    assert!(
        w.len() == 1 && w[0].ends_with(
            "anonymous acl will never match in 'tcp-request connection' because it uses keyword \
             'ssl_fc' which is incompatible with 'frontend tcp-request connection rule'"
        ),
        "{w:?}"
    );
    assert_eq!(
        error(&fe(" tcp-request connection set-var(sess.x) ssl_fc_sni")),
        "parsing [t.cfg:5] : fetch method 'set-var(sess.x)' extracts information from \
         'client-side connection', none of which is available here"
    );
    assert_eq!(
        error(&fe(" tcp-request connection track-sc0 ssl_fc_sni")),
        "parsing [t.cfg:5] : 'tcp-request connection track-sc0' : fetch method 'ssl_fc_sni' \
         extracts information from 'client-side connection', none of which is available here"
    );
    for ok_line in [
        " tcp-request session accept if { ssl_fc }",
        " tcp-request session set-var(sess.x) ssl_fc_sni",
        " tcp-request content set-var(txn.x) ssl_c_s_dn(CN)",
        " http-request set-header x %[ssl_fc_cipher] if { ssl_c_used }",
        " http-response set-header x %[ssl_fc_sni]",
        " redirect scheme https if !{ ssl_fc }",
    ] {
        assert_eq!(warnings(ok_line), Vec::<String>::new(), "{ok_line}");
    }
    let w = warnings(" tcp-request session accept if { req.hdr(x) a }");
    assert!(
        w[0].ends_with(
            "anonymous acl will never match in 'tcp-request session' because it uses keyword \
             'req.hdr' which is incompatible with 'frontend tcp-request session rule'"
        ),
        "{w:?}"
    );
}

#[test]
fn server_tls_fetches_only_once_a_server_answers() {
    assert_eq!(
        error(&fe(" tcp-request content set-var(txn.x) ssl_bc_alpn")),
        "parsing [t.cfg:5] : fetch method 'set-var(txn.x)' extracts information from \
         'server-side connection', none of which is available here"
    );
    assert_eq!(
        error(&fe(" http-request set-var(txn.x) ssl_bc_alpn")),
        "parsing [t.cfg:5] : error detected in frontend 'f' while parsing 'http-request \
         set-var(txn.x)' rule : fetch method 'set-var(txn.x)' extracts information from \
         'server-side connection', none of which is available here."
    );
    assert_eq!(
        error(&fe(" http-request set-header x %[ssl_bc_cipher]")),
        "parsing [t.cfg:5] : error detected in frontend 'f' while parsing 'http-request \
         set-header' rule : sample fetch <ssl_bc_cipher> may not be reliably used here because \
         it needs 'server-side connection' which is not available here."
    );
    let w = warnings(" http-request deny if { ssl_bc }");
    assert!(
        w[0].ends_with(
            "anonymous acl will never match because it uses keyword 'ssl_bc' which is \
             incompatible with 'frontend http-request header rule'"
        ),
        "{w:?}"
    );
    assert!(warnings(" http-response set-header x %[ssl_bc_protocol] if { ssl_bc }").is_empty());
    assert!(warnings(" log-format \"%[ssl_bc_protocol] %sslv %sslc\"")
        .iter()
        .all(|w| w.contains("no log address")));
}

#[test]
fn option_httpslog() {
    let c = ok(&fe(" log stdout local0\n option httpslog foo"));
    let f = c.proxy("f").unwrap();
    let l = f.log_format.as_ref().unwrap();
    assert_eq!(l.builtin, Some(Builtin::Https));
    assert!(l.get().is_some());
    assert_eq!(
        error(&fe(" option httpslog\n no option httpslog")),
        "parsing [t.cfg:6] : negation/default is not supported for option 'httpslog'."
    );
    let tcp = ok("defaults d\n mode tcp\nfrontend f\n bind :1\n log stdout local0\n option httpslog\n default_backend b\nbackend b\n");
    assert!(tcp.warnings.iter().any(|w| w.ends_with(
        "'option httpslog' not usable with frontend 'f' (needs 'mode http'). Falling back to \
         'option tcplog'."
    )));
}
