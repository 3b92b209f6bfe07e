//! Files that a crash or a full disk never leaves half-written: a temporary file in the
//! same directory, fsync, then rename over the target. A new file gets the mode any
//! tool would give it (0666 less the umask, so 0644 usually); a replaced file keeps its
//! mode. A path that is not a regular file (a device, a FIFO, `/dev/stdout`) is
//! written in place, never replaced.
//!
//! golive creates files, not directories: a missing parent directory is an error
//! ([`check_writable`] finds it before any work starts), so a typo in a path never
//! leaves a new tree behind. The few directories golive owns (a gate's `--out`, the
//! patch marker's) are created by their commands, on purpose.

use std::fs::{OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The prefix of golive's temporary files (a crash may leave one behind).
pub const TEMP_PREFIX: &str = ".golive-";

pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_prefixed(path, bytes, TEMP_PREFIX)
}

/// [`write()`], its temporary file named `PREFIX…`, so that its owner can recognise (and
/// remove) one a crash left behind.
pub fn write_prefixed(path: &Path, bytes: &[u8], prefix: &str) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => write_in_place(path, bytes),
        Ok(meta) => write_atomic(&resolve_link(path), bytes, Some(meta.permissions()), prefix),
        Err(_) => write_atomic(path, bytes, None, prefix),
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn access(path: &Path, mode: libc::c_int) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access(2) reads the NUL-terminated path and nothing else.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

/// Whether golive could write `path` now, without creating anything: its directory
/// exists and is writable (or it is a device written in place). The reason, when not.
pub fn check_writable(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(format!("{} is a directory", path.display())),
        Ok(meta) if !meta.is_file() => {
            return if access(path, libc::W_OK) {
                Ok(())
            } else {
                Err(format!("{} is not writable", path.display()))
            }
        }
        _ => {}
    }
    let dir = parent_of(path);
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            if access(dir, libc::W_OK | libc::X_OK) {
                Ok(())
            } else {
                Err(format!(
                    "cannot write {}: the directory {} is not writable",
                    path.display(),
                    dir.display()
                ))
            }
        }
        Ok(_) => Err(format!(
            "cannot write {}: {} is not a directory",
            path.display(),
            dir.display()
        )),
        Err(_) => Err(format!(
            "cannot write {}: the directory {} does not exist (golive creates files, not directories: mkdir -p {})",
            path.display(),
            dir.display(),
            dir.display()
        )),
    }
}

/// Whether two paths name the same file (both must exist).
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// A path as it will be once written: the canonical directory and the file name (the
/// file itself may not exist yet). Two spellings of one destination compare equal.
pub fn canonical_dest(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (std::fs::canonicalize(parent_of(path)), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
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

fn write_atomic(
    path: &Path,
    bytes: &[u8],
    keep: Option<Permissions>,
    prefix: &str,
) -> anyhow::Result<()> {
    let dir = parent_of(path);
    if !dir.is_dir() {
        anyhow::bail!(
            "cannot write {}: the directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    // open(2) applies the umask to this mode, as it does for any file a user creates.
    let mut tmp = tempfile::Builder::new()
        .prefix(prefix)
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
    // The rename itself is durable only once the directory is: state that decides a
    // release must survive a power cut, not just a crash.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
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
    fn creates_no_directory_and_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("a/b/out.json");
        assert!(check_writable(&missing)
            .unwrap_err()
            .contains("does not exist"));
        assert!(write(&missing, b"x").is_err());
        assert!(!dir.path().join("a").exists(), "no directory was created");
        let path = dir.path().join("out.json");
        assert_eq!(check_writable(&path), Ok(()));
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
        assert!(format!("{err:#}").contains("does not exist"), "{err:#}");
        assert!(check_writable(&blocker.join("out.json"))
            .unwrap_err()
            .contains("not a directory"));
        assert!(check_writable(dir.path())
            .unwrap_err()
            .contains("directory"));
    }
}
