//! `golive workload from-vegeta | from-har | from-log`: the importers, reading a file
//! and writing a workload file (standard output, or `-o`); what was left out, and
//! what to supply, is said on stderr.

use anyhow::anyhow;

use super::Finished;
use crate::cli::{ImportArgs, WorkloadAction};
use crate::exit::{self, Failure};
use crate::output::{console, Dest};
use crate::workload::import;

pub fn run(action: &WorkloadAction) -> exit::Result<Finished> {
    let args = match action {
        WorkloadAction::FromVegeta(a) => a,
        WorkloadAction::FromHar(h) => &h.import,
        WorkloadAction::FromLog(l) => &l.import,
    };
    if args.top == 0 {
        return Err(Failure::usage(anyhow!("--top must be at least 1")));
    }
    let read = |kind| {
        crate::input::read(&args.file, kind)
            .map_err(|e| Failure::usage(anyhow!("{}: {e}", args.file.display())))
    };
    let text = |bytes: Vec<u8>| {
        String::from_utf8(bytes)
            .map_err(|_| Failure::usage(anyhow!("{}: not UTF-8 text", args.file.display())))
    };
    let imported = match action {
        WorkloadAction::FromVegeta(_) => {
            import::from_vegeta(&args.file, &text(read(crate::input::TEXT)?)?, args.top)
        }
        WorkloadAction::FromHar(h) => import::from_har(
            &args.file,
            &read(crate::input::RESULT)?,
            h.keep_static,
            args.top,
        ),
        WorkloadAction::FromLog(l) => import::from_log(
            &args.file,
            &text(read(crate::input::RESULT)?)?,
            l.base.as_deref(),
            args.top,
        ),
    }
    .map_err(|e| Failure::usage(anyhow!(e)))?;
    for note in &imported.notes {
        console::errln(&format!("golive: {note}"));
    }
    Ok(output(args, imported.toml))
}

fn output(args: &ImportArgs, toml: String) -> Finished {
    match &args.output {
        Some(path) => Finished::done("")
            .file(Dest::parse(path), toml.into_bytes())
            .announce_files(),
        None => Finished::done(toml),
    }
}
