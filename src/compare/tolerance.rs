//! Tolerance bands: how much worse a metric may get and still be "the same"
//! (`--tolerance 'p99:+10%'`, `'errors:+0.1pp'`, `'shift:+2ms'`, `'throughput:-5%'`).

use std::fmt;

/// What a comparison measures, by the name `--tolerance` and the JSON use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// The typical request's latency change (Hodges–Lehmann shift of successes).
    Shift,
    /// A percentile of success latency, e.g. 0.99.
    Percentile(f64),
    /// The share of requests that got slower (one-sided Kolmogorov–Smirnov D).
    Shape,
    /// Requests that did not succeed (4xx, 5xx, transport errors), in percent.
    Errors,
    /// 5xx responses, in percent of finished requests.
    Status5xx,
    /// Responses per second (closed model only).
    Throughput,
}

impl Metric {
    pub fn name(self) -> String {
        match self {
            Metric::Shift => "shift".into(),
            Metric::Percentile(q) => format!("p{}", percent_label(q)),
            Metric::Shape => "shape".into(),
            Metric::Errors => "errors".into(),
            Metric::Status5xx => "5xx".into(),
            Metric::Throughput => "throughput".into(),
        }
    }

    fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "shift" | "location" => Metric::Shift,
            "shape" => Metric::Shape,
            "errors" | "error_rate" => Metric::Errors,
            "5xx" => Metric::Status5xx,
            "throughput" | "rps" => Metric::Throughput,
            p => {
                let q: f64 = p.strip_prefix('p')?.parse().ok()?;
                if !(0.0..100.0).contains(&q) || q <= 0.0 {
                    return None;
                }
                // 99.9 / 100 is 0.9990000000000001 in binary: round to the asked digits.
                Metric::Percentile((q * 1e4).round() / 1e6)
            }
        })
    }

    /// The band a user gets without asking: tight on the typical request, looser on
    /// tails (fewer samples decide them), and any real rise in errors counts.
    pub fn default_band(self) -> Band {
        match self {
            Metric::Shift => Band::Percent(5.0),
            Metric::Percentile(q) if q <= 0.5 => Band::Percent(5.0),
            Metric::Percentile(_) => Band::Percent(10.0),
            Metric::Shape => Band::Share(5.0),
            Metric::Errors | Metric::Status5xx => Band::Points(0.1),
            Metric::Throughput => Band::Percent(5.0),
        }
    }

    /// Whether larger is worse (latency, errors) or smaller is (throughput).
    pub fn larger_is_worse(self) -> bool {
        self != Metric::Throughput
    }
}

/// 0.99 → "99", 0.999 → "99.9", 0.99983 → "99.983" (three decimals at most).
pub fn percent_label(q: f64) -> String {
    let pct = (q * 100.0 * 1000.0).round() / 1000.0;
    format!("{pct}")
}

/// How far the worse way a metric may move and still be the same. Always stored as a
/// positive amount in the worse direction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Band {
    /// Relative to the baseline's value.
    Percent(f64),
    /// Milliseconds (latency metrics).
    Ms(f64),
    /// Percentage points (error rates).
    Points(f64),
    /// Percent of requests (shape).
    Share(f64),
}

impl Band {
    pub fn amount(self) -> f64 {
        match self {
            Band::Percent(x) | Band::Ms(x) | Band::Points(x) | Band::Share(x) => x,
        }
    }

    /// The unit an effect is stated in under this band.
    pub fn unit(self) -> &'static str {
        match self {
            Band::Percent(_) | Band::Share(_) => "%",
            Band::Ms(_) => "ms",
            Band::Points(_) => "pp",
        }
    }
}

/// One `--tolerance` given by the user.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub metric: Metric,
    pub band: Band,
}

/// The bands in force for one comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tolerances(Vec<Tolerance>);

impl Tolerances {
    pub fn new(given: Vec<Tolerance>) -> Tolerances {
        Tolerances(given)
    }

    pub fn band(&self, metric: Metric) -> Band {
        self.0
            .iter()
            .rev()
            .find(|t| t.metric == metric)
            .map_or(metric.default_band(), |t| t.band)
    }

    /// Percentiles a tolerance names, so that `--tolerance p90:+5%` also compares p90.
    pub fn percentiles(&self) -> impl Iterator<Item = f64> + '_ {
        self.0.iter().filter_map(|t| match t.metric {
            Metric::Percentile(q) => Some(q),
            _ => None,
        })
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Band::Percent(x) => write!(f, "{x}%"),
            Band::Ms(x) => write!(f, "{x} ms"),
            Band::Points(x) => write!(f, "{x} points"),
            Band::Share(x) => write!(f, "{x}% of requests"),
        }
    }
}

/// Parses `METRIC:AMOUNT` (`p99:+10%`, `shift:+2ms`, `errors:+0.1pp`, `shape:5%`,
/// `throughput:-5%`). The sign, when given, must point the worse way.
pub fn parse(text: &str) -> Result<Tolerance, String> {
    let hint =
        "write METRIC:AMOUNT, e.g. p99:+10%, shift:+2ms, errors:+0.1pp, shape:5%, throughput:-5%";
    let (name, amount) = text
        .split_once(':')
        .ok_or_else(|| format!("tolerance '{text}' has no ':'; {hint}"))?;
    let metric = Metric::parse(name.trim()).ok_or_else(|| {
        format!("tolerance '{text}': '{name}' is not a compared metric (shift, p50, p95, p99, any pNN, shape, errors, 5xx, throughput)")
    })?;
    let amount = amount.trim();
    let (sign, rest) = match amount.chars().next() {
        Some('+') => (1.0, &amount[1..]),
        Some('-') => (-1.0, &amount[1..]),
        _ => (if metric.larger_is_worse() { 1.0 } else { -1.0 }, amount),
    };
    let worse = if metric.larger_is_worse() { 1.0 } else { -1.0 };
    if sign != worse {
        let way = if worse > 0.0 { "+" } else { "-" };
        return Err(format!(
            "tolerance '{text}': {} gets worse the {} way, so its band is {way}AMOUNT",
            metric.name(),
            if worse > 0.0 {
                "+ (higher)"
            } else {
                "- (lower)"
            }
        ));
    }
    let (number, band): (&str, fn(f64) -> Band) = if let Some(n) = rest.strip_suffix("pp") {
        (n, Band::Points)
    } else if let Some(n) = rest.strip_suffix("ms") {
        (n, Band::Ms)
    } else if let Some(n) = rest.strip_suffix('%') {
        (
            n,
            if metric == Metric::Shape {
                Band::Share
            } else {
                Band::Percent
            },
        )
    } else {
        return Err(format!(
            "tolerance '{text}' needs a unit (%, ms or pp); {hint}"
        ));
    };
    let x: f64 = number
        .trim()
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x >= 0.0)
        .ok_or_else(|| format!("tolerance '{text}': '{number}' is not a number ≥ 0"))?;
    let band = band(x);
    let fits = matches!(
        (metric, band),
        (
            Metric::Shift | Metric::Percentile(_),
            Band::Percent(_) | Band::Ms(_)
        ) | (Metric::Shape, Band::Share(_))
            | (Metric::Errors | Metric::Status5xx, Band::Points(_))
            | (Metric::Throughput, Band::Percent(_))
    );
    if !fits {
        let units = match metric {
            Metric::Shift | Metric::Percentile(_) => "% or ms",
            Metric::Shape => "% (of requests)",
            Metric::Errors | Metric::Status5xx => "pp (percentage points)",
            Metric::Throughput => "%",
        };
        return Err(format!(
            "tolerance '{text}': {} takes {units}",
            metric.name()
        ));
    }
    Ok(Tolerance { metric, band })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_parse_in_their_units() {
        assert_eq!(
            parse("p99:+10%").unwrap(),
            Tolerance {
                metric: Metric::Percentile(0.99),
                band: Band::Percent(10.0)
            }
        );
        assert_eq!(parse("shift:2ms").unwrap().band, Band::Ms(2.0));
        assert_eq!(parse("errors:+0.1pp").unwrap().band, Band::Points(0.1));
        assert_eq!(parse("shape:5%").unwrap().band, Band::Share(5.0));
        assert_eq!(parse("throughput:-5%").unwrap().band, Band::Percent(5.0));
        assert_eq!(
            parse("p99.9:+20%").unwrap().metric,
            Metric::Percentile(0.999)
        );
    }

    #[test]
    fn mistakes_say_what_to_write() {
        for (bad, says) in [
            ("p99", "no ':'"),
            ("p99:10", "needs a unit"),
            ("latency:+5%", "not a compared metric"),
            ("p99:-10%", "band is +AMOUNT"),
            ("throughput:+5%", "band is -AMOUNT"),
            ("errors:+5ms", "takes pp"),
            ("p95:+x%", "not a number"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn the_last_band_given_wins_and_defaults_fill_the_rest() {
        let t = Tolerances::new(vec![parse("p99:+10%").unwrap(), parse("p99:+20%").unwrap()]);
        assert_eq!(t.band(Metric::Percentile(0.99)), Band::Percent(20.0));
        assert_eq!(t.band(Metric::Errors), Band::Points(0.1));
        assert_eq!(t.percentiles().collect::<Vec<_>>(), vec![0.99, 0.99]);
    }
}
