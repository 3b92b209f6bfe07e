//! `golive stage4`: the production go-live gate; writes summary.json and tests.txt.

use std::time::SystemTime;

use super::{Finished, Human};
use crate::cli::Stage4Args;
use crate::config::process_env;
use crate::exit::{self, Failure};
use crate::gates::stage4::{self, Stage4Plan};
use crate::outcome::Document;
use crate::output::file::json_bytes;
use crate::report::{gates, html, paint, Judged};

pub fn run(args: &Stage4Args) -> exit::Result<Finished> {
    let plan = Stage4Plan::from_args(args, &process_env).map_err(Failure::usage)?;
    let started = SystemTime::now();
    let plan = &plan;
    let summary =
        super::run_gate(|control| async move { stage4::run(plan, process_env, &control).await })?;
    let (_, human) = super::outputs(None, &args.evidence)?;
    let (finished, judged) = finish(summary, started, &args.out, human);
    Ok(finished.evidence(&args.evidence, &judged))
}

/// The gate's artifacts (summary.json, report.html, tests.txt) and text, shared with
/// the demo; the result comes back for any further evidence.
pub fn finish(
    summary: stage4::Stage4Summary,
    started: SystemTime,
    out: &std::path::Path,
    human: Human,
) -> (Finished, Judged) {
    let tests_txt = gates::stage4_tests_txt(&summary);
    let outcome = summary.status;
    let text = format!(
        "{tests_txt}artifacts: {0}/summary.json, {0}/report.html, {0}/tests.txt\n{1}\n",
        out.display(),
        paint::verdict_line(outcome)
    );
    let doc = Document::new("stage4", started, outcome, summary);
    let summary_json = json_bytes(&doc);
    let judged = Judged::Stage4(Box::new(doc));
    let files = vec![
        ("summary.json", summary_json),
        (
            "report.html",
            html::render(&judged, &crate::time::now()).into_bytes(),
        ),
        ("tests.txt", tests_txt.into_bytes()),
    ];
    (
        Finished::new(outcome, human, text).in_dir(out, files),
        judged,
    )
}
