//! `show stat json` / `show info json` (and `/stats;json`), with a tiny JSON
//! writer (no serde).
//!
//! Layout of HAProxy 2.6.12, no whitespace, terminated by a newline:
//! * info: `[{"field":{"pos":0,"name":"Name"},"processNum":1,"tags":{...},"value":{"type":"str","value":"HAProxy"}},...]`
//! * stats: one array per row inside an array:
//!   `[[{"objType":"Frontend","proxyId":2,"id":0,"field":{...},"processNum":1,"tags":{...},"value":{...}},...],[...]]`
//!
//! Differences, by design: string values are JSON-escaped (HAProxy writes
//! them raw), and integers above 2^53 are written as is (HAProxy aborts the
//! dump with an `errorStr` object).

use crate::fields::{tag_names, Field, Value, STAT_FIELDS};
use crate::info::{fill_info, INFO_FIELDS};
use crate::model::{ProcessInfo, ProxyStats};
use crate::select::{select, StatOptions};

/// Minimal streaming JSON writer that tracks where commas are needed.
#[derive(Debug, Default)]
pub struct JsonWriter {
    buf: String,
    /// One entry per open container: `true` once it holds an element.
    stack: Vec<bool>,
    /// A key was just written; the next value must not get a comma.
    after_key: bool,
}

impl JsonWriter {
    /// An empty writer.
    pub fn new() -> JsonWriter {
        JsonWriter::default()
    }

    fn element(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has) = self.stack.last_mut() {
            if *has {
                self.buf.push(',');
            }
            *has = true;
        }
    }

    /// Opens an object.
    pub fn begin_object(&mut self) -> &mut Self {
        self.element();
        self.buf.push('{');
        self.stack.push(false);
        self
    }

    /// Closes the current object.
    pub fn end_object(&mut self) -> &mut Self {
        self.stack.pop();
        self.buf.push('}');
        self
    }

    /// Opens an array.
    pub fn begin_array(&mut self) -> &mut Self {
        self.element();
        self.buf.push('[');
        self.stack.push(false);
        self
    }

    /// Closes the current array.
    pub fn end_array(&mut self) -> &mut Self {
        self.stack.pop();
        self.buf.push(']');
        self
    }

    /// Writes an object key.
    pub fn key(&mut self, k: &str) -> &mut Self {
        self.element();
        push_json_string(&mut self.buf, k);
        self.buf.push(':');
        self.after_key = true;
        self
    }

    /// Writes a string value.
    pub fn string(&mut self, v: &str) -> &mut Self {
        self.element();
        push_json_string(&mut self.buf, v);
        self
    }

    /// Writes a pre-formatted number (or `true`/`false`/`null`).
    pub fn raw(&mut self, v: &str) -> &mut Self {
        self.element();
        self.buf.push_str(v);
        self
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.buf
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn tags_and_value(w: &mut JsonWriter, f: &Field) {
    let (origin, nature, scope) = tag_names(f.tags);
    w.key("tags").begin_object();
    w.key("origin")
        .string(origin)
        .key("nature")
        .string(nature)
        .key("scope")
        .string(scope);
    w.end_object();
    w.key("value")
        .begin_object()
        .key("type")
        .string(f.value.type_name())
        .key("value");
    match &f.value {
        Value::Str(s) => w.string(s),
        other => w.raw(&other.to_text()),
    };
    w.end_object();
}

fn field_ref(w: &mut JsonWriter, pos: usize, name: &str) {
    w.key("field")
        .begin_object()
        .key("pos")
        .raw(&pos.to_string())
        .key("name")
        .string(name);
    w.end_object();
}

/// `show info json`, with its trailing newline.
pub fn render_info(p: &ProcessInfo, float: bool) -> String {
    let mut w = JsonWriter::new();
    w.begin_array();
    for (pos, f) in fill_info(p, float).iter().enumerate() {
        let Some(f) = f else { continue };
        w.begin_object();
        field_ref(&mut w, pos, INFO_FIELDS[pos].name);
        w.key("processNum").raw("1");
        tags_and_value(&mut w, f);
        w.end_object();
    }
    w.end_array();
    w.finish() + "\n"
}

/// `show stat json`, with its trailing newline.
pub fn render_stats(rows: &[ProxyStats], opts: &StatOptions) -> String {
    let mut w = JsonWriter::new();
    w.begin_array();
    for sel in select(rows, opts) {
        let r = sel.row;
        w.begin_array();
        for (pos, f) in sel.fields.iter().enumerate() {
            let Some(f) = f else { continue };
            w.begin_object();
            w.key("objType").string(r.kind.json_name());
            w.key("proxyId").raw(&r.iid.to_string());
            w.key("id").raw(&r.sid.to_string());
            field_ref(&mut w, pos, STAT_FIELDS[pos].name);
            w.key("processNum").raw("1");
            tags_and_value(&mut w, f);
            w.end_object();
        }
        w.end_array();
    }
    w.end_array();
    w.finish() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::info_from_pairs;
    use crate::testdata;

    /// Extracts `(name, value)` from info JSON objects (test-only scanner).
    fn info_pairs(json: &str) -> Vec<(String, String)> {
        json.split("{\"field\":")
            .skip(1)
            .filter_map(|obj| {
                let name = obj.split("\"name\":\"").nth(1)?.split('"').next()?;
                let v = obj.rsplit("\"value\":").next()?;
                let v = v.trim_end_matches(['}', ']', ',', '\n']);
                Some((name.to_string(), v.trim_matches('"').to_string()))
            })
            .collect()
    }

    #[test]
    fn info_json_matches_captures() {
        for capture in [testdata::SNAP_SHOW_INFO_JSON, testdata::REF_SHOW_INFO_JSON] {
            let pairs = info_pairs(capture);
            let p = info_from_pairs(pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())));
            assert_eq!(render_info(&p, false) + "\n", capture);
        }
    }

    #[test]
    fn stat_json_matches_snapshot() {
        let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
        let opts = StatOptions {
            show_legends: true,
            ..StatOptions::default()
        };
        let n = testdata::SNAP_SHOW_STAT_JSON_HEAD.matches("],[").count() + 1;
        let ours = render_stats(&rows[..n], &opts) + "\n";
        assert_eq!(ours, testdata::SNAP_SHOW_STAT_JSON_HEAD);
    }

    #[test]
    fn stat_json_shape_matches_reference() {
        let rows = testdata::rows_from_csv(testdata::REF_SHOW_STAT_CSV);
        let opts = StatOptions {
            show_legends: true,
            ..StatOptions::default()
        };
        let n = testdata::REF_SHOW_STAT_JSON_HEAD.matches("],[").count() + 1;
        let strip = |s: &str| -> Vec<String> {
            s.split("{\"objType\"")
                .map(|o| o.split(",\"value\":").next().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(
            strip(&render_stats(&rows[..n], &opts)),
            strip(testdata::REF_SHOW_STAT_JSON_HEAD)
        );
    }

    #[test]
    fn writer_escapes_and_commas() {
        let mut w = JsonWriter::new();
        w.begin_object()
            .key("a")
            .string("x\"y")
            .key("b")
            .begin_array()
            .raw("1")
            .raw("2");
        w.end_array().end_object();
        assert_eq!(w.finish(), r#"{"a":"x\"y","b":[1,2]}"#);
    }
}
