//! Binary message framing and the small messages.
//!
//! Every message starts with a class byte and a type byte. When bit 7 of the
//! type is set (whatever the class) an encoded length and that many payload
//! bytes follow; otherwise the message is just the two bytes. The receiver
//! (HAProxy's `peer_recv_msg`) reads the length from at most 5 bytes: a
//! length not complete within 5 bytes is a protocol error, a length above
//! the buffer size (16384) a size-limit error.
//!
//! | class | type | message | payload |
//! |---:|---|---|---|
//! | 0 control | 0x00 | resync request | |
//! | 0 | 0x01 | resync finished | |
//! | 0 | 0x02 | resync partial | |
//! | 0 | 0x03 | resync confirm | |
//! | 0 | 0x04 | heartbeat | |
//! | 1 error | 0x00 | protocol error | |
//! | 1 | 0x01 | size limit reached | |
//! | 10 stick-table | 0x80 | update | id, key, data |
//! | 10 | 0x81 | incremental update | key, data |
//! | 10 | 0x82 | table definition | see `table_def` |
//! | 10 | 0x83 | table switch | table id |
//! | 10 | 0x84 | ack | table id, 32-bit update id |
//! | 10 | 0x85 | timed update | id, expire, key, data |
//! | 10 | 0x86 | incremental timed update | expire, key, data |
//! | 255 | any | reserved: protocol error | |
//!
//! Other classes and types are skipped.

use crate::varint::{self, Reader, VarintError};

pub const CLASS_CONTROL: u8 = 0;
pub const CLASS_ERROR: u8 = 1;
pub const CLASS_STICKTABLE: u8 = 10;
pub const CLASS_RESERVED: u8 = 255;

pub const CTRL_RESYNC_REQUEST: u8 = 0;
pub const CTRL_RESYNC_FINISHED: u8 = 1;
pub const CTRL_RESYNC_PARTIAL: u8 = 2;
pub const CTRL_RESYNC_CONFIRM: u8 = 3;
pub const CTRL_HEARTBEAT: u8 = 4;

pub const ERR_PROTOCOL: u8 = 0;
pub const ERR_SIZE_LIMIT: u8 = 1;

pub const STKT_UPDATE: u8 = 0x80;
pub const STKT_INCUPDATE: u8 = 0x81;
pub const STKT_DEFINE: u8 = 0x82;
pub const STKT_SWITCH: u8 = 0x83;
pub const STKT_ACK: u8 = 0x84;
pub const STKT_UPDATE_TIMED: u8 = 0x85;
pub const STKT_INCUPDATE_TIMED: u8 = 0x86;

/// Largest payload accepted (HAProxy's default `tune.bufsize`).
pub const DEFAULT_MAX_PAYLOAD: usize = 16384;

/// Bytes the receiver reads to find the length.
const LENGTH_WINDOW: usize = 5;

/// Why the input cannot be framed; the receiver sends the matching error
/// message and closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The length is not encoded within 5 bytes: `01 00`.
    Protocol,
    /// The length exceeds the buffer: `01 01`.
    SizeLimit,
}

/// A content error inside a well-framed message (HAProxy: "malformed
/// message"): the receiver sends `01 00` and closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl From<VarintError> for Malformed {
    fn from(_: VarintError) -> Malformed {
        Malformed
    }
}

/// One framed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub class: u8,
    pub kind: u8,
    pub payload: &'a [u8],
}

/// Frames the first message of `buf`: `Ok(None)` if incomplete, else the
/// message and its total length.
pub fn parse_frame(
    buf: &[u8],
    max_payload: usize,
) -> Result<Option<(Frame<'_>, usize)>, FrameError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (class, kind) = (buf[0], buf[1]);
    if kind & 0x80 == 0 {
        return Ok(Some((
            Frame {
                class,
                kind,
                payload: &[],
            },
            2,
        )));
    }
    let window = &buf[2..buf.len().min(2 + LENGTH_WINDOW)];
    let (len, n) = match varint::decode(window) {
        Ok(x) => x,
        Err(_) if window.len() < LENGTH_WINDOW => return Ok(None),
        Err(_) => return Err(FrameError::Protocol),
    };
    if len > max_payload as u64 {
        return Err(FrameError::SizeLimit);
    }
    let start = 2 + n;
    let end = start + len as usize;
    if buf.len() < end {
        return Ok(None);
    }
    Ok(Some((
        Frame {
            class,
            kind,
            payload: &buf[start..end],
        },
        end,
    )))
}

/// Appends a message with a payload (the type must have bit 7 set).
pub fn encode_frame(class: u8, kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(class);
    out.push(kind);
    if kind & 0x80 != 0 {
        varint::encode(payload.len() as u64, out);
        out.extend_from_slice(payload);
    }
}

/// Appends a two-byte control message.
pub fn encode_control(kind: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(&[CLASS_CONTROL, kind]);
}

/// Appends a two-byte error message.
pub fn encode_error(kind: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(&[CLASS_ERROR, kind]);
}

/// Appends a table switch to the sender's table `id`.
pub fn encode_switch(id: u64, out: &mut Vec<u8>) {
    let mut p = Vec::new();
    varint::encode(id, &mut p);
    encode_frame(CLASS_STICKTABLE, STKT_SWITCH, &p, out);
}

/// Reads a switch payload: the table id.
pub fn decode_switch(payload: &[u8]) -> Result<u64, Malformed> {
    Ok(Reader::new(payload).varint()?)
}

/// Appends an ack of update `update` for the peer's table `remote_id`.
pub fn encode_ack(remote_id: u64, update: u32, out: &mut Vec<u8>) {
    let mut p = Vec::with_capacity(9);
    varint::encode(remote_id, &mut p);
    p.extend_from_slice(&update.to_be_bytes());
    encode_frame(CLASS_STICKTABLE, STKT_ACK, &p, out);
}

/// Reads an ack payload: (table id, update id).
pub fn decode_ack(payload: &[u8]) -> Result<(u64, u32), Malformed> {
    let mut r = Reader::new(payload);
    let id = r.varint()?;
    let upd = r.u32_be().ok_or(Malformed)?;
    Ok((id, upd))
}

/// What a framed message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ResyncRequest,
    ResyncFinished,
    ResyncPartial,
    ResyncConfirm,
    Heartbeat,
    /// The peer reports an error (it closes after it).
    Error(u8),
    Define,
    Switch,
    Ack,
    /// An update: with an explicit id, and with an expire.
    Update {
        with_id: bool,
        timed: bool,
    },
    /// Class 255: a protocol error.
    Reserved,
    /// Skipped.
    Unknown,
}

/// Classifies a frame (HAProxy's `peer_treat_awaited_msg` dispatch).
pub fn classify(f: &Frame<'_>) -> Kind {
    match (f.class, f.kind) {
        (CLASS_CONTROL, CTRL_RESYNC_REQUEST) => Kind::ResyncRequest,
        (CLASS_CONTROL, CTRL_RESYNC_FINISHED) => Kind::ResyncFinished,
        (CLASS_CONTROL, CTRL_RESYNC_PARTIAL) => Kind::ResyncPartial,
        (CLASS_CONTROL, CTRL_RESYNC_CONFIRM) => Kind::ResyncConfirm,
        (CLASS_CONTROL, CTRL_HEARTBEAT) => Kind::Heartbeat,
        (CLASS_ERROR, k) => Kind::Error(k),
        (CLASS_STICKTABLE, STKT_DEFINE) => Kind::Define,
        (CLASS_STICKTABLE, STKT_SWITCH) => Kind::Switch,
        (CLASS_STICKTABLE, STKT_ACK) => Kind::Ack,
        (CLASS_STICKTABLE, STKT_UPDATE) => Kind::Update {
            with_id: true,
            timed: false,
        },
        (CLASS_STICKTABLE, STKT_INCUPDATE) => Kind::Update {
            with_id: false,
            timed: false,
        },
        (CLASS_STICKTABLE, STKT_UPDATE_TIMED) => Kind::Update {
            with_id: true,
            timed: true,
        },
        (CLASS_STICKTABLE, STKT_INCUPDATE_TIMED) => Kind::Update {
            with_id: false,
            timed: true,
        },
        (CLASS_RESERVED, _) => Kind::Reserved,
        _ => Kind::Unknown,
    }
}

/// The update type byte for an update with or without id and expire.
pub fn update_type(with_id: bool, timed: bool) -> u8 {
    match (with_id, timed) {
        (true, false) => STKT_UPDATE,
        (false, false) => STKT_INCUPDATE,
        (true, true) => STKT_UPDATE_TIMED,
        (false, true) => STKT_INCUPDATE_TIMED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_messages() {
        let mut o = Vec::new();
        encode_control(CTRL_RESYNC_REQUEST, &mut o);
        encode_control(CTRL_HEARTBEAT, &mut o);
        encode_error(ERR_SIZE_LIMIT, &mut o);
        assert_eq!(o, [0, 0, 0, 4, 1, 1]);
        let (f, n) = parse_frame(&o, 16384).unwrap().unwrap();
        assert_eq!((f.class, f.kind, f.payload.len(), n), (0, 0, 0, 2));
        assert_eq!(classify(&f), Kind::ResyncRequest);
    }

    #[test]
    fn captured_ack() {
        let mut o = Vec::new();
        encode_ack(7, 101, &mut o);
        assert_eq!(o, [0x0a, 0x84, 0x05, 0x07, 0, 0, 0, 0x65]);
        let (f, n) = parse_frame(&o, 16384).unwrap().unwrap();
        assert_eq!((classify(&f), n), (Kind::Ack, 8));
        assert_eq!(decode_ack(f.payload), Ok((7, 101)));
        assert_eq!(decode_ack(&[7, 0, 0]), Err(Malformed));
    }

    #[test]
    fn switch() {
        let mut o = Vec::new();
        encode_switch(300, &mut o);
        assert_eq!(o, [0x0a, 0x83, 0x02, 0xfc, 0x03]);
        let (f, _) = parse_frame(&o, 16384).unwrap().unwrap();
        assert_eq!(decode_switch(f.payload), Ok(300));
        assert_eq!(decode_switch(&[0xf0]), Err(Malformed));
    }

    #[test]
    fn framing_limits() {
        assert_eq!(parse_frame(&[0x0a], 100), Ok(None));
        assert_eq!(parse_frame(&[0x0a, 0x82], 100), Ok(None));
        assert_eq!(parse_frame(&[0x0a, 0x82, 0x05, 1, 2], 100), Ok(None));
        // length varint incomplete in fewer than 5 bytes: wait
        assert_eq!(
            parse_frame(&[0x0a, 0x82, 0xf0, 0x80, 0x80, 0x80], 1 << 40),
            Ok(None)
        );
        // not complete within 5 bytes: protocol error
        assert_eq!(
            parse_frame(&[0x0a, 0x82, 0xf0, 0x80, 0x80, 0x80, 0x80, 0], 1 << 40),
            Err(FrameError::Protocol)
        );
        // a 5-byte length is fine, and then too large
        assert_eq!(
            parse_frame(&[0x0a, 0x82, 0xf0, 0x80, 0x80, 0x80, 0x00], 16384),
            Err(FrameError::SizeLimit)
        );
        let mut big = vec![0x0a, 0x82];
        varint::encode(16385, &mut big);
        assert_eq!(parse_frame(&big, 16384), Err(FrameError::SizeLimit));
        let mut ok = vec![0x0a, 0x82];
        varint::encode(16384, &mut ok);
        ok.resize(ok.len() + 16384, 0);
        assert_eq!(parse_frame(&ok, 16384).unwrap().unwrap().1, ok.len());
        // bit 7 makes any class length-prefixed; its content is skipped
        let (f, n) = parse_frame(&[0x00, 0x84, 0x01, 0xaa, 0x00, 0x04], 100)
            .unwrap()
            .unwrap();
        assert_eq!((classify(&f), n), (Kind::Unknown, 4));
        let (f, _) = parse_frame(&[0xff, 0x00], 100).unwrap().unwrap();
        assert_eq!(classify(&f), Kind::Reserved);
        let (f, _) = parse_frame(&[0x0a, 0x10], 100).unwrap().unwrap();
        assert_eq!(classify(&f), Kind::Unknown);
        let (f, _) = parse_frame(&[0x07, 0x00], 100).unwrap().unwrap();
        assert_eq!(classify(&f), Kind::Unknown);
    }

    #[test]
    fn update_types() {
        assert_eq!(update_type(true, false), 0x80);
        assert_eq!(update_type(false, false), 0x81);
        assert_eq!(update_type(true, true), 0x85);
        assert_eq!(update_type(false, true), 0x86);
        for t in 0x80..=0x86u8 {
            let f = Frame {
                class: 10,
                kind: t,
                payload: &[],
            };
            if let Kind::Update { with_id, timed } = classify(&f) {
                assert_eq!(update_type(with_id, timed), t);
            }
        }
    }
}
