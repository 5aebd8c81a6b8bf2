//! HAProxy's "encoded integers" (peers protocol varints).
//!
//! Not LEB128. A value below 240 is one byte. Otherwise the first byte is
//! the value's low byte with its top nibble forced to `1111` (so it carries
//! the low 4 bits of `v`), the value becomes `(v - 240) >> 4`, then 7 bits
//! per byte follow, least significant first, with bit 7 set on every byte
//! but the last. Decoding mirrors it: a first byte `>= 0xF0` is followed by
//! bytes added at shifts 4, 11, 18, ... until one below `0x80`.
//!
//! Sizes: 1 byte < 240, 2 < 2288, 3 < 264432, 4 < 33818864,
//! 5 < 4328786160, up to 10 bytes for 64-bit values.
//! A negative signed value is sign-extended to 64 bits first (10 bytes).

/// Longest encoding of a 64-bit value.
pub const MAX_LEN: usize = 10;

/// Smallest value needing 2 bytes.
const TWO_BYTES_MIN: u64 = 0xf0;

/// Why a varint could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The input ended before the last byte (HAProxy's decoder then fails
    /// the message as malformed).
    Truncated,
    /// More continuation bytes than a 64-bit value can use.
    Overflow,
}

/// Appends the encoding of `v` to `out`; returns its length.
pub fn encode(mut v: u64, out: &mut Vec<u8>) -> usize {
    if v < TWO_BYTES_MIN {
        out.push(v as u8);
        return 1;
    }
    let start = out.len();
    out.push((v as u8) | 0xf0);
    v = (v - TWO_BYTES_MIN) >> 4;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v = (v - 0x80) >> 7;
    }
    out.push(v as u8);
    out.len() - start
}

/// The encoding of `v` as a vector.
pub fn to_vec(v: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAX_LEN);
    encode(v, &mut out);
    out
}

/// Length of the encoding of `v`.
pub fn encoded_len(v: u64) -> usize {
    let mut n = 1;
    if v >= TWO_BYTES_MIN {
        let mut v = (v - TWO_BYTES_MIN) >> 4;
        n += 1;
        while v >= 0x80 {
            v = (v - 0x80) >> 7;
            n += 1;
        }
    }
    n
}

/// Reads a varint at the start of `buf`: (value, bytes used).
pub fn decode(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    let first = *buf.first().ok_or(VarintError::Truncated)?;
    let mut v = u64::from(first);
    if v < TWO_BYTES_MIN {
        return Ok((v, 1));
    }
    let mut shift = 4u32;
    let mut i = 1;
    loop {
        let b = *buf.get(i).ok_or(VarintError::Truncated)?;
        i += 1;
        if shift >= 64 {
            return Err(VarintError::Overflow);
        }
        v = v.wrapping_add(u64::from(b) << shift);
        shift += 7;
        if b < 0x80 {
            return Ok((v, i));
        }
    }
}

/// A cursor over a message payload with the reads the codec needs.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves the cursor (possibly past the end, as HAProxy's string key
    /// decoder can: every later read then fails).
    pub fn skip(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    /// A varint.
    pub fn varint(&mut self) -> Result<u64, VarintError> {
        let (v, n) = decode(self.buf.get(self.pos..).unwrap_or(&[]))?;
        self.pos += n;
        Ok(v)
    }

    /// A 32-bit big-endian integer.
    pub fn u32_be(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `n` raw bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let b = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    /// A sub-reader over the next `n` bytes (the cursor moves past them).
    pub fn sub(&mut self, n: usize) -> Option<Reader<'a>> {
        self.bytes(n).map(Reader::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's vectors, checked against HAProxy's own output.
    const VECTORS: &[(u64, &str)] = &[
        (0, "00"),
        (239, "ef"),
        (240, "f000"),
        (1000, "f82f"),
        (2287, "ff7f"),
        (2288, "f08000"),
        (10000, "f0e203"),
        (30000, "f0c40d"),
        (264431, "ffff7f"),
        (264432, "f0808000"),
        (33818864, "f080808000"),
        (4328786160, "f08080808000"),
    ];

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn reference_vectors() {
        for &(v, h) in VECTORS {
            let e = to_vec(v);
            assert_eq!(hex(&e), h, "encode {v}");
            assert_eq!(encoded_len(v), e.len());
            assert_eq!(decode(&e), Ok((v, e.len())), "decode {h}");
        }
    }

    #[test]
    fn size_boundaries() {
        let bounds = [
            240u64,
            2288,
            264432,
            33818864,
            4328786160,
            554084600048,
            70922828777712,
            9078122083518704,
            1161999626690365680,
        ];
        for (i, &b) in bounds.iter().enumerate() {
            assert_eq!(encoded_len(b - 1), i + 1);
            assert_eq!(encoded_len(b), i + 2);
        }
        assert_eq!(encoded_len(u64::MAX), 10);
        assert_eq!(decode(&to_vec(u64::MAX)), Ok((u64::MAX, 10)));
        // a negative server_id, sign-extended
        let e = to_vec(-1i64 as u64);
        assert_eq!(e.len(), 10);
        assert_eq!(decode(&e).map(|(v, _)| v as i64 as i32), Ok(-1));
    }

    #[test]
    fn errors() {
        assert_eq!(decode(&[]), Err(VarintError::Truncated));
        assert_eq!(decode(&[0xf0]), Err(VarintError::Truncated));
        assert_eq!(decode(&[0xf0, 0x80, 0x80]), Err(VarintError::Truncated));
        assert_eq!(decode(&[0xff; 11]), Err(VarintError::Overflow));
        assert_eq!(decode(&[0x05, 0xff]), Ok((5, 1)));
    }

    #[test]
    fn round_trip_pseudo_random() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = x >> (x % 64);
            let e = to_vec(v);
            assert_eq!(decode(&e), Ok((v, e.len())));
        }
    }

    #[test]
    fn reader() {
        let mut r = Reader::new(&[0x05, 0xf8, 0x2f, 0, 0, 0, 7, b'a', b'b']);
        assert_eq!(r.varint(), Ok(5));
        assert_eq!(r.varint(), Ok(1000));
        assert_eq!(r.u32_be(), Some(7));
        assert_eq!(r.remaining(), 2);
        let mut s = r.sub(2).unwrap();
        assert_eq!(s.bytes(2), Some(&b"ab"[..]));
        assert!(r.is_empty());
        assert_eq!(r.u32_be(), None);
        r.skip(5);
        assert_eq!(r.varint(), Err(VarintError::Truncated));
        assert_eq!(r.bytes(1), None);
    }
}
