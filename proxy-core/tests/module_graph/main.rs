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
//! `crate::x` in a doc comment or a message is not an edge (see `scan.rs`).
//! Std only.
//!
//! `MODULE_GRAPH_DUMP=1 cargo test -p proxy-core --test module_graph --
//! --nocapture` prints every edge with every reference making it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

mod scan;

use scan::scan;

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
