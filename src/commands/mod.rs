//! One module per subcommand, each read top to bottom the same way:
//! args → plan (`config`) → run (engine, gates) → result with one [`Outcome`] →
//! rendered bytes (`report`) → [`Finished`] → [`deliver`] (the one writer) → exit code.

pub mod canary;
pub mod capacity;
pub mod compare;
pub mod demo;
pub mod envcheck;
pub mod index;
pub mod jwt;
pub mod merge;
pub mod patch;
pub mod probes;
mod progress;
pub mod ramp;
mod ramp_view;
pub mod report;
pub mod serve;
pub mod smoke;
pub mod stage3;
pub mod stage4;
pub mod stress;
pub mod workload;

use clap::CommandFactory;

use crate::cli::{Cli, Command, EvidenceArgs};
use crate::config;
use crate::exit::{self, Exit, Failure};
use crate::outcome::Outcome;
use crate::output::{self, console, Dest};
use crate::report::{html, junit, markdown, suite, Judged};

/// GitHub Actions names the file a step's Markdown summary is appended to.
const STEP_SUMMARY_ENV: &str = "GITHUB_STEP_SUMMARY";

/// Runs a parsed command line to its exit code.
pub fn dispatch(command: Command) -> Exit {
    let finished = match command {
        Command::Stress(args) => stress::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Ramp(args) => ramp::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Capacity(args) => capacity::run(&args),
        Command::Workload(action) => workload::run(&action),
        Command::Report(args) => report::run(&args),
        Command::Canary(args) => canary::run(&args),
        Command::Stage4(args) => stage4::run(&args),
        Command::Probes(args) => probes::run(&args),
        Command::Envcheck(args) => envcheck::run(&args),
        Command::Patch(args) => patch::run(&args),
        Command::Index(args) => index::run(&args),
        Command::Smoke(args) => smoke::run(&args),
        Command::Jwt(args) => jwt::run(&args),
        Command::Stage3(args) => stage3::run(&args),
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man(&args),
    };
    match finished {
        Ok(f) => deliver(f),
        Err(failure) => {
            console::errln(&format!("golive: error: {failure}"));
            failure.exit
        }
    }
}

/// Where the human report goes: stdout, or stderr when an artifact takes stdout
/// (`--json -`), so that the artifact can be piped on intact.
#[derive(Clone, Copy, Debug, Default)]
pub struct Human {
    to_stderr: bool,
}

impl Human {
    pub fn for_dests<'a>(dests: impl IntoIterator<Item = &'a Dest>) -> Human {
        Human {
            to_stderr: dests.into_iter().any(Dest::is_stdout),
        }
    }

    pub fn text(&self, s: &str) {
        if self.to_stderr {
            console::err(s)
        } else {
            console::out(s)
        }
    }

    pub fn line(&self, s: &str) {
        self.text(&format!("{s}\n"));
    }
}

/// A judging command's `--json` and evidence destinations, and where its human text
/// goes: at most one artifact may take stdout, else the bytes would interleave.
pub(crate) fn outputs(
    json: Option<&std::path::Path>,
    evidence: &EvidenceArgs,
) -> exit::Result<(Option<Dest>, Human)> {
    outputs_with(json, &[], evidence)
}

/// [`outputs`] for a command with artifacts of its own besides (stress's --hdr-log).
pub(crate) fn outputs_with(
    json: Option<&std::path::Path>,
    others: &[Option<&std::path::Path>],
    evidence: &EvidenceArgs,
) -> exit::Result<(Option<Dest>, Human)> {
    let json = config::dest(json);
    let all: Vec<Dest> = [
        json.clone(),
        config::dest(evidence.report.as_deref()),
        config::dest(evidence.junit.as_deref()),
    ]
    .into_iter()
    .chain(others.iter().map(|p| config::dest(*p)))
    .flatten()
    .collect();
    if all.iter().filter(|d| d.is_stdout()).count() > 1 {
        return Err(Failure::usage(anyhow::anyhow!(
            "only one artifact (--json, --report, --junit, --hdr-log) can be - (standard output)"
        )));
    }
    check_dests(&all)?;
    Ok((json, Human::for_dests(&all)))
}

/// Before any work: every output can be written (nothing is created to find out), and
/// no two outputs are one file.
pub(crate) fn check_dests(dests: &[Dest]) -> exit::Result<()> {
    let mut seen = Vec::new();
    for d in dests {
        let Dest::Path(p) = d else { continue };
        output::file::check_writable(p).map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
        let canonical = output::file::canonical_dest(p);
        if seen.contains(&canonical) {
            return Err(Failure::usage(anyhow::anyhow!(
                "{} is named for two outputs: give each its own file",
                p.display()
            )));
        }
        seen.push(canonical);
    }
    Ok(())
}

/// What a command leaves behind: its outcome, the text to show last, the artifacts.
pub struct Finished {
    pub outcome: Outcome,
    human: Human,
    text: String,
    files: Vec<(Dest, Vec<u8>)>,
    /// Files golive adds to rather than replaces (a CI step summary).
    appends: Vec<(std::path::PathBuf, Vec<u8>)>,
    /// Say `wrote PATH` after the text for each file written: only the writer knows.
    announce: bool,
    /// Directories golive owns (a gate's `--out`), created before the files in them.
    dirs: Vec<std::path::PathBuf>,
    /// An exit code the outcome alone does not tell (a ramp whose rollback failed).
    exit: Option<Exit>,
}

impl Finished {
    pub fn new(outcome: Outcome, human: Human, text: impl Into<String>) -> Finished {
        Finished {
            outcome,
            human,
            text: text.into(),
            files: Vec::new(),
            appends: Vec::new(),
            announce: false,
            dirs: Vec::new(),
            exit: None,
        }
    }

    /// Exits with `exit` rather than the outcome's code.
    pub fn exit_with(mut self, exit: Exit) -> Finished {
        self.exit = Some(exit);
        self
    }

    /// A command that judges nothing and succeeded.
    pub fn done(text: impl Into<String>) -> Finished {
        Finished::new(Outcome::Pass, Human::default(), text)
    }

    pub fn file(mut self, dest: Dest, bytes: Vec<u8>) -> Finished {
        self.files.push((dest, bytes));
        self
    }

    /// `--json` when given: pretty JSON with a trailing newline.
    pub fn json(self, dest: Option<Dest>, value: &impl serde::Serialize) -> Finished {
        match dest {
            Some(d) => self.file(d, output::file::json_bytes(value)),
            None => self,
        }
    }

    /// The evidence of a judged result: `--report` (HTML), `--junit`, and the Markdown
    /// summary appended to `$GITHUB_STEP_SUMMARY` when it names a file.
    pub fn evidence(mut self, args: &EvidenceArgs, judged: &Judged) -> Finished {
        if let Some(dest) = config::dest(args.report.as_deref()) {
            self = self.file(dest, html::render(judged, &crate::time::now()).into_bytes());
        }
        let step_summary = std::env::var_os(STEP_SUMMARY_ENV).filter(|p| !p.is_empty());
        if args.junit.is_none() && step_summary.is_none() {
            return self;
        }
        let suite = suite::suite(judged);
        if let Some(dest) = config::dest(args.junit.as_deref()) {
            self = self.file(dest, junit::render(&suite));
        }
        if let Some(path) = step_summary {
            self.appends
                .push((path.into(), markdown::render(&suite).into_bytes()));
        }
        self
    }

    /// After the text, name each file as it was written (and only if it was).
    pub fn announce_files(mut self) -> Finished {
        self.announce = true;
        self
    }

    /// Writes `dir/name` for each artifact of a gate, creating `dir` (the gate's own).
    pub fn in_dir(mut self, dir: &std::path::Path, files: Vec<(&str, Vec<u8>)>) -> Finished {
        self.dirs.push(dir.to_path_buf());
        for (name, bytes) in files {
            self.files.push((Dest::Path(dir.join(name)), bytes));
        }
        self
    }
}

/// The one writer: artifacts first (so nothing measured is lost if the terminal is
/// gone), then the human text; any write that fails is one line and exit 4.
pub fn deliver(f: Finished) -> Exit {
    let mut exit = f.exit.unwrap_or(Exit::from(f.outcome));
    let mut written = String::new();
    for dir in &f.dirs {
        if let Err(e) = std::fs::create_dir_all(dir) {
            console::errln(&format!(
                "golive: error: creating directory {}: {e}",
                dir.display()
            ));
            exit = Exit::Runtime;
        }
    }
    for (dest, bytes) in &f.files {
        match output::write(dest, bytes) {
            Ok(()) if f.announce && !dest.is_stdout() => {
                written.push_str(&format!("wrote {dest}\n"))
            }
            Ok(()) => {}
            Err(e) => {
                console::errln(&format!("golive: error: {e:#}"));
                exit = Exit::Runtime;
            }
        }
    }
    for (path, bytes) in &f.appends {
        if let Err(e) = output::file::append(path, bytes) {
            console::errln(&format!("golive: error: {e:#}"));
            exit = Exit::Runtime;
        }
    }
    f.human.text(&f.text);
    f.human.text(&written);
    if let Some(e) = console::take_error() {
        // Stderr may be the stream that failed; try it all the same.
        console::errln(&format!("golive: error: {e}"));
        exit = Exit::Runtime;
    }
    exit
}

/// `report` and `merge` never write over a file they read: `golive report saved.html`
/// would otherwise replace its own input with the page.
pub(crate) fn refuse_overwriting_inputs(
    inputs: &[std::path::PathBuf],
    outputs: &[Option<&std::path::Path>],
) -> exit::Result<()> {
    for out in outputs.iter().flatten() {
        if let Some(input) = inputs.iter().find(|i| {
            output::file::same_file(i, out)
                || output::file::canonical_dest(i) == output::file::canonical_dest(out)
        }) {
            return Err(Failure::usage(anyhow::anyhow!(
                "{} would be written over its own input {}: name another output (-o FILE)",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Before any connection: the open-files limit (raised to its hard limit) must hold
/// `connections` and golive's own files; otherwise exit 2 with the numbers, rather
/// than thousands of `connect` errors that look like the server's fault.
pub(crate) fn preflight_fds(connections: u32) -> exit::Result<()> {
    let (limit, hard) = crate::load::raise_open_files_limit();
    let need = u64::from(connections) + crate::load::FILES_BESIDES_CONNECTIONS;
    if need > limit {
        return Err(Failure::usage(anyhow::anyhow!(
            "{connections} connections need about {need} open files, and this process may open {limit} (ulimit -n; hard limit {hard}): raise the limit (ulimit -n {}) or use fewer connections",
            need.next_multiple_of(1024)
        )));
    }
    Ok(())
}

/// A runtime for the coordinating side of a command (the load has its own threads).
pub(crate) fn runtime() -> exit::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(anyhow::Error::new(e).context("starting the async runtime")))
}

/// Runs a gate to its result on a fresh runtime; the first SIGINT or SIGTERM stops
/// its `Control`, and the gate then reports what it has, marked interrupted.
pub(crate) fn run_gate<T, F>(
    gate: impl FnOnce(std::sync::Arc<crate::load::Control>) -> F,
) -> exit::Result<T>
where
    F: std::future::Future<Output = T>,
{
    let control = std::sync::Arc::new(crate::load::Control::default());
    let rt = runtime()?;
    rt.spawn(stop_on_signal(control.clone()));
    Ok(rt.block_on(gate(control)))
}

/// Stops `control` at the first SIGINT or SIGTERM, heard here at the top. Once golive
/// has installed its handler, Ctrl-C no longer kills the process: whatever runs must
/// hear it through the control.
pub(crate) async fn stop_on_signal(control: std::sync::Arc<crate::load::Control>) {
    crate::shutdown::Cancel::on_signals().cancelled().await;
    control.stop();
}

fn completions(shell: clap_complete::Shell) -> exit::Result<Finished> {
    let mut bytes = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "golive", &mut bytes);
    Ok(Finished::done(String::from_utf8_lossy(&bytes).into_owned()))
}

fn man(args: &crate::cli::ManArgs) -> exit::Result<Finished> {
    let render = |cmd: clap::Command| -> exit::Result<(String, Vec<u8>)> {
        let page = clap_mangen::Man::new(cmd);
        let mut bytes = Vec::new();
        page.render(&mut bytes).map_err(Failure::runtime)?;
        Ok((page.get_filename(), bytes))
    };
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let Some(dir) = &args.dir else {
        let (_, bytes) = render(root)?;
        return Ok(Finished::done(String::from_utf8_lossy(&bytes).into_owned()));
    };
    if !dir.is_dir() {
        return Err(Failure::usage(anyhow::anyhow!(
            "--dir {}: no such directory (golive creates files, not directories: mkdir -p {})",
            dir.display(),
            dir.display()
        )));
    }
    // Every page the others name in SEE ALSO, so that none is missing.
    let mut pages = Vec::new();
    let mut todo = vec![root];
    while let Some(cmd) = todo.pop() {
        todo.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        pages.push(render(cmd)?);
    }
    let dests: Vec<Dest> = pages
        .iter()
        .map(|(name, _)| Dest::Path(dir.join(name)))
        .collect();
    check_dests(&dests)?;
    let mut f = Finished::done(format!("{} man pages\n", pages.len())).announce_files();
    for (dest, (_, bytes)) in dests.into_iter().zip(pages) {
        f = f.file(dest, bytes);
    }
    Ok(f)
}
