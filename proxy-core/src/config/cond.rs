//! The condition language of `.if` / `.elif` blocks and of `-cc <cond>`.
//!
//! An expression is made of terms joined by `&&` and `||` (`&&` binds
//! tighter), negated by `!` and grouped with parentheses. A term is:
//!
//! - a bare word: empty or `0` is false, any other integer is true, anything
//!   else is an error;
//! - a predicate: `defined(NAME)`, `feature(NAME)`, `streq(a,b)`,
//!   `strneq(a,b)`, `version_atleast(X.Y[.Z])`, `version_before(X.Y[.Z])`.
//!
//! Predicate arguments are taken literally up to the next `,` or `)`,
//! spaces included (HAProxy 2.6 does not trim them); `"..."` parts honour
//! escapes and variables, `'...'` parts are literal. The whole expression is
//! parsed before it is evaluated, so an error anywhere is reported even when
//! `&&` / `||` would not need that part. An empty expression is false.

use super::tokenizer::tokenize;

/// The HAProxy version whose behaviour we present (`version_atleast`,
/// `version_before`).
pub const HAPROXY_COMPAT_VERSION: &str = "2.6.12";

/// Names `feature(...)` answers true for: only what this build really does.
pub const FEATURES: &[&str] = &["THREAD"];

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Not,
    And,
    Or,
    Word(String),
    Pred(String, Vec<String>),
}

#[derive(Debug)]
enum Node {
    Const(bool),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
}

/// Evaluates `expr`; `env` looks variables up for `defined()` and for
/// `"${VAR}"` inside arguments.
pub fn eval_condition(expr: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<bool, String> {
    let toks = lex(expr, env)?;
    if toks.is_empty() {
        return Ok(false);
    }
    let mut p = Parser {
        toks: &toks,
        pos: 0,
        expr,
        env,
    };
    let node = p.expr()?;
    if let Some(t) = toks.get(p.pos) {
        return Err(format!(
            "unexpected {} at the end of conditional expression '{}'",
            describe(t),
            expr.trim()
        ));
    }
    Ok(eval(&node))
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Not => "'!'".into(),
        Tok::And => "'&&'".into(),
        Tok::Or => "'||'".into(),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Pred(n, _) => format!("'{n}(...)'"),
    }
}

fn eval(n: &Node) -> bool {
    match n {
        Node::Const(b) => *b,
        Node::Not(a) => !eval(a),
        Node::And(a, b) => eval(a) && eval(b),
        Node::Or(a, b) => eval(a) || eval(b),
    }
}

/// Index just past the quoted part starting at `chars[i]` (a `"` or `'`).
fn skip_quoted(chars: &[char], i: usize, expr: &str) -> Result<usize, String> {
    let q = chars[i];
    let mut j = i + 1;
    while j < chars.len() {
        if chars[j] == '\\' && q == '"' {
            j += 2;
            continue;
        }
        if chars[j] == q {
            return Ok(j + 1);
        }
        j += 1;
    }
    Err(format!(
        "unmatched quote in conditional expression '{}'",
        expr.trim()
    ))
}

/// Turns the raw text of a word or an argument into its value: unquoted
/// characters are literal, quoted parts go through the line tokenizer (which
/// knows escapes and variables).
fn unquote(raw: &[char], env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == '"' || raw[i] == '\'' {
            let end = skip_quoted(raw, i, &raw.iter().collect::<String>())?;
            let part: String = raw[i..end].iter().collect();
            out.push_str(&tokenize(&part, env)?.join(" "));
            i = end;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn lex(expr: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let is_special = |c: char| c.is_whitespace() || "()!&|#".contains(c);
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '#' => break,
            '(' | ')' | '!' => {
                toks.push(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    _ => Tok::Not,
                });
                i += 1;
            }
            '&' | '|' => {
                if chars.get(i + 1) != Some(&c) {
                    return Err(format!(
                        "unexpected character '{c}' in conditional expression '{}'",
                        expr.trim()
                    ));
                }
                toks.push(if c == '&' { Tok::And } else { Tok::Or });
                i += 2;
            }
            _ => {
                let start = i;
                while i < chars.len() && !is_special(chars[i]) {
                    i = if chars[i] == '"' || chars[i] == '\'' {
                        skip_quoted(&chars, i, expr)?
                    } else {
                        i + 1
                    };
                }
                if chars.get(i) == Some(&'(') {
                    let name: String = chars[start..i].iter().collect();
                    let (args, end) = lex_args(&chars, i + 1, &name, expr, env)?;
                    toks.push(Tok::Pred(name, args));
                    i = end;
                } else {
                    toks.push(Tok::Word(unquote(&chars[start..i], env)?));
                }
            }
        }
    }
    Ok(toks)
}

/// Reads predicate arguments from `chars[i]` (just after the `(`) to the
/// closing `)`; returns them and the index after the `)`.
fn lex_args(
    chars: &[char],
    mut i: usize,
    name: &str,
    expr: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<String>, usize), String> {
    let mut args = Vec::new();
    let mut start = i;
    loop {
        match chars.get(i) {
            None => {
                return Err(format!(
                    "missing ')' after the arguments of predicate '{name}' in conditional expression '{}'",
                    expr.trim()
                ))
            }
            Some('"') | Some('\'') => i = skip_quoted(chars, i, expr)?,
            Some(&c) if c == ',' || c == ')' => {
                args.push(unquote(&chars[start..i], env)?);
                i += 1;
                start = i;
                if c == ')' {
                    // `f()` has no argument rather than one empty one.
                    if args.len() == 1 && args[0].is_empty() && chars[i - 2] == '(' {
                        args.clear();
                    }
                    return Ok((args, i));
                }
            }
            Some(_) => i += 1,
        }
    }
}

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
    expr: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn expr(&mut self) -> Result<Node, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            left = Node::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, String> {
        let mut left = self.term()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            left = Node::And(Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Node, String> {
        let expr = self.expr.trim();
        let tok = self.peek().cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Not) => Ok(Node::Not(Box::new(self.term()?))),
            Some(Tok::LParen) => {
                let inner = self.expr()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(format!(
                        "expected ')' after conditional expression '{expr}'"
                    ));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Word(w)) => word_value(&w)
                .map(Node::Const)
                .ok_or_else(|| format!("unparsable conditional expression '{w}'")),
            Some(Tok::Pred(name, args)) => predicate(&name, &args, self.env).map(Node::Const),
            Some(t) => Err(format!(
                "unexpected {} in conditional expression '{expr}'",
                describe(&t)
            )),
            None => Err(format!(
                "unparsable conditional expression '{expr}' (missing term at the end)"
            )),
        }
    }
}

/// A bare word's truth: empty and `0` are false, other integers true.
fn word_value(w: &str) -> Option<bool> {
    if w.is_empty() {
        return Some(false);
    }
    w.parse::<i64>().ok().map(|n| n != 0)
}

fn predicate(
    name: &str,
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<bool, String> {
    let want = match name {
        "defined" | "feature" | "version_atleast" | "version_before" => 1,
        "streq" | "strneq" => 2,
        _ => {
            return Err(format!(
                "unparsable conditional expression '{name}(...)' (unknown predicate '{name}')"
            ))
        }
    };
    if args.len() != want {
        return Err(format!(
            "predicate '{name}' expects {want} argument{} (got {})",
            if want > 1 { "s" } else { "" },
            args.len()
        ));
    }
    Ok(match name {
        "defined" => env(&args[0]).is_some(),
        "feature" => FEATURES.contains(&args[0].as_str()),
        "streq" => args[0] == args[1],
        "strneq" => args[0] != args[1],
        "version_atleast" => compare_version(&args[0])? != std::cmp::Ordering::Less,
        _ => compare_version(&args[0])? == std::cmp::Ordering::Less,
    })
}

/// Compares [`HAPROXY_COMPAT_VERSION`] with `other` (missing components
/// count as 0, so `2.6` equals `2.6.0`).
fn compare_version(other: &str) -> Result<std::cmp::Ordering, String> {
    let ours = split_version(HAPROXY_COMPAT_VERSION).ok_or("invalid built-in version")?;
    let theirs = split_version(other).ok_or_else(|| format!("invalid version '{other}'"))?;
    Ok(ours.cmp(&theirs))
}

/// A HAProxy version as a comparable tuple: up to four numbers
/// (`2.6.12`, missing ones are 0), then the stage of a `-devN`, `-preN`
/// or `-rcN` suffix (development before pre-release before release
/// candidate before release) and its number. Anything after that
/// (`-1+deb12u4`, `-abcdef`) does not count.
fn split_version(v: &str) -> Option<[u64; 6]> {
    let (nums, suffix) = match v.split_once('-') {
        Some((n, s)) => (n, Some(s)),
        None => (v, None),
    };
    let mut out = [0u64; 6];
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    for (slot, p) in out.iter_mut().zip(&parts) {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    let stage = |s: &str| -> Option<(u64, u64)> {
        for (name, rank) in [("dev", 1), ("pre", 2), ("rc", 3)] {
            if let Some(n) = s.strip_prefix(name) {
                let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
                return Some((rank, digits.parse().unwrap_or(0)));
            }
        }
        None
    };
    let (rank, n) = suffix.and_then(stage).unwrap_or((4, 0));
    out[4] = rank;
    out[5] = n;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("val".into()),
            "EMPTY" => Some(String::new()),
            "ONE" => Some("1".into()),
            _ => None,
        }
    }

    fn ev(s: &str) -> Result<bool, String> {
        eval_condition(s, &env)
    }

    #[test]
    fn constants_and_operators() {
        assert!(ev("1").unwrap());
        assert!(!ev("0").unwrap());
        assert!(!ev("").unwrap());
        assert!(!ev("   ").unwrap());
        assert!(ev("\"1\"").unwrap());
        assert!(!ev("\"\"").unwrap());
        assert!(!ev("1 && 0").unwrap());
        assert!(ev("0 || 1").unwrap());
        assert!(ev("!0").unwrap());
        assert!(ev("!!1").unwrap());
        assert!(ev("! 0").unwrap());
        assert!(ev("1&&(0||1)").unwrap());
        // `&&` binds tighter than `||`.
        assert!(ev("1 || 0 && 0").unwrap());
        assert!(!ev("(1 || 0) && 0").unwrap());
        assert!(ev("1 # trailing comment").unwrap());
    }

    #[test]
    fn predicates() {
        assert!(ev("defined(SET)").unwrap());
        assert!(ev("defined(EMPTY)").unwrap());
        assert!(!ev("defined(UNSET)").unwrap());
        assert!(ev("feature(THREAD)").unwrap());
        assert!(!ev("feature(LINUX_SPLICE)").unwrap());
        assert!(ev("streq(a,a)").unwrap());
        assert!(!ev("streq(a,b)").unwrap());
        assert!(ev("strneq(\"a b\",a)").unwrap());
        // Spaces in arguments are significant, as in HAProxy.
        assert!(!ev("streq( a ,a)").unwrap());
        assert!(ev("streq(\"${SET}\",val)").unwrap());
        assert!(ev("streq(\"a,b\",'a,b')").unwrap());
        // Unquoted arguments are literal.
        assert!(!ev("streq(${SET},val)").unwrap());
        assert!(ev("streq('${SET}',\"\\${SET}\")").unwrap());
        assert!(ev("defined(SET) && !defined(UNSET)").unwrap());
    }

    #[test]
    fn versions() {
        assert_eq!(HAPROXY_COMPAT_VERSION, "2.6.12");
        assert!(ev("version_atleast(2.4)").unwrap());
        assert!(ev("version_atleast(2.6)").unwrap());
        assert!(ev("version_atleast(2.6.12)").unwrap());
        assert!(!ev("version_atleast(2.6.12.1)").unwrap());
        assert!(!ev("version_atleast(2.8)").unwrap());
        assert!(ev("version_before(2.6.13)").unwrap());
        assert!(ev("version_before(3)").unwrap());
        assert!(!ev("version_before(2.6)").unwrap());
        assert!(ev("version_atleast(abc)")
            .unwrap_err()
            .contains("invalid version"));
        assert!(ev("version_atleast(2.5-dev0)").unwrap());
        assert!(ev("version_atleast(2.6-dev1)").unwrap());
        assert!(ev("version_atleast(2.6.12-1+deb12u4)").unwrap());
        assert!(!ev("version_atleast(2.7-dev0)").unwrap());
        assert!(ev("version_before(2.7-dev0)").unwrap());
        assert!(ev("version_before(2.6.13-rc1)").unwrap());
        assert!(!ev("version_before(2.6.12-rc1)").unwrap());
    }

    #[test]
    fn syntax_errors() {
        assert!(ev("foo")
            .unwrap_err()
            .contains("unparsable conditional expression 'foo'"));
        assert!(ev("(1").unwrap_err().contains("expected ')'"));
        assert!(ev("0 ||").is_err());
        assert!(ev("1 2").unwrap_err().contains("at the end"));
        assert!(ev("1 & 1").is_err());
        assert!(ev("enabled(POLL)").unwrap_err().contains("enabled"));
        assert!(ev("foo(x)").unwrap_err().contains("foo"));
        assert!(ev("streq(a)")
            .unwrap_err()
            .contains("expects 2 arguments (got 1)"));
        assert!(ev("defined(A,B)")
            .unwrap_err()
            .contains("expects 1 argument"));
        assert!(ev("defined()").unwrap_err().contains("got 0"));
        assert!(ev("defined(SET").unwrap_err().contains("missing ')'"));
        assert!(ev("streq(\"a,b)").unwrap_err().contains("unmatched quote"));
        // The whole expression is checked even when the result is known early.
        assert!(ev("1 || foo").is_err());
        assert!(ev(")").is_err());
    }
}
