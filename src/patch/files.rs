//! The two files the patch edits, as one enum: where each lives, its backup, and the
//! pure edit that applies, reverts and recognises the Stage 4 integration in it.

use super::html::{self, Row, Section};
use super::runall;

pub const RUN_ALL: &str = "release_gate/run_all.py";
pub const TEST2: &str = "public/test2.html";
pub const MARKER: &str = "qa/_aggregate/stage4_patch_applied.txt";
pub const BACKUP_SUFFIX: &str = ".bak_stage4_v040";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchedFile {
    RunAll,
    Test2,
}

impl PatchedFile {
    pub const ALL: [PatchedFile; 2] = [PatchedFile::RunAll, PatchedFile::Test2];

    /// The file's path under the project root.
    pub fn rel(self) -> &'static str {
        match self {
            PatchedFile::RunAll => RUN_ALL,
            PatchedFile::Test2 => TEST2,
        }
    }

    /// Its key in the marker.
    pub fn key(self) -> &'static str {
        match self {
            PatchedFile::RunAll => "run_all",
            PatchedFile::Test2 => "test2",
        }
    }

    pub fn backup_rel(self) -> String {
        format!("{}{BACKUP_SUFFIX}", self.rel())
    }

    /// What apply makes of the file's original text (`None`: the file did not exist;
    /// only the page can be created). Deterministic, so rollback can prove its work.
    pub fn apply(self, original: Option<&str>) -> Result<String, runall::ShapeError> {
        match self {
            PatchedFile::RunAll => runall::apply(original.unwrap_or_default()),
            PatchedFile::Test2 => {
                let page = original.map_or_else(html::minimal_page, str::to_string);
                let (with3, _) = html::upsert(&page, &Section::stage3(), &Row::stage3());
                Ok(html::upsert(&with3, &Section::stage4(), &Row::stage4()).0)
            }
        }
    }

    /// Whether the text already carries the integration.
    pub fn is_integrated(self, text: &str) -> bool {
        match self {
            PatchedFile::RunAll => runall::is_integrated(text),
            PatchedFile::Test2 => {
                html::has_row(text, "stage3", "v0.3.0") && html::has_row(text, "stage4", "v0.4.0")
            }
        }
    }
}
