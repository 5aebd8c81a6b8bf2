//! `crt-list` files as HAProxy 2.6 reads them: one certificate per line,
//! `<crtfile> [\[<sslbindconf> ...\]] [[!]<snifilter> ...]`, and the
//! `show ssl crt-list <file>` text made from them.
//!
//! Line rules (each checked with the 2.6 binary):
//! - a line whose first byte is `#` or CR is skipped (an indented `#` is
//!   not a comment: it is read as the certificate file `#`); blank and
//!   whitespace-only lines are skipped; words are split on C `isspace`
//!   bytes, and `[` and `]` also end a word (`a.pem[alpn h2]x` is valid);
//! - a last line without its LF is an error, as is a line of 65535 bytes
//!   or more, or a line of more than 2048 words;
//! - an unterminated `[` is accepted: the line has an empty option block
//!   and every word after `[` is a filter;
//! - words between the file and `[` are dropped with a warning;
//! - options are the 2.6 `<sslbindconf>` keywords with their arguments,
//!   checked by name and count only (the values are checked where they
//!   are applied).
//!
//! Errors are `parsing [<list>:<line>]: <what>` (the bind layer puts
//! `'crt-list' : ` in front); reading the list itself fails with
//! `cannot open file '<list>' : <strerror>`. The list's own path is not
//! joined with `crt-base`; its certificate names are, by the caller.

/// One certificate line of a crt-list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrtListEntry {
    /// The certificate file as written (the caller joins `crt-base`).
    pub file: String,
    /// 1-based line number in the list; 0 for a directory's entries.
    pub line: usize,
    /// The words between `[` and `]`: keywords, each with its argument.
    pub opts: Vec<String>,
    /// The line had a `[`: `show ssl crt-list` then prints the block,
    /// even empty (`[]`).
    pub bracket: bool,
    /// The SNI filters as written: `name`, `*.domain`, `!name`, `!*`.
    pub filters: Vec<String>,
}

/// The `<sslbindconf>` keywords of 2.6 and how many arguments each takes.
const SSL_BIND_KWS: &[(&str, usize)] = &[
    ("allow-0rtt", 0),
    ("alpn", 1),
    ("ca-file", 1),
    ("ca-verify-file", 1),
    ("ciphers", 1),
    ("ciphersuites", 1),
    ("crl-file", 1),
    ("curves", 1),
    ("ecdhe", 1),
    ("no-ca-names", 0),
    ("npn", 1),
    ("ssl-max-ver", 1),
    ("ssl-min-ver", 1),
    ("verify", 1),
];

/// The order `show ssl crt-list` prints options in, whatever the line's
/// order (2.6 prints its parsed settings, not the words; `ca-verify-file`
/// is not printed at all).
const SHOW_ORDER: &[&str] = &[
    "npn",
    "alpn",
    "verify",
    "no-ca-names",
    "allow-0rtt",
    "ca-file",
    "crl-file",
    "ciphers",
    "ciphersuites",
    "curves",
    "ecdhe",
    "ssl-min-ver",
    "ssl-max-ver",
];

/// 2.6 reads lines into a 65536-byte buffer: 65535 bytes with the LF.
const LINE_LIMIT: usize = 65535;
/// 2.6's limit on the words of a line, the file included.
const MAX_WORDS: usize = 2048;

/// `isspace()` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Parses a crt-list's text; `list_path` names it in errors.
pub fn parse_crt_list(text: &str, list_path: &str) -> Result<Vec<CrtListEntry>, String> {
    parse_crt_list_warn(text, list_path, &mut Vec::new())
}

/// [`parse_crt_list`], with 2.6's warnings pushed on `warnings`.
pub fn parse_crt_list_warn(
    text: &str,
    list_path: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<CrtListEntry>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut n = 0;
    while !rest.is_empty() {
        n += 1;
        let (raw, lf) = match rest.find('\n') {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                (line, true)
            }
            None => (std::mem::take(&mut rest), false),
        };
        let at = |what: &str| format!("parsing [{list_path}:{n}]: {what}");
        // 2.6 measures lines with strlen: a NUL ends the text, and the
        // LF after it is not seen.
        let (line, lf) = match raw.find('\0') {
            Some(i) => (&raw[..i], false),
            None => (raw, lf),
        };
        if line.len() >= LINE_LIMIT {
            return Err(at(&format!(
                "line too long, limit is {LINE_LIMIT} characters"
            )));
        }
        if line.starts_with(['#', '\r']) || (line.is_empty() && lf) {
            continue;
        }
        if !lf {
            return Err(at(&format!(
                "Missing LF on last line, file might have been truncated at position {}.",
                line.len() + 1
            )));
        }
        if let Some(e) = parse_line(line, n, &at, warnings)? {
            out.push(e);
        }
    }
    Ok(out)
}

/// One non-comment line; `None` when it holds no word.
fn parse_line(
    line: &str,
    n: usize,
    at: &dyn Fn(&str) -> String,
    warnings: &mut Vec<String>,
) -> Result<Option<CrtListEntry>, String> {
    let mut words: Vec<&str> = Vec::new();
    let mut open: Option<usize> = None;
    let mut close: Option<usize> = None;
    let mut start: Option<usize> = None;
    for (i, &b) in line.as_bytes().iter().enumerate() {
        let sep = is_space(b) || b == b'[' || b == b']';
        if sep {
            if let Some(s) = start.take() {
                words.push(&line[s..i]);
            }
        }
        match b {
            b'[' => {
                if open.is_some() {
                    return Err(at("too many '['"));
                }
                if words.is_empty() {
                    return Err(at("file must start with a cert"));
                }
                open = Some(words.len());
            }
            b']' => {
                if close.is_some() {
                    return Err(at("too many ']'"));
                }
                if open.is_none() {
                    return Err(at("missing '['"));
                }
                close = Some(words.len());
            }
            _ if sep => {}
            _ => {
                if start.is_none() {
                    if words.len() == MAX_WORDS {
                        // 2.6's message ends with this space.
                        return Err(at("too many args "));
                    }
                    start = Some(i);
                }
            }
        }
    }
    if let Some(s) = start {
        words.push(&line[s..]);
    }
    let Some(&file) = words.first() else {
        return Ok(None);
    };
    if open.is_some_and(|o| o > 1) {
        warnings.push(at(
            "malformated line, filters can't be between filename and options!",
        ));
    }
    let mut cur = open.unwrap_or(1);
    let end = close.unwrap_or(0);
    let mut opts = Vec::new();
    while cur < end {
        let kw = words[cur];
        let Some(&(_, nargs)) = SSL_BIND_KWS.iter().find(|(k, _)| *k == kw) else {
            return Err(at(&format!("unknown ssl keyword {kw}")));
        };
        if cur + 1 + nargs > end {
            return Err(at(&format!("ssl args out of '[]' for {kw}")));
        }
        opts.extend(words[cur..=cur + nargs].iter().map(|w| w.to_string()));
        cur += 1 + nargs;
    }
    Ok(Some(CrtListEntry {
        file: file.to_string(),
        line: n,
        opts,
        bracket: open.is_some(),
        filters: words[cur..].iter().map(|w| w.to_string()).collect(),
    }))
}

/// Reads and parses the crt-list at `path` (not joined with `crt-base`).
pub fn load_crt_list(path: &str) -> Result<Vec<CrtListEntry>, String> {
    Ok(load_crt_list_counted(path)?.0)
}

/// [`load_crt_list`], with the number of lines of the file: the CLI
/// numbers the lines it adds after them, as 2.6 does.
pub fn load_crt_list_counted(path: &str) -> Result<(Vec<CrtListEntry>, usize), String> {
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.raw_os_error() {
            Some(c) => nix::errno::Errno::from_raw(c).desc().to_string(),
            None => e.to_string(),
        };
        format!("cannot open file '{path}' : {why}")
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let lines = text.bytes().filter(|&b| b == b'\n').count();
    Ok((parse_crt_list(&text, path)?, lines))
}

/// One line given to `add ssl crt-list <list> <<` (`source` names it in
/// errors, `CLI` for 2.6). Unlike a file's lines, `#` starts no comment;
/// `None` for a line without a word.
pub fn parse_cli_line(line: &str, source: &str) -> Result<Option<CrtListEntry>, String> {
    let at = |what: &str| format!("parsing [{source}:1]: {what}");
    parse_line(line, 1, &at, &mut Vec::new())
}

/// An entry's option block as 2.6 prints it: its settings in
/// [`SHOW_ORDER`], the last of a repeated keyword winning.
fn render_opts(opts: &[String]) -> String {
    let mut set: Vec<(&str, Option<&str>)> = Vec::new();
    let mut i = 0;
    while i < opts.len() {
        let kw = opts[i].as_str();
        let nargs = SSL_BIND_KWS
            .iter()
            .find(|(k, _)| *k == kw)
            .map_or(0, |(_, a)| *a);
        let val = opts.get(i + 1).filter(|_| nargs == 1).map(|s| s.as_str());
        set.retain(|(k, _)| *k != kw);
        set.push((kw, val));
        i += 1 + nargs;
    }
    let mut parts = Vec::new();
    for kw in SHOW_ORDER {
        let Some((_, val)) = set.iter().find(|(k, _)| k == kw) else {
            continue;
        };
        parts.push(match (*kw, val) {
            // 2.6 prints the ALPN/NPN list from its wire form and ends it
            // with a NUL byte; kept so the text matches byte for byte.
            ("npn" | "alpn", Some(v)) => format!("{kw} {v}\0"),
            (_, Some(v)) => format!("{kw} {v}"),
            (_, None) => (*kw).to_string(),
        });
    }
    parts.join(" ")
}

/// One entry as a `show ssl crt-list` line, `:<line>` after the file
/// with `numbered` (the `-n` form).
fn render_entry(e: &CrtListEntry, numbered: bool) -> String {
    let mut s = e.file.clone();
    if numbered {
        s.push_str(&format!(":{}", e.line));
    }
    if e.bracket {
        s.push_str(&format!(" [{}]", render_opts(&e.opts)));
    }
    for f in &e.filters {
        s.push(' ');
        s.push_str(f);
    }
    s.push('\n');
    s
}

/// The entries as crt-list lines (the body of `show ssl crt-list <f>`,
/// loadable again as a crt-list).
pub fn render(entries: &[CrtListEntry]) -> String {
    entries.iter().map(|e| render_entry(e, false)).collect()
}

/// The whole `show ssl crt-list [-n] <list>` answer but the CLI's closing
/// empty line: `# <list>` then the entries.
pub fn render_show(list_path: &str, entries: &[CrtListEntry], numbered: bool) -> String {
    let mut s = format!("# {list_path}\n");
    for e in entries {
        s.push_str(&render_entry(e, numbered));
    }
    s
}

#[cfg(test)]
#[path = "tests_crtlist.rs"]
mod tests;
