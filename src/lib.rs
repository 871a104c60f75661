//! eksguard: catches EKS deploy-time failures in eksctl-generated
//! CloudFormation before they reach AWS.
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! discover -> load -> facts -> correlate -> rules -> report
//! ```
//!
//! [`scan`] calls the stages in order. Loading and fact extraction run in
//! parallel, one input at a time per thread, and keep only facts; the
//! later stages see every input at once.

pub mod correlate;
pub mod discover;
pub mod eksctl;
pub mod facts;
pub mod load;
pub mod report;
pub mod rules;

use rayon::prelude::*;

use facts::{FactOptions, Facts};
use load::{Document, LoadOptions, Outcome};
use report::{Counts, InputError, Report, Skipped, Summary};
use rules::RuleSettings;

/// Everything a scan needs to know.
#[derive(Debug, Clone, Default)]
pub struct ScanConfig {
    /// Files, directories or `-`.
    pub paths: Vec<String>,
    /// `describe-cluster` output given with `--context`.
    pub contexts: Vec<String>,
    /// Worker threads; all cores when `None`.
    pub jobs: Option<usize>,
    pub load: LoadOptions,
    pub facts: FactOptions,
    pub rules: RuleSettings,
}

/// What became of one input unit after loading and fact extraction.
enum Unit {
    Analysed { documents: DocCounts, facts: Vec<Facts> },
    Skipped(Skipped),
    Error(InputError),
}

#[derive(Default, Clone, Copy)]
struct DocCounts {
    templates: usize,
    cluster_configs: usize,
    contexts: usize,
}

/// Runs a whole scan and returns its report.
pub fn scan(config: &ScanConfig) -> Result<Report, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    Ok(pool.install(|| scan_in_pool(config)))
}

fn scan_in_pool(config: &ScanConfig) -> Report {
    let mut found = discover::Discovery::default();
    discover::discover(&config.paths, false, &mut found);
    discover::discover(&config.contexts, true, &mut found);

    let units: Vec<Unit> = found
        .inputs
        .par_iter()
        .flat_map_iter(|input| {
            load::load(input, &config.load).into_iter().map(|loaded| analyse(loaded, input.context, &config.facts))
        })
        .collect();

    let mut errors: Vec<InputError> =
        found.errors.into_iter().map(|(path, message)| InputError { path, message }).collect();
    let mut skipped: Vec<Skipped> = found.skipped.into_iter().map(|(path, reason)| Skipped { path, reason }).collect();
    let mut summary = Summary::default();
    let mut all_facts = Vec::new();
    for unit in units {
        match unit {
            Unit::Analysed { documents, facts } => {
                summary.analysed += 1;
                summary.templates += documents.templates;
                summary.cluster_configs += documents.cluster_configs;
                summary.contexts += documents.contexts;
                all_facts.extend(facts);
            }
            Unit::Skipped(s) => skipped.push(s),
            Unit::Error(e) => errors.push(e),
        }
    }
    errors.sort();
    skipped.sort();

    let model = correlate::correlate(all_facts);
    let findings = rules::evaluate(&model, &config.rules);
    summary.skipped = skipped.len();
    summary.errors = errors.len();
    summary.inputs = summary.analysed + summary.skipped + summary.errors;
    summary.clusters = model.clusters.len();
    summary.access_entries = model.entries.len();
    summary.findings = Counts::of(&findings);
    Report {
        version: report::REPORT_VERSION,
        summary,
        clusters: report::cluster_summaries(&model),
        findings,
        errors,
        skipped,
    }
}

fn analyse(loaded: load::Loaded, context_only: bool, options: &FactOptions) -> Unit {
    let path = loaded.path;
    match loaded.outcome {
        Outcome::Skipped(reason) if context_only => {
            Unit::Error(InputError { path, message: format!("not describe-cluster output: {reason}") })
        }
        Outcome::Skipped(reason) => Unit::Skipped(Skipped { path, reason }),
        Outcome::Error(message) => Unit::Error(InputError { path, message }),
        Outcome::Documents(docs) => {
            if context_only && docs.iter().any(|d| !matches!(d, Document::Context(_))) {
                return Unit::Error(InputError {
                    path,
                    message: "given with --context but not `aws eks describe-cluster` output".to_owned(),
                });
            }
            let mut documents = DocCounts::default();
            // Sized to fit: a sweep keeps one of these per input.
            let mut facts = Vec::with_capacity(docs.len());
            for doc in &docs {
                match doc {
                    Document::Template(_) => documents.templates += 1,
                    Document::ClusterConfig(_) => documents.cluster_configs += 1,
                    Document::Context(_) => documents.contexts += 1,
                }
                facts.extend(facts::extract(doc, options));
            }
            Unit::Analysed { documents, facts }
        }
    }
}
