//! Any judged golive result, in memory or read back from its `--json` file by the
//! `command` its envelope names: what the HTML report, JUnit and the CI summary render.

use crate::capacity::versus::CapacityComparison;
use crate::capacity::CapacityReport;
use crate::checks::envfile::EnvcheckResult;
use crate::compare::CompareReport;
use crate::gates::canary::CanaryResult;
use crate::gates::probes::ProbesResult;
use crate::gates::smoke::SmokeResults;
use crate::gates::stage3::Stage3Summary;
use crate::gates::stage4::Stage4Summary;
use crate::gates::stress::StressReport;
use crate::outcome::{Document, Envelope, Outcome};
use crate::ramp::RampReport;

/// A judged result of any kind; stress and merge share a shape (the envelope tells them apart).
#[derive(Clone, Debug)]
pub enum Judged {
    Stress(Box<StressReport>),
    Canary(Document<CanaryResult>),
    Smoke(Document<SmokeResults>),
    Stage3(Document<Stage3Summary>),
    Stage4(Box<Document<Stage4Summary>>),
    Probes(Document<ProbesResult>),
    Envcheck(Document<EnvcheckResult>),
    Ramp(Box<RampReport>),
    Compare(Box<CompareReport>),
    Capacity(Box<CapacityReport>),
    /// Two capacity cards compared.
    CompareCapacity(Box<Document<CapacityComparison>>),
}

/// The kinds `golive report` reads, as their envelopes name them.
pub const KINDS: &str =
    "stress, merge, compare, compare-capacity, capacity, canary, smoke, stage3, stage4, probes, envcheck, ramp";

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("is not JSON ({0})")]
    NotJson(serde_json::Error),
    #[error("is not a golive result (no \"golive_version\" and \"command\" fields)")]
    Foreign,
    #[error("is a golive {0} document, which has no report (reports exist for {KINDS})")]
    NoReport(String),
    #[error("is a golive {command} result that does not read back ({why}); was it edited, or written by another golive version?")]
    Shape { command: String, why: String },
}

impl Judged {
    /// Reads a `--json` file's bytes.
    pub fn read(bytes: &[u8]) -> Result<Judged, ReadError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(ReadError::NotJson)?;
        let command = match (value.get("golive_version"), value.get("command")) {
            (Some(_), Some(serde_json::Value::String(c))) => c.clone(),
            _ => return Err(ReadError::Foreign),
        };
        let shape = |e: serde_json::Error| ReadError::Shape {
            command: command.clone(),
            why: e.to_string(),
        };
        let judged = match command.as_str() {
            "stress" | "merge" => {
                Judged::Stress(Box::new(serde_json::from_value(value).map_err(shape)?))
            }
            "canary" => Judged::Canary(serde_json::from_value(value).map_err(shape)?),
            "smoke" => Judged::Smoke(serde_json::from_value(value).map_err(shape)?),
            "stage3" => Judged::Stage3(serde_json::from_value(value).map_err(shape)?),
            "stage4" => Judged::Stage4(Box::new(serde_json::from_value(value).map_err(shape)?)),
            "probes" => Judged::Probes(serde_json::from_value(value).map_err(shape)?),
            "envcheck" => Judged::Envcheck(serde_json::from_value(value).map_err(shape)?),
            "ramp" => Judged::Ramp(Box::new(serde_json::from_value(value).map_err(shape)?)),
            "compare" => Judged::Compare(Box::new(serde_json::from_value(value).map_err(shape)?)),
            "capacity" => Judged::Capacity(Box::new(serde_json::from_value(value).map_err(shape)?)),
            "compare-capacity" => {
                Judged::CompareCapacity(Box::new(serde_json::from_value(value).map_err(shape)?))
            }
            other => return Err(ReadError::NoReport(other.to_string())),
        };
        Ok(judged)
    }

    pub fn envelope(&self) -> &Envelope {
        match self {
            Judged::Stress(d) => &d.envelope,
            Judged::Canary(d) => &d.envelope,
            Judged::Smoke(d) => &d.envelope,
            Judged::Stage3(d) => &d.envelope,
            Judged::Stage4(d) => &d.envelope,
            Judged::Probes(d) => &d.envelope,
            Judged::Envcheck(d) => &d.envelope,
            Judged::Ramp(d) => &d.envelope,
            Judged::Compare(d) => &d.envelope,
            Judged::Capacity(d) => &d.envelope,
            Judged::CompareCapacity(d) => &d.envelope,
        }
    }

    pub fn outcome(&self) -> Outcome {
        self.envelope().outcome
    }

    /// `stress`, `merge`, `canary`, ...
    pub fn command(&self) -> &str {
        &self.envelope().command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_and_broken_documents_say_what_they_are() {
        assert!(matches!(Judged::read(b"{"), Err(ReadError::NotJson(_))));
        assert!(matches!(
            Judged::read(br#"{"status": "PASS"}"#),
            Err(ReadError::Foreign)
        ));
        let demo = br#"{"golive_version": "0.1.0", "command": "demo"}"#;
        assert!(matches!(Judged::read(demo), Err(ReadError::NoReport(c)) if c == "demo"));
        let cut = br#"{"golive_version": "0.1.0", "command": "stress", "outcome": "pass"}"#;
        let err = Judged::read(cut).unwrap_err().to_string();
        assert!(
            err.starts_with("is a golive stress result that does not read back"),
            "{err}"
        );
    }
}
