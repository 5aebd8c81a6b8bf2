//! Parsing and rendering of log-format strings against a fixed source.

use super::*;
use crate::rules::expr::NoFiles;
use crate::rules::format::{Builtin, LogFormat, Mode, ParseCtx};

/// A source where every variable has a value of its kind.
struct Fixed;

impl LogVars for Fixed {
    fn value(&self, var: Var) -> LogValue<'_> {
        match var {
            Var::ci => LogValue::Ip("10.0.0.1".parse().unwrap()),
            Var::cp => LogValue::Port(4660),
            Var::f | Var::b => LogValue::Text(b"fe"),
            Var::s => LogValue::Text(b"a\"b]c\\"),
            Var::ft => LogValue::Frontend(b"fe", true),
            Var::B => LogValue::Plus(1234, false),
            Var::Tt => LogValue::Plus(77, true),
            Var::rt | Var::pid => LogValue::Hex(0x1f, 4),
            Var::ms => LogValue::Millis(7),
            Var::ts => LogValue::Raw(Inline::new(b"SD")),
            Var::hr => LogValue::Captures(Captures::Slices(&[b"h{1}", b""])),
            Var::hrl => LogValue::Captures(Captures::Slices(&[b"a b", b""])),
            Var::hs => LogValue::Captures(Captures::NONE),
            Var::r | Var::HM | Var::HU | Var::HP | Var::HPO | Var::HQ | Var::HV => {
                LogValue::Request(Some(b"GET http://h/p/a?x=\"1\" HTTP/1.1"))
            }
            _ => LogValue::Missing,
        }
    }
}

fn log(fmt: &str) -> String {
    let ctx = ParseCtx {
        mode: Mode::Log,
        http_proxy: Some(true),
    };
    let f = LogFormat::parse_in(fmt, ctx, &mut NoFiles).unwrap();
    let mut out = Vec::new();
    f.render_into(&Fixed, None, &mut out);
    String::from_utf8(out).unwrap()
}

fn err(fmt: &str, http: bool) -> String {
    let ctx = ParseCtx {
        mode: Mode::Log,
        http_proxy: Some(http),
    };
    LogFormat::parse_in(fmt, ctx, &mut NoFiles).unwrap_err()
}

#[test]
fn variables_and_flags() {
    assert_eq!(
        log("%ci:%cp %{+X}ci:%{+X}cp"),
        "10.0.0.1:4660 0A000001:1234"
    );
    assert_eq!(
        log("%{+Q}ci %{+Q}cp %{+Q}ft %ft"),
        "\"10.0.0.1\" 4660 \"fe~\" fe~"
    );
    assert_eq!(
        log("%B %Tt %rt %{+X}rt %ms %{+X}ms"),
        "1234 +77 31 001F 007 07"
    );
    assert_eq!(
        log("%s %{+E}s %{+Q,+E}s"),
        "a\"b]c\\ a\\\"b\\]c\\\\ \"a\\\"b\\]c\\\\\""
    );
    assert_eq!(log("[%ID] [%{+Q}ID] %sslv"), "[-] [\"\"] -");
    assert_eq!(log("%ts %{+Q}ts"), "SD SD");
}

#[test]
fn missing_values_and_spaces() {
    // A capture block that prints nothing takes its space with it.
    assert_eq!(log("a %hs %hs b"), "a b");
    assert_eq!(log("  a    b  "), "a b ");
    assert_eq!(log("%hr %{+Q}hr"), "{h#7B1#7D|} \"{h#7B1#7D|}\"");
    assert_eq!(log("%hrl|%{+Q}hrl"), "a b -|\"a b\" \"\"");
    // Expressions without a view are missing values.
    assert_eq!(log("%[src] %{+Q}[src] x"), "- \"\" x");
}

#[test]
fn request_line_parts() {
    assert_eq!(
        log("%{+Q}r|%HM|%HU|%HP|%HPO|%HQ|%HV"),
        "\"GET http://h/p/a?x=#221#22 HTTP/1.1\"|GET|http://h/p/a?x=#221#22|http://h/p/a|/p/a|?x=#221#22|HTTP/1.1"
    );
    let p = |l: &'static [u8], v: Var| {
        let mut out = Vec::new();
        super::request(&mut out, v, Some(l), Flags::NONE);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(p(b"GET", Var::HM), "<BADREQ>");
    assert_eq!(p(b"GET /", Var::HV), "HTTP/0.9");
    assert_eq!(p(b"GET", Var::HU), "<BADREQ>");
    assert_eq!(p(b"GET /a", Var::HQ), "");
}

#[test]
fn global_flags_with_o() {
    assert_eq!(log("%{+Q}o %f %{-Q}b %ci"), "\"fe\" fe \"10.0.0.1\"");
}

#[test]
fn builtin_formats_parse() {
    for b in [Builtin::Tcp, Builtin::Http, Builtin::Clf] {
        assert_eq!(b.format().as_str(), b.text());
        assert!(b.format().vars().count() > 10);
    }
}

#[test]
fn errors_as_haproxy_words_them() {
    assert_eq!(
        err("%ci %1", true),
        "unexpected variable name near '1' at position 5 line : '%ci %1'. Maybe you want to \
         write a single '%', use the syntax '%%'."
    );
    assert_eq!(
        err("%{+Q}", true),
        "parse argument modifier without variable name near '%{+Q}'."
    );
    assert_eq!(err("%{+Q", true), "truncated line after '+Q'.");
    assert_eq!(
        err("%r", false),
        "format variable 'r' is reserved for HTTP mode."
    );
    assert_eq!(
        err("%qq", true),
        "no such format variable 'qq'. If you wanted to emit the '%' character verbatim, you \
         need to use '%%'."
    );
    // Unknown flags are ignored; a '%' starting nothing is dropped.
    assert_eq!(log("%{+Z,Q}f %-x"), "fe -x");
}

#[test]
fn http_values_encode_control_characters() {
    struct V;
    let f = LogFormat::parse("a %[str(x\u{1}y\tz)] %{+Q}f").unwrap();
    assert!(f.literal().is_none());
    let _ = V;
    let mut out = Vec::new();
    f.render_into(&Fixed, None, &mut out);
    // No view: the expression is empty, no `-` in an HTTP value.
    assert_eq!(out, b"a  \"fe\"");
}
