//! End-to-end: the wrong answers issue 12 reported, now answered as
//! CloudFormation would, through the real binary.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn scan(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("eksguard")
        .expect("binary")
        .env_remove("EKSGUARD_EKSCTL_VERSION")
        .current_dir(dir)
        .args(["scan", ".", "--format", "json"])
        .args(args)
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    (out.status.code().expect("code"), report)
}

fn rules(report: &Value) -> Vec<&str> {
    report["findings"].as_array().expect("findings").iter().map(|f| f["rule"].as_str().expect("rule")).collect()
}

fn one(text: &str, args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("stack.yaml"), text).expect("write");
    scan(dir.path(), args)
}

const HEAD: &str = "Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Modes:
    dev: {Mode: CONFIG_MAP}
    prod: {Mode: API}
";

fn template(mode: &str, entry_condition: &str) -> String {
    format!(
        "{HEAD}Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: demo
      AccessConfig:
        AuthenticationMode: {mode}
  Entry:
    Type: AWS::EKS::AccessEntry
{entry_condition}    Properties:
      ClusterName: !Ref Cluster
      PrincipalArn: arn:aws:iam::111122223333:role/admin
"
    )
}

#[test]
fn an_entry_under_a_false_condition_is_not_reported() {
    let (code, report) = one(&template("CONFIG_MAP", "    Condition: IsProd\n"), &[]);
    assert_eq!((code, rules(&report)), (0, vec![]));
    assert_eq!(report["summary"]["access_entries"], 0);
    // With the parameter that makes it true, it is.
    let (code, report) = one(&template("CONFIG_MAP", "    Condition: IsProd\n"), &["--parameter", "Env=prod"]);
    assert_eq!((code, rules(&report)), (1, vec!["EKS001"]));
}

#[test]
fn modes_from_if_find_in_map_and_no_value_are_worked_out() {
    for mode in [
        "!If [IsProd, API_AND_CONFIG_MAP, CONFIG_MAP]",
        "!FindInMap [Modes, !Ref Env, Mode]",
        "!If [IsProd, API, !Ref AWS::NoValue]",
    ] {
        let (code, report) = one(&template(mode, ""), &[]);
        assert_eq!((code, rules(&report)), (1, vec!["EKS001"]), "{mode}");
        let (code, report) = one(&template(mode, ""), &["--parameter", "Env=prod"]);
        assert_eq!((code, rules(&report)), (0, vec![]), "{mode} with Env=prod");
    }
}

#[test]
fn related_conditions_are_evaluated_together() {
    let open = template("!If [IsProd, API, CONFIG_MAP]", "    Condition: IsProd\n").replace("Default: dev, ", "");
    let (code, report) = one(&open, &[]);
    assert_eq!((code, rules(&report)), (0, vec![]), "{report}");
    // Without the condition the entry fails when Env=dev only: EKS012.
    let open = template("!If [IsProd, API, CONFIG_MAP]", "").replace("Default: dev, ", "");
    let (code, report) = one(&open, &[]);
    assert_eq!((code, rules(&report)), (0, vec!["EKS012"]), "{report}");
    let message = report["findings"][0]["message"].as_str().expect("message");
    assert!(message.contains("when Env=dev"), "{message}");
    let fix = report["findings"][0]["remediation"].as_str().expect("remediation");
    assert!(fix.contains("--parameter Env=prod"), "{fix}");
}

#[test]
fn an_ssm_parameter_default_is_not_its_value() {
    let text = "Parameters:
  Mode: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /platform/eks/auth-mode}
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: demo
      AccessConfig:
        AuthenticationMode: !Ref Mode
";
    let (code, report) = one(text, &[]);
    assert_eq!((code, rules(&report)), (0, vec![]));
}

#[test]
fn for_each_entries_are_counted_and_checked() {
    let text = "Transform: AWS::LanguageExtensions
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties: {Name: demo}
  Fn::ForEach::Entries:
    - Role
    - [alice, bob]
    - Entry${Role}:
        Type: AWS::EKS::AccessEntry
        Properties:
          ClusterName: !Ref Cluster
          PrincipalArn: !Sub arn:aws:iam::111122223333:role/${Role}
";
    let (code, report) = one(text, &[]);
    assert_eq!(report["summary"]["access_entries"], 2);
    assert_eq!((code, rules(&report)), (1, vec!["EKS001", "EKS001"]));
    assert_eq!(report["findings"][0]["location"]["pointer"], "/Resources/Fn::ForEach::Entries/2/Entry${Role}");
    assert_eq!(report["findings"][0]["resource"], "Entryalice");
}

#[test]
fn bad_input_is_an_answer_not_a_crash() {
    for (mode, says) in [
        ("!If [IsProd, API]", "Fn::If takes [condition, value if true, value if false]"),
        ("!If [Nope, API, CONFIG_MAP]", "condition Nope is not defined"),
        ("!FindInMap [Modes, test, Mode]", "mapping Modes has no key test"),
        ("!Sub '${Nothing}'", "${Nothing}, which names nothing"),
    ] {
        // An error where it is written (EKS013), and the entry whose
        // cluster's mode depends on it cannot be judged (EKS002).
        let (code, report) = one(&template(mode, ""), &[]);
        assert_eq!(report["summary"]["errors"], 0, "{mode}");
        let mut found = rules(&report);
        found.sort_unstable();
        assert_eq!((code, found), (1, vec!["EKS002", "EKS013"]), "{mode}");
        for finding in report["findings"].as_array().expect("findings") {
            let message = finding["message"].as_str().expect("message");
            assert!(message.contains(says) && message.contains("CloudFormation rejects"), "{mode}: {message}");
        }
        let eks013 = report["findings"].as_array().expect("findings").iter().find(|f| f["rule"] == "EKS013");
        let eks013 = eks013.expect("EKS013");
        assert_eq!(eks013["severity"], "error");
        assert_eq!(eks013["location"]["pointer"], "/Resources/Cluster/Properties/AccessConfig/AuthenticationMode");
    }
    let cycle = template("!If [A, API, CONFIG_MAP]", "")
        .replace("Conditions:\n", "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n");
    let (_, report) = one(&cycle, &[]);
    let cycles: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["message"].as_str().is_some_and(|m| m.contains("depends on itself")))
        .map(|f| f["rule"].as_str().expect("rule"))
        .collect();
    assert!(cycles.contains(&"EKS002") && cycles.contains(&"EKS013"), "{cycles:?}");
    let bad_loop = "Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Entries:
    - Role
    - not-a-list
    - Entry${Role}: {Type: AWS::EKS::AccessEntry, Properties: {ClusterName: demo}}
";
    let (_, report) = one(bad_loop, &[]);
    let mut found = rules(&report);
    found.sort_unstable();
    assert_eq!(found, vec!["EKS002", "EKS013"]);
    for finding in report["findings"].as_array().expect("findings") {
        let message = finding["message"].as_str().expect("message");
        assert!(message.contains("loops over something that is not a list"), "{message}");
    }
}
