//! `golive probes`: liveness, readiness and startup endpoints, Kubernetes semantics.

use std::time::SystemTime;

use super::{Finished, Human};
use crate::cli::ProbesArgs;
use crate::config;
use crate::exit::{self, Failure};
use crate::gates::probes;
use crate::outcome::{Document, Outcome};
use crate::report::{gates, Judged};

pub fn run(args: &ProbesArgs) -> exit::Result<Finished> {
    let base = config::target("BASE", &args.base).map_err(Failure::usage)?;
    let client = config::client_options(&args.client);
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    let started = SystemTime::now();
    let result = super::runtime()?.block_on(async {
        tokio::select! {
            r = probes::run(&base, &client, args.timeout) => Some(r),
            _ = crate::shutdown::shutdown_signal() => None,
        }
    });
    let Some(result) = result else {
        return Ok(Finished::new(
            Outcome::Interrupted,
            Human::default(),
            "verdict: INTERRUPTED\n",
        ));
    };
    let text = gates::probes(&result);
    let doc = Document::new("probes", started, Outcome::from_ok(result.ok), result);
    Ok(Finished::new(doc.outcome(), human, text)
        .json(json, &doc)
        .evidence(&args.evidence, &Judged::Probes(doc)))
}
