//! AWS CDK cloud assemblies (`cdk.out`), for discovery.
//!
//! Takes a directory; says whether it is a cloud assembly (it holds a CDK
//! `manifest.json`) and, if so, gives the templates to read: every
//! `aws:cloudformation:stack` artifact's `templateFile` with its stack name
//! (`properties.stackName`, else the artifact id), the nested stacks'
//! `*.nested.template.json` files beside them, and the same for nested
//! assemblies (`cdk:cloud-assembly` artifacts: stages, `assembly-*`
//! folders). Nothing else in an assembly is read or listed: asset folders
//! (Lambda code, `node_modules`), `tree.json` and metadata files are left
//! out. Only the manifests are opened here; templates are read by loading.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

/// The manifest file of a cloud assembly.
pub const MANIFEST: &str = "manifest.json";

/// How deep nested assemblies are followed.
const MAX_DEPTH: usize = 16;

/// Manifests larger than this are not read.
const MAX_MANIFEST: u64 = 64 * 1024 * 1024;

/// A template a cloud assembly names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTemplate {
    pub path: PathBuf,
    /// The stack name; `None` for a nested stack's template, named after
    /// its file.
    pub stack: Option<String>,
}

/// What one cloud assembly (and those nested in it) gives.
#[derive(Debug, Default)]
pub struct Assembly {
    pub templates: Vec<StackTemplate>,
    /// A path (a template or manifest) and why it cannot be read.
    pub errors: Vec<(PathBuf, String)>,
}

/// Reads `dir` as a cloud assembly; `None` when it is not one (no
/// `manifest.json`, or one that is not CDK's in a directory without
/// anything else of CDK's).
pub fn open(dir: &Path) -> Option<Assembly> {
    let manifest = dir.join(MANIFEST);
    if !std::fs::metadata(&manifest).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut assembly = Assembly::default();
    match read_manifest(&manifest) {
        Ok(value) => read(dir, &value, 0, &mut assembly),
        Err(why) if looks_like_cdk_output(dir) => {
            assembly.errors.push((manifest, format!("not a CDK cloud assembly manifest: {why}")));
            // The templates are still read, named after their files.
            assembly.templates.extend(
                files_ending(dir, ".template.json").into_iter().map(|path| StackTemplate { path, stack: None }),
            );
        }
        Err(_) => return None,
    }
    Some(assembly)
}

/// A directory with CDK's `cdk.out` marker file or a `*.template.json`.
fn looks_like_cdk_output(dir: &Path) -> bool {
    dir.join("cdk.out").is_file() || !files_ending(dir, ".template.json").is_empty()
}

fn read_manifest(path: &Path) -> Result<Value, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| crate::load::io_reason(&e))?;
    let mut bytes = Vec::new();
    file.take(MAX_MANIFEST + 1).read_to_end(&mut bytes).map_err(|e| crate::load::io_reason(&e))?;
    if bytes.len() as u64 > MAX_MANIFEST {
        return Err(format!("larger than {MAX_MANIFEST} bytes"));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let is_manifest =
        value.get("version").is_some_and(Value::is_string) && value.get("artifacts").is_none_or(Value::is_object);
    if !is_manifest {
        return Err("no `version` string and `artifacts` object".to_owned());
    }
    Ok(value)
}

/// Takes the templates of the assembly in `dir` whose manifest is `value`.
fn read(dir: &Path, value: &Value, depth: usize, out: &mut Assembly) {
    let manifest = dir.join(MANIFEST);
    // In the manifest's order (or sorted by id, as serde_json is built):
    // either way the same for every run.
    let Some(artifacts) = value.get("artifacts").and_then(Value::as_object) else { return };
    for (id, artifact) in artifacts {
        let properties = artifact.get("properties");
        let property = |key: &str| properties.and_then(|p| p.get(key)).and_then(Value::as_str);
        match artifact.get("type").and_then(Value::as_str) {
            Some("aws:cloudformation:stack") => {
                let Some(file) = property("templateFile").and_then(inside) else {
                    out.errors.push((
                        manifest.clone(),
                        format!("stack artifact `{id}` has no templateFile inside the assembly"),
                    ));
                    continue;
                };
                let path = dir.join(file);
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => out
                        .templates
                        .push(StackTemplate { path, stack: Some(property("stackName").unwrap_or(id).to_owned()) }),
                    Ok(_) => out.errors.push((
                        path,
                        format!("named by {} (stack artifact `{id}`), but not a regular file", manifest.display()),
                    )),
                    Err(e) => out.errors.push((
                        path,
                        format!(
                            "named by {} (stack artifact `{id}`), but {}",
                            manifest.display(),
                            crate::load::io_reason(&e)
                        ),
                    )),
                }
            }
            Some("cdk:cloud-assembly") => {
                let Some(sub) = property("directoryName").and_then(inside) else {
                    out.errors.push((
                        manifest.clone(),
                        format!("nested assembly artifact `{id}` has no directoryName inside the assembly"),
                    ));
                    continue;
                };
                let sub = dir.join(sub);
                if depth >= MAX_DEPTH {
                    out.errors.push((sub, format!("nested cloud assemblies deeper than {MAX_DEPTH} levels")));
                    continue;
                }
                let sub_manifest = sub.join(MANIFEST);
                match read_manifest(&sub_manifest) {
                    Ok(value) => read(&sub, &value, depth + 1, out),
                    Err(why) => out.errors.push((
                        sub_manifest,
                        format!("named by {} (nested assembly `{id}`), but {why}", manifest.display()),
                    )),
                }
            }
            _ => {}
        }
    }
    // Nested stacks' templates sit beside their parents'.
    out.templates
        .extend(files_ending(dir, ".nested.template.json").into_iter().map(|path| StackTemplate { path, stack: None }));
}

/// `file` when it is a relative path that stays inside the assembly.
fn inside(file: &str) -> Option<&str> {
    let path = Path::new(file);
    let plain = !file.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    plain.then_some(file)
}

/// The regular files directly in `dir` whose names end with `suffix`,
/// sorted by name.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(suffix) && !name.starts_with('.') && e.file_type().is_ok_and(|t| t.is_file())
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn names(a: &Assembly, root: &Path) -> Vec<String> {
        a.templates
            .iter()
            .map(|t| {
                let rel = t.path.strip_prefix(root).unwrap_or(&t.path).to_string_lossy().into_owned();
                format!("{rel}={}", t.stack.as_deref().unwrap_or("-"))
            })
            .collect()
    }

    #[test]
    fn stacks_nested_stacks_and_nested_assemblies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            MANIFEST,
            r#"{"version": "55.0.0", "artifacts": {
                "B": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "B.template.json", "stackName": "real-b"}},
                "A": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "A.template.json"}},
                "A.assets": {"type": "cdk:asset-manifest", "properties": {"file": "A.assets.json"}},
                "assembly-Prod": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Prod"}},
                "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}}"#,
        );
        for f in ["A.template.json", "B.template.json", "AChild1234.nested.template.json", "A.assets.json"] {
            write(root, f, "{}");
        }
        write(root, "asset.abc/node_modules/x.json", "{}");
        write(
            root,
            "assembly-Prod/manifest.json",
            r#"{"version": "55.0.0", "artifacts": {"ProdV2": {"type": "aws:cloudformation:stack",
                "properties": {"templateFile": "ProdV2.template.json", "stackName": "v2"}}}}"#,
        );
        write(root, "assembly-Prod/ProdV2.template.json", "{}");
        let a = open(root).expect("an assembly");
        assert!(a.errors.is_empty(), "{:?}", a.errors);
        assert_eq!(
            names(&a, root),
            [
                "B.template.json=real-b",
                "A.template.json=A",
                "assembly-Prod/ProdV2.template.json=v2",
                "AChild1234.nested.template.json=-"
            ]
        );
    }

    #[test]
    fn missing_templates_and_bad_manifests_are_errors_naming_both_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            MANIFEST,
            r#"{"version": "55.0.0", "artifacts": {
                "Gone": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Gone.template.json"}},
                "Up": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "../Up.template.json"}},
                "Ok": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Ok.template.json"}}}}"#,
        );
        write(root, "Ok.template.json", "{}");
        let a = open(root).expect("an assembly");
        assert_eq!(names(&a, root), ["Ok.template.json=Ok"]);
        assert_eq!(a.errors.len(), 2, "{:?}", a.errors);
        assert!(a.errors[0].0.ends_with("Gone.template.json"));
        assert!(a.errors[0].1.contains("manifest.json") && a.errors[0].1.ends_with("no such file or directory"));
        assert!(a.errors[1].1.contains("no templateFile inside the assembly"));

        // Not CDK's manifest, in a directory of CDK output: an error, and
        // the templates are still read.
        write(root, MANIFEST, "[1, 2]");
        let a = open(root).expect("an assembly");
        assert_eq!(names(&a, root), ["Ok.template.json=-"]);
        assert!(a.errors[0].1.starts_with("not a CDK cloud assembly manifest"), "{:?}", a.errors);

        // Someone else's manifest.json: not an assembly at all.
        let other = tempfile::tempdir().expect("tempdir");
        write(other.path(), MANIFEST, r#"{"name": "my web app", "icons": []}"#);
        assert!(open(other.path()).is_none());
    }

    #[test]
    fn paths_outside_the_assembly_are_refused() {
        assert_eq!(inside("a/b.json"), Some("a/b.json"));
        assert_eq!(inside("../b.json"), None);
        assert_eq!(inside("/etc/passwd"), None);
        assert_eq!(inside(""), None);
    }
}
