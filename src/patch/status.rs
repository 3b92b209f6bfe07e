//! Where a project stands: applied or not, an apply or rollback cut short, drift since
//! apply, backups, rows, leftovers, and whether the marker itself can be trusted. Every
//! problem names the one command that recovers from it.

use super::marker::{at, At, Journal, Marker};
use super::{read_optional, PatchError, PatchedFile, Project, MARKER, TEMP_PREFIX};

#[derive(Clone, Debug, Default)]
pub struct Status {
    pub lines: Vec<String>,
    /// What keeps the project from being consistent, one short phrase each, with the
    /// command that recovers.
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
            problems.push(format!(
                "the marker cannot be trusted ({why}): `golive patch rollback --from-backups` restores the files it can prove"
            ));
            lines.push(format!("marker: CORRUPT ({MARKER}: {why})"));
            None
        }
        Err(e) => return Err(e),
    };
    let marker_present = p.path(MARKER).exists();
    match &marker {
        Some(m) => {
            lines.push(match m.state {
                Journal::Applied => format!(
                    "applied: yes, at {} by golive {} (marker {MARKER})",
                    m.applied_at, m.golive_version
                ),
                Journal::Applying => format!(
                    "applied: CUT SHORT (an apply started at {} did not finish)",
                    m.applied_at
                ),
                Journal::RollingBack => {
                    "applied: ROLLING BACK (a rollback did not finish)".to_string()
                }
            });
            match m.state {
                Journal::Applying => problems.push(
                    "an apply was cut short: `golive patch apply` finishes it, `golive patch rollback` undoes it".into(),
                ),
                Journal::RollingBack => problems
                    .push("a rollback was cut short: `golive patch rollback` finishes it".into()),
                Journal::Applied => {}
            }
        }
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
        let (Some(m), Some(rec)) = (
            &marker,
            marker.as_ref().and_then(|m| m.record(file).clone()),
        ) else {
            continue;
        };
        match (at(&rec, current.as_deref()), m.state) {
            (At::After, _) => lines.push(format!("{rel}: as apply left it")),
            (At::Before, Journal::Applied) => {
                problems.push(format!(
                    "{rel} is back to its original although the marker says applied: `golive patch rollback` finishes the rollback"
                ));
                lines.push(format!("{rel}: ORIGINAL, though the marker says applied"));
            }
            (At::Before, _) => lines.push(format!("{rel}: original")),
            (At::Neither, _) => {
                problems.push(format!(
                    "{rel} drifted since apply: `golive patch rollback --force` restores the original and keeps your version aside"
                ));
                lines.push(format!(
                    "{rel}: DRIFTED since apply (sha256 differs from the marker's)"
                ));
            }
        }
        if rec.backup && !p.backup(file).exists() && at(&rec, current.as_deref()) == At::After {
            problems.push(format!(
                "{} is missing: the original cannot be restored exactly",
                file.backup_rel()
            ));
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
        (Some(m), false, _) if m.run_all.is_some() && m.state == Journal::Applied => {
            problems.push("half-applied: the marker says run_all.py was patched but its Stage 4 block is gone: `golive patch rollback --force`".into());
        }
        (None, true, false) => {
            problems.push(
                "half-applied: run_all.py has a Stage 4 block but there is no marker: `golive patch rollback` restores it from its backup when it can prove it"
                    .into(),
            );
        }
        (None, false, false) if !backups.is_empty() => {
            problems.push("half-applied: backups exist without a marker: `golive patch rollback` restores from them after proving them".into());
        }
        _ => {}
    }
    for p in problems.iter().filter(|p| p.starts_with("half-applied")) {
        lines.push(p.clone());
    }
    let leftovers = leftovers(p);
    if leftovers > 0 {
        lines.push(format!(
            "temporary files: {leftovers} ({TEMP_PREFIX}*, left by a killed run; the next apply or rollback removes them)"
        ));
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

fn leftovers(p: &Project) -> usize {
    p.dirs()
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|entries| entries.flatten())
        .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
        .count()
}
