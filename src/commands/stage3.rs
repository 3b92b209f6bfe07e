//! `golive stage3`: smoke checks, then the release gate; artifacts under qa/stage3/v0.3.0.

use std::time::SystemTime;

use super::Finished;
use crate::cli::Stage3Args;
use crate::config::process_env;
use crate::exit::{self, Failure};
use crate::gates::stage3::{self, Stage3Plan};
use crate::outcome::Document;
use crate::output::file::json_bytes;
use crate::report::{gates, html, Judged};

pub fn run(args: &Stage3Args) -> exit::Result<Finished> {
    let plan = Stage3Plan::from_args(args).map_err(Failure::usage)?;
    let (_, human) = super::outputs(None, &args.evidence)?;
    let started = SystemTime::now();
    human.line(&format!(
        "golive stage3  {}  (smoke, then the release gate in API mode)",
        plan.smoke.base.uri
    ));
    let plan_ref = &plan;
    let run = super::run_gate(|control| async move {
        stage3::run(plan_ref, &process_env, &control, |c| {
            human.line(&gates::smoke_check(c))
        })
        .await
    })?;
    let dir = plan.out_dir();
    let text = format!(
        "{}artifacts: {}/\n",
        gates::stage3_outcome(&run.summary),
        dir.display()
    );
    let tests_txt = gates::stage3_tests_txt(&run.summary);
    let outcome = run.summary.status;
    let smoke = Document::new("smoke", started, run.smoke.status, run.smoke);
    let summary = Document::new("stage3", started, outcome, run.summary);
    let summary_json = json_bytes(&summary);
    let summary = Judged::Stage3(summary);
    let files = vec![
        ("smoke_results.json", json_bytes(&smoke)),
        ("summary.json", summary_json),
        (
            "report.html",
            html::render(&summary, &crate::time::now()).into_bytes(),
        ),
        ("tests.txt", tests_txt.into_bytes()),
        ("release_gate_stdout.txt", run.gate.stdout),
        ("release_gate_stderr.txt", run.gate.stderr),
    ];
    Ok(Finished::new(outcome, human, text)
        .in_dir(&dir, files)
        .evidence(&args.evidence, &summary))
}
