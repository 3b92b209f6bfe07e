//! `golive demo`: starts the embedded target on an ephemeral loopback port and runs
//! golive against it, so a newcomer sees real output with nothing else running.

mod capacity;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{Finished, Human};
use crate::checks::smoke::default_checks;
use crate::cli::DemoArgs;
use crate::config::ramp::DEFAULT_RAMP_SLOS;
use crate::exit::{self, Failure};
use crate::gates::canary::{self, CanaryPlan, Spacing, DEFAULT_COUNT, DEFAULT_DELAY, DEFAULT_SLO};
use crate::gates::smoke::{self, SmokePlan};
use crate::gates::stage4::{self, Stage4Plan};
use crate::gates::stress::{self, StressPlan};
use crate::http::{ClientOptions, Target};
use crate::load::{Control, LoadPlan, Shard};
use crate::outcome::Outcome;
use crate::ramp::{parse_steps, Commands, Direct, EventKind, Limits, OnFail, RampPlan};
use crate::report::{gates, text};
use crate::serve::{BackgroundServer, ServeOptions};
use crate::shutdown::Cancel;
use crate::slo::{Slo, DEFAULT_STRESS_SLOS};

fn target(url: &str) -> Target {
    Target::parse(url).expect("the demo's URLs are valid")
}

fn stress_plan(url: &str, load: LoadPlan) -> StressPlan {
    let slos = DEFAULT_STRESS_SLOS
        .iter()
        .map(|s| Slo::parse(s).expect("default SLOs parse"))
        .collect();
    StressPlan::simple_get(target(url), load, slos)
}

fn stage4_plan(base: &str) -> Stage4Plan {
    let timeout = Duration::from_secs(5);
    Stage4Plan {
        base: target(base),
        health: target(&format!("{base}/health")),
        timeout,
        canary: CanaryPlan {
            spacing: Spacing::Delay {
                count: DEFAULT_COUNT,
                delay: DEFAULT_DELAY,
            },
            timeout,
            slos: vec![Slo::parse(DEFAULT_SLO).expect("the default SLO parses")],
        },
        expect_live: false,
        allow_mock: true,
        strict_headers: false,
        probes: true,
        client: ClientOptions::default(),
        base_note: None,
    }
}

pub fn run(args: &DemoArgs) -> exit::Result<Finished> {
    let server = BackgroundServer::start(ServeOptions::default()).map_err(Failure::runtime)?;
    let base = format!("http://{}", server.addr);
    let url = format!("{base}/health");
    let out = Human::default();
    out.line(&format!(
        "golive demo: embedded target listening on {base}\n"
    ));
    let closed = LoadPlan {
        concurrency: 10,
        threads: 1,
        requests: None,
        duration: Some(args.duration),
        rate: None,
        timeout: Duration::from_secs(5),
        inject_lag: None,
        shard: Shard::default(),
        start_at: None,
        streams: 1,
        retry_idle_close: true,
        stages: None,
        connection_stages: None,
    };
    let compare_load = closed.clone();
    let open = LoadPlan {
        concurrency: 20,
        rate: Some(1000.0),
        ..closed.clone()
    };
    let rt = super::runtime()?;
    let control = Arc::new(Control::default());
    let cancel = {
        let _in_runtime = rt.enter();
        Cancel::on_signals()
    };
    rt.spawn({
        let (cancel, control) = (cancel.clone(), control.clone());
        async move {
            cancel.cancelled().await;
            control.stop();
        }
    });
    let mut outcomes = Vec::new();
    let mut artifacts = Vec::new();
    for (i, load) in [closed, open].into_iter().enumerate() {
        let report = rt
            .block_on(stress::run(
                &stress_plan(&url, load),
                Duration::from_millis(100),
                &cancel,
                |_| {},
            ))
            .map_err(Failure::runtime)?;
        out.line(&text::stress(&report, crate::output::console::width()));
        if let (0, Some(path)) = (i, &args.json) {
            artifacts.push((crate::output::Dest::parse(path), report.clone()));
            out.line(&format!(
                "closed-loop results written to {}\n",
                path.display()
            ));
        }
        outcomes.push(report.outcome());
    }

    outcomes.push(workload_demo(&rt, &cancel, &out, &base, &compare_load)?);
    outcomes.push(capacity::run(&rt, &cancel, &out, &compare_load)?);

    let smoke_plan = SmokePlan {
        base: target(&base),
        checks: default_checks(&url),
        zero_5xx: true,
        timeout: Duration::from_secs(5),
        client: ClientOptions::default(),
    };
    outcomes.push(compare_demo(&rt, &cancel, &out, &compare_load)?);

    out.line(&format!("golive smoke  {base}  (the five Stage 3 checks)"));
    let no_env = |_: &str| None;
    let smoke = rt.block_on(smoke::run(&smoke_plan, &no_env, &control, |c| {
        out.line(&gates::smoke_check(c))
    }));
    out.line(&gates::smoke_summary(&smoke));
    outcomes.push(smoke.status);

    let plan = stage4_plan(&base);
    out.line(&format!(
        "golive canary  GET {}  ({})",
        plan.health.uri,
        super::canary::describe(&plan.canary)
    ));
    let canary = rt.block_on(canary::run(
        &plan.health,
        &plan.client,
        &plan.canary,
        &control,
        |i, s| out.line(&gates::canary_sample(i, s)),
    ));
    out.text(&gates::canary_summary(&canary));
    outcomes.push(canary.verdict);

    outcomes.extend(ramps(&server, &url, &out)?);

    out.line(&format!("\ngolive stage4  {base}\n"));
    let started = SystemTime::now();
    let summary = rt.block_on(stage4::run(&plan, |k| std::env::var(k).ok(), &control));
    drop(server);
    let (mut finished, _) = super::stage4::finish(summary, started, &args.out, Human::default());
    // The demo's verdict is the worst of its parts.
    finished.outcome = Outcome::combine(outcomes.into_iter().chain([finished.outcome]));
    for (dest, report) in artifacts {
        finished = finished.json(Some(dest), &report);
    }
    Ok(finished)
}

/// The workload the demo sends: a list, an item and an order, 6:3:1, with data.
const DEMO_WORKLOAD: &str = r#"
[[request]]
name = "list"
path = "/items?page=${rand_int(1,50)}"
weight = 6

[[request]]
name = "item"
path = "/items/${rand_int(1,1000)}"
weight = 3

[[request]]
name = "order"
method = "POST"
path = "/orders"
body = '{"sku": "SKU-${seq}", "qty": 1}'
weight = 1
slo = ["p99<500ms", "success>99%"]
"#;

/// A traffic mix with numbers and SLOs per request (`stress --workload`).
fn workload_demo(
    rt: &tokio::runtime::Runtime,
    cancel: &Cancel,
    out: &Human,
    base: &str,
    load: &LoadPlan,
) -> exit::Result<Outcome> {
    let no_env = |_: &str| None;
    let (origin, workload) = crate::workload::Workload::build(
        "demo-workload.toml",
        DEMO_WORKLOAD,
        Some(&target(base)),
        &[],
        (false, 1),
        &no_env,
    )
    .map_err(Failure::runtime)?;
    let mut plan = stress_plan(base, load.clone());
    plan.slos.extend(workload.slos.iter().cloned());
    plan.target = origin;
    plan.template = workload.requests.template(0).clone();
    plan.workload = Some(workload);
    out.line(&format!(
        "golive stress --workload: a list, an item and an order, 6:3:1, with data\n{}",
        DEMO_WORKLOAD.trim()
    ));
    let report = rt
        .block_on(stress::run(
            &plan,
            Duration::from_millis(100),
            cancel,
            |_| {},
        ))
        .map_err(Failure::runtime)?;
    out.line(&text::stress(&report, crate::output::console::width()));
    Ok(report.outcome())
}

/// Two releases side by side: the same plan against a baseline target and a candidate
/// 3 ms slower on every request, loaded at once, then compared. Catching the
/// regression is the demo's pass.
fn compare_demo(
    rt: &tokio::runtime::Runtime,
    cancel: &Cancel,
    out: &Human,
    closed: &LoadPlan,
) -> exit::Result<Outcome> {
    let load = LoadPlan {
        duration: Some(Duration::from_secs(6)),
        rate: Some(200.0),
        ..closed.clone()
    };
    let (stable, slower) = releases()?;
    let plan = |server: &BackgroundServer| {
        stress_plan(&format!("http://{}/health", server.addr), load.clone())
    };
    let (a, b) = (plan(&stable), plan(&slower));
    out.line(&format!(
        "golive compare  the same plan (200 req/s for 6 s) against two releases at once: {} (baseline) and {} (3 ms slower)",
        a.target.uri, b.target.uri
    ));
    let tick = Duration::from_millis(100);
    let (base, cand) = rt.block_on(async {
        tokio::join!(
            stress::run(&a, tick, cancel, |_| {}),
            stress::run(&b, tick, cancel, |_| {})
        )
    });
    let (base, cand) = (
        base.map_err(Failure::runtime)?,
        cand.map_err(Failure::runtime)?,
    );
    let mut notes = Vec::new();
    let comparison = super::compare::against(
        &base,
        std::path::Path::new("the baseline"),
        &cand,
        &crate::compare::Settings::default(),
        &mut notes,
    )?;
    let width = crate::output::console::width();
    out.text(&crate::report::compare::lines(&comparison, width));
    out.line(&crate::report::words::wrap(
        &comparison.said,
        width,
        "  ",
        "  ",
    ));
    out.line("  (as it should: the candidate is slower on every request)\n");
    Ok(expected_failure(comparison.change.outcome()))
}

/// The demo's ramp, planned directly: four steps of 1 s, windows of 500 ms at 60
/// req/s (30 samples: enough for p95), a 100-request pre-gate.
fn ramp_plan(url: &str) -> RampPlan {
    let load = |concurrency, requests, duration, rate| LoadPlan {
        concurrency,
        threads: 1,
        requests,
        duration,
        rate,
        timeout: Duration::from_secs(10),
        inject_lag: None,
        shard: Shard::default(),
        start_at: None,
        streams: 1,
        retry_idle_close: true,
        stages: None,
        connection_stages: None,
    };
    let slos = |exprs: &[&str]| -> Vec<Slo> {
        exprs
            .iter()
            .map(|s| Slo::parse(s).expect("the demo's SLOs parse"))
            .collect()
    };
    RampPlan {
        pre: Some(StressPlan::simple_get(
            target(url),
            load(10, Some(100), None, None),
            slos(&DEFAULT_STRESS_SLOS),
        )),
        pre_basis: None,
        sample: StressPlan::simple_get(
            target(url),
            load(10, None, Some(Duration::from_millis(500)), Some(60.0)),
            slos(&DEFAULT_RAMP_SLOS),
        ),
        steps: parse_steps("5:1s,20:1s,50:1s,100:1s").expect("the demo's steps parse"),
        interval: Duration::from_millis(500),
        warmup: Duration::ZERO,
        limits: Limits {
            failure_limit: Some(1),
            consecutive_failures: None,
            error_limit: 3,
            min_windows: None,
            max_extension: None,
        },
        metrics: None,
        direct: None,
        commands: Commands {
            set_weight: "echo UPDATE feature_flags SET canary_percentage={weight}".into(),
            rollback: None,
            guards: Vec::new(),
            on_event: Vec::new(),
            timeout: Duration::from_secs(60),
        },
        on_fail: OnFail::Rollback,
        pause_before: Vec::new(),
        rollback_on_interrupt: false,
        revision: None,
    }
}

/// Two short ramps: a healthy one promoted to 100%, and one whose target turns 5xx at
/// the third step, which golive must roll back (that rollback is the demo's pass).
fn ramps(server: &BackgroundServer, url: &str, out: &Human) -> exit::Result<Vec<Outcome>> {
    let plan = ramp_plan(url);
    let mut outcomes = Vec::new();
    out.line(&format!(
        "\ngolive ramp  {url}  (healthy target: promoted to 100%)"
    ));
    let (healthy, text) = super::ramp::run_planned(&plan, url, *out, &mut |_| {})?;
    out.text(&text);
    outcomes.push(healthy.outcome);

    out.line(&format!(
        "\ngolive ramp  {url}  (the target turns 20% 5xx at the third step)"
    ));
    let faults = server.faults.clone();
    let (bad, text) = super::ramp::run_planned(&plan, url, *out, &mut |e| {
        if let EventKind::StepStarted { weight: 50, .. } = e.kind {
            faults.set_error_rate(0.2);
        }
    })?;
    server.faults.set_error_rate(0.0);
    out.text(&text);
    out.line("  (as it should: the release was rolled back at the step that broke it)");
    outcomes.push(expected_failure(bad.outcome));

    // The canary judged itself, against the release it replaces: its windows load
    // both directly (the weight does not dilute them), and 3 ms more on every request
    // is a regression although every SLO holds.
    let (stable, canary) = releases()?;
    let window = Duration::from_secs(6);
    let aim = |server: &BackgroundServer| {
        let mut sample = StressPlan::simple_get(
            target(&format!("http://{}/health", server.addr)),
            plan.sample.load.clone(),
            plan.sample.slos.clone(),
        );
        sample.load.duration = Some(window);
        sample
    };
    let direct = RampPlan {
        steps: parse_steps("5:6s,100:1s").expect("the demo's steps parse"),
        interval: window,
        direct: Some(Direct {
            canary: aim(&canary),
            baseline: Some(aim(&stable)),
            compare: crate::config::ramp::window_comparison(Default::default()),
        }),
        ..plan.clone()
    };
    out.line(&format!(
        "\ngolive ramp  {url}  --canary http://{} --baseline http://{}  (the canary is 3 ms slower)",
        canary.addr, stable.addr
    ));
    let (judged, text) = super::ramp::run_planned(&direct, url, *out, &mut |_| {})?;
    out.text(&text);
    out.line("  (as it should: rolled back in the first window, against the baseline)");
    outcomes.push(expected_failure(judged.outcome));
    Ok(outcomes)
}

/// Two embedded targets standing for two releases: the stable one, and one 3 ms
/// slower on every request.
fn releases() -> exit::Result<(BackgroundServer, BackgroundServer)> {
    let start = |ms| {
        BackgroundServer::start(ServeOptions {
            latency: Duration::from_millis(ms),
            ..ServeOptions::default()
        })
        .map_err(Failure::runtime)
    };
    Ok((start(5)?, start(8)?))
}

/// A part of the demo that must fail (a breach golive has to catch) passes the demo.
fn expected_failure(o: Outcome) -> Outcome {
    match o {
        Outcome::Fail => Outcome::Pass,
        Outcome::Pass => Outcome::Fail,
        other => other,
    }
}
