//! `golive patch apply|rollback|status|diff`: the Stage 4 integration, previewable,
//! idempotent and exactly reversible. Every refusal changes nothing.

use super::{Finished, Human};
use crate::cli::{PatchAction, PatchArgs, RollbackArgs};
use crate::exit::{self, Exit, Failure};
use crate::outcome::Outcome;
use crate::patch::execute::{execute, remove_leftovers};
use crate::patch::plan::{plan_apply, plan_rollback, Plan, Trust};
use crate::patch::status::status;
use crate::patch::{PatchError, Project};

fn failure(e: PatchError) -> Failure {
    let exit = match &e {
        e if e.is_state() => Exit::Fail,
        PatchError::Io { .. } | PatchError::Busy { .. } => Exit::Runtime,
        _ => Exit::Usage,
    };
    Failure::new(exit, e)
}

fn notes(plan: &Plan) -> String {
    plan.notes.iter().map(|n| format!("  {n}\n")).collect()
}

fn rollback_plan(p: &Project, how: RollbackArgs, now: &str) -> Result<Plan, PatchError> {
    let trust = if how.from_backups {
        Trust::Backups
    } else {
        Trust::Marker
    };
    plan_rollback(p, how.force, trust, now)
}

pub fn run(args: &PatchArgs) -> exit::Result<Finished> {
    let p = Project::open(&args.root).map_err(failure)?;
    let writes =
        matches!(args.action, PatchAction::Apply | PatchAction::Rollback(_)) && !args.dry_run;
    // Held to the end: plan and execution see one state, never another run's half.
    let _lock = p.lock(writes).map_err(failure)?;
    if writes {
        let removed = remove_leftovers(&p.dirs());
        if removed > 0 {
            tracing::info!(
                removed,
                "removed temporary files a killed golive patch left"
            );
        }
    }
    let now = crate::time::now();
    let (plan, rollback) = match args.action {
        PatchAction::Status => {
            let s = status(&p).map_err(failure)?;
            let text = format!("{}\n", s.lines.join("\n"));
            return Ok(Finished::new(
                Outcome::from_ok(s.consistent),
                Human::default(),
                text,
            ));
        }
        PatchAction::Apply
        | PatchAction::Diff {
            rollback: false, ..
        } => (plan_apply(&p, &now), false),
        PatchAction::Rollback(how)
        | PatchAction::Diff {
            rollback: true,
            how,
        } => (rollback_plan(&p, how, &now), true),
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(PatchError::Drifted { path, diff }) => {
            crate::output::console::out(&diff);
            return Err(failure(PatchError::Drifted {
                path,
                diff: String::new(),
            }));
        }
        Err(e) => return Err(failure(e)),
    };
    if matches!(args.action, PatchAction::Diff { .. }) || args.dry_run {
        let text = format!(
            "{}{}(dry run: nothing written)\n",
            plan.diff(&p.root),
            notes(&plan)
        );
        return Ok(Finished::done(text));
    }
    if plan.is_empty() {
        let text = if rollback {
            "Stage 4 is not applied here: nothing to roll back.\n".to_string()
        } else {
            format!(
                "Stage 4 is already integrated; nothing to do.\n{}",
                notes(&plan)
            )
        };
        return Ok(Finished::done(text));
    }
    execute(&plan).map_err(failure)?;
    let verb = if rollback { "rolled back" } else { "applied" };
    Ok(Finished::done(format!(
        "Stage 4 integration {verb}:\n{}",
        notes(&plan)
    )))
}
