//! golive: tells a web team, with numbers, whether a release may go live.
//!
//! # Layout
//! - [`cli`]: clap definitions (flags, environment fallbacks, help text). Parsing only.
//! - [`config`]: flags and environment turned into each command's validated plan.
//! - [`commands`]: one module per subcommand: plan → run → result → render → write → exit.
//! - [`http`]: targets, request templates, connections (TCP/TLS), the load path's own
//!   HTTP/1.1 exchange, hyper for HTTP/2 and the checks.
//! - [`load`]: the load engine: one worker loop for closed and open runs, a pacer per
//!   thread, supervision.
//! - [`measure`]: per-thread recorders, HdrHistograms, mergeable results (no I/O).
//! - [`slo`]: SLO expressions, parsed and judged (pure).
//! - [`workload`]: `--workload`: a weighted mix of named requests from a TOML file.
//! - [`capacity`]: the highest rate a release sustains within its SLOs: steps, the
//!   search, the judgement (pure).
//! - [`compare`]: a candidate run against a baseline run, histogram-native statistics
//!   with intervals over time units, tolerance bands and one verdict (pure).
//! - [`outcome`]: the one verdict every result carries, and the JSON envelope.
//! - [`checks`]: health contract, security headers, provider config, env files, smoke specs; one-shot probes.
//! - [`gates`]: stress, canary, probes, smoke, Stage 3 and Stage 4: checks orchestrated into results.
//! - [`patch`]: the Stage 4 integration: pure edits of run_all.py and test2.html, backups,
//!   rollback; the marker is its journal, the project root its lock.
//! - [`ramp`]: a release carried from a few percent to all traffic: the journal (intents
//!   before actions), the pure step rule, the driver, windows, commands in process groups.
//! - [`report`]: results rendered as text (no I/O).
//! - [`schema`]: the JSON Schema of every command's `--json` document.
//! - [`input`]: the files golive reads, each with a cap.
//! - [`output`]: the one place bytes leave golive: console streams and atomic file writes.
//! - [`serve`]: the embedded target server.
//! - [`redact`]: secrets by type (URL userinfo, secret-named variables): never printed.
//! - [`sign`]: Stripe-style webhook signatures.
//! - [`jwt`]: HS256 test tokens.
//! - [`exit`]: exit codes and the error type that carries one.
//! - [`logging`]: golive's own events on stderr (text or JSON).
//! - [`shutdown`]: Ctrl-C / SIGTERM, heard once at the top and passed down as a `Cancel` token.
//!
//! Nothing below [`commands`] writes a file, except the two records that must be on disk
//! before the action they describe: the ramp's journal and the patch's marker (both
//! through [`output::file`]).
//! - [`time`]: RFC 3339 timestamps.

pub mod capacity;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod exit;
pub mod gates;
pub mod http;
pub mod input;
pub mod jwt;
pub mod load;
pub mod logging;
pub mod measure;
pub mod outcome;
pub mod output;
pub mod patch;
pub mod ramp;
pub mod redact;
pub mod report;
pub mod schema;
pub mod serve;
pub mod shutdown;
pub mod sign;
pub mod slo;
pub mod time;
pub mod workload;
