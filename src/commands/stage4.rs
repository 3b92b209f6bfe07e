//! `golive stage4`: the production go-live gate; writes summary.json and tests.txt.

use std::time::SystemTime;

use super::{Finished, Human};
use crate::cli::Stage4Args;
use crate::config::process_env;
use crate::exit::{self, Failure};
use crate::gates::stage4::{self, Stage4Plan};
use crate::outcome::Document;
use crate::output::file::json_bytes;
use crate::report::{gates, paint};

pub fn run(args: &Stage4Args) -> exit::Result<Finished> {
    let plan = Stage4Plan::from_args(args, &process_env).map_err(Failure::usage)?;
    let started = SystemTime::now();
    let plan = &plan;
    let summary =
        super::run_gate(|control| async move { stage4::run(plan, process_env, &control).await })?;
    Ok(finish(summary, started, &args.out))
}

/// The gate's artifacts and text, shared with the demo.
pub fn finish(
    summary: stage4::Stage4Summary,
    started: SystemTime,
    out: &std::path::Path,
) -> Finished {
    let tests_txt = gates::stage4_tests_txt(&summary);
    let outcome = summary.status;
    let text = format!(
        "{tests_txt}artifacts: {0}/summary.json, {0}/tests.txt\n{1}\n",
        out.display(),
        paint::verdict_line(outcome)
    );
    let doc = Document::new("stage4", started, outcome, summary);
    Finished::new(outcome, Human::default(), text).in_dir(
        out,
        vec![
            ("summary.json", json_bytes(&doc)),
            ("tests.txt", tests_txt.into_bytes()),
        ],
    )
}
