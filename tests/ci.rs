//! End-to-end tests of eksguard in CI and hooks: the pre-commit hook's
//! changed-files mode (`--context-root`) in a real git repository, the
//! hook's file filter, several reports from one run, GitLab Code Quality,
//! paths code hosts match, and exit codes a pipeline can trust.

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::{Value, json};

fn eksguard() -> Command {
    let mut cmd = Command::cargo_bin("eksguard").expect("binary");
    cmd.env_remove("EKSGUARD_EKSCTL_VERSION").env("NO_COLOR", "1");
    cmd
}

fn write_json(dir: &Path, name: &str, doc: &Value) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, serde_json::to_string_pretty(doc).expect("json")).expect("write");
}

fn cluster_stack(name: &str, mode: &str) -> Value {
    json!({
        "Description": "EKS cluster (dedicated VPC: true, dedicated IAM: true) [created and managed by eksctl]",
        "Resources": {
            "ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {
                "Name": name, "RoleArn": {"Fn::GetAtt": ["ServiceRole", "Arn"]},
                "AccessConfig": {"AuthenticationMode": mode}
            }},
            "ServiceRole": {"Type": "AWS::IAM::Role", "Properties": {}}
        },
        "Outputs": {
            "ClusterName": {"Value": {"Ref": "ControlPlane"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}::ClusterName"}}}
        }
    })
}

fn nodegroup_stack(cluster: &str) -> Value {
    json!({
        "Description": "EKS nodes (AMI family: AmazonLinux2, SSH access: false, private networking: false) [created and managed by eksctl]",
        "Resources": {
            "NodeInstanceRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "AccessEntry": {"Type": "AWS::EKS::AccessEntry", "Properties": {
                "ClusterName": {"Fn::ImportValue": format!("eksctl-{cluster}-cluster::ClusterName")},
                "PrincipalArn": {"Fn::GetAtt": ["NodeInstanceRole", "Arn"]},
                "Type": "EC2_LINUX"
            }}
        }
    })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Process::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .ok()?;
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

/// The staged files of `repo`, as pre-commit passes them (relative to the
/// repository root).
fn staged(repo: &Path) -> Vec<String> {
    git(repo, &["diff", "--cached", "--name-only"]).expect("git").lines().map(str::to_owned).collect()
}

/// Runs the `eksguard` hook's entry (from `.pre-commit-hooks.yaml`) as
/// pre-commit does: from the repository root, with the staged files that
/// match its `files` filter appended.
fn run_hook(repo: &Path) -> (Option<i32>, Value) {
    let hook = hook("eksguard");
    let entry = field(&hook, "entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("eksguard"));
    let files = regex::Regex::new(&unquote(&field(&hook, "files"))).expect("files regex");
    let names: Vec<String> = staged(repo).into_iter().filter(|f| files.is_match(f)).collect();
    let out = eksguard().current_dir(repo).args(words).args(["--format", "json"]).args(&names).output().expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), report)
}

/// One hook's lines from the repository's `.pre-commit-hooks.yaml`.
fn hook(id: &str) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
        .expect("hooks file");
    let start = text.find(&format!("\n- id: {id}\n")).expect("hook");
    let rest = &text[start + 3..];
    let end = rest.find("\n- id:").unwrap_or(rest.len());
    rest[..end].to_owned()
}

fn field(hook: &str, key: &str) -> String {
    hook.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no `{key}` in {hook}"))
}

fn unquote(v: &str) -> String {
    v.trim_matches('\'').replace("''", "'")
}

#[test]
fn pre_commit_hook_fails_a_staged_nodegroup_of_a_config_map_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    if git(repo, &["init", "-q"]).is_none() {
        eprintln!("skipped: git is not installed");
        return;
    }
    // The cluster stack is in the repository already, with an unrelated
    // broken file and a stack of another cluster that has its own finding.
    write_json(repo, "stacks/eksctl-prod-cluster.json", &cluster_stack("prod", "CONFIG_MAP"));
    write_json(repo, "other/eksctl-old-cluster.json", &cluster_stack("old", "CONFIG_MAP"));
    write_json(repo, "other/eksctl-old-nodegroup-a.json", &nodegroup_stack("old"));
    std::fs::write(repo.join("other/broken.json"), "{\"Resources\": {,}").expect("write");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "cluster"]);

    // Only a new nodegroup stack is staged (and a README the filter drops).
    write_json(repo, "stacks/eksctl-prod-nodegroup-ng-1.json", &nodegroup_stack("prod"));
    std::fs::write(repo.join("stacks/README.md"), "# stacks\n").expect("write");
    git(repo, &["add", "."]);
    let (code, report) = run_hook(repo);
    assert_eq!(code, Some(1), "{report:#}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    let f = &findings[0];
    assert_eq!(f["rule"], "EKS001");
    assert_eq!(f["location"]["path"], "stacks/eksctl-prod-nodegroup-ng-1.json");
    assert_eq!(f["related"][0]["path"], "stacks/eksctl-prod-cluster.json");
    // The files given are the inputs; the rest of the repository was read
    // only to correlate (the broken file there is not this commit's; the
    // README the hook's filter dropped is one of those).
    assert_eq!(report["summary"]["inputs"], 1);
    assert_eq!(report["summary"]["context_only"], 5);
    assert_eq!(report["errors"], json!([]));

    // Alone, the same file only says the cluster is unknown: the bug the
    // hook exists to stop would pass.
    let out = eksguard()
        .current_dir(repo)
        .args(["scan", "--format", "json", "stacks/eksctl-prod-nodegroup-ng-1.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let alone: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(alone["findings"][0]["rule"], "EKS002");

    // Fixed: the cluster moves to API_AND_CONFIG_MAP in the same commit.
    write_json(repo, "stacks/eksctl-prod-cluster.json", &cluster_stack("prod", "API_AND_CONFIG_MAP"));
    git(repo, &["add", "."]);
    let (code, report) = run_hook(repo);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["summary"]["inputs"], 2);
}

#[test]
fn a_file_given_and_under_the_context_root_is_read_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-x-cluster.json", &cluster_stack("x", "CONFIG_MAP"));
    write_json(dir.path(), "eksctl-x-nodegroup-a.json", &nodegroup_stack("x"));
    let absolute = dir.path().join("eksctl-x-nodegroup-a.json").to_string_lossy().into_owned();
    for given in ["eksctl-x-nodegroup-a.json", "./eksctl-x-nodegroup-a.json", absolute.as_str()] {
        let out = eksguard()
            .current_dir(dir.path())
            .args(["scan", "--context-root", ".", "--format", "json", given])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1));
        let report: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(report["summary"]["inputs"], 1, "{given}");
        assert_eq!(report["summary"]["context_only"], 1, "{given}");
        assert_eq!(report["findings"].as_array().map(Vec::len), Some(1), "{given}");
    }
}

#[test]
fn stdin_named_after_a_file_under_the_context_root_stands_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-x-cluster.json", &cluster_stack("x", "CONFIG_MAP"));
    write_json(dir.path(), "eksctl-x-nodegroup-a.json", &nodegroup_stack("x"));
    let staged = serde_json::to_string(&nodegroup_stack("x")).expect("json");
    let out = eksguard()
        .current_dir(dir.path())
        .args(["scan", "-", "--stdin-filename", "eksctl-x-nodegroup-a.json", "--context-root", "."])
        .args(["--format", "json"])
        .write_stdin(staged)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["summary"]["context_only"], 1, "{report:#}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule"], "EKS001");
    assert_eq!(findings[0]["location"]["path"], "eksctl-x-nodegroup-a.json");
}

#[test]
fn hook_file_filter_matches_every_extension_eksguard_reads() {
    let files = regex::Regex::new(&unquote(&field(&hook("eksguard"), "files"))).expect("regex");
    for name in [
        "a.json",
        "a.yaml",
        "a.yml",
        "a.template",
        "a.cfn",
        "A.JSON",
        "d/a.Yaml",
        "a.tar",
        "a.tar.gz",
        "a.tgz",
        "a.gz",
        "a.zip",
    ] {
        assert!(files.is_match(name), "{name}");
    }
    for name in ["README.md", "a.json.bak", "main.rs"] {
        assert!(!files.is_match(name), "{name}");
    }
    // Every hook installs the Python wheel.
    for id in ["eksguard", "eksguard-all"] {
        assert_eq!(field(&hook(id), "language"), "python", "{id}");
    }
}

fn samples_scan(args: &[&str]) -> (Option<i32>, String, String) {
    let out = eksguard()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "--quiet", "samples/mixed"])
        .args(args)
        .output()
        .expect("run");
    (out.status.code(), String::from_utf8(out.stdout).expect("utf-8"), String::from_utf8(out.stderr).expect("utf-8"))
}

#[test]
fn one_run_writes_every_format_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (code, stdout, stderr) = samples_scan(&[
        "--format",
        "github",
        "--sarif-output",
        &at("r.sarif"),
        "--json-output",
        &at("r.json"),
        "--junit-output",
        &at("r.xml"),
        "--gitlab-output",
        &at("gl.json"),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.starts_with("::error file=samples/mixed/"), "{stdout}");
    // Each file is what `--format X` alone prints.
    for (format, file) in [("sarif", "r.sarif"), ("json", "r.json"), ("junit", "r.xml"), ("gitlab", "gl.json")] {
        let (_, alone, _) = samples_scan(&["--format", format]);
        assert_eq!(std::fs::read_to_string(at(file)).expect("written"), alone, "{format}");
    }
    // And `--output` with another format beside it.
    let (code, stdout, _) =
        samples_scan(&["--format", "text", "--output", &at("r.txt"), "--json-output", &at("b.json")]);
    assert_eq!(code, Some(1));
    assert_eq!(stdout, "");
    assert!(std::fs::read_to_string(at("r.txt")).expect("text").contains("Summary:"));
    assert_eq!(
        std::fs::read_to_string(at("b.json")).expect("json"),
        std::fs::read_to_string(at("r.json")).expect("json")
    );
}

#[test]
fn gitlab_code_quality_report() {
    let (code, stdout, _) = samples_scan(&["--format", "gitlab"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stdout);
    let issues: Value = serde_json::from_str(&stdout).expect("JSON");
    let (_, json, _) = samples_scan(&["--format", "json"]);
    let report: Value = serde_json::from_str(&json).expect("JSON");
    let issues = issues.as_array().expect("array");
    assert_eq!(issues.len(), report["findings"].as_array().map_or(0, Vec::len));
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].as_str().is_some_and(|s| !s.is_empty()), "{key}: {issue}");
        }
        assert!(["info", "minor", "major", "critical", "blocker"].contains(&issue["severity"].as_str().unwrap_or("")));
        assert!(issue["location"]["path"].as_str().is_some_and(|p| p.starts_with("samples/mixed/")), "{issue}");
        assert!(issue["location"]["lines"]["begin"].as_u64().is_some_and(|l| l >= 1), "{issue}");
    }
    // The fingerprint is the baseline's.
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = dir.path().join("b.json").to_string_lossy().into_owned();
    samples_scan(&["--write-baseline", &baseline]);
    let written = std::fs::read_to_string(&baseline).expect("baseline");
    for issue in issues {
        assert!(written.contains(issue["fingerprint"].as_str().expect("fingerprint")), "{written}");
    }
}

#[test]
fn host_formats_write_paths_without_dot_slash_or_the_working_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let absolute = root.join("samples/mixed").to_string_lossy().into_owned();
    for given in ["./samples/mixed", absolute.as_str()] {
        let run = |format: &str| {
            let out = eksguard().current_dir(root).args(["scan", given, "--format", format]).output().expect("run");
            String::from_utf8(out.stdout).expect("utf-8")
        };
        let github = run("github");
        assert!(github.contains("::error file=samples/mixed/eksctl-mixed-"), "{github}");
        assert!(!github.contains("file=./") && !github.contains("file=/"), "{github}");
        let sarif: Value = serde_json::from_str(&run("sarif")).expect("sarif");
        let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(uri["uriBaseId"], "%SRCROOT%");
        assert!(uri["uri"].as_str().is_some_and(|u| u.starts_with("samples/mixed/")), "{uri}");
        let gitlab: Value = serde_json::from_str(&run("gitlab")).expect("gitlab");
        assert!(gitlab[0]["location"]["path"].as_str().is_some_and(|p| p.starts_with("samples/mixed/")));
    }
}

fn stdin_stack() -> String {
    serde_json::to_string(&json!({"Resources": {
        "C": {"Type": "AWS::EKS::Cluster", "Properties": {"Name": "s"}},
        "E": {"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Ref": "C"}, "PrincipalArn": "arn:aws:iam::1:role/r"}}
    }}))
    .expect("json")
}

#[test]
fn sarif_names_stdin_and_tells_a_failed_run() {
    let sarif = |args: &[&str], stdin: String| {
        let out = eksguard().args(["scan", "--format", "sarif"]).args(args).write_stdin(stdin).output().expect("run");
        (out.status.code(), serde_json::from_slice::<Value>(&out.stdout).expect("sarif"))
    };
    let (code, log) = sarif(&["-"], stdin_stack());
    assert_eq!(code, Some(1));
    let run = &log["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let artifact = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "stdin");
    assert!(artifact["description"]["text"].as_str().is_some_and(|t| t.contains("--stdin-filename")));

    let (_, log) = sarif(&["-", "--stdin-filename", "stacks/eksctl-s-cluster.json"], stdin_stack());
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "stacks/eksctl-s-cluster.json");
    assert_eq!(result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "eksctl-s-cluster/E");

    // An input that cannot be read: exit 2, and the run says it failed.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a:b.json"), "{\"Resources\": {,}").expect("write");
    let out = eksguard().current_dir(dir.path()).args(["scan", "--format", "sarif", "a:b.json"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notified = &invocation["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(notified["uri"], "./a:b.json", "not a drive letter, not a scheme");
    assert_eq!(notified["uriBaseId"], "%SRCROOT%");
}

#[test]
fn sarif_lists_guard_rules_with_an_index() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-gd-cluster.json", &cluster_stack("gd", "CONFIG_MAP"));
    write_json(dir.path(), "eksctl-gd-nodegroup-ng.json", &nodegroup_stack("gd"));
    let rules = root.join("rules/guard").to_string_lossy().into_owned();
    let out = eksguard()
        .current_dir(dir.path())
        .args(["scan", "--format", "sarif", "--guard-rules", &rules])
        .output()
        .expect("run");
    let log: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let run = &log["runs"][0];
    let listed = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["ruleId"] == "access_entry_cluster_accepts_entries"), "{run:#}");
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap_or_else(|| panic!("no ruleIndex: {r}"));
        let index = usize::try_from(index).expect("index");
        assert_eq!(listed[index]["id"], r["ruleId"]);
    }
    assert!(listed.len() > eksguard::rules::REGISTRY.len());
}

#[test]
fn junit_fails_only_at_or_above_fail_on() {
    let junit = |fail_on: &str| {
        let (code, stdout, _) = samples_scan(&["--format", "junit", "--select", "EKS002", "--fail-on", fail_on]);
        (code, stdout)
    };
    // EKS002 is a warning: with the default `--fail-on error` the run
    // passes, and so do its test cases; the finding is in system-out.
    let (code, passing) = junit("error");
    assert_eq!(code, Some(0));
    assert!(!passing.contains("<failure"), "{passing}");
    assert!(passing.contains("<system-out>below --fail-on, not failing:"), "{passing}");
    assert!(passing.contains("warning[EKS002]"), "{passing}");
    let (code, failing) = junit("warning");
    assert_eq!(code, Some(1));
    assert!(failing.contains("<failure"), "{failing}");
}

#[test]
fn fail_on_note_is_a_threshold() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "eksctl-n-nodegroup-a.json", &nodegroup_stack("n"));
    let run = |args: &[&str]| {
        eksguard().current_dir(dir.path()).args(["scan", "--quiet"]).args(args).output().expect("run").status.code()
    };
    // One warning (EKS002), shown as a note.
    assert_eq!(run(&["--severity", "EKS002=note"]), Some(0));
    assert_eq!(run(&["--severity", "EKS002=note", "--fail-on", "warning"]), Some(0));
    assert_eq!(run(&["--severity", "EKS002=note", "--fail-on", "note"]), Some(1));
    assert_eq!(run(&["--severity", "EKS002=note", "--fail-on", "never"]), Some(0));
}

#[test]
fn stdin_that_holds_nothing_is_an_input_error() {
    for (stdin, reason) in [("", "empty file"), ("Error: cannot create cluster\n", "not")] {
        let out = eksguard().args(["scan", "-"]).write_stdin(stdin).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{stdin:?}");
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        assert!(stdout.contains("-: input error: standard input holds nothing eksguard reads ("), "{stdout}");
        assert!(stdout.contains(reason), "{stdout}");
        assert!(stdout.contains("1 input (0 analysed, 0 skipped, 1 error)"), "{stdout}");
        let stderr = String::from_utf8(out.stderr).expect("utf-8");
        assert!(stderr.contains("eksguard: no input analysed"), "{stderr}");
    }
}

#[test]
fn a_sweep_that_analysed_nothing_says_so_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "hello\n").expect("write");
    let out = eksguard().current_dir(dir.path()).args(["scan", "."]).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(stderr, "eksguard: no input analysed (1 input: 1 skipped, 0 not read); --verbose lists them\n");
}

#[test]
fn rules_list_pads_its_columns() {
    let out = eksguard().arg("rules").output().expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), eksguard::rules::REGISTRY.len());
    // The summary column starts at the same place on every line.
    let summary_at = |l: &str, r: &eksguard::rules::Rule| l.find(r.summary).expect("summary");
    let first = summary_at(lines[0], &eksguard::rules::REGISTRY[0]);
    for (line, rule) in lines.iter().zip(eksguard::rules::REGISTRY) {
        assert_eq!(summary_at(line, rule), first, "{text}");
        assert!(line[..first].ends_with("  "), "{line}");
    }
}

#[test]
fn summaries_agree_in_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("broken.json"), "{\"Resources\": {,}").expect("write");
    let out = eksguard().current_dir(dir.path()).args(["scan", "--format", "github", "."]).output().expect("run");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        stdout.ends_with(
            "eksguard: 1 input (0 analysed, 0 skipped, 1 error); findings: 0 errors, 0 warnings, 0 notes; \
             0 suppressed, 0 baselined\n"
        ),
        "{stdout}"
    );
}
