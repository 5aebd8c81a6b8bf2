//! The parser of [`super::regex::Regex`] patterns: bytes of the pattern
//! into a [`Node`] tree, with PCRE's error messages and offsets.

use super::regex::{is_word, ByteSet, Node, RegexError};

/// Largest `{m,n}` count accepted.
const MAX_COUNT: u32 = 1000;

/// Parses a whole pattern.
pub(super) fn parse(pattern: &str, icase: bool) -> Result<Node, RegexError> {
    let mut p = Parser {
        s: pattern.as_bytes(),
        pos: 0,
        icase,
    };
    let node = p.alt()?;
    if p.pos < p.s.len() {
        return Err(p.err("unmatched closing parenthesis"));
    }
    Ok(node)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    icase: bool,
}

impl Parser<'_> {
    fn err(&self, msg: &'static str) -> RegexError {
        RegexError {
            msg,
            offset: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn alt(&mut self) -> Result<Node, RegexError> {
        let mut branches = vec![self.concat()?];
        while self.eat(b'|') {
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.swap_remove(0)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, RegexError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let assertion = matches!(c, b'^' | b'$')
                || (c == b'\\' && matches!(self.s.get(self.pos + 1), Some(b'b' | b'B')));
            let atom = self.atom()?;
            items.push(self.quantifiers(atom, assertion)?);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.swap_remove(0),
            _ => Node::Concat(items),
        })
    }

    /// A literal byte, folded into a set when matching ignores case.
    fn literal(&self, b: u8) -> Node {
        if self.icase && b.is_ascii_alphabetic() {
            let mut s = ByteSet::default();
            s.add(b);
            s.fold();
            Node::Set(s)
        } else {
            Node::Byte(b)
        }
    }

    fn set(&self, mut s: ByteSet) -> Node {
        if self.icase {
            s.fold();
        }
        Node::Set(s)
    }

    fn atom(&mut self) -> Result<Node, RegexError> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.pos += 1;
        Ok(match c {
            b'(' => {
                if self.eat(b'?') && !self.eat(b':') {
                    return Err(self.err("unsupported group syntax after (?"));
                }
                let inner = self.alt()?;
                if !self.eat(b')') {
                    return Err(self.err("missing closing parenthesis"));
                }
                inner
            }
            b'[' => Node::Set(self.class()?),
            b'.' => {
                let mut s = ByteSet::of(|_| true);
                s.0[0] &= !(1 << b'\n');
                Node::Set(s)
            }
            b'^' => Node::Bol,
            b'$' => Node::Eol,
            b'*' | b'+' | b'?' => {
                self.pos -= 1;
                return Err(self.err("nothing to repeat"));
            }
            b'\\' => match self.escape(false)? {
                Esc::Byte(b) => self.literal(b),
                Esc::Set(s) => self.set(s),
                Esc::Boundary(w) => Node::WordBoundary(w),
            },
            _ => self.literal(c),
        })
    }

    /// Parses what follows a `\` (already consumed).
    fn escape(&mut self, in_class: bool) -> Result<Esc, RegexError> {
        let Some(c) = self.peek() else {
            return Err(self.err("\\ at end of pattern"));
        };
        self.pos += 1;
        let digit = ByteSet::of(|b| b.is_ascii_digit());
        let word = ByteSet::of(is_word);
        let space = ByteSet::of(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c));
        let neg = |mut s: ByteSet| {
            s.negate();
            s
        };
        Ok(match c {
            b'd' => Esc::Set(digit),
            b'D' => Esc::Set(neg(digit)),
            b'w' => Esc::Set(word),
            b'W' => Esc::Set(neg(word)),
            b's' => Esc::Set(space),
            b'S' => Esc::Set(neg(space)),
            b'b' if in_class => Esc::Byte(8),
            b'b' => Esc::Boundary(true),
            b'B' if !in_class => Esc::Boundary(false),
            b't' => Esc::Byte(b'\t'),
            b'n' => Esc::Byte(b'\n'),
            b'r' => Esc::Byte(b'\r'),
            b'f' => Esc::Byte(0x0c),
            b'v' => Esc::Byte(0x0b),
            b'e' => Esc::Byte(0x1b),
            b'x' => {
                let hex = |b: Option<u8>| b.and_then(|b| (b as char).to_digit(16));
                let (Some(h), Some(l)) = (hex(self.peek()), hex(self.s.get(self.pos + 1).copied()))
                else {
                    return Err(self.err("\\x must be followed by two hexadecimal digits"));
                };
                self.pos += 2;
                Esc::Byte((h * 16 + l) as u8)
            }
            c if c.is_ascii_alphanumeric() => {
                return Err(self.err("unrecognized character follows \\"))
            }
            c => Esc::Byte(c),
        })
    }

    /// A bracket class; the `[` is consumed.
    fn class(&mut self) -> Result<ByteSet, RegexError> {
        let start = self.pos - 1;
        let negate = self.eat(b'^');
        let mut set = ByteSet::default();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.err("missing terminating ] for character class"));
            };
            if c == b']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == b'[' && self.s.get(self.pos + 1) == Some(&b':') {
                if let Some(named) = self.posix_class() {
                    set.union(&named?);
                    continue;
                }
            }
            self.pos += 1;
            let lo = match c {
                b'\\' => match self.escape(true)? {
                    Esc::Byte(b) => b,
                    Esc::Set(s) => {
                        set.union(&s);
                        continue;
                    }
                    Esc::Boundary(_) => return Err(self.err("invalid escape in class")),
                },
                c => c,
            };
            // A range `lo-hi`, unless the `-` is last in the class.
            if self.peek() == Some(b'-') && !matches!(self.s.get(self.pos + 1), None | Some(b']')) {
                self.pos += 1;
                let hi = match self.peek() {
                    Some(b'\\') => {
                        self.pos += 1;
                        match self.escape(true)? {
                            Esc::Byte(b) => b,
                            _ => return Err(self.err("invalid range in character class")),
                        }
                    }
                    Some(h) => {
                        self.pos += 1;
                        h
                    }
                    None => continue,
                };
                if hi < lo {
                    return Err(self.err("range out of order in character class"));
                }
                set.add_range(lo, hi);
            } else {
                set.add(lo);
            }
        }
        // Fold before negating: `[^a]` with `-i` refuses `A` too.
        if self.icase {
            set.fold();
        }
        if negate {
            set.negate();
        }
        Ok(set)
    }

    /// `[:name:]` inside a class, at `self.pos`; `None` when it is not one
    /// (then `[` is an ordinary member).
    fn posix_class(&mut self) -> Option<Result<ByteSet, RegexError>> {
        let rest = &self.s[self.pos + 2..];
        let end = rest.windows(2).position(|w| w == b":]")?;
        let name = &rest[..end];
        let pred: fn(u8) -> bool = match name {
            b"alpha" => |b| b.is_ascii_alphabetic(),
            b"digit" => |b| b.is_ascii_digit(),
            b"alnum" => |b| b.is_ascii_alphanumeric(),
            b"space" => |b| b.is_ascii_whitespace() || b == 0x0b,
            b"upper" => |b| b.is_ascii_uppercase(),
            b"lower" => |b| b.is_ascii_lowercase(),
            b"punct" => |b| b.is_ascii_punctuation(),
            b"xdigit" => |b| b.is_ascii_hexdigit(),
            b"word" => is_word,
            _ => return Some(Err(self.err("unknown POSIX class name"))),
        };
        self.pos += 2 + end + 2;
        Some(Ok(ByteSet::of(pred)))
    }

    /// Applies the quantifiers following `atom`.
    /// `assertion`: the atom is `^`, `$`, `\b` or `\B`, which cannot be
    /// repeated (a group holding one can).
    fn quantifiers(&mut self, atom: Node, assertion: bool) -> Result<Node, RegexError> {
        let at = self.pos;
        let (min, max) = match self.peek() {
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'?') => (0, Some(1)),
            Some(b'{') => match self.counts()? {
                Some(c) => c,
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if self.pos == at {
            self.pos += 1;
        }
        if assertion {
            self.pos = at;
            return Err(self.err("nothing to repeat"));
        }
        let greedy = !self.eat(b'?');
        if matches!(self.peek(), Some(b'*' | b'+' | b'?')) {
            return Err(self.err(if self.peek() == Some(b'+') {
                "possessive quantifiers are not supported"
            } else {
                "nothing to repeat"
            }));
        }
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
            greedy,
        })
    }

    /// `{m}`, `{m,}` or `{m,n}` at `self.pos`, consumed; `None` (nothing
    /// consumed) when the `{` is a literal.
    #[allow(clippy::type_complexity)]
    fn counts(&mut self) -> Result<Option<(u32, Option<u32>)>, RegexError> {
        let rest = &self.s[self.pos + 1..];
        let Some(close) = rest.iter().position(|&b| b == b'}') else {
            return Ok(None);
        };
        let body = &rest[..close];
        let num = |d: &[u8]| -> Option<Option<u64>> {
            if d.is_empty() {
                return Some(None);
            }
            if !d.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(Some(d.iter().fold(0u64, |n, &b| {
                n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
            })))
        };
        let (lo, hi) = match body.iter().position(|&b| b == b',') {
            None => match num(body) {
                Some(Some(n)) => (n, Some(n)),
                _ => return Ok(None),
            },
            Some(c) => match (num(&body[..c]), num(&body[c + 1..])) {
                (Some(Some(lo)), Some(hi)) => (lo, hi),
                _ => return Ok(None),
            },
        };
        if lo > u64::from(MAX_COUNT) || hi.is_some_and(|h| h > u64::from(MAX_COUNT)) {
            return Err(self.err("number too big in {} quantifier"));
        }
        if hi.is_some_and(|h| h < lo) {
            return Err(self.err("numbers out of order in {} quantifier"));
        }
        self.pos += close + 2;
        Ok(Some((lo as u32, hi.map(|h| h as u32))))
    }
}

enum Esc {
    Byte(u8),
    Set(ByteSet),
    Boundary(bool),
}
