//! Tests for [`super`] and the CLI commands on it ([`crate::tls::cli`]):
//! certificates shared by path, a commit reaching every bind that uses
//! the file, crt-list lines added and removed. The answers' texts are
//! compared with HAProxy 2.6 by the `tls_cli` end-to-end tests.

use super::*;
use crate::tls::certs::KeyAlgo;
use crate::tls::testgen::{fixture, subdir};

fn bind(sources: Vec<CrtSource>, strict_sni: bool) -> BindSsl {
    BindSsl {
        who: "'bind :443' in section 'fe'".into(),
        enabled: true,
        sources,
        strict_sni,
        conf: SslConf::default(),
    }
}

/// A store with these binds built and registered, as the configuration
/// does; bind `i` is at `t.cfg:<10 + i>`.
fn store_with(binds: &[BindSsl]) -> CertStore {
    let store = CertStore::default();
    let g = GlobalSsl::default();
    for (i, b) in binds.iter().enumerate() {
        let (slots, certs) = store.load_bind(b, &g).unwrap();
        let tls = BindTls::build(b, &g, certs, true, &mut Vec::new()).unwrap();
        store.register_bind(Arc::new(tls), slots, "fe", format!("t.cfg:{}", 10 + i));
    }
    store
}

fn cli(store: &CertStore, line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    store.cli(&words).unwrap()
}

fn cli_payload(store: &CertStore, line: &str, payload: &str) -> String {
    let mut words: Vec<&str> = line.split(' ').collect();
    words.extend(["<<", payload]);
    store.cli(&words).unwrap()
}

fn path(f: &str) -> Option<String> {
    Some(fixture()?.join(f).display().to_string())
}

fn pem(f: &str) -> String {
    std::fs::read_to_string(fixture().unwrap().join(f)).unwrap()
}

/// The key types each bind serves, in order.
fn algos(store: &CertStore) -> Vec<Vec<KeyAlgo>> {
    let inner = store.lock();
    inner
        .binds
        .iter()
        .map(|b| inner.entries(&b.slots).iter().map(|e| e.0.algo).collect())
        .collect()
}

#[test]
fn a_file_named_twice_is_loaded_once() {
    let (Some(ec), Some(d)) = (path("ec.pem"), subdir("store-shared")) else {
        return;
    };
    let list = d.join("l.txt").display().to_string();
    std::fs::write(&list, format!("{ec} x.test\n")).unwrap();
    let store = store_with(&[
        bind(vec![CrtSource::Crt(ec.clone())], false),
        bind(vec![CrtSource::List(list.clone())], false),
    ]);
    let inner = store.lock();
    assert_eq!(inner.certs.len(), 1);
    assert_eq!(inner.uses(&ec), 2);
    let a = &inner.entries(&inner.binds[0].slots)[0].0;
    let b = &inner.entries(&inner.binds[1].slots)[0].0;
    assert!(Arc::ptr_eq(a, b));
    drop(inner);
    assert_eq!(cli(&store, "show ssl cert"), format!("# filename\n{ec}\n"));
    assert_eq!(cli(&store, "show ssl crt-list"), format!("{list}\n"));
}

#[test]
fn a_commit_reaches_every_bind_using_the_file() {
    let Some(ec) = path("ec.pem") else { return };
    let rsa = path("rsa.pem").unwrap();
    let store = store_with(&[
        bind(vec![CrtSource::Crt(ec.clone())], false),
        bind(vec![CrtSource::Crt(rsa), CrtSource::Crt(ec.clone())], false),
    ]);
    assert_eq!(
        algos(&store),
        [vec![KeyAlgo::Ecdsa], vec![KeyAlgo::Rsa, KeyAlgo::Ecdsa]]
    );
    let set = cli_payload(&store, &format!("set ssl cert {ec}"), &pem("rsa.pem"));
    assert_eq!(set, format!("Transaction created for certificate {ec}!\n"));
    assert!(cli(&store, &format!("show ssl cert *{ec}")).contains("CN=www.example.com"));
    // Nothing changes before the commit.
    assert_eq!(algos(&store)[0], [KeyAlgo::Ecdsa]);
    let done = cli(&store, &format!("commit ssl cert {ec}"));
    assert_eq!(done, format!("Committing {ec}..\nSuccess!\n"));
    assert_eq!(
        algos(&store),
        [vec![KeyAlgo::Rsa], vec![KeyAlgo::Rsa, KeyAlgo::Rsa]]
    );
    let shown = cli(&store, &format!("show ssl cert {ec}"));
    assert!(shown.starts_with(&format!("Filename: {ec}\nStatus: Used\n")));
    assert!(shown.contains("Subject: /C=FR/O=Test Org/CN=www.example.com\n"));
    assert!(!cli(&store, "show ssl cert").contains('*'));
}

#[test]
fn a_commit_needs_a_key_of_the_certificate() {
    let Some(ec) = path("ec.pem") else { return };
    let store = store_with(&[bind(vec![CrtSource::Crt(ec.clone())], false)]);
    cli_payload(&store, &format!("set ssl cert {ec}"), &pem("rsa.crt"));
    assert_eq!(
        cli(&store, &format!("commit ssl cert {ec}")),
        format!(
            "The transaction must contain at least a certificate and a private key!\n\
             Can't commit {ec}!\n"
        )
    );
    let mism = pem("rsa.crt") + &pem("ec.key");
    let upd = cli_payload(&store, "set ssl cert /elsewhere.pem", &mism);
    assert_eq!(upd, format!("Transaction updated for certificate {ec}!\n"));
    assert_eq!(
        cli(&store, &format!("commit ssl cert {ec}")),
        format!(
            "inconsistencies between private key and certificate loaded '{ec}'.\n\
             Can't commit {ec}!\n"
        )
    );
    // Refused commits keep the transaction and the served certificate.
    assert!(cli(&store, "show ssl cert").starts_with(&format!("# transaction\n*{ec}\n")));
    assert_eq!(algos(&store), [vec![KeyAlgo::Ecdsa]]);
}

#[test]
fn crt_list_lines_are_added_numbered_and_removed() {
    let (Some(ec), Some(d)) = (path("ec.pem"), subdir("store-lists")) else {
        return;
    };
    let rsa = path("rsa.pem").unwrap();
    let list = d.join("l.txt").display().to_string();
    std::fs::write(&list, format!("# c\n{ec}\n\n")).unwrap();
    let store = store_with(&[
        bind(vec![CrtSource::List(list.clone())], false),
        bind(
            vec![CrtSource::Crt(ec.clone()), CrtSource::List(list.clone())],
            false,
        ),
        bind(vec![CrtSource::List(list.clone())], true),
        // Only for rsa.pem to be known: a list takes known files only.
        bind(vec![CrtSource::Crt(rsa.clone())], false),
    ]);
    assert_eq!(
        cli(&store, &format!("add ssl crt-list {list} {rsa}")),
        format!("Inserting certificate '{rsa}' in crt-list '{list}'...\nSuccess!\n")
    );
    let line = format!("{rsa} [alpn h2] r.test\n");
    cli_payload(&store, &format!("add ssl crt-list {list}"), &line);
    assert_eq!(
        cli(&store, &format!("show ssl crt-list -n {list}")),
        format!("# {list}\n{ec}:2\n{rsa}:4\n{rsa}:5 [alpn h2\0] r.test\n")
    );
    assert_eq!(algos(&store)[0].len(), 3);
    // The list's first line is the first bind's default (not the second's,
    // nor the strict-sni third's).
    assert_eq!(
        cli(&store, &format!("del ssl crt-list {list} {ec}")),
        format!(
            "Can't delete the entry: certificate '{ec}' cannot be deleted, it is used as \
             default certificate by the following frontends:\n\t- t.cfg:10\n\n"
        )
    );
    let del = cli(&store, &format!("del ssl crt-list {list} {rsa}:4"));
    assert_eq!(del, format!("Entry '{rsa}' deleted in crtlist '{list}'!\n"));
    assert_eq!(
        algos(&store)[1],
        [KeyAlgo::Ecdsa, KeyAlgo::Ecdsa, KeyAlgo::Rsa]
    );
    let again = cli(&store, &format!("add ssl crt-list {list} {rsa}"));
    assert!(again.ends_with("Success!\n"));
    assert!(cli(&store, &format!("show ssl crt-list -n {list}")).ends_with(&format!("{rsa}:6\n")));
    assert!(cli(&store, &format!("del ssl cert {rsa}")).contains("in use"));
}

#[test]
fn a_directory_is_a_crt_list_of_its_files() {
    let (Some(ec), Some(d)) = (path("ec.pem"), subdir("store-dir")) else {
        return;
    };
    std::fs::copy(&ec, d.join("b.pem")).unwrap();
    std::fs::copy(path("rsa.pem").unwrap(), d.join("a.pem")).unwrap();
    let dir = d.display().to_string();
    let store = store_with(&[bind(vec![CrtSource::Crt(format!("{dir}/"))], false)]);
    assert_eq!(
        cli(&store, &format!("show ssl crt-list -n {dir}//")),
        format!("# {dir}\n{dir}/a.pem:0\n{dir}/b.pem:0\n")
    );
    assert_eq!(
        cli(&store, &format!("add ssl crt-list {dir} {ec}")),
        format!(
            "Can't edit the crt-list: '{dir}' is a directory, certificate path '{ec}' must \
             contain the directory path\n"
        )
    );
}
