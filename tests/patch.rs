//! `golive patch` on temp copies of realistic projects: the patched release gate is run
//! with python3 (Stage 4 after the packs, exit codes combined), apply is idempotent,
//! rollback is byte-exact, edits are detected, and failures leave the project as it was.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

const MAIN_EXITS: &str = r#"#!/usr/bin/env python3
"""Release gate: runs every pack, fails if any fails."""
import subprocess
import sys

PACKS = ["release_gate/packs/pack_a.py", "release_gate/packs/pack_b.py"]


def main():
    rc = 0
    for pack in PACKS:
        print("[ReleaseGate] running %s" % pack, flush=True)
        code = subprocess.call([sys.executable, pack])
        if code != 0:
            rc = 1
    print("[ReleaseGate] packs exit code: %d" % rc, flush=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
"#;

const RETURNS_RC: &str = r#"import subprocess
import sys


def main():
    rc = 0
    for pack in ["release_gate/packs/pack_a.py", "release_gate/packs/pack_b.py"]:
        print("[ReleaseGate] running %s" % pack, flush=True)
        rc |= subprocess.call([sys.executable, pack])
    print("[ReleaseGate] packs exit code: %d" % rc, flush=True)
    return rc


if __name__ == '__main__':
    sys.exit(main())
"#;

const PAGE: &str = "<!doctype html>\n<html>\n<head><title>QA</title></head>\n<body>\n<h1>Quality index</h1>\n<p>Packs 1-9 &mdash; all green</p>\n<!-- hand-written notes stay -->\n</body>\n</html>\n";

fn shapes() -> Vec<(&'static str, String)> {
    vec![
        ("main exits", MAIN_EXITS.to_string()),
        ("sys.exit(main())", RETURNS_RC.to_string()),
        ("CRLF", MAIN_EXITS.replace('\n', "\r\n")),
        ("tabs", RETURNS_RC.replace("    ", "\t")),
    ]
}

struct ProjectDir {
    dir: tempfile::TempDir,
    fake_golive: PathBuf,
}

impl ProjectDir {
    fn new(run_all: &str, page: Option<&str>) -> ProjectDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("release_gate/packs")).unwrap();
        std::fs::write(root.join("release_gate/run_all.py"), run_all).unwrap();
        std::fs::write(
            root.join("release_gate/packs/pack_a.py"),
            "print('pack A ok')\n",
        )
        .unwrap();
        std::fs::write(
            root.join("release_gate/packs/pack_b.py"),
            "import os, sys\nprint('pack B rc', os.environ.get('PACK_B_RC', '0'))\nsys.exit(int(os.environ.get('PACK_B_RC', '0')))\n",
        )
        .unwrap();
        if let Some(page) = page {
            std::fs::create_dir_all(root.join("public")).unwrap();
            std::fs::write(root.join("public/test2.html"), page).unwrap();
        }
        let fake_golive = root.join("bin/fake-golive");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(
            &fake_golive,
            "#!/bin/sh\necho \"fake golive $*\"\nexit \"${FAKE_STAGE4_RC:-0}\"\n",
        )
        .unwrap();
        set_mode(&fake_golive, 0o755);
        ProjectDir { dir, fake_golive }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn patch(&self, args: &[&str]) -> Run {
        let mut cmd = golive();
        cmd.arg("patch").args(args).arg("--root").arg(self.root());
        run_with(cmd, Duration::from_secs(30))
    }

    /// Runs the (patched) release gate as a team would.
    fn gate(&self, pack_b_rc: i32, stage4_rc: i32) -> Run {
        let mut cmd = Command::new("python3");
        cmd.arg("release_gate/run_all.py")
            .current_dir(self.root())
            .env("PYTHONPATH", ".")
            .env("GOLIVE_BIN", &self.fake_golive)
            .env("PACK_B_RC", pack_b_rc.to_string())
            .env("FAKE_STAGE4_RC", stage4_rc.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        run_with(cmd, Duration::from_secs(30))
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.root().join(rel)).unwrap()
    }

    /// Every file under the root with its bytes.
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.insert(
                        path.strip_prefix(root).unwrap().display().to_string(),
                        std::fs::read(&path).unwrap(),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.root(), self.root(), &mut out);
        out
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn positions(text: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| {
            text.find(n)
                .unwrap_or_else(|| panic!("{n:?} not in:\n{text}"))
        })
        .collect()
}

#[test]
fn every_shape_runs_stage4_after_the_packs_and_combines_exit_codes() {
    for (shape, source) in shapes() {
        let p = ProjectDir::new(&source, Some(PAGE));
        let applied = p.patch(&["apply"]);
        assert_eq!(
            applied.code, 0,
            "{shape}: {}{}",
            applied.stdout, applied.stderr
        );

        let ok = p.gate(0, 0);
        assert_eq!(ok.code, 0, "{shape}: {}{}", ok.stdout, ok.stderr);
        let order = positions(
            &ok.stdout,
            &[
                "running release_gate/packs/pack_a.py",
                "pack A ok",
                "pack B rc 0",
                "[ReleaseGate] packs exit code: 0",
                "[Stage 4] Running Production Go-Live Readiness v0.4.0",
                "fake golive stage4",
                "[ReleaseGate] Final exit code (with Stage 4): 0",
            ],
        );
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "{shape}: out of order:\n{}",
            ok.stdout
        );

        let s4_fails = p.gate(0, 1);
        assert_eq!(s4_fails.code, 1, "{shape}");
        assert!(s4_fails
            .stdout
            .contains("Final exit code (with Stage 4): 1"));

        let pack_fails = p.gate(1, 0);
        assert_eq!(pack_fails.code, 1, "{shape}");
        assert!(
            pack_fails.stdout.contains("fake golive stage4"),
            "{shape}: Stage 4 still runs after a failed pack"
        );
    }
}

#[test]
fn crlf_and_tabs_survive_and_the_original_lines_stay() {
    let crlf = MAIN_EXITS.replace('\n', "\r\n");
    let p = ProjectDir::new(&crlf, None);
    p.patch(&["apply"]);
    let patched = String::from_utf8(p.read("release_gate/run_all.py")).unwrap();
    assert!(
        !patched.replace("\r\n", "").contains('\n'),
        "a bare LF crept into a CRLF file"
    );
    for line in crlf
        .split("\r\n")
        .filter(|l| !l.is_empty() && *l != "    main()")
    {
        assert!(patched.contains(line), "original line lost: {line:?}");
    }

    let tabs = RETURNS_RC.replace("    ", "\t");
    let p = ProjectDir::new(&tabs, None);
    p.patch(&["apply"]);
    let patched = String::from_utf8(p.read("release_gate/run_all.py")).unwrap();
    assert!(!patched.contains("    "), "spaces in a tab-indented file");
    assert!(patched.contains("\t\tsys.exit(main())\n"), "{patched}");
}

#[test]
fn apply_twice_equals_apply_once() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    assert_eq!(p.patch(&["apply"]).code, 0);
    let once = p.snapshot();
    let again = p.patch(&["apply"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("Stage 4 is already integrated"),
        "{}",
        again.stdout
    );
    assert_eq!(p.snapshot(), once, "the second apply changed something");
    assert!(once.contains_key("release_gate/run_all.py.bak_stage4_v040"));
    assert!(once.contains_key("public/test2.html.bak_stage4_v040"));
    let marker = String::from_utf8(once["qa/_aggregate/stage4_patch_applied.txt"].clone()).unwrap();
    assert!(
        marker.contains("run_all.sha256_before: ") && marker.contains("golive_version: "),
        "{marker}"
    );
}

#[test]
fn rollback_restores_the_exact_bytes() {
    for page in [Some(PAGE), None] {
        let p = ProjectDir::new(MAIN_EXITS, page);
        let before = p.snapshot();
        assert_eq!(p.patch(&["apply"]).code, 0);
        assert_ne!(p.snapshot(), before);
        let rolled = p.patch(&["rollback"]);
        assert_eq!(rolled.code, 0, "{}{}", rolled.stdout, rolled.stderr);
        assert_eq!(
            p.snapshot(),
            before,
            "rollback is byte-exact (page existed: {})",
            page.is_some()
        );
        let again = p.patch(&["rollback"]);
        assert_eq!(again.code, 0);
        assert!(
            again.stdout.contains("nothing to roll back"),
            "{}",
            again.stdout
        );
    }
}

#[test]
fn test2_keeps_every_other_byte_and_gets_both_stages() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    p.patch(&["apply"]);
    let page = String::from_utf8(p.read("public/test2.html")).unwrap();
    let cut = PAGE.find("</body>").unwrap();
    assert!(
        page.starts_with(&PAGE[..cut]) && page.ends_with(&PAGE[cut..]),
        "{page}"
    );
    let added = &page[cut..page.len() - (PAGE.len() - cut)];
    assert!(
        added.starts_with("<h2 id=\"stage3\">Stage 3 — Staging Pilot</h2>"),
        "{added}"
    );
    assert!(added.contains(
        "<h2 id=\"stage4\">Stage 4 — Production Go-Live</h2>\n<table data-pack=\"stage4\">"
    ));
    assert_eq!(
        added.matches("<tr>").count(),
        4,
        "a header row and a data row per stage"
    );

    let p = ProjectDir::new(MAIN_EXITS, None);
    p.patch(&["apply"]);
    let page = String::from_utf8(p.read("public/test2.html")).unwrap();
    assert!(
        page.starts_with("<!doctype html>")
            && page.contains("<td>v0.4.0</td>")
            && page.trim_end().ends_with("</html>")
    );
}

#[test]
fn rollback_after_a_user_edit_refuses_and_force_keeps_the_edit() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    let original = p.read("release_gate/run_all.py");
    p.patch(&["apply"]);
    let mut edited = p.read("release_gate/run_all.py");
    edited.extend_from_slice(b"# tuned by hand after apply\n");
    std::fs::write(p.root().join("release_gate/run_all.py"), &edited).unwrap();
    let state = p.snapshot();

    let refused = p.patch(&["rollback"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stdout.contains("+# tuned by hand after apply"),
        "the diff is shown: {}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("edited after apply"),
        "{}",
        refused.stderr
    );
    assert_eq!(p.snapshot(), state, "a refused rollback writes nothing");

    let status = p.patch(&["status"]);
    assert_eq!(status.code, 1);
    assert!(status.stdout.contains("DRIFTED"), "{}", status.stdout);

    let forced = p.patch(&["rollback", "--force"]);
    assert_eq!(forced.code, 0, "{}{}", forced.stdout, forced.stderr);
    assert_eq!(p.read("release_gate/run_all.py"), original);
    let kept: Vec<_> = p
        .snapshot()
        .into_iter()
        .filter(|(k, _)| k.contains(".golive-edited-"))
        .collect();
    assert_eq!(kept.len(), 1, "the edited version is saved, not lost");
    assert_eq!(kept[0].1, edited);
}

#[test]
fn status_tells_each_state() {
    let p = ProjectDir::new(RETURNS_RC, Some(PAGE));
    let fresh = p.patch(&["status"]);
    assert_eq!(fresh.code, 0);
    assert!(
        fresh.stdout.contains("applied: no marker") && fresh.stdout.contains("state: consistent"),
        "{}",
        fresh.stdout
    );

    p.patch(&["apply"]);
    let applied = p.patch(&["status"]);
    assert_eq!(applied.code, 0, "{}", applied.stdout);
    assert!(
        applied.stdout.contains("applied: yes")
            && applied
                .stdout
                .contains("public/test2.html: has the Stage 4 integration"),
        "{}",
        applied.stdout
    );

    std::fs::remove_file(p.root().join("qa/_aggregate/stage4_patch_applied.txt")).unwrap();
    let half = p.patch(&["status"]);
    assert_eq!(half.code, 1);
    assert!(half.stdout.contains("half-applied"), "{}", half.stdout);
}

#[test]
fn dry_run_and_diff_show_the_change_and_write_nothing() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    let before = p.snapshot();
    for args in [&["diff"][..], &["apply", "--dry-run"]] {
        let r = p.patch(args);
        assert_eq!(r.code, 0);
        assert!(
            r.stdout.contains("--- a/release_gate/run_all.py"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("+# === Stage 4 – Production Go-Live (v0.4.0) ==="),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("+<h2 id=\"stage4\">"), "{}", r.stdout);
        assert_eq!(p.snapshot(), before, "{args:?} wrote something");
    }
    p.patch(&["apply"]);
    let r = p.patch(&["diff", "--rollback"]);
    assert!(
        r.stdout
            .contains("-# === Stage 4 – Production Go-Live (v0.4.0) ==="),
        "{}",
        r.stdout
    );
}

#[test]
fn unusable_projects_get_one_line_and_stay_as_they_were() {
    // No __main__ guard.
    let p = ProjectDir::new("def main():\n    pass\n\nmain()\n", Some(PAGE));
    let before = p.snapshot();
    let r = p.patch(&["apply"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("if __name__ == \"__main__\":"),
        "{}",
        r.stderr
    );
    assert_eq!(p.snapshot(), before);

    // Read-only run_all.py, and a read-only test2.html (refused before anything is written).
    for ro in ["release_gate/run_all.py", "public/test2.html"] {
        let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
        set_mode(&p.root().join(ro), 0o444);
        let before = p.snapshot();
        let r = p.patch(&["apply"]);
        assert_eq!(r.code, 2, "{ro}: {}", r.stderr);
        assert!(r.stderr.contains("read-only"), "{}", r.stderr);
        assert_eq!(p.snapshot(), before, "{ro}");
    }

    // No release_gate directory.
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    std::fs::remove_dir_all(p.root().join("release_gate")).unwrap();
    let before = p.snapshot();
    let r = p.patch(&["apply"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("release_gate/run_all.py not found"),
        "{}",
        r.stderr
    );
    assert_eq!(p.snapshot(), before);
}

#[test]
fn a_failure_half_way_undoes_what_was_done() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    // The marker is written last; a file where its directory should be makes it fail.
    std::fs::create_dir_all(p.root().join("qa")).unwrap();
    std::fs::write(p.root().join("qa/_aggregate"), "not a directory").unwrap();
    let before = p.snapshot();
    let r = p.patch(&["apply"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        p.snapshot(),
        before,
        "run_all.py, test2.html and the backups are back as they were"
    );
}

#[test]
fn index_records_and_updates_a_row() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    let index = |desc: &str| {
        let mut cmd = golive();
        cmd.args([
            "index",
            "--stage",
            "stage4",
            "--row-version",
            "v0.4.0",
            "--description",
            desc,
            "--code",
            "golive stage4",
            "--test",
            "/qa/stage4/v0.4.0/summary.json",
            "--root",
        ])
        .arg(p.root());
        run_with(cmd, Duration::from_secs(20))
    };
    assert!(index("first run").stdout.contains("section added"));
    assert!(index("second run").stdout.contains("row updated in place"));
    assert!(index("second run").stdout.contains("already up to date"));
    let page = String::from_utf8(p.read("public/test2.html")).unwrap();
    assert_eq!(page.matches("<td>v0.4.0</td>").count(), 1);
    assert!(page.contains("<td>second run</td>"));
    // The gate's HTML report sits beside its summary.json, and the row links both.
    assert!(
        page.contains(
            "<td><a href=\"/qa/stage4/v0.4.0/summary.json\">summary.json</a> · \
             <a href=\"/qa/stage4/v0.4.0/report.html\">report</a></td>"
        ),
        "{page}"
    );
}

const MARKER: &str = "qa/_aggregate/stage4_patch_applied.txt";

#[test]
fn a_torn_marker_is_reported_refused_and_never_half_rolled_back() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    let original = p.snapshot();
    assert_eq!(p.patch(&["apply"]).code, 0);
    let full = p.read(MARKER);
    for cut in [200, 420, 520] {
        let cut = cut.min(full.len() - 1);
        std::fs::write(p.root().join(MARKER), &full[..cut]).unwrap();
        let before = p.snapshot();
        let status = p.patch(&["status"]);
        assert_eq!(status.code, 1, "cut at {cut}: {}", status.stdout);
        assert!(status.stdout.contains("CORRUPT"), "{}", status.stdout);
        let rollback = p.patch(&["rollback"]);
        assert_eq!(rollback.code, 1, "cut at {cut}: {}", rollback.stdout);
        assert!(
            rollback.stderr.contains("--from-backups"),
            "{}",
            rollback.stderr
        );
        assert_eq!(p.snapshot(), before, "a refused rollback changed something");
        let apply = p.patch(&["apply"]);
        assert_eq!(apply.code, 1, "apply on a corrupt marker: {}", apply.stderr);
        assert_eq!(p.snapshot(), before, "a refused apply changed something");
    }
    // The explicit fallback proves each file against its backup, then restores.
    let restored = p.patch(&["rollback", "--from-backups"]);
    assert_eq!(restored.code, 0, "{}{}", restored.stdout, restored.stderr);
    assert!(restored.stdout.contains("proven"), "{}", restored.stdout);
    assert_eq!(p.snapshot(), original);
}

#[test]
fn from_backups_refuses_what_it_cannot_prove() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    assert_eq!(p.patch(&["apply"]).code, 0);
    std::fs::write(p.root().join(MARKER), b"garbage").unwrap();
    let path = p.root().join("release_gate/run_all.py");
    let mut edited = std::fs::read_to_string(&path).unwrap();
    edited.push_str("# a later edit\n");
    std::fs::write(&path, edited).unwrap();
    let before = p.snapshot();
    let run = p.patch(&["rollback", "--from-backups"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(p.snapshot(), before);
}

#[test]
fn a_missing_root_is_exit_2_for_every_subcommand() {
    for action in ["status", "rollback", "apply", "diff"] {
        let mut cmd = golive();
        cmd.args(["patch", action, "--root", "/nonexistent/golive-project"]);
        let run = run_with(cmd, Duration::from_secs(30));
        assert_eq!(run.code, 2, "{action}: {}{}", run.stdout, run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{action}: {}", run.stderr);
        assert!(run.stderr.contains("no such directory"), "{}", run.stderr);
    }
}

#[test]
fn apply_refuses_a_drifted_tree_and_says_how_to_resolve_it() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    assert_eq!(p.patch(&["apply"]).code, 0);
    let page = p.root().join("public/test2.html");
    let edited = String::from_utf8(p.read("public/test2.html")).unwrap() + "<!-- edit -->\n";
    std::fs::write(&page, edited).unwrap();
    let before = p.snapshot();
    let run = p.patch(&["apply"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("golive patch rollback"),
        "{}",
        run.stderr
    );
    assert_eq!(p.snapshot(), before);
}

#[test]
fn messages_are_said_once_and_in_words() {
    let p = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    let nothing = p.patch(&["rollback"]);
    assert_eq!(nothing.code, 0);
    assert_eq!(
        nothing.stdout.trim(),
        "Stage 4 is not applied here: nothing to roll back."
    );
    let applied = p.patch(&["apply"]);
    assert!(
        !applied.stdout.contains("SectionAdded"),
        "{}",
        applied.stdout
    );
    let diff = p.patch(&["diff", "--rollback"]);
    assert!(
        diff.stdout
            .contains("remove release_gate/run_all.py.bak_stage4_v040"),
        "{}",
        diff.stdout
    );
    let bare = ProjectDir::new("print('no guard')\n", Some(PAGE));
    let refused = bare.patch(&["apply"]);
    assert_eq!(refused.code, 2);
    let line = refused.stderr.trim();
    let first = line.find("no top-level").unwrap();
    assert_eq!(
        line.rfind("no top-level"),
        Some(first),
        "said twice: {line}"
    );
    let fresh = ProjectDir::new(MAIN_EXITS, Some(PAGE));
    let preview = fresh.patch(&["diff"]);
    assert!(
        preview
            .stdout
            .contains("create release_gate/run_all.py.bak_stage4_v040"),
        "{}",
        preview.stdout
    );
    assert!(
        !preview.stdout.contains(".bak_stage4_v040\n@@"),
        "backups listed, not printed in full:\n{}",
        preview.stdout
    );
}

const ARGPARSE_GATE: &str = r#"import argparse
import sys


def main():
    parser = argparse.ArgumentParser(description="release gate")
    parser.add_argument("--fail-with", default="")
    args = parser.parse_args()
    print("gate ran", flush=True)
    if args.fail_with:
        sys.exit(args.fail_with)
    sys.exit(0)


if __name__ == "__main__":
    main()
"#;

impl ProjectDir {
    /// Runs the patched gate with `args`, from `cwd`, by its absolute path.
    fn gate_from(&self, cwd: &Path, args: &[&str]) -> Run {
        let mut cmd = Command::new("python3");
        cmd.arg(self.root().join("release_gate/run_all.py"))
            .args(args)
            .current_dir(cwd)
            .env("GOLIVE_BIN", &self.fake_golive)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        run_with(cmd, Duration::from_secs(30))
    }
}

#[test]
fn the_patched_gate_keeps_its_exit_semantics() {
    let p = ProjectDir::new(ARGPARSE_GATE, Some(PAGE));
    assert_eq!(p.patch(&["apply"]).code, 0);
    let root = p.root();
    let help = p.gate_from(root, &["--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(
        !help.stdout.contains("fake golive"),
        "--help ran Stage 4: {}",
        help.stdout
    );
    let bad_flag = p.gate_from(root, &["--bogus"]);
    assert_eq!(bad_flag.code, 2, "{}", bad_flag.stderr);
    assert!(
        !bad_flag.stdout.contains("fake golive"),
        "{}",
        bad_flag.stdout
    );
    let message = p.gate_from(root, &["--fail-with", "packs are red"]);
    assert_eq!(message.code, 1);
    assert!(
        message.stderr.contains("packs are red"),
        "{}",
        message.stderr
    );
    assert!(
        message.stdout.contains("fake golive stage4"),
        "{}",
        message.stdout
    );
}

#[test]
fn stage4_runs_from_the_project_root_whatever_the_callers_directory() {
    let p = ProjectDir::new(ARGPARSE_GATE, Some(PAGE));
    assert_eq!(p.patch(&["apply"]).code, 0);
    std::fs::write(
        &p.fake_golive,
        "#!/bin/sh\necho \"fake golive $* in $(pwd -P)\"\nexit 0\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let run = p.gate_from(elsewhere.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let root = std::fs::canonicalize(p.root()).unwrap();
    let out = root.join("qa/stage4/v0.4.0");
    assert!(
        run.stdout
            .contains(&format!("--out {} in {}", out.display(), root.display())),
        "{}",
        run.stdout
    );
}
