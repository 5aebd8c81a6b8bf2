//! The byte work of cookie persistence, free of I/O: reading the
//! request's `Cookie` headers (which server, expired dates, captures,
//! removing or unprefixing the persistence cookie) and the response's
//! `Set-Cookie` headers (deleted, rewritten or prefixed), as HAProxy
//! 2.6's `http_manage_client_side_cookies` and
//! `http_manage_server_side_cookies` do, quirks included: spaces around
//! `=` are removed from every cookie of a processed header, `$`
//! attributes follow the cookie they belong to, and a header left empty
//! is removed.

use crate::config::model_cookie::{CookieCapture, CookieConfig};
use crate::log::termination::{CookieState, SetCookieState};

fn sp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The end of a cookie value from `from`: the first `,` or `;` outside
/// double quotes.
fn value_end(h: &[u8], from: usize) -> usize {
    let (mut quoted, mut pair) = (false, false);
    for (i, &b) in h.iter().enumerate().skip(from) {
        if pair {
            pair = false;
        } else if quoted {
            match b {
                b'\\' => pair = true,
                b'"' => quoted = false,
                _ => {}
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == b',' || b == b';' {
            return i;
        }
    }
    h.len()
}

/// Removes the value between the delimiters at `from` and `next`, keeping
/// the list well formed; returns the new `from` and how much the bytes
/// after `next` moved (negative).
fn del_value(h: &mut Vec<u8>, from: usize, next: usize) -> (usize, isize) {
    let end = h.len();
    let (mut prev, mut next) = (from, next);
    let mut new_from = from;
    if prev == 0 {
        if next < end {
            next += 1;
        }
        while next < end && sp(h[next]) {
            next += 1;
        }
    } else {
        while prev > 0 && sp(h[prev - 1]) {
            prev -= 1;
        }
        new_from = prev;
        if next < end {
            h[prev] = h[next];
            prev += 1;
            next += 1;
            if prev + 1 < next {
                h[prev] = b' ';
                prev += 1;
            }
            while next < end && sp(h[next]) {
                next += 1;
            }
        }
    }
    h.drain(prev..next);
    (new_from, prev as isize - next as isize)
}

fn shift(i: usize, delta: isize) -> usize {
    i.saturating_add_signed(delta)
}

/// The 30-bit number of a 5-character base64 date, `None` when a
/// character is outside the alphabet.
pub fn b64_to_s30(s: &[u8]) -> Option<u32> {
    let mut out: u32 = 0;
    for &c in s.get(..5)? {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        out = (out << 6) + u32::from(v);
    }
    Some(out)
}

/// The 5 base64 characters of a 30-bit number (dates in cookies).
pub fn s30_to_b64(v: u32, out: &mut Vec<u8>) {
    const TAB: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for i in 0..5 {
        out.push(TAB[((v >> (24 - 6 * i)) & 0x3f) as usize]);
    }
}

/// A server as the request scan sees it.
pub struct SrvCookie<'a> {
    pub cookie: Option<&'a [u8]>,
    /// Not DOWN (HAProxy's `cur_state != SRV_ST_STOPPED`).
    pub up: bool,
}

/// What the request scan needs to know.
pub struct ReqScan<'a> {
    pub cookie: Option<&'a CookieConfig>,
    pub capture: Option<&'a CookieCapture>,
    pub servers: &'a [SrvCookie<'a>],
    /// `option persist` or a `force-persist` rule: a DOWN server is used.
    pub persist_down: bool,
    /// An `ignore-persist` rule matched.
    pub ignore: bool,
    /// A server is already assigned to the stream.
    pub assigned: bool,
    /// The current date, in seconds since the epoch.
    pub now: i64,
}

/// What the request scan found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReqFound {
    pub state: CookieState,
    /// The server the cookie sends the stream to.
    pub server: Option<usize>,
    pub last_date: i64,
    pub first_date: i64,
    /// `capture cookie`: the first matching `name=value`, truncated.
    pub capture: Option<Vec<u8>>,
}

/// Scans the values of the request's `Cookie` headers in order, changing
/// them as the cookie mode wants. Returns whether any changed; a value
/// left empty means its header goes.
pub fn scan_request(scan: &ReqScan<'_>, headers: &mut [Vec<u8>]) -> (ReqFound, bool) {
    let mut found = ReqFound::default();
    let mut assigned = scan.assigned;
    let mut changed = false;
    for h in headers.iter_mut() {
        let before = h.len();
        let was = h.clone();
        scan_cookie_header(scan, h, &mut found, &mut assigned);
        changed |= h.len() != before || *h != was;
    }
    (found, changed)
}

/// Positions of one cookie in a header value.
struct Cookie {
    att_beg: usize,
    att_end: usize,
    equal: usize,
    val_beg: usize,
    val_end: usize,
    next: usize,
}

/// Finds the cookie starting after the delimiter at `prev` (at `prev`
/// for the first one). `comma` says whether `,` also ends a name.
fn locate(h: &[u8], prev: usize, first: bool, comma: bool) -> Cookie {
    let mut att_beg = prev + usize::from(!first);
    while att_beg < h.len() && sp(h[att_beg]) {
        att_beg += 1;
    }
    let (mut equal, mut att_end) = (att_beg, att_beg);
    while equal < h.len() {
        let c = h[equal];
        if c == b'=' || c == b';' || (comma && c == b',') {
            break;
        }
        equal += 1;
        if !sp(c) {
            att_end = equal;
        }
    }
    if equal < h.len() && h[equal] == b'=' {
        let mut val_beg = equal + 1;
        while val_beg < h.len() && sp(h[val_beg]) {
            val_beg += 1;
        }
        let next = value_end(h, val_beg);
        let mut val_end = next;
        while val_end > val_beg && sp(h[val_end - 1]) {
            val_end -= 1;
        }
        Cookie {
            att_beg,
            att_end,
            equal,
            val_beg,
            val_end,
            next,
        }
    } else {
        Cookie {
            att_beg,
            att_end,
            equal,
            val_beg: equal,
            val_end: equal,
            next: equal,
        }
    }
}

/// Removes the spaces around `=` (HAProxy does, for captures and
/// rewrites).
fn strip_equal(h: &mut Vec<u8>, c: &mut Cookie) {
    if c.att_end != c.equal {
        let n = c.equal - c.att_end;
        h.drain(c.att_end..c.equal);
        c.equal -= n;
        c.val_beg -= n;
        c.val_end -= n;
        c.next -= n;
    }
    if c.val_beg > c.equal + 1 {
        let n = c.val_beg - (c.equal + 1);
        h.drain(c.equal + 1..c.val_beg);
        c.val_beg -= n;
        c.val_end -= n;
        c.next -= n;
    }
}

fn capture(cap: Option<&CookieCapture>, h: &[u8], c: &Cookie, slot: &mut Option<Vec<u8>>) {
    let Some(cap) = cap else { return };
    let name = cap.name.as_bytes();
    if slot.is_none() && c.val_end - c.att_beg >= name.len() && h[c.att_beg..].starts_with(name) {
        let v = &h[c.att_beg..c.val_end];
        *slot = Some(v[..v.len().min(cap.len)].to_vec());
    }
}

fn scan_cookie_header(
    scan: &ReqScan<'_>,
    h: &mut Vec<u8>,
    found: &mut ReqFound,
    assigned: &mut bool,
) {
    let mut prev = 0;
    let mut first = true;
    let mut del_from: Option<usize> = None;
    let mut preserve = false;
    while prev < h.len() {
        let mut c = locate(h, prev, first, true);
        first = false;
        if c.att_beg < h.len() && h[c.att_beg] == b'$' {
            prev = c.next;
            continue;
        }
        let ours = scan
            .cookie
            .filter(|ck| c.equal != c.next && &h[c.att_beg..c.att_end] == ck.name.as_bytes());
        let Some(ck) = ours else {
            // Not our cookie: it stays, and a cookie marked for removal
            // before it goes alone.
            preserve = true;
            if c.equal != c.next {
                strip_equal(h, &mut c);
                capture(scan.capture, h, &c, &mut found.capture);
            }
            if let Some(d) = del_from.take() {
                let (_, delta) = del_value(h, d, prev);
                c.next = shift(c.next, delta);
            }
            prev = c.next;
            continue;
        };
        strip_equal(h, &mut c);
        capture(scan.capture, h, &c, &mut found.capture);
        let delim = persistence_cookie(scan, ck, h, &c, found, assigned);
        if ck.prefix && delim != c.val_end {
            let n = delim + 1 - c.val_beg;
            h.drain(c.val_beg..delim + 1);
            c.next -= n;
            del_from = None;
            preserve = true;
        } else if del_from.is_none() && ck.insert && ck.indirect {
            del_from = Some(prev);
        }
        prev = c.next;
    }
    if let Some(d) = del_from {
        h.truncate(if preserve { d } else { 0 });
    }
}

/// Our cookie at `c`: its dates, its expiry, its server. Returns where
/// the server's part of the value ends.
fn persistence_cookie(
    scan: &ReqScan<'_>,
    ck: &CookieConfig,
    h: &[u8],
    c: &Cookie,
    found: &mut ReqFound,
    assigned: &mut bool,
) -> usize {
    let val = &h[c.val_beg..c.val_end];
    let mut delim = if ck.prefix {
        c.val_beg + val.iter().position(|&b| b == b'~').unwrap_or(val.len())
    } else {
        c.val_end
    };
    if !ck.prefix {
        if let Some(bar) = val.iter().position(|&b| b == b'|') {
            delim = c.val_beg + bar;
            let rest = &val[bar + 1..];
            if rest.len() >= 5 {
                if let Some(v) = b64_to_s30(rest).filter(|&v| v > 0) {
                    found.last_date = i64::from(v) << 2;
                }
            }
            if let Some(bar2) = rest.iter().position(|&b| b == b'|') {
                let tail = &rest[bar2..];
                if tail.len() > 5 {
                    if let Some(v) = b64_to_s30(&tail[1..]).filter(|&v| v > 0) {
                        found.first_date = i64::from(v) << 2;
                    }
                }
            }
        }
    }
    let now = scan.now;
    let too_far = |d: i64, max: u32| now - d > i64::from(max) || d - now > 86_400;
    if found.first_date != 0 && ck.maxlife != 0 && too_far(found.first_date, ck.maxlife) {
        found.state = CookieState::Old;
        delim = c.val_beg;
        (found.first_date, found.last_date) = (0, 0);
    } else if found.last_date != 0 && ck.maxidle != 0 && too_far(found.last_date, ck.maxidle) {
        found.state = CookieState::Expired;
        delim = c.val_beg;
        (found.first_date, found.last_date) = (0, 0);
    }
    let skip = delim == c.val_beg || scan.ignore || *assigned;
    let name = &h[c.val_beg..delim];
    let mut chosen = None;
    for (i, srv) in scan.servers.iter().enumerate().filter(|_| !skip) {
        if srv.cookie != Some(name) {
            continue;
        }
        if srv.up || scan.persist_down {
            found.state = if srv.up {
                CookieState::Valid
            } else {
                CookieState::Down
            };
            *assigned = true;
            found.server = Some(i);
            chosen = Some(i);
            break;
        }
        found.state = CookieState::Down;
    }
    // HAProxy tests the state with a mask that any state but "none" hits.
    if chosen.is_none() && found.state == CookieState::None {
        found.state = if scan.ignore || *assigned {
            CookieState::Unused
        } else {
            CookieState::Invalid
        };
    }
    delim
}

/// What the response scan needs to know.
pub struct ResScan<'a> {
    pub cookie: Option<&'a CookieConfig>,
    pub capture: Option<&'a CookieCapture>,
    /// `Some` when a server answers: its cookie value, if any.
    pub server: Option<Option<&'a [u8]>>,
    /// The server was chosen by the cookie (`SF_DIRECT`).
    pub direct: bool,
    pub ignore: bool,
}

/// What the response scan found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ResFound {
    pub state: SetCookieState,
    /// `capture cookie`: the first matching `name=value`, truncated.
    pub capture: Option<Vec<u8>>,
}

/// Scans the values of the response's `Set-Cookie` headers in order. A
/// value set to `None` means its header goes. Returns whether any
/// changed.
pub fn scan_response(scan: &ResScan<'_>, headers: &mut [Option<Vec<u8>>]) -> (ResFound, bool) {
    let mut found = ResFound::default();
    let mut changed = false;
    if scan.cookie.is_none() && scan.capture.is_none() {
        return (found, false);
    }
    for slot in headers.iter_mut() {
        let Some(h) = slot.as_mut() else { continue };
        // Set-Cookie takes one cookie per header: its attributes follow.
        let mut c = locate(h, 0, true, false);
        if c.equal == c.val_end {
            continue;
        }
        if c.att_end != c.equal || c.val_beg > c.equal + 1 {
            strip_equal(h, &mut c);
            changed = true;
        }
        capture(scan.capture, h, &c, &mut found.capture);
        let Some(ck) = scan.cookie else { continue };
        if scan.ignore || &h[c.att_beg..c.att_end] != ck.name.as_bytes() {
            continue;
        }
        found.state = SetCookieState::Passive;
        let srv = scan.server;
        if ck.preserve {
            continue;
        }
        if (srv.is_some() && ck.insert) || (scan.direct && ck.indirect) {
            *slot = None;
            found.state = SetCookieState::Deleted;
            changed = true;
        } else if let Some(Some(v)) = srv.filter(|_| ck.rewrite) {
            h.splice(c.val_beg..c.val_end, v.iter().copied());
            found.state = SetCookieState::Rewritten;
            changed = true;
        } else if let Some(Some(v)) = srv.filter(|_| ck.prefix) {
            let mut p = v.to_vec();
            p.push(b'~');
            h.splice(c.val_beg..c.val_beg, p);
            found.state = SetCookieState::Rewritten;
            changed = true;
        }
    }
    (found, changed)
}

#[cfg(test)]
#[path = "cookie_scan_tests.rs"]
mod tests;
