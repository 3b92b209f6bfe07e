//! Rendering the HTML report: a one-minute run against an eight-hour one. The
//! over-time charts are downsampled (LTTB) and the spectrum comes from one histogram,
//! so the long run should cost about what the short one does.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use golive::gates::stress::StressReport;
use golive::report::{html, Judged};

/// The saved stress fixture, its timeline stretched to `seconds` (with a noisy rate so
/// LTTB has work to do).
fn run_of(seconds: u32) -> Judged {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/results/stress.json"
    );
    let mut report: StressReport =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let template = report.body.results.timeline[1].clone();
    report.body.results.timeline = (0..seconds)
        .map(|s| {
            let mut second = template.clone();
            second.second = s;
            second.responses = 90 + u64::from(s * 7919 % 21);
            second.status_2xx = second.responses;
            second
        })
        .collect();
    Judged::Stress(Box::new(report))
}

fn bench(c: &mut Criterion) {
    for (name, seconds) in [("1 minute", 60), ("8 hours", 8 * 3600)] {
        let run = run_of(seconds);
        c.bench_function(&format!("report/html stress, {name}"), |b| {
            b.iter(|| html::render(black_box(&run), "2026-01-01T00:00:00Z"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
