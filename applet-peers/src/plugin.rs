//! The `peers` service: the applet instances the host runs for a peers
//! section (see [`applet_sdk::peers`] for the contract), all sharing the
//! section's [`Runtime`].
//!
//! * `[<section>, "sync"]`: the section's timer task. Each call runs the
//!   section's timers, fills every session's output, wakes the streams that
//!   got some, publishes the state for `show peers`, and asks for a timer
//!   (at most 1 s). It never writes.
//! * `[<section>, "accept"]`: a connection accepted on the local peer's
//!   address.
//! * `[<section>, "connect", <peer>, <token>]`: the stream the host opened
//!   for the session whose id is `token`. A first call with the input
//!   closed and empty is a failed connection: the section retries later.
//!
//! A session instance feeds its input to the section, acts on the events,
//! and writes what the section has for it; it asks for room while output
//! is pending, otherwise for a timer so that heartbeats go out even when
//! the sync task is late. It ends (`Wait::DONE`, after writing what is
//! owed) when the peer closes or when the section ends the session.
//! `release` ends a session still open, so a dying stream never leaves one
//! half open.

use std::sync::{Arc, Mutex};

use applet_sdk::{AppletImpl, Host, Io, Wait};

use crate::runtime::{lock, runtime_for, Runtime};
use crate::section::ConnId;

/// The service's name.
pub const SERVICE: &str = "peers";

/// Writes of one session call (each up to the section's output size):
/// bounds the time one call takes.
const ROUNDS: usize = 8;

/// What an instance is, from its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Sync,
    Accept,
    Connect { peer: String, conn: ConnId },
}

/// Parses `[<section>, "sync" | "accept" | "connect" <peer> <token>]`.
pub fn parse_args(args: &[String]) -> Result<(String, Role), String> {
    const USAGE: &str =
        "expected '<section> sync', '<section> accept' or '<section> connect <peer> <token>'";
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let role = match words.as_slice() {
        [_, "sync"] => Role::Sync,
        [_, "accept"] => Role::Accept,
        [_, "connect", peer, token] => {
            let id = token
                .parse::<u64>()
                .map_err(|_| format!("peers: bad connection token '{token}': {USAGE}"))?;
            Role::Connect {
                peer: (*peer).to_string(),
                conn: ConnId(id),
            }
        }
        _ => return Err(format!("peers: bad arguments {words:?}: {USAGE}")),
    };
    match words.first() {
        Some(s) if !s.is_empty() => Ok(((*s).to_string(), role)),
        _ => Err(format!("peers: empty section name: {USAGE}")),
    }
}

/// Where a session instance is.
#[derive(Debug)]
enum Phase {
    /// Not called yet (accept: no session yet; connect: not established).
    Start,
    /// Talking.
    Open,
    /// The session is over: write these bytes, then end.
    Closing(Vec<u8>),
    Done,
}

/// One instance of the `peers` service.
pub struct PeersApplet {
    rt: Arc<Mutex<Runtime>>,
    host: Host,
    role: Role,
    conn: Option<ConnId>,
    phase: Phase,
}

impl PeersApplet {
    /// The constructor `export_applet!` names.
    pub fn new(args: &[String], host: Host) -> Result<PeersApplet, String> {
        let (section, role) = parse_args(args)?;
        let info = host
            .peers_section(&section)
            .ok_or_else(|| format!("peers: unknown peers section '{section}'"))?;
        let conn = match &role {
            Role::Connect { peer, conn } => {
                if !info.peers.iter().any(|p| p.name.as_str() == peer) {
                    return Err(format!(
                        "peers: no peer '{peer}' in peers section '{section}'"
                    ));
                }
                Some(*conn)
            }
            _ => None,
        };
        // never lock the runtime here: the host may create a connect
        // instance from inside `peer_connect`, which runs under the lock
        let rt = runtime_for(&info, host.now_ms());
        Ok(PeersApplet {
            rt,
            host,
            role,
            conn,
            phase: Phase::Start,
        })
    }

    /// The sync task's call; its input closes when the process stops
    /// softly, which starts the hand-over to the new process.
    fn sync(&mut self, io: &Io<'_>) -> Wait {
        let now = self.host.now_ms();
        let mut rt = lock(&self.rt);
        if io.input_closed() {
            rt.soft_stop(self.host, now);
        }
        let t = rt.sync_call(self.host, now);
        if rt.stop_ready {
            Wait::DONE
        } else {
            Wait::timer(t)
        }
    }

    fn session(&mut self, io: &mut Io<'_>) -> Wait {
        if let Phase::Closing(rest) = &mut self.phase {
            let n = io.write(rest);
            rest.drain(..n);
            if !rest.is_empty() {
                return Wait::ROOM;
            }
            self.phase = Phase::Done;
        }
        if matches!(self.phase, Phase::Done) {
            return Wait::DONE;
        }
        let host = self.host;
        let now = host.now_ms();
        let rt_arc = Arc::clone(&self.rt);
        let mut rt = lock(&rt_arc);
        let conn = match (self.conn, &self.role) {
            (None, _) => {
                let c = rt.accept(now, io.stream().id());
                self.conn = Some(c);
                self.phase = Phase::Open;
                c
            }
            (Some(c), Role::Connect { .. }) if matches!(self.phase, Phase::Start) => {
                self.phase = Phase::Open;
                // the connection failed (the section retries later), or the
                // section gave the session up (collision, handshake timeout)
                // before it started: end without a word, as HAProxy's
                // applet does, so that the peer never sees a stale hello
                let failed = io.input_closed() && io.input().is_empty();
                if failed || !rt.is_open(c) || rt.closing(c) {
                    return self.abort(&mut rt);
                }
                rt.connected(c, io.stream().id());
                c
            }
            (Some(c), _) => c,
        };
        if !rt.is_open(conn) {
            // given up by the section's sync task
            return self.abort(&mut rt);
        }
        rt.tick_if_due(host, now);
        let input = io.input();
        if !input.is_empty() {
            rt.receive(host, conn, input, now);
            io.consume(input.len());
        }
        let eof = io.input_closed();
        rt.process(host, now, Some(conn));
        let mut pending = false;
        for _ in 0..ROUNDS {
            rt.fill(host, conn, now, false);
            let Some(cio) = rt.conns.get_mut(&conn) else {
                break;
            };
            let n = io.write(&cio.out);
            cio.out.drain(..n);
            pending = !cio.out.is_empty();
            if pending || n == 0 {
                break;
            }
        }
        if eof || rt.closing(conn) {
            let drain = rt.closing(conn);
            return self.end(&mut rt, io, drain);
        }
        rt.publish(host, now);
        if pending {
            Wait::ROOM
        } else {
            Wait::timer(rt.timer_ms(now))
        }
    }

    /// Ends this instance's session without writing.
    fn abort(&mut self, rt: &mut Runtime) -> Wait {
        if let Some(c) = self.conn.take() {
            rt.finish(self.host, c, self.host.now_ms(), false);
        }
        self.phase = Phase::Done;
        Wait::DONE
    }

    /// Ends this instance's session; writes what is owed (with the
    /// section's last bytes if `drain`), then ends.
    fn end(&mut self, rt: &mut Runtime, io: &mut Io<'_>, drain: bool) -> Wait {
        let mut rest = match self.conn.take() {
            Some(c) => rt.finish(self.host, c, self.host.now_ms(), drain),
            None => Vec::new(),
        };
        let n = io.write(&rest);
        rest.drain(..n);
        if rest.is_empty() {
            self.phase = Phase::Done;
            Wait::DONE
        } else {
            self.phase = Phase::Closing(rest);
            Wait::ROOM
        }
    }
}

impl AppletImpl for PeersApplet {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        match self.role {
            Role::Sync => self.sync(io),
            Role::Accept | Role::Connect { .. } => self.session(io),
        }
    }

    fn release(&mut self) {
        if let Some(c) = self.conn.take() {
            let now = self.host.now_ms();
            let mut rt = lock(&self.rt);
            rt.finish(self.host, c, now, false);
        }
        self.phase = Phase::Done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_name_the_role() {
        assert_eq!(
            parse_args(&args(&["s", "sync"])),
            Ok(("s".into(), Role::Sync))
        );
        assert_eq!(
            parse_args(&args(&["s", "accept"])),
            Ok(("s".into(), Role::Accept))
        );
        assert_eq!(
            parse_args(&args(&["s", "connect", "b", "12"])),
            Ok((
                "s".into(),
                Role::Connect {
                    peer: "b".into(),
                    conn: ConnId(12)
                }
            ))
        );
        for bad in [
            &[][..],
            &["s"],
            &["s", "listen"],
            &["s", "sync", "x"],
            &["s", "connect", "b"],
            &["", "sync"],
        ] {
            let e = parse_args(&args(bad)).unwrap_err();
            assert!(e.contains("expected '<section> sync'"), "{e}");
        }
        let e = parse_args(&args(&["s", "connect", "b", "x"])).unwrap_err();
        assert!(e.contains("bad connection token 'x'"), "{e}");
    }
}
