//! Incremental validation of a chunked body (RFC 9112 §7.1) that is
//! forwarded as is: the decoder does not de-chunk, it checks the framing
//! and tells where the body (last chunk and trailer section included) ends.
//! Input may be split anywhere; [`ChunkedDecoder::advance`] is called with
//! whatever bytes arrived and says how many of them belong to the body.
//!
//! Rules, from HAProxy 2.6 (`include/haproxy/h1.h` `h1_parse_chunk_size`,
//! `h1_skip_chunk_crlf`; `src/h1_htx.c` `h1_parse_msg_tlrs`):
//! - chunk-size: one or more hex digits, at most `2^52 - 1` (HAProxy stops
//!   at 13 significant digits so that languages using floats cannot be
//!   fed a wrong size; doc/configuration.txt's "2GB" note for `PD` is
//!   outdated), leading zeros allowed; then optional SP/HTAB;
//! - chunk extensions `;...` are allowed and skipped up to the line end
//!   (HAProxy lets any byte but CR/LF through; we also refuse control bytes
//!   other than HTAB there);
//! - every line (size line, data terminator, trailer lines, final empty
//!   line) ends in CRLF **or a bare LF** — HAProxy 2.6 accepts LF alone
//!   everywhere in chunked framing; a CR must be followed by LF;
//! - the bytes after a chunk's data must be the line ending, nothing else;
//! - trailers are header fields (token name, colon, field value) ended by an
//!   empty line; obs-fold and spaces before the colon are refused. They are
//!   limited like a head: `max_trailer_bytes` bytes, `max_trailers` fields
//!   (`tune.http.maxhdr - 1`).
//!
//! On error, HAProxy answers 400 for a request body when no response has
//! started (logged `PH`), logs `PD` if the response had started; for a
//! response body it aborts the client connection (logged `SD`). See
//! [`super::Failure`].

use std::fmt;

use super::head::{DEFAULT_MAX_HDR, DEFAULT_MAX_HEAD};
use super::tokens::{is_field_value_byte, is_tchar};

/// Largest chunk size accepted (13 hex digits).
pub const MAX_CHUNK_SIZE: u64 = (1 << 52) - 1;

/// Limits on the non-data parts of a chunked body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkedLimits {
    /// Longest chunk-size line (digits, spaces, extensions).
    pub max_line: usize,
    /// Total bytes of the trailer section, final empty line included.
    pub max_trailer_bytes: usize,
    /// Number of trailer fields.
    pub max_trailers: usize,
}

impl Default for ChunkedLimits {
    fn default() -> ChunkedLimits {
        ChunkedLimits {
            max_line: DEFAULT_MAX_HEAD,
            max_trailer_bytes: DEFAULT_MAX_HEAD,
            max_trailers: DEFAULT_MAX_HDR - 1,
        }
    }
}

/// Why a chunked body is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkError {
    /// Not a hex digit where the chunk size starts, or junk after it.
    BadSize,
    /// Chunk size above [`MAX_CHUNK_SIZE`].
    SizeOverflow,
    /// Control byte in a chunk extension.
    BadExtension,
    /// Missing or broken line ending (bare CR, data longer than announced).
    BadLineEnding,
    /// Malformed trailer field.
    BadTrailer,
    /// More trailer fields than allowed.
    TooManyTrailers,
    /// Chunk-size line or trailer section over its limit.
    TooLong,
}

impl ChunkError {
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkError::BadSize => "invalid chunk size",
            ChunkError::SizeOverflow => "chunk size too large",
            ChunkError::BadExtension => "invalid chunk extension",
            ChunkError::BadLineEnding => "invalid line ending in chunked body",
            ChunkError::BadTrailer => "invalid trailer field",
            ChunkError::TooManyTrailers => "too many trailer fields",
            ChunkError::TooLong => "chunk metadata too long",
        }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ChunkError {}

/// Result of one [`ChunkedDecoder::advance`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the input that belong to the body (forward them).
    pub consumed: usize,
    /// The body ended within those bytes; what follows is the next message.
    pub done: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Expecting the first hex digit of a chunk size.
    SizeStart,
    /// In the hex digits.
    Size,
    /// Spaces after the digits.
    SizeSpace,
    /// In a chunk extension, up to the line end.
    Ext,
    /// After the CR ending a size line.
    SizeLf,
    /// Chunk data, this many bytes left.
    Data(u64),
    /// After the data: CR or LF expected.
    DataEnd,
    /// After the CR following the data.
    DataLf,
    /// At the start of a trailer line or of the final empty line.
    TrailerStart,
    /// In a trailer name.
    TrailerName,
    /// In a trailer value.
    TrailerValue,
    /// After the CR ending a trailer line.
    TrailerLf,
    /// After the CR of the final empty line.
    FinalLf,
    Done,
}

/// The chunked-body state machine.
#[derive(Clone, Debug)]
pub struct ChunkedDecoder {
    state: State,
    size: u64,
    limits: ChunkedLimits,
    line_len: usize,
    trailer_bytes: usize,
    trailers: usize,
    data_len: u64,
}

impl Default for ChunkedDecoder {
    fn default() -> ChunkedDecoder {
        ChunkedDecoder::new(ChunkedLimits::default())
    }
}

impl ChunkedDecoder {
    pub fn new(limits: ChunkedLimits) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::SizeStart,
            size: 0,
            limits,
            line_len: 0,
            trailer_bytes: 0,
            trailers: 0,
            data_len: 0,
        }
    }

    /// The whole body, last chunk and trailers included, went through.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// In the trailer section (after the last chunk, before the end).
    pub fn in_trailers(&self) -> bool {
        matches!(
            self.state,
            State::TrailerStart
                | State::TrailerName
                | State::TrailerValue
                | State::TrailerLf
                | State::FinalLf
        )
    }

    /// Payload bytes seen so far (sum of the chunk sizes).
    pub fn data_len(&self) -> u64 {
        self.data_len
    }

    /// Data bytes of the current chunk still expected: a driver may move
    /// that many bytes without calling [`Self::advance`] byte per byte (it
    /// must still call it, with them, to keep the count).
    pub fn pending_data(&self) -> u64 {
        match self.state {
            State::Data(n) => n,
            _ => 0,
        }
    }

    /// Feeds `input`; returns how much of it belongs to the body and
    /// whether the body ended. After an error the decoder must not be used.
    pub fn advance(&mut self, input: &[u8]) -> Result<Progress, ChunkError> {
        let mut i = 0;
        while i < input.len() {
            if let State::Data(left) = self.state {
                let take = usize::try_from(left)
                    .unwrap_or(usize::MAX)
                    .min(input.len() - i);
                i += take;
                let left = left - take as u64;
                self.state = if left == 0 {
                    State::DataEnd
                } else {
                    State::Data(left)
                };
                continue;
            }
            if self.state == State::Done {
                break;
            }
            self.step(input[i])?;
            i += 1;
        }
        Ok(Progress {
            consumed: i,
            done: self.state == State::Done,
        })
    }

    fn line_byte(&mut self) -> Result<(), ChunkError> {
        self.line_len += 1;
        if self.line_len > self.limits.max_line {
            return Err(ChunkError::TooLong);
        }
        Ok(())
    }

    fn trailer_byte(&mut self) -> Result<(), ChunkError> {
        self.trailer_bytes += 1;
        if self.trailer_bytes > self.limits.max_trailer_bytes {
            return Err(ChunkError::TooLong);
        }
        Ok(())
    }

    /// End of a size line: start the data, or the trailers after `0`.
    fn size_line_done(&mut self) {
        self.line_len = 0;
        self.state = if self.size == 0 {
            State::TrailerStart
        } else {
            self.data_len = self.data_len.saturating_add(self.size);
            State::Data(self.size)
        };
    }

    fn step(&mut self, b: u8) -> Result<(), ChunkError> {
        match self.state {
            State::SizeStart | State::Size => {
                self.line_byte()?;
                if let Some(d) = (b as char).to_digit(16) {
                    self.size = (self.size << 4) | u64::from(d);
                    if self.size > MAX_CHUNK_SIZE {
                        return Err(ChunkError::SizeOverflow);
                    }
                    self.state = State::Size;
                    return Ok(());
                }
                if self.state == State::SizeStart {
                    return Err(ChunkError::BadSize);
                }
                self.after_size(b)?;
            }
            State::SizeSpace => {
                self.line_byte()?;
                self.after_size(b)?;
            }
            State::Ext => {
                self.line_byte()?;
                match b {
                    b'\r' => self.state = State::SizeLf,
                    b'\n' => self.size_line_done(),
                    b'\t' => {}
                    0..=0x1f | 0x7f => return Err(ChunkError::BadExtension),
                    _ => {}
                }
            }
            State::SizeLf => {
                if b != b'\n' {
                    return Err(ChunkError::BadLineEnding);
                }
                self.size_line_done();
            }
            State::Data(_) | State::Done => {}
            State::DataEnd => match b {
                b'\r' => self.state = State::DataLf,
                b'\n' => self.next_chunk(),
                _ => return Err(ChunkError::BadLineEnding),
            },
            State::DataLf => {
                if b != b'\n' {
                    return Err(ChunkError::BadLineEnding);
                }
                self.next_chunk();
            }
            State::TrailerStart => {
                self.trailer_byte()?;
                match b {
                    b'\r' => self.state = State::FinalLf,
                    b'\n' => self.state = State::Done,
                    _ if is_tchar(b) => {
                        self.trailers += 1;
                        if self.trailers > self.limits.max_trailers {
                            return Err(ChunkError::TooManyTrailers);
                        }
                        self.state = State::TrailerName;
                    }
                    _ => return Err(ChunkError::BadTrailer),
                }
            }
            State::TrailerName => {
                self.trailer_byte()?;
                match b {
                    b':' => self.state = State::TrailerValue,
                    _ if is_tchar(b) => {}
                    _ => return Err(ChunkError::BadTrailer),
                }
            }
            State::TrailerValue => {
                self.trailer_byte()?;
                match b {
                    b'\r' => self.state = State::TrailerLf,
                    b'\n' => self.state = State::TrailerStart,
                    _ if is_field_value_byte(b) => {}
                    _ => return Err(ChunkError::BadTrailer),
                }
            }
            State::TrailerLf => {
                self.trailer_byte()?;
                if b != b'\n' {
                    return Err(ChunkError::BadLineEnding);
                }
                self.state = State::TrailerStart;
            }
            State::FinalLf => {
                self.trailer_byte()?;
                if b != b'\n' {
                    return Err(ChunkError::BadLineEnding);
                }
                self.state = State::Done;
            }
        }
        Ok(())
    }

    /// After the chunk-size digits or the spaces that follow them.
    fn after_size(&mut self, b: u8) -> Result<(), ChunkError> {
        match b {
            b' ' | b'\t' => self.state = State::SizeSpace,
            b';' => self.state = State::Ext,
            b'\r' => self.state = State::SizeLf,
            b'\n' => self.size_line_done(),
            _ => return Err(ChunkError::BadSize),
        }
        Ok(())
    }

    fn next_chunk(&mut self) {
        self.size = 0;
        self.state = State::SizeStart;
    }
}
