//! Largest-triangle-three-buckets downsampling (Steinarsson, 2013): keeps the points
//! that shape a series (peaks, dips) so an 8-hour timeline draws as fast as a
//! minute's and a one-second stall still shows.

/// The indices of at most `max` points of `ys` (x is the index) worth drawing; the
/// first and last are always kept. `max < 3` or a short series keeps every point.
pub fn indices(ys: &[f64], max: usize) -> Vec<usize> {
    let n = ys.len();
    if max < 3 || n <= max {
        return (0..n).collect();
    }
    let every = (n - 2) as f64 / (max - 2) as f64;
    let edge = |i: usize| ((i as f64 * every) as usize + 1).min(n - 1);
    let mut kept = Vec::with_capacity(max);
    kept.push(0);
    let mut a = 0usize;
    for i in 0..max - 2 {
        // The next bucket's average is the triangle's third corner (the last point
        // stands in for it at the end).
        let (next_from, next_to) = (edge(i + 1), edge(i + 2).max(edge(i + 1) + 1).min(n));
        let next = &ys[next_from..next_to];
        let avg_x = (next_from + next_to - 1) as f64 / 2.0;
        let avg_y = next.iter().sum::<f64>() / next.len() as f64;
        let (ax, ay) = (a as f64, ys[a]);
        let mut best = (edge(i), -1.0);
        for (j, &y) in ys.iter().enumerate().take(edge(i + 1)).skip(edge(i)) {
            let area = ((ax - avg_x) * (y - ay) - (ax - j as f64) * (avg_y - ay)).abs();
            if area > best.1 {
                best = (j, area);
            }
        }
        kept.push(best.0);
        a = best.0;
    }
    kept.push(n - 1);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_are_kept_whole() {
        assert_eq!(indices(&[1.0, 2.0, 3.0], 10), vec![0, 1, 2]);
    }

    #[test]
    fn a_one_second_dip_in_eight_hours_survives() {
        let mut ys = vec![1000.0; 8 * 3600];
        ys[12_345] = 0.0;
        let kept = indices(&ys, 600);
        assert!(kept.len() <= 600);
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&(ys.len() - 1)));
        assert!(kept.contains(&12_345), "the dip was dropped");
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
    }
}
