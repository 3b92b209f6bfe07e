//! `golive envcheck`: the variables an example file names, checked against the
//! environment; the configuration printed with secret-looking values masked.

use anyhow::Context;

use crate::checks::envfile::{mask, parse_example};
use crate::cli::EnvcheckArgs;
use crate::exit::{self, Exit, Failure};

pub fn run(args: &EnvcheckArgs) -> exit::Result<Exit> {
    let path = args.example.display().to_string();
    let text = std::fs::read_to_string(&args.example)
        .with_context(|| format!("cannot read --example {path} (name the file with --example)"))
        .map_err(Failure::usage)?;
    let vars = parse_example(&path, &text).map_err(Failure::usage)?;
    let mut missing = Vec::new();
    println!("golive envcheck  {path}: {} variable(s)", vars.len());
    for v in &vars {
        let value = std::env::var(&v.name).ok();
        let state = match value.as_deref() {
            None => "(unset)".to_string(),
            Some("") => "(empty)".to_string(),
            Some(val) => mask(&v.name, val),
        };
        let required = !v.optional && value.as_deref().is_none_or(str::is_empty);
        if required {
            missing.push(v.name.as_str());
        }
        let mark = if required { "❌" } else { "✅" };
        let optional = if v.optional { "  (optional)" } else { "" };
        println!("{mark} {}={state}{optional}", v.name);
    }
    if missing.is_empty() {
        println!("verdict: PASS");
        Ok(Exit::Pass)
    } else {
        println!("missing or empty: {}", missing.join(", "));
        println!("verdict: FAIL");
        Ok(Exit::Fail)
    }
}
