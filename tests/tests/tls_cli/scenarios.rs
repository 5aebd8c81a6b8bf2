//! The command scripts of `tls_cli`, run alike on both binaries: each
//! returns the transcript (commands, answers, handshakes) that the test
//! compares.

use std::path::Path;

use super::{start, Held, Kit};
use tests::TempDir;

/// `show|set|commit|abort|new|del ssl cert`, their errors and levels, and
/// which certificate handshakes get after each change.
pub fn certs(kit: &Kit, bin: &Path) -> Vec<String> {
    let run_dir = TempDir::new();
    let (_px, mut r, p) = start(kit, bin, &run_dir);
    r.step("start");
    r.hs("fe0", p[0], "-");
    r.hs("fe0", p[0], "b.test");
    r.hs("fe1", p[1], "-");
    r.hs("fe2", p[2], "-");
    for c in [
        "show ssl cert",
        "show ssl cert KIT/a.pem",
        "show ssl cert KIT/zz.pem",
        "show ssl cert *KIT/a.pem",
        "show ssl cert KIT/dir/z1.pem",
        "operator; show ssl cert",
        "user; show ssl cert KIT/a.pem",
        "user; show ssl cert",
        "operator; set ssl cert KIT/a.pem",
        "operator; commit ssl cert KIT/a.pem",
        "operator; abort ssl cert KIT/a.pem",
        "operator; new ssl cert KIT/x.pem",
        "operator; del ssl cert KIT/a.pem",
    ] {
        r.cmd(c);
    }
    r.step("set");
    r.cmd("set ssl cert");
    r.cmd("set ssl cert KIT/a.pem");
    r.payload("set ssl cert KIT/zz.pem", "c.pem", &kit.pem("c.pem"));
    r.payload("set ssl cert KIT/zz.pem", "garbage", "garbage\n");
    r.payload("set ssl cert KIT/a.pem", "garbage", "garbage\n");
    r.payload("set ssl cert KIT/a.pem", "nothing", "");
    r.payload("set ssl cert KIT/a.pem", "key only", &kit.pem("c.key"));
    r.payload("set ssl cert KIT/a.pem", "c.crt", &kit.pem("c.crt"));
    r.cmd("commit ssl cert KIT/a.pem");
    // While a transaction is open, 2.6.12 updates it whatever file is named.
    let mixed = kit.pem("b.key") + &kit.pem("c.crt");
    r.payload("set ssl cert KIT/b.pem", "b.key+c.crt", &mixed);
    r.payload("set ssl cert KIT/b.pem", "garbage", "garbage\n");
    for c in [
        "show ssl cert",
        "show ssl cert *KIT/a.pem",
        "show ssl cert *KIT/b.pem",
        "commit ssl cert KIT/a.pem",
        "commit ssl cert KIT/b.pem",
        "abort ssl cert KIT/b.pem",
        "abort ssl cert",
        "commit ssl cert",
        "abort ssl cert KIT/a.pem",
        "abort ssl cert KIT/a.pem",
        "commit ssl cert KIT/a.pem",
        "show ssl cert",
    ] {
        r.cmd(c);
    }
    r.hs("fe0", p[0], "-");
    r.step("commit");
    let (held, first) = Held::open(kit, p[0], "-");
    r.t.push(format!("held connection opened: {first}"));
    let chain = kit.pem("c.key") + &kit.pem("c.crt") + &kit.pem("d.crt");
    r.payload("set ssl cert KIT/a.pem", "c.key+c.crt+d.crt", &chain);
    r.cmd("show ssl cert *KIT/a.pem");
    r.payload("set ssl cert KIT/a.pem", "c.pem", &kit.pem("c.pem"));
    r.cmd("commit ssl cert KIT/a.pem");
    r.hs("fe0", p[0], "-");
    r.hs("fe0", p[0], "c.test");
    r.hs("fe1", p[1], "c.test");
    r.hs("fe1", p[1], "a.test");
    r.hs("fe2", p[2], "c.test");
    r.t.push(format!("held connection: {}", held.again(kit)));
    r.cmd("show ssl cert KIT/a.pem");
    r.payload("set ssl cert KIT/d.pem", "b.pem", &kit.pem("b.pem"));
    r.cmd("commit ssl cert KIT/d.pem");
    r.hs("fe0", p[0], "d.test");
    r.step("new");
    for c in [
        "new ssl cert",
        "new ssl cert KIT/a.pem",
        "new ssl cert KIT/n.pem",
        "new ssl cert KIT/n.pem",
        "show ssl cert",
        "show ssl cert KIT/n.pem",
        "add ssl crt-list KIT/list.txt KIT/n.pem",
        "commit ssl cert KIT/n.pem",
    ] {
        r.cmd(c);
    }
    r.payload("set ssl cert KIT/n.pem", "e.crt", &kit.pem("e.crt"));
    r.cmd("commit ssl cert KIT/n.pem");
    r.payload("set ssl cert KIT/n.pem", "e.pem", &kit.pem("e.pem"));
    r.cmd("show ssl cert *KIT/n.pem");
    r.cmd("commit ssl cert KIT/n.pem");
    r.cmd("show ssl cert KIT/n.pem");
    let line = format!("{} new.test\n", kit.path("n.pem"));
    r.payload("add ssl crt-list KIT/list.txt", "n.pem new.test", &line);
    r.hs("fe1", p[1], "new.test");
    r.hs("fe0", p[0], "new.test");
    r.hs("fe2", p[2], "new.test");
    r.cmd("show ssl cert KIT/n.pem");
    r.step("del");
    for c in [
        "del ssl cert",
        "del ssl cert KIT/zzz",
        "del ssl cert KIT/n.pem",
        "del ssl crt-list KIT/list.txt KIT/n.pem",
        "del ssl cert KIT/n.pem",
        "show ssl cert KIT/n.pem",
        "del ssl crt-list KIT/list2.txt KIT/e.pem",
    ] {
        r.cmd(c);
    }
    r.hs("fe1", p[1], "new.test");
    r.payload("set ssl cert KIT/e.pem", "a.pem", &kit.pem("a.pem"));
    r.cmd("del ssl cert KIT/e.pem");
    r.cmd("abort ssl cert KIT/e.pem");
    r.cmd("del ssl cert KIT/a.pem");
    r.cmd("show ssl cert");
    r.t
}

/// `add|del|show ssl crt-list`, on files and on a directory, and what
/// handshakes get after each change.
pub fn crt_lists(kit: &Kit, bin: &Path) -> Vec<String> {
    let run_dir = TempDir::new();
    let (_px, mut r, p) = start(kit, bin, &run_dir);
    r.step("start");
    for c in [
        "show ssl crt-list",
        "show ssl crt-list -n KIT/list.txt",
        "show ssl crt-list KIT/list.txt",
        "show ssl crt-list -n",
        "show ssl crt-list nope",
        "show ssl crt-list KIT/dir/",
        "show ssl crt-list -n KIT/dir",
        "operator; show ssl crt-list",
        "operator; add ssl crt-list KIT/list.txt KIT/c.pem",
        "operator; del ssl crt-list KIT/list.txt KIT/b.pem",
    ] {
        r.cmd(c);
    }
    r.step("add");
    for c in [
        "add ssl crt-list",
        "add ssl crt-list KIT/list.txt",
        "add ssl crt-list KIT/nolist KIT/c.pem",
        "add ssl crt-list KIT/nolist KIT/zz.pem",
        "add ssl crt-list KIT/list.txt KIT/zz.pem",
    ] {
        r.cmd(c);
    }
    // c.pem is in no configuration line: made known through the CLI.
    r.cmd("new ssl cert KIT/c.pem");
    r.payload("set ssl cert KIT/c.pem", "c.pem", &kit.pem("c.pem"));
    r.cmd("commit ssl cert KIT/c.pem");
    let c = kit.path("c.pem");
    let a = kit.path("a.pem");
    let add = "add ssl crt-list KIT/list.txt";
    r.payload(add, "two lines", &format!("{c}\n{a}\n"));
    r.payload(add, "bad keyword", &format!("{c} [foo bar]\n"));
    r.payload(add, "blank", "  \n");
    r.payload(add, "comment", "# x\n");
    r.payload(add, "unknown cert", "/nonexistent.pem\n");
    r.cmd("add ssl crt-list KIT/list.txt KIT/c.pem [alpn h2] x.test");
    r.hs("fe1", p[1], "x.test");
    let line = format!("{c} [alpn h2 ssl-min-ver TLSv1.2] x.test !y.test\n");
    r.payload(add, "c.pem with options and filters", &line);
    r.hs("fe1", p[1], "x.test");
    r.hs("fe0", p[0], "x.test");
    r.hs("fe2", p[2], "x.test");
    r.cmd("show ssl crt-list -n KIT/list.txt");
    r.cmd("add ssl crt-list KIT/dir KIT/c.pem");
    r.cmd("add ssl crt-list KIT/list2.txt KIT/d.pem");
    r.cmd("show ssl crt-list -n KIT/list2.txt");
    r.cmd("show ssl cert KIT/c.pem");
    r.step("del");
    for c in [
        "del ssl crt-list",
        "del ssl crt-list KIT/list.txt",
        "del ssl crt-list KIT/nol KIT/a.pem",
        "del ssl crt-list KIT/list.txt KIT/zzz",
        "del ssl crt-list KIT/list.txt KIT/a.pem",
        "del ssl crt-list KIT/list.txt KIT/c.pem",
        "del ssl crt-list KIT/list.txt KIT/c.pem:99",
        "del ssl crt-list KIT/list.txt KIT/c.pem:x",
        "del ssl crt-list KIT/list.txt KIT/c.pem:7",
    ] {
        r.cmd(c);
    }
    r.hs("fe1", p[1], "x.test");
    for c in [
        "del ssl crt-list KIT/list.txt KIT/c.pem",
        "del ssl crt-list KIT/list.txt KIT/b.pem",
        "del ssl crt-list KIT/list2.txt KIT/e.pem",
        "del ssl crt-list KIT/list2.txt KIT/d.pem",
        "show ssl crt-list -n KIT/list.txt",
        "show ssl crt-list -n KIT/list2.txt",
        "show ssl cert KIT/c.pem",
    ] {
        r.cmd(c);
    }
    r.step("dir");
    r.hs("fe3", p[3], "-");
    r.hs("fe3", p[3], "d.test");
    r.hs("fe3", p[3], "e.test");
    r.cmd("del ssl crt-list KIT/dir KIT/dir/a1.pem");
    r.hs("fe3", p[3], "d.test");
    r.cmd("add ssl crt-list KIT/dir/ KIT/dir/a1.pem");
    r.hs("fe3", p[3], "d.test");
    r.cmd("show ssl crt-list -n KIT/dir");
    r.cmd("del ssl crt-list KIT/dir KIT/dir/z1.pem");
    r.cmd("del ssl crt-list KIT/dir KIT/dir/a1.pem");
    r.hs("fe3", p[3], "d.test");
    r.cmd("show ssl crt-list KIT/dir");
    r.cmd("show ssl cert");
    r.t
}
