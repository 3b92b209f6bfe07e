//! Files golive reads, each with a documented cap: a path that names `/dev/zero`, a
//! FIFO or a runaway file is refused once past its cap, with the cap in the message,
//! instead of filling memory.

use std::io::Read;
use std::path::Path;

const MIB: u64 = 1024 * 1024;

/// What a file is, and how much of it golive reads at most.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub what: &'static str,
    pub cap: u64,
}

/// A request body (`--body-file`).
pub const BODY: Kind = Kind {
    what: "request body",
    cap: 64 * MIB,
};
/// A saved result (`golive report`, `golive merge`): an 8-hour run with a
/// per-second timeline stays far below it.
pub const RESULT: Kind = Kind {
    what: "result file",
    cap: 512 * MIB,
};
/// A ramp's state file.
pub const STATE: Kind = Kind {
    what: "ramp state file",
    cap: 256 * MIB,
};
/// A smoke checks file, an env example, a page golive edits.
pub const TEXT: Kind = Kind {
    what: "file",
    cap: 16 * MIB,
};
/// CA certificates (`--cacert`).
pub const PEM: Kind = Kind {
    what: "PEM file",
    cap: 4 * MIB,
};

fn human(bytes: u64) -> String {
    format!("{} MiB", bytes / MIB)
}

/// Reads `path` whole, refusing it past `kind.cap`.
pub fn read(path: &Path, kind: Kind) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(kind.cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > kind.cap {
        return Err(std::io::Error::other(format!(
            "over {}, the most golive reads of a {}",
            human(kind.cap),
            kind.what
        )));
    }
    Ok(bytes)
}

/// [`read`], as UTF-8 text.
pub fn read_text(path: &Path, kind: Kind) -> std::io::Result<String> {
    String::from_utf8(read(path, kind)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_at_its_cap() {
        let tiny = Kind {
            what: "test file",
            cap: 4096,
        };
        let err = read(Path::new("/dev/zero"), tiny).unwrap_err().to_string();
        assert!(
            err.contains("over 0 MiB") && err.contains("test file"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok");
        std::fs::write(&ok, vec![b'x'; 4096]).unwrap();
        assert_eq!(read(&ok, tiny).unwrap().len(), 4096);
    }
}
