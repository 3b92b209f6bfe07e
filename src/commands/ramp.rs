//! `golive ramp`: plan (or re-read the journaled one), check everything before any
//! traffic moves (outputs, the state path, open files, the metrics endpoint), lock the
//! state file, drive the ramp printing a line per event, then the verdict and the
//! whole timeline as JSON and evidence. `golive ramp approve|abort|status` answer a
//! ramp through its state file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::{Finished, Human};
use crate::cli::{RampAction, RampApproveArgs, RampArgs, RampControlArgs};
use crate::config::process_env;
use crate::config::ramp::{header_names, journaled, resume_from, resumed_args, ResumeFrom};
use crate::exit::{self, Exit, Failure};
use crate::outcome::{Document, Outcome};
use crate::output::{file, lock, Dest};
use crate::ramp::state::{self, Action, Control, Phase, RampState, StateError};
use crate::ramp::{window, Ended, Event, Journal, RampPlan, RampRun};
use crate::report::{paint, ramp as render, Judged};
use crate::shutdown::Cancel;

use super::ramp_view::RampView;

pub fn run(args: &RampArgs) -> exit::Result<Finished> {
    match &args.action {
        Some(RampAction::Approve(a)) => approve(a),
        Some(RampAction::Abort(a)) => abort(a),
        Some(RampAction::Status(a)) => status(a),
        None => ramp(args, &mut |_| {}),
    }
}

fn usage(m: impl std::fmt::Display) -> Failure {
    Failure::usage(anyhow::anyhow!("{m}"))
}

/// A state-file error: damage and foreign files are the input's fault (exit 2); a
/// lock held or a write that failed is golive's (exit 4).
fn state_failure(e: StateError) -> Failure {
    match e {
        StateError::Write { .. } | StateError::Locked { .. } => Failure::runtime(e),
        _ => Failure::usage(e),
    }
}

/// The state path as one canonical spelling (a symlink or `./` spells the same
/// journal, so two ramps cannot both lock it), checked writable without creating it.
fn state_path(path: &Path) -> exit::Result<PathBuf> {
    file::check_writable(path).map_err(|e| usage(format!("--state: {e}")))?;
    Ok(file::canonical_dest(path))
}

/// An existing state file, canonical.
fn existing_state(path: &Path) -> exit::Result<PathBuf> {
    if !path.is_file() {
        return Err(usage(format!("no ramp state at {}", path.display())));
    }
    Ok(file::canonical_dest(path))
}

/// Runs a ramp (or resumes one); `observe` sees each event after it is journaled.
fn ramp(args: &RampArgs, observe: &mut dyn FnMut(&Event)) -> exit::Result<Finished> {
    let state = args.state.as_deref().map(state_path).transpose()?;
    match (&state, args.resume) {
        (Some(path), true) => resume(args, path, observe),
        _ => start(args, state.as_deref(), observe),
    }
}

/// The outputs of a ramp, checked: writable, distinct, and none of them the journal.
fn ramp_outputs(args: &RampArgs, state: Option<&Path>) -> exit::Result<(Option<Dest>, Human)> {
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    if let Some(state) = state {
        let outputs = [
            args.json.as_deref(),
            args.evidence.report.as_deref(),
            args.evidence.junit.as_deref(),
        ];
        for out in outputs.into_iter().flatten() {
            if file::canonical_dest(out) == state {
                return Err(usage(format!(
                    "{} is the --state journal: name another file for the output",
                    out.display()
                )));
            }
        }
    }
    Ok((json, human))
}

/// What must hold before any weight changes: the open-files limit for the pre-gate's
/// and the windows' connections, and a metrics endpoint that answers Prometheus text.
fn preflight(plan: &RampPlan, rt: &tokio::runtime::Runtime) -> exit::Result<()> {
    let pre = plan.pre.as_ref().map_or(0, |p| p.load.concurrency);
    super::preflight_fds(pre.max(plan.sample.load.concurrency))?;
    if let Some(mp) = &plan.metrics {
        rt.block_on(window::scrape(&mp.target, mp, &plan.sample.client))
            .map_err(|e| usage(format!("--metrics: {e}; nothing was touched")))?;
        if let Some(b) = &mp.baseline {
            rt.block_on(window::scrape(b, mp, &plan.sample.client))
                .map_err(|e| usage(format!("--baseline-metrics: {e}; nothing was touched")))?;
        }
    }
    Ok(())
}

fn start(
    args: &RampArgs,
    state: Option<&Path>,
    observe: &mut dyn FnMut(&Event),
) -> exit::Result<Finished> {
    let (plan, warnings) = RampPlan::from_args(args, &process_env).map_err(Failure::usage)?;
    let (json, human) = ramp_outputs(args, state)?;
    let url = args.url.clone().unwrap_or_default();
    human.text(&render::plan(&plan, &url, &warnings));
    if args.dry_run {
        return Ok(Finished::new(
            Outcome::Pass,
            human,
            "dry run: nothing was run\n",
        ));
    }
    let rt = super::runtime()?;
    preflight(&plan, &rt)?;
    let fresh = state::fresh(
        journaled(args),
        header_names(args),
        plan.steps.clone(),
        args.revision.clone(),
    );
    let journal = match state {
        Some(path) => {
            let mut journal = Journal::lock(path, fresh).map_err(state_failure)?;
            match state::read(path) {
                Ok(Some(st)) if !st.phase.is_over() && !args.restart => {
                    return Err(usage(format!(
                        "{} holds a ramp in progress (revision {}, step {}, {}): --resume it, or --restart",
                        path.display(),
                        st.revision.as_deref().unwrap_or("(none)"),
                        st.step + 1,
                        st.phase.describe()
                    )));
                }
                Err(e) if !args.restart => return Err(state_failure(e)),
                _ => {}
            }
            journal.save().map_err(Failure::runtime)?;
            journal
        }
        None => Journal::in_memory(fresh),
    };
    drive(
        &plan,
        journal,
        false,
        &url,
        (json, human),
        args,
        &rt,
        observe,
    )
}

fn resume(args: &RampArgs, path: &Path, observe: &mut dyn FnMut(&Event)) -> exit::Result<Finished> {
    let placeholder = state::fresh(serde_json::Value::Null, Vec::new(), Vec::new(), None);
    let mut journal = Journal::lock(path, placeholder).map_err(state_failure)?;
    let st = state::read(path)
        .map_err(state_failure)?
        .ok_or_else(|| usage(format!("no ramp state at {} to resume", path.display())))?;
    let refused = |why: String| usage(format!("{}: {why}", path.display()));
    let from = resume_from(&st, args.revision.as_deref()).map_err(refused)?;
    let eff = resumed_args(&st, args).map_err(refused)?;
    let (plan, warnings) = RampPlan::from_args(&eff, &process_env).map_err(Failure::usage)?;
    if plan.steps != st.steps {
        return Err(refused(
            "its steps differ from its plan's (edited by hand?)".into(),
        ));
    }
    let outputs = ramp_outputs(&eff, Some(path))?;
    let url = eff.url.clone().unwrap_or_default();
    outputs.1.text(&render::plan(&plan, &url, &warnings));
    let rt = super::runtime()?;
    if from != ResumeFrom::FinishRollback {
        preflight(&plan, &rt)?;
    }
    journal.state = st;
    drive(&plan, journal, true, &url, outputs, &eff, &rt, observe)
}

#[allow(clippy::too_many_arguments)]
fn drive(
    plan: &RampPlan,
    journal: Journal,
    resumed: bool,
    url: &str,
    (json, human): (Option<Dest>, Human),
    args: &RampArgs,
    rt: &tokio::runtime::Runtime,
    observe: &mut dyn FnMut(&Event),
) -> exit::Result<Finished> {
    let started = SystemTime::now();
    let path = journal.path().map(Path::to_path_buf);
    let view = std::sync::Arc::new(RampView::new(!args.no_progress, args.status_interval, plan));
    let (ended, journal) = rt.block_on(async {
        let cancel = Cancel::on_signals();
        let ticker = view.ticker();
        let ran = crate::ramp::run(plan, journal, resumed, &cancel, &mut |e| {
            view.event(e, || human.text(&render::event(plan, path.as_deref(), e)));
            observe(e);
        })
        .await;
        if let Some(t) = ticker {
            t.abort();
        }
        ran
    });
    view.finish();
    Ok(
        finished(plan, &ended, &journal.state, path.as_deref(), url, started).with_outputs(
            json,
            human,
            &args.evidence,
        ),
    )
}

/// What a driven ramp leaves: the verdict, how to go on, the timeline as a result.
struct Done {
    outcome: Outcome,
    exit: Option<Exit>,
    text: String,
    report: crate::ramp::RampReport,
}

impl Done {
    fn with_outputs(
        self,
        json: Option<Dest>,
        human: Human,
        evidence: &crate::cli::EvidenceArgs,
    ) -> Finished {
        let mut f = Finished::new(self.outcome, human, self.text)
            .json(json, &self.report)
            .evidence(evidence, &Judged::Ramp(Box::new(self.report)));
        if let Some(exit) = self.exit {
            f = f.exit_with(exit);
        }
        f
    }
}

fn finished(
    plan: &RampPlan,
    ended: &Ended,
    state: &RampState,
    path: Option<&Path>,
    url: &str,
    started: SystemTime,
) -> Done {
    let mut text = format!("{}\n  {}\n", paint::verdict_line(ended.outcome), ended.why);
    let stuck = ended.outcome == Outcome::Interrupted && !state.phase.is_over();
    if stuck && !ended.why.contains("--resume") {
        match path {
            Some(p) => {
                text.push_str(&format!(
                    "  resume: golive ramp --resume --state {}",
                    p.display()
                ));
                if !state.header_names.is_empty() {
                    text.push_str(" (with the same -H/--token)");
                }
                text.push('\n');
            }
            None => text.push_str("  no --state file: this ramp cannot be resumed\n"),
        }
    }
    let exit = if ended.rollback_failed {
        Some(Exit::RollbackFailed)
    } else if ended.journal_failed {
        Some(Exit::Runtime)
    } else {
        None
    };
    let report = Document::new(
        "ramp",
        started,
        ended.outcome,
        RampRun {
            url: url.to_string(),
            revision: state.revision.clone().or(plan.revision.clone()),
            state_file: path.map(|p| p.display().to_string()),
            plan: Some(plan.summary()),
            why: ended.why.clone(),
            timeline: state.timeline.clone(),
        },
    );
    Done {
        outcome: ended.outcome,
        exit,
        text,
        report,
    }
}

/// How long `approve` waits for a running ramp to take the approval.
const ACK: Duration = Duration::from_secs(5);

/// Polls the state file until `done` holds or `patience` runs out.
fn wait_for(
    path: &Path,
    patience: Duration,
    done: impl Fn(&RampState) -> bool,
) -> Option<RampState> {
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(Some(st)) = state::read(path) {
            if done(&st) {
                return Some(st);
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn running(path: &Path) -> bool {
    lock::is_held(&state::run_lock_path(path))
}

fn where_it_is(s: &RampState) -> String {
    let weight = s.steps.get(s.step).map_or(0, |st| st.weight);
    format!(
        "the ramp is {} at step {} of {} ({weight}%)",
        s.phase.describe(),
        s.step + 1,
        s.steps.len()
    )
}

fn approve(a: &RampApproveArgs) -> exit::Result<Finished> {
    let path = existing_state(&a.state)?;
    let shown = path.display().to_string();
    let answer = state::update(&path, |s| {
        if s.phase.is_over() {
            return Err(format!(
                "the ramp in {shown} has ended ({}): nothing to approve",
                s.phase.describe()
            ));
        }
        let pending = s.pause.clone().filter(|_| s.phase == Phase::Paused);
        let Some(pause) = pending else {
            return Err(format!(
                "no pause is pending: {}; approve answers a pause (--pause-before, --on-fail pause) while one is pending",
                where_it_is(s)
            ));
        };
        if let Some(want) = a.pause.filter(|w| *w != pause.id) {
            return Err(format!(
                "pause {want} is not pending: pause {} is (step {}, {}%: {})",
                pause.id,
                pause.step + 1,
                pause.weight,
                pause.why
            ));
        }
        if s.control[s.control_seen..]
            .iter()
            .any(|c| c.action == Action::Approve && c.pause == Some(pause.id))
        {
            return Err(format!(
                "pause {} is already approved: the ramp acts on it within a second",
                pause.id
            ));
        }
        s.control.push(Control {
            action: Action::Approve,
            at: crate::time::now_millis(),
            pause: Some(pause.id),
        });
        Ok(pause)
    })
    .map_err(state_failure)?;
    let (pause, _) = answer.map_err(usage)?;
    let text = if !running(&path) {
        format!(
            "approved pause {} (step {}, {}%); no golive is driving this ramp: `golive ramp --resume --state {shown}` goes on past it\n",
            pause.id,
            pause.step + 1,
            pause.weight
        )
    } else {
        match wait_for(&path, ACK, |s| {
            s.phase != Phase::Paused || s.pause.as_ref().is_none_or(|p| p.id != pause.id)
        }) {
            Some(s) => format!("approved pause {}: {}\n", pause.id, where_it_is(&s)),
            None => format!(
                "approved pause {}; the ramp has not taken it within {} s (it looks every 0.2 s): is it still running? `golive ramp status --state {shown}`\n",
                pause.id,
                ACK.as_secs()
            ),
        }
    };
    Ok(Finished::done(text))
}

fn abort(a: &RampControlArgs) -> exit::Result<Finished> {
    let path = existing_state(&a.state)?;
    let placeholder = state::fresh(serde_json::Value::Null, Vec::new(), Vec::new(), None);
    match Journal::lock(&path, placeholder) {
        Ok(journal) => abort_here(&path, journal),
        Err(StateError::Locked { .. }) => abort_running(&path),
        Err(e) => Err(state_failure(e)),
    }
}

/// No process drives the ramp: golive rolls it back itself, journaled.
fn abort_here(path: &Path, mut journal: Journal) -> exit::Result<Finished> {
    let st = state::read(path)
        .map_err(state_failure)?
        .ok_or_else(|| usage(format!("no ramp state at {}", path.display())))?;
    if !abortable(&st) {
        return Err(usage(format!(
            "the ramp in {} has ended ({}): nothing to abort",
            path.display(),
            st.phase.describe()
        )));
    }
    let args: RampArgs = serde_json::from_value(st.plan.clone())
        .map_err(|e| usage(format!("{}: its plan does not read ({e})", path.display())))?;
    let plan = RampPlan::rollback_only(&args).map_err(Failure::usage)?;
    journal.state = st;
    let human = Human::default();
    let started = SystemTime::now();
    let rt = super::runtime()?;
    let (ended, journal) = rt.block_on(async {
        let cancel = Cancel::on_signals();
        crate::ramp::abort(&plan, journal, &cancel, &mut |e| {
            human.text(&render::event(&plan, Some(path), e))
        })
        .await
    });
    let url = args.url.clone().unwrap_or_default();
    let done = finished(&plan, &ended, &journal.state, Some(path), &url, started);
    Ok(abort_finished(done, &ended, human))
}

/// A ramp that may still hold traffic: one not over, or one that stopped
/// inconclusive with the weight left where it was.
fn abortable(s: &RampState) -> bool {
    !s.phase.is_over() || s.phase == Phase::Inconclusive && s.weight.is_some_and(|w| w > 0)
}

/// An abort that ended in a rollback did its job (exit 0); a failed rollback is exit 5.
fn abort_finished(done: Done, ended: &Ended, human: Human) -> Finished {
    let outcome = if ended.outcome == Outcome::Fail && !ended.rollback_failed {
        Outcome::Pass
    } else {
        ended.outcome
    };
    let mut f = Finished::new(outcome, human, done.text);
    if let Some(exit) = done.exit {
        f = f.exit_with(exit);
    }
    f
}

/// A ramp is running: journal the abort and watch it roll back. Should the driver die
/// meanwhile, golive rolls back itself.
fn abort_running(path: &Path) -> exit::Result<Finished> {
    let shown = path.display().to_string();
    let answer = state::update(path, |s| {
        if !abortable(s) {
            return Err(format!(
                "the ramp in {shown} has ended ({}): nothing to abort",
                s.phase.describe()
            ));
        }
        s.control.push(Control {
            action: Action::Abort,
            at: crate::time::now_millis(),
            pause: None,
        });
        let timeout = s
            .plan
            .get("command_timeout")
            .and_then(|t| serde_json::from_value::<Duration>(t.clone()).ok())
            .unwrap_or(Duration::from_secs(60));
        let hooks = s
            .plan
            .get("on_event")
            .and_then(|h| h.as_array())
            .map_or(0, Vec::len) as u32;
        // The window or command in progress stops at once; the Aborted and RollingBack
        // hooks, then the rollback command, may each take the command timeout.
        Ok(timeout * (2 + 2 * hooks) + Duration::from_secs(15))
    })
    .map_err(state_failure)?;
    let (patience, _) = answer.map_err(usage)?;
    let deadline = Instant::now() + patience;
    loop {
        // Sampled before the read: a driver that ended after this wrote its last state
        // before it let go of the lock, so the read below sees how it ended.
        let live = running(path);
        if let Ok(Some(s)) = state::read(path) {
            match s.phase {
                Phase::RolledBack => {
                    return Ok(Finished::done(format!(
                        "aborted: the running ramp rolled back to 0% (it was at {} when the abort came)\n",
                        s.timeline
                            .iter()
                            .rev()
                            .find_map(|e| match &e.kind {
                                crate::ramp::EventKind::RolledBack { weight: Some(w), .. } => {
                                    Some(format!("{w}%"))
                                }
                                _ => None,
                            })
                            .unwrap_or_else(|| "no weight yet".into())
                    )))
                }
                Phase::RollbackFailed => {
                    return Err(Failure::new(
                        Exit::RollbackFailed,
                        anyhow::anyhow!(
                            "abort recorded and the running ramp ran its rollback, but the rollback command FAILED: traffic may still reach the release ({}). `golive ramp abort --state {shown}` runs it again",
                            s.weight_words()
                        ),
                    ))
                }
                p if p.is_over() => {
                    return Err(Failure::runtime(anyhow::anyhow!(
                        "the ramp ended before it acted on the abort ({}; the weight is {}): `golive ramp abort --state {shown}` rolls it back",
                        p.describe(),
                        s.weight_words()
                    )))
                }
                _ => {}
            }
        }
        if !live {
            // The driver died before it acted: the abort is journaled; act on it here.
            let placeholder = state::fresh(serde_json::Value::Null, Vec::new(), Vec::new(), None);
            match Journal::lock(path, placeholder) {
                Ok(journal) => return abort_here(path, journal),
                Err(StateError::Locked { .. }) => {}
                Err(e) => return Err(state_failure(e)),
            }
        }
        if Instant::now() >= deadline {
            return Err(Failure::runtime(anyhow::anyhow!(
                "abort recorded in {shown}, but the running ramp has not rolled back within {} s: `golive ramp status --state {shown}`",
                patience.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn status(a: &RampControlArgs) -> exit::Result<Finished> {
    let path = existing_state(&a.state)?;
    let shown = path.display().to_string();
    let s = state::read(&path)
        .map_err(state_failure)?
        .ok_or_else(|| usage(format!("no ramp state at {shown}")))?;
    let mut out = format!(
        "ramp state {shown}\n  revision   {}\n  phase      {}\n  step       {} of {} ({}%)\n  weight     {}\n",
        s.revision.as_deref().unwrap_or("(none)"),
        s.phase.describe(),
        s.step + 1,
        s.steps.len(),
        s.steps[s.step].weight,
        s.weight_words()
    );
    if let Some(p) = s.pause.as_ref().filter(|_| s.phase == Phase::Paused) {
        out.push_str(&format!("  pause      {} ({})\n", p.id, p.why));
    }
    let live = running(&path);
    out.push_str(&format!(
        "  driven     {}\n",
        if live {
            "yes: a golive holds its lock now"
        } else {
            "no golive is driving it"
        }
    ));
    let next = match s.phase {
        _ if abortable(&s) && s.phase.is_over() => format!(
            "golive ramp abort --state {shown}   (rolls back: the weight was left at {})",
            s.weight_words()
        ),
        _ if s.phase.is_over() => "nothing: it has ended".to_string(),
        Phase::Paused => format!(
            "golive ramp approve --state {shown} --pause {}   (or abort)",
            s.pause.as_ref().map_or(0, |p| p.id)
        ),
        Phase::RollingBack | Phase::RollbackFailed if !live => format!(
            "golive ramp --resume --state {shown}   (runs the rollback again; or golive ramp abort --state {shown})"
        ),
        _ if !live => format!("golive ramp --resume --state {shown}   (or golive ramp abort --state {shown})"),
        _ => format!("wait, or golive ramp abort --state {shown}"),
    };
    out.push_str(&format!("  next       {next}\n"));
    Ok(Finished::done(out))
}

/// A ramp planned in code (the demo's), run with no state file.
pub(crate) fn run_planned(
    plan: &RampPlan,
    url: &str,
    human: Human,
    observe: &mut dyn FnMut(&Event),
) -> exit::Result<(Ended, String)> {
    human.text(&render::plan(plan, url, &[]));
    let fresh = state::fresh(
        serde_json::Value::Null,
        Vec::new(),
        plan.steps.clone(),
        None,
    );
    let rt = super::runtime()?;
    let started = SystemTime::now();
    let (ended, journal) = rt.block_on(async {
        let cancel = Cancel::on_signals();
        crate::ramp::run(plan, Journal::in_memory(fresh), false, &cancel, &mut |e| {
            human.text(&render::event(plan, None, e));
            observe(e);
        })
        .await
    });
    let done = finished(plan, &ended, &journal.state, None, url, started);
    Ok((ended, done.text))
}
