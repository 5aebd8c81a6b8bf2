//! The key the request-hashing `balance` algorithms hash, cut out of the
//! request as HAProxy 2.6 cuts it: `uri` (with `whole`, `len`, `depth`,
//! `path-only`), `url_param` (the query string, then a POST body),
//! `hdr(<name>)` (with `use_domain_only`), `rdp-cookie(<name>)` (from the
//! first bytes of a TCP stream) and `hash <expr>`.
//!
//! No key (a missing parameter, header or cookie, an empty header, a
//! sample that does not fetch) gives `None`: the caller then falls back
//! to round robin, as HAProxy does.

use super::lb_hash::key_hash;
use crate::config::model::{Balance, HashType};
use crate::config::model_lb::LbParams;
use crate::rules::RequestView;
use crate::sample::value::SmpType;

/// What a backend hashes, and how.
#[derive(Debug)]
pub struct KeySource {
    algo: Balance,
    params: LbParams,
    hash_type: HashType,
}

impl KeySource {
    /// The key source of a backend balancing with `algo`; `None` for the
    /// algorithms that do not hash the request.
    pub fn new(algo: Balance, params: &LbParams, hash_type: HashType) -> Option<KeySource> {
        algo.hashes_request().then(|| KeySource {
            algo,
            params: params.clone(),
            hash_type,
        })
    }

    /// The hash of this request's key, `None` when it has none; `view`
    /// shows the request as the rules left it.
    pub fn hash(&self, view: &dyn RequestView) -> Option<u32> {
        let p = &self.params;
        let key: Vec<u8> = match self.algo {
            Balance::Uri => uri_key(p, view.uri()).to_vec(),
            Balance::UrlParam => url_param_key(p, view)?,
            Balance::Hdr => hdr_key(p, view)?,
            Balance::RdpCookie => rdp_cookie(view.payload()?.data, p.name.as_bytes())?.to_vec(),
            Balance::Hash => {
                let v = p.expr.as_ref()?.eval(view)?.cast(SmpType::Bin)?;
                match v {
                    crate::sample::value::Value::Bin(b) => b.into_owned(),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(key_hash(self.hash_type, &key))
    }
}

/// `balance uri`: the URI (its path with `path-only`), cut at `len`
/// characters, before the `depth+1`-th slash, and before `?` unless
/// `whole`.
pub(crate) fn uri_key<'u>(p: &LbParams, uri: &'u [u8]) -> &'u [u8] {
    let uri = if p.path_only { path_of(uri) } else { uri };
    let uri = if p.len > 0 {
        &uri[..uri.len().min(p.len)]
    } else {
        uri
    };
    let mut slashes = 0;
    let end = uri
        .iter()
        .position(|&c| {
            if c == b'/' {
                slashes += 1;
                p.depth > 0 && slashes == p.depth + 1
            } else {
                c == b'?' && !p.whole
            }
        })
        .unwrap_or(uri.len());
    &uri[..end]
}

/// The path (with its query string) of a request target: from the first
/// `/` of an origin-form target, after the authority of an absolute one;
/// empty when there is none.
fn path_of(uri: &[u8]) -> &[u8] {
    if uri.first() == Some(&b'/') {
        return uri;
    }
    let Some(authority) = find(uri, b"://").map(|i| &uri[i + 3..]) else {
        return &[];
    };
    match authority.iter().position(|&c| c == b'/' || c == b'?') {
        Some(i) if authority[i] == b'/' => &authority[i..],
        Some(i) => &authority[i..],
        None => &[],
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `balance url_param`: the parameter in the query string, else (for a
/// POST) in the buffered body.
fn url_param_key(p: &LbParams, view: &dyn RequestView) -> Option<Vec<u8>> {
    let name = p.name.as_bytes();
    let uri = view.uri();
    if let Some(q) = uri.iter().position(|&c| c == b'?') {
        if let Some(v) = param_value(&uri[q + 1..], name, false) {
            return Some(v.to_vec());
        }
    }
    if view.method() != b"POST" {
        return None;
    }
    let body = view.stream()?.body()?;
    param_value(body, name, true).map(<[u8]>::to_vec)
}

/// The value of `name=` in `params` (`a=1&b=2`), up to the next `&`.
/// `body`: 2.6 looks at the value's first character only: a blank there
/// makes the value empty, another non-token character means the body is
/// not URL-encoded (no value).
pub(crate) fn param_value<'a>(mut params: &'a [u8], name: &[u8], body: bool) -> Option<&'a [u8]> {
    let plen = name.len();
    while params.len() > plen {
        if params[plen] == b'=' && &params[..plen] == name {
            let v = &params[plen + 1..];
            let end = v.iter().position(|&c| c == b'&').unwrap_or(v.len());
            match v.first() {
                Some(&c) if body && end > 0 && !is_token(c) => {
                    if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
                        return Some(&[]);
                    }
                    return None;
                }
                _ => return Some(&v[..end]),
            }
        }
        let amp = params.iter().position(|&c| c == b'&')?;
        params = &params[amp + 1..];
    }
    None
}

/// RFC 7230's token characters.
fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// `balance hdr(<name>)`: the first value of the first such header
/// (comma-separated values count apart), trimmed; with
/// `use_domain_only`, the label before the last dot-separated one.
fn hdr_key(p: &LbParams, view: &dyn RequestView) -> Option<Vec<u8>> {
    let name = p.name.as_bytes();
    let mut found: Option<&[u8]> = None;
    view.for_each_header(&mut |n, v| {
        if n.eq_ignore_ascii_case(name) {
            found = Some(v);
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    let first = found?.split(|&c| c == b',').next().unwrap_or_default();
    let v = first.trim_ascii();
    if v.is_empty() {
        return None;
    }
    Some(if p.use_domain_only { main_domain(v) } else { v }.to_vec())
}

/// `www.example.com` → `example`: scanning back from the end, the text
/// between the dot before the last label and the dot before that (the
/// whole value without a dot).
pub(crate) fn main_domain(v: &[u8]) -> &[u8] {
    let mut end = v.len();
    let mut pos = v.len();
    let mut in_domain = false;
    while pos > 0 {
        if in_domain {
            if v[pos - 1] == b'.' {
                break;
            }
        } else if pos < v.len() && v[pos] == b'.' {
            end = pos;
            in_domain = true;
        }
        pos -= 1;
    }
    &v[pos..end]
}

/// The RDP cookie in a connection request (`Cookie: <name>=<value>\r\n`
/// after the 11-byte TPKT/X.224 header); `None` when it is not there (yet).
pub(crate) fn rdp_cookie<'a>(data: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let rest = data.get(11..).filter(|r| r.len() > 7)?;
    if !rest[..7].eq_ignore_ascii_case(b"Cookie:") {
        return None;
    }
    let mut rest = &rest[7..];
    while rest.first() == Some(&b' ') {
        rest = &rest[1..];
    }
    let clen = name.len();
    if rest.len() <= clen || rest[clen] != b'=' || !rest[..clen].eq_ignore_ascii_case(name) {
        return None;
    }
    let value = &rest[clen + 1..];
    let end = value.iter().position(|&c| c == b'\r')?;
    (value.get(end + 1) == Some(&b'\n') && end > 0).then(|| &value[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(p: &LbParams, u: &str) -> String {
        String::from_utf8_lossy(uri_key(p, u.as_bytes())).into_owned()
    }

    #[test]
    fn uri_cuts() {
        let mut p = LbParams::default();
        assert_eq!(uri(&p, "/a/b?c=1"), "/a/b");
        p.whole = true;
        assert_eq!(uri(&p, "/a/b?c=1"), "/a/b?c=1");
        p.depth = 1;
        assert_eq!(uri(&p, "/a/b?c=1"), "/a");
        p.depth = 0;
        p.len = 3;
        assert_eq!(uri(&p, "/a/b?c=1"), "/a/");
        let q = LbParams {
            path_only: true,
            ..LbParams::default()
        };
        assert_eq!(uri(&q, "http://h:8/x/y?z"), "/x/y");
        assert_eq!(uri(&q, "http://h"), "");
    }

    #[test]
    fn params_and_domains() {
        assert_eq!(param_value(b"a=1&id=42&x", b"id", false), Some(&b"42"[..]));
        assert_eq!(param_value(b"aid=1&id=", b"id", false), Some(&b""[..]));
        assert_eq!(param_value(b"a=1&b=2", b"id", false), None);
        assert_eq!(param_value(b"id=a b", b"id", true), Some(&b"a b"[..]));
        assert_eq!(param_value(b"id= b", b"id", true), Some(&b""[..]));
        assert_eq!(param_value(b"id=\x01b", b"id", true), None);
        let big = format!("{}&id=7", "x=y&".repeat(250_000));
        assert_eq!(param_value(big.as_bytes(), b"id", false), Some(&b"7"[..]));
        assert_eq!(main_domain(b"www.example.com"), b"example");
        assert_eq!(main_domain(b"example.com"), b"example");
        assert_eq!(main_domain(b"localhost"), b"localhost");
    }

    #[test]
    fn rdp_cookies() {
        let mut pkt = vec![3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        pkt.extend_from_slice(b"Cookie: mstshash=user1\r\n\x01");
        assert_eq!(rdp_cookie(&pkt, b"mstshash"), Some(&b"user1"[..]));
        assert_eq!(rdp_cookie(&pkt, b"other"), None);
        assert_eq!(rdp_cookie(&pkt[..20], b"mstshash"), None);
    }
}
