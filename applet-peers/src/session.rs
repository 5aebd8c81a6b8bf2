//! The receiving half of a peers session (HAProxy's `peer_io_handler` up
//! to `peer_treat_awaited_msg`): the hello on the accepting side, the
//! status line on the connecting side, then binary messages.
//!
//! Errors end the session the way 2.6 does: a bad hello gets its status
//! code, an unframable message `01 00` (length not within 5 bytes) or
//! `01 01` (length above the buffer), a malformed message or a class-255
//! message `01 00` (and `proto_err` counts it); each time the tables are
//! left untouched by the faulty message and the host is told to close.
//! A table definition that does not match ours is not an error: its
//! updates are skipped. Acks are ignored while we teach the peer. A learned
//! update never carries `conn_cur` (local-only) to the host.

use crate::datatypes;
use crate::hello::{self, status, Hello};
use crate::msg::{self, parse_frame, Frame, FrameError, Kind, Malformed};
use crate::section::{
    pflags, sflags, ConnId, Event, PeersSection, Phase, TableSource, HEARTBEAT_TIMEOUT,
    RECONNECT_TIMEOUT, RESYNC_TIMEOUT,
};
use crate::table_def::{parse_define, DefineOutcome};
use crate::update::{decode_update, KeySpec};

/// How a message ends the session.
enum End {
    /// Send `01 00`, count a protocol error.
    Proto,
    /// Quietly (soft-stop hand-over done).
    Quiet,
}

impl From<Malformed> for End {
    fn from(_: Malformed) -> End {
        End::Proto
    }
}

impl PeersSection {
    /// Bytes received on `conn`.
    pub fn receive(&mut self, conn: ConnId, data: &[u8], now: u64, src: &dyn TableSource) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if matches!(c.phase, Phase::Done) {
            return;
        }
        c.inbuf.extend_from_slice(data);
        self.process(conn, now, src);
    }

    fn process(&mut self, conn: ConnId, now: u64, src: &dyn TableSource) {
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            match &mut c.phase {
                Phase::Done => return,
                Phase::Hello(h) => {
                    let peers = &self.peers;
                    let known = |n: &str| peers.iter().any(|p| p.name == n);
                    match h.feed(&mut c.inbuf, &self.cfg.local_name, known) {
                        None => return,
                        Some(outcome) => self.on_hello(conn, outcome, now, src),
                    }
                }
                Phase::Status => match hello::take_line(&mut c.inbuf) {
                    Ok(None) => return,
                    Ok(Some(line)) => self.on_status(conn, hello::parse_status(&line), now, src),
                    Err(_) => self.end_session(conn, now, true),
                },
                Phase::Established => {
                    if !self.on_messages(conn, now) {
                        return;
                    }
                }
            }
        }
    }

    fn on_hello(&mut self, conn: ConnId, outcome: Hello, now: u64, src: &dyn TableSource) {
        let (name, minor) = match outcome {
            Hello::Valid { peer, minor } => (peer, minor),
            Hello::Reject(code) => return self.reply_and_end(conn, code, now),
            Hello::Close => return self.end_session(conn, now, true),
        };
        let Some(p) = self.peers.iter().position(|x| x.name == name) else {
            return self.reply_and_end(conn, status::ERR_PEER, now);
        };
        if let Some(old) = self.peers[p].conn.filter(|&o| o != conn) {
            if self.peers[p].local {
                return self.reply_and_end(conn, status::TRY_AGAIN, now);
            }
            // both ends connected at once: keep this one, retry later
            let delay = self.random_delay();
            self.peers[p].reconnect = Some(now + delay);
            self.end_session(old, now, true);
            self.peers[p].heartbeat = None;
            self.peers[p].coll += 1;
        }
        let peer = &mut self.peers[p];
        if minor == hello::DOWNGRADE_MINOR {
            peer.flags |= pflags::DWNGRD;
        } else {
            peer.flags &= !pflags::DWNGRD;
        }
        peer.conn = Some(conn);
        peer.flags |= pflags::ALIVE;
        if let Some(c) = self.conns.get_mut(&conn) {
            c.peer = Some(p);
            c.out
                .extend_from_slice(&hello::status_line(status::SUCCESS));
            c.phase = Phase::Established;
        }
        self.init_peer(p, now, src, true);
    }

    fn reply_and_end(&mut self, conn: ConnId, code: u32, now: u64) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.out.extend_from_slice(&hello::status_line(code));
        }
        self.end_session(conn, now, true);
    }

    fn on_status(&mut self, conn: ConnId, code: u32, now: u64, src: &dyn TableSource) {
        let Some(p) = self.conns.get(&conn).and_then(|c| c.peer) else {
            return;
        };
        if self.peers[p].conn != Some(conn) {
            return self.end_session(conn, now, true);
        }
        self.peers[p].statuscode = code;
        self.peers[p].last_hdshk = Some(now);
        if code != status::SUCCESS {
            if code == status::ERR_VERSION {
                self.peers[p].flags |= pflags::DWNGRD;
            }
            return self.end_session(conn, now, true);
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.phase = Phase::Established;
        }
        self.init_peer(p, now, src, false);
    }

    /// `init_accepted_peer` / `init_connected_peer`.
    fn init_peer(&mut self, p: usize, now: u64, src: &dyn TableSource, accepted: bool) {
        let from_local = self.flags & sflags::FINISHED == 0;
        let from_remote = self.flags & sflags::FINISHED == sflags::RESYNC_LOCAL;
        let assigned = self.flags & sflags::RESYNC_ASSIGN != 0;
        let peer = &mut self.peers[p];
        peer.heartbeat = Some(now + HEARTBEAT_TIMEOUT);
        if accepted {
            peer.statuscode = status::SUCCESS;
            peer.last_hdshk = Some(now);
        }
        peer.confirm = 0;
        for (t, st) in peer.tables.iter_mut().enumerate() {
            st.last_get = 0;
            st.last_acked = 0;
            // an acknowledged position beyond our updates is stale: start over
            if st.update > src.local_update(t) {
                st.update = 0;
            }
            st.teaching_origin = st.update;
            st.last_pushed = st.update;
            st.flags = 0;
        }
        peer.flags &= !(pflags::TEACH_RESET | pflags::LEARN_RESET);
        if peer.local {
            if accepted {
                if from_local && !assigned {
                    // the old process teaches without being asked
                    peer.flags |= pflags::LEARN_ASSIGN;
                    self.flags |=
                        sflags::RESYNC_ASSIGN | sflags::RESYNC_PROCESS | sflags::LOCAL_ASSIGN;
                }
            } else {
                peer.flags |= pflags::TEACH_PROCESS;
            }
        } else if from_remote && !assigned {
            peer.flags |= pflags::LEARN_ASSIGN;
            self.flags |= sflags::RESYNC_ASSIGN | sflags::REMOTE_ASSIGN;
        }
    }

    /// Treats every complete message; `false` when waiting for more input
    /// or when the session ended.
    fn on_messages(&mut self, conn: ConnId, now: u64) -> bool {
        enum Stop {
            Wait,
            Quiet,
            Fail(FrameError),
        }
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        let Some(p) = c.peer else { return false };
        let buf = std::mem::take(&mut c.inbuf);
        let mut used = 0;
        let mut stop = Stop::Wait;
        loop {
            match parse_frame(&buf[used..], self.cfg.max_payload) {
                Ok(None) => break,
                Ok(Some((frame, n))) => {
                    used += n;
                    match self.treat(conn, p, &frame, now) {
                        Ok(()) => self.peers[p].flags |= pflags::ALIVE,
                        Err(End::Proto) => {
                            stop = Stop::Fail(FrameError::Protocol);
                            break;
                        }
                        Err(End::Quiet) => {
                            stop = Stop::Quiet;
                            break;
                        }
                    }
                }
                Err(e) => {
                    stop = Stop::Fail(e);
                    break;
                }
            }
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.inbuf = buf[used..].to_vec();
        }
        match stop {
            Stop::Wait => {}
            Stop::Quiet => {
                self.end_session(conn, now, true);
                if self.stopping {
                    self.tick_stopping(now);
                }
            }
            Stop::Fail(e) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    let kind = match e {
                        FrameError::Protocol => msg::ERR_PROTOCOL,
                        FrameError::SizeLimit => msg::ERR_SIZE_LIMIT,
                    };
                    msg::encode_error(kind, &mut c.out);
                }
                if e == FrameError::Protocol {
                    self.peers[p].proto_err += 1;
                }
                self.end_session(conn, now, true);
            }
        }
        false
    }

    /// One message (`peer_treat_awaited_msg`).
    fn treat(&mut self, conn: ConnId, p: usize, f: &Frame<'_>, now: u64) -> Result<(), End> {
        match msg::classify(f) {
            Kind::ResyncRequest => {
                let peer = &mut self.peers[p];
                for st in &mut peer.tables {
                    st.teaching_origin = st.update;
                    st.last_pushed = st.update;
                    st.flags = 0;
                }
                peer.flags &= !pflags::TEACH_RESET;
                peer.flags |= pflags::TEACH_PROCESS;
                self.flags |= sflags::REQUESTED;
            }
            kind @ (Kind::ResyncFinished | Kind::ResyncPartial) => {
                let finished = kind == Kind::ResyncFinished;
                let peer = &mut self.peers[p];
                if peer.flags & pflags::LEARN_ASSIGN != 0 {
                    peer.flags &= !pflags::LEARN_ASSIGN;
                    self.flags &= !(sflags::RESYNC_ASSIGN | sflags::RESYNC_PROCESS);
                    if finished {
                        self.flags |= sflags::FINISHED;
                        self.flags |= if peer.local {
                            sflags::LOCAL_FINISHED
                        } else {
                            sflags::REMOTE_FINISHED
                        };
                        self.events.push_back(Event::ResyncFinished { peer: p });
                    } else {
                        self.flags |= if peer.local {
                            sflags::LOCAL_PARTIAL
                        } else {
                            sflags::REMOTE_PARTIAL
                        };
                        peer.flags |= pflags::LEARN_NOTUP2DATE;
                        self.resync_timeout = Some(now + RESYNC_TIMEOUT);
                        self.events.push_back(Event::ResyncPartial { peer: p });
                    }
                }
                self.peers[p].confirm += 1;
            }
            Kind::ResyncConfirm => {
                let peer = &mut self.peers[p];
                if self.stopping {
                    peer.flags |= pflags::TEACH_COMPLETE;
                    return Err(End::Quiet);
                }
                for st in &mut peer.tables {
                    st.update = st.teaching_origin;
                    st.last_pushed = st.teaching_origin;
                    st.flags = 0;
                }
                peer.flags &= !pflags::TEACH_RESET;
            }
            Kind::Heartbeat => {
                self.peers[p].reconnect = Some(now + RECONNECT_TIMEOUT);
                self.peers[p].rx_hbt += 1;
            }
            Kind::Error(kind) => self.events.push_back(Event::PeerError { conn, kind }),
            Kind::Define => self.on_define(p, f.payload)?,
            Kind::Switch => {
                let id = msg::decode_switch(f.payload)?;
                let peer = &mut self.peers[p];
                peer.remote_table = peer.tables.iter().position(|st| st.remote_id == id);
            }
            Kind::Update { with_id, timed } => self.on_update(p, with_id, timed, f.payload)?,
            Kind::Ack => {
                if self.peers[p].flags & pflags::TEACH_PROCESS == 0 {
                    let (id, upd) = msg::decode_ack(f.payload)?;
                    if let Some(st) = self.peers[p].tables.iter_mut().find(|st| st.local_id == id) {
                        // the 32-bit id names one of ours at or before last_pushed
                        let back = u64::from((st.last_pushed as u32).wrapping_sub(upd));
                        st.update = st.last_pushed.saturating_sub(back);
                    }
                }
            }
            Kind::Reserved => return Err(End::Proto),
            Kind::Unknown => {}
        }
        Ok(())
    }

    fn on_define(&mut self, p: usize, payload: &[u8]) -> Result<(), End> {
        let tables = &self.cfg.tables;
        let find = |name: &[u8]| {
            tables
                .iter()
                .position(|t| t.name == name)
                .map(|i| (i, tables[i].key_type, tables[i].key_len))
        };
        let (id, outcome) = parse_define(payload, find)?;
        let peer = &mut self.peers[p];
        peer.remote_table = None;
        for st in &mut peer.tables {
            if st.remote_id == id {
                st.remote_id = 0;
            }
        }
        if let DefineOutcome::Accepted { local, layout } = outcome {
            peer.remote_table = Some(local);
            peer.tables[local].remote = Some(*layout);
            peer.tables[local].remote_id = id;
        }
        Ok(())
    }

    fn on_update(
        &mut self,
        p: usize,
        with_id: bool,
        timed: bool,
        payload: &[u8],
    ) -> Result<(), End> {
        let peer = &mut self.peers[p];
        let Some(t) = peer.remote_table else {
            return Ok(());
        };
        let Some(layout) = peer.tables[t].remote else {
            return Ok(());
        };
        let def = &self.cfg.tables[t];
        let key = KeySpec {
            key_type: def.key_type,
            key_len: def.key_len,
        };
        let mut upd = decode_update(
            with_id,
            timed,
            payload,
            peer.tables[t].last_get,
            key,
            &layout,
            &mut peer.dict_rx,
        )?;
        peer.tables[t].last_get = upd.id;
        upd.data.retain(|(dt, _)| !datatypes::is_local(*dt));
        self.events.push_back(Event::Apply {
            table: t,
            update: upd,
        });
        Ok(())
    }
}
