//! JUnit XML of a judged result, through quick-junit: one testsuite per command, one
//! testcase per check; a failure carries the reason and the numbers, an inconclusive
//! check is skipped with its reason, a check that could not run is an error.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::suite::{Case, Status, Suite};

fn status(case: &Case) -> TestCaseStatus {
    let message = match &case.detail {
        Some(why) => format!("{} ({why})", case.measured),
        None => case.measured.clone(),
    };
    let mut status = match case.status {
        Status::Pass => return TestCaseStatus::success(),
        Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Status::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
        Status::Inconclusive => TestCaseStatus::skipped(),
    };
    status.set_message(message).set_type(case.status.as_str());
    status
}

fn seconds(s: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(s).ok()
}

fn timestamp(rfc3339: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok()
}

/// The JUnit document's bytes.
pub fn render(suite: &Suite) -> Vec<u8> {
    let command = &suite.envelope.command;
    let mut ts = TestSuite::new(format!("golive {command}"));
    for case in &suite.cases {
        let mut tc = TestCase::new(case.name.as_str(), status(case));
        tc.set_classname(format!("golive.{command}"));
        if let Some(t) = case.time_s.and_then(seconds) {
            tc.set_time(t);
        }
        if let Some(out) = &case.output {
            tc.set_system_out(out.as_str());
        }
        ts.add_test_case(tc);
    }
    ts.add_property(("target", suite.subject.as_str()));
    ts.add_property(("outcome", suite.outcome().as_str()));
    ts.add_property(("golive_version", suite.envelope.golive_version.as_str()));
    let notes: Vec<&str> = suite
        .reasons
        .iter()
        .chain(&suite.advisories)
        .map(String::as_str)
        .collect();
    if !notes.is_empty() {
        ts.set_system_out(notes.join("\n"));
    }
    let (start, end) = (
        timestamp(&suite.envelope.started_at),
        timestamp(&suite.envelope.finished_at),
    );
    if let Some(start) = start {
        ts.set_timestamp(start);
    }
    let took = start.zip(end).and_then(|(s, e)| (e - s).to_std().ok());
    if let Some(took) = took {
        ts.set_time(took);
    }
    let mut report = Report::new("golive");
    report.add_test_suite(ts);
    report
        .to_string()
        .expect("JUnit of in-memory strings serialises")
        .into_bytes()
}
