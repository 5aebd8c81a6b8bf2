//! `patterns` of the host-services table: `show map` and `show acl` as
//! data for applets ([`applet_sdk::patterns`]), from the pattern
//! registry's view ([`crate::sample::pattern::view`]), which the CLI text
//! of older applets reads too: same references, same rules, same
//! messages (`Unknown map identifier...` for a reference the query does
//! not find).

use abi_stable::std_types::{RErr, ROk, RResult, RString, RVec};
use applet_sdk::{PatternEntryView, PatternKind, PatternQuery, PatternRefView};

use super::services::{contain, state};
use crate::sample::pattern::view::RefView;
use crate::sample::pattern::PatRegistry;

pub(super) extern "C" fn host_patterns(
    query: PatternQuery,
) -> RResult<RVec<PatternRefView>, RString> {
    contain("patterns", RErr("internal error\n".into()), || {
        let Some(st) = state() else {
            return RErr("internal error\n".into());
        };
        match views(&st.config.patterns, &query) {
            Ok(v) => ROk(v.into()),
            Err(e) => RErr(e.into()),
        }
    })
}

/// The answer to `query` from `reg`.
fn views(reg: &PatRegistry, query: &PatternQuery) -> Result<Vec<PatternRefView>, String> {
    let map = match query.kind {
        PatternKind::MAP => true,
        PatternKind::ACL => false,
        _ => return Err("Unknown pattern kind.\n".into()),
    };
    let name = query.reference.as_ref().map(|r| r.as_str()).into_option();
    let gen = query.version.into_option();
    Ok(reg.show_view(map, name, gen)?.iter().map(info).collect())
}

/// The SDK's form of a reference's view.
fn info(v: &RefView) -> PatternRefView {
    PatternRefView {
        id: i64::from(v.unique_id),
        file: v.reference.as_deref().unwrap_or("").into(),
        description: v.display.as_str().into(),
        is_map: v.is_map,
        is_acl: v.is_acl,
        curr_ver: v.curr_gen,
        next_ver: v.next_gen,
        entry_cnt: v.entry_cnt,
        dumped: v.entries.is_some(),
        entries: v
            .entries
            .iter()
            .flatten()
            .map(|e| PatternEntryView {
                id: e.id,
                pattern: e.pattern.as_str().into(),
                value: e.sample.as_deref().map(RString::from).into(),
                version: e.gen,
                line: e.line,
            })
            .collect(),
        metrics: RVec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::pattern::MatchKind;

    /// A map file and an inline ACL.
    fn registry() -> Result<PatRegistry, String> {
        let dir = std::env::temp_dir().join(format!("pattern-view-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("m.map"), "k1 v1\nk2 v2\n").map_err(|e| e.to_string())?;
        let mut reg = PatRegistry::new();
        reg.set_base_dir(&dir);
        reg.acl_inline("path", "t.cfg", 3, MatchKind::Str, false, None, &["/a"])?;
        reg.map_file("m.map", MatchKind::Str, "t.cfg", 4)?
            .bind(Some(crate::sample::pattern::Out::Str))?;
        reg.finalize();
        Ok(reg)
    }

    #[test]
    fn views_as_show_map_and_acl_see_them() -> Result<(), String> {
        let reg = registry()?;
        let all = views(&reg, &PatternQuery::all(PatternKind::MAP))?;
        assert_eq!(all.len(), 1);
        assert!(all[0].is_map && !all[0].dumped && all[0].entries.is_empty());
        assert_eq!(all[0].file.as_str(), "m.map");

        let one = views(&reg, &PatternQuery::one(PatternKind::MAP, "m.map", None))?;
        let e: Vec<(&str, Option<&str>)> = one[0]
            .entries
            .iter()
            .map(|e| {
                (
                    e.pattern.as_str(),
                    e.value.as_ref().map(|v| v.as_str()).into_option(),
                )
            })
            .collect();
        assert_eq!(e, [("k1", Some("v1")), ("k2", Some("v2"))]);
        let acl_id = format!(
            "#{}",
            views(&reg, &PatternQuery::all(PatternKind::ACL))?[0].id
        );
        let acl = views(&reg, &PatternQuery::one(PatternKind::ACL, &acl_id, None))?;
        assert_eq!(acl[0].entries[0].pattern.as_str(), "/a");
        assert!(acl[0].entries[0].value.is_none() && acl[0].file.is_empty());
        let later = views(&reg, &PatternQuery::one(PatternKind::MAP, "m.map", Some(1)))?;
        assert!(later[0].dumped && later[0].entries.is_empty());
        assert_eq!(
            views(&reg, &PatternQuery::one(PatternKind::ACL, "m.map", None)).err(),
            Some("Unknown ACL identifier. Please use #<id> or <file>.\n".to_string())
        );
        assert_eq!(
            views(&reg, &PatternQuery::one(PatternKind::MAP, "", Some(0))).err(),
            Some("Unknown map identifier. Please use #<id> or <file>.\n".to_string())
        );
        Ok(())
    }
}
