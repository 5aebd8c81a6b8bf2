//! The stats socket CLI: word splitting and a session fed arbitrary bytes
//! (several commands, `;` chains, payloads, prompt mode) in one read or in
//! pieces, against a host with no proxies. Never panics; once closed the
//! session stays closed.
#![no_main]

use applet_stats::cli::{tokenize, CliSession, Level};
use libfuzzer_sys::fuzz_target;
#[path = "../src/cli_host.rs"]
mod cli_host;

use cli_host::EmptyHost;
use proxy_fuzz::{control_byte, pieces, split_points};

fuzz_target!(|data: &[u8]| {
    let (ctl, bytes) = control_byte(data);
    let words = tokenize(&String::from_utf8_lossy(bytes));
    assert!(words.len() <= 64, "more words than the CLI keeps");
    let level = match ctl % 3 {
        0 => Level::User,
        1 => Level::Operator,
        _ => Level::Admin,
    };
    let host = EmptyHost;
    let mut session = CliSession::new(level);
    let cuts = split_points(&data[..data.len().min(6)], bytes.len());
    for part in pieces(bytes, &cuts) {
        let was_closed = session.is_closed();
        let out = session.feed(part, &host, &host);
        if was_closed {
            assert!(out.close && out.text.is_empty(), "closed session answered");
        }
        if out.close {
            assert!(session.is_closed());
        }
    }
});
