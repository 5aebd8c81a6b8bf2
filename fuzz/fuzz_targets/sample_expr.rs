//! Sample expressions (`fetch(args),conv(args),...`, as in ACLs, log
//! formats and rules): parsing never panics, what is left over is a
//! suffix of the input, and a parsed expression answers its type and usage.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::rules::expr::{Expr, NoFiles};
use proxy_fuzz::control_byte;

fuzz_target!(|data: &[u8]| {
    let (ctl, rest) = control_byte(data);
    let Ok(word) = std::str::from_utf8(rest) else {
        return;
    };
    let acl = ctl & 1 == 1;
    if let Ok(p) = Expr::parse(word, acl, &mut NoFiles) {
        assert!(
            word.ends_with(p.rest),
            "rest is not what followed the expression"
        );
        let _ = p.expr.out_type();
        let _ = p.expr.usage();
        let _ = p.expr.table_refs();
    }
    if let Err(e) = Expr::parse_word(word, &mut NoFiles) {
        let _ = e.describe();
    }
});
