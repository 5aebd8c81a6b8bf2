//! In-process test kit for applet authors (feature `testing`).
