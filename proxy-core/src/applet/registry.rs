//! Every loaded applet library, indexed by service name.
//!
//! Search order: every `lib*.so` in the directory of the running
//! executable, then each `--applet-dir <dir>` (its `lib*.so`, by name),
//! then each `applet-load <path>`. The same file reached twice (same
//! canonical path) is loaded once. A service name provided by two files is
//! an error naming both.
//!
//! The executable's directory is searched leniently, because a build
//! directory holds other shared libraries too: a file that is not an
//! applet is skipped silently, an incompatible applet is skipped with a
//! warning ([`AppletRegistry::warnings`]). Directories and files named
//! explicitly are strict: any refusal is an error.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use applet_sdk::{HostServices_Ref, ServiceKind};

use super::adapter::AppletAdapter;
use super::loader::{load, LoadError, LoadedLib};
use crate::stream::Applet;

/// A service and the library that provides it.
#[derive(Debug, Clone)]
pub struct ServiceEntry {
    pub name: String,
    /// `name`, shared with every instance.
    pub shared_name: Arc<str>,
    pub kind: ServiceKind,
    pub description: String,
    pub flags: applet_sdk::ServiceFlags,
    pub lib: Arc<LoadedLib>,
}

/// The loaded applet libraries and their services.
#[derive(Debug, Default)]
pub struct AppletRegistry {
    libs: Vec<Arc<LoadedLib>>,
    /// Canonical paths of the files loaded, to load each once.
    seen: Vec<PathBuf>,
    services: BTreeMap<String, ServiceEntry>,
    warnings: Vec<String>,
    /// Failed instances per service (constructor, I/O or release that
    /// panicked or returned an error): "counted per applet" (issue 4).
    /// One counter per service, made at load time; the map itself never
    /// changes once the registry is shared.
    failures: BTreeMap<String, AtomicU64>,
}

/// `lib*.so` files of a directory, sorted by name.
fn libraries_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| format!("applet directory '{}': {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lib") && n.ends_with(".so"))
                && p.is_file()
        })
        .collect();
    files.sort();
    Ok(files)
}

impl AppletRegistry {
    /// An empty registry.
    pub fn new() -> AppletRegistry {
        AppletRegistry::default()
    }

    /// The standard search: the executable's directory, then `dirs`
    /// (`--applet-dir`), then `files` (`applet-load`).
    pub fn load_all(dirs: &[PathBuf], files: &[PathBuf]) -> Result<AppletRegistry, String> {
        let mut reg = AppletRegistry::new();
        reg.load_exe_dir()?;
        for d in dirs {
            reg.load_dir(d)?;
        }
        for f in files {
            reg.load_file(f)?;
        }
        Ok(reg)
    }

    /// Loads the `lib*.so` next to the running executable, skipping what is
    /// not a loadable applet (see the module documentation).
    pub fn load_exe_dir(&mut self) -> Result<(), String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot locate the executable: {e}"))?;
        match exe.parent() {
            Some(dir) => self.load_dir_lenient(dir),
            None => Ok(()),
        }
    }

    /// Loads the `lib*.so` of a directory, skipping silently what is not an
    /// applet (or cannot be opened) and with a warning what is an
    /// incompatible applet. A service provided twice is still an error.
    pub fn load_dir_lenient(&mut self, dir: &Path) -> Result<(), String> {
        for path in libraries_in(dir)? {
            match self.load_lib(&path) {
                Ok(()) => {}
                Err(Refusal::Load(LoadError::NotApplet { .. } | LoadError::Open { .. })) => {
                    tracing::debug!(target: "applet", "{}: skipped, not an applet", path.display());
                }
                Err(Refusal::Load(e)) => {
                    // Reported by the caller from `warnings()`.
                    self.warnings.push(format!("{e} (skipped)"));
                }
                Err(Refusal::Conflict(msg)) => return Err(msg),
            }
        }
        Ok(())
    }

    /// Loads every `lib*.so` of a directory; any refusal is an error.
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), String> {
        for path in libraries_in(dir)? {
            self.load_file(&path)?;
        }
        Ok(())
    }

    /// Loads one library; any refusal is an error.
    pub fn load_file(&mut self, path: &Path) -> Result<(), String> {
        self.load_lib(path).map_err(|r| match r {
            Refusal::Load(e) => e.to_string(),
            Refusal::Conflict(m) => m,
        })
    }

    fn load_lib(&mut self, path: &Path) -> Result<(), Refusal> {
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.seen.contains(&canon) {
            return Ok(());
        }
        let lib = Arc::new(load(path).map_err(Refusal::Load)?);
        self.seen.push(canon);
        let mut names: Vec<&str> = Vec::new();
        for s in lib.services() {
            if let Some(other) = self.services.get(&s.name) {
                return Err(Refusal::Conflict(format!(
                    "applet service '{}' is provided by both '{}' and '{}'",
                    s.name,
                    other.lib.path().display(),
                    path.display()
                )));
            }
            if names.contains(&s.name.as_str()) {
                return Err(Refusal::Conflict(format!(
                    "applet '{}': service '{}' is listed twice",
                    path.display(),
                    s.name
                )));
            }
            names.push(&s.name);
        }
        for s in lib.services() {
            self.failures.insert(s.name.clone(), AtomicU64::new(0));
            self.services.insert(
                s.name.clone(),
                ServiceEntry {
                    name: s.name.clone(),
                    shared_name: s.name.as_str().into(),
                    kind: s.kind,
                    description: s.description.clone(),
                    flags: s.flags,
                    lib: Arc::clone(&lib),
                },
            );
        }
        tracing::debug!(
            target: "applet",
            "loaded '{}' ({} {}, applet-sdk {}): {}",
            path.display(),
            lib.name(),
            lib.version(),
            lib.sdk_version(),
            names.join(", ")
        );
        self.libs.push(lib);
        Ok(())
    }

    /// The loaded libraries, in load order.
    pub fn libraries(&self) -> &[Arc<LoadedLib>] {
        &self.libs
    }

    /// Every service, by name.
    pub fn services(&self) -> impl Iterator<Item = &ServiceEntry> + '_ {
        self.services.values()
    }

    pub fn service(&self, name: &str) -> Option<&ServiceEntry> {
        self.services.get(name)
    }

    /// Counts one failure of `service`; returns its new total (0 for a
    /// service no library provides).
    pub fn record_failure(&self, service: &str) -> u64 {
        self.failures
            .get(service)
            .map_or(0, |c| c.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// How many instances of `service` failed so far.
    pub fn failures(&self, service: &str) -> u64 {
        self.failures
            .get(service)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Libraries skipped from the executable's directory, one line each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The listing `proxy -vv` prints: one line per service.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if self.services.is_empty() {
            out.push_str("Available applet services: none\n");
            return out;
        }
        out.push_str("Available applet services:\n");
        for s in self.services.values() {
            let _ = writeln!(
                out,
                "\t{} ({}): {} [{} {}, applet-sdk {}, {}]",
                s.name,
                s.kind,
                s.description,
                s.lib.name(),
                s.lib.version(),
                s.lib.sdk_version(),
                s.lib.path().display()
            );
        }
        out
    }

    /// Makes an instance of a service, wrapped for the core. `host` is
    /// usually [`crate::host::table()`].
    pub fn create_adapter(
        &self,
        service: &str,
        args: &[String],
        host: HostServices_Ref,
    ) -> Result<AppletAdapter, String> {
        let entry = self
            .services
            .get(service)
            .ok_or_else(|| format!("no loaded applet provides service '{service}'"))?;
        let applet = entry.lib.create(service, args, host).map_err(|e| {
            format!(
                "applet service '{service}' ('{}'): {e}",
                entry.lib.path().display()
            )
        })?;
        // The library's name as text is made once at load time, not per
        // instance (on the request path).
        Ok(AppletAdapter::new(
            entry.shared_name.clone(),
            entry.lib.path_shared(),
            applet,
            entry.flags,
        ))
    }

    /// [`create_adapter`](Self::create_adapter), boxed as the core's
    /// applet trait object.
    pub fn create(
        &self,
        service: &str,
        args: &[String],
        host: HostServices_Ref,
    ) -> Result<Box<dyn Applet>, String> {
        Ok(Box::new(self.create_adapter(service, args, host)?))
    }
}

enum Refusal {
    Load(LoadError),
    Conflict(String),
}
