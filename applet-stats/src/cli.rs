//! Stats socket session: byte stream in, answers out, no I/O.
//!
//! Protocol (HAProxy 2.6):
//! * A request is a line; it may hold several commands separated by `;`.
//!   A backslash escapes the next character (`\;`, `\ `, `\\`); a trailing
//!   `\r` is ignored.
//! * Every answer is followed by a terminator: an empty line (`\n`) in the
//!   default mode, `\n> ` in interactive mode (toggled by `prompt`).
//! * In the default mode the connection is closed once every command
//!   received so far has been answered; interactive sessions stay open
//!   until `quit`.
//! * A command ending with `<<` starts a payload, ended by an empty line
//!   (interactive prompt `+ ` meanwhile): the lines, each with its `\n`,
//!   go to the command (`set ssl cert`, `add ssl crt-list`).
//!   The command and its payload together get HAProxy's buffer, no more.
//! * A single command longer than HAProxy's buffer ([`MAX_COMMAND_LEN`]
//!   bytes with its delimiter) closes the connection without an answer, as
//!   2.6 does; nothing beyond that is buffered.

use crate::api::{Admin, Source};
use crate::commands;

/// Longest accepted command, delimiter included (HAProxy: bufsize 16384
/// minus the byte reserved for the trailing NUL).
pub const MAX_COMMAND_LEN: usize = 16383;

/// Maximum number of words of a command (HAProxy's `MAX_CLI_ARGS`).
pub const MAX_ARGS: usize = 64;

/// Access level of a CLI session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Read-only, non-sensitive.
    User,
    /// Reads plus harmless changes.
    Operator,
    /// Everything.
    Admin,
}

impl Level {
    /// Parses a `level` bind option value.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "user" => Some(Level::User),
            "operator" => Some(Level::Operator),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }

    /// `user`, `operator`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Operator => "operator",
            Level::Admin => "admin",
        }
    }
}

/// Answer to some input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Bytes to send back.
    pub text: String,
    /// Close the connection after sending `text`.
    pub close: bool,
}

/// State of one stats-socket connection.
#[derive(Debug, Clone)]
pub struct CliSession {
    /// Level of the socket (`level` bind option); decides whether `show
    /// stat` fills addresses (HAProxy uses the socket's level for that).
    pub socket_level: Level,
    /// Current level (lowered by `operator` / `user`).
    pub level: Level,
    /// Interactive mode (`prompt`).
    pub interactive: bool,
    /// `experimental-mode on`: experimental commands (`set var`) allowed.
    pub experimental: bool,
    /// Suppress the next terminator (`user -` / `operator -`).
    pub(crate) no_lf: bool,
    /// Command waiting for the end of its payload.
    payload_cmd: Option<String>,
    /// Payload lines gathered so far.
    payload: String,
    /// Bytes received but not yet ending with a delimiter.
    pending: Vec<u8>,
    closed: bool,
}

impl CliSession {
    /// A new session on a socket of the given level.
    pub fn new(level: Level) -> CliSession {
        CliSession {
            socket_level: level,
            level,
            interactive: false,
            experimental: false,
            no_lf: false,
            payload_cmd: None,
            payload: String::new(),
            pending: Vec::new(),
            closed: false,
        }
    }

    /// Whether the session has ended (`quit`, end of a non-interactive
    /// request, oversized command).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Feeds received bytes. Every complete command is executed; a partial
    /// one is kept (up to [`MAX_COMMAND_LEN`]) for the next call.
    pub fn feed(&mut self, bytes: &[u8], src: &dyn Source, admin: &dyn Admin) -> Output {
        let mut out = Output::default();
        if self.closed {
            out.close = true;
            return out;
        }
        self.pending.extend_from_slice(bytes);
        loop {
            let Some(end) = self.next_delimiter() else {
                if self.pending.len() >= MAX_COMMAND_LEN {
                    self.close(&mut out);
                }
                return out;
            };
            if end + 1 > MAX_COMMAND_LEN {
                self.close(&mut out);
                return out;
            }
            let piece: Vec<u8> = self.pending.drain(..=end).collect();
            let mut text = String::from_utf8_lossy(&piece[..piece.len() - 1]).into_owned();
            if text.ends_with('\r') {
                text.pop();
            }
            self.process_piece(&text, src, admin, &mut out);
            if self.closed {
                out.close = true;
                return out;
            }
            if !self.interactive && self.pending.is_empty() && self.payload_cmd.is_none() {
                self.close(&mut out);
                return out;
            }
        }
    }

    /// Executes one request line (without its `\n`), as if it were the
    /// only data received.
    pub fn execute_line(&mut self, line: &str, src: &dyn Source, admin: &dyn Admin) -> Output {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        self.feed(&bytes, src, admin)
    }

    fn close(&mut self, out: &mut Output) {
        self.closed = true;
        self.pending.clear();
        out.close = true;
    }

    /// Position of the delimiter ending the next piece: `\n` always, an
    /// unescaped `;` outside payloads.
    fn next_delimiter(&self) -> Option<usize> {
        if self.payload_cmd.is_some() {
            return self.pending.iter().position(|&b| b == b'\n');
        }
        let mut i = 0;
        while i < self.pending.len() {
            match self.pending[i] {
                b'\\' => i += 1,
                b'\n' | b';' => return Some(i),
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn process_piece(&mut self, text: &str, src: &dyn Source, admin: &dyn Admin, out: &mut Output) {
        if let Some(cmd) = &self.payload_cmd {
            if text.is_empty() {
                let cmd = cmd.clone();
                self.payload_cmd = None;
                let payload = std::mem::take(&mut self.payload);
                self.run(&cmd, Some(&payload), src, admin, out);
            } else if cmd.len() + self.payload.len() + text.len() + 2 > MAX_COMMAND_LEN {
                // The command and its payload share 2.6's one buffer: past
                // it, 2.6 closes without an answer.
                self.payload_cmd = None;
                self.payload.clear();
                self.close(out);
            } else {
                self.payload.push_str(text);
                self.payload.push('\n');
                if self.interactive {
                    out.text.push_str("+ ");
                }
            }
            return;
        }
        if text.ends_with("<<") {
            self.payload_cmd = Some(text.to_string());
            if self.interactive {
                out.text.push_str("+ ");
            }
            return;
        }
        self.run(text, None, src, admin, out);
    }

    fn run(
        &mut self,
        cmd: &str,
        payload: Option<&str>,
        src: &dyn Source,
        admin: &dyn Admin,
        out: &mut Output,
    ) {
        let args = tokenize(cmd);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match commands::dispatch(self, &args, payload, src, admin) {
            commands::Outcome::Reply(text) => out.text.push_str(&text),
            commands::Outcome::Quit => {
                self.closed = true;
                return;
            }
        }
        let no_lf = std::mem::take(&mut self.no_lf);
        if self.interactive {
            out.text.push_str("\n> ");
        } else if !no_lf {
            out.text.push('\n');
        }
    }
}

/// Splits a command into words: spaces and tabs separate, a backslash
/// keeps the next character (`\\` keeps one backslash), a word equal to
/// `<<` ends the arguments (payload marker). At most [`MAX_ARGS`] words.
pub fn tokenize(cmd: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = cmd.chars().peekable();
    while args.len() < MAX_ARGS {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        while let Some(c) = chars.next() {
            match c {
                ' ' | '\t' => break,
                '\\' => {
                    if let Some(n) = chars.next() {
                        word.push(n);
                    }
                }
                c => word.push(c),
            }
        }
        if word == "<<" && chars.peek().is_none() {
            break;
        }
        args.push(word);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer() {
        assert_eq!(tokenize("  show   stat  "), ["show", "stat"]);
        assert_eq!(tokenize("show\\ version"), ["show version"]);
        assert_eq!(tokenize("a\\;b c\\\\d"), ["a;b", "c\\d"]);
        assert_eq!(tokenize("add map m <<"), ["add", "map", "m"]);
        assert!(tokenize("").is_empty());
    }
}
