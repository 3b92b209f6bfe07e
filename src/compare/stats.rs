//! The statistics of a comparison on histogram counts. Every function takes counts over
//! one shared, sorted list of bucket values (µs), so each test is exact up to the
//! histogram's bucket width (0.1%) and needs no raw samples: ties come only from
//! two requests landing in the same bucket.

/// The sum of a side's counts.
pub fn total(c: &[f64]) -> f64 {
    c.iter().sum()
}

/// Nearest rank, as HdrHistogram reads it: the smallest value whose cumulative count
/// reaches `q` of the total. `None` for an empty side.
pub fn quantile(values: &[u64], c: &[f64], q: f64) -> Option<f64> {
    let n = total(c);
    if n <= 0.0 {
        return None;
    }
    let rank = (q * n).ceil().max(1.0);
    let mut seen = 0.0;
    for (v, &k) in values.iter().zip(c) {
        seen += k;
        if seen >= rank {
            return Some(*v as f64);
        }
    }
    values.last().map(|v| *v as f64)
}

/// Hodges–Lehmann shift: the (lower) median of all differences `b − a` in µs, found by
/// bisection on the count of pairs at or under a difference, each count a single pass.
pub fn hodges_lehmann(values: &[u64], a: &[f64], b: &[f64]) -> Option<f64> {
    let (na, nb) = (total(a), total(b));
    if na <= 0.0 || nb <= 0.0 {
        return None;
    }
    // suffix[i]: count of a at positions i.. (values are sorted).
    let mut suffix = vec![0.0; values.len() + 1];
    for i in (0..values.len()).rev() {
        suffix[i] = suffix[i + 1] + a[i];
    }
    let pairs_at_most = |d: i64| -> f64 {
        let mut i = 0;
        let mut n = 0.0;
        for (j, &cb) in b.iter().enumerate() {
            if cb == 0.0 {
                continue;
            }
            let t = values[j] as i64 - d;
            while i < values.len() && (values[i] as i64) < t {
                i += 1;
            }
            n += cb * suffix[i];
        }
        n
    };
    let half = na * nb / 2.0;
    let (mut lo, mut hi) = (-(*values.last()? as i64) - 1, *values.last()? as i64 + 1);
    // Invariant: pairs_at_most(lo) < half <= pairs_at_most(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if pairs_at_most(mid) >= half {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi as f64)
}

/// A Mann–Whitney comparison: θ is P(candidate > baseline) + ½ P(tie), 0.5 when
/// neither side tends to be larger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    pub theta: f64,
    pub z: f64,
    pub p: f64,
}

/// Sparse counts of one replication unit: (position in `values`, count).
pub type UnitCounts = [(u32, u64)];

/// Mann–Whitney U as θ, with the variance of θ estimated over clusters (Obuchowski,
/// 1997): requests within an interval are correlated, intervals much less so, so the
/// variance comes from how each interval's share of wins departs from its size × θ.
/// Candidate values are first passed through `map` (increasing): `y − d` or `y / r`
/// test a shift of the candidate, which is how the shift's interval is found.
pub fn mann_whitney(
    values: &[u64],
    a: &[f64],
    b: &[f64],
    a_units: &[&UnitCounts],
    b_units: &[&UnitCounts],
    map: impl Fn(f64) -> f64,
) -> Option<MannWhitney> {
    let (na, nb) = (total(a), total(b));
    if na <= 0.0 || nb <= 0.0 {
        return None;
    }
    let len = values.len();
    let mapped: Vec<f64> = values.iter().map(|&v| map(v as f64)).collect();
    // psi_b[j]: for a candidate request at position j, the share of baseline requests
    // below it (ties half); psi_a[i]: for a baseline request at i, the share of
    // candidate requests above it. Both by a walk over the two sorted lists.
    let mut psi_b = vec![0.0; len];
    let (mut i, mut below) = (0, 0.0);
    for j in 0..len {
        let y = mapped[j];
        while i < len && (values[i] as f64) < y {
            below += a[i];
            i += 1;
        }
        let tie = if i < len && values[i] as f64 == y {
            a[i]
        } else {
            0.0
        };
        psi_b[j] = (below + tie / 2.0) / na;
    }
    let mut psi_a = vec![0.0; len];
    let (mut j, mut at_or_below) = (0, 0.0);
    for i in 0..len {
        let x = values[i] as f64;
        while j < len && mapped[j] < x {
            at_or_below += b[j];
            j += 1;
        }
        let tie = if j < len && mapped[j] == x { b[j] } else { 0.0 };
        psi_a[i] = (nb - at_or_below - tie / 2.0) / nb;
    }
    let theta = b.iter().zip(&psi_b).map(|(c, p)| c * p).sum::<f64>() / nb;
    let component = |units: &[&UnitCounts], psi: &[f64], n: f64| -> Option<f64> {
        let k = units.len() as f64;
        if k < 2.0 {
            return None;
        }
        let ss: f64 = units
            .iter()
            .map(|u| {
                let (wins, m) = u.iter().fold((0.0, 0.0), |(w, m), &(i, c)| {
                    (w + c as f64 * psi[i as usize], m + c as f64)
                });
                (wins - m * theta).powi(2)
            })
            .sum();
        Some(k / ((k - 1.0) * n * n) * ss)
    };
    let var = component(a_units, &psi_a, na)? + component(b_units, &psi_b, nb)?;
    let (z, p) = if var > 0.0 {
        let z = (theta - 0.5) / var.sqrt();
        (z, two_sided_p(z))
    } else if theta == 0.5 {
        (0.0, 1.0)
    } else {
        (f64::INFINITY.copysign(theta - 0.5), 0.0)
    };
    Some(MannWhitney { theta, z, p })
}

/// A shift of the candidate and its interval, by inverting the clustered Mann–Whitney
/// test: the estimate is the shift that leaves θ at ½ (Hodges–Lehmann), the ends the
/// shifts at which the test's z reaches ∓`z`. `ratio` shifts by a factor (the
/// estimate is then a ratio), else by µs. Returns (estimate, low, high, p at no shift).
pub fn shift_interval(
    values: &[u64],
    a: &[f64],
    b: &[f64],
    a_units: &[&UnitCounts],
    b_units: &[&UnitCounts],
    z: f64,
    ratio: bool,
) -> Option<(f64, f64, f64, f64)> {
    let top = *values.last()? as f64 + 1.0;
    // The parameter t: a shift in µs, or the log of a factor.
    let (lo, hi) = if ratio {
        (-(top.ln() + 1.0), top.ln() + 1.0)
    } else {
        (-top, top)
    };
    let test = |t: f64| {
        if ratio {
            let f = (-t).exp();
            mann_whitney(values, a, b, a_units, b_units, |y| y * f)
        } else {
            mann_whitney(values, a, b, a_units, b_units, |y| y - t)
        }
    };
    let p = test(0.0)?.p;
    // z(t) falls as t grows: find where it crosses `target`.
    let solve = |target: f64| {
        let (mut l, mut h) = (lo, hi);
        for _ in 0..64 {
            let mid = (l + h) / 2.0;
            let zt = test(mid).map_or(0.0, |m| if m.z.is_nan() { 0.0 } else { m.z });
            if zt > target {
                l = mid;
            } else {
                h = mid;
            }
        }
        (l + h) / 2.0
    };
    let (est, low, high) = (solve(0.0), solve(z), solve(-z));
    let back = |t: f64| if ratio { t.exp() } else { t };
    Some((back(est), back(low), back(high), p))
}

/// The z of a two-sided interval at `confidence`.
pub fn z_for(confidence: f64) -> f64 {
    std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(1.0 - confidence)
}

/// A ratio estimate Σy / Σm over clusters and its standard error (the sandwich
/// variance of a ratio estimator: each cluster's departure y − p·m).
pub fn cluster_ratio(clusters: &[(f64, f64)]) -> Option<(f64, f64)> {
    let k = clusters.len() as f64;
    let (sy, sm) = clusters
        .iter()
        .fold((0.0, 0.0), |(a, b), (y, m)| (a + y, b + m));
    if sm <= 0.0 || k < 2.0 {
        return None;
    }
    let p = sy / sm;
    let ss: f64 = clusters.iter().map(|(y, m)| (y - p * m).powi(2)).sum();
    Some((p, (k / (k - 1.0) * ss).sqrt() / sm))
}

/// A quantile and its interval by Woodruff's method with a clustered variance: the
/// share of requests at or under the quantile has a standard error over intervals;
/// the quantiles at q ∓ z·se are the interval's ends. (value, low, high) in µs.
pub fn quantile_interval(
    values: &[u64],
    c: &[f64],
    units: &[&UnitCounts],
    q: f64,
    z: f64,
) -> Option<(f64, f64, f64)> {
    let x = quantile(values, c, q)?;
    let clusters: Vec<(f64, f64)> = units
        .iter()
        .map(|u| {
            u.iter().fold((0.0, 0.0), |(y, m), &(i, k)| {
                let k = k as f64;
                (
                    y + if values[i as usize] as f64 <= x {
                        k
                    } else {
                        0.0
                    },
                    m + k,
                )
            })
        })
        .collect();
    let (_, se) = cluster_ratio(&clusters)?;
    let at = |p: f64| quantile(values, c, p.clamp(0.0, 1.0));
    Some((x, at(q - z * se)?, at(q + z * se)?))
}

/// Two-sided p of a standard normal z.
pub fn two_sided_p(z: f64) -> f64 {
    use statrs::function::erf::erfc;
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// Kolmogorov–Smirnov distances between the baseline and the candidate moved by
/// `shift_us` (its values less the shift; 0 compares them as they are): `slower` is
/// the largest share of requests by which the candidate finishes later than the
/// baseline at some latency (one-sided, ≥ 0), `either` the two-sided D. Aligned by the
/// location shift, the distance sees a change of shape (spread, a heavier tail) that
/// the shift does not.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ks {
    pub slower: f64,
    pub either: f64,
}

pub fn kolmogorov_smirnov(values: &[u64], a: &[f64], b: &[f64], shift_us: f64) -> Option<Ks> {
    let (na, nb) = (total(a), total(b));
    if na <= 0.0 || nb <= 0.0 {
        return None;
    }
    let n = values.len();
    let (mut i, mut j, mut fa, mut fb) = (0, 0, 0.0, 0.0);
    let mut ks = Ks {
        slower: 0.0,
        either: 0.0,
    };
    // Walk both step functions in order of their jumps.
    while i < n || j < n {
        let xa = values.get(i).map_or(f64::INFINITY, |&v| v as f64);
        let xb = values
            .get(j)
            .map_or(f64::INFINITY, |&v| v as f64 - shift_us);
        let x = xa.min(xb);
        while i < n && values[i] as f64 <= x {
            fa += a[i] / na;
            i += 1;
        }
        while j < n && values[j] as f64 - shift_us <= x {
            fb += b[j] / nb;
            j += 1;
        }
        ks.slower = ks.slower.max(fa - fb);
        ks.either = ks.either.max((fa - fb).abs());
    }
    Some(ks)
}

/// How far two resampled distributions stray from their originals, against each other:
/// sup over values of |(F*a − Fa) − (F*b − Fb)|. Its quantiles bound the error of a
/// KS distance measured on the originals.
pub fn ecdf_wobble(a: &[f64], a_star: &[f64], b: &[f64], b_star: &[f64]) -> f64 {
    let n = [total(a), total(a_star), total(b), total(b_star)];
    if n.iter().any(|&x| x <= 0.0) {
        return 1.0;
    }
    let mut f = [0.0; 4];
    let mut worst: f64 = 0.0;
    for i in 0..a.len() {
        for (k, c) in [a, a_star, b, b_star].iter().enumerate() {
            f[k] += c[i] / n[k];
        }
        worst = worst.max(((f[1] - f[0]) - (f[3] - f[2])).abs());
    }
    worst
}

/// The `lo` and `hi` quantiles of a set of resampled values (nearest rank).
pub fn interval(sorted: &[f64], confidence: f64) -> Option<(f64, f64)> {
    if sorted.is_empty() {
        return None;
    }
    let tail = (1.0 - confidence) / 2.0;
    let at = |q: f64| {
        let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[i]
    };
    Some((at(tail), at(1.0 - tail)))
}

/// A bootstrap p for "no change": twice the smaller share of resamples on either side
/// of zero, never below one resample's worth.
pub fn bootstrap_p(sorted: &[f64]) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as f64;
    let below = sorted.iter().filter(|&&x| x <= 0.0).count() as f64;
    let above = sorted.iter().filter(|&&x| x >= 0.0).count() as f64;
    Some((2.0 * below.min(above) / n).clamp(1.0 / n, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(values: &[u64], samples: &[u64]) -> Vec<f64> {
        let mut c = vec![0.0; values.len()];
        for s in samples {
            c[values.binary_search(s).unwrap()] += 1.0;
        }
        c
    }

    #[test]
    fn hodges_lehmann_is_the_median_of_pairwise_differences() {
        let values: Vec<u64> = (1..=40).collect();
        let a = dense(&values, &[1, 2, 3, 4, 5]);
        let b = dense(&values, &[21, 22, 23, 24, 25]);
        assert_eq!(hodges_lehmann(&values, &a, &b), Some(20.0));
        assert_eq!(hodges_lehmann(&values, &b, &a), Some(-20.0));
        assert_eq!(hodges_lehmann(&values, &a, &a), Some(0.0));
    }

    #[test]
    fn mann_whitney_matches_the_textbook_u() {
        // a = 1..5, b = 3..7: U_b = pairs b > a + ½ ties = 19 + 1.5 of 25.
        let values: Vec<u64> = (1..=7).collect();
        let a = dense(&values, &[1, 2, 3, 4, 5]);
        let b = dense(&values, &[3, 4, 5, 6, 7]);
        let units_a: Vec<Vec<(u32, u64)>> = (0..5).map(|i| vec![(i, 1)]).collect();
        let units_b: Vec<Vec<(u32, u64)>> = (2..7).map(|i| vec![(i, 1)]).collect();
        let ua: Vec<&UnitCounts> = units_a.iter().map(|u| u.as_slice()).collect();
        let ub: Vec<&UnitCounts> = units_b.iter().map(|u| u.as_slice()).collect();
        let mw = mann_whitney(&values, &a, &b, &ua, &ub, |y| y).unwrap();
        assert!((mw.theta - 20.5 / 25.0).abs() < 1e-12, "{mw:?}");
        assert!(mw.z > 0.0 && mw.p < 0.5, "{mw:?}");
        let same = mann_whitney(&values, &a, &a, &ua, &ua, |y| y).unwrap();
        assert_eq!(same.theta, 0.5);
        assert!((same.p - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_shift_interval_inverts_the_test_around_hodges_lehmann() {
        let values: Vec<u64> = (1..=200).collect();
        // Ten units a side; the candidate is the baseline + 50.
        let units_a: Vec<Vec<(u32, u64)>> = (0..10)
            .map(|u| (0..10).map(|k| ((u * 10 + k) as u32, 1)).collect())
            .collect();
        let units_b: Vec<Vec<(u32, u64)>> = units_a
            .iter()
            .map(|u| u.iter().map(|&(i, c)| (i + 50, c)).collect())
            .collect();
        let dense = |units: &[Vec<(u32, u64)>]| {
            let mut c = vec![0.0; values.len()];
            units
                .iter()
                .flatten()
                .for_each(|&(i, k)| c[i as usize] += k as f64);
            c
        };
        let (a, b) = (dense(&units_a), dense(&units_b));
        let ua: Vec<&UnitCounts> = units_a.iter().map(|u| u.as_slice()).collect();
        let ub: Vec<&UnitCounts> = units_b.iter().map(|u| u.as_slice()).collect();
        let (est, low, high, p) = shift_interval(&values, &a, &b, &ua, &ub, 1.96, false).unwrap();
        assert!((est - 50.0).abs() < 1.0, "{est}");
        assert!(low < 50.0 && 50.0 < high && low > 20.0, "{low} {high}");
        assert!(p < 0.01, "{p}");
        let (q, ql, qh) = quantile_interval(&values, &a, &ua, 0.5, 1.96).unwrap();
        assert_eq!(q, 50.0);
        assert!(ql < q && q < qh, "{ql} {qh}");
        assert!((z_for(0.95) - 1.959964).abs() < 1e-5);
    }

    #[test]
    fn ks_sees_a_heavier_tail_with_the_same_median() {
        let values: Vec<u64> = vec![10, 11, 12, 60];
        let a = vec![10.0, 80.0, 10.0, 0.0];
        let b = vec![10.0, 70.0, 10.0, 10.0];
        assert_eq!(quantile(&values, &a, 0.5), quantile(&values, &b, 0.5));
        let ks = kolmogorov_smirnov(&values, &a, &b, 0.0).unwrap();
        assert!((ks.slower - 0.1).abs() < 1e-9, "{ks:?}");
        let back = kolmogorov_smirnov(&values, &b, &a, 0.0).unwrap();
        assert!(
            back.slower.abs() < 1e-9,
            "the reverse is faster, not slower: {back:?}"
        );
    }

    #[test]
    fn ks_aligned_by_the_shift_sees_no_change_of_shape_in_a_pure_shift() {
        let values: Vec<u64> = (1..=60).collect();
        let a = dense(&values, &[10, 11, 12, 13, 14]);
        let b = dense(&values, &[30, 31, 32, 33, 34]);
        let shift = hodges_lehmann(&values, &a, &b).unwrap();
        assert_eq!(shift, 20.0);
        assert_eq!(
            kolmogorov_smirnov(&values, &a, &b, 0.0).unwrap().slower,
            1.0
        );
        let aligned = kolmogorov_smirnov(&values, &a, &b, shift).unwrap();
        assert!(aligned.either.abs() < 1e-9, "{aligned:?}");
    }

    #[test]
    fn quantile_is_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        let c = vec![1.0; 100];
        assert_eq!(quantile(&values, &c, 0.95), Some(95.0));
        assert_eq!(quantile(&values, &c, 0.0), Some(1.0));
        assert_eq!(quantile(&values, &vec![0.0; 100], 0.5), None);
    }
}
