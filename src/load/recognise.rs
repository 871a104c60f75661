//! Recognition by content: takes an input's bytes; gives the documents in
//! them, or why they were skipped or could not be read. Decodes the text
//! ([`super::decode`]: BOMs, UTF-16, lone CRs), sniffs the start (NUL
//! bytes, the first significant byte) and hands JSON to
//! [`super::recognise_json`] and YAML to [`super::recognise_yaml`]. The
//! extension only decides whether text that parses as neither is an error
//! (a `.json` file that does not parse) or simply not ours (a `README.md`).

use std::path::Path;
use std::sync::Arc;

use super::decode::{Decoded, decode};
use super::document::{Outcome, SourceText};
use super::error::LoadError;
use super::recognise_json::recognise_json;
use super::recognise_yaml::recognise_yaml;

/// Extensions whose files must parse: anything else that does not parse is
/// simply not ours and is skipped.
const DATA_EXTENSIONS: &[&str] = &["json", "yaml", "yml", "template", "cfn"];

pub(super) fn has_data_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| DATA_EXTENSIONS.iter().any(|d| d.eq_ignore_ascii_case(e)))
}

/// Recognises the documents in `bytes`. `expected` says whether text that
/// is neither JSON nor YAML is an error or merely not ours.
pub fn recognise(path: &Arc<str>, bytes: Vec<u8>, expected: bool) -> Outcome {
    recognise_as(path, bytes, expected, false)
}

pub(super) fn recognise_as(path: &Arc<str>, bytes: Vec<u8>, expected: bool, rereadable: bool) -> Outcome {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let bytes = match decode(bytes) {
        Decoded::Text(text) => text,
        Decoded::Invalid(reason) if expected => return Outcome::Error(LoadError::Encoding(reason)),
        Decoded::Invalid(reason) => return Outcome::Skipped(format!("not JSON or YAML ({reason})")),
    };
    let head = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return Outcome::Skipped("binary file (NUL bytes)".to_owned());
    }
    let Some(&first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Outcome::Skipped("empty file".to_owned());
    };
    // Shared, not copied, with the documents read from it.
    let source = SourceText { path: path.clone(), bytes: Arc::new(bytes), rereadable };
    let result = if first == b'{' || first == b'[' {
        recognise_json(&source)
    } else {
        match std::str::from_utf8(&source.bytes) {
            Ok(text) => recognise_yaml(&source, text, None),
            Err(e) => Err(LoadError::Encoding(format!("not valid UTF-8 text (byte {})", e.valid_up_to() + bom))),
        }
    };
    match result {
        Ok(docs) if docs.is_empty() => Outcome::Skipped(not_recognised(first)),
        Ok(docs) => Outcome::Documents(docs),
        Err(message) if expected => Outcome::Error(message),
        Err(message) => Outcome::Skipped(format!("not JSON or YAML ({message})")),
    }
}

fn not_recognised(first: u8) -> String {
    let kind = if first == b'{' || first == b'[' { "JSON" } else { "YAML" };
    format!(
        "{kind} but not a CloudFormation template, get-template output, describe-cluster output or eksctl ClusterConfig"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::node::Pos;
    use crate::load::{Document, Template, Wrapper, stack_name_of};

    fn run(text: &str) -> Outcome {
        recognise(&Arc::from("t.json"), text.as_bytes().to_vec(), true)
    }

    fn template(outcome: Outcome) -> Template {
        match outcome {
            Outcome::Documents(mut docs) => match docs.remove(0) {
                Document::Template(t) => t,
                other => panic!("not a template: {other:?}"),
            },
            other => panic!("no documents: {other:?}"),
        }
    }

    const JSON: &str = r#"{
  "Description": "x [created and managed by eksctl]",
  "Resources": {
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Entry": {
      "Type": "AWS::EKS::AccessEntry",
      "Properties": {"ClusterName": "demo"}
    }
  }
}"#;

    #[test]
    fn json_template_keeps_only_eks_resources_with_positions() {
        let t = template(run(JSON));
        assert_eq!(t.resource_count, 2);
        assert_eq!(t.resources.len(), 1);
        let r = &t.resources[0];
        assert_eq!(r.logical_id, "Entry");
        assert_eq!(r.key_pos, Pos { line: 5, column: 5 });
        let name = r.node.pointer("/Properties/ClusterName").expect("ClusterName");
        assert_eq!(name.pos, Pos { line: 7, column: 37 });
        assert_eq!(t.description.as_deref(), Some("x [created and managed by eksctl]"));
    }

    #[test]
    fn get_template_string_body_is_read() {
        let wrapped = serde_json::json!({ "TemplateBody": JSON }).to_string();
        let t = template(run(&wrapped));
        assert_eq!(t.wrapper, Some(Wrapper::String(Pos { line: 1, column: 17 })));
        assert_eq!(t.resources.len(), 1);
        let yaml_body = "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n";
        let wrapped = serde_json::json!({ "TemplateBody": yaml_body }).to_string();
        assert_eq!(template(run(&wrapped)).resources[0].resource_type, "AWS::EKS::Cluster");
    }

    #[test]
    fn get_template_object_body_is_read() {
        let wrapped = format!(r#"{{"TemplateBody": {JSON}, "StagesAvailable": ["Original"]}}"#);
        let t = template(run(&wrapped));
        assert_eq!(t.wrapper, Some(Wrapper::Object));
        assert_eq!(t.resources[0].logical_id, "Entry");
    }

    #[test]
    fn other_documents_are_skipped_with_a_reason() {
        assert!(matches!(run("[1, 2]"), Outcome::Skipped(_)));
        assert!(matches!(run("{\"a\": 1}"), Outcome::Skipped(_)));
        assert!(matches!(run("kind: Deployment\n"), Outcome::Skipped(_)));
        assert!(matches!(run("   \n"), Outcome::Skipped(r) if r == "empty file"));
        assert!(matches!(run("{\"a\": \0}"), Outcome::Skipped(r) if r.starts_with("binary")));
    }

    #[test]
    fn broken_json_is_an_error_with_a_position() {
        match run("{\n  \"Resources\": {,\n}") {
            Outcome::Error(LoadError::Json(message)) => {
                assert_eq!(message, "invalid JSON: key must be a string at line 2 column 17");
            }
            other => panic!("{other:?}"),
        }
        // Not ours when it was only met in a walk and has no data extension.
        let outcome = recognise(&Arc::from("notes.txt"), b"{ nope".to_vec(), false);
        assert!(matches!(outcome, Outcome::Skipped(_)));
    }

    #[test]
    fn describe_cluster_and_cluster_config_are_recognised() {
        let ctx = r#"{"cluster": {"name": "demo", "accessConfig": {"authenticationMode": "API"}}}"#;
        assert!(matches!(run(ctx), Outcome::Documents(d) if matches!(d[0], Document::Context(_))));
        let cfg = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: demo\n";
        assert!(matches!(run(cfg), Outcome::Documents(d) if matches!(d[0], Document::ClusterConfig(_))));
    }

    #[test]
    fn bom_and_invalid_utf8() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(JSON.as_bytes());
        let t = template(recognise(&Arc::from("t.json"), bytes.to_vec(), true));
        assert_eq!(t.resources.len(), 1);
        let bad = recognise(&Arc::from("t.yaml"), b"a: \xff\xfe\n".to_vec(), true);
        assert!(matches!(bad, Outcome::Error(LoadError::Encoding(m)) if m.starts_with("not valid UTF-8")));
    }

    #[test]
    fn bare_resource_maps_are_template_fragments() {
        let json = r#"{"LT": {"Type": "AWS::EC2::LaunchTemplate"}, "NG": {"Type": "AWS::EKS::Nodegroup"}}"#;
        let t = template(run(json));
        assert!(t.fragment);
        assert_eq!((t.resource_count, t.resources.len()), (2, 1));
        let t = template(run("LT:\n  Type: AWS::EC2::LaunchTemplate\nE:\n  Type: AWS::EKS::AccessEntry\n"));
        assert!(t.fragment);
        assert_eq!(t.resources[0].logical_id, "E");
        assert!(matches!(run(r#"{"a": {"Type": "x"}}"#), Outcome::Skipped(_)));
    }

    #[test]
    fn repeated_keys_keep_the_last_value_in_json_and_yaml() {
        let json = r#"{"Resources": {"A": {"Type": "AWS::S3::Bucket"}},
            "Resources": {"E": {"Type": "AWS::EKS::Cluster"}, "E": {"Type": "AWS::EKS::AccessEntry"}}}"#;
        let t = template(run(json));
        assert_eq!(t.resource_count, 1);
        assert_eq!(t.resources.len(), 1);
        assert_eq!(t.resources[0].resource_type, "AWS::EKS::AccessEntry");
        assert_eq!(t.resources[0].key_pos, Pos { line: 2, column: 63 });
        let yaml = "Resources:\n  E: {Type: AWS::EKS::Cluster}\n  E: {Type: AWS::EKS::AccessEntry}\n";
        let t = template(recognise(&Arc::from("t.yaml"), yaml.as_bytes().to_vec(), true));
        assert_eq!(t.resource_count, 1);
        assert_eq!(t.resources[0].resource_type, "AWS::EKS::AccessEntry");
        assert_eq!(t.resources[0].key_pos, Pos { line: 3, column: 3 });
    }

    #[test]
    fn deep_json_inside_any_value_is_not_a_crash() {
        let deep = |open: &str, close: &str| format!("{}1{}", open.repeat(300_000), close.repeat(300_000));
        // Validated without recursion where no tree is built.
        let ignored = format!(r#"{{"Resources": {{}}, "Other": {}}}"#, deep("[", "]"));
        assert_eq!(template(run(&ignored)).resources.len(), 0);
        assert!(matches!(run(&deep("[", "]")), Outcome::Skipped(_)));
        assert!(matches!(run(&deep("{\"a\":", "}")), Outcome::Skipped(_)));
        // Where a tree is built, too deep is an error with a position.
        let eks = format!(r#"{{"Resources": {{"C": {{"Type": "AWS::EKS::Cluster", "P": {}}}}}}}"#, deep("[", "]"));
        match run(&eks) {
            Outcome::Error(LoadError::TooDeep(m)) => {
                assert!(m.starts_with("JSON nested deeper than 256 levels"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let params = format!(r#"{{"Resources": {{}}, "Parameters": {}}}"#, deep("{\"a\":", "}"));
        assert!(matches!(run(&params), Outcome::Error(LoadError::TooDeep(m)) if m.contains("at line 1 column")));
    }

    #[test]
    fn many_resources_load_in_linear_time() {
        // Position look-ups used to rescan from the start of the file.
        let n = 50_000;
        let entries: Vec<String> =
            (0..n).map(|i| format!(r#""E{i}": {{"Type": "AWS::EKS::AccessEntry", "Properties": {{}}}}"#)).collect();
        let json = format!("{{\"Resources\": {{{}}}}}", entries.join(",\n"));
        let started = std::time::Instant::now();
        let t = template(run(&json));
        assert_eq!(t.resources.len(), n);
        assert_eq!(t.resources[n - 1].key_pos, Pos { line: n as u32, column: 1 });
        assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
    }

    #[test]
    fn stack_names_come_from_file_names() {
        assert_eq!(stack_name_of("a/b/eksctl-demo-cluster.json"), "eksctl-demo-cluster");
        assert_eq!(stack_name_of("x.tgz!t/eksctl-demo-nodegroup-ng-1.yaml"), "eksctl-demo-nodegroup-ng-1");
        assert_eq!(stack_name_of("-"), "stdin");
        assert_eq!(stack_name_of("noext"), "noext");
        assert_eq!(stack_name_of("out/platform-eks.template.json"), "platform-eks");
        assert_eq!(stack_name_of("out/appChild1234.nested.template.json"), "appChild1234");
        assert_eq!(stack_name_of(".template.json"), ".template");
    }
}
