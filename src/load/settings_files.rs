//! Reads the files that configure a scan rather than feed it: `.guard`
//! rule files (a file, or every `*.guard` under a directory, sorted) and
//! `eksguard.toml`. Errors name the path.

use std::path::Path;

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

/// The text of a config file; `None` when `required` is false and the file
/// does not exist.
pub fn read_config(path: &str, required: bool) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{path}: {}", io_reason(&e))),
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {}", io_reason(&e)))
}
