//! The golive binary: parse, set up logging, run the command, map the outcome to an
//! exit code (0 pass, 1 fail, 2 usage, 3 inconclusive, 4 runtime, 130 interrupted).

use std::process::ExitCode;

use clap::Parser;
use golive::cli::Cli;
use golive::exit::Exit;

fn main() -> ExitCode {
    // A bug should still read as one line, not a stack trace.
    std::panic::set_hook(Box::new(|info| eprintln!("golive: internal error: {info}")));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    golive::logging::init(cli.log_format, cli.verbose);
    match golive::commands::dispatch(cli.command) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("golive: error: {failure}");
            failure.exit.into()
        }
    }
}

/// Help and version print in full; every other parse error becomes one line, exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        // A bare `golive` or `golive patch`: the help is the useful answer.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            Exit::Usage.into()
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid usage");
            eprintln!("golive: {first} (see golive --help)");
            Exit::Usage.into()
        }
    }
}
