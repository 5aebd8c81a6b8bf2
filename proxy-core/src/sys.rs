//! The few operating-system calls the standard library does not offer:
//! adopting an inherited socket, signalling other processes, detaching as a
//! daemon. They go through `rustix` and `nix`, which wrap each system call
//! in a safe function.
//!
//! One `unsafe` remains, in [`adopt_fd`]: turning a descriptor *number*
//! given on the configuration (`bind fd@<n>`) into an owned descriptor is
//! exactly what Rust's I/O safety forbids safe code to do, and no crate can
//! offer it safely either. The only safe alternative, `pidfd_getfd(2)` on
//! our own process, needs Linux 5.6, may be refused by container seccomp
//! profiles, and duplicates the descriptor rather than adopting it (the
//! original number would stay open, and so would the listening socket after
//! the proxy closed its listener). It is the only `unsafe` of this crate.

use std::io;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};

use rustix::process::{kill_process, Pid};

pub use rustix::process::Signal;

pub const SIGTERM: Signal = Signal::TERM;
pub const SIGUSR1: Signal = Signal::USR1;

/// Takes ownership of an inherited descriptor (`bind fd@<n>`), after
/// checking that it is open.
#[allow(unsafe_code)]
pub fn adopt_fd(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::from_raw_os_error(9)); // EBADF
    }
    // SAFETY: the descriptor was handed to this process to own (fd@
    // inheritance): nothing else in the process refers to it. If it turns
    // out not to be open, ownership is given up below without closing it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    match rustix::io::fcntl_getfd(&owned) {
        Ok(_) => Ok(owned),
        Err(e) => {
            // Not open: forget the number rather than "closing" it, which
            // could close a descriptor opened meanwhile under that number.
            let _ = owned.into_raw_fd();
            Err(e.into())
        }
    }
}

/// Sends `sig` to process `pid`.
pub fn signal(pid: i32, sig: Signal) -> io::Result<()> {
    // Pid::from_raw refuses 0 and negative values: never signal groups.
    let pid = Pid::from_raw(pid).ok_or_else(|| io::Error::from_raw_os_error(3))?; // ESRCH
    kill_process(pid, sig).map_err(io::Error::from)
}

/// Forks; the parent exits at once and the child leads a new session. The
/// working directory and the standard streams are kept. Must run before any
/// thread is started.
pub fn daemonize() -> io::Result<()> {
    nix::unistd::daemon(true, true).map_err(io::Error::from)
}
