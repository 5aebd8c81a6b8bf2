//! Traffic logs (being written).
