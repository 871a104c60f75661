//! The YAML fast path gives saphyr's events or nothing: on every YAML file
//! of the samples and corpora (and any directories in
//! `EKSGUARD_YAML_DIRS`, colon-separated, such as the benchmark's corpus),
//! and on generated templates with random edits, which make most of them
//! invalid or odd.

use std::path::{Path, PathBuf};

use eksguard::load::yaml_fast::{check_against_saphyr, events};
use proptest::prelude::*;

fn roots() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![manifest.join("samples"), manifest.join("tests/fixtures")];
    for corpus in ["../shared/corpus/eksctl", "../shared/corpus/public"] {
        let dir = manifest.join(corpus);
        if dir.is_dir() {
            roots.push(dir);
        } else {
            eprintln!("skipping {corpus}: absent");
        }
    }
    if let Ok(extra) = std::env::var("EKSGUARD_YAML_DIRS") {
        roots.extend(extra.split(':').filter(|d| !d.is_empty()).map(PathBuf::from));
    }
    roots
}

#[test]
fn the_fast_path_agrees_with_saphyr_on_every_corpus_file() {
    let (mut yaml, mut taken, mut failures) = (0usize, 0usize, Vec::new());
    for root in roots() {
        for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok) {
            let path = entry.path();
            let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "template");
            if !entry.file_type().is_file() || !is_yaml {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path) else { continue };
            yaml += 1;
            if events(&text).is_some() {
                taken += 1;
            }
            if let Err(e) = check_against_saphyr(&text) {
                failures.push(format!("{}: {e}", path.display()));
            }
        }
    }
    eprintln!("fast path took {taken} of {yaml} YAML files");
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n\n"));
    assert!(yaml == 0 || taken > 0, "the fast path took none of {yaml} YAML files");
}

/// A template in the shapes the fast path reads, from a seed of choices.
fn template(choices: &[u8]) -> String {
    let mut out = String::new();
    if choices.first().is_some_and(|c| c % 3 == 0) {
        out.push_str("# header\n---\n");
    }
    out.push_str("AWSTemplateFormatVersion: 2010-09-09\nResources:\n");
    let values = [
        "plain words",
        "'single ''quoted'''",
        "\"double \\\"quoted\\\"\"",
        "!Ref Cluster",
        "!GetAtt Role.Arn",
        "!Sub '${AWS::StackName}-x'",
        "[a, 'b', !Ref C]",
        "{K: V, L: [1, 2]}",
        "",
        "|\n        line one\n\n          two\n",
        "|-\n        x\n",
        "arn:aws:iam::1:role/x # trailing comment",
        "- a\n        - b",
        "!If\n          - IsProd\n          - API\n          - CONFIG_MAP",
        "\n          Nested: value\n          Other: 1",
        "\n        - Key: k\n          Value: v",
        ">\n        folded\n        text\n\n        more\n",
        ">-\n        x\n",
        "a plain scalar\n        continued\n\n        after a blank",
        "!GetAZs",
        "\n        Key  : spaced",
        ":colon-first",
    ];
    for (n, c) in choices.iter().enumerate() {
        let value = values[usize::from(*c) % values.len()];
        out.push_str(&format!("  R{n}:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      P{n}: "));
        if let Some(rest) = value.strip_prefix("- ") {
            out.push_str("\n        - ");
            out.push_str(rest);
        } else {
            out.push_str(value);
        }
        out.push('\n');
        if c % 5 == 0 {
            out.push_str("    # a comment\n\n");
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_templates_agree(choices in prop::collection::vec(any::<u8>(), 1..8)) {
        let text = template(&choices);
        prop_assert!(check_against_saphyr(&text).is_ok(), "{:?}", check_against_saphyr(&text));
    }

    #[test]
    fn edited_templates_agree(
        choices in prop::collection::vec(any::<u8>(), 1..6),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(
            &[" ", "  ", "\n", "-", ":", "#", "'", "\"", "[", "]", "{", "}", ",", "!", "|", ">", "a", "- ", ": ", "\n  ", "\\", "---", "\n\n"][..]
        ), any::<bool>()), 1..4),
    ) {
        let mut text = template(&choices);
        for (at, piece, delete) in edits {
            let i = at.index(text.len() + 1);
            if delete && i < text.len() {
                text.remove(i);
            } else {
                text.insert_str(i, piece);
            }
        }
        prop_assert!(check_against_saphyr(&text).is_ok(), "{:?}\n{}", check_against_saphyr(&text), text);
    }
}
