//! Loading applets, and refusing bad ones: a missing file, a file that is
//! not ELF, a plain C library, an applet built against another SDK, two
//! libraries providing the same service, and a service name no applet
//! provides are each one error line naming the file (or `file:line`) and
//! the reason, with exit code 1, both at `-c` and at start-up. `-vv` lists
//! the services loaded.
//!
//! Each test runs an [`IsolatedBin`] (the binary alone in a temp dir) so
//! that only the libraries it names are loaded; the fixtures are copied
//! from the build directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tests::applets::{fixture, lib_dir, IsolatedBin};
use tests::http::{http_defaults, Client};
use tests::{free_port, is_haproxy, BoundPort, Output, Proxy};

/// A configuration the tests expect refused: the proxy exits before it
/// binds anything, so the port (a real number, to keep the file as a user
/// would write it) cannot race with anyone.
fn cfg(global_extra: &str, frontend: &str) -> String {
    cfg_on(
        &format!("127.0.0.1:{}", free_port()),
        global_extra,
        frontend,
    )
}

fn cfg_on(bind: &str, global_extra: &str, frontend: &str) -> String {
    let d = http_defaults().replacen("global\n", &format!("global\n{global_extra}"), 1);
    format!("{d}frontend fe\n    bind {bind}\n{frontend}")
}

const USE_HELLO: &str = "    http-request use-service hello\n";

/// The SDK version the binary expects, from `-vv`.
fn expected_sdk(iso: &IsolatedBin) -> String {
    let o = iso.run(&["-vv"]);
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Applet SDK expected: "))
        .unwrap_or_else(|| panic!("no SDK version in -vv:\n{}", o.stdout))
        .trim()
        .to_string()
}

/// Runs the configuration with `-c` and then for real (`-db`); both must
/// exit 1 with exactly one error line containing every `needles`.
fn assert_refused(iso: &IsolatedBin, config: &str, extra_args: &[&str], needles: &[&str]) {
    let file = iso.dir.write("proxy.cfg", config);
    let file = file.to_str().unwrap();
    for mode in ["-c", "-db"] {
        let mut args = vec![mode, "-f", file];
        args.extend_from_slice(extra_args);
        let o: Output = iso.run(&args);
        assert_eq!(o.code, Some(1), "{args:?}: exit code; output:\n{}", o.all());
        assert!(
            !o.stdout.contains("Configuration file is valid"),
            "{args:?}:\n{}",
            o.all()
        );
        // The error itself is one line; `-c` adds HAProxy's trailer.
        let lines: Vec<&str> = o
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("Fatal errors found in configuration"))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: expected one error line, got:\n{}",
            o.stderr
        );
        let line = lines[0];
        assert!(line.contains("[ALERT]"), "{args:?}: {line}");
        for n in needles {
            assert!(
                line.contains(n),
                "{args:?}: {n:?} missing from the error line:\n{line}"
            );
        }
    }
}

/// `applet-load` of a file that does not exist.
#[test]
fn a_missing_file_is_refused() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let missing = iso.dir.path().join("nowhere/libmissing.so");
    let m = missing.to_str().unwrap();
    assert_refused(
        &iso,
        &cfg(&format!("    applet-load {m}\n"), USE_HELLO),
        &[],
        &[
            &format!("[{}:2]", iso.dir.path().join("proxy.cfg").display()),
            "'applet-load'",
            &format!("applet '{m}'"),
            "cannot load",
            "No such file",
        ],
    );
    // The same through --applet-dir: a directory that does not exist.
    let dir = iso.dir.path().join("no-such-dir");
    let d = dir.to_str().unwrap();
    assert_refused(
        &iso,
        &cfg("", USE_HELLO),
        &["--applet-dir", d],
        &[&format!("'{d}'"), "No such file"],
    );
}

/// A file named like a library that is not ELF at all.
#[test]
fn a_file_that_is_not_elf_is_refused() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let junk = iso
        .dir
        .write("libjunk.so", &"this is not an ELF file\n".repeat(64));
    let j = junk.to_str().unwrap();
    assert_refused(
        &iso,
        &cfg(&format!("    applet-load {j}\n"), USE_HELLO),
        &[],
        &[
            &format!("applet '{j}'"),
            "cannot load",
            "invalid ELF header",
        ],
    );
    // In an --applet-dir, next to a good applet: still refused.
    let d = lib_dir(&[("applet_hello", "libapplet_hello.so")]);
    std::fs::copy(&junk, d.path().join("libjunk.so")).unwrap();
    let jd = d.path().join("libjunk.so");
    assert_refused(
        &iso,
        &cfg("", USE_HELLO),
        &["--applet-dir", d.path().to_str().unwrap()],
        &[&format!("applet '{}'", jd.display()), "invalid ELF header"],
    );
}

/// A plain C library (examples/applets/notapplet).
#[test]
fn a_plain_c_library_is_refused() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let d = lib_dir(&[("notapplet", "libnotapplet.so")]);
    let f = d.path().join("libnotapplet.so");
    let f = f.to_str().unwrap();
    let why = "not an applet (no applet-sdk root module exported)";
    assert_refused(
        &iso,
        &cfg(&format!("    applet-load {f}\n"), USE_HELLO),
        &[],
        &[&format!("applet '{f}': {why}")],
    );
    assert_refused(
        &iso,
        &cfg("", USE_HELLO),
        &["--applet-dir", d.path().to_str().unwrap()],
        &[&format!("applet '{f}': {why}")],
    );
}

/// An applet built against applet-sdk 0.1.0, the previous release (examples/applets/incompatible):
/// the exact message, naming the file and both versions.
#[test]
fn an_applet_built_against_another_sdk_is_refused() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let want = expected_sdk(&iso);
    assert_ne!(
        want, "0.1.0",
        "the fixture must differ from the proxy's SDK"
    );
    let d = lib_dir(&[("applet_incompatible", "libapplet_incompatible.so")]);
    let f = d.path().join("libapplet_incompatible.so");
    let f = f.to_str().unwrap();
    let msg = format!("applet '{f}': built with applet-sdk 0.1.0, this proxy expects {want}");
    assert_refused(
        &iso,
        &cfg(&format!("    applet-load {f}\n"), USE_HELLO),
        &[],
        &[&msg],
    );
    assert_refused(
        &iso,
        &cfg("", USE_HELLO),
        &["--applet-dir", d.path().to_str().unwrap()],
        &[&msg],
    );
}

/// The same library twice under two names: the service is provided by
/// both; the error names both files.
#[test]
fn two_applets_with_the_same_service_are_refused() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let d = lib_dir(&[("applet_hello", "liba.so"), ("applet_hello", "libb.so")]);
    let (a, b) = (d.path().join("liba.so"), d.path().join("libb.so"));
    let both = format!(
        "is provided by both '{}' and '{}'",
        a.display(),
        b.display()
    );
    assert_refused(
        &iso,
        &cfg("", USE_HELLO),
        &["--applet-dir", d.path().to_str().unwrap()],
        &["applet service '", &both],
    );
    // Also when the second one comes from applet-load.
    let one = lib_dir(&[("applet_hello", "libhello.so")]);
    let first = one.path().join("libhello.so");
    let global = format!("    applet-load {}\n", b.display());
    assert_refused(
        &iso,
        &cfg(&global, USE_HELLO),
        &["--applet-dir", one.path().to_str().unwrap()],
        &[
            "'applet-load'",
            &format!(
                "is provided by both '{}' and '{}'",
                first.display(),
                b.display()
            ),
        ],
    );
}

/// A service name no loaded applet provides, in either kind of rule: the
/// error gives `file:line`, the keyword and the name.
#[test]
fn a_service_no_applet_provides_is_refused() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let d = lib_dir(&[("applet_hello", "libapplet_hello.so")]);
    let dir = d.path().to_str().unwrap();
    let file = iso.dir.path().join("proxy.cfg");
    let c = cfg(
        "",
        "    http-request use-service hello if { path /a }\n    http-request use-service nosuch\n",
    );
    let line = c.lines().position(|l| l.contains("nosuch")).unwrap() + 1;
    assert_refused(
        &iso,
        &c,
        &["--applet-dir", dir],
        &[&format!(
            "parsing [{}:{line}] : 'http-request use-service' : unknown service 'nosuch'",
            file.display()
        )],
    );
    let c = cfg(
        "",
        "    tcp-request content use-service nosuch-tcp\n    http-request use-service hello\n",
    );
    let line = c.lines().position(|l| l.contains("nosuch-tcp")).unwrap() + 1;
    assert_refused(
        &iso,
        &c,
        &["--applet-dir", dir],
        &[&format!("parsing [{}:{line}] : 'tcp-request content use-service' : unknown service 'nosuch-tcp'", file.display())],
    );
    // Without any applet at all, `hello` itself is unknown.
    assert_refused(&iso, &cfg("", USE_HELLO), &[], &["unknown service 'hello'"]);
}

/// `-vv` lists every service loaded, with its kind, description, library
/// name and version, SDK version and file; with `--applet-dir` the
/// directory's applets are listed, and with nothing to load, "none".
#[test]
fn vv_lists_loaded_applets_and_their_services() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let want = expected_sdk(&iso);
    let o = iso.run(&["-vv"]);
    assert_eq!(o.code, Some(0), "{}", o.all());
    assert!(
        o.stdout.contains("Available applet services: none"),
        "{}",
        o.stdout
    );

    let d = lib_dir(&[
        ("applet_hello", "libapplet_hello.so"),
        ("applet_panicky", "libapplet_panicky.so"),
    ]);
    let o = iso.run(&["-vv", "--applet-dir", d.path().to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{}", o.all());
    let hello = d.path().join("libapplet_hello.so");
    let panicky = d.path().join("libapplet_panicky.so");
    let services: Vec<&str> = o
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Available applet services:"))
        .skip(1)
        .filter(|l| l.starts_with('\t'))
        .collect();
    let names: Vec<&str> = services
        .iter()
        .map(|l| l.trim_start().split(' ').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "echo",
            "framing-header",
            "hello",
            "longpoll",
            "never-ends",
            "no-head",
            "panic",
            "panic-init",
            "panic-release",
            "silent",
            "tcp-panic",
            "tcp-panic-init",
            "too-long",
            "too-short"
        ],
        "{}",
        o.stdout
    );
    let line = |name: &str| {
        *services
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap()
    };
    assert_eq!(
        line("hello"),
        format!("\thello (http-service): answers 200 OK with a fixed body (first argument) [hello 0.1.0, applet-sdk {want}, {}]", hello.display())
    );
    assert!(
        line("echo").starts_with("\techo (tcp-service): "),
        "{}",
        line("echo")
    );
    assert!(
        line("panic").contains(&format!(
            "[panicky 0.1.0, applet-sdk {want}, {}]",
            panicky.display()
        )),
        "{}",
        line("panic")
    );

    // The binary's own directory counts too (what `cargo build` gives).
    let o = tests::run_proxy(&["-vv"], &[]);
    assert!(o.stdout.contains("\thello (http-service)"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains(&fixture("applet_hello").display().to_string()),
        "{}",
        o.stdout
    );
}

/// The binary's own directory is searched leniently: an incompatible
/// applet there is skipped with one warning, a plain library silently,
/// and the proxy starts and serves the good applet next to them.
#[test]
fn bad_libraries_next_to_the_binary_are_skipped() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    for (name, file) in [
        ("applet_incompatible", "libapplet_incompatible.so"),
        ("notapplet", "libnotapplet.so"),
        ("applet_hello", "libapplet_hello.so"),
    ] {
        std::fs::copy(fixture(name), iso.dir.path().join(file)).unwrap();
    }
    let fe = BoundPort::new();
    let port = fe.port;
    let c = cfg_on(&fe.bind(), "", USE_HELLO);
    let px = Proxy::builder(&c).listen(&fe).bin(&iso.bin).start();
    assert_eq!(Client::connect(port).get("/").status(), 200);
    let incompatible = iso.dir.path().join("libapplet_incompatible.so");
    let err = px.stderr();
    let applet_lines: Vec<&str> = err.lines().filter(|l| l.contains("applet '")).collect();
    assert_eq!(applet_lines.len(), 1, "{err}");
    assert!(applet_lines[0].contains("[WARNING]"), "{err}");
    assert!(
        applet_lines[0].contains(&format!(
            "applet '{}': built with applet-sdk 0.1.0",
            incompatible.display()
        )) && applet_lines[0].ends_with("(skipped)"),
        "{err}"
    );
}

/// A service used in the other kind of rule is a configuration error at
/// `-c` (and at start-up), at `file:line`: a TCP service cannot answer an
/// HTTP request rule, an HTTP service cannot take raw bytes.
#[test]
fn a_service_of_the_wrong_kind_is_refused() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    let d = lib_dir(&[("applet_hello", "libapplet_hello.so")]);
    let dir = d.path().to_str().unwrap();
    let file = iso.dir.path().join("proxy.cfg");
    let c = cfg("", "    http-request use-service echo\n");
    let line = c
        .lines()
        .position(|l| l.contains("use-service echo"))
        .unwrap()
        + 1;
    assert_refused(
        &iso,
        &c,
        &["--applet-dir", dir],
        &[&format!(
            "parsing [{}:{line}] : 'http-request use-service' : service 'echo' is a TCP service: use it with 'tcp-request content use-service'.",
            file.display()
        )],
    );
    let c = cfg(
        "",
        "    tcp-request inspect-delay 1s\n    tcp-request content use-service hello\n",
    );
    let line = c
        .lines()
        .position(|l| l.contains("use-service hello"))
        .unwrap()
        + 1;
    assert_refused(
        &iso,
        &c,
        &["--applet-dir", dir],
        &[&format!(
            "parsing [{}:{line}] : 'tcp-request content use-service' : service 'hello' is an HTTP service: use it with 'http-request use-service'.",
            file.display()
        )],
    );
}

/// `-c` warns about what a start would skip (an incompatible applet next
/// to the executable), and `-vv -f` lists the services of the
/// configuration's `applet-load` files.
#[test]
fn check_and_vv_see_what_a_start_sees() {
    if is_haproxy() {
        return;
    }
    let iso = IsolatedBin::new();
    std::fs::copy(
        fixture("applet_incompatible"),
        iso.dir.path().join("libapplet_incompatible.so"),
    )
    .unwrap();
    let d = lib_dir(&[("applet_hello", "libapplet_hello.so")]);
    let hello = d.path().join("libapplet_hello.so");
    let c = cfg(&format!("    applet-load {}\n", hello.display()), USE_HELLO);
    let file = iso.dir.write("proxy.cfg", &c);
    let file = file.to_str().unwrap();
    let o = iso.run(&["-c", "-f", file]);
    assert_eq!(o.code, Some(0), "{}", o.all());
    assert!(
        o.stdout.contains("Configuration file is valid"),
        "{}",
        o.all()
    );
    let warned: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| {
            l.contains("[WARNING]")
                && l.contains("libapplet_incompatible.so")
                && l.ends_with("(skipped)")
        })
        .collect();
    assert_eq!(warned.len(), 1, "{}", o.all());

    let o = iso.run(&["-vv", "-f", file]);
    assert_eq!(o.code, Some(0), "{}", o.all());
    assert!(
        o.stdout.contains("\thello (http-service)")
            && o.stdout.contains(&hello.display().to_string()),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("Applet warning: ") && o.stdout.contains("(skipped)"),
        "{}",
        o.stdout
    );
}
