//! applet-peers: filled by a later issue.
