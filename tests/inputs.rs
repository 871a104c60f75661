//! Archives, bomb limits, inline suppressions and baselines, end to end.
//! Archives are built at test time in a temporary directory.

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const CLUSTER: &str = r#"{
  "Description": "EKS cluster [created and managed by eksctl]",
  "Resources": {
    "ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {"Name": "arc-demo"}}
  }
}
"#;

const NODEGROUP: &str = "Description: EKS nodes [created and managed by eksctl]
Resources:
  AccessEntry:
    Type: AWS::EKS::AccessEntry
    Properties:
      ClusterName: arc-demo
      PrincipalArn: !GetAtt NodeInstanceRole.Arn
      Type: EC2_LINUX
";

fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("stacks/eksctl-arc-demo-cluster.json", CLUSTER.as_bytes().to_vec()),
        ("stacks/eksctl-arc-demo-nodegroup-ng-1.yaml", NODEGROUP.as_bytes().to_vec()),
    ]
}

fn tgz(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar(files)).expect("gzip");
    gz.finish().expect("gzip")
}

fn tar(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, content.as_slice()).expect("append");
    }
    builder.into_inner().expect("tar")
}

fn zip(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).expect("start");
        writer.write_all(content).expect("write");
    }
    writer.finish().expect("zip").into_inner()
}

/// Runs `eksguard scan ARGS --format json` in `dir`.
fn scan_json(dir: &Path, args: &[&str]) -> (Value, Option<i32>) {
    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (report, output.status.code())
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or("").to_owned(), f["location"]["path"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn tgz_and_zip_link_stacks_across_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("stacks.tgz"), tgz(&files())).expect("write");
    std::fs::write(dir.path().join("stacks.zip"), zip(&files())).expect("write");
    for archive in ["stacks.tgz", "stacks.zip"] {
        let (report, code) = scan_json(dir.path(), &[archive]);
        assert_eq!(code, Some(1), "{report:#}");
        let expected = format!("{archive}!stacks/eksctl-arc-demo-nodegroup-ng-1.yaml");
        assert_eq!(findings(&report), [("EKS001".to_owned(), expected)]);
        let related = report["findings"][0]["related"][0]["path"].as_str().unwrap_or("");
        assert_eq!(related, format!("{archive}!stacks/eksctl-arc-demo-cluster.json"));
        assert_eq!(report["summary"]["analysed"], 2);
    }
    // Found in a sweep, by magic bytes, without an archive extension.
    let sweep = tempfile::tempdir().expect("tempdir");
    std::fs::write(sweep.path().join("artifact.bin"), zip(&files())).expect("write");
    let (report, _) = scan_json(sweep.path(), &["."]);
    assert_eq!(
        findings(&report),
        [("EKS001".to_owned(), "./artifact.bin!stacks/eksctl-arc-demo-nodegroup-ng-1.yaml".to_owned())]
    );
}

#[test]
fn a_bomb_entry_is_skipped_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = files();
    // 8 MiB of spaces: a few kilobytes compressed.
    all.insert(1, ("stacks/bomb.yaml", vec![b' '; 8 * 1024 * 1024]));
    std::fs::write(dir.path().join("bomb.tgz"), tgz(&all)).expect("write");
    std::fs::write(dir.path().join("bomb.zip"), zip(&all)).expect("write");
    for archive in ["bomb.tgz", "bomb.zip"] {
        let (report, code) = scan_json(dir.path(), &[archive, "--max-entry-size", "1048576"]);
        assert_eq!(code, Some(1));
        assert_eq!(findings(&report).len(), 1, "{report:#}");
        let skipped = &report["skipped"][0];
        assert_eq!(skipped["path"], format!("{archive}!stacks/bomb.yaml"));
        assert!(skipped["reason"].as_str().is_some_and(|r| r.contains("--max-entry-size")), "{skipped}");
        // Raising the limit reads it (and finds it is only whitespace).
        let (report, _) = scan_json(dir.path(), &[archive, "--max-entry-size", "16777216"]);
        assert_eq!(report["skipped"][0]["reason"], "empty file");
    }
    // The total limit stops the archive at the bomb: the entries after it
    // are not read, and both are said.
    let (report, code) = scan_json(dir.path(), &["bomb.zip", "--max-archive-size", "1048576"]);
    assert_eq!(code, Some(0));
    assert_eq!(report["summary"]["analysed"], 1);
    let reasons: Vec<&str> =
        report["skipped"].as_array().expect("skipped").iter().filter_map(|s| s["reason"].as_str()).collect();
    assert_eq!(reasons.iter().filter(|r| r.contains("--max-archive-size")).count(), 2, "{reasons:?}");
}

#[test]
fn a_corrupt_archive_is_an_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = zip(&files());
    bytes.truncate(bytes.len() - 30);
    std::fs::write(dir.path().join("broken.zip"), bytes).expect("write");
    let (report, code) = scan_json(dir.path(), &["broken.zip"]);
    assert_eq!(code, Some(2));
    assert_eq!(report["errors"][0]["path"], "broken.zip");
    assert!(report["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with("corrupt zip archive")));
}

#[test]
fn inline_suppressions_on_a_resource_and_a_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("eksctl-arc-demo-cluster.json"), CLUSTER).expect("write");
    let resource = NODEGROUP.replace(
        "    Type: AWS::EKS::AccessEntry\n",
        "    Type: AWS::EKS::AccessEntry\n    Metadata:\n      eksguard:\n        ignore: [EKS001]\n",
    );
    std::fs::write(dir.path().join("eksctl-arc-demo-nodegroup-ng-1.yaml"), &resource).expect("write");
    // A second nodegroup whose template silences EKS001 at the top.
    let whole = format!("Metadata:\n  eksguard: {{ignore: [access-entry-on-config-map-cluster]}}\n{NODEGROUP}");
    std::fs::write(dir.path().join("eksctl-arc-demo-nodegroup-ng-2.yaml"), whole).expect("write");
    // A third that silences another rule only: its finding stays.
    let other = NODEGROUP.replace(
        "    Type: AWS::EKS::AccessEntry\n",
        "    Type: AWS::EKS::AccessEntry\n    Metadata: {eksguard: {ignore: [EKS002]}}\n",
    );
    std::fs::write(dir.path().join("eksctl-arc-demo-nodegroup-ng-3.yaml"), other).expect("write");
    let (report, code) = scan_json(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&report), [("EKS001".to_owned(), "./eksctl-arc-demo-nodegroup-ng-3.yaml".to_owned())]);
    assert_eq!(report["summary"]["suppressed"], 2);
    assert_eq!(report["summary"]["findings"]["error"], 1);
}

#[test]
fn baseline_hides_old_findings_and_shows_new_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("eksctl-arc-demo-cluster.json", CLUSTER);
    write("eksctl-arc-demo-nodegroup-ng-1.yaml", NODEGROUP);
    let (report, code) = scan_json(dir.path(), &[".", "--write-baseline", "baseline.json"]);
    assert_eq!(code, Some(0), "recorded findings are baselined: {report:#}");
    assert_eq!(report["summary"]["baselined"], 1);
    let baseline: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).expect("read")).expect("JSON");
    assert_eq!(baseline["findings"].as_array().map(Vec::len), Some(1));

    // The old finding moves down a few lines; a new nodegroup brings a new one.
    write("eksctl-arc-demo-nodegroup-ng-1.yaml", &format!("# moved\n\n\n{NODEGROUP}"));
    write("eksctl-arc-demo-nodegroup-ng-2.yaml", NODEGROUP);
    let (report, code) = scan_json(dir.path(), &[".", "--baseline", "baseline.json"]);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&report), [("EKS001".to_owned(), "./eksctl-arc-demo-nodegroup-ng-2.yaml".to_owned())]);
    assert_eq!(report["summary"]["baselined"], 1);

    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(dir.path())
        .args(["scan", ".", "--baseline", "missing.json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
}

/// Runs `eksguard scan ARGS --format text` in `dir` with `stdin`.
fn scan_text(dir: &Path, args: &[&str], stdin: &str) -> String {
    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .args(["--format", "text"])
        .write_stdin(stdin)
        .output()
        .expect("run");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Files are read again for their findings' lines after the rules;
/// standard input and archive entries are quoted as they are loaded. Text
/// output shows the same line either way.
#[test]
fn text_output_quotes_the_line_from_files_stdin_and_archives() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("stacks")).expect("mkdir");
    for (name, content) in files() {
        std::fs::write(dir.path().join(name), content).expect("write");
    }
    std::fs::write(dir.path().join("stacks.tgz"), tgz(&files())).expect("write");
    let quoted = "3 |   AccessEntry:";
    let from_files = scan_text(dir.path(), &["stacks"], "");
    assert!(from_files.contains(quoted), "{from_files}");
    let from_stdin = scan_text(dir.path(), &["-", "stacks/eksctl-arc-demo-cluster.json"], NODEGROUP);
    assert!(from_stdin.contains("-:3:") && from_stdin.contains(quoted), "{from_stdin}");
    let from_archive = scan_text(dir.path(), &["stacks.tgz"], "");
    assert!(from_archive.contains(quoted), "{from_archive}");
}

/// A sweep reads an archive's entries as they come and packs what they
/// give every few dozen entries, where standard input is read whole: the
/// same archive, with hundreds of entries of every kind, gives the same
/// report both ways, entry for entry.
#[test]
fn an_archive_read_entry_by_entry_gives_the_report_it_gives_read_whole() {
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..120 {
        let access = if i % 2 == 0 { r#", "AccessConfig": {"AuthenticationMode": "API"}"# } else { "" };
        let cluster = format!(
            r#"{{"Resources": {{"ControlPlane": {{"Type": "AWS::EKS::Cluster", "Properties": {{"Name": "arc-{i}"{access}}}}}}}}}"#
        );
        entries.push((format!("stacks/{i:03}/eksctl-arc-{i}-cluster.json"), cluster.into_bytes()));
        entries
            .push((format!("stacks/{i:03}/ng.yaml"), NODEGROUP.replace("arc-demo", &format!("arc-{i}")).into_bytes()));
        entries.push((format!("stacks/{i:03}/README.md"), b"not a template".to_vec()));
        if i % 10 == 0 {
            entries.push((format!("stacks/{i:03}/broken.json"), b"{\"Resources\": ".to_vec()));
        }
    }
    let files: Vec<(&str, Vec<u8>)> = entries.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    // A file's archive is read from the disk (the zip by seeking in it);
    // standard input's from memory. Every kind gives the same report both
    // ways, and the same counts.
    for (name, archive) in [("big.tgz", tgz(&files)), ("big.tar", tar(&files)), ("big.zip", zip(&files))] {
        std::fs::write(dir.path().join(name), &archive).expect("write");
        let (from_file, code) = scan_json(dir.path(), &[name]);
        let from_stdin: Value = {
            let output = Command::cargo_bin("eksguard")
                .expect("binary")
                .current_dir(dir.path())
                .args(["scan", "-", "--stdin-filename", name, "--format", "json"])
                .write_stdin(archive)
                .output()
                .expect("run");
            serde_json::from_slice(&output.stdout).expect("json")
        };
        assert_eq!(from_file, from_stdin, "{name}");
        // Findings, and entries that could not be read.
        assert_eq!(code, Some(2), "{name}");
        assert_eq!(from_file["summary"]["clusters"], 120, "{name}");
        assert_eq!(from_file["summary"]["findings"]["error"], 60, "{name}");
        assert_eq!(from_file["summary"]["errors"], 12, "{name}");
        assert_eq!(from_file["summary"]["inputs"], entries.len(), "{name}");
    }
}
