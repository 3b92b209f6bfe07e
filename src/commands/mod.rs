//! One module per subcommand: each validates its arguments, wires the engine modules
//! together and maps the outcome to an exit code.

pub mod demo;
pub mod merge;
pub mod serve;
pub mod stress;

use crate::cli::Command;
use crate::exit::{self, Exit, Failure};

pub fn dispatch(command: Command) -> exit::Result<Exit> {
    match command {
        Command::Stress(args) => stress::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Merge(args) => merge::run(&args),
    }
}

/// A runtime for the coordinating side of a command (the load has its own threads).
pub(crate) fn runtime() -> exit::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(anyhow::Error::new(e).context("starting the async runtime")))
}
