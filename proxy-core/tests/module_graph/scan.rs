//! The scanner of module_graph: a small lexer (comments, doc comments,
//! string, raw string and char literals skipped; lifetimes told apart)
//! and, over its tokens, what one file says: the crate-root names it
//! reaches (`crate::x`, `use crate::{x::.., y}`, `super::` climbing to the
//! root) and its `mod x;` declarations, leaving out `#[cfg(test)]` items.

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    PathSep,
    Punct(char),
    /// Numbers, char literals, lifetimes: never part of a module path.
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn lex(src: &str) -> Vec<Token> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let at = |i: usize| s.get(i).copied().unwrap_or('\0');
    while i < s.len() {
        let c = s[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            // Line comments, `///` and `//!` doc comments.
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if s[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some((content, next)) = raw_string(&s, i) {
            out.push(Token {
                tok: Tok::Str(content),
                line,
            });
            line += s[i..next].iter().filter(|&&c| c == '\n').count();
            i = next;
        } else if c == '"' || ((c == 'b' || c == 'c') && at(i + 1) == '"') {
            let start_line = line;
            i += if c == '"' { 1 } else { 2 };
            let mut content = String::new();
            while i < s.len() && s[i] != '"' {
                if s[i] == '\\' {
                    content.push(s[i]);
                    i += 1;
                }
                if i < s.len() {
                    if s[i] == '\n' {
                        line += 1;
                    }
                    content.push(s[i]);
                    i += 1;
                }
            }
            i += 1;
            out.push(Token {
                tok: Tok::Str(content),
                line: start_line,
            });
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            // A char literal ('x', '\n', '\u{..}', b'x') or a lifetime ('a).
            let q = if c == '\'' { i } else { i + 1 };
            if at(q + 1) == '\\' {
                i = q + 2;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(q + 2) == '\'' {
                i = q + 3;
            } else {
                i = q + 1;
                while i < s.len() && is_ident_char(s[i]) {
                    i += 1;
                }
            }
            out.push(Token {
                tok: Tok::Other,
                line,
            });
        } else if is_ident_start(c) {
            // Raw identifiers: r#type.
            if c == 'r' && at(i + 1) == '#' && is_ident_start(at(i + 2)) {
                i += 2;
            }
            let name_start = i;
            while i < s.len() && is_ident_char(s[i]) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(s[name_start..i].iter().collect()),
                line,
            });
        } else if c.is_ascii_digit() {
            while i < s.len() && is_ident_char(s[i]) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Other,
                line,
            });
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::PathSep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// A raw string (`r"..."`, `r#"..."#`, `br`, `cr`) starting at `i`: its
/// content and the index after it.
fn raw_string(s: &[char], i: usize) -> Option<(String, usize)> {
    let mut j = i;
    if matches!(s.get(j), Some('b') | Some('c')) {
        j += 1;
    }
    if s.get(j) != Some(&'r') {
        return None;
    }
    if i > 0 && is_ident_char(s[i - 1]) {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while s.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if s.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    let start = j;
    while j < s.len() {
        if s[j] == '"' && (0..hashes).all(|k| s.get(j + 1 + k) == Some(&'#')) {
            return Some((s[start..j].iter().collect(), j + 1 + hashes));
        }
        j += 1;
    }
    Some((s[start..].iter().collect(), s.len()))
}

// --------------------------------------------------------------- parser

/// What one file says: the top-level modules it names (with the line) and
/// the non-test `mod x;` declarations (name, `#[path]`).
#[derive(Debug, Default)]
pub struct FileScan {
    pub refs: Vec<(String, usize)>,
    pub mods: Vec<(String, Option<String>)>,
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t.map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn punct(t: Option<&Token>, c: char) -> bool {
    matches!(t.map(|t| &t.tok), Some(Tok::Punct(p)) if *p == c)
}

fn is_pathsep(t: Option<&Token>) -> bool {
    matches!(t.map(|t| &t.tok), Some(Tok::PathSep))
}

/// The index after the bracket group opened at `i` (`(`, `[` or `{`).
fn skip_group(toks: &[Token], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < toks.len() {
        match toks[j].tok {
            Tok::Punct('(') | Tok::Punct('[') | Tok::Punct('{') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') | Tok::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    toks.len()
}

/// The index after the item (or field, variant, statement, match arm)
/// starting at `i`: up to a `;` or `,` outside brackets, through a `{..}`
/// body, or up to the `}` closing the enclosing block.
fn skip_item(toks: &[Token], mut i: usize) -> usize {
    while i < toks.len() {
        match toks[i].tok {
            Tok::Punct(';') | Tok::Punct(',') => return i + 1,
            Tok::Punct('}') | Tok::Punct(')') | Tok::Punct(']') => return i,
            Tok::Punct('{') => {
                let after = skip_group(toks, i);
                // `fn f() {}` ends here; `S { .. };` or `=> { .. },` too,
                // their trailing separator is harmless to the scan.
                return after;
            }
            Tok::Punct('(') | Tok::Punct('[') => i = skip_group(toks, i),
            _ => i += 1,
        }
    }
    i
}

/// Scans one file whose module path (from the crate root) is `module`.
pub fn scan(src: &str, module: &[String]) -> FileScan {
    let toks = lex(src);
    let mut out = FileScan::default();
    // Inline `mod x { .. }` blocks open at a brace depth.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    // A `#[path = ".."]` waiting for its `mod x;`.
    let mut pending_path = None;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match &t.tok {
            Tok::Punct('#') => {
                // One or more attributes, then the item they apply to.
                let mut j = i;
                let mut test = false;
                let mut path = None;
                while punct(toks.get(j), '#') {
                    let mut k = j + 1;
                    if punct(toks.get(k), '!') {
                        k += 1;
                    }
                    if !punct(toks.get(k), '[') {
                        break;
                    }
                    let end = skip_group(&toks, k);
                    let attr = &toks[k + 1..end.saturating_sub(1)];
                    let words: Vec<&Tok> = attr.iter().map(|t| &t.tok).collect();
                    if words
                        == [
                            &Tok::Ident("cfg".into()),
                            &Tok::Punct('('),
                            &Tok::Ident("test".into()),
                            &Tok::Punct(')'),
                        ]
                    {
                        test = true;
                    }
                    if let [Tok::Ident(p), Tok::Punct('='), Tok::Str(v)] = words.as_slice() {
                        if p == "path" {
                            path = Some(v.clone());
                        }
                    }
                    j = end;
                }
                if j == i {
                    i += 1;
                    continue;
                }
                if test {
                    i = skip_item(&toks, j);
                    continue;
                }
                pending_path = path;
                i = j;
            }
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                i += 1;
            }
            Tok::Ident(w) if w == "mod" || w == "pub" => {
                if let Some((name, semi)) = mod_decl(&toks, i) {
                    if semi {
                        out.mods.push((name, pending_path.take()));
                    } else {
                        inline.push((name, depth));
                    }
                    // Stop at the name: a `{` after it is counted above.
                    while ident(toks.get(i)) != Some("mod") {
                        i += 1;
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
            Tok::Ident(w) if w == "crate" && is_pathsep(toks.get(i + 1)) => {
                i = names_after(&toks, i + 2, &mut out.refs);
            }
            Tok::Ident(w)
                if w == "super" && !is_pathsep(i.checked_sub(1).and_then(|p| toks.get(p))) =>
            {
                // Climb: `super::super::..`.
                let mut ups = 0;
                let mut j = i;
                while ident(toks.get(j)) == Some("super") && is_pathsep(toks.get(j + 1)) {
                    ups += 1;
                    j += 2;
                }
                let here = module.len() + inline.len();
                if ups > 0 && ups >= here {
                    i = names_after(&toks, j, &mut out.refs);
                } else {
                    i = j.max(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// `[pub[(..)]] mod name ;` or `{` at `i`: the name, and whether it is a
/// declaration of a file (`;`).
fn mod_decl(toks: &[Token], mut i: usize) -> Option<(String, bool)> {
    if ident(toks.get(i)) == Some("pub") {
        i += 1;
        if punct(toks.get(i), '(') {
            i = skip_group(toks, i);
        }
    }
    if ident(toks.get(i)) != Some("mod") {
        return None;
    }
    let name = ident(toks.get(i + 1))?.to_string();
    if punct(toks.get(i + 2), ';') {
        Some((name, true))
    } else if punct(toks.get(i + 2), '{') {
        Some((name, false))
    } else {
        None
    }
}

/// The crate-root names after `crate::` (or a `super::` reaching the
/// root) at `i`: one name, or the first segment of each element of a
/// `{..}` group. Returns where scanning goes on.
fn names_after(toks: &[Token], i: usize, refs: &mut Vec<(String, usize)>) -> usize {
    if let Some(name) = ident(toks.get(i)) {
        refs.push((name.to_string(), toks[i].line));
        return i + 1;
    }
    if !punct(toks.get(i), '{') {
        return i;
    }
    let end = skip_group(toks, i);
    let mut depth = 0;
    let mut element_start = true;
    for t in &toks[i..end] {
        match &t.tok {
            Tok::Punct('{') => {
                depth += 1;
                element_start = depth == 1;
            }
            Tok::Punct('}') => depth -= 1,
            Tok::Punct(',') if depth == 1 => element_start = true,
            Tok::Ident(name) if depth == 1 && element_start => {
                if name != "self" {
                    refs.push((name.clone(), t.line));
                }
                element_start = false;
            }
            _ => element_start = false,
        }
    }
    end
}

/// The scanner on the syntax it must see through.
#[test]
fn scanner_sees_paths_and_skips_tests_comments_strings() {
    let src = r##"
//! Docs name crate::doc_only and so does this /* crate::block /* nested */ crate::block2 */
use crate::{alpha::X, beta::{Y, Z}, self as me};
use crate::gamma;
pub(crate) fn f() -> u32 { crate::delta::g() + super::super::eps::h() }
const S: &str = "crate::in_string";
const R: &str = r#"crate::in_raw "quoted" "#;
const C: char = '"';
fn l<'a>(x: &'a str) -> &'a str { crate::zeta::id(x) }
#[cfg(not(test))]
use crate::eta;
#[cfg(test)]
mod tests {
    use crate::test_only;
    fn t() { let _ = "}"; crate::test_only2::f(); }
}
#[cfg(test)]
#[path = "x_tests.rs"]
mod x_tests;
#[cfg(test)]
pub(crate) fn helper() { crate::test_helper::f() }
enum E {
    A,
    #[cfg(test)]
    B(crate::test_variant::T),
}
mod child;
#[path = "other.rs"]
mod renamed;
mod inline {
    use super::super::super::theta;
}
use crate::iota;
"##;
    let scan = scan(src, &["m".to_string(), "sub".to_string()]);
    let names: Vec<&str> = scan.refs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota"]
    );
    let lines: Vec<usize> = scan.refs.iter().map(|(_, l)| *l).collect();
    assert_eq!(lines, [3, 3, 4, 5, 5, 9, 11, 31, 33]);
    assert_eq!(
        scan.mods,
        [
            ("child".to_string(), None),
            ("renamed".to_string(), Some("other.rs".to_string()))
        ]
    );
}
