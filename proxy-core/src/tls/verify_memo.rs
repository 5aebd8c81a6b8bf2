//! What a handshake's client certificate verification left, for the
//! `ssl_c_verify`/`ssl_c_err` fetches: the verifier is shared by every
//! handshake of a bind and cannot tell its connection, so the errors it
//! lets through (`crt-ignore-err`, `ca-ignore-err`) are noted by the
//! SHA-1 of the leaf they were found on, and the handshake that met them
//! takes theirs back once done.
//!
//! A resumed session verifies nothing (`ssl_c_err` is 0), yet OpenSSL
//! keeps the result of its first handshake in the session and HAProxy
//! 2.6 reports it again in `ssl_c_verify` (checked with the binary): the
//! result of the last full handshake of each leaf is remembered for that.
//!
//! Both lists are bounded (a handshake that failed after its
//! verification leaves an entry to be pushed out; a session whose leaf
//! was pushed out reports 0).

use std::sync::Mutex;

use super::verify::VerifyErr;

type Memo = Mutex<Vec<([u8; 20], VerifyErr)>>;

/// Errors let through, waiting for their handshake to end.
static PENDING: Memo = Mutex::new(Vec::new());
/// The result of the last full handshake of each leaf that had errors.
static SESSIONS: Memo = Mutex::new(Vec::new());

/// How many entries each list keeps at most.
const MAX: usize = 256;

fn key(der: &[u8]) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    Sha1::digest(der).into()
}

fn lock(m: &Memo) -> std::sync::MutexGuard<'_, Vec<([u8; 20], VerifyErr)>> {
    // A poisoned list is still a list of plain values.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn push(l: &mut Vec<([u8; 20], VerifyErr)>, k: [u8; 20], v: VerifyErr) {
    if l.len() >= MAX {
        l.remove(0);
    }
    l.push((k, v));
}

/// The verifier let `code` through for a chain whose leaf is `leaf`.
pub(super) fn note_let_through(leaf: &[u8], code: VerifyErr) {
    push(&mut lock(&PENDING), key(leaf), code);
}

/// The verification errors of a handshake that completed with `leaf` as
/// the client's certificate: those met now (zeros: verified), or for a
/// `resumed` session none met now but the result of its leaf's last
/// full handshake.
pub fn handshake_errors(leaf: &[u8], resumed: bool) -> VerifyErr {
    let k = key(leaf);
    let find = |l: &Vec<([u8; 20], VerifyErr)>| l.iter().rposition(|(x, _)| *x == k);
    if resumed {
        // No error was met now (`ssl_c_err`), the session's result stays.
        let l = lock(&SESSIONS);
        let last = find(&l).map_or(0, |i| l[i].1.last);
        return VerifyErr { first: 0, last };
    }
    let now = {
        let mut l = lock(&PENDING);
        find(&l).map_or_else(VerifyErr::default, |i| l.remove(i).1)
    };
    let mut l = lock(&SESSIONS);
    if let Some(i) = find(&l) {
        l.remove(i);
    }
    if now != VerifyErr::default() {
        push(&mut l, k, now);
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumed_sessions_report_their_first_handshake() {
        let leaf = b"a leaf of this test only";
        let e = VerifyErr {
            first: 20,
            last: 21,
        };
        note_let_through(leaf, e);
        assert_eq!(handshake_errors(leaf, false), e);
        assert_eq!(
            handshake_errors(leaf, true),
            VerifyErr { first: 0, last: 21 }
        );
        // Verified this time: its sessions have nothing to report.
        assert_eq!(handshake_errors(leaf, false), VerifyErr::default());
        assert_eq!(handshake_errors(leaf, true), VerifyErr::default());
    }
}
