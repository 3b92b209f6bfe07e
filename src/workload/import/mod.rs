//! `golive workload from-vegeta | from-har | from-log`: recorded or written traffic
//! turned into a workload file. Identical requests become one with their count as its
//! weight; the busiest origin is the base (requests to others are left out, and said);
//! credentials are never copied: Authorization, Cookie and other secret-named headers
//! become `${NAME}` placeholders filled from the environment when the workload runs.

mod har;
mod log;
mod vegeta;

use std::collections::BTreeMap;

use serde::Serialize;

pub use self::har::from_har;
pub use self::log::from_log;
pub use self::vegeta::from_vegeta;

/// One request as recorded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    pub method: String,
    /// Absolute (`https://host/path?q`), or a path when the source has no origin.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// A workload file's text and what the reader should know about it.
#[derive(Debug)]
pub struct Imported {
    pub toml: String,
    /// Each said once on stderr: what was left out, what to supply.
    pub notes: Vec<String>,
}

/// Headers a load generator sets itself, or that only make sense on one connection.
const NOT_COPIED: [&str; 8] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "accept-encoding",
];

/// A header whose value is a credential: never written, a placeholder instead.
fn is_credential(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "x-api-key" | "x-csrf-token"
    ) || crate::redact::is_secret_name(name)
}

/// `Authorization` → `AUTHORIZATION`, `X-Api-Key` → `X_API_KEY`.
fn variable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Serialize)]
struct File {
    #[serde(skip_serializing_if = "Option::is_none")]
    base: Option<String>,
    request: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    name: String,
    method: String,
    path: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    weight: u32,
}

/// `GET /v1/items/7?x=1` → `get-v1-items-7`, unique among `taken`.
fn name_for(method: &str, path: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let mut path = path.split('?').next().unwrap_or("").to_string();
    // `/items/${rand_int(1,42)}` is named `items-id`.
    while let Some(start) = path.find("${") {
        let end = path[start..]
            .find('}')
            .map_or(path.len(), |e| start + e + 1);
        path.replace_range(start..end, "id");
    }
    let mut slug: String = format!("{} {path}", method.to_ascii_lowercase())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug: String = slug.trim_matches('-').chars().take(48).collect();
    let mut name = slug.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{slug}-{n}");
        n += 1;
    }
    name
}

/// A recorded URL as a workload path: a literal `${` is not a placeholder.
fn literal(url: &str) -> String {
    url.replace("${", "$%7B")
}

/// Splits an absolute URL into (origin, path-and-query); a path stays a path.
fn split_origin(url: &str) -> (Option<String>, String) {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let at = rest.find(['/', '?']).unwrap_or(rest.len());
            let path = match &rest[at..] {
                "" => "/".to_string(),
                p if p.starts_with('?') => format!("/{p}"),
                p => p.to_string(),
            };
            (Some(format!("{}{}", &url[..i + 3], &rest[..at])), path)
        }
        None => (None, url.to_string()),
    }
}

/// The workload of `seen` (in the order each request was first seen), keeping the
/// `top` most frequent distinct requests.
pub fn workload_of(source: &str, seen: Vec<Seen>, top: usize, mut notes: Vec<String>) -> Imported {
    let total = seen.len();
    // The busiest origin is the workload's base.
    let mut origins: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for s in &seen {
        *origins.entry(split_origin(&s.url).0).or_default() += 1;
    }
    let base = origins
        .iter()
        .max_by_key(|(o, n)| (**n, std::cmp::Reverse((*o).clone())))
        .and_then(|(o, _)| o.clone());
    let other = total - origins.get(&base).copied().unwrap_or(0);
    if other > 0 {
        notes.push(format!(
            "{other} of {total} requests went to other origins than {} and are left out (one origin per run)",
            base.as_deref().unwrap_or("the base")
        ));
    }
    let mut credentials = std::collections::BTreeSet::new();
    let mut counted: Vec<(Seen, u32)> = Vec::new();
    for s in seen {
        let (origin, path) = split_origin(&s.url);
        if origin != base {
            continue;
        }
        let headers = s
            .headers
            .into_iter()
            .filter(|(n, _)| {
                !n.starts_with(':') && !NOT_COPIED.contains(&n.to_ascii_lowercase().as_str())
            })
            .map(|(n, v)| {
                if is_credential(&n) {
                    let var = variable(&n);
                    credentials.insert(var.clone());
                    (n, format!("${{{var}}}"))
                } else {
                    (n, v)
                }
            })
            .collect();
        let key = Seen {
            method: s.method.to_ascii_uppercase(),
            url: path,
            headers,
            body: s.body,
        };
        match counted.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counted.push((key, 1)),
        }
    }
    // The most frequent first; ties keep the order they were first seen in.
    counted.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    if counted.len() > top {
        let dropped: u32 = counted[top..].iter().map(|(_, n)| n).sum();
        notes.push(format!(
            "{} distinct requests; the {top} most frequent kept, {} others ({dropped} requests) left out (--top)",
            counted.len(),
            counted.len() - top
        ));
        counted.truncate(top);
    }
    if !credentials.is_empty() {
        notes.push(format!(
            "credentials were not copied: set {} in the environment when the workload runs",
            credentials.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut taken = std::collections::HashSet::new();
    let file = File {
        base: base.clone(),
        request: counted
            .into_iter()
            .map(|(s, n)| Entry {
                name: name_for(&s.method, &s.url, &mut taken),
                path: s.url,
                method: s.method,
                headers: s.headers.into_iter().collect(),
                body: s.body,
                weight: n,
            })
            .collect(),
    };
    let mut toml = format!(
        "# golive workload from {source}: {} distinct requests of {total} recorded.\n",
        file.request.len()
    );
    if base.is_none() {
        toml.push_str("# No origin was recorded: give the URL on the command line (golive stress URL --workload FILE).\n");
    }
    for n in &notes {
        toml.push_str(&format!("# {n}\n"));
    }
    toml.push('\n');
    toml.push_str(&toml::to_string(&file).unwrap_or_default());
    if !toml.ends_with('\n') {
        toml.push('\n');
    }
    Imported { toml, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(method: &str, url: &str, headers: &[(&str, &str)]) -> Seen {
        Seen {
            method: method.into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: None,
        }
    }

    #[test]
    fn counts_become_weights_credentials_placeholders_and_other_origins_are_said() {
        let token = "Bearer eyJhbGciOi.secret";
        let got = workload_of(
            "t",
            vec![
                seen(
                    "GET",
                    "https://a.example/items",
                    &[("Authorization", token)],
                ),
                seen(
                    "GET",
                    "https://a.example/items",
                    &[("Authorization", token)],
                ),
                seen(
                    "POST",
                    "https://a.example/orders",
                    &[("Content-Type", "application/json")],
                ),
                seen("GET", "https://b.example/x", &[]),
            ],
            50,
            Vec::new(),
        );
        assert!(!got.toml.contains("eyJhbGciOi"), "{}", got.toml);
        let file = crate::workload::parse("t", &got.toml).unwrap();
        assert_eq!(file.base.as_deref(), Some("https://a.example"));
        let w: Vec<(&str, u32)> = file
            .requests
            .iter()
            .map(|r| (r.entry.name.as_str(), r.entry.weight))
            .collect();
        assert_eq!(w, [("get-items", 2), ("post-orders", 1)]);
        assert_eq!(
            file.requests[0].entry.headers["Authorization"],
            "${AUTHORIZATION}"
        );
        assert!(got
            .notes
            .iter()
            .any(|n| n.contains("1 of 4 requests went to other origins")));
        assert!(got.notes.iter().any(|n| n.contains("set AUTHORIZATION")));
    }
}
