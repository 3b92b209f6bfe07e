//! A capacity card: what another command reads of a `golive capacity --json` document
//! (the ramp's pre-gate loads a share of its maximum; `compare` sets two side by side).

use std::path::Path;

use super::{CapacityReport, Limit, StepOutcome};

/// The maximum a card found, and how far it can be trusted.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub max_rps: f64,
    /// Where the target failed (`None`: it never did: the maximum is a lower bound).
    pub high: Option<f64>,
    /// The connections the maximum passed with.
    pub connections: u32,
    /// Empty, or what makes the maximum a lower bound, as " (…)".
    pub caveat: String,
    pub report: CapacityReport,
}

impl Card {
    /// Reads a card; one line on what is wrong with it.
    pub fn read(path: &Path) -> Result<Card, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("capacity card {}: {e}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("capacity card {}: not JSON ({e})", path.display()))?;
        if value["command"] != "capacity" {
            return Err(format!(
                "{} is not a capacity card: it was written by {} (write one with golive capacity --json)",
                path.display(),
                value["command"].as_str().map_or("something else".into(), |c| format!("golive {c}"))
            ));
        }
        let report: CapacityReport = serde_json::from_value(value)
            .map_err(|e| format!("capacity card {}: {e}", path.display()))?;
        Card::of(report).map_err(|e| format!("capacity card {}: {e}", path.display()))
    }

    pub fn of(report: CapacityReport) -> Result<Card, String> {
        let Some(found) = report.body.found.clone() else {
            return Err(format!(
                "it holds no sustainable rate ({})",
                report.body.said
            ));
        };
        let connections = report
            .body
            .steps
            .iter()
            .filter(|s| {
                // A sweep's maximum is a step's achieved throughput; a search's, its rate.
                let at = if s.phase == "concurrency" {
                    s.achieved_rps
                } else {
                    s.rate
                };
                at == found.max_rps && s.outcome == StepOutcome::Pass
            })
            .map(|s| s.connections)
            .max()
            .unwrap_or(1);
        let caveat = match &report.body.limit {
            Limit::Target { .. } => String::new(),
            Limit::Generator { .. } => " (a lower bound: the generator was the limit)".into(),
            Limit::MaxRate => " (a lower bound: --max-rate was reached)".into(),
            Limit::MaxDuration => " (a lower bound: --max-duration ran out)".into(),
            Limit::Interrupted => " (a lower bound: the search was interrupted)".into(),
            Limit::Concurrency => {
                " (a lower bound: the highest throughput a closed-loop step held)".into()
            }
        };
        Ok(Card {
            max_rps: found.max_rps,
            high: found.high,
            connections,
            caveat,
            report,
        })
    }
}
