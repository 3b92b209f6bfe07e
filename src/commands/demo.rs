//! `golive demo`: starts the embedded target on an ephemeral loopback port and runs
//! golive against it, so a newcomer sees real output with nothing else running.

use std::time::Duration;

use bytes::Bytes;
use http::Method;

use crate::checks::smoke::default_checks;
use crate::cli::{ClientArgs, DemoArgs, Stage4Args};
use crate::config::{parse_slos, StressConfig};
use crate::exit::{self, Exit, Failure};
use crate::gates::smoke::{self, SmokePlan};
use crate::gates::{canary, stage4};
use crate::http::{ClientOptions, RequestTemplate, Target};
use crate::load::{Control, LoadPlan};
use crate::report::{artifact, gates, text};
use crate::serve::{BackgroundServer, ServeOptions};

fn demo_config(url: &str, plan: LoadPlan) -> StressConfig {
    let target = Target::parse(url).expect("the demo URL is valid");
    let template = RequestTemplate::new(&target, Method::GET, [], Bytes::new(), false);
    StressConfig {
        target,
        template,
        client: ClientOptions::default(),
        plan,
        slos: parse_slos(&[]).expect("default SLOs parse"),
        json: None,
        abort_on_fail: false,
        progress: true,
    }
}

pub fn run(args: &DemoArgs) -> exit::Result<Exit> {
    let server = BackgroundServer::start(ServeOptions::default()).map_err(Failure::runtime)?;
    let url = format!("http://{}/health", server.addr);
    println!(
        "golive demo: embedded target listening on http://{}\n",
        server.addr
    );

    let closed = LoadPlan {
        concurrency: 10,
        threads: 1,
        requests: None,
        duration: Some(args.duration),
        rate: None,
        timeout: Duration::from_secs(5),
    };
    let open = LoadPlan {
        concurrency: 20,
        rate: Some(1000.0),
        ..closed.clone()
    };
    let rt = super::runtime()?;
    let mut worst = Exit::Pass;
    for (i, plan) in [closed, open].into_iter().enumerate() {
        let cfg = demo_config(&url, plan);
        let report = rt.block_on(super::stress::execute(&cfg))?;
        print!("{}", text::stress(&report));
        println!();
        if i == 0 {
            if let Some(path) = &args.json {
                artifact::write_json(path, &report).map_err(Failure::runtime)?;
                println!("closed-loop results written to {}\n", path.display());
            }
        }
        worst = worse(worst, super::stress::exit_code(&report));
    }

    let base = format!("http://{}", server.addr);
    let smoke_plan = SmokePlan {
        base: Target::parse(&base).expect("the demo URL is valid"),
        checks: default_checks(&format!("{base}/health")),
        zero_5xx: true,
        timeout: Duration::from_secs(5),
        client: ClientOptions::default(),
    };
    println!("golive smoke  {base}  (the seed's five checks)");
    let no_env = |_: &str| None;
    let smoke = rt.block_on(smoke::run(&smoke_plan, &no_env, |c| {
        println!("{}", gates::smoke_check(c))
    }));
    print!("{}", gates::smoke_summary(&smoke));
    worst = worse(worst, if smoke.ok() { Exit::Pass } else { Exit::Fail });
    println!();
    let stage4_args = Stage4Args {
        prod_url: base.clone(),
        health_url: None,
        timeout: Duration::from_secs(5),
        expect_live: Some(false),
        allow_provider_mock: Some(true),
        strict_headers: false,
        probes: true,
        out: args.out.clone(),
        client: ClientArgs::default(),
    };
    let plan = super::stage4::plan(&stage4_args)?;
    let control = Control::default();
    println!(
        "golive canary  GET {}  (5 samples, 300ms apart)",
        plan.health.uri
    );
    let canary = rt.block_on(canary::run(
        &plan.health,
        &plan.client,
        &plan.canary,
        &control,
        |i, s| println!("{}", gates::canary_sample(i, s)),
    ));
    print!("{}", gates::canary_summary(&canary));
    worst = worse(worst, if canary.ok { Exit::Pass } else { Exit::Fail });

    println!("\ngolive stage4  {base}\n");
    let summary = rt.block_on(stage4::run(&plan, |k| std::env::var(k).ok(), &control));
    stage4::write_artifacts(&summary, &args.out).map_err(Failure::runtime)?;
    print!("{}", gates::stage4_tests_txt(&summary));
    println!(
        "artifacts: {0}/summary.json, {0}/tests.txt",
        args.out.display()
    );
    worst = worse(
        worst,
        if summary.passed() {
            Exit::Pass
        } else {
            Exit::Fail
        },
    );
    drop(server);
    Ok(worst)
}

/// The first non-passing exit code wins.
fn worse(current: Exit, next: Exit) -> Exit {
    if current == Exit::Pass {
        next
    } else {
        current
    }
}
