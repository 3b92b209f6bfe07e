//! The terminal streams. Every line golive prints goes through here, so a closed
//! stdout or stderr (`golive ... | head -1`) ends output quietly instead of panicking,
//! and a stream that cannot be written for another reason (`> /dev/full`) is
//! remembered and reported once, at the end, as exit 4.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);
static FIRST_ERROR: Mutex<Option<String>> = Mutex::new(None);

fn record(stream: &str, e: std::io::Error) {
    let mut first = FIRST_ERROR.lock().unwrap_or_else(|p| p.into_inner());
    first.get_or_insert_with(|| format!("writing to {stream}: {e}"));
}

fn write_to(stream: &str, closed: &AtomicBool, w: &mut dyn Write, bytes: &[u8]) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = w.write_all(bytes).and_then(|_| w.flush()) {
        closed.store(true, Ordering::Relaxed);
        // A reader that went away is the reader's choice, not golive's failure.
        if e.kind() != ErrorKind::BrokenPipe {
            record(stream, e);
        }
    }
}

/// Writes to standard output; ANSI styles are stripped unless colour is on (a
/// terminal, `--color always`), and NO_COLOR is honoured.
pub fn out_bytes(bytes: &[u8]) {
    let mut stream = anstream::AutoStream::auto(std::io::stdout().lock());
    write_to("standard output", &STDOUT_CLOSED, &mut stream, bytes);
}

/// Writes bytes exactly as given (artifacts sent to `-`: never restyled).
pub fn out_raw(bytes: &[u8]) {
    write_to(
        "standard output",
        &STDOUT_CLOSED,
        &mut std::io::stdout().lock(),
        bytes,
    );
}

pub fn out(text: &str) {
    out_bytes(text.as_bytes());
}

/// Writes `text` and a newline to standard output.
pub fn outln(text: &str) {
    out(&format!("{text}\n"));
}

/// Writes to standard error, styles stripped as for stdout.
pub fn err(text: &str) {
    let mut stream = anstream::AutoStream::auto(std::io::stderr().lock());
    write_to(
        "standard error",
        &STDERR_CLOSED,
        &mut stream,
        text.as_bytes(),
    );
}

/// Whether styles reach standard error (for the log subscriber and progress).
pub fn stderr_colored() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// The width lines are fitted to: `COLUMNS` when set, else the terminal's (standard
/// error's, then standard output's), else 80.
pub fn width() -> usize {
    if let Some(cols) = columns() {
        return cols;
    }
    for fd in [2, 1] {
        // SAFETY: TIOCGWINSZ only fills the struct we pass; a non-terminal fails.
        let cols = unsafe {
            let mut ws: libc::winsize = std::mem::zeroed();
            (libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0).then_some(ws.ws_col)
        };
        if let Some(c) = cols.filter(|c| *c >= 20) {
            return c as usize;
        }
    }
    80
}

/// `COLUMNS` when it names a usable width (20 or more).
fn columns() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c >= 20)
}

/// A status line for standard error: fitted to the terminal's width when it is one (so
/// a line never wraps) or when `COLUMNS` asks for a width, whole when it is a log or a
/// pipe (nothing wraps there, and a CI log should keep every figure).
pub fn status_line(line: &str) -> String {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() || columns().is_some() {
        fit(line, width())
    } else {
        line.to_string()
    }
}

/// `line` cut to `width` columns, an ellipsis marking the cut.
pub fn fit(line: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut used = 0;
    let mut out = String::with_capacity(line.len().min(width * 4));
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            // Room for the ellipsis: drop the last character kept if need be.
            while used + 1 > width {
                if let Some(last) = out.pop() {
                    used -= last.width().unwrap_or(0);
                } else {
                    break;
                }
            }
            out.push('…');
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

/// Sets `--color` for the whole process.
pub fn set_color(choice: anstream::ColorChoice) {
    choice.write_global();
}

pub fn errln(text: &str) {
    err(&format!("{text}\n"));
}

/// The first write failure that was not a closed pipe, if any (taken once).
pub fn take_error() -> Option<String> {
    FIRST_ERROR.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// A `Write` for standard error that goes through the console (for log subscribers).
#[derive(Clone, Copy, Default)]
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_to(
            "standard error",
            &STDERR_CLOSED,
            &mut std::io::stderr().lock(),
            buf,
        );
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_fitted_to_the_width() {
        assert_eq!(fit("short", 80), "short");
        let long = "x".repeat(120);
        let fitted = fit(&long, 80);
        assert_eq!(unicode_width::UnicodeWidthStr::width(fitted.as_str()), 80);
        assert!(fitted.ends_with('…'));
        assert_eq!(
            unicode_width::UnicodeWidthStr::width(fit("p95 · 5xx · ✓✓✓✓", 8).as_str()),
            8
        );
    }
}
