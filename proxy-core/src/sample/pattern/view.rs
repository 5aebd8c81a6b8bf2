//! `show map` / `show acl` as data: the references a kind lists, or one
//! reference with its entries of one version, taken under each
//! reference's lock. The CLI text ([`PatRegistry::cli`], for applets
//! older than the host's `patterns` function) and the host function that
//! gives this to applets (`host::pattern_view`) both read it.
//!
//! HAProxy 2.6's rules: `show map` lists (and finds) only references used
//! as maps, `show acl` only those used as ACLs; a reference is named by
//! its file or `#<id>`; without `@<ver>`, the current version's entries.

use super::cli::{has_flag, unknown};
use super::reference::{lock, Elt};
use super::registry::PatRegistry;

/// One reference as `show map|acl` sees it.
#[derive(Clone, Debug)]
pub struct RefView {
    pub unique_id: i32,
    /// The file name as written, `None` for inline ACL patterns.
    pub reference: Option<String>,
    pub display: String,
    pub is_map: bool,
    pub is_acl: bool,
    pub curr_gen: u32,
    pub next_gen: u32,
    pub entry_cnt: u64,
    /// The entries of the version asked for; `None` in a listing.
    pub entries: Option<Vec<Elt>>,
}

impl PatRegistry {
    /// Numbers the references if some are not yet (the CLI names them by
    /// id).
    pub(super) fn ensure_ids(&self) {
        if self.refs().iter().any(|r| lock(r).unique_id < 0) {
            self.finalize();
        }
    }

    /// `show map|acl` (`map`: which) as data: every reference of that
    /// kind without entries when `name` is `None`, else the one `name`
    /// finds (a file name or `#<id>`) with its entries of version `gen`
    /// (the current one when `None`), or HAProxy's message when there is
    /// none.
    pub fn show_view(
        &self,
        map: bool,
        name: Option<&str>,
        gen: Option<u32>,
    ) -> Result<Vec<RefView>, String> {
        self.ensure_ids();
        let Some(name) = name else {
            let refs = self.refs();
            return Ok(refs
                .iter()
                .filter_map(|r| {
                    let r = lock(r);
                    has_flag(&r, map).then(|| view(&r, None))
                })
                .collect());
        };
        let r = self
            .lookup(name)
            .filter(|r| has_flag(&lock(r), map))
            .ok_or_else(|| unknown(map))?;
        let r = lock(&r);
        let gen = gen.unwrap_or(r.curr_gen);
        Ok(vec![view(&r, Some(gen))])
    }
}

/// The view of a locked reference, with its entries of `gen` if given.
fn view(r: &super::reference::PatRef, gen: Option<u32>) -> RefView {
    RefView {
        unique_id: r.unique_id,
        reference: r.reference.clone(),
        display: r.display.clone(),
        is_map: r.is_map,
        is_acl: r.is_acl,
        curr_gen: r.curr_gen,
        next_gen: r.next_gen,
        entry_cnt: r.entry_cnt,
        entries: gen.map(|g| r.elts.iter().filter(|e| e.gen == g).cloned().collect()),
    }
}
