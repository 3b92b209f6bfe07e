//! What a run sends: one request, or a weighted mix of named requests. The mix is one
//! cycle of smooth weighted round-robin (nginx's: each pick goes to the request furthest
//! behind its share), so ticket `i` of the plan always sends the same request. The
//! choice depends on the ticket's place in the whole plan only, which keeps a mix exact
//! in the closed loop and the open model alike, and across shards: their tickets
//! together are the plan's.

use std::sync::Arc;

use crate::http::{ReqBody, RequestTemplate};

/// Requests whose path or body change from send to send (a workload's placeholders),
/// filled from the ticket's place in the plan: the same plan and seed send the same
/// requests, whichever thread or shard sends them.
pub trait Fill: Send + Sync + std::fmt::Debug {
    /// Whether request `which` changes per send (the others go out as encoded once).
    fn varies(&self, which: usize) -> bool;
    /// Request `which` for ticket `index`, as HTTP/1.1 bytes written into `out`
    /// (cleared first; its capacity is reused).
    fn http1(&self, which: usize, index: u64, out: &mut Vec<u8>);
    /// The same request for hyper (HTTP/2, or `--h1-client hyper`).
    fn request(&self, which: usize, index: u64) -> http::Request<ReqBody>;
}

#[derive(Clone, Debug)]
pub struct Requests {
    templates: Arc<[RequestTemplate]>,
    /// Each request's name; empty for a run of one unnamed request.
    names: Arc<[String]>,
    /// One cycle of the mix: which request each ticket of a cycle sends.
    cycle: Arc<[u16]>,
    fill: Option<Arc<dyn Fill>>,
    /// Each request's `expect_status`, when it has one: its successes.
    expect: Arc<[Option<Box<[u16]>>]>,
}

impl From<RequestTemplate> for Requests {
    fn from(t: RequestTemplate) -> Requests {
        Requests {
            templates: Arc::from(vec![t]),
            names: Arc::from(Vec::new()),
            cycle: Arc::from(vec![0]),
            fill: None,
            expect: Arc::from(Vec::new()),
        }
    }
}

/// One cycle of smooth weighted round-robin over `weights` reduced by their common
/// divisor: each request appears `weight / gcd` times, spread as evenly as the weights
/// allow (6:3:1 → a b a c a b a b a a … never six of one in a row).
pub fn smooth_cycle(weights: &[u32]) -> Vec<u16> {
    fn gcd(a: u32, b: u32) -> u32 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let g = weights.iter().copied().fold(0, gcd).max(1);
    let w: Vec<i64> = weights.iter().map(|&x| i64::from(x / g)).collect();
    let total: i64 = w.iter().sum();
    let mut current = vec![0i64; w.len()];
    (0..total)
        .map(|_| {
            for (c, wi) in current.iter_mut().zip(&w) {
                *c += wi;
            }
            // The first of the furthest behind: ties go to the earlier request.
            let (best, _) = current
                .iter()
                .enumerate()
                .fold(
                    (0, i64::MIN),
                    |acc, (i, &c)| if c > acc.1 { (i, c) } else { acc },
                );
            current[best] -= total;
            best as u16
        })
        .collect()
}

impl Requests {
    /// A mix of named requests with their weights (at least one above 0; checked by
    /// the caller, which names the file).
    pub fn mix(named: Vec<(String, RequestTemplate, u32)>) -> Requests {
        let weights: Vec<u32> = named.iter().map(|(_, _, w)| *w).collect();
        let (names, templates): (Vec<String>, Vec<RequestTemplate>) =
            named.into_iter().map(|(n, t, _)| (n, t)).unzip();
        Requests {
            templates: Arc::from(templates),
            names: Arc::from(names),
            cycle: Arc::from(smooth_cycle(&weights)),
            fill: None,
            expect: Arc::from(Vec::new()),
        }
    }

    /// The same mix, each request succeeding on its `expect_status` when it has one.
    pub fn with_expect(mut self, expect: Vec<Option<Vec<u16>>>) -> Requests {
        self.expect = expect
            .into_iter()
            .map(|e| e.map(Vec::into_boxed_slice))
            .collect();
        self
    }

    /// Whether `status` is a success for request `which`: one it expects, or else
    /// 2xx and 3xx.
    #[inline]
    pub fn is_success(&self, which: usize, status: u16) -> bool {
        match self.expect.get(which).and_then(|e| e.as_deref()) {
            Some(expected) => expected.contains(&status),
            None => crate::measure::StatusClass::of(status).is_success(),
        }
    }

    /// The same mix, with requests filled per send by `fill`.
    pub fn with_fill(mut self, fill: Arc<dyn Fill>) -> Requests {
        self.fill = Some(fill);
        self
    }

    /// What fills request `which`, when it changes per send.
    #[inline]
    pub fn fill_for(&self, which: usize) -> Option<&dyn Fill> {
        self.fill.as_deref().filter(|f| f.varies(which))
    }

    /// One cycle of the mix (which request each ticket of a cycle sends).
    pub fn cycle(&self) -> &[u16] {
        &self.cycle
    }

    /// Which request ticket `index` of the plan sends.
    #[inline]
    pub fn pick(&self, index: u64) -> usize {
        match self.cycle.len() {
            // One request: no division on the hot path.
            1 => 0,
            n => usize::from(self.cycle[(index % n as u64) as usize]),
        }
    }

    #[inline]
    pub fn template(&self, i: usize) -> &RequestTemplate {
        &self.templates[i]
    }

    pub fn templates(&self) -> &[RequestTemplate] {
        &self.templates
    }

    /// The requests' names, empty for one unnamed request: per-request numbers are
    /// kept only for a named mix.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Each request's share of the tickets, in order.
    pub fn shares(&self) -> Vec<f64> {
        (0..self.templates.len())
            .map(|i| {
                let n = self.cycle.iter().filter(|&&c| usize::from(c) == i).count();
                n as f64 / self.cycle.len() as f64
            })
            .collect()
    }

    /// Every request may be sent again after an idle close.
    pub fn all_idempotent(&self) -> bool {
        self.templates.iter().all(RequestTemplate::is_idempotent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_holds_each_request_by_its_weight_and_spreads_it() {
        let c = smooth_cycle(&[6, 3, 1]);
        assert_eq!(c.len(), 10);
        for (i, w) in [6, 3, 1].into_iter().enumerate() {
            assert_eq!(c.iter().filter(|&&x| usize::from(x) == i).count(), w);
        }
        assert!(
            c.windows(3).all(|w| !(w[0] == w[1] && w[1] == w[2])),
            "{c:?}"
        );
        assert_eq!(smooth_cycle(&[2, 4]), [1, 0, 1]);
        assert_eq!(smooth_cycle(&[0, 5]), [1]);
    }
}
