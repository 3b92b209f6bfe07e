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
