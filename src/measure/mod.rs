//! Measurement: what a run observed, with no I/O.
//!
//! The hot path writes into a per-thread [`Recorder`] and publishes [`LiveCounters`];
//! at the end the recorders become one [`Measurement`], which merges exactly with
//! others (histograms add, counters add, percentiles are recomputed, never averaged)
//! and renders to a serialisable [`Summary`].

mod hist;
mod live;
mod outcome;
mod recorder;
mod summary;
mod timeline;

pub use hist::{decode_hist, encode_hist, new_hist, Hist, HistCodecError};
pub use live::{live_quantiles, LiveCounters, LiveTotals};
pub use outcome::{ErrorKind, StatusClass};
pub use recorder::{Pace, Recorder, Response, ON_TIME, WAKE_LATE};
pub use summary::{Endpoint, LatencyStats, Measurement, ScheduleStats, Summary};
pub use timeline::{SecondStats, Timeline};
