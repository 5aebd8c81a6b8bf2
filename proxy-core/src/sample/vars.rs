//! Variables: `<scope>.<name>` names and the stores that hold them.
//!
//! Scopes as HAProxy 2.6 has them: `proc` (the process, shared by every
//! worker), `sess` (one client connection), `txn` (one HTTP transaction or
//! TCP stream), `req` and `res` (the request and response halves of it),
//! `check` (a health check). A name is letters, digits, `_` and `.`.
//!
//! A stream's store ([`VarStore`]) is set through shared references
//! (rules read the request while they set variables), behind a lock that
//! only its own task ever takes. The `proc` store is shared by every
//! stream ([`ProcVars`]).

use std::sync::{Arc, Mutex, OnceLock};

use super::value::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Proc,
    Sess,
    Txn,
    Req,
    Res,
    Check,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Proc => "proc",
            Scope::Sess => "sess",
            Scope::Txn => "txn",
            Scope::Req => "req",
            Scope::Res => "res",
            Scope::Check => "check",
        }
    }
}

/// A variable name with its scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VarName {
    pub scope: Scope,
    pub name: Box<str>,
}

impl VarName {
    /// Parses `<scope>.<name>`. Errors are HAProxy's wording.
    pub fn parse(s: &str) -> Result<VarName, String> {
        let (scope, name) = match s.split_once('.') {
            Some(("proc", n)) => (Scope::Proc, n),
            Some(("sess", n)) => (Scope::Sess, n),
            Some(("txn", n)) => (Scope::Txn, n),
            Some(("req", n)) => (Scope::Req, n),
            Some(("res", n)) => (Scope::Res, n),
            Some(("check", n)) => (Scope::Check, n),
            _ => {
                return Err(format!(
                    "invalid variable name '{s}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'"
                ))
            }
        };
        if name.is_empty() {
            return Err(format!("missing variable name in '{s}'"));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
        {
            return Err(format!(
                "invalid character '{c}' in variable name '{s}'. Only alphanumerics, '.' and '_' are allowed"
            ));
        }
        Ok(VarName {
            scope,
            name: name.into(),
        })
    }

    /// `<scope>.<name>`, as written.
    pub fn full(&self) -> String {
        format!("{}.{}", self.scope.name(), self.name)
    }
}

/// The condition `set-var(...,<cond>...)` puts on setting a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SetCond {
    /// `ifexists`: only when it is already set.
    pub if_exists: bool,
    /// `ifnotexists`: only when it is not set yet.
    pub if_not_exists: bool,
    /// `ifempty` / `ifnotempty`: only when the new value is (not) empty.
    pub if_empty: bool,
    pub if_not_empty: bool,
    /// `ifset` / `ifnotset`: alias spelling of HAProxy 2.6's conditions.
    pub if_set: bool,
    pub if_not_set: bool,
    /// `ifgt` / `iflt`: only when the new integer value is greater / lower.
    pub if_gt: bool,
    pub if_lt: bool,
}

impl SetCond {
    /// Reads one condition word; `false` for an unknown one.
    pub fn add(&mut self, word: &str) -> bool {
        match word {
            "ifexists" => self.if_exists = true,
            "ifnotexists" => self.if_not_exists = true,
            "ifempty" => self.if_empty = true,
            "ifnotempty" => self.if_not_empty = true,
            "ifset" => self.if_set = true,
            "ifnotset" => self.if_not_set = true,
            "ifgt" => self.if_gt = true,
            "iflt" => self.if_lt = true,
            _ => return false,
        }
        true
    }

    /// Whether `new` may replace `old`.
    fn allows(&self, old: Option<&Value<'_>>, new: &Value<'_>) -> bool {
        let empty = match new {
            Value::Str(s) | Value::Bin(s) | Value::Meth(s) => s.is_empty(),
            _ => false,
        };
        let int = |v: &Value<'_>| v.to_int();
        !((self.if_exists || self.if_set) && old.is_none()
            || (self.if_not_exists || self.if_not_set) && old.is_some()
            || self.if_empty && !empty
            || self.if_not_empty && empty
            || self.if_gt
                && old.is_some_and(|o| !matches!((int(new), int(o)), (Some(n), Some(o)) if n > o))
            || self.if_lt
                && old.is_some_and(|o| !matches!((int(new), int(o)), (Some(n), Some(o)) if n < o)))
    }
}

/// Named values of one scope. Few variables per scope in practice, so a
/// vector beats a map.
#[derive(Debug, Default)]
pub struct VarList {
    vars: Vec<(Box<str>, Value<'static>)>,
}

impl VarList {
    pub fn get(&self, name: &str) -> Option<&Value<'static>> {
        self.vars.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }

    /// Sets `name` unless `cond` forbids it; says whether it did.
    pub fn set(&mut self, name: &str, v: Value<'_>, cond: SetCond) -> bool {
        let slot = self.vars.iter().position(|(n, _)| &**n == name);
        if !cond.allows(slot.map(|i| &self.vars[i].1), &v) {
            return false;
        }
        let v = v.into_owned();
        match slot {
            Some(i) => self.vars[i].1 = v,
            None => self.vars.push((name.into(), v)),
        }
        true
    }

    pub fn unset(&mut self, name: &str) {
        self.vars.retain(|(n, _)| &**n != name);
    }

    pub fn clear(&mut self) {
        self.vars.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<'static>)> {
        self.vars.iter().map(|(n, v)| (&**n, v))
    }
}

/// The process-wide variables (`proc.*`), shared by every worker.
#[derive(Debug, Default, Clone)]
pub struct ProcVars(Arc<Mutex<VarList>>);

impl ProcVars {
    pub fn get(&self, name: &str) -> Option<Value<'static>> {
        self.0.lock().ok()?.get(name).cloned()
    }

    pub fn set(&self, name: &str, v: Value<'_>, cond: SetCond) -> bool {
        self.0.lock().is_ok_and(|mut l| l.set(name, v, cond))
    }

    pub fn unset(&self, name: &str) {
        if let Ok(mut l) = self.0.lock() {
            l.unset(name);
        }
    }
}

/// The variables a stream sees: its own scopes and the process ones.
/// Nothing is allocated until a variable is first set (most streams
/// never set one); the lock is never contended (one task uses a stream)
/// and makes the store shareable by the stream's futures.
#[derive(Debug, Default)]
pub struct VarStore {
    proc: Option<ProcVars>,
    local: OnceLock<Box<Mutex<Locals>>>,
}

/// The stream's own scopes.
#[derive(Debug, Default)]
struct Locals {
    sess: VarList,
    txn: VarList,
    req: VarList,
    res: VarList,
    check: VarList,
}

impl Locals {
    fn list(&mut self, scope: Scope) -> Option<&mut VarList> {
        Some(match scope {
            Scope::Proc => return None,
            Scope::Sess => &mut self.sess,
            Scope::Txn => &mut self.txn,
            Scope::Req => &mut self.req,
            Scope::Res => &mut self.res,
            Scope::Check => &mut self.check,
        })
    }
}

impl VarStore {
    pub fn new(proc: ProcVars) -> VarStore {
        VarStore {
            proc: Some(proc),
            local: OnceLock::new(),
        }
    }

    pub fn get(&self, v: &VarName) -> Option<Value<'static>> {
        if v.scope == Scope::Proc {
            return self.proc.as_ref()?.get(&v.name);
        }
        let mut l = self.local.get()?.lock().ok()?;
        l.list(v.scope)?.get(&v.name).cloned()
    }

    pub fn set(&self, v: &VarName, value: Value<'_>, cond: SetCond) -> bool {
        if v.scope == Scope::Proc {
            return self
                .proc
                .as_ref()
                .is_some_and(|p| p.set(&v.name, value, cond));
        }
        let local = self.local.get_or_init(Box::default);
        let Ok(mut l) = local.lock() else {
            return false;
        };
        l.list(v.scope)
            .is_some_and(|list| list.set(&v.name, value, cond))
    }

    pub fn unset(&self, v: &VarName) {
        if v.scope == Scope::Proc {
            if let Some(p) = &self.proc {
                p.unset(&v.name);
            }
            return;
        }
        if let Some(mut l) = self.local.get().and_then(|l| l.lock().ok()) {
            if let Some(list) = l.list(v.scope) {
                list.unset(&v.name);
            }
        }
    }

    /// A new transaction on the same connection: the `txn`, `req` and
    /// `res` variables go, `sess` and `proc` stay.
    pub fn end_txn(&self) {
        if let Some(mut l) = self.local.get().and_then(|l| l.lock().ok()) {
            l.txn.clear();
            l.req.clear();
            l.res.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_conditions() {
        let n = VarName::parse("txn.a.b_c").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((n.scope, &*n.name), (Scope::Txn, "a.b_c"));
        assert!(VarName::parse("foo.bar").is_err());
        assert!(VarName::parse("txn.a-b").is_err());
        let store = VarStore::new(ProcVars::default());
        let mut c = SetCond::default();
        assert!(c.add("ifexists"));
        assert!(!store.set(&n, Value::Int(1), c));
        assert!(store.set(&n, Value::Int(1), SetCond::default()));
        assert!(store.set(&n, Value::Int(2), c));
        assert_eq!(store.get(&n), Some(Value::Int(2)));
        store.end_txn();
        assert_eq!(store.get(&n), None);
    }
}
