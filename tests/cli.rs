//! End-to-end tests of `eksguard scan`: every behaviour of the core scan,
//! run through the real binary on stacks written to a temporary directory.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

fn eksguard() -> Command {
    let mut cmd = Command::cargo_bin("eksguard").expect("binary");
    cmd.env_remove("EKSGUARD_EKSCTL_VERSION").env("NO_COLOR", "1");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn write_json(dir: &Path, name: &str, doc: &Value) {
    write(dir, name, &serde_json::to_string_pretty(doc).expect("json"));
}

/// Runs a scan in `dir` with JSON output; gives the exit code and report.
fn scan_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = eksguard().current_dir(dir).arg("scan").args(["--format", "json"]).args(args).output().expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().expect("exit code"), report)
}

fn rules_of(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule").to_owned())
        .collect()
}

fn cluster_stack(name: &str, access_config: Option<Value>) -> Value {
    let mut props = json!({"Name": name, "RoleArn": {"Fn::GetAtt": ["ServiceRole", "Arn"]}});
    if let Some(ac) = access_config {
        props["AccessConfig"] = ac;
    }
    json!({
        "Description": "EKS cluster (dedicated VPC: true, dedicated IAM: true) [created and managed by eksctl]",
        "Resources": {
            "ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": props},
            "ServiceRole": {"Type": "AWS::IAM::Role", "Properties": {}}
        },
        "Outputs": {
            "ClusterName": {"Value": {"Ref": "ControlPlane"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}::ClusterName"}}}
        }
    })
}

fn nodegroup_stack(cluster_name: Value) -> Value {
    json!({
        "Description": "EKS nodes (AMI family: AmazonLinux2, SSH access: false, private networking: false) [created and managed by eksctl]",
        "Resources": {
            "NodeInstanceRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "AccessEntry": {"Type": "AWS::EKS::AccessEntry", "Properties": {
                "ClusterName": cluster_name,
                "PrincipalArn": {"Fn::GetAtt": ["NodeInstanceRole", "Arn"]},
                "Type": "EC2_LINUX"
            }}
        }
    })
}

fn mode(m: &str) -> Option<Value> {
    Some(json!({"AuthenticationMode": m}))
}

#[test]
fn config_map_cluster_and_its_nodegroup_in_separate_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-demo-cluster.json", &cluster_stack("demo", mode("CONFIG_MAP")));
    write_json(dir.path(), "eksctl-demo-nodegroup-ng-1.json", &nodegroup_stack(json!("demo")));
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&report), ["EKS001"]);
    let f = &report["findings"][0];
    assert_eq!(f["severity"], "error");
    assert_eq!(f["name"], "access-entry-on-config-map-cluster");
    assert_eq!(f["location"]["path"], "./eksctl-demo-nodegroup-ng-1.json");
    assert_eq!(f["location"]["pointer"], "/Resources/AccessEntry");
    assert_eq!(f["stack"], "eksctl-demo-nodegroup-ng-1");
    assert_eq!(f["cluster"], "demo");
    assert_eq!(f["resource"], "AccessEntry");
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP]"));
    let related = &f["related"][0];
    assert_eq!(related["path"], "./eksctl-demo-cluster.json");
    assert_eq!(related["pointer"], "/Resources/ControlPlane/Properties/AccessConfig/AuthenticationMode");
    let remediation = f["remediation"].as_str().expect("remediation");
    assert!(remediation.contains("0.176.0"), "{remediation}");
    assert!(remediation.contains("--without-nodegroup"), "{remediation}");
    assert!(remediation.contains("instanceRoleARN` does not remove the entry before eksctl 0.177.0"), "{remediation}");
}

#[test]
fn cluster_without_access_config_is_config_map() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-old-cluster.json", &cluster_stack("old", None));
    write_json(dir.path(), "eksctl-old-nodegroup-ng.json", &nodegroup_stack(json!("old")));
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    let f = &report["findings"][0];
    assert!(f["message"].as_str().expect("message").contains("the cluster has no AccessConfig"));
    assert_eq!(f["related"][0]["pointer"], "/Resources/ControlPlane");
    assert_eq!(report["clusters"][0]["source"], "cloudformation-default");
}

const YAML_TEMPLATE: &str = "\
Parameters:
  Mode:
    Type: String
    Default: CONFIG_MAP
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: !Sub '${AWS::StackName}-eks'
      RoleArn: !GetAtt ClusterRole.Arn
      AccessConfig:
        AuthenticationMode: !Ref Mode
  Admin:
    Type: AWS::EKS::AccessEntry
    Properties:
      ClusterName: !Ref Cluster
      PrincipalArn: !Join ['', ['arn:aws:iam::111122223333:role/', admin]]
";

#[test]
fn yaml_short_forms_and_a_parameter_driven_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "platform.yaml", YAML_TEMPLATE);
    let (code, report) = scan_json(dir.path(), &["platform.yaml"]);
    assert_eq!(code, 1);
    let f = &report["findings"][0];
    assert_eq!(f["cluster"], "platform-eks");
    assert_eq!((f["location"]["line"].as_u64(), f["location"]["column"].as_u64()), (Some(13), Some(3)));
    assert_eq!(f["related"][0]["line"], 12);
    assert!(f["message"].as_str().expect("message").contains("from the default of parameter Mode"));

    let (code, report) = scan_json(dir.path(), &["platform.yaml", "--parameter", "Mode=API_AND_CONFIG_MAP"]);
    assert_eq!(code, 0);
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["clusters"][0]["source"], "parameter-override");
}

#[test]
fn get_template_wrappers_object_and_string() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = cluster_stack("wrapped", mode("CONFIG_MAP"));
    write_json(
        dir.path(),
        "eksctl-wrapped-cluster.json",
        &json!({"TemplateBody": cluster, "StagesAvailable": ["Original", "Processed"]}),
    );
    let nodegroup = serde_json::to_string_pretty(&nodegroup_stack(json!("wrapped"))).expect("json");
    write_json(dir.path(), "eksctl-wrapped-nodegroup-ng.json", &json!({"TemplateBody": nodegroup}));
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    let f = &report["findings"][0];
    assert_eq!(f["location"]["pointer"], "/TemplateBody/Resources/AccessEntry");
    assert_eq!(f["location"]["line"], 2, "a string TemplateBody is located at the string");
    assert_eq!(
        f["related"][0]["pointer"],
        "/TemplateBody/Resources/ControlPlane/Properties/AccessConfig/AuthenticationMode"
    );
    assert_eq!(report["summary"]["templates"], 2);
}

fn describe_cluster(name: &str, mode: &str) -> Value {
    json!({"cluster": {"name": name, "arn": format!("arn:aws:eks:us-west-2:111122223333:cluster/{name}"),
        "status": "ACTIVE", "accessConfig": {"authenticationMode": mode}}})
}

#[test]
fn live_context_overrides_a_stale_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "stacks/eksctl-live-cluster.json", &cluster_stack("live", mode("CONFIG_MAP")));
    write_json(dir.path(), "stacks/eksctl-live-nodegroup-ng.json", &nodegroup_stack(json!("live")));
    write_json(dir.path(), "live.json", &describe_cluster("live", "API_AND_CONFIG_MAP"));
    let (code, report) = scan_json(dir.path(), &["stacks", "--context", "live.json"]);
    assert_eq!(code, 0, "{report:#}");
    let c = &report["clusters"][0];
    assert_eq!(c["mode"], "API_AND_CONFIG_MAP");
    assert_eq!(c["source"], "live");
    assert_eq!(c["definitions"][0]["mode"], "CONFIG_MAP", "the report shows the template's mode too");
    assert_eq!(c["live"]["path"], "live.json");
    assert_eq!(report["summary"]["contexts"], 1);

    // And the other way round: the template says API, the cluster is CONFIG_MAP.
    write_json(dir.path(), "stacks/eksctl-live-cluster.json", &cluster_stack("live", mode("API")));
    write_json(dir.path(), "live.json", &describe_cluster("live", "CONFIG_MAP"));
    let (code, report) = scan_json(dir.path(), &["stacks", "--context", "live.json"]);
    assert_eq!(code, 1);
    // (The template two steps ahead of the live mode is EKS017's too.)
    let f = report["findings"].as_array().expect("findings").iter().find(|f| f["rule"] == "EKS001").expect("EKS001");
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("reported by describe-cluster in live.json"), "{message}");
    assert!(message.contains("the template says API"), "{message}");
    assert_eq!(f["related"][0]["path"], "live.json");
    assert_eq!(f["related"][1]["path"], "stacks/eksctl-live-cluster.json");
}

#[test]
fn describe_cluster_output_met_in_a_sweep_is_context_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-swept-nodegroup-ng.json", &nodegroup_stack(json!("swept")));
    write_json(dir.path(), "swept.json", &describe_cluster("swept", "CONFIG_MAP"));
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&report), ["EKS001"]);
}

#[test]
fn context_flag_rejects_other_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-x-cluster.json", &cluster_stack("x", mode("API")));
    let (code, report) = scan_json(dir.path(), &["--context", "eksctl-x-cluster.json", "eksctl-x-cluster.json"]);
    assert_eq!(code, 2);
    assert!(report["errors"][0]["message"].as_str().expect("message").contains("describe-cluster"));
}

#[test]
fn two_clusters_one_config_map() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-a-cluster.json", &cluster_stack("a", mode("CONFIG_MAP")));
    write_json(dir.path(), "eksctl-a-nodegroup-ng.json", &nodegroup_stack(json!("a")));
    write_json(dir.path(), "eksctl-b-cluster.json", &cluster_stack("b", mode("API_AND_CONFIG_MAP")));
    write_json(dir.path(), "eksctl-b-nodegroup-ng.json", &nodegroup_stack(json!("b")));
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&report), ["EKS001"]);
    assert_eq!(report["findings"][0]["cluster"], "a");
    assert_eq!(report["summary"]["clusters"], 2);
    assert_eq!(report["summary"]["access_entries"], 2);
}

#[test]
fn entry_whose_cluster_is_absent_is_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-gone-nodegroup-ng.json", &nodegroup_stack(json!("gone")));
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 0, "a missing cluster proves nothing");
    assert_eq!(rules_of(&report), ["EKS002"]);
    let f = &report["findings"][0];
    assert_eq!(f["severity"], "warning");
    assert!(f["remediation"].as_str().expect("remediation").contains("aws eks describe-cluster --name gone"));
    let (code, _) = scan_json(dir.path(), &[".", "--fail-on", "warning"]);
    assert_eq!(code, 1);
    let (code, _) = scan_json(dir.path(), &[".", "--fail-on", "never"]);
    assert_eq!(code, 0);
}

#[test]
fn import_value_resolves_through_exports_of_scanned_stacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-imp-cluster.json", &cluster_stack("imp", mode("CONFIG_MAP")));
    let ng = nodegroup_stack(json!({"Fn::ImportValue": "eksctl-imp-cluster::ClusterName"}));
    write_json(dir.path(), "eksctl-imp-nodegroup-ng.json", &ng);
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["cluster"], "imp");

    let ng = nodegroup_stack(json!({"Fn::ImportValue": "nobody-exports-this"}));
    write_json(dir.path(), "eksctl-imp-nodegroup-ng.json", &ng);
    let (_, report) = scan_json(dir.path(), &["."]);
    assert_eq!(rules_of(&report), ["EKS002"]);
    assert!(report["findings"][0]["message"].as_str().expect("message").contains("no scanned stack exports"));
}

#[test]
fn stdin_is_read_with_a_dash() {
    let text = serde_json::to_string(&json!({"Resources": {
        "C": {"Type": "AWS::EKS::Cluster", "Properties": {"Name": "s"}},
        "E": {"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Ref": "C"}, "PrincipalArn": "arn:aws:iam::1:role/r"}}
    }}))
    .expect("json");
    let out = eksguard().args(["scan", "-", "--format", "json"]).write_stdin(text).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["findings"][0]["location"]["path"], "-");
    assert_eq!(report["findings"][0]["stack"], "stdin");
}

#[test]
fn a_broken_file_is_reported_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-ok-cluster.json", &cluster_stack("ok", mode("CONFIG_MAP")));
    write_json(dir.path(), "eksctl-ok-nodegroup-ng.json", &nodegroup_stack(json!("ok")));
    write(dir.path(), "broken.json", "{\"Resources\": {\"A\": ");
    write(dir.path(), "notes.md", "# Notes: these are not templates\n- a: b: c\n");
    let (code, report) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 2, "an unreadable input wins over findings");
    assert_eq!(rules_of(&report), ["EKS001"], "the good stacks are still analysed");
    assert_eq!(report["errors"][0]["path"], "./broken.json");
    assert!(report["errors"][0]["message"].as_str().expect("message").contains("line 1 column"));
    assert_eq!(report["skipped"][0]["path"], "./notes.md");
    let s = &report["summary"];
    assert_eq!(
        (s["inputs"].as_u64(), s["analysed"].as_u64(), s["skipped"].as_u64(), s["errors"].as_u64()),
        (Some(4), Some(2), Some(1), Some(1))
    );
}

#[test]
fn a_missing_path_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, report) = scan_json(dir.path(), &["nope.json"]);
    assert_eq!(code, 2);
    assert_eq!(report["errors"][0], json!({"path": "nope.json", "message": "no such file or directory"}));
}

#[test]
fn no_path_means_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "sub/eksctl-cwd-nodegroup-ng.json", &nodegroup_stack(json!("cwd")));
    let (_, report) = scan_json(dir.path(), &[]);
    assert_eq!(report["findings"][0]["location"]["path"], "./sub/eksctl-cwd-nodegroup-ng.json");
}

#[test]
fn json_report_follows_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-c-cluster.json", &cluster_stack("c", mode("CONFIG_MAP")));
    write_json(dir.path(), "eksctl-c-nodegroup-ng.json", &nodegroup_stack(json!("c")));
    let (_, report) = scan_json(dir.path(), &["."]);
    assert_eq!(report["version"], 1);
    let keys = |v: &Value| v.as_object().expect("object").keys().cloned().collect::<Vec<_>>();
    for key in ["summary", "findings", "errors", "skipped"] {
        assert!(report.get(key).is_some(), "{key}");
    }
    let mut finding_keys = keys(&report["findings"][0]);
    finding_keys.sort();
    assert_eq!(
        finding_keys,
        ["cluster", "location", "message", "name", "related", "remediation", "resource", "rule", "severity", "stack"]
    );
    let mut location_keys = keys(&report["findings"][0]["location"]);
    location_keys.sort();
    assert_eq!(location_keys, ["column", "line", "path", "pointer"]);
    let mut related_keys = keys(&report["findings"][0]["related"][0]);
    related_keys.sort();
    assert_eq!(related_keys, ["column", "line", "message", "path", "pointer"]);
}

#[test]
fn output_file_and_text_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-t-cluster.json", &cluster_stack("t", mode("CONFIG_MAP")));
    write_json(dir.path(), "eksctl-t-nodegroup-ng.json", &nodegroup_stack(json!("t")));
    let out = eksguard().current_dir(dir.path()).args(["scan", ".", "--output", "report.txt"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("report.txt")).expect("report");
    assert!(text.starts_with("./eksctl-t-nodegroup-ng.json:"), "{text}");
    assert!(text.contains(": error[EKS001] access entry `AccessEntry`"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colors in a file");
    assert!(text.trim_end().lines().last().expect("summary").starts_with("Summary: 2 inputs"));
}

#[test]
fn colors_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-k-nodegroup-ng.json", &nodegroup_stack(json!("k")));
    let plain = eksguard().current_dir(dir.path()).args(["scan", "."]).output().expect("run");
    assert!(!plain.stdout.contains(&0x1b));
    let colored = eksguard().current_dir(dir.path()).args(["scan", ".", "--color", "always"]).output().expect("run");
    assert!(colored.stdout.contains(&0x1b));
}

#[test]
fn one_thread_and_eight_give_identical_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |jobs: &str| {
        let out = eksguard()
            .current_dir(root)
            .args(["scan", "samples", "--format", "json", "--jobs", jobs])
            .output()
            .expect("run");
        out.stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("8"));
}

#[test]
fn usage_errors_exit_2() {
    let out = eksguard().args(["scan", "--format", "yaml"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = eksguard().args(["scan", "--parameter", "novalue"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

// ------------------------------------------------- rule selection, Guard --

fn bad_mixed(dir: &Path) {
    // EKS001 (CONFIG_MAP cluster with an entry) and EKS005 (system: group).
    write(
        dir,
        "stack.yaml",
        "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: sel\n      AccessConfig:\n        AuthenticationMode: CONFIG_MAP\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: !Ref C\n      PrincipalArn: arn:aws:iam::1:role/a\n      KubernetesGroups: [system:masters]\n",
    );
}

#[test]
fn select_ignore_and_severity_override() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_mixed(dir.path());
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!((code, rules_of(&report)), (1, vec!["EKS001".to_owned(), "EKS005".to_owned()]));
    let (_, report) = scan_json(dir.path(), &["--select", "EKS005"]);
    assert_eq!(rules_of(&report), vec!["EKS005"]);
    let (_, report) = scan_json(dir.path(), &["--ignore", "EKS005,access-entry-on-config-map-cluster"]);
    assert!(rules_of(&report).is_empty());
    let (code, report) =
        scan_json(dir.path(), &["--select", "EKS005", "--severity", "EKS005=warning", "--fail-on", "error"]);
    assert_eq!(code, 0);
    assert_eq!(report["findings"][0]["severity"], "warning");
}

#[test]
fn unknown_rule_ids_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_mixed(dir.path());
    for args in [["--select", "EKS999"], ["--ignore", "nope"], ["--severity", "EKS999=error"]] {
        eksguard()
            .current_dir(dir.path())
            .arg("scan")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("unknown rule"));
    }
}

#[test]
fn config_file_in_working_dir_and_given_with_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_mixed(dir.path());
    write(dir.path(), "eksguard.toml", "ignore = [\"EKS001\"]\n[severity]\nEKS005 = \"note\"\n");
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(rules_of(&report), vec!["EKS005"]);
    assert_eq!(report["findings"][0]["severity"], "note");
    // --severity on the command line wins over the file.
    let (code, report) = scan_json(dir.path(), &["--severity", "EKS005=error"]);
    assert_eq!((code, report["findings"][0]["severity"].clone()), (1, json!("error")));
    write(dir.path(), "other.toml", "select = [\"EKS001\"]\n");
    let (_, report) = scan_json(dir.path(), &["--config", "other.toml"]);
    assert_eq!(rules_of(&report), vec!["EKS001"]);
    write(dir.path(), "bad.toml", "select = [\"EKS404\"]\n");
    eksguard().current_dir(dir.path()).args(["scan", "--config", "bad.toml"]).assert().code(2);
    eksguard().current_dir(dir.path()).args(["scan", "--config", "missing.toml"]).assert().code(2);
}

#[test]
fn guard_rules_read_cross_stack_facts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    // The cluster and the entry live in different stacks.
    write_json(dir.path(), "eksctl-gd-cluster.json", &cluster_stack("gd", mode("CONFIG_MAP")));
    write_json(
        dir.path(),
        "eksctl-gd-nodegroup-ng.json",
        &nodegroup_stack(json!({"Fn::ImportValue": "eksctl-gd-cluster::ClusterName"})),
    );
    let rules = root.join("rules/guard").to_string_lossy().into_owned();
    let (code, report) = scan_json(dir.path(), &["--guard-rules", &rules, "--select", "EKS002"]);
    assert_eq!(code, 1, "{report}");
    let guard: Vec<&Value> =
        report["findings"].as_array().expect("findings").iter().filter(|f| f["name"] == "guard").collect();
    assert_eq!(guard.len(), 2, "{report}");
    let entry = guard.iter().find(|f| f["rule"] == "access_entry_cluster_accepts_entries").expect("entry rule");
    assert_eq!(entry["severity"], "error");
    assert_eq!(entry["resource"], "AccessEntry");
    assert_eq!(entry["location"]["path"], "./eksctl-gd-nodegroup-ng.json");
    assert_eq!(entry["location"]["pointer"], "/Resources/AccessEntry");
    assert!(entry["location"]["line"].as_u64().expect("line") > 1);
    assert!(entry["message"].as_str().expect("message").contains("CONFIG_MAP only"));
    let cluster = guard.iter().find(|f| f["rule"] == "cluster_uses_api_mode").expect("cluster rule");
    assert_eq!(cluster["severity"], "warning");

    // With an API cluster the entry rule passes.
    write_json(dir.path(), "eksctl-gd-cluster.json", &cluster_stack("gd", mode("API")));
    let (_, report) = scan_json(dir.path(), &["--guard-rules", &rules]);
    assert!(rules_of(&report).is_empty(), "{report}");
}

#[test]
fn broken_guard_file_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_mixed(dir.path());
    write(dir.path(), "broken.guard", "rule broken {\n  Resources.* ==\n");
    eksguard()
        .current_dir(dir.path())
        .args(["scan", "--guard-rules", "broken.guard"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("broken.guard: Guard syntax error at line 2"));
}

#[test]
fn rules_markdown_lists_every_rule() {
    let out = eksguard().args(["rules", "--format", "markdown"]).output().expect("run");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(text.starts_with("| id | name | severity | what |"));
    assert_eq!(text.lines().count(), 2 + eksguard::rules::REGISTRY.len());
}

/// Reports are written to standard output as they are rendered: a reader
/// that stops early (`eksguard scan | head -1`) is not a write error, and
/// the exit code still tells the findings.
#[test]
fn a_closed_output_pipe_is_not_an_error() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for format in ["text", "json", "sarif"] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("eksguard"))
            .args(["scan", "--format", format])
            .arg(&samples)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run");
        // Closed before the scan has written anything (it reads 91 inputs).
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("cannot write"), "{format}: {stderr}");
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
    }
}

/// `--stats` tells, on stderr, each stage's time (and peak memory on
/// Linux) once the report is written, and changes nothing else: the
/// report, on stdout or in a file, is the same bytes, and so is the exit
/// code.
#[test]
fn stats_go_to_stderr_and_leave_the_report_alone() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for format in ["text", "json"] {
        let plain = eksguard().args(["scan", "--format", format]).arg(&samples).output().expect("run");
        let stats = eksguard().args(["scan", "--stats", "--format", format]).arg(&samples).output().expect("run");
        assert_eq!(stats.stdout, plain.stdout, "{format}");
        assert_eq!(stats.status.code(), plain.status.code(), "{format}");
        let stderr = String::from_utf8_lossy(&stats.stderr);
        let lines: Vec<&str> = stderr.lines().skip_while(|l| !l.starts_with("eksguard: stats: ")).collect();
        let inputs = lines.first().unwrap_or_else(|| panic!("{format}: no stats in {stderr}"));
        assert!(inputs.contains(" inputs in "), "{inputs}");
        let names: Vec<&str> = lines[1..].iter().map(|l| l.trim_start().split("  ").next().unwrap_or("")).collect();
        assert_eq!(names, ["read and extract", "group", "correlate and rules", "report", "render"], "{stderr}");
        for line in &lines[1..] {
            assert!(line.contains(" s"), "{line}");
            assert_eq!(line.contains("peak RSS"), cfg!(target_os = "linux"), "{line}");
        }
        assert!(!String::from_utf8_lossy(&plain.stderr).contains("eksguard: stats"), "{format}");
    }
}
