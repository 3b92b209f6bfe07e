//! Two capacity cards compared: has the candidate's maximum sustainable rate fallen
//! against the baseline's? Each card brackets its target's capacity between the rate
//! that passed and the rate that failed; a verdict is reached only when the brackets
//! settle it against the band (`--tolerance throughput:-5%`), else it is inconclusive
//! and says what would settle it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Card;
use crate::compare::Change;

/// One side: the rate that passed and where the target failed (`None`: it never did).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Bracket {
    pub file: String,
    pub url: String,
    pub max_rps: f64,
    pub failed_at: Option<f64>,
    /// Empty, or why the maximum is only a lower bound.
    pub caveat: String,
}

/// What `golive compare` writes for two capacity cards.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct CapacityComparison {
    pub baseline: Bracket,
    pub candidate: Bracket,
    /// The candidate's maximum against the baseline's, in percent.
    pub change_pct: f64,
    /// How far the maximum may fall and still be the same, in percent.
    pub band_pct: f64,
    pub change: Change,
    /// The answer in one sentence.
    pub said: String,
    pub notes: Vec<String>,
}

fn bracket(file: &str, c: &Card) -> Bracket {
    Bracket {
        file: file.into(),
        url: c.report.body.url.clone(),
        max_rps: c.max_rps,
        failed_at: c.high,
        caveat: c
            .caveat
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .into(),
    }
}

/// The candidate's capacity against the baseline's, with a band in percent.
pub fn compare(
    (base_file, base): (&str, &Card),
    (cand_file, cand): (&str, &Card),
    band_pct: f64,
) -> CapacityComparison {
    let floor = 1.0 - band_pct / 100.0;
    let change_pct = if base.held() {
        (cand.max_rps / base.max_rps - 1.0) * 100.0
    } else {
        0.0
    };
    let mut notes = Vec::new();
    let (b_slos, c_slos) = (&base.report.body.slos, &cand.report.body.slos);
    if b_slos != c_slos {
        notes.push(format!(
            "the cards were searched under different SLOs ({} against {}): their maximums answer different questions",
            b_slos.join(", "),
            c_slos.join(", ")
        ));
    }
    if base.report.body.url != cand.report.body.url {
        notes.push(format!(
            "the cards loaded different URLs: {} and {}",
            base.report.body.url, cand.report.body.url
        ));
    }
    let (change, said) = if cand.high.is_some_and(|h| h <= base.max_rps * floor) {
        // Whatever the candidate's true capacity, it is below the rate where it failed,
        // and that is below what the baseline held, less the band.
        (
            Change::Regressed,
            format!(
                "REGRESSED: the candidate failed at {:.0} req/s, which the baseline held with room beyond the {band_pct}% band ({:.0} req/s)",
                cand.high.unwrap_or_default(),
                base.max_rps
            ),
        )
    } else if let Some(high) = base
        .high
        .filter(|h| cand.held() && cand.max_rps >= h * floor)
    {
        // The candidate held at least the rate where the baseline failed, less the band.
        if cand.max_rps >= high {
            (
                Change::Improved,
                format!(
                    "IMPROVED: the candidate held {:.0} req/s, where the baseline failed ({high:.0} req/s): at least {:.1}% more",
                    cand.max_rps,
                    (cand.max_rps / high - 1.0) * 100.0
                ),
            )
        } else {
            (
                Change::Same,
                format!(
                    "SAME: the candidate held {:.0} req/s; the baseline failed at {high:.0} req/s, so its capacity is at most {:.1}% higher (the band is {band_pct}%)",
                    cand.max_rps,
                    (high / cand.max_rps - 1.0) * 100.0
                ),
            )
        }
    } else {
        let why = match (base.high, cand.high) {
            (None, _) => "the baseline's card is a lower bound (no rate failed on its target's account)".to_string(),
            (_, None) => "the candidate's card is a lower bound (no rate failed on its target's account)".to_string(),
            _ => format!(
                "the brackets [{:.0}, {:.0}] and [{:.0}, {:.0}] req/s do not settle a {band_pct}% band: search both with a finer --precision",
                base.max_rps,
                base.high.unwrap_or_default(),
                cand.max_rps,
                cand.high.unwrap_or_default()
            ),
        };
        (Change::Inconclusive, format!("INCONCLUSIVE: {why}"))
    };
    CapacityComparison {
        baseline: bracket(base_file, base),
        candidate: bracket(cand_file, cand),
        change_pct: (change_pct * 10.0).round() / 10.0,
        band_pct,
        change,
        said,
        notes,
    }
}
