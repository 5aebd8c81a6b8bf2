//! No import cycles between proxy-core's top-level modules.
//!
//! The graph: an edge A -> B when a non-test line of a file of top-level
//! module A names `crate::B` (a path, `use crate::B::..`, or a
//! `use crate::{B::.., ..}` group), or reaches B through `super::` paths
//! that climb out of A. Test code is left out: items under `#[cfg(test)]`
//! (inline `mod tests { .. }` blocks, test helpers) and the files of
//! `#[cfg(test)] mod x;` declarations. A cycle is a strongly connected
//! component of more than one top-level module; references inside one
//! top-level module are fine.
//!
//! The files are found the way rustc finds them: from `src/lib.rs`,
//! following `mod x;` declarations (and `#[path]`). Comments, doc
//! comments, string and char literals are skipped by a small lexer, so a
//! `crate::x` in a doc comment or a message is not an edge. Std only.
//!
//! `MODULE_GRAPH_DUMP=1 cargo test -p proxy-core --test module_graph --
//! --nocapture` prints every edge with every reference making it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

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
struct FileScan {
    refs: Vec<(String, usize)>,
    mods: Vec<(String, Option<String>)>,
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
fn scan(src: &str, module: &[String]) -> FileScan {
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

// ---------------------------------------------------------------- graph

/// One reference: which file, which line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    file: String,
    line: usize,
}

/// Top-level module -> top-level module -> the references making the edge.
type Graph = BTreeMap<String, BTreeMap<String, Vec<Site>>>;

/// The file of `mod name;` declared in `file` (module path `module`).
fn mod_file(file: &Path, name: &str, path_attr: Option<&str>) -> PathBuf {
    let dir = file.parent().expect("a file has a directory");
    if let Some(p) = path_attr {
        return dir.join(p);
    }
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let base = if stem == "mod" || stem == "lib" {
        dir.to_path_buf()
    } else {
        dir.join(stem)
    };
    let flat = base.join(format!("{name}.rs"));
    if flat.exists() {
        flat
    } else {
        base.join(name).join("mod.rs")
    }
}

/// Reads the crate from `src/lib.rs` and builds the top-level graph.
fn build_graph(src: &Path) -> (Graph, BTreeSet<String>, usize) {
    let lib = src.join("lib.rs");
    let text = fs::read_to_string(&lib).expect("read lib.rs");
    let root = scan(&text, &[]);
    let top: BTreeSet<String> = root.mods.iter().map(|(n, _)| n.clone()).collect();
    let mut graph: Graph = top.iter().map(|m| (m.clone(), BTreeMap::new())).collect();
    let mut files = 0;
    let mut queue: Vec<(PathBuf, Vec<String>)> = root
        .mods
        .iter()
        .map(|(n, p)| (mod_file(&lib, n, p.as_deref()), vec![n.clone()]))
        .collect();
    while let Some((file, module)) = queue.pop() {
        let text = fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("module {} at {}: {e}", module.join("::"), file.display()));
        files += 1;
        let scan = scan(&text, &module);
        let shown = file
            .strip_prefix(src.parent().unwrap_or(src))
            .unwrap_or(&file)
            .display()
            .to_string();
        let from = &module[0];
        for (name, line) in scan.refs {
            if top.contains(&name) && &name != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(name)
                    .or_default()
                    .push(Site {
                        file: shown.clone(),
                        line,
                    });
            }
        }
        for (name, p) in scan.mods {
            let mut child = module.clone();
            child.push(name.clone());
            queue.push((mod_file(&file, &name, p.as_deref()), child));
        }
    }
    (graph, top, files)
}

/// Tarjan's strongly connected components.
fn sccs(graph: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        let g = t.g;
        for w in g.get(v).into_iter().flat_map(|e| e.keys()) {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let l = t.low[v].min(t.low[w]);
                t.low.insert(v, l);
            } else if t.on.contains(w) {
                let l = t.low[v].min(t.index[w]);
                t.low.insert(v, l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            comp.sort();
            t.out.push(comp);
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The report for the cycles of `graph`, or None.
fn cycles_report(graph: &Graph) -> Option<String> {
    let cycles: Vec<Vec<String>> = sccs(graph).into_iter().filter(|c| c.len() > 1).collect();
    if cycles.is_empty() {
        return None;
    }
    let mut msg = format!(
        "{} import cycle(s) between proxy-core's top-level modules; \
         move code so that each edge below goes one way only:\n",
        cycles.len()
    );
    for comp in &cycles {
        msg += &format!("\ncycle: {}\n", comp.join(", "));
        for a in comp {
            for (b, sites) in &graph[a] {
                if comp.contains(b) {
                    let s = &sites[0];
                    msg += &format!(
                        "  {a} -> {b}: {} reference(s), e.g. {}:{}\n",
                        sites.len(),
                        s.file,
                        s.line
                    );
                }
            }
        }
    }
    Some(msg)
}

/// With `MODULE_GRAPH_DUMP=1` (and `--nocapture`), every edge and every
/// reference making it is printed, cycles or not.
#[test]
fn no_import_cycles_between_top_level_modules() {
    let (graph, _, _) = build_graph(&src_dir());
    if std::env::var_os("MODULE_GRAPH_DUMP").is_some() {
        for (a, edges) in &graph {
            for (b, sites) in edges {
                println!("{a} -> {b}");
                for s in sites {
                    println!("    {}:{}", s.file, s.line);
                }
            }
        }
    }
    if let Some(report) = cycles_report(&graph) {
        panic!("{report}");
    }
}

/// The graph is not empty by accident: known edges are there.
#[test]
fn graph_has_known_edges() {
    let (graph, top, files) = build_graph(&src_dir());
    assert!(top.len() >= 20, "top-level modules: {top:?}");
    assert!(files >= 100, "only {files} files read");
    for (a, b) in [
        ("tcp", "stream"),
        ("http_mode", "http"),
        ("listener", "config"),
    ] {
        assert!(
            graph[a].contains_key(b),
            "expected the edge {a} -> {b}; {a} has {:?}",
            graph[a].keys().collect::<Vec<_>>()
        );
    }
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

/// Tarjan finds a cycle and reports an example edge per pair.
#[test]
fn report_names_each_edge_of_a_cycle() {
    let mut g: Graph = BTreeMap::new();
    let site = |l| {
        vec![Site {
            file: "src/x.rs".into(),
            line: l,
        }]
    };
    g.entry("a".into()).or_default().insert("b".into(), site(1));
    g.entry("b".into()).or_default().insert("c".into(), site(2));
    g.entry("c".into()).or_default().insert("a".into(), site(3));
    g.entry("c".into()).or_default().insert("d".into(), site(4));
    g.entry("d".into()).or_default();
    let report = cycles_report(&g).expect("a cycle");
    assert!(report.contains("cycle: a, b, c"), "{report}");
    assert!(
        report.contains("c -> a: 1 reference(s), e.g. src/x.rs:3"),
        "{report}"
    );
    assert!(!report.contains("-> d"), "{report}");
    g.get_mut("c").map(|e| e.remove("a"));
    assert_eq!(cycles_report(&g), None);
}
