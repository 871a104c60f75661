//! Command-line interface: clap definitions, turned into a validated
//! [`ScanConfig`], and the writing of the rendered report.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use eksguard::facts::FactOptions;
use eksguard::load::LoadOptions;
use eksguard::report::{self, Report};
use eksguard::rules::{self, RuleSettings, Severity};
use eksguard::{ScanConfig, scan};

/// Catches EKS deploy-time failures in eksctl-generated CloudFormation
/// before they reach AWS.
#[derive(Debug, Parser)]
#[command(name = "eksguard", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan templates, get-template and describe-cluster output.
    Scan(ScanArgs),
    /// List the built-in rules.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print the documentation of one rule.
    Rule {
        /// A rule id (EKS001) or name (access-entry-on-config-map-cluster).
        id: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Files, directories (walked recursively) or `-` for standard input.
    #[arg(default_value = ".")]
    paths: Vec<String>,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Worker threads (default: all cores).
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,

    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,

    /// `aws eks describe-cluster` output to use as live state (repeatable).
    #[arg(long, value_name = "FILE")]
    context: Vec<String>,

    /// Override a template parameter: KEY=VALUE (repeatable).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE", value_parser = parse_key_value)]
    parameters: Vec<(String, String)>,

    /// Skip files larger than this many bytes without reading them.
    #[arg(long, value_name = "BYTES", default_value_t = LoadOptions::default().max_file_size)]
    max_file_size: u64,

    /// Colors in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,

    /// Also list skipped inputs in text output.
    #[arg(long, short)]
    verbose: bool,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Rules { format } => list_rules(format).map(|()| ExitCode::SUCCESS),
        Command::Rule { id } => match rules::find(&id) {
            Some(rule) => write_stdout(rule.doc.as_bytes()).map(|()| ExitCode::SUCCESS),
            None => Err(format!("no rule `{id}` (see `eksguard rules`)")),
        },
    };
    result.unwrap_or_else(|message| {
        eprintln!("eksguard: error: {message}");
        ExitCode::from(2)
    })
}

fn run_scan(args: ScanArgs) -> Result<ExitCode, String> {
    let config = ScanConfig {
        paths: args.paths,
        contexts: args.context,
        jobs: args.jobs.map(usize::from),
        load: LoadOptions { max_file_size: args.max_file_size },
        facts: FactOptions { parameters: args.parameters.into_iter().collect::<BTreeMap<_, _>>() },
        rules: RuleSettings::default(),
    };
    let report = scan(&config)?;
    if let (Format::Json, Some(path)) = (args.format, &args.output) {
        // JSON holds no escape sequences to strip: stream it to the file
        // rather than holding a rendered copy of a large report.
        let write = || -> io::Result<()> {
            let mut out = io::BufWriter::new(std::fs::File::create(path)?);
            report::json::render(&report, &mut out)?;
            out.flush()
        };
        write().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        return Ok(exit_code(&report, args.fail_on));
    }
    let mut rendered = Vec::new();
    match args.format {
        Format::Text => report::text::render(&report, args.verbose, &mut rendered),
        Format::Json => report::json::render(&report, &mut rendered),
    }
    .map_err(|e| format!("cannot render the report: {e}"))?;

    match &args.output {
        Some(path) => {
            let plain = strip(&rendered);
            std::fs::write(path, plain).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        None => {
            let colors = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            if colors { write_stdout(&rendered)? } else { write_stdout(&strip(&rendered))? }
        }
    }
    Ok(exit_code(&report, args.fail_on))
}

fn strip(bytes: &[u8]) -> Vec<u8> {
    anstream::adapter::strip_bytes(bytes).into_vec()
}

fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`eksguard scan | head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write output: {e}")),
    }
}

fn exit_code(report: &Report, fail_on: FailOn) -> ExitCode {
    if !report.errors.is_empty() {
        return ExitCode::from(2);
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    match (threshold, report.worst()) {
        (Some(t), Some(w)) if w >= t => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn list_rules(format: ListFormat) -> Result<(), String> {
    let text = match format {
        ListFormat::Json => {
            let rules: Vec<_> = rules::REGISTRY
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "name": r.name, "severity": r.severity, "summary": r.summary}))
                .collect();
            let mut s =
                serde_json::to_string_pretty(&serde_json::json!({ "rules": rules })).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        ListFormat::Text => rules::REGISTRY
            .iter()
            .map(|r| format!("{:<7} {:<8} {:<40} {}\n", r.id, r.severity, r.name, r.summary))
            .collect(),
    };
    write_stdout(text.as_bytes())
}
