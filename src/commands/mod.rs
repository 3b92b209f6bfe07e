//! One module per subcommand: each validates its arguments, wires the engine modules
//! together and maps the outcome to an exit code.

pub mod canary;
pub mod demo;
pub mod envcheck;
pub mod index;
pub mod jwt;
pub mod merge;
pub mod patch;
pub mod probes;
pub mod serve;
pub mod smoke;
pub mod stage3;
pub mod stage4;
pub mod stress;

use crate::cli::Command;
use crate::exit::{self, Exit, Failure};

pub fn dispatch(command: Command) -> exit::Result<Exit> {
    match command {
        Command::Stress(args) => stress::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Canary(args) => canary::run(&args),
        Command::Stage4(args) => stage4::run(&args),
        Command::Probes(args) => probes::run(&args),
        Command::Envcheck(args) => envcheck::run(&args),
        Command::Patch(args) => patch::run(&args),
        Command::Index(args) => index::run(&args),
        Command::Smoke(args) => smoke::run(&args),
        Command::Jwt(args) => jwt::run(&args),
        Command::Stage3(args) => stage3::run(&args),
    }
}

/// The health endpoint: the one given (flag or HEALTH_URL) when non-empty, else BASE/health.
pub(crate) fn health_url(base: &str, given: Option<&str>) -> String {
    match given.filter(|u| !u.trim().is_empty()) {
        Some(u) => u.to_string(),
        None => format!("{}/health", base.trim_end_matches('/')),
    }
}

/// A runtime for the coordinating side of a command (the load has its own threads).
pub(crate) fn runtime() -> exit::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(anyhow::Error::new(e).context("starting the async runtime")))
}

/// Stops `control` on the first SIGINT or SIGTERM (gates and canaries then report
/// what they have).
pub(crate) fn stop_on_signal(control: std::sync::Arc<crate::load::Control>) -> exit::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut sigint = signal(SignalKind::interrupt()).map_err(Failure::runtime)?;
    let mut sigterm = signal(SignalKind::terminate()).map_err(Failure::runtime)?;
    tokio::spawn(async move {
        tokio::select! {
            _ = sigint.recv() => {}
            _ = sigterm.recv() => {}
        }
        control.stop();
    });
    Ok(())
}
