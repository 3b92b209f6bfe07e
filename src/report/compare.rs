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
