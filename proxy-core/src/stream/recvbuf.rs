//! A side's receive buffer and the small I/O steps every mode is made of
//! (HTTP heads and bodies, the TCP forwarder, applet streams).
//!
//! The buffer is taken from the pool only when the side is readable and
//! given back when everything was consumed, so an idle keep-alive client
//! or an idle TCP stream holds none. All steps work on a side (a socket or
//! an applet, see [`super::side`]), so both directions of one stream can
//! be driven from a single future.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use super::side::SideIo;
use crate::buffer::Buffer;

/// The first buffer of a request head: most heads fit in it.
pub const HEAD_START: usize = 1024;

/// Bytes received from one side and not yet consumed.
#[derive(Debug, Default)]
pub struct RecvBuf {
    buf: Option<Buffer>,
    start: usize,
    end: usize,
    /// End-of-stream seen on this side.
    pub eof: bool,
}

impl RecvBuf {
    pub fn data(&self) -> &[u8] {
        match &self.buf {
            Some(b) => &b.as_slice()[self.start..self.end],
            None => &[],
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether the buffer cannot take more bytes even after compaction.
    pub fn is_full(&self, size: usize) -> bool {
        self.len() >= size
    }

    /// Drops `n` bytes from the front; an emptied buffer goes back to the
    /// pool.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.buf = None;
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads what the socket has into the free room; `Ok(0)` = end of
    /// stream (or no room left).
    pub fn poll_fill<T: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        t: &mut T,
        size: usize,
    ) -> Poll<io::Result<usize>> {
        self.poll_fill_from(cx, t, size, size)
    }

    /// Like [`RecvBuf::poll_fill`], but a buffer taken now holds
    /// [`HEAD_START`] bytes and grows to `size` only when what it holds
    /// does not fit: a request head is usually far smaller than
    /// `tune.bufsize`, and a client that sent part of one holds only this.
    pub fn poll_fill_head<T: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        t: &mut T,
        size: usize,
    ) -> Poll<io::Result<usize>> {
        self.poll_fill_from(cx, t, HEAD_START.min(size), size)
    }

    fn poll_fill_from<T: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        t: &mut T,
        first: usize,
        size: usize,
    ) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.buf.is_none() {
            // Nothing held: take no buffer until the side has something.
            match t.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // A buffer comes from this thread's cache; if nothing can be read
        // after all it goes straight back, so an idle side holds none.
        let buf = self
            .buf
            .get_or_insert_with(|| Buffer::take(first))
            .vec_mut();
        if self.end == buf.capacity() && buf.capacity() < size {
            // A small first buffer ran full: it grows to the full size.
            buf.reserve_exact(size - buf.len());
        } else if self.end == buf.capacity() {
            if self.start == 0 {
                return Poll::Ready(Ok(0));
            }
            // Move the pending bytes to the front to make room.
            buf.copy_within(self.start..self.end, 0);
            buf.truncate(self.end - self.start);
            self.end -= self.start;
            self.start = 0;
        }
        let res = t.poll_read(cx, buf);
        match res {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                self.release_if_empty();
                Poll::Ready(Ok(0))
            }
            Poll::Ready(Ok(n)) => {
                self.end += n;
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => {
                self.release_if_empty();
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                self.release_if_empty();
                Poll::Pending
            }
        }
    }

    fn release_if_empty(&mut self) {
        if self.start == self.end {
            self.buf = None;
            self.start = 0;
            self.end = 0;
        }
    }

    pub async fn fill<T: SideIo + ?Sized>(&mut self, t: &mut T, size: usize) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill(cx, t, size)).await
    }

    /// Reads a request head's bytes (see [`RecvBuf::poll_fill_head`]).
    pub async fn fill_head<T: SideIo + ?Sized>(
        &mut self,
        t: &mut T,
        size: usize,
    ) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill_head(cx, t, size)).await
    }
}

/// Writes as much of `data` as the socket takes now.
pub fn poll_write_some<T: SideIo + ?Sized>(
    cx: &mut Context<'_>,
    t: &T,
    data: &[u8],
) -> Poll<io::Result<usize>> {
    loop {
        match t.poll_write_ready(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {}
        }
        match t.try_write(data) {
            Ok(n) => return Poll::Ready(Ok(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

/// Writes all of `data`.
pub async fn write_all<T: SideIo + ?Sized>(t: &T, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        let n = poll_fn(|cx| poll_write_some(cx, t, data)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
    }
    Ok(())
}

/// An outgoing byte queue (a head, a generated response) written ahead of
/// any forwarded body bytes.
#[derive(Debug, Default)]
pub struct SendQueue {
    pub data: Vec<u8>,
    pub pos: usize,
}

impl SendQueue {
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.is_empty() {
            self.data.clear();
            self.pos = 0;
        }
        self.data.extend_from_slice(bytes);
    }

    /// Writes what it can; `Ready(Ok(true))` once empty.
    pub fn poll_flush<T: SideIo + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        t: &T,
    ) -> Poll<io::Result<usize>> {
        let mut total = 0;
        while !self.is_empty() {
            match poll_write_some(cx, t, &self.data[self.pos..]) {
                Poll::Pending => {
                    return if total > 0 {
                        Poll::Ready(Ok(total))
                    } else {
                        Poll::Pending
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pos += n;
                    total += n;
                }
            }
        }
        self.data.clear();
        self.pos = 0;
        Poll::Ready(Ok(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Transport;
    use tokio::io::AsyncWriteExt;

    /// A head starts in a small buffer, which grows to the full size only
    /// when the bytes do not fit, keeping what it holds.
    #[tokio::test]
    async fn a_head_buffer_starts_small_and_grows_when_needed() {
        let (mut peer, s) = crate::stream::forward::tests::pair().await;
        let mut t = Transport::Tcp(s);
        let mut rb = RecvBuf::default();
        peer.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let n = rb.fill_head(&mut t, 16384).await.unwrap();
        assert_eq!(n, 16);
        assert_eq!(rb.buf.as_ref().map(|b| b.capacity()), Some(HEAD_START));
        let big: Vec<u8> = (0..4000u32).map(|i| b'a' + (i % 26) as u8).collect();
        peer.write_all(&big).await.unwrap();
        let mut want = b"GET / HTTP/1.1\r\n".to_vec();
        want.extend_from_slice(&big);
        while rb.len() < want.len() {
            assert!(rb.fill_head(&mut t, 16384).await.unwrap() > 0);
        }
        assert_eq!(rb.data(), &want[..]);
        assert_eq!(rb.buf.as_ref().map(|b| b.capacity()), Some(16384));
        rb.consume(want.len());
        assert!(rb.buf.is_none(), "an emptied buffer goes back");
    }
}
