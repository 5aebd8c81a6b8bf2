//! The compiled form of a [`super::regex::Regex`] and the backtracking
//! machine that runs it.
//!
//! A pattern becomes a list of instructions (`Byte`, `Set`, `Split`, `Jmp`,
//! assertions, `Match`). The machine explores `Split`s depth first, keeping
//! the alternatives on an explicit stack (never the call stack), so deep
//! inputs cannot overflow a thread. A loop whose body can match the empty
//! string is guarded by a `Mark` / `Progress` pair that refuses an
//! iteration which consumed nothing (otherwise `(a*)*` would spin).
//!
//! Each search has a step budget shared by all start positions; the stack
//! and loop registers live in a per-thread scratch area reused by every
//! search, so matching does not allocate once a thread has warmed up.

use std::cell::RefCell;

use super::regex::{is_word, BudgetExceeded, ByteSet, Node};

/// Largest program accepted (instructions), bounding `{m,n}` expansion.
const MAX_INSTS: usize = 20_000;

/// Largest backtracking stack (frames, 12 bytes each) before a search
/// gives up.
const MAX_STACK: usize = 1 << 18;

/// Stack capacity kept between searches; a deeper search frees the rest.
const KEPT_STACK: usize = 1 << 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Inst {
    Byte(u8),
    /// Index into [`Program::sets`].
    Set(u32),
    /// Try the first target, then the second.
    Split(u32, u32),
    Jmp(u32),
    Bol,
    Eol,
    Boundary(bool),
    /// Remember the position in a loop register.
    Mark(u32),
    /// Fail unless the position moved since the matching `Mark`.
    Progress(u32),
    Match,
}

#[derive(Clone, Debug)]
pub(super) struct Program {
    insts: Box<[Inst]>,
    sets: Box<[ByteSet]>,
    nregs: usize,
    /// Starts with `^`: only position 0 can match.
    anchored: bool,
    /// Every match starts with this byte.
    first: Option<u8>,
}

struct Compiler {
    insts: Vec<Inst>,
    sets: Vec<ByteSet>,
    nregs: u32,
}

const TOO_LARGE: &str = "regular expression is too large";

/// Compiles a parsed pattern.
pub(super) fn compile(node: &Node) -> Result<Program, &'static str> {
    let mut c = Compiler {
        insts: Vec::new(),
        sets: Vec::new(),
        nregs: 0,
    };
    c.node(node)?;
    c.emit(Inst::Match)?;
    let first = match c.insts.first() {
        Some(Inst::Byte(b)) => Some(*b),
        _ => None,
    };
    Ok(Program {
        insts: c.insts.into_boxed_slice(),
        sets: c.sets.into_boxed_slice(),
        nregs: c.nregs as usize,
        anchored: starts_anchored(node),
        first,
    })
}

fn starts_anchored(n: &Node) -> bool {
    match n {
        Node::Bol => true,
        Node::Concat(v) => v.first().is_some_and(starts_anchored),
        Node::Alt(v) => v.iter().all(starts_anchored),
        Node::Repeat { node, min, .. } => *min > 0 && starts_anchored(node),
        _ => false,
    }
}

impl Compiler {
    fn emit(&mut self, i: Inst) -> Result<usize, &'static str> {
        if self.insts.len() >= MAX_INSTS {
            return Err(TOO_LARGE);
        }
        self.insts.push(i);
        Ok(self.insts.len() - 1)
    }

    fn here(&self) -> u32 {
        self.insts.len() as u32
    }

    fn node(&mut self, n: &Node) -> Result<(), &'static str> {
        match n {
            Node::Empty => {}
            Node::Byte(b) => {
                self.emit(Inst::Byte(*b))?;
            }
            Node::Set(s) => {
                let idx = match self.sets.iter().position(|x| x == s) {
                    Some(i) => i,
                    None => {
                        self.sets.push(*s);
                        self.sets.len() - 1
                    }
                };
                self.emit(Inst::Set(idx as u32))?;
            }
            Node::Bol => {
                self.emit(Inst::Bol)?;
            }
            Node::Eol => {
                self.emit(Inst::Eol)?;
            }
            Node::WordBoundary(w) => {
                self.emit(Inst::Boundary(*w))?;
            }
            Node::Concat(v) => {
                for x in v {
                    self.node(x)?;
                }
            }
            Node::Alt(v) => {
                let mut jumps = Vec::new();
                for (i, branch) in v.iter().enumerate() {
                    if i + 1 == v.len() {
                        self.node(branch)?;
                        break;
                    }
                    let split = self.emit(Inst::Split(0, 0))?;
                    self.node(branch)?;
                    jumps.push(self.emit(Inst::Jmp(0))?);
                    self.insts[split] = Inst::Split(split as u32 + 1, self.here());
                }
                let end = self.here();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
            } => self.repeat(node, *min, *max, *greedy)?,
        }
        Ok(())
    }

    fn repeat(
        &mut self,
        node: &Node,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    ) -> Result<(), &'static str> {
        let order = |a: u32, b: u32| {
            if greedy {
                Inst::Split(a, b)
            } else {
                Inst::Split(b, a)
            }
        };
        for _ in 0..min {
            self.node(node)?;
        }
        match max {
            None => {
                let top = self.emit(Inst::Split(0, 0))?;
                let reg = if node.nullable() {
                    let r = self.nregs;
                    self.nregs += 1;
                    self.emit(Inst::Mark(r))?;
                    Some(r)
                } else {
                    None
                };
                self.node(node)?;
                if let Some(r) = reg {
                    self.emit(Inst::Progress(r))?;
                }
                self.emit(Inst::Jmp(top as u32))?;
                self.insts[top] = order(top as u32 + 1, self.here());
            }
            Some(max) => {
                // x{0,3} = (x(x(x)?)?)?: a failed copy skips the rest.
                let mut splits = Vec::new();
                for _ in min..max {
                    splits.push(self.emit(Inst::Split(0, 0))?);
                    self.node(node)?;
                }
                let end = self.here();
                for s in splits {
                    self.insts[s] = order(s as u32 + 1, end);
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Frame {
    Alt { pc: u32, pos: u32 },
    Restore { reg: u32, val: u32 },
}

#[derive(Default)]
struct Scratch {
    stack: Vec<Frame>,
    regs: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Program {
    /// Searches `s` for a match, spending at most `budget` steps.
    pub(super) fn search(&self, s: &[u8], budget: u64) -> Result<bool, BudgetExceeded> {
        if u32::try_from(s.len()).is_err() {
            return Err(BudgetExceeded);
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut sc) => {
                let res = self.search_with(s, budget, &mut sc);
                if sc.stack.capacity() > KEPT_STACK {
                    sc.stack = Vec::with_capacity(KEPT_STACK);
                }
                res
            }
            Err(_) => self.search_with(s, budget, &mut Scratch::default()),
        })
    }

    fn search_with(&self, s: &[u8], budget: u64, sc: &mut Scratch) -> Result<bool, BudgetExceeded> {
        let mut left = budget;
        let last = if self.anchored { 0 } else { s.len() };
        for start in 0..=last {
            if let Some(b) = self.first {
                if s.get(start) != Some(&b) {
                    continue;
                }
            }
            if self.run(s, start, sc, &mut left)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn run(
        &self,
        s: &[u8],
        start: usize,
        sc: &mut Scratch,
        left: &mut u64,
    ) -> Result<bool, BudgetExceeded> {
        sc.stack.clear();
        sc.regs.clear();
        sc.regs.resize(self.nregs, u32::MAX);
        sc.stack.push(Frame::Alt {
            pc: 0,
            pos: start as u32,
        });
        while let Some(frame) = sc.stack.pop() {
            let (mut pc, mut pos) = match frame {
                Frame::Restore { reg, val } => {
                    sc.regs[reg as usize] = val;
                    continue;
                }
                Frame::Alt { pc, pos } => (pc as usize, pos as usize),
            };
            loop {
                if *left == 0 || sc.stack.len() >= MAX_STACK {
                    return Err(BudgetExceeded);
                }
                *left -= 1;
                match self.insts[pc] {
                    Inst::Byte(b) if s.get(pos) == Some(&b) => {
                        pc += 1;
                        pos += 1;
                    }
                    Inst::Set(i) if s.get(pos).is_some_and(|&c| self.sets[i as usize].has(c)) => {
                        pc += 1;
                        pos += 1;
                    }
                    Inst::Split(a, b) => {
                        sc.stack.push(Frame::Alt {
                            pc: b,
                            pos: pos as u32,
                        });
                        pc = a as usize;
                    }
                    Inst::Jmp(a) => pc = a as usize,
                    Inst::Bol if pos == 0 => pc += 1,
                    Inst::Eol if pos == s.len() || (pos + 1 == s.len() && s[pos] == b'\n') => {
                        pc += 1
                    }
                    Inst::Boundary(want) => {
                        let before = pos > 0 && is_word(s[pos - 1]);
                        let after = s.get(pos).is_some_and(|&c| is_word(c));
                        if (before != after) != want {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Mark(r) => {
                        let r = r as usize;
                        sc.stack.push(Frame::Restore {
                            reg: r as u32,
                            val: sc.regs[r],
                        });
                        sc.regs[r] = pos as u32;
                        pc += 1;
                    }
                    Inst::Progress(r) if sc.regs[r as usize] != pos as u32 => pc += 1,
                    Inst::Match => return Ok(true),
                    _ => break,
                }
            }
        }
        Ok(false)
    }
}
