//! The entry points: configuration text or files into a [`Config`], and
//! the error types. Files and directories are read here; each file's lines
//! go through `blocks` (`.if` blocks, directives) and `sections` (section
//! headers, keyword dispatch through the table in `keywords`).
//!
//! Parsing goes on after an error so that one run reports every broken
//! line, as `haproxy -c` does; the checks that need the whole configuration
//! (`checks`) only run when every line parsed.
//!
//! Messages: a [`ConfigError`] displays as `parsing [file:line] : msg` (a
//! printer adds HAProxy's `[ALERT]    (pid) : config : ` in front);
//! warnings and notices are stored complete, starting with `config : `, to
//! go after `[WARNING]  (pid) : ` / `[NOTICE]   (pid) : `.

use std::fmt;
use std::path::{Path, PathBuf};

use super::model::{Config, Location};
use super::sections::Parser;

/// A fatal configuration problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub loc: Option<Location>,
    pub msg: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loc {
            Some(loc) => write!(f, "parsing [{loc}] : {}", self.msg),
            None => f.write_str(&self.msg),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Everything wrong with a configuration, plus the warnings seen so far.
#[derive(Debug, Clone, Default)]
pub struct ConfigErrors {
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<String>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Parses one configuration text; `file` names it in messages. Variables
/// come from the process environment.
pub fn parse_str(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    parse_str_with_env(text, file, &process_env)
}

/// [`parse_str`] with variables looked up in `env` (for tests).
pub fn parse_str_with_env(
    text: &str,
    file: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut p = Parser::new(env);
    p.parse_file(text, file);
    p.finish()
}

/// Loads configuration files in order, as `-f` does. A directory stands for
/// its non-hidden `*.cfg` files in lexical order. Each file starts outside
/// any section, so a file must begin with a section keyword.
pub fn load_paths(paths: &[PathBuf]) -> Result<Config, ConfigErrors> {
    load_paths_with_env(paths, &process_env)
}

/// [`load_paths`] with variables looked up in `env`.
pub fn load_paths_with_env(
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut p = Parser::new(env);
    for path in paths {
        let files = if path.is_dir() {
            match cfg_files_in(path) {
                Ok(f) => f,
                Err(e) => {
                    p.fatal(
                        None,
                        format!(
                            "Could not open configuration directory {} : {}",
                            path.display(),
                            io_reason(&e)
                        ),
                    );
                    continue;
                }
            }
        } else {
            vec![path.clone()]
        };
        for file in files {
            match std::fs::read(&file) {
                Ok(bytes) => p.parse_file(
                    &String::from_utf8_lossy(&bytes),
                    &file.display().to_string(),
                ),
                Err(e) => p.fatal(
                    None,
                    format!(
                        "Could not open configuration file {} : {}",
                        file.display(),
                        io_reason(&e)
                    ),
                ),
            }
        }
    }
    p.finish()
}

/// The C library's wording for the usual errors, as HAProxy prints them.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

fn cfg_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && n.ends_with(".cfg"))
        .collect();
    names.sort();
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// Helpers shared by the tests of the keyword files.
#[cfg(test)]
pub(super) mod testing {
    use super::*;

    pub(crate) fn env(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("8080".into()),
            "ADDR" => Some("127.0.0.1".into()),
            "ONE" => Some("1".into()),
            _ => None,
        }
    }

    pub(crate) fn ok(text: &str) -> Config {
        parse_str_with_env(text, "t.cfg", &env)
            .unwrap_or_else(|e| panic!("unexpected errors:\n{e}"))
    }

    pub(crate) fn errors(text: &str) -> Vec<String> {
        match parse_str_with_env(text, "t.cfg", &env) {
            Ok(_) => panic!("no error for:\n{text}"),
            Err(e) => e.errors.iter().map(ToString::to_string).collect(),
        }
    }

    /// The only error of `text`.
    pub(crate) fn error(text: &str) -> String {
        let e = errors(text);
        assert_eq!(e.len(), 1, "{e:#?}");
        e[0].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::env;
    use super::*;
    #[test]
    fn error_display() {
        let e = ConfigError {
            loc: None,
            msg: "plain".into(),
        };
        assert_eq!(e.to_string(), "plain");
        let all = parse_str_with_env("global\n x\n y\n", "f.cfg", &env).unwrap_err();
        assert_eq!(
            all.to_string(),
            "parsing [f.cfg:2] : unknown keyword 'x' in 'global' section\n\
             parsing [f.cfg:3] : unknown keyword 'y' in 'global' section"
        );
    }

    #[test]
    fn files_and_directories() {
        let dir = std::env::temp_dir().join(format!("proxy-core-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("20-be.cfg"), "backend b\n  server s 127.0.0.1:1\n").unwrap();
        std::fs::write(
            dir.join("10-fe.cfg"),
            "frontend f\n  bind :1\n  default_backend b\n",
        )
        .unwrap();
        std::fs::write(dir.join(".hidden.cfg"), "bogus\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "bogus\n").unwrap();
        let extra = dir.join("extra.conf");
        std::fs::write(&extra, "global\n  maxconn 7\n").unwrap();
        let c = load_paths_with_env(&[dir.clone(), extra.clone()], &env).unwrap();
        let names: Vec<&str> = c.proxies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["f", "b"]);
        assert_eq!(c.global.maxconn, Some(7));
        assert!(c.proxies[1].servers[0].loc.file.ends_with("20-be.cfg"));
        // Each file starts outside any section.
        let cont = dir.join("cont.conf");
        std::fs::write(&cont, "  maxconn 3\n").unwrap();
        let e = load_paths_with_env(&[extra.clone(), cont.clone()], &env).unwrap_err();
        assert!(e.errors[0]
            .to_string()
            .contains("cont.conf:1] : unknown keyword 'maxconn' out of section."));
        let missing = dir.join("missing.cfg");
        let e = load_paths(std::slice::from_ref(&missing)).unwrap_err();
        assert_eq!(
            e.errors[0].to_string(),
            format!(
                "Could not open configuration file {} : No such file or directory",
                missing.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
