//! One view of any judged result as a list of checks (an SLO, a smoke check, a canary
//! sample, a ramp window), each with its status, measured value and reason. The HTML
//! report's tables, JUnit and the CI summary all render this one list, so they agree.

use super::judged::Judged;
use super::text::verdict_value;
use crate::compare::Comparison;
use crate::gates::canary::CanaryResult;
use crate::gates::smoke::CheckResult;
use crate::outcome::{Envelope, Outcome};
use crate::ramp::{window::WindowVerdict, EventKind};
use crate::slo::Verdict;

/// A check's status; `Error` is a check that could not run (JUnit's error), which
/// says nothing about the release either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Inconclusive,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Inconclusive => "INCONCLUSIVE",
            Status::Error => "ERROR",
        }
    }

    /// The status a whole run's outcome stands for (interrupted: could not finish).
    pub fn of(o: Outcome) -> Status {
        match o {
            Outcome::Pass => Status::Pass,
            Outcome::Fail => Status::Fail,
            Outcome::Inconclusive => Status::Inconclusive,
            Outcome::Interrupted => Status::Error,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub name: String,
    pub status: Status,
    /// What was measured, with its unit (`412.300 ms`, `200 in 12.3 ms`).
    pub measured: String,
    /// Why it is not a pass, or a remark on a pass.
    pub detail: Option<String>,
    /// Output kept as evidence (a guard's, a release gate's).
    pub output: Option<String>,
    pub time_s: Option<f64>,
}

impl Case {
    fn new(name: impl Into<String>, status: Status, measured: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            status,
            measured: measured.into(),
            detail: None,
            output: None,
            time_s: None,
        }
    }

    fn ok(name: impl Into<String>, ok: bool, measured: impl Into<String>) -> Case {
        Case::new(name, Status::of(Outcome::from_ok(ok)), measured)
    }

    fn detail(mut self, why: Option<impl Into<String>>) -> Case {
        self.detail = why.map(Into::into);
        self
    }
}

/// A judged result as checks, for one command.
#[derive(Clone, Debug)]
pub struct Suite {
    pub envelope: Envelope,
    /// What was judged: a URL, or the example file for envcheck.
    pub subject: String,
    pub cases: Vec<Case>,
    /// Why the outcome is what it is, one line each.
    pub reasons: Vec<String>,
    /// Remarks that did not change the outcome (warnings, advisory findings).
    pub advisories: Vec<String>,
}

impl Suite {
    pub fn outcome(&self) -> Outcome {
        self.envelope.outcome
    }

    pub fn count(&self, status: Status) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }

    /// "1 check", "3 checks".
    pub fn checks(&self) -> String {
        match self.cases.len() {
            1 => "1 check".into(),
            n => format!("{n} checks"),
        }
    }

    /// Every outcome other than a pass is explained by a case of its kind, so that a
    /// CI reading only the cases never shows green for a failed run.
    fn explained(mut self) -> Suite {
        let status = Status::of(self.outcome());
        let explained = status == Status::Pass || self.cases.iter().any(|c| c.status == status);
        if !explained || self.cases.is_empty() {
            let why = if self.envelope.interrupted {
                Some("interrupted: the run was cut short, and the results are partial".to_string())
            } else {
                Some(self.reasons.join("; ")).filter(|r| !r.is_empty())
            };
            let verdict = Case::new("verdict", status, status.as_str()).detail(why);
            self.cases.push(verdict);
        }
        self
    }
}

pub fn suite(judged: &Judged) -> Suite {
    let envelope = judged.envelope().clone();
    let (subject, cases, reasons, advisories) = match judged {
        Judged::Stress(r) => {
            let b = &r.body;
            let mut reasons = b.outcome_reasons.clone();
            reasons.extend(
                b.stopped_early
                    .iter()
                    .map(|w| format!("stopped early: {w}")),
            );
            let mut cases: Vec<Case> = b.slos.iter().map(slo_case).collect();
            let mut advisories = b.warnings.clone();
            if let Some(base) = &b.baseline {
                cases.extend(comparison_cases(&base.comparison, "baseline "));
                advisories.extend(base.comparison.notes.iter().cloned());
            }
            (b.settings.url.clone(), cases, reasons, advisories)
        }
        Judged::Capacity(d) => {
            let c = &d.body;
            // One case: a step that failed its SLOs is how the maximum was found, not a
            // failed check (a CI reading the JUnit would fail a search that passed). The
            // steps are listed in the case's output, and drawn in the HTML.
            let steps: Vec<String> = c.steps.iter().map(capacity_step_line).collect();
            let cases = vec![Case {
                name: "capacity: the maximum sustainable rate".into(),
                status: match d.envelope.outcome {
                    crate::outcome::Outcome::Pass => Status::Pass,
                    crate::outcome::Outcome::Fail => Status::Fail,
                    _ => Status::Inconclusive,
                },
                measured: c
                    .found
                    .as_ref()
                    .map_or("none".into(), |f| format!("{:.0} req/s", f.max_rps)),
                detail: Some(c.said.clone()),
                output: Some(steps.join("\n")).filter(|o| !o.is_empty()),
                time_s: None,
            }];
            (c.url.clone(), cases, vec![c.said.clone()], vec![])
        }
        Judged::CompareCapacity(d) => {
            let c = &d.body;
            let bracket = |b: &crate::capacity::versus::Bracket| {
                format!(
                    "{}: {:.0} req/s held{}{}",
                    b.file,
                    b.max_rps,
                    b.failed_at
                        .map_or(String::new(), |f| format!(", failed at {f:.0}")),
                    if b.caveat.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", b.caveat)
                    }
                )
            };
            let case = Case {
                name: format!("capacity within {:.0}% of the baseline's", c.band_pct),
                status: Status::of(d.envelope.outcome),
                measured: format!("{:+.1}%", c.change_pct),
                detail: Some(c.said.clone()),
                output: Some(format!(
                    "baseline {}\ncandidate {}",
                    bracket(&c.baseline),
                    bracket(&c.candidate)
                )),
                time_s: None,
            };
            (
                c.candidate.url.clone(),
                vec![case],
                vec![c.said.clone()],
                c.notes.clone(),
            )
        }
        Judged::Compare(d) => {
            let c = &d.body.comparison;
            (
                d.body.candidate.url.clone(),
                comparison_cases(c, ""),
                vec![c.said.clone()],
                c.notes.clone(),
            )
        }
        Judged::Canary(d) => (
            d.body.url.clone(),
            canary_cases(&d.body, ""),
            vec![],
            vec![],
        ),
        Judged::Smoke(d) => {
            let s = &d.body;
            let cases = s.checks.iter().map(|c| smoke_case(c, "")).collect();
            (s.base_url.clone(), cases, vec![], vec![])
        }
        Judged::Stage3(d) => {
            let s = &d.body;
            let mut cases: Vec<Case> = s
                .smoke
                .checks
                .iter()
                .map(|c| smoke_case(c, "smoke "))
                .collect();
            let gate_ok = s.release_gate_exit_code == Some(0) && !s.release_gate_timed_out;
            let ended = match (s.release_gate_exit_code, s.release_gate_timed_out) {
                (_, true) => "timed out".to_string(),
                (Some(code), false) => format!("exit {code}"),
                (None, false) => "did not run to an exit".to_string(),
            };
            let mut gate = Case::ok(
                "release gate",
                gate_ok,
                format!("{ended} in {:.1} s", s.release_gate_duration_s),
            );
            gate.detail = Some(s.release_gate_command.clone());
            gate.time_s = Some(s.release_gate_duration_s);
            cases.push(gate);
            (s.base_url.clone(), cases, s.failures.clone(), vec![])
        }
        Judged::Stage4(d) => stage4(&d.body),
        Judged::Probes(d) => {
            let cases = d
                .body
                .probes
                .iter()
                .map(|p| {
                    Case::ok(&p.probe, p.ok, answered(p.status_code, p.latency_ms))
                        .detail(p.error.clone())
                })
                .collect();
            let subject = d
                .body
                .probes
                .first()
                .map(|p| p.url.clone())
                .unwrap_or_default();
            (subject, cases, vec![], vec![])
        }
        Judged::Envcheck(d) => {
            let cases = d
                .body
                .variables
                .iter()
                .map(|v| {
                    let missing = d.body.missing.contains(&v.name);
                    let why = match (missing, v.optional) {
                        (true, _) => Some(format!("required, and {}", v.state)),
                        (false, true) if v.state != "set" => Some("optional".to_string()),
                        _ => None,
                    };
                    Case::ok(&v.name, !missing, &v.state).detail(why)
                })
                .collect();
            let reasons = if d.body.missing.is_empty() {
                vec![]
            } else {
                vec![format!("missing: {}", d.body.missing.join(", "))]
            };
            (d.body.example.clone(), cases, reasons, vec![])
        }
        Judged::Ramp(d) => {
            let (cases, advisories) = ramp_cases(&d.body.timeline);
            (
                d.body.url.clone(),
                cases,
                vec![d.body.why.clone()],
                advisories,
            )
        }
    };
    Suite {
        envelope,
        subject,
        cases,
        reasons,
        advisories,
    }
    .explained()
}

fn slo_case(v: &Verdict) -> Case {
    Case::new(
        format!("SLO {}", v.slo),
        Status::of(v.outcome),
        verdict_value(v),
    )
    .detail(v.reason.clone())
}

/// A capacity step in a line: its rate, its outcome, what it achieved, and why it did
/// not pass.
fn capacity_step_line(s: &crate::capacity::StepRecord) -> String {
    let mut line = format!(
        "{} {}: {}",
        s.label(),
        s.outcome.as_str(),
        super::text::capacity_step_numbers(s)
    );
    if let Some(why) = &s.why {
        line.push_str(": ");
        line.push_str(why);
    }
    line
}

/// A case per compared metric: its change, the effect with its interval, and the
/// sentence that says it all.
fn comparison_cases(c: &Comparison, prefix: &str) -> Vec<Case> {
    c.metrics
        .iter()
        .map(|m| {
            let status = Status::of(m.change.outcome());
            let measured = m.effect.as_ref().map_or("no estimate".to_string(), |e| {
                let u = if e.unit == "pp" {
                    " points"
                } else {
                    e.unit.as_str()
                };
                let u = if u == "ms" { " ms" } else { u };
                format!(
                    "{:+.2}{u} ({:+.2} to {:+.2}), {}",
                    e.estimate,
                    e.low,
                    e.high,
                    m.change.as_str().to_lowercase()
                )
            });
            Case::new(format!("{prefix}{}", m.metric), status, measured)
                .detail(Some(m.said.clone()))
        })
        .collect()
}

/// `200 in 12.30 ms`, or `no response`.
fn answered(code: Option<u16>, latency_ms: Option<f64>) -> String {
    match (code, latency_ms) {
        (Some(c), Some(l)) => format!("{c} in {l:.2} ms"),
        (Some(c), None) => c.to_string(),
        (None, _) => "no response".into(),
    }
}

fn canary_cases(c: &CanaryResult, prefix: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = c
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Case::ok(
                format!("{prefix}sample {}", i + 1),
                s.ok,
                answered(s.code, s.latency_ms),
            )
            .detail(s.error.clone().or_else(|| s.note.clone()))
        })
        .collect();
    cases.extend(c.slos.iter().map(|v| {
        let mut case = slo_case(v);
        case.name = format!("{prefix}{}", case.name);
        case
    }));
    cases
}

fn smoke_case(c: &CheckResult, prefix: &str) -> Case {
    let expected: Vec<String> = c.expected.iter().map(u16::to_string).collect();
    let mut measured = answered(c.status_code, c.latency_ms);
    measured.push_str(&format!(" (expected {})", expected.join("/")));
    if let Some(again) = c.repeat_status_code {
        measured.push_str(&format!(", repeat {again}"));
    }
    Case::new(
        format!("{prefix}{}", c.check),
        Status::of(c.status),
        measured,
    )
    .detail(c.reason.clone())
}

type Parts = (String, Vec<Case>, Vec<String>, Vec<String>);

fn stage4(s: &crate::gates::stage4::Stage4Summary) -> Parts {
    let c = &s.checks;
    let mut cases = vec![Case::ok(
        "health",
        c.health.ok,
        answered(c.health.status_code, c.health.latency_ms),
    )
    .detail(c.health.error.clone().or_else(|| c.health.note.clone()))];
    let p95 = c.canary.p95_ms.map_or("-".into(), |p| format!("{p:.2} ms"));
    cases.push(Case::ok(
        "canary",
        c.canary.ok(),
        format!("{}/{} ok, p95 {p95}", c.canary.oks, c.canary.count),
    ));
    cases.extend(canary_cases(&c.canary, "canary "));
    let h = &c.root_headers;
    let csp = match (h.csp_present, h.csp_report_only) {
        (true, false) => "CSP enforced",
        (true, true) => "CSP report-only",
        (false, _) => "no CSP",
    };
    let headers_why = h.error.clone().or_else(|| {
        (!h.ok && h.strict).then(|| format!("{} finding(s) and --strict-headers", h.findings.len()))
    });
    cases.push(
        Case::ok(
            "root headers",
            h.ok,
            format!(
                "{} · {csp} · {} finding(s)",
                h.status_code.map_or("-".into(), |c| c.to_string()),
                h.findings.len()
            ),
        )
        .detail(headers_why),
    );
    let issues = &c.provider_issues;
    let provider_ok = issues.is_empty() || s.allow_provider_mock;
    let provider_why = match (issues.is_empty(), s.allow_provider_mock) {
        (true, _) => None,
        (false, true) => Some(format!(
            "{} issue(s), allowed (ALLOW_PROVIDER_MOCK=1)",
            issues.len()
        )),
        (false, false) => Some(issues.join("; ")),
    };
    cases.push(
        Case::ok(
            "provider config",
            provider_ok,
            format!("{} issue(s)", issues.len()),
        )
        .detail(provider_why),
    );
    if let Some(probes) = &c.probes {
        cases.extend(probes.probes.iter().map(|p| {
            Case::ok(
                format!("probe {}", p.probe),
                p.ok,
                answered(p.status_code, p.latency_ms),
            )
            .detail(p.error.clone())
        }));
    }
    let mut advisories: Vec<String> = h
        .findings
        .iter()
        .map(|f| format!("{}: {} (fix: {})", f.header, f.issue, f.fix))
        .collect();
    if s.allow_provider_mock {
        advisories.extend(issues.iter().map(|i| format!("provider: {i}")));
    }
    advisories.extend(s.base_url_note.iter().cloned());
    (s.base_url.clone(), cases, s.failures.clone(), advisories)
}

fn window_status(v: WindowVerdict) -> Status {
    match v {
        WindowVerdict::Pass => Status::Pass,
        WindowVerdict::Fail => Status::Fail,
        WindowVerdict::Inconclusive => Status::Inconclusive,
        WindowVerdict::Error => Status::Error,
    }
}

fn ramp_cases(timeline: &[crate::ramp::Event]) -> (Vec<Case>, Vec<String>) {
    let mut cases = Vec::new();
    let mut advisories = Vec::new();
    for event in timeline {
        match &event.kind {
            EventKind::PreGate { skipped: true, .. } => {
                advisories.push("the pre-gate was skipped (--skip-pre)".into())
            }
            EventKind::PreGate { slos, requests, .. } => cases.extend(slos.iter().map(|v| {
                let mut case = slo_case(v);
                case.name = format!("pre-gate {}", case.name);
                case.measured = format!("{} over {requests} requests", case.measured);
                case
            })),
            EventKind::StepStarted {
                step,
                weight,
                set_weight,
                ..
            } => {
                let mut case = Case::ok(
                    format!("step {} ({weight}%) set-weight", step + 1),
                    set_weight.ok(),
                    set_weight
                        .exit_code
                        .map_or("no exit".into(), |c| format!("exit {c}")),
                );
                case.detail = Some(set_weight.command.clone());
                case.output = Some(set_weight.output.clone()).filter(|o| !o.is_empty());
                case.time_s = Some(set_weight.duration_s);
                cases.push(case);
            }
            EventKind::Window(w) => {
                let s = &w.synthetic;
                let p95 = s.p95_ms.map_or("-".into(), |p| format!("{p:.1} ms"));
                let mut measured = format!(
                    "{} req, {} 5xx, {} errors, p95 {p95}",
                    s.requests, s.status_5xx, s.errors
                );
                if let Some(m) = &w.metrics {
                    let rps = m.requests.map_or("-".into(), |r| format!("{r:.0}"));
                    let bad = m.status_5xx.map_or("-".into(), |r| format!("{r:.0}"));
                    measured.push_str(&format!("; service {rps} req, {bad} 5xx"));
                }
                let mut case = Case::new(
                    format!("step {} ({}%) window {}", w.step + 1, w.weight, w.window),
                    window_status(w.verdict),
                    measured,
                )
                .detail(Some(w.reasons.join("; ")).filter(|r| !r.is_empty()));
                let guard_output: Vec<String> = w
                    .guards
                    .iter()
                    .filter(|g| !g.output.is_empty())
                    .map(|g| format!("$ {}\n{}", g.command, g.output))
                    .collect();
                case.output = Some(guard_output.join("\n")).filter(|o| !o.is_empty());
                case.time_s = Some(w.duration_s);
                cases.push(case);
            }
            EventKind::RolledBack {
                weight,
                why,
                rollback,
                ..
            } => {
                let at = weight.map_or("before any step".into(), |w| format!("from {w}%"));
                let mut case = Case::new("rollback", Status::Fail, format!("rolled back {at}"))
                    .detail(Some(why.clone()));
                case.output = Some(rollback.output.clone()).filter(|o| !o.is_empty());
                cases.push(case);
            }
            EventKind::RollbackFailed {
                weight,
                why,
                rollback,
                ..
            } => {
                let at = weight.map_or(String::new(), |w| {
                    format!(" (traffic may still be at {w}%)")
                });
                let mut case = Case::new(
                    "rollback",
                    Status::Error,
                    format!("the rollback command failed: {}{at}", rollback.describe()),
                )
                .detail(Some(format!("{why}; run it by hand: {}", rollback.command)));
                case.output = Some(rollback.output.clone()).filter(|o| !o.is_empty());
                cases.push(case);
            }
            EventKind::Paused {
                step, weight, why, ..
            } => advisories.push(format!("paused at step {} ({weight}%): {why}", step + 1)),
            EventKind::Interrupted { step, weight } => advisories.push(format!(
                "interrupted{} with the weight at {weight}",
                step.map_or(String::new(), |s| format!(" at step {}", s + 1))
            )),
            _ => {}
        }
    }
    (cases, advisories)
}
