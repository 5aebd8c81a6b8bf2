//! Helpers shared by the fuzz targets: splitting an input into pieces the
//! way a socket might deliver it. (Nothing here may use the applet crates:
//! each exports its plugin root symbol, so a binary can link only one.)

#![forbid(unsafe_code)]

/// Splits `data` into a control prefix and the payload: the first byte (if
/// any) is the control byte, the rest the payload.
pub fn control_byte(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((c, rest)) => (*c, rest),
        None => (0, data),
    }
}

/// Cut points for `len` bytes derived from `seed` (deterministic): the
/// pieces a reader would get from a socket delivering the same bytes in
/// several reads. Always ascending, within `1..len`, possibly empty.
pub fn split_points(seed: &[u8], len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = Vec::new();
    if len < 2 {
        return cuts;
    }
    let mut pos = 0usize;
    for &s in seed {
        pos += usize::from(s % 17) + 1;
        if pos >= len {
            break;
        }
        cuts.push(pos);
    }
    cuts
}

/// The pieces of `data` between the cut points.
pub fn pieces<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &c in cuts {
        out.push(&data[start..c]);
        start = c;
    }
    out.push(&data[start..]);
    out
}
