//! The PROXY protocol (versions 1 and 2): decoding the header a load
//! balancer puts in front of a connection, and encoding the one this
//! proxy sends to servers.
//!
//! The decoder is sans-io and pure ([`decode`]): it looks at the bytes
//! received so far and says whether they hold a whole header (and how
//! many bytes it takes), need more, or can never be one. The accept path
//! feeds it what it peeks from the socket, so the bytes after the header
//! stay in the socket for TLS or the stream; a fuzzer can feed it
//! anything.

pub mod decode;
pub mod encode;
pub mod opts;
pub mod send;

pub use decode::{decode, Decoded, Header, PpError, Tlv};
pub use encode::{encode_v1, encode_v2, V2Options};

#[cfg(test)]
mod tests;
