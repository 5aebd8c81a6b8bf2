//! HTTP/1 response head and framing: never panics, spans stay inside the
//! input, for every kind of request the response may answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::http::framing::{response_framing, RequestInfo};
use proxy_core::http::head::{may_start_status_line, parse_response, HeadLimits, Parsed};
use proxy_fuzz::control_byte;

fuzz_target!(|data: &[u8]| {
    let (ctl, buf) = control_byte(data);
    let _ = may_start_status_line(buf);
    let limits = if ctl & 8 == 0 {
        HeadLimits::default()
    } else {
        HeadLimits {
            max_head: 256,
            max_hdr: 8,
        }
    };
    let Ok(Parsed::Complete(head)) = parse_response(buf, &limits) else {
        return;
    };
    assert!(head.len <= buf.len(), "head longer than the input");
    for sp in [head.version_raw, head.status_raw, head.reason] {
        assert!(sp.start <= sp.end && sp.end <= head.len);
    }
    for h in &head.headers {
        assert!(h.name.end <= head.len && h.value.end <= head.len);
    }
    // The head alone is the same head: nothing after it was looked at.
    assert_eq!(
        parse_response(&buf[..head.len], &limits),
        Ok(Parsed::Complete(head.clone())),
        "the bytes after the head changed it"
    );
    let req = RequestInfo {
        is_head: ctl & 1 != 0,
        is_connect: ctl & 2 != 0,
        upgrade: ctl & 4 != 0,
    };
    if let Ok(f) = response_framing(buf, &head, &req) {
        assert!(
            f.skip.windows(2).all(|w| w[0] < w[1]),
            "skip list not ascending"
        );
        assert!(f.skip.iter().all(|&i| i < head.headers.len()));
    }
});
