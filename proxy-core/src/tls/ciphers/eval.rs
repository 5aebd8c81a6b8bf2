//! OpenSSL's evaluation of a cipher string: every known cipher in one
//! ordered list, each active or not, rewritten by the string's words in
//! turn (`!`, `-`, `+`, `@STRENGTH`, `@SECLEVEL`).

use super::pattern::*;
use super::table::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Op {
    /// `X`: append the inactive matches.
    Add,
    /// `-X`: deactivate the matches; they move to the front, so that a later add of them
    /// puts them ahead of ciphers that were never selected.
    Del,
    /// `+X`: move the active matches to the end.
    Ord,
    /// `!X`: remove the matches for good.
    Kill,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) cipher: &'static Cipher,
    pub(super) active: bool,
}

/// OpenSSL's evaluation of a cipher string: every known cipher in one ordered list, each
/// active (selected) or not, rewritten by the string's words in turn.
pub(super) struct Evaluation {
    pub(super) list: Vec<Entry>,
    /// Ciphers added by name, with the word that named them, in order of naming.
    pub(super) named: Vec<(&'static Cipher, String)>,
    pub(super) seclevel: Option<u8>,
}

/// What `DEFAULT` stands for at the start of an OpenSSL 3 cipher string.
pub(super) const DEFAULT_RULES: &str = "ALL:!COMPLEMENTOFDEFAULT:!eNULL";

/// OpenSSL separates the words of a cipher string with any of these.
pub(super) const SEPARATORS: [char; 4] = [':', ' ', ';', ','];

impl Evaluation {
    pub(super) fn new() -> Self {
        Evaluation {
            list: known_ciphers()
                .map(|cipher| Entry {
                    cipher,
                    active: false,
                })
                .collect(),
            named: Vec::new(),
            seclevel: None,
        }
    }

    pub(super) fn run(spec: &str) -> Result<Self, String> {
        let mut ev = Evaluation::new();
        let rest = match spec.strip_prefix("DEFAULT") {
            Some(rest) => {
                ev.words(DEFAULT_RULES)?;
                rest
            }
            None => spec,
        };
        ev.words(rest)?;
        Ok(ev)
    }

    pub(super) fn words(&mut self, s: &str) -> Result<(), String> {
        s.split(SEPARATORS)
            .filter(|w| !w.is_empty())
            .try_for_each(|w| self.word(w))
    }

    pub(super) fn word(&mut self, word: &str) -> Result<(), String> {
        let (op, body) = if let Some(body) = word.strip_prefix('!') {
            (Op::Kill, body)
        } else if let Some(body) = word.strip_prefix('-') {
            (Op::Del, body)
        } else if let Some(body) = word.strip_prefix('+') {
            (Op::Ord, body)
        } else if let Some(command) = word.strip_prefix('@') {
            return self.command(command);
        } else {
            (Op::Add, word)
        };
        if body.is_empty() {
            return Err(format!("missing cipher name after '{word}'"));
        }
        let mut pattern = ANY;
        let mut name = None;
        for part in body.split('+') {
            if part.is_empty() {
                return Err(format!("misplaced '+' in '{word}'"));
            }
            let p = lookup(part)?;
            if p.cipher.is_some() {
                name = Some(part);
            }
            pattern = pattern.and(&p);
        }
        self.apply(op, &pattern);
        if let (Op::Add, Some(c), Some(name)) = (op, pattern.cipher, name) {
            if pattern.matches(c) && !self.named.iter().any(|(n, _)| std::ptr::eq(*n, c)) {
                self.named.push((c, name.to_string()));
            }
        }
        Ok(())
    }

    pub(super) fn command(&mut self, command: &str) -> Result<(), String> {
        if command == "STRENGTH" {
            self.sort_by_strength();
            return Ok(());
        }
        match command.strip_prefix("SECLEVEL=").map(str::as_bytes) {
            Some(&[digit @ b'0'..=b'5']) => {
                self.seclevel = Some(digit - b'0');
                Ok(())
            }
            Some(_) => Err(format!(
                "invalid security level in '@{command}' (a digit from 0 to 5)"
            )),
            None => Err(format!("unknown cipher string command '@{command}'")),
        }
    }

    pub(super) fn apply(&mut self, op: Op, pattern: &Pattern) {
        let list = std::mem::take(&mut self.list);
        if op == Op::Kill {
            self.list = list
                .into_iter()
                .filter(|e| !pattern.matches(e.cipher))
                .collect();
            return;
        }
        // Adding takes inactive ciphers, removing and reordering take active ones; the
        // taken keep their relative order wherever they go.
        let takes_active = op != Op::Add;
        let (mut taken, kept): (Vec<Entry>, Vec<Entry>) = list
            .into_iter()
            .partition(|e| e.active == takes_active && pattern.matches(e.cipher));
        for e in &mut taken {
            e.active = op != Op::Del;
        }
        self.list = if op == Op::Del {
            taken.into_iter().chain(kept).collect()
        } else {
            kept.into_iter().chain(taken).collect()
        };
    }

    /// `@STRENGTH`: the active ciphers, longest keys first, equal ones keeping their order.
    pub(super) fn sort_by_strength(&mut self) {
        let list = std::mem::take(&mut self.list);
        let (mut active, inactive): (Vec<Entry>, Vec<Entry>) =
            list.into_iter().partition(|e| e.active);
        active.sort_by_key(|e| std::cmp::Reverse(strength_bits(e.cipher)));
        self.list = inactive.into_iter().chain(active).collect();
    }

    /// The selected ciphers in preference order.
    pub(super) fn selected(&self) -> impl Iterator<Item = &'static Cipher> + '_ {
        self.list.iter().filter(|e| e.active).map(|e| e.cipher)
    }
}
