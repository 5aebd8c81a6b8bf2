//! Tests for [`super::chunked`]: valid and invalid bodies on raw bytes,
//! random splits of valid bodies, and random garbage.

use super::chunked::*;

/// xorshift64*: a tiny deterministic PRNG for property tests.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Feeds `input` in one go; returns (consumed, done) or the error.
fn run(input: &[u8]) -> Result<Progress, ChunkError> {
    ChunkedDecoder::default().advance(input)
}

/// Feeds `input` one byte at a time.
fn run_bytewise(input: &[u8]) -> Result<Progress, ChunkError> {
    let mut d = ChunkedDecoder::default();
    let mut total = 0;
    for b in input {
        let p = d.advance(std::slice::from_ref(b))?;
        total += p.consumed;
        if p.done {
            return Ok(Progress {
                consumed: total,
                done: true,
            });
        }
    }
    Ok(Progress {
        consumed: total,
        done: false,
    })
}

const VALID: &[&[u8]] = &[
    b"0\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\n",
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    b"A;name=value;other\r\n0123456789\r\n0;last\r\n\r\n",
    b"5 \t;ext\r\nhello\r\n0\r\n\r\n",
    b"00005\r\nhello\r\n000\r\n\r\n",
    b"5\nhello\n0\n\n",
    b"5\r\nhello\n0\r\nExpires: never\r\nX-Sum:  abc \t\r\n\r\n",
    b"3\r\n\r\n\r\r\n0\r\nA:\nB: v\n\n",
    b"fFfF\r\n",
];

#[test]
fn valid_bodies_end_where_expected() {
    for body in &VALID[..VALID.len() - 1] {
        let mut input = body.to_vec();
        input.extend_from_slice(b"GET /next HTTP/1.1\r\n");
        let p = run(&input).unwrap();
        assert_eq!(
            p,
            Progress {
                consumed: body.len(),
                done: true
            },
            "{:?}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(run_bytewise(&input).unwrap(), p);
    }
}

#[test]
fn data_len_counts_payload() {
    let mut d = ChunkedDecoder::default();
    let p = d
        .advance(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        .unwrap();
    assert!(p.done && d.is_done());
    assert_eq!(d.data_len(), 11);
}

#[test]
fn incomplete_body_is_fully_consumed() {
    let mut d = ChunkedDecoder::default();
    let p = d.advance(b"fFfF\r\nabc").unwrap();
    assert_eq!(
        p,
        Progress {
            consumed: 9,
            done: false
        }
    );
    assert_eq!(d.pending_data(), 0xffff - 3);
    // Once done, nothing more is taken.
    let mut d = ChunkedDecoder::default();
    assert!(d.advance(b"0\r\n\r\n").unwrap().done);
    assert_eq!(
        d.advance(b"xyz").unwrap(),
        Progress {
            consumed: 0,
            done: true
        }
    );
}

#[test]
fn invalid_bodies() {
    let cases: &[(&[u8], ChunkError)] = &[
        (b"\r\n", ChunkError::BadSize),
        (b"g\r\n", ChunkError::BadSize),
        (b" 5\r\n", ChunkError::BadSize),
        (b"-5\r\n", ChunkError::BadSize),
        (b"0x5\r\n", ChunkError::BadSize),
        (b"5 5\r\n", ChunkError::BadSize),
        (b"5\rX", ChunkError::BadLineEnding),
        (b"5\r\nhelloX\r\n", ChunkError::BadLineEnding),
        (b"5\r\nhello\rX", ChunkError::BadLineEnding),
        (b"5\r\nhelloo\r\n0\r\n\r\n", ChunkError::BadLineEnding),
        (b"10000000000000\r\n", ChunkError::SizeOverflow),
        (b"FFFFFFFFFFFFFFFFFFFF\r\n", ChunkError::SizeOverflow),
        (b"5;a\x00b\r\n", ChunkError::BadExtension),
        (b"5;a\x01\r\n", ChunkError::BadExtension),
        (b"0\r\nX : y\r\n\r\n", ChunkError::BadTrailer),
        (b"0\r\n: y\r\n\r\n", ChunkError::BadTrailer),
        (b"0\r\nX: a\r\n folded\r\n\r\n", ChunkError::BadTrailer),
        (b"0\r\nX: a\0\r\n\r\n", ChunkError::BadTrailer),
        (b"0\r\nX: a\rb\r\n\r\n", ChunkError::BadLineEnding),
        (b"0\r\n\rX", ChunkError::BadLineEnding),
    ];
    for (input, err) in cases {
        assert_eq!(
            run(input),
            Err(*err),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(
            run_bytewise(input),
            Err(*err),
            "bytewise {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn largest_chunk_size() {
    let mut d = ChunkedDecoder::default();
    let p = d.advance(b"FFFFFFFFFFFFF\r\n").unwrap();
    assert_eq!(p.consumed, 15);
    assert_eq!(d.pending_data(), MAX_CHUNK_SIZE);
    let mut d = ChunkedDecoder::default();
    assert!(
        d.advance(b"000000000000000000001\r\nx\r\n0\r\n\r\n")
            .unwrap()
            .done
    );
}

#[test]
fn limits() {
    let limits = ChunkedLimits {
        max_line: 8,
        max_trailer_bytes: 20,
        max_trailers: 2,
    };
    let mut d = ChunkedDecoder::new(limits);
    assert_eq!(d.advance(b"1;abcdefgh\r\n"), Err(ChunkError::TooLong));
    let mut d = ChunkedDecoder::new(limits);
    assert_eq!(
        d.advance(b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"),
        Err(ChunkError::TooManyTrailers)
    );
    let mut d = ChunkedDecoder::new(limits);
    assert_eq!(
        d.advance(b"0\r\nA: 0123456789abcdefghij\r\n\r\n"),
        Err(ChunkError::TooLong)
    );
    let mut d = ChunkedDecoder::new(limits);
    assert!(d.advance(b"0\r\nA: 1\r\nB: 2\r\n\r\n").unwrap().done);
}

/// Builds a random valid chunked body with its exact length.
fn random_body(rng: &mut XorShift) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(6) {
        let size = 1 + rng.below(300);
        let hex = if rng.below(2) == 0 {
            format!("{size:x}")
        } else {
            format!("{size:X}")
        };
        out.extend_from_slice(hex.as_bytes());
        if rng.below(3) == 0 {
            out.extend_from_slice(b" ;ext=\"v\"");
        }
        out.extend_from_slice(if rng.below(4) == 0 { b"\n" } else { b"\r\n" });
        out.extend((0..size).map(|_| (rng.next() & 0xff) as u8));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n");
    for t in 0..rng.below(3) {
        out.extend_from_slice(format!("T-{t}: v{t}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn random_splits_of_valid_bodies_end_at_the_same_place() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let body = random_body(&mut rng);
        let mut input = body.clone();
        input.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        let mut d = ChunkedDecoder::default();
        let mut pos = 0;
        let mut done_at = None;
        while pos < input.len() {
            let end = (pos + 1 + rng.below(40)).min(input.len());
            let p = d.advance(&input[pos..end]).unwrap();
            pos += p.consumed;
            if p.done {
                done_at = Some(pos);
                break;
            }
            assert_eq!(p.consumed, end - (pos - p.consumed));
        }
        assert_eq!(done_at, Some(body.len()));
    }
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = XorShift(0x0123_4567_89ab_cdef);
    let alphabet = b"0123456789abcdefABCDEF;= \t\r\n:xX-\0\x7f\xff";
    for _ in 0..3000 {
        let len = rng.below(200);
        let input: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(4) == 0 {
                    (rng.next() & 0xff) as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        let mut d = ChunkedDecoder::default();
        let mut pos = 0;
        while pos < input.len() {
            let end = (pos + 1 + rng.below(16)).min(input.len());
            match d.advance(&input[pos..end]) {
                Ok(p) => {
                    assert!(p.consumed <= end - pos);
                    pos += p.consumed;
                    if p.done {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        // Whole-buffer and bytewise runs agree.
        let a = run(&input);
        let b = run_bytewise(&input);
        match (a, b) {
            (Ok(x), Ok(y)) if x.done => assert_eq!(x, y),
            (Ok(x), Ok(y)) => assert_eq!(x.consumed, y.consumed),
            (Err(x), Err(y)) => assert_eq!(x, y),
            other => panic!("disagreement {other:?}"),
        }
    }
}
