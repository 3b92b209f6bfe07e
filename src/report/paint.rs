//! Colour for the terminal. Renderers always mark verdicts up with ANSI styles; the
//! console strips them when stdout is not a terminal, under NO_COLOR, or with
//! `--color never` (anstream decides), so files and pipes get plain text.

use anstyle::{AnsiColor, Style};

use crate::outcome::Outcome;

fn styled(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn style_of(o: Outcome) -> Style {
    let color = match o {
        Outcome::Pass => AnsiColor::Green,
        Outcome::Fail => AnsiColor::Red,
        Outcome::Inconclusive | Outcome::Interrupted => AnsiColor::Yellow,
    };
    Style::new().bold().fg_color(Some(color.into()))
}

/// `PASS`, `FAIL`, … in the verdict's colour.
pub fn outcome(o: Outcome) -> String {
    styled(style_of(o), o.as_str())
}

/// Any text in an outcome's colour (`ROLLED BACK`, a window's `ERROR`).
pub fn colored(o: Outcome, text: &str) -> String {
    styled(style_of(o), text)
}

/// `verdict: PASS`, the last line of every judging command.
pub fn verdict_line(o: Outcome) -> String {
    format!("verdict: {}", outcome(o))
}

pub fn warning(text: &str) -> String {
    styled(Style::new().fg_color(Some(AnsiColor::Yellow.into())), text)
}
