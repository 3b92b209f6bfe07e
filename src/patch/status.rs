//! Where a project stands: applied or not, drift since apply, backups, rows, and
//! whether the marker itself can be trusted.

use super::marker::Marker;
use super::{read_optional, sha256_hex, PatchError, PatchedFile, Project, MARKER};

#[derive(Clone, Debug, Default)]
pub struct Status {
    pub lines: Vec<String>,
    /// What keeps the project from being consistent, one short phrase each.
    pub problems: Vec<String>,
    /// Fully applied without drift, or cleanly not applied.
    pub consistent: bool,
}

pub fn status(p: &Project) -> Result<Status, PatchError> {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let marker: Option<Marker> = match p.marker() {
        Ok(m) => m,
        Err(PatchError::CorruptMarker { why, .. }) => {
            problems.push(format!("the marker cannot be trusted: {why}"));
            lines.push(format!("marker: CORRUPT ({MARKER}: {why})"));
            None
        }
        Err(e) => return Err(e),
    };
    let marker_present = p.path(MARKER).exists();
    match &marker {
        Some(m) => lines.push(format!(
            "applied: yes, at {} by golive {} (marker {MARKER})",
            m.applied_at, m.golive_version
        )),
        None if !marker_present => lines.push("applied: no marker".into()),
        None => {}
    }
    let mut integrated = [false; 2];
    for (i, file) in PatchedFile::ALL.into_iter().enumerate() {
        let rel = file.rel();
        let current = read_optional(&p.file(file))?;
        integrated[i] = current
            .as_deref()
            .is_some_and(|b| file.is_integrated(&String::from_utf8_lossy(b)));
        lines.push(format!(
            "{rel}: {}",
            match (&current, integrated[i]) {
                (None, _) => "missing",
                (Some(_), true) => "has the Stage 4 integration",
                (Some(_), false) => "no Stage 4 integration",
            }
        ));
        let Some(rec) = marker.as_ref().and_then(|m| m.record(file).clone()) else {
            continue;
        };
        if current.as_deref().map(sha256_hex).as_deref() != Some(rec.after.as_str()) {
            problems.push(format!("{rel} drifted since apply"));
            lines.push(format!(
                "{rel}: DRIFTED since apply (sha256 differs from the marker's)"
            ));
        } else {
            lines.push(format!("{rel}: as apply left it"));
        }
        if rec.backup && !p.backup(file).exists() {
            problems.push(format!("{} is missing", file.backup_rel()));
            lines.push(format!("{}: MISSING", file.backup_rel()));
        }
    }
    let backups: Vec<String> = PatchedFile::ALL
        .into_iter()
        .filter(|f| p.backup(*f).exists())
        .map(PatchedFile::backup_rel)
        .collect();
    lines.push(format!(
        "backups: {}",
        if backups.is_empty() {
            "none".to_string()
        } else {
            backups.join(", ")
        }
    ));
    let run_all_integrated = integrated[0];
    match (&marker, run_all_integrated, marker_present) {
        (Some(m), false, _) if m.run_all.is_some() => {
            problems.push("half-applied: the marker says run_all.py was patched but its Stage 4 block is gone".into());
        }
        (None, true, false) => {
            problems
                .push("half-applied: run_all.py has a Stage 4 block but there is no marker".into());
        }
        (None, false, false) if !backups.is_empty() => {
            problems.push("half-applied: backups exist without a marker".into());
        }
        _ => {}
    }
    for p in problems.iter().filter(|p| p.starts_with("half-applied")) {
        lines.push(p.clone());
    }
    let consistent = problems.is_empty();
    lines.push(format!(
        "state: {}",
        if consistent {
            "consistent".to_string()
        } else {
            format!("INCONSISTENT ({})", problems.join("; "))
        }
    ));
    Ok(Status {
        lines,
        problems,
        consistent,
    })
}
