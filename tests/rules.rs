//! Registry-driven checks: every built-in rule has a documentation file
//! whose front matter agrees with the registry, a bad sample set where it
//! fires and a good one where it does not; every doc has a rule; the
//! README's rule table is the generated one; and each bad sample's
//! findings are snapshotted.

use std::path::Path;

use eksguard::rules::{REGISTRY, doc};
use eksguard::{ScanConfig, scan};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The findings of a sample directory, with every rule running. Its `.deployed/` subdirectory, when
/// present, holds the templates as deployed before the change the sample
/// makes: it is given with `--deployed` (and, being hidden, is never walked
/// as part of the sample itself, nor by `eksguard scan samples/`).
fn findings(dir: &str) -> Vec<eksguard::finding::Finding> {
    // Relative paths keep locations stable in snapshots.
    std::env::set_current_dir(root()).expect("cd");
    let deployed = format!("{dir}/.deployed");
    let deployed = if root().join(&deployed).is_dir() { vec![deployed] } else { Vec::new() };
    let mut config = ScanConfig { paths: vec![dir.to_owned()], deployed, jobs: Some(1), ..ScanConfig::default() };
    // Opt-in rules (EKS016) too: every rule is checked on every sample.
    config.rules.unused_suppressions = true;
    let report = scan(&config).expect("scan");
    assert!(report.errors.is_empty(), "{dir}: {:?}", report.errors);
    report.findings.to_vec()
}

#[test]
fn every_rule_has_a_matching_doc() {
    for rule in REGISTRY {
        let on_disk = std::fs::read_to_string(root().join(format!("rules/{}.md", rule.id)))
            .unwrap_or_else(|e| panic!("rules/{}.md: {e}", rule.id));
        assert_eq!(on_disk, rule.doc, "{}: the embedded doc is stale", rule.id);
        assert_eq!(doc::field(rule.doc, "id"), Some(rule.id), "{}: front matter id", rule.id);
        assert_eq!(doc::field(rule.doc, "name"), Some(rule.name), "{}: front matter name", rule.id);
        assert_eq!(
            doc::field(rule.doc, "severity"),
            Some(rule.severity.as_str()),
            "{}: front matter severity",
            rule.id
        );
        for key in ["since", "eksctl"] {
            assert!(doc::field(rule.doc, key).is_some_and(|v| !v.is_empty()), "{}: front matter lacks {key}", rule.id);
        }
        for section in ["## What", "## Why", "## Bad", "## Good", "## How to fix", "## Sources"] {
            assert!(rule.doc.contains(section), "{}: no `{section}` section", rule.id);
        }
    }
}

#[test]
fn every_doc_has_a_rule() {
    for entry in std::fs::read_dir(root().join("rules")).expect("rules/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
            if stem.starts_with("EKS") {
                assert!(REGISTRY.iter().any(|r| r.id == stem), "{} documents no registered rule", path.display());
            }
        }
    }
}

#[test]
fn every_rule_fires_on_its_bad_sample_only() {
    for rule in REGISTRY {
        for kind in ["bad", "good"] {
            let dir = format!("samples/{}/{kind}", rule.id);
            assert!(root().join(&dir).is_dir(), "{dir} is missing");
            let fired = findings(&dir).iter().filter(|f| f.rule == rule.id).count();
            match kind {
                "bad" => assert!(fired > 0, "{} does not fire on {dir}", rule.id),
                _ => assert_eq!(fired, 0, "{} fires on {dir}", rule.id),
            }
        }
    }
}

#[test]
fn bad_sample_findings() {
    for rule in REGISTRY {
        let dir = format!("samples/{}/bad", rule.id);
        insta::assert_json_snapshot!(format!("{}_bad_findings", rule.id.to_lowercase()), findings(&dir));
    }
}

#[test]
fn readme_rule_table_is_generated() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let (_, rest) = readme.split_once("<!-- rules:start -->\n").expect("README has <!-- rules:start -->");
    let (table, _) = rest.split_once("<!-- rules:end -->").expect("README has <!-- rules:end -->");
    assert_eq!(
        table,
        doc::markdown_table(),
        "README rule table is stale: replace it with `eksguard rules --format markdown`"
    );
}

/// Values an AWS or eksctl command takes literally, spelt in capitals like
/// a placeholder.
const LITERAL_CAPITALS: &[&str] = &["API", "CONFIG_MAP", "API_AND_CONFIG_MAP", "STANDARD", "EC2_LINUX", "EC2_WINDOWS"];

/// What is wrong with the commands of one remediation (or fix section), by
/// the placeholder convention of `eksctl::value_or_placeholder`: a command
/// in backticks (`aws ...`, `eksctl ...`, an option `--...`) holds values
/// that can be run as written, or placeholders in capitals (`CLUSTER_NAME`)
/// that a sentence of the same text explains ("CLUSTER_NAME is ..."); never
/// `<...>` or `(unnamed)`. `outposts`: the case rules out a mode change, so
/// no command or setting may name API_AND_CONFIG_MAP or API as a mode.
fn command_problems(text: &str, outposts: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let prose: String = text.split('`').step_by(2).collect::<Vec<_>>().join(" ");
    for span in text.split('`').skip(1).step_by(2) {
        let command = ["aws ", "eksctl ", "--"].iter().any(|p| span.starts_with(p));
        if span.contains("(unnamed)") || command && (span.contains("...") || span.contains('…')) {
            problems.push(format!("`{span}` holds a placeholder passed off as a value"));
        }
        if command && (span.contains('<') || span.contains('>') && !span.contains(" > ")) {
            problems.push(format!("`{span}` holds a <...> placeholder"));
        }
        if command {
            // Paths, file names and ARNs are values as written.
            let words = span
                .split_whitespace()
                .filter(|t| !t.contains('/') && !t.contains('.') && !t.contains(':'))
                .flat_map(|t| t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')));
            for word in words {
                let capitals = word.len() >= 2
                    && word.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    && word.chars().any(|c| c.is_ascii_uppercase());
                // Rule ids (`--severity EKS012=error`) are values too.
                let rule_id = REGISTRY.iter().any(|r| r.id == word);
                if capitals && !rule_id && !LITERAL_CAPITALS.contains(&word) && !prose.contains(&format!("{word} is "))
                {
                    problems.push(format!("`{span}`: placeholder {word} is not explained (\"{word} is ...\")"));
                }
            }
        }
        let mode_change = span.contains("API_AND_CONFIG_MAP")
            || span.contains("authenticationMode=API")
            || span.contains("authentication-mode API")
            || span.contains("AuthenticationMode: API");
        if outposts && mode_change {
            problems.push(format!("`{span}`: a mode change, impossible on Outposts"));
        }
    }
    problems
}

#[test]
fn the_convention_catches_what_it_should() {
    assert!(command_problems("run `aws eks update-cluster-config --name (unnamed)`", false).len() == 1);
    assert!(!command_problems("run `eksctl create iamidentitymapping --arn <principal-arn>`", false).is_empty());
    assert!(!command_problems("run `eksctl create cluster -f CONFIG_FILE`.", false).is_empty());
    assert!(
        command_problems("run `eksctl create cluster -f CONFIG_FILE`. CONFIG_FILE is the config.", false).is_empty()
    );
    assert!(command_problems("run `aws eks describe-cluster --name demo > demo.json`", false).is_empty());
    assert!(!command_problems("set `accessConfig.authenticationMode: API_AND_CONFIG_MAP`", true).is_empty());
    assert!(command_problems("set `accessConfig.authenticationMode: CONFIG_MAP`", true).is_empty());
}

/// Is `path` (a sample file) about an Outposts local cluster?
fn on_outposts(path: &str) -> bool {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_default();
    text.contains("OutpostConfig") || text.contains("controlPlaneOutpostARN")
}

#[test]
fn every_sample_fix_can_be_run_as_written() {
    std::env::set_current_dir(root()).expect("cd");
    let mut checked = 0;
    let mut problems = Vec::new();
    for rule in REGISTRY {
        let dir = format!("samples/{}/bad", rule.id);
        // The fix of every release's prediction: current eksctl, an
        // affected release, the first fixed ones.
        for version in [None, Some("0.175.0"), Some("0.176.0"), Some("0.177.0")] {
            let mut config = ScanConfig { paths: vec![dir.clone()], jobs: Some(1), ..ScanConfig::default() };
            config.facts.eksctl_version = version.map(|v| v.parse().expect("version"));
            let report = scan(&config).expect("scan");
            // As users get them: the JSON report.
            let json = serde_json::to_value(&report.findings).expect("json");
            for f in json.as_array().expect("findings") {
                let path = f["location"]["path"].as_str().expect("path");
                let fix = f["remediation"].as_str().expect("remediation");
                assert!(!fix.is_empty(), "{dir}: a finding without remediation");
                checked += 1;
                for p in command_problems(fix, on_outposts(path)) {
                    problems.push(format!("{} {path} ({version:?}): {p}\n  {fix}", f["rule"]));
                }
            }
        }
    }
    assert!(checked > REGISTRY.len(), "only {checked} findings");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_doc_fix_can_be_run_as_written_and_names_its_sources() {
    for rule in REGISTRY {
        let (_, fix) = rule.doc.split_once("## How to fix").expect("fix section");
        let (fix, sources) = fix.split_once("## Sources").expect("sources section");
        let problems = command_problems(&fix.replace('\n', " "), false);
        assert!(problems.is_empty(), "{}: {problems:?}", rule.id);
        // Sources: an eksctl file at a tag, or an AWS (EKS, CloudFormation)
        // or Kubernetes page; and no eksctl file without its tag.
        let items: Vec<String> =
            sources.split("\n- ").skip(1).map(|i| i.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        assert!(!items.is_empty(), "{}: no sources listed", rule.id);
        let named = items.iter().any(|i| {
            i.starts_with("Amazon EKS")
                || i.starts_with("AWS CloudFormation")
                || i.starts_with("Kubernetes documentation")
                // A rule about eksguard's own input (EKS015 suppressions).
                || i.starts_with("eksguard README")
                || (i.starts_with("eksctl v0.") && i.contains("pkg/"))
        });
        assert!(named, "{}: no eksctl file and tag, EKS or CloudFormation page among {items:?}", rule.id);
        for i in items.iter().filter(|i| i.starts_with("eksctl") && i.contains("pkg/")) {
            assert!(i.starts_with("eksctl v0."), "{}: eksctl source without a tag: {i}", rule.id);
        }
    }
}
