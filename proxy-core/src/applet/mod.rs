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
pub mod http_codec;
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
            HttpAction::UseService(name, _) => Some((name, &r.loc, true)),
            _ => None,
        });
        let tcp = p.http.tcp_content.iter().filter_map(|r| match &r.action {
            crate::config::TcpAction::UseService(s, _) => Some((s, &r.loc, false)),
            _ => None,
        });
        for (name, loc, in_http) in http.chain(tcp) {
            let kw = if in_http {
                "http-request use-service"
            } else {
                "tcp-request content use-service"
            };
            let Some(entry) = reg.service(name) else {
                errors.push(format!(
                    "parsing [{loc}] : '{kw}' : unknown service '{name}' (no loaded applet provides it)."
                ));
                continue;
            };
            // An HTTP service needs a parsed request, a TCP one the raw
            // bytes: each only in its own kind of rule.
            let (want, other) = if in_http {
                (
                    applet_sdk::ServiceKind::HTTP_SERVICE,
                    "tcp-request content use-service",
                )
            } else {
                (
                    applet_sdk::ServiceKind::TCP_SERVICE,
                    "http-request use-service",
                )
            };
            if entry.kind == applet_sdk::ServiceKind::CLI {
                errors.push(format!(
                    "parsing [{loc}] : '{kw}' : service '{name}' is a CLI service, for 'stats socket' only."
                ));
            } else if entry.kind != want {
                errors.push(format!(
                    "parsing [{loc}] : '{kw}' : service '{name}' is {} service: use it with '{other}'.",
                    kind_article(entry.kind)
                ));
            }
        }
    }
    errors
}

/// `an HTTP` / `a TCP` / `a CLI`, for messages.
fn kind_article(k: applet_sdk::ServiceKind) -> &'static str {
    match k {
        applet_sdk::ServiceKind::HTTP_SERVICE => "an HTTP",
        _ => "a TCP",
    }
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
mod http_codec_tests;
#[cfg(test)]
mod tests;
