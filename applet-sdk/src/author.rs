//! The side applet authors see: a plain Rust trait, an I/O handle with
//! `&[u8]`/`&str` views, and the panic containment that sits between them
//! and the ABI.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use abi_stable::std_types::{RErr, ROk, RResult, RVec};

use crate::abi::{Applet, AppletError, IoCtx, RequestHead, StreamInfo, Wait};

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

/// The I/O handle of one call.
pub struct Io<'a> {
    input: &'a [u8],
    consumed: &'a mut usize,
    input_closed: bool,
    room: usize,
    output: &'a mut RVec<u8>,
    start_len: usize,
    stream: StreamInfo<'a>,
    request: Option<RequestHead<'a>>,
    error: Option<String>,
}

impl<'a> Io<'a> {
    /// Wraps the raw context (the SDK does this; public for tests of
    /// applets without a proxy).
    pub fn new(ctx: &'a mut IoCtx<'_>) -> Io<'a> {
        let start_len = ctx.output.len();
        Io {
            input: ctx.input.as_slice(),
            consumed: &mut ctx.consumed,
            input_closed: ctx.input_closed,
            room: ctx.room,
            output: &mut *ctx.output,
            start_len,
            stream: ctx.stream,
            request: ctx.request.into_option(),
            error: None,
        }
    }

    /// The input not consumed yet.
    pub fn input(&self) -> &'a [u8] {
        &self.input[(*self.consumed).min(self.input.len())..]
    }

    /// Marks `n` more bytes of the input as used (clamped to what is
    /// there); they are gone on the next call.
    pub fn consume(&mut self, n: usize) {
        *self.consumed = (*self.consumed + n).min(self.input.len());
    }

    /// The client closed its side: no more input will come.
    pub fn input_closed(&self) -> bool {
        self.input_closed
    }

    /// How many more bytes [`write`](Io::write) takes in this call.
    pub fn room(&self) -> usize {
        self.room - self.written()
    }

    /// Bytes written in this call so far.
    pub fn written(&self) -> usize {
        self.output.len() - self.start_len
    }

    /// Appends what fits in the room left; returns how much was taken.
    /// Keep the rest and return [`Wait::ROOM`].
    pub fn write(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.room());
        self.output.extend_from_slice(&data[..n]);
        n
    }

    /// The stream the applet serves.
    pub fn stream(&self) -> Stream<'a> {
        Stream(self.stream)
    }

    /// The parsed request head, when the host passed one (HTTP services).
    /// Without it, the request is in [`input`](Io::input) as raw bytes.
    pub fn request(&self) -> Option<Request<'a>> {
        self.request.map(Request)
    }

    /// Fails the call: the host reports `msg`, closes the stream and does
    /// not call `on_io` again (`release` still runs).
    pub fn fail(&mut self, msg: impl Into<String>) {
        self.error = Some(msg.into());
    }
}

/// The stream's identity and addresses.
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a>(StreamInfo<'a>);

impl<'a> Stream<'a> {
    pub fn id(&self) -> u64 {
        self.0.id
    }
    pub fn frontend(&self) -> &'a str {
        self.0.frontend.as_str()
    }
    pub fn backend(&self) -> &'a str {
        self.0.backend.as_str()
    }
    /// `ip:port`, empty when unknown.
    pub fn client_addr(&self) -> &'a str {
        self.0.client_addr.as_str()
    }
    /// `ip:port`, empty when unknown.
    pub fn local_addr(&self) -> &'a str {
        self.0.local_addr.as_str()
    }
}

/// A parsed request head.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a>(RequestHead<'a>);

impl<'a> Request<'a> {
    pub fn method(&self) -> &'a str {
        self.0.method.as_str()
    }
    pub fn uri(&self) -> &'a str {
        self.0.uri.as_str()
    }
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub fn version(&self) -> &'a str {
        self.0.version.as_str()
    }
    /// Every header line in order.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0
            .headers
            .as_slice()
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
    }
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
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
}

impl<T: AppletImpl> Shim<T> {
    pub fn new(inner: T) -> Shim<T> {
        Shim { inner: Some(inner) }
    }
}

impl<T: AppletImpl> Applet for Shim<T> {
    fn on_io(&mut self, io: &mut IoCtx<'_>) -> RResult<Wait, AppletError> {
        let Some(inner) = self.inner.as_mut() else {
            return RErr(AppletError::Failed("called again after a panic".into()));
        };
        let r = guarded(|| {
            let mut io = Io::new(io);
            let wait = inner.on_io(&mut io);
            (wait, io.error.take())
        });
        match r {
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
