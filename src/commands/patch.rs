//! `golive patch apply|rollback|status|diff`: the Stage 4 integration, previewable,
//! idempotent and exactly reversible.

use std::time::SystemTime;

use crate::cli::{PatchAction, PatchArgs};
use crate::exit::{self, Exit, Failure};
use crate::patch::project::{self, PatchError, Plan, Project};
use crate::report::timestamp;

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
        println!("  {note}");
    }
}

pub fn run(args: &PatchArgs) -> exit::Result<Exit> {
    let p = Project::new(&args.root);
    let now = timestamp(SystemTime::now());
    let plan = match args.action {
        PatchAction::Status => {
            let status = project::status(&p).map_err(failure)?;
            for line in &status.lines {
                println!("{line}");
            }
            return Ok(if status.consistent {
                Exit::Pass
            } else {
                Exit::Fail
            });
        }
        PatchAction::Apply | PatchAction::Diff { rollback: false } => project::plan_apply(&p, &now),
        PatchAction::Rollback | PatchAction::Diff { rollback: true } => {
            project::plan_rollback(&p, args.force, &now)
        }
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(PatchError::Drifted { path, diff }) => {
            print!("{diff}");
            return Err(failure(PatchError::Drifted {
                path,
                diff: String::new(),
            }));
        }
        Err(e) => return Err(failure(e)),
    };
    if matches!(args.action, PatchAction::Diff { .. }) || args.dry_run {
        print!("{}", plan.diff(&p.root));
        show(&plan);
        println!("(dry run: nothing written)");
        return Ok(Exit::Pass);
    }
    if plan.is_empty() {
        println!("Stage 4 already appears integrated; nothing to do.");
        show(&plan);
        return Ok(Exit::Pass);
    }
    project::execute(&plan).map_err(failure)?;
    let verb = if args.action == PatchAction::Apply {
        "applied"
    } else {
        "rolled back"
    };
    println!("Stage 4 integration {verb}:");
    show(&plan);
    Ok(Exit::Pass)
}
