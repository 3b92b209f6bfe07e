//! `golive stress` flags → [`StressPlan`].

use std::time::SystemTime;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::Method;

use super::{client_options, parse_slos, ConfigError, Env};
use crate::cli::{ClientArgs, LoadArgs, RequestArgs, StressArgs};
use crate::gates::shards::{plan_id, ShardRecord};
use crate::gates::stress::StressPlan;
use crate::http::{parse_header, ClientOptions, RequestTemplate, Target};
use crate::load::{InjectedLag, LoadPlan, Shard};
use crate::slo::DEFAULT_STRESS_SLOS;

/// Requests sent in the closed loop when neither --requests nor --duration is given.
pub const DEFAULT_REQUESTS: u64 = 200;

/// How long an open-model run (--rate) lasts when neither --requests nor --duration
/// is given: a rate needs a time span to mean anything.
pub const DEFAULT_RATE_DURATION: std::time::Duration = std::time::Duration::from_secs(10);

impl StressPlan {
    /// `env` looks up variables referenced as ${NAME} in header values.
    pub fn from_args(args: &StressArgs, env: Env) -> Result<StressPlan, ConfigError> {
        let url = args.url.as_deref().filter(|u| !u.trim().is_empty());
        let (target, template, mut client, workload) = match &args.workload {
            None => {
                let url = url.ok_or(ConfigError::NoUrl)?;
                let (target, template, client) = request(url, &args.request, &args.client, env)?;
                (target, template, client, None)
            }
            Some(path) => {
                let client = client_options(&args.client);
                let seed = args.seed.unwrap_or_else(fresh_seed);
                let (target, w) = workload(path, url, &args.request, (client.http2, seed), env)?;
                (target, w.requests.template(0).clone(), client, Some(w))
            }
        };
        client.h1_client = args.load.h1_client;
        client.h2_client = args.load.h2_client;
        // --timeout bounds the connect too: a listener that never accepts fails in it.
        client.connect_timeout = args.load.timeout;
        let mut load = load_plan(&args.load, env)?;
        // A queue feeder's rows are spent at a known request of the plan: it ends there.
        if let Some((.., at)) = workload.as_ref().and_then(|w| w.spent_at.as_ref()) {
            load.requests = Some(load.requests.map_or(*at, |n| n.min(*at)));
        }
        let slos = scoped_slos(
            parse_slos(&args.slos, &DEFAULT_STRESS_SLOS)?,
            workload.as_ref(),
        )?;
        let start_at = match args.start_at.as_deref() {
            Some(spec) => Some(parse_start_at(spec, SystemTime::now())?),
            None => None,
        };
        let shard = match args.shard.as_deref().filter(|s| !s.is_empty()) {
            Some(spec) => Some(parse_shard(spec, env)?),
            None => None,
        };
        load.start_at = start_at;
        let record = match shard {
            Some(s) => {
                // Checked for the whole plan, so that every shard refuses it alike.
                if load.concurrency < s.count {
                    return Err(ConfigError::Invalid(format!(
                        "--shard {s}: -c {} leaves some of the {} shards no connection; give -c at least {}",
                        load.concurrency, s.count, s.count
                    )));
                }
                // Taken before the shard's share: the identity is the whole plan's,
                // so every shard computes the same one.
                let identity = plan_id(
                    &(format!(
                    "{} {}\nrate={:?}\nduration={:?}\nrequests={:?}\nconnections={}\ntimeout={:?}\n\
                     http2={} streams={} window={:?}\nheaders={:?}\nbody={}\nslos={}",
                    template.method(),
                    target.uri,
                    load.rate,
                    load.duration,
                    load.requests,
                    load.concurrency,
                    load.timeout,
                    client.http2,
                    load.streams,
                    client.h2_window,
                    template.header_names(),
                    template.body_len(),
                    slos.iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ) + &workload
                        .as_ref()
                        .map(|w| format!("\nworkload:\n{}", w.identity()))
                        .unwrap_or_default()
                        + &load
                            .stages
                            .as_ref()
                            .map(|p| format!("\nstages={:?}", p.stages))
                            .unwrap_or_default()),
                );
                load.concurrency = s.share(u64::from(load.concurrency)) as u32;
                load.shard = s;
                Some(ShardRecord {
                    index: s.index,
                    count: s.count,
                    plan: identity,
                    start_at: start_at.map(|t| humantime::format_rfc3339_millis(t).to_string()),
                })
            }
            None => None,
        };
        Ok(StressPlan {
            target,
            template,
            client,
            load,
            slos,
            abort_on_fail: args.abort_on_fail,
            shard: record,
            workload,
        })
    }
}

/// `K/N`, or `auto/N` with K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
pub fn parse_shard(spec: &str, env: Env) -> Result<Shard, ConfigError> {
    let bad = |why: &str| ConfigError::Invalid(format!("--shard {spec}: {why}"));
    let (k, n) = spec
        .split_once('/')
        .ok_or_else(|| bad("expected K/N, e.g. 0/4 (shards 0/4 to 3/4), or auto/4"))?;
    let count: u32 = n
        .trim()
        .parse()
        .map_err(|_| bad("N is not a whole number"))?;
    if count == 0 {
        return Err(bad("N must be at least 1"));
    }
    let index: u32 = if k.trim() == "auto" {
        let from_env = env("JOB_COMPLETION_INDEX").ok_or_else(|| {
            bad("auto needs JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job)")
        })?;
        from_env.trim().parse().map_err(|_| {
            bad(&format!(
                "JOB_COMPLETION_INDEX '{from_env}' is not a whole number"
            ))
        })?
    } else {
        k.trim()
            .parse()
            .map_err(|_| bad("K is not a whole number"))?
    };
    if index >= count {
        return Err(bad(&format!(
            "K must be below N: the shards are 0/{count} to {}/{count}",
            count - 1
        )));
    }
    Ok(Shard { index, count })
}

/// RFC 3339 (`2026-11-23T18:00:00Z`, fractions allowed) or `+DURATION` from `now`.
pub fn parse_start_at(spec: &str, now: SystemTime) -> Result<SystemTime, ConfigError> {
    let spec = spec.trim();
    let parsed = match spec.strip_prefix('+') {
        Some(after) => humantime::parse_duration(after).ok().map(|d| now + d),
        None => humantime::parse_rfc3339(spec).ok(),
    };
    parsed.ok_or_else(|| {
        ConfigError::Invalid(format!(
            "--start-at '{spec}': expected RFC 3339 UTC (2026-11-23T18:00:00Z) or +DURATION (+30s)"
        ))
    })
}

/// The SLOs with the workload's own added, every `NAME: ...` naming one of its requests.
pub fn scoped_slos(
    mut slos: Vec<crate::slo::Slo>,
    workload: Option<&crate::workload::Workload>,
) -> Result<Vec<crate::slo::Slo>, ConfigError> {
    if let Some(w) = workload {
        slos.extend(w.slos.iter().cloned());
    }
    if let Some(name) = slos
        .iter()
        .filter_map(|s| s.scope.as_deref())
        .find(|n| !workload.is_some_and(|w| w.has(n)))
    {
        return Err(ConfigError::Invalid(format!(
            "--slo '{name}: ...': no request is named '{name}'{}",
            match workload {
                Some(w) => format!(
                    " in {} (it has {})",
                    w.file,
                    w.described
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => " (a scoped SLO judges one request of a --workload)".into(),
            }
        )));
    }
    Ok(slos)
}

/// `--workload FILE`: the mix on the positional URL's origin (else the file's base),
/// with the command line's -H and --token on every request. -X and --body describe
/// one request: with a workload they belong in its file.
pub fn workload(
    path: &std::path::Path,
    url: Option<&str>,
    args: &RequestArgs,
    (http2, seed): (bool, u64),
    env: Env,
) -> Result<(Target, crate::workload::Workload), ConfigError> {
    if args.body.is_some() || args.body_file.is_some() || !args.method.eq_ignore_ascii_case("GET") {
        return Err(ConfigError::Invalid(
            "--workload: -X, --body and --body-file describe one request; give each request's in the workload file".into(),
        ));
    }
    let text =
        crate::input::read_text(path, crate::input::TEXT).map_err(|e| ConfigError::File {
            flag: "--workload",
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
    let origin = url.map(|u| super::target("URL", u)).transpose()?;
    let extra = headers(args, env)?;
    crate::workload::Workload::build(
        &path.display().to_string(),
        &text,
        origin.as_ref(),
        &extra,
        (http2, seed),
        env,
    )
    .map_err(|e| ConfigError::Invalid(e.to_string()))
}

/// A seed for a run that was not given one: the clock's nanoseconds (it is recorded,
/// so the run can be sent again).
fn fresh_seed() -> u64 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The command line's -H headers and --token (as Authorization, unless -H gave one).
fn headers(args: &RequestArgs, env: Env) -> Result<Vec<(HeaderName, HeaderValue)>, ConfigError> {
    let mut headers = args
        .headers
        .iter()
        .map(|h| parse_header(h, env))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(token) = args.token.as_deref().filter(|t| !t.is_empty()) {
        if !headers.iter().any(|(n, _)| n == AUTHORIZATION) {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                ConfigError::Invalid("--token holds characters not allowed in a header".into())
            })?;
            headers.push((AUTHORIZATION, value));
        }
    }
    Ok(headers)
}

/// The target, the request every worker sends and how to connect: shared by stress
/// and the ramp.
pub fn request(
    url: &str,
    args: &RequestArgs,
    client: &ClientArgs,
    env: Env,
) -> Result<(Target, RequestTemplate, ClientOptions), ConfigError> {
    let target = super::target("URL", url)?;
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| ConfigError::Method(args.method.clone()))?;
    let headers = headers(args, env)?;
    let body = read_body(args)?;
    let client = client_options(client);
    let template = RequestTemplate::new(&target, method, headers, body, client.http2);
    Ok((target, template, client))
}

fn read_body(args: &RequestArgs) -> Result<Bytes, ConfigError> {
    match (&args.body, &args.body_file) {
        (Some(b), _) => Ok(Bytes::from(b.clone())),
        (None, Some(path)) => crate::input::read(path, crate::input::BODY)
            .map(Bytes::from)
            .map_err(|e| ConfigError::File {
                flag: "--body-file",
                path: path.display().to_string(),
                why: e.to_string(),
            }),
        (None, None) => Ok(Bytes::new()),
    }
}

pub fn load_plan(args: &LoadArgs, env: Env) -> Result<LoadPlan, ConfigError> {
    let stages = match args.stages.as_deref() {
        Some(spec) => Some(std::sync::Arc::new(crate::load::Profile::new(
            crate::load::parse_stages(spec)
                .map_err(|e| ConfigError::Invalid(format!("--stages {e}")))?,
        ))),
        None => None,
    };
    let connection_stages = match args.connection_stages.as_deref() {
        Some(spec) => Some(std::sync::Arc::new(crate::load::Profile::new(
            crate::load::parse_connection_stages(spec)
                .map_err(|e| ConfigError::Invalid(format!("--connection-stages {e}")))?,
        ))),
        None => None,
    };
    let (requests, duration) = match (args.requests, args.duration, args.rate) {
        _ if stages.is_some() => {
            let p = stages.as_deref().expect("checked");
            (Some(p.requests()), Some(p.length()))
        }
        _ if connection_stages.is_some() => {
            (None, connection_stages.as_deref().map(|p| p.length()))
        }
        (None, None, None) => (Some(DEFAULT_REQUESTS), None),
        (None, None, Some(_)) => (None, Some(DEFAULT_RATE_DURATION)),
        (n, d, _) => (n, d),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    // With connection stages, -c is their peak.
    let concurrency = connection_stages.as_deref().map_or(args.concurrency, |p| {
        p.stages
            .iter()
            .map(|s| s.rate as u32)
            .max()
            .unwrap_or(1)
            .max(1)
    });
    Ok(LoadPlan {
        concurrency,
        threads: args.threads.unwrap_or(cores).min(concurrency),
        requests,
        duration,
        rate: stages.as_deref().map(|p| p.mean_rate()).or(args.rate),
        timeout: args.timeout,
        inject_lag: injected_lag(env)?,
        shard: Shard::default(),
        start_at: None,
        streams: args.streams,
        retry_idle_close: !args.no_retry,
        stages,
        connection_stages,
    })
}

/// GOLIVE_TEST_INJECT_LAG=EVERY:PAUSE (e.g. `10:30ms`): a test hook that stalls the
/// generator deterministically, so verdict rules can be tested without a busy machine.
fn injected_lag(env: Env) -> Result<Option<InjectedLag>, ConfigError> {
    let Some(spec) = env("GOLIVE_TEST_INJECT_LAG").filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ConfigError::Invalid(format!(
            "GOLIVE_TEST_INJECT_LAG '{spec}': expected EVERY:PAUSE, e.g. 10:30ms"
        ))
    };
    let (every, pause) = spec.split_once(':').ok_or_else(bad)?;
    Ok(Some(InjectedLag {
        every: every.parse().ok().filter(|&n| n > 0).ok_or_else(bad)?,
        pause: humantime::parse_duration(pause).map_err(|_| bad())?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn plan(argv: &[&str]) -> Result<StressPlan, ConfigError> {
        let cli = Cli::try_parse_from(["golive", "stress"].iter().chain(argv)).unwrap();
        let Command::Stress(args) = cli.command else {
            unreachable!()
        };
        StressPlan::from_args(&args, &|_| None)
    }

    #[test]
    fn defaults_follow_the_model() {
        let closed = plan(&["http://127.0.0.1:1/"]).unwrap();
        assert_eq!(closed.load.requests, Some(DEFAULT_REQUESTS));
        let open = plan(&["http://127.0.0.1:1/", "--rate", "50"]).unwrap();
        assert_eq!(
            (open.load.requests, open.load.duration),
            (None, Some(DEFAULT_RATE_DURATION))
        );
        assert_eq!(open.slos.len(), DEFAULT_STRESS_SLOS.len());
    }

    #[test]
    fn bad_input_names_the_flag() {
        let err = plan(&["http://127.0.0.1:99999/"]).unwrap_err().to_string();
        assert!(err.contains("port"), "{err}");
        let err = plan(&["http://127.0.0.1:1/", "-X", "GE T"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--method"), "{err}");
        let err = plan(&["http://127.0.0.1:1/", "--slo", "p95<5"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--slo"), "{err}");
    }

    #[test]
    fn the_lag_hook_parses_or_refuses() {
        let env = super::super::env_of(&[("GOLIVE_TEST_INJECT_LAG", "10:30ms")]);
        let lag = injected_lag(&env).unwrap().unwrap();
        assert_eq!((lag.every, lag.pause.as_millis()), (10, 30));
        let env = super::super::env_of(&[("GOLIVE_TEST_INJECT_LAG", "x")]);
        assert!(injected_lag(&env).is_err());
    }
}
