//! The PROXY protocol v1/v2 decoder: never panics, a header never claims
//! more bytes than received, and every shorter prefix of a valid header is
//! "incomplete" (a header split over several reads is still accepted) --
//! except a v1 line longer than the spec's 107 bytes: 2.6 takes it when it
//! arrives in one read, and so do we, but 107 bytes without an end of line
//! are "truncated" (see `decode_v1`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::proxy_proto::decode::{decode, Decoded, PpError, V1_MAX};

fuzz_target!(|data: &[u8]| {
    let Ok(Decoded::Done { header, len }) = decode(data) else {
        return;
    };
    assert!(len <= data.len(), "header longer than the input");
    let _ = (header.authority(), header.unique_id());
    let v1 = header.version == 1;
    // The same header followed by anything decodes the same.
    assert_eq!(decode(&data[..len]), Ok(Decoded::Done { header, len }));
    for cut in 0..len {
        let got = decode(&data[..cut]);
        if v1 && cut >= V1_MAX && got == Err(PpError::Truncated) {
            continue;
        }
        assert_eq!(
            got,
            Ok(Decoded::Incomplete),
            "prefix of {cut} bytes of a valid {len}-byte header refused"
        );
    }
});
