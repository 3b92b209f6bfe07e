//! The patch applied to a project directory: which files change, their backups, the
//! marker recording what was done (with hashes), drift detection, and a transactional
//! executor: every write is atomic and keeps permissions, and a failure half way
//! undoes the steps already taken, so the project is left as it was.

use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::html::{self, Row, Section};
use super::runall::{self, ShapeError};
use crate::output::file::write as write_atomic;

pub const RUN_ALL: &str = "release_gate/run_all.py";
pub const TEST2: &str = "public/test2.html";
pub const MARKER: &str = "qa/_aggregate/stage4_patch_applied.txt";
pub const BACKUP_SUFFIX: &str = ".bak_stage4_v040";

#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("{path} not found: run golive patch from the project root, or pass --root DIR")]
    Missing { path: String },
    #[error("{path}: {source}")]
    Shape { path: String, source: ShapeError },
    #[error("{path} is read-only: make it writable (chmod u+w) to patch it")]
    ReadOnly { path: String },
    #[error("{path}: {why}")]
    Io { path: String, why: String },
    #[error("backup {path} already exists and differs from the current file: move it away first (golive never overwrites a backup)")]
    BackupExists { path: String },
    #[error("{path} was edited after apply (its sha256 differs from the marker's): review the diff above, or pass --force to restore the original (your edits are saved beside it)")]
    Drifted { path: String, diff: String },
    #[error("backup {path} is missing and the file is not as apply left it: cannot restore the original exactly")]
    BackupMissing { path: String },
    #[error("{0}")]
    Inconsistent(String),
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> PatchError {
    PatchError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PatchError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

/// Refuses files without write permission bits, even for root (who could write them).
fn ensure_writable(path: &Path) -> Result<(), PatchError> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o222 == 0 => Err(PatchError::ReadOnly {
            path: path.display().to_string(),
        }),
        Ok(_) => Ok(()),
        Err(e) => Err(io_err(path, e)),
    }
}

/// One file's part in the marker.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FileRecord {
    /// sha256 before apply; `None` when apply created the file.
    pub before: Option<String>,
    pub after: String,
    /// Whether a backup was made (it holds the `before` bytes).
    pub backup: bool,
}

/// `qa/_aggregate/stage4_patch_applied.txt`: what was patched, when, by which golive,
/// and the hashes that make rollback exact and drift detectable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub applied_at: String,
    pub golive_version: String,
    pub run_all: Option<FileRecord>,
    pub test2: Option<FileRecord>,
}

impl Marker {
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "Stage 4 – Production Go-Live (v0.4.0) integrated by `golive patch apply`.\n\
             `golive patch rollback` restores the files below from their backups.\n\n",
        );
        out.push_str(&format!(
            "applied_at: {}\ngolive_version: {}\n",
            self.applied_at, self.golive_version
        ));
        for (key, path, rec) in [
            ("run_all", RUN_ALL, &self.run_all),
            ("test2", TEST2, &self.test2),
        ] {
            let Some(rec) = rec else { continue };
            out.push_str(&format!("{key}.path: {path}\n"));
            out.push_str(&format!(
                "{key}.sha256_before: {}\n",
                rec.before.as_deref().unwrap_or("none (created by apply)")
            ));
            out.push_str(&format!("{key}.sha256_after: {}\n", rec.after));
            let backup = if rec.backup {
                format!("{path}{BACKUP_SUFFIX}")
            } else {
                "none".into()
            };
            out.push_str(&format!("{key}.backup: {backup}\n"));
        }
        out
    }

    pub fn parse(text: &str) -> Option<Marker> {
        let get = |k: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(&format!("{k}: "))
                    .map(|v| v.trim().to_string())
            })
        };
        let record = |key: &str| {
            let after = get(&format!("{key}.sha256_after"))?;
            let before = get(&format!("{key}.sha256_before")).filter(|b| !b.starts_with("none"));
            let backup = get(&format!("{key}.backup")).is_some_and(|b| b != "none");
            Some(FileRecord {
                before,
                after,
                backup,
            })
        };
        Some(Marker {
            applied_at: get("applied_at")?,
            golive_version: get("golive_version")?,
            run_all: record("run_all"),
            test2: record("test2"),
        })
    }
}

/// A project's files, by role.
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    pub fn new(root: impl Into<PathBuf>) -> Project {
        Project { root: root.into() }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn backup(&self, rel: &str) -> PathBuf {
        self.root.join(format!("{rel}{BACKUP_SUFFIX}"))
    }

    pub fn marker(&self) -> Result<Option<Marker>, PatchError> {
        let path = self.path(MARKER);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        let marker = Marker::parse(&String::from_utf8_lossy(&bytes)).ok_or_else(|| {
            PatchError::Inconsistent(format!(
                "{} is not a golive marker (edited by hand?)",
                path.display()
            ))
        })?;
        Ok(Some(marker))
    }
}

/// One step of a plan.
#[derive(Clone, Debug)]
pub enum Op {
    /// Write `after` to `path` (atomically); `before` is what is there now.
    Write {
        path: PathBuf,
        before: Option<Vec<u8>>,
        after: Vec<u8>,
    },
    /// Create a backup; fails if something is already there.
    CreateNew {
        path: PathBuf,
        bytes: Vec<u8>,
    },
    Remove {
        path: PathBuf,
        before: Vec<u8>,
    },
}

/// What apply or rollback would do.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub ops: Vec<Op>,
    /// What the plan means, for the user.
    pub notes: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// A unified diff of every file the plan changes, paths relative to `root`.
    pub fn diff(&self, root: &Path) -> String {
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        let mut out = String::new();
        for op in &self.ops {
            let (path, before, after) = match op {
                Op::Write {
                    path,
                    before,
                    after,
                } => (path, before.clone().unwrap_or_default(), after.clone()),
                Op::CreateNew { path, bytes } => (path, Vec::new(), bytes.clone()),
                Op::Remove { path, before } => (path, before.clone(), Vec::new()),
            };
            let (a, b) = (
                String::from_utf8_lossy(&before),
                String::from_utf8_lossy(&after),
            );
            let name = rel(path);
            let diff = TextDiff::from_lines(a.as_ref(), b.as_ref());
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{name}"), &format!("b/{name}"))
                    .to_string(),
            );
        }
        out
    }
}

/// Plans `apply`: the Stage 4 block in run_all.py, the stage3/stage4 rows in
/// test2.html, backups and the marker. An empty plan means nothing is left to do.
pub fn plan_apply(p: &Project, now: &str) -> Result<Plan, PatchError> {
    let run_all_path = p.path(RUN_ALL);
    let original = read_optional(&run_all_path)?.ok_or_else(|| PatchError::Missing {
        path: run_all_path.display().to_string(),
    })?;
    let text = std::str::from_utf8(&original).map_err(|_| PatchError::Shape {
        path: RUN_ALL.into(),
        source: ShapeError::NotUtf8,
    })?;
    let mut plan = Plan::default();
    let mut marker = Marker {
        applied_at: now.into(),
        golive_version: env!("CARGO_PKG_VERSION").into(),
        run_all: None,
        test2: None,
    };
    if runall::is_integrated(text) {
        plan.notes
            .push(format!("{RUN_ALL}: Stage 4 already appears integrated"));
    } else {
        let patched = runall::apply(text).map_err(|source| PatchError::Shape {
            path: RUN_ALL.into(),
            source,
        })?;
        ensure_writable(&run_all_path)?;
        backup_op(p, RUN_ALL, &original, &mut plan)?;
        marker.run_all = Some(FileRecord {
            before: Some(sha256_hex(&original)),
            after: sha256_hex(patched.as_bytes()),
            backup: true,
        });
        plan.ops.push(Op::Write {
            path: run_all_path,
            before: Some(original),
            after: patched.into_bytes(),
        });
        plan.notes.push(format!("{RUN_ALL}: Stage 4 tail-runner added after the original gate (backup: {RUN_ALL}{BACKUP_SUFFIX})"));
    }

    let test2_path = p.path(TEST2);
    let existing = read_optional(&test2_path)?;
    let page = match &existing {
        Some(b) => String::from_utf8(b.clone()).map_err(|_| PatchError::Shape {
            path: TEST2.into(),
            source: ShapeError::NotUtf8,
        })?,
        None => html::minimal_page(),
    };
    let (with3, change3) = html::upsert(&page, &Section::stage3(), &Row::stage3());
    let (with4, change4) = html::upsert(&with3, &Section::stage4(), &Row::stage4());
    if existing.is_none() || with4 != page {
        if let Some(before) = &existing {
            ensure_writable(&test2_path)?;
            backup_op(p, TEST2, before, &mut plan)?;
        }
        marker.test2 = Some(FileRecord {
            before: existing.as_deref().map(sha256_hex),
            after: sha256_hex(with4.as_bytes()),
            backup: existing.is_some(),
        });
        plan.notes.push(format!(
            "{TEST2}: stage3 {change3:?}, stage4 {change4:?}{}",
            if existing.is_none() {
                " (new page)"
            } else {
                ""
            }
        ));
        plan.ops.push(Op::Write {
            path: test2_path,
            before: existing,
            after: with4.into_bytes(),
        });
    } else {
        plan.notes
            .push(format!("{TEST2}: stage3 and stage4 rows already present"));
    }
    if !plan.is_empty() {
        let marker_path = p.path(MARKER);
        let before = read_optional(&marker_path)?;
        if let Some(previous) = before
            .as_deref()
            .and_then(|b| Marker::parse(&String::from_utf8_lossy(b)))
        {
            // A partial earlier apply: keep what it recorded for files not touched now.
            marker.run_all = marker.run_all.or(previous.run_all);
            marker.test2 = marker.test2.or(previous.test2);
        }
        plan.ops.push(Op::Write {
            path: marker_path,
            before,
            after: marker.to_text().into_bytes(),
        });
    }
    Ok(plan)
}

fn backup_op(p: &Project, rel: &str, original: &[u8], plan: &mut Plan) -> Result<(), PatchError> {
    let path = p.backup(rel);
    match read_optional(&path)? {
        None => plan.ops.push(Op::CreateNew {
            path,
            bytes: original.to_vec(),
        }),
        Some(b) if b == original => {}
        Some(_) => {
            return Err(PatchError::BackupExists {
                path: path.display().to_string(),
            })
        }
    }
    Ok(())
}

/// What apply made of a file, rebuilt from its original bytes (apply is deterministic).
fn patched_from(rel: &str, original: Option<&[u8]>) -> Option<Vec<u8>> {
    let text = match original {
        Some(b) => String::from_utf8(b.to_vec()).ok()?,
        None => html::minimal_page(),
    };
    Some(if rel == RUN_ALL {
        runall::apply(&text).ok()?.into_bytes()
    } else {
        let (with3, _) = html::upsert(&text, &Section::stage3(), &Row::stage3());
        html::upsert(&with3, &Section::stage4(), &Row::stage4())
            .0
            .into_bytes()
    })
}

/// Plans `rollback`: each file back to its original bytes, backups and marker removed.
/// A file edited since apply is refused (with the diff) unless `force`, which saves
/// the edited file beside the original as `<file>.golive-edited-<timestamp>`.
pub fn plan_rollback(p: &Project, force: bool, now: &str) -> Result<Plan, PatchError> {
    let mut plan = Plan::default();
    let Some(marker) = p.marker()? else {
        let run_all = read_optional(&p.path(RUN_ALL))?;
        if run_all.is_some_and(|b| runall::is_integrated(&String::from_utf8_lossy(&b))) {
            return Err(PatchError::Inconsistent(format!(
                "{RUN_ALL} has a Stage 4 block but there is no marker at {MARKER}: it was not applied by golive (or the marker was deleted); restore the file by hand"
            )));
        }
        plan.notes
            .push("Stage 4 is not applied here: nothing to roll back".into());
        return Ok(plan);
    };
    for (rel, record) in [(RUN_ALL, &marker.run_all), (TEST2, &marker.test2)] {
        let Some(record) = record else { continue };
        let path = p.path(rel);
        let current = read_optional(&path)?;
        let backup_path = p.backup(rel);
        let backup = if record.backup {
            read_optional(&backup_path)?
        } else {
            None
        };
        let original: Option<Vec<u8>> = match (&record.before, &backup) {
            (None, _) => None,
            (Some(_), Some(b)) => Some(b.clone()),
            (Some(_), None) => {
                // No backup: undo our own edit when the file is exactly as apply left it.
                let reverted = current
                    .as_deref()
                    .filter(|c| sha256_hex(c) == record.after && rel == RUN_ALL)
                    .and_then(|c| runall::revert(&String::from_utf8_lossy(c)));
                Some(
                    reverted
                        .ok_or_else(|| PatchError::BackupMissing {
                            path: backup_path.display().to_string(),
                        })?
                        .into_bytes(),
                )
            }
        };
        if let (Some(before_sha), Some(orig)) = (&record.before, &original) {
            if &sha256_hex(orig) != before_sha {
                return Err(PatchError::Inconsistent(format!(
                    "backup {} does not match the marker's hash of the original",
                    backup_path.display()
                )));
            }
        }
        let drifted = current.as_deref().map(sha256_hex) != Some(record.after.clone());
        if drifted {
            let applied = patched_from(rel, original.as_deref()).unwrap_or_default();
            let shown = Plan {
                ops: vec![Op::Write {
                    path: path.clone(),
                    before: Some(applied),
                    after: current.clone().unwrap_or_default(),
                }],
                notes: vec![],
            };
            if !force {
                return Err(PatchError::Drifted {
                    path: rel.into(),
                    diff: shown.diff(&p.root),
                });
            }
            if let Some(edited) = &current {
                let keep = p.path(&format!("{rel}.golive-edited-{}", now.replace(':', "")));
                plan.ops.push(Op::CreateNew {
                    path: keep.clone(),
                    bytes: edited.clone(),
                });
                plan.notes.push(format!(
                    "{rel}: edited since apply; your version is saved as {}",
                    keep.display()
                ));
            }
        }
        match (original, current) {
            (Some(orig), current) => {
                plan.ops.push(Op::Write {
                    path: path.clone(),
                    before: current,
                    after: orig,
                });
                plan.notes.push(format!("{rel}: restored byte for byte"));
            }
            (None, Some(current)) => {
                plan.ops.push(Op::Remove {
                    path: path.clone(),
                    before: current,
                });
                plan.notes
                    .push(format!("{rel}: removed (apply had created it)"));
            }
            (None, None) => {}
        }
        if let Some(b) = backup {
            plan.ops.push(Op::Remove {
                path: backup_path,
                before: b,
            });
        }
    }
    let marker_path = p.path(MARKER);
    if let Some(m) = read_optional(&marker_path)? {
        plan.ops.push(Op::Remove {
            path: marker_path,
            before: m,
        });
    }
    Ok(plan)
}

/// Carries out a plan. On failure, the steps already taken are undone in reverse.
pub fn execute(plan: &Plan) -> Result<(), PatchError> {
    let mut done: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    let result = (|| {
        for op in &plan.ops {
            match op {
                Op::Write { path, after, .. } => {
                    let previous = read_optional(path)?;
                    write_atomic(path, after).map_err(|e| io_err(path, format!("{e:#}")))?;
                    done.push((path.clone(), previous));
                }
                Op::CreateNew { path, bytes } => {
                    if path.exists() {
                        return Err(PatchError::BackupExists {
                            path: path.display().to_string(),
                        });
                    }
                    write_atomic(path, bytes).map_err(|e| io_err(path, format!("{e:#}")))?;
                    done.push((path.clone(), None));
                }
                Op::Remove { path, before } => {
                    std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
                    done.push((path.clone(), Some(before.clone())));
                }
            }
        }
        Ok(())
    })();
    if result.is_err() {
        for (path, previous) in done.into_iter().rev() {
            let _ = match previous {
                Some(bytes) => write_atomic(&path, &bytes).map(|_| ()),
                None => std::fs::remove_file(&path).map_err(Into::into),
            };
        }
    }
    result
}

/// Where a project stands.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub lines: Vec<String>,
    /// Fully applied without drift, or cleanly not applied.
    pub consistent: bool,
}

pub fn status(p: &Project) -> Result<Status, PatchError> {
    let mut lines = Vec::new();
    let marker = p.marker()?;
    let run_all = read_optional(&p.path(RUN_ALL))?;
    let integrated = run_all
        .as_deref()
        .is_some_and(|b| runall::is_integrated(&String::from_utf8_lossy(b)));
    let test2 = read_optional(&p.path(TEST2))?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let rows = |id: &str, v: &str| test2.as_deref().is_some_and(|h| html::has_row(h, id, v));
    let backups: Vec<&str> = [RUN_ALL, TEST2]
        .into_iter()
        .filter(|r| p.backup(r).exists())
        .collect();
    let mut consistent = true;
    match &marker {
        Some(m) => lines.push(format!(
            "applied: yes, at {} by golive {} (marker {MARKER})",
            m.applied_at, m.golive_version
        )),
        None => lines.push("applied: no marker".into()),
    }
    lines.push(format!(
        "{RUN_ALL}: {}",
        match (&run_all, integrated) {
            (None, _) => "missing".to_string(),
            (Some(_), true) => "has the Stage 4 block".into(),
            (Some(_), false) => "no Stage 4 block".into(),
        }
    ));
    for (rel, rec, current) in [
        (
            RUN_ALL,
            marker.as_ref().and_then(|m| m.run_all.clone()),
            run_all.as_deref().map(sha256_hex),
        ),
        (
            TEST2,
            marker.as_ref().and_then(|m| m.test2.clone()),
            test2.as_deref().map(|t| sha256_hex(t.as_bytes())),
        ),
    ] {
        let Some(rec) = rec else { continue };
        let drift = current.as_deref() != Some(rec.after.as_str());
        if drift {
            consistent = false;
        }
        lines.push(format!(
            "{rel}: {}",
            if drift {
                "DRIFTED since apply (sha256 differs from the marker's)"
            } else {
                "as apply left it"
            }
        ));
        if rec.backup && !p.backup(rel).exists() {
            consistent = false;
            lines.push(format!("{rel}{BACKUP_SUFFIX}: MISSING"));
        }
    }
    lines.push(format!(
        "backups: {}",
        if backups.is_empty() {
            "none".to_string()
        } else {
            backups
                .iter()
                .map(|b| format!("{b}{BACKUP_SUFFIX}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    lines.push(format!(
        "{TEST2}: stage3 v0.3.0 row {}, stage4 v0.4.0 row {}",
        yes(rows("stage3", "v0.3.0")),
        yes(rows("stage4", "v0.4.0"))
    ));
    match (&marker, integrated) {
        (Some(m), false) if m.run_all.is_some() => {
            consistent = false;
            lines.push("half-applied: the marker says run_all.py was patched but its Stage 4 block is gone".into());
        }
        (None, true) => {
            consistent = false;
            lines
                .push("half-applied: run_all.py has a Stage 4 block but there is no marker".into());
        }
        (None, false) if !backups.is_empty() => {
            consistent = false;
            lines.push("half-applied: backups exist without a marker".into());
        }
        _ => {}
    }
    lines.push(format!(
        "state: {}",
        if consistent {
            "consistent"
        } else {
            "INCONSISTENT"
        }
    ));
    Ok(Status { lines, consistent })
}

fn yes(b: bool) -> &'static str {
    if b {
        "present"
    } else {
        "absent"
    }
}
