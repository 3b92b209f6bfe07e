//! The one verdict every golive result carries, the envelope every result's JSON
//! opens with, and how the seeds' artifacts spell a verdict.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a command ended. Serialised lowercase in golive's own JSON (`"pass"`); the
/// seeds' artifacts spell it uppercase (`"PASS"`) through [`upper`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every check and SLO held.
    Pass,
    /// A check or SLO failed.
    Fail,
    /// No verdict could be reached, for a reason the result states.
    Inconclusive,
    /// Stopped by Ctrl-C or SIGTERM before the plan was done; what was measured is kept.
    Interrupted,
}

impl Outcome {
    /// Interrupted beats fail beats inconclusive beats pass; nothing at all is a pass.
    pub fn combine(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
        outcomes.into_iter().fold(Outcome::Pass, Outcome::max)
    }

    /// Pass when every check holds, else fail.
    pub fn of_checks(oks: impl IntoIterator<Item = bool>) -> Outcome {
        Outcome::combine(oks.into_iter().map(Outcome::from_ok))
    }

    pub fn from_ok(ok: bool) -> Outcome {
        if ok {
            Outcome::Pass
        } else {
            Outcome::Fail
        }
    }

    /// A run cut short has not shown what it set out to show, whatever it measured.
    pub fn or_interrupted(self, interrupted: bool) -> Outcome {
        if interrupted {
            Outcome::Interrupted
        } else {
            self
        }
    }

    fn rank(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Inconclusive => 1,
            Outcome::Fail => 2,
            Outcome::Interrupted => 3,
        }
    }

    fn max(self, other: Outcome) -> Outcome {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    pub fn is_pass(self) -> bool {
        self == Outcome::Pass
    }

    /// `PASS`, `FAIL`, `INCONCLUSIVE`, `INTERRUPTED`: the seeds' spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Inconclusive => "INCONCLUSIVE",
            Outcome::Interrupted => "INTERRUPTED",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields every golive JSON document opens with; each result type flattens one in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope {
    pub golive_version: String,
    /// The subcommand that wrote the document (stress, merge, canary, smoke, ...).
    pub command: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub finished_at: String,
    pub outcome: Outcome,
    /// Ctrl-C or SIGTERM stopped the command; the document holds what was done.
    pub interrupted: bool,
}

impl Envelope {
    /// Closes a command's envelope now, with its outcome.
    pub fn new(command: &str, started: std::time::SystemTime, outcome: Outcome) -> Envelope {
        Envelope {
            golive_version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            started_at: crate::time::rfc3339(started),
            finished_at: crate::time::now(),
            outcome,
            interrupted: outcome == Outcome::Interrupted,
        }
    }
}

/// A command's JSON document: the envelope, then the command's own fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Document<T> {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(flatten)]
    pub body: T,
}

impl<T> Document<T> {
    pub fn new(command: &str, started: std::time::SystemTime, outcome: Outcome, body: T) -> Self {
        Document {
            envelope: Envelope::new(command, started, outcome),
            body,
        }
    }

    pub fn outcome(&self) -> Outcome {
        self.envelope.outcome
    }
}

/// `#[serde(with = "crate::outcome::upper")]`: the seeds' `"status": "PASS"` fields.
pub mod upper {
    use super::Outcome;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(o: &Outcome, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(o.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Outcome, D::Error> {
        let text = String::deserialize(d)?;
        [
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Inconclusive,
            Outcome::Interrupted,
        ]
        .into_iter()
        .find(|o| o.as_str().eq_ignore_ascii_case(&text))
        .ok_or_else(|| serde::de::Error::custom(format!("unknown status '{text}'")))
    }

    /// The schema of an uppercase status field.
    pub fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["PASS", "FAIL", "INCONCLUSIVE", "INTERRUPTED"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_ranks_interrupted_then_fail_then_inconclusive() {
        use Outcome::*;
        assert_eq!(Outcome::combine([]), Pass);
        assert_eq!(Outcome::combine([Pass, Inconclusive]), Inconclusive);
        assert_eq!(Outcome::combine([Inconclusive, Fail, Pass]), Fail);
        assert_eq!(Outcome::combine([Fail, Interrupted]), Interrupted);
        assert_eq!(Outcome::of_checks([true, false]), Fail);
        assert_eq!(Pass.or_interrupted(true), Interrupted);
    }

    #[test]
    fn seed_spelling_round_trips() {
        #[derive(Serialize, Deserialize)]
        struct S {
            #[serde(with = "upper")]
            status: Outcome,
        }
        let json = serde_json::to_string(&S {
            status: Outcome::Interrupted,
        })
        .unwrap();
        assert_eq!(json, r#"{"status":"INTERRUPTED"}"#);
        let back: S = serde_json::from_str(r#"{"status":"PASS"}"#).unwrap();
        assert_eq!(back.status, Outcome::Pass);
    }
}
