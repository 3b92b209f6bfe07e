//! The JSON Schema of every command's `--json` document, generated from the result
//! types so that it cannot drift from them. The repository keeps a copy of each under
//! `public/schemas/` (a test holds the copies to the types and real output to them).

use schemars::{schema_for, Schema};

use crate::capacity::CapacityReport;
use crate::checks::envfile::EnvcheckResult;
use crate::compare::CompareReport;
use crate::gates::canary::CanaryResult;
use crate::gates::probes::ProbesResult;
use crate::gates::smoke::SmokeResults;
use crate::gates::stage3::Stage3Summary;
use crate::gates::stage4::Stage4Summary;
use crate::gates::stress::StressReport;
use crate::outcome::Document;
use crate::ramp::RampReport;

/// `(command, schema)` for every command that writes JSON.
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("stress", schema_for!(StressReport)),
        ("merge", schema_for!(StressReport)),
        ("canary", schema_for!(Document<CanaryResult>)),
        ("smoke", schema_for!(Document<SmokeResults>)),
        ("stage3", schema_for!(Document<Stage3Summary>)),
        ("stage4", schema_for!(Document<Stage4Summary>)),
        ("probes", schema_for!(Document<ProbesResult>)),
        ("envcheck", schema_for!(Document<EnvcheckResult>)),
        ("ramp", schema_for!(RampReport)),
        ("compare", schema_for!(CompareReport)),
        ("capacity", schema_for!(CapacityReport)),
        (
            "compare-capacity",
            schema_for!(Document<crate::capacity::versus::CapacityComparison>),
        ),
    ]
}

/// The schema file's text: pretty JSON with a trailing newline.
pub fn text(schema: &Schema) -> String {
    let mut s = serde_json::to_string_pretty(schema).expect("schemas serialise");
    s.push('\n');
    s
}
