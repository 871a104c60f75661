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

/// The fuzz targets' shared harness, compiled here too so that a change to
/// the library's API cannot leave the fuzz targets broken unnoticed.
#[path = "../fuzz/fuzz_targets/common.rs"]
mod fuzz_harness;

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

/// Runs eksguard with `args`; gives the exit code and the stdout bytes.
fn run_raw(args: &[&str]) -> (i32, Vec<u8>) {
    let output = Command::cargo_bin("eksguard").expect("binary").args(args).timeout(HANG).output().expect("run");
    (output.status.code().unwrap_or(-1), output.stdout)
}

/// Every escape sequence in `out` is one of eksguard's own styles (SGR:
/// `ESC [ digits;... m`), and no CR or other control character but LF and
/// tab is printed.
fn only_own_styles(out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    let mut rest = text.as_ref();
    while let Some(i) = rest.find('\u{1b}') {
        let after = &rest[i + 1..];
        let body = after.strip_prefix('[').unwrap_or_else(|| panic!("raw ESC in output: {text:?}"));
        let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';')).expect("sequence end");
        assert_eq!(&body[end..=end], "m", "not a style sequence in output: {text:?}");
        rest = &body[end + 1..];
    }
    for c in text.chars() {
        assert!(!c.is_control() || matches!(c, '\n' | '\t' | '\u{1b}'), "control {c:?} printed raw: {text:?}");
    }
}

#[cfg(unix)]
#[test]
fn untrusted_names_and_strings_are_printed_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file name that would print a forged finding line and clear it.
    let forged = "x.json:5:5: error[EKS001] forged finding";
    let evil = format!("evil\n{forged}\u{1b}[2K\u{1b}]0;title\u{7}.json");
    std::fs::write(dir.path().join(&evil), bad_template("evil")).expect("write");
    std::fs::write(dir.path().join("broken\r\u{1b}[31m.json"), "{\"Resources\": ").expect("write");
    // A logical id and a cluster name holding escapes.
    let template = bad_template("c\\u001b[2Jname\\rover").replace("NodeEntry", "Node\\nforged: line\\u001b[31m");
    std::fs::write(dir.path().join("ids.json"), template).expect("write");
    // A tar whose entry name holds a newline.
    let mut builder = tar::Builder::new(Vec::new());
    let body = bad_template("tarred");
    let mut header = tar::Header::new_gnu();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    builder.append_data(&mut header, "a\nx.tar!b.json:1:1: error[EKS001] forged.json", body.as_bytes()).expect("tar");
    std::fs::write(dir.path().join("names.tar"), builder.into_inner().expect("tar")).expect("write");
    let path = dir.path().to_str().expect("path");

    for color in ["always", "never"] {
        let (code, out) = run_raw(&["scan", "--color", color, "-v", path]);
        assert_eq!(code, 2, "{}", String::from_utf8_lossy(&out));
        only_own_styles(&out);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("evil\\nx.json:5:5"), "{text}");
        assert!(text.contains("\\x1b[2K"), "{text}");
        assert!(text.contains("broken\\r\\x1b[31m.json"), "{text}");
        assert!(text.contains("names.tar!a\\nx.tar!b.json"), "{text}");
        assert!(text.contains("Node\\nforged"), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("x.json") || l.starts_with("forged")), "{text}");
        assert_eq!(text.lines().filter(|l| l.contains("= fix:")).count(), 3, "three findings: {text}");
    }
    for format in ["github", "junit", "sarif"] {
        let (_, out) = run_raw(&["scan", "--format", format, path]);
        only_own_styles(&out);
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains('\u{1b}'), "{format}: {text}");
        if format == "github" {
            assert!(text.lines().all(|l| l.starts_with("::") || l.starts_with("eksguard: ")), "{text}");
        }
    }
    // JSON keeps the bytes (escaped by serde, so still one document).
    let (_, report) = scan(&[path]);
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["location"]["path"].as_str().expect("path"))
        .collect();
    assert!(paths.iter().any(|p| p.ends_with(&evil)), "{paths:?}");
}

/// A template whose access entry holds `groups` Kubernetes groups.
fn large_list(groups: usize) -> String {
    let mut text =
        bad_template("large").replace("\"Type\": \"EC2_LINUX\"", "\"Type\": \"STANDARD\", \"KubernetesGroups\": [");
    let at = text.find("\"KubernetesGroups\": [").expect("list") + "\"KubernetesGroups\": [".len();
    let mut list = "\"g\",".repeat(groups);
    list.push_str("\"g\"]");
    text.insert_str(at, &list);
    text
}

#[test]
fn a_huge_list_in_an_eks_resource_is_too_large_to_analyse() {
    // Sized to the 64 MiB file limit: 4 bytes an item. Peak memory is
    // measured by `cargo run --release --example bench -- --large-list`,
    // not here.
    let limit = 64 * 1024 * 1024;
    let groups = (limit - 2048) / 4;
    let mut case = Case::new();
    let text = large_list(groups);
    assert!(text.len() <= limit && text.len() > limit - 4096, "{}", text.len());
    case.file("large.json", text, Place::Error("resource NodeEntry is too large to analyse"));
    case.file("eksctl-fine-cluster.json", bad_template("fine"), Place::Analysed(1));
    let yaml: String = std::iter::once(
        "Resources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      KubernetesGroups:\n".to_owned(),
    )
    .chain(std::iter::repeat_n("        - g\n".to_owned(), 300_000))
    .collect();
    case.file("large.yaml", yaml, Place::Error("resource E is too large to analyse"));
    let (code, report) = scan(&[case.dir.path().to_str().expect("path")]);
    check(&case, &report);
    assert_eq!(code, 2);
}

#[test]
fn a_template_deeper_than_guard_takes_is_counted_once_with_a_note() {
    let mut case = Case::new();
    // 127 deep under Properties: under eksguard's 256, over Guard's 128.
    let deep_tags = bad_template("deep")
        .replace("\"AccessConfig\"", &format!("\"Tags\": {}, \"AccessConfig\"", deep("[", "]", 127)));
    case.file("eksctl-deep-cluster.json", deep_tags, Place::Analysed(2));
    case.file("eksctl-plain-cluster.json", bad_template("plain"), Place::Analysed(1));
    let rules = case.path("r.guard");
    std::fs::write(&rules, "rule any_type {\n  Resources.*.Type exists\n}\n").expect("write");
    let (code, report) = scan(&[
        "--guard-rules",
        rules.to_str().expect("path"),
        case.path("eksctl-deep-cluster.json").to_str().expect("p"),
        case.path("eksctl-plain-cluster.json").to_str().expect("p"),
    ]);
    check(&case, &report);
    assert_eq!(code, 1, "findings, no input errors");
    let notes: Vec<&Value> =
        report["findings"].as_array().expect("findings").iter().filter(|f| f["rule"] == "guard-not-checked").collect();
    assert_eq!(notes.len(), 1, "{report:#}");
    assert_eq!(notes[0]["severity"], "note");
    assert!(notes[0]["message"].as_str().expect("message").contains("128 levels Guard"), "{report:#}");
    assert!(notes[0]["location"]["path"].as_str().expect("path").ends_with("eksctl-deep-cluster.json"));
}

/// The two templates of an archive at the limit, and the limit they make.
fn archive_members() -> (Vec<(String, String)>, u64) {
    let members = vec![("a.json".to_owned(), bad_template("a")), ("b.json".to_owned(), bad_template("bb"))];
    let total = members.iter().map(|(_, b)| b.len() as u64).sum();
    (members, total)
}

fn tar_bytes(members: &[(String, String)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, body) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, body.as_bytes()).expect("tar");
    }
    builder.into_inner().expect("tar")
}

fn zip_bytes(members: &[(String, String)], method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, body) in members {
        writer.start_file(name.as_str(), options).expect("start");
        writer.write_all(body.as_bytes()).expect("write");
    }
    writer.finish().expect("zip").into_inner()
}

#[test]
fn archive_size_limit_is_exact_for_every_format() {
    use std::io::Write as _;
    let (members, total) = archive_members();
    let tar = tar_bytes(&members);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).expect("gzip");
    let tgz = gz.finish().expect("gzip");
    let zip = zip_bytes(&members, zip::CompressionMethod::Deflated);
    for (name, bytes) in [("x.tar", &tar), ("x.tgz", &tgz), ("x.zip", &zip)] {
        // At the limit: every entry read.
        let mut case = Case::new();
        case.file(name, bytes, Place::Analysed(0));
        case.expected.remove(&case.key(name));
        case.expect(&format!("{name}!a.json"), Place::Analysed(1));
        case.expect(&format!("{name}!b.json"), Place::Analysed(1));
        let limit = total.to_string();
        let (code, report) = scan(&["--max-archive-size", &limit, case.dir.path().to_str().expect("path")]);
        check(&case, &report);
        assert_eq!(code, 1, "{name} at the limit");
        // One byte under: the second entry is where the limit is reached.
        let mut case = Case::new();
        case.file(name, bytes, Place::Skipped("entries after the limit not read"));
        case.expect(&format!("{name}!a.json"), Place::Analysed(1));
        case.expect(&format!("{name}!b.json"), Place::Skipped("--max-archive-size"));
        let limit = (total - 1).to_string();
        let (_, report) = scan(&["--max-archive-size", &limit, case.dir.path().to_str().expect("path")]);
        check(&case, &report);
    }
}

/// Sets, in every local and central header of `zip`, the flag bits `flags`
/// or the compression `method`.
fn patch_zip(zip: &mut [u8], flags: u16, method: Option<u16>) {
    let mut i = 0;
    while i + 12 < zip.len() {
        let at = match &zip[i..i + 4] {
            b"PK\x03\x04" => Some(6),
            b"PK\x01\x02" => Some(8),
            _ => None,
        };
        if let Some(at) = at {
            let old = u16::from_le_bytes([zip[i + at], zip[i + at + 1]]);
            zip[i + at..i + at + 2].copy_from_slice(&(old | flags).to_le_bytes());
            if let Some(m) = method {
                zip[i + at + 2..i + at + 4].copy_from_slice(&m.to_le_bytes());
            }
        }
        i += 1;
    }
}

#[test]
fn an_encrypted_or_unsupported_zip_entry_is_an_input_error() {
    let members = vec![("secret.json".to_owned(), bad_template("secret"))];
    let mut encrypted = zip_bytes(&members, zip::CompressionMethod::Stored);
    patch_zip(&mut encrypted, 1, None);
    let mut unsupported = zip_bytes(&members, zip::CompressionMethod::Stored);
    patch_zip(&mut unsupported, 0, Some(12));
    let mut case = Case::new();
    case.file("enc.zip", &encrypted, Place::Analysed(0));
    case.expected.remove(&case.key("enc.zip"));
    case.expect("enc.zip!secret.json", Place::Error("encrypted entry"));
    case.file("method.zip", &unsupported, Place::Analysed(0));
    case.expected.remove(&case.key("method.zip"));
    case.expect("method.zip!secret.json", Place::Error("cannot be read"));
    case.file("eksctl-fine-cluster.json", bad_template("fine"), Place::Analysed(1));
    let (code, report) = scan(&[case.dir.path().to_str().expect("path")]);
    check(&case, &report);
    assert_eq!(code, 2, "a hidden template fails the run");
}

#[test]
fn the_fuzz_harness_runs_every_sample_through_the_whole_pipeline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut run = 0;
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.expect("walk samples");
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).expect("read sample");
        fuzz_harness::run(&entry.path().to_string_lossy(), &bytes);
        run += 1;
    }
    assert!(run > 40, "only {run} samples");
}
