//! HTML page tests: the tag structure (tags with their attributes, text
//! ignored) must match HAProxy 2.6.12's page for the same configuration.

use super::*;
use crate::testdata;

const SNAP_STATS_HTML: &str = include_str!("../../testdata/snap/stats_admin.html");
const REF_STATS_HTML: &str = include_str!("../../testdata/ref/stats.html");

/// Tags of a document: tooltips, style sheet content, text and number
/// formatting spans dropped.
fn skeleton(html: &str) -> Vec<String> {
    let mut s = html.to_string();
    if let (Some(a), Some(b)) = (s.find("<style"), s.find("</style>")) {
        s.replace_range(a..b, "<style>");
    }
    while let Some(start) = s.find("<div class=tips>") {
        let Some(len) = s[start..].find("</div>") else {
            break;
        };
        s.replace_range(start..start + len + 6, "");
    }
    let mut tags = Vec::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { break };
        let tag = &rest[i..i + j + 1];
        // Thousands separators depend on the values, not on the layout.
        if tag != "<span class=\"rls\">" && tag != "</span>" {
            tags.push(tag.to_string());
        }
        rest = &rest[i + j + 1..];
    }
    tags
}

fn info_of(capture_pid: u32) -> ProcessInfo {
    ProcessInfo {
        name: "HAProxy".into(),
        version: "2.6.12-1+deb12u4".into(),
        release_date: "2026/10/17".into(),
        pid: capture_pid,
        nbthread: 1,
        ..ProcessInfo::default()
    }
}

fn links() -> ProductLinks {
    ProductLinks {
        url: "http://www.haproxy.org/".into(),
        updates_url: "http://www.haproxy.org/#down".into(),
        doc_url: "http://www.haproxy.org/#docs".into(),
        branch: "2.6".into(),
    }
}

#[test]
fn structure_matches_admin_page_with_legends() {
    let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
    let o = HtmlOptions {
        uri_prefix: "/stats".into(),
        refresh: Some(10),
        show_legends: true,
        admin: true,
        links: links(),
        ..HtmlOptions::default()
    };
    let ours = render(&info_of(1), &rows, &o);
    let (a, b) = (skeleton(&ours), skeleton(SNAP_STATS_HTML));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "tag #{i}");
    }
    assert_eq!(a.len(), b.len());
}

#[test]
fn structure_matches_reference_page() {
    let rows = testdata::rows_from_csv(testdata::REF_STATS_CSV);
    let o = HtmlOptions {
        uri_prefix: "/stats".into(),
        links: links(),
        ..HtmlOptions::default()
    };
    let ours = render(&info_of(1), &rows, &o);
    let (a, b) = (skeleton(&ours), skeleton(REF_STATS_HTML));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "tag #{i}");
    }
    assert_eq!(a.len(), b.len());
}

#[test]
fn rows_and_classes() {
    let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
    let o = HtmlOptions {
        uri_prefix: "/stats".into(),
        hide_version: true,
        ..HtmlOptions::default()
    };
    let page = render(&info_of(7), &rows, &o);
    assert!(page.contains("<title>Statistics Report for HAProxy</title>"));
    assert!(page.contains("style=\"text-decoration: none;\">HAProxy</a></h1>"));
    for class in [
        "frontend",
        "active_up",
        "active_down",
        "maintain",
        "backup_no_check",
        "active_draining",
        "backend",
    ] {
        assert!(page.contains(&format!("<tr class=\"{class}\">")), "{class}");
    }
    assert!(page.contains("<tr class=socket>"));
    assert!(page.contains("<td class=ac>OPEN</td>"));
    assert!(!page.contains("<form method=\"post\">"));
    assert!(page.ends_with("</body></html>\n"));
    assert_eq!(
        refresh_header(&HtmlOptions {
            refresh: Some(10),
            ..HtmlOptions::default()
        }),
        Some("10".into())
    );
    assert_eq!(
        refresh_header(&HtmlOptions {
            refresh: Some(10),
            no_refresh: true,
            ..HtmlOptions::default()
        }),
        None
    );
}

#[test]
fn containers_are_balanced() {
    let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
    let o = HtmlOptions {
        admin: true,
        show_legends: true,
        status: Some(PostStatus::Done),
        ..HtmlOptions::default()
    };
    let page = render(&info_of(1), &rows, &o);
    for tag in [
        "table", "tr", "td", "th", "form", "div", "u", "a", "select", "ul", "h1", "h2", "h3",
        "html", "head", "body",
    ] {
        let open =
            page.matches(&format!("<{tag} ")).count() + page.matches(&format!("<{tag}>")).count();
        let close = page.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}>");
    }
}

#[test]
fn scope_and_up_filter() {
    let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
    let o = HtmlOptions {
        scope: Some("TCP".into()),
        hide_down: true,
        ..HtmlOptions::default()
    };
    let page = render(&info_of(1), &rows, &o);
    assert!(page.contains("<a name=\"tcpl\">") && !page.contains("<a name=\"be\">"));
    assert!(page.contains("Show all servers") && page.contains("UP (1/1)"));
    assert!(page.contains("value=\"TCP\" name=\"scope\""));
}
