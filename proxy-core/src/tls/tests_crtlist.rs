//! Tests for [`super`]: lines, errors and `show ssl crt-list` text as the
//! HAProxy 2.6.12 binary gave them.

use super::*;

fn one(line: &str) -> CrtListEntry {
    let mut v = parse_crt_list(&format!("{line}\n"), "l.lst").unwrap();
    assert_eq!(v.len(), 1, "{line}");
    v.remove(0)
}

fn err(text: &str) -> String {
    parse_crt_list(text, "/x/l.lst").unwrap_err()
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

#[test]
fn comments_blanks_and_line_numbers() {
    let text = "# comment\n\n   \n\r/skipped.pem\n/a.pem *.Example.org !secure.example.org\n\
                \t/b.pem\t[alpn\th2]\tx\r\n";
    let v = parse_crt_list(text, "l.lst").unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].file, "/a.pem");
    assert_eq!(v[0].line, 5);
    assert_eq!(
        v[0].filters,
        words(&["*.Example.org", "!secure.example.org"])
    );
    assert!(!v[0].bracket && v[0].opts.is_empty());
    assert_eq!(v[1].line, 6);
    assert_eq!(v[1].opts, words(&["alpn", "h2"]));
    assert_eq!(v[1].filters, words(&["x"]));
    // A `#` after blanks is a file name, not a comment.
    assert_eq!(one("  # x").file, "#");
}

#[test]
fn brackets_split_words() {
    let e = one("/a.pem[verify none]foo");
    assert_eq!(e.file, "/a.pem");
    assert_eq!(e.opts, words(&["verify", "none"]));
    assert_eq!(e.filters, words(&["foo"]));
    let e = one("/a.pem [] foo.bar");
    assert!(e.bracket && e.opts.is_empty());
    assert_eq!(e.filters, words(&["foo.bar"]));
}

#[test]
fn unterminated_bracket_makes_filters() {
    // 2.6 accepts it: `show ssl crt-list` then prints "[] alpn h2 x.com".
    let e = one("/a.pem [alpn h2 x.com");
    assert!(e.bracket && e.opts.is_empty());
    assert_eq!(e.filters, words(&["alpn", "h2", "x.com"]));
}

#[test]
fn filters_before_options_are_dropped_with_a_warning() {
    let mut w = Vec::new();
    let v = parse_crt_list_warn("/a.pem foo [alpn h2] bar\n", "/x/l.lst", &mut w).unwrap();
    assert_eq!(
        w,
        ["parsing [/x/l.lst:1]: malformated line, filters can't be between filename and options!"]
    );
    assert_eq!(v[0].opts, words(&["alpn", "h2"]));
    assert_eq!(v[0].filters, words(&["bar"]));
}

#[test]
fn errors_worded_as_26() {
    let cases = [
        ("/a.pem alpn h2]\n", "missing '['"),
        ("/a.pem [alpn h2] [verify none]\n", "too many '['"),
        ("/a.pem [alpn h2]]\n", "too many ']'"),
        ("[alpn h2] /a.pem\n", "file must start with a cert"),
        ("/a.pem [bogus 1]\n", "unknown ssl keyword bogus"),
        ("/a.pem [sigalgs x]\n", "unknown ssl keyword sigalgs"),
        ("/a.pem [alpn]\n", "ssl args out of '[]' for alpn"),
        (
            "/a.pem [alpn h2 verify] x\n",
            "ssl args out of '[]' for verify",
        ),
    ];
    for (text, what) in cases {
        assert_eq!(err(text), format!("parsing [/x/l.lst:1]: {what}"), "{text}");
    }
    assert_eq!(
        err("/a.pem\n/b.pem"),
        "parsing [/x/l.lst:2]: Missing LF on last line, file might have been truncated at position 7."
    );
    assert_eq!(
        err("/a.pem\n   "),
        "parsing [/x/l.lst:2]: Missing LF on last line, file might have been truncated at position 4."
    );
    // A comment as last line needs no LF.
    assert!(parse_crt_list("/a.pem\n#x", "l").is_ok());
    // A NUL ends the line's text and hides its LF.
    assert_eq!(
        err("/a.pem x\0y\n"),
        "parsing [/x/l.lst:1]: Missing LF on last line, file might have been truncated at position 9."
    );
}

#[test]
fn limits() {
    let long = |n: usize, lf: &str| format!("/a.pem {}{lf}", "a".repeat(n - 7));
    assert!(parse_crt_list(&long(65534, "\n"), "l").is_ok());
    let too_long = "parsing [/x/l.lst:1]: line too long, limit is 65535 characters";
    assert_eq!(err(&long(65535, "\n")), too_long);
    assert_eq!(err(&long(65535, "")), too_long);
    assert!(err(&long(65534, "")).contains("Missing LF"));
    let many = |n: usize| {
        let f: Vec<String> = (0..n).map(|i| format!("a{i}.test")).collect();
        format!("/a.pem {}\n", f.join(" "))
    };
    assert_eq!(
        parse_crt_list(&many(2047), "l").unwrap()[0].filters.len(),
        2047
    );
    assert_eq!(err(&many(2048)), "parsing [/x/l.lst:1]: too many args ");
}

#[test]
fn show_text_as_26_prints_it() {
    let text = "/tmp/hx/rsa.pem   *.Example.org !Secure.example.org\n\
        /tmp/hx/ec.pem [alpn h2,http/1.1   ssl-min-ver TLSv1.2] ec.example.com\n\
        /tmp/hx/chain.pem [ verify none ]\n\
        /tmp/hx/rsa.pem [] foo.bar\n\
        /tmp/hx/ed.pem !*\n\
        /tmp/hx/rsa.pem \"quoted name\" 'x y'\n";
    let v = parse_crt_list(text, "/tmp/hx/l1.lst").unwrap();
    assert_eq!(
        render_show("/tmp/hx/l1.lst", &v, false),
        "# /tmp/hx/l1.lst\n\
         /tmp/hx/rsa.pem *.Example.org !Secure.example.org\n\
         /tmp/hx/ec.pem [alpn h2,http/1.1\0 ssl-min-ver TLSv1.2] ec.example.com\n\
         /tmp/hx/chain.pem [verify none]\n\
         /tmp/hx/rsa.pem [] foo.bar\n\
         /tmp/hx/ed.pem !*\n\
         /tmp/hx/rsa.pem \"quoted name\" 'x y'\n"
    );
    assert_eq!(
        render_show("/tmp/hx/l1.lst", &v[..2], true),
        "# /tmp/hx/l1.lst\n\
         /tmp/hx/rsa.pem:1 *.Example.org !Secure.example.org\n\
         /tmp/hx/ec.pem:2 [alpn h2,http/1.1\0 ssl-min-ver TLSv1.2] ec.example.com\n"
    );
    assert_eq!(render(&v[2..3]), "/tmp/hx/chain.pem [verify none]\n");
}

#[test]
fn show_orders_options_and_keeps_the_last() {
    let e = one(
        "/r.pem [verify optional ciphers HIGH ssl-max-ver TLSv1.3 ssl-min-ver TLSv1.2 \
         npn http/1.1 no-ca-names curves P-256 ecdhe prime256v1 ciphersuites \
         TLS_AES_128_GCM_SHA256 ca-verify-file /c.crt ca-file /c.crt alpn h2 allow-0rtt]",
    );
    assert_eq!(
        render(&[e]),
        "/r.pem [npn http/1.1\0 alpn h2\0 verify optional no-ca-names allow-0rtt \
         ca-file /c.crt ciphers HIGH ciphersuites TLS_AES_128_GCM_SHA256 curves P-256 \
         ecdhe prime256v1 ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3]\n"
    );
    let e = one("/r.pem [verify required verify none alpn h2,http/1.1 alpn http/1.1]");
    assert_eq!(render(&[e]), "/r.pem [alpn http/1.1\0 verify none]\n");
    let e = one("/r.pem [crl-file /l.pem ca-verify-file /c ca-file /c ecdhe prime256v1]");
    assert_eq!(
        render(&[e]),
        "/r.pem [ca-file /c crl-file /l.pem ecdhe prime256v1]\n"
    );
}

#[test]
fn directory_entries_show_line_zero() {
    let e = CrtListEntry {
        file: "/d/a.pem".into(),
        line: 0,
        opts: vec![],
        bracket: false,
        filters: vec![],
    };
    assert_eq!(render_show("/d", &[e], true), "# /d\n/d/a.pem:0\n");
}

#[test]
fn missing_list_file() {
    assert_eq!(
        load_crt_list("/nonexistent/l.lst").unwrap_err(),
        "cannot open file '/nonexistent/l.lst' : No such file or directory"
    );
}
