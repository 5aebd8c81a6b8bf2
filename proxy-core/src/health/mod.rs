//! What health means, without any I/O: HAProxy's check statuses and the
//! outcome of one check ([`status`]), and the rise/fall state machine of a
//! server's checks with its operational states ([`machine`]).
//!
//! Kept apart from the probes ([`crate::check`]) and the servers
//! ([`crate::backend`]) so that both can use it without depending on each
//! other.

pub mod machine;
pub mod status;
