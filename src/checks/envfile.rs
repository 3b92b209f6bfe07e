//! Environment validation against an example file (`.env.example`): which variables
//! are missing or empty, and the configuration with secret-looking values masked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One variable: whether it is set, never its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VarState {
    pub name: String,
    /// "set", "empty" or "unset".
    pub state: String,
    pub optional: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EnvcheckResult {
    pub example: String,
    pub variables: Vec<VarState>,
    /// Required variables that are unset or empty.
    pub missing: Vec<String>,
}

/// One variable named by the example file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleVar {
    pub name: String,
    /// Marked `# optional` on its line or on the comment line above it.
    pub optional: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}:{line}: {why}")]
pub struct EnvFileError {
    pub path: String,
    pub line: usize,
    pub why: String,
}

/// Parses `NAME=value` lines (`export NAME=value` too); `#` starts a comment.
pub fn parse_example(path: &str, text: &str) -> Result<Vec<ExampleVar>, EnvFileError> {
    let mut vars = Vec::new();
    let mut optional_next = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            optional_next = false;
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            optional_next = comment.to_ascii_lowercase().contains("optional");
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (name, rest) = line.split_once('=').ok_or_else(|| EnvFileError {
            path: path.into(),
            line: i + 1,
            why: format!(
                "expected NAME=value, found '{}'",
                line.chars().take(40).collect::<String>()
            ),
        })?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(EnvFileError {
                path: path.into(),
                line: i + 1,
                why: format!("'{name}' is not a variable name"),
            });
        }
        let inline_optional = rest
            .split_once('#')
            .is_some_and(|(_, c)| c.to_ascii_lowercase().contains("optional"));
        vars.push(ExampleVar {
            name: name.to_string(),
            optional: optional_next || inline_optional,
        });
        optional_next = false;
    }
    Ok(vars)
}

/// A value safe to print: a secret-named variable is `set (N chars)`, and
/// credentials inside URLs/DSNs (`scheme://user:pass@host`) lose their secret part.
pub fn mask(name: &str, value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    if crate::redact::is_secret_name(name) {
        return crate::redact::set_with_length(value);
    }
    crate::redact::url(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_optional_markers() {
        let text = "# Database\nDATABASE_URL=postgres://u:p@db/app\nexport SECRET_KEY=\n# optional\nSENTRY_DSN=\nLOG_LEVEL=info # optional\n";
        let vars = parse_example(".env.example", text).unwrap();
        let names: Vec<_> = vars.iter().map(|v| (v.name.as_str(), v.optional)).collect();
        assert_eq!(
            names,
            [
                ("DATABASE_URL", false),
                ("SECRET_KEY", false),
                ("SENTRY_DSN", true),
                ("LOG_LEVEL", true)
            ]
        );
    }

    #[test]
    fn a_malformed_line_is_named() {
        let err = parse_example(".env.example", "A=1\nnot a line\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().starts_with(".env.example:2:"));
    }

    #[test]
    fn masks_secrets_and_url_credentials() {
        assert_eq!(mask("STRIPE_SECRET_KEY", "sk_live_123"), "set (11 chars)");
        assert_eq!(mask("API_TOKEN", "abc"), "set (3 chars)");
        assert_eq!(mask("DB_PASS", "hunter2"), "set (7 chars)");
        assert_eq!(mask("SESSION_SIGNING", "s3cr3t"), "set (6 chars)");
        assert_eq!(
            mask("DATABASE_URL", "postgres://app:hunter2@db:5432/x"),
            "postgres://app:****@db:5432/x"
        );
        assert_eq!(
            mask("SENTRY_DSN", "https://abc123@o1.ingest.example/1"),
            "https://****@o1.ingest.example/1"
        );
        assert_eq!(mask("LOG_LEVEL", "info"), "info");
    }
}
