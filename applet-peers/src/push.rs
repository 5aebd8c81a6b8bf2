//! The sending half of a peers session (HAProxy's `peer_send_msgs`).
//!
//! Each call, in order: a heartbeat if the sync task asked for one; a
//! resync request if this peer was picked to teach us; then for every
//! table (round robin, starting after the last one defined to the peer) an
//! ack of what was received, and either our local changes after the last
//! pushed one (not while this peer is teaching us) or, when the peer asked
//! for a resync, the whole table: stage 1 from the peer's acknowledged
//! position to the end, stage 2 from the start to that position, as timed
//! updates (plain ones for a downgraded peer); then resync finished (or
//! partial, if we are not up to date ourselves) and the confirmations we
//! owe. A table is defined (0x82) before its first update after a switch.
//! The first update of a call carries its id, later ones only when not
//! consecutive.
//!
//! Output stops near `max_output` bytes; the next call resumes where this
//! one stopped.

use crate::msg::{
    self, CTRL_HEARTBEAT, CTRL_RESYNC_CONFIRM, CTRL_RESYNC_FINISHED, CTRL_RESYNC_PARTIAL,
    CTRL_RESYNC_REQUEST,
};
use crate::section::{
    pflags, sflags, ConnId, PeersSection, Phase, TableSource, TEACH_STAGE1, TEACH_STAGE2,
};
use crate::update::{encode_update, UpdateOut};

/// Which entries a push walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Local changes after `last_pushed`.
    Process,
    /// Teaching, from the acknowledged position to the end.
    Stage1,
    /// Teaching, from the start to the acknowledged position.
    Stage2,
}

impl PeersSection {
    /// The bytes to write on `conn` now (hello, status, messages, a final
    /// error). Call after [`PeersSection::receive`], after
    /// [`PeersSection::tick`], when tables changed, and again while it
    /// returns a full buffer.
    pub fn transmit(&mut self, conn: ConnId, _now: u64, src: &dyn TableSource) -> Vec<u8> {
        let Some(c) = self.conns.get_mut(&conn) else {
            return Vec::new();
        };
        let mut out = std::mem::take(&mut c.out);
        if matches!(c.phase, Phase::Established) {
            if let Some(p) = c.peer.filter(|&p| self.peers[p].conn == Some(conn)) {
                self.send_msgs(p, &mut out, src);
            }
        }
        out
    }

    fn full(&self, out: &[u8]) -> bool {
        out.len() >= self.cfg.max_output
    }

    fn send_msgs(&mut self, p: usize, out: &mut Vec<u8>, src: &dyn TableSource) {
        if self.peers[p].flags & pflags::HEARTBEAT != 0 {
            self.peers[p].flags &= !pflags::HEARTBEAT;
            msg::encode_control(CTRL_HEARTBEAT, out);
            self.peers[p].tx_hbt += 1;
        }
        if self.peers[p].flags & pflags::LEARN_ASSIGN != 0
            && self.flags & sflags::RESYNC_ASSIGN != 0
            && self.flags & sflags::RESYNC_PROCESS == 0
        {
            msg::encode_control(CTRL_RESYNC_REQUEST, out);
            self.flags |= sflags::RESYNC_PROCESS;
        }
        let n = self.cfg.tables.len();
        if n > 0 {
            let last = self.peers[p].last_local_table.unwrap_or(0);
            for k in 1..=n {
                let t = (last + k) % n;
                let st = &mut self.peers[p].tables[t];
                if st.last_get != st.last_acked {
                    msg::encode_ack(st.remote_id, st.last_get, out);
                    st.last_acked = st.last_get;
                }
                let flags = self.peers[p].flags;
                let done = if flags & pflags::TEACH_PROCESS == 0 {
                    flags & pflags::LEARN_ASSIGN != 0
                        || self.peers[p].tables[t].last_pushed == src.local_update(t)
                        || self.push(p, t, Mode::Process, out, src)
                } else if flags & pflags::TEACH_FINISHED == 0 {
                    let sf = self.peers[p].tables[t].flags;
                    (sf & TEACH_STAGE1 != 0 || self.push(p, t, Mode::Stage1, out, src))
                        && (sf & TEACH_STAGE2 != 0 || self.push(p, t, Mode::Stage2, out, src))
                } else {
                    true
                };
                if !done || self.full(out) {
                    return;
                }
            }
        }
        let peer = &mut self.peers[p];
        if peer.flags & pflags::TEACH_PROCESS != 0 && peer.flags & pflags::TEACH_FINISHED == 0 {
            let kind = if self.flags & sflags::FINISHED == sflags::FINISHED {
                CTRL_RESYNC_FINISHED
            } else {
                CTRL_RESYNC_PARTIAL
            };
            msg::encode_control(kind, out);
            peer.flags |= pflags::TEACH_FINISHED;
        }
        while peer.confirm > 0 {
            msg::encode_control(CTRL_RESYNC_CONFIRM, out);
            peer.confirm -= 1;
        }
    }

    /// Pushes table `t` in `mode`; `true` when nothing is left, `false` when
    /// the output is full.
    fn push(
        &mut self,
        p: usize,
        t: usize,
        mode: Mode,
        out: &mut Vec<u8>,
        src: &dyn TableSource,
    ) -> bool {
        let def = &self.cfg.tables[t];
        let peer = &mut self.peers[p];
        if peer.last_local_table != Some(t) {
            def.encode(out);
            peer.last_local_table = Some(t);
        }
        let timed = mode != Mode::Process && peer.flags & pflags::DWNGRD == 0;
        let mut first = true;
        loop {
            let st = &mut peer.tables[t];
            let (upto, learned) = match mode {
                Mode::Process => (src.local_update(t), false),
                Mode::Stage1 => (src.update(t), true),
                Mode::Stage2 => (st.teaching_origin, true),
            };
            // Ask for about what still fits (an update takes 20 bytes or
            // more): what is collected but not sent is collected again.
            let room = self.cfg.max_output.saturating_sub(out.len());
            let want = (room / 20 + 1).clamp(1, self.cfg.batch.max(1));
            let batch = if st.last_pushed < upto {
                src.collect(t, st.last_pushed, upto, learned, want)
            } else {
                Vec::new()
            };
            if batch.is_empty() {
                match mode {
                    Mode::Process => st.last_pushed = upto,
                    Mode::Stage1 => {
                        st.flags |= TEACH_STAGE1;
                        st.last_pushed = 0;
                    }
                    Mode::Stage2 => st.flags |= TEACH_STAGE2,
                }
                return true;
            }
            for e in batch {
                let st = &mut peer.tables[t];
                let consecutive =
                    st.last_pushed != 0 && e.id.checked_sub(st.last_pushed) == Some(1);
                let u = UpdateOut {
                    id: e.id as u32,
                    with_id: first || !consecutive,
                    expire: timed.then_some(e.expire),
                    key: &e.key,
                    values: &e.values,
                };
                encode_update(def, &u, &mut peer.dict_tx, out);
                st.last_pushed = e.id;
                first = false;
                if out.len() >= self.cfg.max_output {
                    return false;
                }
            }
        }
    }
}
