//! Applets from shared libraries built against `applet-sdk`.
//!
//! - [`loader`]: one library file to a checked [`LoadedLib`], with one-line
//!   errors that name the file and, for version/layout mismatches, both
//!   SDK versions.
//! - [`registry`]: every library of the executable's directory,
//!   `--applet-dir` and `applet-load`, indexed by service name.
//! - [`adapter`]: an applet object behind the core's [`crate::stream::Applet`]
//!   trait.
//!
//! Libraries are loaded with `lib_header_from_path(..).init_root_module()`
//! (never `RootModule::load_from_file`, which caches the first library per
//! type) and never unloaded. A panic inside an applet is caught inside the
//! library by the SDK and arrives here as an error; host functions called
//! by applets contain their own panics.
//!
//! The run-time state holds the registry, so this knows nothing of it: how
//! instances run in streams and what they can call back (the host
//! services) is [`crate::host`], above the state.

pub mod adapter;
pub mod loader;
pub mod registry;

pub use adapter::AppletAdapter;
pub use loader::{load, LoadError, LoadedLib, Service};
pub use registry::{AppletRegistry, ServiceEntry};

/// The service that answers on stats sockets.
pub const CLI_SERVICE: &str = "stats-cli";
/// The service that serves `stats uri`.
pub const PAGE_SERVICE: &str = "stats-page";

/// Checks that every service a configuration names (`http-request
/// use-service`, `tcp-request content use-service`) is provided by a loaded
/// applet; one error line per unknown name, with its `file:line`.
pub fn check_services(cfg: &crate::config::Config, reg: &AppletRegistry) -> Vec<String> {
    use crate::config::model_http::HttpAction;
    let mut errors = Vec::new();
    for p in &cfg.proxies {
        let http = p.http.request.iter().filter_map(|r| match &r.action {
            HttpAction::UseService(name) => Some((name, &r.loc, "http-request use-service")),
            _ => None,
        });
        let tcp = p.http.tcp_content.iter().filter_map(|r| match &r.action {
            crate::config::TcpAction::UseService(s) => {
                Some((s, &r.loc, "tcp-request content use-service"))
            }
            _ => None,
        });
        for (name, loc, kw) in http.chain(tcp) {
            if reg.service(name).is_none() {
                errors.push(format!(
                    "parsing [{loc}] : '{kw}' : unknown service '{name}' (no loaded applet provides it)."
                ));
            }
        }
    }
    errors
}

/// Loads the applets a configuration and the command line ask for: the
/// executable's directory, `--applet-dir` directories, then the global
/// `applet-load` files.
pub fn load_for(
    cfg: &crate::config::Config,
    dirs: &[std::path::PathBuf],
) -> Result<AppletRegistry, String> {
    let mut reg = AppletRegistry::new();
    reg.load_exe_dir()?;
    for d in dirs {
        reg.load_dir(d)?;
    }
    for (f, loc) in &cfg.global.applet_load {
        reg.load_file(f)
            .map_err(|e| format!("parsing [{loc}] : 'applet-load' : {e}"))?;
    }
    Ok(reg)
}

#[cfg(test)]
mod tests;
