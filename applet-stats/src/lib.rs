//! applet-stats: filled by a later issue.
