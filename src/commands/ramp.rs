//! `golive ramp`: plan (or re-read the journaled one), lock the state file, drive the
//! ramp printing a line per event, then the verdict and the timeline as JSON.
//! `golive ramp approve|abort` write to the state file of a paused ramp.

use std::path::Path;
use std::time::SystemTime;

use clap::Parser;

use super::Finished;
use crate::cli::{Cli, Command, RampAction, RampArgs};
use crate::config::process_env;
use crate::exit::{self, Failure};
use crate::outcome::{Document, Outcome};
use crate::ramp::state::{self, Action, Control};
use crate::ramp::{Event, Journal, RampPlan, RampRun};
use crate::report::{paint, ramp as render, Judged};

pub fn run(args: &RampArgs) -> exit::Result<Finished> {
    match &args.action {
        Some(RampAction::Approve(a)) => control(&a.state, Action::Approve),
        Some(RampAction::Abort(a)) => control(&a.state, Action::Abort),
        None => ramp(args, &mut |_| {}),
    }
}

fn control(path: &Path, action: Action) -> exit::Result<Finished> {
    let current = state::read(path)
        .map_err(Failure::usage)?
        .ok_or_else(|| Failure::usage(anyhow::anyhow!("no ramp state at {}", path.display())))?;
    if current.phase.is_over() {
        return Err(Failure::usage(anyhow::anyhow!(
            "the ramp in {} has ended ({:?}): nothing to {}",
            path.display(),
            current.phase,
            verb(action)
        )));
    }
    state::update(path, |s| {
        s.control.push(Control {
            action,
            at: crate::time::now_millis(),
        })
    })
    .map_err(Failure::runtime)?;
    let when = if current.phase == crate::ramp::Phase::Paused {
        "the paused ramp picks it up within a second"
    } else {
        "the ramp acts on it at its next pause"
    };
    Ok(Finished::done(format!(
        "{} recorded in {}: {when}\n",
        verb(action),
        path.display()
    )))
}

fn verb(a: Action) -> &'static str {
    match a {
        Action::Approve => "approve",
        Action::Abort => "abort",
    }
}

/// Runs a ramp; `observe` sees each event after it is journaled (the demo uses it to
/// turn its target bad at a chosen step).
pub(crate) fn ramp(args: &RampArgs, observe: &mut dyn FnMut(&Event)) -> exit::Result<Finished> {
    let env = &process_env;
    let usage = |m: String| Failure::usage(anyhow::anyhow!(m));
    // Lock first, so that two ramps never both read the file as free.
    let lock = match &args.state {
        Some(p) if !args.dry_run => Some(
            Journal::lock(p, state::fresh(Vec::new(), Vec::new(), Vec::new(), None))
                .map_err(Failure::usage)?,
        ),
        _ => None,
    };
    let existing = match &args.state {
        Some(p) => state::read(p).map_err(Failure::usage)?,
        None => None,
    };
    let (eff, resumed_state) = if args.resume {
        let path = args
            .state
            .as_deref()
            .expect("clap: --resume requires --state");
        let st = existing
            .ok_or_else(|| usage(format!("no ramp state at {} to resume", path.display())))?;
        if st.phase.is_over() {
            return Err(usage(format!(
                "the ramp in {} has ended ({:?}); nothing to resume (start a new one with --restart)",
                path.display(),
                st.phase
            )));
        }
        if args.revision.is_some() && args.revision != st.revision {
            return Err(usage(format!(
                "{} holds revision {}, not {}: refused (--restart to start over with the new one)",
                path.display(),
                st.revision.as_deref().unwrap_or("(none)"),
                args.revision.as_deref().unwrap_or("")
            )));
        }
        let mut stored = reparse(&st.argv).map_err(usage)?;
        stored.request.headers = args.request.headers.clone();
        stored.request.token = args.request.token.clone();
        let names = header_names(&stored);
        if names != st.header_names {
            return Err(usage(format!(
                "the ramp sent headers {:?}; give them again on resume (-H NAME: VALUE, --token): values are never stored",
                st.header_names
            )));
        }
        (stored, Some(st))
    } else {
        if let (Some(st), Some(p)) = (&existing, &args.state) {
            if !st.phase.is_over() && !args.restart {
                return Err(usage(format!(
                    "{} holds a ramp in progress (revision {}, step {}, {:?}): --resume it, or --restart",
                    p.display(),
                    st.revision.as_deref().unwrap_or("(none)"),
                    st.step + 1,
                    st.phase
                )));
            }
        }
        (args.clone(), None)
    };
    let (plan, warnings) = RampPlan::from_args(&eff, env).map_err(Failure::usage)?;
    let url = eff.url.clone().unwrap_or_default();
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    human.text(&render::plan(&plan, &url, &warnings));
    if args.dry_run {
        return Ok(Finished::new(
            Outcome::Pass,
            human,
            "dry run: nothing was run\n",
        ));
    }
    let resumed = resumed_state.is_some();
    let fresh_state = || {
        state::fresh(
            stored_argv(),
            header_names(&eff),
            plan.steps.clone(),
            eff.revision.clone(),
        )
    };
    let journal = match lock {
        Some(mut j) => {
            j.state = resumed_state.unwrap_or_else(fresh_state);
            j.save().map_err(Failure::runtime)?;
            j
        }
        None => Journal::in_memory(fresh_state()),
    };
    let started = SystemTime::now();
    let (ended, journal) =
        super::runtime()?.block_on(crate::ramp::run(&plan, journal, resumed, &mut |e| {
            human.text(&render::event(&plan, e));
            observe(e);
        }));
    let mut text = format!("{}\n  {}\n", paint::verdict_line(ended.outcome), ended.why);
    if ended.outcome == Outcome::Interrupted && !journal.state.phase.is_over() {
        match journal.path() {
            Some(p) => {
                text.push_str(&format!(
                    "  resume: golive ramp --resume --state {}",
                    p.display()
                ));
                if !journal.state.header_names.is_empty() {
                    text.push_str(" (with the same -H/--token)");
                }
                text.push('\n');
            }
            None => text.push_str("  no --state file: this ramp cannot be resumed\n"),
        }
    }
    let report = Document::new(
        "ramp",
        started,
        ended.outcome,
        RampRun {
            url,
            revision: journal.state.revision.clone(),
            state_file: journal.path().map(|p| p.display().to_string()),
            why: ended.why,
            timeline: journal.state.timeline.clone(),
        },
    );
    Ok(Finished::new(ended.outcome, human, text)
        .json(json, &report)
        .evidence(&args.evidence, &Judged::Ramp(report)))
}

fn header_names(args: &RampArgs) -> Vec<String> {
    let mut names: Vec<String> = args
        .request
        .headers
        .iter()
        .filter_map(|h| {
            h.split_once(':')
                .map(|(n, _)| n.trim().to_ascii_lowercase())
        })
        .collect();
    if args.request.token.as_deref().is_some_and(|t| !t.is_empty()) {
        names.push("authorization (--token)".into());
    }
    names
}

/// The command line after `ramp`, without header values, tokens or one-off flags:
/// what a resume rebuilds the plan from.
fn stored_argv() -> Vec<String> {
    let argv: Vec<String> = std::env::args().collect();
    let start = argv
        .iter()
        .position(|a| a == "ramp")
        .map_or(argv.len(), |i| i + 1);
    let mut out = Vec::new();
    let mut skip_value = false;
    for a in &argv[start..] {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        match a.as_str() {
            "-H" | "--header" | "--token" => skip_value = true,
            "--resume" | "--restart" | "--dry-run" => {}
            _ if a.starts_with("--header=")
                || a.starts_with("--token=")
                || (a.starts_with("-H") && a.len() > 2) => {}
            _ => out.push(a.clone()),
        }
    }
    out
}

fn reparse(argv: &[String]) -> Result<RampArgs, String> {
    let full = ["golive", "ramp"]
        .into_iter()
        .map(String::from)
        .chain(argv.iter().cloned());
    match Cli::try_parse_from(full) {
        Ok(Cli {
            command: Command::Ramp(a),
            ..
        }) => Ok(*a),
        Ok(_) => Err("the state file's command line is not a ramp".into()),
        Err(e) => Err(format!(
            "the state file's command line no longer parses: {}",
            e.kind()
        )),
    }
}
