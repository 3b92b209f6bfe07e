//! `golive envcheck`: the variables an example file names, checked against the
//! environment; the configuration printed with secret-looking values masked, and
//! written (with `--json`) as set / empty / unset only, never a value.

use std::time::SystemTime;

use anyhow::Context;

use super::Finished;
use crate::checks::envfile::{mask, parse_example, EnvcheckResult, VarState};
use crate::cli::EnvcheckArgs;

use crate::exit::{self, Failure};
use crate::outcome::{Document, Outcome};
use crate::report::{paint, Judged};

pub fn run(args: &EnvcheckArgs) -> exit::Result<Finished> {
    let started = SystemTime::now();
    let path = args.example.display().to_string();
    let text = crate::input::read_text(&args.example, crate::input::TEXT)
        .with_context(|| format!("cannot read --example {path} (name the file with --example)"))
        .map_err(Failure::usage)?;
    let vars = parse_example(&path, &text).map_err(Failure::usage)?;
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    let mut out = format!("golive envcheck  {path}: {} variable(s)\n", vars.len());
    let mut result = EnvcheckResult {
        example: path,
        variables: Vec::new(),
        missing: Vec::new(),
    };
    for v in &vars {
        let value = std::env::var(&v.name).ok();
        let (state, shown) = match value.as_deref() {
            None => ("unset", "(unset)".to_string()),
            Some("") => ("empty", "(empty)".to_string()),
            Some(val) => ("set", mask(&v.name, val)),
        };
        let required = !v.optional && state != "set";
        if required {
            result.missing.push(v.name.clone());
        }
        let mark = if required { "❌" } else { "✅" };
        let optional = if v.optional { "  (optional)" } else { "" };
        out.push_str(&format!("{mark} {}={shown}{optional}\n", v.name));
        result.variables.push(VarState {
            name: v.name.clone(),
            state: state.into(),
            optional: v.optional,
        });
    }
    let outcome = Outcome::from_ok(result.missing.is_empty());
    if !result.missing.is_empty() {
        out.push_str(&format!(
            "missing or empty: {}\n",
            result.missing.join(", ")
        ));
    }
    out.push_str(&format!("{}\n", paint::verdict_line(outcome)));
    let doc = Document::new("envcheck", started, outcome, result);
    Ok(Finished::new(outcome, human, out)
        .json(json, &doc)
        .evidence(&args.evidence, &Judged::Envcheck(doc)))
}
