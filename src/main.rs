//! The `datahavn` command: serve the API, migrate the database, manage users and tokens.

mod check;
mod cli;
mod config;
mod logging;
mod memory;
mod transfer;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
