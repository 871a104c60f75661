//! Snapshots of what users see: the text and JSON reports on the bundled
//! samples of the core rules.

use std::path::Path;

use assert_cmd::Command;

fn scan(args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env_remove("EKSGUARD_EKSCTL_VERSION")
        .arg("scan")
        .args(args)
        .output()
        .expect("run");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn eks001_bad_text() {
    insta::assert_snapshot!(scan(&["samples/EKS001/bad"]));
}

#[test]
fn eks001_bad_json() {
    insta::assert_snapshot!(scan(&["samples/EKS001/bad", "--format", "json"]));
}

#[test]
fn eks002_bad_text() {
    insta::assert_snapshot!(scan(&["samples/EKS002/bad"]));
}

#[test]
fn eks009_bad_text() {
    insta::assert_snapshot!(scan(&["samples/EKS009/bad"]));
}
