//! Carrying out a plan: every write atomic and keeping permissions; a failure half
//! way undoes the steps already taken, so the project is left as it was.

use std::path::PathBuf;

use super::plan::{Op, Plan};
use super::{io_err, read_optional, PatchError};
use crate::output::file::write as write_atomic;

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
