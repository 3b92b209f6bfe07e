//! `golive serve`: the embedded target on a port, until Ctrl-C.

use anyhow::Context;
use tokio::net::TcpListener;
use tracing::{info, warn};

use super::Finished;
use crate::cli::ServeArgs;
use crate::config::process_env;
use crate::exit::{self, Failure};
use crate::output::console;
use crate::serve::{serve, ServeOptions};
use crate::shutdown::shutdown_signal;

pub fn run(args: &ServeArgs) -> exit::Result<Finished> {
    let opts = ServeOptions::from_args(args, &process_env);
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
        // Scripts wait for this line before sending traffic (the console flushes it).
        console::outln(&format!("golive serve: listening on http://{addr} (STRIPE_SIGNING_SECRET {secret}; Ctrl-C stops)"));
        if let Some(token) = &opts.admin_token {
            // golive's own token, printed so the operator can use it (the admin routes
            // change what the target serves, nothing else).
            console::outln(&format!("golive serve: /admin/faults answers requests with the header 'X-Golive-Admin: {token}'"));
        }
        serve(listener, opts, shutdown_signal()).await;
        info!("golive serve stopped");
        Ok(Finished::done(""))
    })
}
