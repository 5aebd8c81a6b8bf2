//! The chunked-body validator alone: never consumes more than it is given,
//! and gives the same answer (bytes taken, end found, or the same error)
//! for the input in one piece and in arbitrary pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::http::{ChunkError, ChunkedDecoder, ChunkedLimits};
use proxy_fuzz::{control_byte, pieces, split_points};

fuzz_target!(|data: &[u8]| {
    let (ctl, rest) = control_byte(data);
    let n_seed = usize::from(ctl % 8).min(rest.len());
    let (seed, body) = rest.split_at(n_seed);
    let limits = if ctl & 0x80 == 0 {
        ChunkedLimits::default()
    } else {
        ChunkedLimits {
            max_line: 16,
            max_trailer_bytes: 32,
            max_trailers: 2,
        }
    };
    let whole = run(limits, &[body]);
    let cuts = split_points(seed, body.len());
    let split = run(limits, &pieces(body, &cuts));
    assert_eq!(
        whole, split,
        "chunked result depends on how the input is split"
    );
    let bytewise: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(
        whole,
        run(limits, &bytewise),
        "byte-per-byte feeding differs"
    );
});

/// (bytes of the body, end seen, payload bytes) or the first error.
fn run(limits: ChunkedLimits, parts: &[&[u8]]) -> Result<(usize, bool, u64), ChunkError> {
    let mut dec = ChunkedDecoder::new(limits);
    let mut taken = 0;
    for part in parts {
        let p = dec.advance(part)?;
        assert!(p.consumed <= part.len(), "consumed more than given");
        taken += p.consumed;
        if p.done {
            assert!(dec.is_done());
            return Ok((taken, true, dec.data_len()));
        }
        assert_eq!(
            p.consumed,
            part.len(),
            "stopped early without reaching the end"
        );
    }
    Ok((taken, dec.is_done(), dec.data_len()))
}
