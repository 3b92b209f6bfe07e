//! The patcher on a large project: apply and revert on a 10,000-line run_all.py, and
//! the test2.html upsert on a page with 1,000 rows.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use golive::patch::html::{self, Row, Section};
use golive::patch::runall;

fn big_run_all() -> String {
    let mut s = String::from("import subprocess\nimport sys\n\n");
    for i in 0..2_500 {
        s.push_str(&format!("\ndef pack_{i}():\n    \"\"\"Pack {i}.\"\"\"\n    return subprocess.call([sys.executable, \"packs/p{i}.py\"])\n"));
    }
    s.push_str("\n\ndef main():\n    sys.exit(0)\n\n\nif __name__ == \"__main__\":\n    main()\n");
    s
}

fn big_page() -> String {
    let mut s =
        String::from("<!doctype html>\n<html>\n<body>\n<table data-pack=\"packs\">\n  <tbody>\n");
    for i in 0..1_000 {
        s.push_str(&format!(
            "    <tr>\n      <td>v0.{i}.0</td>\n      <td>pack {i}</td>\n    </tr>\n"
        ));
    }
    s.push_str("  </tbody>\n</table>\n</body>\n</html>\n");
    s
}

fn bench(c: &mut Criterion) {
    let source = big_run_all();
    assert!(source.lines().count() >= 10_000);
    let patched = runall::apply(&source).unwrap();
    c.bench_function("patch/run_all apply (10k lines)", |b| {
        b.iter(|| runall::apply(black_box(&source)).unwrap())
    });
    c.bench_function("patch/run_all revert (10k lines)", |b| {
        b.iter(|| runall::revert(black_box(&patched)).unwrap())
    });
    let page = big_page();
    c.bench_function("patch/test2 upsert (1k rows)", |b| {
        b.iter(|| html::upsert(black_box(&page), &Section::stage4(), &Row::stage4()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
