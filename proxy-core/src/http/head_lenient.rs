//! `option accept-invalid-http-request` (and `-response`, the same for a
//! server's heads, whose reason may then hold control bytes): the heads 2.6 then
//! accepts although they break the grammar: a target with `#` or bytes
//! above 0x7f, header names holding any byte but `:`, CR and LF (spaces,
//! `@`, non-ASCII, a space before the colon), header values with control
//! bytes (NUL included). Such heads are
//! read here, after the strict parser refused them; control bytes in
//! the target, an empty name and broken line endings stay errors. The
//! names go to the server as they came (lower-cased, as every name).

use super::field_count::within_count;
use super::head::{
    HeadError, HeadLimits, HeaderField, Parsed, RequestHead, ResponseHead, Span, Version,
};

/// Parses `window` (the start of the client buffer) leniently.
pub(super) fn request(
    window: &[u8],
    limits: &HeadLimits,
) -> Result<Parsed<RequestHead>, HeadError> {
    let Some((start, end, mut lines)) = head_lines(window) else {
        return Ok(Parsed::Incomplete);
    };
    let first = lines.next().ok_or(HeadError::Token)??;
    let (method, target, version, version_raw) = start_line(window, first)?;
    let mut headers = Vec::new();
    for line in lines {
        headers.push(field(window, line?)?);
    }
    within_count(window, &headers, limits)?;
    Ok(Parsed::Complete(RequestHead {
        start,
        method,
        target,
        version,
        version_raw,
        headers,
        len: end,
    }))
}

/// Where a whole head stands in `window`: its start (after empty lines,
/// skipped as the strict parser skips them), its end, and its lines;
/// `None` while the blank line has not come.
fn head_lines(window: &[u8]) -> Option<(usize, usize, Lines<'_>)> {
    let start = window
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(window.len());
    let end = find(&window[start..], b"\r\n\r\n").map(|i| start + i + 4)?;
    let lines = Lines {
        buf: window,
        at: start,
        end: end - 2,
    };
    Some((start, end, lines))
}

/// Parses a server's head in `window` leniently.
pub(super) fn response(
    window: &[u8],
    limits: &HeadLimits,
) -> Result<Parsed<ResponseHead>, HeadError> {
    let Some((start, end, mut lines)) = head_lines(window) else {
        return Ok(Parsed::Incomplete);
    };
    let first = lines.next().ok_or(HeadError::Status)??;
    let text = first.get(window);
    let version = match text.get(..8) {
        Some(b"HTTP/1.1") => Version::Http11,
        Some(b"HTTP/1.0") => Version::Http10,
        _ => return Err(HeadError::Version),
    };
    let digits = text.get(9..12).filter(|d| d.iter().all(u8::is_ascii_digit));
    let (Some(b' '), Some(digits)) = (text.get(8), digits) else {
        return Err(HeadError::Status);
    };
    let status = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let reason_at = (first.start + 13).min(first.end);
    let mut headers = Vec::new();
    for line in lines {
        headers.push(field(window, line?)?);
    }
    within_count(window, &headers, limits)?;
    Ok(Parsed::Complete(ResponseHead {
        start,
        version,
        version_raw: Span::new(start, start + 8),
        status,
        status_raw: Span::new(start + 9, start + 12),
        reason: Span::new(reason_at, first.end),
        headers,
        len: end,
    }))
}

/// The CRLF-ended lines from `at` up to `end`.
struct Lines<'b> {
    buf: &'b [u8],
    at: usize,
    end: usize,
}

impl Iterator for Lines<'_> {
    type Item = Result<Span, HeadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.end {
            return None;
        }
        let rest = &self.buf[self.at..self.end];
        let len = find(rest, b"\r\n").unwrap_or(rest.len());
        let line = Span::new(self.at, self.at + len);
        self.at += len + 2;
        // A bare CR or LF inside a line is still refused.
        let bad = line.get(self.buf).iter().any(|&b| b == b'\r' || b == b'\n');
        Some(if bad {
            Err(HeadError::NewLine)
        } else {
            Ok(line)
        })
    }
}

/// `<method> <target> HTTP/1.<d>`.
fn start_line(buf: &[u8], line: Span) -> Result<(Span, Span, Version, Span), HeadError> {
    let text = line.get(buf);
    let sp1 = text
        .iter()
        .position(|&b| b == b' ')
        .ok_or(HeadError::Token)?;
    let sp2 = text
        .iter()
        .rposition(|&b| b == b' ')
        .ok_or(HeadError::Token)?;
    let method = &text[..sp1];
    let target = &text[sp1 + 1..sp2.max(sp1 + 1)];
    let version = &text[sp2 + 1..];
    if sp2 <= sp1 || method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(HeadError::Token);
    }
    if target.is_empty() || target.iter().any(|&b| b <= 0x20 || b == 0x7f) {
        return Err(HeadError::Uri);
    }
    let version_kind = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        _ => return Err(HeadError::Version),
    };
    let at = |off: usize, len: usize| Span::new(line.start + off, line.start + off + len);
    Ok((
        at(0, sp1),
        at(sp1 + 1, target.len()),
        version_kind,
        at(sp2 + 1, version.len()),
    ))
}

/// `<name>:<value>`, the value without its surrounding blanks.
fn field(buf: &[u8], line: Span) -> Result<HeaderField, HeadError> {
    let text = line.get(buf);
    let colon = text
        .iter()
        .position(|&b| b == b':')
        .ok_or(HeadError::HeaderName)?;
    if colon == 0 || text[0] == b' ' || text[0] == b'\t' {
        return Err(HeadError::HeaderName);
    }
    let value = &text[colon + 1..];
    let lead = value
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let trail = value[lead..]
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let v_start = line.start + colon + 1 + lead;
    Ok(HeaderField {
        name: Span::new(line.start, line.start + colon),
        value: Span::new(v_start, line.end - trail),
    })
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Result<Parsed<RequestHead>, HeadError> {
        request(raw, &HeadLimits::default())
    }

    #[test]
    fn accepts_what_2_6_accepts_with_the_option() {
        let raw = b"GET /a#b\xffd HTTP/1.1\r\nHost: x\r\nFo o: 2\r\nFoo : 3\r\nB\x80r: 4\r\n\r\n";
        let Ok(Parsed::Complete(h)) = parse(raw) else {
            panic!("refused")
        };
        assert_eq!(h.target.get(raw), b"/a#b\xffd");
        let names: Vec<&[u8]> = h.headers.iter().map(|f| f.name.get(raw)).collect();
        assert_eq!(names, [&b"Host"[..], b"Fo o", b"Foo ", b"B\x80r"]);
        assert_eq!(h.headers[1].value.get(raw), b"2");
        assert_eq!(h.len, raw.len());
    }

    #[test]
    fn responses_too() {
        let raw = b"HTTP/1.1 200 O\x01K\r\nFo o: 1\r\nX: a\x00b\r\nContent-Length: 2\r\n\r\nok";
        let Ok(Parsed::Complete(h)) = response(raw, &HeadLimits::default()) else {
            panic!("refused")
        };
        assert_eq!((h.status, h.reason.get(raw)), (200, &b"O\x01K"[..]));
        assert_eq!(h.headers[0].name.get(raw), b"Fo o");
        assert_eq!(h.len, raw.len() - 2);
    }

    #[test]
    fn still_refuses_controls_and_empty_names() {
        assert!(parse(b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n").is_err());
        assert!(parse(b"GET / HTTP/1.1\r\n: 5\r\n\r\n").is_err());
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Ok(Parsed::Incomplete)
        ));
    }
}
