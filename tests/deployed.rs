//! End-to-end tests of `--deployed`: templates as deployed now, matched to
//! the scanned ones by stack name, compared (EKS017, EKS018), never scanned
//! themselves, and accounted for once each.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

fn eksguard() -> Command {
    let mut cmd = Command::cargo_bin("eksguard").expect("binary");
    cmd.env_remove("EKSGUARD_EKSCTL_VERSION").env("NO_COLOR", "1");
    cmd
}

fn write(dir: &Path, name: &str, doc: &Value) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, serde_json::to_string_pretty(doc).expect("json")).expect("write");
}

fn scan_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = eksguard().current_dir(dir).arg("scan").args(["--format", "json"]).args(args).output().expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().expect("exit code"), report)
}

fn rules_of(report: &Value) -> Vec<&str> {
    report["findings"].as_array().expect("findings").iter().map(|f| f["rule"].as_str().expect("rule")).collect()
}

/// A cluster stack; `access` is its AccessConfig (none when `Null`).
fn cluster(name: Option<&str>, access: Value) -> Value {
    let mut props =
        json!({"RoleArn": "arn:aws:iam::111122223333:role/eks", "ResourcesVpcConfig": {"SubnetIds": ["s-1", "s-2"]}});
    if let Some(n) = name {
        props["Name"] = json!(n);
    }
    if !access.is_null() {
        props["AccessConfig"] = access;
    }
    json!({"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": props}}})
}

#[test]
fn a_skipped_step_is_an_error_at_the_new_value_with_the_deployed_value_related() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "stacks/eksctl-demo-cluster.json", &cluster(Some("demo"), json!({"AuthenticationMode": "API"})));
    write(
        dir.path(),
        "deployed/eksctl-demo-cluster.json",
        &json!({"TemplateBody": cluster(Some("demo"), Value::Null)}),
    );
    let (code, report) = scan_json(dir.path(), &["stacks", "--deployed", "deployed"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_of(&report), ["EKS017"]);
    let f = &report["findings"][0];
    assert_eq!(f["location"]["path"], "stacks/eksctl-demo-cluster.json");
    assert_eq!(f["location"]["pointer"], "/Resources/ControlPlane/Properties/AccessConfig/AuthenticationMode");
    assert_eq!(f["related"][0]["path"], "deployed/eksctl-demo-cluster.json");
    assert_eq!(f["related"][0]["pointer"], "/TemplateBody/Resources/ControlPlane");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("Unsupported authentication mode update from CONFIG_MAP to API")
    );
    let s = &report["summary"];
    assert_eq!((s["inputs"].as_u64(), s["analysed"].as_u64()), (Some(2), Some(2)));
    assert_eq!((s["templates"].as_u64(), s["deployed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(s["clusters"], 1, "a deployed cluster is not a cluster of the model");
    assert_eq!(report["unmatched"], json!([]));

    // One step forward is fine; so is staying.
    for mode in ["API_AND_CONFIG_MAP", "CONFIG_MAP"] {
        write(
            dir.path(),
            "stacks/eksctl-demo-cluster.json",
            &cluster(Some("demo"), json!({"AuthenticationMode": mode})),
        );
        let (code, report) = scan_json(dir.path(), &["stacks", "--deployed", "deployed"]);
        assert_eq!((code, rules_of(&report)), (0, vec![]), "{mode}");
    }
    // Back from API_AND_CONFIG_MAP to CONFIG_MAP by dropping AccessConfig.
    write(dir.path(), "stacks/eksctl-demo-cluster.json", &cluster(Some("demo"), Value::Null));
    write(
        dir.path(),
        "deployed/eksctl-demo-cluster.json",
        &cluster(Some("demo"), json!({"AuthenticationMode": "API_AND_CONFIG_MAP"})),
    );
    let (code, report) = scan_json(dir.path(), &["stacks", "--deployed", "deployed"]);
    assert_eq!((code, rules_of(&report)), (1, vec!["EKS017"]));
    assert!(report["findings"][0]["message"].as_str().expect("message").contains("goes back"));
}

#[test]
fn deployed_templates_give_no_findings_of_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Deployed: a CONFIG_MAP cluster without bootstrap admin and an access
    // entry on it (EKS003, EKS001 if it were scanned).
    let mut old = cluster(
        Some("demo"),
        json!({"AuthenticationMode": "CONFIG_MAP", "BootstrapClusterCreatorAdminPermissions": false}),
    );
    old["Resources"]["Entry"] = json!({"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Ref": "ControlPlane"}, "PrincipalArn": "arn:aws:iam::111122223333:role/a"}});
    write(dir.path(), "deployed/demo.json", &old);
    let new = cluster(
        Some("demo"),
        json!({"AuthenticationMode": "API_AND_CONFIG_MAP", "BootstrapClusterCreatorAdminPermissions": false}),
    );
    write(dir.path(), "stacks/demo.json", &new);
    let (code, report) = scan_json(dir.path(), &["stacks", "--deployed", "deployed"]);
    assert_eq!((code, rules_of(&report)), (0, vec![]), "{report:#}");
    assert_eq!(report["summary"]["access_entries"], 0);

    // Not even when the scanned side has nothing to compare with.
    std::fs::remove_file(dir.path().join("stacks/demo.json")).expect("rm");
    write(dir.path(), "stacks/other.json", &cluster(Some("other"), json!({"AuthenticationMode": "API"})));
    let (code, report) = scan_json(dir.path(), &["stacks", "--deployed", "deployed"]);
    assert_eq!((code, rules_of(&report)), (0, vec![]), "{report:#}");
    assert_eq!(report["unmatched"].as_array().expect("unmatched").len(), 1);
}

#[test]
fn an_unmatched_deployed_template_is_listed_once_and_is_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "stacks/a.json", &cluster(Some("a"), json!({"AuthenticationMode": "API"})));
    write(dir.path(), "deployed/gone.json", &cluster(Some("gone"), Value::Null));
    // Named twice (as the directory and the file): read once.
    let (code, report) =
        scan_json(dir.path(), &["stacks", "--deployed", "deployed", "--deployed", "deployed/gone.json"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["unmatched"],
        json!([{"path": "deployed/gone.json", "stack": "gone", "reason": "no scanned template or ClusterConfig gives a stack named `gone`"}])
    );
    assert_eq!(report["errors"], json!([]));
    assert_eq!((report["summary"]["inputs"].as_u64(), report["summary"]["deployed"].as_u64()), (Some(2), Some(1)));

    let out =
        eksguard().current_dir(dir.path()).args(["scan", "stacks", "--deployed", "deployed"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("deployed/gone.json: deployed template not compared").count(), 1, "{text}");
    assert!(text.contains("deployed: 1 template (1 not compared)"), "{text}");
}

#[test]
fn an_unreadable_or_foreign_deployed_input_is_an_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "stacks/a.json", &cluster(Some("a"), json!({"AuthenticationMode": "API"})));
    std::fs::write(dir.path().join("broken.json"), "{\"Resources\": ").expect("write");
    write(dir.path(), "live.json", &json!({"cluster": {"name": "a", "accessConfig": {"authenticationMode": "API"}}}));
    let (code, report) = scan_json(
        dir.path(),
        &["stacks", "--deployed", "missing.json", "--deployed", "broken.json", "--deployed", "live.json"],
    );
    assert_eq!(code, 2, "{report:#}");
    let errors: Vec<&str> =
        report["errors"].as_array().expect("errors").iter().map(|e| e["path"].as_str().expect("path")).collect();
    assert_eq!(errors, ["broken.json", "live.json", "missing.json"]);
    assert_eq!(report["summary"]["inputs"], 4, "the missing path, the two files and the scanned one: {report:#}");
}

#[test]
fn every_scanned_stack_can_match_not_only_those_with_clusters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nodegroup = json!({"Resources": {"NodeRole": {"Type": "AWS::IAM::Role", "Properties": {}}}});
    write(dir.path(), "stacks/eksctl-demo-nodegroup-ng-1.json", &nodegroup);
    write(dir.path(), "deployed/eksctl-demo-nodegroup-ng-1.json", &json!({"TemplateBody": nodegroup}));
    let (code, report) = scan_json(dir.path(), &["stacks", "--deployed", "deployed"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["unmatched"], json!([]));
}

#[test]
fn a_cloud_assembly_matches_by_artifact_and_skips_its_manifests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = json!({"version": "36.0.0", "artifacts": {"Platform": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Platform.template.json"}}}});
    for (out, mode) in [("cdk.out", "API"), ("cdk.out.main", "CONFIG_MAP")] {
        write(dir.path(), &format!("{out}/manifest.json"), &manifest);
        write(
            dir.path(),
            &format!("{out}/Platform.template.json"),
            &cluster(None, json!({"AuthenticationMode": mode})),
        );
    }
    let (code, report) = scan_json(dir.path(), &["cdk.out", "--deployed", "cdk.out.main"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_of(&report), ["EKS017"]);
    assert_eq!(report["unmatched"], json!([]));
    assert_eq!(report["errors"], json!([]));
}

#[test]
fn bootstrap_admin_changes_replace_or_fail_and_unknown_values_say_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let access = |flag: Value| json!({"AuthenticationMode": "API", "BootstrapClusterCreatorAdminPermissions": flag});
    // Named: the update fails.
    write(dir.path(), "deployed/named.json", &cluster(Some("named"), json!({"AuthenticationMode": "API"})));
    write(dir.path(), "stacks/named.json", &cluster(Some("named"), access(json!(false))));
    // Unnamed: replaced.
    write(dir.path(), "deployed/unnamed.json", &cluster(None, access(json!("false"))));
    write(dir.path(), "stacks/unnamed.json", &cluster(None, json!({"AuthenticationMode": "API"})));
    // A parameter without a default: unknown, nothing said.
    let mut unknown = cluster(Some("unknown"), access(json!({"Ref": "Flag"})));
    unknown["Parameters"] = json!({"Flag": {"Type": "String"}});
    write(dir.path(), "deployed/unknown.json", &cluster(Some("unknown"), json!({"AuthenticationMode": "API"})));
    write(dir.path(), "stacks/unknown.json", &unknown);
    let (code, report) = scan_json(dir.path(), &["stacks", "--deployed", "deployed"]);
    assert_eq!(code, 1, "{report:#}");
    let findings = report["findings"].as_array().expect("findings");
    let by_stack = |s: &str| findings.iter().filter(|f| f["stack"] == s).collect::<Vec<_>>();
    assert!(by_stack("unknown").is_empty(), "{report:#}");
    let named = by_stack("named");
    assert_eq!(named.len(), 1);
    assert!(named[0]["message"].as_str().expect("m").contains("custom-named resource requires replacing"));
    let unnamed = by_stack("unnamed");
    assert_eq!(unnamed.len(), 1);
    assert!(unnamed[0]["message"].as_str().expect("m").contains("replaces the cluster"));
    assert_eq!(unnamed[0]["location"]["pointer"], "/Resources/ControlPlane", "absent: located at the resource");
    assert_eq!(
        unnamed[0]["related"][0]["pointer"],
        "/Resources/ControlPlane/Properties/AccessConfig/BootstrapClusterCreatorAdminPermissions"
    );
    assert!(findings.iter().all(|f| f["rule"] == "EKS018"), "{report:#}");
}

#[test]
fn live_state_without_a_deployed_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = |mode: &str| json!({"cluster": {"name": "demo", "accessConfig": {"authenticationMode": mode}}});
    write(dir.path(), "live.json", &live("API"));
    write(dir.path(), "stacks/demo.json", &cluster(Some("demo"), Value::Null));
    let (code, report) = scan_json(dir.path(), &["stacks", "--context", "live.json"]);
    assert_eq!((code, rules_of(&report)), (0, vec!["EKS019"]), "{report:#}");
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(report["findings"][0]["related"][0]["path"], "live.json");

    // A deployed template of the stack: compared with that instead.
    write(dir.path(), "deployed/demo.json", &cluster(Some("demo"), Value::Null));
    let (code, report) = scan_json(dir.path(), &["stacks", "--context", "live.json", "--deployed", "deployed"]);
    assert_eq!((code, rules_of(&report)), (0, vec![]), "{report:#}");

    // Two steps ahead of the live mode: a skipped step.
    write(dir.path(), "live.json", &live("CONFIG_MAP"));
    write(dir.path(), "stacks/demo.json", &cluster(Some("demo"), json!({"AuthenticationMode": "API"})));
    let (code, report) = scan_json(dir.path(), &["stacks", "--context", "live.json"]);
    assert_eq!((code, rules_of(&report)), (1, vec!["EKS017"]), "{report:#}");
}

#[test]
fn one_thread_and_eight_give_identical_bytes_with_deployed_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |jobs: &str| {
        eksguard()
            .current_dir(root)
            .args(["scan", "samples/EKS017/bad", "samples/EKS018/bad", "--format", "sarif", "--jobs", jobs])
            .args(["--deployed", "samples/EKS017/bad/.deployed", "--deployed", "samples/EKS018/bad/.deployed"])
            .output()
            .expect("run")
            .stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("8"));
}
