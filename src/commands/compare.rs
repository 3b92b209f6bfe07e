//! `golive compare`: two saved stress results, baseline and candidate, compared metric
//! by metric; and the same judgement for `stress --baseline`.

use std::path::Path;
use std::time::SystemTime;

use anyhow::anyhow;

use super::Finished;
use crate::capacity::{self, CapacityReport};
use crate::cli::{CompareArgs, ComparisonArgs};
use crate::compare::{self, CompareRun, Comparison, RunSide, Settings};
use crate::config;
use crate::exit::{self, Failure};
use crate::gates::stress::{RunSettings, StressReport};
use crate::outcome::Document;
use crate::report::{self, Judged};

pub fn run(args: &CompareArgs) -> exit::Result<Finished> {
    let settings =
        config::compare::settings(&args.comparison).map_err(|e| Failure::usage(anyhow!(e)))?;
    super::refuse_overwriting_inputs(
        &[args.baseline.clone(), args.candidate.clone()],
        &[
            args.json.as_deref(),
            args.evidence.report.as_deref(),
            args.evidence.junit.as_deref(),
        ],
    )?;
    let (baseline, candidate) = match (read(&args.baseline)?, read(&args.candidate)?) {
        (Judged::Stress(a), Judged::Stress(b)) => (*a, *b),
        (Judged::Capacity(a), Judged::Capacity(b)) => return capacities(args, &settings, *a, *b),
        (a, b) => {
            return Err(Failure::usage(anyhow!(
                "compare reads two stress results or two capacity cards, not '{}' and '{}' results",
                a.command(),
                b.command()
            )))
        }
    };
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    let started = SystemTime::now();
    let mut notes = check_plans(
        &baseline.body.settings,
        &candidate.body.settings,
        &args.comparison,
    )?;
    let comparison = against(&baseline, &args.baseline, &candidate, &settings, &mut notes)?;
    let doc = Document::new(
        "compare",
        started,
        comparison.change.outcome(),
        CompareRun {
            baseline: side(&args.baseline, &baseline),
            candidate: side(&args.candidate, &candidate),
            comparison,
        },
    );
    Ok(Finished::new(
        doc.outcome(),
        human,
        report::compare::text(&doc, crate::output::console::width()),
    )
    .json(json, &doc)
    .evidence(&args.evidence, &Judged::Compare(Box::new(doc))))
}

fn read(path: &Path) -> exit::Result<Judged> {
    let raw = crate::input::read(path, crate::input::RESULT)
        .map_err(|e| Failure::usage(anyhow!("cannot read {}: {e}", path.display())))?;
    // Only results compare: say so before any reading of another document's shape.
    let command = serde_json::from_slice::<serde_json::Value>(&raw)
        .ok()
        .and_then(|v| v["command"].as_str().map(str::to_string));
    if let Some(c) = command.filter(|c| !["stress", "merge", "capacity"].contains(&c.as_str())) {
        return Err(Failure::usage(anyhow!(
            "{} holds golive {c}'s result: compare reads two stress (or merge) results, or two capacity cards",
            path.display()
        )));
    }
    Judged::read(&raw).map_err(|e| Failure::usage(anyhow!("{} {e}", path.display())))
}

/// Two capacity cards: has the candidate's maximum fallen beyond the throughput band?
fn capacities(
    args: &CompareArgs,
    settings: &Settings,
    baseline: CapacityReport,
    candidate: CapacityReport,
) -> exit::Result<Finished> {
    let unused = stress_only(&args.comparison);
    if !unused.is_empty() {
        return Err(Failure::usage(anyhow!(
            "{} compare{} stress results, not capacity cards: two cards are compared by their maximums, within --tolerance throughput:-N%",
            unused.join(", "),
            if unused.len() == 1 { "s" } else { "" }
        )));
    }
    let card = |path: &Path, r: CapacityReport| {
        capacity::Card::of(r)
            .map_err(|e| Failure::usage(anyhow!("capacity card {}: {e}", path.display())))
    };
    let (a, b) = (
        card(&args.baseline, baseline)?,
        card(&args.candidate, candidate)?,
    );
    let band = settings
        .tolerances
        .band(compare::Metric::Throughput)
        .amount();
    if band >= 100.0 {
        return Err(Failure::usage(anyhow!(
            "--tolerance throughput:-{band}%: a band of 100% or more calls any capacity the same; give less than 100%"
        )));
    }
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    let started = SystemTime::now();
    let (a_name, b_name) = (
        args.baseline.display().to_string(),
        args.candidate.display().to_string(),
    );
    let c = capacity::versus::compare((&a_name, &a), (&b_name, &b), band);
    let outcome = c.change.outcome();
    let text = report::compare::capacity_text(&c);
    let doc = Document::new("compare-capacity", started, outcome, c);
    Ok(Finished::new(outcome, human, text)
        .json(json, &doc)
        .evidence(&args.evidence, &Judged::CompareCapacity(Box::new(doc))))
}

/// The comparison flags given that only stress results use (a value other than the
/// default): two cards would ignore them, so they are refused rather than dropped.
fn stress_only(c: &ComparisonArgs) -> Vec<String> {
    // The defaults as the parser gives them, so this list cannot drift from the flags'.
    use clap::Parser;
    let Ok(crate::cli::Cli {
        command: crate::cli::Command::Compare(plain),
        ..
    }) = crate::cli::Cli::try_parse_from(["golive", "compare", "a", "b"])
    else {
        return vec![];
    };
    let d = plain.comparison;
    let mut given: Vec<String> = c
        .tolerances
        .iter()
        .filter(|t| {
            !matches!(compare::tolerance::parse(t), Ok(b) if b.metric == compare::Metric::Throughput)
        })
        .map(|t| format!("--tolerance {t}"))
        .collect();
    let flags = [
        ("--percentiles", c.percentiles != d.percentiles),
        ("--unit", c.unit != d.unit),
        ("--compare-warmup", c.warmup != d.warmup),
        ("--confidence", c.confidence != d.confidence),
        ("--force", c.force != d.force),
    ];
    given.extend(
        flags
            .iter()
            .filter(|(_, set)| *set)
            .map(|(f, _)| f.to_string()),
    );
    given
}

fn side(path: &Path, r: &StressReport) -> RunSide {
    RunSide {
        file: path.display().to_string(),
        command: r.envelope.command.clone(),
        started_at: r.envelope.started_at.clone(),
        url: r.body.settings.url.clone(),
        model: r.body.settings.model.clone(),
        outcome: r.envelope.outcome,
        responses: r.body.results.responses,
        wall_time_s: r.body.results.wall_time_s,
    }
}

/// Refuses runs with different plans (exit 2, before any traffic when stress checks
/// its baseline), unless `--force`; then each difference becomes a note.
pub(super) fn check_plans(
    baseline: &RunSettings,
    candidate: &RunSettings,
    args: &ComparisonArgs,
) -> exit::Result<Vec<String>> {
    let (a, b) = (baseline.plan_key(), candidate.plan_key());
    let mismatches = a.mismatches(&b);
    if !mismatches.is_empty() && !args.force {
        return Err(Failure::usage(anyhow!(
            "the runs' plans differ ({}): a comparison would measure the plans, not the releases; run both with one plan, or pass --force",
            mismatches.join("; ")
        )));
    }
    let mut notes = a.remarks(&b);
    notes.extend(
        mismatches
            .into_iter()
            .map(|m| format!("compared with --force although the plans differ: {m}")),
    );
    Ok(notes)
}

/// The comparison of `candidate` against the saved `baseline`.
pub(super) fn against(
    baseline: &StressReport,
    baseline_path: &Path,
    candidate: &StressReport,
    settings: &Settings,
    notes: &mut Vec<String>,
) -> exit::Result<Comparison> {
    let (a, b) = (&baseline.body.settings, &candidate.body.settings);
    let settings = Settings {
        // In the open model throughput is the plan's rate, not the release's.
        throughput: a.model == "closed" && b.model == "closed" && a.plan_key() == b.plan_key(),
        ..settings.clone()
    };
    let pair = compare::Pair::from_timelines(
        &baseline.body.results.timeline,
        &candidate.body.results.timeline,
        settings.unit_s,
        settings.warmup_s,
    )
    .map_err(|e| {
        Failure::usage(anyhow!(
            "a per-second histogram does not decode ({e}); was {} or the candidate edited?",
            baseline_path.display()
        ))
    })?;
    let mut comparison = compare::compare(&pair, &settings);
    for (who, r) in [("baseline", baseline), ("candidate", candidate)] {
        if r.envelope.interrupted {
            notes.push(format!(
                "the {who} run was interrupted: its numbers are partial"
            ));
        }
        if let Some(why) = &r.body.stopped_early {
            notes.push(format!("the {who} run stopped early: {why}"));
        }
    }
    comparison.notes.append(notes);
    Ok(comparison)
}
