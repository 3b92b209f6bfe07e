//! vegeta's targets: the http format (`METHOD URL`, header lines, an optional `@body`
//! file, blank lines between targets, `#` comments) or JSON lines (`method`, `url`,
//! `header` of lists, `body` in base64).

use std::path::Path;

use base64::Engine as _;

use super::{literal, workload_of, Imported, Seen};

pub fn from_vegeta(path: &Path, text: &str, top: usize) -> Result<Imported, String> {
    let shown = path.display().to_string();
    let json = text.trim_start().starts_with('{');
    let seen = if json {
        json_targets(text, &shown)?
    } else {
        http_targets(text, &shown, path.parent().unwrap_or(Path::new(".")))?
    };
    if seen.is_empty() {
        return Err(format!("{shown}: no targets"));
    }
    Ok(workload_of(&shown, seen, top, Vec::new()))
}

fn http_targets(text: &str, shown: &str, dir: &Path) -> Result<Vec<Seen>, String> {
    let mut out: Vec<Seen> = Vec::new();
    let mut open = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = |why: String| format!("{shown}:{}: {why}", i + 1);
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            open = false;
            continue;
        }
        if !open {
            let (method, url) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| at(format!("expected METHOD URL, got '{line}'")))?;
            if !url.trim().starts_with("http://") && !url.trim().starts_with("https://") {
                return Err(at(format!("'{}' is not an http(s) URL", url.trim())));
            }
            out.push(Seen {
                method: method.to_string(),
                url: literal(url.trim()),
                headers: Vec::new(),
                body: None,
            });
            open = true;
            continue;
        }
        let target = out.last_mut().expect("a target is open");
        if let Some(file) = line.strip_prefix('@') {
            let p = dir.join(file.trim());
            let body = crate::input::read_text(&p, crate::input::BODY)
                .map_err(|e| at(format!("body {}: {e}", p.display())))?;
            target.body = Some(body);
        } else if let Some((name, value)) = line.split_once(':') {
            target
                .headers
                .push((name.trim().to_string(), value.trim().to_string()));
        } else {
            // vegeta reads the next non-header line as the next target.
            return Err(at(format!(
                "expected 'Name: value' or @BODY-FILE, got '{line}'"
            )));
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct JsonTarget {
    method: String,
    url: String,
    #[serde(default)]
    header: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    body: Option<String>,
}

fn json_targets(text: &str, shown: &str) -> Result<Vec<Seen>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |why: String| format!("{shown}:{}: {why}", i + 1);
        let t: JsonTarget = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
        let body = match t.body.filter(|b| !b.is_empty()) {
            Some(b) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b.as_bytes())
                    .map_err(|e| at(format!("body is not base64: {e}")))?;
                Some(
                    String::from_utf8(bytes)
                        .map_err(|_| at("the body is not UTF-8 text".into()))?,
                )
            }
            None => None,
        };
        out.push(Seen {
            method: t.method,
            url: literal(&t.url),
            headers: t
                .header
                .into_iter()
                .flat_map(|(n, vs)| vs.into_iter().map(move |v| (n.clone(), v)))
                .collect(),
            body,
        });
    }
    Ok(out)
}
