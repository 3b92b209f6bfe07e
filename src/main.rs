//! The golive binary: parse, set up output and logging, run the command, exit with its
//! code (0 pass, 1 fail, 2 usage, 3 inconclusive, 4 could not run, 5 a ramp's rollback
//! failed, 130 interrupted).

use std::process::ExitCode;

use clap::Parser;
use golive::cli::{Cli, ColorWhen};
use golive::exit::Exit;
use golive::output::console;

fn main() -> ExitCode {
    // A bug should still read as one line, not a stack trace, even on a closed stderr.
    std::panic::set_hook(Box::new(|info| {
        console::errln(&format!("golive: internal error: {info}"))
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    console::set_color(match cli.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    });
    golive::logging::init(cli.log_format, cli.verbose);
    golive::commands::dispatch(cli.command).into()
}

/// Help and version print in full (exit 0); a usage error keeps clap's whole message,
/// with its tips and suggestions (exit 2).
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let rendered = e.render().ansi().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            console::out(&rendered);
            ExitCode::SUCCESS
        }
        // A bare `golive` or `golive patch`: the help is the useful answer.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            console::err(&rendered);
            Exit::Usage.into()
        }
        _ => {
            console::err(&rendered);
            Exit::Usage.into()
        }
    }
}
