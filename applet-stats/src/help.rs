//! CLI keyword table, `help` text and the "Unknown command" answer.
//!
//! The usage lines are HAProxy 2.6's, limited to the commands we implement.
//! An unknown command gets 2.6's answer: the header
//! `Unknown command, but maybe one of the following ones is a better match:`
//! (or `Unknown command. Please enter one of the following commands only:`
//! for an empty command) followed by the closest keywords, chosen as 2.6
//! does: keywords sharing the longest run of exact leading words, then a
//! fuzzy match of the remaining words on character-transition fingerprints
//! (best 5, dropping those more than 2.5x worse than the best), sorted by
//! usage text, then the fixed `help`/`prompt`/`quit` lines.

/// One CLI keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword {
    /// Leading words that select the command.
    pub words: &'static [&'static str],
    /// Usage line (`syntax` padded to 40 columns, `: `, description);
    /// `None` for commands not listed by `help`.
    pub usage: Option<&'static str>,
}

const fn kw(words: &'static [&'static str], usage: &'static str) -> Keyword {
    Keyword {
        words,
        usage: Some(usage),
    }
}

/// Implemented keywords, in registration order (ties in fuzzy matching
/// keep this order).
#[rustfmt::skip]
pub const KEYWORDS: &[Keyword] = &[
    Keyword { words: &["help"], usage: None },
    Keyword { words: &["prompt"], usage: None },
    Keyword { words: &["quit"], usage: None },
    kw(&["set", "maxconn", "global"], "set maxconn global <value>              : change the per-process maxconn setting"),
    kw(&["show", "cli", "level"], "show cli level                          : display the level of the current CLI session"),
    kw(&["show", "version"], "show version                            : show version of the current process"),
    kw(&["operator"], "operator                                : lower the level of the current CLI session to operator"),
    kw(&["user"], "user                                    : lower the level of the current CLI session to user"),
    kw(&["set", "maxconn", "frontend"], "set maxconn frontend <frontend> <value> : change a frontend's maxconn setting"),
    kw(&["show", "servers", "conn"], "show servers conn [<backend>]           : dump server connections status (all or for a single backend)"),
    kw(&["show", "servers", "state"], "show servers state [<backend>]          : dump volatile server information (all or for a single backend)"),
    kw(&["show", "backend"], "show backend                            : list backends in the current running config"),
    kw(&["show", "pools"], "show pools                              : report information about the memory pools usage"),
    kw(&["disable", "agent"], "disable agent                           : disable agent checks"),
    kw(&["disable", "health"], "disable health                          : disable health checks"),
    kw(&["disable", "server"], "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)"),
    kw(&["enable", "agent"], "enable agent                            : enable agent checks"),
    kw(&["enable", "health"], "enable health                           : enable health checks"),
    kw(&["enable", "server"], "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)"),
    kw(&["set", "maxconn", "server"], "set maxconn server <bk>/<srv>           : change a server's maxconn setting"),
    kw(&["set", "server"], "set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl"),
    kw(&["get", "weight"], "get weight <bk>/<srv>                   : report a server's current weight"),
    kw(&["set", "weight"], "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)"),
    kw(&["clear", "counters"], "clear counters [all]                    : clear max statistics counters (or all counters)"),
    kw(&["show", "info"], "show info [desc|json|typed|float]*      : report information about the running process"),
    kw(&["show", "stat"], "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server"),
    kw(&["show", "sess"], "show sess [id]                          : report the list of current sessions or dump this exact session"),
    kw(&["shutdown", "session"], "shutdown session [id]                   : kill a specific session"),
    kw(&["shutdown", "sessions", "server"], "shutdown sessions server <bk>/<srv>     : kill sessions on a server"),
    kw(&["clear", "table"], "clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)"),
    kw(&["set", "table"], "set table <table> key <k> [data.* <v>]* : update or create a table entry's data"),
    kw(&["show", "table"], "show table <table> [<filter>]*          : report table usage stats or dump this table's contents (filter: data/key)"),
    kw(&["show", "peers"], "show peers [dict|-] [section]           : dump some information about all the peers or this peers section"),
    kw(&["add", "acl"], "add acl [@<ver>] <acl> <pattern>        : add an acl entry"),
    kw(&["add", "map"], "add map [@<ver>] <map> <key> <val>      : add a map entry (payload supported instead of key/val)"),
    kw(&["clear", "acl"], "clear acl [@<ver>] <acl>                : clear the contents of this acl"),
    kw(&["clear", "map"], "clear map [@<ver>] <map>                : clear the contents of this map"),
    kw(&["commit", "acl"], "commit acl @<ver> <acl>                 : commit the ACL at this version"),
    kw(&["commit", "map"], "commit map @<ver> <map>                 : commit the map at this version"),
    kw(&["del", "acl"], "del acl <acl> [<key>|#<ref>]            : delete acl entries matching <key>"),
    kw(&["del", "map"], "del map <map> [<key>|#<ref>]            : delete map entries matching <key>"),
    kw(&["get", "acl"], "get acl <acl> <value>                   : report the patterns matching a sample for an ACL"),
    kw(&["get", "map"], "get map <acl> <value>                   : report the keys and values matching a sample for a map"),
    kw(&["prepare", "acl"], "prepare acl <acl>                       : prepare a new version for atomic ACL replacement"),
    kw(&["prepare", "map"], "prepare map <acl>                       : prepare a new version for atomic map replacement"),
    kw(&["set", "map"], "set map <map> [<key>|#<ref>] <value>    : modify a map entry"),
    kw(&["show", "acl"], "show acl [@<ver>] <acl>]                : report available acls or dump an acl's contents"),
    kw(&["show", "map"], "show map [@ver] [map]                   : report available maps or dump a map's contents"),
    kw(&["new", "ssl", "cert"], "new ssl cert <certfile>                 : create a new certificate file to be used in a crt-list or a directory"),
    kw(&["set", "ssl", "cert"], "set ssl cert <certfile> <payload>       : replace a certificate file"),
    kw(&["commit", "ssl", "cert"], "commit ssl cert <certfile>              : commit a certificate file"),
    kw(&["abort", "ssl", "cert"], "abort ssl cert <certfile>               : abort a transaction for a certificate file"),
    kw(&["del", "ssl", "cert"], "del ssl cert <certfile>                 : delete an unused certificate file"),
    kw(&["show", "ssl", "cert"], "show ssl cert [<certfile>]              : display the SSL certificates used in memory, or the details of a file"),
    kw(&["add", "ssl", "crt-list"], "add ssl crt-list <list> <cert> [opts]*  : add to crt-list file <list> a line <cert> or a payload"),
    kw(&["del", "ssl", "crt-list"], "del ssl crt-list <list> <cert[:line]>   : delete a line <cert> from crt-list file <list>"),
    kw(&["show", "ssl", "crt-list"], "show ssl crt-list [-n] [<list>]         : show the list of crt-lists or the content of a crt-list file <list>"),
    kw(&["get", "var"], "get var <name>                          : retrieve contents of a process-wide variable"),
    Keyword { words: &["set", "var"], usage: None },
    Keyword { words: &["experimental-mode"], usage: None },
];

/// Lines always printed at the end of a usage message.
pub const FIXED_USAGE: &str =
    "  help [<command>]                        : list matching or all commands\n  \
prompt                                  : toggle interactive mode with prompt\n  \
quit                                    : disconnect\n";

/// Number of words considered by the matcher.
const PREFIX_WORDS: usize = 5;
/// Number of fuzzy candidates kept.
const MAX_MATCHES: usize = 5;

/// Finds the command whose words all equal the leading arguments (extra
/// arguments are parameters).
pub fn find(args: &[&str]) -> Option<&'static Keyword> {
    KEYWORDS
        .iter()
        .find(|k| k.words.len() <= args.len() && k.words.iter().zip(args).all(|(w, a)| w == a))
}

/// Adds `word`'s character transitions to a 32x32 fingerprint (letters
/// 1-26, digits 27, anything else 28, which is also the begin/end mark).
fn add_fingerprint(fp: &mut [u8; 1024], word: &str) {
    let mut from = 28usize;
    for c in word.chars() {
        let c = c.to_ascii_lowercase();
        let to = match c {
            'a'..='z' => c as usize - 'a' as usize + 1,
            '0'..='9' => 27,
            _ => 28,
        };
        fp[to] = 1;
        fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
        from = to;
    }
    fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1);
}

fn distance(a: &[u8; 1024], b: &[u8; 1024]) -> i64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (i64::from(*x) - i64::from(*y)).abs())
        .sum()
}

/// Number of leading words of `k` equal to `args`, up to `limit`.
fn matched(k: &Keyword, args: &[&str], limit: usize) -> usize {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let mut idx = 0;
    while idx < limit && idx < k.words.len() && !arg(idx).is_empty() && k.words[idx] == arg(idx) {
        idx += 1;
    }
    idx
}

/// Builds the `help` answer (`args` starts with `help`) or the
/// unknown-command answer for `args`, without the CLI terminator.
pub fn usage_message(args: &[&str]) -> String {
    let is_help = args.first() == Some(&"help");
    let args = if is_help { &args[1..] } else { args };
    let arg = |i: usize| args.get(i).copied().unwrap_or("");

    let length = KEYWORDS
        .iter()
        .map(|k| matched(k, args, PREFIX_WORDS))
        .max()
        .unwrap_or(0);
    let mut out = String::from(if is_help {
        "The following commands are valid at this level:\n"
    } else if length == 0 && arg(0).is_empty() {
        "Unknown command. Please enter one of the following commands only:\n"
    } else {
        "Unknown command, but maybe one of the following ones is a better match:\n"
    });

    let mut best: Vec<(&Keyword, i64)> = Vec::new();
    if !arg(length).is_empty() {
        for k in KEYWORDS.iter().filter(|k| k.usage.is_some()) {
            if matched(k, args, length) != length {
                continue;
            }
            let mut word_fp = [0u8; 1024];
            let mut list_fp = [0u8; 1024];
            let mut total = 0i64;
            for w in (length..PREFIX_WORDS)
                .map(arg)
                .take_while(|w| !w.is_empty())
            {
                add_fingerprint(&mut word_fp, w);
                total += w.len() as i64;
            }
            for w in k.words.iter().skip(length).take(PREFIX_WORDS - length) {
                add_fingerprint(&mut list_fp, w);
                total += w.len() as i64;
            }
            let dist = distance(&word_fp, &list_fp);
            let worst = if best.len() < MAX_MATCHES {
                i64::MAX
            } else {
                best[MAX_MATCHES - 1].1
            };
            if dist < 5 * total / 2 && dist < worst {
                if best.len() == MAX_MATCHES {
                    best.pop();
                }
                // After the existing entries of equal distance.
                let at = best
                    .iter()
                    .position(|(_, d)| *d > dist)
                    .unwrap_or(best.len());
                best.insert(at, (k, dist));
            }
        }
    }

    let mut entries: Vec<&str> = match best.first() {
        Some(&(_, d0)) => best
            .iter()
            .take_while(|(_, d)| *d <= 5 * d0 / 2)
            .filter_map(|(k, _)| k.usage)
            .collect(),
        None => KEYWORDS
            .iter()
            .filter(|k| matched(k, args, length) == length)
            .filter_map(|k| k.usage)
            .collect(),
    };
    entries.sort_unstable();
    for e in entries {
        out.push_str("  ");
        out.push_str(e);
        out.push('\n');
    }
    out.push_str(FIXED_USAGE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn usage_lines_are_haproxy_2_6_lines() {
        let reference: Vec<&str> = testdata::REF_HELP.lines().collect();
        for k in KEYWORDS {
            if let Some(u) = k.usage {
                assert!(reference.contains(&format!("  {u}").as_str()), "{u}");
            }
        }
        assert!(testdata::REF_HELP.ends_with(&format!("{FIXED_USAGE}\n")));
    }

    #[test]
    fn help_lists_our_commands_sorted() {
        let out = usage_message(&["help"]);
        let reference: Vec<&str> = testdata::REF_HELP.lines().collect();
        let ours: Vec<&str> = out.lines().collect();
        // Same relative order as HAProxy's full list.
        let positions: Vec<usize> = ours
            .iter()
            .map(|l| reference.iter().position(|r| r == l).unwrap_or(usize::MAX))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
        assert_eq!(
            ours.len(),
            1 + KEYWORDS.iter().filter(|k| k.usage.is_some()).count() + 3
        );
    }

    #[test]
    fn unknown_commands() {
        let out = usage_message(&["set", "maxconn", "foo"]);
        assert_eq!(
            out,
            "Unknown command, but maybe one of the following ones is a better match:\n  \
set maxconn frontend <frontend> <value> : change a frontend's maxconn setting\n  \
set maxconn global <value>              : change the per-process maxconn setting\n  \
set maxconn server <bk>/<srv>           : change a server's maxconn setting\n"
                .to_string()
                + FIXED_USAGE
        );
        let out = usage_message(&["show", "cli"]);
        assert!(out.contains("show cli level") && !out.contains("show stat"));
        let out = usage_message(&[""]);
        assert!(
            out.starts_with("Unknown command. Please enter one of the following commands only:\n")
        );
        let out = usage_message(&["shwo", "stat"]);
        assert!(out.contains("  show stat [desc"), "{out}");
        let out = usage_message(&["help", "show", "stat"]);
        assert_eq!(
            out,
            "The following commands are valid at this level:\n  \
show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n"
                .to_string()
                + FIXED_USAGE
        );
    }

    #[test]
    fn finds_longest_keyword() {
        assert_eq!(
            find(&["set", "maxconn", "server", "a/b", "1"]).map(|k| k.words.len()),
            Some(3)
        );
        assert!(find(&["set", "maxconn"]).is_none());
        assert!(find(&["showstat"]).is_none());
    }
}
