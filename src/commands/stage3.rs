//! `golive stage3`: smoke checks, then the release gate; artifacts under qa/stage3/v0.3.0.

use crate::cli::Stage3Args;
use crate::exit::{self, Exit, Failure};
use crate::gates::stage3::{self, Stage3Plan};
use crate::report::gates;

pub fn run(args: &Stage3Args) -> exit::Result<Exit> {
    let (smoke, health_url) = super::smoke::plan(&args.target)?;
    let plan = Stage3Plan {
        smoke,
        health_url,
        gate_cmd: args.gate_cmd.clone(),
        gate_timeout: args.gate_timeout,
        home_api: args.home_api.clone(),
        root: args.root.clone(),
        out: args.out.clone(),
    };
    println!(
        "golive stage3  {}  (smoke, then the release gate in API mode)",
        plan.smoke.base.uri
    );
    let env = |k: &str| std::env::var(k).ok();
    let (summary, _) = super::runtime()?
        .block_on(stage3::run(&plan, &env, |c| {
            println!("{}", gates::smoke_check(c))
        }))
        .map_err(Failure::runtime)?;
    println!();
    print!("{}", gates::stage3_tests_txt(&summary));
    println!("artifacts: {}/", plan.out_dir().display());
    Ok(if summary.passed() {
        Exit::Pass
    } else {
        Exit::Fail
    })
}
