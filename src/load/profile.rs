//! `--stages RATE:DURATION,...`: an open-model rate that changes over the run. Each
//! stage moves the rate linearly from the previous stage's target (0 at the start) to
//! its own over its duration, as k6's ramping-arrival-rate does: `500:1m,500:5m,0:30s`
//! ramps up for a minute, holds five, and ramps down. The schedule is exact: ticket i
//! is due when the planned count N(t) = ∫ rate reaches i, so every shard, which takes
//! every Nth ticket of the plan, follows the same curve.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One stage: the rate it ends at, and how long it takes to get there.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stage {
    /// Requests per second at the stage's end.
    pub rate: f64,
    /// Seconds.
    pub duration_s: f64,
}

/// Parses `RATE:DURATION,...` (e.g. `500:1m,500:5m,0:30s`).
pub fn parse_stages(spec: &str) -> Result<Vec<Stage>, String> {
    let stages = spec
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (rate, d) = part
                .split_once(':')
                .ok_or_else(|| format!("'{part}': expected RATE:DURATION, e.g. 500:1m"))?;
            let rate: f64 = rate
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                .ok_or_else(|| {
                    format!("'{part}': the rate must be a number ≥ 0 (requests per second)")
                })?;
            let d = humantime::parse_duration(d.trim())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("'{part}': the duration must be above 0, e.g. 30s"))?;
            Ok(Stage {
                rate,
                duration_s: d.as_secs_f64(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if stages.is_empty() {
        return Err("no stages: e.g. --stages 500:1m,500:5m,0:30s".into());
    }
    if stages.iter().all(|s| s.rate == 0.0) {
        return Err("every stage's rate is 0: nothing would be sent".into());
    }
    Ok(stages)
}

/// One linear piece: from `start_s`, rate `a` to `b` over `d` seconds, with `before`
/// requests planned ahead of it.
#[derive(Clone, Debug, PartialEq)]
struct Piece {
    start_s: f64,
    before: f64,
    a: f64,
    b: f64,
    d: f64,
}

impl Piece {
    fn area(&self) -> f64 {
        (self.a + self.b) / 2.0 * self.d
    }
}

/// The planned count over time, and its inverse (when each ticket is due).
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub stages: Vec<Stage>,
    pieces: Vec<Piece>,
    total: f64,
    length_s: f64,
}

impl Profile {
    pub fn new(stages: Vec<Stage>) -> Profile {
        let (mut pieces, mut t, mut n, mut from) = (Vec::new(), 0.0, 0.0, 0.0);
        for s in &stages {
            let p = Piece {
                start_s: t,
                before: n,
                a: from,
                b: s.rate,
                d: s.duration_s,
            };
            n += p.area();
            t += s.duration_s;
            from = s.rate;
            pieces.push(p);
        }
        Profile {
            stages,
            pieces,
            total: n,
            length_s: t,
        }
    }

    /// Requests the plan sends: tickets 0, 1, … below the planned total.
    pub fn requests(&self) -> u64 {
        self.total.ceil() as u64
    }

    pub fn length(&self) -> Duration {
        Duration::from_secs_f64(self.length_s)
    }

    /// The mean rate over the whole run.
    pub fn mean_rate(&self) -> f64 {
        self.total / self.length_s
    }

    /// Requests planned by `t` seconds.
    pub fn planned_by(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, self.length_s);
        self.pieces
            .iter()
            .rev()
            .find(|p| p.start_s <= t)
            .map_or(0.0, |p| {
                let tau = t - p.start_s;
                p.before + p.a * tau + (p.b - p.a) * tau * tau / (2.0 * p.d)
            })
    }

    /// When ticket `i` is due, in seconds from the start; `None` past the plan.
    pub fn due(&self, i: u64) -> Option<f64> {
        let n = i as f64;
        if n >= self.total {
            return None;
        }
        let p = self
            .pieces
            .iter()
            .rev()
            .find(|p| p.before <= n && p.area() > 0.0)?;
        let left = n - p.before;
        // Solves a·τ + (b − a)·τ²/(2d) = left, in the form that stays exact when a = b
        // and when a = 0.
        let root = (p.a * p.a + 2.0 * (p.b - p.a) * left / p.d).max(0.0).sqrt();
        let tau = if left == 0.0 {
            0.0
        } else {
            2.0 * left / (p.a + root)
        };
        Some(p.start_s + tau.min(p.d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_parse_or_say_why() {
        let s = parse_stages("500:1m, 500:5m,0:30s").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].rate, s[1].duration_s), (500.0, 300.0));
        assert!(parse_stages("500").is_err());
        assert!(parse_stages("-5:1s").is_err());
        assert!(parse_stages("5:0s").is_err());
        assert!(parse_stages("0:1s,0:2s").is_err());
    }

    #[test]
    fn tickets_follow_the_planned_count_exactly() {
        // 0 → 100 over 2 s (100 requests), 100 for 2 s (200), 100 → 0 over 2 s (100).
        let p = Profile::new(parse_stages("100:2s,100:2s,0:2s").unwrap());
        assert_eq!(p.requests(), 400);
        assert!((p.mean_rate() - 400.0 / 6.0).abs() < 1e-9);
        let dues: Vec<f64> = (0..400).map(|i| p.due(i).unwrap()).collect();
        assert!(
            dues.windows(2).all(|w| w[0] <= w[1]),
            "due times never go back"
        );
        assert_eq!(p.due(400), None);
        // The tickets due within each stage are its planned count.
        let within = |a: f64, b: f64| dues.iter().filter(|&&t| t >= a && t < b).count();
        assert_eq!(
            (within(0.0, 2.0), within(2.0, 4.0), within(4.0, 6.0)),
            (100, 200, 100)
        );
        // During the hold, one every 10 ms.
        assert!((p.due(250).unwrap() - 3.5).abs() < 1e-9);
        // Inverse of the planned count.
        for i in [1, 37, 99, 150, 333, 399] {
            let t = p.due(i).unwrap();
            assert!((p.planned_by(t) - i as f64).abs() < 1e-6, "{i}: {t}");
        }
        // The first ticket is due at the start.
        let flat = Profile::new(parse_stages("50:1s,50:3s").unwrap());
        assert!((flat.due(0).unwrap()).abs() < 1e-12);
    }
}
