//! `golive serve` flags → [`ServeOptions`].

use super::Env;
use crate::cli::ServeArgs;
use crate::serve::ServeOptions;

impl ServeOptions {
    /// STRIPE_SIGNING_SECRET comes from the environment only (never a flag).
    pub fn from_args(args: &ServeArgs, env: Env) -> ServeOptions {
        ServeOptions {
            latency: args.latency,
            error_rate: args.error_rate,
            error_rate_after: args.error_rate_after.clone(),
            health: args.health,
            csp: !args.no_csp,
            signing_secret: env("STRIPE_SIGNING_SECRET")
                .filter(|s| !s.is_empty())
                .map(String::into_bytes),
            capacity: args
                .workers
                .zip(args.service_time)
                .map(|(workers, service_time)| crate::serve::Capacity {
                    workers,
                    service_time,
                }),
            admin_token: args.admin.then(|| {
                env("GOLIVE_ADMIN_TOKEN")
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(crate::serve::new_admin_token)
            }),
        }
    }
}
