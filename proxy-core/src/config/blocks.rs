//! The lines of one file: splitting each into words, `.if` / `.elif` /
//! `.else` / `.endif` blocks, and the message directives `.notice`,
//! `.warning`, `.alert` (fatal) and `.diag`. Active keyword lines go on to
//! [`Parser::line`].

use super::cond::eval_condition;
use super::model::Location;
use super::sections::{Cur, Parser};
use super::tokenizer::tokenize;

/// One open `.if` block.
struct CondFrame {
    loc: Location,
    /// The enclosing block is active.
    parent: bool,
    /// Lines are currently used.
    active: bool,
    /// A branch of this block was already taken.
    taken: bool,
    seen_else: bool,
}

/// HAProxy 2.6's limit on nested `.if` blocks: the 100th level is
/// refused, so 99 may be open at once.
const MAX_NESTED_CONDS: usize = 100;

impl Parser<'_> {
    /// Reads one file; it starts outside any section.
    pub(super) fn parse_file(&mut self, text: &str, file: &str) {
        self.cur = Cur::Outside;
        let mut conds: Vec<CondFrame> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let loc = Location {
                file: file.to_string(),
                line: n + 1,
            };
            // Lines are split even inside a false `.if` block: a broken line
            // is an error wherever it is, as in HAProxy.
            let args = match tokenize(line, self.env) {
                Ok(a) if a.is_empty() => continue,
                Ok(a) => a,
                Err(e) => {
                    self.fatal(Some(&loc), e);
                    continue;
                }
            };
            let active = !matches!(conds.last(), Some(c) if !c.active);
            if args[0].starts_with('.') {
                self.directive(&args, &loc, &mut conds, active);
            } else if active {
                self.line(&args, &loc);
            }
        }
        if let Some(open) = conds.first() {
            let loc = open.loc.clone();
            self.fatal(Some(&loc), "non-terminated '.if' block.");
        }
    }

    /// `.if`, `.elif`, `.else`, `.endif` and the message directives.
    fn directive(
        &mut self,
        args: &[String],
        loc: &Location,
        conds: &mut Vec<CondFrame>,
        active: bool,
    ) {
        let kw = args[0].as_str();
        let cond = || args[1..].join(" ");
        let eval = |s: &mut Self| match eval_condition(&cond(), s.env) {
            Ok(b) => b,
            Err(e) => {
                s.fatal(Some(loc), format!("{e} in '{kw}'"));
                false
            }
        };
        match kw {
            ".if" => {
                if conds.len() + 1 >= MAX_NESTED_CONDS {
                    return self.fatal(
                        Some(loc),
                        format!("too many nested '.if', max is {MAX_NESTED_CONDS}."),
                    );
                }
                let value = active && eval(self);
                conds.push(CondFrame {
                    loc: loc.clone(),
                    parent: active,
                    active: value,
                    taken: value,
                    seen_else: false,
                });
            }
            ".elif" | ".else" => {
                let Some(top) = conds.last_mut() else {
                    return self.fatal(Some(loc), format!("lone '{kw}' with no matching '.if'."));
                };
                if top.seen_else {
                    return self
                        .fatal(Some(loc), format!("'{kw}' after '.else' is not permitted."));
                }
                let (parent, taken) = (top.parent, top.taken);
                let value = parent && !taken && (kw == ".else" || eval(self));
                if let Some(top) = conds.last_mut() {
                    top.active = value;
                    top.taken |= value;
                    top.seen_else = kw == ".else";
                }
            }
            ".endif" => {
                if conds.pop().is_none() {
                    self.fatal(Some(loc), "lone '.endif' with no matching '.if'.");
                }
            }
            ".diag" | ".notice" | ".warning" | ".alert" => {
                if !active {
                    return;
                }
                if let Some(extra) = args.get(2) {
                    return self.fatal(
                        Some(loc),
                        format!("Unexpected argument '{extra}' for '{kw}'. Use quotes if the message should contain spaces."),
                    );
                }
                let text = format!("'{}'.", args.get(1).map_or("", String::as_str));
                match kw {
                    ".alert" => self.fatal(Some(loc), text),
                    ".warning" => self
                        .warnings
                        .push(format!("config : parsing [{loc}]: {text}")),
                    ".notice" => self
                        .notices
                        .push(format!("config : parsing [{loc}]: {text}")),
                    // Diagnostics only show with `-dD`, which we do not have.
                    _ => {}
                }
            }
            _ => self.fatal(Some(loc), format!("unknown directive '{kw}'.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};

    #[test]
    fn conditional_blocks() {
        let c = ok("
global
.if defined(ONE)
    maxconn 1
.elif 1
    maxconn 2
.else
    maxconn 3
.endif
.if streq(\"${PORT}\",8080) && !defined(NOPE)
  .if 0
    bogus keyword ignored
  .elif version_atleast(2.4)
    nbthread 2
  .endif
.elif 1
    nbthread 3
.endif
.if feature(THREAD)
  .warning \"careful\"
  .notice \"hello\"
.else
  .alert \"not shown\"
.endif
");
        assert_eq!((c.global.maxconn, c.global.nbthread), (Some(1), 2));
        assert_eq!(c.warnings, ["config : parsing [t.cfg:20]: 'careful'."]);
        assert_eq!(c.notices, ["config : parsing [t.cfg:21]: 'hello'."]);
        assert_eq!(
            error("global\n.alert \"stop\"\n"),
            "parsing [t.cfg:2] : 'stop'."
        );
        assert_eq!(
            error("global\n.if 1\n"),
            "parsing [t.cfg:2] : non-terminated '.if' block."
        );
        assert_eq!(
            error(".endif\n"),
            "parsing [t.cfg:1] : lone '.endif' with no matching '.if'."
        );
        assert_eq!(
            error(".else\n"),
            "parsing [t.cfg:1] : lone '.else' with no matching '.if'."
        );
        assert!(error(".if 1\n.else\n.elif 1\n.endif\n")
            .contains("'.elif' after '.else' is not permitted."));
        assert!(
            error(".if foo\n.endif\n").contains("unparsable conditional expression 'foo' in '.if'")
        );
        assert!(error(".bogus\n").contains("unknown directive '.bogus'"));
        assert!(error(".notice a b\n").contains("Unexpected argument 'b' for '.notice'"));
        // Lines of a false block are still split, so a broken one is reported.
        assert!(error(".if 0\n  \"unterminated\n.endif\n").contains("unmatched quote"));
    }
}
