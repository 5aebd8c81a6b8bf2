//! Tests of the regexes: PCRE syntax and semantics on the `regex` crate,
//! errors, refused constructs and linear-time matching.

use super::regex::{Regex, RegexError};

fn m(p: &str, s: &str) -> bool {
    Regex::new(p, false)
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .is_match(s.as_bytes())
}

fn mi(p: &str, s: &str) -> bool {
    Regex::new(p, true).unwrap().is_match(s.as_bytes())
}

fn err(p: &str) -> String {
    Regex::new(p, false).unwrap_err().to_string()
}

#[test]
fn literals_and_search() {
    assert!(m("abc", "xxabcxx"));
    assert!(!m("abc", "ab"));
    assert!(m("", ""));
    assert!(m("", "anything"));
    assert!(m("a.c", "abc"));
    assert!(!m("a.c", "a\nc"));
    assert!(m("\\.", "a.b"));
    assert!(!m("\\.", "ab"));
    assert!(m("\\/api\\/", "/api/v1"));
    assert!(m("a{b", "a{b"));
    assert!(m("x{,2}", "x{,2}"));
    assert!(m("a}", "a}"));
}

#[test]
fn anchors() {
    assert!(m("^/api", "/api/x"));
    assert!(!m("^/api", "/x/api"));
    assert!(m("\\.jpg$", "/a.jpg"));
    assert!(m("\\.jpg$", "/a.jpg\n"));
    assert!(!m("\\.jpg$", "/a.jpgx"));
    assert!(m("^$", ""));
    assert!(!m("^$", "a"));
    assert!(m("^a|b$", "ab"));
    assert!(m("^(a|b)$", "b"));
    assert!(!m("^(a|b)$", "ab"));
    assert!(m("\\bfoo\\b", "a foo b"));
    assert!(!m("\\bfoo\\b", "afoob"));
    assert!(m("\\Boo", "foo"));
}

#[test]
fn quantifiers() {
    assert!(m("^ab*c$", "ac"));
    assert!(m("^ab*c$", "abbbc"));
    assert!(!m("^ab+c$", "ac"));
    assert!(m("^ab+c$", "abc"));
    assert!(m("^ab?c$", "ac"));
    assert!(!m("^ab?c$", "abbc"));
    assert!(m("^a{3}$", "aaa"));
    assert!(!m("^a{3}$", "aa"));
    assert!(m("^a{2,}$", "aaaaa"));
    assert!(!m("^a{2,}$", "a"));
    assert!(m("^a{1,3}$", "aaa"));
    assert!(!m("^a{1,3}$", "aaaa"));
    assert!(m("^a{0,1}b$", "b"));
    assert!(m("^(ab){2}$", "abab"));
    assert!(m("^a*?b$", "aab"));
    assert!(m("^a+?$", "aaa"));
    assert!(m("^(a|ab)(c|bcd)(d*)$", "abcd"));
    // Loops whose body can be empty terminate.
    assert!(m("^(a*)*$", "aaa"));
    assert!(!m("^(a*)*$", "aab"));
    assert!(m("^(a?)+b$", "b"));
    assert!(m("^(|a)+$", "aa"));
    assert!(m("(\\b)*x", "x"));
}

#[test]
fn classes() {
    assert!(m("^[abc]+$", "cab"));
    assert!(!m("^[abc]+$", "cabd"));
    assert!(m("^[a-z0-9_-]+$", "ab-9_z"));
    assert!(m("^[^/]+$", "abc"));
    assert!(!m("^[^/]+$", "a/c"));
    assert!(m("^[]a]+$", "]a]"));
    assert!(m("^[^]]$", "x"));
    assert!(m("^[\\]\\-]+$", "]-"));
    assert!(m("^[.]$", "."));
    assert!(!m("^[.]$", "x"));
    assert!(m("^[[:digit:]]+$", "123"));
    assert!(m("^[[:alpha:]_]+$", "ab_C"));
    assert!(m("^[\\d\\s]+$", "1 2"));
    assert!(m("^[a-]$", "-"));
    assert!(m("^\\d{3}-\\w+\\s\\S$", "123-ab_c x"));
    assert!(m("^\\D\\W$", "a-"));
    assert!(m("^\\x41$", "A"));
    assert!(m("^[\\x41-\\x43]+$", "ABC"));
}

#[test]
fn case_insensitive() {
    assert!(mi("^/API", "/api"));
    assert!(mi("^[a-c]+$", "ABC"));
    assert!(mi("^[^a]$", "b"));
    assert!(!mi("^[^a]$", "A"));
    assert!(mi("\\.JPG$", "x.jpg"));
    assert!(!m("^/API", "/api"));
    assert!(mi("^\\w+$", "MiXeD"));
}

#[test]
fn alternation_and_groups() {
    assert!(m("^/(api|static)/", "/static/x"));
    assert!(!m("^/(api|static)/", "/other/x"));
    assert!(m("^(?:a|b)c$", "bc"));
    assert!(m("a|", "zzz"));
    assert!(m("^(a(b(c)))$", "abc"));
    assert!(m("^/a(b|c)+$", "/abcb"));
}

#[test]
fn syntax_errors() {
    assert_eq!(err("("), "error=missing closing parenthesis, erroffset=1");
    assert_eq!(
        err("a)"),
        "error=unmatched closing parenthesis, erroffset=1"
    );
    assert_eq!(err("*a"), "error=nothing to repeat, erroffset=0");
    assert_eq!(err("a**"), "error=nothing to repeat, erroffset=2");
    assert!(err("^*").contains("nothing to repeat"));
    assert!(err("[abc").contains("missing terminating ]"));
    assert!(err("[z-a]").contains("range out of order"));
    assert!(err("a\\").contains("\\ at end of pattern"));
    assert!(err("\\q").contains("unrecognized character"));
    assert!(err("a{65536}").contains("number too big"));
    assert!(err("a{3,2}").contains("out of order"));
    assert!(err("[[:nope:]]").contains("POSIX"));
    assert!(err("\\xZZ").contains("hexadecimal"));
    assert!(err("(a{1000}){1000}").contains("too large"));
    assert!(err("(?Q)").contains("unrecognized character after (?"));
    assert!(err("\\p{L}").contains("Unicode"));
}

fn refused(p: &str) -> (&'static str, String) {
    match Regex::new(p, false) {
        Err(RegexError::Unsupported {
            what, construct, ..
        }) => (what, construct),
        other => panic!("{p}: {other:?}"),
    }
}

#[test]
fn backtracking_constructs_are_refused_by_name() {
    assert_eq!(refused("a(?=b)"), ("look-ahead", "(?=".to_string()));
    assert_eq!(refused("a(?!b)"), ("negative look-ahead", "(?!".into()));
    assert_eq!(refused("(?<=a)b"), ("look-behind", "(?<=".into()));
    assert_eq!(refused("(?<!a)b"), ("negative look-behind", "(?<!".into()));
    assert_eq!(refused("(a)\\1"), ("back-reference", "\\1".into()));
    assert_eq!(refused("(a)x\\9"), ("back-reference", "\\9".into()));
    assert_eq!(refused("(?<n>a)\\k<n>"), ("back-reference", "\\k".into()));
    assert_eq!(refused("(a)\\g1"), ("back-reference", "\\g".into()));
    assert_eq!(refused("(?P<n>a)(?P=n)"), ("back-reference", "(?P=".into()));
    assert_eq!(refused("(?>a+)b"), ("atomic group", "(?>".into()));
    assert_eq!(refused("a*+"), ("possessive quantifier", "*+".into()));
    assert_eq!(refused("a++b"), ("possessive quantifier", "++".into()));
    assert_eq!(refused("a?+"), ("possessive quantifier", "?+".into()));
    assert_eq!(
        refused("a{2,3}+"),
        ("possessive quantifier", "{2,3}+".into())
    );
    assert_eq!(refused("(a|(?R))"), ("recursion", "(?R".into()));
    assert_eq!(refused("(a)(?1)"), ("recursion", "(?1".into()));
    assert_eq!(refused("(?<n>a)(?&n)"), ("subroutine call", "(?&".into()));
    assert_eq!(refused("(?(1)a|b)"), ("conditional group", "(?(".into()));
    assert_eq!(refused("(*FAIL)"), ("verb", "(*FAIL".into()));
    // Inside a class a digit escape is octal, not a back-reference.
    assert!(m("^[\\101]$", "A"));
    // The message names the construct and why.
    let e = Regex::new("a(?=b)", false).unwrap_err();
    assert_eq!(
        e.describe("a(?=b)"),
        "regex 'a(?=b)': look-ahead '(?=' is not supported (the proxy uses linear-time regular expressions)"
    );
    assert_eq!(
        Regex::new("(", false).unwrap_err().describe("("),
        "regex '(' is invalid (error=missing closing parenthesis, erroffset=1)."
    );
}

#[test]
fn pcre_syntax_the_crate_reads_differently() {
    // Escapes PCRE accepts and the crate does not, or reads otherwise.
    assert!(m("^\\e$", "\x1b"));
    assert!(m("^\\cA\\cz$", "\x01\x1a"));
    assert!(m("^\\041\\o{102}\\x{43}\\x4$", "!BC\x04"));
    assert!(m("^\\<a\\>$", "<a>"));
    assert!(m("^a\\ b$", "a b"));
    assert!(m("^\\h+\\H$", " \tx"));
    assert!(m("^a\\vb$", "a\nb"));
    assert!(!m("^a\\vb$", "a b"));
    assert!(m("^a\\Rb$", "a\r\nb"));
    assert!(m("^\\N$", "x"));
    assert!(!m("^\\N$", "\n"));
    assert!(m("^\\Q.*+\\E$", ".*+"));
    assert!(!m("^\\Q.*\\E$", "ab"));
    assert!(m("foo\\Kbar", "foobar"));
    assert!(m("\\Aab\\Z", "ab\n"));
    assert!(!m("\\Aab\\z", "ab\n"));
    // Inside a class: `[`, `&&`, `--`, `~~` are plain characters.
    assert!(m("^[[]$", "["));
    assert!(m("^[a&&b]+$", "a&b"));
    assert!(m("^[--]$", "-"));
    assert!(m("^[~~]$", "~"));
    assert!(m("^[\\b]$", "\x08"));
    assert!(m("^[\\d-z]+$", "1-z"));
    assert!(m("^[[:^digit:]]+$", "ab"));
    assert!(!m("^[[:^digit:]]+$", "a1"));
    // Groups and options.
    assert!(m("^(?|(a)|(b))$", "b"));
    assert!(m("^(?'n'a)(?<m>b)(?P<o>c)$", "abc"));
    assert!(m("^a(?#comment)b$", "ab"));
    assert!(m("^(?i)abc$", "ABC"));
    assert!(m("^a(?i:b)c$", "aBc"));
    assert!(!m("^a(?i:b)c$", "aBC"));
    assert!(m("(?m)^b$", "a\nb\nc"));
    assert!(m("(?s)a.b", "a\nb"));
    // Bytes, not Unicode: `.` is one byte and high bytes match themselves.
    assert!(!m("^caf.$", "caf\u{e9}"));
    assert!(m("^caf..$", "caf\u{e9}"));
    assert!(m("^caf\u{e9}$", "caf\u{e9}"));
    assert!(Regex::new("^\\xff$", false).unwrap().is_match(b"\xff"));
}

#[test]
fn pathological_patterns_run_in_linear_time() {
    // Exponential backtracking in PCRE: (a+)+b against a long run of a's.
    let r = Regex::new("^(a+)+b$", false).unwrap();
    let s = "a".repeat(10_000);
    let t = std::time::Instant::now();
    assert!(!r.is_match(s.as_bytes()));
    assert!(r.is_match(b"aaab"));
    let r = Regex::new("(x+x+)+y", false).unwrap();
    assert!(!r.is_match("x".repeat(10_000).as_bytes()));
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
    // A long input with a simple pattern.
    let long = "a".repeat(100_000) + "b";
    assert!(Regex::new("a*b", false).unwrap().is_match(long.as_bytes()));
    assert!(Regex::new("b$", false).unwrap().is_match(long.as_bytes()));
}

#[test]
fn equality_and_display() {
    let a = Regex::new("^a", true).unwrap();
    assert_eq!(a, Regex::new("^a", true).unwrap());
    assert_ne!(a, Regex::new("^a", false).unwrap());
    assert_eq!(a.as_str(), "^a");
    assert!(a.icase());
    assert_eq!(format!("{a:?}"), "Regex(\"^a\", -i)");
}
