//! `redirect` and `http-request redirect` with `set-cookie` /
//! `clear-cookie` (and the codes, `drop-query`, `append-slash` they
//! combine with) against HAProxy 2.6: the answers compared byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tests::checks::compare;
use tests::http::{http_defaults, raw_exchange};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn config(fe: &BoundPort) -> String {
    format!(
        "{}frontend fe\n  bind {fe}\n\
         \x20 http-request redirect location /x code 301 set-cookie SEEN=1 if {{ path /a }}\n\
         \x20 http-request redirect prefix /p code 303 set-cookie FOO if {{ path /b }}\n\
         \x20 http-request redirect scheme https code 307 clear-cookie BAR if {{ path /c }}\n\
         \x20 http-request redirect location /y code 308 clear-cookie BAZ= if {{ path /d }}\n\
         \x20 http-request redirect location /z set-cookie X=1 clear-cookie Y if {{ path /f }}\n\
         \x20 redirect prefix /q code 302 drop-query append-slash set-cookie A=b=c if {{ path_beg /e }}\n",
        http_defaults()
    )
}

#[test]
fn redirect_cookies_as_haproxy() {
    let paths = ["/a", "/b", "/c", "/d", "/e/f?x=1", "/f"];
    compare(
        |bin| {
            let fe = BoundPort::new();
            let _px = Proxy::builder(&config(&fe)).bin(bin).listen(&fe).start();
            paths
                .iter()
                .map(|p| {
                    let req = format!("GET {p} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
                    let got = raw_exchange(fe.port, req.as_bytes(), T);
                    format!("{p}: {}", String::from_utf8_lossy(&got).escape_debug())
                })
                .collect()
        },
        |t| {
            assert!(t[0].contains("set-cookie: SEEN=1; path=/;\\r\\n"), "{t:?}");
            assert!(
                t[2].contains("set-cookie: BAR; path=/; Max-Age=0;\\r\\n"),
                "{t:?}"
            );
        },
    );
}
