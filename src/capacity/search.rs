//! The search, pure: which rate to run next given what the steps found. An
//! exponential probe from the start rate, then bisection between the highest passing
//! and the lowest failing rate until they are within the precision, then the passing
//! bound repeated; a repeat that fails makes it the failing bound and the search goes
//! on below it.

use super::StepOutcome;

#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    Step {
        rate: f64,
        phase: &'static str,
    },
    /// The search is over.
    Done,
}

#[derive(Clone, Debug)]
pub struct Search {
    start: f64,
    max_rate: f64,
    /// Relative width at which the bracket is closed (0.05: within 5%).
    precision: f64,
    repeat: u32,
    /// Every rate that passed.
    passed: Vec<f64>,
    /// The lowest rate that failed on the target's account.
    pub fail: Option<f64>,
    /// Passes of the current maximum since it was reached.
    pub confirmed: u32,
}

impl Search {
    pub fn new(start: f64, max_rate: f64, precision: f64, repeat: u32) -> Search {
        Search {
            start,
            max_rate,
            precision,
            repeat,
            passed: Vec::new(),
            fail: None,
            confirmed: 0,
        }
    }

    /// The highest rate that passed below the failing bound.
    pub fn pass(&self) -> Option<f64> {
        self.passed
            .iter()
            .copied()
            .filter(|p| self.fail.is_none_or(|f| *p < f))
            .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p))))
    }

    pub fn next(&self) -> Next {
        match (self.pass(), self.fail) {
            (None, None) => Next::Step {
                rate: self.start,
                phase: "probe",
            },
            // The start rate failed: nothing below it is searched.
            (None, Some(_)) => Next::Done,
            (Some(p), None) if p >= self.max_rate => Next::Done,
            (Some(p), None) => Next::Step {
                rate: (p * 2.0).min(self.max_rate).round(),
                phase: "probe",
            },
            (Some(p), Some(f)) if (f - p) / p > self.precision => Next::Step {
                rate: ((p + f) / 2.0).round(),
                phase: "bisect",
            },
            (Some(p), Some(_)) if self.confirmed < self.repeat => Next::Step {
                rate: p,
                phase: "repeat",
            },
            _ => Next::Done,
        }
    }

    /// What a step at `rate` found (invalid steps are the caller's to act on).
    pub fn record(&mut self, rate: f64, outcome: StepOutcome) {
        let top = self.pass();
        match outcome {
            StepOutcome::Pass => {
                if top == Some(rate) {
                    self.confirmed += 1;
                } else {
                    self.passed.push(rate);
                    self.confirmed = 0;
                }
            }
            StepOutcome::Fail => {
                self.fail = Some(self.fail.map_or(rate, |f| f.min(rate)));
                self.passed.retain(|p| *p < rate);
                self.confirmed = 0;
            }
            StepOutcome::Invalid => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search against a target that holds up to `capacity`, returning the
    /// rates it ran and its maximum.
    fn against(capacity: f64, flaky_at: Option<f64>) -> (Vec<f64>, Option<f64>) {
        let mut s = Search::new(100.0, 1e6, 0.05, 2);
        let mut ran = Vec::new();
        let mut flaked = false;
        while let Next::Step { rate, .. } = s.next() {
            ran.push(rate);
            // The flaky rate fails the first time it is run.
            let flakes = Some(rate) == flaky_at && !flaked;
            flaked |= flakes;
            let pass = rate <= capacity && !flakes;
            s.record(
                rate,
                if pass {
                    StepOutcome::Pass
                } else {
                    StepOutcome::Fail
                },
            );
            assert!(ran.len() < 60, "the search ends: {ran:?}");
        }
        (ran, s.pass())
    }

    #[test]
    fn the_maximum_is_bracketed_within_the_precision_and_confirmed() {
        let (ran, max) = against(2000.0, None);
        let max = max.unwrap();
        assert!((2000.0 / 1.05..=2000.0).contains(&max), "{max}: {ran:?}");
        assert_eq!(
            ran.iter().filter(|&&r| r == max).count(),
            3,
            "found, then twice more"
        );
        // Below the start rate there is nothing to find.
        assert_eq!(against(50.0, None), (vec![100.0], None));
    }

    #[test]
    fn a_repeat_that_fails_moves_the_maximum_down() {
        let (_, clean) = against(2000.0, None);
        let clean = clean.unwrap();
        let (ran, max) = against(2000.0, Some(clean));
        assert!(
            max.unwrap() < clean,
            "{max:?} after {clean} failed once: {ran:?}"
        );
    }
}
