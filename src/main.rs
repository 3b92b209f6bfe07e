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

/// Help and version print in full (exit 0); a usage error is one line, clap's message
/// with its tips, naming the help to read (exit 2).
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
            console::errln(&one_line(&e.render().to_string()));
            Exit::Usage.into()
        }
    }
}

/// clap's error, its tips kept, its usage and "For more information" lines replaced by
/// the command whose help to read.
fn one_line(rendered: &str) -> String {
    // Paragraphs: the message (its lines, the missing arguments among them), tips, the
    // usage, the pointer to --help.
    let paragraphs: Vec<String> = rendered
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    let first = paragraphs
        .first()
        .map_or("invalid arguments", String::as_str);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let tips: Vec<&str> = paragraphs
        .iter()
        .skip(1)
        .filter(|p| p.starts_with("tip:"))
        .map(String::as_str)
        .collect();
    let tips = if tips.is_empty() {
        String::new()
    } else {
        format!(" ({})", tips.join("; "))
    };
    format!(
        "golive: error: {first}{tips}; see {} --help",
        command_named()
    )
}

/// `golive SUBCOMMAND [SUBCOMMAND]` as typed (the deepest one named), or `golive`.
fn command_named() -> String {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut path = String::from("golive");
    // Arguments that are not UTF-8 cannot name a subcommand (and must not panic here).
    for arg in std::env::args_os()
        .skip(1)
        .filter_map(|a| a.into_string().ok())
    {
        let Some(sub) = cmd
            .get_subcommands()
            .find(|c| c.get_name() == arg || c.get_all_aliases().any(|a| a == arg))
            .cloned()
        else {
            continue;
        };
        path.push(' ');
        path.push_str(sub.get_name());
        cmd = sub;
    }
    path
}
