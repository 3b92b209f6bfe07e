//! What apply or rollback would do, computed from the project without writing: the
//! steps ([`Op`]), what they mean for the user, and the diff they make.

use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::marker::{FileRecord, Marker};
use super::runall::ShapeError;
use super::status::status;
use super::{read_optional, sha256_hex, PatchError, PatchedFile, Project, MARKER};

/// One step of a plan.
#[derive(Clone, Debug)]
pub enum Op {
    /// Write `after` to `path` (atomically); `before` is what is there now.
    Write {
        path: PathBuf,
        before: Option<Vec<u8>>,
        after: Vec<u8>,
    },
    /// Create a backup (or a saved copy); fails if something is already there.
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

    /// A unified diff of every file the plan edits, paths relative to `root`; copies
    /// it creates (backups) and files it removes are listed in one line each.
    pub fn diff(&self, root: &Path) -> String {
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        let mut out = String::new();
        let mut listed = Vec::new();
        for op in &self.ops {
            match op {
                Op::Write {
                    path,
                    before,
                    after,
                } => {
                    let name = rel(path);
                    let a = String::from_utf8_lossy(before.as_deref().unwrap_or_default());
                    let b = String::from_utf8_lossy(after);
                    out.push_str(
                        &TextDiff::from_lines(a.as_ref(), b.as_ref())
                            .unified_diff()
                            .context_radius(3)
                            .header(&format!("a/{name}"), &format!("b/{name}"))
                            .to_string(),
                    );
                }
                Op::CreateNew { path, bytes } => listed.push(format!(
                    "create {} ({} bytes, a copy of the original)",
                    rel(path),
                    bytes.len()
                )),
                Op::Remove { path, .. } => listed.push(format!("remove {}", rel(path))),
            }
        }
        for line in listed {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

fn utf8(file: PatchedFile, bytes: &[u8]) -> Result<String, PatchError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| PatchError::Shape {
        path: file.rel().into(),
        shape: ShapeError::NotUtf8,
    })
}

/// Refuses files without write permission bits, even for root (who could write them).
fn ensure_writable(path: &Path) -> Result<(), PatchError> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o222 == 0 => Err(PatchError::ReadOnly {
            path: path.display().to_string(),
        }),
        Ok(_) => Ok(()),
        Err(e) => Err(super::io_err(path, e)),
    }
}

/// Plans `apply`: the Stage 4 block in run_all.py, the stage3/stage4 rows in
/// test2.html, backups and the marker. An empty plan means nothing is left to do.
/// A drifted or half-applied project is refused: apply never builds on a state it
/// cannot account for.
pub fn plan_apply(p: &Project, now: &str) -> Result<Plan, PatchError> {
    let run_all_path = p.file(PatchedFile::RunAll);
    if read_optional(&run_all_path)?.is_none() {
        return Err(PatchError::Missing {
            path: run_all_path.display().to_string(),
        });
    }
    let state = status(p)?;
    if !state.consistent {
        return Err(PatchError::Inconsistent(format!(
            "the project is not in a state apply can build on ({}): see `golive patch status`; roll back first (`golive patch rollback`, with --force to keep edits aside), then apply",
            state.problems.join("; ")
        )));
    }
    let mut plan = Plan::default();
    let mut marker = p.marker()?.unwrap_or(Marker {
        applied_at: now.into(),
        golive_version: env!("CARGO_PKG_VERSION").into(),
        run_all: None,
        test2: None,
    });
    marker.applied_at = now.into();
    for file in PatchedFile::ALL {
        let path = p.file(file);
        let existing = read_optional(&path)?;
        let text = existing.as_deref().map(|b| utf8(file, b)).transpose()?;
        if text.as_deref().is_some_and(|t| file.is_integrated(t)) {
            plan.notes
                .push(format!("{}: Stage 4 already integrated", file.rel()));
            continue;
        }
        let patched = file
            .apply(text.as_deref())
            .map_err(|shape| PatchError::Shape {
                path: file.rel().into(),
                shape,
            })?;
        if let Some(before) = &existing {
            ensure_writable(&path)?;
            backup_op(p, file, before, &mut plan)?;
        }
        *marker.record_mut(file) = Some(FileRecord {
            before: existing.as_deref().map(sha256_hex),
            after: sha256_hex(patched.as_bytes()),
            backup: existing.is_some(),
        });
        plan.notes.push(match (file, &existing) {
            (PatchedFile::RunAll, _) => format!(
                "{}: Stage 4 tail-runner added after the original gate (backup: {})",
                file.rel(),
                file.backup_rel()
            ),
            (PatchedFile::Test2, Some(_)) => format!(
                "{}: stage3 and stage4 rows recorded (backup: {})",
                file.rel(),
                file.backup_rel()
            ),
            (PatchedFile::Test2, None) => {
                format!("{}: new page with the stage3 and stage4 rows", file.rel())
            }
        });
        plan.ops.push(Op::Write {
            path,
            before: existing,
            after: patched.into_bytes(),
        });
    }
    if !plan.is_empty() {
        let marker_path = p.path(MARKER);
        plan.ops.push(Op::Write {
            before: read_optional(&marker_path)?,
            path: marker_path,
            after: marker.to_text().into_bytes(),
        });
    }
    Ok(plan)
}

fn backup_op(
    p: &Project,
    file: PatchedFile,
    original: &[u8],
    plan: &mut Plan,
) -> Result<(), PatchError> {
    let path = p.backup(file);
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

/// How rollback may establish what the originals were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The marker's hashes (the normal case).
    Marker,
    /// `--from-backups`: no trustworthy marker; each file must be proven to be exactly
    /// what apply makes of its backup before anything is restored.
    Backups,
}

/// Plans `rollback`: each file back to its original bytes, backups and marker removed.
/// A file edited since apply is refused (with the diff) unless `force`, which saves
/// the edited file beside the original as `<file>.golive-edited-<timestamp>`.
pub fn plan_rollback(
    p: &Project,
    force: bool,
    trust: Trust,
    now: &str,
) -> Result<Plan, PatchError> {
    let marker = match (trust, p.marker()) {
        (Trust::Marker, m) => m?,
        (Trust::Backups, _) => return plan_from_backups(p),
    };
    let mut plan = Plan::default();
    let Some(marker) = marker else {
        let run_all = read_optional(&p.file(PatchedFile::RunAll))?;
        if run_all.is_some_and(|b| PatchedFile::RunAll.is_integrated(&String::from_utf8_lossy(&b)))
        {
            return Err(PatchError::Inconsistent(format!(
                "{} has a Stage 4 block but there is no marker at {MARKER}: it was not applied by golive (or the marker was deleted); `golive patch rollback --from-backups` restores it if it is exactly golive's edit of its backup",
                PatchedFile::RunAll.rel()
            )));
        }
        return Ok(plan);
    };
    for file in PatchedFile::ALL {
        let Some(record) = marker.record(file) else {
            continue;
        };
        let rel = file.rel();
        let path = p.file(file);
        let current = read_optional(&path)?;
        let backup_path = p.backup(file);
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
                    .filter(|c| sha256_hex(c) == record.after && file == PatchedFile::RunAll)
                    .and_then(|c| super::runall::revert(&String::from_utf8_lossy(c)));
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
                    "backup {} does not match the marker's hash of the original: restore by hand",
                    backup_path.display()
                )));
            }
        }
        if current.as_deref().map(sha256_hex).as_deref() != Some(record.after.as_str()) {
            let applied = original
                .as_deref()
                .map(|o| String::from_utf8_lossy(o).into_owned());
            let applied = file.apply(applied.as_deref()).unwrap_or_default();
            let shown = Plan {
                ops: vec![Op::Write {
                    path: path.clone(),
                    before: Some(applied.into_bytes()),
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
                plan.notes.push(format!(
                    "{rel}: edited since apply; your version is saved as {}",
                    keep.display()
                ));
                plan.ops.push(Op::CreateNew {
                    path: keep,
                    bytes: edited.clone(),
                });
            }
        }
        restore_ops(
            &mut plan,
            file,
            path,
            current,
            original,
            backup.map(|b| (backup_path, b)),
        );
    }
    remove_marker(p, &mut plan)?;
    Ok(plan)
}

/// The steps that put one file back and remove its backup.
fn restore_ops(
    plan: &mut Plan,
    file: PatchedFile,
    path: PathBuf,
    current: Option<Vec<u8>>,
    original: Option<Vec<u8>>,
    backup: Option<(PathBuf, Vec<u8>)>,
) {
    let rel = file.rel();
    match (original, current) {
        (Some(orig), current) => {
            plan.ops.push(Op::Write {
                path,
                before: current,
                after: orig,
            });
            plan.notes.push(format!("{rel}: restored byte for byte"));
        }
        (None, Some(current)) => {
            plan.ops.push(Op::Remove {
                path,
                before: current,
            });
            plan.notes
                .push(format!("{rel}: removed (apply had created it)"));
        }
        (None, None) => {}
    }
    if let Some((path, bytes)) = backup {
        plan.ops.push(Op::Remove {
            path,
            before: bytes,
        });
    }
}

/// `--from-backups`: with no marker to trust, a file is restored only when applying
/// golive's (deterministic) edit to its backup gives exactly the current file, which
/// proves the backup is its original. Anything unproven refuses the whole rollback.
fn plan_from_backups(p: &Project) -> Result<Plan, PatchError> {
    let mut plan = Plan::default();
    for file in PatchedFile::ALL {
        let path = p.file(file);
        let current = read_optional(&path)?;
        let backup_path = p.backup(file);
        let backup = read_optional(&backup_path)?;
        let Some(cur) = current.as_deref() else {
            continue;
        };
        let cur_text = String::from_utf8_lossy(cur);
        if !file.is_integrated(&cur_text) {
            continue;
        }
        let original_text = backup
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let proven = file
            .apply(original_text.as_deref())
            .is_ok_and(|made| made.as_bytes() == cur);
        // Only the page may have been created by apply (no backup).
        if !proven || (backup.is_none() && file == PatchedFile::RunAll) {
            return Err(PatchError::Inconsistent(format!(
                "{}: not exactly what golive's apply makes of {}: cannot prove the original; restore it by hand",
                file.rel(),
                if backup.is_some() { file.backup_rel() } else { "a missing backup".into() }
            )));
        }
        restore_ops(
            &mut plan,
            file,
            path,
            current,
            backup.clone(),
            backup.map(|b| (backup_path, b)),
        );
    }
    if plan.is_empty() {
        return Err(PatchError::Inconsistent(
            "no file carries golive's Stage 4 edit: nothing to restore from backups".into(),
        ));
    }
    plan.notes.push(format!(
        "the marker was not trusted: each file was proven to be exactly golive's edit of its backup before it was restored; {MARKER} removed"
    ));
    remove_marker(p, &mut plan)?;
    Ok(plan)
}

/// The last step of every rollback: the marker goes.
fn remove_marker(p: &Project, plan: &mut Plan) -> Result<(), PatchError> {
    let path = p.path(MARKER);
    if let Some(before) = read_optional(&path)? {
        plan.ops.push(Op::Remove { path, before });
    }
    Ok(())
}
