//! Loading one applet library.
//!
//! `lib_header_from_path` opens the file (and leaks it: libraries are never
//! unloaded), finds abi_stable's library header and checks abi_stable's own
//! ABI. Before the layout check we compare the SDK versions ourselves, so a
//! mismatch is reported as versions rather than as a layout tree: while
//! `applet-sdk` is 0.y the minor must match exactly; from 1.0 the major.
//! Then `init_root_module` checks the layout of every type reachable from
//! the root module and runs the library's root-module constructor.

use std::fmt;
use std::path::{Path, PathBuf};

use abi_stable::library::{lib_header_from_path, LibraryError, RootModule, RootModuleError};
use abi_stable::sabi_types::VersionNumber;
use abi_stable::std_types::{RSlice, RStr, RString};
use applet_sdk::{
    AppletBox, AppletError, AppletLib_Ref, HostServices_Ref, ServiceKind, SDK_ABI_VERSION,
};

/// One service of a loaded library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub kind: ServiceKind,
    pub description: String,
    pub flags: applet_sdk::ServiceFlags,
}

/// A loaded, checked applet library.
pub struct LoadedLib {
    path: PathBuf,
    /// `path` as text, made once: every instance names its library.
    path_display: std::sync::Arc<str>,
    module: AppletLib_Ref,
    name: String,
    version: String,
    sdk_version: String,
    services: Vec<Service>,
}

impl fmt::Debug for LoadedLib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedLib")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("sdk_version", &self.sdk_version)
            .field("services", &self.services)
            .finish()
    }
}

impl LoadedLib {
    /// The file it was loaded from (as given, not canonicalised).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file, as text (for messages).
    pub fn path_display(&self) -> &str {
        &self.path_display
    }

    /// [`path_display`](Self::path_display), shared: every instance names
    /// its library without a copy.
    pub fn path_shared(&self) -> std::sync::Arc<str> {
        self.path_display.clone()
    }

    /// The library's own name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The library's own version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The applet-sdk version it was built against.
    pub fn sdk_version(&self) -> &str {
        &self.sdk_version
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Makes an instance of one of its services.
    pub fn create(
        &self,
        service: &str,
        args: &[String],
        host: HostServices_Ref,
    ) -> Result<AppletBox, AppletError> {
        let args: Vec<RString> = args.iter().map(|a| RString::from(a.as_str())).collect();
        (self.module.create())(RStr::from_str(service), RSlice::from_slice(&args), host)
            .into_result()
    }
}

/// Why a library was refused. Its `Display` is one line naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The dynamic loader refused the file: missing, not a shared library
    /// for this machine, missing dependencies.
    Open { path: PathBuf, reason: String },
    /// A shared library without an applet root module (a plain C library,
    /// a Rust cdylib that is not an applet).
    NotApplet { path: PathBuf },
    /// Built against another applet-sdk version.
    Version {
        path: PathBuf,
        found: String,
        expected: String,
    },
    /// Same SDK version but the types differ (a modified SDK).
    Layout {
        path: PathBuf,
        found: String,
        expected: String,
        /// abi_stable's multi-line description of the differences.
        detail: String,
    },
    /// Another abi_stable ABI, another C ABI, unreadable version strings.
    Abi { path: PathBuf, reason: String },
    /// The library's root-module constructor failed or panicked.
    Init { path: PathBuf, reason: String },
}

impl LoadError {
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Open { path, .. }
            | LoadError::NotApplet { path }
            | LoadError::Version { path, .. }
            | LoadError::Layout { path, .. }
            | LoadError::Abi { path, .. }
            | LoadError::Init { path, .. } => path,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "applet '{}': ", self.path().display())?;
        match self {
            LoadError::Open { reason, .. } => write!(f, "cannot load: {reason}"),
            LoadError::NotApplet { .. } => {
                f.write_str("not an applet (no applet-sdk root module exported)")
            }
            LoadError::Version {
                found, expected, ..
            } => write!(
                f,
                "built with applet-sdk {found}, this proxy expects {expected}"
            ),
            LoadError::Layout {
                found, expected, ..
            } if found == expected => write!(
                f,
                "incompatible layout (built with another build of applet-sdk {found} than this proxy's {expected}: rebuild the applet against this proxy's applet-sdk)"
            ),
            LoadError::Layout {
                found, expected, ..
            } => write!(
                f,
                "incompatible layout (built with applet-sdk {found}, this proxy expects {expected})"
            ),
            LoadError::Abi { reason, .. } => f.write_str(reason),
            LoadError::Init { reason, .. } => write!(f, "initialisation failed: {reason}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// The applet-sdk version this proxy is built against.
pub fn expected_sdk_version() -> &'static str {
    <AppletLib_Ref as RootModule>::VERSION_STRINGS
        .version
        .as_str()
}

/// Whether a library built against `lib` may be loaded by a host built
/// against `host`: same major, and for 0.y the same minor.
fn compatible(host: VersionNumber, lib: VersionNumber) -> bool {
    host.major == lib.major && (host.major != 0 || host.minor == lib.minor)
}

/// One line out of dlerror-style text, without the path it repeats.
fn tidy(path: &Path, text: &str) -> String {
    let text = text.trim();
    let p = format!("{}: ", path.display());
    let text = text.strip_prefix(&p).unwrap_or(text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn map_error(path: &Path, found: Option<&str>, err: LibraryError) -> LoadError {
    let path_buf = path.to_path_buf();
    let expected = expected_sdk_version().to_string();
    let found = found.unwrap_or("an unknown version").to_string();
    match err {
        LibraryError::OpenError { err, .. } => LoadError::Open {
            path: path_buf,
            reason: tidy(path, &err.to_string()),
        },
        LibraryError::GetSymbolError { .. } => LoadError::NotApplet { path: path_buf },
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => LoadError::Version {
            path: path_buf,
            found: actual_version.to_string(),
            expected: expected_version.to_string(),
        },
        LibraryError::AbiInstability(e) => LoadError::Layout {
            path: path_buf,
            found,
            expected,
            detail: e.to_string(),
        },
        LibraryError::InvalidAbiHeader(h) => LoadError::Abi {
            path: path_buf,
            reason: format!(
                "built with an incompatible abi_stable (ABI {}.{}, this proxy uses {}.{})",
                h.abi_major,
                h.abi_minor,
                abi_stable::library::AbiHeader::VALUE.abi_major,
                abi_stable::library::AbiHeader::VALUE.abi_minor,
            ),
        },
        LibraryError::InvalidCAbi { .. } => LoadError::Abi {
            path: path_buf,
            reason: "built with an incompatible C calling convention".to_string(),
        },
        LibraryError::ParseVersionError(e) => LoadError::Abi {
            path: path_buf,
            reason: format!(
                "unreadable applet-sdk version: {}",
                tidy(path, &e.to_string())
            ),
        },
        LibraryError::RootModule { err, .. } => LoadError::Init {
            path: path_buf,
            reason: match err {
                RootModuleError::Unwound => "the root module constructor panicked".to_string(),
                RootModuleError::Returned(e) => tidy(path, &e.to_string()),
            },
        },
        LibraryError::Many(list) => match list.into_iter().next() {
            Some(first) => map_error(path, Some(&found), first),
            None => LoadError::Abi {
                path: path_buf,
                reason: "unknown abi_stable error".to_string(),
            },
        },
    }
}

/// Loads and checks one applet library.
pub fn load(path: impl AsRef<Path>) -> Result<LoadedLib, LoadError> {
    let path = path.as_ref();
    let header = lib_header_from_path(path).map_err(|e| map_error(path, None, e))?;
    let found = header.version_strings().version.as_str().to_string();
    let expected = expected_sdk_version().to_string();
    let versions = (
        VersionNumber::new(<AppletLib_Ref as RootModule>::VERSION_STRINGS),
        VersionNumber::new(header.version_strings()),
    );
    match versions {
        (Ok(host), Ok(lib)) if !compatible(host, lib) => {
            return Err(LoadError::Version {
                path: path.to_path_buf(),
                found,
                expected,
            })
        }
        (_, Err(e)) => return Err(map_error(path, Some(&found), e.into())),
        _ => {}
    }
    let module = header
        .init_root_module::<AppletLib_Ref>()
        .map_err(|e| map_error(path, Some(&found), e))?;
    if module.sdk_abi_version() != SDK_ABI_VERSION {
        return Err(LoadError::Layout {
            path: path.to_path_buf(),
            found: format!("{found} (ABI generation {})", module.sdk_abi_version()),
            expected: format!("{expected} (ABI generation {SDK_ABI_VERSION})"),
            detail: String::new(),
        });
    }
    let services = (module.services())()
        .into_iter()
        .map(|s| Service {
            name: s.name.into_string(),
            kind: s.kind,
            description: s.description.into_string(),
            flags: s.flags,
        })
        .collect();
    Ok(LoadedLib {
        path: path.to_path_buf(),
        path_display: path.display().to_string().into(),
        module,
        name: module.name().as_str().to_string(),
        version: module.version().as_str().to_string(),
        sdk_version: found,
        services,
    })
}
