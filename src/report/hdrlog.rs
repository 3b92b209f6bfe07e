//! A stress run's latency as an HdrHistogram interval log: one interval per second of
//! successful responses, V2 + DEFLATE, the format HdrHistogram's own tools
//! (HistogramLogProcessor, HdrHistogram plotters) read. Values are microseconds; the
//! log's max column is divided to milliseconds.

use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::V2DeflateSerializer;

use crate::gates::stress::StressReport;
use crate::measure::decode_hist;

/// The log's bytes; an error names the second whose histogram does not decode.
pub fn interval_log(report: &StressReport) -> Result<Vec<u8>, String> {
    // A shard's seconds count from the shared start, so its log lines up with the others'.
    let origin = report
        .body
        .shard
        .as_ref()
        .and_then(|s| s.start_at.as_deref())
        .unwrap_or(&report.envelope.started_at);
    let start = humantime::parse_rfc3339(origin).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut bytes = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let mut builder = IntervalLogWriterBuilder::new();
    builder
        .add_comment(&format!(
            "golive {} {} {}: success latency per second, in microseconds",
            report.envelope.golive_version, report.envelope.command, report.body.settings.url
        ))
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0);
    let mut log = builder
        .begin_log_with(&mut bytes, &mut serializer)
        .map_err(|e| e.to_string())?;
    for s in &report.body.results.timeline {
        let h = decode_hist(&s.histogram).map_err(|e| format!("second {}: {e}", s.second))?;
        log.write_histogram(
            &h,
            Duration::from_secs(u64::from(s.second)),
            Duration::from_secs(1),
            None,
        )
        .map_err(|e| format!("second {}: {e}", s.second))?;
    }
    drop(log);
    Ok(bytes)
}
