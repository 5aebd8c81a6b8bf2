//! The side applet authors see: a plain Rust trait (with the I/O handle of
//! [`crate::io`]), and the wrapper that sits between it and the ABI: panic
//! containment, and the output kept for later calls by `Io::write_all`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use abi_stable::std_types::{RErr, ROk, RResult};

use crate::abi::{Applet, AppletError, IoCtx, Wait, WaitKind};
use crate::io::{Io, OutState};

/// What an applet author implements. One value serves one stream (for
/// HTTP: one transaction); it is created by the constructor named in
/// [`export_applet!`](crate::export_applet) and dropped after `release`.
///
/// Rules: never block, never start a runtime or a thread that outlives the
/// value, never keep anything borrowed from `io` past the call. A panic is
/// caught: the call fails with [`AppletError::Panicked`], the value is
/// dropped and never called again.
pub trait AppletImpl: Send + 'static {
    /// Called when input arrived, output room freed or a requested timer
    /// fired. Read [`Io::input`], [`Io::consume`] what was used,
    /// [`Io::write`] the answer, and return what to wait for.
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait;

    /// Runs once when the applet is detached from its stream.
    fn release(&mut self) {}
}

thread_local! {
    /// Set while a guarded call runs on this thread.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic caught on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per library: statics are per library) a panic hook that
/// records the message and location of a panic inside a guarded call
/// instead of printing it; panics elsewhere go to the previous hook.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) {
                let msg = payload_message(info.payload());
                let msg = match info.location() {
                    Some(l) => format!("{msg} (at {}:{}:{})", l.file(), l.line(), l.column()),
                    None => msg,
                };
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(msg));
            } else {
                previous(info);
            }
        }));
    });
}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Runs `f`, turning a panic into `Err(message)`.
fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install_hook();
    let was = GUARDED.with(|g| g.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    r.map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| payload_message(payload.as_ref()))
    })
}

/// Drops a value, containing a panic from its `Drop`.
fn drop_guarded<T>(value: T) {
    let _ = guarded(move || drop(value));
}

/// Wraps an [`AppletImpl`] into the ABI trait: every entry point (I/O,
/// release, drop) runs under `catch_unwind`.
#[doc(hidden)]
pub struct Shim<T: AppletImpl> {
    inner: Option<T>,
    out: OutState,
    /// The applet returned `Wait::DONE` while output was pending: say so
    /// once it is flushed, without calling it again.
    done: bool,
}

impl<T: AppletImpl> Shim<T> {
    pub fn new(inner: T) -> Shim<T> {
        Shim {
            inner: Some(inner),
            out: OutState::default(),
            done: false,
        }
    }

    /// Sends output kept by `write_all`; `Some(wait)` when the applet must
    /// not be called in this round (output still pending, or it is done).
    fn flush(&mut self, ctx: &mut IoCtx<'_>) -> Option<Wait> {
        if self.out.has_pending() {
            let n = self.out.flush_into(ctx.output, ctx.room);
            ctx.room -= n;
            if self.out.has_pending() {
                return Some(Wait::ROOM);
            }
            if self.out.ended {
                ctx.response.end = true;
            }
        }
        self.done.then_some(Wait::DONE)
    }
}

impl<T: AppletImpl> Applet for Shim<T> {
    fn on_io(&mut self, ctx: &mut IoCtx<'_>) -> RResult<Wait, AppletError> {
        if self.inner.is_none() {
            return RErr(AppletError::Failed("called again after a panic".into()));
        }
        if let Some(wait) = self.flush(ctx) {
            return ROk(wait);
        }
        let Some(inner) = self.inner.as_mut() else {
            return RErr(AppletError::Failed("called again after a panic".into()));
        };
        let out = &mut self.out;
        let r = guarded(|| {
            let mut io = Io::new(ctx, out);
            let wait = inner.on_io(&mut io);
            (wait, io.error.take())
        });
        match r {
            Ok((wait, None)) if self.out.has_pending() => {
                // Called again only once everything went out.
                self.done = wait.kind == WaitKind::DONE;
                ROk(Wait::ROOM)
            }
            Ok((wait, None)) => ROk(wait),
            Ok((_, Some(msg))) => RErr(AppletError::Failed(msg.into())),
            Err(msg) => {
                // Its state is suspect now: drop it, never call it again.
                if let Some(v) = self.inner.take() {
                    drop_guarded(v);
                }
                RErr(AppletError::Panicked(msg.into()))
            }
        }
    }

    fn release(&mut self) -> RResult<(), AppletError> {
        let Some(inner) = self.inner.as_mut() else {
            return ROk(());
        };
        match guarded(|| inner.release()) {
            Ok(()) => ROk(()),
            Err(msg) => {
                if let Some(v) = self.inner.take() {
                    drop_guarded(v);
                }
                RErr(AppletError::Panicked(msg.into()))
            }
        }
    }
}

impl<T: AppletImpl> Drop for Shim<T> {
    fn drop(&mut self) {
        if let Some(v) = self.inner.take() {
            drop_guarded(v);
        }
    }
}

/// What `export_applet!` expands to call. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use abi_stable;
    pub use abi_stable::std_types::{RResult, RSlice, RStr, RString, RVec};

    use abi_stable::prefix_type::PrefixTypeTrait;
    use abi_stable::sabi_trait::TD_Opaque;
    use abi_stable::std_types::{RErr, ROk};

    use super::{guarded, AppletImpl, Shim};
    use crate::abi::{
        AppletBox, AppletError, AppletLib, AppletLib_Ref, Applet_TO, CreateFn, ServiceInfo,
        SDK_ABI_VERSION,
    };
    use crate::host::{Host, HostServices_Ref};

    /// The name of the static `#[export_root_module]` would generate
    /// (checked against abi_stable's constant by a test).
    pub const ROOT_MODULE_LOADER_NAME: &str = "_1as_0lib_1header_0root_bmodule_bloader";

    pub fn make_lib(
        name: &'static str,
        version: &'static str,
        services: extern "C" fn() -> RVec<ServiceInfo>,
        create: CreateFn,
    ) -> AppletLib_Ref {
        AppletLib {
            sdk_abi_version: SDK_ABI_VERSION,
            name: RStr::from_str(name),
            version: RStr::from_str(version),
            services,
            create,
        }
        .leak_into_prefix()
    }

    /// One entry of the service list: the kind with its optional flags.
    pub fn service_info(
        name: &str,
        spec: impl Into<crate::io::ServiceSpec>,
        description: &str,
    ) -> ServiceInfo {
        let spec = spec.into();
        ServiceInfo::new(name, spec.kind, description).with_flags(spec.flags)
    }

    pub fn services(list: impl FnOnce() -> Vec<ServiceInfo>) -> RVec<ServiceInfo> {
        guarded(list).map(RVec::from).unwrap_or_default()
    }

    pub fn boxed<T: AppletImpl>(made: Result<T, String>) -> RResult<AppletBox, AppletError> {
        match made {
            Ok(v) => ROk(Applet_TO::from_value(Shim::new(v), TD_Opaque)),
            Err(e) => RErr(AppletError::Init(e.into())),
        }
    }

    /// The body of a library's `create`: converts the arguments, finds the
    /// constructor, contains panics.
    pub fn create(
        service: RStr<'_>,
        args: RSlice<'_, RString>,
        table: HostServices_Ref,
        source: &'static str,
        dispatch: impl FnOnce(&str, &[String], Host) -> Option<RResult<AppletBox, AppletError>>,
    ) -> RResult<AppletBox, AppletError> {
        let r = guarded(|| {
            let args: Vec<String> = args.iter().map(|a| a.as_str().to_string()).collect();
            dispatch(service.as_str(), &args, Host::new(table, source))
        });
        match r {
            Ok(Some(made)) => made,
            Ok(None) => RErr(AppletError::UnknownService(service.into())),
            Err(msg) => RErr(AppletError::Panicked(msg.into())),
        }
    }
}
