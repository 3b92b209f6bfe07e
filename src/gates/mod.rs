//! Gates: load and checks orchestrated into the seeds' release stages. Gates return
//! result types; `report` renders them and commands write them.

pub mod canary;
pub mod probes;
pub mod shards;
pub mod smoke;
pub mod stage3;
pub mod stage4;
pub mod stress;

/// Milliseconds with µs precision, as artifacts write them.
pub(crate) fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1000.0
}
