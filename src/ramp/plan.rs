//! A ramp, validated: the steps, the windows, the criteria, the commands.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::metrics::Selector;
use crate::gates::stress::StressPlan;
use crate::http::Target;

/// One step: a weight (percent of traffic) held for a time.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Step {
    pub weight: u32,
    #[serde(with = "secs")]
    #[schemars(with = "f64")]
    pub hold: Duration,
}

/// Parses `5:1h,20:2h,50:4h,100:8h`: weights from 0 to 100, rising, holds > 0.
pub fn parse_steps(spec: &str) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (w, h) = part
            .split_once(':')
            .ok_or_else(|| format!("'{part}': expected WEIGHT:HOLD, e.g. 5:1h"))?;
        let weight: u32 = w
            .trim()
            .trim_end_matches('%')
            .parse()
            .ok()
            .filter(|w| *w <= 100)
            .ok_or_else(|| format!("'{part}': the weight must be a whole percent, 0 to 100"))?;
        let hold = humantime::parse_duration(h.trim())
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("'{part}': the hold must be a duration, e.g. 1h or 500ms"))?;
        if steps.last().is_some_and(|s| s.weight >= weight) {
            return Err(format!("'{part}': weights must rise from step to step"));
        }
        steps.push(Step { weight, hold });
    }
    if steps.is_empty() {
        return Err("no steps: e.g. --steps 5:1h,20:2h,50:4h,100:8h".into());
    }
    Ok(steps)
}

/// What a failing step does.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnFail {
    /// Run the rollback command and stop (exit 1).
    Rollback,
    /// Hold the current weight and wait for `golive ramp approve` or `abort`.
    Pause,
}

impl std::str::FromStr for OnFail {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rollback" => Ok(OnFail::Rollback),
            "pause" => Ok(OnFail::Pause),
            _ => Err(format!("'{s}': rollback or pause")),
        }
    }
}

/// How many bad windows a step takes.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Limits {
    /// Failing windows in a step that end it (`None`: no total limit).
    pub failure_limit: Option<u32>,
    /// Failing windows in a row that end a step.
    pub consecutive_failures: Option<u32>,
    /// Windows in a step that could not be judged (scrape or guard could not run)
    /// beyond which the ramp stops inconclusive.
    pub error_limit: u32,
    /// Conclusive passing windows a step needs to be promoted (`None`: half the
    /// windows its hold has room for, at least one).
    pub min_windows: Option<u32>,
    /// How far a step's hold may be extended waiting for enough passing windows.
    #[serde(with = "opt_secs")]
    #[schemars(with = "Option<f64>")]
    pub max_extension: Option<Duration>,
}

/// The service's own metrics, judged per window.
#[derive(Clone, Debug)]
pub struct MetricsPlan {
    /// The canary's (the service's) metrics endpoint.
    pub target: Target,
    /// `--baseline-metrics`: the release being replaced, scraped alike and compared.
    pub baseline: Option<Target>,
    /// How the canary's metrics are compared with the baseline's.
    pub compare: crate::compare::Settings,
    /// The 5xx series (and, by name, all requests): `http_requests_total{status=~"5.."}`.
    pub five_xx: Selector,
    /// The latency histogram family (its `_bucket` series), in seconds.
    pub latency: String,
}

/// The commands a ramp runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Commands {
    /// `{weight}` is replaced; GOLIVE_WEIGHT is set.
    pub set_weight: String,
    /// Default: the set-weight command with weight 0.
    pub rollback: Option<String>,
    pub guards: Vec<String>,
    pub on_event: Vec<String>,
    #[serde(with = "secs")]
    #[schemars(with = "f64")]
    pub timeout: Duration,
}

impl Commands {
    pub fn set_weight_for(&self, weight: u32) -> String {
        self.set_weight.replace("{weight}", &weight.to_string())
    }

    pub fn rollback_cmd(&self) -> String {
        match &self.rollback {
            Some(c) => c.replace("{weight}", "0"),
            None => self.set_weight_for(0),
        }
    }
}

/// A ramp, ready to run.
/// `--canary` (and `--baseline`): the windows load the releases themselves.
#[derive(Clone, Debug)]
pub struct Direct {
    /// The window's sample, sent to the canary.
    pub canary: StressPlan,
    /// The same sample sent to the release being replaced, at once.
    pub baseline: Option<StressPlan>,
    pub compare: crate::compare::Settings,
}

#[derive(Clone, Debug)]
pub struct RampPlan {
    /// The pre-ramp stress gate; `None` with --skip-pre.
    pub pre: Option<StressPlan>,
    /// Where the pre-gate's rate came from, when a capacity card set it.
    pub pre_basis: Option<String>,
    /// The synthetic load of each window, with the rollback criteria as its SLOs.
    pub sample: StressPlan,
    pub steps: Vec<Step>,
    pub interval: Duration,
    pub warmup: Duration,
    pub limits: Limits,
    pub metrics: Option<MetricsPlan>,
    /// `--canary`/`--baseline`: what the windows load instead of the front URL.
    pub direct: Option<Direct>,
    pub commands: Commands,
    pub on_fail: OnFail,
    /// Weights to stop before until approved.
    pub pause_before: Vec<u32>,
    pub rollback_on_interrupt: bool,
    pub revision: Option<String>,
}

impl RampPlan {
    /// Judged windows a step's hold has room for.
    pub fn windows_in(&self, step: &Step) -> u32 {
        let judged = step.hold.saturating_sub(self.warmup);
        (judged.as_secs_f64() / self.interval.as_secs_f64())
            .ceil()
            .max(1.0) as u32
    }

    pub fn min_windows(&self, step: &Step) -> u32 {
        self.limits
            .min_windows
            .unwrap_or_else(|| self.windows_in(step).div_ceil(2))
            .max(1)
    }

    pub fn max_extension(&self, step: &Step) -> Duration {
        self.limits
            .max_extension
            .unwrap_or_else(|| (step.hold / 2).max(self.interval))
    }

    /// The time the steps take when every window passes (the pre-gate aside): each
    /// step's warm-up, then whole windows until its hold is done and enough passed
    /// (a hold that ends inside a window runs to that window's end).
    pub fn total_hold(&self) -> Duration {
        self.steps
            .iter()
            .map(|s| {
                let windows = self.windows_in(s).max(self.min_windows(s));
                self.warmup + self.interval * windows
            })
            .sum()
    }
}

/// Durations as seconds (f64) in JSON.
pub(crate) mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom)
    }
}

pub(crate) mod opt_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<f64>::deserialize(d)?
            .map(|v| Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_rise_and_refuse() {
        let s = parse_steps("5:1h,20:2h,50:4h,100:8h").unwrap();
        assert_eq!(
            s.iter().map(|s| s.weight).collect::<Vec<_>>(),
            [5, 20, 50, 100]
        );
        assert_eq!(s[3].hold, Duration::from_secs(8 * 3600));
        assert!(parse_steps("20:1h,5:1h").is_err());
        assert!(parse_steps("120:1h").is_err());
        assert!(parse_steps("5").is_err());
        assert!(parse_steps("5:0s").is_err());
        assert!(parse_steps("").is_err());
    }
}
