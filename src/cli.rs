//! Command-line definitions (clap derive). Only parsing lives here; `config` validates.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
// The ramp journals its resolved flags (secrets redacted) so a resume can rebuild its plan.
use serde::{Deserialize, Serialize};

use crate::logging::LogFormat;
use crate::serve::HealthMode;

const GLOBAL: &str = "Global options";

/// One meaning for each flag every command that produces the output shares (a test
/// walks every subcommand's --help for them).
pub const JSON_HELP: &str =
    "Write the result as JSON to FILE (`-`: standard output; the human report then goes to stderr)";
pub const NO_PROGRESS_HELP: &str =
    "No live view on stderr (on a terminal a live view is drawn; elsewhere a status line is printed every --status-interval)";
pub const STATUS_INTERVAL_HELP: &str =
    "When stderr is not a terminal (CI, a pipe), print a status line this often";

#[derive(Parser, Debug)]
#[command(
    name = "golive",
    version,
    about = "Tells a web team, with numbers, whether a release may go live.",
    long_about = "Tells a web team, with numbers, whether a release may go live.\n\n\
        Exit codes: 0 pass, 1 a check or SLO failed, 2 bad usage or input, \
        3 inconclusive, 4 golive could not run, 5 a ramp's rollback command failed, 130 interrupted.",
    after_help = "Start with `golive demo`: it runs every command against an embedded target.",
    propagate_version = true
)]
pub struct Cli {
    /// Format of golive's own log events on stderr.
    #[arg(long, global = true, default_value = "text", env = "GOLIVE_LOG_FORMAT",
          help_heading = GLOBAL,
          value_parser = PossibleValuesParser::new(["text", "json"]).map(|s| s.parse::<LogFormat>().expect("listed")))]
    pub log_format: LogFormat,

    /// More log events on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,

    /// Colour on a terminal (auto), always, or never; NO_COLOR is honoured.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, help_heading = GLOBAL)]
    pub color: ColorWhen,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the embedded target and run golive against it: nothing else needed.
    Demo(DemoArgs),
    /// Load a URL (closed loop or constant rate) and judge SLOs.
    Stress(Box<StressArgs>),
    /// Carry a release from 5% to 100% of traffic, judged window by window, with rollback.
    Ramp(Box<RampArgs>),
    /// Merge saved stress results (several runs or machines) exactly and re-judge SLOs.
    Merge(MergeArgs),
    /// Compare two saved stress results: is the candidate worse than the baseline?
    Compare(CompareArgs),
    /// Find the highest rate the target sustains within its SLOs (steps, then bisection).
    Capacity(Box<CapacityArgs>),
    /// Render a saved result as one self-contained HTML page (and JUnit), offline.
    Report(ReportArgs),
    /// Turn vegeta targets, a HAR recording or an access log into a --workload file.
    #[command(subcommand)]
    Workload(WorkloadAction),
    /// Ping a health endpoint: health contract on every sample, p95 SLO.
    Canary(CanaryArgs),
    /// Request checks against a base URL: the five Stage 3 checks, or a TOML checks file.
    Smoke(SmokeArgs),
    /// Stage 3 – Staging Pilot: smoke checks, then the release gate in API mode.
    Stage3(Stage3Args),
    /// Stage 4 – Production Go-Live Readiness, artifacts under qa/stage4/v0.4.0.
    Stage4(Stage4Args),
    /// Kubernetes-style probes: /health/live, /health/ready, /health/startup.
    Probes(ProbesArgs),
    /// Check the environment against an example file; secret values masked.
    Envcheck(EnvcheckArgs),
    /// Wire Stage 4 into release_gate/run_all.py and public/test2.html, reversibly.
    Patch(PatchArgs),
    /// Record a gate's row in public/test2.html (added, or updated in place).
    Index(IndexArgs),
    /// Mint an HS256 test token; the secret is read from the environment only.
    Jwt(JwtArgs),
    /// Run the embedded target: a server that answers like a web team's backend
    /// (/health, /api/..., /metrics), with fault knobs.
    Serve(ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "Example:\n  golive completions bash > /etc/bash_completion.d/golive")]
    Completions(CompletionsArgs),
    /// Print golive's man page (roff), or write one per subcommand with --dir.
    #[command(after_help = "Examples:\n  \
    golive man > golive.1 && man ./golive.1\n  \
    golive man --dir /usr/local/share/man/man1   # golive.1 and golive-stress.1, golive-ramp.1, …")]
    Man(ManArgs),
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    golive capacity https://staging.example.com/v1/items --slo 'p99<300ms' --slo 'errors<0.1%'\n  \
    golive capacity https://staging.example.com --workload mix.toml --slo 'p99<300ms' --step 1m --json capacity.json\n\n\
Exit: 0 a maximum was found, 1 the start rate already failed, 2 usage, 3 the generator or\n\
--max-rate/--max-duration limited the search (the maximum is a lower bound), 130 interrupted.")]
pub struct CapacityArgs {
    /// The URL to load (with --workload: its origin).
    #[arg(env = "API_BASE")]
    pub url: Option<String>,

    /// A weighted mix of named requests (see golive stress --workload).
    #[arg(long, value_name = "FILE")]
    pub workload: Option<PathBuf>,

    #[command(flatten)]
    pub request: RequestArgs,

    #[command(flatten)]
    pub client: ClientArgs,

    /// The SLOs a step must hold, repeatable [default: p99<1s, errors<0.1%].
    #[arg(long = "slo", value_name = "EXPR")]
    pub slos: Vec<String>,

    /// The first step's rate (requests per second).
    #[arg(long, value_parser = parse_rate, default_value = "50")]
    pub start_rate: f64,

    /// The highest rate tried.
    #[arg(long, value_parser = parse_rate, default_value = "100000")]
    pub max_rate: f64,

    /// Length of each fixed-rate step (wrk2's author: runs under 10-20 s say little).
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub step: Duration,

    /// The start of each step left out of its judgement.
    #[arg(long, value_parser = parse_duration_or_zero, default_value = "5s")]
    pub warmup: Duration,

    /// Times the maximum is run again before it is reported.
    #[arg(long, default_value_t = 2)]
    pub repeat: u32,

    /// Instead of the rate search: a closed-loop step at each of these connection
    /// counts (6 or more, e.g. 1,2,4,8,16,32,64), and the Universal Scalability Law
    /// fitted to their throughput, with the peak it predicts.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', conflicts_with_all = ["concurrency", "start_rate", "max_rate", "repeat", "precision"])]
    pub concurrency_steps: Vec<u32>,

    /// Stop bisecting when the passing and failing rates are this close (percent).
    #[arg(long, default_value_t = 5.0)]
    pub precision: f64,

    /// Bound on the whole search.
    #[arg(long, value_parser = parse_duration, default_value = "30m")]
    pub max_duration: Duration,

    /// Connections [default: 100, doubled (up to 1000) when they, not the target, were
    /// the limit; given: kept, and the generator is said to be the limit].
    #[arg(short = 'c', long, value_parser = parse_connections)]
    pub concurrency: Option<u32>,

    /// Generator threads (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,

    /// Per-request timeout.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,

    /// Settings, every step and the maximum.
    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// `golive workload`: importers.
#[derive(Subcommand, Debug, Clone)]
pub enum WorkloadAction {
    /// vegeta's targets (the http format, or JSON lines); identical targets become one
    /// request weighted by their count.
    #[command(
        after_help = "Example:\n  golive workload from-vegeta targets.txt -o mix.toml && golive stress --workload mix.toml"
    )]
    FromVegeta(ImportArgs),
    /// A HAR recording (browser dev tools, a proxy); weights from how often each request
    /// was seen, static assets left out, credentials turned into ${...} placeholders.
    #[command(
        after_help = "Example:\n  golive workload from-har checkout.har -o mix.toml   # then set the variables it names"
    )]
    FromHar(HarArgs),
    /// An access log (common or combined log format); weights by method and path.
    #[command(
        after_help = "Example:\n  golive workload from-log access.log --base https://staging.example.com -o mix.toml"
    )]
    FromLog(LogArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// The file to read.
    pub file: PathBuf,

    /// Write the workload here instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Keep the N most frequent distinct requests.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub top: usize,
}

#[derive(Args, Debug, Clone)]
pub struct HarArgs {
    #[command(flatten)]
    pub import: ImportArgs,

    /// Keep scripts, styles, images and fonts.
    #[arg(long)]
    pub keep_static: bool,
}

#[derive(Args, Debug, Clone)]
pub struct LogArgs {
    #[command(flatten)]
    pub import: ImportArgs,

    /// The origin the log's paths were served on (its base; else give the URL when the
    /// workload runs).
    #[arg(long, value_name = "URL")]
    pub base: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ManArgs {
    /// Write golive.1 and a page for every subcommand (golive-ramp.1, golive-ramp-approve.1,
    /// …) into DIR, an existing directory, instead of printing golive.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone, Serialize, Deserialize)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  \
    golive ramp https://staging.example.com/v1/parts --steps 5:1h,20:2h,50:4h,100:8h \\\n      \
      --set-weight 'psql \"$DATABASE_URL\" -c \"UPDATE feature_flags SET canary_percentage={weight} ...\"' \\\n      \
      --guard scripts/audit_nulls.sh --metrics https://staging.example.com/metrics \\\n      \
      --state qa/ramp/part_lens_v2.json --revision \"$GIT_SHA\" --json ramp.json\n  \
    golive ramp --resume --state qa/ramp/part_lens_v2.json     # after a crash or Ctrl-C\n  \
    golive ramp approve --state qa/ramp/part_lens_v2.json      # past a pause\n  \
    golive ramp URL --steps 5:1m,100:5m --set-weight 'echo {weight}' --dry-run\n\n\
Exit: 0 promoted to the last step, 1 rolled back or pre-gate failed, 2 usage,\n\
3 stopped inconclusive (weight left as it was), 4 could not run (the journal could not be\n\
written: the message says what ran), 5 the rollback command failed (traffic may still\n\
reach the release: --resume or abort runs it again), 130 interrupted (resume with --resume)."
)]
pub struct RampArgs {
    #[command(subcommand)]
    #[serde(skip)]
    pub action: Option<RampAction>,

    /// The URL the windows load (and the pre-gate stresses).
    #[arg(env = "API_BASE")]
    pub url: Option<String>,

    /// A weighted mix of named requests for the pre-gate and the windows, on the URL's
    /// origin (and on --canary's and --baseline's): see golive stress --workload.
    #[arg(long, value_name = "FILE")]
    #[serde(default)]
    pub workload: Option<PathBuf>,

    /// With --workload: the seed of its placeholders' values (every window sends the
    /// same sequence) [default: 0].
    #[arg(long, value_name = "N", requires = "workload")]
    #[serde(default)]
    pub seed: Option<u64>,

    #[command(
        flatten,
        next_help_heading = "Request (the pre-gate's and the windows')"
    )]
    pub request: RequestArgs,

    /// Pre-gate load: as `golive stress` (default 200 requests over 10 connections).
    #[command(flatten, next_help_heading = "Pre-gate load")]
    pub load: LoadArgs,

    #[command(
        flatten,
        next_help_heading = "Request (the pre-gate's and the windows')"
    )]
    pub client: ClientArgs,

    /// Steps as WEIGHT:HOLD, rising: 5:1h,20:2h,50:4h,100:8h.
    #[arg(long, value_name = "STEPS", help_heading = "Traffic commands")]
    pub steps: Option<String>,

    /// Command that sets the weight ({weight} is replaced; GOLIVE_WEIGHT is set). Must
    /// be safe to repeat: a resumed ramp sets the current weight again.
    #[arg(long, value_name = "CMD", help_heading = "Traffic commands")]
    pub set_weight: Option<String>,

    /// Command that rolls back [default: the set-weight command with weight 0].
    #[arg(long, value_name = "CMD", help_heading = "Traffic commands")]
    pub rollback_cmd: Option<String>,

    /// Command run each window; a non-zero exit is a breach, its output evidence. Repeatable.
    #[arg(long = "guard", value_name = "CMD", help_heading = "Windows")]
    pub guards: Vec<String>,

    /// The service's (the canary's) Prometheus metrics URL, scraped each window and
    /// judged by the SLOs.
    #[arg(
        long,
        visible_alias = "canary-metrics",
        value_name = "URL",
        help_heading = "Windows"
    )]
    pub metrics: Option<String>,

    /// With --metrics: the release being replaced's metrics URL, scraped alike; a window
    /// fails on a regression of the canary's own p50, p95 or 5xx share against it.
    #[arg(
        long,
        value_name = "URL",
        requires = "metrics",
        help_heading = "Windows"
    )]
    #[serde(default)]
    pub baseline_metrics: Option<String>,

    /// The 5xx series in the metrics; all series of its name count as requests.
    #[arg(
        long = "metrics-5xx",
        value_name = "SELECTOR",
        default_value = "http_requests_total{status=~\"5..\"}",
        help_heading = "Windows"
    )]
    pub metrics_5xx: String,

    /// The latency histogram (seconds) whose _bucket series give the service's p95.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "http_request_duration_seconds",
        help_heading = "Windows"
    )]
    pub metrics_latency: String,

    /// Load the canary directly in each window (bypassing the splitter, so the weight
    /// never dilutes the sample: the window's size is its own); the SLOs judge the canary.
    #[arg(long, value_name = "URL", help_heading = "Windows")]
    #[serde(default)]
    pub canary: Option<String>,

    /// With --canary: load the release being replaced too, at once with the same plan,
    /// and fail a window on a regression against it (see golive compare); the step's
    /// windows accumulate, each look at a spent confidence.
    #[arg(
        long,
        value_name = "URL",
        requires = "canary",
        help_heading = "Windows"
    )]
    #[serde(default)]
    pub baseline: Option<String>,

    /// With --baseline or --baseline-metrics: how much worse the canary may be and still
    /// be the same, repeatable (as golive compare: shift:+5%, p95:+10%, 5xx:+0.1pp, ...).
    #[arg(
        long = "tolerance",
        value_name = "METRIC:BAND",
        help_heading = "Windows"
    )]
    #[serde(default)]
    pub tolerances: Vec<String>,

    /// Length of an analysis window.
    #[arg(long, value_parser = parse_duration, default_value = "1m", help_heading = "Windows")]
    pub interval: Duration,

    /// Time after the weight is set before windows are judged (part of the hold).
    #[arg(long, value_parser = parse_duration_or_zero, default_value = "30s", help_heading = "Windows")]
    pub warmup: Duration,

    /// Synthetic requests per second during windows.
    #[arg(long, value_parser = parse_rate, default_value = "5", help_heading = "Windows")]
    pub window_rate: f64,

    /// Connections for the windows' synthetic load.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000), help_heading = "Windows")]
    pub window_concurrency: u32,

    /// Rollback criterion, repeatable [default: 5xx==0, p95<1000ms, errors<0.1%].
    #[arg(long = "slo", value_name = "EXPR", help_heading = "Windows")]
    pub slos: Vec<String>,

    /// Pre-gate SLO, repeatable [default: success>99%, p95<500ms, 5xx==0].
    #[arg(long = "pre-slo", value_name = "EXPR", help_heading = "Pre-gate load")]
    pub pre_slos: Vec<String>,

    /// Skip the pre-ramp stress gate (said in the report).
    #[arg(long, help_heading = "Pre-gate load")]
    pub skip_pre: bool,

    /// A capacity card (`golive capacity --json`): the pre-gate runs at --pre-load of
    /// the maximum it found, for -d (default 10s), with at least its connections.
    #[arg(long, value_name = "CARD", conflicts_with_all = ["skip_pre", "rate", "stages", "connection_stages"], help_heading = "Pre-gate load")]
    #[serde(default)]
    pub pre_capacity: Option<PathBuf>,

    /// With --pre-capacity: the share of the card's maximum the pre-gate sends.
    #[arg(long, value_name = "PERCENT", default_value = "80%", value_parser = parse_percent, requires = "pre_capacity", help_heading = "Pre-gate load")]
    #[serde(default = "default_pre_load")]
    pub pre_load: f64,

    /// Failing windows in a step that end it [default: 1, or none with --consecutive-failures].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Decision")]
    pub failure_limit: Option<u32>,

    /// Failing windows in a row that end a step.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Decision")]
    pub consecutive_failures: Option<u32>,

    /// Windows per step that could not be judged (scrape or guard could not run)
    /// beyond which the ramp stops inconclusive.
    #[arg(long, default_value_t = 3, help_heading = "Decision")]
    pub error_limit: u32,

    /// Passing windows a step needs [default: half the windows its hold has room for].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Decision")]
    pub min_windows: Option<u32>,

    /// How long a step's hold may be extended for want of passing windows [default: half the hold].
    #[arg(long, value_parser = parse_duration_or_zero, help_heading = "Decision")]
    pub max_extension: Option<Duration>,

    /// What a failing step does: rollback, or pause (hold the weight; wait for approve/abort).
    #[arg(long, default_value = "rollback", value_parser = PossibleValuesParser::new(["rollback", "pause"]).map(|s| s.parse::<crate::ramp::OnFail>().expect("listed")), help_heading = "Decision")]
    pub on_fail: crate::ramp::OnFail,

    /// Stop before the step with this weight until `golive ramp approve`. Repeatable.
    #[arg(long, value_name = "WEIGHT", help_heading = "Decision")]
    pub pause_before: Vec<u32>,

    /// Command given each event as JSON on stdin. Repeatable.
    #[arg(long, value_name = "CMD", help_heading = "Traffic commands")]
    pub on_event: Vec<String>,

    /// Time limit for each command (set-weight, rollback, guard, hook).
    #[arg(long, value_parser = parse_duration, default_value = "60s", help_heading = "Traffic commands")]
    pub command_timeout: Duration,

    /// The journal: every step and window, written atomically; needed to resume or pause.
    #[arg(long, value_name = "FILE", help_heading = "State")]
    pub state: Option<PathBuf>,

    /// Continue the ramp journaled in --state (its plan is read from the file).
    #[arg(long, requires = "state", help_heading = "State")]
    pub resume: bool,

    /// What is being rolled out; resuming another revision is refused unless --restart.
    #[arg(long, value_name = "ID", help_heading = "State")]
    pub revision: Option<String>,

    /// Start over even if --state holds a ramp in progress (or another revision).
    #[arg(long, help_heading = "State")]
    pub restart: bool,

    /// On Ctrl-C, roll back (default: leave the weight and print the resume command).
    #[arg(long, help_heading = "Decision")]
    pub rollback_on_interrupt: bool,

    /// The whole timeline: every step, window, command and verdict.
    #[arg(long, value_name = "FILE", help = JSON_HELP, help_heading = "Output")]
    pub json: Option<PathBuf>,

    #[arg(long, help = NO_PROGRESS_HELP, help_heading = "Output")]
    pub no_progress: bool,

    #[arg(long, value_parser = parse_duration, default_value = "1m", value_name = "DURATION",
          help = STATUS_INTERVAL_HELP, help_heading = "Output")]
    pub status_interval: Duration,

    #[command(flatten, next_help_heading = "Output")]
    pub evidence: EvidenceArgs,

    /// Print the plan and its total duration; run nothing.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum RampAction {
    /// Answer the pending pause (--pause-before, or --on-fail pause): the ramp goes on.
    /// Refused (exit 2) when no pause is pending.
    Approve(RampApproveArgs),
    /// Emergency stop, whatever the ramp is doing: roll back now, journaled. A running
    /// ramp acts on it within a second; with none running, golive rolls back itself.
    Abort(RampControlArgs),
    /// Where the ramp in a state file stands, and the command that goes on from there.
    Status(RampControlArgs),
}

#[derive(Args, Debug, Clone)]
pub struct RampApproveArgs {
    /// The ramp's state file.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,

    /// The pause to approve, as the ramp printed it [default: the pending one].
    #[arg(long, value_name = "N")]
    pub pause: Option<u32>,
}

/// What every judging command can leave besides its JSON, for people and for CI.
#[derive(Args, Debug, Clone, Default, Serialize, Deserialize)]
pub struct EvidenceArgs {
    /// Write a self-contained HTML report to FILE: the verdict, charts, every check, the settings.
    #[arg(long, value_name = "FILE", help_heading = "Evidence")]
    pub report: Option<PathBuf>,

    /// Write JUnit XML to FILE: one testcase per check, SLO or window (inconclusive: skipped).
    #[arg(long, value_name = "FILE", help_heading = "Evidence")]
    pub junit: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    golive stress $URL --rate 200 -d 30s --json run.json && golive report run.json\n  \
    golive report qa/stage4/v0.4.0/summary.json -o stage4.html --junit stage4.xml\n\n\
    Reads any golive --json result (stress, merge, canary, smoke, stage3, stage4, probes, envcheck, ramp) \
    without the network. Exit 0 when written, whatever the verdict; 2 when FILE is not a golive result.")]
pub struct ReportArgs {
    /// A `--json` file written by golive.
    #[arg(value_name = "RESULT")]
    pub result: PathBuf,

    /// Where the HTML goes [default: RESULT with .html] (`-`: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct RampControlArgs {
    /// The ramp's state file.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Load options shared by every command that generates load.
#[derive(Args, Debug, Clone, Serialize, Deserialize)]
pub struct LoadArgs {
    /// Connections kept open, one request in flight on each.
    #[arg(short = 'c', long, env = "CONCURRENCY", default_value = "10", value_parser = parse_connections)]
    pub concurrency: u32,

    /// Total requests to send (SI suffixes: 10k, 1M). With --duration, whichever comes
    /// first ends the run. Default 200 when neither is given (10s with --rate).
    #[arg(short = 'n', long, env = "REQUESTS", value_parser = parse_count)]
    pub requests: Option<u64>,

    /// How long to send (e.g. 10s, 1m).
    #[arg(short = 'd', short_alias = 'z', long, value_parser = parse_duration, allow_hyphen_values = true)]
    pub duration: Option<Duration>,

    /// Open model: requests per second on a fixed schedule. Latency is measured from
    /// each request's intended send time, so a stalled server shows (coordinated
    /// omission corrected).
    #[arg(long, short = 'q', short_alias = 'R', value_parser = parse_rate, allow_hyphen_values = true)]
    pub rate: Option<f64>,

    /// Open model with a changing rate: RATE:DURATION,... each stage moving the rate
    /// linearly from the previous stage's (0 at the start) to its own, e.g.
    /// 500:1m,500:5m,0:30s (up for a minute, hold five, down); one exact schedule.
    #[arg(long, value_name = "RATE:DURATION,...", conflicts_with_all = ["rate", "duration", "requests"])]
    pub stages: Option<String>,

    /// Closed loop with changing connections: N:DURATION,... each stage moving the
    /// count linearly from the previous stage's (0 at the start) to its own, e.g.
    /// 50:30s,50:2m,0:10s (k6's ramping-vus); its peak is the connections (not with -c).
    #[arg(long, value_name = "N:DURATION,...", conflicts_with_all = ["rate", "stages", "duration", "requests", "concurrency"])]
    pub connection_stages: Option<String>,

    /// Per-request timeout, send to last body byte (e.g. 300ms, 5s).
    #[arg(long, value_parser = parse_duration, default_value = "10s", allow_hyphen_values = true)]
    pub timeout: Duration,

    /// Generator threads (default: one per core, at most one per connection).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,

    /// HTTP/2: requests in flight on each connection (h2load's -m). A request waiting
    /// for a free stream (the server's SETTINGS_MAX_CONCURRENT_STREAMS) counts that wait.
    #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..=10_000), requires = "http2")]
    pub streams: u32,

    /// Count a request that met a kept-alive connection the server had just closed
    /// (no response byte before the close) as a reset, as wrk does. By default golive
    /// sends an idempotent request once more on a new connection, as browsers and curl
    /// do, and counts it as retried (its latency keeps the retry's cost).
    #[arg(long)]
    pub no_retry: bool,

    /// HTTP/1.1 client for the load: lean (golive's own; one write per request, no
    /// per-request allocations) or hyper.
    #[arg(long, value_name = "CLIENT", default_value = "lean", conflicts_with = "http2", value_parser = PossibleValuesParser::new(["lean", "hyper"]).map(|s| s.parse::<crate::http::H1Client>().expect("listed")))]
    pub h1_client: crate::http::H1Client,

    /// HTTP/2 client for the load: lean (the h2 crate's, driven directly; a request
    /// head built once) or hyper.
    #[arg(long, value_name = "CLIENT", default_value = "lean", requires = "http2", value_parser = PossibleValuesParser::new(["lean", "hyper"]).map(|s| s.parse::<crate::http::H2Client>().expect("listed")))]
    #[serde(default)]
    pub h2_client: crate::http::H2Client,
}

/// What each request carries.
#[derive(Args, Debug, Clone, Serialize, Deserialize)]
pub struct RequestArgs {
    /// HTTP method.
    #[arg(short = 'X', short_alias = 'm', long, default_value = "GET")]
    pub method: String,

    /// Request header, repeatable. Values may reference the environment: ${NAME}.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Bearer token sent as `Authorization: Bearer …` (never printed).
    #[arg(long, env = "TEST_JWT", hide_env_values = true)]
    pub token: Option<String>,

    /// Request body.
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,

    /// Request body read from a file.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
}

/// How to reach the target.
#[derive(Args, Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClientArgs {
    /// Use HTTP/2 (ALPN h2 on https, prior knowledge on http).
    #[arg(long)]
    pub http2: bool,

    /// HTTP/2 flow-control window, stream and connection: BYTES (1MiB, 65535) or
    /// `h2load` (2^30-1, as h2load) [default: hyper's].
    #[arg(long, value_name = "BYTES", requires = "http2", value_parser = parse_window)]
    pub h2_window: Option<u32>,

    /// Accept any TLS certificate (self-signed staging).
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    golive stress http://127.0.0.1:8000/health -c 50 -d 10s\n  \
    golive stress $API_BASE/v1/items --rate 500 -d 1m -c 100 --slo 'p99<1s' --json out.json\n  \
    golive stress https://staging.example.com/api -H 'Authorization: Bearer ${TEST_JWT}' -n 1000\n\n\
    Default SLOs (when no --slo is given): success>99%, p95<500ms, 5xx==0.")]
pub struct StressArgs {
    /// The URL to load (with --workload: the origin its requests go to, in place of
    /// its base).
    #[arg(env = "API_BASE")]
    pub url: Option<String>,

    /// A weighted mix of named requests (TOML: base, headers, then [[request]] tables
    /// with name, method, path or url, headers, body or body_file, weight, slo); each
    /// request's numbers are kept apart. -H and --token apply to every request.
    #[arg(long, value_name = "FILE")]
    pub workload: Option<PathBuf>,

    /// With --workload: the seed of its placeholders' values (${uuid}, ${rand_int(..)},
    /// random feeders); the same seed sends the same requests [default: a fresh one,
    /// recorded in the result].
    #[arg(long, value_name = "N", requires = "workload")]
    pub seed: Option<u64>,

    #[command(flatten)]
    pub request: RequestArgs,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub client: ClientArgs,

    /// SLO to judge, repeatable: p95<500ms, p99<=1s, success>99%, 5xx==0, errors==0, rps>=1000.
    #[arg(long = "slo", value_name = "EXPR")]
    pub slos: Vec<String>,

    /// Settings, results and verdicts.
    #[arg(long, env = "OUTPUT_JSON", value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,

    /// Stop at the first response after which an SLO can no longer hold (e.g. the
    /// first 5xx under 5xx==0).
    #[arg(long)]
    pub abort_on_fail: bool,

    /// Judge this run against a saved one too (a `--json` of stress or merge with the
    /// same plan): a regression beyond the tolerance fails the run as an SLO would.
    #[arg(long, value_name = "FILE", help_heading = "Comparison")]
    pub baseline: Option<PathBuf>,

    #[command(flatten)]
    pub comparison: ComparisonArgs,

    /// Run shard K of N (K from 0) of this plan: the open model sends the tickets i
    /// of the one global schedule with i mod N = K; the closed loop takes its share
    /// of -c and -n. `auto/N` takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    #[arg(
        long,
        env = "GOLIVE_SHARD",
        value_name = "K/N",
        help_heading = "Scale-out"
    )]
    pub shard: Option<String>,

    /// Start the schedule at TIME: RFC 3339 (2026-11-23T18:00:00Z) or from now (+30s).
    /// Shards given one TIME send on one schedule; a late one counts its late requests as late.
    #[arg(long, value_name = "TIME", help_heading = "Scale-out")]
    pub start_at: Option<String>,

    /// Write the latency histograms as an HdrHistogram interval log (one interval per
    /// second, V2 compressed, values in µs) to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Scale-out")]
    pub hdr_log: Option<PathBuf>,

    #[arg(long, help = NO_PROGRESS_HELP)]
    pub no_progress: bool,

    #[arg(long, value_parser = parse_duration, default_value = "10s", value_name = "DURATION",
          help = STATUS_INTERVAL_HELP)]
    pub status_interval: Duration,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    golive serve --port 8000\n  \
    golive serve --port 0 --latency 20ms --error-rate 0.01\n  \
    golive serve --port 0 --error-rate-after 3s:0.2   # goes bad 3 s in\n  \
    golive serve --port 0 --admin   # then: curl -X POST -H 'X-Golive-Admin: TOKEN' '.../admin/faults?error_rate=0.2'\n\n\
Routes:\n  \
    GET /                        a page (with a Content-Security-Policy unless --no-csp)\n  \
    GET /health                  {\"status\":\"ok\"} (or degraded, or 503 with --health)\n  \
    GET /health/live, /health/ready, /health/startup   Kubernetes-style probes\n  \
    GET /api/auth/csrf, /api/security/csrf             a CSRF token\n  \
    GET /api/notify/outbox       the notification outbox (empty)\n  \
    GET /items?page=N            a page of items (a workload's list)\n  \
    GET /items/{id}              one item; 404 unless the id is a number\n  \
    POST /orders                 201 for a JSON object with a \"sku\", else 400\n  \
    POST /api/stripe/webhook     verifies Stripe-Signature with STRIPE_SIGNING_SECRET\n  \
    GET /metrics                 Prometheus text: requests by status, latency histogram\n  \
    GET|POST /admin/faults?error_rate=R&latency=D   only with --admin, and the X-Golive-Admin token it prints\n  \
    anything else                404")]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, short = 'p', default_value_t = 8000)]
    pub port: u16,

    /// Address to bind; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,

    /// Added latency per request (e.g. 5ms).
    #[arg(long, value_parser = parse_duration_or_zero, default_value = "0s")]
    pub latency: Duration,

    /// A known capacity: N workers, each request taking one for --service-time
    /// (queueing when all are busy), so it serves at most N / service time per second.
    #[arg(long, value_name = "N", requires = "service_time", value_parser = clap::value_parser!(u32).range(1..))]
    pub workers: Option<u32>,

    /// With --workers: how long each request takes its worker (e.g. 2ms).
    #[arg(long, value_parser = parse_duration, requires = "workers")]
    pub service_time: Option<Duration>,

    /// Fraction of requests answered 500 (deterministic: 0.1 is exactly 1 in 10).
    #[arg(long, value_parser = parse_fraction, default_value_t = 0.0)]
    pub error_rate: f64,

    /// Change the error rate at a time after start, repeatable: 3s:0.2 (the target
    /// goes bad mid-run). With --admin, POST /admin/faults?error_rate=R&latency=D too.
    #[arg(long, value_name = "DURATION:RATE")]
    pub error_rate_after: Vec<crate::serve::ScheduledRate>,

    /// What /health reports: ok (200 ok), degraded (200 degraded), fail (503).
    #[arg(long, default_value = "ok",
          value_parser = PossibleValuesParser::new(["ok", "degraded", "fail"]).map(|s| s.parse::<HealthMode>().expect("listed")))]
    pub health: HealthMode,

    /// Serve / without a Content-Security-Policy header.
    #[arg(long)]
    pub no_csp: bool,

    /// Server threads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: u32,

    /// Answer /admin/faults (change the error rate and latency while serving), to
    /// requests that carry the printed token in an X-Golive-Admin header
    /// (GOLIVE_ADMIN_TOKEN sets it; otherwise a random one). Off by default.
    #[arg(long)]
    pub admin: bool,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  golive demo --json demo.json")]
pub struct DemoArgs {
    /// Length of each demo load run.
    #[arg(short = 'd', long, value_parser = parse_duration, default_value = "2s")]
    pub duration: Duration,

    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    /// Where the demo's Stage 4 artifacts go.
    #[arg(long, default_value = "qa/stage4/v0.4.0", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Example:\n  golive merge shard-*.json --slo 'p99<250ms' --json merged.json"
)]
pub struct MergeArgs {
    /// `--json` files written by `golive stress`.
    #[arg(required = true, num_args = 1.., value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// SLOs to judge the merged run by (default: the first file's).
    #[arg(long = "slo", value_name = "EXPR")]
    pub slos: Vec<String>,

    /// Merge the shards given even if some of the plan's are missing (the verdict is
    /// then inconclusive at best, and says which are missing).
    #[arg(long)]
    pub allow_partial: bool,

    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    golive compare stable.json canary.json\n  \
    golive compare v1.json v2.json --tolerance 'p99:+10%' --tolerance 'errors:+0.1pp' --report diff.html\n\n\
    Each metric (the typical request's shift, p50/p95/p99, the share of requests slower, error and \
    5xx rates) gets its effect, interval, p-value and band. Exit 0 same or improved, 1 regressed, \
    3 inconclusive (too little data: the words say how much more), 2 when the plans differ (--force).")]
pub struct CompareArgs {
    /// The release being replaced: a `--json` file of golive stress or merge, or a
    /// capacity card (golive capacity --json) to compare with another card.
    #[arg(value_name = "BASELINE")]
    pub baseline: PathBuf,

    /// The new release, run with the same plan.
    #[arg(value_name = "CANDIDATE")]
    pub candidate: PathBuf,

    #[command(flatten)]
    pub comparison: ComparisonArgs,

    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// How two runs are compared: `compare`, and `stress --baseline`.
#[derive(Args, Debug, Clone)]
pub struct ComparisonArgs {
    /// How much worse a metric may get and still be the same, repeatable:
    /// shift:+5%, p50:+5%, p95:+10%, p99:+10%, shape:5% (of requests slower),
    /// errors:+0.1pp, 5xx:+0.1pp, throughput:-5% (those are the defaults). Absolute
    /// latency bands too: p99:+20ms.
    #[arg(
        long = "tolerance",
        value_name = "METRIC:BAND",
        help_heading = "Comparison",
        requires = "baseline"
    )]
    pub tolerances: Vec<String>,

    /// Percentiles of success latency to compare.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "50,95,99",
        value_name = "P,P,..",
        help_heading = "Comparison",
        requires = "baseline"
    )]
    pub percentiles: Vec<f64>,

    /// Seconds per replication unit: intervals of the runs' timelines, not requests,
    /// are resampled, because requests close in time are correlated (1s–10s).
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION",
          help_heading = "Comparison", requires = "baseline")]
    pub unit: Duration,

    /// Leave each run's first DURATION out of the comparison (warm-up).
    #[arg(long = "compare-warmup", default_value = "0s", value_parser = parse_duration_or_zero,
          value_name = "DURATION", help_heading = "Comparison", requires = "baseline")]
    pub warmup: Duration,

    /// Two-sided confidence of every interval (0.99: seven metrics are judged at once,
    /// and a false regression costs a rollback).
    #[arg(
        long,
        default_value_t = 0.995,
        value_name = "C",
        help_heading = "Comparison",
        requires = "baseline"
    )]
    pub confidence: f64,

    /// Compare even when the plans differ (path, method, model, rate, connections,
    /// protocol, body); the differences are said in the result.
    #[arg(long, help_heading = "Comparison", requires = "baseline")]
    pub force: bool,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    golive canary                                   # $HEALTH_URL, else $PROD_URL/health\n  \
    golive canary https://staging.example.com/health --count 10 --slo 'p95<500ms'\n  \
    golive canary $HEALTH_URL --interval 1m --for 1h   # uptime probe")]
pub struct CanaryArgs {
    /// Health URL [default: $HEALTH_URL, else $PROD_URL/health, else http://127.0.0.1:8000/health].
    pub url: Option<String>,

    /// Number of samples.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub count: u32,

    /// Pause from the end of one sample to the start of the next (as the Stage 4 script's loop).
    #[arg(long, default_value = "300ms", value_parser = parse_duration_or_zero)]
    pub delay: Duration,

    /// Uptime-probe mode: one sample every INTERVAL, start to start (needs --for).
    #[arg(long, requires = "for_", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Option<Duration>,

    /// How long the uptime probe runs (needs --interval).
    #[arg(long = "for", id = "for_", requires = "interval", value_parser = parse_duration, value_name = "DURATION")]
    pub for_: Option<Duration>,

    /// Per sample: connect, request and body.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// SLO over the samples, repeatable (default: p95<1000ms).
    #[arg(long = "slo", value_name = "EXPR")]
    pub slos: Vec<String>,

    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    PROD_URL=https://app.example.com golive stage4\n  \
    golive stage4 https://app.example.com --probes --strict-headers\n\n\
    Variables read (the Stage 4 readiness spec's): PROD_URL, HEALTH_URL, S4_TIMEOUT, \
    EXPECT_LIVE, ALLOW_PROVIDER_MOCK, and for the provider check STRIPE_TEST, \
    STRIPE_SECRET_KEY, STRIPE_SIGNING_SECRET, NOTIFY_MODE, EMAIL_FROM \
    (secrets: only whether they are set is reported).")]
pub struct Stage4Args {
    /// Base URL of the environment under test [default: $PROD_URL, else
    /// http://127.0.0.1:8000, said in the results].
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// The URL by the Stage 3/Stage 4 scripts' name (an alias of the positional URL).
    #[arg(long, env = "PROD_URL", value_name = "URL")]
    pub prod_url: Option<String>,

    /// Health endpoint [default: PROD_URL/health].
    #[arg(long, env = "HEALTH_URL")]
    pub health_url: Option<String>,

    /// Per-request timeout: seconds (5.0) or a duration (5s).
    #[arg(long, env = "S4_TIMEOUT", default_value = "5.0", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// Require live providers (STRIPE_TEST=0, signing secret, NOTIFY_MODE not mock, EMAIL_FROM).
    #[arg(long, env = "EXPECT_LIVE", num_args = 0..=1, default_missing_value = "1",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub expect_live: Option<bool>,

    /// Let provider issues pass [default: 1, but 0 when EXPECT_LIVE=1].
    #[arg(long, env = "ALLOW_PROVIDER_MOCK", num_args = 0..=1, default_missing_value = "1",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_provider_mock: Option<bool>,

    /// Advisory security-header findings fail the gate.
    #[arg(long)]
    pub strict_headers: bool,

    /// Also check /health/live, /health/ready and /health/startup.
    #[arg(long)]
    pub probes: bool,

    /// Where summary.json and tests.txt go.
    #[arg(long, default_value = "qa/stage4/v0.4.0", value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub evidence: EvidenceArgs,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  golive probes https://app.example.com --json probes.json")]
pub struct ProbesArgs {
    /// Base URL.
    #[arg(env = "PROD_URL", default_value = "http://127.0.0.1:8000")]
    pub base: String,

    /// Per probe.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,

    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  golive envcheck --example .env.example --json env.json")]
pub struct EnvcheckArgs {
    /// Example file naming the variables (NAME=value lines; `# optional` marks optional ones).
    #[arg(long, default_value = ".env.example", value_name = "FILE")]
    pub example: PathBuf,

    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Files: release_gate/run_all.py and public/test2.html (backups *.bak_stage4_v040), \
    marker qa/_aggregate/stage4_patch_applied.txt.\n\
    Exit codes: 0 done or nothing to do, 1 drifted, inconsistent or untrusted marker, \
    2 missing or unrecognised files.\n\n\
    Examples:\n  golive patch diff\n  golive patch apply\n  golive patch status\n  golive patch rollback"
)]
pub struct PatchArgs {
    #[command(subcommand)]
    pub action: PatchAction,

    /// Project root.
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,

    /// Show the diff of what would change; write nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
}

/// How rollback treats what it finds.
#[derive(Args, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RollbackArgs {
    /// Roll back even files edited since apply (the edited versions are saved beside them).
    #[arg(long)]
    pub force: bool,

    /// The marker is unreadable: restore from the backups, after proving each patched
    /// file is exactly golive's edit of its backup (refused otherwise).
    #[arg(long)]
    pub from_backups: bool,
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchAction {
    /// Insert the Stage 4 tail-runner and the stage3/stage4 rows (idempotent).
    Apply,
    /// Restore the patched files byte for byte; remove the backups, rows and marker.
    Rollback(RollbackArgs),
    /// Applied or not, drift since apply, backups, rows; exit 1 if drifted or half-applied.
    Status,
    /// The unified diff apply would make (with --rollback: that rollback would make).
    Diff {
        /// Show what rollback would change instead of apply.
        #[arg(long)]
        rollback: bool,
        #[command(flatten)]
        how: RollbackArgs,
    },
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  \
    golive index --stage stage4 --row-version v0.4.0 --description 'Production go-live readiness' \\\n    \
    --code 'golive stage4' --test /qa/stage4/v0.4.0/summary.json")]
pub struct IndexArgs {
    /// Project root (public/test2.html lives under it).
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,

    /// Section id: the h2 id and the table's data-pack (stage3, stage4, ...).
    #[arg(long)]
    pub stage: String,

    /// Section title when the section is new [default: from the stage].
    #[arg(long)]
    pub title: Option<String>,

    /// The row's version, e.g. v0.4.0 (a row with this version is updated in place).
    #[arg(long, value_name = "VERSION")]
    pub row_version: String,

    /// The row's description column, e.g. "Production go-live readiness".
    #[arg(long)]
    pub description: String,

    /// The "link" column's href.
    #[arg(long, default_value = "/")]
    pub link: String,

    /// A path (linked) or a command (shown as code).
    #[arg(long)]
    pub code: String,

    /// Path of the evidence, e.g. /qa/stage4/v0.4.0/summary.json.
    #[arg(long)]
    pub test: String,

    /// Path of the HTML report, linked beside the evidence [default: report.html beside
    /// a --test summary.json, as the gates write it; '' for no link].
    #[arg(long, value_name = "PATH")]
    pub report: Option<String>,
}

/// Where smoke checks go and which ones.
#[derive(Args, Debug, Clone)]
pub struct SmokeTargetArgs {
    /// Base URL of the API [default: $OI_BASE_URL, else http://127.0.0.1:8000].
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// The URL by the Stage 3/Stage 4 scripts' name (an alias of the positional URL).
    #[arg(long, env = "OI_BASE_URL", value_name = "URL", hide_env_values = false)]
    pub base: Option<String>,

    /// Health endpoint for the default health check [default: BASE/health].
    #[arg(long, env = "HEALTH_URL")]
    pub health_url: Option<String>,

    /// TOML checks file (docs/gates.md) [default: the five Stage 3 checks: health,
    /// auth_csrf, security_csrf, stripe_webhook_signature, notify_outbox].
    #[arg(long, value_name = "FILE")]
    pub checks: Option<PathBuf>,

    /// Per request.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Let 5xx responses pass the run-wide zero-5xx rule.
    #[arg(long)]
    pub allow_5xx: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    golive smoke https://staging.example.com\n  \
    golive smoke $OI_BASE_URL --checks smoke.toml --json smoke_results.json")]
pub struct SmokeArgs {
    #[command(flatten)]
    pub target: SmokeTargetArgs,

    #[arg(long, value_name = "FILE", help = JSON_HELP)]
    pub json: Option<PathBuf>,

    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  \
    export TENANT_1_SUPABASE_JWT_SECRET=...\n  \
    eval \"$(golive jwt --secret-env TENANT_1_SUPABASE_JWT_SECRET --sub hod@example.test --role chief_engineer --name HOD_JWT)\"")]
pub struct JwtArgs {
    /// Environment variable holding the HMAC secret (never a flag: flags end up in shell history).
    #[arg(long, value_name = "NAME")]
    pub secret_env: String,

    /// The `sub` claim.
    #[arg(long)]
    pub sub: String,

    /// The `role` claim.
    #[arg(long)]
    pub role: Option<String>,

    /// Lifetime: `exp` = now + TTL.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub ttl: Duration,

    /// Extra claim, repeatable: k=v (v as JSON when it parses, else a string).
    #[arg(long = "claim", value_name = "K=V")]
    pub claims: Vec<String>,

    /// Variable name in the printed `export NAME=...` [default: ROLE_JWT, else TEST_JWT].
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  \
    OI_BASE_URL=https://staging.example.com golive stage3 --root ../my-project")]
pub struct Stage3Args {
    #[command(flatten)]
    pub target: SmokeTargetArgs,

    /// HOME_API for the release gate (API mode).
    #[arg(long, env = "HOME_API", default_value = "1")]
    pub home_api: String,

    /// Release gate command, run with sh from --root [default: python3 release_gate/run_all.py].
    #[arg(long, value_name = "CMD")]
    pub gate_cmd: Option<String>,

    /// Kill the gate (and its process group) after this long.
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub gate_timeout: Duration,

    /// Project root: where the gate runs.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,

    /// Artifact directory (relative paths are under --root).
    #[arg(long, default_value = "qa/stage3/v0.3.0", value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// An HTTP/2 window: bytes, with KiB/MiB, or h2load's default (2^30-1).
fn parse_window(s: &str) -> Result<u32, String> {
    const MAX: u32 = (1 << 31) - 1;
    let s = s.trim();
    if s == "h2load" {
        return Ok((1 << 30) - 1);
    }
    let (digits, unit) = match (s.strip_suffix("KiB"), s.strip_suffix("MiB")) {
        (Some(d), _) => (d, 1024u64),
        (_, Some(d)) => (d, 1024 * 1024),
        _ => (s, 1),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| "expected bytes (65535, 1MiB) or h2load".to_string())?;
    let bytes = n * unit;
    if !(65_535..=u64::from(MAX)).contains(&bytes) {
        return Err(format!(
            "must be between 65535 and {MAX} bytes (HTTP/2's limits)"
        ));
    }
    Ok(bytes as u32)
}

/// Seconds as a number (the Stage 4 script's S4_TIMEOUT=5.0) or a humantime duration.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Ok(Duration::from_secs_f64(secs)),
        Ok(_) => Err("must be a positive number of seconds".into()),
        Err(_) => parse_duration(s),
    }
}

/// A positive duration in humantime form (300ms, 5s, 1m).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration_or_zero(s)?;
    if d.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(d)
}

fn parse_duration_or_zero(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.starts_with('-') {
        return Err("a duration cannot be negative".into());
    }
    if s.parse::<f64>().is_ok() && s != "0" {
        return Err(format!("add a unit, e.g. {s}s or {s}ms"));
    }
    humantime::parse_duration(s).map_err(|e| format!("{e}; use e.g. 300ms, 5s, 1m"))
}

/// A whole number, with an optional SI suffix: 500, 10k, 1.5M.
fn parse_si(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('m' | 'M') => (&t[..t.len() - 1], 1e6),
        Some('g' | 'G') => (&t[..t.len() - 1], 1e9),
        _ => (t, 1.0),
    };
    let v: f64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a count; e.g. 500, 10k, 1M"))?;
    let n = v * scale;
    if !(n.is_finite() && n >= 1.0 && n.fract() == 0.0) {
        return Err(format!("'{s}' is not a whole number of at least 1"));
    }
    Ok(n as u64)
}

fn parse_count(s: &str) -> Result<u64, String> {
    parse_si(s)
}

fn parse_connections(s: &str) -> Result<u32, String> {
    let n = parse_si(s)?;
    if n > 100_000 {
        return Err("at most 100000 connections".into());
    }
    Ok(n as u32)
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s
        .trim()
        .parse()
        .map_err(|_| "expected requests per second, e.g. 500".to_string())?;
    if !(r.is_finite() && r > 0.0) {
        return Err("must be greater than 0".into());
    }
    if r > 10_000_000.0 {
        return Err("more than 10,000,000 requests per second is not a plan".into());
    }
    Ok(r)
}

/// A share of a rate: `80%` (more than 0, at most 200); the sign is required, so that
/// 0.8 meant as 80% is not read as 0.8%.
fn parse_percent(s: &str) -> Result<f64, String> {
    let n: f64 = s
        .trim()
        .strip_suffix('%')
        .ok_or_else(|| "expected a percentage with its sign, e.g. 80%".to_string())?
        .trim()
        .parse()
        .map_err(|_| "expected a percentage, e.g. 80%".to_string())?;
    if !(n > 0.0 && n <= 200.0) {
        return Err("a percentage above 0 and at most 200".into());
    }
    Ok(n)
}

fn default_pre_load() -> f64 {
    80.0
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| "expected a fraction between 0 and 1".to_string())?;
    if !(0.0..=1.0).contains(&f) {
        return Err("must be between 0 and 1".into());
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units_and_a_sign() {
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("5").unwrap_err().contains("unit"));
        assert!(parse_duration("0s")
            .unwrap_err()
            .contains("greater than zero"));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn rates_are_positive_and_finite() {
        assert_eq!(parse_rate("250.5"), Ok(250.5));
        for bad in ["0", "-1", "inf", "NaN", "fast"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_take_si_suffixes() {
        assert_eq!(parse_count("10k"), Ok(10_000));
        assert_eq!(parse_count("1.5M"), Ok(1_500_000));
        assert_eq!(parse_count("250"), Ok(250));
        for bad in ["0", "1.5", "ten", "-3", "k"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
        assert!(parse_connections("200k").is_err());
    }

    #[test]
    fn peers_aliases_parse() {
        let cli = Cli::try_parse_from([
            "golive",
            "stress",
            "http://h/",
            "-z",
            "5s",
            "-q",
            "100",
            "-m",
            "POST",
        ])
        .unwrap();
        let Command::Stress(a) = cli.command else {
            unreachable!()
        };
        assert_eq!(a.load.duration, Some(Duration::from_secs(5)));
        assert_eq!(a.load.rate, Some(100.0));
        assert_eq!(a.request.method, "POST");
        let cli = Cli::try_parse_from(["golive", "stress", "http://h/", "-R", "7"]).unwrap();
        let Command::Stress(a) = cli.command else {
            unreachable!()
        };
        assert_eq!(a.load.rate, Some(7.0));
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
