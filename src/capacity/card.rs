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
    /// The card holds a rate the target sustained.
    pub fn held(&self) -> bool {
        self.max_rps > 0.0
    }

    /// Reads a card; one line on what is wrong with it.
    pub fn read(path: &Path) -> Result<Card, String> {
        let text = crate::input::read_text(path, crate::input::RESULT)
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

    /// A card; one that held no rate is kept when the target failed its start rate
    /// (its capacity is below that rate: `max_rps` 0, `high` that rate).
    pub fn of(report: CapacityReport) -> Result<Card, String> {
        let failed_at_start = report
            .body
            .steps
            .iter()
            .filter(|s| s.outcome == StepOutcome::Fail && s.phase != "concurrency")
            .map(|s| s.rate)
            .reduce(f64::min);
        let found = match (
            report.body.found.clone(),
            &report.body.limit,
            failed_at_start,
        ) {
            (Some(found), _, _) => found,
            (None, Limit::Target { .. }, Some(rate)) => super::Found {
                max_rps: 0.0,
                low: 0.0,
                high: Some(rate),
                confirmed: 0,
            },
            _ => {
                return Err(format!(
                    "it holds no sustainable rate ({})",
                    report.body.said
                ))
            }
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
