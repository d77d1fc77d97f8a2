//! The `datahavn` command: serve the API, migrate the database, manage users and tokens.

mod check;
mod cli;
mod config;
mod logging;
mod transfer;

use std::process::ExitCode;

/// mimalloc: request handling allocates many small, short-lived values on many threads, where
/// it spends far less time than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
