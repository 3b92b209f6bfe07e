//! `golive patch` under races and crashes, with real concurrent processes: operators
//! running apply and rollback at once, and SIGKILL at any instant of either. Every run
//! must leave the project byte-identical to the original or to the fully patched state
//! (marker and backups consistent), or in a state `golive patch status` names with the
//! one command that recovers it, and that command must then recover it exactly.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::*;

const RUN_ALL: &str = "import sys\n\n\ndef main():\n    print('gate')\n    return 0\n\n\nif __name__ == '__main__':\n    sys.exit(main())\n";
const PAGE: &str = "<!doctype html>\n<html>\n<body>\n<h1>Index</h1>\n</body>\n</html>\n";
const MARKER: &str = "qa/_aggregate/stage4_patch_applied.txt";

fn project(page: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("release_gate")).unwrap();
    std::fs::write(dir.path().join("release_gate/run_all.py"), RUN_ALL).unwrap();
    if page {
        std::fs::create_dir_all(dir.path().join("public")).unwrap();
        std::fs::write(dir.path().join("public/test2.html"), PAGE).unwrap();
    }
    dir
}

/// Every file under `root` with its bytes (the marker's bytes carry a timestamp, so
/// it is listed by presence only).
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                let bytes = if rel == MARKER {
                    b"(marker)".to_vec()
                } else {
                    std::fs::read(&path).unwrap()
                };
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn patch_cmd(root: &Path, args: &[&str]) -> Command {
    let mut cmd = golive();
    cmd.arg("patch").args(args).arg("--root").arg(root);
    cmd
}

fn patch(root: &Path, args: &[&str]) -> Run {
    run_with(patch_cmd(root, args), Duration::from_secs(60))
}

fn spawn(root: &Path, args: &[&str]) -> Child {
    patch_cmd(root, args).spawn().unwrap()
}

/// The two states a project may be in when nobody is editing it.
struct Reference {
    original: BTreeMap<String, Vec<u8>>,
    patched: BTreeMap<String, Vec<u8>>,
}

fn reference(page: bool) -> Reference {
    let p = project(page);
    let original = snapshot(p.path());
    assert_eq!(patch(p.path(), &["apply"]).code, 0);
    Reference {
        original,
        patched: snapshot(p.path()),
    }
}

/// The project is exactly the original, or exactly patched with a marker that
/// status finds consistent.
fn assert_whole(root: &Path, r: &Reference, what: &str) {
    let now = snapshot(root);
    assert!(
        now == r.original || now == r.patched,
        "{what}: neither the original nor the patched tree: {:?}",
        now.keys().collect::<Vec<_>>()
    );
    let status = patch(root, &["status"]);
    assert_eq!(status.code, 0, "{what}: {}{}", status.stdout, status.stderr);
}

fn wait_all(children: Vec<Child>) -> Vec<i32> {
    children
        .into_iter()
        .map(|mut c| {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Some(s) = c.try_wait().unwrap() {
                    break s.code().unwrap_or(-1);
                }
                assert!(Instant::now() < deadline, "a golive patch hung");
                std::thread::sleep(Duration::from_millis(2));
            }
        })
        .collect()
}

#[test]
fn concurrent_applies_and_rollbacks_leave_one_whole_state_every_time() {
    let r = reference(true);
    let scenarios: [(&str, bool, &[&[&str]]); 5] = [
        (
            "apply ‖ rollback, from the original",
            false,
            &[&["apply"], &["rollback"]],
        ),
        (
            "apply ‖ rollback, from applied",
            true,
            &[&["apply"], &["rollback"]],
        ),
        ("rollback ‖ rollback", true, &[&["rollback"], &["rollback"]]),
        ("apply ‖ apply", false, &[&["apply"], &["apply"]]),
        (
            "apply ‖ rollback ‖ apply",
            false,
            &[&["apply"], &["rollback"], &["apply"]],
        ),
    ];
    for round in 0..50 {
        let (name, applied, commands) = scenarios[round % scenarios.len()];
        let p = project(true);
        if applied {
            assert_eq!(patch(p.path(), &["apply"]).code, 0);
        }
        let children = commands.iter().map(|a| spawn(p.path(), a)).collect();
        let codes = wait_all(children);
        assert!(
            codes.iter().all(|c| *c == 0),
            "round {round}, {name}: exit codes {codes:?}"
        );
        assert_whole(p.path(), &r, &format!("round {round}, {name}"));
    }
}

/// A small deterministic sequence of delays (no test depends on the machine's luck).
fn delays(seed: u64, n: usize, max_ms: u64) -> Vec<Duration> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Duration::from_micros((x >> 33) % (max_ms * 1000))
        })
        .collect()
}

fn kill_after(mut child: Child, after: Duration) {
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

/// Status names the state (exit 0 or 1, never an error) and, when it is not
/// consistent, says which command recovers it.
fn named(root: &Path, what: &str) -> String {
    let status = patch(root, &["status"]);
    assert!(
        status.code == 0 || status.code == 1,
        "{what}: status failed: {}{}",
        status.stdout,
        status.stderr
    );
    if status.code == 1 {
        assert!(
            status.stdout.contains("`golive patch"),
            "{what}: no recovering command named:\n{}",
            status.stdout
        );
    }
    status.stdout
}

#[test]
fn sigkill_at_any_instant_of_apply_is_named_and_recovered_by_one_command() {
    let r = reference(false);
    for (i, at) in delays(7, 24, 45).into_iter().enumerate() {
        let p = project(false);
        let mut cmd = patch_cmd(p.path(), &["apply"]);
        cmd.env("GOLIVE_TEST_PATCH_PAUSE_MS", "6");
        kill_after(cmd.spawn().unwrap(), at);
        let what = format!("apply killed after {at:?}");
        let said = named(p.path(), &what);
        // Alternate the two ways out: undo it, or finish it.
        let (recover, want) = if i % 2 == 0 {
            ("rollback", &r.original)
        } else {
            ("apply", &r.patched)
        };
        let run = patch(p.path(), &[recover]);
        assert_eq!(
            run.code, 0,
            "{what}, then {recover}: {}{}\nstatus was:\n{said}",
            run.stdout, run.stderr
        );
        assert_eq!(
            &snapshot(p.path()),
            want,
            "{what}, then {recover}\nstatus was:\n{said}"
        );
        assert_whole(p.path(), &r, &what);
    }
}

#[test]
fn sigkill_at_any_instant_of_rollback_is_named_and_finished_by_rollback() {
    let r = reference(true);
    for at in delays(11, 24, 45) {
        let p = project(true);
        assert_eq!(patch(p.path(), &["apply"]).code, 0);
        let mut cmd = patch_cmd(p.path(), &["rollback"]);
        cmd.env("GOLIVE_TEST_PATCH_PAUSE_MS", "6");
        kill_after(cmd.spawn().unwrap(), at);
        let what = format!("rollback killed after {at:?}");
        let said = named(p.path(), &what);
        let run = patch(p.path(), &["rollback"]);
        assert_eq!(
            run.code, 0,
            "{what}: {}{}\nstatus was:\n{said}",
            run.stdout, run.stderr
        );
        assert_eq!(
            snapshot(p.path()),
            r.original,
            "{what}\nstatus was:\n{said}"
        );
    }
}

#[test]
fn backups_without_a_marker_are_restored_by_rollback() {
    // What an older golive could leave: backups made, the marker never written.
    let r = reference(true);
    let p = project(true);
    assert_eq!(patch(p.path(), &["apply"]).code, 0);
    std::fs::remove_file(p.path().join(MARKER)).unwrap();
    let status = patch(p.path(), &["status"]);
    assert_eq!(status.code, 1);
    assert!(
        status.stdout.contains("`golive patch rollback`"),
        "{}",
        status.stdout
    );
    assert_eq!(patch(p.path(), &["apply"]).code, 1, "apply refuses");
    let run = patch(p.path(), &["rollback"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(snapshot(p.path()), r.original);

    // Backups made, nothing else written yet: the files are their backups.
    let p = project(true);
    for rel in ["release_gate/run_all.py", "public/test2.html"] {
        std::fs::copy(
            p.path().join(rel),
            p.path().join(format!("{rel}.bak_stage4_v040")),
        )
        .unwrap();
    }
    let run = patch(p.path(), &["rollback"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(snapshot(p.path()), r.original);
}

#[test]
fn leftover_temporary_files_are_named_and_removed_by_the_next_run() {
    let r = reference(true);
    let p = project(true);
    let tmp = p.path().join("release_gate/.golive-patch-abc123");
    std::fs::write(&tmp, "half a file").unwrap();
    let status = patch(p.path(), &["status"]);
    assert!(
        status.stdout.contains("temporary files: 1"),
        "{}",
        status.stdout
    );
    assert_eq!(patch(p.path(), &["apply"]).code, 0);
    assert!(!tmp.exists());
    assert_eq!(snapshot(p.path()), r.patched);
}

#[test]
fn a_file_changed_behind_golives_back_is_never_overwritten() {
    // Apply pauses after each step; once it has backed run_all.py up (and before it
    // writes it), another program edits the file. Apply must notice, write nothing
    // over the edit, undo its own steps, and say so.
    let p = project(true);
    let mut cmd = patch_cmd(p.path(), &["apply"]);
    cmd.env("GOLIVE_TEST_PATCH_PAUSE_MS", "300");
    let child = cmd.spawn().unwrap();
    let backup = p.path().join("release_gate/run_all.py.bak_stage4_v040");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !backup.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let edited = format!("{RUN_ALL}# edited by someone else\n");
    std::fs::write(p.path().join("release_gate/run_all.py"), &edited).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("changed while golive was patching"),
        "{stderr}"
    );
    let now = snapshot(p.path());
    assert_eq!(now["release_gate/run_all.py"], edited.as_bytes());
    assert_eq!(now["public/test2.html"], PAGE.as_bytes());
    assert_eq!(now.len(), 2, "backups and marker undone: {:?}", now.keys());
}
