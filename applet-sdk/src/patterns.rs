//! Maps and ACLs as data (`HostServices::patterns`, read through
//! [`Host::patterns`](crate::Host::patterns)): what `show map` and `show
//! acl` find, for a CLI applet to present itself.
//!
//! A [`PatternQuery`] asks for the pattern references used as maps (or as
//! ACLs): every one, without entries (the listing of `show map`), or one
//! by file name or `#<id>`, with its entries of one version (`show map
//! [@<ver>] <map>`: the current one by default). The answer is a list of
//! [`PatternRefView`]: the reference's id, file, description, versions and
//! entry count, and, for a one-reference query, its entries
//! ([`PatternEntryView`]: id, pattern, value). The host applies HAProxy
//! 2.6's rules (which references a kind shows, the lookup by name or id)
//! and answers HAProxy's message for a reference it does not find.
//!
//! Commands that look entries up (`get map`) or change them (`add`,
//! `del`, `set`, `clear`, `prepare`, `commit`) stay host operations
//! ([`TableOp::COMMAND`](crate::TableOp::COMMAND)).
//!
//! Growth: every type is `#[repr(C)]`; kinds are integer newtypes and
//! later values go into the open-ended `metrics` lists (see
//! [`crate::Metric`]) rather than new fields.

use abi_stable::std_types::{ROption, RString, RVec};
use abi_stable::StableAbi;

use crate::host::Metric;

/// Which use of a reference a query is about.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatternKind(pub u8);

impl PatternKind {
    /// References used as maps (`show map`).
    pub const MAP: PatternKind = PatternKind(1);
    /// References used as ACLs (`show acl`).
    pub const ACL: PatternKind = PatternKind(2);
}

/// What to show.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PatternQuery {
    /// Maps or ACLs.
    pub kind: PatternKind,
    /// The reference, as the CLI names it (its file name or `#<id>`);
    /// `None` for every reference of `kind`, without entries. `Some("")`
    /// (`@<ver>` without a name) is a reference the host does not find.
    pub reference: ROption<RString>,
    /// The version whose entries to list (`@<ver>`); `None` for the
    /// reference's current one.
    pub version: ROption<u32>,
}

impl PatternQuery {
    /// Every reference of `kind`, without entries.
    pub fn all(kind: PatternKind) -> PatternQuery {
        PatternQuery {
            kind,
            reference: ROption::RNone,
            version: ROption::RNone,
        }
    }

    /// One reference with its entries of `version` (the current one when
    /// `None`).
    pub fn one(kind: PatternKind, reference: &str, version: Option<u32>) -> PatternQuery {
        PatternQuery {
            kind,
            reference: ROption::RSome(reference.into()),
            version: version.into(),
        }
    }
}

/// One pattern reference (a file, or the inline patterns of one ACL).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default)]
pub struct PatternRefView {
    /// Its id, the CLI's `#<id>` (negative before the host numbered it).
    pub id: i64,
    /// The file name as configured; empty for inline ACL patterns.
    pub file: RString,
    /// HAProxy's description (`pattern loaded from file '...' used by map
    /// at file '...' line ...`).
    pub description: RString,
    /// Used as a map.
    pub is_map: bool,
    /// Used as an ACL.
    pub is_acl: bool,
    /// The current version (`curr_ver`).
    pub curr_ver: u32,
    /// The last version allocated (`next_ver`).
    pub next_ver: u32,
    /// HAProxy's entry count (`entry_cnt`: each entry once per
    /// expression using it).
    pub entry_cnt: u64,
    /// Whether `entries` were asked for (a one-reference query).
    pub dumped: bool,
    /// The entries of the version asked for, in the reference's order.
    pub entries: RVec<PatternEntryView>,
    /// Other values by name (none yet).
    pub metrics: RVec<Metric>,
}

/// One entry of a reference.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default)]
pub struct PatternEntryView {
    /// Its identity (HAProxy prints its address: `0x...`; the CLI names
    /// an entry `#0x<id>`).
    pub id: u64,
    /// The pattern (a map's key) as written.
    pub pattern: RString,
    /// A map's value as written; `None` for an ACL's pattern.
    pub value: ROption<RString>,
    /// Its version.
    pub version: u32,
    /// Its line in the file, 0 for entries added on the CLI or inline.
    pub line: u32,
}
