//! The workload file (TOML): parsed, checked, and every error named by file and line
//! before any request is sent.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::feeder::FeederSpec;
use super::Headers;

fn default_method() -> String {
    "GET".into()
}

fn one() -> u32 {
    1
}

/// One `[[request]]` table.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestEntry {
    pub name: String,
    #[serde(default = "default_method")]
    pub method: String,
    /// Path (and query) on the base URL; or `url`, on the same origin.
    pub path: Option<String>,
    pub url: Option<String>,
    /// Values may reference the environment: `${NAME}`.
    #[serde(default)]
    pub headers: Headers,
    pub body: Option<String>,
    /// Read relative to the workload file.
    pub body_file: Option<String>,
    /// Its share of the requests, relative to the others' (default 1; 0 leaves it out).
    #[serde(default = "one")]
    pub weight: u32,
    /// SLOs of this request alone, e.g. ["p99<300ms", "5xx==0"].
    #[serde(default)]
    pub slo: Vec<String>,
    /// The statuses that are this request's successes (default: 2xx and 3xx).
    pub expect_status: Option<Vec<u16>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    base: Option<String>,
    #[serde(default)]
    headers: Headers,
    #[serde(rename = "request", default)]
    requests: Vec<RequestEntry>,
    #[serde(rename = "feeder", default)]
    feeders: BTreeMap<String, FeederSpec>,
}

/// A request and the line its table starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub entry: RequestEntry,
    pub line: usize,
}

/// A checked workload file.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadFile {
    pub base: Option<String>,
    /// Sent with every request (a request's own win).
    pub headers: Headers,
    /// The requests with a weight above 0, in the file's order.
    pub requests: Vec<Located>,
    /// `[feeder.NAME]` tables, by name.
    pub feeders: BTreeMap<String, FeederSpec>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}:{line}: {why}")]
pub struct WorkloadError {
    pub path: String,
    pub line: usize,
    pub why: String,
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

/// The line of each `[[request]]` header, in order.
fn table_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[request]]"))
        .map(|(i, _)| i + 1)
        .collect()
}

pub fn parse(path: &str, text: &str) -> Result<WorkloadFile, WorkloadError> {
    let at = |line: usize, why: String| WorkloadError {
        path: path.into(),
        line,
        why,
    };
    let raw: Raw = toml::from_str(text).map_err(|e| {
        at(
            e.span().map_or(1, |s| line_of(text, s.start)),
            e.message().trim().replace('\n', " "),
        )
    })?;
    if raw.requests.is_empty() {
        return Err(at(1, "no [[request]] tables".into()));
    }
    let lines = table_lines(text);
    let mut seen = std::collections::HashSet::new();
    let mut requests = Vec::new();
    for (i, entry) in raw.requests.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let name = entry.name.trim();
        if name.is_empty() || name.contains(':') {
            return Err(at(
                line,
                format!(
                    "request name '{}' must be non-empty and without ':' (SLOs are written NAME: p99<300ms)",
                    entry.name
                ),
            ));
        }
        if !seen.insert(name.to_string()) {
            return Err(at(line, format!("request '{name}' is named twice")));
        }
        crate::http::target::path_or_url(entry.path.as_deref(), entry.url.as_deref())
            .map_err(|why| at(line, format!("request '{name}': {why}")))?;
        if entry
            .expect_status
            .as_ref()
            .is_some_and(|e| e.is_empty() || e.iter().any(|s| !(100..=599).contains(s)))
        {
            return Err(at(
                line,
                format!("request '{name}': expect_status needs status codes between 100 and 599"),
            ));
        }
        if entry.body.is_some() && entry.body_file.is_some() {
            return Err(at(
                line,
                format!("request '{name}': give body or body_file, not both"),
            ));
        }
        if entry.weight > 0 {
            requests.push(Located { entry, line });
        }
    }
    if requests.is_empty() {
        return Err(at(
            lines.first().copied().unwrap_or(1),
            "every request has weight 0: nothing would be sent".into(),
        ));
    }
    if requests.len() > usize::from(u16::MAX) {
        return Err(at(1, "more than 65535 requests".into()));
    }
    Ok(WorkloadFile {
        base: raw.base,
        headers: raw.headers,
        requests,
        feeders: raw.feeders,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_parses_and_its_mistakes_name_their_line() {
        let ok = "base = \"http://h/\"\n[[request]]\nname = \"list\"\npath = \"/a\"\nweight = 6\n\
                  [[request]]\nname = \"off\"\npath = \"/b\"\nweight = 0\n";
        let f = parse("w.toml", ok).unwrap();
        assert_eq!(f.requests.len(), 1);
        assert_eq!((f.requests[0].line, f.requests[0].entry.weight), (2, 6));

        let e = parse(
            "w.toml",
            "[[request]]\nname = \"a\"\npath = \"/a\"\n[[request]]\nname = \"a\"\npath = \"/b\"\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.why.as_str()), (4, "request 'a' is named twice"));
        let e = parse("w.toml", "[[request]]\nname = \"a\"\npath = \"a\"\n").unwrap_err();
        assert!(
            e.to_string().starts_with("w.toml:1: request 'a': path"),
            "{e}"
        );
        let e = parse(
            "w.toml",
            "[[request]]\nname = \"a\"\npath = \"/a\"\nwieght = 2\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = parse(
            "w.toml",
            "[[request]]\nname = \"a\"\npath = \"/a\"\nweight = 0\n",
        )
        .unwrap_err();
        assert!(e.why.contains("weight 0"), "{e}");
    }
}
