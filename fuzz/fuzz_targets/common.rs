//! What every target does with the bytes it is given: the whole path an
//! input takes after discovery (recognise, facts, correlate, rules, both
//! renderings), so a crash anywhere downstream of the loader shows up too.

use std::sync::Arc;

use eksguard::facts::{self, FactOptions};
use eksguard::load::{self, Outcome};
use eksguard::report::{self, Counts, Report, Summary};
use eksguard::{correlate, rules};

pub fn run(path: &str, bytes: &[u8]) {
    let path: Arc<str> = Arc::from(path);
    let outcome = load::recognise(&path, Arc::from(bytes), true);
    let Outcome::Documents(docs) = outcome else { return };
    let options = FactOptions::default();
    let all: Vec<_> = docs.iter().flat_map(|d| facts::extract(d, &options)).collect();
    drop(docs);
    let model = correlate::correlate(all);
    let findings = rules::evaluate(&model, &rules::RuleSettings::default());
    let summary = Summary { findings: Counts::of(&findings), ..Summary::default() };
    let report = Report {
        version: report::REPORT_VERSION,
        summary,
        clusters: report::cluster_summaries(&model),
        findings,
        errors: Vec::new(),
        skipped: Vec::new(),
    };
    let mut out = Vec::new();
    report::text::render(&report, true, &mut out).expect("render text");
    report::json::render(&report, &mut out).expect("render json");
}
