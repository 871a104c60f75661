//! Advice that is right for the case (issue 15): Outposts, eksctl
//! predictions that depend on the live mode or on shared instance roles,
//! and remediations that name what is actually in the inputs.

use std::path::Path;

use eksguard::finding::Finding;
use eksguard::{ScanConfig, scan};

const FIXTURES: &str = "tests/fixtures/advice";

/// What a scan gave, its findings read into a vector.
struct Ran {
    summary: eksguard::report::Summary,
    findings: Vec<Finding>,
}

fn run(paths: &[&str], contexts: &[&str], version: Option<&str>) -> Ran {
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("cd");
    let mut config = ScanConfig {
        paths: paths.iter().map(|p| format!("{FIXTURES}/{p}")).collect(),
        contexts: contexts.iter().map(|c| (*c).to_owned()).collect(),
        jobs: Some(1),
        ..ScanConfig::default()
    };
    config.facts.eksctl_version = version.map(|v| v.parse().expect("version"));
    let report = scan(&config).expect("scan");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    Ran { findings: report.findings.to_vec(), summary: report.summary }
}

fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule).collect()
}

/// The commands (backtick spans starting with `aws ` or `eksctl `) of a fix.
fn commands(fix: &str) -> Vec<&str> {
    fix.split('`').skip(1).step_by(2).filter(|s| s.starts_with("aws ") || s.starts_with("eksctl ")).collect()
}

#[test]
fn create_nodegroup_on_a_live_config_map_cluster_predicts_no_entry() {
    let live = "tests/fixtures/clusterconfig/fx-live-config-map.json";
    let report = run(&["nodegroup-dry-run-shared-role.yaml"], &[live], Some("0.175.0"));
    // eksctl reads the live mode and writes no entry: nothing counted, so
    // no duplicate either.
    assert_eq!(rules(&report.findings), Vec::<&str>::new());
    assert_eq!(report.summary.access_entries, 0);
    // On a live API_AND_CONFIG_MAP cluster eksctl 0.175.0 writes both
    // entries, and EKS006 says eksctl writes them, not the user.
    let report =
        run(&["nodegroup-dry-run-shared-role.yaml"], &["tests/fixtures/advice/fx-live-api.json"], Some("0.175.0"));
    assert_eq!(report.summary.access_entries, 2);
    assert_eq!(rules(&report.findings), vec!["EKS006"]);
    let fix = report.findings[0].remediation.text();
    assert!(fix.contains("0.177.0") && !fix.contains("merge the"), "{fix}");
}

#[test]
fn entries_eksctl_writes_twice_are_not_for_the_user_to_merge() {
    for version in ["0.167.0", "0.176.0"] {
        let report = run(&["shared-role.yaml"], &[], Some(version));
        assert_eq!(rules(&report.findings), vec!["EKS006"], "{version}");
        let fix = report.findings[0].remediation.text();
        assert!(fix.contains("eksctl 0.177.0 or later") && fix.contains("own instance role"), "{fix}");
        assert!(!fix.contains("merge the"), "{fix}");
    }
    // 0.177.0 keeps the entry out of the stack when instanceRoleARN is set.
    assert_eq!(rules(&run(&["shared-role.yaml"], &[], Some("0.177.0")).findings), Vec::<&str>::new());
}

#[test]
fn outposts_fixes_never_change_the_mode_and_say_who_refuses() {
    let report = run(&["outposts-config-map.yaml"], &[], Some("0.175.0"));
    assert_eq!(rules(&report.findings), vec!["EKS001", "EKS001"]);
    for f in &report.findings {
        let fix = f.remediation.text();
        assert!(fix.contains("EKS refuses"), "{fix}");
        assert!(fix.split('`').skip(1).step_by(2).all(|s| !s.contains("API_AND_CONFIG_MAP")), "{fix}");
    }
    // From 0.176.0 eksctl refuses other modes itself.
    let report = run(&["outposts-config-map.yaml"], &[], Some("0.200.0"));
    assert_eq!(rules(&report.findings), vec!["EKS001"]);
    assert!(report.findings[0].remediation.text().contains("eksctl 0.200.0 refuses any other mode"));
}

#[test]
fn outposts_without_a_mode_fails_the_cluster_on_the_affected_releases_only() {
    let sample = "../../../samples/EKS014/bad";
    assert_eq!(rules(&run(&[sample], &[], Some("0.175.0")).findings), vec!["EKS014"]);
    assert_eq!(rules(&run(&[sample], &[], Some("0.167.0")).findings), vec!["EKS014"]);
    for version in ["0.166.0", "0.176.0", "0.229.0"] {
        assert_eq!(rules(&run(&[sample], &[], Some(version)).findings), Vec::<&str>::new(), "{version}");
    }
    let report = run(&[sample], &[], None);
    assert_eq!(rules(&report.findings), vec!["EKS014"]);
    let f = &report.findings[0];
    assert!(f.message.contains("0.167.0 to 0.175.x") && f.message.contains("is fine"), "{}", f.message);
    assert!(f.remediation.text().starts_with("Set `accessConfig.authenticationMode: CONFIG_MAP`"), "{}", f.remediation);
    assert!(f.remediation.text().contains("EKS001"), "{}", f.remediation);
}

#[test]
fn an_unknown_mode_of_a_scanned_cluster_asks_for_that_value_not_another_stack() {
    let report = run(&["parameter-mode.yaml"], &[], None);
    assert_eq!(rules(&report.findings), vec!["EKS002"]);
    let fix = report.findings[0].remediation.text();
    assert!(fix.contains("defined in the scanned inputs") && fix.contains("--parameter NAME=VALUE"), "{fix}");
    assert!(!fix.contains("get-template") && !fix.contains("eksctl-fx-param-cluster"), "{fix}");
    assert!(commands(&fix).iter().any(|c| c.contains("--name fx-param")), "{fix}");
}

#[test]
fn access_config_without_a_mode_is_said_as_it_is() {
    let report = run(&["access-config-without-mode.yaml"], &[], None);
    assert_eq!(rules(&report.findings), vec!["EKS001"]);
    let fix = report.findings[0].remediation.text();
    assert!(fix.contains("AccessConfig has no AuthenticationMode"), "{fix}");
    assert!(!fix.contains("Add `AccessConfig"), "{fix}");
}
