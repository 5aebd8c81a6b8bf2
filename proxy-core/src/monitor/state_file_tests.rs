//! Tests of the server-state file reader: splitting, versions, lines,
//! paths, and the plan made from real files.

use super::*;

const LINE: &str = "2 be 1 s1 127.0.0.1 2 0 1 1 5 6 3 4 6 0 0 0 - 8080 - 0 0 - - 0\n";

fn entry(text: &str) -> Entry {
    match parse_line(text.as_bytes()) {
        Line::Entry(e) => e,
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn chunks_stop_at_newlines_and_at_the_buffer_size() {
    let (a, rest) = next_chunk(b"ab\ncd").unwrap();
    assert_eq!((a, rest), (&b"ab\n"[..], &b"cd"[..]));
    assert_eq!(next_chunk(rest), Some((&b"cd"[..], &b""[..])));
    assert_eq!(next_chunk(b""), None);
    let long = vec![b'x'; 2500];
    let (a, rest) = next_chunk(&long).unwrap();
    assert_eq!(
        (a.len(), rest.len()),
        (LINE_MAXLEN - 1, 2500 - (LINE_MAXLEN - 1))
    );
}

#[test]
fn versions() {
    assert_eq!(version(b"1\n"), Some(1));
    assert_eq!(version(b" +1\n"), Some(1), "strtol skips blanks and a sign");
    assert_eq!(version(b"1"), None, "truncated");
    assert_eq!(version(b"1 \n"), None, "text after the number");
    assert_eq!(version(b"2\n"), None);
    assert_eq!(version(b"\n"), None);
    assert_eq!(version(b"x\n"), None);
}

#[test]
fn lines() {
    assert_eq!(parse_line(b"# be_id be_name\n"), Line::Skip);
    assert_eq!(parse_line(b"   \t\n"), Line::Skip);
    assert_eq!(parse_line(b"  # indented comment\n"), Line::Skip);
    assert_eq!(
        parse_line(LINE.trim_end().as_bytes()),
        Line::Corrupt,
        "no newline"
    );
    assert_eq!(parse_line(b"2 be 1 s1 127.0.0.1 2 0\n"), Line::Corrupt);
    let e = entry(LINE);
    assert_eq!((e.be_id(), e.be_name(), e.srv_name()), ("2", "be", "s1"));
    assert_eq!(e.params().len(), 21);
    assert_eq!(e.params()[0], "127.0.0.1");
    assert!(!e.be_forced_id());
    // Tabs and runs of blanks separate fields; more than 25 are dropped.
    let e = entry(&format!(
        "\t{} 1 2 3\n",
        LINE.trim_end().replace(' ', " \t ")
    ));
    assert_eq!(e.fields.len(), MAX_FIELDS);
    // 20 fields are enough (the optional ones are missing).
    let short: Vec<&str> = LINE.split_whitespace().take(MIN_FIELDS).collect();
    assert_eq!(entry(&format!("{}\n", short.join(" "))).fields.len(), 20);
}

#[test]
fn whole_files_and_line_numbers() {
    assert_eq!(parse(b""), Err(NoVersion));
    assert_eq!(parse(b"3\n"), Err(NoVersion));
    let ok =
        parse(format!("1\n# header\n{LINE}\n{}", LINE.replace("s1", "s2")).as_bytes()).unwrap();
    assert_eq!(ok.corrupt_at, None);
    let names: Vec<&str> = ok.entries.iter().map(Entry::srv_name).collect();
    assert_eq!(names, ["s1", "s2"]);
    // Lines count from 1 after the version: the header is line 1.
    let bad = parse(format!("1\n# header\n{LINE}2 be 2 s2 x\n{LINE}").as_bytes()).unwrap();
    assert_eq!(bad.corrupt_at, Some(3));
    assert_eq!(
        bad.entries.len(),
        1,
        "lines after the corruption are not read"
    );
    let long = format!("1\n{}{}\n", LINE.trim_end(), " -".repeat(1000));
    assert_eq!(parse(long.as_bytes()).unwrap().corrupt_at, Some(1));
}

#[test]
fn c_numbers() {
    assert_eq!(strtol("12"), Some(12));
    assert_eq!(strtol("12x"), Some(12), "trailing text ignored");
    assert_eq!(strtol("-3"), Some(-3));
    assert_eq!(strtol("x"), None);
    assert_eq!(strtol(""), None);
    assert_eq!(strtol("99999999999999999999"), None, "overflow");
}

#[test]
fn paths() {
    let p = |b: Option<&str>, n: &str| file_path(b, n).map(|p| p.display().to_string());
    assert_eq!(p(None, "st"), Some("st".into()));
    assert_eq!(p(Some("/var/lib"), "st"), Some("/var/lib/st".into()));
    assert_eq!(p(Some("/var/lib/"), "st"), Some("/var/lib/st".into()));
    assert_eq!(p(Some("/var/lib"), "/abs"), Some("/abs".into()));
    assert_eq!(p(None, &"x".repeat(5000)), None);
}

fn warnings(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|s| match s {
            Step::Warn(m) => Some(m.clone()),
            Step::Apply { .. } => None,
        })
        .collect()
}

fn applied(plan: &Plan) -> Vec<(usize, usize, String)> {
    plan.steps
        .iter()
        .filter_map(|s| match s {
            Step::Apply {
                proxy,
                server,
                entry,
            } => Some((*proxy, *server, entry.params()[1].clone())),
            Step::Warn(_) => None,
        })
        .collect()
}

/// A temp dir for state files, removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("state-file-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap();
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(base: &std::path::Path, body: &str) -> Config {
    let text = format!(
        "global\n    server-state-base {}\n    server-state-file gstate\n\
         defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\
         {body}",
        base.display()
    );
    crate::config::parse_str(&text, "t.cfg").unwrap()
}

#[test]
fn global_file_matches_by_names_and_first_line_wins() {
    let d = Dir::new("global");
    d.write(
        "gstate",
        &format!(
            "1\n#\n{}{}{}{}",
            LINE.replace("2 be 1 s1 127.0.0.1 2", "9 be 1 s2 127.0.0.1 0"),
            LINE,
            LINE.replace("s1 127.0.0.1 2", "s1 127.0.0.1 3"),
            LINE.replace(" be ", " other "),
        ),
    );
    let cfg = config(
        &d.0,
        "backend be\n    load-server-state-from-file global\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n    server s3 127.0.0.1:3\n\
         backend nostate\n    server s1 127.0.0.1:1\n",
    );
    let plan = load(&cfg);
    assert_eq!(warnings(&plan), Vec::<String>::new());
    // Server order, ids ignored, the duplicate s1 line dropped.
    assert_eq!(applied(&plan), [(0, 0, "2".into()), (0, 1, "0".into())]);
}

#[test]
fn global_file_problems_are_warnings() {
    let d = Dir::new("gproblems");
    let be = "backend be\n    load-server-state-from-file global\n    server s1 127.0.0.1:1\n";
    let cfg = config(&d.0, be);
    let path = d.0.join("gstate").display().to_string();
    assert_eq!(
        warnings(&load(&cfg)),
        [format!(
            "config: Can't open global server state file '{path}': No such file or directory"
        )]
    );
    d.write("gstate", "");
    assert_eq!(
        warnings(&load(&cfg)),
        [format!(
            "config: Can't get version of the global server state file '{path}'."
        )]
    );
    d.write("gstate", &format!("1\n{LINE}{}", LINE.trim_end()));
    let plan = load(&cfg);
    assert_eq!(
        warnings(&plan),
        [format!(
            "config: corrupted global server state file '{path}' at line 2."
        )]
    );
    assert!(
        applied(&plan).is_empty(),
        "nothing of a corrupted file applies"
    );
}

#[test]
fn local_files_check_the_backend_and_report_unknown_servers() {
    let d = Dir::new("local");
    d.write("gstate", "1\n");
    d.write(
        "be",
        &format!(
            "1\n{}{}{}{}",
            LINE.replace("2 be 1 s1", "7 be 1 s1"),
            LINE.replace("2 be 1 s1", "1 zz 2 s2"),
            LINE.replace("2 be 1 s1", "5 xx 3 s3"),
            LINE.replace("2 be 1 s1", "1 be 9 s9"),
        ),
    );
    let cfg = config(
        &d.0,
        "backend be\n    load-server-state-from-file local\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n    server s3 127.0.0.1:3\n\
         backend named\n    load-server-state-from-file local\n    server-state-file-name other\n    server s1 127.0.0.1:1\n",
    );
    let plan = load(&cfg);
    let other = d.0.join("other").display().to_string();
    assert_eq!(
        warnings(&plan),
        [
            "Proxy 'be': backend ID mismatch: from server state file: '7', from running config '1'".to_string(),
            "Proxy 'be': backend name mismatch: from server state file: 'zz', from running config 'be'".into(),
            "Proxy 'be': can't find server 's9' in backend 'be'".into(),
            format!("Proxy 'named': Can't open server state file '{other}': No such file or directory."),
        ]
    );
    // s1 by name despite the id; s2's line names another backend without
    // a forced id; s3's line names neither.
    assert_eq!(applied(&plan), [(0, 0, "2".into())]);
}
