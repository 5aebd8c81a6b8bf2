//! `show stat` CSV (also served as `/stats;csv`).
//!
//! Layout, as HAProxy 2.6.12 prints it:
//! * first line `# ` + every field name followed by a comma, with the
//!   literal `-,` inserted after the 103 static fields;
//! * one line per selected row with the same number of cells, every cell
//!   (including the last) followed by a comma, the `-` cell left empty;
//! * text is quoted only when it contains a comma, a quote or a line break
//!   (quotes doubled).
//!
//! The CLI then terminates the answer with its usual empty line.

use crate::fields::{Field, STATIC_FIELD_COUNT, STAT_FIELDS};
use crate::model::ProxyStats;
use crate::select::{select, StatOptions};

/// The header line, including its trailing newline.
pub fn header() -> String {
    let mut s = String::from("# ");
    for (i, f) in STAT_FIELDS.iter().enumerate() {
        s.push_str(f.name);
        s.push(',');
        if i + 1 == STATIC_FIELD_COUNT {
            s.push_str("-,");
        }
    }
    s.push('\n');
    s
}

/// Appends `text` CSV-encoded the way HAProxy does.
pub fn push_csv_text(out: &mut String, text: &str) {
    if text.contains(['\n', '\r', ',', '"']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// One data line (with its newline) from filled fields.
pub fn line(fields: &[Option<Field>]) -> String {
    let mut s = String::with_capacity(512);
    for (i, f) in fields.iter().enumerate() {
        if let Some(f) = f {
            push_csv_text(&mut s, &f.value.to_text());
        }
        s.push(',');
        if i + 1 == STATIC_FIELD_COUNT {
            s.push_str("-,");
        }
    }
    s.push('\n');
    s
}

/// Header plus one line per row selected by `opts`.
pub fn render(rows: &[ProxyStats], opts: &StatOptions) -> String {
    let mut out = header();
    for sel in select(rows, opts) {
        out.push_str(&line(&sel.fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjType;
    use crate::testdata;

    #[test]
    fn header_matches_haproxy_2_6_12() {
        let capture = testdata::REF_SHOW_STAT_CSV;
        let first = capture.lines().next().unwrap_or_default();
        assert_eq!(header().trim_end(), first);
        // Column for column, as an explicit check of names and order.
        let ours: Vec<String> = header()[2..]
            .trim_end()
            .split(',')
            .map(String::from)
            .collect();
        let theirs: Vec<&str> = first[2..].split(',').collect();
        assert_eq!(ours.len(), theirs.len());
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a, b, "column {i}");
        }
    }

    #[test]
    fn every_line_has_the_header_field_count() {
        let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
        let out = render(
            &rows,
            &StatOptions {
                show_legends: true,
                ..StatOptions::default()
            },
        );
        let n = header().matches(',').count();
        for l in out.lines() {
            assert_eq!(l.matches(',').count(), n, "{l}");
        }
    }

    #[test]
    fn round_trips_real_captures() {
        for (capture, legends) in [
            (testdata::SNAP_SHOW_STAT_CSV, true),
            (testdata::SNAP_SHOW_STAT_USER_CSV, false),
            (testdata::REF_SHOW_STAT_CSV, true),
            (testdata::REF_STATS_CSV, false),
        ] {
            let rows = testdata::rows_from_csv(capture);
            let opts = StatOptions {
                show_legends: legends,
                ..StatOptions::default()
            };
            let out = render(&rows, &opts);
            for (a, b) in out.lines().zip(capture.lines()) {
                assert_eq!(a, b);
            }
            assert_eq!(
                out.lines().count(),
                capture.lines().filter(|l| !l.is_empty()).count()
            );
        }
    }

    #[test]
    fn up_and_no_maint_variants() {
        let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
        for (capture, opts) in [
            (
                testdata::SNAP_SHOW_STAT_UP_CSV,
                StatOptions {
                    hide_down: true,
                    show_legends: true,
                    ..StatOptions::default()
                },
            ),
            (
                testdata::SNAP_SHOW_STAT_NO_MAINT_CSV,
                StatOptions {
                    hide_maint: true,
                    show_legends: true,
                    ..StatOptions::default()
                },
            ),
        ] {
            let out = render(&rows, &opts);
            assert_eq!(
                out.lines().count(),
                capture.lines().filter(|l| !l.is_empty()).count()
            );
            for (a, b) in out.lines().zip(capture.lines()) {
                let key = |l: &str| l.split(',').take(2).collect::<Vec<_>>().join(",");
                let status = |l: &str| l.split(',').nth(17).map(String::from);
                assert_eq!(key(a), key(b));
                assert_eq!(status(a), status(b));
            }
        }
    }

    #[test]
    fn filters() {
        let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
        let names = |f: crate::select::StatFilter| {
            let opts = StatOptions {
                filter: Some(f),
                ..StatOptions::default()
            };
            render(&rows, &opts)
                .lines()
                .skip(1)
                .map(|l| l.split(',').take(2).collect::<Vec<_>>().join("/"))
                .collect::<Vec<_>>()
        };
        use crate::select::StatFilter;
        assert_eq!(
            names(StatFilter {
                iid: 3,
                types: -1,
                sid: 2
            }),
            ["be/down1", "be/BACKEND"]
        );
        let fe = names(StatFilter {
            iid: -1,
            types: 1,
            sid: -1,
        });
        assert!(fe.iter().all(|n| n.ends_with("/FRONTEND")) && fe.len() == 5);
        assert_eq!(
            names(StatFilter {
                iid: 2,
                types: 8,
                sid: -1
            }),
            ["fe/main"]
        );
        assert_eq!(
            names(StatFilter {
                iid: 99,
                types: -1,
                sid: -1
            })
            .len(),
            0
        );
        let srv = names(StatFilter {
            iid: 3,
            types: 4,
            sid: -1,
        });
        assert!(srv
            .iter()
            .all(|n| n.starts_with("be/") && !n.ends_with("BACKEND")));
        assert!(rows.iter().any(|r| r.kind == ObjType::Listener));
    }

    #[test]
    fn quoting() {
        let mut s = String::new();
        push_csv_text(&mut s, "a,b\"c");
        assert_eq!(s, "\"a,b\"\"c\"");
    }
}
