//! `golive ramp` flags → [`RampPlan`], and the warnings a plan deserves before it runs;
//! the flags as the journal keeps them (secrets redacted by type), and the rules of a
//! resume, as pure functions.

use super::stress::{load_plan, request, scoped_slos, workload};
use super::{parse_slos, ConfigError, Env};
use crate::cli::RampArgs;
use crate::gates::stress::StressPlan;
use crate::http::Target;
use crate::load::{LoadPlan, Shard};
use crate::ramp::state::{Intent, Phase, RampState};
use crate::ramp::{parse_steps, Commands, Direct, Limits, MetricsPlan, OnFail, RampPlan};
use crate::slo::{samples_needed, Metric, DEFAULT_STRESS_SLOS};
use crate::workload::Workload;

/// The staging-readiness seed's rollback criteria.
pub const DEFAULT_RAMP_SLOS: [&str; 3] = ["5xx==0", "p95<1000ms", "errors<0.1%"];

impl RampPlan {
    /// The plan, and warnings worth reading before hours of ramp.
    pub fn from_args(args: &RampArgs, env: Env) -> Result<(RampPlan, Vec<String>), ConfigError> {
        let invalid = |s: String| ConfigError::Invalid(s);
        let url = args
            .url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or(ConfigError::NoUrl)?;
        let steps_spec = args.steps.as_deref().ok_or_else(|| {
            invalid("--steps is required: e.g. --steps 5:1h,20:2h,50:4h,100:8h".into())
        })?;
        let steps = parse_steps(steps_spec).map_err(|e| invalid(format!("--steps {e}")))?;
        let set_weight = args.set_weight.clone().filter(|c| !c.trim().is_empty()).ok_or_else(|| {
            invalid("--set-weight is required: the command that sets the traffic weight, with {weight}".into())
        })?;
        let (mut target, mut template, mut client) =
            request(url, &args.request, &args.client, env)?;
        client.h1_client = args.load.h1_client;
        client.h2_client = args.load.h2_client;
        client.connect_timeout = args.load.timeout;
        // A journaled ramp reads its workload again on resume: one seed for all.
        let http2 = client.http2;
        let mix = |url: &str| -> Result<Option<(Target, Workload)>, ConfigError> {
            match &args.workload {
                Some(path) => {
                    let seed = args.seed.unwrap_or(0);
                    workload(path, Some(url), &args.request, (http2, seed), env).map(Some)
                }
                None => Ok(None),
            }
        };
        let mixed = mix(url)?;
        if let Some((origin, w)) = &mixed {
            target = origin.clone();
            template = w.requests.template(0).clone();
        }
        let mixed = mixed.map(|(_, w)| w);
        let mut notes = Vec::new();
        let pre = (!args.skip_pre)
            .then(|| -> Result<StressPlan, ConfigError> {
                Ok(StressPlan {
                    target: target.clone(),
                    template: template.clone(),
                    client: client.clone(),
                    load: pre_load(args, env, &mut notes)?,
                    slos: scoped_slos(
                        parse_slos(&args.pre_slos, &DEFAULT_STRESS_SLOS)?,
                        mixed.as_ref(),
                    )?,
                    abort_on_fail: false,
                    shard: None,
                    workload: mixed.clone(),
                })
            })
            .transpose()?;
        let sample = StressPlan {
            target,
            template,
            client,
            load: LoadPlan {
                concurrency: args.window_concurrency,
                threads: 1,
                requests: None,
                duration: Some(args.interval),
                rate: Some(args.window_rate),
                timeout: args.load.timeout,
                inject_lag: None,
                shard: Shard::default(),
                start_at: None,
                streams: 1,
                retry_idle_close: !args.load.no_retry,
                stages: None,
                connection_stages: None,
            },
            slos: scoped_slos(parse_slos(&args.slos, &DEFAULT_RAMP_SLOS)?, mixed.as_ref())?,
            abort_on_fail: false,
            shard: None,
            workload: mixed.clone(),
        };
        let compare = window_comparison(
            super::compare::tolerances(&args.tolerances)
                .map_err(|e| invalid(format!("--tolerance: {e}")))?,
        );
        if !args.tolerances.is_empty() && args.baseline.is_none() && args.baseline_metrics.is_none()
        {
            return Err(invalid(
                "--tolerance needs something to compare with: --baseline URL or --baseline-metrics URL".into(),
            ));
        }
        let metrics = match &args.metrics {
            Some(u) => Some(MetricsPlan {
                target: super::target("--metrics", u)?,
                baseline: args
                    .baseline_metrics
                    .as_deref()
                    .map(|u| super::target("--baseline-metrics", u))
                    .transpose()?,
                compare: compare.clone(),
                five_xx: args
                    .metrics_5xx
                    .parse()
                    .map_err(|e| invalid(format!("--metrics-5xx {e}")))?,
                latency: args.metrics_latency.clone(),
            }),
            None => None,
        };
        if let Some(s) = steps.iter().find(|s| s.hold <= args.warmup) {
            return Err(invalid(format!(
                "--warmup {} is not shorter than the {}% step's hold ({}): no window could be judged",
                humantime::format_duration(args.warmup),
                s.weight,
                humantime::format_duration(s.hold)
            )));
        }
        if let Some(w) = args
            .pause_before
            .iter()
            .find(|w| !steps.iter().any(|s| s.weight == **w))
        {
            return Err(invalid(format!(
                "--pause-before {w}: no step has that weight"
            )));
        }
        let pauses = args.on_fail == OnFail::Pause || !args.pause_before.is_empty();
        if pauses && args.state.is_none() {
            return Err(invalid(
                "--on-fail pause and --pause-before need --state FILE: approvals are written there"
                    .into(),
            ));
        }
        let direct = direct(args, &sample, compare, &mix, env)?;
        let plan = RampPlan {
            pre,
            pre_basis: notes.pop(),
            direct,
            sample,
            steps,
            interval: args.interval,
            warmup: args.warmup,
            limits: limits(args),
            metrics,
            commands: commands(args, set_weight),
            on_fail: args.on_fail,
            pause_before: args.pause_before.clone(),
            rollback_on_interrupt: args.rollback_on_interrupt,
            revision: args.revision.clone(),
        };
        let warnings = sample_warnings(&plan);
        Ok((plan, warnings))
    }
}

/// The pre-gate's load: as `golive stress`, or, with `--pre-capacity`, a share of the
/// maximum a capacity card found (with at least the connections it was found with).
fn pre_load(args: &RampArgs, env: Env, notes: &mut Vec<String>) -> Result<LoadPlan, ConfigError> {
    let mut load = load_plan(&args.load, env)?;
    let Some(path) = &args.pre_capacity else {
        return Ok(load);
    };
    let card = crate::capacity::Card::read(path).map_err(ConfigError::Invalid)?;
    if !card.held() {
        return Err(ConfigError::Invalid(format!(
            "capacity card {}: it holds no sustainable rate ({})",
            path.display(),
            card.report.body.said
        )));
    }
    let rate = card.max_rps * args.pre_load / 100.0;
    load.rate = Some(rate);
    if args.load.requests.is_none() && args.load.duration.is_none() {
        load.requests = None;
        load.duration = Some(super::stress::DEFAULT_RATE_DURATION);
    }
    load.concurrency = load.concurrency.max(card.connections);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    load.threads = args.load.threads.unwrap_or(cores).min(load.concurrency);
    notes.push(format!(
        "{}% of the {:.0} req/s maximum in {}{}",
        args.pre_load,
        card.max_rps,
        path.display(),
        card.caveat
    ));
    Ok(load)
}

/// How a window's canary is compared with its baseline. Tails are the SLOs' to judge
/// on the canary: p99 needs about 880 responses a side before its interval means
/// anything, more than a window holds.
pub fn window_comparison(tolerances: crate::compare::Tolerances) -> crate::compare::Settings {
    crate::compare::Settings {
        percentiles: vec![0.5, 0.95],
        tolerances,
        ..crate::compare::Settings::default()
    }
}

/// `--canary URL` and `--baseline URL`: the window's sample aimed at each release.
type Mix<'a> = &'a dyn Fn(&str) -> Result<Option<(Target, Workload)>, ConfigError>;

fn direct(
    args: &RampArgs,
    sample: &StressPlan,
    compare: crate::compare::Settings,
    mix: Mix,
    env: Env,
) -> Result<Option<Direct>, ConfigError> {
    let Some(canary) = args.canary.as_deref() else {
        return Ok(None);
    };
    // The same requests, on this release's origin.
    let aimed = |url: &str| -> Result<StressPlan, ConfigError> {
        let (mut target, mut template, _) = request(url, &args.request, &args.client, env)?;
        let workload = match mix(url)? {
            Some((origin, w)) => {
                target = origin;
                template = w.requests.template(0).clone();
                Some(w)
            }
            None => None,
        };
        Ok(StressPlan {
            target,
            template,
            workload,
            ..sample.clone()
        })
    };
    Ok(Some(Direct {
        canary: aimed(canary)?,
        baseline: args.baseline.as_deref().map(aimed).transpose()?,
        compare,
    }))
}

impl RampPlan {
    /// Just enough of a journaled ramp to roll it back (`golive ramp abort` on a
    /// ramp no process drives): its steps, commands and revision. Needs none of the
    /// request's secrets or files.
    pub fn rollback_only(args: &RampArgs) -> Result<RampPlan, ConfigError> {
        let invalid = |s: &str| ConfigError::Invalid(s.into());
        let url = args.url.as_deref().ok_or(ConfigError::NoUrl)?;
        let steps = parse_steps(args.steps.as_deref().unwrap_or_default())
            .map_err(|e| invalid(&format!("--steps {e}")))?;
        let set_weight = args
            .set_weight
            .clone()
            .ok_or_else(|| invalid("the journal has no --set-weight"))?;
        let target = super::target("URL", url)?;
        let load = LoadPlan {
            concurrency: 1,
            streams: 1,
            threads: 1,
            requests: Some(1),
            duration: None,
            rate: None,
            timeout: args.load.timeout,
            inject_lag: None,
            shard: Shard::default(),
            start_at: None,
            retry_idle_close: true,
            stages: None,
            connection_stages: None,
        };
        Ok(RampPlan {
            pre: None,
            pre_basis: None,
            sample: StressPlan::simple_get(target, load, Vec::new()),
            steps,
            interval: args.interval,
            warmup: args.warmup,
            limits: limits(args),
            metrics: None,
            direct: None,
            commands: commands(args, set_weight),
            on_fail: args.on_fail,
            pause_before: args.pause_before.clone(),
            rollback_on_interrupt: args.rollback_on_interrupt,
            revision: args.revision.clone(),
        })
    }
}

fn limits(args: &RampArgs) -> Limits {
    Limits {
        failure_limit: args
            .failure_limit
            .or(args.consecutive_failures.is_none().then_some(1)),
        consecutive_failures: args.consecutive_failures,
        error_limit: args.error_limit,
        min_windows: args.min_windows,
        max_extension: args.max_extension,
    }
}

fn commands(args: &RampArgs, set_weight: String) -> Commands {
    Commands {
        set_weight,
        rollback: args.rollback_cmd.clone(),
        guards: args.guards.clone(),
        on_event: args.on_event.clone(),
        timeout: args.command_timeout,
    }
}

/// What the journal keeps of the header values and the token: nothing.
const REDACTED: &str = "<not stored>";

/// The names of the headers a ramp sends (their values are secrets by type).
pub fn header_names(args: &RampArgs) -> Vec<String> {
    let mut names: Vec<String> = args
        .request
        .headers
        .iter()
        .filter_map(|h| {
            h.split_once(':')
                .map(|(n, _)| n.trim().to_ascii_lowercase())
        })
        .collect();
    if args.request.token.as_deref().is_some_and(|t| !t.is_empty()) {
        names.push("authorization (--token)".into());
    }
    names
}

/// The flags as the journal keeps them: every header value and the token removed
/// (by type, whatever they hold), the one-off flags (--resume, --restart, --dry-run)
/// cleared. A URL with a password never gets here: it is refused as a target.
pub fn journaled(args: &RampArgs) -> serde_json::Value {
    let mut kept = args.clone();
    kept.action = None;
    kept.resume = false;
    kept.restart = false;
    kept.dry_run = false;
    kept.request.token = None;
    kept.request.headers = header_names(args)
        .into_iter()
        .filter(|n| !n.ends_with("(--token)"))
        .map(|n| format!("{n}: {REDACTED}"))
        .collect();
    serde_json::to_value(kept).expect("the ramp's flags serialise")
}

/// Where a resumed ramp picks up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumeFrom {
    /// The pre-gate, from its start (nothing was touched yet).
    PreGate,
    /// The pause in force: wait for its approval again.
    Pause,
    /// The current step: its weight set again (the command must be safe to repeat),
    /// then its remaining hold.
    Step,
    /// A rollback that was started or failed: run it again, judge nothing.
    FinishRollback,
}

/// The rules of a resume (pure): what a journaled ramp may do next, or why not.
pub fn resume_from(state: &RampState, revision: Option<&str>) -> Result<ResumeFrom, String> {
    if state.phase.is_over() {
        return Err(format!(
            "the ramp has ended ({}): nothing to resume (start a new one with --restart)",
            state.phase.describe()
        ));
    }
    if revision.is_some() && revision != state.revision.as_deref() {
        return Err(format!(
            "it holds revision {}, not {}: refused (--restart to start over with the new one)",
            state.revision.as_deref().unwrap_or("(none)"),
            revision.unwrap_or_default()
        ));
    }
    state.check()?;
    Ok(match state.phase {
        Phase::RollingBack | Phase::RollbackFailed => ResumeFrom::FinishRollback,
        _ if matches!(state.intent, Some(Intent::Rollback { .. })) => ResumeFrom::FinishRollback,
        Phase::PreGate => ResumeFrom::PreGate,
        Phase::Paused => ResumeFrom::Pause,
        _ => ResumeFrom::Step,
    })
}

/// The flags of a journaled ramp, with the secrets the resume gives again (header
/// values, the token) and the outputs it names instead of the stored ones.
pub fn resumed_args(state: &RampState, given: &RampArgs) -> Result<RampArgs, String> {
    let mut args: RampArgs = serde_json::from_value(state.plan.clone()).map_err(|e| {
        format!("its plan does not read with this golive ({e}): finish it with the golive that started it, or --restart")
    })?;
    if let Some(url) = given.url.as_deref().filter(|u| !u.is_empty()) {
        if Some(url) != args.url.as_deref() {
            return Err(format!(
                "it ramps {}, not {url}: a resume goes on with the journaled ramp (--restart to start a new one)",
                args.url.as_deref().unwrap_or("(none)")
            ));
        }
    }
    args.request.headers = given.request.headers.clone();
    args.request.token = given.request.token.clone();
    if header_names(&args) != state.header_names {
        return Err(format!(
            "the ramp sent headers {:?}; give them again on resume (-H 'NAME: VALUE', --token): their values are never stored",
            state.header_names
        ));
    }
    args.state = given.state.clone();
    args.json = given.json.clone().or(args.json);
    args.evidence.report = given.evidence.report.clone().or(args.evidence.report);
    args.evidence.junit = given.evidence.junit.clone().or(args.evidence.junit);
    if given.revision.is_some() {
        args.revision = given.revision.clone();
    }
    Ok(args)
}

/// golive makes the windows' load, so it can say at plan time when a window cannot
/// hold enough samples for a percentile SLO (those windows would be inconclusive).
fn sample_warnings(plan: &RampPlan) -> Vec<String> {
    let rate = plan.sample.load.rate.unwrap_or(0.0);
    let per_window = rate * plan.interval.as_secs_f64();
    // A scoped SLO sees its request's share of the window.
    let share = |slo: &crate::slo::Slo| -> f64 {
        let (Some(name), Some(w)) = (slo.scope.as_deref(), plan.sample.workload.as_ref()) else {
            return 1.0;
        };
        let names = w.requests.names();
        let shares = w.requests.shares();
        names
            .iter()
            .position(|n| n == name)
            .map_or(1.0, |i| shares[i])
    };
    let mut warnings: Vec<String> = plan.sample
        .slos
        .iter()
        .filter_map(|slo| {
            let n = (per_window * share(slo)).floor() as u64;
            match slo.metric {
                Metric::Percentile(pct) if samples_needed(pct / 100.0) > n => Some(format!(
                    "--window-rate {rate} × --interval {} gives {n} {} per window; {slo} needs {}: raise one of them, or those windows will be inconclusive",
                    humantime::format_duration(plan.interval),
                    match slo.scope.as_deref() {
                        Some(name) => format!("'{name}' requests"),
                        None => "requests".into(),
                    },
                    samples_needed(pct / 100.0)
                )),
                _ => None,
            }
        })
        .collect();
    // The comparison needs whole seconds of both sides: a step's first windows are
    // inconclusive until its windows add up to enough of them.
    if let Some(d) = plan.direct.as_ref().filter(|d| d.baseline.is_some()) {
        let needed = crate::compare::MIN_UNITS as f64 * f64::from(d.compare.unit_s);
        let window_s = plan.interval.as_secs_f64();
        if window_s < needed {
            warnings.push(format!(
                "--baseline compares {needed:.0} s a side at least: with --interval {} a step's first {} windows will be inconclusive",
                humantime::format_duration(plan.interval),
                (needed / window_s).ceil() as u64 - 1
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn short_windows_with_a_baseline_are_warned_about() {
        let base = [
            "http://x/",
            "--steps",
            "5:1m",
            "--set-weight",
            "true",
            "--canary",
            "http://c/",
        ];
        let with = |interval: &str| {
            let mut argv = base.to_vec();
            argv.extend(["--baseline", "http://b/", "--interval", interval]);
            plan(&argv).unwrap().1
        };
        let w = with("2s");
        assert!(
            w.iter()
                .any(|w| w.contains("first 2 windows will be inconclusive")),
            "{w:?}"
        );
        assert!(!with("10s").iter().any(|w| w.contains("--baseline")));
        let (p, _) = plan(&base).unwrap();
        let d = p.direct.unwrap();
        assert!(d.baseline.is_none());
        assert_eq!(d.canary.target.uri.to_string(), "http://c/");
    }

    fn plan(argv: &[&str]) -> Result<(RampPlan, Vec<String>), ConfigError> {
        let cli = Cli::try_parse_from(["golive", "ramp"].iter().chain(argv)).unwrap();
        let Command::Ramp(args) = cli.command else {
            unreachable!()
        };
        RampPlan::from_args(&args, &|_| None)
    }

    #[test]
    fn defaults_are_the_seeds_and_thin_windows_are_warned() {
        let (p, warnings) = plan(&[
            "http://127.0.0.1:1/",
            "--steps",
            "5:1h,100:8h",
            "--set-weight",
            "echo {weight}",
        ])
        .unwrap();
        assert_eq!(p.sample.slos.len(), DEFAULT_RAMP_SLOS.len());
        assert_eq!(
            p.pre.as_ref().unwrap().slos.len(),
            DEFAULT_STRESS_SLOS.len()
        );
        assert_eq!(p.limits.failure_limit, Some(1));
        assert_eq!(p.commands.rollback_cmd(), "echo 0");
        // 5 req/s × 1 min = 300 requests: p95 is fine.
        assert!(warnings.is_empty(), "{warnings:?}");
        let (_, warnings) = plan(&[
            "http://127.0.0.1:1/",
            "--steps",
            "5:1h",
            "--set-weight",
            "true",
            "--interval",
            "2s",
        ])
        .unwrap();
        assert!(warnings[0].contains("needs 20"), "{warnings:?}");
    }

    #[test]
    fn bad_plans_say_which_flag() {
        let err = |argv: &[&str]| plan(argv).unwrap_err().to_string();
        assert!(err(&["http://127.0.0.1:1/", "--set-weight", "true"]).contains("--steps"));
        assert!(err(&["http://127.0.0.1:1/", "--steps", "5:1h"]).contains("--set-weight"));
        assert!(err(&[
            "http://127.0.0.1:1/",
            "--steps",
            "5:1s",
            "--set-weight",
            "true"
        ])
        .contains("--warmup"));
        assert!(err(&[
            "http://127.0.0.1:1/",
            "--steps",
            "5:1h",
            "--set-weight",
            "true",
            "--pause-before",
            "50"
        ])
        .contains("no step"));
        assert!(err(&[
            "http://127.0.0.1:1/",
            "--steps",
            "5:1h",
            "--set-weight",
            "true",
            "--on-fail",
            "pause"
        ])
        .contains("--state"));
    }

    fn args(argv: &[&str]) -> RampArgs {
        let cli = Cli::try_parse_from(["golive", "ramp"].iter().chain(argv)).unwrap();
        let Command::Ramp(args) = cli.command else {
            unreachable!()
        };
        *args
    }

    const BASE: [&str; 5] = [
        "http://127.0.0.1:1/",
        "--steps",
        "5:1h,100:1h",
        "--set-weight",
        "echo {weight}",
    ];

    #[test]
    fn the_journal_keeps_header_names_and_never_their_values() {
        let given = args(
            &[
                &BASE[..],
                &["-kH", "Authorization: Bearer s3cret", "--token", "t0ken"],
            ]
            .concat(),
        );
        let kept = journaled(&given);
        let text = kept.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("t0ken"),
            "{text}"
        );
        assert!(text.contains("authorization: <not stored>"), "{text}");
        assert_eq!(kept["client"]["insecure"], true);
        assert_eq!(kept["resume"], false);
    }

    fn state_of(given: &RampArgs) -> RampState {
        let (plan, _) = RampPlan::from_args(given, &|_| None).unwrap();
        crate::ramp::state::fresh(
            journaled(given),
            header_names(given),
            plan.steps,
            given.revision.clone(),
        )
    }

    #[test]
    fn resume_rules() {
        let given = args(&[&BASE[..], &["--revision", "v2"]].concat());
        let mut s = state_of(&given);
        assert_eq!(resume_from(&s, None), Ok(ResumeFrom::PreGate));
        assert!(resume_from(&s, Some("v3"))
            .unwrap_err()
            .contains("revision v2"));
        s.phase = Phase::Stepping;
        assert_eq!(resume_from(&s, Some("v2")), Ok(ResumeFrom::Step));
        s.intent = Some(Intent::Rollback {
            why: "x".into(),
            at: "t".into(),
        });
        assert_eq!(resume_from(&s, None), Ok(ResumeFrom::FinishRollback));
        s.phase = Phase::RollbackFailed;
        assert_eq!(resume_from(&s, None), Ok(ResumeFrom::FinishRollback));
        s.phase = Phase::Paused;
        s.intent = None;
        assert!(resume_from(&s, None)
            .unwrap_err()
            .contains("no pause recorded"));
        s.phase = Phase::Promoted;
        assert!(resume_from(&s, None).unwrap_err().contains("has ended"));
        s.phase = Phase::Stepping;
        s.step = 7;
        assert!(resume_from(&s, None)
            .unwrap_err()
            .contains("past its 2 steps"));
    }

    #[test]
    fn a_resume_needs_the_same_headers_and_keeps_the_journaled_plan() {
        let given = args(&[&BASE[..], &["-H", "X-Key: abc", "--json", "a.json"]].concat());
        let s = state_of(&given);
        let bare = args(&["--resume", "--state", "s.json"]);
        assert!(resumed_args(&s, &bare).unwrap_err().contains("x-key"));
        let again = args(&["--resume", "--state", "s.json", "-H", "X-Key: abc"]);
        let back = resumed_args(&s, &again).unwrap();
        assert_eq!(back.request.headers, ["X-Key: abc"]);
        assert_eq!(back.json.as_deref(), Some(std::path::Path::new("a.json")));
        assert_eq!(back.steps.as_deref(), Some("5:1h,100:1h"));
        let other = args(&[
            "http://elsewhere/",
            "--resume",
            "--state",
            "s.json",
            "-H",
            "X-Key: abc",
        ]);
        assert!(resumed_args(&s, &other)
            .unwrap_err()
            .contains("ramps http://127.0.0.1:1/"));
    }
}
