//! The one-direction byte mover: bytes from a side's receive buffer
//! (refilled from that side) to the other side, as far as the framing
//! says: a byte count, chunks (validated, passed on as they are), or
//! everything until the sender closes.
//!
//! HTTP mode moves message bodies with it; in "until close" mode it is
//! one direction of the full-duplex forwarder (`forward.rs`) that
//! TCP streams, TCP services, the CLI, peer sessions and tunnels use.
//! Each poll does at most [`ROUNDS`] reads and writes, then asks to be
//! polled again, so one busy stream cannot starve the others on its
//! thread.

use std::io;
use std::task::{Context, Poll};

use super::recvbuf::{poll_write_some, RecvBuf};
use super::side::SideIo;
use crate::http::{BodyKind, ChunkError, ChunkedDecoder};

/// Reads and writes one poll may do before yielding.
pub const ROUNDS: usize = 16;

#[derive(Debug)]
enum State {
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

/// Why a body could not be forwarded.
#[derive(Debug)]
pub enum BodyError {
    Read(io::Error),
    Write(io::Error),
    /// The sender closed before the end of the body.
    Truncated,
    Chunk(ChunkError),
}

/// One message body (or one direction of a stream) on its way.
#[derive(Debug)]
pub struct Mover {
    state: State,
    /// Validated bytes at the front of the source buffer, not yet written.
    ready: usize,
    /// Body bytes written to the destination.
    pub total: u64,
}

/// What a poll did, for the inactivity timers.
#[derive(Debug, Default, Clone, Copy)]
pub struct Activity {
    pub read: bool,
    pub wrote: bool,
}

impl Mover {
    pub fn new(kind: BodyKind) -> Mover {
        let state = match kind {
            BodyKind::None | BodyKind::Length(0) => State::Done,
            BodyKind::Length(n) => State::Length(n),
            BodyKind::Chunked => State::Chunked(ChunkedDecoder::default()),
            BodyKind::UntilClose | BodyKind::Tunnel => State::UntilClose,
        };
        Mover {
            state,
            ready: 0,
            total: 0,
        }
    }

    /// Moves the body bytes already buffered in `src` into `out` (a head
    /// waiting to be sent), so a small message leaves in one write instead
    /// of head then body. Stops quietly at anything invalid: the regular
    /// forwarding reports it.
    pub fn absorb(&mut self, src: &mut RecvBuf, out: &mut Vec<u8>) {
        if self.ready > 0 || src.is_empty() {
            return;
        }
        let n = match &mut self.state {
            State::Done => 0,
            State::Length(left) => {
                let n = (*left).min(src.len() as u64);
                *left -= n;
                if *left == 0 {
                    self.state = State::Done;
                }
                n as usize
            }
            State::Chunked(d) => match d.advance(src.data()) {
                Ok(p) => {
                    if p.done {
                        self.state = State::Done;
                    }
                    p.consumed
                }
                Err(_) => 0,
            },
            // Bytes up to the close: only what is here now.
            State::UntilClose => src.len(),
        };
        out.extend_from_slice(&src.data()[..n]);
        src.consume(n);
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done) && self.ready == 0
    }

    /// Moves body bytes from `src` (refilled from `src_t`) to `dst_t` until
    /// the body ends, a side blocks, or the round budget is spent (then it
    /// wakes itself and returns `Pending`).
    pub fn poll<S: SideIo + ?Sized, D: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        src_t: &mut S,
        src: &mut RecvBuf,
        dst_t: &D,
        size: usize,
        act: &mut Activity,
    ) -> Poll<Result<(), BodyError>> {
        let mut rounds = 0;
        loop {
            if rounds == ROUNDS {
                // Budget spent with work left: ask to be polled again.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if self.ready > 0 {
                rounds += 1;
                let chunk = &src.data()[..self.ready];
                match poll_write_some(cx, dst_t, chunk) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(BodyError::Write(e))),
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(BodyError::Write(io::ErrorKind::WriteZero.into())))
                    }
                    Poll::Ready(Ok(n)) => {
                        src.consume(n);
                        self.ready -= n;
                        self.total += n as u64;
                        act.wrote = true;
                        continue;
                    }
                }
            }
            if !src.is_empty() {
                let avail = src.len();
                match &mut self.state {
                    State::Done => return Poll::Ready(Ok(())),
                    State::Length(left) => {
                        let n = (*left).min(avail as u64);
                        *left -= n;
                        self.ready = n as usize;
                        if *left == 0 {
                            self.state = State::Done;
                        }
                        continue;
                    }
                    State::Chunked(d) => {
                        let p = d.advance(src.data()).map_err(BodyError::Chunk);
                        let p = match p {
                            Ok(p) => p,
                            Err(e) => return Poll::Ready(Err(e)),
                        };
                        self.ready = p.consumed;
                        if p.done {
                            self.state = State::Done;
                        }
                        if p.consumed > 0 || p.done {
                            continue;
                        }
                        // A partial chunk-size line: read more below.
                    }
                    State::UntilClose => {
                        self.ready = avail;
                        continue;
                    }
                }
            } else if matches!(self.state, State::Done) {
                return Poll::Ready(Ok(()));
            }
            rounds += 1;
            match src.poll_fill(cx, src_t, size) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(BodyError::Read(e))),
                Poll::Ready(Ok(0)) => {
                    if matches!(self.state, State::UntilClose) && src.eof {
                        self.state = State::Done;
                        return Poll::Ready(Ok(()));
                    }
                    return Poll::Ready(Err(BodyError::Truncated));
                }
                Poll::Ready(Ok(_)) => act.read = true,
            }
        }
    }
}
