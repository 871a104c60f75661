//! Reads the files that configure a scan rather than feed it: `.guard`
//! rule files (a file, or every `*.guard` under a directory, sorted) and
//! the config file, found as ruff finds its own ([`find_config`]), and the
//! baseline file with the root its fingerprints name files from. Errors
//! name the path.

use std::path::{Path, PathBuf};

use super::io_reason;

/// The `(path, text)` of every Guard rule file under `paths`.
pub fn read_guard_rules(paths: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    for path in paths {
        let p = Path::new(path);
        if p.is_dir() {
            let mut found: Vec<String> = walkdir::WalkDir::new(p)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "guard"))
                .map(|e| e.path().to_string_lossy().into_owned())
                .collect();
            if found.is_empty() {
                return Err(format!("{path}: no .guard files in this directory"));
            }
            found.sort();
            for f in found {
                let text = read(&f)?;
                files.push((f, text));
            }
        } else {
            files.push((path.clone(), read(path)?));
        }
    }
    Ok(files)
}

/// The text of the config file given with `--config`.
pub fn read_config(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {}", path.display(), io_reason(&e)))
}

/// The text of a baseline file (`--baseline`).
pub fn read_baseline(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The nearest config file: in the working directory, then each parent up
/// to the root of the git repository it is in (the directory holding
/// `.git`); outside a repository only the working directory is looked at.
/// In each directory `eksguard.toml` comes first, then a `pyproject.toml`
/// with a `[tool.eksguard]` table. Gives the file's path as seen from the
/// working directory (`../eksguard.toml`) and its text.
pub fn find_config() -> Result<Option<(PathBuf, String)>, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {}", io_reason(&e)))?;
    let in_repo = cwd.ancestors().any(|d| d.join(".git").exists());
    let mut up = PathBuf::new();
    for dir in cwd.ancestors() {
        for name in [crate::config::CONFIG_FILE, crate::config::PYPROJECT_FILE] {
            let path = up.join(name);
            match std::fs::read_to_string(dir.join(name)) {
                Ok(text) => {
                    if name == crate::config::PYPROJECT_FILE && !has_tool_table(&text) {
                        continue;
                    }
                    return Ok(Some((path, text)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {}", path.display(), io_reason(&e))),
            }
        }
        if !in_repo || dir.join(".git").exists() {
            break;
        }
        up.push("..");
    }
    Ok(None)
}

/// Does a `pyproject.toml` have a `[tool.eksguard]` table? (A file that is
/// not TOML counts when it mentions the table, so that its error is shown.)
fn has_tool_table(text: &str) -> bool {
    match text.parse::<toml::Table>() {
        Ok(t) => t.get("tool").and_then(|t| t.get("eksguard")).is_some(),
        Err(_) => text.contains("[tool.eksguard"),
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {}", io_reason(&e)))
}

/// The directory baseline fingerprints name files from, for a baseline
/// file at `baseline`: the root of the git repository holding it, else the
/// file's own directory. Absolute.
pub fn baseline_root(baseline: &Path) -> PathBuf {
    let file = crate::discover::absolute(baseline);
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf).unwrap_or(dir)
}
