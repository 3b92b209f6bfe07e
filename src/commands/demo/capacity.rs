//! The demo's capacity search: a target with a known knee (4 workers each taking 4 ms:
//! 1,000 req/s at most, its latency rising past it), found in steps of 1 s.

use std::time::Duration;

use super::super::Human;
use crate::capacity::{self, CapacityPlan, StepRules};
use crate::exit::{self, Failure};
use crate::gates::stress::StressPlan;
use crate::load::LoadPlan;
use crate::outcome::Outcome;
use crate::report::text;
use crate::serve::{BackgroundServer, Capacity, ServeOptions};
use crate::shutdown::Cancel;
use crate::slo::Slo;

const KNEE: Capacity = Capacity {
    workers: 4,
    service_time: Duration::from_millis(4),
};

pub fn run(
    rt: &tokio::runtime::Runtime,
    cancel: &Cancel,
    out: &Human,
    load: &LoadPlan,
) -> exit::Result<Outcome> {
    let server = BackgroundServer::start(ServeOptions {
        capacity: Some(KNEE),
        ..ServeOptions::default()
    })
    .map_err(Failure::runtime)?;
    let url = format!("http://{}/health", server.addr);
    let slo = Slo::parse("p99<20ms").expect("the demo's SLO parses");
    let plan = CapacityPlan {
        stress: StressPlan::simple_get(
            super::target(&url),
            LoadPlan {
                concurrency: 50,
                duration: Some(Duration::from_secs(1)),
                ..load.clone()
            },
            vec![slo],
        ),
        rules: StepRules {
            warmup_s: 0.0,
            step_s: 1.0,
            windows: 5,
            must_hold: 4,
        },
        start_rate: 400.0,
        max_rate: 100_000.0,
        precision: 0.1,
        repeat: 1,
        max_duration: Duration::from_secs(30),
        grow_connections: true,
        concurrency_steps: Vec::new(),
    };
    out.line(&format!(
        "golive capacity  {url} --slo 'p99<20ms' --step 1s  (a target of 4 workers × 4 ms: {:.0} req/s at most)",
        KNEE.rate()
    ));
    let (outcome, found) = rt
        .block_on(capacity::search(&plan, cancel, |step| {
            out.line(&text::capacity_step(step))
        }))
        .map_err(Failure::runtime)?;
    out.line(&format!("  {}\n", found.said));
    Ok(outcome)
}
