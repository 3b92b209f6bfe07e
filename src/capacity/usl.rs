//! The Universal Scalability Law fitted to the throughput measured at several
//! concurrencies (`capacity --concurrency-steps`), by the `usl` crate: contention σ,
//! coherence κ, the throughput of one connection λ, and the peak they predict.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A fit and what it predicts.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct UslFit {
    /// Contention (queueing on a shared resource): 0 scales linearly.
    pub sigma: f64,
    /// Coherence (crosstalk): above 0, throughput falls past a peak.
    pub kappa: f64,
    /// Requests per second of one connection, as the fit sees it.
    pub lambda: f64,
    /// The concurrency of the predicted peak (`null` when κ ≤ 0: no peak, throughput
    /// rises towards `peak_rps`, or without bound).
    pub peak_concurrency: Option<u32>,
    /// The predicted peak throughput, or the asymptote λ/σ when there is no peak
    /// (`null` when neither exists: linear scaling).
    pub peak_rps: Option<f64>,
    /// The model's throughput at each measured concurrency, beside the measurement:
    /// `(connections, measured, model)`.
    pub points: Vec<(u32, f64, f64)>,
    /// The fit in one sentence.
    pub said: String,
}

/// Measurements the fit needs at least (the crate's own minimum).
pub const MIN_POINTS: usize = usl::MIN_MEASUREMENTS;

/// Fits `(connections, requests per second)` points; one line when it cannot.
pub fn fit(points: &[(u32, f64)]) -> Result<UslFit, String> {
    let usable: Vec<(u32, f64)> = points
        .iter()
        .copied()
        .filter(|&(n, x)| n > 0 && x.is_finite() && x > 0.0)
        .collect();
    let mut distinct: Vec<u32> = usable.iter().map(|p| p.0).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_POINTS {
        return Err(format!(
            "a USL fit needs throughput at {MIN_POINTS} concurrencies or more; {} measured",
            distinct.len()
        ));
    }
    let measurements: Vec<usl::Measurement> = usable
        .iter()
        .map(|&(n, x)| usl::Measurement::concurrency_and_throughput(n, x))
        .collect();
    // The crate panics when its least-squares solver fails: that is a fit that did not
    // converge, said as such, not a crash.
    let model = quietly(|| usl::Model::build(&measurements))
        .ok_or_else(|| "the USL fit did not converge on these measurements".to_string())?;
    if !(model.sigma.is_finite() && model.kappa.is_finite() && model.lambda > 0.0) {
        return Err("the USL fit gave no usable coefficients".into());
    }
    let widest = usable.iter().map(|p| p.0).max().unwrap_or(1);
    // A peak further out than 100 times the widest step is the model's guess, not a
    // measurement's: it is said as a ceiling.
    let reachable = model.kappa > 0.0
        && model.sigma < 1.0
        && model.max_concurrency() <= widest.saturating_mul(100);
    let (peak_concurrency, peak_rps) = if reachable {
        let n = model.max_concurrency().max(1);
        // The peak lies between two whole concurrencies.
        let best = [n, n.saturating_add(1)]
            .into_iter()
            .max_by(|a, b| {
                model
                    .throughput_at_concurrency(*a)
                    .total_cmp(&model.throughput_at_concurrency(*b))
            })
            .unwrap_or(n);
        (Some(best), Some(model.throughput_at_concurrency(best)))
    } else if model.kappa >= 0.0 && model.sigma > 0.0 && model.sigma < 1.0 {
        (None, Some(model.lambda / model.sigma))
    } else {
        (None, None)
    };
    let said = match (peak_concurrency, peak_rps) {
        _ if model.kappa < 0.0 || model.sigma < 0.0 => format!(
            "USL: the fit is not physical (σ {:.4}, κ {:.6}: a coefficient below 0): the steps do not show the curve's shape; more connection counts, or longer steps, would",
            model.sigma, model.kappa
        ),
        _ if model.sigma >= 1.0 => format!(
            "USL: contention σ {:.4}: throughput does not grow with connections at all",
            model.sigma
        ),
        (Some(n), Some(x)) => format!(
            "USL: contention σ {:.4}, coherence κ {:.6}: throughput peaks at about {x:.0} req/s with {n} connections, and falls beyond",
            model.sigma, model.kappa
        ),
        (None, Some(x)) => format!(
            "USL: contention σ {:.4}, coherence κ {:.6}: throughput approaches {x:.0} req/s, with no peak within 100 times the widest step",
            model.sigma, model.kappa
        ),
        _ => "USL: no contention or coherence measured: throughput scaled linearly over the steps (more connections would find the limit)".into(),
    };
    Ok(UslFit {
        sigma: model.sigma,
        kappa: model.kappa,
        lambda: model.lambda,
        peak_concurrency,
        peak_rps,
        points: usable
            .iter()
            .map(|&(n, x)| (n, x, model.throughput_at_concurrency(n)))
            .collect(),
        said,
    })
}

/// Runs `f`, a `None` if it panics, without the panic printed (the `usl` crate panics
/// when its solver fails, which is an answer here, not a crash).
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Option<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(f).ok();
    std::panic::set_hook(hook);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_curve_is_recovered_with_its_peak() {
        // X(N) = λN / (1 + σ(N−1) + κN(N−1)) with λ 500, σ 0.05, κ 0.001: the peak is
        // at √((1−σ)/κ) ≈ 30.8 connections.
        let x = |n: f64| 500.0 * n / (1.0 + 0.05 * (n - 1.0) + 0.001 * n * (n - 1.0));
        let points: Vec<(u32, f64)> = [1, 2, 4, 8, 16, 32, 64]
            .iter()
            .map(|&n| (n, x(f64::from(n))))
            .collect();
        let f = fit(&points).unwrap();
        assert!((f.sigma - 0.05).abs() < 1e-3, "{f:?}");
        assert!((f.kappa - 0.001).abs() < 1e-4, "{f:?}");
        let n = f.peak_concurrency.unwrap();
        assert!((30..=31).contains(&n), "{f:?}");
        assert!((f.peak_rps.unwrap() - x(f64::from(n))).abs() < 1.0, "{f:?}");
        assert!(f.said.contains("peaks"), "{}", f.said);
    }

    #[test]
    fn too_few_concurrencies_are_said_not_fitted() {
        let e = fit(&[(1, 100.0), (2, 190.0), (4, 350.0)]).unwrap_err();
        assert!(e.contains("6 concurrencies"), "{e}");
        // Repeats of one concurrency are one.
        let same: Vec<(u32, f64)> = (0..8).map(|_| (4, 100.0)).collect();
        assert!(fit(&same).is_err());
    }
}
