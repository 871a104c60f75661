//! Command-line interface: clap definitions, turned into a validated
//! [`ScanConfig`], and the writing of the rendered report.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::progress;

use eksguard::baseline::Baseline;
use eksguard::config;
use eksguard::eksctl::Version;
use eksguard::facts::FactOptions;
use eksguard::finding::Severity;
use eksguard::load::LoadOptions;
use eksguard::load::archive::ArchiveLimits;
use eksguard::report::{self, Report};
use eksguard::rules::guard::GuardRules;
use eksguard::rules::{self, RuleSettings};
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
    /// Scan templates, get-template and describe-cluster output, and eksctl
    /// ClusterConfigs (config files, `--dry-run` output).
    Scan(Box<ScanArgs>),
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
    /// The README's rule table.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML (GitLab CI, Jenkins).
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
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

    /// eksctl release to model for ClusterConfigs (X.Y.Z); current eksctl when
    /// unset, with a warning when an affected release would fail.
    #[arg(long, value_name = "X.Y.Z", env = "EKSGUARD_EKSCTL_VERSION", value_parser = parse_eksctl_version)]
    eksctl_version: Option<Version>,

    /// Skip files larger than this many bytes without reading them.
    #[arg(long, value_name = "BYTES", default_value_t = LoadOptions::default().max_file_size)]
    max_file_size: u64,

    /// Follow symbolic links met in directory walks (links named on the
    /// command line are always followed); link loops are skipped.
    #[arg(long)]
    follow_links: bool,

    /// Colors in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,

    /// Also list skipped inputs in text output.
    #[arg(long, short)]
    verbose: bool,

    /// No progress bar (it is only ever drawn on a terminal's stderr).
    #[arg(long, short)]
    quiet: bool,

    /// Hide the findings recorded in this baseline file: only new ones fail.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Record the current findings in FILE (they are then hidden as baselined).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,

    /// Entries read from one archive.
    #[arg(long, value_name = "N", default_value_t = ArchiveLimits::default().max_entries)]
    max_archive_entries: usize,

    /// Uncompressed bytes of one archive entry.
    #[arg(long, value_name = "BYTES", default_value_t = ArchiveLimits::default().max_entry_size)]
    max_entry_size: u64,

    /// Uncompressed bytes of one whole archive.
    #[arg(long, value_name = "BYTES", default_value_t = ArchiveLimits::default().max_total_size)]
    max_archive_size: u64,

    /// Run only these rules (ids or names, comma-separated).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    select: Vec<String>,

    /// Do not run these rules (ids or names, comma-separated).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    ignore: Vec<String>,

    /// Override a rule's severity: ID=error|warning|note (repeatable).
    #[arg(long, value_name = "ID=LEVEL", value_parser = parse_key_value)]
    severity: Vec<(String, String)>,

    /// Settings file (default: ./eksguard.toml when present).
    #[arg(long, value_name = "FILE")]
    config: Option<String>,

    /// AWS CloudFormation Guard rules to run too: a .guard file or a
    /// directory of them (repeatable).
    #[arg(long, value_name = "PATH")]
    guard_rules: Vec<String>,
}

fn parse_eksctl_version(s: &str) -> Result<Version, String> {
    s.parse()
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
        Command::Scan(args) => run_scan(*args),
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
    let (rules, guard) = rule_settings(&args)?;
    let config = ScanConfig {
        paths: args.paths,
        contexts: args.context,
        jobs: args.jobs.map(usize::from),
        follow_links: args.follow_links,
        load: LoadOptions {
            max_file_size: args.max_file_size,
            archive: ArchiveLimits {
                max_entries: args.max_archive_entries,
                max_entry_size: args.max_entry_size,
                max_total_size: args.max_archive_size,
            },
        },
        facts: FactOptions {
            parameters: args.parameters.into_iter().collect::<BTreeMap<_, _>>(),
            eksctl_version: args.eksctl_version,
            ..FactOptions::default()
        },
        rules,
        guard,
        skip_source_lines: matches!(args.format, Format::Json | Format::Junit | Format::Github),
        skip_checked_list: !matches!(args.format, Format::Junit),
    };
    let baseline = args
        .baseline
        .as_ref()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Baseline::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
        })
        .transpose()?;
    let mut report = if args.quiet { scan(&config)? } else { progress::scan(&config)? };
    let baseline = match &args.write_baseline {
        Some(path) => {
            let written = Baseline::of(&report.findings);
            std::fs::write(path, written.render()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Some(written)
        }
        None => baseline,
    };
    if let Some(baseline) = &baseline {
        baseline.apply(&mut report);
    }
    let enabled: Vec<&rules::Rule> = rules::REGISTRY.iter().filter(|r| config.rules.enabled(r)).collect();
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
        Format::Sarif => report::sarif::render(&report, &mut rendered),
        Format::Junit => report::junit::render(&report, &enabled, &mut rendered),
        Format::Github => report::github::render(&report, &mut rendered),
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

/// Rule settings from `eksguard.toml` and the flags, and the Guard rules.
fn rule_settings(args: &ScanArgs) -> Result<(RuleSettings, Option<Arc<GuardRules>>), String> {
    use eksguard::load::settings_files::{read_config, read_guard_rules};
    let (path, required) = match &args.config {
        Some(p) => (p.as_str(), true),
        None => (config::CONFIG_FILE, false),
    };
    let file = read_config(path, required)?.map(|text| config::ConfigFile::parse(path, &text)).transpose()?;
    let cli =
        config::RuleArgs { select: args.select.clone(), ignore: args.ignore.clone(), severity: args.severity.clone() };
    let settings = config::settings(file.as_ref(), &cli)?;
    let mut guard_paths = file.map(|f| f.guard_rules).unwrap_or_default();
    guard_paths.extend(args.guard_rules.iter().cloned());
    let guard =
        if guard_paths.is_empty() { None } else { Some(Arc::new(GuardRules::parse(read_guard_rules(&guard_paths)?)?)) };
    Ok((settings, guard))
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
        ListFormat::Markdown => rules::doc::markdown_table(),
        ListFormat::Text => rules::REGISTRY
            .iter()
            .map(|r| format!("{:<7} {:<8} {:<40} {}\n", r.id, r.severity, r.name, r.summary))
            .collect(),
    };
    write_stdout(text.as_bytes())
}
