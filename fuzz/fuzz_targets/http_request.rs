//! HTTP/1 request head, framing and body: whatever the bytes, parsing never
//! panics, spans stay inside the input, and the body that follows the head
//! decodes the same whether it arrives in one read or in several.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::http::dechunk::BodyDecoder;
use proxy_core::http::framing::request_framing;
use proxy_core::http::head::{parse_request, HeadLimits, Parsed};
use proxy_fuzz::{control_byte, pieces, split_points};

fuzz_target!(|data: &[u8]| {
    let (ctl, buf) = control_byte(data);
    let limits = if ctl & 1 == 0 {
        HeadLimits::default()
    } else {
        HeadLimits {
            max_head: 256,
            max_hdr: 8,
        }
    };
    let Ok(Parsed::Complete(head)) = parse_request(buf, &limits) else {
        return;
    };
    assert!(head.len <= buf.len(), "head longer than the input");
    assert!(head.start <= head.len);
    for sp in [head.method, head.target, head.version_raw] {
        assert!(sp.start <= sp.end && sp.end <= head.len);
    }
    for h in &head.headers {
        assert!(h.name.end <= head.len && h.value.end <= head.len);
    }
    // The head alone is the same head: nothing after it was looked at.
    assert_eq!(
        parse_request(&buf[..head.len], &limits),
        Ok(Parsed::Complete(head.clone())),
        "the bytes after the head changed it"
    );
    let Ok(framing) = request_framing(buf, &head) else {
        return;
    };
    let body = &buf[head.len..];
    let whole = decode_body(framing.body, &[body]);
    let cuts = split_points(&data[..data.len().min(8)], body.len());
    let split = decode_body(framing.body, &pieces(body, &cuts));
    assert_eq!(
        whole, split,
        "body decoding depends on how the input is split"
    );
});

/// Feeds the pieces in order; (payload, consumed, done, trailers) or the
/// error.
fn decode_body(
    kind: proxy_core::http::BodyKind,
    parts: &[&[u8]],
) -> Result<(Vec<u8>, usize, bool, Option<Vec<u8>>), proxy_core::http::ChunkError> {
    let mut dec = BodyDecoder::new(kind);
    let mut out = Vec::new();
    let mut trailers = None;
    let mut consumed = 0;
    for part in parts {
        let mut at = 0;
        while at < part.len() && !dec.is_done() {
            let (fed, t) = dec.feed(&part[at..], &mut out, usize::MAX)?;
            if t.is_some() {
                trailers = t;
            }
            assert!(fed.consumed <= part.len() - at, "consumed more than given");
            if fed.consumed == 0 && !fed.done {
                break;
            }
            at += fed.consumed;
            consumed += fed.consumed;
        }
    }
    Ok((out, consumed, dec.is_done(), trailers))
}
