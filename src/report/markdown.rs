//! The Markdown a GitHub Actions step shows on its summary page: the verdict, the
//! checks as a table, the reasons. Link-free (URLs in code spans, so nothing is
//! auto-linked) and kept far below GitHub's 1 MiB per step.

use std::fmt::Write;

use super::suite::{Status, Suite};

/// Rows beyond this are counted, not listed (a ramp can have hundreds of windows).
const MAX_ROWS: usize = 60;
/// Cells are cut to this many characters.
const MAX_CELL: usize = 200;

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Inconclusive => "⚠️",
        Status::Error => "⛔",
    }
}
/// Table-safe text: one line, pipes escaped, backticks dropped, cut to MAX_CELL.
fn cell(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|&c| c != '`')
        .take(MAX_CELL)
        .collect();
    flat.replace('|', "\\|")
}

pub fn render(suite: &Suite) -> String {
    let o = suite.outcome();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} golive {}: {}\n",
        mark(Status::of(o)),
        suite.envelope.command,
        o.as_str()
    );
    let _ = writeln!(out, "`{}`\n", cell(&suite.subject));
    let _ = writeln!(
        out,
        "{}: {} passed, {} failed, {} inconclusive, {} errors\n",
        suite.checks(),
        suite.count(Status::Pass),
        suite.count(Status::Fail),
        suite.count(Status::Inconclusive),
        suite.count(Status::Error)
    );
    out.push_str("| check | measured | result | why |\n|---|---|---|---|\n");
    // Failures first: on a long run they are what the reader came for.
    let mut cases: Vec<_> = suite.cases.iter().collect();
    cases.sort_by_key(|c| c.status == Status::Pass);
    for c in cases.iter().take(MAX_ROWS) {
        let _ = writeln!(
            out,
            "| {} | {} | {} {} | {} |",
            cell(&c.name),
            cell(&c.measured),
            mark(c.status),
            c.status.as_str(),
            cell(c.detail.as_deref().unwrap_or(""))
        );
    }
    if cases.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n… and {} more (all in the JUnit file and the report)",
            cases.len() - MAX_ROWS
        );
    }
    for why in suite.reasons.iter().filter(|r| !r.is_empty()) {
        let _ = writeln!(out, "\n- {}", cell(why));
    }
    for note in suite.advisories.iter().take(MAX_ROWS) {
        let _ = writeln!(out, "- note: {}", cell(note));
    }
    let _ = writeln!(
        out,
        "\n<sub>golive {} · {} → {}</sub>\n",
        suite.envelope.golive_version, suite.envelope.started_at, suite.envelope.finished_at
    );
    out
}
