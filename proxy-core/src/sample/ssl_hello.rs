//! Reading a TLS (or SSLv2) hello out of the bytes a client sent so far,
//! for the `req.ssl_*` fetches of TCP-mode inspection. Sans-io: each
//! function takes the buffered bytes and says [`Parsed::Incomplete`] (more
//! bytes may give an answer), [`Parsed::NotTls`] (these bytes will never
//! give one) or [`Parsed::Found`].
//!
//! The checks are those of HAProxy 2.6, which differ from fetch to fetch:
//! - [`hello_type`] accepts any record of type 20..=23 or 255 with a
//!   version of at least 3.0 and gives the handshake type of its first
//!   message once that whole message is buffered (1 ClientHello,
//!   2 ServerHello);
//! - [`version`] gives the ClientHello's own version as
//!   `major << 16 | minor` (`0x30003` for TLS 1.2 and 1.3 hellos), also
//!   for an SSLv2-format hello, once the first record (at most `limit`
//!   bytes of it) is buffered;
//! - [`sni`] and [`alpn`] need a handshake record holding a ClientHello
//!   of at least TLS 1.0 whose whole message is buffered.
//!
//! As in HAProxy, the hello is read as one contiguous message after the
//! first record header: a ClientHello split over several records is not
//! reassembled (a hello larger than the buffer never completes, so the
//! fetches fail once the buffer is full). Every length is checked against
//! the bytes at hand; nothing here indexes out of range or panics.

/// What the bytes buffered so far say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// Not enough bytes yet: more may give an answer.
    Incomplete,
    /// Not a hello (or a malformed one): more bytes will not help.
    NotTls,
    Found(T),
}

use Parsed::{Found, Incomplete, NotTls};

impl<T> Parsed<T> {
    /// The found value changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        match self {
            Found(x) => Found(f(x)),
            Incomplete => Incomplete,
            NotTls => NotTls,
        }
    }
}

/// A big-endian integer of `n` (1..=3) bytes at `at`, if all are there.
fn be(b: &[u8], at: usize, n: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(n)?)?;
    Some(s.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
}

/// A record type HAProxy takes for an SSLv3-style record header.
fn v3_record(first: u8) -> bool {
    (0x14..=0x17).contains(&first) || first == 0xff
}

/// `req.ssl_hello_type`: the type of the first handshake message.
pub fn hello_type(b: &[u8]) -> Parsed<u8> {
    let Some(&first) = b.first() else {
        return Incomplete;
    };
    if !v3_record(first) {
        return NotTls;
    }
    let (Some(ver), Some(rec_len), Some(hs_len)) = (be(b, 1, 2), be(b, 3, 2), be(b, 6, 3)) else {
        return Incomplete;
    };
    if ver < 0x0300 || rec_len < 4 {
        return NotTls;
    }
    if b.len() < hs_len + 9 {
        return Incomplete;
    }
    Found(b[5])
}

/// `req.ssl_ver`: the hello's version, `major << 16 | minor`; `limit` is
/// the most the buffer can hold (a record longer than that counts as
/// complete once the buffer is full).
pub fn version(b: &[u8], limit: usize) -> Parsed<i64> {
    let Some(&first) = b.first() else {
        return Incomplete;
    };
    let (ver, msg_len, rest) = if v3_record(first) {
        if b.len() < 11 {
            return Incomplete;
        }
        let rec_ver = (usize::from(b[1]) << 16) | usize::from(b[2]);
        let msg_len = (usize::from(b[3]) << 8) | usize::from(b[4]);
        if rec_ver < 0x30000 || !(6..=(1 << 14) + 2048).contains(&msg_len) {
            return NotTls;
        }
        let ver = (usize::from(b[9]) << 16) | usize::from(b[10]);
        (ver, msg_len, b.len() - 5)
    } else {
        match sslv2(b) {
            Found(x) => x,
            Incomplete => return Incomplete,
            NotTls => return NotTls,
        }
    };
    if rest < msg_len.min(limit) {
        return Incomplete;
    }
    Found(ver as i64)
}

/// An SSLv2-format client hello: (version, bytes it still announces,
/// bytes buffered after its fixed fields' start).
fn sslv2(b: &[u8]) -> Parsed<(usize, usize, usize)> {
    let first = b.first().copied().unwrap_or(0);
    let (rlen, plen, hdr) = if first & 0x80 != 0 {
        if b.len() < 3 {
            return Incomplete;
        }
        ((usize::from(first & 0x7f) << 8) | usize::from(b[1]), 0, 2)
    } else {
        if b.len() < 4 {
            return Incomplete;
        }
        let rlen = (usize::from(first & 0x3f) << 8) | usize::from(b[1]);
        (rlen, usize::from(b[2]), 3)
    };
    if b.get(hdr) != Some(&1) {
        return NotTls;
    }
    let f = hdr + 1;
    let (Some(major), Some(minor), Some(ci), Some(si), Some(ch)) = (
        be(b, f, 1),
        be(b, f + 1, 1),
        be(b, f + 2, 2),
        be(b, f + 4, 2),
        be(b, f + 6, 2),
    ) else {
        return Incomplete;
    };
    let ver = (major << 16) | minor;
    if ci % 3 != 0 || (si != 0 && si != 16) || !(16..=32).contains(&ch) || rlen != 9 + ci + si + ch
    {
        return NotTls;
    }
    Found((ver, ci + si + ch + plen, b.len() - (f + 8)))
}

/// The extensions block of a ClientHello whose whole message is here.
fn extensions(b: &[u8]) -> Parsed<&[u8]> {
    let Some(&first) = b.first() else {
        return Incomplete;
    };
    if first != 0x16 {
        return NotTls;
    }
    let Some(&major) = b.get(1) else {
        return Incomplete;
    };
    if major < 3 {
        return NotTls;
    }
    // type, length; version, random, session id, ciphers, compression,
    // extensions: the least a hello with extensions can be.
    const MIN: usize = 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2;
    let Some(rec_len) = be(b, 3, 2) else {
        return Incomplete;
    };
    if rec_len < MIN {
        return NotTls;
    }
    let Some(&hs_type) = b.get(5) else {
        return Incomplete;
    };
    if hs_type != 1 {
        return NotTls;
    }
    let Some(hs_len) = be(b, 6, 3) else {
        return Incomplete;
    };
    if hs_len < MIN - 4 {
        return NotTls;
    }
    let Some(body) = b.get(9..9 + hs_len) else {
        return Incomplete;
    };
    match hello_extensions(body) {
        Some(x) => Found(x),
        None => NotTls,
    }
}

/// Walks a ClientHello body to its extensions block; `None` if a length
/// does not fit.
fn hello_extensions(body: &[u8]) -> Option<&[u8]> {
    if body[0] < 3 || body[1] < 1 {
        return None;
    }
    let sid = usize::from(*body.get(34)?);
    if sid > 32 {
        return None;
    }
    let rest = body.get(35 + sid..)?;
    let ciphers = be(rest, 0, 2)?;
    if rest.len() < 4 || ciphers < 2 {
        return None;
    }
    let rest = rest.get(2 + ciphers..)?;
    let comp = usize::from(*rest.first()?);
    if rest.len() < 2 || comp < 1 {
        return None;
    }
    let rest = rest.get(1 + comp..)?;
    let len = be(rest, 0, 2)?;
    rest.get(2..2 + len)
}

/// The data of the first extension of type `ty` in a ClientHello.
fn extension(b: &[u8], ty: usize) -> Parsed<&[u8]> {
    let mut exts = match extensions(b) {
        Found(x) => x,
        Incomplete => return Incomplete,
        NotTls => return NotTls,
    };
    while exts.len() >= 4 {
        let (Some(t), Some(len)) = (be(exts, 0, 2), be(exts, 2, 2)) else {
            return NotTls;
        };
        let Some(data) = exts.get(4..4 + len) else {
            return NotTls;
        };
        if t == ty {
            return Found(data);
        }
        exts = &exts[4 + len..];
    }
    NotTls
}

/// `req.ssl_sni`: the host name of the server_name extension.
pub fn sni(b: &[u8]) -> Parsed<&[u8]> {
    let data = match extension(b, 0) {
        Found(d) => d,
        Incomplete => return Incomplete,
        NotTls => return NotTls,
    };
    let Some(list) = be(data, 0, 2) else {
        return NotTls;
    };
    let Some(mut names) = data.get(2..2 + list) else {
        return NotTls;
    };
    while names.len() >= 3 {
        let (ty, len) = (names[0], be(names, 1, 2).unwrap_or(usize::MAX));
        let Some(name) = names.get(3..3usize.saturating_add(len)) else {
            return NotTls;
        };
        if ty == 0 {
            return Found(name);
        }
        names = &names[3 + len..];
    }
    NotTls
}

/// The protocols of the ALPN extension, in the client's order.
pub fn alpn(b: &[u8]) -> Parsed<Vec<&[u8]>> {
    let data = match extension(b, 16) {
        Found(d) => d,
        Incomplete => return Incomplete,
        NotTls => return NotTls,
    };
    let Some(list) = be(data, 0, 2) else {
        return NotTls;
    };
    let Some(mut rest) = data.get(2..2 + list) else {
        return NotTls;
    };
    let mut out = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        let Some(p) = tail.get(..usize::from(len)) else {
            return NotTls;
        };
        out.push(p);
        rest = &tail[usize::from(len)..];
    }
    if out.is_empty() {
        return NotTls;
    }
    Found(out)
}

#[cfg(test)]
#[path = "ssl_hello_tests.rs"]
mod tests;
