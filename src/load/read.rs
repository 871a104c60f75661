//! Reading an input's bytes from the disk or standard input, within the
//! size limit: the only place in loading that touches the disk (discovery
//! decides what is read; this reads it). Takes an [`Input`] and the
//! [`LoadOptions`]; gives its bytes (a file that is an archive open, to be
//! read entry by entry), or the reason it was skipped or could not be read.
//! Also reads a file again for the lines findings quote.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::archive;
use super::json_tree;

/// Where the bytes of an input come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file at [`Input::path`]; `Some` holds its real path when its name
    /// is not UTF-8 (the display path then shows replacement characters).
    /// A sweep keeps one path per file, not two.
    File(Option<Box<Path>>),
    Stdin,
}

impl Source {
    /// A file at `path`, as discovery met it, for an input shown as `shown`.
    pub fn file(path: &Path, shown: &str) -> Self {
        Self::File((path.to_str() != Some(shown)).then(|| path.into()))
    }
}

/// One input found by discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as users wrote it (relative stays relative), or `-`.
    pub path: Arc<str>,
    pub source: Source,
    /// Named on the command line rather than found in a directory walk:
    /// such an input is expected to be readable JSON or YAML.
    pub explicit: bool,
    /// What the input was given as.
    pub role: Role,
    /// The stack name a CDK cloud assembly's manifest gives the template;
    /// otherwise it comes from the file name ([`super::stack_name_of`]).
    pub stack: Option<Arc<str>>,
}

/// What an input was given as: the kinds of documents expected of it and
/// what later stages do with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// A path to scan: templates, ClusterConfigs, `describe-cluster` output.
    #[default]
    Scanned,
    /// Given with `--context`: only `describe-cluster` output is expected.
    Context,
    /// Given with `--deployed`: templates as they are deployed now, compared
    /// with the scanned ones and never scanned themselves.
    Deployed,
}

impl Input {
    /// Where a file input is read from; `None` for standard input.
    pub fn file_path(&self) -> Option<&Path> {
        match &self.source {
            Source::File(Some(real)) => Some(real),
            Source::File(None) => Some(Path::new(&*self.path)),
            Source::Stdin => None,
        }
    }
}

/// Limits the loader enforces on every input.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Files larger than this are skipped without being read.
    pub max_file_size: u64,
    /// Limits on what one archive may expand to.
    pub archive: archive::ArchiveLimits,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { max_file_size: 64 * 1024 * 1024, archive: archive::ArchiveLimits::default() }
    }
}

pub(super) enum ReadFailure {
    Skip(String),
    Error(String),
}

/// An input as first read: its bytes, or a file that is an archive, left
/// open to be read entry by entry from the disk.
pub(super) enum Opened {
    Bytes(Vec<u8>),
    Archive(std::fs::File, archive::Kind),
}

/// Bytes read before deciding whether a file is an archive: enough for
/// every magic [`archive::detect`] looks for, and for nearly every template
/// whole, so that a template takes one read call.
const HEAD: usize = 256 * 1024;

/// Reads `input` as [`read_input`] does, except a file whose first bytes
/// are an archive's: that is returned open, to be read again from its
/// start, so that a sweep never holds a whole archive in memory (standard
/// input, which cannot be read twice, is read whole whatever it holds).
pub(super) fn open_input(input: &Input, options: &LoadOptions) -> Result<Opened, ReadFailure> {
    let Source::File(_) = input.source else { return read_input(input, options).map(Opened::Bytes) };
    let (mut file, len) = open_checked(input, options)?;
    if len == 0 {
        return read_unsized(file, options.max_file_size).map(Opened::Bytes);
    }
    let mut bytes = Vec::with_capacity(len);
    fill(&mut file, &mut bytes, len.min(HEAD)).map_err(|e| ReadFailure::Error(io_reason(&e)))?;
    if let Some(kind) = archive::detect(&bytes) {
        return Ok(Opened::Archive(file, kind));
    }
    fill(&mut file, &mut bytes, len).map_err(|e| ReadFailure::Error(io_reason(&e)))?;
    Ok(Opened::Bytes(bytes))
}

/// Opens a file input, checking that it is a regular file within the size
/// limit before anything is read; gives the file and its length.
fn open_checked(input: &Input, options: &LoadOptions) -> Result<(std::fs::File, usize), ReadFailure> {
    let limit = options.max_file_size;
    let path = input.file_path().unwrap_or(Path::new(""));
    let file = open_regular(path).map_err(|e| ReadFailure::Error(io_reason(&e)))?;
    let meta = file.metadata().map_err(|e| ReadFailure::Error(io_reason(&e)))?;
    // Discovery only passes regular files; this catches one swapped for a
    // FIFO or device since, before anything is read from it.
    if !meta.is_file() {
        return Err(ReadFailure::Skip("not a regular file (not read)".to_owned()));
    }
    let len = meta.len();
    match usize::try_from(len) {
        Ok(len) if len as u64 <= limit => Ok((file, len)),
        _ => Err(ReadFailure::Skip(format!("{len} bytes, larger than the {limit}-byte limit (--max-file-size)"))),
    }
}

/// Reads `file` into `bytes` until it holds `want` bytes or the file ends.
/// A file is read to the length its metadata gave when it was opened, in
/// as few read calls as the system allows (one, for a template): bytes it
/// gained since are not read, and a size limit checked on that length
/// holds.
fn fill(file: &mut std::fs::File, bytes: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
    let mut filled = bytes.len();
    bytes.resize(want.max(filled), 0);
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                bytes.truncate(filled);
                return Err(e);
            }
        }
    }
    bytes.truncate(filled);
    Ok(())
}

/// A file whose metadata gives no length (those of `/proc`, say): read to
/// its end, within the size limit.
fn read_unsized(reader: std::fs::File, limit: u64) -> Result<Vec<u8>, ReadFailure> {
    let mut bytes = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| ReadFailure::Error(io_reason(&e)))?;
    if bytes.len() as u64 > limit {
        return Err(ReadFailure::Skip(format!("larger than the {limit}-byte limit (--max-file-size)")));
    }
    Ok(bytes)
}

pub(super) fn read_input(input: &Input, options: &LoadOptions) -> Result<Vec<u8>, ReadFailure> {
    let limit = options.max_file_size;
    match &input.source {
        Source::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| ReadFailure::Error(format!("cannot read standard input: {e}")))?;
            if bytes.len() as u64 > limit {
                return Err(ReadFailure::Skip(format!("larger than the {limit}-byte limit (--max-file-size)")));
            }
            Ok(bytes)
        }
        Source::File(_) => {
            let (mut file, len) = open_checked(input, options)?;
            if len == 0 {
                return read_unsized(file, limit);
            }
            let mut bytes = Vec::with_capacity(len);
            fill(&mut file, &mut bytes, len).map_err(|e| ReadFailure::Error(io_reason(&e)))?;
            Ok(bytes)
        }
    }
}

/// Opens `path` for reading without ever blocking in `open` itself: on Unix
/// with `O_NONBLOCK`, which makes no difference to regular files but keeps
/// a FIFO that took a regular file's place from hanging the run.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// A one-line, user-facing reason for an I/O error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::InvalidData => "not valid UTF-8 text".to_owned(),
        _ => format!("cannot read: {e}"),
    }
}

/// Reads a file input again, after the sweep (Guard rules run once the
/// cross-stack facts are known, and a sweep does not keep every
/// template's text until then): its text decoded as it was when first
/// read, `None` when it is not a file, cannot be read or is no longer text.
pub fn reread(input: &Input, options: &LoadOptions) -> Option<super::SourceText> {
    let Source::File(_) = input.source else { return None };
    match super::decode::decode(read_input(input, options).ok()?) {
        super::decode::Decoded::Text(bytes) => {
            Some(super::SourceText { path: input.path.clone(), bytes: Arc::new(bytes), rereadable: true })
        }
        super::decode::Decoded::Invalid(_) => None,
    }
}

/// Reads `lines` (1-based) of a file input again, for quoting findings'
/// locations after the rules ran; the text of each line without its line
/// break, `None` when the input is not a file, cannot be read, or the line
/// is missing or not UTF-8. Only files whose locations were not quoted at
/// load time (see [`crate::load::SourceText::rereadable`]) are asked for.
pub fn quote_lines(input: &Input, options: &LoadOptions, lines: &[u32]) -> Vec<Option<String>> {
    let bytes = match &input.source {
        Source::File(_) => read_input(input, options).ok(),
        Source::Stdin => None,
    };
    let Some(super::decode::Decoded::Text(bytes)) = bytes.map(super::decode::decode) else {
        return vec![None; lines.len()];
    };
    let index = json_tree::LineIndex::new(&bytes);
    lines.iter().map(|&l| index.line_text(&bytes, l).map(str::to_owned)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(path: &Path) -> Input {
        let shown: Arc<str> = Arc::from(path.to_str().expect("utf-8 temp path"));
        Input { source: Source::file(path, &shown), path: shown, explicit: true, role: Role::Scanned, stack: None }
    }

    fn opened(bytes: &[u8], limit: u64) -> Result<Opened, ReadFailure> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("input");
        std::fs::write(&path, bytes).expect("write");
        open_input(&input(&path), &LoadOptions { max_file_size: limit, ..LoadOptions::default() })
    }

    /// `/proc` files say they are empty and are not: read to their end.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_whose_metadata_gives_no_length_is_read_to_its_end() {
        let path = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(path).expect("metadata").len(), 0);
        let options = LoadOptions::default();
        match open_input(&input(path), &options) {
            Ok(Opened::Bytes(read)) => assert!(read.starts_with(b"Name:"), "{}", String::from_utf8_lossy(&read)),
            _ => panic!("/proc/self/status not read"),
        }
        let limited = LoadOptions { max_file_size: 8, ..LoadOptions::default() };
        assert!(matches!(read_input(&input(path), &limited), Err(ReadFailure::Skip(_))));
    }

    #[test]
    fn a_file_is_read_whole_on_either_side_of_the_head() {
        for len in [0, 1, 511, 512, 513, HEAD - 1, HEAD, HEAD + 1, HEAD + 70_000] {
            let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            match opened(&bytes, 1 << 20) {
                Ok(Opened::Bytes(read)) => assert_eq!(read, bytes, "{len} bytes"),
                _ => panic!("{len} bytes: not read whole"),
            }
        }
    }

    #[test]
    fn the_size_limit_holds_for_files_and_archives() {
        assert!(matches!(opened(&[b'x'; 600], 599), Err(ReadFailure::Skip(_))));
        assert!(matches!(opened(&[b'x'; 600], 600), Ok(Opened::Bytes(b)) if b.len() == 600));
        let mut tar = vec![0; 1024];
        tar[257..262].copy_from_slice(b"ustar");
        assert!(matches!(opened(&tar, 1023), Err(ReadFailure::Skip(_))));
        assert!(matches!(opened(&tar, 1024), Ok(Opened::Archive(_, archive::Kind::Tar))));
    }

    #[test]
    fn an_archive_is_left_open_not_read() {
        let mut zip = b"PK\x03\x04".to_vec();
        zip.resize(100_000, 0);
        assert!(matches!(opened(&zip, 1 << 20), Ok(Opened::Archive(_, archive::Kind::Zip))));
        assert!(matches!(opened(&[0x1f, 0x8b, 8, 0], 1 << 20), Ok(Opened::Archive(_, archive::Kind::Gzip))));
    }
}
