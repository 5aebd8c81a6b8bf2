//! The `proxy` binary: HAProxy's command line over proxy-core.
//!
//! - [`args`]: the command line (HAProxy's single-dash flags on clap).
//! - this file: what each mode does (`-v`, `-cc`, `-c`, run).
#![forbid(unsafe_code)]

mod args;

use std::process::ExitCode;

use proxy_core::config::{self, cond, Config};
use proxy_core::log::sink::LogSinks;
use proxy_core::log::subscriber::{install, ProxySubscriber, Verbosity};
use proxy_core::runtime::{run, RunOptions};

fn pid() -> u32 {
    std::process::id()
}

fn alert(msg: &str) {
    eprintln!("[ALERT]    ({}) : {msg}", pid());
}

fn warning(msg: &str) {
    eprintln!("[WARNING]  ({}) : {msg}", pid());
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn version_line() -> String {
    format!(
        "Proxy version {} - HAProxy 2.6 configuration and CLI compatible (configuration language level {})",
        proxy_core::VERSION,
        cond::HAPROXY_COMPAT_VERSION
    )
}

fn print_build_options(a: &args::Args) {
    println!("{}", version_line());
    println!(
        "Running on: {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    println!();
    println!("Default settings :");
    println!("  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200");
    println!();
    println!("Built with multi-threading support (MAX_THREADS=64, default=1).");
    println!("Available polling systems :");
    println!("      epoll : pref=300,  test result OK");
    println!(
        "Available features : {}",
        cond::FEATURES
            .iter()
            .map(|f| format!("+{f}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("Compatible with HAProxy {}", cond::HAPROXY_COMPAT_VERSION);
    println!();
    println!(
        "Applet SDK expected: {}",
        proxy_core::applet::loader::expected_sdk_version()
    );
    // With `-f`, the configuration's `applet-load` files count too.
    let cfg = if a.files.is_empty() {
        Config::default()
    } else {
        config::load_paths(&a.files).unwrap_or_default()
    };
    match proxy_core::applet::load_for(&cfg, &a.applet_dirs) {
        Ok(reg) => {
            print!("{}", reg.describe());
            for w in reg.warnings() {
                println!("Applet warning: {w}");
            }
        }
        Err(e) => println!("Applets: {e}"),
    }
}

/// Loads the configuration, printing warnings and errors as HAProxy does.
fn load(a: &args::Args, quiet: bool) -> Result<Config, ()> {
    if a.files.is_empty() {
        alert("No configuration file specified (use -f).");
        return Err(());
    }
    match config::load_paths(&a.files) {
        Ok(c) => {
            if !quiet {
                for w in &c.warnings {
                    warning(w);
                }
            }
            Ok(c)
        }
        Err(errs) => {
            if !quiet {
                for w in &errs.warnings {
                    warning(w);
                }
            }
            for e in &errs.errors {
                alert(&format!("config : {e}"));
            }
            alert("config : Fatal errors found in configuration.");
            Err(())
        }
    }
}

fn main() -> ExitCode {
    let a = match args::parse(std::env::args_os()) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Some(name) = &a.local_peer {
        // The configuration may read it as ${HAPROXY_LOCALPEER}; set before
        // any thread exists.
        std::env::set_var("HAPROXY_LOCALPEER", name);
    }
    if let Some(dir) = &a.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            alert(&format!("Cannot chdir to {}: {e}", dir.display()));
            return ExitCode::from(1);
        }
    }
    if a.version > 0 {
        if a.version > 1 {
            print_build_options(&a);
        } else {
            println!("{}", version_line());
        }
        return ExitCode::SUCCESS;
    }
    if let Some(expr) = &a.check_condition {
        return match cond::eval_condition(expr, &env_lookup) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                alert(&format!("Failed to evaluate condition: {e}"));
                ExitCode::from(2)
            }
        };
    }
    let verbosity = if a.quiet && !a.verbose {
        Verbosity::Quiet
    } else if a.debug {
        Verbosity::Debug
    } else {
        Verbosity::Normal
    };
    let quiet = verbosity == Verbosity::Quiet;
    let mut cfg = match load(&a, quiet) {
        Ok(c) => c,
        Err(()) => return ExitCode::from(1),
    };
    if let Some(n) = a.maxconn {
        cfg.global.maxconn = Some(n);
    }
    if a.check {
        // The applets the file names must load and provide its services.
        match proxy_core::applet::load_for(&cfg, &a.applet_dirs) {
            Ok(reg) => {
                // What a start would warn about (an incompatible library
                // next to the executable is skipped).
                if !quiet {
                    for w in reg.warnings() {
                        warning(w);
                    }
                }
                let mut unknown = proxy_core::applet::check_services(&cfg, &reg);
                if unknown.is_empty() {
                    unknown.extend(proxy_core::host::lifecycle::check_service_arguments(
                        &cfg, &reg,
                    ));
                }
                if !unknown.is_empty() {
                    for e in &unknown {
                        alert(&format!("config : {e}"));
                    }
                    alert("config : Fatal errors found in configuration.");
                    return ExitCode::from(1);
                }
            }
            Err(e) => {
                alert(&e);
                alert("config : Fatal errors found in configuration.");
                return ExitCode::from(1);
            }
        }
        let listeners = cfg.proxies.iter().filter(|p| p.kind.has_frontend()).count();
        if !cfg.warnings.is_empty() && !quiet {
            println!("Warnings were found.");
        }
        if listeners == 0 {
            if !quiet {
                println!(
                    "Configuration file has no error but will not start (no listener) => exit(2)."
                );
            }
            return ExitCode::from(2);
        }
        if !quiet {
            println!("Configuration file is valid");
        }
        return ExitCode::SUCCESS;
    }

    let sub = ProxySubscriber::new(verbosity, pid());
    let sinks = sub.sinks_handle();
    // Only fails if a subscriber is already set, which cannot happen here.
    let _ = install(sub);
    let targets = cfg.proxies.iter().map(|p| p.logs.clone()).collect();
    match LogSinks::new(targets, "proxy", pid()) {
        Ok(s) => {
            sinks.replace(s);
        }
        Err(e) => {
            alert(&format!("cannot open log targets: {e}"));
            return ExitCode::from(1);
        }
    }
    let opts = RunOptions {
        daemon: a.daemon,
        pidfile: a.pidfile.clone(),
        soft_stop_pids: a.soft_stop.clone(),
        hard_stop_pids: a.hard_stop.clone(),
        applet_dirs: a.applet_dirs.clone(),
    };
    match run(cfg, opts) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            for line in &e.0 {
                alert(line);
            }
            ExitCode::from(1)
        }
    }
}
