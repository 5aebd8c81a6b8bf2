//! The peers protocol receiver: hello lines, then binary messages framed,
//! classified and decoded (table definitions learn the layout the updates
//! that follow are decoded with), as a peer sending these bytes would
//! make our side do. Never panics; a frame never claims more bytes than
//! received.
#![no_main]

use applet_peers::dict::DictRx;
use applet_peers::hello::HelloAcceptor;
use applet_peers::msg::{self, classify, decode_ack, decode_switch, parse_frame, Kind};
use applet_peers::table_def::{parse_define, DefineOutcome, RemoteLayout, TableDef};
use applet_peers::update::{decode_update, KeySpec};
use libfuzzer_sys::fuzz_target;
use proxy_fuzz::control_byte;

fuzz_target!(|data: &[u8]| {
    let (ctl, bytes) = control_byte(data);
    if ctl & 1 == 1 {
        hello(bytes);
    } else {
        messages(bytes, ctl);
    }
});

fn hello(bytes: &[u8]) {
    let mut buf = bytes.to_vec();
    let mut acc = HelloAcceptor::new();
    let _ = acc.feed(&mut buf, "local", |name| name == "remote");
    assert!(buf.len() <= bytes.len());
}

fn messages(bytes: &[u8], ctl: u8) {
    let max = if ctl & 2 == 0 {
        msg::DEFAULT_MAX_PAYLOAD
    } else {
        64
    };
    let mut dict = DictRx::new();
    let mut table: Option<(KeySpec, RemoteLayout)> = None;
    let mut last_get = 0u32;
    let mut at = 0;
    while at < bytes.len() {
        let Ok(Some((frame, len))) = parse_frame(&bytes[at..], max) else {
            return;
        };
        assert!(
            len >= 2 && len <= bytes.len() - at,
            "frame longer than the input"
        );
        assert!(frame.payload.len() <= max);
        at += len;
        match classify(&frame) {
            Kind::Define => table = define(frame.payload),
            Kind::Switch => {
                let _ = decode_switch(frame.payload);
            }
            Kind::Ack => {
                let _ = decode_ack(frame.payload);
            }
            Kind::Update { with_id, timed } => {
                let Some((key, layout)) = &table else {
                    continue;
                };
                match decode_update(
                    with_id,
                    timed,
                    frame.payload,
                    last_get,
                    *key,
                    layout,
                    &mut dict,
                ) {
                    Ok(u) => last_get = u.id,
                    Err(_) => return,
                }
            }
            _ => {}
        }
    }
}

/// A definition accepted as if we had a table of its name, key type and
/// length (what makes its updates decodable).
fn define(payload: &[u8]) -> Option<(KeySpec, RemoteLayout)> {
    let def = TableDef::decode(payload).ok();
    let (kt, kl) = def.as_ref().map_or((6, 32), |d| (d.key_type, d.key_len));
    match parse_define(payload, |_| Some((0, kt, kl))) {
        Ok((_, DefineOutcome::Accepted { layout, .. })) => Some((
            KeySpec {
                key_type: kt,
                key_len: kl,
            },
            *layout,
        )),
        _ => None,
    }
}
