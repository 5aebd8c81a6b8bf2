//! The types that cross the library boundary: the root module every applet
//! library exports, the applet object, the per-call I/O context.
//!
//! Everything here is `#[repr(C)]` + `StableAbi`, checked by `abi_stable`
//! when the proxy loads a library. Enumerations that may grow are integer
//! newtypes with associated constants, so a newer library can hand an older
//! host a value it does not know without undefined behaviour.
#![allow(non_camel_case_types)] // the `*_Ref` types abi_stable generates

use std::fmt;

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{ROption, RResult, RSlice, RStr, RString, RVec},
    StableAbi,
};

use crate::host::HostServices_Ref;

/// The generation of the root-module layout. Bumped together with the
/// crate's version whenever the layout changes incompatibly; the proxy
/// refuses a library whose value differs from its own.
pub const SDK_ABI_VERSION: u32 = 2;

/// What a service is for: where the configuration may name it.
///
/// An integer newtype rather than an enum so that kinds can be added
/// without breaking older hosts; an unknown kind prints as `kind-<n>`.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceKind(pub u32);

impl ServiceKind {
    /// Answers HTTP requests (`http-request use-service`, `stats uri`).
    pub const HTTP_SERVICE: ServiceKind = ServiceKind(1);
    /// Talks raw TCP (`tcp-request content use-service`).
    pub const TCP_SERVICE: ServiceKind = ServiceKind(2);
    /// A command-line interface (`stats socket`).
    pub const CLI: ServiceKind = ServiceKind(3);
    /// A peers-protocol endpoint (`peers`).
    pub const PEERS: ServiceKind = ServiceKind(4);

    /// The name used in listings (`proxy -vv`).
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::HTTP_SERVICE => "http-service",
            ServiceKind::TCP_SERVICE => "tcp-service",
            ServiceKind::CLI => "cli",
            ServiceKind::PEERS => "peers",
            _ => "unknown",
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "unknown" => write!(f, "kind-{}", self.0),
            name => f.write_str(name),
        }
    }
}

/// Options of a service, as bits (unknown bits are ignored by the host).
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ServiceFlags(pub u32);

impl ServiceFlags {
    pub const NONE: ServiceFlags = ServiceFlags(0);
    /// An HTTP service that wants bytes: its input is the request as it
    /// goes to a server (head, then the body with its framing) and its
    /// output is parsed as a server's HTTP/1.1 response. Without it, an
    /// HTTP service gets the parsed request and answers through the
    /// response writer.
    pub const RAW_HTTP: ServiceFlags = ServiceFlags(1);
    /// Its streams can be woken from any thread with
    /// [`Host::wake`](crate::Host::wake)`(io.stream().id())`: an instance
    /// waiting for input or a timer is then called again soon (e.g. a long
    /// poll answered when shared state changes). Costs a registration per
    /// stream, so it is asked for, not given to every service.
    pub const WAKEABLE: ServiceFlags = ServiceFlags(2);

    pub fn contains(self, other: ServiceFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for ServiceFlags {
    type Output = ServiceFlags;
    fn bitor(self, other: ServiceFlags) -> ServiceFlags {
        ServiceFlags(self.0 | other.0)
    }
}

/// One service a library provides.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The name the configuration uses (`use-service <name>`).
    pub name: RString,
    pub kind: ServiceKind,
    /// One line for listings.
    pub description: RString,
    pub flags: ServiceFlags,
}

impl ServiceInfo {
    pub fn new(name: &str, kind: ServiceKind, description: &str) -> ServiceInfo {
        ServiceInfo {
            name: name.into(),
            kind,
            description: description.into(),
            flags: ServiceFlags::NONE,
        }
    }

    /// The same service with `flags`.
    pub fn with_flags(mut self, flags: ServiceFlags) -> ServiceInfo {
        self.flags = flags;
        self
    }
}

/// Why an applet call failed.
///
/// The variants are frozen for the 0.1 line (an exhaustive enum's layout is
/// part of the ABI); a new kind of failure goes through `Other`.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub enum AppletError {
    /// `create` was asked for a service this library does not provide.
    UnknownService(RString),
    /// The service's constructor returned an error (bad arguments, ...).
    Init(RString),
    /// The applet reported a failure (`Io::fail`).
    Failed(RString),
    /// The applet panicked; the panic was caught inside the library. The
    /// message includes the panic location when known.
    Panicked(RString),
    /// Anything else, with a code the host may not know.
    Other { code: u32, message: RString },
}

impl AppletError {
    /// The message without its classification.
    pub fn message(&self) -> &str {
        match self {
            AppletError::UnknownService(m)
            | AppletError::Init(m)
            | AppletError::Failed(m)
            | AppletError::Panicked(m)
            | AppletError::Other { message: m, .. } => m.as_str(),
        }
    }
}

impl fmt::Display for AppletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppletError::UnknownService(s) => write!(f, "unknown service '{s}'"),
            AppletError::Init(m) => write!(f, "initialisation failed: {m}"),
            AppletError::Failed(m) => write!(f, "failed: {m}"),
            AppletError::Panicked(m) => write!(f, "panicked: {m}"),
            AppletError::Other { code, message } => write!(f, "error {code}: {message}"),
        }
    }
}

impl std::error::Error for AppletError {}

/// The kind of a [`Wait`]: an integer newtype so that kinds can be added.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WaitKind(pub u32);

impl WaitKind {
    pub const INPUT: WaitKind = WaitKind(1);
    pub const ROOM: WaitKind = WaitKind(2);
    pub const TIMER: WaitKind = WaitKind(3);
    pub const DONE: WaitKind = WaitKind(4);
}

/// What an applet waits for after an I/O call.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Wait {
    pub kind: WaitKind,
    /// For [`WaitKind::TIMER`]: milliseconds from now. Zero otherwise.
    pub timer_ms: u64,
}

impl Wait {
    /// Call again when more input arrived (or the input closed).
    pub const INPUT: Wait = Wait {
        kind: WaitKind::INPUT,
        timer_ms: 0,
    };
    /// Call again when the output has room.
    pub const ROOM: Wait = Wait {
        kind: WaitKind::ROOM,
        timer_ms: 0,
    };
    /// The applet has written all its output; the host closes the output
    /// side once it is flushed.
    pub const DONE: Wait = Wait {
        kind: WaitKind::DONE,
        timer_ms: 0,
    };

    /// Call again after `ms` milliseconds (or earlier on I/O).
    pub const fn timer(ms: u64) -> Wait {
        Wait {
            kind: WaitKind::TIMER,
            timer_ms: ms,
        }
    }
}

/// The stream an applet is attached to. Addresses are `ip:port` text
/// (`[v6]:port` for IPv6), empty when unknown or not IP (unix sockets).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct StreamInfo<'a> {
    /// The stream's unique id (the one `show sess` prints).
    pub id: u64,
    pub frontend: RStr<'a>,
    /// Empty when the applet is used directly from a frontend.
    pub backend: RStr<'a>,
    /// The client's address.
    pub client_addr: RStr<'a>,
    /// The local address the client connected to.
    pub local_addr: RStr<'a>,
}

impl Default for StreamInfo<'_> {
    fn default() -> Self {
        StreamInfo {
            id: 0,
            frontend: RStr::from_str(""),
            backend: RStr::from_str(""),
            client_addr: RStr::from_str(""),
            local_addr: RStr::from_str(""),
        }
    }
}

/// One HTTP header field, as received (name case preserved, value
/// trimmed; bytes that are not UTF-8 are shown as `?`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct Header<'a> {
    pub name: RStr<'a>,
    pub value: RStr<'a>,
}

/// The request of an HTTP service, parsed by the host (after the
/// `http-request` rules that ran before `use-service`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    pub method: RStr<'a>,
    /// The request target exactly as sent (`/path?query`, or an absolute
    /// URI).
    pub target: RStr<'a>,
    /// The target's path (for an absolute URI, the part after the
    /// authority; `/` when empty).
    pub path: RStr<'a>,
    /// What follows the first `?`, without it; empty when none.
    pub query: RStr<'a>,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: RStr<'a>,
    pub headers: RSlice<'a, Header<'a>>,
    /// The body's length when known up front (`Content-Length`, or 0 for
    /// a request without a body); `None` for a chunked body.
    pub content_length: ROption<u64>,
    /// The trailer fields of a chunked body, once it ended (empty before).
    pub trailers: RSlice<'a, Header<'a>>,
}

/// A header field the applet sends.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct OwnedHeader {
    pub name: RString,
    pub value: RString,
}

/// The head of an HTTP service's response.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct ResponseStart {
    /// 200 to 599.
    pub status: u16,
    /// Empty for the standard reason of `status`.
    pub reason: RString,
    /// Without `Content-Length`, `Transfer-Encoding` or `Connection`: the
    /// host frames the response.
    pub headers: RVec<OwnedHeader>,
    /// The body's length when known up front (`Content-Length`); `None`
    /// to stream it (chunked to an HTTP/1.1 client, until close to an
    /// HTTP/1.0 one).
    pub length: ROption<u64>,
}

/// What an HTTP service answers in one call, besides the body bytes in
/// [`IoCtx::output`].
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Default)]
pub struct HttpOut {
    /// Set by the applet once, before any body byte: the host takes it.
    pub head: ROption<ResponseStart>,
    /// Set by the applet after its last body byte: the response is whole.
    pub end: bool,
}

/// The I/O context of one call. Everything in it is borrowed for the
/// duration of the call only.
#[repr(C)]
#[derive(StableAbi)]
pub struct IoCtx<'a> {
    /// Bytes available: for an HTTP service, the request body (de-framed);
    /// for other services (and [`ServiceFlags::RAW_HTTP`]), what the peer
    /// sent.
    pub input: RSlice<'a, u8>,
    /// Set by the applet: how many bytes of `input` it consumed (the host
    /// clamps it to `input.len()`).
    pub consumed: usize,
    /// No more input will come: for an HTTP service, the body ended
    /// (trailers included); otherwise the peer closed its side.
    pub input_closed: bool,
    /// How many bytes the applet may append to `output` in this call.
    pub room: usize,
    /// The output channel: an HTTP service's response body, or bytes.
    pub output: &'a mut RVec<u8>,
    pub stream: StreamInfo<'a>,
    /// For HTTP services: the parsed request.
    pub request: ROption<RequestHead<'a>>,
    /// For HTTP services: the response head and end.
    pub response: &'a mut HttpOut,
}

pub use self::object::{Applet, AppletBox, Applet_TO};

/// The `#[sabi_trait]` expansion needs `unsafe` (vtables); it is kept to
/// this module.
#[allow(unsafe_code, non_camel_case_types)]
mod object {
    use abi_stable::{
        sabi_trait,
        std_types::{RBox, ROk, RResult},
    };

    use super::{AppletError, IoCtx, Wait};

    /// The applet object as the host sees it. One instance serves one stream
    /// (for HTTP: one transaction).
    ///
    /// Applet authors do not implement this trait: they implement
    /// [`AppletImpl`](crate::AppletImpl) and let [`export_applet!`](crate::export_applet)
    /// wrap it, which catches every panic before it reaches the FFI shims
    /// (a panic there would make `abi_stable` exit the whole process).
    #[sabi_trait]
    pub trait Applet: Send {
        /// Called when input arrived, output room freed or a requested timer
        /// fired.
        fn on_io(&mut self, io: &mut IoCtx<'_>) -> RResult<Wait, AppletError>;

        /// Runs once when the applet is detached from its stream.
        #[sabi(last_prefix_field)]
        fn release(&mut self) -> RResult<(), AppletError> {
            ROk(())
        }
    }

    /// An owned applet object.
    pub type AppletBox = Applet_TO<'static, RBox<()>>;
}

/// The signature of [`AppletLib::create`].
pub type CreateFn = extern "C" fn(
    service: RStr<'_>,
    args: RSlice<'_, RString>,
    host: HostServices_Ref,
) -> RResult<AppletBox, AppletError>;

/// The root module every applet library exports (through
/// [`export_applet!`](crate::export_applet)).
///
/// A prefix type: fields after the one marked `last_prefix_field` may be
/// appended in later 1.x versions and read as `Option` by the host.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = AppletLib_Ref)))]
#[sabi(missing_field(option))]
pub struct AppletLib {
    /// [`SDK_ABI_VERSION`] of the SDK the library was built with.
    pub sdk_abi_version: u32,
    /// The library's own name (for listings and messages).
    pub name: RStr<'static>,
    /// The library's own version (not the SDK's).
    pub version: RStr<'static>,
    /// The services the library provides.
    pub services: extern "C" fn() -> RVec<ServiceInfo>,
    /// Makes an instance of a service. `args` are the words that follow
    /// the service name in the configuration.
    #[sabi(last_prefix_field)]
    pub create: extern "C" fn(
        service: RStr<'_>,
        args: RSlice<'_, RString>,
        host: HostServices_Ref,
    ) -> RResult<AppletBox, AppletError>,
}

impl RootModule for AppletLib_Ref {
    declare_root_module_statics! {AppletLib_Ref}
    const BASE_NAME: &'static str = "applet";
    const NAME: &'static str = "applet-sdk";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
