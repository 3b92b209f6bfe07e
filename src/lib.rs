//! golive: tells a web team, with numbers, whether a release may go live.
//!
//! # Layout
//! - [`cli`]: clap definitions (flags, environment fallbacks, help text).
//! - [`config`]: flags and environment turned into validated settings.
//! - [`http`]: targets, request templates, connections (TCP/TLS, h1/h2), one exchange.
//! - [`load`]: the load engine: one worker loop for closed and open (constant-rate) runs.
//! - [`measure`]: per-thread recorders, HdrHistograms, mergeable results (no I/O).
//! - [`slo`]: SLO expressions, parsed and judged (pure).
//! - [`checks`]: health contract, security headers, provider config, env files, smoke specs; one-shot probes.
//! - [`gates`]: canary, probes, smoke, Stage 3 and Stage 4: checks orchestrated, artifacts written.
//! - [`patch`]: the Stage 4 integration: pure edits of run_all.py and test2.html, backups, rollback.
//! - [`report`]: results rendered as text or JSON; atomic artifact writes.
//! - [`serve`]: the embedded target server.
//! - [`sign`]: Stripe-style webhook signatures.
//! - [`jwt`]: HS256 test tokens.
//! - [`commands`]: one module per subcommand, wiring the above together.
//! - [`exit`]: exit codes and the error type that carries one.
//! - [`logging`]: golive's own events on stderr (text or JSON).

pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod gates;
pub mod http;
pub mod jwt;
pub mod load;
pub mod logging;
pub mod measure;
pub mod patch;
pub mod report;
pub mod serve;
pub mod sign;
pub mod slo;
