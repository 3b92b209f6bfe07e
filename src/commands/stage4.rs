//! `golive stage4`: the production go-live gate; writes summary.json and tests.txt.

use std::sync::Arc;

use crate::cli::Stage4Args;
use crate::config::client_options;
use crate::exit::{self, Exit, Failure};
use crate::gates::canary::{CanaryPlan, Spacing, DEFAULT_COUNT, DEFAULT_DELAY, DEFAULT_SLO};
use crate::gates::stage4::{self, Stage4Plan};
use crate::http::Target;
use crate::load::Control;
use crate::report::gates;
use crate::slo::Slo;

pub fn plan(args: &Stage4Args) -> exit::Result<Stage4Plan> {
    let base = Target::parse(&args.prod_url)
        .map_err(|e| Failure::usage(anyhow::anyhow!("PROD_URL: {e}")))?;
    let health_url = super::health_url(&args.prod_url, args.health_url.as_deref());
    let health = Target::parse(&health_url)
        .map_err(|e| Failure::usage(anyhow::anyhow!("HEALTH_URL: {e}")))?;
    let expect_live = args.expect_live.unwrap_or(false);
    Ok(Stage4Plan {
        base,
        health,
        timeout: args.timeout,
        canary: CanaryPlan {
            spacing: Spacing::Delay {
                count: DEFAULT_COUNT,
                delay: DEFAULT_DELAY,
            },
            timeout: args.timeout,
            slos: vec![Slo::parse(DEFAULT_SLO).expect("the default SLO parses")],
        },
        expect_live,
        // The seed allows mocks by default; expecting live providers and allowing mocks
        // unless told otherwise would make EXPECT_LIVE=1 a no-op.
        allow_mock: args.allow_provider_mock.unwrap_or(!expect_live),
        strict_headers: args.strict_headers,
        probes: args.probes,
        client: client_options(&args.client),
    })
}

pub fn run(args: &Stage4Args) -> exit::Result<Exit> {
    let plan = plan(args)?;
    let summary = super::runtime()?.block_on(async {
        let control = Arc::new(Control::default());
        super::stop_on_signal(control.clone())?;
        Ok::<_, Failure>(stage4::run(&plan, |k| std::env::var(k).ok(), &control).await)
    })?;
    stage4::write_artifacts(&summary, &args.out).map_err(Failure::runtime)?;
    print!("{}", gates::stage4_tests_txt(&summary));
    println!(
        "artifacts: {0}/summary.json, {0}/tests.txt",
        args.out.display()
    );
    Ok(if summary.passed() {
        Exit::Pass
    } else {
        Exit::Fail
    })
}
