//! End-to-end tests of configuration in a repository: the config file
//! found from a subdirectory, every key, excludes and ignore files, and the
//! baseline file kept out of the sweep. Each runs the real binary in a
//! temporary git repository.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

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

/// A temporary git repository (`git init` when git is installed; a `.git`
/// directory is what eksguard and the ignore rules look for either way).
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let initialised = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !initialised {
        std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    }
    dir
}

/// A stack with an EKS001 (CONFIG_MAP cluster with an entry) and an EKS005
/// (system: group) finding.
const BAD: &str = "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: sel\n      AccessConfig:\n        AuthenticationMode: CONFIG_MAP\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: !Ref C\n      PrincipalArn: arn:aws:iam::1:role/a\n      KubernetesGroups: [system:masters]\n";

fn scan_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = eksguard().current_dir(dir).arg("scan").args(["--format", "json"]).args(args).output().expect("run");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("bad JSON ({e}): {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code().expect("exit code"), report)
}

fn rules_of(report: &Value) -> Vec<String> {
    let findings = report["findings"].as_array().expect("findings");
    findings.iter().map(|f| f["rule"].as_str().expect("rule").to_owned()).collect()
}

fn paths_of(report: &Value) -> Vec<String> {
    let findings = report["findings"].as_array().expect("findings");
    let mut paths: Vec<String> =
        findings.iter().map(|f| f["location"]["path"].as_str().expect("path").to_owned()).collect();
    paths.dedup();
    paths
}

#[test]
fn config_is_found_from_a_subdirectory_up_to_the_repository_root() {
    let repo = repo();
    write(repo.path(), "stacks/prod/stack.yaml", BAD);
    write(repo.path(), "eksguard.toml", "ignore = [\"EKS001\"]\n[severity]\nEKS005 = \"note\"\n");
    let sub = repo.path().join("stacks/prod");
    let (code, report) = scan_json(&sub, &[]);
    assert_eq!((code, rules_of(&report)), (0, vec!["EKS005".to_owned()]));
    assert_eq!(report["findings"][0]["severity"], "note");
    // --isolated reads no config file.
    let (code, report) = scan_json(&sub, &["--isolated"]);
    assert_eq!((code, rules_of(&report)), (1, vec!["EKS001".to_owned(), "EKS005".to_owned()]));
    // The nearest file wins, and --config wins over it.
    write(repo.path(), "stacks/eksguard.toml", "select = [\"EKS001\"]\n");
    let (_, report) = scan_json(&sub, &[]);
    assert_eq!(rules_of(&report), vec!["EKS001"]);
    let (_, report) = scan_json(&sub, &["--config", "../../eksguard.toml"]);
    assert_eq!(rules_of(&report), vec!["EKS005"]);
}

#[test]
fn pyproject_tool_table_is_a_config_and_the_search_stops_at_the_repository_root() {
    let outer = tempfile::tempdir().expect("tempdir");
    // Above the repository: never read.
    write(outer.path(), "eksguard.toml", "select = [\"EKS003\"]\n");
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    write(&repo, "stacks/stack.yaml", BAD);
    let (_, report) = scan_json(&repo.join("stacks"), &[]);
    assert_eq!(rules_of(&report), vec!["EKS001", "EKS005"]);
    write(&repo, "pyproject.toml", "[project]\nname = \"x\"\n[tool.eksguard]\nselect = [\"EKS005\"]\n");
    let (_, report) = scan_json(&repo.join("stacks"), &[]);
    assert_eq!(rules_of(&report), vec!["EKS005"]);
    // eksguard.toml comes before pyproject.toml in one directory.
    write(&repo, "eksguard.toml", "select = [\"EKS001\"]\n");
    let (_, report) = scan_json(&repo.join("stacks"), &[]);
    assert_eq!(rules_of(&report), vec!["EKS001"]);
}

#[test]
fn unknown_keys_name_the_key_the_file_and_the_likely_one() {
    let repo = repo();
    write(repo.path(), "stacks/stack.yaml", BAD);
    write(repo.path(), "eksguard.toml", "exclud = [\"build\"]\n");
    eksguard()
        .current_dir(repo.path().join("stacks"))
        .arg("scan")
        .assert()
        .code(2)
        .stderr("eksguard: error: ../eksguard.toml: unknown key `exclud` (did you mean `exclude`?)\n");
    write(repo.path(), "eksguard.toml", "fail-on = \"sometimes\"\n");
    eksguard().current_dir(repo.path()).arg("scan").assert().code(2).stderr(predicates::str::contains(
        "eksguard.toml: fail-on: `sometimes` is not one of error, warning, note, never",
    ));
}

#[test]
fn every_scan_option_is_settable_in_the_file_relative_to_it() {
    let repo = repo();
    // A cluster whose mode is a parameter, and an entry on it.
    write(
        repo.path(),
        "stacks/param.yaml",
        "Parameters:\n  Mode:\n    Type: String\n    Default: API\nResources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: p\n      AccessConfig:\n        AuthenticationMode: !Ref Mode\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: !Ref C\n      PrincipalArn: arn:aws:iam::1:role/a\n",
    );
    write(
        repo.path(),
        "eksguard.toml",
        "format = \"json\"\nfail-on = \"never\"\nmax-file-size = 100000\n[parameters]\nMode = \"CONFIG_MAP\"\n",
    );
    let out = eksguard().current_dir(repo.path().join("stacks")).arg("scan").output().expect("run");
    assert_eq!(out.status.code(), Some(0), "fail-on = never");
    let report: Value = serde_json::from_slice(&out.stdout).expect("format = json");
    assert_eq!(rules_of(&report), vec!["EKS001"], "the parameter from the file");
    // The flags win over the file.
    let (code, report) = scan_json(&repo.path().join("stacks"), &["--fail-on", "error", "-p", "Mode=API"]);
    assert_eq!((code, rules_of(&report).len()), (0, 0));
    write(repo.path(), "eksguard.toml", "max-file-size = 10\n");
    let (_, report) = scan_json(&repo.path().join("stacks"), &[]);
    assert_eq!(report["summary"]["skipped"], 1, "max-file-size from the file");
}

#[test]
fn gitignored_folders_are_not_swept_unless_no_ignore() {
    let repo = repo();
    write(repo.path(), "stacks/stack.yaml", BAD);
    write(repo.path(), "cdk.out/copy.yaml", BAD);
    write(repo.path(), "build/copy.yaml", BAD);
    write(repo.path(), "node_modules/pkg/copy.yaml", BAD);
    write(repo.path(), ".gitignore", "cdk.out/\n");
    write(repo.path(), ".git/info/exclude", "build\n");
    let (_, report) = scan_json(repo.path(), &[]);
    assert_eq!(paths_of(&report), vec!["./stacks/stack.yaml"]);
    assert_eq!(report["summary"]["inputs"], 1);
    let (_, report) = scan_json(repo.path(), &["--no-ignore"]);
    assert_eq!(paths_of(&report), vec!["./build/copy.yaml", "./cdk.out/copy.yaml", "./stacks/stack.yaml"]);
    // node_modules is excluded by default; `exclude` replaces the default.
    let (_, report) = scan_json(repo.path(), &["--no-ignore", "--exclude", "build"]);
    let swept = vec!["./cdk.out/copy.yaml", "./node_modules/pkg/copy.yaml", "./stacks/stack.yaml"];
    assert_eq!(paths_of(&report), swept);
    write(
        repo.path(),
        "eksguard.toml",
        "respect-ignore-files = false
",
    );
    let (_, report) = scan_json(repo.path(), &[]);
    assert_eq!(paths_of(&report).len(), 3, "respect-ignore-files = false");
}

#[test]
fn excludes_are_relative_to_the_file_or_the_working_directory() {
    let repo = repo();
    write(repo.path(), "stacks/a/stack.yaml", BAD);
    write(repo.path(), "stacks/generated/stack.yaml", BAD);
    write(repo.path(), "stacks/old/stack.yaml", BAD);
    write(repo.path(), "stacks/old/keep.yaml", BAD);
    // Anchored to the file's directory, as gitignore patterns are.
    write(repo.path(), "eksguard.toml", "extend-exclude = [\"/stacks/generated\"]\n");
    let sub = repo.path().join("stacks");
    let (_, report) = scan_json(&sub, &[]);
    assert_eq!(paths_of(&report), vec!["./a/stack.yaml", "./old/keep.yaml", "./old/stack.yaml"]);
    // The flag's pattern is relative to the working directory, and adds.
    let (_, report) = scan_json(&sub, &["--extend-exclude", "/old/stack.yaml"]);
    assert_eq!(paths_of(&report), vec!["./a/stack.yaml", "./old/keep.yaml"]);
    // A path named on the command line is read even when excluded...
    let (_, report) = scan_json(&sub, &["generated/stack.yaml"]);
    assert_eq!(paths_of(&report), vec!["generated/stack.yaml"]);
    // ...unless --force-exclude (or force-exclude = true).
    let (code, report) = scan_json(&sub, &["--force-exclude", "generated/stack.yaml", "a"]);
    assert_eq!((code, paths_of(&report)), (1, vec!["a/stack.yaml".to_owned()]));
    assert_eq!(report["skipped"][0]["path"], "generated/stack.yaml");
    assert_eq!(report["skipped"][0]["reason"], "matches an exclude pattern (--force-exclude)");
}

#[test]
fn the_baseline_file_is_never_an_input() {
    let repo = repo();
    write(repo.path(), "stacks/stack.yaml", BAD);
    let (code, _) = scan_json(repo.path(), &["--write-baseline", "stacks/eksguard-baseline.json"]);
    assert_eq!(code, 0);
    let (code, report) = scan_json(repo.path(), &["--baseline", "stacks/eksguard-baseline.json"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["inputs"], 1, "{report}");
    assert_eq!(report["summary"]["baselined"], 2);
    assert_eq!(report["skipped"], serde_json::json!([]));
    // Named in the file, relative to it.
    write(repo.path(), "stacks/eksguard.toml", "baseline = \"eksguard-baseline.json\"\n");
    let (code, report) = scan_json(&repo.path().join("stacks"), &[]);
    // Neither the baseline nor the config file is an input.
    assert_eq!((code, report["summary"]["inputs"].clone()), (0, serde_json::json!(1)), "{report}");
}

#[test]
fn a_baseline_hides_the_same_findings_from_any_directory_and_spelling() {
    let repo = repo();
    write(repo.path(), "stacks/prod/stack.yaml", BAD);
    let baseline = repo.path().join("eksguard-baseline.json");
    let baseline = baseline.to_str().expect("utf-8");
    // Written from the repository root, naming a subdirectory.
    let (code, _) = scan_json(repo.path(), &["stacks", "--write-baseline", baseline]);
    assert_eq!(code, 0);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(baseline).expect("read")).expect("json");
    assert_eq!(written["version"], 2);
    assert_eq!(written["findings"][0]["path"], "stacks/prod/stack.yaml");
    // Read from a subdirectory, and with the stack named by absolute path.
    let absolute = repo.path().join("stacks/prod/stack.yaml");
    for (dir, arg) in [
        (repo.path().join("stacks/prod"), "."),
        (repo.path().join("stacks"), "prod/stack.yaml"),
        (repo.path().to_path_buf(), absolute.to_str().expect("utf-8")),
    ] {
        let (code, report) = scan_json(&dir, &[arg, "--baseline", baseline]);
        assert_eq!((code, report["summary"]["baselined"].clone()), (0, serde_json::json!(2)), "{arg} from {dir:?}");
    }
    // A relative baseline path from a subdirectory means the same file.
    let (code, _) = scan_json(&repo.path().join("stacks"), &["--baseline", "../eksguard-baseline.json"]);
    assert_eq!(code, 0);
}

#[test]
fn an_older_baseline_is_read_with_a_warning_and_a_newer_one_refused() {
    let repo = repo();
    write(repo.path(), "stack.yaml", BAD);
    let (_, _) = scan_json(repo.path(), &["--write-baseline", "b.json"]);
    let text = std::fs::read_to_string(repo.path().join("b.json")).expect("read");
    // Version 1 named files as given: `./stack.yaml` from here.
    write(repo.path(), "b.json", &text.replace("\"version\": 2", "\"version\": 1"));
    let out = eksguard().current_dir(repo.path()).args(["scan", "--baseline", "b.json"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("b.json: baseline version 1 names files as they were given"), "{stderr}");
    write(repo.path(), "b.json", &text.replace("\"version\": 2", "\"version\": 7"));
    eksguard()
        .current_dir(repo.path())
        .args(["scan", "--baseline", "b.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("b.json: baseline version 7 is not supported"));
}

/// A CONFIG_MAP cluster whose access entry carries `ignore` as given.
fn suppressed_stack(ignore: &str) -> String {
    format!(
        "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: s\n      AccessConfig:\n        \
         AuthenticationMode: CONFIG_MAP\n  E:\n    Type: AWS::EKS::AccessEntry\n    Metadata:\n      eksguard:\n        \
         ignore: {ignore}\n    Properties:\n      ClusterName: !Ref C\n      PrincipalArn: arn:aws:iam::1:role/a\n"
    )
}

#[test]
fn a_suppression_typo_is_reported_where_it_is_and_silences_nothing() {
    let repo = repo();
    write(repo.path(), "stack.yaml", &suppressed_stack("[EKS01]"));
    let (code, report) = scan_json(repo.path(), &[]);
    assert_eq!((code, rules_of(&report)), (1, vec!["EKS001".to_owned(), "EKS015".to_owned()]));
    let typo = &report["findings"][1];
    assert_eq!(typo["location"]["line"], 12);
    assert_eq!(typo["location"]["pointer"], "/Resources/E/Metadata/eksguard/ignore/0");
    assert!(typo["message"].as_str().expect("message").contains("did you mean `EKS001`?"), "{typo}");
    // A malformed entry likewise.
    write(repo.path(), "stack.yaml", &suppressed_stack("[{id: EKS001, reson: later}]"));
    let (_, report) = scan_json(repo.path(), &[]);
    assert_eq!(rules_of(&report), vec!["EKS001", "EKS015"]);
}

#[test]
fn unused_suppressions_are_reported_only_when_asked_for() {
    let repo = repo();
    // EKS001 is silenced; EKS005 (system: groups) never fires on this entry.
    write(repo.path(), "stack.yaml", &suppressed_stack("[EKS001, EKS005]"));
    let (code, report) = scan_json(repo.path(), &[]);
    assert_eq!((code, rules_of(&report).len()), (0, 0), "off by default");
    let (code, report) = scan_json(repo.path(), &["--report-unused-suppressions"]);
    assert_eq!((code, rules_of(&report)), (0, vec!["EKS016".to_owned()]), "a warning does not fail the scan");
    let unused = &report["findings"][0];
    assert_eq!(unused["location"]["pointer"], "/Resources/E/Metadata/eksguard/ignore");
    assert!(unused["message"].as_str().expect("message").contains("EKS005"), "{unused}");
    assert_eq!(
        unused["remediation"],
        "Remove `EKS005` from this suppression, or the whole suppression when it names nothing else."
    );
    // The same from the config file and from --select; a rule that is not
    // running is never called unused.
    write(repo.path(), "eksguard.toml", "report-unused-suppressions = true\n");
    assert_eq!(rules_of(&scan_json(repo.path(), &[]).1), vec!["EKS016"]);
    assert!(rules_of(&scan_json(repo.path(), &["--ignore", "EKS005"]).1).is_empty());
    std::fs::remove_file(repo.path().join("eksguard.toml")).expect("rm");
    assert_eq!(rules_of(&scan_json(repo.path(), &["--select", "EKS001,EKS005,EKS016"]).1), vec!["EKS016"]);
    // A suppression that silences something is not reported.
    write(repo.path(), "stack.yaml", &suppressed_stack("[EKS001]"));
    assert!(rules_of(&scan_json(repo.path(), &["--report-unused-suppressions"]).1).is_empty());
}

#[test]
fn an_unused_clusterconfig_comment_suppression_is_reported_on_its_line() {
    let repo = repo();
    let config = |mode: &str| {
        format!(
            "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: demo\n  region: us-east-1\n\
             accessConfig:\n  authenticationMode: {mode}\nnodeGroups:\n  # eksguard: ignore EKS001 -- migrating\n  \
             - name: ng-1\n    instanceType: m5.large\n"
        )
    };
    // Used: without a version it silences EKS011, with an affected one EKS001.
    write(repo.path(), "cluster.yaml", &config("CONFIG_MAP"));
    for args in
        [&["--report-unused-suppressions"][..], &["--report-unused-suppressions", "--eksctl-version", "0.170.0"]]
    {
        let (_, report) = scan_json(repo.path(), args);
        assert!(rules_of(&report).is_empty(), "{args:?}: {report}");
        assert_eq!(report["summary"]["suppressed"], 1, "{args:?}");
    }
    // Unused once the cluster accepts access entries.
    write(repo.path(), "cluster.yaml", &config("API"));
    let (_, report) = scan_json(repo.path(), &["--report-unused-suppressions"]);
    assert_eq!(rules_of(&report), vec!["EKS016"]);
    assert_eq!(report["findings"][0]["location"]["line"], 9);
}

#[test]
fn a_parameter_no_template_declares_is_warned_about() {
    let repo = repo();
    let stack = "Parameters:\n  Mode: {Type: String, Default: CONFIG_MAP}\nResources:\n  C:\n    Type: AWS::EKS::Cluster\n    \
                 Properties:\n      Name: p\n      AccessConfig: {AuthenticationMode: !Ref Mode}\n  E:\n    \
                 Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: !Ref C\n      \
                 PrincipalArn: arn:aws:iam::1:role/a\n";
    write(repo.path(), "stack.yaml", stack);
    write(repo.path(), "other/plain.json", "{\"Parameters\": {\"Env\": {\"Type\": \"String\"}}, \"Resources\": {}}");
    let out = eksguard()
        .current_dir(repo.path())
        .args(["scan", "-q", "--format", "json", "-p", "Mod=API", "-p", "Env=prod", "-p", "AWS::Region=eu-west-1"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "eksguard: warning: parameter Mod: no template read declares a parameter of this name, so its value \
         changes nothing (a typo?)\n"
    );
    // The typo changed nothing: the entry is still rejected.
    assert_eq!(out.status.code(), Some(1));
    let out = eksguard().current_dir(repo.path()).args(["scan", "-q", "-p", "Mode=API"]).output().expect("run");
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stderr).as_ref()), (Some(0), ""));
}

#[test]
fn a_suppression_reason_is_shown_in_json_and_sarif() {
    let repo = repo();
    write(repo.path(), "stack.yaml", &suppressed_stack("[{id: EKS001, reason: \"migrating to API in Q3\"}]"));
    let (code, report) = scan_json(repo.path(), &[]);
    assert_eq!((code, rules_of(&report).len()), (0, 0));
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(report["suppressed"][0]["rule"], "EKS001");
    assert_eq!(report["suppressed"][0]["justification"], "migrating to API in Q3");
    let out = eksguard().current_dir(repo.path()).args(["scan", "--format", "sarif"]).output().expect("run");
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "EKS001");
    assert_eq!(
        result["suppressions"],
        serde_json::json!([{"kind": "inSource", "justification": "migrating to API in Q3"}])
    );
}

#[test]
fn the_worked_guard_example_is_right_about_known_and_unknown_clusters() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/guard");
    let rules = rules.to_str().expect("utf-8");
    let repo = repo();
    // An entry whose cluster is in no scanned stack: EKS002 only.
    write(
        repo.path(),
        "entry.yaml",
        "Resources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: elsewhere\n      PrincipalArn: arn:aws:iam::1:role/a\n",
    );
    let (_, report) = scan_json(repo.path(), &["--guard-rules", rules]);
    assert_eq!(rules_of(&report), vec!["EKS002"], "{report}");
    // On a CONFIG_MAP cluster: exactly this finding.
    write(repo.path(), "entry.yaml", BAD);
    let (code, report) = scan_json(repo.path(), &["--guard-rules", rules, "--select", "EKS005"]);
    assert_eq!(code, 1);
    let guard: Vec<&Value> =
        report["findings"].as_array().expect("findings").iter().filter(|f| f["name"] == "guard").collect();
    assert_eq!(guard.len(), 2, "{report}");
    let entry = guard[1];
    assert_eq!(entry["rule"], "access_entry_cluster_accepts_entries");
    assert_eq!(
        entry["message"],
        "The access entry's target cluster authenticates with CONFIG_MAP only; CloudFormation will reject the entry"
    );
    assert_eq!(
        (entry["location"]["line"].clone(), entry["resource"].clone()),
        (serde_json::json!(8), serde_json::json!("E"))
    );
}

#[test]
fn guard_rules_are_selected_ignored_and_overridden_by_name() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/guard");
    let rules = rules.to_str().expect("utf-8");
    let repo = repo();
    write(repo.path(), "stack.yaml", BAD);
    let (_, report) = scan_json(repo.path(), &["--guard-rules", rules, "--ignore", "cluster_uses_api_mode"]);
    assert_eq!(rules_of(&report), vec!["EKS001", "access_entry_cluster_accepts_entries", "EKS005"]);
    let (code, report) = scan_json(
        repo.path(),
        &["--guard-rules", rules, "--select", "cluster_uses_api_mode", "--severity", "cluster_uses_api_mode=note"],
    );
    assert_eq!((code, rules_of(&report)), (0, vec!["cluster_uses_api_mode".to_owned()]));
    assert_eq!(report["findings"][0]["severity"], "note");
    // In the config file too; a name no rule has is still an error.
    write(
        repo.path(),
        "eksguard.toml",
        &format!("guard-rules = [{rules:?}]\nignore = [\"access_entry_cluster_accepts_entries\"]\n"),
    );
    let (_, report) = scan_json(repo.path(), &["--select", "EKS005,cluster_uses_api_mode"]);
    assert_eq!(rules_of(&report), vec!["cluster_uses_api_mode", "EKS005"]);
    eksguard().current_dir(repo.path()).args(["scan", "--ignore", "cluster_uses_api"]).assert().code(2);
    // `eksguard rules` lists them with their file.
    let out = eksguard().current_dir(repo.path()).arg("rules").output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cluster_uses_api_mode") && text.contains("access-entries.guard"), "{text}");
}
