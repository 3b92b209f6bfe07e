//! `golive report`: a saved result rendered as one HTML page (and JUnit), offline.

use anyhow::anyhow;

use super::{Finished, Human};
use crate::cli::ReportArgs;
use crate::config;
use crate::exit::{self, Failure};
use crate::outcome::Outcome;
use crate::output::Dest;
use crate::report::{html, junit, suite, Judged};

pub fn run(args: &ReportArgs) -> exit::Result<Finished> {
    let path = args.result.display();
    let bytes = crate::input::read(&args.result, crate::input::RESULT)
        .map_err(|e| Failure::usage(anyhow!("cannot read {path}: {e}")))?;
    let judged = Judged::read(&bytes).map_err(|e| Failure::usage(anyhow!("{path} {e}")))?;
    let out = match &args.output {
        Some(p) => Dest::parse(p),
        None => Dest::Path(args.result.with_extension("html")),
    };
    let junit_dest = config::dest(args.junit.as_deref());
    if out.is_stdout() && junit_dest.as_ref().is_some_and(Dest::is_stdout) {
        return Err(Failure::usage(anyhow!(
            "only one of -o and --junit can be - (standard output)"
        )));
    }
    let dests: Vec<Dest> = [out.clone()]
        .into_iter()
        .chain(junit_dest.clone())
        .collect();
    super::check_dests(&dests)?;
    let written: Vec<Option<&std::path::Path>> = dests
        .iter()
        .map(|d| match d {
            Dest::Path(p) => Some(p.as_path()),
            Dest::Stdout => None,
        })
        .collect();
    super::refuse_overwriting_inputs(std::slice::from_ref(&args.result), &written)?;
    let human = Human::for_dests([&out].into_iter().chain(&junit_dest));
    let suite = suite::suite(&judged);
    let text = format!(
        "{} {}: {} ({}: {} failed)\n",
        judged.command(),
        suite.subject,
        judged.outcome().as_str(),
        suite.checks(),
        suite.count(suite::Status::Fail)
    );
    let page = html::render(&judged, &crate::time::now()).into_bytes();
    let finished = Finished::new(Outcome::Pass, human, text)
        .announce_files()
        .file(out, page);
    Ok(match junit_dest {
        Some(dest) => finished.file(dest, junit::render(&suite)),
        None => finished,
    })
}
