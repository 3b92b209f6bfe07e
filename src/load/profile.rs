//! `--stages RATE:DURATION,...`: an open-model rate that changes over the run. Each
//! stage moves the rate linearly from the previous stage's target (0 at the start) to
//! its own over its duration, as k6's ramping-arrival-rate does: `500:1m,500:5m,0:30s`
//! ramps up for a minute, holds five, and ramps down. The schedule is exact: ticket i
//! is due when the planned count N(t) = ∫ rate reaches i, so every shard, which takes
//! every Nth ticket of the plan, follows the same curve.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One stage: the level it ends at, and how long it takes to get there.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stage {
    /// Requests per second at the stage's end (connections, for the closed loop's).
    pub rate: f64,
    /// Seconds.
    pub duration_s: f64,
}

/// Parses `RATE:DURATION,...` (e.g. `500:1m,500:5m,0:30s`).
pub fn parse_stages(spec: &str) -> Result<Vec<Stage>, String> {
    parse_levels(spec, ("RATE", "requests per second", "500:1m,500:5m,0:30s"))
}

/// Parses `N:DURATION,...` for the closed loop's connections (e.g. `50:30s,50:2m`).
pub fn parse_connection_stages(spec: &str) -> Result<Vec<Stage>, String> {
    let stages = parse_levels(spec, ("N", "connections", "50:30s,50:2m,0:10s"))?;
    match stages
        .iter()
        .find(|s| s.rate.fract() != 0.0 || s.rate > 100_000.0)
    {
        Some(s) => Err(format!(
            "'{}': connections are a whole number up to 100000",
            s.rate
        )),
        None => Ok(stages),
    }
}

/// `LEVEL:DURATION,...`, the level named by `(name, unit, example)`.
fn parse_levels(
    spec: &str,
    (name, unit, example): (&str, &str, &str),
) -> Result<Vec<Stage>, String> {
    let stages = spec
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (level, d) = part
                .split_once(':')
                .ok_or_else(|| format!("'{part}': expected {name}:DURATION, e.g. {example}"))?;
            let rate: f64 = level
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                .ok_or_else(|| format!("'{part}': {name} must be a number ≥ 0 ({unit})"))?;
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
        return Err(format!("no stages: e.g. {example}"));
    }
    if stages.iter().all(|s| s.rate == 0.0) {
        return Err(format!("every stage is at 0 {unit}: nothing would be sent"));
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

    /// The level (a rate, or connections) at `t` seconds: linear within each stage.
    pub fn level_at(&self, t: f64) -> f64 {
        self.pieces
            .iter()
            .find(|p| t < p.start_s + p.d)
            .map_or(0.0, |p| {
                p.a + (p.b - p.a) * ((t - p.start_s) / p.d).max(0.0)
            })
    }

    /// The first time from `t` at which the level is above `level`; `None` when it is
    /// not again before the plan ends.
    pub fn next_above(&self, level: f64, t: f64) -> Option<f64> {
        self.pieces
            .iter()
            .filter(|p| p.start_s + p.d > t)
            .find_map(|p| {
                let end = p.start_s + p.d;
                // When this stage crosses the level (it is above it after, or before).
                let cross = (p.a != p.b).then(|| p.start_s + (level - p.a) / (p.b - p.a) * p.d);
                let from = match (p.a > level, p.b > level) {
                    (true, true) => p.start_s,
                    // Falling through the level: above only before the crossing.
                    (true, false) => return cross.filter(|c| *c > t).map(|_| p.start_s.max(t)),
                    // Rising through it: above just after the crossing.
                    (false, true) => cross.unwrap_or(p.start_s) + 1e-6,
                    (false, false) => return None,
                };
                (from < end).then_some(from.max(t))
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

    #[test]
    fn a_connection_level_rises_holds_and_falls_and_says_when_a_slot_wakes() {
        // 0 → 4 over 2 s, 4 for 2 s, 4 → 0 over 2 s.
        let p = Profile::new(parse_connection_stages("4:2s,4:2s,0:2s").unwrap());
        assert_eq!(p.level_at(0.0), 0.0);
        assert!((p.level_at(1.0) - 2.0).abs() < 1e-9);
        assert_eq!(p.level_at(3.0), 4.0);
        assert!((p.level_at(5.5) - 1.0).abs() < 1e-9);
        assert_eq!(p.level_at(6.0), 0.0, "past the plan");
        // Slot 2 (the third connection) starts when the level passes 2, at 1 s.
        assert!((p.next_above(2.0, 0.0).unwrap() - 1.0).abs() < 1e-3);
        // Already above: now.
        assert_eq!(p.next_above(2.0, 3.0), Some(3.0));
        // On the way down, above only until the crossing; after it, never again.
        assert_eq!(p.next_above(1.0, 4.5), Some(4.5));
        assert_eq!(p.next_above(1.0, 5.5), None);
        assert!(parse_connection_stages("2.5:1s").is_err());
        assert!(parse_connection_stages("0:1s").is_err());
    }
}
