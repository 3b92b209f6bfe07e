//! `qa/_aggregate/stage4_patch_applied.txt`: what was patched, when, by which golive,
//! and the hashes that make rollback exact and drift detectable. Its last line is the
//! sha256 of everything above it, so a torn or hand-edited marker is detected rather
//! than half-read.
//!
//! It is also the patch's journal: apply writes it (`state: applying`) before it
//! touches any file and rewrites it (`applied`) when done; rollback rewrites it
//! (`rolling back`) before it restores anything and removes it last. So a crash at any
//! instant leaves a marker that says what was under way, and every file at its
//! `before` or its `after` hash: enough to finish or undo the work exactly.

use super::files::PatchedFile;
use super::sha256_hex;

/// One file's part in the marker.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FileRecord {
    /// sha256 before apply; `None` when apply created the file.
    pub before: Option<String>,
    pub after: String,
    /// Whether a backup was made (it holds the `before` bytes).
    pub backup: bool,
}

/// What the marker's owner was doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Journal {
    /// apply started and has not finished (a crash, a kill, a full disk).
    Applying,
    /// apply finished.
    Applied,
    /// rollback started and has not finished.
    RollingBack,
}

impl Journal {
    pub fn as_str(self) -> &'static str {
        match self {
            Journal::Applying => "applying",
            Journal::Applied => "applied",
            Journal::RollingBack => "rolling back",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub state: Journal,
    pub applied_at: String,
    pub golive_version: String,
    pub run_all: Option<FileRecord>,
    pub test2: Option<FileRecord>,
}

const CHECKSUM: &str = "checksum: sha256:";

/// Why a marker cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkerError {
    #[error("it has no checksum line (cut short, or written by hand)")]
    NoChecksum,
    #[error("its checksum does not match its content (cut short or edited)")]
    Mismatch,
    #[error("it lacks the field '{0}'")]
    Field(String),
}

impl Marker {
    pub fn record(&self, file: PatchedFile) -> &Option<FileRecord> {
        match file {
            PatchedFile::RunAll => &self.run_all,
            PatchedFile::Test2 => &self.test2,
        }
    }

    pub fn record_mut(&mut self, file: PatchedFile) -> &mut Option<FileRecord> {
        match file {
            PatchedFile::RunAll => &mut self.run_all,
            PatchedFile::Test2 => &mut self.test2,
        }
    }

    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "Stage 4 – Production Go-Live (v0.4.0) integrated by `golive patch apply`.\n\
             `golive patch rollback` restores the files below from their backups.\n\n",
        );
        out.push_str(&format!(
            "state: {}\napplied_at: {}\ngolive_version: {}\n",
            self.state.as_str(),
            self.applied_at,
            self.golive_version
        ));
        for file in PatchedFile::ALL {
            let Some(rec) = self.record(file) else {
                continue;
            };
            let (key, path) = (file.key(), file.rel());
            out.push_str(&format!("{key}.path: {path}\n"));
            out.push_str(&format!(
                "{key}.sha256_before: {}\n",
                rec.before.as_deref().unwrap_or("none (created by apply)")
            ));
            out.push_str(&format!("{key}.sha256_after: {}\n", rec.after));
            let backup = if rec.backup {
                file.backup_rel()
            } else {
                "none".into()
            };
            out.push_str(&format!("{key}.backup: {backup}\n"));
        }
        let sum = sha256_hex(out.as_bytes());
        out.push_str(&format!("{CHECKSUM}{sum}\n"));
        out
    }

    /// Parses a marker, checking its checksum first: nothing of a marker that does
    /// not check out is believed.
    pub fn parse(text: &str) -> Result<Marker, MarkerError> {
        let body_end = text.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
        let last = text[body_end..].trim_end();
        let sum = last.strip_prefix(CHECKSUM).ok_or(MarkerError::NoChecksum)?;
        if sha256_hex(&text.as_bytes()[..body_end]) != sum {
            return Err(MarkerError::Mismatch);
        }
        let body = &text[..body_end];
        let get = |k: &str| {
            body.lines().find_map(|l| {
                l.strip_prefix(&format!("{k}: "))
                    .map(|v| v.trim().to_string())
            })
        };
        let need = |k: &str| get(k).ok_or_else(|| MarkerError::Field(k.to_string()));
        let record = |file: PatchedFile| -> Result<Option<FileRecord>, MarkerError> {
            let key = file.key();
            if get(&format!("{key}.path")).is_none() {
                return Ok(None);
            }
            let before = need(&format!("{key}.sha256_before"))?;
            Ok(Some(FileRecord {
                before: (!before.starts_with("none")).then_some(before),
                after: need(&format!("{key}.sha256_after"))?,
                backup: need(&format!("{key}.backup"))? != "none",
            }))
        };
        // Markers written before the journal line were only ever written when done.
        let state = match get("state").as_deref() {
            None | Some("applied") => Journal::Applied,
            Some("applying") => Journal::Applying,
            Some("rolling back") => Journal::RollingBack,
            Some(_) => return Err(MarkerError::Field("state".into())),
        };
        Ok(Marker {
            state,
            applied_at: need("applied_at")?,
            golive_version: need("golive_version")?,
            run_all: record(PatchedFile::RunAll)?,
            test2: record(PatchedFile::Test2)?,
        })
    }
}

/// Where a recorded file stands: at its `before`, at its `after`, or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    Before,
    After,
    Neither,
}

pub fn at(rec: &FileRecord, current: Option<&[u8]>) -> At {
    let h = current.map(sha256_hex);
    if h.as_deref() == Some(rec.after.as_str()) {
        At::After
    } else if h == rec.before {
        At::Before
    } else {
        At::Neither
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> Marker {
        Marker {
            state: Journal::Applying,
            applied_at: "2026-11-23T10:00:00Z".into(),
            golive_version: "0.1.0".into(),
            run_all: Some(FileRecord {
                before: Some("a".repeat(64)),
                after: "b".repeat(64),
                backup: true,
            }),
            test2: Some(FileRecord {
                before: None,
                after: "c".repeat(64),
                backup: false,
            }),
        }
    }

    #[test]
    fn round_trips() {
        assert_eq!(Marker::parse(&marker().to_text()), Ok(marker()));
        for state in [Journal::Applied, Journal::RollingBack] {
            let m = Marker { state, ..marker() };
            assert_eq!(Marker::parse(&m.to_text()), Ok(m));
        }
    }

    #[test]
    fn a_marker_without_a_state_line_was_applied() {
        let m = Marker {
            state: Journal::Applied,
            ..marker()
        };
        let text = m.to_text().replace("state: applied\n", "");
        let body_end = text.trim_end_matches('\n').rfind('\n').unwrap() + 1;
        let body = &text[..body_end];
        let old = format!("{body}{CHECKSUM}{}\n", sha256_hex(body.as_bytes()));
        assert_eq!(Marker::parse(&old), Ok(m));
    }

    #[test]
    fn every_cut_and_every_edit_is_detected() {
        let text = marker().to_text();
        for cut in 0..text.len() - 1 {
            if text.is_char_boundary(cut) {
                assert!(Marker::parse(&text[..cut]).is_err(), "cut at {cut}");
            }
        }
        let edited = text.replace(&"b".repeat(64), &"d".repeat(64));
        assert_eq!(Marker::parse(&edited), Err(MarkerError::Mismatch));
    }
}
