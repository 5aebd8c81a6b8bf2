//! The configuration line tokenizer (quotes, escapes, `${VAR}` expansion,
//! comments): never panics, on any line and any environment answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::config::tokenizer::tokenize;
use proxy_fuzz::control_byte;

fuzz_target!(|data: &[u8]| {
    let (ctl, rest) = control_byte(data);
    let Ok(line) = std::str::from_utf8(rest) else {
        return;
    };
    // Variables expand to words with spaces and quotes too, or are unset.
    let env = |name: &str| -> Option<String> {
        match ctl % 4 {
            0 => None,
            1 => Some(String::new()),
            2 => Some(format!("a b\"{name}'")),
            _ => Some(name.repeat(2)),
        }
    };
    if let Ok(words) = tokenize(line, &env) {
        // Without expansion the words come from the line: no word can be
        // longer than the line itself.
        if ctl % 4 == 0 {
            assert!(words.iter().all(|w| w.len() <= line.len()));
        }
    }
});
