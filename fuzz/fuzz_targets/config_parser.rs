//! The whole configuration parser on arbitrary text: either a model or
//! errors naming a line, never a panic. Environment lookups answer from a
//! fixed table, so runs do not depend on the fuzzing process.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::config::parser::parse_str_with_env;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = |name: &str| -> Option<String> {
        match name {
            "PORT" => Some("8080".into()),
            "ADDR" => Some("127.0.0.1".into()),
            _ => None,
        }
    };
    if let Err(errs) = parse_str_with_env(text, "fuzz.cfg", &env) {
        let _ = errs.to_string();
    }
});
