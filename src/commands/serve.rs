//! `golive serve`: the embedded target on a port, until Ctrl-C.

use std::io::Write;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tracing::{info, warn};

use crate::cli::ServeArgs;
use crate::exit::{self, Exit, Failure};
use crate::serve::{serve, ServeOptions};

pub fn options(args: &ServeArgs) -> ServeOptions {
    ServeOptions {
        latency: args.latency,
        error_rate: args.error_rate,
        health: args.health,
        csp: !args.no_csp,
        signing_secret: std::env::var("STRIPE_SIGNING_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(String::into_bytes),
    }
}

pub fn run(args: &ServeArgs) -> exit::Result<Exit> {
    let opts = options(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads as usize)
        .enable_all()
        .build()
        .map_err(Failure::runtime)?;
    rt.block_on(async {
        let listener = TcpListener::bind((args.bind, args.port))
            .await
            .with_context(|| format!("cannot listen on {}:{} (try --port 0 for a free port)", args.bind, args.port))
            .map_err(Failure::runtime)?;
        let addr = listener.local_addr().map_err(Failure::runtime)?;
        if !addr.ip().is_loopback() {
            warn!(%addr, "serving beyond loopback");
        }
        let secret = if opts.signing_secret.is_some() { "set" } else { "not set" };
        println!("golive serve: listening on http://{addr} (STRIPE_SIGNING_SECRET {secret}; Ctrl-C stops)");
        // Scripts wait for this line before sending traffic.
        let _ = std::io::stdout().flush();
        let mut sigint = signal(SignalKind::interrupt()).map_err(Failure::runtime)?;
        let mut sigterm = signal(SignalKind::terminate()).map_err(Failure::runtime)?;
        let shutdown = async move {
            tokio::select! {
                _ = sigint.recv() => {}
                _ = sigterm.recv() => {}
            }
        };
        serve(listener, opts, shutdown).await;
        info!("golive serve stopped");
        Ok(Exit::Pass)
    })
}
