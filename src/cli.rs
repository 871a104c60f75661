//! Command-line interface: clap definitions, turned into a validated
//! [`ScanConfig`], and the writing of the rendered report.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
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
use eksguard::load::settings_files;
use eksguard::report::{self, RenderOptions, Report};
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
        /// Also list the Guard rules of these files or directories (those of
        /// the config file's `guard-rules` are listed too).
        #[arg(long, value_name = "PATH")]
        guard_rules: Vec<String>,
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
    /// GitLab Code Quality report (merge request widget).
    Gitlab,
    /// Markdown with a Mermaid diagram (GitHub job summaries, merge-request comments).
    Markdown,
    /// One self-contained HTML page (archive sweeps).
    Html,
}

impl Format {
    /// The renderer of each format.
    fn renderer(self) -> report::Renderer {
        match self {
            Format::Text => report::text::render,
            Format::Json => report::json::render,
            Format::Sarif => report::sarif::render,
            Format::Junit => report::junit::render,
            Format::Github => report::github::render,
            Format::Gitlab => report::gitlab::render,
            Format::Markdown => report::markdown::render,
            Format::Html => report::html::render,
        }
    }

    /// What the renderer writes may hold text from the inputs that only
    /// its own escaping does not make safe for a terminal (JSON escapes
    /// every control character, Markdown and HTML replace them; the others
    /// are stripped of escapes).
    fn escapes_controls(self) -> bool {
        matches!(self, Format::Json | Format::Sarif | Format::Gitlab | Format::Markdown | Format::Html)
    }

    /// The report shows source lines (they are read again for it).
    fn quotes_source(self) -> bool {
        matches!(self, Format::Text | Format::Sarif | Format::Html)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
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

    /// Output format [default: text].
    #[arg(long, short, value_enum)]
    format: Option<Format>,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Also write a SARIF report to FILE (beside `--format`).
    #[arg(long, value_name = "FILE")]
    sarif_output: Option<PathBuf>,

    /// Also write a JSON report to FILE (beside `--format`).
    #[arg(long, value_name = "FILE")]
    json_output: Option<PathBuf>,

    /// Also write a JUnit XML report to FILE (beside `--format`).
    #[arg(long, value_name = "FILE")]
    junit_output: Option<PathBuf>,

    /// Also write a GitLab Code Quality report to FILE (beside `--format`).
    #[arg(long, value_name = "FILE")]
    gitlab_output: Option<PathBuf>,

    /// Also write a Markdown report to FILE (beside `--format`).
    #[arg(long, value_name = "FILE")]
    markdown_output: Option<PathBuf>,

    /// Also write an HTML report to FILE (beside `--format`).
    #[arg(long, value_name = "FILE")]
    html_output: Option<PathBuf>,

    /// Read everything under DIR too (repeatable), to correlate the paths
    /// given with the cluster stacks, exports and describe-cluster output
    /// there; only findings in the paths given are reported (pre-commit).
    #[arg(long, value_name = "DIR")]
    context_root: Vec<String>,

    /// The name standard input (`-`) goes by in the report and for its
    /// stack name.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<String>,

    /// Worker threads (default: all cores).
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,

    /// Exit with 1 when a finding is at or above this severity (`never`:
    /// findings alone never fail) [default: error].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,

    /// `aws eks describe-cluster` output to use as live state (repeatable).
    #[arg(long, value_name = "FILE")]
    context: Vec<String>,

    /// Templates as they are deployed now (files, directories, archives,
    /// `get-template` output, a previous `cdk.out`; repeatable): compared
    /// with the scanned templates of the same stack name.
    #[arg(long, value_name = "PATH")]
    deployed: Vec<String>,

    /// Override a template parameter: KEY=VALUE (repeatable).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE", value_parser = parse_key_value)]
    parameters: Vec<(String, String)>,

    /// eksctl release to model for ClusterConfigs (X.Y.Z); current eksctl when
    /// unset, with a warning when an affected release would fail.
    #[arg(long, value_name = "X.Y.Z", env = "EKSGUARD_EKSCTL_VERSION", value_parser = parse_eksctl_version)]
    eksctl_version: Option<Version>,

    /// Skip files larger than this many bytes without reading them
    /// [default: 67108864].
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,

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

    /// Print, on stderr, how long each stage took and the peak memory after
    /// it (Linux), once the report is written.
    #[arg(long)]
    stats: bool,

    /// Hide the findings recorded in this baseline file: only new ones fail.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Record the current findings in FILE (they are then hidden as baselined).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,

    /// Entries read from one archive [default: 10000].
    #[arg(long, value_name = "N")]
    max_archive_entries: Option<usize>,

    /// Uncompressed bytes of one archive entry [default: 67108864].
    #[arg(long, value_name = "BYTES")]
    max_entry_size: Option<u64>,

    /// Uncompressed bytes of one whole archive [default: 536870912].
    #[arg(long, value_name = "BYTES")]
    max_archive_size: Option<u64>,

    /// Run only these rules (ids or names, comma-separated).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    select: Vec<String>,

    /// Do not run these rules (ids or names, comma-separated).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    ignore: Vec<String>,

    /// Report the names in inline suppressions that silenced nothing
    /// (EKS016 unused-suppression; also `--select EKS016`).
    #[arg(long)]
    report_unused_suppressions: bool,

    /// Override a rule's severity: ID=error|warning|note (repeatable).
    #[arg(long, value_name = "ID=LEVEL", value_parser = parse_key_value)]
    severity: Vec<(String, String)>,

    /// Settings file (default: the nearest eksguard.toml, or pyproject.toml
    /// with [tool.eksguard], from here up to the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Read no config file.
    #[arg(long, conflicts_with = "config")]
    isolated: bool,

    /// Leave out of directory walks the paths matching these gitignore-style
    /// patterns, relative to the working directory (comma-separated; replaces
    /// the config file's `exclude`) [default: node_modules].
    #[arg(long, value_name = "GLOB,...", value_delimiter = ',')]
    exclude: Option<Vec<String>>,

    /// Like --exclude, adding to the excluded patterns.
    #[arg(long, value_name = "GLOB,...", value_delimiter = ',')]
    extend_exclude: Vec<String>,

    /// Apply excludes to the paths named on the command line too (they are
    /// read otherwise).
    #[arg(long)]
    force_exclude: bool,

    /// Do not respect .gitignore, .ignore and .git/info/exclude in walks.
    #[arg(long)]
    no_ignore: bool,

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

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => run_scan(*args),
        Command::Rules { format, guard_rules } => list_rules(format, guard_rules).map(|()| ExitCode::SUCCESS),
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
    let file = config_file(&args)?;
    let file = file.as_ref();
    let (rules, guard) = rule_settings(&args, file)?;
    let format = match (args.format, file.and_then(|f| f.format.as_deref())) {
        (Some(f), _) => f,
        (None, Some(text)) => from_file::<Format>(file, "format", text)?,
        (None, None) => Format::Text,
    };
    let fail_on = match (args.fail_on, file.and_then(|f| f.fail_on.as_deref())) {
        (Some(f), _) => f,
        (None, Some(text)) => from_file::<FailOn>(file, "fail-on", text)?,
        (None, None) => FailOn::Error,
    };
    let eksctl_version = match (args.eksctl_version, file.and_then(|f| f.eksctl_version.as_deref())) {
        (Some(v), _) => Some(v),
        (None, Some(text)) => Some(text.parse::<Version>().map_err(|e: String| in_file(file, "eksctl-version", &e))?),
        (None, None) => None,
    };
    let mut parameters = file.map(config::ConfigFile::parameter_values).unwrap_or_default();
    parameters.extend(args.parameters);
    let mut contexts = file.map(|f| f.context.clone()).unwrap_or_default();
    contexts.extend(args.context);
    let defaults = LoadOptions::default();
    let pick = |cli: Option<u64>, key: Option<u64>, default: u64| cli.or(key).unwrap_or(default);
    let baseline_path = args.baseline.clone().or_else(|| file.and_then(|f| f.baseline.as_ref().map(PathBuf::from)));
    // The main report and every `--FORMAT-output` file.
    let mut outputs: Vec<(Format, Option<PathBuf>)> = vec![(format, args.output.clone())];
    for (format, path) in [
        (Format::Sarif, &args.sarif_output),
        (Format::Json, &args.json_output),
        (Format::Junit, &args.junit_output),
        (Format::Gitlab, &args.gitlab_output),
        (Format::Markdown, &args.markdown_output),
        (Format::Html, &args.html_output),
    ] {
        if let Some(path) = path {
            outputs.push((format, Some(path.clone())));
        }
    }
    let mut config = ScanConfig {
        paths: args.paths,
        contexts,
        context_roots: args.context_root,
        stdin_name: args.stdin_filename,
        deployed: args.deployed,
        jobs: args.jobs.map(usize::from),
        follow_links: args.follow_links || file.and_then(|f| f.follow_links).unwrap_or(false),
        filters: filters(
            &args.exclude,
            &args.extend_exclude,
            args.no_ignore,
            args.force_exclude,
            file,
            &[baseline_path.as_deref(), args.write_baseline.as_deref(), file.map(|f| f.path.as_path())],
        )?,
        load: LoadOptions {
            max_file_size: pick(args.max_file_size, file.and_then(|f| f.max_file_size), defaults.max_file_size),
            archive: ArchiveLimits {
                max_entries: args
                    .max_archive_entries
                    .or(file.and_then(|f| f.max_archive_entries))
                    .unwrap_or(defaults.archive.max_entries),
                max_entry_size: pick(
                    args.max_entry_size,
                    file.and_then(|f| f.max_entry_size),
                    defaults.archive.max_entry_size,
                ),
                max_total_size: pick(
                    args.max_archive_size,
                    file.and_then(|f| f.max_archive_size),
                    defaults.archive.max_total_size,
                ),
            },
        },
        facts: FactOptions {
            parameters: parameters.into_iter().collect::<BTreeMap<_, _>>(),
            eksctl_version,
            ..FactOptions::default()
        },
        rules,
        guard,
        skip_source_lines: !outputs.iter().any(|(f, _)| f.quotes_source()),
        skip_checked_list: !outputs.iter().any(|(f, _)| *f == Format::Junit),
        relations: outputs.iter().any(|(f, _)| matches!(f, Format::Markdown | Format::Html)),
        baseline: None,
        stats: args.stats,
        batch_facts: None,
    };
    if args.write_baseline.is_none() {
        config.baseline = baseline_path.as_deref().map(read_baseline).transpose()?;
    }
    let mut report = if args.quiet { scan(&config)? } else { progress::scan(&config)? };
    for name in &report.undeclared_parameters {
        eprintln!(
            "eksguard: warning: parameter {}: no template read declares a parameter of this name, so its value \
             changes nothing (a typo?)",
            eksguard::finding::visible(name)
        );
    }
    if let Some(path) = &args.write_baseline {
        // Recorded, then hidden: the written baseline applies to this run.
        let root = settings_files::baseline_root(path);
        let written = Baseline::of(report.findings.iter(), &root);
        std::fs::write(path, written.render()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.apply(&mut report, &root);
    }
    let options = RenderOptions {
        verbose: args.verbose,
        enabled: rules::REGISTRY.iter().filter(|r| config.rules.enabled(r)).map(|r| r.id).collect(),
        fail_on: fail_on.threshold(),
        base: std::env::current_dir().ok().and_then(|d| d.to_str().map(str::to_owned)),
    };
    let mut stages = eksguard::report::Stages::new(args.stats);
    for (format, path) in &outputs {
        match path {
            Some(path) => write_file(&report, &options, *format, path)?,
            None => {
                let colors = *format == Format::Text
                    && match args.color {
                        Color::Always => true,
                        Color::Never => false,
                        Color::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
                    };
                let mut out = io::BufWriter::with_capacity(OUTPUT_BUFFER, io::stdout().lock());
                match emit(&report, &options, *format, !colors, &mut out) {
                    // A closed pipe (`eksguard scan | head`) is not an error.
                    Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                        return Err(format!("cannot write output: {e}"));
                    }
                    _ => {}
                }
            }
        }
    }
    if args.stats {
        stages.end("render");
        report.stages.extend(stages.into_vec());
        eprint!("{}", stats(&report));
    }
    if report.summary.analysed == 0 {
        let s = &report.summary;
        eprintln!(
            "eksguard: no input analysed ({}: {} skipped, {} not read){}",
            plural(s.inputs, "input", "inputs"),
            s.skipped,
            s.errors,
            if s.skipped > 0 && !args.verbose && format == Format::Text { "; --verbose lists them" } else { "" }
        );
    }
    Ok(exit_code(&report, fail_on))
}

/// What `--stats` prints: the inputs and their rate, then each stage's
/// time and the peak memory after it.
fn stats(report: &eksguard::report::Report) -> String {
    let total: f64 = report.stages.iter().map(|s| s.seconds).sum();
    let inputs = report.summary.inputs;
    let rate = if total > 0.0 { format!(", {:.0} inputs/s", inputs as f64 / total) } else { String::new() };
    let mut out = format!("eksguard: stats: {} in {total:.3} s{rate}\n", plural(inputs, "input", "inputs"));
    for stage in &report.stages {
        let peak =
            stage.peak_rss.map_or_else(String::new, |b| format!("   peak RSS {:>8.1} MiB", b as f64 / 1048576.0));
        // As wide as the longest stage name ("correlate, rules and Guard").
        out.push_str(&format!("  {:<26} {:>8.3} s{peak}\n", stage.name, stage.seconds));
    }
    out
}

/// Bytes a report is written in at a time: a sweep's report is tens of
/// megabytes, and each write to a file is a system call.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// Writes one report to a file.
fn write_file(report: &Report, options: &RenderOptions, format: Format, path: &Path) -> Result<(), String> {
    let write = || -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(OUTPUT_BUFFER, std::fs::File::create(path)?);
        emit(report, options, format, true, &mut out)
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Renders one report into `out` as it is made, never whole in memory (a
/// sweep's JSON report can be tens of megabytes): through a filter that
/// drops escape sequences when `strip` is set and the format does not
/// escape control characters itself.
fn emit(
    report: &Report,
    options: &RenderOptions,
    format: Format,
    strip: bool,
    out: &mut (dyn Write + 'static),
) -> io::Result<()> {
    let render = format.renderer();
    if strip && !format.escapes_controls() {
        let mut stripped = anstream::StripStream::new(&mut *out);
        render(report, options, &mut stripped)?;
    } else {
        render(report, options, out)?;
    }
    out.flush()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The baseline file at `path`, parsed, with the root its fingerprints name
/// files from; a version 1 baseline is read with a warning.
fn read_baseline(path: &Path) -> Result<eksguard::baseline::Applied, String> {
    let text = settings_files::read_baseline(path)?;
    let baseline = Baseline::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if baseline.legacy() {
        eprintln!(
            "eksguard: warning: {}: baseline version {} names files as they were given, so it hides \
             findings only when the same paths are scanned from the same directory; rewrite it with \
             --write-baseline",
            path.display(),
            baseline.version
        );
    }
    Ok(eksguard::baseline::Applied { baseline, root: settings_files::baseline_root(path) })
}

/// The config file: `--config`, else the nearest one, none with `--isolated`.
fn config_file(args: &ScanArgs) -> Result<Option<config::ConfigFile>, String> {
    use eksguard::load::settings_files::{find_config, read_config};
    if args.isolated {
        return Ok(None);
    }
    let (path, text) = match &args.config {
        Some(path) => (path.clone(), read_config(path)?),
        None => match find_config()? {
            Some(found) => found,
            None => return Ok(None),
        },
    };
    let file = config::ConfigFile::parse(&path, &text)?;
    if file.is_none() && args.config.is_some() {
        return Err(format!("{}: no [tool.eksguard] table", path.display()));
    }
    Ok(file)
}

/// A value of the config file that the command line would take as an enum.
fn from_file<T: ValueEnum>(file: Option<&config::ConfigFile>, key: &str, text: &str) -> Result<T, String> {
    T::from_str(text, false).map_err(|_| {
        let values: Vec<String> =
            T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|v| v.get_name().to_owned()).collect();
        in_file(file, key, &format!("`{text}` is not one of {}", values.join(", ")))
    })
}

fn in_file(file: Option<&config::ConfigFile>, key: &str, message: &str) -> String {
    let path = file.map(|f| f.path.display().to_string()).unwrap_or_default();
    format!("{path}: {key}: {message}")
}

/// What walks leave out: excludes from the file (relative to it) and the
/// flags (relative to the working directory), ignore files, the baseline.
fn filters(
    exclude: &Option<Vec<String>>,
    extend_exclude: &[String],
    no_ignore: bool,
    force_exclude: bool,
    file: Option<&config::ConfigFile>,
    never: &[Option<&std::path::Path>],
) -> Result<eksguard::discover::Filters, String> {
    use eksguard::discover::{Excludes, Filters, absolute};
    let cwd = absolute(std::path::Path::new("."));
    let mut excludes = Excludes::default();
    let in_file = |e: eksguard::discover::DiscoverError| match file {
        Some(f) => format!("{}: {e}", f.path.display()),
        None => e.to_string(),
    };
    match (exclude, file.and_then(|f| f.exclude.as_ref())) {
        (Some(cli), _) => excludes.add(&cwd, cli)?,
        (None, Some(from_file)) => {
            excludes.add(&absolute(&file.map(|f| f.dir.clone()).unwrap_or_default()), from_file).map_err(in_file)?
        }
        (None, None) => {
            let defaults: Vec<String> = config::DEFAULT_EXCLUDE.iter().map(|s| (*s).to_owned()).collect();
            excludes.add(&cwd, &defaults)?;
        }
    }
    if let Some(f) = file {
        excludes.add(&absolute(&f.dir), &f.extend_exclude).map_err(in_file)?;
    }
    excludes.add(&cwd, extend_exclude)?;
    Ok(Filters {
        exclude: excludes,
        no_ignore: no_ignore || file.and_then(|f| f.respect_ignore_files).is_some_and(|r| !r),
        force_exclude: force_exclude || file.and_then(|f| f.force_exclude).unwrap_or(false),
        never: never.iter().flatten().filter_map(|p| std::fs::canonicalize(p).ok()).collect(),
    })
}

/// Rule settings from the config file and the flags, and the Guard rules.
fn rule_settings(
    args: &ScanArgs,
    file: Option<&config::ConfigFile>,
) -> Result<(RuleSettings, Option<Arc<GuardRules>>), String> {
    use eksguard::load::settings_files::read_guard_rules;
    let cli = config::RuleArgs {
        report_unused_suppressions: args.report_unused_suppressions,
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        severity: args.severity.clone(),
    };
    let mut guard_paths = file.map(|f| f.guard_rules.clone()).unwrap_or_default();
    guard_paths.extend(args.guard_rules.iter().cloned());
    let guard =
        if guard_paths.is_empty() { None } else { Some(Arc::new(GuardRules::parse(read_guard_rules(&guard_paths)?)?)) };
    let names = guard.as_ref().map(|g| g.names()).unwrap_or_default();
    let names: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
    let settings = config::settings(file, &cli, &names)?;
    Ok((settings, guard))
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
    match (fail_on.threshold(), report.worst()) {
        (Some(t), Some(w)) if w >= t => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn list_rules(format: ListFormat, mut guard_paths: Vec<String>) -> Result<(), String> {
    use eksguard::load::settings_files::{find_config, read_guard_rules};
    if let Some((path, text)) = find_config()? {
        if let Some(file) = config::ConfigFile::parse(&path, &text)? {
            guard_paths.splice(0..0, file.guard_rules);
        }
    }
    let guard = if guard_paths.is_empty() {
        GuardRules::default()
    } else {
        GuardRules::parse(read_guard_rules(&guard_paths)?)?
    };
    // Guard rules: (name, severity, file).
    let listed: Vec<(String, Severity, &str)> =
        guard.names().into_iter().map(|(n, file)| (n.clone(), guard.severity_of(&n, file), file)).collect();
    let text = match format {
        ListFormat::Json => {
            let rules: Vec<_> = rules::REGISTRY
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "name": r.name, "severity": r.severity, "summary": r.summary}))
                .chain(listed.iter().map(|(n, severity, file)| {
                    serde_json::json!({"id": n, "name": "guard", "severity": severity, "file": file})
                }))
                .collect();
            let mut s =
                serde_json::to_string_pretty(&serde_json::json!({ "rules": rules })).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        ListFormat::Markdown => rules::doc::markdown_table(),
        ListFormat::Text => {
            let width = |f: fn(&rules::Rule) -> usize| rules::REGISTRY.iter().map(f).max().unwrap_or(0);
            let (id, severity, name) =
                (width(|r| r.id.len()), width(|r| r.severity.as_str().len()), width(|r| r.name.len()));
            rules::REGISTRY
                .iter()
                .map(|r| {
                    let severity_text = r.severity.as_str();
                    format!("{:<id$}  {severity_text:<severity$}  {:<name$}  {}\n", r.id, r.name, r.summary)
                })
                .chain(listed.iter().map(|(n, s, file)| format!("{n}  {s}  guard  {file}\n")))
                .collect()
        }
    };
    write_stdout(text.as_bytes())
}
