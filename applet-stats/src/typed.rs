//! `show stat typed` and `show info typed`.
//!
//! One line per non-empty field:
//! * stats: `<F|B|S|L>.<iid>.<sid>.<pos>.<name>.<pid>:<tags>:<type>:<value>`
//! * info: `<pos>.<name>.<process_num>:<tags>:<type>:<value>`
//!
//! `<tags>` are three letters (origin, nature, scope), `<type>` one of
//! `s32`, `u32`, `u64`, `flt`, `str`; string values are raw (they may
//! contain colons). With `desc`, `:"<description>"` is appended.

use crate::fields::{Field, STAT_FIELDS};
use crate::info::{fill_info, INFO_FIELDS};
use crate::model::{ProcessInfo, ProxyStats};
use crate::select::{select, StatOptions};

fn push_value(out: &mut String, f: &Field) {
    out.push_str(&f.tag_str());
    out.push(':');
    out.push_str(f.value.type_name());
    out.push(':');
    out.push_str(&f.value.to_text());
}

/// `show stat typed` (without the CLI terminator).
pub fn render_stats(rows: &[ProxyStats], opts: &StatOptions) -> String {
    let mut out = String::new();
    for sel in select(rows, opts) {
        let r = sel.row;
        for (pos, f) in sel.fields.iter().enumerate() {
            let Some(f) = f else { continue };
            out.push_str(&format!(
                "{}.{}.{}.{}.{}.1:",
                r.kind.letter(),
                r.iid,
                r.sid,
                pos,
                STAT_FIELDS[pos].name
            ));
            push_value(&mut out, f);
            if opts.desc {
                out.push_str(&format!(":\"{}\"", STAT_FIELDS[pos].desc));
            }
            out.push('\n');
        }
    }
    out
}

/// `show info typed` (without the CLI terminator).
pub fn render_info(p: &ProcessInfo, float: bool, desc: bool) -> String {
    let mut out = String::new();
    for (pos, f) in fill_info(p, float).iter().enumerate() {
        let Some(f) = f else { continue };
        out.push_str(&format!("{}.{}.1:", pos, INFO_FIELDS[pos].name));
        push_value(&mut out, f);
        if desc {
            out.push_str(&format!(":\"{}\"", INFO_FIELDS[pos].desc));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::info_from_pairs;
    use crate::testdata;

    /// `<prefix up to the third colon>` of each line: identity, tags, type.
    fn shape(text: &str) -> Vec<String> {
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.splitn(4, ':').take(3).collect::<Vec<_>>().join(":"))
            .collect()
    }

    fn typed_pairs(text: &str) -> Vec<(&str, &str)> {
        text.lines()
            .filter_map(|l| {
                let (key, rest) = l.split_once(':')?;
                let name = key.split_once('.')?.1.rsplit_once('.')?.0;
                Some((name, rest.splitn(3, ':').nth(2)?))
            })
            .collect()
    }

    #[test]
    fn stat_typed_matches_snapshot_exactly() {
        let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
        let opts = StatOptions {
            show_legends: true,
            ..StatOptions::default()
        };
        let ours = render_stats(&rows, &opts);
        let theirs = testdata::SNAP_SHOW_STAT_TYPED.trim_end_matches('\n');
        for (a, b) in ours.lines().zip(theirs.lines()) {
            assert_eq!(a, b);
        }
        assert_eq!(ours.lines().count(), theirs.lines().count());
    }

    #[test]
    fn stat_typed_shape_matches_reference_capture() {
        // Taken at another moment than the CSV: compare keys, tags, types.
        let rows = testdata::rows_from_csv(testdata::REF_SHOW_STAT_CSV);
        let opts = StatOptions {
            show_legends: true,
            ..StatOptions::default()
        };
        assert_eq!(
            shape(&render_stats(&rows, &opts)),
            shape(testdata::REF_SHOW_STAT_TYPED)
        );
    }

    #[test]
    fn info_typed_matches_captures() {
        for capture in [
            testdata::SNAP_SHOW_INFO_TYPED,
            testdata::REF_SHOW_INFO_TYPED,
        ] {
            let p = info_from_pairs(typed_pairs(capture));
            assert_eq!(
                render_info(&p, false, false),
                capture.trim_end_matches('\n').to_string() + "\n"
            );
        }
    }

    #[test]
    fn info_desc_matches_capture() {
        let typed = include_str!("../testdata/snap/show_info_typed_desc.txt");
        let plain = include_str!("../testdata/snap/show_info_desc.txt");
        // The description is the last `:"..."` of each line.
        let strip = |l: &str| {
            l.rsplit_once(":\"")
                .map_or(l.to_string(), |(v, _)| v.to_string())
        };
        let stripped: String = typed.lines().map(|l| strip(l) + "\n").collect();
        let p = info_from_pairs(typed_pairs(&stripped));
        assert_eq!(render_info(&p, false, true) + "\n", typed);
        let pairs = plain.lines().filter_map(|l| {
            strip(l)
                .split_once(": ")
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
        let pairs: Vec<(String, String)> = pairs.collect();
        let p = info_from_pairs(pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())));
        assert_eq!(crate::info::render_plain(&p, false, true) + "\n", plain);
    }

    #[test]
    fn desc_is_appended() {
        let p = ProcessInfo::default();
        let out = render_info(&p, false, true);
        assert!(
            out.starts_with("0.Name.1:POS:str::\"Product name\"\n"),
            "{out}"
        );
    }
}
