//! The docs cannot go stale: every fenced block marked `sh runnable` in README.md and
//! docs/ runs, with `sh -eu` in an empty directory, against the embedded target
//! (`golive serve --admin`, its base URL in `$URL`, its admin token in
//! `$ADMIN_TOKEN`), and must exit 0 within a minute. The README stays a front door
//! (at most 300 lines), and every relative link in the docs names a file that exists.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

const TOKEN: &str = "docs-admin-token";

struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Served {
    let mut cmd = golive();
    cmd.args(["serve", "--port", "0", "--admin"])
        .env("GOLIVE_ADMIN_TOKEN", TOKEN)
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    Served { child, url }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root().join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
    }
    files
}

/// The `sh runnable` blocks of a file, with the line each starts on.
fn runnable_blocks(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        match &mut current {
            None if fence.starts_with("```") && fence[3..].trim() == "sh runnable" => {
                current = Some((i + 1, String::new()))
            }
            Some((_, body)) if !fence.starts_with("```") => {
                body.push_str(line);
                body.push('\n');
            }
            Some(_) => blocks.push(current.take().unwrap()),
            None => {}
        }
    }
    blocks
}

#[test]
fn every_runnable_example_in_the_docs_runs() {
    let served = serve();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_golive")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut count = 0;
    let mut failed = Vec::new();
    for file in markdown_files() {
        for (line, block) in runnable_blocks(&file) {
            count += 1;
            let dir = tempfile::tempdir().unwrap();
            let mut cmd = Command::new("sh");
            cmd.args(["-eu", "-c", &block])
                .current_dir(dir.path())
                .env_clear()
                .env("PATH", &path)
                .env("HOME", dir.path())
                .env("URL", &served.url)
                .env("ADMIN_TOKEN", TOKEN)
                .env("COLUMNS", "100")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let run = run_with(cmd, Duration::from_secs(90));
            let name = format!(
                "{}:{line}",
                file.strip_prefix(root()).unwrap_or(&file).display()
            );
            if run.code != 0 {
                failed.push(format!(
                    "{name} exited {}:\n{block}\n--- stdout\n{}\n--- stderr\n{}",
                    run.code, run.stdout, run.stderr
                ));
            }
            // Whatever a block did to the target's faults is undone for the next.
            let _ = std::process::Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-X", "POST", "-H"])
                .arg(format!("X-Golive-Admin: {TOKEN}"))
                .arg(format!(
                    "{}/admin/faults?error_rate=0&latency=0ms",
                    served.url
                ))
                .status();
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    assert!(count >= 8, "only {count} runnable examples in the docs");
}

#[test]
fn the_readme_is_a_front_door_and_every_link_lands() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.lines().count() <= 300,
        "README.md has {} lines (300 at most: the reference lives in docs/)",
        readme.lines().count()
    );
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        for (i, _) in text.match_indices("](") {
            let target: String = text[i + 2..].chars().take_while(|c| *c != ')').collect();
            let path = target.split('#').next().unwrap_or_default();
            if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                continue;
            }
            assert!(
                dir.join(path).exists(),
                "{} links to {target}, which does not exist",
                file.display()
            );
        }
    }
}
