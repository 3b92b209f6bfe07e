//! `--tolerance`, `--percentiles`, `--unit`, `--compare-warmup` and `--confidence`
//! turned into the comparison's settings.

use crate::cli::ComparisonArgs;
use crate::compare::{tolerance, Settings, Tolerances};

/// `--tolerance` flags, each parsed.
pub fn tolerances(given: &[String]) -> Result<Tolerances, String> {
    given
        .iter()
        .map(|t| tolerance::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map(Tolerances::new)
}

/// The comparison's settings; `throughput` is decided later, from the two plans.
pub fn settings(args: &ComparisonArgs) -> Result<Settings, String> {
    let tolerances = tolerances(&args.tolerances)?;
    let unit = args.unit.as_secs_f64();
    if unit.fract() != 0.0 || !(1.0..=10.0).contains(&unit) {
        return Err(format!(
            "--unit {}: use whole seconds from 1s to 10s (the runs' timelines count seconds)",
            humantime::format_duration(args.unit)
        ));
    }
    if args.warmup.subsec_nanos() != 0 {
        return Err(
            "--compare-warmup: use whole seconds (the runs' timelines count seconds)".into(),
        );
    }
    if !(0.5..1.0).contains(&args.confidence) {
        return Err(format!(
            "--confidence {}: give a share from 0.5 to below 1, e.g. 0.95",
            args.confidence
        ));
    }
    let mut percentiles = Vec::new();
    for &p in &args.percentiles {
        if !(p > 0.0 && p < 100.0) {
            return Err(format!(
                "--percentiles: {p} is not between 0 and 100 (e.g. 50,95,99)"
            ));
        }
        percentiles.push(p / 100.0);
    }
    // A band on a percentile that was not asked for asks for it.
    for q in tolerances.percentiles() {
        if !percentiles.iter().any(|p| (p - q).abs() < 1e-12) {
            percentiles.push(q);
        }
    }
    Ok(Settings {
        unit_s: unit as u32,
        warmup_s: args.warmup.as_secs() as u32,
        confidence: args.confidence,
        percentiles,
        tolerances,
        ..Settings::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn args() -> ComparisonArgs {
        ComparisonArgs {
            tolerances: vec!["p90:+5%".into()],
            percentiles: vec![50.0, 99.0],
            unit: Duration::from_secs(2),
            warmup: Duration::from_secs(3),
            confidence: 0.95,
            force: false,
        }
    }

    #[test]
    fn flags_become_settings() {
        let s = settings(&args()).unwrap();
        assert_eq!(s.unit_s, 2);
        assert_eq!(s.warmup_s, 3);
        assert_eq!(s.percentiles, vec![0.5, 0.99, 0.9]);
    }

    #[test]
    fn bad_flags_name_themselves() {
        let mut a = args();
        a.unit = Duration::from_millis(1500);
        assert!(settings(&a).unwrap_err().starts_with("--unit"));
        let mut a = args();
        a.confidence = 1.0;
        assert!(settings(&a).unwrap_err().starts_with("--confidence"));
        let mut a = args();
        a.percentiles = vec![100.0];
        assert!(settings(&a).unwrap_err().starts_with("--percentiles"));
        let mut a = args();
        a.tolerances = vec!["p99".into()];
        assert!(settings(&a).unwrap_err().contains("no ':'"));
    }
}
