//! The `eksguard` command: parses arguments, runs the library, maps the
//! outcome to an exit code (0 clean, 1 findings at or above `--fail-on`,
//! 2 usage error or an input that could not be read).

mod cli;
mod progress;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
