//! The `http-request normalize-uri` normalizers of HAProxy 2.6, as pure
//! functions over a request target. The path ones work on the path only
//! (an absolute target keeps its scheme and authority, the query is left
//! alone); the percent ones on the path and the query; `query-sort-by-name`
//! on the query. Behaviour checked against HAProxy 2.6.12 (see the tests).

use crate::config::model_rewrite::Normalizer;
use crate::http::uri_edit::parts;

/// A `strict` normalizer met an invalid percent-encoding (HAProxy answers
/// 400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadEncoding;

/// `uri` normalized by `n`.
pub fn apply(n: Normalizer, uri: &[u8]) -> Result<Vec<u8>, BadEncoding> {
    let p = parts(uri);
    let (head, path, query) = (&uri[..p.path], &uri[p.path..p.query], &uri[p.query..]);
    let out = match n {
        Normalizer::StripDot => [head, &strip_dot(path), query].concat(),
        Normalizer::StripDotdot { full } => [head, &strip_dotdot(path, full), query].concat(),
        Normalizer::MergeSlashes => [head, &merge_slashes(path), query].concat(),
        Normalizer::DecodeUnreserved { strict } => {
            [head, &percent(&uri[p.path..], strict, Percent::Decode)?].concat()
        }
        Normalizer::PercentUpper { strict } => {
            [head, &percent(&uri[p.path..], strict, Percent::Upper)?].concat()
        }
        Normalizer::SortQuery => [head, path, &sort_query(query)].concat(),
        Normalizer::FragmentStrip => match uri.iter().position(|&b| b == b'#') {
            Some(i) => uri[..i].to_vec(),
            None => uri.to_vec(),
        },
        Normalizer::FragmentEncode => {
            let mut out = Vec::with_capacity(uri.len() + 2);
            for &b in uri {
                if b == b'#' {
                    out.extend_from_slice(b"%23");
                } else {
                    out.push(b);
                }
            }
            out
        }
    };
    Ok(out)
}

/// The segments of an absolute path (empty for an empty path).
fn segments(path: &[u8]) -> Vec<&[u8]> {
    match path.strip_prefix(b"/") {
        Some(rest) => rest.split(|&b| b == b'/').collect(),
        None if path.is_empty() => Vec::new(),
        None => path.split(|&b| b == b'/').collect(),
    }
}

fn join(segs: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in segs {
        out.push(b'/');
        out.extend_from_slice(s);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

fn strip_dot(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return Vec::new();
    }
    let segs = segments(path);
    let mut kept: Vec<&[u8]> = Vec::with_capacity(segs.len());
    for s in &segs {
        if *s != b"." {
            kept.push(s);
        }
    }
    // A path ending in `.` keeps its directory's slash.
    if segs.last() == Some(&&b"."[..]) {
        kept.push(b"");
    }
    join(&kept)
}

fn strip_dotdot(path: &[u8], full: bool) -> Vec<u8> {
    if path.is_empty() {
        return Vec::new();
    }
    let segs = segments(path);
    let mut kept: Vec<&[u8]> = Vec::with_capacity(segs.len());
    for s in &segs {
        if *s != b".." {
            kept.push(s);
            continue;
        }
        match kept.last() {
            Some(top) if *top != b".." => {
                kept.pop();
            }
            _ if full => {}
            _ => kept.push(s),
        }
    }
    // A path ending in `..` names a directory: it ends with a slash.
    if segs.last() == Some(&&b".."[..]) {
        kept.push(b"");
    }
    join(&kept)
}

fn merge_slashes(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for &b in path {
        if !(b == b'/' && out.last() == Some(&b'/')) {
            out.push(b);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Percent {
    Decode,
    Upper,
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn percent(s: &[u8], strict: bool, how: Percent) -> Result<Vec<u8>, BadEncoding> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'%' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let code = match (
            s.get(i + 1).and_then(|&b| hex(b)),
            s.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (Some(h), Some(l)) => (h << 4) | l,
            _ if strict => return Err(BadEncoding),
            _ => {
                out.push(b'%');
                i += 1;
                continue;
            }
        };
        let unreserved = code.is_ascii_alphanumeric() || b"-._~".contains(&code);
        if how == Percent::Decode && unreserved {
            out.push(code);
        } else if how == Percent::Upper {
            out.push(b'%');
            out.extend(s[i + 1..i + 3].iter().map(u8::to_ascii_uppercase));
        } else {
            out.extend_from_slice(&s[i..i + 3]);
        }
        i += 3;
    }
    Ok(out)
}

/// `query` (its `?` included, or empty) with its `&`-separated parameters
/// in a stable order of their names.
fn sort_query(query: &[u8]) -> Vec<u8> {
    let Some(q) = query.strip_prefix(b"?") else {
        return query.to_vec();
    };
    let mut params: Vec<&[u8]> = q.split(|&b| b == b'&').collect();
    let name = |p: &[u8]| -> Vec<u8> { p.split(|&b| b == b'=').next().unwrap_or(p).to_vec() };
    params.sort_by_key(|p| name(p));
    let mut out = b"?".to_vec();
    out.extend_from_slice(&params.join(&b'&'));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model_rewrite::Normalizer as N;

    #[track_caller]
    fn check(n: N, cases: &[(&str, &str)]) {
        for (input, want) in cases {
            let got = apply(n, input.as_bytes()).map(|v| String::from_utf8_lossy(&v).into_owned());
            assert_eq!(got.as_deref(), Ok(*want), "{n:?} on {input}");
        }
    }

    // Expected values are HAProxy 2.6.12's answers to the same targets.
    #[test]
    fn path_strip_dot() {
        check(
            N::StripDot,
            &[
                ("/a/./b", "/a/b"),
                ("/./a", "/a"),
                ("/a/.", "/a/"),
                ("/.", "/"),
                ("/a/.b/./", "/a/.b/"),
                ("/a/./b?x=/./", "/a/b?x=/./"),
                ("/a//./b", "/a//b"),
                ("http://h/./a", "http://h/a"),
            ],
        );
    }

    #[test]
    fn path_strip_dotdot() {
        check(
            N::StripDotdot { full: false },
            &[
                ("/a/b/../c", "/a/c"),
                ("/../a", "/../a"),
                ("/a/..", "/"),
                ("/a/../../b", "/../b"),
                ("/a/b/..?q=/../", "/a/?q=/../"),
                ("/a/..b/../c", "/a/c"),
                ("/..", "/../"),
                ("/a/b/./../c", "/a/b/c"),
                ("/a/b/../../../c", "/../c"),
                ("/a/../", "/"),
            ],
        );
        check(
            N::StripDotdot { full: true },
            &[("/../a", "/a"), ("/a/../../b", "/b"), ("/..", "/")],
        );
    }

    #[test]
    fn path_merge_slashes() {
        check(
            N::MergeSlashes,
            &[
                ("//a///b//", "/a/b/"),
                ("/a//b?x=//", "/a/b?x=//"),
                ("/", "/"),
                ("http://h//a", "http://h/a"),
            ],
        );
    }

    #[test]
    fn percent_normalizers() {
        check(
            N::DecodeUnreserved { strict: false },
            &[
                ("/%61%62c%2F%7e%2d?q=%61", "/abc%2F~-?q=a"),
                ("/%6", "/%6"),
                ("/%zz", "/%zz"),
                ("/%41%25", "/A%25"),
                ("/%5F%2e%7E%30%5a", "/_.~0Z"),
            ],
        );
        check(
            N::PercentUpper { strict: false },
            &[
                ("/%6f%2f?%aa", "/%6F%2F?%AA"),
                ("/%6", "/%6"),
                ("/%zz", "/%zz"),
                ("/%6f%", "/%6F%"),
            ],
        );
        check(N::DecodeUnreserved { strict: true }, &[("/%41", "/A")]);
        check(N::PercentUpper { strict: true }, &[("/%6f", "/%6F")]);
        for n in [
            N::DecodeUnreserved { strict: true },
            N::PercentUpper { strict: true },
        ] {
            assert_eq!(apply(n, b"/%6"), Err(BadEncoding));
            assert_eq!(apply(n, b"/%zz"), Err(BadEncoding));
        }
    }

    #[test]
    fn query_sort_by_name() {
        check(
            N::SortQuery,
            &[
                ("/?b=1&a=2&c", "/?a=2&b=1&c"),
                ("/p?z&a=1&a=0&b", "/p?a=1&a=0&b&z"),
                ("/p?", "/p?"),
                ("/p", "/p"),
                ("/p?&&b&a", "/p?&&a&b"),
                ("/p?b=2;a=1", "/p?b=2;a=1"),
            ],
        );
    }

    #[test]
    fn fragments() {
        check(N::FragmentStrip, &[("/a#x", "/a"), ("/a", "/a")]);
        check(N::FragmentEncode, &[("/a#x", "/a%23x")]);
    }
}
