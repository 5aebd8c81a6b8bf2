//! One configuration line into words, the way HAProxy 2.6 splits them.
//!
//! Sans-io: the caller gives the line and a variable lookup, and gets the
//! words back. Rules:
//!
//! - words are separated by spaces and tabs; `#` outside quotes starts a
//!   comment (also in the middle of a word);
//! - `"..."` protects spaces, `'` and `#`, and still honours escapes and
//!   variables; `'...'` is fully literal;
//! - backslash escapes, inside double quotes and unquoted: `\ ` `\#` `\\`
//!   `\"` `\'` `\$` `\r` `\n` `\t` `\xNN`; an unknown escape is kept as is
//!   (backslash included), as HAProxy does;
//! - variables: `${NAME}`, `${NAME-default}`, `${NAME[*]}` (the value is
//!   split into several words) and `$NAME`. Inside double quotes all forms
//!   expand. Unquoted, only the braced forms expand: HAProxy 2.6 expands
//!   unquoted `${NAME}` in address arguments (`bind`, `server`, `stats
//!   socket`), and doing it for every word is the simple superset; `$NAME`
//!   stays literal unquoted so that regexes ending in `$` survive;
//! - an unset variable expands to nothing; a word made only of unquoted
//!   variables that expand to nothing disappears, while `""` is an empty word;
//! - adjacent quoted and unquoted parts form one word (`127.0.0.1:"${PORT}"`).

/// HAProxy's per-line word limit (`MAX_LINE_ARGS`).
pub const MAX_LINE_ARGS: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
}

/// Accumulates the words of a line as bytes (an `\xNN` escape may produce
/// any byte), converting each finished word to a `String`.
struct Words {
    done: Vec<String>,
    cur: Vec<u8>,
    /// A word is open even if `cur` is empty (after `""`, for instance).
    open: bool,
}

impl Words {
    fn push_bytes(&mut self, b: &[u8]) {
        self.cur.extend_from_slice(b);
        self.open = true;
    }
    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push_bytes(c.encode_utf8(&mut buf).as_bytes());
    }
    fn end(&mut self) -> Result<(), String> {
        if self.open {
            if self.done.len() >= MAX_LINE_ARGS {
                return Err(format!(
                    "too many words, the limit is {MAX_LINE_ARGS} words per line"
                ));
            }
            let bytes = std::mem::take(&mut self.cur);
            // Invalid UTF-8 can only come from `\xNN`; keep what we can
            // rather than refusing a line HAProxy would take.
            let word = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            self.done.push(word);
            self.open = false;
        }
        Ok(())
    }
}

/// Splits `line` into words. `env` looks up variables (normally the
/// process environment). Errors describe the problem without location; the
/// caller adds `parsing [file:line]`.
pub fn tokenize(line: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut w = Words {
        done: Vec::new(),
        cur: Vec::new(),
        open: false,
    };
    let mut quote = Quote::None;
    let mut quote_pos = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Quote::Single => {
                if c == '\'' {
                    quote = Quote::None;
                } else {
                    w.push_char(c);
                }
                i += 1;
            }
            Quote::Double | Quote::None => {
                let unquoted = quote == Quote::None;
                match c {
                    ' ' | '\t' if unquoted => {
                        w.end()?;
                        i += 1;
                    }
                    // A raw CR/LF ends the line (CRLF files, trailing LF).
                    '\r' | '\n' if unquoted => break,
                    '#' if unquoted => break,
                    '"' => {
                        quote = if unquoted { Quote::Double } else { Quote::None };
                        quote_pos = i;
                        w.open = true;
                        i += 1;
                    }
                    '\'' if unquoted => {
                        quote = Quote::Single;
                        quote_pos = i;
                        w.open = true;
                        i += 1;
                    }
                    '\\' => i = escape(&chars, i, &mut w)?,
                    '$' => i = variable(&chars, i, !unquoted, &mut w, env)?,
                    _ => {
                        w.push_char(c);
                        i += 1;
                    }
                }
            }
        }
    }
    if quote != Quote::None {
        return Err(format!("unmatched quote at position {}", quote_pos + 1));
    }
    w.end()?;
    Ok(w.done)
}

/// Handles the backslash at `chars[i]`; returns the index after the escape.
fn escape(chars: &[char], i: usize, w: &mut Words) -> Result<usize, String> {
    let Some(&next) = chars.get(i + 1) else {
        // A trailing backslash has nothing to escape: keep it.
        w.push_char('\\');
        return Ok(i + 1);
    };
    let plain = match next {
        ' ' | '#' | '\\' | '"' | '\'' | '$' => Some(next),
        'r' => Some('\r'),
        'n' => Some('\n'),
        't' => Some('\t'),
        _ => None,
    };
    if let Some(p) = plain {
        w.push_char(p);
        return Ok(i + 2);
    }
    if next == 'x' {
        let hex: String = chars.iter().skip(i + 2).take(2).collect();
        let byte = (hex.len() == 2)
            .then(|| u8::from_str_radix(&hex, 16).ok())
            .flatten()
            .ok_or_else(|| {
                format!(
                    "truncated or invalid hexadecimal sequence at position {}",
                    i + 1
                )
            })?;
        w.push_bytes(&[byte]);
        return Ok(i + 4);
    }
    // Unknown escape: HAProxy copies both characters.
    w.push_char('\\');
    w.push_char(next);
    Ok(i + 2)
}

/// Handles the `$` at `chars[i]`; returns the index after the variable.
fn variable(
    chars: &[char],
    i: usize,
    in_dquote: bool,
    w: &mut Words,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<usize, String> {
    let is_name_start = |c: char| c.is_ascii_alphabetic() || c == '_';
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match chars.get(i + 1) {
        Some('{') => {
            let close = chars[i + 2..]
                .iter()
                .position(|&c| c == '}')
                .map(|p| p + i + 2)
                .ok_or_else(|| format!("missing '}}' after '${{' at position {}", i + 1))?;
            let inner: String = chars[i + 2..close].iter().collect();
            let (inner, split) = match inner.strip_suffix("[*]") {
                Some(n) => (n.to_string(), true),
                None => (inner, false),
            };
            let (name, default) = match inner.split_once('-') {
                Some((n, d)) => (n.to_string(), Some(d.to_string())),
                None => (inner, None),
            };
            if name.is_empty() || !name.chars().all(is_name) {
                return Err(format!(
                    "invalid variable name '{name}' at position {}",
                    i + 1
                ));
            }
            let value = env(&name).or(default).unwrap_or_default();
            if split {
                // `${NAME[*]}`: each space-separated part becomes a word.
                for (n, part) in value
                    .split([' ', '\t'])
                    .filter(|p| !p.is_empty())
                    .enumerate()
                {
                    if n > 0 {
                        w.end()?;
                    }
                    w.push_bytes(part.as_bytes());
                }
            } else if !value.is_empty() {
                w.push_bytes(value.as_bytes());
            }
            Ok(close + 1)
        }
        Some(&c) if in_dquote && is_name_start(c) => {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| !is_name(c))
                .map_or(chars.len(), |p| p + i + 1);
            let name: String = chars[i + 1..end].iter().collect();
            if let Some(v) = env(&name) {
                w.push_bytes(v.as_bytes());
            }
            Ok(end)
        }
        _ => {
            w.push_char('$');
            Ok(i + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("8080".into()),
            "HOST" => Some("10.0.0.1".into()),
            "LIST" => Some("a b  c".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn tok(line: &str) -> Vec<String> {
        tokenize(line, &env).unwrap()
    }

    #[test]
    fn splits_on_spaces_and_tabs_and_ignores_comments() {
        assert_eq!(
            tok("  server s1\t127.0.0.1:80   # a comment"),
            ["server", "s1", "127.0.0.1:80"]
        );
        assert_eq!(tok("bind :80#comment"), ["bind", ":80"]);
        assert!(tok("   # only a comment").is_empty());
        assert!(tok("").is_empty());
        assert_eq!(tok("maxconn 10\r\n"), ["maxconn", "10"]);
    }

    #[test]
    fn quotes_protect_and_join() {
        assert_eq!(
            tok(r#"x "a b # c" 'd "e" $f'"#),
            ["x", "a b # c", r#"d "e" $f"#]
        );
        assert_eq!(
            tok(r#"bind 127.0.0.1:"${PORT}""#),
            ["bind", "127.0.0.1:8080"]
        );
        assert_eq!(tok(r#"a"b"'c'd"#), ["abcd"]);
        assert_eq!(tok(r#"x "" y"#), ["x", "", "y"]);
        assert_eq!(tok("x '' y"), ["x", "", "y"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(tok(r"a\ b c\#d e\\f"), ["a b", "c#d", r"e\f"]);
        assert_eq!(tok(r#""\"q\" \'s\'""#), [r#""q" 's'"#]);
        assert_eq!(tok(r#""\r\n\t""#), ["\r\n\t"]);
        assert_eq!(tok(r#""\x41\x7a" \x20"#), ["Az", " "]);
        assert_eq!(tok(r#""\$PORT" \$x"#), ["$PORT", "$x"]);
        // Unknown escapes are kept with their backslash; single quotes are literal.
        assert_eq!(tok(r#""\q" '\n'"#), [r"\q", r"\n"]);
        assert!(tokenize(r"\xZZ", &env).unwrap_err().contains("hexadecimal"));
        assert!(tokenize(r#""\x4""#, &env).is_err());
    }

    #[test]
    fn variables() {
        assert_eq!(
            tok(r#""${HOST}:${PORT}" "$PORT/x""#),
            ["10.0.0.1:8080", "8080/x"]
        );
        assert_eq!(tok(r#""${NOPE-9000}" "${PORT-1}""#), ["9000", "8080"]);
        assert_eq!(tok(r#"a "${NOPE}" b"#), ["a", "", "b"]);
        assert_eq!(tok(r#""x${NOPE}y" "$NOPE""#), ["xy", ""]);
        // Unquoted braced variables expand; an unquoted word that expands
        // to nothing disappears; unquoted `$NAME` is literal.
        assert_eq!(
            tok("bind :${PORT} ${NOPE} ${EMPTY} $PORT"),
            ["bind", ":8080", "$PORT"]
        );
        assert_eq!(tok("x ${NOPE-d}"), ["x", "d"]);
        // Never inside single quotes; a lone `$` is literal.
        assert_eq!(tok("'${PORT}' a$ $ ^/x$"), ["${PORT}", "a$", "$", "^/x$"]);
    }

    #[test]
    fn list_variables_split_into_words() {
        assert_eq!(tok(r#"x "${LIST[*]}" y"#), ["x", "a", "b", "c", "y"]);
        assert_eq!(tok(r#"x pre"${LIST[*]}"post"#), ["x", "prea", "b", "cpost"]);
    }

    #[test]
    fn errors() {
        let e = tokenize(r#"bind "127.0.0.1:80"#, &env).unwrap_err();
        assert_eq!(e, "unmatched quote at position 6");
        assert!(tokenize("x 'abc", &env)
            .unwrap_err()
            .contains("unmatched quote"));
        assert!(tokenize(r#""${PORT""#, &env)
            .unwrap_err()
            .contains("missing '}'"));
        assert!(tokenize(r#""${A B}""#, &env)
            .unwrap_err()
            .contains("invalid variable name"));
        let many = vec!["w"; MAX_LINE_ARGS].join(" ");
        assert_eq!(tokenize(&many, &env).unwrap().len(), MAX_LINE_ARGS);
        let too_many = format!("{many} extra");
        assert!(tokenize(&too_many, &env)
            .unwrap_err()
            .contains("too many words"));
    }
}
