//! golive's own log events on stderr, as text or one JSON object per line.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

use crate::output::console;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    /// One JSON object per line, parseable by jq.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("unknown log format '{s}': text or json")),
        }
    }
}

pub fn init(format: LogFormat, verbose: u8) {
    // Text logs stay quiet by default (stdout carries the report); JSON logs are for
    // machines and include the run's lifecycle events.
    let level = match (verbose, format) {
        (0, LogFormat::Text) => Level::WARN,
        (0, LogFormat::Json) | (1, _) => Level::INFO,
        _ => Level::DEBUG,
    };
    // Only golive's events: dependencies' debug chatter is not ours to print.
    let filter = Targets::new().with_target("golive", level);
    // Through the console, so a closed stderr never panics and colour follows --color.
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(|| console::Stderr)
        .with_ansi(console::stderr_colored())
        .with_target(false);
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry.with(fmt).try_init(),
        LogFormat::Json => registry
            .with(fmt.json().flatten_event(true).with_ansi(false))
            .try_init(),
    };
}
