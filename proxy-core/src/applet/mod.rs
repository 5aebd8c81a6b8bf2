//! Applets from shared libraries built against `applet-sdk`.
//!
//! - [`loader`]: one library file to a checked [`LoadedLib`], with one-line
//!   errors that name the file and, for version/layout mismatches, both
//!   SDK versions.
//! - [`registry`]: every library of the executable's directory,
//!   `--applet-dir` and `applet-load`, indexed by service name.
//! - [`adapter`]: an applet object behind the core's [`crate::stream::Applet`]
//!   trait.
//! - [`host`]: the host-services table handed to every applet instance.
//!
//! Libraries are loaded with `lib_header_from_path(..).init_root_module()`
//! (never `RootModule::load_from_file`, which caches the first library per
//! type) and never unloaded. A panic inside an applet is caught inside the
//! library by the SDK and arrives here as an error; host functions called
//! by applets contain their own panics.

pub mod adapter;
pub mod host;
pub mod loader;
pub mod registry;

pub use adapter::AppletAdapter;
pub use loader::{load, LoadError, LoadedLib, Service};
pub use registry::{AppletRegistry, ServiceEntry};

#[cfg(test)]
mod tests;
