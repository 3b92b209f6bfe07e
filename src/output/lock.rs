//! Advisory locks (`flock`) around state that decides a release: the kernel releases
//! them when the holder dies, so a crash never leaves a lock that must be cleared by
//! hand.
//!
//! A lock *file* may be removed by whoever holds it; a process that opened the old file
//! before its removal would then lock a file nobody else sees, so every acquisition
//! checks, once locked, that the path still names the file it locked (and retries if
//! not): the usual pattern for removable lock files.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct Held {
    file: File,
    path: PathBuf,
}

impl Held {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the lock file while it is still held (see the module doc).
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Takes the exclusive lock on the file at `path` (created if need be) when it is free:
/// `Ok(None)` when another process holds it.
pub fn try_exclusive(path: &Path) -> io::Result<Option<Held>> {
    loop {
        let file = open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        if same_file(&file, path) {
            return Ok(Some(Held {
                file,
                path: path.to_path_buf(),
            }));
        }
    }
}

/// Takes the exclusive lock on the file at `path`, waiting for it up to `patience`:
/// `Ok(None)` when it was still held by then.
pub fn exclusive(path: &Path, patience: Duration) -> io::Result<Option<Held>> {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(held) = try_exclusive(path)? {
            return Ok(Some(held));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether some process holds the lock at `path` (a file that does not exist is free).
/// Creates nothing, and takes nothing: it reads the kernel's table of locks, so that
/// asking never makes the holder-to-be find the lock taken.
pub fn is_held(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    let Ok(table) = std::fs::read_to_string("/proc/locks") else {
        // No table to read: try the lock, and let go at once.
        let Ok(file) = OpenOptions::new().write(true).open(path) else {
            return false;
        };
        return matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock));
    };
    // glibc's major()/minor() encoding, as /proc/locks prints them.
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let id = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    table
        .lines()
        .any(|l| l.contains("FLOCK") && l.split_whitespace().any(|f| f == id))
}

/// Locks a directory itself (exclusive), creating no file: for a project whose files
/// golive edits, where a lock file would be one more file to explain.
pub fn directory(dir: &Path, patience: Duration) -> io::Result<Option<File>> {
    let deadline = Instant::now() + patience;
    let file = File::open(dir)?;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// A shared lock on a directory (readers, such as `status`), waiting up to `patience`.
pub fn directory_shared(dir: &Path, patience: Duration) -> io::Result<Option<File>> {
    let deadline = Instant::now() + patience;
    let file = File::open(dir)?;
    loop {
        match file.try_lock_shared() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_a_removed_lock_file_is_not_shared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let a = try_exclusive(&path).unwrap().expect("free");
        assert!(is_held(&path));
        assert!(try_exclusive(&path).unwrap().is_none());
        a.remove();
        assert!(!path.exists() && !is_held(&path));
        let b = exclusive(&path, Duration::from_millis(50)).unwrap();
        assert!(b.is_some());
    }

    #[test]
    fn a_directory_lock_excludes_another() {
        let dir = tempfile::tempdir().unwrap();
        let a = directory(dir.path(), Duration::ZERO).unwrap();
        assert!(a.is_some());
        assert!(directory(dir.path(), Duration::from_millis(30))
            .unwrap()
            .is_none());
        assert!(directory_shared(dir.path(), Duration::ZERO)
            .unwrap()
            .is_none());
        drop(a);
        assert!(directory_shared(dir.path(), Duration::ZERO)
            .unwrap()
            .is_some());
    }
}
