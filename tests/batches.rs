//! A sweep correlates and checks related stacks batch by batch (see
//! `correlate::batches`): the report must be the one that correlating
//! every stack at once gives. Each input set is scanned with batches of one
//! group each and with one batch of everything, and the reports compared
//! whole: summary, clusters, findings (with every location and related
//! location), suppressions and unmatched deployed templates.

#[path = "../examples/support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use eksguard::{ScanConfig, scan};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The report of `paths` (with `deployed`) as JSON, and the findings'
/// `Debug` text (which shows what JSON leaves out, as quoted lines).
fn report(paths: &[PathBuf], deployed: &[PathBuf], batch_facts: usize) -> String {
    report_with(paths, deployed, batch_facts, None)
}

fn report_with(
    paths: &[PathBuf],
    deployed: &[PathBuf],
    batch_facts: usize,
    guard: Option<std::sync::Arc<eksguard::rules::guard::GuardRules>>,
) -> String {
    let text = |p: &[PathBuf]| p.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let mut config = ScanConfig {
        paths: text(paths),
        deployed: text(deployed),
        jobs: Some(2),
        batch_facts: Some(batch_facts),
        guard,
        ..ScanConfig::default()
    };
    config.rules.unused_suppressions = true;
    let report = scan(&config).expect("scan");
    format!("{}\n{:?}", serde_json::to_string_pretty(&report).expect("JSON"), report.findings)
}

fn same_either_way(paths: &[PathBuf], deployed: &[PathBuf]) {
    let apart = report(paths, deployed, 1);
    let together = report(paths, deployed, usize::MAX);
    assert!(apart == together, "{paths:?}: batches change the report:\n{}", first_difference(&apart, &together));
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
    let show = |t: &str| t.lines().skip(line.saturating_sub(3)).take(8).collect::<Vec<_>>().join("\n");
    format!("at line {line}:\n--- apart\n{}\n--- together\n{}", show(a), show(b))
}

#[test]
fn every_sample_gives_the_same_report_in_batches() {
    let samples = root().join("samples");
    // Each rule's samples, with their deployed templates.
    for rule in std::fs::read_dir(&samples).expect("samples/").filter_map(Result::ok) {
        for kind in ["bad", "good"] {
            let dir = rule.path().join(kind);
            if dir.is_dir() {
                let deployed = dir.join(".deployed");
                let deployed = if deployed.is_dir() { vec![deployed] } else { Vec::new() };
                same_either_way(&[dir], &deployed);
            }
        }
    }
    // All of them together: many clusters, entries, exports and nested
    // stacks, and names that meet across samples.
    same_either_way(&[samples], &[]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 8, ..proptest::prelude::ProptestConfig::default() })]

    /// Generated sweeps (the benchmark's generator: clusters in every mode,
    /// nodegroup and access entry stacks targeting them by name, by import
    /// and across files, malformed files), any seed, any batch size.
    #[test]
    fn a_generated_sweep_gives_the_same_report_in_batches(
        seed in proptest::prelude::any::<u64>(),
        templates in 60usize..300,
        batch in 1usize..200,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        corpus::generate(dir.path(), &corpus::Spec { templates, seed, malformed: 2 }).expect("generate");
        let paths = [dir.path().to_owned()];
        let apart = report(&paths, &[], batch);
        let together = report(&paths, &[], usize::MAX);
        proptest::prop_assert!(apart == together, "seed {seed}, batch {batch}:\n{}", first_difference(&apart, &together));
    }
}

#[test]
fn the_shared_corpora_give_the_same_report_in_batches() {
    for corpus in ["../shared/corpus/eksctl", "../shared/corpus/public"] {
        let dir = root().join(corpus);
        if dir.is_dir() {
            same_either_way(&[dir], &[]);
        } else {
            eprintln!("skipped: {} is absent", dir.display());
        }
    }
}

#[test]
fn guard_gives_the_same_findings_in_batches() {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root().join("rules/guard")).expect("rules/guard").filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "guard") {
            files.push((path.to_string_lossy().into_owned(), std::fs::read_to_string(&path).expect("read")));
        }
    }
    assert!(!files.is_empty(), "no Guard rules in rules/guard");
    let guard = std::sync::Arc::new(eksguard::rules::guard::GuardRules::parse(files).expect("Guard rules"));
    let samples = [root().join("samples")];
    let apart = report_with(&samples, &[], 1, Some(guard.clone()));
    let together = report_with(&samples, &[], usize::MAX, Some(guard));
    // Guard findings that need facts from other stacks.
    assert!(apart.contains("\"rule\": \"access_entry_cluster_accepts_entries\""), "no cross-stack Guard findings");
    assert!(apart == together, "Guard in batches changes the report:\n{}", first_difference(&apart, &together));
}
