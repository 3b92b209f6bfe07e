//! `golive patch apply|rollback|status|diff`: the Stage 4 integration, previewable,
//! idempotent and exactly reversible.

use super::Finished;
use crate::cli::{PatchAction, PatchArgs};
use crate::exit::{self, Exit, Failure};
use crate::output::console;
use crate::patch::project::{self, PatchError, Plan, Project};

fn failure(e: PatchError) -> Failure {
    let exit = match e {
        PatchError::Drifted { .. }
        | PatchError::Inconsistent(_)
        | PatchError::BackupMissing { .. } => Exit::Fail,
        PatchError::Io { .. } => Exit::Runtime,
        _ => Exit::Usage,
    };
    Failure {
        exit,
        error: e.into(),
    }
}

fn show(plan: &Plan) {
    for note in &plan.notes {
        console::outln(&format!("  {note}"));
    }
}

pub fn run(args: &PatchArgs) -> exit::Result<Finished> {
    let p = Project::new(&args.root);
    let now = crate::time::now();
    let plan = match args.action {
        PatchAction::Status => {
            let status = project::status(&p).map_err(failure)?;
            let mut text = status.lines.join("\n");
            text.push('\n');
            return Ok(Finished::new(
                crate::outcome::Outcome::from_ok(status.consistent),
                super::Human::default(),
                text,
            ));
        }
        PatchAction::Apply | PatchAction::Diff { rollback: false } => project::plan_apply(&p, &now),
        PatchAction::Rollback | PatchAction::Diff { rollback: true } => {
            project::plan_rollback(&p, args.force, &now)
        }
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(PatchError::Drifted { path, diff }) => {
            console::out(&diff);
            return Err(failure(PatchError::Drifted {
                path,
                diff: String::new(),
            }));
        }
        Err(e) => return Err(failure(e)),
    };
    if matches!(args.action, PatchAction::Diff { .. }) || args.dry_run {
        console::out(&plan.diff(&p.root));
        show(&plan);
        return Ok(Finished::done("(dry run: nothing written)\n"));
    }
    if plan.is_empty() {
        console::outln("Stage 4 already appears integrated; nothing to do.");
        show(&plan);
        return Ok(Finished::done(""));
    }
    project::execute(&plan).map_err(failure)?;
    let verb = if args.action == PatchAction::Apply {
        "applied"
    } else {
        "rolled back"
    };
    console::outln(&format!("Stage 4 integration {verb}:"));
    show(&plan);
    Ok(Finished::done(""))
}
