//! Files that a crash or a full disk never leaves half-written: a temporary file in the
//! same directory, fsync, then rename over the target. A new file gets the mode any
//! tool would give it (0666 less the umask, so 0644 usually); a replaced file keeps its
//! mode. A path that is not a regular file (a device, a FIFO, `/dev/stdout`) is
//! written in place, never replaced.

use std::fs::{OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => write_in_place(path, bytes),
        Ok(meta) => write_atomic(&resolve_link(path), bytes, Some(meta.permissions())),
        Err(_) => write_atomic(path, bytes, None),
    }
}

/// A symlink to a regular file is followed, so the link itself survives.
fn resolve_link(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

fn write_in_place(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.flush())
        .with_context(|| format!("writing {}", path.display()))
}

fn write_atomic(path: &Path, bytes: &[u8], keep: Option<Permissions>) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating directory {}", dir.display()))?;
    // open(2) applies the umask to this mode, as it does for any file a user creates.
    let mut tmp = tempfile::Builder::new()
        .prefix(".golive-")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("writing {}", path.display()))?;
    if let Some(perms) = keep {
        std::fs::set_permissions(tmp.path(), perms)
            .with_context(|| format!("keeping the mode of {}", path.display()))?;
    }
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Appends `bytes` to a file others write too (a CI step summary), creating it if need be.
pub fn append(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("opening {} to append", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.flush())
        .with_context(|| format!("appending to {}", path.display()))
}

/// Pretty JSON with a trailing newline.
pub fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("golive's results serialise");
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_into_new_directories_and_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.json");
        write(&path, b"first version, longer").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn new_files_are_readable_and_replaced_files_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.json");
        write(&path, b"x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // The umask may remove bits; it never leaves a file readable by its owner only
        // unless it says so, and the default umask (022) gives 0644.
        let umask = 0o666 & !mode;
        assert_eq!(mode, 0o666 & !umask);
        assert!(mode & 0o044 != 0 || umask & 0o044 != 0, "{mode:o}");
        std::fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        write(&path, b"y").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_symlink_survives_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_device_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        write(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[test]
    fn unwritable_target_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let err = write(&blocker.join("out.json"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("creating directory"), "{err:#}");
    }
}
