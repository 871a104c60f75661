//! Stage 1: discover.
//!
//! Takes the paths users gave; gives every input met, in a stable order
//! (arguments in the order given, directory contents sorted by name), and
//! accounts for what will not be read: special files and symbolic links
//! met in a walk are skipped with a reason, paths that do not exist and
//! unreadable directories are errors. Hidden entries (names starting with
//! `.`) inside a walked directory are not inputs at all, as in ripgrep.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use walkdir::WalkDir;

use crate::load::{Input, Source, io_reason};

/// The outcome of discovery.
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    pub skipped: Vec<(Arc<str>, String)>,
    pub errors: Vec<(Arc<str>, String)>,
}

/// Finds the inputs under `paths` (`-` is standard input). `context` marks
/// inputs given with `--context`.
pub fn discover(paths: &[String], context: bool, found: &mut Discovery) {
    let mut seen: HashSet<(Arc<str>, bool)> = found.inputs.iter().map(|i| (i.path.clone(), i.context)).collect();
    for arg in paths {
        if arg == "-" {
            push(found, &mut seen, Input { path: Arc::from("-"), source: Source::Stdin, explicit: true, context });
            continue;
        }
        let path = Path::new(arg);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                found.errors.push((Arc::from(arg.as_str()), io_reason(&e)));
                continue;
            }
        };
        if meta.is_dir() {
            walk(path, context, found, &mut seen);
        } else if meta.is_file() {
            let input =
                Input { path: Arc::from(arg.as_str()), source: Source::File(path.to_owned()), explicit: true, context };
            push(found, &mut seen, input);
        } else {
            found.skipped.push((Arc::from(arg.as_str()), special_reason(&meta.file_type())));
        }
    }
}

/// Adds an input once: the same path named twice (or met twice in
/// overlapping walks) is read once per role.
fn push(found: &mut Discovery, seen: &mut HashSet<(Arc<str>, bool)>, input: Input) {
    if seen.insert((input.path.clone(), input.context)) {
        found.inputs.push(input);
    }
}

fn walk(root: &Path, context: bool, found: &mut Discovery, seen: &mut HashSet<(Arc<str>, bool)>) {
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(entry) => {
                let display: Arc<str> = Arc::from(entry.path().to_string_lossy().as_ref());
                let file_type = entry.file_type();
                if file_type.is_dir() {
                    continue;
                }
                if file_type.is_file() {
                    let input =
                        Input { path: display, source: Source::File(entry.into_path()), explicit: false, context };
                    push(found, seen, input);
                } else {
                    found.skipped.push((display, special_reason(&file_type)));
                }
            }
            Err(e) => {
                let path =
                    e.path().map_or_else(|| root.to_string_lossy().into_owned(), |p| p.to_string_lossy().into_owned());
                let reason = e.io_error().map_or_else(|| e.to_string(), io_reason);
                found.errors.push((Arc::from(path.as_str()), reason));
            }
        }
    }
}

fn special_reason(file_type: &std::fs::FileType) -> String {
    if file_type.is_symlink() {
        return "symbolic link (not followed)".to_owned();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO, not a regular file (not opened)".to_owned();
        }
        if file_type.is_socket() {
            return "a socket, not a regular file (not opened)".to_owned();
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device, not a regular file (not opened)".to_owned();
        }
    }
    "not a regular file (not opened)".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_skipping_hidden_and_reporting_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.json", "a.yaml", ".hidden.json", "sub/c.json"] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, "{}").expect("write");
        }
        let root = dir.path().to_string_lossy().into_owned();
        let mut found = Discovery::default();
        discover(&[root.clone(), format!("{root}/missing.json"), format!("{root}/a.yaml")], false, &mut found);
        let names: Vec<_> =
            found.inputs.iter().map(|i| i.path.strip_prefix(root.as_str()).unwrap_or("?").to_owned()).collect();
        assert_eq!(names, ["/a.yaml", "/b.json", "/sub/c.json"]);
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.errors[0].1, "no such file or directory");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_in_a_walk_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("t.json"), "{}").expect("write");
        std::os::unix::fs::symlink(dir.path().join("t.json"), dir.path().join("u.json")).expect("symlink");
        let mut found = Discovery::default();
        discover(&[dir.path().to_string_lossy().into_owned()], false, &mut found);
        assert_eq!(found.inputs.len(), 1);
        assert_eq!(found.skipped.len(), 1);
        assert!(found.skipped[0].1.starts_with("symbolic link"));
    }
}
