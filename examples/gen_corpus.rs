//! Writes a synthetic archive of eksctl-shaped stacks (see
//! `examples/support/corpus.rs`) and prints what it planted as JSON.
//!
//! ```text
//! cargo run --release --example gen_corpus -- DIR [TEMPLATES] [SEED] [MALFORMED]
//! ```

#[path = "support/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: gen_corpus DIR [TEMPLATES=10000] [SEED=1] [MALFORMED=0]");
        return ExitCode::from(2);
    };
    let num = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let spec = corpus::Spec { templates: num(1, 10_000) as usize, seed: num(2, 1), malformed: num(3, 0) as usize };
    if dir.exists() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        eprintln!("gen_corpus: {} exists and is not empty", dir.display());
        return ExitCode::from(2);
    }
    match corpus::generate(&dir, &spec) {
        Ok(written) => {
            println!("{}", written.to_json());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_corpus: {e}");
            ExitCode::FAILURE
        }
    }
}
