//! `--workload FILE`: a weighted mix of named requests, in the checks file's
//! vocabulary (`name`, `method`, `path` or `url`, `headers`, `body`), plus `weight`
//! and per-request `slo`. One origin per run: every request goes to the base URL's
//! scheme, host and port, over the run's connections.

mod feeder;
mod file;
mod fill;
pub mod import;

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::http::{RequestTemplate, Target};
use crate::load::Requests;
use crate::slo::Slo;

pub use feeder::{FeederSpec, Mode};
pub use file::{parse, RequestEntry, WorkloadError, WorkloadFile};

/// One request of a workload, as the result records it (header values never: they
/// may be secrets).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Described {
    pub name: String,
    pub method: String,
    /// Path and query on the run's origin.
    pub path: String,
    pub weight: u32,
    pub header_names: Vec<String>,
    pub body_bytes: usize,
    /// Its successes, when not 2xx and 3xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<Vec<u16>>,
}

/// A workload ready to run: the mix the engine sends, what each request is, and the
/// SLOs its file gave each request (scoped to it).
#[derive(Clone, Debug)]
pub struct Workload {
    pub requests: Requests,
    pub described: Vec<Described>,
    pub slos: Vec<Slo>,
    /// The file it came from, as given.
    pub file: String,
    /// The seed of its placeholders' values (`--seed`).
    pub seed: u64,
    /// A `queue` or `shuffle` feeder runs out at this request of the plan: the run
    /// ends there. (feeder, its rows, the request.)
    pub spent_at: Option<(String, usize, u64)>,
    feeder_modes: Vec<(String, Mode)>,
}

impl Workload {
    /// The mix, built on `origin` (the positional URL, else the file's `base`), with
    /// `extra` headers (the command line's -H and --token) added to every request.
    pub fn build(
        path: &str,
        text: &str,
        origin: Option<&Target>,
        extra: &[(HeaderName, HeaderValue)],
        (http2, seed): (bool, u64),
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Target, Workload), WorkloadError> {
        let parsed = file::parse(path, text)?;
        let at = |line: usize, why: String| WorkloadError {
            path: path.into(),
            line,
            why,
        };
        let origin = match (origin, &parsed.base) {
            (Some(o), _) => o.clone(),
            (None, Some(base)) => Target::parse(base).map_err(|e| at(1, format!("base: {e}")))?,
            (None, None) => {
                return Err(at(
                    1,
                    "no base URL: give `base = \"https://...\"` or the URL on the command line"
                        .into(),
                ))
            }
        };
        let dir = std::path::Path::new(path)
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf();
        let feeders = parsed
            .feeders
            .iter()
            .map(|(name, spec)| {
                feeder::load(name, spec, &dir, seed).map_err(|why| {
                    let line = text
                        .lines()
                        .position(|l| l.trim_start().starts_with(&format!("[feeder.{name}]")))
                        .map_or(1, |i| i + 1);
                    at(line, format!("feeder '{name}': {why}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let names = fill::Names {
            feeders: &feeders,
            env,
        };
        let mut named = Vec::new();
        let mut described = Vec::new();
        let mut slos = Vec::new();
        let mut dynamic = Vec::new();
        for r in &parsed.requests {
            let line = r.line;
            let said = |why: String| at(line, format!("request '{}': {why}", r.entry.name));
            let path_pattern = match &r.entry.path {
                Some(p) => Some(fill::Pattern::parse(p, &names).map_err(said)?),
                None => None,
            };
            let target = match (&path_pattern, &r.entry.url) {
                (Some(p), _) => origin
                    .with_path(&p.sample("0"))
                    .map_err(|e| at(line, e.to_string()))?,
                (None, Some(u)) => {
                    let t = Target::parse(u).map_err(|e| at(line, e.to_string()))?;
                    if t.authority != origin.authority || t.scheme != origin.scheme {
                        return Err(at(
                            line,
                            format!(
                                "request '{}': {u} is not on {} (one origin per run: its connections serve every request)",
                                r.entry.name, origin.uri
                            ),
                        ));
                    }
                    t
                }
                (None, None) => unreachable!("checked by the parser"),
            };
            let method = Method::from_bytes(r.entry.method.to_ascii_uppercase().as_bytes())
                .map_err(|_| at(line, format!("invalid method '{}'", r.entry.method)))?;
            let mut headers = Vec::new();
            let mut varying = Vec::new();
            // The file's defaults, each replaced by a request's own of the same name.
            let own = |n: &str| r.entry.headers.keys().any(|k| k.eq_ignore_ascii_case(n));
            let given = parsed
                .headers
                .iter()
                .filter(|(n, _)| !own(n))
                .chain(&r.entry.headers);
            for (name, value) in given {
                let bad = |why: &str| said(format!("header '{name}': {why}"));
                let header = HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| bad("not a header name"))?;
                let pattern = fill::Pattern::parse(value, &names).map_err(|e| bad(&e))?;
                // The value may hold a secret: errors name the header only.
                let sample = HeaderValue::from_str(&pattern.sample("0"))
                    .map_err(|_| bad("holds characters not allowed in a header"))?;
                if pattern.varies() {
                    varying.push((header.clone(), pattern));
                }
                headers.push((header, sample));
            }
            headers.extend(extra.iter().cloned());
            let body_text = match (&r.entry.body, &r.entry.body_file) {
                (Some(b), _) => b.clone(),
                (None, Some(f)) => {
                    let p = dir.join(f);
                    crate::input::read_text(&p, crate::input::BODY)
                        .map_err(|e| at(line, format!("body_file {}: {e}", p.display())))?
                }
                (None, None) => String::new(),
            };
            let body_pattern = fill::Pattern::parse(&body_text, &names).map_err(said)?;
            let body = Bytes::from(body_pattern.sample("0"));
            if !body.is_empty() && !headers.iter().any(|(n, _)| n == http::header::CONTENT_TYPE) {
                if let Some(kind) = content_type(&body) {
                    headers.push((http::header::CONTENT_TYPE, HeaderValue::from_static(kind)));
                }
            }
            for text in &r.entry.slo {
                let scoped = format!("{}: {text}", r.entry.name);
                slos.push(Slo::parse(&scoped).map_err(|e| at(line, e.to_string()))?);
            }
            let template = RequestTemplate::new(&target, method, headers, body, http2);
            let varies = body_pattern.varies()
                || path_pattern.as_ref().is_some_and(|p| p.varies())
                || !varying.is_empty();
            dynamic.push(varies.then(|| fill::Dynamic {
                method: template.method().clone(),
                origin: format!(
                    "{}://{}",
                    if target.scheme == crate::http::Scheme::Https {
                        "https"
                    } else {
                        "http"
                    },
                    target.authority
                ),
                http2,
                path: match path_pattern {
                    Some(p) => p,
                    // A url's path goes as it is.
                    None => fill::Pattern::literal(target.path_and_query.as_str()),
                },
                body: body_pattern,
                headers: {
                    let mut h = template.headers().clone();
                    for (name, _) in &varying {
                        h.remove(name);
                    }
                    h
                },
                varying: std::mem::take(&mut varying),
            }));
            described.push(Described {
                name: r.entry.name.clone(),
                method: template.method().to_string(),
                // As written: the placeholders show what varies.
                path: r
                    .entry
                    .path
                    .clone()
                    .unwrap_or_else(|| target.path_and_query.to_string()),
                weight: r.entry.weight,
                header_names: template.header_names(),
                body_bytes: template.body_len(),
                expect_status: r.entry.expect_status.clone(),
            });
            named.push((r.entry.name.clone(), template, r.entry.weight));
        }
        let mut requests = Requests::mix(named)
            .with_expect(described.iter().map(|d| d.expect_status.clone()).collect());
        let filler = fill::Filler::new(dynamic, feeders, seed, requests.cycle());
        let spent_at = filler.spent_at();
        if requests
            .templates()
            .iter()
            .enumerate()
            .any(|(i, _)| crate::load::Fill::varies(&filler, i))
        {
            requests = requests.with_fill(std::sync::Arc::new(filler));
        }
        let workload = Workload {
            requests,
            described,
            slos,
            file: path.into(),
            seed,
            spent_at,
            feeder_modes: parsed
                .feeders
                .iter()
                .map(|(n, f)| (n.clone(), f.mode))
                .collect(),
        };
        Ok((origin, workload))
    }

    /// What identifies the mix for a shard set: every shard must send the same one.
    pub fn identity(&self) -> String {
        self.described
            .iter()
            .map(|d| {
                format!(
                    "{} {} {} w={} h={:?} b={} e={:?}",
                    d.name,
                    d.method,
                    d.path,
                    d.weight,
                    d.header_names,
                    d.body_bytes,
                    d.expect_status
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A feeder's mode, by name.
    pub fn feeder_mode(&self, name: &str) -> Option<&'static str> {
        self.feeder_modes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m.as_str())
    }

    /// The names of its requests, for checking `--slo 'NAME: ...'`.
    pub fn has(&self, name: &str) -> bool {
        self.described.iter().any(|d| d.name == name)
    }
}

/// A body that reads as JSON gets `Content-Type: application/json`, as the checks
/// file's do; anything else is left for the user to type.
fn content_type(body: &[u8]) -> Option<&'static str> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .map(|_| "application/json")
}

/// Header defaults and per-request headers, by name.
pub type Headers = BTreeMap<String, String>;
