//! Password hashes and `Authorization` headers, with the answers of
//! Debian's HAProxy 2.6.12 (libxcrypt) for the same inputs.

use std::ops::ControlFlow;

use super::{credentials, Credentials, Scheme, Secret};

fn creds(value: &str) -> Option<Credentials> {
    let headers: Vec<(&[u8], &[u8])> = vec![
        (b"host", b"x"),
        (b"Authorization", value.as_bytes()),
        (b"authorization", b"Basic Yjpj"),
    ];
    credentials(
        |f| {
            for (n, v) in &headers {
                if f(n, v).is_break() {
                    return;
                }
            }
        },
        false,
    )
}

fn basic(user: &str, pass: &str) -> Option<Credentials> {
    Some(Credentials {
        scheme: Scheme::Basic,
        user: user.as_bytes().to_vec(),
        pass: pass.as_bytes().to_vec(),
    })
}

#[test]
fn authorization_header() {
    assert_eq!(creds("Basic YWxpY2U6d29uZGVy"), basic("alice", "wonder"));
    assert_eq!(creds("BASIC   YWxpY2U6d29uZGVy"), basic("alice", "wonder"));
    assert_eq!(creds(" Basic YWxpY2U6d29uZGVy  "), basic("alice", "wonder"));
    // The first value of the first header only.
    assert_eq!(
        creds("Basic YWxpY2U6d29uZGVy, Basic Yjpj"),
        basic("alice", "wonder")
    );
    assert_eq!(creds("Basic YTpiOmM="), basic("a", "b:c"));
    assert_eq!(creds("Basic YWxpY2U6"), basic("alice", ""));
    assert_eq!(creds("Basic OnB3"), basic("", "pw"));
    assert_eq!(creds("Bearer xyz").map(|c| c.scheme), Some(Scheme::Bearer));
    for bad in [
        "Basic !!!!",
        "Basic YWxpY2U=",
        "Digest abc",
        "Basic",
        "Basic YWxpY2U6d29uZGVy extra",
        "Basic YWxpY2U6d29uZGVy==",
        "Basic YWxpY2U6d29uZGV",
        "",
    ] {
        assert_eq!(creds(bad), None, "{bad}");
    }
    let none = credentials(|f| _ = f(b"host", b"x"), false);
    assert_eq!(none, None);
    let proxy = credentials(
        |f| {
            let _ = f(b"authorization", b"Basic Yjpj").is_continue()
                && f(b"Proxy-Authorization", b"Basic YTpi") == ControlFlow::Continue(());
        },
        true,
    );
    assert_eq!(proxy, basic("a", "b"));
}

#[test]
fn crypt_hashes() {
    // Made with libxcrypt's crypt("secret", salt).
    let ok = [
        "abNANd1rDfiNc",
        "$1$abc$iCQ2D3nhptRYi27fDYv2s1",
        "$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0",
        "$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1",
        "$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a",
        "$2a$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a",
        "$2y$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a",
        "_J9..abcd/H6HLCcf7nw",
        "$sha1$48000$abcdefgh$7GdBOcaDEGQFmTrCnpetzuLBqUHf",
        "$y$j9T$abcdefgh$IUWJt2doU4Kf6E/JP1UkAT3S5O3Q7SSA8SJirXIlEu9",
        "$y$j9T$PAF4mB3y5lDnJGoMPpMsp.$msShEa90cWp5UOyfVRwpWUBY2e0N5cGhxvn90qvNyz3",
    ];
    for h in ok {
        let s = Secret::Crypt(h.to_string());
        assert!(s.matches(b"secret"), "{h}");
        assert!(!s.matches(b"Secret"), "{h}");
        assert!(!s.matches(b""), "{h}");
    }
    // gost-yescrypt and scrypt: libxcrypt accepts them, not us (README).
    let unknown = [
        "$gy$j9T$abcdefgh$Fi3mUfLMwr2ZyDlmydp6rw5RwzYJnsb1LquZlQ2CYq0",
        "$7$CU..../....abcdefgh$XWs9HxtpA2.6U5CDBBbcW.h3o9pYlC.MIIb8JqMgZx6",
    ];
    let odd = [
        "$2b$",
        "_",
        "_J9",
        "$sha1$",
        "$sha1$x$",
        "$1$",
        "$6$$",
        "$5$rounds=x$a$b",
        "$",
        "$$$$",
        "$y$",
        "$y$j9T$",
        "$y$j9T$abcdefgh$",
        "$y$zzz$abcdefgh$IUWJt2doU4Kf6E/JP1UkAT3S5O3Q7SSA8SJirXIlEu9",
    ];
    for bad in ["notahash", "$1$abc", "", "$9$x$y", "$2b$99$short"]
        .into_iter()
        .chain(unknown)
        .chain(odd)
    {
        assert!(!Secret::Crypt(bad.to_string()).matches(b"secret"), "{bad}");
        assert!(!Secret::Crypt(bad.to_string()).matches(b""), "{bad}");
    }
    assert!(Secret::Clear("pw".into()).matches(b"pw"));
    assert!(!Secret::Clear("pw".into()).matches(b"pw2"));
    assert!(!Secret::None.matches(b""));
}
