//! Calibration of `golive compare` at its default settings, on simulated runs whose
//! truth is known: how often two runs of the same release are called regressed (goal
//! ≤ 2%), and how often a release 10% slower on every request is caught at 5 req/s in
//! one-minute windows (goal ≥ 95% within 3 windows, each look at the spent confidence
//! the ramp uses: α/(k(k+1)) at look k, so all looks together stay under α).
//!
//! The model: lognormal latency around 50 ms (σ 0.3 of log latency, a web service's spread;
//! `SIGMA=0.5` for a wider one), each
//! second of each run scaled by its own lognormal factor (σ 0.05: requests in one
//! second share the machine's mood, the autocorrelation that makes per-request
//! p-values too confident). `cargo bench --bench compare`; `PAIRS=N` to change 200.

use golive::compare::{self, Change, Pair, Settings};
use golive::measure::{encode_hist, new_hist, SecondStats};

const RATE: u64 = 5;

/// The spread of log latency: `SIGMA=0.5` for a wide one (default 0.3).
fn sigma() -> f64 {
    std::env::var("SIGMA")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.3)
}
const WINDOW_S: u32 = 60;

fn normal(rng: &mut fastrand::Rng) -> f64 {
    // Box-Muller.
    let (u, v) = (rng.f64().max(1e-12), rng.f64());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// `seconds` of a run at RATE req/s, every latency × `factor`.
fn run(rng: &mut fastrand::Rng, seconds: u32, factor: f64) -> Vec<SecondStats> {
    (0..seconds)
        .map(|second| {
            let mood = (0.05 * normal(rng)).exp();
            let mut h = new_hist();
            for _ in 0..RATE {
                let ms = 50.0 * (sigma() * normal(rng)).exp() * mood * factor;
                h.record((ms * 1000.0) as u64).unwrap();
            }
            SecondStats {
                second,
                responses: RATE,
                status_2xx: RATE,
                status_3xx: 0,
                status_4xx: 0,
                status_5xx: 0,
                errors: 0,
                successes: None,
                p50_ms: None,
                p99_ms: None,
                max_ms: None,
                histogram: encode_hist(&h),
            }
        })
        .collect()
}

/// The change at each look k = 1..=3 (k windows of data), at confidence 1 − α/(k(k+1)).
fn looks(base: &[SecondStats], cand: &[SecondStats]) -> Vec<Change> {
    (1..=3u32)
        .map(|k| {
            let n = (k * WINDOW_S) as usize;
            let pair = Pair::from_timelines(&base[..n], &cand[..n], 1, 0).unwrap();
            let alpha = (1.0 - Settings::default().confidence) / f64::from(k * (k + 1));
            let settings = Settings {
                confidence: 1.0 - alpha,
                ..Settings::default()
            };
            compare::compare(&pair, &settings).change
        })
        .collect()
}

fn main() {
    let pairs: usize = std::env::var("PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(200);
    let mut rng = fastrand::Rng::with_seed(0x601f_e000);
    let started = std::time::Instant::now();
    let mut aa = Vec::new();
    let mut slower = Vec::new();
    // Which metrics the A/A false regressions came from.
    let mut blamed = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..pairs {
        let base = run(&mut rng, 3 * WINDOW_S, 1.0);
        aa.push((looks(&base, &run(&mut rng, 3 * WINDOW_S, 1.0)), {
            let pair =
                Pair::from_timelines(&base[..60], &run(&mut rng, WINDOW_S, 1.0), 1, 0).unwrap();
            let c = compare::compare(&pair, &Settings::default());
            for m in c.metrics.iter().filter(|m| m.change == Change::Regressed) {
                *blamed.entry(m.metric.clone()).or_insert(0) += 1;
            }
            c.change
        }));
        slower.push(looks(&base, &run(&mut rng, 3 * WINDOW_S, 1.10)));
    }
    let share = |n: usize| n as f64 * 100.0 / pairs as f64;
    let single_regressed = aa
        .iter()
        .filter(|(_, one)| *one == Change::Regressed)
        .count();
    let single_inconclusive = aa
        .iter()
        .filter(|(_, one)| *one == Change::Inconclusive)
        .count();
    let aa_any = aa
        .iter()
        .filter(|(l, _)| l.contains(&Change::Regressed))
        .count();
    let aa_same_by_3 = aa.iter().filter(|(l, _)| l[2] == Change::Same).count();
    println!(
        "golive compare calibration: {pairs} pairs, {RATE} req/s, {WINDOW_S}-s windows, lognormal 50 ms (σ {}) with 5% per-second drift",
        sigma()
    );
    println!(
        "A/A, one window, defaults (99.5%): regressed {:.1}% (goal ≤ 2%), inconclusive {:.1}%",
        share(single_regressed),
        share(single_inconclusive)
    );
    println!(
        "A/A, 3 looks with spent confidence: regressed at any look {:.1}%, same at the 3rd look {:.1}%",
        share(aa_any),
        share(aa_same_by_3)
    );
    if !blamed.is_empty() {
        println!("  false regressions by metric: {blamed:?}");
    }
    for k in 1..=3 {
        let caught = slower
            .iter()
            .filter(|l| l[..k].contains(&Change::Regressed))
            .count();
        println!(
            "+10% latency: regressed within {k} window{} {:.1}%{}",
            if k > 1 { "s" } else { "" },
            share(caught),
            if k == 3 { " (goal ≥ 95%)" } else { "" }
        );
    }
    println!("({:.1} s)", started.elapsed().as_secs_f64());
}
