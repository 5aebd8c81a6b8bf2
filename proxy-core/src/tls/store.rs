//! The certificates and crt-lists of the running configuration, by name,
//! and which `ssl` binds use them: what the CLI's `ssl cert` and `ssl
//! crt-list` commands read and change (HAProxy 2.6's ckch stores and
//! crt-list tree).
//!
//! A certificate file is loaded once, however many binds and crt-lists
//! name it, and keyed by its path as the configuration names it (after
//! `crt-base` joining), as 2.6 does. A `crt <dir>` is a crt-list named by
//! the directory, whose entries have line 0. Each bind remembers what its
//! line named, in order (a `crt` file, a crt-list): a change to a
//! certificate or a list rebuilds the handshake configurations of every
//! bind that reaches it, all prepared before any is put in service, so a
//! failed change leaves every bind as it was. Live connections keep the
//! configuration they were made with.
//!
//! The store lives in memory only: a reload reads the files again, as in
//! HAProxy.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::bind::{entry_conf, BindSsl, BindTls, CertEntry, CertSet, CrtSource};
use super::certs::{crt_files, dir_name, join_base, load_pem, CrtFiles, LoadedCert, PendingCert};
use super::crtlist::{load_crt_list_counted, CrtListEntry};
use super::opts::{GlobalSsl, SslConf};

/// One line of a crt-list as loaded: its certificate path (joined with
/// `crt-base`) in `entry.file`, and its options parsed.
#[derive(Clone, Debug)]
pub(super) struct ListEntry {
    pub entry: CrtListEntry,
    pub conf: SslConf,
}

/// A crt-list file or a `crt <dir>`.
#[derive(Clone, Debug, Default)]
pub(super) struct CrtList {
    pub entries: Vec<ListEntry>,
    /// Lines read from the file (and added since): the next added line
    /// gets the number after it.
    pub linecount: usize,
    /// A directory: added certificates must be inside it.
    pub dir: bool,
}

/// What a bind line named, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A certificate file (one of a bundle's).
    Cert(String),
    /// A crt-list, or a directory's implicit one, by name.
    List(String),
}

/// An `ssl` bind and what it uses.
pub(super) struct BindUse {
    pub tls: Arc<BindTls>,
    pub slots: Vec<Slot>,
    /// The proxy and `file:line` of the bind line, for messages.
    pub proxy: String,
    pub loc: String,
}

/// One certificate as a bind uses it (2.6's ckch instance).
pub(super) struct Inst<'a> {
    pub path: &'a str,
    /// The crt-list and the entry's index in it, for a list's entry.
    pub from: Option<(&'a str, usize)>,
    pub filters: &'a [String],
    pub conf: Option<&'a SslConf>,
}

/// The store's contents.
#[derive(Default)]
pub(super) struct Inner {
    /// Path -> certificate; `None` for `new ssl cert` not yet committed.
    pub certs: BTreeMap<String, Option<Arc<LoadedCert>>>,
    pub lists: BTreeMap<String, CrtList>,
    pub binds: Vec<BindUse>,
    /// The one `set ssl cert` transaction: its file and content.
    pub tx: Option<(String, PendingCert)>,
}

/// The certificates, crt-lists and `ssl` binds of a configuration.
#[derive(Default)]
pub struct CertStore {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CertStore")
    }
}

impl CertStore {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Loads what a bind line names (certificates already loaded by an
    /// earlier line are shared): its slots and its certificates in order,
    /// for [`BindTls::build`]. Errors are HAProxy's texts.
    pub fn load_bind(
        &self,
        ssl: &BindSsl,
        global: &GlobalSsl,
    ) -> Result<(Vec<Slot>, Vec<CertEntry>), String> {
        let mut inner = self.lock();
        let mut slots = Vec::new();
        for src in &ssl.sources {
            match src {
                CrtSource::Crt(path) => match crt_files(Path::new(path))? {
                    CrtFiles::Dir(dir, files) => {
                        inner.load_dir(&dir, &files)?;
                        slots.push(Slot::List(dir));
                    }
                    other => {
                        for f in other.files() {
                            inner.cert(f)?;
                            slots.push(Slot::Cert(f.clone()));
                        }
                    }
                },
                CrtSource::List(path) => {
                    inner.load_list(path, global)?;
                    slots.push(Slot::List(path.clone()));
                }
            }
        }
        let entries = inner.entries(&slots);
        Ok((slots, entries))
    }

    /// Records a built bind, so changes reach it.
    pub fn register_bind(&self, tls: Arc<BindTls>, slots: Vec<Slot>, proxy: &str, loc: String) {
        self.lock().binds.push(BindUse {
            tls,
            slots,
            proxy: proxy.to_string(),
            loc,
        });
    }
}

impl Inner {
    /// The certificate at `path`, loaded on first use.
    fn cert(&mut self, path: &str) -> Result<Arc<LoadedCert>, String> {
        if let Some(Some(c)) = self.certs.get(path) {
            return Ok(c.clone());
        }
        let c = Arc::new(load_pem(Path::new(path))?);
        self.certs.insert(path.to_string(), Some(c.clone()));
        Ok(c)
    }

    fn load_dir(&mut self, dir: &str, files: &[String]) -> Result<(), String> {
        if self.lists.contains_key(dir) {
            return Ok(());
        }
        let mut list = CrtList {
            dir: true,
            ..CrtList::default()
        };
        for f in files {
            self.cert(f)?;
            list.entries.push(ListEntry {
                entry: CrtListEntry {
                    file: f.clone(),
                    line: 0,
                    opts: Vec::new(),
                    bracket: false,
                    filters: Vec::new(),
                },
                conf: SslConf::default(),
            });
        }
        self.lists.insert(dir.to_string(), list);
        Ok(())
    }

    fn load_list(&mut self, path: &str, global: &GlobalSsl) -> Result<(), String> {
        if self.lists.contains_key(path) {
            return Ok(());
        }
        let (lines, linecount) =
            load_crt_list_counted(path).map_err(|e| format!("'crt-list' : {e}"))?;
        let mut list = CrtList {
            linecount,
            ..CrtList::default()
        };
        for e in lines {
            let conf = entry_conf(&e, global, path)?;
            let file = join_base(global.crt_base.as_deref(), &e.file);
            for f in crt_files(Path::new(&file))?.files() {
                self.cert(f)?;
                let entry = CrtListEntry {
                    file: f.clone(),
                    ..e.clone()
                };
                list.entries.push(ListEntry {
                    entry,
                    conf: conf.clone(),
                });
            }
        }
        self.lists.insert(path.to_string(), list);
        Ok(())
    }

    /// The certificates `slots` reach now, in the bind's order.
    pub fn instances<'a>(&'a self, slots: &'a [Slot]) -> Vec<Inst<'a>> {
        let mut out = Vec::new();
        for slot in slots {
            match slot {
                Slot::Cert(p) => out.push(Inst {
                    path: p,
                    from: None,
                    filters: &[],
                    conf: None,
                }),
                Slot::List(l) => {
                    let Some(list) = self.lists.get(l) else {
                        continue;
                    };
                    for (i, e) in list.entries.iter().enumerate() {
                        out.push(Inst {
                            path: &e.entry.file,
                            from: Some((l, i)),
                            filters: &e.entry.filters,
                            conf: Some(&e.conf),
                        });
                    }
                }
            }
        }
        out
    }

    /// What [`BindTls::prepare`] takes for `slots`.
    pub fn entries(&self, slots: &[Slot]) -> Vec<CertEntry> {
        self.instances(slots)
            .into_iter()
            .filter_map(|i| {
                let cert = self.certs.get(i.path)?.clone()?;
                let conf = i.conf.cloned().unwrap_or_default();
                Some((cert, i.filters.to_vec(), conf))
            })
            .collect()
    }

    /// How many times binds use the certificate at `path`.
    pub fn uses(&self, path: &str) -> usize {
        self.binds
            .iter()
            .map(|b| {
                self.instances(&b.slots)
                    .iter()
                    .filter(|i| i.path == path)
                    .count()
            })
            .sum()
    }

    /// Whether a crt-list names the certificate at `path`.
    pub fn listed(&self, path: &str) -> bool {
        self.lists
            .values()
            .any(|l| l.entries.iter().any(|e| e.entry.file == path))
    }

    /// The name a crt-list is known by: `name` itself, or without the
    /// trailing slashes of a directory.
    pub fn list_name(&self, name: &str) -> Option<String> {
        [name, dir_name(name)]
            .into_iter()
            .find(|n| self.lists.contains_key(*n))
            .map(str::to_string)
    }

    /// Rebuilds the binds `pick` chooses from the store as it is now:
    /// every set is prepared first, then all are installed. On failure
    /// nothing is installed; the error names the bind that failed, after
    /// the count of binds prepared before it.
    pub fn rebuild(&self, pick: impl Fn(&BindUse) -> bool) -> Result<usize, (usize, String)> {
        let mut ready: Vec<(&Arc<BindTls>, CertSet)> = Vec::new();
        for b in self.binds.iter().filter(|b| pick(b)) {
            let mut warnings = Vec::new();
            match b.tls.prepare(self.entries(&b.slots), &mut warnings) {
                Ok(set) => ready.push((&b.tls, set)),
                Err(e) => {
                    let spec = b
                        .tls
                        .ssl()
                        .who
                        .split('\'')
                        .nth(1)
                        .and_then(|w| w.strip_prefix("bind "))
                        .unwrap_or("")
                        .to_string();
                    let msg = format!("Proxy '{}': {e} for bind '{spec}' at [{}].", b.proxy, b.loc);
                    return Err((ready.len() + 1, msg));
                }
            }
        }
        let n = ready.len();
        for (tls, set) in ready {
            tls.install(set);
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "tests_store.rs"]
mod tests;
