//! `golive merge`: several saved stress runs (threads, machines, shards) into one,
//! exactly: histograms and counters add, percentiles are recomputed, SLOs re-judged.

use std::path::PathBuf;

use anyhow::{anyhow, Context};

use crate::cli::MergeArgs;
use crate::config::parse_slos;
use crate::exit::{self, Exit, Failure};
use crate::measure::Measurement;
use crate::report::{artifact, text, StressReport};
use crate::slo::{Observed, Outcome, Slo};

fn read_report(path: &PathBuf) -> anyhow::Result<StressReport> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: StressReport = serde_json::from_str(&raw)
        .with_context(|| format!("{} is not a golive stress result", path.display()))?;
    if report.command != "stress" {
        return Err(anyhow!(
            "{} holds '{}' results, not stress",
            path.display(),
            report.command
        ));
    }
    Ok(report)
}

/// Merges reports; SLOs are `slos` if given, else the first report's expressions.
pub fn merge(reports: &[StressReport], slos: &[Slo]) -> anyhow::Result<StressReport> {
    let first = reports.first().ok_or_else(|| anyhow!("nothing to merge"))?;
    let mut total = Measurement::default();
    for r in reports {
        total.merge(Measurement::from_summary(&r.results).context("decoding histograms")?)?;
    }
    let verdicts: Vec<_> = slos
        .iter()
        .map(|s| s.evaluate(&Observed::of(&total)))
        .collect();
    let interrupted = reports.iter().any(|r| r.interrupted);
    let mut verdict = Outcome::combine(verdicts.iter().map(|v| v.outcome));
    if interrupted && verdict == Outcome::Pass {
        verdict = Outcome::Inconclusive;
    }
    let mut settings = first.settings.clone();
    settings.concurrency = reports.iter().map(|r| r.settings.concurrency).sum();
    settings.threads = reports.iter().map(|r| r.settings.threads).sum();
    settings.requests = reports.iter().map(|r| r.settings.requests).sum();
    settings.rate_rps = reports.iter().map(|r| r.settings.rate_rps).sum();
    if reports.iter().any(|r| r.settings.url != first.settings.url) {
        settings.url = format!("{} (and other URLs)", first.settings.url);
    }
    let mut warnings = vec![format!(
        "merged from {} runs; wall time is the longest run's",
        reports.len()
    )];
    warnings.extend(reports.iter().flat_map(|r| r.warnings.iter().cloned()));
    Ok(StressReport {
        golive_version: env!("CARGO_PKG_VERSION").to_string(),
        command: "stress".into(),
        started_at: reports
            .iter()
            .map(|r| r.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: reports
            .iter()
            .map(|r| r.finished_at.clone())
            .max()
            .unwrap_or_default(),
        interrupted,
        stopped_early: reports.iter().find_map(|r| r.stopped_early.clone()),
        settings,
        results: total.summary(),
        slos: verdicts,
        verdict,
        warnings,
    })
}

pub fn run(args: &MergeArgs) -> exit::Result<Exit> {
    let reports = args
        .files
        .iter()
        .map(read_report)
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(Failure::usage)?;
    let exprs = if args.slos.is_empty() {
        reports[0].slos.iter().map(|v| v.slo.clone()).collect()
    } else {
        args.slos.clone()
    };
    let slos = parse_slos(&exprs).map_err(Failure::usage)?;
    let merged = merge(&reports, &slos).map_err(Failure::usage)?;
    print!("{}", text::stress(&merged));
    if let Some(path) = &args.json {
        artifact::write_json(path, &merged).map_err(Failure::runtime)?;
    }
    Ok(super::stress::exit_code(&merged))
}
