//! Archives as inputs: `.tar`, `.tar.gz`/`.tgz` and `.zip`.
//!
//! Takes the bytes of one input that [`detect`] recognises by its magic
//! bytes (never by extension alone); gives one [`Loaded`] unit per entry,
//! named `ARCHIVE!entry/path`, recognised exactly as a file met in a
//! directory walk would be. Everything happens in memory: nothing is ever
//! extracted, and entry names (absolute, `../`, anything) are only names.
//!
//! Limits guard against decompression bombs: the number of entries, the
//! uncompressed size of one entry and the uncompressed size of the whole
//! archive ([`ArchiveLimits`]), the same to the byte for every format: the
//! total is the sum of the file entries' uncompressed sizes, in archive
//! order. An entry over the entry limit is reported as skipped with the
//! reason and the rest of the archive goes on; the entry that would take
//! the total over its limit, and the rest, are reported as not read. An
//! entry that cannot be read (an encrypted zip entry, an unsupported
//! compression method) is an input error naming the entry and the reason:
//! it may hide a template. A corrupt archive is an error for the archive,
//! never a panic; entries read before the damage are kept.

use super::error::LoadError;
use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek};
use std::rc::Rc;
use std::sync::Arc;

use super::{Loaded, Outcome, has_data_extension, recognise};

/// Archive kinds, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tar,
    Gzip,
    Zip,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Tar => "tar",
            Self::Gzip => "gzip",
            Self::Zip => "zip",
        }
    }
}

/// Bomb limits, raised with `--max-archive-entries`, `--max-entry-size`
/// and `--max-archive-size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Entries read from one archive (directories included).
    pub max_entries: usize,
    /// Uncompressed bytes of one entry.
    pub max_entry_size: u64,
    /// Uncompressed bytes of one whole archive.
    pub max_total_size: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self { max_entries: 10_000, max_entry_size: 64 * 1024 * 1024, max_total_size: 512 * 1024 * 1024 }
    }
}

/// The archive kind of `bytes`, if any.
pub fn detect(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Some(Kind::Gzip);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Some(Kind::Zip);
    }
    if is_tar(bytes) {
        return Some(Kind::Tar);
    }
    None
}

/// POSIX (`ustar\0`) and GNU (`ustar  \0`) tar headers carry a magic at
/// offset 257.
fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar".as_slice())
}

/// Extensions under which an archive is expected: a damaged one is an
/// error rather than "not ours".
const ARCHIVE_EXTENSIONS: &[&str] = &[".tar", ".tar.gz", ".tgz", ".zip", ".gz"];

fn has_archive_extension(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ARCHIVE_EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

/// Reads every entry of the archive `bytes` (of `kind`) found at `path`.
/// `explicit` says the archive was named on the command line.
pub fn load(path: &Arc<str>, bytes: &[u8], kind: Kind, explicit: bool, limits: &ArchiveLimits) -> Vec<Loaded> {
    let mut units = Vec::new();
    read(path, Cursor::new(bytes), kind, explicit, limits, &mut units);
    units
}

/// Where the units of an archive go.
pub(super) trait Out {
    /// Takes one unit; `false` once no more are wanted.
    fn put(&mut self, unit: Loaded) -> bool;
}

impl Out for Vec<Loaded> {
    fn put(&mut self, unit: Loaded) -> bool {
        self.push(unit);
        true
    }
}

impl Out for &std::sync::mpsc::SyncSender<Loaded> {
    fn put(&mut self, unit: Loaded) -> bool {
        self.send(unit).is_ok()
    }
}

/// Reads every entry of the archive `reader` holds (from its start), giving
/// each unit to `out` as its entry is read: a sweep then analyses an
/// archive's entries as they come, and never holds all their documents, or
/// a file's whole archive, at once. Stops early when `out` takes no more.
pub(super) fn read<R: Read + Seek>(
    path: &Arc<str>,
    reader: R,
    kind: Kind,
    explicit: bool,
    limits: &ArchiveLimits,
    out: &mut dyn Out,
) {
    let mut sink = Sink { archive: path.clone(), limits: *limits, out, units: 0, total: 0, entries: 0 };
    let result = match kind {
        Kind::Zip => read_zip(reader, &mut sink),
        Kind::Tar => read_tar(Counted::new(reader, limits), &mut sink),
        Kind::Gzip => read_gzip(reader, &mut sink),
    };
    let outcome = match result {
        Err(Failure::Corrupt(message)) if explicit || has_archive_extension(path) => {
            Outcome::Error(LoadError::Archive(format!("corrupt {} archive: {message}", kind.name())))
        }
        Err(Failure::Corrupt(message)) => {
            Outcome::Skipped(format!("looks like a {} archive but cannot be read: {message}", kind.name()))
        }
        Err(Failure::NotTar) => Outcome::Skipped("gzip-compressed, but not a tar archive".to_owned()),
        Err(Failure::Limit(reason)) => Outcome::Skipped(reason),
        Err(Failure::Closed) => return,
        Ok(()) if sink.units == 0 => Outcome::Skipped("empty archive".to_owned()),
        Ok(()) => return,
    };
    // The last unit: whether it is still wanted changes nothing.
    let _ = sink.put(Loaded { path: path.clone(), outcome });
}

/// An archive file that could not be read from its start again: an input
/// error for the archive.
pub(super) fn unreadable_archive(path: &Arc<str>, e: &io::Error, out: &mut dyn Out) {
    let outcome = Outcome::Error(LoadError::Read(super::io_reason(e)));
    let _ = out.put(Loaded { path: path.clone(), outcome });
}

enum Failure {
    Corrupt(String),
    NotTar,
    /// A limit that stops the rest of the archive from being read.
    Limit(String),
    /// The units are no longer wanted.
    Closed,
}

struct Sink<'o> {
    archive: Arc<str>,
    limits: ArchiveLimits,
    out: &'o mut dyn Out,
    /// Units given so far.
    units: usize,
    /// Uncompressed bytes of the file entries met so far.
    total: u64,
    entries: usize,
}

impl Sink<'_> {
    fn name(&self, entry: &str) -> Arc<str> {
        Arc::from(format!("{}!{entry}", self.archive))
    }

    fn put(&mut self, unit: Loaded) -> Result<(), Failure> {
        self.units += 1;
        if self.out.put(unit) { Ok(()) } else { Err(Failure::Closed) }
    }

    fn skip(&mut self, entry: &str, reason: String) -> Result<(), Failure> {
        let path = self.name(entry);
        self.put(Loaded { path, outcome: Outcome::Skipped(reason) })
    }

    /// An entry that could not be read: an input error for that entry.
    fn fail(&mut self, entry: &str, reason: String) -> Result<(), Failure> {
        let path = self.name(entry);
        self.put(Loaded { path, outcome: Outcome::Error(LoadError::Archive(reason)) })
    }

    /// Counts one more entry; `false` once the entry limit is reached.
    fn admit(&mut self) -> Result<(), Failure> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(Failure::Limit(format!(
                "more than {} entries (--max-archive-entries); entries after the first {} not read",
                self.limits.max_entries, self.limits.max_entries
            )));
        }
        Ok(())
    }

    /// Counts a file entry of `size` uncompressed bytes against the total:
    /// the entry that would take it over the limit is not read, nor any
    /// after it.
    fn spend(&mut self, entry: &str, size: u64) -> Result<(), Failure> {
        match self.total.checked_add(size).filter(|&t| t <= self.limits.max_total_size) {
            Some(total) => {
                self.total = total;
                Ok(())
            }
            None => Err(total_spent(self, Some(entry))),
        }
    }

    fn too_big(&self, size: u64) -> String {
        format!(
            "{size} bytes uncompressed, larger than the {}-byte limit (--max-entry-size)",
            self.limits.max_entry_size
        )
    }

    /// Recognises one entry's content like a file met in a walk.
    fn entry(&mut self, entry: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        let path = self.name(entry);
        let outcome = if detect(&bytes).is_some() {
            Outcome::Skipped("an archive inside an archive (not opened)".to_owned())
        } else {
            recognise(&path, bytes, has_data_extension(entry))
        };
        self.put(Loaded { path, outcome })
    }
}

/// Reads at most `limit + 1` bytes, so that "larger than the limit" is
/// known without reading the rest.
fn read_limited(reader: &mut dyn Read, limit: u64, hint: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(hint.min(limit).min(1 << 24)).unwrap_or(0));
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

// ----------------------------------------------------------------- zip --

fn read_zip<R: Read + Seek>(reader: R, sink: &mut Sink) -> Result<(), Failure> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| Failure::Corrupt(e.to_string()))?;
    for index in 0..archive.len() {
        sink.admit()?;
        let name = archive.name_for_index(index).unwrap_or_default().to_owned();
        let mut file = match archive.by_index(index) {
            Ok(file) => file,
            // Encryption, an unsupported method, a bad local header: an
            // entry that may hide a template is an error, for this entry.
            Err(e) => {
                sink.fail(&name, unreadable(&e))?;
                continue;
            }
        };
        if file.is_dir() {
            continue;
        }
        if file.is_symlink() {
            sink.skip(&name, "symbolic link in the archive (not followed)".to_owned())?;
            continue;
        }
        let declared = file.size();
        sink.spend(&name, declared)?;
        if declared > sink.limits.max_entry_size {
            sink.skip(&name, sink.too_big(declared))?;
            continue;
        }
        // The header may understate the size: read no more than either
        // limit allows, and one byte more to know it was more.
        let left = sink.limits.max_total_size - sink.total + declared;
        let limit = sink.limits.max_entry_size.min(left);
        let content = match read_limited(&mut file, limit, declared) {
            Ok(content) => content,
            Err(e) => {
                sink.fail(&name, format!("cannot be decompressed: {e}"))?;
                continue;
            }
        };
        let size = content.len() as u64;
        if size > limit {
            if limit == sink.limits.max_entry_size && limit < left {
                sink.total = sink.total - declared + limit;
                sink.skip(&name, format!("larger than the {limit}-byte limit (--max-entry-size)"))?;
                continue;
            }
            return Err(total_spent(sink, Some(&name)));
        }
        sink.total = sink.total - declared + size;
        sink.entry(&name, content)?;
    }
    Ok(())
}

/// Why a zip entry cannot be read, in words.
fn unreadable(e: &zip::result::ZipError) -> String {
    match e {
        zip::result::ZipError::UnsupportedArchive(m) if *m == zip::result::ZipError::PASSWORD_REQUIRED => {
            "encrypted entry: eksguard reads no encrypted entries (decrypt the archive, or name its files)".to_owned()
        }
        zip::result::ZipError::UnsupportedArchive(m) => format!("cannot be read: {m}"),
        e => format!("cannot be read: {e}"),
    }
}

fn total_spent(sink: &mut Sink, entry: Option<&str>) -> Failure {
    let limit = sink.limits.max_total_size;
    if let Some(entry) = entry {
        let reason = format!("the archive's {limit}-byte uncompressed limit (--max-archive-size) is reached here");
        if let Err(closed) = sink.skip(entry, reason) {
            return closed;
        }
    }
    Failure::Limit(format!(
        "more than {limit} bytes uncompressed (--max-archive-size); entries after the limit not read"
    ))
}

// ----------------------------------------------------------------- tar --

fn read_gzip<R: Read>(reader: R, sink: &mut Sink) -> Result<(), Failure> {
    let mut stream = Counted::new(flate2::read::MultiGzDecoder::new(reader), &sink.limits);
    // Look at the first block before deciding it is a tar.
    let mut head = Vec::with_capacity(512);
    (&mut stream).take(512).read_to_end(&mut head).map_err(|e| Failure::Corrupt(e.to_string()))?;
    if !is_tar(&head) {
        return Err(Failure::NotTar);
    }
    let rest =
        Counted { inner: Cursor::new(head).chain(stream.inner), read: 0, limit: stream.limit, spent: stream.spent };
    read_tar(rest, sink)
}

/// A reader that fails once more than `limit` bytes went through it: a
/// backstop under the exact, per-entry count of [`Sink::spend`], so that
/// what that count does not see (headers, padding, long names, PAX
/// records) cannot expand a compressed stream without bound either.
struct Counted<R> {
    inner: R,
    read: u64,
    limit: u64,
    /// Set when the limit stopped the stream (the tar reader wraps errors,
    /// so the error itself is not a reliable sign).
    spent: Rc<Cell<bool>>,
}

impl<R> Counted<R> {
    fn new(inner: R, limits: &ArchiveLimits) -> Self {
        // Room for every entry's header and padding, and a MiB of names
        // and records, beyond the content the total allows.
        let entries = (limits.max_entries as u64).saturating_add(1);
        let room = entries.saturating_mul(2048).saturating_add(1024 * 1024);
        Self { inner, read: 0, limit: limits.max_total_size.saturating_add(room), spent: Rc::default() }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            self.spent.set(true);
            return Err(io::Error::other("archive size limit"));
        }
        Ok(n)
    }
}

fn read_tar<R: Read>(reader: Counted<R>, sink: &mut Sink) -> Result<(), Failure> {
    let spent = reader.spent.clone();
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(|e| tar_failure(sink, &e, &spent, None, None))?;
    let mut last = String::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| tar_failure(sink, &e, &spent, None, Some(&last)))?;
        sink.admit()?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        last.clone_from(&name);
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            sink.skip(&name, "link in the archive (not followed)".to_owned())?;
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            sink.skip(&name, "not a regular file in the archive".to_owned())?;
            continue;
        }
        let declared = entry.size();
        sink.spend(&name, declared)?;
        if declared > sink.limits.max_entry_size {
            sink.skip(&name, sink.too_big(declared))?;
            continue;
        }
        match read_limited(&mut entry, sink.limits.max_entry_size, declared) {
            Ok(content) => sink.entry(&name, content)?,
            Err(e) => return Err(tar_failure(sink, &e, &spent, Some(&name), Some(&name))),
        }
    }
    Ok(())
}

/// `current` is an entry not yet reported; `after` the last entry met.
fn tar_failure(
    sink: &mut Sink,
    e: &io::Error,
    spent: &Cell<bool>,
    current: Option<&str>,
    after: Option<&str>,
) -> Failure {
    if spent.get() {
        return total_spent(sink, current);
    }
    match after {
        Some(name) if !name.is_empty() => Failure::Corrupt(format!("{e} (after entry {name})")),
        _ => Failure::Corrupt(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const TEMPLATE: &str = "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: a\n";

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *content).expect("append");
        }
        builder.into_inner().expect("tar")
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, content) in files {
            writer.start_file(*name, options).expect("start");
            writer.write_all(content).expect("write");
        }
        writer.finish().expect("zip").into_inner()
    }

    fn run(path: &str, bytes: &[u8], limits: &ArchiveLimits) -> Vec<(String, String)> {
        let kind = detect(bytes).expect("an archive");
        load(&Arc::from(path), bytes, kind, true, limits)
            .into_iter()
            .map(|l| {
                let what = match l.outcome {
                    Outcome::Documents(d) => format!("{} documents", d.len()),
                    Outcome::Skipped(r) => format!("skipped: {r}"),
                    Outcome::Error(m) => format!("error: {m}"),
                };
                (l.path.to_string(), what)
            })
            .collect()
    }

    #[test]
    fn every_kind_yields_one_unit_per_entry() {
        let files: &[(&str, &[u8])] = &[("t/a.yaml", TEMPLATE.as_bytes()), ("t/notes.txt", b"hello")];
        let expected = vec![
            ("x!t/a.yaml".to_owned(), "1 documents".to_owned()),
            ("x!t/notes.txt".to_owned(), "skipped: YAML but not a CloudFormation template, get-template output, describe-cluster output or eksctl ClusterConfig".to_owned()),
        ];
        let tar = tar_of(files);
        assert_eq!(detect(&tar), Some(Kind::Tar));
        assert_eq!(run("x", &tar, &ArchiveLimits::default()), expected);
        assert_eq!(run("x", &gzip(&tar), &ArchiveLimits::default()), expected);
        assert_eq!(run("x", &zip_of(files), &ArchiveLimits::default()), expected);
    }

    #[test]
    fn limits_skip_entries_and_the_rest_goes_on() {
        let big = vec![b' '; 4096];
        let files: &[(&str, &[u8])] = &[("big.yaml", &big), ("a.yaml", TEMPLATE.as_bytes())];
        let limits = ArchiveLimits { max_entry_size: 1024, ..ArchiveLimits::default() };
        for bytes in [gzip(&tar_of(files)), zip_of(files)] {
            let units = run("x.bin", &bytes, &limits);
            assert_eq!(units.len(), 2, "{units:?}");
            assert!(units[0].1.starts_with("skipped: 4096 bytes uncompressed"), "{units:?}");
            assert_eq!(units[1].1, "1 documents");
        }
        let limits = ArchiveLimits { max_entries: 1, ..ArchiveLimits::default() };
        let units = run("x.zip", &zip_of(files), &limits);
        assert_eq!(units.len(), 2, "{units:?}");
        assert_eq!(units[1].0, "x.zip");
        assert!(units[1].1.contains("--max-archive-entries"), "{units:?}");
    }

    #[test]
    fn a_bomb_stops_at_the_total_limit() {
        let zeros = vec![b' '; 3 * 1024 * 1024];
        let files: &[(&str, &[u8])] = &[("a.yaml", TEMPLATE.as_bytes()), ("bomb.yaml", &zeros), ("b.yaml", b"x")];
        let limits = ArchiveLimits { max_total_size: 1024, ..ArchiveLimits::default() };
        let units = run("x.tgz", &gzip(&tar_of(files)), &limits);
        assert_eq!(units[0].1, "1 documents");
        assert!(units.iter().any(|u| u.1.contains("--max-archive-size")), "{units:?}");
        let units = run("x.zip", &zip_of(files), &limits);
        assert_eq!(units[0].1, "1 documents");
        assert!(units.iter().any(|u| u.0 == "x.zip!bomb.yaml" && u.1.contains("--max-archive-size")), "{units:?}");
    }

    #[test]
    fn corrupt_archives_are_errors_not_panics() {
        let mut zip = zip_of(&[("a.yaml", TEMPLATE.as_bytes())]);
        zip.truncate(zip.len() / 2);
        let units = run("x.zip", &zip, &ArchiveLimits::default());
        assert_eq!(units.len(), 1);
        assert!(units[0].1.starts_with("error: corrupt zip archive"), "{units:?}");
        let mut tgz = gzip(&tar_of(&[("a.yaml", TEMPLATE.as_bytes())]));
        tgz.truncate(20);
        let units = run("x.tgz", &tgz, &ArchiveLimits::default());
        assert!(units.last().is_some_and(|u| u.1.starts_with("error: corrupt gzip archive")), "{units:?}");
        assert_eq!(
            run("x.gz", &gzip(b"just text"), &ArchiveLimits::default())[0].1,
            "skipped: gzip-compressed, but not a tar archive"
        );
    }

    #[test]
    fn hostile_names_are_only_names() {
        let files: &[(&str, &[u8])] = &[("../../etc/a.yaml", TEMPLATE.as_bytes())];
        let units = run("x.zip", &zip_of(files), &ArchiveLimits::default());
        assert_eq!(units[0].0, "x.zip!../../etc/a.yaml");
        assert_eq!(units[0].1, "1 documents");
    }
}
