//! Splicing a request target as the start-line actions do (`set-path`,
//! `set-pathq`, `set-query`, `replace-path`, ...), and the regex
//! replacement of `replace-*` actions.
//!
//! The parts follow HAProxy 2.6 (`http_replace_req_path`,
//! `http_replace_req_query`): an absolute-form target keeps its scheme and
//! authority, the path runs from there up to `?` (or to the end, with the
//! query, for the `pathq` forms); a target that is neither (`*`, an
//! authority) is all path.

/// Byte ranges of a target: the path starts at `path`, the query (its
/// `?` included) at `query` (the target's length when there is none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UriParts {
    pub path: usize,
    pub query: usize,
}

/// Where the path and the query of `uri` start.
pub fn parts(uri: &[u8]) -> UriParts {
    let path = path_start(uri);
    let query = uri[path..]
        .iter()
        .position(|&b| b == b'?')
        .map_or(uri.len(), |q| path + q);
    UriParts { path, query }
}

/// The offset of the path: after `scheme://authority` in an absolute
/// target, else 0.
fn path_start(uri: &[u8]) -> usize {
    if uri.first() == Some(&b'/') {
        return 0;
    }
    let Some(sep) = uri.windows(3).position(|w| w == b"://") else {
        return 0;
    };
    let auth = sep + 3;
    uri[auth..]
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .map_or(uri.len(), |p| auth + p)
}

/// The authority of an absolute-form `uri` (without user info), `None`
/// for another form.
pub fn authority(uri: &[u8]) -> Option<&[u8]> {
    let p = parts(uri);
    let sep = uri[..p.path].windows(3).position(|w| w == b"://")?;
    let auth = &uri[sep + 3..p.path];
    let auth = match auth.iter().rposition(|&b| b == b'@') {
        Some(at) => &auth[at + 1..],
        None => auth,
    };
    (!auth.is_empty()).then_some(auth)
}

/// The path of `uri` (no query).
pub fn path(uri: &[u8]) -> &[u8] {
    let p = parts(uri);
    &uri[p.path..p.query]
}

/// The path and query of `uri`.
pub fn pathq(uri: &[u8]) -> &[u8] {
    &uri[parts(uri).path..]
}

/// `uri` with its path replaced by `new` (the query kept), or with path
/// and query replaced (`with_query`).
pub fn with_path(uri: &[u8], new: &[u8], with_query: bool) -> Vec<u8> {
    let p = parts(uri);
    let tail = if with_query { &[][..] } else { &uri[p.query..] };
    [&uri[..p.path], new, tail].concat()
}

/// `uri` with its query replaced by `new` (without its `?`). An absent
/// query stays absent when `new` is empty; a present one always keeps its
/// `?`.
pub fn with_query(uri: &[u8], new: &[u8]) -> Vec<u8> {
    let p = parts(uri);
    if p.query == uri.len() && new.is_empty() {
        return uri.to_vec();
    }
    [&uri[..p.query], b"?", new].concat()
}

/// HAProxy's regex replacement: when `re` matches somewhere in `input`,
/// the result is `fmt` with `\0`..`\9` replaced by the groups and `\xHH`
/// by that byte (another escaped byte stands for itself); `None` when the
/// regex does not match.
pub fn regex_replace(re: &regex::bytes::Regex, input: &[u8], fmt: &[u8]) -> Option<Vec<u8>> {
    let caps = re.captures(input)?;
    let mut out = Vec::with_capacity(fmt.len() + input.len());
    let mut i = 0;
    while i < fmt.len() {
        let b = fmt[i];
        if b != b'\\' || i + 1 >= fmt.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let c = fmt[i + 1];
        if c.is_ascii_digit() {
            if let Some(m) = caps.get(usize::from(c - b'0')) {
                out.extend_from_slice(m.as_bytes());
            }
            i += 2;
        } else if c == b'x' && i + 3 < fmt.len() {
            let hex = |h: u8| (h as char).to_digit(16).unwrap_or(0) as u8;
            out.push((hex(fmt[i + 2]) << 4) | hex(fmt[i + 3]));
            i += 4;
        } else {
            out.push(c);
            i += 2;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_origin_and_absolute_forms() {
        assert_eq!(parts(b"/a/b?x=1"), UriParts { path: 0, query: 4 });
        assert_eq!(parts(b"/a"), UriParts { path: 0, query: 2 });
        assert_eq!(
            parts(b"http://h:80/p?q"),
            UriParts {
                path: 11,
                query: 13
            }
        );
        assert_eq!(parts(b"http://h"), UriParts { path: 8, query: 8 });
        assert_eq!(parts(b"http://h?q"), UriParts { path: 8, query: 8 });
        assert_eq!(parts(b"*"), UriParts { path: 0, query: 1 });
        assert_eq!(path(b"http://h/x?y"), b"/x");
        assert_eq!(pathq(b"http://h/x?y"), b"/x?y");
        assert_eq!(authority(b"http://u:p@h:81/x"), Some(&b"h:81"[..]));
        assert_eq!(authority(b"https://h?q"), Some(&b"h"[..]));
        assert_eq!(authority(b"/x"), None);
    }

    #[test]
    fn path_splicing_keeps_authority_and_query() {
        assert_eq!(with_path(b"/old?q=1", b"/new", false), b"/new?q=1");
        assert_eq!(with_path(b"/old?q=1", b"/new", true), b"/new");
        assert_eq!(with_path(b"http://h/old?q", b"/n", false), b"http://h/n?q");
        assert_eq!(with_path(b"http://h/old?q", b"/n?z", true), b"http://h/n?z");
    }

    #[test]
    fn query_splicing() {
        assert_eq!(with_query(b"/p?a=1", b"b=2"), b"/p?b=2");
        assert_eq!(with_query(b"/p", b"b=2"), b"/p?b=2");
        assert_eq!(with_query(b"/p", b""), b"/p");
        assert_eq!(with_query(b"/p?a", b""), b"/p?");
    }

    #[test]
    fn regex_replacement_uses_groups_and_escapes() {
        let re = regex::bytes::Regex::new("^/api/(.*)$").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            regex_replace(&re, b"/api/x/y", b"/v2/\\1"),
            Some(b"/v2/x/y".to_vec())
        );
        assert_eq!(regex_replace(&re, b"/web", b"/v2/\\1"), None);
        let re = regex::bytes::Regex::new("b").unwrap_or_else(|e| panic!("{e}"));
        // The whole input becomes the replacement, not just the match.
        assert_eq!(
            regex_replace(&re, b"abc", b"[\\0]\\x41\\\\"),
            Some(b"[b]A\\".to_vec())
        );
    }
}
