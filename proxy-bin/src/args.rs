//! HAProxy's command line on clap.
//!
//! HAProxy uses single-dash words (`-db`, `-vv`, `-cc`, `-sf`); clap reads
//! single-dash options as one letter, so those words are rewritten to their
//! double-dash form before parsing. `-sf`/`-st` take every following
//! argument up to the next option.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Parser};

/// HAProxy-class proxy: runs an existing haproxy.cfg.
#[derive(Parser, Debug, Default)]
#[command(name = "proxy", disable_version_flag = true, disable_help_flag = true)]
pub struct Args {
    /// Configuration file or directory (repeatable, loaded in order).
    #[arg(short = 'f', value_name = "CFGFILE|CFGDIR", action = ArgAction::Append)]
    pub files: Vec<PathBuf>,
    /// Check the configuration and exit.
    #[arg(short = 'c')]
    pub check: bool,
    /// Evaluate a condition (as in `.if`) and exit: 0 true, 1 false, 2 error.
    #[arg(long = "cc", value_name = "COND", allow_hyphen_values = true)]
    pub check_condition: Option<String>,
    /// Debug mode: foreground, debug messages.
    #[arg(short = 'd')]
    pub debug: bool,
    /// Stay in the foreground.
    #[arg(long = "db")]
    pub foreground: bool,
    /// Daemon mode.
    #[arg(short = 'D')]
    pub daemon: bool,
    /// Write the pid to this file.
    #[arg(short = 'p', value_name = "PIDFILE")]
    pub pidfile: Option<PathBuf>,
    /// Quiet: no messages during start-up.
    #[arg(short = 'q')]
    pub quiet: bool,
    /// Verbose: undo -q.
    #[arg(short = 'V')]
    pub verbose: bool,
    /// Print the version (-vv: and the build options).
    #[arg(short = 'v', action = ArgAction::Count)]
    pub version: u8,
    /// Local peer name.
    #[arg(short = 'L', value_name = "NAME")]
    pub local_peer: Option<String>,
    /// Global maxconn.
    #[arg(short = 'n', value_name = "MAXCONN")]
    pub maxconn: Option<u32>,
    /// Default per-proxy maxconn (accepted for compatibility).
    #[arg(short = 'N', value_name = "MAXPCONN")]
    pub maxpconn: Option<u32>,
    /// Change to this directory before loading files.
    #[arg(short = 'C', value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// Ask these old processes to finish (SIGUSR1) once started.
    #[arg(long = "sf", value_name = "PID", num_args = 0.., action = ArgAction::Append)]
    pub soft_stop: Vec<i32>,
    /// Ask these old processes to terminate (SIGTERM) once started.
    #[arg(long = "st", value_name = "PID", num_args = 0.., action = ArgAction::Append)]
    pub hard_stop: Vec<i32>,
    /// Load applets from this directory too (repeatable).
    #[arg(long = "applet-dir", value_name = "DIR", action = ArgAction::Append)]
    pub applet_dirs: Vec<PathBuf>,
    /// Print help.
    #[arg(short = 'h', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,
    /// Configuration files after `--`.
    #[arg(last = true)]
    pub rest: Vec<PathBuf>,
}

/// Single-dash words HAProxy uses, rewritten for clap.
const WORDS: &[&str] = &["-db", "-vv", "-cc", "-sf", "-st"];

fn rewrite(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut after_dashdash = false;
    for a in args {
        if after_dashdash {
            out.push(a);
            continue;
        }
        match a.to_str() {
            Some("--") => {
                after_dashdash = true;
                out.push(a);
            }
            Some("-vv") => {
                out.push("-v".into());
                out.push("-v".into());
            }
            Some(w) if WORDS.contains(&w) => out.push(format!("-{w}").into()),
            _ => out.push(a),
        }
    }
    out
}

/// Parses the command line; on error or help, prints and returns the exit code.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, ExitCode> {
    let argv = rewrite(args);
    if argv.len() <= 1 {
        eprintln!("Usage : proxy [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ] [ -p <pidfile> ] [ -sf/-st <pid>* ] [ -cc <cond> ] [ -L <name> ] [ -C <dir> ]");
        return Err(ExitCode::from(1));
    }
    match Args::try_parse_from(argv) {
        Ok(mut a) => {
            let rest = std::mem::take(&mut a.rest);
            a.files.extend(rest);
            Ok(a)
        }
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            Err(ExitCode::from(code))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Args {
        parse(
            std::iter::once("proxy")
                .chain(v.iter().copied())
                .map(OsString::from),
        )
        .unwrap()
    }

    #[test]
    fn haproxy_words_parse() {
        let a = p(&[
            "-f", "a.cfg", "-f", "dir", "-db", "-sf", "12", "13", "-p", "x.pid",
        ]);
        assert_eq!(a.files, vec![PathBuf::from("a.cfg"), PathBuf::from("dir")]);
        assert!(a.foreground);
        assert_eq!(a.soft_stop, vec![12, 13]);
        assert_eq!(a.pidfile, Some(PathBuf::from("x.pid")));
        assert_eq!(p(&["-vv"]).version, 2);
        assert_eq!(
            p(&["-cc", "defined(X)"]).check_condition.as_deref(),
            Some("defined(X)")
        );
        assert!(p(&["-c", "-q", "-f", "x"]).check);
        assert_eq!(p(&["-st", "-f", "x"]).hard_stop, Vec::<i32>::new());
        assert_eq!(p(&["-f", "a", "--", "b", "c"]).files.len(), 3);
    }
}
