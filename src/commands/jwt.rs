//! `golive jwt`: an HS256 test token, printed as `export NAME=...`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::Finished;
use crate::cli::JwtArgs;
use crate::exit::{self, Failure};
use crate::jwt::{claim, sign_hs256};

pub fn run(args: &JwtArgs) -> exit::Result<Finished> {
    let secret = std::env::var(&args.secret_env)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Failure::usage(anyhow::anyhow!(
                "--secret-env {}: that variable is not set",
                args.secret_env
            ))
        })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(Failure::runtime)?
        .as_secs();
    let mut claims = Map::new();
    claims.insert("sub".into(), Value::from(args.sub.clone()));
    if let Some(role) = &args.role {
        claims.insert("role".into(), Value::from(role.clone()));
    }
    claims.insert("iat".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(now + args.ttl.as_secs()));
    for kv in &args.claims {
        let (k, v) = claim(kv)
            .ok_or_else(|| Failure::usage(anyhow::anyhow!("--claim '{kv}': expected KEY=VALUE")))?;
        claims.insert(k, v);
    }
    let name = args.name.clone().unwrap_or_else(|| match &args.role {
        Some(role) => format!(
            "{}_JWT",
            role.to_ascii_uppercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ),
        None => "TEST_JWT".into(),
    });
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(Failure::usage(anyhow::anyhow!(
            "--name '{name}' is not a shell variable name"
        )));
    }
    Ok(Finished::done(format!(
        "export {name}={}\n",
        sign_hs256(&claims, secret.as_bytes())
    )))
}
