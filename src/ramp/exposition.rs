//! The Prometheus text exposition format, as far as the ramp reads it: sample lines
//! `name{label="value",...} value [timestamp]`, with label values quoted and escaped
//! (`\\`, `\"`, `\n`) so that they may hold commas, equals signs and braces. Comments
//! (`# HELP`, `# TYPE`) and blank lines are skipped; the format's own rules decide,
//! not a split on ',' and '='.

/// One sample line.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Labels,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(l, _)| l == name)
            .map(|(_, v)| v.as_str())
    }

    /// The labels as one key, in name order (a series' identity), `le` left out.
    pub fn series_key(&self) -> String {
        let mut labels: Vec<&(String, String)> =
            self.labels.iter().filter(|(l, _)| l != "le").collect();
        labels.sort();
        labels
            .iter()
            .map(|(l, v)| format!("{l}={v:?}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Every sample of a scrape; the first line that breaks the format is named.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|(i, l)| sample(l.trim()).map_err(|why| format!("line {}: {why}", i + 1)))
        .collect()
}

fn is_name_char(c: char, first: bool) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (!first && c.is_ascii_digit())
}

/// A metric or label name at the start of `s`, and the rest.
pub(super) fn name(s: &str) -> Option<(&str, &str)> {
    let end = s
        .char_indices()
        .find(|&(i, c)| !is_name_char(c, i == 0))
        .map_or(s.len(), |(i, _)| i);
    (end > 0).then(|| s.split_at(end))
}

/// A double-quoted, escaped string at the start of `s` (after the quote is checked),
/// unescaped, and the rest after the closing quote.
pub(super) fn quoted(s: &str) -> Result<(String, &str), String> {
    let body = s.strip_prefix('"').ok_or("expected '\"'")?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                // Not an escape the format defines: kept as written.
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("a quoted value is not closed".into())
}

/// A sample's labels: (name, value) in the order written.
type Labels = Vec<(String, String)>;

/// `{a="1",b="2"}` (a trailing comma allowed), and the rest after '}'.
fn labels(s: &str) -> Result<(Labels, &str), String> {
    let mut rest = s.strip_prefix('{').ok_or("expected '{'")?.trim_start();
    let mut out = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((out, after));
        }
        let (label, after) = name(rest).ok_or("expected a label name")?;
        let after = after
            .trim_start()
            .strip_prefix('=')
            .ok_or_else(|| format!("expected '=' after label '{label}'"))?;
        let (value, after) = quoted(after.trim_start())?;
        out.push((label.to_string(), value));
        rest = after.trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.starts_with('}') {
            return Err("expected ',' or '}' between labels".into());
        }
    }
}

fn sample(line: &str) -> Result<Sample, String> {
    let (metric, rest) = name(line).ok_or("expected a metric name")?;
    let (labels, rest) = if rest.starts_with('{') {
        labels(rest)?
    } else {
        (Vec::new(), rest)
    };
    let mut fields = rest.split_whitespace();
    let text = fields.next().ok_or("no value")?;
    let value: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    Ok(Sample {
        name: metric.to_string(),
        labels,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_keep_their_commas_quotes_and_escapes() {
        let text = "# HELP x a help text, with commas\n\
            # TYPE x counter\n\
            x{path=\"/a,b\",q=\"say \\\"hi\\\"\",nl=\"1\\n2\",back=\"c:\\\\d\"} 3 1700000000000\n\
            x 4\n\
            lat_bucket{le=\"+Inf\",} 7\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].label("path"), Some("/a,b"));
        assert_eq!(s[0].label("q"), Some("say \"hi\""));
        assert_eq!(s[0].label("nl"), Some("1\n2"));
        assert_eq!(s[0].label("back"), Some("c:\\d"));
        assert_eq!(s[0].value, 3.0);
        assert!(s[1].labels.is_empty());
        assert_eq!(s[2].label("le").unwrap().parse::<f64>(), Ok(f64::INFINITY));
    }

    #[test]
    fn broken_lines_are_named() {
        for (bad, says) in [
            ("x{a=\"1\" 3", "line 1"),
            ("x{a=1} 3", "expected '\"'"),
            ("x{a=\"1\"} three", "not a number"),
            ("{a=\"1\"} 3", "metric name"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
