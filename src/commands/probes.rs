//! `golive probes`: liveness, readiness and startup endpoints, Kubernetes semantics.

use crate::cli::ProbesArgs;
use crate::config::client_options;
use crate::exit::{self, Exit, Failure};
use crate::gates::probes;
use crate::http::Target;
use crate::report::{artifact, gates};

pub fn run(args: &ProbesArgs) -> exit::Result<Exit> {
    let base = Target::parse(&args.base).map_err(Failure::usage)?;
    let client = client_options(&args.client);
    let result = super::runtime()?.block_on(probes::run(&base, &client, args.timeout));
    print!("{}", gates::probes(&result));
    if let Some(path) = &args.json {
        artifact::write_json(path, &result).map_err(Failure::runtime)?;
    }
    Ok(if result.ok { Exit::Pass } else { Exit::Fail })
}
