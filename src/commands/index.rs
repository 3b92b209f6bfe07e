//! `golive index`: records a gate's row in public/test2.html, atomically.

use anyhow::Context;

use super::Finished;
use crate::cli::IndexArgs;
use crate::exit::{self, Failure};
use crate::output::file;
use crate::patch::html::{self, Change, Row, Section};
use crate::patch::TEST2;

/// "stage4" → "Stage 4"; other ids are used as they are.
fn default_title(stage: &str) -> String {
    match stage {
        "stage3" => Section::stage3().title,
        "stage4" => Section::stage4().title,
        s => match s.strip_prefix("stage") {
            Some(n) if !n.is_empty() => format!("Stage {n}"),
            _ => s.to_string(),
        },
    }
}

/// The report beside the evidence: given, or report.html where a gate wrote its
/// summary.json (stage3 and stage4 write both into one directory).
fn report_link(args: &IndexArgs) -> Option<String> {
    match &args.report {
        Some(r) if r.is_empty() => None,
        Some(r) => Some(r.clone()),
        None => args
            .test
            .strip_suffix("summary.json")
            .filter(|dir| dir.is_empty() || dir.ends_with('/'))
            .map(|dir| format!("{dir}report.html")),
    }
}

pub fn run(args: &IndexArgs) -> exit::Result<Finished> {
    if args.stage.is_empty()
        || !args
            .stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Failure::usage(anyhow::anyhow!(
            "--stage '{}': use letters, digits, - or _ (e.g. stage4)",
            args.stage
        )));
    }
    if !args.root.is_dir() {
        return Err(Failure::usage(anyhow::anyhow!(
            "--root {}: no such directory",
            args.root.display()
        )));
    }
    // The page is also golive patch's: one project lock for both.
    let _lock = crate::output::lock::directory(&args.root, std::time::Duration::from_secs(30))
        .map_err(Failure::runtime)?
        .ok_or_else(|| {
            Failure::runtime(anyhow::anyhow!(
                "another golive is editing {} (it holds the project's lock): try again when it has finished",
                args.root.display()
            ))
        })?;
    let path = args.root.join(TEST2);
    let page = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| Failure::usage(anyhow::anyhow!("{} is not UTF-8 text", path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => html::minimal_page(),
        Err(e) => {
            return Err(Failure::runtime(
                anyhow::Error::new(e).context(format!("reading {}", path.display())),
            ))
        }
    };
    let section = Section {
        id: args.stage.clone(),
        title: args
            .title
            .clone()
            .unwrap_or_else(|| default_title(&args.stage)),
    };
    let row = Row {
        version: args.row_version.clone(),
        description: args.description.clone(),
        link: args.link.clone(),
        code: args.code.clone(),
        test: args.test.clone(),
        report: report_link(args),
    };
    let (out, change) = html::upsert(&page, &section, &row);
    if change != Change::Unchanged || !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating {}", dir.display()))
                .map_err(Failure::runtime)?;
        }
        file::write(&path, out.as_bytes())
            .with_context(|| format!("updating {}", path.display()))
            .map_err(Failure::runtime)?;
    }
    let what = change;
    Ok(Finished::done(format!(
        "{}: {} {} {what}\n",
        path.display(),
        args.stage,
        args.row_version
    )))
}
