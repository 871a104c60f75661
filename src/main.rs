//! The `eksguard` command: parses arguments, runs the library, maps the
//! outcome to an exit code (0 clean, 1 findings at or above `--fail-on`,
//! 2 usage error or an input that could not be read).

mod cli;
mod progress;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}

/// A sweep makes millions of small, short-lived allocations (YAML events,
/// scalars, nodes freed once facts are taken): mimalloc (v3) serves them
/// in about 20% less time than the system allocator, for about a fifth
/// more peak memory (see the README's Performance section).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
