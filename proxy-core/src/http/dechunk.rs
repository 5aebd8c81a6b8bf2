//! De-framing a message body: the payload without its transfer framing,
//! and the trailer fields of a chunked one. Sans-io: fed whatever bytes
//! arrived, it says how many it took and appends the payload to a buffer,
//! up to a limit so that its caller keeps backpressure.
//!
//! The framing itself is checked by [`super::chunked::ChunkedDecoder`];
//! this only drives it (payload runs are passed in one piece, framing
//! bytes one at a time) and keeps what it skips of the trailer section.

use super::chunked::{ChunkError, ChunkedDecoder};
use super::framing::BodyKind;
use super::head::Span;

/// The state of one body.
#[derive(Debug)]
pub enum BodyDecoder {
    /// No body, or all of it went through.
    Done,
    /// `Content-Length`: this many payload bytes left.
    Length(u64),
    /// Chunked, with the raw trailer section seen so far.
    Chunked(Box<(ChunkedDecoder, Vec<u8>)>),
}

/// What one [`BodyDecoder::feed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    /// Input bytes taken (payload and framing).
    pub consumed: usize,
    /// The body ended within them.
    pub done: bool,
}

impl BodyDecoder {
    /// A decoder for a request body of kind `kind` (`UntilClose` and
    /// `Tunnel` do not occur in requests: they count as no body).
    pub fn new(kind: BodyKind) -> BodyDecoder {
        match kind {
            BodyKind::Length(n) if n > 0 => BodyDecoder::Length(n),
            BodyKind::Chunked => {
                BodyDecoder::Chunked(Box::new((ChunkedDecoder::default(), Vec::new())))
            }
            _ => BodyDecoder::Done,
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self, BodyDecoder::Done)
    }

    /// Takes bytes from `input`, appending their payload to `out` while
    /// `out` is shorter than `max_out`. Returns the trailer section (raw,
    /// final empty line included) when a chunked body ends in this call.
    pub fn feed(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<(Fed, Option<Vec<u8>>), ChunkError> {
        let room = max_out.saturating_sub(out.len());
        match self {
            BodyDecoder::Done => Ok((
                Fed {
                    consumed: 0,
                    done: true,
                },
                None,
            )),
            BodyDecoder::Length(left) => {
                let n = usize::try_from(*left)
                    .unwrap_or(usize::MAX)
                    .min(input.len())
                    .min(room);
                out.extend_from_slice(&input[..n]);
                *left -= n as u64;
                let done = *left == 0;
                if done {
                    *self = BodyDecoder::Done;
                }
                Ok((Fed { consumed: n, done }, None))
            }
            BodyDecoder::Chunked(state) => {
                let (dec, trailers) = &mut **state;
                let fed = feed_chunked(dec, trailers, input, out, room)?;
                if fed.done {
                    let t = std::mem::take(trailers);
                    *self = BodyDecoder::Done;
                    return Ok((fed, Some(t)));
                }
                Ok((fed, None))
            }
        }
    }
}

fn feed_chunked(
    dec: &mut ChunkedDecoder,
    trailers: &mut Vec<u8>,
    input: &[u8],
    out: &mut Vec<u8>,
    mut room: usize,
) -> Result<Fed, ChunkError> {
    let mut i = 0;
    while i < input.len() && !dec.is_done() {
        let pending = dec.pending_data();
        if pending > 0 {
            let n = usize::try_from(pending)
                .unwrap_or(usize::MAX)
                .min(input.len() - i)
                .min(room);
            if n == 0 {
                break;
            }
            dec.advance(&input[i..i + n])?;
            out.extend_from_slice(&input[i..i + n]);
            room -= n;
            i += n;
        } else {
            let in_trailers = dec.in_trailers();
            dec.advance(&input[i..i + 1])?;
            if in_trailers {
                trailers.push(input[i]);
            }
            i += 1;
        }
    }
    Ok(Fed {
        consumed: i,
        done: dec.is_done(),
    })
}

/// The fields of a raw trailer section (as [`BodyDecoder::feed`] returns
/// it, already checked): name and value spans into `raw`, the value
/// trimmed.
pub fn trailer_fields(raw: &[u8]) -> Vec<(Span, Span)> {
    let mut fields = Vec::new();
    let mut start = 0;
    for (i, &b) in raw.iter().enumerate() {
        if b != b'\n' {
            continue;
        }
        let mut end = i;
        if end > start && raw[end - 1] == b'\r' {
            end -= 1;
        }
        if let Some(colon) = raw[start..end].iter().position(|&c| c == b':') {
            let name = Span::new(start, start + colon);
            let (mut vs, mut ve) = (start + colon + 1, end);
            while vs < ve && matches!(raw[vs], b' ' | b'\t') {
                vs += 1;
            }
            while ve > vs && matches!(raw[ve - 1], b' ' | b'\t') {
                ve -= 1;
            }
            fields.push((name, Span::new(vs, ve)));
        }
        start = i + 1;
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `wire` in pieces of `step` bytes; returns payload, trailers.
    fn decode(kind: BodyKind, wire: &[u8], step: usize) -> (Vec<u8>, Vec<u8>) {
        let mut d = BodyDecoder::new(kind);
        let mut out = Vec::new();
        let mut trailers = Vec::new();
        let mut pos = 0;
        while !d.is_done() {
            let end = (pos + step).min(wire.len());
            let (fed, t) = d.feed(&wire[pos..end], &mut out, usize::MAX).unwrap();
            pos += fed.consumed;
            if let Some(t) = t {
                trailers = t;
            }
            assert!(fed.consumed > 0 || d.is_done(), "stuck at {pos}");
        }
        assert_eq!(pos, wire.len(), "the whole body is taken, nothing more");
        (out, trailers)
    }

    #[test]
    fn chunked_bodies_lose_their_framing_in_any_split() {
        let wire = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 42\r\nX-Two:  a b \r\n\r\n";
        for step in [1, 2, 3, 7, 100] {
            let (body, t) = decode(BodyKind::Chunked, wire, step);
            assert_eq!(body, b"hello, world");
            assert_eq!(t, b"X-Sum: 42\r\nX-Two:  a b \r\n\r\n");
            let f = trailer_fields(&t);
            assert_eq!(f.len(), 2);
            assert_eq!(f[0].0.get(&t), b"X-Sum");
            assert_eq!(f[0].1.get(&t), b"42");
            assert_eq!(f[1].1.get(&t), b"a b");
        }
        let (body, t) = decode(BodyKind::Chunked, b"0\n\n", 1);
        assert!(body.is_empty());
        assert!(trailer_fields(&t).is_empty());
    }

    /// xorshift64*: deterministic randomness for the property below.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
        }
    }

    /// Random payloads, chunked at random sizes (extensions, bare LF or
    /// CRLF, trailers or not), fed in random pieces with a random output
    /// limit: the payload comes out whole and in order, the trailers as
    /// sent, and not one byte past the body is taken.
    #[test]
    fn random_chunkings_and_splits_give_the_payload_back() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2000 {
            let payload: Vec<u8> = (0..r.below(600)).map(|_| r.below(256) as u8).collect();
            let eol: &[u8] = if r.below(4) == 0 { b"\n" } else { b"\r\n" };
            let mut wire = Vec::new();
            let mut rest = &payload[..];
            while !rest.is_empty() {
                let n = (1 + r.below(100)).min(rest.len());
                wire.extend_from_slice(format!("{n:x}").as_bytes());
                if r.below(3) == 0 {
                    wire.extend_from_slice(b";x=y");
                }
                wire.extend_from_slice(eol);
                wire.extend_from_slice(&rest[..n]);
                wire.extend_from_slice(eol);
                rest = &rest[n..];
            }
            wire.extend_from_slice(b"0");
            wire.extend_from_slice(eol);
            let trailers: &[u8] = if r.below(2) == 0 { b"" } else { b"T: v" };
            if !trailers.is_empty() {
                wire.extend_from_slice(trailers);
                wire.extend_from_slice(eol);
            }
            wire.extend_from_slice(eol);
            let after = wire.len();
            wire.extend_from_slice(b"GET /next");
            let mut d = BodyDecoder::new(BodyKind::Chunked);
            let (mut out, mut got, mut pos, mut seen_trailers) = (Vec::new(), Vec::new(), 0, None);
            let limit = 1 + r.below(64);
            let mut rounds = 0;
            while !d.is_done() {
                rounds += 1;
                assert!(rounds < 100_000, "stuck");
                let end = (pos + 1 + r.below(40)).min(wire.len());
                let (fed, t) = d.feed(&wire[pos..end], &mut out, limit).expect("valid");
                assert!(out.len() <= limit);
                pos += fed.consumed;
                if t.is_some() {
                    seen_trailers = t;
                }
                // The applet consumes what it got.
                got.append(&mut out);
            }
            assert_eq!(pos, after, "took bytes past the body");
            assert_eq!(got, payload);
            let t = seen_trailers.expect("trailer section");
            assert_eq!(trailer_fields(&t).len(), usize::from(!trailers.is_empty()));
        }
    }

    #[test]
    fn lengths_stop_at_the_length_and_limits_hold() {
        let (body, _) = decode(BodyKind::Length(4), b"abcd", 3);
        assert_eq!(body, b"abcd");
        let mut d = BodyDecoder::new(BodyKind::Chunked);
        let mut out = Vec::new();
        let (fed, _) = d
            .feed(b"a\r\n0123456789\r\n0\r\n\r\n", &mut out, 4)
            .unwrap();
        assert_eq!(out, b"0123");
        assert!(!fed.done);
        assert!(BodyDecoder::new(BodyKind::Length(0)).is_done());
        assert!(BodyDecoder::new(BodyKind::None).is_done());
        let mut d = BodyDecoder::new(BodyKind::Chunked);
        assert!(d.feed(b"zz\r\n", &mut out, 100).is_err());
    }
}
