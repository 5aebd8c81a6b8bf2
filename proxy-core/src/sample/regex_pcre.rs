//! PCRE syntax to the `regex` crate's, at configuration time (see
//! [`super::regex`] for what is rewritten and what is refused).

use super::regex::RegexError;

/// PCRE's largest repetition count in `{m,n}`.
const MAX_REPEAT: u32 = 65_535;

const POSIX_CLASSES: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// What one escape or character stands for inside or outside a class.
enum Item {
    Byte(u8),
    /// Text in the regex crate's syntax, valid both inside and outside a
    /// class (`\d`, or a nested class `[...]`).
    Set(String),
}

/// PCRE syntax to the regex crate's, byte by byte.
struct Translator<'a> {
    p: &'a [u8],
    i: usize,
    out: String,
}

fn hex(b: u8) -> String {
    format!("\\x{b:02X}")
}

/// The `(?...)` forms the regex crate lacks, from what follows `(?`: the
/// name of the construct and how many bytes of the pattern (from the `(`)
/// to quote.
fn refused_group(s: &[u8]) -> Option<(&'static str, usize)> {
    const PREFIXES: &[(&[u8], &str, usize)] = &[
        (b"=", "look-ahead", 3),
        (b"!", "negative look-ahead", 3),
        (b"<=", "look-behind", 4),
        (b"<!", "negative look-behind", 4),
        (b">", "atomic group", 3),
        (b"P=", "back-reference", 4),
        (b"P>", "subroutine call", 4),
        (b"&", "subroutine call", 3),
    ];
    if let Some(&(_, what, len)) = PREFIXES.iter().find(|(p, ..)| s.starts_with(p)) {
        return Some((what, len));
    }
    if s.starts_with(b"R")
        || s.first().is_some_and(|b| b.is_ascii_digit() || *b == b'+')
        || (s.starts_with(b"-") && s.get(1).is_some_and(u8::is_ascii_digit))
    {
        return Some(("recursion", 3));
    }
    if s.starts_with(b"(") {
        return Some(("conditional group", 3));
    }
    if s.starts_with(b"C") {
        return Some(("callout", 3));
    }
    None
}

pub(super) fn translate(p: &[u8]) -> Result<String, RegexError> {
    let mut t = Translator {
        p,
        i: 0,
        out: String::with_capacity(p.len() + 8),
    };
    t.run()?;
    Ok(t.out)
}

impl Translator<'_> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.p.get(self.i + k).copied()
    }

    fn run(&mut self) -> Result<(), RegexError> {
        // Offsets of the open groups, for "missing closing parenthesis".
        let mut groups: Vec<usize> = Vec::new();
        // Whether the last item can take a quantifier.
        let mut can_repeat = false;
        while let Some(c) = self.peek(0) {
            let at = self.i;
            match c {
                b'\\' => can_repeat = self.escape_outside()?,
                b'[' => {
                    self.class()?;
                    can_repeat = true;
                }
                b'(' => {
                    self.group_open()?;
                    if self.p.get(at + 1) == Some(&b'?') && self.out.ends_with(')') {
                        // A whole (?flags) or (?#comment) item: no group.
                        can_repeat = false;
                        continue;
                    }
                    groups.push(at);
                    can_repeat = false;
                }
                b')' => {
                    if groups.pop().is_none() {
                        return Err(RegexError::syntax("unmatched closing parenthesis", at));
                    }
                    self.out.push(')');
                    self.i += 1;
                    can_repeat = true;
                }
                b'|' => {
                    self.out.push('|');
                    self.i += 1;
                    can_repeat = false;
                }
                b'*' | b'+' | b'?' => {
                    if !can_repeat {
                        return Err(RegexError::syntax("nothing to repeat", at));
                    }
                    self.out.push(char::from(c));
                    self.i += 1;
                    self.quantifier_suffix(at)?;
                    can_repeat = false;
                }
                b'{' => match self.counted_quantifier(at)? {
                    Some(q) => {
                        if !can_repeat {
                            return Err(RegexError::syntax("nothing to repeat", at));
                        }
                        self.out.push_str(&q);
                        self.quantifier_suffix(at)?;
                        can_repeat = false;
                    }
                    None => {
                        self.out.push_str("\\{");
                        self.i += 1;
                        can_repeat = true;
                    }
                },
                b'}' => {
                    self.out.push_str("\\}");
                    self.i += 1;
                    can_repeat = true;
                }
                b'^' => {
                    self.out.push('^');
                    self.i += 1;
                    can_repeat = false;
                }
                b'$' => {
                    // PCRE: the end, or before a newline that ends the
                    // subject. `$` alone keeps its multi-line meaning.
                    self.out.push_str("(?:$|\\n\\z)");
                    self.i += 1;
                    can_repeat = false;
                }
                _ => {
                    if c.is_ascii() {
                        self.out.push(char::from(c));
                    } else {
                        self.out.push_str(&hex(c));
                    }
                    self.i += 1;
                    can_repeat = true;
                }
            }
        }
        match groups.first() {
            Some(_) => Err(RegexError::syntax(
                "missing closing parenthesis",
                self.p.len(),
            )),
            None => Ok(()),
        }
    }

    /// `{m}`, `{m,}` or `{m,n}` at `self.i`, in the crate's syntax; `None`
    /// when the brace does not start a quantifier (PCRE then reads it as a
    /// literal).
    fn counted_quantifier(&mut self, at: usize) -> Result<Option<String>, RegexError> {
        let rest = &self.p[at + 1..];
        let Some(close) = rest.iter().position(|&b| b == b'}') else {
            return Ok(None);
        };
        let body = &rest[..close];
        let (lo, hi) = match body.iter().position(|&b| b == b',') {
            Some(k) => (&body[..k], Some(&body[k + 1..])),
            None => (body, None),
        };
        let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        if !digits(lo) || hi.is_some_and(|h| !h.is_empty() && !digits(h)) {
            return Ok(None);
        }
        let num = |s: &[u8]| -> Result<u32, RegexError> {
            std::str::from_utf8(s)
                .ok()
                .and_then(|s| s.parse::<u32>().ok())
                .filter(|&n| n <= MAX_REPEAT)
                .ok_or_else(|| RegexError::syntax("number too big in {} quantifier", at + 1))
        };
        let m = num(lo)?;
        let q = match hi {
            None => format!("{{{m}}}"),
            Some([]) => format!("{{{m},}}"),
            Some(h) => {
                let n = num(h)?;
                if n < m {
                    return Err(RegexError::syntax(
                        "numbers out of order in {} quantifier",
                        at + close,
                    ));
                }
                format!("{{{m},{n}}}")
            }
        };
        self.i = at + close + 2;
        Ok(Some(q))
    }

    /// A lazy `?` after a quantifier is kept; a possessive `+` is refused.
    fn quantifier_suffix(&mut self, at: usize) -> Result<(), RegexError> {
        match self.peek(0) {
            Some(b'?') => {
                self.out.push('?');
                self.i += 1;
                Ok(())
            }
            Some(b'+') => Err(RegexError::unsupported(
                "possessive quantifier",
                &self.p[at..=self.i],
                at,
            )),
            _ => Ok(()),
        }
    }

    /// `(` at `self.i`: a plain group, or one of PCRE's `(?...)` and `(*...)`
    /// forms, rewritten or refused.
    fn group_open(&mut self) -> Result<(), RegexError> {
        let at = self.i;
        if self.peek(1) == Some(b'*') {
            return Err(self.verb(at));
        }
        if self.peek(1) != Some(b'?') {
            self.out.push('(');
            self.i += 1;
            return Ok(());
        }
        let s = &self.p[at + 2..];
        if let Some((what, len)) = refused_group(s) {
            let end = (at + len).min(self.p.len());
            return Err(RegexError::unsupported(what, &self.p[at..end], at));
        }
        match s.first() {
            Some(b'|') => {
                // Branch reset only renumbers captures, which nothing reads.
                self.out.push_str("(?:");
                self.i += 3;
                Ok(())
            }
            Some(b'#') => self.comment_group(at),
            _ if s.starts_with(b"P<") || s.starts_with(b"<") || s.starts_with(b"'") => {
                self.named_group(at)
            }
            _ => self.option_group(at),
        }
    }

    /// `(*VERB)` is refused; `(*` without a verb has nothing to repeat.
    fn verb(&self, at: usize) -> RegexError {
        if self.peek(2).is_some_and(|b| b.is_ascii_alphabetic()) {
            let end = self.p[at..]
                .iter()
                .position(|&b| b == b')' || b == b':')
                .map_or(self.p.len(), |k| at + k);
            return RegexError::unsupported("verb", &self.p[at..end], at);
        }
        RegexError::syntax("nothing to repeat", at + 1)
    }

    /// `(?# comment)`, dropped.
    fn comment_group(&mut self, at: usize) -> Result<(), RegexError> {
        let s = &self.p[at + 2..];
        let Some(k) = s.iter().position(|&b| b == b')') else {
            return Err(RegexError::syntax(
                "missing ) after (?# comment",
                self.p.len(),
            ));
        };
        // `)` marks a complete item for the caller.
        self.out.push_str("(?:)");
        self.i = at + 2 + k + 1;
        Ok(())
    }

    /// `(?P<name>`, `(?<name>` or `(?'name'`, as `(?P<name>`.
    fn named_group(&mut self, at: usize) -> Result<(), RegexError> {
        let (skip, close) = match self.p[at + 2] {
            b'P' => (2, b'>'),
            b'<' => (1, b'>'),
            _ => (1, b'\''),
        };
        let name_start = at + 2 + skip;
        let Some(k) = self.p[name_start..].iter().position(|&b| b == close) else {
            return Err(RegexError::syntax(
                "syntax error in subpattern name (missing terminator)",
                self.p.len(),
            ));
        };
        let name = &self.p[name_start..name_start + k];
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            return Err(RegexError::syntax("invalid subpattern name", name_start));
        }
        self.out.push_str("(?P<");
        self.out.push_str(&String::from_utf8_lossy(name));
        self.out.push('>');
        self.i = name_start + k + 1;
        Ok(())
    }

    /// Option setting: `(?imsxU-imsxU)` or `(?imsxU-imsxU:...)`.
    fn option_group(&mut self, at: usize) -> Result<(), RegexError> {
        let s = &self.p[at + 2..];
        let mut k = 0;
        while let Some(&b) = s.get(k) {
            match b {
                b'i' | b'm' | b's' | b'x' | b'U' | b'-' => k += 1,
                b')' | b':' => {
                    self.out.push_str("(?");
                    self.out.push_str(&String::from_utf8_lossy(&s[..=k]));
                    self.i = at + 2 + k + 1;
                    return Ok(());
                }
                _ => break,
            }
        }
        Err(RegexError::syntax(
            "unrecognized character after (? or (?-",
            at + 2 + k,
        ))
    }

    /// An escape outside a class; tells whether it can take a quantifier.
    fn escape_outside(&mut self) -> Result<bool, RegexError> {
        let at = self.i;
        let Some(c) = self.peek(1) else {
            return Err(RegexError::syntax("\\ at end of pattern", at));
        };
        let (text, repeatable): (String, bool) = match c {
            b'1'..=b'9' => {
                return Err(RegexError::unsupported(
                    "back-reference",
                    &self.p[at..at + 2],
                    at,
                ))
            }
            b'g' | b'k' => {
                return Err(RegexError::unsupported(
                    "back-reference",
                    &self.p[at..at + 2],
                    at,
                ))
            }
            b'b' | b'B' | b'A' | b'z' => (format!("\\{}", char::from(c)), false),
            b'G' => ("\\A".into(), false),
            b'Z' => ("(?:\\z|\\n\\z)".into(), false),
            b'K' => (String::new(), false),
            b'E' => (String::new(), false),
            b'R' => ("(?:\\r\\n|[\\n\\x0B\\x0C\\r\\x85])".into(), true),
            b'N' => ("[^\\n]".into(), true),
            b'C' => ("(?s:.)".into(), true),
            b'Q' => {
                let body = &self.p[at + 2..];
                let (lit, used) = match body.windows(2).position(|w| w == b"\\E") {
                    Some(k) => (&body[..k], k + 2),
                    None => (body, body.len()),
                };
                let text: String = lit.iter().map(|&b| hex(b)).collect();
                let repeatable = !lit.is_empty();
                self.out.push_str(&if lit.len() > 1 {
                    format!("(?:{text})")
                } else {
                    text
                });
                self.i = at + 2 + used;
                return Ok(repeatable);
            }
            _ => {
                self.i = at;
                let item = self.escape_item(false)?;
                let text = match item {
                    Item::Byte(b) => hex(b),
                    Item::Set(s) => s,
                };
                self.out.push_str(&text);
                return Ok(true);
            }
        };
        self.out.push_str(&text);
        self.i = at + 2;
        Ok(repeatable)
    }

    /// An escape that stands for a byte or a set, inside or outside a class,
    /// starting at the backslash; advances past it.
    fn escape_item(&mut self, in_class: bool) -> Result<Item, RegexError> {
        let at = self.i;
        let Some(c) = self.peek(1) else {
            return Err(RegexError::syntax("\\ at end of pattern", at));
        };
        self.i += 2;
        let set = |s: &str| Ok(Item::Set(s.to_string()));
        match c {
            b'd' | b'D' | b'w' | b'W' | b's' | b'S' => set(&format!("\\{}", char::from(c))),
            b'h' => set("[\\t\\x20\\xA0]"),
            b'H' => set("[^\\t\\x20\\xA0]"),
            b'v' => set("[\\x0A-\\x0D\\x85]"),
            b'V' => set("[^\\x0A-\\x0D\\x85]"),
            b'a' => Ok(Item::Byte(0x07)),
            b'e' => Ok(Item::Byte(0x1B)),
            b'f' => Ok(Item::Byte(0x0C)),
            b'n' => Ok(Item::Byte(b'\n')),
            b'r' => Ok(Item::Byte(b'\r')),
            b't' => Ok(Item::Byte(b'\t')),
            b'b' if in_class => Ok(Item::Byte(0x08)),
            b'c' => match self.peek(0) {
                Some(x) if x.is_ascii() && !x.is_ascii_control() => {
                    self.i += 1;
                    Ok(Item::Byte(x.to_ascii_uppercase() ^ 0x40))
                }
                _ => Err(RegexError::syntax(
                    "\\c must be followed by a printable ASCII character",
                    self.i,
                )),
            },
            b'0'..=b'7' if c == b'0' || in_class => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 {
                    match self.peek(0) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.i += 1;
                            n += 1;
                        }
                        _ => break,
                    }
                }
                byte_value(v, at)
            }
            b'o' => {
                let v = self.braced(8, at)?;
                byte_value(v, at)
            }
            b'x' => {
                if self.peek(0) == Some(b'{') {
                    let v = self.braced(16, at)?;
                    return byte_value(v, at);
                }
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match self.peek(0).and_then(|d| char::from(d).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            self.i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    return Err(RegexError::syntax(
                        "\\x must be followed by a hexadecimal number",
                        at + 2,
                    ));
                }
                byte_value(v, at)
            }
            b'p' | b'P' | b'X' => Err(RegexError::syntax(
                "\\p, \\P and \\X need Unicode, which is not supported",
                at + 1,
            )),
            _ if c.is_ascii_alphanumeric() => Err(RegexError::syntax(
                "unrecognized character follows \\",
                at + 1,
            )),
            _ => Ok(Item::Byte(c)),
        }
    }

    /// `{digits}` after `\o` or `\x`.
    fn braced(&mut self, radix: u32, at: usize) -> Result<u32, RegexError> {
        let body = &self.p[self.i + 1..];
        let k = body.iter().position(|&b| b == b'}');
        let digits = k.map(|k| &body[..k]).unwrap_or(&[]);
        let v = std::str::from_utf8(digits)
            .ok()
            .filter(|d| !d.is_empty())
            .and_then(|d| u32::from_str_radix(d, radix).ok());
        match (k, v) {
            (Some(k), Some(v)) => {
                self.i += k + 2;
                Ok(v)
            }
            _ => Err(RegexError::syntax(
                "invalid number in \\o{} or \\x{}",
                at + 2,
            )),
        }
    }

    /// A class `[...]` at `self.i`, rewritten with every literal as `\xHH`
    /// so that nothing in it has a meaning the crate adds (nested classes,
    /// `&&`, `--`, `~~`).
    fn class(&mut self) -> Result<(), RegexError> {
        self.i += 1;
        self.out.push('[');
        if self.peek(0) == Some(b'^') {
            self.out.push('^');
            self.i += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(RegexError::syntax(
                    "missing terminating ] for character class",
                    self.p.len(),
                ));
            };
            if c == b']' && !first {
                self.out.push(']');
                self.i += 1;
                return Ok(());
            }
            first = false;
            if c == b'[' && matches!(self.peek(1), Some(b':' | b'.' | b'=')) {
                if let Some(text) = self.posix_class()? {
                    self.out.push_str(&text);
                    continue;
                }
            }
            let item = self.class_item()?;
            let Item::Byte(lo) = item else {
                if let Item::Set(s) = item {
                    self.out.push_str(&s);
                }
                continue;
            };
            if self.peek(0) == Some(b'-') && self.peek(1).is_some_and(|b| b != b']') {
                let dash = self.i;
                self.i += 1;
                match self.class_item()? {
                    Item::Byte(hi) if hi >= lo => {
                        self.out.push_str(&format!("{}-{}", hex(lo), hex(hi)));
                    }
                    Item::Byte(_) => {
                        return Err(RegexError::syntax(
                            "range out of order in character class",
                            self.i - 1,
                        ))
                    }
                    Item::Set(_) => {
                        return Err(RegexError::syntax(
                            "invalid range in character class",
                            dash + 1,
                        ))
                    }
                }
            } else {
                self.out.push_str(&hex(lo));
            }
        }
    }

    fn class_item(&mut self) -> Result<Item, RegexError> {
        match self.peek(0) {
            Some(b'\\') => {
                if self.peek(1) == Some(b'E') {
                    self.i += 2;
                    return Ok(Item::Set(String::new()));
                }
                self.escape_item(true)
            }
            Some(b) => {
                self.i += 1;
                Ok(Item::Byte(b))
            }
            None => Err(RegexError::syntax(
                "missing terminating ] for character class",
                self.p.len(),
            )),
        }
    }

    /// `[:name:]` or `[:^name:]` inside a class; `None` when `[:` does not
    /// close as a POSIX name (then the `[` is a literal, as in PCRE).
    fn posix_class(&mut self) -> Result<Option<String>, RegexError> {
        let at = self.i;
        let Some(kind) = self.peek(1) else {
            return Ok(None);
        };
        let body = &self.p[at + 2..];
        let Some(k) = body.windows(2).position(|w| w[0] == kind && w[1] == b']') else {
            return Ok(None);
        };
        if body[..k].contains(&b']') {
            return Ok(None);
        }
        if kind != b':' {
            return Err(RegexError::syntax(
                "POSIX collating elements are not supported",
                at,
            ));
        }
        let (neg, name) = match body[..k].split_first() {
            Some((b'^', rest)) => (true, rest),
            _ => (false, &body[..k]),
        };
        let name = String::from_utf8_lossy(name);
        if !POSIX_CLASSES.contains(&name.as_ref()) {
            return Err(RegexError::syntax("unknown POSIX class name", at));
        }
        self.i = at + 2 + k + 2;
        Ok(Some(format!("[:{}{name}:]", if neg { "^" } else { "" })))
    }
}

fn byte_value(v: u32, at: usize) -> Result<Item, RegexError> {
    u8::try_from(v).map(Item::Byte).map_err(|_| {
        RegexError::syntax(
            "character code point value in \\x{} or \\o{} is too large",
            at,
        )
    })
}
