//! The pure edit of `public/test2.html`: make sure a stage's section
//! (`<h2 id="stageN">` + `<table data-pack="stageN">`) holds a row for a version,
//! updating that row in place or adding it, never duplicating anything and leaving
//! every other byte of the file as it was.

/// A stage's section on the index page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// `stage4`: the h2 id and the table's `data-pack`.
    pub id: String,
    /// `Stage 4 — Production Go-Live`.
    pub title: String,
}

/// One row: version, description, link, code, test (the seed's columns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub version: String,
    pub description: String,
    /// Href of the "link" column (text "Home" for `/`).
    pub link: String,
    /// A path (rendered as a link) or a command (rendered as code).
    pub code: String,
    /// Path of the evidence (rendered as a link to its file name).
    pub test: String,
    /// Path of the HTML report, linked after the evidence in the test column (the
    /// seed's rows have none).
    pub report: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Unchanged,
    RowUpdated,
    RowAdded,
    SectionAdded,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Unchanged => "already up to date",
            Change::RowUpdated => "row updated in place",
            Change::RowAdded => "row added",
            Change::SectionAdded => "section added",
        })
    }
}

impl Section {
    pub fn stage3() -> Section {
        Section {
            id: "stage3".into(),
            title: "Stage 3 — Staging Pilot".into(),
        }
    }

    pub fn stage4() -> Section {
        Section {
            id: "stage4".into(),
            title: "Stage 4 — Production Go-Live".into(),
        }
    }
}

impl Row {
    pub fn stage3() -> Row {
        Row {
            version: "v0.3.0".into(),
            description: "Stage 3 staging pilot: smoke checks of critical endpoints, then the release gate in API mode".into(),
            link: "/".into(),
            code: "golive stage3".into(),
            test: "/qa/stage3/v0.3.0/summary.json".into(),
            report: None,
        }
    }

    pub fn stage4() -> Row {
        Row {
            version: "v0.4.0".into(),
            description:
                "Stage 4 readiness gate: health, canary latency, CSP header, provider config checks"
                    .into(),
            link: "/".into(),
            code: "golive stage4".into(),
            test: "/qa/stage4/v0.4.0/summary.json".into(),
            report: None,
        }
    }
}

pub use crate::report::html::escape;

fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(href), escape(text))
}

fn cells(row: &Row) -> [String; 5] {
    let link_text = if row.link == "/" {
        "Home"
    } else {
        row.link.as_str()
    };
    let code = if row.code.contains(' ') || !row.code.contains(['/', '.']) {
        format!("<code>{}</code>", escape(&row.code))
    } else {
        let path = row.code.trim_start_matches('/');
        link(&format!("/{path}"), path)
    };
    let test_name = row.test.rsplit('/').next().unwrap_or(&row.test);
    [
        escape(&row.version),
        escape(&row.description),
        link(&row.link, link_text),
        code,
        match &row.report {
            Some(report) => format!(
                "{} · {}",
                link(&row.test, test_name),
                link(report, "report")
            ),
            None => link(&row.test, test_name),
        },
    ]
}

/// The row's lines; the first without indentation (it replaces text after existing
/// indentation), the rest indented by `ind`.
fn render_row(row: &Row, ind: &str, eol: &str) -> String {
    let mut out = format!("<tr>{eol}");
    for cell in cells(row) {
        out.push_str(&format!("{ind}  <td>{cell}</td>{eol}"));
    }
    out.push_str(&format!("{ind}</tr>"));
    out
}

/// A new section, every line indented by `ind`, headers spelled as the page's own.
fn render_section(section: &Section, row: &Row, ind: &str, capital: bool, eol: &str) -> String {
    let head = ["version", "description", "link", "code", "test"]
        .map(|h| {
            let h = if capital {
                capitalise(h)
            } else {
                h.to_string()
            };
            format!("{ind}      <th>{h}</th>{eol}")
        })
        .concat();
    format!(
        "{ind}<h2 id=\"{id}\">{title}</h2>{eol}{ind}<table data-pack=\"{id}\">{eol}{ind}  <thead>{eol}{ind}    <tr>{eol}{head}{ind}    </tr>{eol}{ind}  </thead>{eol}{ind}  <tbody>{eol}{ind}    {row}{eol}{ind}  </tbody>{eol}{ind}</table>{eol}",
        id = escape(&section.id),
        title = escape(&section.title),
        row = render_row(row, &format!("{ind}    "), eol),
    )
}

fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Whether the page's own table headers are capitalised (`Version`, not `version`).
fn capital_headers(html: &str) -> bool {
    find_ci(html, "<th", 0)
        .and_then(|th| {
            let open_end = th + html[th..].find('>')? + 1;
            let close = find_ci(html, "</th>", open_end)?;
            inner_text(&html[open_end..close]).chars().next()
        })
        .is_some_and(char::is_uppercase)
}

/// Where a new section goes, and how it is indented: after the last stage section,
/// else at the end of `<main>`, else before `<footer>`, else before `</body>`.
fn section_slot(html: &str) -> Option<(usize, String)> {
    let last_table = {
        let mut from = 0;
        let mut last = None;
        while let Some(start) = find_ci(html, "<table", from) {
            let tag_end = start + html[start..].find('>')?;
            if html[start..tag_end].contains("data-pack") {
                last = find_ci(html, "</table>", tag_end).map(|e| (start, e + "</table>".len()));
            }
            from = tag_end;
        }
        last
    };
    if let Some((start, end)) = last_table {
        // The start of the line after the table.
        let at = html[end..].find('\n').map_or(html.len(), |i| end + i + 1);
        return Some((at, line_indent(html, start).to_string()));
    }
    let before = |tag: &str, inner: bool| {
        let pos = find_ci(html, tag, 0)?;
        let line_start = html[..pos].rfind('\n').map_or(0, |i| i + 1);
        let base = line_indent(html, pos).to_string();
        let ind = if inner {
            // One level deeper than the closing tag, in the page's own unit.
            let unit = if html.contains("\n\t") { "\t" } else { "  " };
            format!("{base}{unit}")
        } else {
            base
        };
        Some((line_start, ind))
    };
    before("</main>", true)
        .or_else(|| before("<footer", false))
        .or_else(|| before("</body>", false))
}

/// A minimal valid page, for a project that has no index yet.
pub fn minimal_page() -> String {
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Test index</title>\n</head>\n<body>\n<h1>Test index</h1>\n</body>\n</html>\n".into()
}

fn eol_of(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Finds `needle` case-insensitively (ASCII) from `from`.
fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    (from..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// The byte range of the `<table ... data-pack="id" ...>` … `</table>` for a stage.
fn find_table(html: &str, id: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(start) = find_ci(html, "<table", from) {
        let tag_end = start + html[start..].find('>')?;
        let tag = &html[start..tag_end];
        if tag.contains(&format!("data-pack=\"{id}\""))
            || tag.contains(&format!("data-pack='{id}'"))
        {
            let end = find_ci(html, "</table>", tag_end)? + "</table>".len();
            return Some((start, end));
        }
        from = tag_end;
    }
    None
}

/// Text of an HTML fragment without tags, trimmed.
fn inner_text(fragment: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Rows in `html[start..end]`: (row start, row end, version in the first cell).
fn rows(html: &str, start: usize, end: usize) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut from = start;
    while let Some(tr) = find_ci(html, "<tr", from).filter(|&p| p < end) {
        let Some(close) = find_ci(html, "</tr>", tr)
            .map(|p| p + "</tr>".len())
            .filter(|&p| p <= end)
        else {
            break;
        };
        let row = &html[tr..close];
        let version = find_ci(row, "<td", 0)
            .and_then(|td| {
                let open_end = td + row[td..].find('>')? + 1;
                let close_td = find_ci(row, "</td>", open_end)?;
                Some(inner_text(&row[open_end..close_td]))
            })
            .unwrap_or_default();
        out.push((tr, close, version));
        from = close;
    }
    out
}

fn line_indent(html: &str, pos: usize) -> &str {
    let line_start = html[..pos].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &html[line_start..pos];
    if prefix.trim().is_empty() {
        prefix
    } else {
        ""
    }
}

/// Inserts `block` (complete lines) before the line holding `pos`, or at `pos` when
/// other content shares that line.
fn insert_before_line(html: &str, pos: usize, block: &str, eol: &str) -> String {
    let line_start = html[..pos].rfind('\n').map_or(0, |i| i + 1);
    let (at, block) = if html[line_start..pos].trim().is_empty() {
        (line_start, block.to_string())
    } else {
        (pos, format!("{eol}{block}"))
    };
    format!("{}{}{}", &html[..at], block, &html[at..])
}

/// Ensures `row` is in `section`'s table.
pub fn upsert(html: &str, section: &Section, row: &Row) -> (String, Change) {
    let eol = eol_of(html);
    let Some((table_start, table_end)) = find_table(html, &section.id) else {
        let capital = capital_headers(html);
        let out = match section_slot(html) {
            Some((at, ind)) => {
                let block = render_section(section, row, &ind, capital, eol);
                if at > 0 && !html[..at].ends_with('\n') {
                    format!("{}{eol}{block}{}", &html[..at], &html[at..])
                } else {
                    format!("{}{block}{}", &html[..at], &html[at..])
                }
            }
            None => {
                let block = render_section(section, row, "", capital, eol);
                match html.is_empty() || html.ends_with('\n') {
                    true => format!("{html}{block}"),
                    false => format!("{html}{eol}{block}"),
                }
            }
        };
        return (out, Change::SectionAdded);
    };
    let body_start = find_ci(html, "<tbody", table_start).filter(|&p| p < table_end);
    let body_end = body_start
        .and_then(|s| find_ci(html, "</tbody>", s))
        .filter(|&p| p < table_end);
    let (rows_from, rows_to) = match (body_start, body_end) {
        (Some(s), Some(e)) => (s, e),
        _ => (table_start, table_end),
    };
    let existing = rows(html, rows_from, rows_to);
    if let Some((start, end, _)) = existing.iter().find(|(_, _, v)| *v == row.version) {
        let rendered = render_row(row, line_indent(html, *start), eol);
        if html[*start..*end] == rendered {
            return (html.to_string(), Change::Unchanged);
        }
        return (
            format!("{}{}{}", &html[..*start], rendered, &html[*end..]),
            Change::RowUpdated,
        );
    }
    // New row: indented like the table's other rows, else one level inside <tbody>.
    let ind = match existing.last() {
        Some((start, _, _)) => line_indent(html, *start).to_string(),
        None => format!("{}  ", line_indent(html, rows_to)),
    };
    let insert_at = if body_end.is_some() {
        rows_to
    } else {
        table_end - "</table>".len()
    };
    let block = format!("{ind}{}{eol}", render_row(row, &ind, eol));
    (
        insert_before_line(html, insert_at, &block, eol),
        Change::RowAdded,
    )
}

/// Whether `section`'s table has a row for `version`.
pub fn has_row(html: &str, section_id: &str, version: &str) -> bool {
    find_table(html, section_id)
        .is_some_and(|(s, e)| rows(html, s, e).iter().any(|(_, _, v)| v == version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!doctype html>\n<html>\n<body>\n<h1>Index</h1>\n<p>keep me &amp; my   spacing</p>\n</body>\n</html>\n";

    #[test]
    fn adds_a_section_before_body_end_and_keeps_every_other_byte() {
        let (out, change) = upsert(PAGE, &Section::stage4(), &Row::stage4());
        assert_eq!(change, Change::SectionAdded);
        let added = out.len() - PAGE.len();
        let at = out.find("<h2 id=\"stage4\">").unwrap();
        assert_eq!(
            format!("{}{}", &out[..at], &out[at + added..]),
            PAGE,
            "only an insertion"
        );
        assert!(out.contains("<table data-pack=\"stage4\">"));
        assert!(out.contains("<td>v0.4.0</td>"));
        assert!(
            out.contains("<td><a href=\"/qa/stage4/v0.4.0/summary.json\">summary.json</a></td>")
        );
        assert!(has_row(&out, "stage4", "v0.4.0"));
    }

    #[test]
    fn upsert_is_idempotent_and_updates_in_place() {
        let (once, _) = upsert(PAGE, &Section::stage4(), &Row::stage4());
        let (twice, change) = upsert(&once, &Section::stage4(), &Row::stage4());
        assert_eq!((twice.as_str(), change), (once.as_str(), Change::Unchanged));
        let mut newer = Row::stage4();
        newer.description = "re-run".into();
        let (updated, change) = upsert(&once, &Section::stage4(), &newer);
        assert_eq!(change, Change::RowUpdated);
        assert_eq!(
            updated.matches("<td>v0.4.0</td>").count(),
            1,
            "updated, not duplicated"
        );
        assert!(updated.contains("<td>re-run</td>"));
        let mut other = Row::stage4();
        other.version = "v0.4.1".into();
        let (added, change) = upsert(&updated, &Section::stage4(), &other);
        assert_eq!(change, Change::RowAdded);
        assert_eq!(added.matches("<table").count(), 1);
        assert!(added.find("v0.4.0").unwrap() < added.find("v0.4.1").unwrap());
    }

    #[test]
    fn crlf_pages_stay_crlf_and_the_seed_layout_is_recognised() {
        let seed = "<body>\r\n<h2 id=\"stage4\">Stage 4 — Production Go-Live</h2>\r\n<table data-pack='stage4'>\r\n  <tbody>\r\n    <tr>\r\n      <td> v0.4.0 </td>\r\n      <td>old</td>\r\n    </tr>\r\n  </tbody>\r\n</table>\r\n</body>\r\n";
        let (out, change) = upsert(seed, &Section::stage4(), &Row::stage4());
        assert_eq!(change, Change::RowUpdated);
        assert!(!out.replace("\r\n", "").contains('\n'));
        let (out3, change) = upsert(&out, &Section::stage3(), &Row::stage3());
        assert_eq!(change, Change::SectionAdded);
        assert!(out3.find("stage4").unwrap() < out3.find("data-pack=\"stage3\"").unwrap());
    }

    #[test]
    fn a_new_section_goes_inside_main_indented_with_the_pages_headers() {
        let page = "<body>\n  <main>\n    <h1>QA</h1>\n    <table>\n      <tr><th>Version</th><th>Description</th></tr>\n    </table>\n  </main>\n  <footer>f</footer>\n</body>\n";
        let (out, _) = upsert(page, &Section::stage3(), &Row::stage3());
        let (out, _) = upsert(&out, &Section::stage4(), &Row::stage4());
        let main_end = out.find("</main>").unwrap();
        let s3 = out.find("<h2 id=\"stage3\">").unwrap();
        let s4 = out.find("<h2 id=\"stage4\">").unwrap();
        assert!(s3 < s4 && s4 < main_end, "{out}");
        assert!(out.contains("\n    <h2 id=\"stage4\">"), "{out}");
        assert!(
            out.contains("<th>Version</th>") && out.contains("<th>Test</th>"),
            "{out}"
        );
        assert!(
            out.ends_with("  </main>\n  <footer>f</footer>\n</body>\n"),
            "{out}"
        );
    }

    #[test]
    fn escapes_what_it_writes() {
        let mut row = Row::stage4();
        row.description = "<script>alert(1)</script> & co".into();
        let (out, _) = upsert(&minimal_page(), &Section::stage4(), &row);
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
        assert!(!out.contains("<script>"));
    }
}
