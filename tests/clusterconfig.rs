//! End-to-end: eksctl ClusterConfigs and `--dry-run` output, predicted per
//! eksctl release (issue 3).

use std::path::Path;

use assert_cmd::Command;

const FIXTURES: &str = "tests/fixtures/clusterconfig";

/// `eksguard scan` from the crate root, with no version in the environment.
fn scan(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("eksguard").expect("binary");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("EKSGUARD_EKSCTL_VERSION").env("NO_COLOR", "1");
    cmd.arg("scan").arg("--color").arg("never").args(args);
    cmd
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// Runs a scan, checks its exit code and gives its standard output.
fn run(args: &[&str], code: i32) -> String {
    let out = scan(args).output().expect("run");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(out.status.code(), Some(code), "{args:?}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn json(args: &[&str], code: i32) -> serde_json::Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&run(&all, code)).expect("json report")
}

fn rules_of(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (f["rule"].as_str().unwrap_or_default().to_owned(), f["severity"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn pair(rule: &str, severity: &str) -> Vec<(String, String)> {
    vec![(rule.to_owned(), severity.to_owned())]
}

#[test]
fn classic_case_fails_on_0_175_0() {
    let out = run(&["--eksctl-version", "0.175.0", &fixture("classic.yaml")], 1);
    insta::assert_snapshot!("classic_0_175_0", out);
    let report = json(&["--eksctl-version", "0.175.0", &fixture("classic.yaml")], 1);
    assert_eq!(rules_of(&report), pair("EKS001", "error"));
    let f = &report["findings"][0];
    assert_eq!((f["location"]["line"].as_u64(), f["location"]["column"].as_u64()), (Some(9), Some(11)));
    assert_eq!(f["location"]["pointer"], "/nodeGroups/0/name");
    assert_eq!(f["stack"], "eksctl-fx-classic-nodegroup-ng-1");
    assert_eq!(f["related"][0]["pointer"], "/accessConfig/authenticationMode");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.contains("0.167.0 to 0.175.x"), "{message}");
    let fix = f["remediation"].as_str().unwrap_or_default();
    assert!(fix.contains("--without-nodegroup") && fix.contains("instanceRoleARN"), "{fix}");
}

#[test]
fn classic_case_is_clean_on_0_176_0_and_before_0_167_0() {
    for version in ["0.176.0", "0.177.0", "0.166.0", "0.150.0"] {
        let report = json(&["--eksctl-version", version, &fixture("classic.yaml")], 0);
        assert_eq!(rules_of(&report), Vec::new(), "{version}");
    }
}

#[test]
fn instance_role_arn_does_not_help_before_0_177_0() {
    let report = json(&["--eksctl-version", "0.175.0", &fixture("instance-role.yaml")], 1);
    assert_eq!(rules_of(&report), pair("EKS001", "error"));
    assert_eq!(report["summary"]["access_entries"], 1);
    let out = run(&["--eksctl-version", "0.175.0", &fixture("instance-role.yaml")], 1);
    insta::assert_snapshot!("instance_role_0_175_0", out);
    // 0.176.0 already leaves the entry out under CONFIG_MAP.
    json(&["--eksctl-version", "0.176.0", &fixture("instance-role.yaml")], 0);
}

#[test]
fn managed_nodegroups_only_are_clean() {
    for version in ["0.167.0", "0.175.0", "0.200.0"] {
        let report = json(&["--eksctl-version", version, &fixture("managed-only.yaml")], 0);
        assert_eq!(rules_of(&report), Vec::new(), "{version}");
    }
    assert_eq!(rules_of(&json(&[&fixture("managed-only.yaml")], 0)), Vec::new());
}

#[test]
fn dry_run_output_with_the_default_mode_is_clean() {
    for args in [vec!["--eksctl-version", "0.175.0"], vec![]] {
        let mut all = args.clone();
        let path = fixture("dry-run-default.yaml");
        all.push(&path);
        let report = json(&all, 0);
        assert_eq!(rules_of(&report), Vec::new());
        assert_eq!(report["summary"]["cluster_configs"], 1);
        assert_eq!(report["clusters"][0]["mode"], "API_AND_CONFIG_MAP");
        assert_eq!(report["clusters"][0]["source"], "clusterconfig");
    }
}

#[test]
fn stdin_is_read() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture("classic.yaml"))).expect("fixture");
    let out = scan(&["--eksctl-version", "0.175.0", "-"]).write_stdin(text).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(stdout.starts_with("-:9:11: error[EKS001]"), "{stdout}");
}

#[test]
fn multi_document_streams_predict_every_config() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture("multi.yaml"))).expect("fixture");
    let out = scan(&["--format", "json", "--eksctl-version", "0.170.0", "-"]).write_stdin(text).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["summary"]["cluster_configs"], 2);
    assert_eq!(report["summary"]["clusters"], 2);
    // Only fx-multi-a is CONFIG_MAP; fx-multi-b gets eksctl's default.
    assert_eq!(rules_of(&report), pair("EKS001", "error"));
    assert_eq!(report["findings"][0]["cluster"], "fx-multi-a");
}

#[test]
fn without_a_version_current_eksctl_is_modelled_and_the_affected_releases_warned_about() {
    let out = run(&[&fixture("classic.yaml")], 0);
    insta::assert_snapshot!("classic_no_version", out);
    let report = json(&[&fixture("classic.yaml")], 0);
    assert_eq!(rules_of(&report), pair("EKS011", "warning"));
    let message = report["findings"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("0.167.0 to 0.175.x") && message.contains("eksctl-fx-classic-nodegroup-ng-1"));
    run(&["--fail-on", "warning", &fixture("classic.yaml")], 1);
}

#[test]
fn the_version_comes_from_the_environment_too() {
    let out = scan(&[&fixture("classic.yaml")]).env("EKSGUARD_EKSCTL_VERSION", "0.175.0").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("error[EKS001]"));
    // The flag wins over the environment.
    let out = scan(&["--eksctl-version", "0.176.0", &fixture("classic.yaml")])
        .env("EKSGUARD_EKSCTL_VERSION", "0.175.0")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_malformed_version_is_a_usage_error() {
    let out = scan(&["--eksctl-version", "latest", &fixture("classic.yaml")]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an eksctl version"));
}

#[test]
fn nodegroup_dry_run_output_takes_the_mode_from_other_inputs() {
    let ng = fixture("nodegroup-dry-run.yaml");
    // Alone: the cluster is not among the inputs.
    let report = json(&["--eksctl-version", "0.175.0", &ng], 0);
    assert_eq!(rules_of(&report), pair("EKS002", "warning"));
    assert_eq!(report["findings"][0]["location"]["pointer"], "/metadata/name");
    // With describe-cluster output: `eksctl create nodegroup` reads the live
    // mode and leaves the entry out, so CONFIG_MAP is fine.
    let context = fixture("fx-live-config-map.json");
    let report = json(&["--eksctl-version", "0.175.0", "--context", &context, &ng], 0);
    assert_eq!(rules_of(&report), Vec::new());
    assert_eq!(report["summary"]["cluster_configs"], 1);
}

#[test]
fn invalid_mode_is_an_error_with_the_allowed_values() {
    let out = run(&["samples/EKS010/bad/cc-bad-mode.yaml"], 1);
    insta::assert_snapshot!("eks010_bad", out);
    assert!(out.contains("CONFIG_MAP, API_AND_CONFIG_MAP or API"));
    assert_eq!(rules_of(&json(&["samples/EKS010/good"], 0)), Vec::new());
}

#[test]
fn access_entries_under_config_map_are_refused() {
    let out = run(&["samples/EKS001/bad/cc-access-entries.yaml"], 1);
    insta::assert_snapshot!("access_entries_config_map", out);
    assert!(out.contains("eksctl refuses"));
    assert_eq!(rules_of(&json(&["samples/EKS001/good/cc-access-entries-fixed.yaml"], 0)), Vec::new());
}

#[test]
fn samples_fire_and_their_twins_stay_quiet() {
    assert_eq!(rules_of(&json(&["samples/EKS011/bad"], 0)), pair("EKS011", "warning"));
    assert_eq!(rules_of(&json(&["--eksctl-version", "0.175.0", "samples/EKS011/bad"], 1)), pair("EKS001", "error"));
    for version in [None, Some("0.167.0"), Some("0.175.0"), Some("0.176.0")] {
        let mut args = Vec::new();
        if let Some(v) = version {
            args.extend(["--eksctl-version", v]);
        }
        args.push("samples/EKS011/good");
        assert_eq!(rules_of(&json(&args, 0)), Vec::new(), "{version:?}");
    }
    let out = run(&["samples/EKS011/bad"], 0);
    insta::assert_snapshot!("eks011_bad", out);
}

#[test]
fn eksctl_examples_load_without_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/eksctl/examples");
    if !root.is_dir() {
        eprintln!("skipping: {} is absent", root.display());
        return;
    }
    let configs = std::fs::read_dir(&root)
        .expect("examples")
        .filter_map(Result::ok)
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("kind: ClusterConfig")))
        .count();
    let path = root.to_string_lossy().into_owned();
    for version in [None, Some("0.166.0"), Some("0.175.0"), Some("0.176.0")] {
        let mut args = vec!["--fail-on", "never"];
        if let Some(v) = version {
            args.extend(["--eksctl-version", v]);
        }
        args.push(&path);
        let report = json(&args, 0);
        assert_eq!(report["errors"], serde_json::json!([]), "{version:?}");
        assert!(report["summary"]["cluster_configs"].as_u64() >= Some(configs as u64), "{version:?}: {report}");
        // The examples are valid eksctl configs: nothing may be an error.
        let errors: Vec<_> = rules_of(&report).into_iter().filter(|(_, s)| s == "error").collect();
        assert_eq!(errors, Vec::new(), "{version:?}");
    }
}

#[test]
fn a_comment_on_the_nodegroup_suppresses_its_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let classic =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture("classic.yaml"))).expect("fixture");
    let commented = classic.replacen("  - name: ng-1", "  # eksguard: ignore EKS001\n  - name: ng-1", 1);
    assert_ne!(classic, commented, "the fixture has the nodegroup line");
    let path = dir.path().join("classic.yaml");
    std::fs::write(&path, commented).expect("write");
    let path = path.to_string_lossy().into_owned();
    let report = json(&["--eksctl-version", "0.175.0", &path], 0);
    assert_eq!(rules_of(&report), Vec::<(String, String)>::new());
    assert_eq!(report["summary"]["suppressed"], 1);
}
