//! The Stage 4 integration patch.
//!
//! - [`runall`], [`html`]: the pure edits of `release_gate/run_all.py` and
//!   `public/test2.html`; [`files`]: the two files as one enum.
//! - [`marker`]: the self-checking record of what apply did.
//! - [`plan`]: what apply or rollback would do, computed without writing.
//! - [`execute`]: carries a plan out, comparing before every write and undoing what it
//!   did if a step fails.
//! - [`status`]: where a project stands, and the command that recovers it.
//!
//! Every command holds the project's lock (`flock` on the project root directory: no
//! lock file to explain, and released by the kernel if golive dies), so two operators
//! patching at once take turns, and each sees what the other left.

pub mod execute;
pub mod files;
pub mod html;
pub mod marker;
pub mod plan;
pub mod runall;
pub mod status;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use files::{PatchedFile, BACKUP_SUFFIX, MARKER, RUN_ALL, TEST2};

/// The prefix of the patch's temporary files, so that the next run can remove those a
/// crash left behind without touching anyone else's.
pub const TEMP_PREFIX: &str = ".golive-patch-";
use marker::{Marker, MarkerError};
use runall::ShapeError;

#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("{path} not found: run golive patch from the project root, or pass --root DIR")]
    Missing { path: String },
    #[error("--root {0}: no such directory")]
    NoRoot(String),
    #[error("{path}: {shape}")]
    Shape { path: String, shape: ShapeError },
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
    #[error("the marker {path} cannot be trusted: {why}. Nothing was changed. If the patched files are unedited, `golive patch rollback --from-backups` restores them after proving each is exactly golive's edit of its backup; otherwise restore them by hand from the {BACKUP_SUFFIX} files and delete the marker")]
    CorruptMarker { path: String, why: MarkerError },
    #[error("{0}")]
    Inconsistent(String),
    #[error("another golive is patching {root} (it holds the project's lock) and did not finish within {waited_s} s: nothing was changed; try again when it has finished")]
    Busy { root: String, waited_s: u64 },
}

impl PatchError {
    /// Refusals about the project's state (exit 1), as opposed to bad input (exit 2)
    /// or a failed write (exit 4).
    pub fn is_state(&self) -> bool {
        matches!(
            self,
            PatchError::Drifted { .. }
                | PatchError::Inconsistent(_)
                | PatchError::BackupMissing { .. }
                | PatchError::CorruptMarker { .. }
                | PatchError::BackupExists { .. }
        )
    }
}

pub(crate) fn io_err(path: &Path, e: impl std::fmt::Display) -> PatchError {
    PatchError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PatchError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

/// A project's files, by role.
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    /// A project at `root`, which must be an existing directory.
    pub fn open(root: impl Into<PathBuf>) -> Result<Project, PatchError> {
        let root = root.into();
        if !root.is_dir() {
            return Err(PatchError::NoRoot(root.display().to_string()));
        }
        Ok(Project { root })
    }

    /// The project's lock: exclusive for apply and rollback, shared for status and diff.
    pub fn lock(&self, exclusive: bool) -> Result<std::fs::File, PatchError> {
        const PATIENCE: Duration = Duration::from_secs(30);
        let held = if exclusive {
            crate::output::lock::directory(&self.root, PATIENCE)
        } else {
            crate::output::lock::directory_shared(&self.root, PATIENCE)
        };
        held.map_err(|e| io_err(&self.root, e))?
            .ok_or_else(|| PatchError::Busy {
                root: self.root.display().to_string(),
                waited_s: PATIENCE.as_secs(),
            })
    }

    /// The directories the patch writes in (where a killed run may leave a temporary file).
    pub fn dirs(&self) -> Vec<PathBuf> {
        [RUN_ALL, TEST2, MARKER]
            .iter()
            .filter_map(|rel| self.path(rel).parent().map(Path::to_path_buf))
            .collect()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn file(&self, f: PatchedFile) -> PathBuf {
        self.path(f.rel())
    }

    pub fn backup(&self, f: PatchedFile) -> PathBuf {
        self.path(&f.backup_rel())
    }

    /// The marker: `None` when there is none, an error when it cannot be trusted.
    pub fn marker(&self) -> Result<Option<Marker>, PatchError> {
        let path = self.path(MARKER);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        Marker::parse(&String::from_utf8_lossy(&bytes))
            .map(Some)
            .map_err(|why| PatchError::CorruptMarker {
                path: MARKER.into(),
                why,
            })
    }
}
