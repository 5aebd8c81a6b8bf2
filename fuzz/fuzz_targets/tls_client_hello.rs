//! The ClientHello reader behind `req.ssl_hello_type`, `req.ssl_ver`,
//! `req.ssl_sni` and `req.ssl_alpn`: never panics, and an answer found in a
//! buffer is either found or awaited in each of its prefixes (the fetches
//! wait for more bytes and must not refuse a hello that is still arriving).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::sample::ssl_hello::{alpn, hello_type, sni, version, Parsed};

fuzz_target!(|data: &[u8]| {
    let all = answers(data);
    if all.iter().all(|a| *a == Answer::NotTls) || data.len() > 2048 {
        return;
    }
    for cut in [data.len() / 2, data.len().saturating_sub(1)] {
        let part = answers(&data[..cut]);
        for (whole, prefix) in all.iter().zip(&part) {
            if let Answer::Found(_) = whole {
                assert!(
                    *prefix == Answer::Incomplete || prefix == whole,
                    "prefix of {cut} bytes answered {prefix:?}, whole buffer {whole:?}"
                );
            }
        }
    }
});

#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Incomplete,
    NotTls,
    Found(String),
}

fn answer<T: std::fmt::Debug>(p: Parsed<T>) -> Answer {
    match p {
        Parsed::Incomplete => Answer::Incomplete,
        Parsed::NotTls => Answer::NotTls,
        Parsed::Found(x) => Answer::Found(format!("{x:?}")),
    }
}

fn answers(b: &[u8]) -> [Answer; 4] {
    [
        answer(hello_type(b)),
        answer(version(b, 16384)),
        answer(sni(b)),
        answer(alpn(b)),
    ]
}
