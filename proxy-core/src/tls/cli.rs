//! The CLI's certificate commands on the [`CertStore`], with HAProxy 2.6's
//! answers (each captured from the 2.6.12 binary, errors included):
//! `show|set|commit|abort|new|del ssl cert` and `add|del|show ssl
//! crt-list`. Levels are the stats applet's business.
//!
//! A payload (`set ssl cert <file> <<`, `add ssl crt-list <list> <<`)
//! arrives as the last two words, `<<` and the payload's text.
//!
//! The quirks kept: one transaction at a time, and while it is open `set
//! ssl cert` on any file updates it (2.6.12 does so); `commit` prints a
//! dot per bind instance it rebuilt, `add ssl crt-list` one per bind it
//! added the line to; some refusals end with an empty line of their own.

use std::sync::Arc;

use super::bind::entry_conf;
use super::certs::PendingCert;
use super::crtlist::{parse_cli_line, render_show, CrtListEntry};
use super::store::{CertStore, Inner, ListEntry, Slot};

const NOT_SHOWN: &str =
    "Can't display the certificate: Not found or the certificate is a bundle!\n";

impl CertStore {
    /// The answer to a `... ssl cert` or `... ssl crt-list` command, or
    /// `None` when `words` are no such command.
    pub fn cli(&self, words: &[&str]) -> Option<String> {
        let (words, payload) = match words {
            [head @ .., "<<", p] => (head, Some(*p)),
            _ => (words, None),
        };
        let arg = |i: usize| words.get(i).copied().unwrap_or("");
        let mut guard = self.lock();
        let inner = &mut *guard;
        Some(match words.get(..3)? {
            ["show", "ssl", "cert"] => show_cert(inner, arg(3)),
            ["set", "ssl", "cert"] => set_cert(inner, arg(3), payload),
            ["commit", "ssl", "cert"] => commit_cert(inner, arg(3)),
            ["abort", "ssl", "cert"] => abort_cert(inner, arg(3)),
            ["new", "ssl", "cert"] => new_cert(inner, arg(3)),
            ["del", "ssl", "cert"] => del_cert(inner, arg(3)),
            ["show", "ssl", "crt-list"] => show_list(inner, &words[3..]),
            ["add", "ssl", "crt-list"] => add_to_list(inner, arg(3), arg(4), payload),
            ["del", "ssl", "crt-list"] => del_from_list(inner, arg(3), arg(4)),
            _ => return None,
        })
    }
}

/// `show ssl cert [[*]<file>]`.
fn show_cert(inner: &Inner, name: &str) -> String {
    if name.is_empty() {
        let mut out = String::new();
        if let Some((p, _)) = &inner.tx {
            out.push_str(&format!("# transaction\n*{p}\n"));
        }
        out.push_str("# filename\n");
        for p in inner.certs.keys() {
            out.push_str(p);
            out.push('\n');
        }
        return out;
    }
    if let Some(path) = name.strip_prefix('*') {
        return match &inner.tx {
            Some((p, pending)) if p == path => pending.info.render_show(name, "Unused"),
            _ => NOT_SHOWN.into(),
        };
    }
    match inner.certs.get(name) {
        Some(Some(c)) => {
            let status = if inner.uses(name) > 0 {
                "Used"
            } else {
                "Unused"
            };
            c.info.render_show(name, status)
        }
        Some(None) => format!("Filename: {name}\nStatus: Empty\nOCSP Response Key: \n"),
        None => NOT_SHOWN.into(),
    }
}

/// `set ssl cert <file> <payload>`: opens or updates the transaction.
fn set_cert(inner: &mut Inner, name: &str, payload: Option<&str>) -> String {
    let Some(payload) = payload.filter(|_| !name.is_empty()) else {
        return "'set ssl cert expects a filename and a certificate as a payload\n".into();
    };
    let cant = |why: &str| format!("{why}\nCan't update {name}!\n");
    if inner.tx.is_none() && !inner.certs.contains_key(name) {
        return cant("Can't replace a certificate which is not referenced by the configuration!");
    }
    let pending = match PendingCert::parse(payload.as_bytes(), name) {
        Ok(p) => p,
        Err(e) => return cant(&format!("{e}\nCan't load the payload")),
    };
    match &mut inner.tx {
        Some((p, old)) => {
            *old = pending;
            format!("Transaction updated for certificate {p}!\n")
        }
        None => {
            inner.tx = Some((name.to_string(), pending));
            format!("Transaction created for certificate {name}!\n")
        }
    }
}

/// `commit ssl cert <file>`: the transaction's certificate replaces the
/// file's in every bind using it.
fn commit_cert(inner: &mut Inner, name: &str) -> String {
    if name.is_empty() {
        return "'commit ssl cert expects a filename\n".into();
    }
    let cant = |why: &str| format!("{why}\nCan't commit {name}!\n");
    let pending = match &inner.tx {
        None => return cant("No ongoing transaction! !"),
        Some((p, _)) if p != name => {
            return cant(&format!(
                "The ongoing transaction is about '{p}' but you are trying to set '{name}'"
            ))
        }
        Some((_, pending)) => pending.clone(),
    };
    let cert = match pending.into_loaded(name) {
        Ok(c) => Arc::new(c),
        Err(e) => return cant(&e),
    };
    let old = inner.certs.insert(name.to_string(), Some(cert));
    let dots = ".".repeat(inner.uses(name));
    let uses = |slots: &[Slot]| inner.instances(slots).iter().any(|i| i.path == name);
    match inner.rebuild(|b| uses(&b.slots)) {
        Ok(_) => {
            inner.tx = None;
            format!("Committing {name}{dots}\nSuccess!\n")
        }
        Err((k, e)) => {
            if let Some(old) = old {
                inner.certs.insert(name.to_string(), old);
            }
            format!("Committing {name}{}\n{e}\nFailed!\n", ".".repeat(k))
        }
    }
}

/// `abort ssl cert <file>`.
fn abort_cert(inner: &mut Inner, name: &str) -> String {
    if name.is_empty() {
        return "'abort ssl cert' expects a filename\n".into();
    }
    match &inner.tx {
        None => "No ongoing transaction!\n".into(),
        Some((p, _)) if p != name => format!(
            "The ongoing transaction is about '{p}' but you are trying to abort a transaction for '{name}'\n"
        ),
        Some(_) => {
            inner.tx = None;
            format!("Transaction aborted for certificate '{name}'!\n")
        }
    }
}

/// `new ssl cert <file>`: an empty entry, to `set` and `commit`.
fn new_cert(inner: &mut Inner, name: &str) -> String {
    if name.is_empty() {
        return "'new ssl cert' expects a filename\n".into();
    }
    if inner.certs.contains_key(name) {
        return format!("Certificate '{name}' already exists!\n");
    }
    inner.certs.insert(name.to_string(), None);
    format!("New empty certificate store '{name}'!\n")
}

/// `del ssl cert <file>`: only a certificate no bind or list uses.
fn del_cert(inner: &mut Inner, name: &str) -> String {
    if name.is_empty() {
        return "'del ssl cert' expects a certificate name\n".into();
    }
    let cant = "Can't remove the certificate:";
    if inner.tx.as_ref().is_some_and(|(p, _)| p == name) {
        return format!("{cant} ongoing transaction for the certificate '{name}'\n");
    }
    if !inner.certs.contains_key(name) {
        return format!("{cant} certificate '{name}' doesn't exist!\n\n");
    }
    if inner.uses(name) > 0 || inner.listed(name) {
        return format!("{cant} certificate '{name}' in use, can't be deleted!\n\n");
    }
    inner.certs.remove(name);
    format!("Certificate '{name}' deleted!\n")
}

/// `show ssl crt-list [-n] [<list>]`.
fn show_list(inner: &Inner, args: &[&str]) -> String {
    let (numbered, name) = match args {
        ["-n", rest @ ..] => (true, rest.first().copied().unwrap_or("")),
        _ => (false, args.first().copied().unwrap_or("")),
    };
    if name.is_empty() {
        if numbered {
            return "'show ssl crt-list -n' expects a filename or a directory\n".into();
        }
        return inner.lists.keys().map(|l| format!("{l}\n")).collect();
    }
    match inner.list_name(name) {
        Some(l) => {
            let entries: Vec<CrtListEntry> = inner.lists[&l]
                .entries
                .iter()
                .map(|e| e.entry.clone())
                .collect();
            render_show(&l, &entries, numbered)
        }
        None => "didn't find the specified filename\n".into(),
    }
}

/// The line `add ssl crt-list` adds: from the payload, or the bare
/// certificate name (2.6 ignores the words after it).
fn line_to_add(cert: &str, payload: Option<&str>) -> Result<CrtListEntry, String> {
    let Some(p) = payload else {
        return Ok(CrtListEntry {
            file: cert.to_string(),
            line: 0,
            opts: Vec::new(),
            bracket: false,
            filters: Vec::new(),
        });
    };
    let p = p.strip_suffix('\n').unwrap_or(p);
    if p.contains('\n') {
        return Err("only one line of payload is supported!".into());
    }
    parse_cli_line(p, "CLI")?.ok_or_else(|| {
        "'add ssl crtlist' should contain the certificate name in the payload".into()
    })
}

/// `add ssl crt-list <list> <cert>` or `add ssl crt-list <list> <<`.
fn add_to_list(inner: &mut Inner, list: &str, cert: &str, payload: Option<&str>) -> String {
    if list.is_empty() || (payload.is_none() && cert.is_empty()) {
        return "'add ssl crtlist' expects a filename and a certificate name\n".into();
    }
    let cant = |why: &str| format!("Can't edit the crt-list: {why}\n");
    let Some(l) = inner.list_name(list) else {
        return cant(&format!("crt-list '{list}' does not exist!"));
    };
    let mut entry = match line_to_add(cert, payload) {
        Ok(e) => e,
        Err(e) => return cant(&e),
    };
    let file = entry.file.clone();
    if inner.lists[&l].dir && !file.starts_with(&format!("{l}/")) {
        return cant(&format!(
            "'{l}' is a directory, certificate path '{file}' must contain the directory path"
        ));
    }
    match inner.certs.get(&file) {
        None => return cant(&format!("certificate '{file}' does not exist!")),
        Some(None) => return cant(&format!("certificate '{file}' is empty!")),
        Some(Some(_)) => {}
    }
    let users = |slots: &[Slot]| {
        slots
            .iter()
            .filter(|s| **s == Slot::List(l.clone()))
            .count()
    };
    let dots = ".".repeat(inner.binds.iter().map(|b| users(&b.slots)).sum());
    let head = format!("Inserting certificate '{file}' in crt-list '{l}'");
    let global = inner
        .binds
        .iter()
        .find(|b| users(&b.slots) > 0)
        .map(|b| b.tls.global().clone())
        .unwrap_or_default();
    let conf = match entry_conf(&entry, &global, &l) {
        Ok(c) => c,
        Err(e) => return format!("{head}.\n{e}\nFailed!\n"),
    };
    let Some(target) = inner.lists.get_mut(&l) else {
        return cant(&format!("crt-list '{list}' does not exist!"));
    };
    entry.line = target.linecount + 1;
    target.entries.push(ListEntry { entry, conf });
    match inner.rebuild(|b| users(&b.slots) > 0) {
        Ok(_) => {
            if let Some(t) = inner.lists.get_mut(&l) {
                t.linecount += 1;
            }
            format!("{head}{dots}\nSuccess!\n")
        }
        Err((k, e)) => {
            if let Some(t) = inner.lists.get_mut(&l) {
                t.entries.pop();
            }
            format!("{head}{}\n{e}\nFailed!\n", ".".repeat(k))
        }
    }
}

/// `del ssl crt-list <list> <cert[:line]>`.
fn del_from_list(inner: &mut Inner, list: &str, arg: &str) -> String {
    if list.is_empty() || arg.is_empty() {
        return "'del ssl crtlist' expects a filename and a certificate name\n".into();
    }
    let cant = |why: &str| format!("Can't delete the entry: {why}\n");
    let Some(l) = inner.list_name(list) else {
        return cant(&format!("crt-list '{list}' does not exist!"));
    };
    let (cert, line) = match arg.rsplit_once(':') {
        Some((c, n)) => match n.parse::<usize>() {
            Ok(n) => (c, Some(n)),
            _ => return cant(&format!("wrong line number after colons in '{arg}'!")),
        },
        None => (arg, None),
    };
    if !inner.certs.contains_key(cert) {
        return cant(&format!("certificate '{cert}' does not exist!"));
    }
    let entries = &inner.lists[&l].entries;
    let found: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].entry.file == cert)
        .collect();
    let lines = found
        .iter()
        .map(|&i| entries[i].entry.line.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let idx = match (line, found.as_slice()) {
        (_, []) => return cant(&format!("certificate '{cert}' can't be found in crt-list '{l}'!")),
        (None, [i]) => *i,
        (None, _) => return cant(&format!(
            "found the certificate '{cert}' in several entries, please specify a line number preceded by colons ({lines})!"
        )),
        (Some(n), _) => match found.iter().find(|&&i| entries[i].entry.line == n) {
            Some(&i) => i,
            None => return cant(&format!(
                "found a certificate '{cert}' but the line number is incorrect, please specify a correct line number preceded by colons ({lines})!"
            )),
        },
    };
    let defaults = default_users(inner, &l, idx);
    if !defaults.is_empty() {
        return cant(&format!(
            "certificate '{cert}' cannot be deleted, it is used as default certificate by the following frontends:\n{defaults}"
        ));
    }
    let users = |slots: &[Slot]| slots.contains(&Slot::List(l.clone()));
    let Some(t) = inner.lists.get_mut(&l) else {
        return cant(&format!("crt-list '{list}' does not exist!"));
    };
    let removed = t.entries.remove(idx);
    match inner.rebuild(|b| users(&b.slots)) {
        Ok(_) => format!("Entry '{cert}' deleted in crtlist '{l}'!\n"),
        Err((_, e)) => {
            if let Some(t) = inner.lists.get_mut(&l) {
                t.entries.insert(idx, removed);
            }
            cant(&e)
        }
    }
}

/// `\t- <file>:<line>` for each bind (without `strict-sni`) whose default
/// certificate is entry `idx` of crt-list `list`.
fn default_users(inner: &Inner, list: &str, idx: usize) -> String {
    inner
        .binds
        .iter()
        .filter(|b| !b.tls.ssl().strict_sni)
        .filter(|b| {
            inner
                .instances(&b.slots)
                .first()
                .is_some_and(|i| i.from == Some((list, idx)))
        })
        .map(|b| format!("\t- {}\n", b.loc))
        .collect()
}
