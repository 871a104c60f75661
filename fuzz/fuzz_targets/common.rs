//! What every target does with the bytes it is given: the whole path an
//! input takes after discovery (recognise, facts, correlate, rules, both
//! renderings), so a crash anywhere downstream of the loader shows up too.

use std::sync::Arc;

use eksguard::facts::{self, FactOptions};
use eksguard::load::{self, Outcome};
use eksguard::report::{self, Counts, Report, Summary};
use eksguard::{correlate, rules};

/// Runs one input's documents through the rest of the pipeline.
#[allow(dead_code)] // not every target reaches every helper
pub(crate) fn run(path: &str, bytes: &[u8]) {
    let path: Arc<str> = Arc::from(path);
    let outcome = load::recognise(&path, bytes.to_vec(), true);
    let Outcome::Documents(docs) = outcome else { return };
    documents(&docs);
}

/// Runs recognised documents through facts, correlation, rules and the
/// text, JSON, Markdown and HTML renderings.
#[allow(dead_code)] // not every target reaches every helper
pub(crate) fn documents(docs: &[load::Document]) {
    let options = FactOptions::default();
    let all: Vec<_> = docs.iter().flat_map(|d| facts::extract(d, &options)).collect();
    let model = correlate::correlate(all);
    let findings = rules::evaluate(&model, &rules::RuleSettings::default());
    let summary = Summary { findings: Counts::of(&findings), ..Summary::default() };
    let report = Report {
        version: report::REPORT_VERSION,
        summary,
        clusters: report::cluster_summaries(&model).into(),
        findings: findings.into(),
        suppressed: Vec::new(),
        errors: Vec::new(),
        skipped: Vec::new(),
        unmatched: Vec::new(),
        checked: Vec::new(),
        relations: report::relations(&model),
        undeclared_parameters: Vec::new(),
        stages: Vec::new(),
    };
    let mut out = Vec::new();
    let options = report::RenderOptions { verbose: true, ..report::RenderOptions::default() };
    report::text::render(&report, &options, &mut out).expect("render text");
    report::json::render(&report, &options, &mut out).expect("render json");
    report::markdown::render(&report, &options, &mut out).expect("render markdown");
    report::html::render(&report, &options, &mut out).expect("render html");
}
