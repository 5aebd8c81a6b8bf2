//! Applet test support: the fixture libraries under `examples/applets`
//! (built next to the proxy by `cargo build --workspace`), a proxy binary
//! whose own directory holds no applet (so that only the libraries a test
//! names are loaded), and one-shot runs of such a binary.
//!
//! The proxy loads every `lib*.so` of its executable's directory; in
//! `target/debug` that is every fixture (hello, panicky, and the lenient
//! skip of the incompatible one). Tests about loading therefore run an
//! [`IsolatedBin`]: a hard link of the binary (a copy if linking fails) in
//! a fresh temp dir, which `current_exe()` reports as its own directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::util::TempDir;
use crate::{proxy_bin, Output};

/// The fixture library `lib<name>.so` next to the binary under test
/// (`applet_hello`, `applet_panicky`, `applet_incompatible`, `notapplet`).
pub fn fixture(name: &str) -> PathBuf {
    // Canonical, as the proxy reports the files of its own directory.
    let bin = proxy_bin();
    let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
    let dir = bin.parent().unwrap_or(Path::new("."));
    let p = dir.join(format!("lib{name}.so"));
    assert!(
        p.exists(),
        "{} is missing: build the fixtures first: cargo build --workspace \
         (or cargo build -p proxy-bin -p applet-hello -p applet-panicky -p applet-incompatible -p notapplet)",
        p.display()
    );
    p
}

/// A proxy binary alone in a temp dir (no applet loaded from its own
/// directory), plus room for files next to it.
#[derive(Debug)]
pub struct IsolatedBin {
    pub dir: TempDir,
    pub bin: PathBuf,
}

impl IsolatedBin {
    pub fn new() -> IsolatedBin {
        let dir = TempDir::new();
        let bin = dir.path().join("proxy");
        let src = proxy_bin();
        if std::fs::hard_link(&src, &bin).is_err() {
            std::fs::copy(&src, &bin)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), bin.display()));
        }
        IsolatedBin { dir, bin }
    }

    /// Runs it to completion (10 s at most, then kill and panic), in its
    /// own directory.
    pub fn run(&self, args: &[&str]) -> Output {
        run_bin(&self.bin, args, Some(self.dir.path()))
    }
}

impl Default for IsolatedBin {
    fn default() -> Self {
        Self::new()
    }
}

/// A fresh directory holding copies of fixture libraries under the names
/// given: `lib_dir(&[("applet_hello", "liba.so"), ...])`.
pub fn lib_dir(files: &[(&str, &str)]) -> TempDir {
    let d = TempDir::new();
    for (fixture_name, as_name) in files {
        let src = fixture(fixture_name);
        std::fs::copy(&src, d.path().join(as_name))
            .unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    }
    d
}

/// Runs `bin args` to completion (10 s at most, then kill and panic).
pub fn run_bin(bin: &Path, args: &[&str], dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(o)) => Output {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        },
        Ok(Err(e)) => panic!("waiting for {}: {e}", bin.display()),
        Err(_) => {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
            panic!("{} {args:?} did not exit within 10 s", bin.display());
        }
    }
}
