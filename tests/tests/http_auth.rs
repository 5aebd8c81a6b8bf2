//! HTTP basic authentication against HAProxy 2.6 on the same config and
//! requests: `userlist` sections (clear passwords, crypt(3) hashes of
//! each format Debian's HAProxy accepts, a bad hash), `http-request auth`
//! (realm, the 401's bytes, an `errorfile 401`), the `http_auth*` fetches,
//! `http_auth_group` ACLs, and malformed `Authorization` headers; each
//! answer compared byte for byte, with its log fields.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::checks::compare;
use tests::http::{http_defaults, raw_exchange};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

/// Made with libxcrypt's crypt("secret", salt).
const MD5: &str = "$1$abc$iCQ2D3nhptRYi27fDYv2s1";
const SHA256: &str = "$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0";
const SHA512: &str =
    "$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1";
const BCRYPT: &str = "$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a";
const DES: &str = "abNANd1rDfiNc";
const YESCRYPT: &str = "$y$j9T$abcdefgh$IUWJt2doU4Kf6E/JP1UkAT3S5O3Q7SSA8SJirXIlEu9";

fn config(fe: &BoundPort, ef: &BoundPort, errorfile: &Path) -> String {
    format!(
        "{}userlist ul\n\
         \x20 group adm users bob\n\
         \x20 group ops\n\
         \x20 user alice insecure-password wonder groups ops,adm\n\
         \x20 user bob password {MD5}\n\
         \x20 user carl password {SHA256}\n\
         \x20 user dan password {SHA512}\n\
         \x20 user eve password {BCRYPT}\n\
         \x20 user fred password {DES}\n\
         \x20 user yves password {YESCRYPT}\n\
         \x20 user gus password notahash\n\
         \x20 user hal\n\
         frontend fe\n\
         \x20 bind {fe}\n\
         \x20 http-request auth realm \"Admin area\" if {{ path_beg /adm }} !{{ http_auth_group(ul) adm }}\n\
         \x20 http-request auth if !{{ http_auth(ul) }}\n\
         \x20 http-request return status 200 content-type text/plain lf-string \"u=%[http_auth_user] p=%[http_auth_pass] t=%[http_auth_type] g=%[http_auth_group(ul)]\\n\"\n\
         frontend ef\n\
         \x20 bind {ef}\n\
         \x20 errorfile 401 {}\n\
         \x20 http-request auth realm r2\n",
        http_defaults(),
        errorfile.display()
    )
}

/// The request for `path` with `auth` as its `Authorization` value.
fn request(path: &str, auth: Option<&str>) -> Vec<u8> {
    let field = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n{field}Connection: close\r\n\r\n").into_bytes()
}

fn basic(user_pass: &str) -> String {
    let b64 = |s: &[u8]| -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    };
    format!("Basic {}", b64(user_pass.as_bytes()))
}

/// The answer's bytes, escaped to one line, then the log's status,
/// termination state and byte count.
fn probe(px: &Proxy, port: u16, n: usize, path: &str, auth: Option<&str>) -> String {
    // Under load a log line now and then never shows (on either side):
    // the request is then made once more, under another marker.
    for marker in [n, n + 1000] {
        let path = format!("{path}?n={marker}");
        let got = raw_exchange(port, &request(&path, auth), T);
        let key = format!("GET {path} ");
        let Some(line) = px.wait_log(|l| l.contains(&key), T) else {
            continue;
        };
        return tests::httplog::answer_and_log(&got, &line);
    }
    panic!("no log for {path}: {:?}", px.logs())
}

#[test]
fn basic_auth_as_haproxy() {
    let dir = tempfile_dir();
    let errorfile = dir.join("401.http");
    std::fs::write(
        &errorfile,
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nWWW-Authenticate: Basic realm=\"old\"\r\nContent-Length: 5\r\n\r\nnope\n",
    )
    .unwrap();
    let cases: Vec<(&str, &str, Option<String>)> = vec![
        ("no header", "/", None),
        ("clear", "/", Some(basic("alice:wonder"))),
        ("clear wrong", "/", Some(basic("alice:wonderx"))),
        ("md5", "/", Some(basic("bob:secret"))),
        ("sha256", "/", Some(basic("carl:secret"))),
        ("sha512", "/", Some(basic("dan:secret"))),
        ("bcrypt", "/", Some(basic("eve:secret"))),
        ("des", "/", Some(basic("fred:secret"))),
        ("des wrong", "/", Some(basic("fred:secreT"))),
        ("yescrypt", "/", Some(basic("yves:secret"))),
        ("yescrypt wrong", "/", Some(basic("yves:secreT"))),
        ("bad hash", "/", Some(basic("gus:notahash"))),
        ("unknown user", "/", Some(basic("zed:secret"))),
        ("group ok", "/adm", Some(basic("bob:secret"))),
        ("group no", "/adm", Some(basic("carl:secret"))),
        ("scheme case", "/", Some("bAsIc   YWxpY2U6d29uZGVy".into())),
        ("bad base64", "/", Some("Basic !!!!".into())),
        ("bad length", "/", Some("Basic YWxpY2U6d29uZGV".into())),
        ("no colon", "/", Some(basic("alice"))),
        ("digest", "/", Some("Digest username=\"alice\"".into())),
        ("bearer", "/", Some("Bearer abc".into())),
        ("scheme only", "/", Some("Basic".into())),
        (
            "two values",
            "/",
            Some(format!("{}, Basic eDp5", basic("alice:wonder"))),
        ),
    ];
    compare(
        |bin| {
            let (fe, ef) = (BoundPort::new(), BoundPort::new());
            let px = Proxy::builder(&config(&fe, &ef, &errorfile))
                .bin(bin)
                .listen(&fe)
                .listen(&ef)
                .start();
            let mut t = Vec::new();
            for (n, (what, path, auth)) in cases.iter().enumerate() {
                t.push(format!(
                    "{what}: {}",
                    probe(&px, fe.port, n, path, auth.as_deref())
                ));
            }
            let ok = basic("alice:wonder");
            t.push(format!(
                "errorfile: {}",
                probe(&px, ef.port, 99, "/", Some(&ok))
            ));
            t
        },
        |t| {
            let first = |what: &str| t.iter().find(|l| l.starts_with(what)).unwrap().clone();
            assert!(
                first("clear:").contains("u=alice p=wonder t=Basic g=alice"),
                "{t:?}"
            );
            assert!(first("bcrypt:").contains("200 OK"), "{t:?}");
            assert!(first("bad hash:").contains("401 Unauthorized"), "{t:?}");
            assert!(first("no header:").contains("www-authenticate: Basic realm=\\\"fe\\\""));
            assert!(
                first("group no:").contains("realm=\\\"Admin area\\\""),
                "{t:?}"
            );
            assert!(first("errorfile:").contains("realm=\\\"r2\\\""), "{t:?}");
            assert!(!first("errorfile:").contains("old"), "{t:?}");
        },
    );
}

/// A fresh directory for this test's files.
fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("http-auth-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `-c` refuses bad userlist lines with HAProxy 2.6's words, on both.
#[test]
fn userlist_config_errors() {
    let cases = [
        ("userlist u\n user a foo x\n", "'user' only supports 'password', 'insecure-password' and 'groups' options."),
        ("userlist u\n user a insecure-password x groups nog\n", "userlist 'u': no such group 'nog' specified in user 'a'"),
        ("userlist u\n group g users nou\n", "userlist 'u': no such user 'nou' specified in group 'g'"),
        (
            "frontend f\n mode http\n bind 127.0.0.1:1\n http-request deny if { http_auth(nope) }\n",
            "unable to find userlist 'nope' referenced in arg 1 of ACL keyword 'http_auth' in proxy 'f'.",
        ),
        (
            "userlist u\n group g1\nfrontend f\n mode http\n bind 127.0.0.1:1\n acl ok http_auth_group(u) g1 g3\n http-request deny if ok\n",
            "proxy f: acl ok http_auth_group(): invalid group 'g3'.",
        ),
    ];
    let dir = tempfile_dir();
    let path = dir.join("bad.cfg");
    for (cfg, want) in cases {
        std::fs::write(&path, cfg).unwrap();
        for bin in [tests::proxy_bin(), "/usr/sbin/haproxy".into()] {
            if !bin.exists() {
                continue;
            }
            let out = std::process::Command::new(&bin)
                .args(["-c", "-f", path.to_str().unwrap()])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout);
            assert!(!out.status.success(), "{}: {cfg}: {text}", bin.display());
            assert!(text.contains(want), "{}: {cfg}: {text}", bin.display());
        }
    }
}
