//! Loading certificates as HAProxy 2.6's `bind ... crt <file|dir>`,
//! `ca-file` and `crl-file` do, into rustls's types.
//!
//! A `crt` PEM file holds the leaf, then any chain certificates, and the
//! private key anywhere in it (PKCS#1 RSA, SEC1 EC or PKCS#8; the first
//! key found is used). Without a key, `<file>.key` is read for one. A
//! `crt` naming a directory loads every regular file in it in byte order
//! of the names, except dotfiles and the reserved extensions `.key`,
//! `.ocsp`, `.issuer` and `.sctl` (case-sensitive; symbolic links are
//! followed). A `crt` naming nothing is tried as a multi-cert bundle:
//! `<name>.dsa`, `<name>.ecdsa`, `<name>.rsa`, in that order, each found one
//! loaded as its own certificate.
//!
//! The SNI names of a certificate are its SAN DNS names and then every
//! CN, lowercased: 2.6 inserts both (a `CN=a` with `SAN=DNS:b` answers to
//! `a` and `b`), checked with the binary.
//!
//! Errors are 2.6's text after the bind line's prefix (checked with the
//! binary, `<f>` the path as written after `crt-base` joining):
//! - `unable to stat SSL certificate from file '<f>' : No such file or directory.`
//! - `cannot open the file '<f>'.` (unreadable)
//! - `unable to load certificate from file '<f>'.` (no or bad certificate)
//! - `No Private Key found in '<f>.key'.` (no key in `<f>`, no `<f>.key`)
//! - ` '<f>.key' is present but cannot be read or parsed'.` (unreadable
//!   `.key`; the leading space is 2.6's), and for a `.key` without a key
//!   `\n  unable to load private key from file '<f>.key'.\n   '<f>.key' is
//!   present but cannot be read or parsed'.`
//! - `inconsistencies between private key and certificate loaded '<f>'.`
//! - `unable to scan directory '<d>' : Permission denied.`
//!
//! An encrypted key counts as no key (2.6 would prompt for a passphrase).
//! A key that OpenSSL takes but ring cannot sign with (P-521, RSA under
//! 2048 bits, DSA, Ed448) fails with our own wording:
//! `unable to load private key from file '<f>' (<reason>).`

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, SignatureAlgorithm};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::certinfo::CertInfo;

/// The type of a certificate's key, which decides which clients can use
/// it (their signature algorithms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgo {
    Rsa,
    Ecdsa,
    Ed25519,
}

/// One certificate file loaded for a bind line.
#[derive(Clone, Debug)]
pub struct LoadedCert {
    /// The file as named in the configuration, after `crt-base` joining
    /// (the name `show ssl cert` lists).
    pub path: String,
    /// Chain and signing key, for rustls.
    pub key: Arc<CertifiedKey>,
    /// SNI names: SAN DNS names then CNs, lowercased, without repeats;
    /// may hold wildcards such as `*.example.com`.
    pub names: Vec<String>,
    pub algo: KeyAlgo,
    pub info: CertInfo,
}

/// `crt-base`/`ca-base` joining as 2.6 does it: a path not starting with
/// `/` gets `<base>/` in front, even when the base ends with `/` (the
/// binary shows `crt-base /tmp/hx/` making `/tmp/hx//rsa.pem`).
/// `ca-file @system-ca` is not a path; callers leave it alone.
pub fn join_base(base: Option<&str>, path: &str) -> String {
    match base {
        Some(b) if !path.starts_with('/') => format!("{b}/{path}"),
        _ => path.to_string(),
    }
}

/// `strerror()` text, as in HAProxy's messages (Rust adds " (os error N)").
fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

fn stat_error(name: &str, e: &io::Error) -> String {
    format!(
        "unable to stat SSL certificate from file '{name}' : {}.",
        strerror(e)
    )
}

/// Loads one PEM file: chain, key (or `<file>.key`), and checks that the
/// key belongs to the leaf.
pub fn load_pem(path: &Path) -> Result<LoadedCert, String> {
    let name = path.to_string_lossy().into_owned();
    fs::metadata(path).map_err(|e| stat_error(&name, &e))?;
    let pem = fs::read(path).map_err(|_| format!("cannot open the file '{name}'."))?;
    let chain = read_chain(&pem, &name)?;
    // Any trouble with a key in the file itself (none, encrypted, bad
    // base64) sends 2.6 to the `.key` file.
    let (key_der, key_src) = match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(k) => (k, name.clone()),
        Err(_) => key_file(&name)?,
    };
    finish(name, chain, key_der, &key_src)
}

/// The certificates of a PEM text, leaf first, or 2.6's error when there
/// is none or the leaf is not X.509.
fn read_chain(pem: &[u8], name: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let no_cert = || format!("unable to load certificate from file '{name}'.");
    // The certificates before the first unreadable section (such as a
    // key block with bad base64): that section is the key's business,
    // which then falls back to `<file>.key` as 2.6's does.
    let chain: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .map_while(Result::ok)
        .collect();
    let leaf_der = chain.first().ok_or_else(no_cert)?;
    X509Certificate::from_der(leaf_der).map_err(|_| no_cert())?;
    Ok(chain)
}

/// A certificate whose chain and key are read: the key checked against
/// the leaf and made a signer, the SNI names and the `show` fields taken.
fn finish(
    name: String,
    chain: Vec<CertificateDer<'static>>,
    key_der: PrivateKeyDer<'static>,
    key_src: &str,
) -> Result<LoadedCert, String> {
    let no_cert = || format!("unable to load certificate from file '{name}'.");
    let leaf_der = chain.first().ok_or_else(no_cert)?;
    let (_, leaf) = X509Certificate::from_der(leaf_der).map_err(|_| no_cert())?;
    let signer = super::ciphers::backend::sign::any_supported_type(&key_der)
        .map_err(|e| format!("unable to load private key from file '{key_src}' ({e})."))?;
    // The comparison `CertifiedKey::keys_match` makes, done here on
    // x509-parser's reading of the leaf: keys_match parses it with webpki,
    // which refuses version 1 certificates that 2.6 serves.
    if let Some(spki) = signer.public_key() {
        if spki.as_ref() != leaf.public_key().raw {
            return Err(format!(
                "inconsistencies between private key and certificate loaded '{name}'."
            ));
        }
    }
    let algo = match signer.algorithm() {
        SignatureAlgorithm::RSA => KeyAlgo::Rsa,
        SignatureAlgorithm::ECDSA => KeyAlgo::Ecdsa,
        SignatureAlgorithm::ED25519 => KeyAlgo::Ed25519,
        other => {
            let why = format!("{other:?} keys are not supported");
            return Err(format!(
                "unable to load private key from file '{key_src}' ({why})."
            ));
        }
    };
    let names = sni_names(&leaf);
    let info = CertInfo::from_chain(&chain).ok_or_else(no_cert)?;
    Ok(LoadedCert {
        path: name,
        key: Arc::new(CertifiedKey::new(chain, signer)),
        names,
        algo,
        info,
    })
}

/// A certificate given on the CLI (`set ssl cert <file> <payload>`): read
/// but not yet checked. As in 2.6 the key may be missing or belong to
/// another certificate until the commit, which refuses it.
#[derive(Debug)]
pub struct PendingCert {
    chain: Vec<CertificateDer<'static>>,
    key: Option<PrivateKeyDer<'static>>,
    /// The fields `show ssl cert *<file>` prints.
    pub info: CertInfo,
}

impl Clone for PendingCert {
    fn clone(&self) -> PendingCert {
        PendingCert {
            chain: self.chain.clone(),
            key: self.key.as_ref().map(PrivateKeyDer::clone_key),
            info: self.info.clone(),
        }
    }
}

impl PendingCert {
    /// Reads a PEM payload; `name` is the file it is meant for, named in
    /// 2.6's error (`unable to load certificate from file '<name>'.`).
    /// Nothing is read from disk: no `<file>.key` fallback.
    pub fn parse(pem: &[u8], name: &str) -> Result<PendingCert, String> {
        let chain = read_chain(pem, name)?;
        let info = CertInfo::from_chain(&chain)
            .ok_or_else(|| format!("unable to load certificate from file '{name}'."))?;
        Ok(PendingCert {
            chain,
            key: PrivateKeyDer::from_pem_slice(pem).ok(),
            info,
        })
    }

    /// The certificate ready to serve as `name`, or 2.6's refusal.
    pub fn into_loaded(self, name: &str) -> Result<LoadedCert, String> {
        let key = self
            .key
            .ok_or("The transaction must contain at least a certificate and a private key!")?;
        finish(name.to_string(), self.chain, key, name)
    }
}

/// The key of `<name>.key`, for a PEM file without one.
fn key_file(name: &str) -> Result<(PrivateKeyDer<'static>, String), String> {
    let kname = format!("{name}.key");
    if fs::metadata(&kname).is_err() {
        return Err(format!("No Private Key found in '{kname}'."));
    }
    let unreadable = format!(" '{kname}' is present but cannot be read or parsed'.");
    let text = fs::read(&kname).map_err(|_| unreadable.clone())?;
    match PrivateKeyDer::from_pem_slice(&text) {
        Ok(k) => Ok((k, kname)),
        Err(_) => Err(format!(
            "\n  unable to load private key from file '{kname}'.\n  {unreadable}"
        )),
    }
}

/// SAN DNS names then CNs, lowercased, first occurrence kept.
fn sni_names(leaf: &X509Certificate<'_>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        let n = n.to_ascii_lowercase();
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    };
    if let Ok(Some(san)) = leaf.subject_alternative_name() {
        for gn in &san.value.general_names {
            if let GeneralName::DNSName(d) = gn {
                add(d);
            }
        }
    }
    for cn in leaf.subject().iter_common_name() {
        add(&String::from_utf8_lossy(cn.as_slice()));
    }
    names
}

/// The names of a DER certificate as [`sni_names`] lists them (none when
/// it does not parse): what a server's certificate is checked against.
pub fn cert_names(der: &[u8]) -> Vec<String> {
    X509Certificate::from_der(der)
        .map(|(_, leaf)| sni_names(&leaf))
        .unwrap_or_default()
}

/// The files a `crt <path>` argument stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrtFiles {
    /// One PEM file.
    File(String),
    /// A directory (its name as [`dir_name`] gives it) and its files:
    /// 2.6 makes it a crt-list of that name.
    Dir(String, Vec<String>),
    /// The `.dsa`, `.ecdsa` and `.rsa` files of a multi-cert bundle.
    Bundle(Vec<String>),
}

impl CrtFiles {
    /// Every file, in load order.
    pub fn files(&self) -> &[String] {
        match self {
            CrtFiles::File(f) => std::slice::from_ref(f),
            CrtFiles::Dir(_, v) | CrtFiles::Bundle(v) => v,
        }
    }
}

/// Finds what `crt <path>` names: a file, a directory's files, or a
/// bundle; the errors are those of [`load_crt_arg`] before any file is read.
pub fn crt_files(path: &Path) -> Result<CrtFiles, String> {
    let name = path.to_string_lossy();
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => dir_files(path),
        Ok(_) => Ok(CrtFiles::File(name.into_owned())),
        Err(e) => {
            let found: Vec<String> = ["dsa", "ecdsa", "rsa"]
                .iter()
                .map(|ext| format!("{name}.{ext}"))
                .filter(|p| fs::metadata(p).is_ok())
                .collect();
            if found.is_empty() {
                return Err(stat_error(&name, &e));
            }
            Ok(CrtFiles::Bundle(found))
        }
    }
}

/// What `crt <path>` loads: a file, a directory's files, or a bundle.
pub fn load_crt_arg(path: &Path) -> Result<Vec<LoadedCert>, String> {
    crt_files(path)?
        .files()
        .iter()
        .map(|f| load_pem(Path::new(f)))
        .collect()
}

/// The file names a `crt <dir>` skips.
fn skipped_in_dir(file: &[u8]) -> bool {
    file.starts_with(b".")
        || [&b".key"[..], b".ocsp", b".issuer", b".sctl"]
            .iter()
            .any(|ext| file.ends_with(ext))
}

/// A directory's name as 2.6 keeps it: without trailing slashes (the
/// name of its implicit crt-list, and the prefix of its files' names).
pub fn dir_name(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() && !path.is_empty() {
        "/"
    } else {
        t
    }
}

fn dir_files(path: &Path) -> Result<CrtFiles, String> {
    let full = path.to_string_lossy();
    let dir = dir_name(&full);
    let scan_err = |e: io::Error| format!("unable to scan directory '{dir}' : {}.", strerror(&e));
    let mut files = Vec::new();
    for entry in fs::read_dir(path).map_err(scan_err)? {
        files.push(entry.map_err(scan_err)?.file_name());
    }
    // alphasort in the C locale: byte order.
    files.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let mut out = Vec::new();
    for f in files.iter().filter(|f| !skipped_in_dir(f.as_bytes())) {
        let sep = if dir.ends_with('/') { "" } else { "/" };
        let p = format!("{dir}{sep}{}", f.to_string_lossy());
        match fs::metadata(&p) {
            Ok(m) if m.is_file() => out.push(p),
            Ok(_) => {}
            Err(e) => return Err(stat_error(&p, &e)),
        }
    }
    Ok(CrtFiles::Dir(dir.to_string(), out))
}

/// Certificates and CRLs of a `ca-file`/`crl-file` (2.6 reads both kinds
/// from either). A directory gives the certificates of its `.pem`, `.crt`,
/// `.cer` and `.crl` files (dotfiles skipped; a file without one is skipped
/// where 2.6 warns). Errors are 2.6's first alert; the bind error it
/// adds is `'ca-file' : unable to load <f>` (or `'crl-file' : ...`).
fn load_store(
    path: &Path,
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        Vec<CertificateRevocationListDer<'static>>,
    ),
    String,
> {
    let name = path.to_string_lossy();
    let open_err = |why: &str| format!("Couldn't open the ca-file '{name}' ({why}).");
    let meta = fs::metadata(path).map_err(|e| open_err(&strerror(&e)))?;
    let mut certs = Vec::new();
    let mut crls = Vec::new();
    if meta.is_dir() {
        let mut files: Vec<_> = fs::read_dir(path)
            .map_err(|e| open_err(&strerror(&e)))?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        files.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for f in &files {
            let b = f.as_bytes();
            let wanted = [&b".pem"[..], b".crt", b".cer", b".crl"]
                .iter()
                .any(|ext| b.ends_with(ext));
            if b.starts_with(b".") || !wanted {
                continue;
            }
            if let Ok(text) = fs::read(path.join(f)) {
                certs.extend(CertificateDer::pem_slice_iter(&text).filter_map(Result::ok));
            }
        }
    } else {
        let text = fs::read(path).map_err(|e| open_err(&strerror(&e)))?;
        certs.extend(CertificateDer::pem_slice_iter(&text).filter_map(Result::ok));
        crls.extend(CertificateRevocationListDer::pem_slice_iter(&text).filter_map(Result::ok));
    }
    if certs.is_empty() && crls.is_empty() {
        return Err(open_err("no certificate or crl found"));
    }
    Ok((certs, crls))
}

/// `ca-file <f>`: the trust anchors for client (or server) certificates.
/// Certificates webpki cannot take as anchors are left out; a file of
/// CRLs only is accepted, as 2.6 does, and gives an empty store.
pub fn load_ca_file(path: &Path) -> Result<RootCertStore, String> {
    let (certs, _) = load_store(path)?;
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(certs);
    Ok(store)
}

/// The certificates and CRLs of a `ca-file` as read, for the checks
/// webpki cannot make (version 1 client certificates).
pub fn load_ca_ders(
    path: &Path,
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        Vec<CertificateRevocationListDer<'static>>,
    ),
    String,
> {
    load_store(path)
}

/// `crl-file <f>`: its CRLs (certificates in it are accepted and unused).
pub fn load_crl_file(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, String> {
    Ok(load_store(path)?.1)
}

#[cfg(test)]
#[path = "tests_certs.rs"]
mod tests;
