//! Where bytes go. Renderers return bytes; this module alone decides how they reach
//! the terminal ([`console`]) or a file ([`mod@file`]), so that a closed pipe, a full disk
//! or a device path behaves the same for every command.

pub mod console;
pub mod file;
pub mod lock;

use std::path::{Path, PathBuf};

/// An artifact's destination: `-` is standard output, anything else a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    Stdout,
    Path(PathBuf),
}

impl Dest {
    pub fn parse(path: &Path) -> Dest {
        if path.as_os_str() == "-" {
            Dest::Stdout
        } else {
            Dest::Path(path.to_path_buf())
        }
    }

    pub fn is_stdout(&self) -> bool {
        *self == Dest::Stdout
    }
}

impl std::fmt::Display for Dest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dest::Stdout => f.write_str("standard output"),
            Dest::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Writes `bytes` to `dest`: stdout through the console, a path through [`file::write`].
pub fn write(dest: &Dest, bytes: &[u8]) -> anyhow::Result<()> {
    match dest {
        Dest::Stdout => {
            console::out_raw(bytes);
            Ok(())
        }
        Dest::Path(p) => file::write(p, bytes),
    }
}
