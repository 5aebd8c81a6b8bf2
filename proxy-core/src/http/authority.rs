//! `Host` header and request-target authority checks, as HAProxy 2.6's H1
//! parser applies them in its default (strict) mode (`src/h1.c`, the
//! `host` branch of `h1_headers_to_hdr_list`, `h1_validate_connect_authority`
//! and `h1_validate_mismatch_authority`; `src/http.c` `http_parse_scheme`,
//! `http_parse_authority`, `http_get_host_port`, `http_is_default_port`):
//!
//! - several `Host` fields must carry the same value (case-insensitive);
//!   the repeated ones are dropped when forwarding, different ones are a 400;
//! - `CONNECT` needs an authority-form target `host:port` with a port; a
//!   `Host` field, if any, must name the same host and port (a missing port
//!   in `Host` stands for 80 or 443);
//! - any other method with an absolute-form target (`scheme://authority/...`)
//!   must have a `Host` equal to the authority (userinfo removed), default
//!   ports (80 for http, 443 for https, or an empty port) being equivalent
//!   to no port.
//!
//! A `CONNECT` target with a scheme is refused too (HAProxy does so since
//! 2024, "Reject CONNECT request if the target has a scheme").

use super::framing::FramingError;
use super::head::RequestHead;
use super::tokens::eq_ignore_case;

/// Checks the `Host` fields against each other and against the target.
/// Returns the indices of repeated `Host` fields that must not be
/// forwarded.
pub fn check_host(
    buf: &[u8],
    head: &RequestHead,
    is_connect: bool,
) -> Result<Vec<usize>, FramingError> {
    let mut host: Option<&[u8]> = None;
    let mut skip = Vec::new();
    for (i, value) in head.values(buf, b"host") {
        match host {
            None => host = Some(value),
            Some(first) if eq_ignore_case(first, value) => skip.push(i),
            Some(_) => return Err(FramingError::Host),
        }
    }
    let target = head.target(buf);
    if is_connect {
        check_connect(target, host)?;
    } else if let (Some(host), Some((scheme, authority))) = (host, absolute_authority(target)) {
        if !authority.is_empty()
            && !eq_ignore_case(authority, host)
            && !equivalent_with_default_port(scheme, authority, host)
        {
            return Err(FramingError::Host);
        }
    }
    Ok(skip)
}

/// `(scheme with "://" or empty, authority without userinfo)` of an
/// absolute-form target; `None` for origin-form (`/...`) and `*`.
fn absolute_authority(target: &[u8]) -> Option<(&[u8], &[u8])> {
    match target.first() {
        None | Some(b'/') | Some(b'*') => return None,
        _ => {}
    }
    let scheme_len = scheme_len(target);
    let rest = &target[scheme_len..];
    let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    Some((&target[..scheme_len], authority))
}

/// Length of a leading `scheme://` (RFC 3986 §3.1), or 0.
fn scheme_len(target: &[u8]) -> usize {
    match target.first() {
        Some(b) if b.is_ascii_alphabetic() => {}
        _ => return 0,
    }
    let name = target[1..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count()
        + 1;
    if target[name..].starts_with(b"://") {
        name + 3
    } else {
        0
    }
}

/// Splits `host[:port]`: the port is the run of digits after the last
/// colon (possibly empty); `None` when there is no such colon (an IPv6
/// literal without a port ends in `]`).
fn split_port(value: &[u8]) -> (&[u8], Option<&[u8]>) {
    let digits = value
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let colon = value.len() - digits;
    if colon > 0 && value[colon - 1] == b':' {
        (&value[..colon - 1], Some(&value[colon..]))
    } else {
        (value, None)
    }
}

fn is_default_port(scheme: &[u8], port: &[u8]) -> bool {
    if port.is_empty() {
        return true;
    }
    if scheme.is_empty() {
        return port == b"80" || port == b"443";
    }
    (port == b"443" && eq_ignore_case(scheme, b"https://"))
        || (port == b"80" && eq_ignore_case(scheme, b"http://"))
}

/// `example.com` vs `example.com:80` and the like, for an absolute-form
/// target whose authority is not byte-equal to `Host`.
fn equivalent_with_default_port(scheme: &[u8], authority: &[u8], host: &[u8]) -> bool {
    if scheme.is_empty() {
        return false;
    }
    let (uri_host, uri_port) = split_port(authority);
    let (host_name, host_port) = split_port(host);
    match (uri_port, host_port) {
        (None, None) => false,
        (Some(p), _) if !is_default_port(scheme, p) => false,
        (_, Some(p)) if !is_default_port(scheme, p) => false,
        _ => eq_ignore_case(uri_host, host_name),
    }
}

fn check_connect(target: &[u8], host: Option<&[u8]>) -> Result<(), FramingError> {
    match target.first() {
        None | Some(b'/') | Some(b'*') => return Err(FramingError::Authority),
        _ => {}
    }
    if scheme_len(target) != 0 {
        return Err(FramingError::Authority);
    }
    let (uri_host, uri_port) = split_port(target);
    let uri_port = match uri_port {
        Some(p) if !p.is_empty() && !uri_host.is_empty() => p,
        _ => return Err(FramingError::Authority),
    };
    let Some(host) = host else {
        return Ok(());
    };
    let (host_name, host_port) = split_port(host);
    let ok = match host_port {
        Some(p) if !p.is_empty() => eq_ignore_case(host_name, uri_host) && p == uri_port,
        _ => is_default_port(b"", uri_port) && eq_ignore_case(host_name, uri_host),
    };
    if ok {
        Ok(())
    } else {
        Err(FramingError::Host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_extraction() {
        assert_eq!(
            absolute_authority(b"http://user:pw@Example.com:8080/x?y"),
            Some((&b"http://"[..], &b"Example.com:8080"[..]))
        );
        assert_eq!(absolute_authority(b"/x"), None);
        assert_eq!(absolute_authority(b"*"), None);
        assert_eq!(absolute_authority(b"foo"), Some((&b""[..], &b"foo"[..])));
    }

    #[test]
    fn ports() {
        assert_eq!(split_port(b"a:80"), (&b"a"[..], Some(&b"80"[..])));
        assert_eq!(split_port(b"a:"), (&b"a"[..], Some(&b""[..])));
        assert_eq!(split_port(b"a"), (&b"a"[..], None));
        assert_eq!(split_port(b"[::1]"), (&b"[::1]"[..], None));
        assert_eq!(split_port(b"[::1]:443"), (&b"[::1]"[..], Some(&b"443"[..])));
        assert!(equivalent_with_default_port(
            b"http://",
            b"a.com:80",
            b"a.com"
        ));
        assert!(equivalent_with_default_port(
            b"https://",
            b"a.com",
            b"A.com:443"
        ));
        assert!(equivalent_with_default_port(
            b"http://", b"a.com:", b"a.com"
        ));
        assert!(!equivalent_with_default_port(
            b"http://",
            b"a.com:443",
            b"a.com"
        ));
        assert!(!equivalent_with_default_port(b"", b"a.com:80", b"a.com"));
    }

    #[test]
    fn connect_targets() {
        assert_eq!(check_connect(b"a.com:443", None), Ok(()));
        assert_eq!(check_connect(b"a.com:443", Some(b"a.com:443")), Ok(()));
        assert_eq!(check_connect(b"a.com:443", Some(b"A.COM")), Ok(()));
        assert_eq!(
            check_connect(b"a.com:8443", Some(b"a.com")),
            Err(FramingError::Host)
        );
        assert_eq!(
            check_connect(b"a.com:443", Some(b"b.com:443")),
            Err(FramingError::Host)
        );
        assert_eq!(check_connect(b"a.com", None), Err(FramingError::Authority));
        assert_eq!(check_connect(b"a.com:", None), Err(FramingError::Authority));
        assert_eq!(check_connect(b"/x", None), Err(FramingError::Authority));
        assert_eq!(
            check_connect(b"http://a.com:80", None),
            Err(FramingError::Authority)
        );
    }
}
