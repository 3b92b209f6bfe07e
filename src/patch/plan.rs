//! What apply or rollback would do, computed from the project without writing: the
//! steps ([`Op`]), what they mean for the user, and the diff they make.
//!
//! Every plan is a small transaction journaled in the marker: apply writes the marker
//! (`applying`) first and (`applied`) last; rollback writes it (`rolling back`) first
//! and removes it last. Each step names the bytes it expects to find, so that
//! [`super::execute`] can compare before it writes.

use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::marker::{at, At, FileRecord, Journal, Marker};
use super::runall::ShapeError;
use super::status::status;
use super::{read_optional, sha256_hex, PatchError, PatchedFile, Project, MARKER};

/// One step of a plan.
#[derive(Clone, Debug)]
pub enum Op {
    /// Write `after` to `path` (atomically); `before` is what must be there now.
    Write {
        path: PathBuf,
        before: Option<Vec<u8>>,
        after: Vec<u8>,
    },
    /// Create a backup (or a saved copy); fails if something is already there.
    CreateNew { path: PathBuf, bytes: Vec<u8> },
    /// Remove `path`, which must hold `before`.
    Remove { path: PathBuf, before: Vec<u8> },
    /// Create a directory golive owns (the marker's); removed on undo if still empty.
    CreateDir { path: PathBuf },
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

    /// A unified diff of every project file the plan edits, paths relative to `root`;
    /// copies it creates (backups) and files it removes are listed in one line each.
    /// The marker, golive's own journal, is not shown.
    pub fn diff(&self, root: &Path) -> String {
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        let marker = root.join(MARKER);
        let mut out = String::new();
        let mut listed = Vec::new();
        for op in &self.ops {
            match op {
                Op::Write { path, .. } | Op::Remove { path, .. } if *path == marker => {}
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
                Op::CreateDir { .. } => {}
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

fn hash(bytes: Option<&[u8]>) -> Option<String> {
    bytes.map(sha256_hex)
}

/// The directories a new file needs (its parents under the root), outermost first.
fn dirs_for(p: &Project, rel: &str, plan: &mut Plan) {
    let mut missing = Vec::new();
    let mut dir = p.path(rel).parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        if d == p.root || d.is_dir() {
            break;
        }
        missing.push(d.clone());
        dir = d.parent().map(Path::to_path_buf);
    }
    for d in missing.into_iter().rev() {
        plan.ops.push(Op::CreateDir { path: d });
    }
}

/// Plans `apply`: the Stage 4 block in run_all.py, the stage3/stage4 rows in
/// test2.html, backups and the marker. An empty plan means nothing is left to do.
/// An apply that was cut short (the marker says `applying`) is finished. A drifted,
/// half-applied or half-rolled-back project is refused: apply never builds on a state
/// it cannot account for.
pub fn plan_apply(p: &Project, now: &str) -> Result<Plan, PatchError> {
    let run_all_path = p.file(PatchedFile::RunAll);
    if read_optional(&run_all_path)?.is_none() {
        return Err(PatchError::Missing {
            path: run_all_path.display().to_string(),
        });
    }
    let existing = p.marker()?;
    let resuming = match &existing {
        Some(m) if m.state == Journal::RollingBack => {
            return Err(PatchError::Inconsistent(
                "a rollback was cut short (the marker says rolling back): `golive patch rollback` finishes it; then apply".into(),
            ))
        }
        Some(m) if m.state == Journal::Applying => true,
        _ => {
            let state = status(p)?;
            if !state.consistent {
                return Err(PatchError::Inconsistent(format!(
                    "the project is not in a state apply can build on ({}): see `golive patch status`; roll back first (`golive patch rollback`, with --force to keep edits aside), then apply",
                    state.problems.join("; ")
                )));
            }
            false
        }
    };
    let mut marker = existing.clone().unwrap_or(Marker {
        state: Journal::Applying,
        applied_at: now.into(),
        golive_version: env!("CARGO_PKG_VERSION").into(),
        run_all: None,
        test2: None,
    });
    marker.applied_at = now.into();
    marker.state = Journal::Applying;
    let mut files = Plan::default();
    for file in PatchedFile::ALL {
        let path = p.file(file);
        let current = read_optional(&path)?;
        let record = existing.as_ref().and_then(|m| m.record(file).clone());
        // The original: what the file was before any apply touched it.
        let original = match (&record, resuming) {
            (Some(rec), true) => match at(rec, current.as_deref()) {
                At::Before => current.clone(),
                At::After if rec.backup => {
                    let backup = read_optional(&p.backup(file))?;
                    if hash(backup.as_deref()) != rec.before {
                        return Err(PatchError::Inconsistent(format!(
                            "{} is missing or does not match the marker: `golive patch rollback` cannot restore it either; restore {} by hand",
                            file.backup_rel(),
                            file.rel()
                        )));
                    }
                    backup
                }
                At::After => None,
                At::Neither => {
                    return Err(PatchError::Inconsistent(format!(
                        "{} changed since an apply was cut short: `golive patch rollback --force` undoes that apply and keeps your version aside",
                        file.rel()
                    )))
                }
            },
            _ => {
                let text = current.as_deref().map(|b| utf8(file, b)).transpose()?;
                if text.as_deref().is_some_and(|t| file.is_integrated(t)) {
                    files
                        .notes
                        .push(format!("{}: Stage 4 already integrated", file.rel()));
                    continue;
                }
                current.clone()
            }
        };
        let text = original.as_deref().map(|b| utf8(file, b)).transpose()?;
        let patched = file
            .apply(text.as_deref())
            .map_err(|shape| PatchError::Shape {
                path: file.rel().into(),
                shape,
            })?
            .into_bytes();
        *marker.record_mut(file) = Some(FileRecord {
            before: hash(original.as_deref()),
            after: sha256_hex(&patched),
            backup: original.is_some(),
        });
        if let Some(orig) = &original {
            backup_op(p, file, orig, &mut files)?;
        }
        if current.as_deref() != Some(patched.as_slice()) {
            if current.is_some() {
                ensure_writable(&path)?;
            } else {
                dirs_for(p, file.rel(), &mut files);
            }
            files.ops.push(Op::Write {
                path,
                before: current,
                after: patched,
            });
        }
        files.notes.push(match (file, &original) {
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
    }
    if files.is_empty() && !resuming {
        return Ok(files);
    }
    if resuming {
        files
            .notes
            .push("an apply that was cut short is finished".into());
    }
    // The journal first: the marker says `applying` before any file changes.
    let mut plan = Plan::default();
    let marker_path = p.path(MARKER);
    let current_marker = read_optional(&marker_path)?;
    dirs_for(p, MARKER, &mut plan);
    let applying = marker.to_text().into_bytes();
    if current_marker.as_deref() != Some(applying.as_slice()) {
        plan.ops.push(Op::Write {
            path: marker_path.clone(),
            before: current_marker.clone(),
            after: applying.clone(),
        });
    }
    plan.ops.extend(files.ops);
    plan.notes = files.notes;
    marker.state = Journal::Applied;
    plan.ops.push(Op::Write {
        path: marker_path,
        before: Some(applying),
        after: marker.to_text().into_bytes(),
    });
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
    /// The marker's hashes (the normal case; with no marker, the backups as below).
    Marker,
    /// `--from-backups`: no trustworthy marker; each file must be proven to be its
    /// backup or exactly what apply makes of it before anything is restored.
    Backups,
}

/// Plans `rollback`: each file back to its original bytes, backups and marker removed.
/// A file edited since apply is refused (with the diff) unless `force`, which saves
/// the edited file beside the original as `<file>.golive-edited-<timestamp>`. A
/// rollback or apply that was cut short is finished (undone) the same way.
pub fn plan_rollback(
    p: &Project,
    force: bool,
    trust: Trust,
    now: &str,
) -> Result<Plan, PatchError> {
    let marker = match trust {
        Trust::Marker => p.marker()?,
        Trust::Backups => return plan_from_backups(p, true),
    };
    let Some(mut marker) = marker else {
        return plan_from_backups(p, false);
    };
    let marker_path = p.path(MARKER);
    let on_disk = read_optional(&marker_path)?.unwrap_or_default();
    let mut files = Plan::default();
    let mut backups = Vec::new();
    for file in PatchedFile::ALL {
        let Some(record) = marker.record(file).clone() else {
            continue;
        };
        let rel = file.rel();
        let path = p.file(file);
        let current = read_optional(&path)?;
        let backup_path = p.backup(file);
        let backup = read_optional(&backup_path)?;
        if let Some(b) = &backup {
            if record.before.is_none() || hash(Some(b)) != record.before {
                return Err(PatchError::Inconsistent(format!(
                    "backup {} does not match the marker's hash of the original: nothing was changed; restore {rel} by hand from it if it is yours",
                    backup_path.display()
                )));
            }
        }
        let place = at(&record, current.as_deref());
        if place == At::Before {
            if let Some(b) = backup {
                backups.push((backup_path, b));
            }
            continue;
        }
        let original: Option<Vec<u8>> = match (&record.before, backup.clone()) {
            (None, _) => None,
            (Some(_), Some(b)) => Some(b),
            (Some(_), None) => {
                // No backup: undo our own edit when the file is exactly as apply left it.
                let reverted = current
                    .as_deref()
                    .filter(|_| place == At::After && file == PatchedFile::RunAll)
                    .and_then(|c| super::runall::revert(&String::from_utf8_lossy(c)))
                    .filter(|r| hash(Some(r.as_bytes())) == record.before);
                Some(
                    reverted
                        .ok_or_else(|| PatchError::BackupMissing {
                            path: backup_path.display().to_string(),
                        })?
                        .into_bytes(),
                )
            }
        };
        if place == At::Neither {
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
                files.notes.push(format!(
                    "{rel}: edited since apply; your version is saved as {}",
                    keep.display()
                ));
                files.ops.push(Op::CreateNew {
                    path: keep,
                    bytes: edited.clone(),
                });
            }
        }
        restore_op(&mut files, file, path, current, original);
        if let Some(b) = backup {
            backups.push((backup_path, b));
        }
    }
    // The journal first, the backups after every file is back, the marker last.
    let mut plan = Plan::default();
    let mut journal = on_disk.clone();
    if marker.state != Journal::RollingBack {
        marker.state = Journal::RollingBack;
        journal = marker.to_text().into_bytes();
        plan.ops.push(Op::Write {
            path: marker_path.clone(),
            before: Some(on_disk),
            after: journal.clone(),
        });
    }
    plan.ops.extend(files.ops);
    plan.notes = files.notes;
    for (path, before) in backups {
        plan.ops.push(Op::Remove { path, before });
    }
    plan.ops.push(Op::Remove {
        path: marker_path,
        before: journal,
    });
    Ok(plan)
}

/// The step that puts one file back.
fn restore_op(
    plan: &mut Plan,
    file: PatchedFile,
    path: PathBuf,
    current: Option<Vec<u8>>,
    original: Option<Vec<u8>>,
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
}

/// No marker to trust (none, or `--from-backups` past a damaged one): a file is put
/// back only when it is provably its backup (apply was cut short before it wrote the
/// file) or exactly golive's (deterministic) edit of it. Anything unproven refuses the
/// whole rollback. A page with no backup is left alone unless it is exactly the page
/// apply creates.
fn plan_from_backups(p: &Project, explicit: bool) -> Result<Plan, PatchError> {
    let mut files = Plan::default();
    let mut backups = Vec::new();
    for file in PatchedFile::ALL {
        let path = p.file(file);
        let current = read_optional(&path)?;
        let backup_path = p.backup(file);
        let backup = read_optional(&backup_path)?;
        let integrated = current
            .as_deref()
            .is_some_and(|c| file.is_integrated(&String::from_utf8_lossy(c)));
        let made_from = |orig: Option<&[u8]>| {
            let text = orig.map(|b| String::from_utf8_lossy(b).into_owned());
            file.apply(text.as_deref())
                .is_ok_and(|made| Some(made.as_bytes()) == current.as_deref())
        };
        match &backup {
            Some(b) if current.as_deref() == Some(b.as_slice()) => {
                files.notes.push(format!(
                    "{}: already the original (apply was cut short before it)",
                    file.rel()
                ));
            }
            Some(b) if made_from(Some(b)) => {
                restore_op(&mut files, file, path, current, Some(b.clone()));
            }
            Some(_) => {
                return Err(PatchError::Inconsistent(format!(
                    "{}: neither its backup {} nor exactly what golive's apply makes of it: cannot prove the original; nothing was changed, restore it by hand",
                    file.rel(),
                    file.backup_rel()
                )))
            }
            None if !integrated => continue,
            None if file == PatchedFile::Test2 && made_from(None) => {
                restore_op(&mut files, file, path, current, None);
            }
            None if file == PatchedFile::Test2 => {
                files.notes.push(format!(
                    "{}: has Stage 4 rows but no backup: left as it is",
                    file.rel()
                ));
                continue;
            }
            None => {
                return Err(PatchError::Inconsistent(format!(
                    "{} has a Stage 4 block but no marker and no backup: it was not applied by golive (or they were deleted); nothing was changed, restore it by hand",
                    file.rel()
                )))
            }
        }
        if let Some(b) = backup {
            backups.push((backup_path, b));
        }
    }
    let marker_path = p.path(MARKER);
    let marker = read_optional(&marker_path)?;
    if files.is_empty() && backups.is_empty() && marker.is_none() {
        if explicit {
            return Err(PatchError::Inconsistent(
                "no file carries golive's Stage 4 edit and there are no backups: nothing to restore from backups".into(),
            ));
        }
        return Ok(Plan::default());
    }
    let mut plan = files;
    for (path, before) in backups {
        plan.ops.push(Op::Remove { path, before });
    }
    plan.notes.push(format!(
        "no trustworthy marker: each file was proven to be its backup, or exactly golive's edit of it, before it was restored{}",
        if marker.is_some() { format!("; {MARKER} removed") } else { String::new() }
    ));
    if let Some(before) = marker {
        plan.ops.push(Op::Remove {
            path: marker_path,
            before,
        });
    }
    Ok(plan)
}
