//! Whether two runs asked the same question: a comparison of runs with different
//! request, model or load says more about the plans than about the releases.

/// What must match between two compared runs.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanKey {
    pub method: String,
    /// The URL's host and port: different hosts are two deployments of one service
    /// (a canary and the stable release), so they are said, not refused.
    pub authority: String,
    /// Path and query.
    pub target: String,
    pub model: String,
    pub concurrency: u32,
    pub streams: u32,
    pub rate_rps: Option<f64>,
    pub http2: bool,
    pub body_bytes: usize,
}

impl PlanKey {
    /// The differences that make a comparison unfair, one phrase each.
    pub fn mismatches(&self, other: &PlanKey) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{what}: {a} vs {b}"));
            }
        };
        differ("method", self.method.clone(), other.method.clone());
        differ("path", self.target.clone(), other.target.clone());
        differ("model", self.model.clone(), other.model.clone());
        differ(
            "rate",
            rate_words(self.rate_rps),
            rate_words(other.rate_rps),
        );
        if self.model != "open" || other.model != "open" {
            differ(
                "connections",
                self.concurrency.to_string(),
                other.concurrency.to_string(),
            );
        }
        differ(
            "streams",
            self.streams.to_string(),
            other.streams.to_string(),
        );
        differ("protocol", protocol(self.http2), protocol(other.http2));
        differ(
            "body",
            format!("{} bytes", self.body_bytes),
            format!("{} bytes", other.body_bytes),
        );
        out
    }

    /// A remark on differences that do not make the comparison unfair.
    pub fn remarks(&self, other: &PlanKey) -> Vec<String> {
        if self.authority == other.authority {
            return Vec::new();
        }
        vec![format!(
            "different hosts ({} vs {}): compared as two deployments of one service",
            self.authority, other.authority
        )]
    }
}

fn rate_words(rate: Option<f64>) -> String {
    rate.map_or("none (closed model)".into(), |r| format!("{r} req/s"))
}

fn protocol(h2: bool) -> String {
    if h2 { "HTTP/2" } else { "HTTP/1.1" }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PlanKey {
        PlanKey {
            method: "GET".into(),
            authority: "stable:8080".into(),
            target: "/".into(),
            model: "open".into(),
            concurrency: 10,
            streams: 1,
            rate_rps: Some(100.0),
            http2: false,
            body_bytes: 0,
        }
    }

    #[test]
    fn a_different_rate_or_path_is_a_mismatch_but_a_different_host_is_a_remark() {
        let mut other = key();
        other.authority = "canary:8080".into();
        assert!(key().mismatches(&other).is_empty());
        assert_eq!(key().remarks(&other).len(), 1);
        other.rate_rps = Some(200.0);
        other.target = "/v2".into();
        other.concurrency = 50;
        let m = key().mismatches(&other);
        assert_eq!(m, vec!["path: / vs /v2", "rate: 100 req/s vs 200 req/s"]);
    }
}
