//! `show peers` as data (`HostServices::peers_view`, read through
//! [`Host::peers_view`](crate::Host::peers_view)): what the command shows,
//! for a CLI applet to present itself.
//!
//! The host lists the peers sections `show peers` shows, in its order
//! (HAProxy 2.6: last declared first, and only sections that name the
//! local peer); the applet picks one by name (`No such peers` otherwise)
//! and prints. Each [`PeersSectionView`] carries the section as
//! configured (the [`PeersSectionInfo`] the peers applet also gets), the
//! identities HAProxy prints as addresses, the shared tables' update
//! counters, and the last [`SectionStatus`] the peers applet published
//! with the time it did so: its timers are relative to that moment, so a
//! renderer moves them on by `now_ms - published_ms`.
//!
//! The dictionary caches of `show peers dict` are not published yet (by
//! the host nor by the peers applet): every entry shows as empty.
//!
//! Growth: every type is `#[repr(C)]`; later values go into the
//! open-ended `metrics` lists (see [`crate::Metric`]) rather than new
//! fields.

use abi_stable::std_types::{ROption, RVec};
use abi_stable::StableAbi;

use crate::host::Metric;
use crate::peers::{PeersSectionInfo, SectionStatus, TableMarks};

/// Everything `show peers [dict|-] [<section>]` prints.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default)]
pub struct PeersView {
    /// The host's clock when the view was taken (ms since the proxy
    /// started, as [`Host::now_ms`](crate::Host::now_ms)).
    pub now_ms: u64,
    /// The sections `show peers` lists, in its order.
    pub sections: RVec<PeersSectionView>,
    /// Other values by name (none yet).
    pub metrics: RVec<Metric>,
}

/// One shared table of a section, as `show peers` prints it.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedTableView {
    /// The table's identity (HAProxy prints its address: `table:0x...`).
    pub id: u64,
    /// The table's own update counters (`update=`, `localupdate=`).
    pub marks: TableMarks,
}

/// One peers section.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PeersSectionView {
    /// The section as configured: its peers in configuration order (each
    /// with its address, `local` for this process's one; an empty address
    /// for a local peer without one), its shared tables in declaration
    /// order.
    pub config: PeersSectionInfo,
    /// The section's identity (HAProxy prints its address).
    pub id: u64,
    /// `disabled` in the configuration.
    pub disabled: bool,
    /// When the section last changed (HAProxy's `last_change`, the date
    /// on the section's line), in seconds since the Unix epoch.
    pub last_change_s: i64,
    /// The local time zone's offset from UTC at `last_change_s`, in
    /// seconds (HAProxy prints that date in local time).
    pub utc_offset_s: i32,
    /// One per peer of `config.peers`, same order: its identity (HAProxy
    /// prints its address; a peer's shared-table records follow it, 8
    /// bytes each).
    pub peer_ids: RVec<u64>,
    /// One per table of `config.tables`, same order.
    pub tables: RVec<SharedTableView>,
    /// The state the peers applet last published for the section
    /// ([`Host::peers_status`](crate::Host::peers_status)); `None` before
    /// it did (every peer then shows as before its first connection).
    pub status: ROption<SectionStatus>,
    /// When `status` was published, on the clock of
    /// [`PeersView::now_ms`].
    pub published_ms: u64,
    /// Other values by name (none yet).
    pub metrics: RVec<Metric>,
}

impl PeersSectionView {
    /// How long ago `status` was published, in ms (by `view`'s clock).
    pub fn status_age_ms(&self, view: &PeersView) -> u64 {
        view.now_ms.saturating_sub(self.published_ms)
    }
}
