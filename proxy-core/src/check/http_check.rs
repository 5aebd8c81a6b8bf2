//! HTTP checks: the request HAProxy 2.6 sends (as captured from it:
//! `OPTIONS / HTTP/1.0` and nothing else by default; lower-case header
//! names; `content-length` when there is a body or the method usually
//! has one; `connection: close` only on an `HTTP/1.1` request without a
//! Connection header), the reading of the response, and `http-check
//! expect`.
//!
//! The response is parsed from the raw buffer each time it grows: at most
//! `tune.bufsize` bytes are ever read, so a huge body is judged on its
//! first 16 KiB. HAProxy's parser takes any number of status digits
//! (`HTTP/1.1 1000 X` passes as code 1000) and reports interim responses
//! as the result (`100 Continue` fails `status 200-399`).

use super::conn::BUFSIZE;
use super::expect::failure;
use super::tcpcheck::{status_of, Eval, Run};
use super::{CheckOutcome, CheckStatus};
use crate::config::model_check::{
    Expect, ExpectKind, HeaderMatch, HttpSend, Pattern, TextOrFormat,
};

fn text(run: &Run<'_>, t: &TextOrFormat) -> Vec<u8> {
    match t {
        TextOrFormat::Text(s) => s.as_bytes().to_vec(),
        TextOrFormat::Format(f) => f.render(&run.view()),
    }
}

/// HAProxy's test for "1.1 or above" on the configured version string.
fn is_11(v: &[u8]) -> bool {
    (v.len() == 6 && v[5] == b'2')
        || (v.len() == 8 && (v[5] > b'1' || (v[5] == b'1' && v[7] >= b'1')))
}

/// The request of an `http-check send` rule (or `option httpchk`).
pub(super) fn request(run: &mut Run<'_>, i: usize, h: &HttpSend) -> Result<Vec<u8>, CheckOutcome> {
    let method = h.method.clone().unwrap_or_else(|| "OPTIONS".into());
    let mut uri = h.uri.as_ref().map(|u| text(run, u)).unwrap_or_default();
    if uri.is_empty() {
        uri = b"/".to_vec();
    }
    let ver = h.version.clone().unwrap_or_else(|| "HTTP/1.0".into());
    let line_ver = if is_11(ver.as_bytes()) {
        "HTTP/1.1"
    } else {
        ver.as_str()
    };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(&uri);
    out.push(b' ');
    out.extend_from_slice(line_ver.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut user_conn = false;
    for (name, fmt) in &h.headers {
        let v = fmt.render(&run.view());
        if v.is_empty() {
            continue;
        }
        if name.eq_ignore_ascii_case("connection") {
            user_conn = true;
            // The HTTP/1 layer drops what is the version's default.
            let t = String::from_utf8_lossy(&v).trim().to_ascii_lowercase();
            if (t == "keep-alive" && line_ver == "HTTP/1.1")
                || (t == "close" && line_ver != "HTTP/1.1")
            {
                continue;
            }
        }
        out.extend_from_slice(name.to_ascii_lowercase().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(&v);
        out.extend_from_slice(b"\r\n");
    }
    let body = h.body.as_ref().map(|b| text(run, b)).unwrap_or_default();
    let bodyless = matches!(method.as_str(), "OPTIONS" | "GET" | "HEAD" | "DELETE");
    if !bodyless || !body.is_empty() {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    if !user_conn && ver == "HTTP/1.1" {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    if out.len() > BUFSIZE {
        let msg = format!(
            "tcp-check send : failed to build HTTP request at step {}",
            run.step_of(i)
        );
        return Err(run.outcome(CheckStatus::L7Rsp, msg));
    }
    run.last_method = Some(method);
    Ok(out)
}

/// A response as far as it was read.
pub(super) enum Parsed<'b> {
    Invalid,
    Incomplete,
    Response(Response<'b>),
}

pub(super) struct Response<'b> {
    pub code: u32,
    pub reason: &'b [u8],
    pub headers: Vec<(&'b [u8], &'b [u8])>,
    /// The body bytes read so far, de-chunked.
    pub body: Vec<u8>,
    /// The whole message is in (HAProxy's end-of-message).
    pub complete: bool,
}

fn line(b: &[u8]) -> Option<(&[u8], usize)> {
    let n = b.iter().position(|&c| c == b'\n')?;
    let l = &b[..n];
    Some((l.strip_suffix(b"\r").unwrap_or(l), n + 1))
}

/// Parses the response in `buf`; `head` means the request was a HEAD
/// (no body), `eos` that nothing more will come.
pub(super) fn parse(buf: &[u8], head: bool, eos: bool) -> Parsed<'_> {
    let mut at = 0;
    while buf[at..].starts_with(b"\r\n") || buf[at..].starts_with(b"\n") {
        at += if buf[at] == b'\r' { 2 } else { 1 };
    }
    let Some((sl, used)) = line(&buf[at..]) else {
        // HAProxy's parser refuses a bad version as soon as it sees it.
        let shape = b"HTTP/#.# ";
        let bad = buf[at..].iter().zip(shape).any(|(&c, &s)| match s {
            b'#' => !c.is_ascii_digit(),
            _ => c != s,
        });
        return if bad {
            Parsed::Invalid
        } else {
            Parsed::Incomplete
        };
    };
    let v = sl.get(..9).unwrap_or(b"");
    let shape = v.len() == 9
        && v.starts_with(b"HTTP/")
        && v[5].is_ascii_digit()
        && v[6] == b'.'
        && v[7].is_ascii_digit()
        && v[8] == b' ';
    let digits = sl[9.min(sl.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let after = &sl[(9 + digits).min(sl.len())..];
    if !shape || digits == 0 || !(after.is_empty() || after[0] == b' ') {
        return Parsed::Invalid;
    }
    let code = sl[9..9 + digits].iter().fold(0u32, |a, d| {
        a.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    });
    let reason = after.get(1..).unwrap_or(b"");
    at += used;
    let mut slots = [httparse::EMPTY_HEADER; 101];
    let (hlen, hdrs) = match httparse::parse_headers(&buf[at..], &mut slots) {
        Ok(httparse::Status::Complete((n, h))) => (n, h),
        Ok(httparse::Status::Partial) => return Parsed::Incomplete,
        Err(_) => return Parsed::Invalid,
    };
    let headers: Vec<(&[u8], &[u8])> = hdrs.iter().map(|h| (h.name.as_bytes(), h.value)).collect();
    let raw = &buf[at + hlen..];
    let find = |n: &'static str| {
        headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(n.as_bytes()))
    };
    let (body, complete) = if head || code < 200 || code == 204 || code == 304 {
        (Vec::new(), true)
    } else if find("transfer-encoding").any(|(_, v)| {
        String::from_utf8_lossy(v)
            .to_ascii_lowercase()
            .contains("chunked")
    }) {
        match dechunk(raw) {
            Some(r) => r,
            None => return Parsed::Invalid,
        }
    } else if let Some((_, v)) = find("content-length").next() {
        let Some(len) = std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
        else {
            return Parsed::Invalid;
        };
        (raw[..raw.len().min(len)].to_vec(), raw.len() >= len)
    } else {
        (raw.to_vec(), eos)
    };
    Parsed::Response(Response {
        code,
        reason,
        headers,
        body,
        complete,
    })
}

/// The data of a chunked body read so far and whether its last chunk
/// came; `None` when it is malformed.
fn dechunk(mut b: &[u8]) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    loop {
        let Some((l, used)) = line(b) else {
            return Some((out, false));
        };
        let hex = l.split(|&c| c == b';').next().unwrap_or(b"");
        let hex = std::str::from_utf8(hex).ok()?.trim();
        let size = usize::from_str_radix(hex, 16).ok()?;
        if size == 0 {
            return Some((out, true));
        }
        b = &b[used..];
        let take = size.min(b.len());
        out.extend_from_slice(&b[..take]);
        if b.len() < size + 2 {
            return Some((out, false));
        }
        if !b[size..].starts_with(b"\r\n") && !b[size..].starts_with(b"\n") {
            return None;
        }
        b = &b[size + if b[size] == b'\r' { 2 } else { 1 }..];
    }
}

fn pat_match(run: &Run<'_>, p: &Pattern, v: &[u8], icase: bool) -> bool {
    let eq = |a: &[u8], b: &[u8]| {
        if icase {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let t = |t: &TextOrFormat| text(run, t);
    match p {
        Pattern::Str(x) => eq(v, &t(x)),
        Pattern::Beg(x) => {
            let x = t(x);
            v.len() >= x.len() && eq(&v[..x.len()], &x)
        }
        Pattern::End(x) => {
            let x = t(x);
            v.len() >= x.len() && eq(&v[v.len() - x.len()..], &x)
        }
        Pattern::Sub(x) => {
            let x = t(x);
            x.is_empty() || v.windows(x.len()).any(|w| eq(w, &x))
        }
        Pattern::Reg(re) => re.is_match(v),
    }
}

/// `hdr`/`fhdr`: a header whose name matches, and (if asked) one of its
/// values (comma-separated unless `fhdr`).
fn header_matches(run: &Run<'_>, r: &Response<'_>, m: &HeaderMatch) -> bool {
    r.headers
        .iter()
        .filter(|(n, _)| pat_match(run, &m.name, n, true))
        .any(|(_, v)| {
            let Some(vp) = &m.value else { return true };
            let trim =
                |s: &[u8]| -> Vec<u8> { String::from_utf8_lossy(s).trim().as_bytes().to_vec() };
            if m.full {
                pat_match(run, vp, &trim(v), false)
            } else {
                v.split(|&c| c == b',')
                    .any(|p| pat_match(run, vp, &trim(p), false))
            }
        })
}

/// Evaluates an `http-check expect` rule (`tcpcheck_eval_expect_http`).
pub(super) fn eval(run: &mut Run<'_>, i: usize, e: &Expect, last_read: bool) -> Eval {
    let head = run.last_method.as_deref() == Some("HEAD");
    let buf = std::mem::take(&mut run.buf);
    let r = eval_on(run, i, e, last_read || buf.len() >= BUFSIZE, &buf, head);
    run.buf = buf;
    r
}

fn eval_on(
    run: &mut Run<'_>,
    i: usize,
    e: &Expect,
    last_read: bool,
    buf: &[u8],
    head: bool,
) -> Eval {
    let stop = |run: &Run<'_>, st: CheckStatus, desc: &[u8]| {
        Eval::Stop(failure(
            run,
            i,
            e,
            st,
            false,
            &String::from_utf8_lossy(desc),
        ))
    };
    let r = match parse(buf, head, run.eos) {
        Parsed::Invalid => return stop(run, CheckStatus::L7Rsp, b""),
        Parsed::Incomplete if last_read || buf.is_empty() && run.eos => {
            return stop(run, CheckStatus::L7Rsp, b"")
        }
        Parsed::Incomplete => return Eval::Wait,
        Parsed::Response(r) => r,
    };
    let last_read = last_read || r.complete;
    run.code = i32::try_from(r.code).unwrap_or(i32::MAX);
    if run.disable_on_404 && !run.t.server_stopped && r.code == 404 {
        return Eval::Continue;
    }
    let err_or = |d: CheckStatus| e.error_status.map_or(d, status_of);
    let reason = if e.on_error.is_some() {
        &b""[..]
    } else {
        r.reason
    };
    let (matched, status, desc): (bool, CheckStatus, Vec<u8>) = match &e.kind {
        ExpectKind::HttpStatus(ranges) => {
            let m = ranges.iter().any(|&(a, b)| (a..=b).contains(&r.code));
            (m, err_or(CheckStatus::L7Sts), reason.to_vec())
        }
        ExpectKind::HttpStatusRegex(re) => (
            re.is_match(r.code.to_string().as_bytes()),
            err_or(CheckStatus::L7Sts),
            reason.to_vec(),
        ),
        ExpectKind::HttpHeader(m) => (
            header_matches(run, &r, m),
            err_or(CheckStatus::L7Sts),
            reason.to_vec(),
        ),
        ExpectKind::HttpBody(_) | ExpectKind::HttpBodyRegex(_) | ExpectKind::HttpBodyFormat(_) => {
            if r.body.is_empty() {
                if !last_read {
                    return Eval::Wait;
                }
                let d: &[u8] = if e.on_error.is_some() {
                    b""
                } else {
                    b"HTTP content check could not find a response body"
                };
                return stop(run, err_or(CheckStatus::L7Rsp), d);
            }
            let pat = match &e.kind {
                ExpectKind::HttpBody(p) => Some(p.clone()),
                ExpectKind::HttpBodyFormat(f) => {
                    let p = f.render(&run.view());
                    if p.is_empty() {
                        return stop(
                            run,
                            CheckStatus::L7Rsp,
                            b"log-format string evaluated to an empty string",
                        );
                    }
                    Some(p)
                }
                _ => None,
            };
            let short = pat.as_ref().is_some_and(|p| r.body.len() < p.len());
            if !last_read && (short || (e.min_recv > 0 && (r.body.len() as i64) < e.min_recv)) {
                return Eval::Wait;
            }
            let m = match (&e.kind, &pat) {
                (ExpectKind::HttpBodyRegex(re), _) => re.is_match(&r.body),
                (_, Some(p)) => p.is_empty() || r.body.windows(p.len()).any(|w| w == &p[..]),
                _ => false,
            };
            if !m && !last_read && e.min_recv == -1 {
                return Eval::Wait;
            }
            let d: &[u8] = match (e.on_error.is_some(), e.inverse) {
                (true, _) => b"",
                (false, true) => b"HTTP check matched unwanted content",
                (false, false) => b"HTTP content check did not match",
            };
            (m, err_or(CheckStatus::L7Rsp), d.to_vec())
        }
        _ => return stop(run, err_or(CheckStatus::L7Rsp), b""),
    };
    if matched != e.inverse {
        return Eval::Continue;
    }
    stop(run, status, &desc)
}
