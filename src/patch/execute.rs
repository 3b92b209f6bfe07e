//! Carrying out a plan under the project lock: every step first checks that the file
//! holds the bytes the plan expects (compare-and-swap, against anyone who is not
//! golive), every write atomic and keeping permissions. A failure half way undoes the
//! steps already taken in reverse, each only where the file still holds exactly the
//! bytes this run wrote; what cannot be undone is named, and the marker (the journal)
//! still tells `golive patch status` and `golive patch rollback` where things stand.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::plan::{Op, Plan};
use super::{io_err, read_optional, PatchError, TEMP_PREFIX};
use crate::output::file::write_prefixed;

/// Test hook: a pause after every step, so that a test's SIGKILL can land between
/// any two of them.
const PAUSE_ENV: &str = "GOLIVE_TEST_PATCH_PAUSE_MS";

/// What one step left, for its undo.
struct Done {
    path: PathBuf,
    /// What the step left at `path` (`None`: nothing, or a directory).
    wrote: Option<Vec<u8>>,
    /// What was there before (`None`: nothing).
    previous: Option<Vec<u8>>,
    dir: bool,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PatchError> {
    write_prefixed(path, bytes, TEMP_PREFIX).map_err(|e| io_err(path, format!("{e:#}")))
}

fn changed(path: &Path) -> PatchError {
    PatchError::Inconsistent(format!(
        "{} changed while golive was patching (another program wrote it); what this run did was undone",
        path.display()
    ))
}

fn pause() -> Option<Duration> {
    std::env::var(PAUSE_ENV)
        .ok()?
        .parse()
        .ok()
        .map(Duration::from_millis)
}

/// Carries out a plan. On failure, the steps already taken are undone in reverse.
pub fn execute(plan: &Plan) -> Result<(), PatchError> {
    let pause = pause();
    let mut done: Vec<Done> = Vec::new();
    let step = |op: &Op, done: &mut Vec<Done>| -> Result<(), PatchError> {
        match op {
            Op::Write {
                path,
                before,
                after,
            } => {
                let previous = read_optional(path)?;
                if previous != *before {
                    return Err(changed(path));
                }
                write(path, after)?;
                done.push(Done {
                    path: path.clone(),
                    wrote: Some(after.clone()),
                    previous,
                    dir: false,
                });
            }
            Op::CreateNew { path, bytes } => {
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(PatchError::BackupExists {
                        path: path.display().to_string(),
                    });
                }
                write(path, bytes)?;
                done.push(Done {
                    path: path.clone(),
                    wrote: Some(bytes.clone()),
                    previous: None,
                    dir: false,
                });
            }
            Op::Remove { path, before } => {
                if read_optional(path)?.as_deref() != Some(before.as_slice()) {
                    return Err(changed(path));
                }
                std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
                done.push(Done {
                    path: path.clone(),
                    wrote: None,
                    previous: Some(before.clone()),
                    dir: false,
                });
            }
            Op::CreateDir { path } => {
                if path.is_dir() {
                    return Ok(());
                }
                std::fs::create_dir(path).map_err(|e| io_err(path, e))?;
                done.push(Done {
                    path: path.clone(),
                    wrote: None,
                    previous: None,
                    dir: true,
                });
            }
        }
        Ok(())
    };
    for op in &plan.ops {
        if let Err(e) = step(op, &mut done) {
            return Err(undo(done, e));
        }
        if let Some(p) = pause {
            std::thread::sleep(p);
        }
    }
    Ok(())
}

/// Undoes `done` in reverse, comparing before each undo; `cause` is why.
fn undo(done: Vec<Done>, cause: PatchError) -> PatchError {
    let mut left = Vec::new();
    for d in done.into_iter().rev() {
        if d.dir {
            // Only an empty directory goes: anything in it is someone's.
            let _ = std::fs::remove_dir(&d.path);
            continue;
        }
        let now = read_optional(&d.path).ok().flatten();
        if now != d.wrote {
            left.push(format!(
                "{} (changed since golive wrote it: left as it is)",
                d.path.display()
            ));
            continue;
        }
        let undone = match &d.previous {
            Some(bytes) => write(&d.path, bytes),
            None => std::fs::remove_file(&d.path).map_err(|e| io_err(&d.path, e)),
        };
        if let Err(e) = undone {
            left.push(format!("{} ({e})", d.path.display()));
        }
    }
    if left.is_empty() {
        return cause;
    }
    PatchError::Inconsistent(format!(
        "{cause}; and these could not be put back: {}. `golive patch status` says where the project stands and which command recovers it",
        left.join("; ")
    ))
}

/// Removes the temporary files a killed run left in the directories the patch writes.
pub fn remove_leftovers(dirs: &[PathBuf]) -> usize {
    let mut removed = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(TEMP_PREFIX)
                && entry.file_type().is_ok_and(|t| t.is_file())
                && std::fs::remove_file(entry.path()).is_ok()
            {
                removed += 1;
            }
        }
    }
    removed
}
