//! `export_applet!` and the log macros.

/// Exports an applet library: the root module the proxy loads, the list of
/// services and the constructor dispatch.
///
/// ```text
/// applet_sdk::export_applet! {
///     name: "my-applets",                       // the library's name
///     version: env!("CARGO_PKG_VERSION"),       // the library's version
///     services: [
///         // (service name, kind, one-line description, constructor)
///         ("hello", ServiceKind::HTTP_SERVICE, "answers 200", Hello::new),
///     ],
/// }
/// ```
///
/// The kind may carry flags: `(ServiceKind::HTTP_SERVICE,
/// ServiceFlags::RAW_HTTP)`.
///
/// A constructor is any `fn(&[String], Host) -> Result<T, String>` (or a
/// closure of that shape) with `T: AppletImpl`; the slice holds the words
/// that follow the service name in the configuration.
///
/// Use it once, at the root of a `cdylib` crate. Every entry point it
/// generates (`services`, `create`, and through the wrapper every
/// `on_io`/`release`/drop) runs under `catch_unwind`, so a panic becomes an
/// [`AppletError`](crate::AppletError) instead of `abi_stable`'s
/// process exit.
#[macro_export]
macro_rules! export_applet {
    (
        name: $name:expr,
        version: $version:expr,
        services: [
            $( ( $svc:expr, $kind:expr, $desc:expr, $ctor:expr $(,)? ) ),* $(,)?
        ] $(,)?
    ) => {
        #[doc(hidden)]
        extern "C" fn __applet_sdk_services(
        ) -> $crate::__private::RVec<$crate::ServiceInfo> {
            $crate::__private::services(|| {
                ::std::vec![ $( $crate::__private::service_info($svc, $kind, $desc) ),* ]
            })
        }

        #[doc(hidden)]
        extern "C" fn __applet_sdk_create(
            service: $crate::__private::RStr<'_>,
            args: $crate::__private::RSlice<'_, $crate::__private::RString>,
            host: $crate::HostServices_Ref,
        ) -> $crate::__private::RResult<$crate::AppletBox, $crate::AppletError> {
            $crate::__private::create(
                service,
                args,
                host,
                $name,
                |service: &str, args: &[::std::string::String], host: $crate::Host| {
                    $(
                        if service == $svc {
                            return ::std::option::Option::Some(
                                $crate::__private::boxed(($ctor)(args, host)),
                            );
                        }
                    )*
                    let _ = (args, host);
                    ::std::option::Option::None
                },
            )
        }

        #[doc(hidden)]
        fn __applet_sdk_root_module() -> $crate::AppletLib_Ref {
            $crate::__private::make_lib(
                $name,
                $version,
                __applet_sdk_services,
                __applet_sdk_create,
            )
        }

        /// The library header the proxy looks up (what abi_stable's
        /// `#[export_root_module]` generates, spelled out so that applets
        /// need no direct dependency on abi_stable).
        #[doc(hidden)]
        #[no_mangle]
        #[allow(unsafe_code, non_upper_case_globals)]
        pub static _1as_0lib_1header_0root_bmodule_bloader:
            $crate::__private::abi_stable::library::LibHeader = {
            extern "C" fn __applet_sdk_erased_module(
            ) -> $crate::__private::abi_stable::library::RootModuleResult {
                $crate::__private::abi_stable::library::__call_root_module_loader(
                    __applet_sdk_root_module,
                )
            }
            // SAFETY: the constructor returns the erased `AppletLib_Ref`
            // this header is declared for, as `#[export_root_module]` does.
            unsafe {
                $crate::__private::abi_stable::library::LibHeader::from_constructor::<
                    $crate::AppletLib_Ref,
                >(
                    __applet_sdk_erased_module,
                    $crate::__private::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

/// Logs through the proxy: `applet_log!(host, LogLevel::NOTICE, "fmt", args..)`.
#[macro_export]
macro_rules! applet_log {
    ($host:expr, $level:expr, $($arg:tt)+) => {
        if $crate::Host::log_enabled(&$host, $level) {
            $crate::Host::log(&$host, $level, &::std::format!($($arg)+))
        }
    };
}

/// Logs an error through the proxy: `applet_error!(host, "fmt", args..)`.
#[macro_export]
macro_rules! applet_error {
    ($host:expr, $($arg:tt)+) => { $crate::applet_log!($host, $crate::LogLevel::ERR, $($arg)+) };
}

/// Logs a warning through the proxy: `applet_warn!(host, "fmt", args..)`.
#[macro_export]
macro_rules! applet_warn {
    ($host:expr, $($arg:tt)+) => { $crate::applet_log!($host, $crate::LogLevel::WARNING, $($arg)+) };
}

/// Logs information through the proxy: `applet_info!(host, "fmt", args..)`.
#[macro_export]
macro_rules! applet_info {
    ($host:expr, $($arg:tt)+) => { $crate::applet_log!($host, $crate::LogLevel::INFO, $($arg)+) };
}

/// Logs a debug message through the proxy: `applet_debug!(host, "fmt", args..)`.
#[macro_export]
macro_rules! applet_debug {
    ($host:expr, $($arg:tt)+) => { $crate::applet_log!($host, $crate::LogLevel::DEBUG, $($arg)+) };
}
