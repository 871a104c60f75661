//! AWS CDK output, end to end: the committed `cdk synth` output of
//! `samples/cdk/app.js` (aws-cdk-lib 2.276.0, see samples/cdk/README.md),
//! read as a cloud assembly, and broken copies of it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const ASSEMBLY: &str = "samples/cdk/cdk.out";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn eksguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("eksguard").expect("binary");
    cmd.current_dir(dir).env_remove("EKSGUARD_EKSCTL_VERSION").env("NO_COLOR", "1").arg("scan");
    cmd
}

fn scan_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = eksguard(dir).args(["--format", "json"]).args(args).output().expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().expect("exit code"), report)
}

fn text(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = eksguard(dir).args(args).output().expect("run");
    (out.status.code().expect("exit code"), String::from_utf8(out.stdout).expect("UTF-8"))
}

/// `(rule, stack, cluster, resource)` of every finding.
fn findings(report: &Value) -> Vec<(String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (s(&f["rule"]), s(&f["stack"]), s(&f["cluster"]), s(&f["resource"])))
        .collect()
}

/// A copy of the fixture assembly to break.
fn copy_assembly() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let to = dir.path().join("cdk.out");
    copy_dir(&root().join(ASSEMBLY), &to);
    (dir, to)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn the_fixture_assembly_finds_the_planted_failures_and_nothing_else() {
    let (code, report) = scan_json(root(), &[ASSEMBLY]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        findings(&report),
        [
            ("EKS001", "cdk-fixture-access", "cdk-fixture-config-map", "DeployEntry8E78E2A7"),
            (
                "EKS001",
                "cdk-fixture-config-map/AuditNestedStackAuditNestedStackResourceF69BD105",
                "cdk-fixture-config-map",
                "AuditEntryB9C8E296"
            ),
            ("EKS001", "cdk-fixture-default", "cdk-fixture-default/Cluster9EE0221C", "ClusterOpsRole8CDEDDBA"),
        ]
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned())),
        "{report:#}"
    );
    // Read through the manifests: every stack and nested stack template,
    // nothing else, and nothing skipped one by one.
    assert_eq!(report["summary"]["templates"], 15, "{:#}", report["summary"]);
    assert_eq!(report["summary"]["skipped"], 0, "{:#}", report["skipped"]);
    assert_eq!(report["summary"]["errors"], 0, "{:#}", report["errors"]);
    let unnamed = &report["findings"][2];
    assert_eq!(unnamed["cluster_named_at_deploy"], true);
    assert!(
        unnamed["message"]
            .as_str()
            .is_some_and(|m| m.contains("EKS API default: the cluster has no authenticationMode")),
        "{unnamed:#}"
    );
    assert!(
        unnamed["remediation"]
            .as_str()
            .is_some_and(|r| r.contains("authenticationMode: eks.AuthenticationMode.API_AND_CONFIG_MAP")
                && r.contains("`Default/Cluster`")
                && r.contains("cluster.awsAuth")),
        "{unnamed:#}"
    );
}

#[test]
fn clusters_of_each_mode_and_kind_are_known() {
    let (_, report) = scan_json(root(), &[ASSEMBLY]);
    let clusters: Vec<(String, String, String, bool)> = report["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("-").to_owned(),
                c["mode"].as_str().unwrap_or("-").to_owned(),
                c["source"].as_str().unwrap_or("-").to_owned(),
                c["named_at_deploy"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let expected = [
        ("cdk-fixture-api", "API", "template", false),
        ("cdk-fixture-both", "API_AND_CONFIG_MAP", "template", false),
        ("cdk-fixture-config-map", "CONFIG_MAP", "template", false),
        ("cdk-fixture-default/Cluster9EE0221C", "CONFIG_MAP", "eks-api-default", true),
        // v2: a native AWS::EKS::Cluster, API by the construct's default.
        ("cdk-fixture-v2/ClusterEB0386A7", "API", "template", true),
    ]
    .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d));
    assert_eq!(clusters, expected, "{:#}", report["clusters"]);
}

#[test]
fn text_report_on_the_fixture() {
    let (code, out) = text(root(), &[ASSEMBLY]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn a_missing_template_is_an_error_naming_both_files_and_the_rest_is_read() {
    let (dir, assembly) = copy_assembly();
    std::fs::remove_file(assembly.join("Default.template.json")).expect("rm");
    let (code, report) = scan_json(dir.path(), &["cdk.out"]);
    assert_eq!(code, 2, "{report:#}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["path"], "cdk.out/Default.template.json");
    let message = errors[0]["message"].as_str().expect("message");
    assert!(message.contains("cdk.out/manifest.json") && message.contains("no such file"), "{message}");
    // The other stacks' failures are still found.
    let stacks: Vec<String> = findings(&report).into_iter().map(|f| f.1).collect();
    assert_eq!(stacks.len(), 2, "{stacks:?}");
    assert!(stacks.iter().all(|s| s.starts_with("cdk-fixture-access") || s.starts_with("cdk-fixture-config-map")));
}

#[test]
fn a_manifest_that_is_not_a_cloud_assembly_is_an_error_and_the_templates_are_still_read() {
    let (dir, assembly) = copy_assembly();
    std::fs::write(assembly.join("manifest.json"), "{\"artifacts\": [").expect("write");
    let (code, report) = scan_json(dir.path(), &["cdk.out"]);
    assert_eq!(code, 2, "{report:#}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors[0]["path"], "cdk.out/manifest.json", "{errors:#?}");
    assert!(errors[0]["message"].as_str().is_some_and(|m| m.starts_with("not a CDK cloud assembly manifest")));
    // Stack names then come from the file names.
    let stacks: Vec<String> = findings(&report).into_iter().map(|f| f.1).collect();
    assert!(stacks.contains(&"Default".to_owned()), "{stacks:?}");
}

#[test]
fn an_assembly_inside_a_walked_directory_is_read_through_its_manifest() {
    let (dir, _) = copy_assembly();
    std::fs::create_dir_all(dir.path().join("cdk.out/asset.1234/node_modules/x")).expect("mkdir");
    std::fs::write(dir.path().join("cdk.out/asset.1234/node_modules/x/package.json"), "{}").expect("write");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    let (_, report) = scan_json(dir.path(), &["."]);
    let skipped: Vec<&str> =
        report["skipped"].as_array().expect("skipped").iter().filter_map(|s| s["path"].as_str()).collect();
    assert_eq!(skipped, ["./notes.txt"]);
    assert_eq!(report["summary"]["templates"], 15);
}

#[test]
fn clusters_named_at_deploy_are_known_by_stack_and_logical_id_and_never_merged() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two stacks, each with an unnamed CONFIG_MAP cluster of the same
    // logical id and an entry on it: two clusters, not one.
    for stack in ["one", "two"] {
        let template = serde_json::json!({"Resources": {
            "ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {"RoleArn": "arn:aws:iam::1:role/r"}},
            "Entry": {"Type": "AWS::EKS::AccessEntry",
                      "Properties": {"ClusterName": {"Ref": "ControlPlane"}, "PrincipalArn": "arn:aws:iam::1:role/x"}}
        }});
        std::fs::write(dir.path().join(format!("{stack}.template.json")), template.to_string()).expect("write");
    }
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1, "{report:#}");
    let clusters: Vec<&str> =
        report["clusters"].as_array().expect("clusters").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(clusters, ["one/ControlPlane", "two/ControlPlane"]);
    assert_eq!(
        findings(&report).into_iter().map(|f| (f.1, f.2)).collect::<Vec<_>>(),
        [("one", "one/ControlPlane"), ("two", "two/ControlPlane")].map(|(s, c)| (s.to_owned(), c.to_owned()))
    );
    let f = &report["findings"][0];
    assert_eq!(f["cluster_named_at_deploy"], true);
    assert!(f["message"].as_str().is_some_and(|m| m.contains("`one/ControlPlane` (named at deploy)")), "{f:#}");
    // No command names a cluster that has no name yet: the name is a
    // placeholder the fix explains.
    let fix = f["remediation"].as_str().expect("remediation");
    assert!(!fix.contains("one/ControlPlane"), "{fix}");
    assert!(fix.contains("--name CLUSTER_NAME") && fix.contains("CLUSTER_NAME is the cluster's name"), "{fix}");
    assert!(fix.contains("AccessConfig: {AuthenticationMode: API_AND_CONFIG_MAP}"), "{fix}");
}
