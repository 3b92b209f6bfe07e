//! An access log in the common or combined log format: each line's request
//! (`"GET /path HTTP/1.1"`), weighted by how often its method and path occur. The
//! query string is left out and numeric path segments become `${rand_int(1,MAX)}`
//! (MAX the largest id seen there): otherwise every line would be its own request.

use std::path::Path;

use super::{workload_of, Imported, Seen};

pub fn from_log(
    path: &Path,
    text: &str,
    base: Option<&str>,
    top: usize,
) -> Result<Imported, String> {
    let shown = path.display().to_string();
    let mut parsed: Vec<(String, Vec<Segment>)> = Vec::new();
    let mut unread = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // The request is the first quoted field: METHOD TARGET PROTOCOL.
        let request = line.split('"').nth(1).unwrap_or("");
        let mut words = request.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(method), Some(target), Some(proto))
                if proto.starts_with("HTTP/") && target.starts_with('/') =>
            {
                let path = target.split('?').next().unwrap_or(target);
                parsed.push((method.to_string(), segments(path)));
            }
            _ => unread.push(i + 1),
        }
    }
    // The largest id seen at each (method, shape, position).
    let mut max: std::collections::HashMap<(String, String, usize), u64> = Default::default();
    for (m, segs) in &parsed {
        for (i, s) in segs.iter().enumerate() {
            if let Segment::Id(n) = s {
                let e = max.entry((m.clone(), shape(segs), i)).or_default();
                *e = (*e).max(*n);
            }
        }
    }
    let seen: Vec<Seen> = parsed
        .iter()
        .map(|(m, segs)| {
            let path: String = segs
                .iter()
                .enumerate()
                .map(|(i, s)| match s {
                    Segment::Text(t) => format!("/{}", super::literal(t)),
                    Segment::Id(_) => format!(
                        "/${{rand_int(1,{})}}",
                        max[&(m.clone(), shape(segs), i)].max(1)
                    ),
                })
                .collect();
            let path = if path.is_empty() { "/".into() } else { path };
            Seen {
                method: m.clone(),
                url: match base {
                    Some(b) => format!("{}{path}", b.trim_end_matches('/')),
                    None => path,
                },
                headers: Vec::new(),
                body: None,
            }
        })
        .collect();
    if seen.is_empty() {
        return Err(format!(
            "{shown}:{}: not an access log line (expected the combined log format: ... \"GET /path HTTP/1.1\" ...)",
            unread.first().copied().unwrap_or(1)
        ));
    }
    let mut notes = Vec::new();
    if !unread.is_empty() {
        notes.push(format!(
            "{} not a request in the combined log format and left out (the first: line {})",
            match unread.len() {
                1 => "1 line was".to_string(),
                n => format!("{n} lines were"),
            },
            unread[0]
        ));
    }
    notes.push(
        "bodies and headers are not in an access log: add them to the requests that need them"
            .into(),
    );
    Ok(workload_of(&shown, seen, top, notes))
}

enum Segment {
    Text(String),
    Id(u64),
}

fn segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<u64>() {
            Ok(n) if s.len() <= 18 => Segment::Id(n),
            _ => Segment::Text(s.to_string()),
        })
        .collect()
}

/// The path with its ids as `{}`: the requests one entry stands for.
fn shape(segs: &[Segment]) -> String {
    segs.iter()
        .map(|s| match s {
            Segment::Text(t) => t.as_str(),
            Segment::Id(_) => "{}",
        })
        .collect::<Vec<_>>()
        .join("/")
}
