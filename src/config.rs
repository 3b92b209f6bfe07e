//! Flags and environment turned into validated, typed settings. Every problem found here
//! is a usage error (exit 2) whose message names the flag and the fix.

use std::path::PathBuf;

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION};
use http::Method;

use crate::cli::{ClientArgs, LoadArgs, StressArgs};
use crate::http::{
    parse_header, ClientOptions, RequestTemplate, Target, TargetError, TemplateError,
};
use crate::load::LoadPlan;
use crate::slo::{Slo, SloError, DEFAULT_STRESS_SLOS};

/// Requests sent when neither --requests nor --duration is given.
pub const DEFAULT_REQUESTS: u64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no URL: pass one (golive stress http://HOST/PATH) or set API_BASE")]
    NoUrl,
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("invalid --method '{0}'")]
    Method(String),
    #[error(transparent)]
    Header(#[from] TemplateError),
    #[error("cannot read --body-file {path}: {why}")]
    BodyFile { path: String, why: String },
    #[error(transparent)]
    Slo(#[from] SloError),
    #[error("--token holds characters not allowed in a header")]
    Token,
}

/// A stress run, validated.
#[derive(Clone, Debug)]
pub struct StressConfig {
    pub target: Target,
    pub template: RequestTemplate,
    pub client: ClientOptions,
    pub plan: LoadPlan,
    pub slos: Vec<Slo>,
    pub json: Option<PathBuf>,
    pub abort_on_fail: bool,
    pub progress: bool,
}

impl StressConfig {
    /// `env` looks up variables referenced as ${NAME} in header values.
    pub fn from_args(
        args: &StressArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<StressConfig, ConfigError> {
        let url = args
            .url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or(ConfigError::NoUrl)?;
        let target = Target::parse(url)?;
        let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| ConfigError::Method(args.method.clone()))?;
        let mut headers = args
            .headers
            .iter()
            .map(|h| parse_header(h, &env))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(token) = args.token.as_deref().filter(|t| !t.is_empty()) {
            if !headers.iter().any(|(n, _)| n == AUTHORIZATION) {
                let value = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| ConfigError::Token)?;
                headers.push((AUTHORIZATION, value));
            }
        }
        let body = read_body(args)?;
        let client = client_options(&args.client);
        let template = RequestTemplate::new(&target, method, headers, body, client.http2);
        let slos = parse_slos(&args.slos)?;
        Ok(StressConfig {
            target,
            template,
            client,
            plan: load_plan(&args.load),
            slos,
            json: args.json.clone(),
            abort_on_fail: args.abort_on_fail,
            progress: !args.no_progress,
        })
    }
}

fn read_body(args: &StressArgs) -> Result<Bytes, ConfigError> {
    match (&args.body, &args.body_file) {
        (Some(b), _) => Ok(Bytes::from(b.clone())),
        (None, Some(path)) => {
            std::fs::read(path)
                .map(Bytes::from)
                .map_err(|e| ConfigError::BodyFile {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })
        }
        (None, None) => Ok(Bytes::new()),
    }
}

/// `--slo` expressions, or the seeds' stress bar when none is given.
pub fn parse_slos(exprs: &[String]) -> Result<Vec<Slo>, SloError> {
    if exprs.is_empty() {
        DEFAULT_STRESS_SLOS.iter().map(|s| Slo::parse(s)).collect()
    } else {
        exprs.iter().map(|s| Slo::parse(s)).collect()
    }
}

pub fn client_options(args: &ClientArgs) -> ClientOptions {
    ClientOptions {
        insecure: args.insecure,
        cacert: args.cacert.clone(),
        http2: args.http2,
        ..ClientOptions::default()
    }
}

pub fn load_plan(args: &LoadArgs) -> LoadPlan {
    let requests = match (args.requests, args.duration) {
        (None, None) => Some(DEFAULT_REQUESTS),
        (n, _) => n,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    LoadPlan {
        concurrency: args.concurrency,
        threads: args.threads.unwrap_or(cores).min(args.concurrency),
        requests,
        duration: args.duration,
        rate: args.rate,
        timeout: args.timeout,
    }
}
