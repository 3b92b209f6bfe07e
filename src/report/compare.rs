//! Human output of a comparison: a line per metric in words (effect, interval,
//! p-value, band), the method, the notes and the verdict. Shared by `golive compare`
//! and `stress --baseline`.

use std::fmt::Write;

use super::paint;
use super::words::wrap;
use crate::compare::{CompareReport, Comparison};

/// The comparison's lines, without its headline or a verdict line (the caller has them).
pub fn lines(c: &Comparison, width: usize) -> String {
    let mut out = String::new();
    let m = &c.method;
    let _ = writeln!(
        out,
        "{}",
        wrap(
            &format!(
                "{} and {} intervals of {} s{}; {}% intervals; {}",
                m.units_baseline,
                m.units_candidate,
                m.unit_s,
                if m.warmup_s > 0 {
                    format!(" after a {} s warm-up", m.warmup_s)
                } else {
                    String::new()
                },
                crate::compare::tolerance::percent_label(m.confidence),
                m.replication
            ),
            width,
            "  method: ",
            "          "
        )
    );
    for metric in &c.metrics {
        let word = metric.change.as_str();
        // Painted after wrapping: styles take no columns.
        let wrapped = wrap(
            &metric.said,
            width,
            &format!("  {word:<13}"),
            &" ".repeat(15),
        );
        let _ = writeln!(
            out,
            "  {}{}",
            paint::colored(metric.change.outcome(), word),
            &wrapped[2 + word.len()..]
        );
    }
    for note in &c.notes {
        let _ = writeln!(out, "{}", wrap(note, width, "  note: ", "        "));
    }
    out
}

/// Renders `golive compare` for a terminal.
pub fn text(r: &CompareReport, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "golive compare");
    for (label, side) in [
        ("baseline", &r.body.baseline),
        ("candidate", &r.body.candidate),
    ] {
        let _ = writeln!(
            out,
            "{}",
            wrap(
                &format!(
                    "{} ({} {}, {} model, {} responses in {:.1} s, its SLOs: {})",
                    side.file,
                    side.command,
                    side.url,
                    side.model,
                    side.responses,
                    side.wall_time_s,
                    side.outcome.as_str()
                ),
                width,
                &format!("  {label:<10} "),
                &" ".repeat(13)
            )
        );
    }
    out.push('\n');
    out.push_str(&lines(&r.body.comparison, width));
    let _ = writeln!(
        out,
        "\n{}",
        wrap(&r.body.comparison.said, width, "  ", "  ")
    );
    let _ = writeln!(out, "{}", paint::verdict_line(r.outcome()));
    out
}

/// Two capacity cards compared, for the terminal.
pub fn capacity_text(c: &crate::capacity::versus::CapacityComparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "golive compare  (two capacity cards)");
    for (label, b) in [("baseline", &c.baseline), ("candidate", &c.candidate)] {
        let failed = b.failed_at.map_or("no rate failed".into(), |f| {
            format!("failed at {f:.0} req/s")
        });
        let caveat = if b.caveat.is_empty() {
            String::new()
        } else {
            format!(" ({})", b.caveat)
        };
        let _ = writeln!(
            out,
            "  {label:<10} {}  held {:.0} req/s, {failed}{caveat}",
            b.file, b.max_rps
        );
    }
    let _ = writeln!(
        out,
        "  maximum    {:+.1}% (band -{}%)",
        c.change_pct, c.band_pct
    );
    for n in &c.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    let _ = writeln!(out, "\n{}", c.said);
    let _ = writeln!(out, "verdict: {}", c.change.outcome().as_str());
    out
}
