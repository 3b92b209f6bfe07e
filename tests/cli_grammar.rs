//! One grammar across the commands: the target is the positional URL wherever there is
//! one (the seed scripts' `--base` and `--prod-url` stay as aliases), the shared output
//! flags mean the same on every command that has them, and no subcommand's flag shadows
//! a global one. Read from clap's own model of the CLI, and from `--help` as printed.

mod common;

use clap::CommandFactory;
use common::*;
use golive::cli::{Cli, JSON_HELP, NO_PROGRESS_HELP, STATUS_INTERVAL_HELP};

/// Every subcommand, nested ones included, with its path.
fn all_commands() -> Vec<(String, clap::Command)> {
    fn walk(prefix: &str, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{prefix} {}", sub.get_name()).trim().to_string();
            out.push((name.clone(), sub.clone()));
            walk(&name, sub, out);
        }
    }
    let mut out = Vec::new();
    let mut root = Cli::command();
    root.build();
    walk("", &root, &mut out);
    out
}

fn help_of(arg: &clap::Arg) -> String {
    arg.get_help().map(|h| h.to_string()).unwrap_or_default()
}

#[test]
fn shared_flags_mean_the_same_everywhere() {
    let mut seen = 0;
    for (name, cmd) in all_commands() {
        for arg in cmd.get_arguments() {
            let long = arg.get_long().unwrap_or_default();
            let want = match long {
                "json" => JSON_HELP,
                "no-progress" => NO_PROGRESS_HELP,
                "status-interval" => STATUS_INTERVAL_HELP,
                _ => continue,
            };
            seen += 1;
            assert_eq!(help_of(arg), want, "{name} --{long}");
        }
        let has = |l: &str| cmd.get_arguments().any(|a| a.get_long() == Some(l));
        if has("json") && name != "demo" && name != "ramp approve" {
            for shared in ["report", "junit"] {
                assert!(has(shared), "{name} has --json but not --{shared}");
            }
        }
        if has("no-progress") {
            assert!(has("status-interval"), "{name}");
        }
    }
    assert!(seen >= 10, "the walk found the flags ({seen})");
    for load in ["stress", "ramp"] {
        let help = run(&[load, "--help"]);
        assert!(help.stdout.contains("--no-progress"), "{load}");
        assert!(help.stdout.contains("--json <FILE>"), "{load}");
    }
}

#[test]
fn no_subcommand_flag_shadows_a_global_one() {
    let root = Cli::command();
    let globals: Vec<(Option<String>, Option<char>)> = root
        .get_arguments()
        .map(|a| (a.get_long().map(String::from), a.get_short()))
        .chain([
            (Some("help".into()), Some('h')),
            (Some("version".into()), Some('V')),
        ])
        .collect();
    for (name, cmd) in all_commands() {
        for arg in cmd.get_arguments().filter(|a| !a.is_global_set()) {
            for (long, short) in &globals {
                let same_long = long.is_some() && arg.get_long() == long.as_deref();
                let same_short = short.is_some() && arg.get_short() == *short;
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                assert!(
                    builtin || !(same_long || same_short),
                    "{name}: --{:?} shadows a global flag",
                    arg.get_long()
                );
            }
        }
    }
    let v = run(&["index", "-V"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(v.stdout.starts_with("golive-index ") || v.stdout.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn every_command_that_targets_a_service_takes_the_positional_url() {
    for name in [
        "stress", "ramp", "canary", "probes", "smoke", "stage3", "stage4",
    ] {
        let (_, cmd) = all_commands().into_iter().find(|(n, _)| n == name).unwrap();
        let positional = cmd
            .get_positionals()
            .map(|a| {
                a.get_value_names()
                    .map(|v| v[0].to_string())
                    .unwrap_or_else(|| a.get_id().to_string().to_uppercase())
            })
            .collect::<Vec<_>>();
        assert!(
            positional.iter().any(|p| p == "URL" || p == "BASE"),
            "{name}: {positional:?}"
        );
    }
    // The seed scripts' names still work.
    let s = golive::serve::BackgroundServer::start(golive::serve::ServeOptions::default()).unwrap();
    let base = format!("http://{}", s.addr);
    let positional = run(&["smoke", &base, "--timeout", "2s"]);
    let alias = run(&["smoke", "--base", &base, "--timeout", "2s"]);
    assert_eq!(
        positional.code, alias.code,
        "{}{}",
        positional.stdout, alias.stdout
    );
    assert!(positional.stdout.contains(&base), "{}", positional.stdout);
}

#[test]
fn man_pages_exist_for_every_page_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let run = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        pages.contains(&"golive.1".to_string())
            && pages.contains(&"golive-ramp-approve.1".to_string()),
        "{pages:?}"
    );
    for page in &pages {
        let roff = std::fs::read_to_string(dir.path().join(page)).unwrap();
        // roff escapes a hyphen: golive\-ramp(1).
        for (i, _) in roff.match_indices("golive\\-") {
            let name: String = roff[i..]
                .chars()
                .take_while(|c| *c != '(' && !c.is_whitespace())
                .collect::<String>()
                .replace("\\-", "-");
            if roff[i + name.len() + name.matches('-').count()..].starts_with("(1)") {
                assert!(
                    pages.contains(&format!("{name}.1")),
                    "{page} names {name}(1)"
                );
            }
        }
    }
    let missing = run_dir_missing();
    assert_eq!(missing.code, 2, "{}", missing.stderr);
}

fn run_dir_missing() -> Run {
    run(&["man", "--dir", "/nonexistent/man1"])
}
