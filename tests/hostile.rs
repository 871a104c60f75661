//! Hostile and broken input: every case is built in a temporary directory
//! at test time (nothing big or binary is committed), scanned beside good
//! templates, and checked for the exit code, the one place each input is
//! accounted in, the findings of the good templates and a run that ends.
//! The timeout on each run is a hang detector, not a speed requirement.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// Far above any honest run time (debug builds on a busy machine); only a
/// hang (a FIFO opened for reading, a quadratic loop) gets near it.
const HANG: Duration = Duration::from_secs(300);

/// A template whose access entry targets a CONFIG_MAP cluster: one EKS001
/// finding, so we can see good input is still analysed beside bad input.
fn bad_template(cluster: &str) -> String {
    format!(
        r#"{{
  "Resources": {{
    "ControlPlane": {{
      "Type": "AWS::EKS::Cluster",
      "Properties": {{"Name": "{cluster}", "AccessConfig": {{"AuthenticationMode": "CONFIG_MAP"}}}}
    }},
    "NodeEntry": {{
      "Type": "AWS::EKS::AccessEntry",
      "Properties": {{
        "ClusterName": {{"Ref": "ControlPlane"}},
        "PrincipalArn": "arn:aws:iam::111122223333:role/nodes",
        "Type": "EC2_LINUX"
      }}
    }}
  }}
}}
"#
    )
}

fn deep(open: &str, close: &str, depth: usize) -> String {
    format!("{}1{}", open.repeat(depth), close.repeat(depth))
}

/// Where an input should end up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Analysed, with this many findings located in it.
    Analysed(usize),
    /// In `skipped[]`, the reason containing the text.
    Skipped(&'static str),
    /// In `errors[]`, the message containing the text.
    Error(&'static str),
}

struct Case {
    dir: tempfile::TempDir,
    expected: BTreeMap<String, Place>,
}

impl Case {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir"), expected: BTreeMap::new() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn key(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    fn file(&mut self, name: &str, bytes: impl AsRef<[u8]>, place: Place) {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
        self.expect(name, place);
    }

    fn expect(&mut self, name: &str, place: Place) {
        self.expected.insert(self.key(name), place);
    }
}

fn scan(args: &[&str]) -> (i32, Value) {
    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .args(["scan", "--format", "json"])
        .args(args)
        .timeout(HANG)
        .output()
        .expect("run");
    assert!(output.status.code().is_some(), "killed (a hang?): {output:?}");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap_or(-1), report)
}

fn list<'a>(report: &'a Value, key: &str) -> Vec<(&'a str, &'a str)> {
    let field = if key == "errors" { "message" } else { "reason" };
    report[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|e| (e["path"].as_str().expect("path"), e[field].as_str().expect("text")))
        .collect()
}

fn count(report: &Value, key: &str) -> usize {
    usize::try_from(report["summary"][key].as_u64().expect(key)).expect("usize")
}

/// Checks that every expected input is accounted exactly where expected,
/// that nothing else is, and that the summary adds up.
fn check(case: &Case, report: &Value) {
    let errors = list(report, "errors");
    let skipped = list(report, "skipped");
    for (path, message) in &errors {
        assert!(!message.contains('\n') && !message.is_empty(), "not one line: {path}: {message:?}");
    }
    let mut findings: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report["findings"].as_array().expect("findings") {
        *findings.entry(f["location"]["path"].as_str().expect("finding path")).or_default() += 1;
    }
    let mut analysed = 0;
    for (path, place) in &case.expected {
        let in_errors: Vec<_> = errors.iter().filter(|(p, _)| p == path).collect();
        let in_skipped: Vec<_> = skipped.iter().filter(|(p, _)| p == path).collect();
        match place {
            Place::Analysed(n) => {
                analysed += 1;
                assert!(
                    in_errors.is_empty() && in_skipped.is_empty(),
                    "{path} not analysed: {in_errors:?} {in_skipped:?}"
                );
                assert_eq!(findings.get(path.as_str()).copied().unwrap_or(0), *n, "findings in {path}");
            }
            Place::Skipped(why) => {
                assert!(in_errors.is_empty(), "{path} is an error: {in_errors:?}");
                assert_eq!(in_skipped.len(), 1, "{path} skipped once: {skipped:?}");
                assert!(in_skipped[0].1.contains(why), "{path}: `{}` lacks `{why}`", in_skipped[0].1);
            }
            Place::Error(why) => {
                assert!(in_skipped.is_empty(), "{path} is skipped: {in_skipped:?}");
                assert_eq!(in_errors.len(), 1, "{path} an error once: {errors:?}");
                assert!(in_errors[0].1.contains(why), "{path}: `{}` lacks `{why}`", in_errors[0].1);
            }
        }
    }
    for (path, _) in errors.iter().chain(&skipped) {
        assert!(case.expected.contains_key(*path), "unexpected entry for {path}");
    }
    assert_eq!(count(report, "errors"), errors.len());
    assert_eq!(count(report, "skipped"), skipped.len());
    assert_eq!(count(report, "analysed"), analysed, "analysed count");
    assert_eq!(count(report, "inputs"), case.expected.len(), "every input counted once");
    assert_eq!(count(report, "inputs"), analysed + errors.len() + skipped.len());
}

fn deep_yaml_block(levels: usize) -> String {
    (0..levels).map(|i| format!("{}k:\n", " ".repeat(i))).collect()
}

fn alias_bomb() -> String {
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    bomb
}

#[test]
fn broken_files_are_accounted_and_good_ones_still_analysed() {
    let mut case = Case::new();
    case.file("good/eksctl-one-cluster.json", bad_template("one"), Place::Analysed(1));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(bad_template("bom").as_bytes());
    case.file("good/eksctl-bom-cluster.json", bom, Place::Analysed(1));
    let truncated = bad_template("cut");
    case.file("truncated.json", &truncated[..truncated.len() / 2], Place::Error("invalid JSON: EOF while parsing"));
    case.file("truncated.yaml", "Resources:\n  C:\n    Type: [AWS::EKS::Cluster\n", Place::Error("invalid YAML"));
    case.file("malformed.json", "{\"Resources\": {,}}", Place::Error("at line 1 column 16"));
    case.file("malformed.yaml", "a: b\n c: d: e\n", Place::Error("invalid YAML"));
    case.file("empty.json", "", Place::Skipped("empty file"));
    case.file("blank.yaml", "  \n\n", Place::Skipped("empty file"));
    case.file("binary.json", b"{\"Resources\": \x00\x01\x02}", Place::Skipped("binary file"));
    case.file("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", Place::Skipped("binary file"));
    case.file("latin1.yaml", b"Description: caf\xe9\n", Place::Error("not valid UTF-8 text"));
    case.file("latin1.txt", b"caf\xe9 au lait\n", Place::Skipped("not valid UTF-8 text"));
    case.file("notes.txt", "just: some\nyaml: text\n", Place::Skipped("not a CloudFormation template"));
    // Hundreds of thousands deep, where a tree is built and where not.
    let eks = |inner: String| {
        format!(r#"{{"Resources": {{"C": {{"Type": "AWS::EKS::Cluster", "Properties": {{"Tags": {inner}}}}}}}}}"#)
    };
    case.file("deep-array.json", eks(deep("[", "]", 300_000)), Place::Error("JSON nested deeper than 256 levels"));
    case.file("deep-object.json", eks(deep("{\"a\": ", "}", 300_000)), Place::Error("JSON nested deeper than"));
    let ignored =
        format!(r#"{{"Resources": {{"B": {{"Type": "AWS::S3::Bucket", "P": {}}}}}}}"#, deep("[", "]", 300_000));
    case.file("deep-elsewhere.json", ignored, Place::Analysed(0));
    case.file("deep-top.json", deep("[", "]", 300_000), Place::Skipped("not a CloudFormation template"));
    case.file("deep-flow.yaml", format!("Resources: {}\n", deep("[", "]", 300_000)), Place::Error("nested too deeply"));
    case.file(
        "deep-flow-map.yaml",
        format!("Resources: {}\n", deep("{a: ", "}", 300_000)),
        Place::Error("invalid YAML"),
    );
    case.file("deep-block.yaml", deep_yaml_block(2_000), Place::Error("YAML nested deeper than 256 levels"));
    case.file("deep-seq.yaml", format!("{}x\n", "- ".repeat(300_000)), Place::Error("nested"));
    case.file("bomb.yaml", alias_bomb(), Place::Error("alias expansion bomb"));
    case.file("unknown-alias.yaml", "a: *nope\n", Place::Error("invalid YAML"));
    // Repeated keys: the last one wins, as in CloudFormation.
    let dup = r#"{"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {"Name": "dup",
        "AccessConfig": {"AuthenticationMode": "API"}}}, "ControlPlane": {"Type": "AWS::EKS::Cluster",
        "Properties": {"Name": "dup"}}, "E": {"Type": "AWS::EKS::AccessEntry", "Properties": {
        "ClusterName": {"Ref": "ControlPlane"}, "PrincipalArn": "arn:aws:iam::1:role/r"}}}}"#;
    case.file("dup-keys.json", dup, Place::Analysed(1));
    let dup_yaml = "Resources:\n  C: {Type: AWS::EKS::Cluster, Properties: {Name: dupy}}\n  \
                    C: {Type: AWS::EKS::Cluster, Properties: {Name: dupy, AccessConfig: {AuthenticationMode: API}}}\n  \
                    E: {Type: AWS::EKS::AccessEntry, Properties: {ClusterName: !Ref C, PrincipalArn: x}}\n";
    case.file("dup-keys.yaml", dup_yaml, Place::Analysed(0));
    // A multi-gigabyte file that is never read: sparse, nothing written.
    let huge = std::fs::File::create(case.path("huge.json")).expect("create");
    huge.set_len(6 << 30).expect("set_len");
    drop(huge);
    case.expect("huge.json", Place::Skipped("larger than the 67108864-byte limit (--max-file-size)"));

    let (code, report) = scan(&[case.dir.path().to_str().expect("utf-8 path")]);
    check(&case, &report);
    assert_eq!(code, 2, "errors make exit code 2");
}

#[test]
fn max_file_size_is_a_flag() {
    let mut case = Case::new();
    case.file("eksctl-small-cluster.json", bad_template("small"), Place::Analysed(1));
    case.file(
        "big.json",
        format!("{{\"Description\": \"{}\"}}", "x".repeat(5000)),
        Place::Skipped("5019 bytes, larger than the 4096-byte limit (--max-file-size)"),
    );
    let (code, report) = scan(&["--max-file-size", "4096", case.dir.path().to_str().expect("path")]);
    check(&case, &report);
    assert_eq!(code, 1, "a finding and no errors: exit code 1");
}

#[cfg(unix)]
#[test]
fn special_files_are_never_opened() {
    let mut case = Case::new();
    case.file("eksctl-special-cluster.json", bad_template("special"), Place::Analysed(1));
    let fifo = case.path("fifo.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made {
        case.expect("fifo.json", Place::Skipped("a FIFO"));
    } else {
        eprintln!("mkfifo is not available: the FIFO case is not checked");
    }
    let _listener = std::os::unix::net::UnixListener::bind(case.path("socket.json")).expect("bind");
    case.expect("socket.json", Place::Skipped("a socket"));
    let (code, report) = scan(&[case.dir.path().to_str().expect("path")]);
    check(&case, &report);
    assert_eq!(code, 1);

    // Named on the command line, too: a FIFO opened for reading would
    // block until the timeout; /dev/zero would never end.
    let mut args: Vec<String> = vec!["/dev/null".into(), "/dev/zero".into(), case.key("socket.json")];
    if made {
        args.push(case.key("fifo.json"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, report) = scan(&args);
    let skipped = list(&report, "skipped");
    assert_eq!(skipped.len(), args.len(), "{skipped:?}");
    assert!(skipped.iter().any(|(p, r)| *p == "/dev/zero" && r.contains("a device")), "{skipped:?}");
    assert_eq!(code, 0);
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_unless_asked_and_loops_end() {
    use std::os::unix::fs::symlink;
    let mut case = Case::new();
    case.file("real/eksctl-linked-cluster.json", bad_template("linked"), Place::Analysed(1));
    symlink(case.path("real/eksctl-linked-cluster.json"), case.path("link.json")).expect("symlink");
    symlink(case.path("real"), case.path("real/loop")).expect("symlink");
    symlink(case.path("missing.json"), case.path("dangling.json")).expect("symlink");
    case.expect("link.json", Place::Skipped("symbolic link (not followed)"));
    case.expect("real/loop", Place::Skipped("symbolic link (not followed)"));
    case.expect("dangling.json", Place::Skipped("symbolic link (not followed)"));
    let root = case.dir.path().to_str().expect("path").to_owned();
    let (code, report) = scan(&[&root]);
    check(&case, &report);
    assert_eq!(code, 1);

    case.expect("link.json", Place::Skipped("the same file as"));
    case.expect("real/loop", Place::Skipped("symbolic link loop"));
    case.expect("dangling.json", Place::Skipped("broken symbolic link"));
    let (code, report) = scan(&["--follow-links", &root]);
    check(&case, &report);
    assert_eq!(code, 1);

    // A link named on the command line is followed; a loop is an error.
    symlink(case.path("self.json"), case.path("self.json")).expect("symlink");
    let (code, report) = scan(&[&case.key("link.json"), &case.key("self.json")]);
    assert_eq!(
        list(&report, "errors"),
        [(case.key("self.json").as_str(), "symbolic link loop (too many levels of links)")]
    );
    assert_eq!(count(&report, "analysed"), 1);
    assert_eq!(code, 2);
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_errors() {
    use std::os::unix::fs::PermissionsExt;
    let mut case = Case::new();
    case.file("eksctl-perm-cluster.json", bad_template("perm"), Place::Analysed(1));
    case.file("locked.json", "{}", Place::Error("permission denied"));
    case.file("closed/inside.json", "{}", Place::Error("unused"));
    case.expected.remove(&case.key("closed/inside.json"));
    case.expect("closed", Place::Error("permission denied"));
    let mode = |path: &Path, mode: u32| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    mode(&case.path("locked.json"), 0o000).expect("chmod");
    mode(&case.path("closed"), 0o000).expect("chmod");
    if std::fs::read(case.path("locked.json")).is_ok() {
        eprintln!("permissions do not deny here (running as root?): the permission-denied case is not checked");
        mode(&case.path("closed"), 0o755).expect("chmod");
        return;
    }
    let (code, report) = scan(&[case.dir.path().to_str().expect("path")]);
    mode(&case.path("closed"), 0o755).expect("chmod back");
    check(&case, &report);
    assert_eq!(code, 2);
}

#[test]
fn errors_are_one_text_line_each_naming_the_file() {
    let mut case = Case::new();
    case.file("eksctl-text-cluster.json", bad_template("text"), Place::Analysed(1));
    case.file("broken.yaml", "a: [1, 2\nb: 3\n", Place::Error("invalid YAML"));
    case.file("broken.json", "{\n  \"Resources\": \n", Place::Error("invalid JSON"));
    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .args(["scan", case.dir.path().to_str().expect("path")])
        .timeout(HANG)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    for name in ["broken.yaml", "broken.json"] {
        let prefix = format!("{}: input error: ", case.key(name));
        let lines: Vec<_> = text.lines().filter(|l| l.starts_with(&prefix)).collect();
        assert_eq!(lines.len(), 1, "{text}");
        assert!(lines[0].contains(" at line "), "{}", lines[0]);
    }
    assert!(text.contains("[EKS001]"), "{text}");
}
