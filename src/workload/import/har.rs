//! A HAR recording (1.2 or 1.3, read by the `har` crate): its requests, static assets
//! left out unless asked for.

use std::path::Path;

use super::{literal, workload_of, Imported, Seen};

/// Paths that are a page's assets, not its API.
const STATIC: [&str; 14] = [
    ".js", ".mjs", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".woff",
    ".woff2", ".ttf", ".map",
];

fn is_static(url: &str) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    STATIC.iter().any(|ext| path.ends_with(ext))
}

macro_rules! requests {
    ($log:expr) => {
        $log.entries
            .into_iter()
            .map(|e| {
                let r = e.request;
                Seen {
                    method: r.method,
                    url: literal(&r.url),
                    headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                    body: r.post_data.and_then(|p| p.text).filter(|t| !t.is_empty()),
                }
            })
            .collect::<Vec<_>>()
    };
}

pub fn from_har(
    path: &Path,
    bytes: &[u8],
    keep_static: bool,
    top: usize,
) -> Result<Imported, String> {
    let shown = path.display().to_string();
    let doc = har::from_slice(bytes).map_err(|e| format!("{shown}: not a HAR file: {e}"))?;
    let all = match doc.log {
        har::Spec::V1_2(log) => requests!(log),
        har::Spec::V1_3(log) => requests!(log),
    };
    let recorded = all.len();
    let (assets, seen): (Vec<Seen>, Vec<Seen>) = all
        .into_iter()
        .filter(|s| s.url.starts_with("http://") || s.url.starts_with("https://"))
        .partition(|s| !keep_static && is_static(&s.url));
    if seen.is_empty() {
        return Err(format!(
            "{shown}: none of its {recorded} requests is an http(s) request to keep"
        ));
    }
    let mut notes = Vec::new();
    if !assets.is_empty() {
        notes.push(format!(
            "{} static assets (scripts, styles, images, fonts) left out (--keep-static keeps them)",
            assets.len()
        ));
    }
    Ok(workload_of(&shown, seen, top, notes))
}
