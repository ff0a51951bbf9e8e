//! `setguard serve`: reads the settings and runs the server on a Tokio runtime.

use anyhow::Context as _;
use setguard_server::config::{Config, Overrides};
use std::process::ExitCode;

/// Runs the server until Ctrl-C.
pub fn serve(flags: Overrides) -> anyhow::Result<ExitCode> {
    let config = Config::load(&flags, &|k| std::env::var(k).ok()).context("the settings")?;
    // Logs go to stderr; RUST_LOG (e.g. `RUST_LOG=setguard_server=debug`) chooses how much.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(setguard_server::serve(config))?;
    Ok(ExitCode::SUCCESS)
}
