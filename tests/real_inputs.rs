//! Inputs as the real tools write them (issue 13), end to end: AWS CLI
//! `get-template --output yaml`, `describe-cluster` from an old CLI, with
//! `--query cluster` and `--output yaml`, a UTF-16LE file from Windows
//! PowerShell 5.1, a ClusterConfig with merge keys, exact positions in
//! every encoding and line-break style, and one file named twice.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/inputs";
const CLUSTER: &str = "samples/EKS001/bad/eksctl-eks001-bad-cluster.json";
const NODEGROUP: &str = "samples/EKS001/bad/eksctl-eks001-bad-nodegroup-ng-1.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// Runs `eksguard scan ARGS` in `dir`; gives stdout and the exit code.
fn scan_in(dir: &Path, args: &[&str]) -> (String, Option<i32>) {
    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(dir)
        .env_remove("EKSGUARD_EKSCTL_VERSION")
        .env("NO_COLOR", "1")
        .arg("scan")
        .args(args)
        .output()
        .expect("run");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    (stdout, output.status.code())
}

/// The JSON report of a scan in `dir`, checking its exit code.
fn json_in(dir: &Path, args: &[&str], code: i32) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (stdout, got) = scan_in(dir, &all);
    assert_eq!(got, Some(code), "{args:?}\n{stdout}");
    serde_json::from_str(&stdout).expect("json report")
}

fn json(args: &[&str], code: i32) -> Value {
    json_in(root(), args, code)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

fn rules(report: &Value) -> Vec<&str> {
    findings(report).iter().map(|f| f["rule"].as_str().unwrap_or_default()).collect()
}

fn at(location: &Value) -> (u64, u64) {
    (location["line"].as_u64().unwrap_or(0), location["column"].as_u64().unwrap_or(0))
}

#[test]
fn get_template_output_yaml_with_a_block_string_body_is_read() {
    let report = json(&[&fixture("get-template-yaml.yaml")], 1);
    assert_eq!(report["summary"]["templates"], 1);
    assert_eq!(rules(&report), ["EKS001"]);
    let location = &findings(&report)[0]["location"];
    assert_eq!(location["pointer"], "/TemplateBody/Resources/AdminAccess");
    // Reported at the string that holds the template.
    assert_eq!(at(location), (5, 3));
}

#[test]
fn describe_cluster_without_access_config_leaves_the_mode_to_the_templates() {
    // An AWS CLI older than access entries prints no accessConfig: the
    // live mode is not known, and the template's API_AND_CONFIG_MAP holds.
    let args =
        [&fixture("eksctl-old-cli-cluster.yaml") as &str, "--context", &fixture("describe-cluster-old-cli.json")];
    let report = json(&args, 0);
    assert_eq!(report["summary"]["contexts"], 1);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(rules(&report), Vec::<&str>::new());
    // Without the template the entry cannot be checked, and the report says why.
    let dir = tempfile::tempdir().expect("tempdir");
    let entry = "Resources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: old-cli\n      PrincipalArn: arn:aws:iam::111122223333:role/x\n";
    std::fs::write(dir.path().join("entry.yaml"), entry).expect("write");
    let context = root().join(fixture("describe-cluster-old-cli.json"));
    let report = json_in(dir.path(), &["entry.yaml", "--context", &context.to_string_lossy()], 0);
    assert_eq!(rules(&report), ["EKS002"]);
    let message = findings(&report)[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("has no accessConfig"), "{message}");
}

#[test]
fn describe_cluster_query_cluster_and_output_yaml_are_read() {
    let nodegroup = fixture("eksctl-queried-nodegroup-ng-1.yaml");
    for context in [true, false] {
        let mut args = vec![nodegroup.as_str()];
        for file in ["describe-cluster-query-cluster.json", "describe-cluster-output-yaml.yaml"] {
            if context {
                args.push("--context");
            }
            args.push(Box::leak(fixture(file).into_boxed_str()));
        }
        let report = json(&args, 1);
        assert_eq!(report["summary"]["contexts"], 2, "{report}");
        assert_eq!(report["summary"]["errors"], 0, "{report}");
        assert_eq!(rules(&report), ["EKS001", "EKS001"]);
        let live: Vec<(String, String)> = findings(&report)
            .iter()
            .map(|f| {
                let related = &f["related"][0];
                (related["path"].as_str().unwrap_or_default().to_owned(), related["pointer"].to_string())
            })
            .collect();
        assert_eq!(
            live,
            [
                (fixture("describe-cluster-query-cluster.json"), "\"/accessConfig/authenticationMode\"".to_owned()),
                (
                    fixture("describe-cluster-output-yaml.yaml"),
                    "\"/cluster/accessConfig/authenticationMode\"".to_owned()
                ),
            ]
        );
        assert!(findings(&report)[0]["message"].as_str().unwrap_or_default().contains("reported by describe-cluster"));
    }
}

/// `text` as Windows PowerShell 5.1's `>` writes it: UTF-16LE with a BOM
/// and CRLF line breaks.
fn powershell(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.replace("\r\n", "\n").replace('\n', "\r\n").encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out
}

#[test]
fn a_utf16le_powershell_file_is_read_with_positions_in_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(root().join(NODEGROUP)).expect("sample");
    // A non-ASCII character before the access entry, on its line.
    let text = text.replace("\"Resources\": {", "\"Resources\": {\"Caf\u{e9}\": {\"Type\": \"AWS::SNS::Topic\"},");
    std::fs::write(dir.path().join("utf8.json"), &text).expect("write");
    std::fs::write(dir.path().join("ps.json"), powershell(&text)).expect("write");
    std::fs::copy(root().join(CLUSTER), dir.path().join("eksctl-eks001-bad-cluster.json")).expect("copy");
    let utf8 = json_in(dir.path(), &["utf8.json", "eksctl-eks001-bad-cluster.json"], 1);
    let ps = json_in(dir.path(), &["ps.json", "eksctl-eks001-bad-cluster.json"], 1);
    assert_eq!(rules(&ps), ["EKS001"]);
    assert_eq!(ps["summary"]["skipped"], 0);
    let (f8, f16) = (&findings(&utf8)[0], &findings(&ps)[0]);
    assert_eq!(at(&f16["location"]), at(&f8["location"]));
    assert_eq!(at(&f16["related"][1]), at(&f8["related"][1]));
    // The quoted line is the decoded text, without a CR.
    let (text_out, _) = scan_in(dir.path(), &["ps.json", "eksctl-eks001-bad-cluster.json", "--color", "never"]);
    assert!(text_out.contains("|     \"AccessEntry\": {\n"), "{text_out}");
    assert!(!text_out.contains('\r'));
    // Broken UTF-16 is an input error with its reason.
    let mut broken = powershell(&text);
    broken.push(b'x');
    std::fs::write(dir.path().join("broken.json"), broken).expect("write");
    let report = json_in(dir.path(), &["broken.json"], 2);
    assert!(
        report["errors"][0]["message"].as_str().unwrap_or_default().contains("not valid UTF-16LE text"),
        "{report}"
    );
}

#[test]
fn merge_keys_in_a_cluster_config_carry_the_instance_role() {
    let report = json(&["--eksctl-version", "0.175.0", &fixture("merge-keys.yaml")], 1);
    // Both nodegroups name the merged role: one entry each (EKS001), and
    // two entries for one principal (EKS006).
    assert_eq!(rules(&report), ["EKS001", "EKS001", "EKS006"]);
    // ng-2 gets iam.instanceRoleARN only through `<<: [*ng-defaults]`.
    for (f, ng) in findings(&report).iter().zip(["ng-1", "ng-2"]) {
        let message = f["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("for nodegroup `{ng}`")), "{message}");
        assert!(message.contains("naming iam.instanceRoleARN arn:aws:iam::111122223333:role/eks-nodes"), "{message}");
    }
    json(&["--eksctl-version", "0.176.0", &fixture("merge-keys.yaml")], 0);
}

#[test]
fn templates_keep_merge_keys_as_keys() {
    // CloudFormation takes no YAML merges: `<<` under Properties is not
    // ClusterName, so the entry names no cluster (EKS002) rather than the
    // CONFIG_MAP one (EKS001).
    let dir = tempfile::tempdir().expect("tempdir");
    let template = "\
Resources:
  ControlPlane:
    Type: AWS::EKS::Cluster
    Properties:
      Name: merged
  Entry:
    Type: AWS::EKS::AccessEntry
    Properties:
      <<: {ClusterName: merged}
      PrincipalArn: arn:aws:iam::111122223333:role/x
";
    std::fs::write(dir.path().join("t.yaml"), template).expect("write");
    let report = json_in(dir.path(), &["t.yaml"], 0);
    assert_eq!(report["summary"]["access_entries"], 1);
    assert_eq!(rules(&report), ["EKS002"]);
}

const ALIASED: &str = "\
Resources:
  ControlPlane:
    Type: AWS::EKS::Cluster
    Properties:
      Name: aliased
  First:
    Type: AWS::EKS::AccessEntry
    Properties: &entry
      ClusterName: aliased
      PrincipalArn: arn:aws:iam::111122223333:role/a
  Second:
    Type: AWS::EKS::AccessEntry
    Properties: *entry
";

#[test]
fn an_alias_is_located_where_it_is_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.yaml"), ALIASED).expect("write");
    let report = json_in(dir.path(), &["t.yaml"], 1);
    let names: Vec<(u64, u64)> = findings(&report)
        .iter()
        .filter(|f| f["rule"] == "EKS001")
        .map(|f| at(f["related"].as_array().and_then(|r| r.last()).expect("ClusterName")))
        .collect();
    assert_eq!(names, [(9, 20), (13, 17)]);
}

/// The single-line form of the nodegroup sample: every position is on
/// line 1, where a BOM would show.
fn one_line(path: &str) -> String {
    let value: Value = serde_json::from_str(&std::fs::read_to_string(root().join(path)).expect("read")).expect("json");
    value.to_string()
}

#[test]
fn positions_are_the_same_with_a_bom_and_with_any_line_breaks() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root().join(CLUSTER), dir.path().join("eksctl-eks001-bad-cluster.json")).expect("copy");
    let pretty = std::fs::read_to_string(root().join(NODEGROUP)).expect("read");
    let line = one_line(NODEGROUP);
    let yaml = "Resources:\n  AccessEntry:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: eks001-bad\n      PrincipalArn: arn:aws:iam::111122223333:role/n\n";
    let variants: Vec<(&str, String)> = vec![
        ("pretty.json", pretty.clone()),
        ("bom-pretty.json", format!("\u{feff}{pretty}")),
        ("crlf.json", pretty.replace('\n', "\r\n")),
        ("cr.json", pretty.replace('\n', "\r")),
        ("line.json", line.clone()),
        ("bom-line.json", format!("\u{feff}{line}")),
        ("lf.yaml", yaml.to_owned()),
        ("cr.yaml", yaml.replace('\n', "\r")),
        ("bom-crlf.yaml", format!("\u{feff}{}", yaml.replace('\n', "\r\n"))),
    ];
    let mut seen = Vec::new();
    for (name, text) in &variants {
        std::fs::write(dir.path().join(name), text).expect("write");
        let report = json_in(dir.path(), &[name, "eksctl-eks001-bad-cluster.json"], 1);
        let f = &findings(&report)[0];
        let name_at = at(f["related"].as_array().and_then(|r| r.last()).expect("ClusterName"));
        seen.push((*name, at(&f["location"]), name_at));
        let (text_out, _) = scan_in(dir.path(), &[name, "eksctl-eks001-bad-cluster.json", "--color", "never"]);
        assert!(!text_out.contains('\r'), "{name}: {text_out:?}");
        assert!(text_out.contains("AccessEntry"), "{name}: a quoted line\n{text_out}");
    }
    let line_col = line.find("\"AccessEntry\"").expect("key") as u64 + 1;
    let name_col = line.find("\"eks001-bad\"").expect("value") as u64 + 1;
    let expected = [
        ((5, 5), (8, 24)),
        ((5, 5), (8, 24)),
        ((5, 5), (8, 24)),
        ((5, 5), (8, 24)),
        ((1, line_col), (1, name_col)),
        ((1, line_col), (1, name_col)),
        ((2, 3), (5, 20)),
        ((2, 3), (5, 20)),
        ((2, 3), (5, 20)),
    ];
    for ((name, got, got_name), (want, want_name)) in seen.iter().zip(expected) {
        assert_eq!((*got, *got_name), (want, want_name), "{name}");
    }
}

#[test]
fn one_file_named_twice_is_one_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stacks = dir.path().join("stacks");
    std::fs::create_dir(&stacks).expect("mkdir");
    for sample in [CLUSTER, NODEGROUP] {
        let name = Path::new(sample).file_name().expect("name");
        std::fs::copy(root().join(sample), stacks.join(name)).expect("copy");
    }
    let nodegroup = "stacks/eksctl-eks001-bad-nodegroup-ng-1.json";
    let absolute: PathBuf = dir.path().join(nodegroup);
    let absolute = absolute.to_string_lossy().into_owned();
    let mut spellings: Vec<Vec<String>> = vec![
        vec!["./stacks".into(), "stacks".into()],
        vec!["stacks".into(), "stacks/".into(), "./stacks/".into()],
        vec!["stacks".into(), format!("./{nodegroup}")],
        vec!["stacks".into(), absolute.clone()],
        vec![absolute, "stacks".into()],
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("eksctl-eks001-bad-nodegroup-ng-1.json", stacks.join("link.json")).expect("link");
        spellings.push(vec![
            "stacks/eksctl-eks001-bad-cluster.json".into(),
            nodegroup.into(),
            "stacks/link.json".into(),
        ]);
    }
    for args in spellings {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = json_in(dir.path(), &args, 1);
        assert_eq!(rules(&report), ["EKS001"], "{args:?}: {report}");
        assert_eq!(report["summary"]["analysed"], 2, "{args:?}");
        assert_eq!(report["summary"]["access_entries"], 1, "{args:?}");
    }
}
