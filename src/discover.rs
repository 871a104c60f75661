//! Stage 1: discover.
//!
//! Takes the paths users gave; gives every input met, in a stable order
//! (arguments in the order given, directory contents sorted by name), and
//! accounts for what will not be read: special files and symbolic links
//! met in a walk are skipped with a reason, paths that do not exist and
//! unreadable directories are errors. Hidden entries (names starting with
//! `.`) inside a walked directory are not inputs at all, as in ripgrep, and
//! neither are the paths that `.gitignore` (in a git repository), `.ignore`
//! and `.git/info/exclude` ignore (unless [`Filters::no_ignore`]) or that an
//! exclude pattern ([`Excludes`]) matches. A path named on the command line
//! is read even when excluded, unless [`Filters::force_exclude`]. The files
//! in [`Filters::never`] (the baseline) are never inputs.
//!
//! Discovery never opens a file: it only reads directory entries and file
//! types, so FIFOs, sockets and devices are skipped before anything could
//! block on them. Symbolic links named on the command line are followed;
//! those met in a walk are followed only with `--follow-links`, and then a
//! link back to one of its own ancestors is skipped as a loop and a file
//! reached twice is read once. One file named in several ways (`x.json`
//! and `./x.json`, `stacks` and `./stacks/`, an absolute and a relative
//! path, a link beside its target) is one input, under the first name met.
//!
//! A directory holding a CDK `manifest.json` is a cloud assembly (`cdk.out`)
//! and is read through its manifest (see [`assembly`]): its stacks'
//! templates with their stack names, nothing else of it. The manifests are
//! the one kind of file discovery opens.

use std::collections::{HashMap, HashSet};
use std::io::ErrorKind;
use std::path::Path;
use std::sync::Arc;

use ignore::WalkBuilder;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

pub mod assembly;

use crate::load::{Input, Role, Source, io_reason};

/// The outcome of discovery.
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    pub skipped: Vec<(Arc<str>, String)>,
    pub errors: Vec<(Arc<str>, DiscoverError)>,
    /// When set, the inputs are also sent here as they are found, in
    /// batches, with their index in `inputs`, so that loading can start
    /// before the walk ends: see [`Discovery::streaming`] and
    /// [`Discovery::end_stream`].
    stream: Option<std::sync::mpsc::SyncSender<Vec<(usize, Input)>>>,
    batch: Vec<(usize, Input)>,
    /// Inputs found, also those not listed in `inputs`.
    count: usize,
    /// Stream inputs without listing them (see [`Discovery::unlisted`]).
    unlisted: bool,
}

/// Inputs sent to the stream at a time.
const BATCH: usize = 64;

impl Discovery {
    /// Discovery that also streams its inputs to `stream`.
    pub fn streaming(stream: std::sync::mpsc::SyncSender<Vec<(usize, Input)>>) -> Self {
        Self { stream: Some(stream), ..Self::default() }
    }

    /// Streams inputs without also listing them in `inputs` (only with
    /// [`Discovery::streaming`]): a sweep that will not read any input
    /// again (no quoted source lines, no background inputs) need not keep
    /// a path and an [`Input`] for each of its files until it ends.
    pub fn unlisted(self) -> Self {
        Self { unlisted: true, ..self }
    }

    /// How many inputs were found, listed or not.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Sends what is left and closes the stream.
    pub fn end_stream(&mut self) {
        if let Some(stream) = self.stream.take() {
            if !self.batch.is_empty() {
                let _ = stream.send(std::mem::take(&mut self.batch));
            }
        }
    }
}

/// How to walk directories.
#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions<'a> {
    /// Follow symbolic links met in a walk (`--follow-links`).
    pub follow_links: bool,
    /// The name standard input goes by (`--stdin-filename`); `-` when unset.
    pub stdin_name: Option<&'a str>,
    pub filters: Filters,
}

/// What a walk leaves out.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Paths matching these are not inputs.
    pub exclude: Excludes,
    /// Do not read `.gitignore`, `.ignore` and `.git/info/exclude`.
    pub no_ignore: bool,
    /// Exclude paths named on the command line too.
    pub force_exclude: bool,
    /// Files that are never inputs (the baseline file), wherever met.
    pub never: Vec<std::path::PathBuf>,
}

/// Why a path could not be discovered: discovery's error type. The text is
/// the one-line reason reports show beside the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoverError {
    /// A path given or met cannot be looked at (missing, no permission).
    #[error("{0}")]
    Path(String),
    /// The walk failed for a reason the system did not give as an I/O error.
    #[error("{0}")]
    Walk(String),
    /// A CDK cloud assembly whose manifest or templates cannot be used.
    #[error("{0}")]
    Assembly(String),
    /// An exclude pattern that is not gitignore syntax.
    #[error("{0}")]
    Pattern(String),
}

/// The command line reports every error as its one-line text.
impl From<DiscoverError> for String {
    fn from(e: DiscoverError) -> Self {
        e.to_string()
    }
}

/// Exclude patterns (gitignore syntax), each set relative to its own base
/// directory: the config file's for patterns written there, the working
/// directory's for `--exclude`.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    sets: Vec<Arc<Gitignore>>,
    /// The working directory, asked once (paths are matched absolute).
    cwd: std::path::PathBuf,
}

impl Excludes {
    /// Adds `patterns`, relative to `base` (an absolute directory).
    pub fn add(&mut self, base: &Path, patterns: &[String]) -> Result<(), DiscoverError> {
        if patterns.is_empty() {
            return Ok(());
        }
        if self.sets.is_empty() {
            self.cwd = std::env::current_dir().unwrap_or_default();
        }
        let mut builder = GitignoreBuilder::new(base);
        for p in patterns {
            builder.add_line(None, p).map_err(|e| DiscoverError::Pattern(format!("exclude pattern `{p}`: {e}")))?;
        }
        let set = builder.build().map_err(|e| DiscoverError::Pattern(format!("exclude patterns: {e}")))?;
        self.sets.push(Arc::new(set));
        Ok(())
    }

    /// Does a pattern exclude `path` (or one of its parent directories)?
    pub fn matches(&self, path: &Path, is_dir: bool) -> bool {
        if self.sets.is_empty() {
            return false;
        }
        let path = absolute_from(&self.cwd, path);
        self.sets.iter().any(|set| {
            // Patterns whose base is not above the path can only match by name.
            let inside = path.starts_with(set.path());
            let rel = if inside { path.as_path() } else { path.file_name().map_or(path.as_path(), Path::new) };
            if inside {
                set.matched_path_or_any_parents(rel, is_dir).is_ignore()
            } else {
                set.matched(rel, is_dir).is_ignore()
            }
        })
    }
}

/// `path` made absolute against the working directory, `.` and `..`
/// resolved by name (no links are followed: excludes match what users see).
pub fn absolute(path: &Path) -> std::path::PathBuf {
    absolute_from(&std::env::current_dir().unwrap_or_default(), path)
}

/// [`absolute`] against `cwd` (empty when the working directory is gone).
fn absolute_from(cwd: &Path, path: &Path) -> std::path::PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
    // What a walk meets is already in this form when its root is: no empty,
    // `.` or `..` parts and no trailing separator (a hidden name also takes
    // the long way). Checked on the bytes, it is not taken apart again.
    let bytes = joined.as_os_str().as_encoded_bytes();
    let clean = !bytes.ends_with(b"/") && !bytes.windows(2).any(|w| w == b"//" || w == b"/.");
    if cfg!(unix) && clean && joined.is_absolute() {
        return joined;
    }
    rebuilt(&joined)
}

/// `joined` rebuilt part by part, `.` dropped and `..` taking one off.
fn rebuilt(joined: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Filters {
    fn is_never(&self, path: &Path) -> bool {
        if self.never.is_empty() {
            return false;
        }
        let name = path.file_name();
        self.never.iter().any(|n| n.file_name() == name && std::fs::canonicalize(path).is_ok_and(|real| &real == n))
    }
}

/// Finds the inputs under `paths` (`-` is standard input), each given as
/// `role`.
pub fn discover(paths: &[String], role: Role, found: &mut Discovery) {
    discover_with(paths, role, &DiscoverOptions::default(), found);
}

/// [`discover`] with options.
pub fn discover_with(paths: &[String], role: Role, options: &DiscoverOptions<'_>, found: &mut Discovery) {
    if paths.is_empty() {
        return;
    }
    let mut seen = Seen {
        paths: found.inputs.iter().map(|i| (i.path.clone(), i.role)).collect(),
        // One path walked without following links meets every file once,
        // under one spelling: no need to ask the disk what each file is.
        by_identity: paths.len() > 1,
        by_path: paths.len() > 1,
        ..Seen::default()
    };
    for arg in paths {
        if arg == "-" {
            let path = Arc::from(options.stdin_name.unwrap_or("-"));
            push(found, &mut seen, Input { path, source: Source::Stdin, explicit: true, role, stack: None });
            continue;
        }
        let path = Path::new(arg);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                found.errors.push((Arc::from(arg.as_str()), DiscoverError::Path(path_reason(path, &e))));
                continue;
            }
        };
        let filters = &options.filters;
        if filters.force_exclude && filters.exclude.matches(path, meta.is_dir()) {
            let reason = "matches an exclude pattern (--force-exclude)".to_owned();
            found.skipped.push((Arc::from(arg.as_str()), reason));
            continue;
        }
        if meta.is_file() && filters.is_never(path) {
            continue;
        }
        if meta.is_dir() {
            walk(path, role, options, found, &mut seen);
        } else if meta.is_file() {
            let input = Input {
                path: Arc::from(arg.as_str()),
                source: Source::file(path, arg),
                explicit: true,
                role,
                stack: None,
            };
            push(found, &mut seen, input);
        } else {
            found.skipped.push((Arc::from(arg.as_str()), special_reason(&meta.file_type())));
        }
    }
}

/// Finds the inputs under `roots` (`--context-root`) that were not found
/// already, to be read for correlation only: a file met here that is also
/// one of the inputs found so far, however it was spelled, is not listed
/// again. Returns the index of the first input found here; what cannot be
/// walked is left out silently, as these inputs are not reported on.
/// Paths under `.` are listed without the `./`.
pub fn discover_background(roots: &[String], options: &DiscoverOptions<'_>, found: &mut Discovery) -> usize {
    let first = found.count;
    if roots.is_empty() {
        return first;
    }
    // Standard input named after a file (`--stdin-filename`) stands for
    // that file: it is not read again from the disk.
    let given: HashSet<std::path::PathBuf> = found
        .inputs
        .iter()
        .filter_map(|i| std::fs::canonicalize(i.file_path().unwrap_or(Path::new(&*i.path))).ok())
        .collect();
    let mut seen = Seen {
        paths: found.inputs.iter().map(|i| (i.path.clone(), i.role)).collect(),
        by_identity: roots.len() > 1,
        by_path: true,
        ..Seen::default()
    };
    let mut walked = Discovery::default();
    for root in roots {
        let options = DiscoverOptions { follow_links: false, ..options.clone() };
        walk(Path::new(root), Role::Scanned, &options, &mut walked, &mut seen);
    }
    for mut input in walked.inputs {
        let real = input.file_path().and_then(|p| std::fs::canonicalize(p).ok());
        if real.is_some_and(|r| given.contains(&r)) {
            continue;
        }
        if let Some(short) = input.path.strip_prefix("./").filter(|s| !s.is_empty()) {
            input.path = Arc::from(short);
        }
        input.explicit = false;
        found_push(found, input);
    }
    first
}

/// Lists an input already known to be new.
fn found_push(found: &mut Discovery, input: Input) {
    let mut seen = Seen::default();
    push(found, &mut seen, input);
}

/// What discovery has met so far.
#[derive(Default)]
struct Seen {
    /// Paths already taken, by role: the same path named twice (or met
    /// twice in overlapping walks) is read once per role.
    paths: HashSet<(Arc<str>, Role)>,
    /// Files met in a walk that follows links, by device and inode, with
    /// the path they were first met at.
    files: HashMap<(u64, u64), Arc<str>>,
    /// Every file taken, by what it is rather than how it was spelled.
    identities: HashSet<(FileIdentity, Role)>,
    /// Whether files can be met under two spellings (more than one path
    /// given), so that [`Self::identities`] must be kept.
    by_identity: bool,
    /// Whether one path can be met twice (more than one path given), so
    /// that [`Self::paths`] must grow: one path walked meets each of its
    /// files once.
    by_path: bool,
}

/// What a file is, whatever path names it: `./x.json` and `x.json`, an
/// absolute and a relative path, a link and its target are one file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileIdentity {
    /// Device and inode (Unix).
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path, elsewhere.
    #[cfg(not(unix))]
    Canonical(std::path::PathBuf),
}

impl FileIdentity {
    #[cfg(unix)]
    fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| Self::Inode(m.dev(), m.ino()))
    }

    #[cfg(not(unix))]
    fn of(path: &Path) -> Option<Self> {
        std::fs::canonicalize(path).ok().map(Self::Canonical)
    }
}

impl Seen {
    /// Whether `input`'s path was not taken yet in its role.
    fn first_path(&mut self, input: &Input) -> bool {
        if self.by_path {
            self.paths.insert((input.path.clone(), input.role))
        } else {
            !self.paths.contains(&(input.path.clone(), input.role))
        }
    }

    /// Whether `input` is a file not taken yet under another spelling, in
    /// the same role. One file is one input, read and counted once, under
    /// the first spelling met; standard input and files that cannot be
    /// looked at (they fail when read, with their reason) always pass.
    /// A step of its own on each discovered input, whatever found it. With
    /// one path given, a walk (links not followed) meets each path once and
    /// every input passes: two hard links are two paths, as in ripgrep.
    fn first_spelling(&mut self, input: &Input) -> bool {
        let Some(path) = input.file_path().filter(|_| self.by_identity) else { return true };
        match FileIdentity::of(path) {
            Some(identity) => self.identities.insert((identity, input.role)),
            None => true,
        }
    }
}

fn push(found: &mut Discovery, seen: &mut Seen, input: Input) {
    if !(seen.first_path(&input) && seen.first_spelling(&input)) {
        return;
    }
    let index = found.count;
    found.count += 1;
    let Some(stream) = &found.stream else {
        found.inputs.push(input);
        return;
    };
    let listed = (!found.unlisted).then(|| input.clone());
    found.batch.push((index, input));
    if found.batch.len() == BATCH {
        // A closed stream means nobody is loading any more.
        let _ = stream.send(std::mem::take(&mut found.batch));
    }
    found.inputs.extend(listed);
}

fn walk(root: &Path, role: Role, options: &DiscoverOptions<'_>, found: &mut Discovery, seen: &mut Seen) {
    let mut followed = Vec::new();
    let filters = options.filters.clone();
    let respect = !filters.no_ignore;
    let walker = WalkBuilder::new(root)
        .follow_links(options.follow_links)
        .sort_by_file_name(|a, b| a.cmp(b))
        .hidden(true)
        .ignore(respect)
        .git_ignore(respect)
        .git_exclude(respect)
        .parents(respect)
        // The user's global gitignore would make results differ between
        // machines.
        .git_global(false)
        .require_git(true)
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !filters.exclude.matches(e.path(), is_dir) && (is_dir || !filters.is_never(e.path()))
        })
        .build();
    // A cloud assembly met in the walk is read through its manifest; what
    // lies under it (met next: the walk is sorted) is not walked.
    let mut assembly_dir: Option<std::path::PathBuf> = None;
    for entry in walker {
        if let (Some(dir), Ok(entry)) = (&assembly_dir, &entry) {
            if entry.path().starts_with(dir) {
                continue;
            }
        }
        match entry {
            Ok(entry) => {
                let display: Arc<str> = Arc::from(entry.path().to_string_lossy().as_ref());
                let Some(file_type) = entry.file_type() else { continue };
                if file_type.is_dir() {
                    if let Some(cdk) = assembly::open(entry.path()) {
                        push_assembly(cdk, role, found, seen);
                        assembly_dir = Some(entry.path().to_path_buf());
                    }
                    continue;
                }
                if file_type.is_file() {
                    if options.follow_links {
                        followed.push(Followed::of(entry, display, root));
                        continue;
                    }
                    let source = Source::file(entry.path(), &display);
                    let input = Input { path: display, source, explicit: false, role, stack: None };
                    push(found, seen, input);
                } else {
                    found.skipped.push((display, special_reason(&file_type)));
                }
            }
            Err(e) => {
                let (path, ancestor) = error_path(&e);
                let path = path.unwrap_or(root);
                let display: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
                if let Some(ancestor) = ancestor {
                    let reason = format!("symbolic link loop (leads back to {}; not followed)", ancestor.display());
                    found.skipped.push((display, reason));
                } else if is_symlink(path) && e.io_error().is_some_and(|io| io.kind() == ErrorKind::NotFound) {
                    found.skipped.push((display, "broken symbolic link (its target does not exist)".to_owned()));
                } else {
                    let error = e.io_error().map_or_else(
                        || DiscoverError::Walk(e.to_string()),
                        |io| DiscoverError::Path(path_reason(path, io)),
                    );
                    found.errors.push((display, error));
                }
            }
        }
    }
    if !followed.is_empty() {
        once_each(followed, role, found, seen);
    }
}

/// The path a walk error is about and, for a link loop, the ancestor the
/// link leads back to.
fn error_path(e: &ignore::Error) -> (Option<&Path>, Option<&Path>) {
    match e {
        ignore::Error::WithPath { path, err } => {
            let (inner, ancestor) = error_path(err);
            (inner.or(Some(path.as_path())), ancestor)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { ancestor, child } => (Some(child.as_path()), Some(ancestor.as_path())),
        _ => (None, None),
    }
}

/// The templates of a cloud assembly, with the stack names its manifest
/// gives, and its errors.
fn push_assembly(cdk: assembly::Assembly, role: Role, found: &mut Discovery, seen: &mut Seen) {
    for t in cdk.templates {
        let display: Arc<str> = Arc::from(t.path.to_string_lossy().as_ref());
        let source = Source::file(&t.path, &display);
        let stack = t.stack.map(Arc::from);
        push(found, seen, Input { path: display, source, explicit: false, role, stack });
    }
    for (path, reason) in cdk.errors {
        found.errors.push((Arc::from(path.to_string_lossy().as_ref()), DiscoverError::Assembly(reason)));
    }
}

/// A regular file met in a walk that follows links.
struct Followed {
    display: Arc<str>,
    path: std::path::PathBuf,
    /// Device and inode, where the platform has them.
    id: Option<(u64, u64)>,
    /// Reached through a link (its real path differs from the walked one).
    linked: bool,
}

impl Followed {
    fn of(entry: ignore::DirEntry, display: Arc<str>, root: &Path) -> Self {
        let id = file_id(&entry);
        let real = std::fs::canonicalize(entry.path()).ok();
        let walked =
            std::fs::canonicalize(root).ok().and_then(|r| entry.path().strip_prefix(root).ok().map(|rel| r.join(rel)));
        let linked = entry.path_is_symlink() || real.is_none() || real != walked;
        Self { display, path: entry.into_path(), id, linked }
    }
}

/// Reads each file met through links once: at a path without links when
/// there is one, else where it was met first. The others are skipped.
fn once_each(followed: Vec<Followed>, role: Role, found: &mut Discovery, seen: &mut Seen) {
    let mut primary: HashMap<(u64, u64), usize> = HashMap::new();
    for (i, f) in followed.iter().enumerate() {
        let Some(id) = f.id else { continue };
        let slot = primary.entry(id).or_insert(i);
        if followed[*slot].linked && !f.linked {
            *slot = i;
        }
    }
    for (i, f) in followed.iter().enumerate() {
        if let Some(id) = f.id {
            if let Some(first) = seen.files.get(&id) {
                found.skipped.push((f.display.clone(), format!("the same file as {first} (met through a link)")));
                continue;
            }
            let p = primary[&id];
            if p != i {
                let first = &followed[p].display;
                found.skipped.push((f.display.clone(), format!("the same file as {first} (met through a link)")));
                continue;
            }
        }
        let source = Source::file(&f.path, &f.display);
        let input = Input { path: f.display.clone(), source, explicit: false, role, stack: None };
        push(found, seen, input);
    }
    for f in followed {
        if let Some(id) = f.id {
            seen.files.entry(id).or_insert(f.display);
        }
    }
}

/// Device and inode of a file met in a walk.
#[cfg(unix)]
fn file_id(entry: &ignore::DirEntry) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    entry.metadata().ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &ignore::DirEntry) -> Option<(u64, u64)> {
    None
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// [`io_reason`], naming link trouble in words.
fn path_reason(path: &Path, e: &std::io::Error) -> String {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return "symbolic link loop (too many levels of links)".to_owned();
    }
    if e.kind() == ErrorKind::NotFound && is_symlink(path) {
        return "broken symbolic link (its target does not exist)".to_owned();
    }
    io_reason(e)
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

    proptest::proptest! {
        /// A path taken as it is (no `.`, `..` or empty parts) is the one
        /// rebuilt part by part.
        #[test]
        fn a_path_made_absolute_is_the_rebuilt_one(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b.json", ".", "..", ".hidden", "", "c d"]), 0..6),
            rooted: bool,
            trailing: bool,
        ) {
            let mut path = String::from(if rooted { "/" } else { "" });
            path.push_str(&parts.join("/"));
            if trailing {
                path.push('/');
            }
            let cwd = Path::new("/work/dir");
            let path = Path::new(&path);
            let joined = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
            proptest::prop_assert_eq!(absolute_from(cwd, path), rebuilt(&joined));
        }
    }

    #[test]
    fn a_bad_exclude_pattern_is_a_pattern_error() {
        let mut excludes = Excludes::default();
        let err = excludes.add(Path::new("/"), &["{a,b".to_owned()]).expect_err("not a glob");
        assert!(matches!(&err, DiscoverError::Pattern(m) if m.starts_with("exclude pattern `{a,b`")), "{err}");
    }

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
        discover(&[root.clone(), format!("{root}/missing.json"), format!("{root}/a.yaml")], Role::Scanned, &mut found);
        let names: Vec<_> =
            found.inputs.iter().map(|i| i.path.strip_prefix(root.as_str()).unwrap_or("?").to_owned()).collect();
        assert_eq!(names, ["/a.yaml", "/b.json", "/sub/c.json"]);
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.errors[0].1, DiscoverError::Path("no such file or directory".to_owned()));
    }

    #[test]
    fn unlisted_streams_every_input_once_in_order_and_lists_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names: Vec<String> = (0..150).map(|i| format!("t{i:03}.json")).collect();
        for name in &names {
            std::fs::write(dir.path().join(name), "{}").expect("write");
        }
        let root = dir.path().to_string_lossy().into_owned();
        for unlisted in [false, true] {
            let (stream, batches) = std::sync::mpsc::sync_channel(1024);
            let mut found = Discovery::streaming(stream);
            if unlisted {
                found = found.unlisted();
            }
            // The same file twice: one input.
            discover(&[root.clone(), format!("{root}/t000.json")], Role::Scanned, &mut found);
            found.end_stream();
            let streamed: Vec<(usize, Input)> = batches.into_iter().flatten().collect();
            assert_eq!(found.count(), names.len());
            assert!(streamed.iter().enumerate().all(|(i, (index, _))| *index == i));
            let streamed: Vec<_> = streamed.iter().map(|(_, input)| input.path.clone()).collect();
            let listed: Vec<_> = found.inputs.iter().map(|i| i.path.clone()).collect();
            assert_eq!(listed, if unlisted { Vec::new() } else { streamed.clone() });
            let expected: Vec<String> = names.iter().map(|n| format!("{root}/{n}")).collect();
            assert_eq!(streamed.iter().map(|p| p.to_string()).collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn background_roots_add_only_files_not_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["x.json", "y.json", "sub/z.yaml"] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, "{}").expect("write");
        }
        let root = dir.path().to_string_lossy().into_owned();
        let mut found = Discovery::default();
        // Given under another spelling than the walk will meet it.
        discover(&[format!("{root}/sub/../x.json")], Role::Scanned, &mut found);
        let first = discover_background(std::slice::from_ref(&root), &DiscoverOptions::default(), &mut found);
        assert_eq!(first, 1);
        let rel = |p: &str| p.strip_prefix(root.as_str()).unwrap_or(p).to_owned();
        let background: Vec<_> = found.inputs[first..].iter().map(|i| rel(&i.path)).collect();
        assert_eq!(background, ["/sub/z.yaml", "/y.json"]);
        assert!(found.inputs[first..].iter().all(|i| !i.explicit && i.role == Role::Scanned));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_in_a_walk_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("t.json"), "{}").expect("write");
        std::os::unix::fs::symlink(dir.path().join("t.json"), dir.path().join("u.json")).expect("symlink");
        let mut found = Discovery::default();
        discover(&[dir.path().to_string_lossy().into_owned()], Role::Scanned, &mut found);
        assert_eq!(found.inputs.len(), 1);
        assert_eq!(found.skipped.len(), 1);
        assert!(found.skipped[0].1.starts_with("symbolic link"));
    }

    #[cfg(unix)]
    #[test]
    fn followed_links_detect_loops_and_read_a_file_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(sub.join("t.json"), "{}").expect("write");
        std::os::unix::fs::symlink(dir.path(), sub.join("loop")).expect("symlink");
        std::os::unix::fs::symlink(sub.join("t.json"), dir.path().join("u.json")).expect("symlink");
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("v.json")).expect("symlink");
        let root = dir.path().to_string_lossy().into_owned();
        let mut found = Discovery::default();
        discover_with(
            std::slice::from_ref(&root),
            Role::Scanned,
            &DiscoverOptions { follow_links: true, ..DiscoverOptions::default() },
            &mut found,
        );
        let rel = |p: &str| p.strip_prefix(root.as_str()).unwrap_or(p).to_owned();
        let inputs: Vec<_> = found.inputs.iter().map(|i| rel(&i.path)).collect();
        assert_eq!(inputs, ["/sub/t.json"]);
        // Met first through `u.json`, read at its own path.
        let mut skipped: Vec<_> = found.skipped.iter().map(|(p, r)| format!("{}: {r}", rel(p))).collect();
        skipped.sort();
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        assert!(skipped[0].starts_with("/sub/loop: symbolic link loop (leads back to "), "{skipped:?}");
        assert!(
            skipped[1].starts_with("/u.json: the same file as ") && skipped[1].contains("/sub/t.json"),
            "{skipped:?}"
        );
        assert_eq!(skipped[2], "/v.json: broken symbolic link (its target does not exist)");
        assert!(found.errors.is_empty(), "{:?}", found.errors);
    }
}
