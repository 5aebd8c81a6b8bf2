//! The few operating-system calls the standard library does not offer:
//! adopting an inherited socket, signalling other processes, detaching as a
//! daemon. This is the only module of the core (with the applet loader)
//! allowed `unsafe`; each call is a thin, documented wrapper.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
    fn fork() -> i32;
    fn setsid() -> i32;
    fn fcntl(fd: i32, cmd: i32, ...) -> i32;
}

const F_GETFD: i32 = 1;

pub const SIGTERM: i32 = 15;
pub const SIGUSR1: i32 = 10;

/// Takes ownership of an inherited descriptor (`bind fd@<n>`), after
/// checking that it is open.
pub fn adopt_fd(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::from_raw_os_error(9)); // EBADF
    }
    // SAFETY: F_GETFD only reads the descriptor's flags; it fails with EBADF
    // on a closed descriptor, which is what we check.
    if unsafe { fcntl(fd, F_GETFD) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the descriptor is open and was handed to this process to own
    // (fd@ inheritance); nothing else in the process uses it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sends `sig` to process `pid`.
pub fn signal(pid: i32, sig: i32) -> io::Result<()> {
    if pid <= 0 {
        return Err(io::Error::from_raw_os_error(3)); // ESRCH: never signal groups
    }
    // SAFETY: kill(2) takes plain integers and touches no memory.
    if unsafe { kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Forks; the parent exits at once and the child leads a new session.
/// Must run before any thread is started.
pub fn daemonize() -> io::Result<()> {
    // SAFETY: called while the process has a single thread (before the
    // runtime starts), so the child inherits a consistent state.
    match unsafe { fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // SAFETY: setsid(2) takes no arguments.
            unsafe { setsid() };
            Ok(())
        }
        _ => std::process::exit(0),
    }
}
