//! The `datahavn` command: serve the API, migrate the database, manage users and tokens.

mod check;
mod cli;
mod config;
mod logging;
mod memory;
mod transfer;

use std::process::ExitCode;

/// jemalloc: a catalogue's long-lived entries (the read cache's datasets, the newest-first
/// list) and each request's short-lived buffers leave far fewer holes between them than in the
/// C allocator's per-thread arenas (see "Memory" in docs/OPERATIONS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings (its `malloc_conf`; `_RJEM_MALLOC_CONF` in the environment overrides
/// them): a thread that hands pages freed a second ago back to the system, whether or not the
/// process is busy, and an arena per core (jemalloc's own default is four per core).
#[cfg(not(target_env = "msvc"))]
#[allow(unsafe_code)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static ALLOCATOR_SETTINGS: &[u8; 63] = b"background_thread:true,dirty_decay_ms:1000,percpu_arena:percpu\0";

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
