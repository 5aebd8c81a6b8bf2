//! Tests of the regex engine: syntax, semantics, errors and the step
//! budget.

use super::regex::{BudgetExceeded, Regex, STEP_BUDGET};

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
    assert!(err("a*+").contains("possessive"));
    assert!(err("^*").contains("nothing to repeat"));
    assert!(err("[abc").contains("missing terminating ]"));
    assert!(err("[z-a]").contains("range out of order"));
    assert!(err("a\\").contains("\\ at end of pattern"));
    assert!(err("\\q").contains("unrecognized character"));
    assert!(err("a{1001}").contains("number too big"));
    assert!(err("a{3,2}").contains("out of order"));
    assert!(err("(?=a)").contains("unsupported group"));
    assert!(err("[[:nope:]]").contains("POSIX"));
    assert!(err("\\xZZ").contains("hexadecimal"));
    assert!(err("(a{1000}){1000}").contains("too large"));
}

#[test]
fn step_budget_stops_pathological_patterns() {
    // Exponential backtracking: (a+)+b against a long run of a's.
    let r = Regex::new("^(a+)+b$", false).unwrap();
    let s = "a".repeat(40);
    assert_eq!(r.try_match(s.as_bytes(), STEP_BUDGET), Err(BudgetExceeded));
    assert!(!r.is_match(s.as_bytes()));
    // The same pattern is fine on short or matching inputs.
    assert!(r.is_match(b"aaab"));
    assert_eq!(r.try_match(b"aaa", STEP_BUDGET), Ok(false));
    let r = Regex::new("(x+x+)+y", false).unwrap();
    assert_eq!(
        r.try_match("x".repeat(64).as_bytes(), 1_000_000),
        Err(BudgetExceeded)
    );
    // A long input with a simple pattern stays within budget.
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
