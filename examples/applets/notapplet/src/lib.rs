//! A plain C-ABI shared library with no applet root module: loading it as
//! an applet must fail with "not an applet".

/// Adds two numbers (C ABI).
#[allow(unsafe_code)] // `no_mangle` is what makes it a C library
#[no_mangle]
pub extern "C" fn add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}
