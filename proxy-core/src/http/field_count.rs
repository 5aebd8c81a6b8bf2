//! How many header fields a head may have (`tune.http.maxhdr`), counted
//! as 2.6 counts them: at most `maxhdr - 1` fields, not counting a
//! `Connection` header made only of `close`/`keep-alive` tokens (2.6's
//! parser consumes it rather than storing it). The parser gets a few
//! extra slots so that such headers do not use up the budget.

use httparse::Header;

use super::head::{HeadError, HeadLimits};

/// Slots beyond the limit, for `Connection` headers the count skips.
const CONNECTION_SLACK: usize = 8;

/// The header slots to give the parser.
pub(super) fn field_slots(limits: &HeadLimits) -> usize {
    limits.max_hdr.saturating_sub(1) + CONNECTION_SLACK
}

/// `headers` if they fit the limit, else [`HeadError::TooManyHeaders`].
pub(super) fn within_limit<'h, 'b>(
    headers: &'h [Header<'b>],
    limits: &HeadLimits,
) -> Result<&'h [Header<'b>], HeadError> {
    let counted = headers.iter().filter(|h| !consumed_connection(h)).count();
    if counted > limits.max_hdr.saturating_sub(1) {
        return Err(HeadError::TooManyHeaders);
    }
    Ok(headers)
}

/// A `Connection` header whose every token is `close` or `keep-alive`.
fn consumed_connection(h: &Header<'_>) -> bool {
    h.name.eq_ignore_ascii_case("connection")
        && h.value.split(|&b| b == b',').all(|t| {
            let t = t.trim_ascii();
            t.is_empty()
                || t.eq_ignore_ascii_case(b"close")
                || t.eq_ignore_ascii_case(b"keep-alive")
        })
}

/// [`within_limit`] for fields already as spans of `buf`.
pub(super) fn within_count(
    buf: &[u8],
    fields: &[super::head::HeaderField],
    limits: &HeadLimits,
) -> Result<(), HeadError> {
    let as_headers: Vec<Header<'_>> = fields
        .iter()
        .map(|f| Header {
            name: std::str::from_utf8(f.name.get(buf)).unwrap_or("?"),
            value: f.value.get(buf),
        })
        .collect();
    within_limit(&as_headers, limits).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_hdr: usize) -> HeadLimits {
        HeadLimits {
            max_hdr,
            ..HeadLimits::default()
        }
    }

    fn h<'a>(name: &'a str, value: &'a [u8]) -> Header<'a> {
        Header { name, value }
    }

    #[test]
    fn connection_close_is_not_counted() {
        let l = limits(3);
        let two = [h("A", b"1"), h("B", b"2")];
        assert!(within_limit(&two, &l).is_ok());
        let three = [h("A", b"1"), h("B", b"2"), h("C", b"3")];
        assert!(within_limit(&three, &l).is_err());
        let with_conn = [h("A", b"1"), h("Connection", b"close"), h("B", b"2")];
        assert!(within_limit(&with_conn, &l).is_ok());
        let upgrade = [
            h("A", b"1"),
            h("connection", b"keep-alive, Upgrade"),
            h("B", b"2"),
        ];
        assert!(within_limit(&upgrade, &l).is_err());
    }
}
