//! The shared vocabulary, at the bottom of the pipeline.
//!
//! Takes nothing from any stage; gives the plain data every stage speaks:
//! [`Location`]s (with their shared [`Pointer`]s, and the [`Spots`] that
//! packed values keep them in), [`Finding`]s with their [`Severity`],
//! [`Related`] locations and [`Remedy`], a finding's [`fingerprint`],
//! and the account of inputs that were not read ([`InputError`]) or not
//! analysed ([`Skipped`]), and [`visible`], the one way renderers print
//! untrusted text. Every stage imports from here; this module imports from
//! none of them.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::hash::Hasher as _;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use std::cell::RefCell;

use serde::de::Error as _;
use serde::ser::{Error as _, SerializeStruct as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A place in an input: file, JSON pointer, 1-based line and column.
///
/// Serialised for people (JSON reports: path, pointer, line, column) or,
/// by a binary format, in a compact form for packed facts (see [`Spots`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub path: Arc<str>,
    pub pointer: Pointer,
    pub line: u32,
    pub column: u32,
    /// The source line, for text output; not part of the JSON contract.
    /// Standard input and archive entries are quoted when read; a file's
    /// lines are quoted for findings only, after the rules ran, by reading
    /// it again: a sweep does not keep a copy of a line for each of its
    /// many locations.
    /// Thin (an `Arc<String>`, not a `Box<str>`): a sweep keeps many
    /// locations, most without one; shared by the locations of one line.
    pub source_line: Option<Arc<String>>,
}

impl Serialize for Location {
    /// For people: path, pointer, line and column (the source line is not
    /// part of the JSON contract). For a binary format, inside
    /// [`Spots::collect`]: indices into the spots and the line and column.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let mut s = serializer.serialize_struct("Location", 4)?;
            s.serialize_field("path", &self.path)?;
            s.serialize_field("pointer", &self.pointer)?;
            s.serialize_field("line", &self.line)?;
            s.serialize_field("column", &self.column)?;
            return s.end();
        }
        let spot = collecting(|spots| {
            (spots.path(&self.path), spots.pointer(&self.pointer), spots.line(self.source_line.as_ref()))
        });
        let Some((path, pointer, line)) = spot else {
            return Err(S::Error::custom("a location is packed only while spots are collected"));
        };
        (path, pointer, line, self.line, self.column).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Location {
    /// The compact form only, inside [`Spots::lend`]: reports are never
    /// read back into locations.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            return Err(D::Error::custom("a location is read back only from packed facts"));
        }
        let (path, pointer, quoted, line, column) = <(u32, u32, u32, u32, u32)>::deserialize(deserializer)?;
        let location = lent(|spots| {
            let source_line = match quoted.checked_sub(1) {
                None => None,
                Some(i) => Some(spots.lines.get(i as usize)?.clone()),
            };
            Some(Location {
                path: spots.paths.get(path as usize)?.clone(),
                pointer: spots.pointers.get(pointer as usize)?.clone(),
                line,
                column,
                source_line,
            })
        });
        location.ok_or_else(|| D::Error::custom("a packed location names no spot its facts hold, or none are lent"))
    }
}

thread_local! {
    /// The spots being collected or lent on this thread, if any.
    static SPOTS: RefCell<Option<InUse>> = const { RefCell::new(None) };
}

/// The shared parts of the locations of one packed value: its paths,
/// pointers and quoted lines, each held once, as the value's own tables.
/// A binary serialiser (not human readable) writes a [`Location`] as
/// indices into them, and a path marked `#[serde(with = "spot_path")]` as
/// one index, while [`Spots::collect`] runs; a binary deserialiser reads
/// them back while [`Spots::lend`] runs. Packed facts then keep their text
/// once and their locations' shared parts as pointers, not copies.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Spots {
    paths: Box<[Arc<str>]>,
    pointers: Box<[Pointer]>,
    lines: Box<[Arc<String>]>,
}

/// [`Spots`] being filled in.
#[derive(Default)]
struct Collecting {
    paths: Table<Arc<str>>,
    pointers: Table<Pointer>,
    lines: Table<Arc<String>>,
}

impl Collecting {
    fn path(&mut self, path: &Arc<str>) -> u32 {
        self.paths.index_of(path)
    }

    fn pointer(&mut self, pointer: &Pointer) -> u32 {
        self.pointers.index_of(pointer)
    }

    /// 0 for none, else the line's index plus one.
    fn line(&mut self, line: Option<&Arc<String>>) -> u32 {
        line.map_or(0, |l| self.lines.index_of(l) + 1)
    }
}

/// Items in the order first met, each with its index: a batch of inputs
/// may hold a template with thousands of EKS resources, so the lookup is
/// a map, not a search. Items are told apart by the allocations they
/// share (paths and pointers are shared among a sweep's locations), which
/// is quick to hash; two equal items in different allocations take two
/// entries, which changes nothing but the table's size.
struct Table<T> {
    items: Vec<T>,
    at: std::collections::HashMap<(usize, usize), u32>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self { items: Vec::new(), at: std::collections::HashMap::new() }
    }
}

/// The allocations an item's text is in.
trait Shared: Clone {
    fn identity(&self) -> (usize, usize);
}

impl Shared for Arc<str> {
    fn identity(&self) -> (usize, usize) {
        (Arc::as_ptr(self).cast::<u8>() as usize, 0)
    }
}

impl Shared for Arc<String> {
    fn identity(&self) -> (usize, usize) {
        (Arc::as_ptr(self) as usize, 0)
    }
}

impl Shared for Pointer {
    fn identity(&self) -> (usize, usize) {
        (Arc::as_ptr(&self.head) as usize, Arc::as_ptr(&self.tail) as usize)
    }
}

impl<T: Shared> Table<T> {
    /// Where `item` is, added at the end when it is not there.
    fn index_of(&mut self, item: &T) -> u32 {
        let next = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        let at = *self.at.entry(item.identity()).or_insert(next);
        if at == next {
            self.items.push(item.clone());
        }
        at
    }
}

/// What this thread's serialisers and deserialisers of locations use.
enum InUse {
    Collecting(Box<Collecting>),
    Lent(Arc<Spots>),
}

impl Spots {
    /// Runs `pack` with empty spots that the locations it serialises fill
    /// in (one value or many: many share one set of spots); gives its
    /// result and the spots.
    pub fn collect<T>(pack: impl FnOnce() -> T) -> (T, Spots) {
        let outer = SPOTS.with(|s| s.replace(Some(InUse::Collecting(Box::default()))));
        let packed = pack();
        let spots = match SPOTS.with(|s| s.replace(outer)) {
            Some(InUse::Collecting(c)) => Spots {
                paths: c.paths.items.into_boxed_slice(),
                pointers: c.pointers.items.into_boxed_slice(),
                lines: c.lines.items.into_boxed_slice(),
            },
            _ => Spots::default(),
        };
        (packed, spots)
    }

    /// Runs `unpack` with these spots, for the locations it deserialises.
    pub fn lend<T>(self: &Arc<Self>, unpack: impl FnOnce() -> T) -> T {
        let outer = SPOTS.with(|s| s.replace(Some(InUse::Lent(Arc::clone(self)))));
        let unpacked = unpack();
        SPOTS.with(|s| s.replace(outer));
        unpacked
    }

    /// The paths, pointers and quoted lines, to be kept as text with what
    /// uses them (compressed together, see [`Sealed`]) rather than as
    /// allocations of their own; [`Spots::with_texts`] makes them again.
    fn texts(&self) -> Texts<'_> {
        let paths = self.paths.iter().map(|p| &**p).collect();
        let pointers = self.pointers.iter().map(|p| (&**p.head, &**p.tail)).collect();
        (paths, pointers, self.lines.iter().map(|l| l.as_str()).collect())
    }

    /// The spots [`Spots::texts`] gave, read back: each path, pointer and
    /// line made once, shared by every location that names it. The
    /// pointers' halves are shared through `shared`, with those of the
    /// other spots unpacked beside them.
    fn with_texts((paths, pointers, lines): Texts<'_>, shared: &Pointers) -> Self {
        Self {
            paths: paths.into_iter().map(Arc::from).collect(),
            pointers: {
                let mut set = shared.0.lock().unwrap_or_else(PoisonError::into_inner);
                pointers.into_iter().map(|(head, tail)| halves(&mut set, head, tail)).collect()
            },
            lines: lines.into_iter().map(|l| Arc::new(l.to_owned())).collect(),
        }
    }
}

/// Bytes packed while [`Spots::collect`] ran, sealed with their spots: the
/// paths, JSON pointers and quoted lines as text after the bytes, the whole
/// compressed with zstd (level 1). What a sweep keeps packed (facts,
/// findings, cluster summaries) is kept this way.
///
/// Why zstd: a sweep's facts are names, ARNs, account ids and hashes, which
/// zstd keeps a third smaller than LZ4 (a 100k sweep's facts 5.3 MB against
/// 8.1, and a peak RSS about 4 MiB lower) for 3-5% more time; deflate's
/// fastest level took 6-8% of a sweep's CPU. Its contexts are made once per
/// thread (a 20k sweep peaks about half a MiB higher for them).
#[derive(Debug, Clone)]
pub struct Sealed {
    compressed: Box<[u8]>,
    /// The size of the bytes once decompressed, and where the texts start.
    size: u32,
    texts_at: u32,
}

impl Sealed {
    /// Seals `bytes` with the `spots` their locations name.
    pub fn new(mut bytes: Vec<u8>, spots: Spots) -> Self {
        let texts_at = crate::correlate::index32(bytes.len());
        bytes = postcard::to_extend(&spots.texts(), bytes)
            .unwrap_or_else(|e| panic!("the texts of packed locations do not pack: {e}"));
        // Compressed into this thread's scratch, then copied out at its
        // size: one allocation that is kept, none that is shrunk or freed.
        let compressed = with_scratch(|out| {
            out.resize(zstd::zstd_safe::compress_bound(bytes.len()), 0);
            let len = ZSTD.with_borrow_mut(|z| z.compressor().compress_to_buffer(&bytes, &mut out[..]));
            let len = len.unwrap_or_else(|e| panic!("packed bytes do not compress: {e}"));
            Box::from(&out[..len])
        });
        Self { compressed, size: crate::correlate::index32(bytes.len()), texts_at }
    }

    /// Runs `read` on the bytes that were sealed, with their spots lent
    /// (their pointers' halves shared through `pointers`).
    pub fn open<T>(&self, pointers: &Pointers, read: impl FnOnce(&[u8]) -> T) -> T {
        // Sealed by this process in memory: cannot fail unless sealing and
        // opening disagree, which tests check.
        with_scratch(|bytes| {
            bytes.resize(self.size as usize, 0);
            let len = ZSTD.with_borrow_mut(|z| z.decompressor().decompress_to_buffer(&self.compressed, &mut bytes[..]));
            let len = len.unwrap_or_else(|e| panic!("packed bytes do not decompress: {e}"));
            let (bytes, texts) = bytes[..len].split_at(self.texts_at as usize);
            let texts = postcard::from_bytes(texts)
                .unwrap_or_else(|e| panic!("the texts of packed locations do not unpack: {e}"));
            Arc::new(Spots::with_texts(texts, pointers)).lend(|| read(bytes))
        })
    }
}

/// This thread's zstd contexts, each made when first used and kept.
#[derive(Default)]
struct Zstd {
    compressor: Option<zstd::bulk::Compressor<'static>>,
    decompressor: Option<zstd::bulk::Decompressor<'static>>,
}

thread_local! {
    static ZSTD: RefCell<Zstd> = RefCell::new(Zstd::default());
}

impl Zstd {
    /// Level 1, zstd's fastest standard level: its faster negative levels
    /// kept a 100k sweep's facts 12% (-1) to 38% (-4) larger.
    fn compressor(&mut self) -> &mut zstd::bulk::Compressor<'static> {
        // Making a context fails only when memory runs out.
        self.compressor.get_or_insert_with(|| {
            zstd::bulk::Compressor::new(1).unwrap_or_else(|e| panic!("no zstd compression context: {e}"))
        })
    }

    fn decompressor(&mut self) -> &mut zstd::bulk::Decompressor<'static> {
        self.decompressor.get_or_insert_with(|| {
            zstd::bulk::Decompressor::new().unwrap_or_else(|e| panic!("no zstd decompression context: {e}"))
        })
    }
}

/// Runs `f` on this thread's scratch buffer for sealing and opening
/// (cleared; its capacity kept from one use to the next). Correlation opens
/// the same chunks batch after batch: a fresh buffer each time, sized to
/// the chunk, put tens of thousands of mid-sized blocks through the
/// allocator, and the pages they left behind stayed in the process until
/// the allocator's purge delay ran out (about 4 MiB of a 100k sweep's peak).
/// A nested use finds the buffer taken and works in a fresh one.
fn with_scratch<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    thread_local! {
        static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    /// A buffer grown past this (by one large template's facts) is not kept.
    const KEEP: usize = 1 << 20;
    let mut buffer = SCRATCH.take();
    buffer.clear();
    let out = f(&mut buffer);
    if buffer.capacity() <= KEEP {
        SCRATCH.set(buffer);
    }
    out
}

/// The texts of [`Spots`] as sealed bytes keep them: `(paths, pointers as
/// their two halves, lines)`.
type Texts<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, Vec<&'a str>);

/// The spots being collected on this thread, if any.
fn collecting<T>(f: impl FnOnce(&mut Collecting) -> T) -> Option<T> {
    SPOTS.with(|s| match &mut *s.borrow_mut() {
        Some(InUse::Collecting(c)) => Some(f(c)),
        _ => None,
    })
}

/// The spots lent to this thread, if any.
fn lent<T>(f: impl FnOnce(&Spots) -> Option<T>) -> Option<T> {
    SPOTS.with(|s| match &*s.borrow() {
        Some(InUse::Lent(spots)) => f(spots),
        _ => None,
    })
}

/// `#[serde(with = "spot_path")]` for a path (`Arc<str>`) among packed
/// facts: one index into the [`Spots`] for a binary format, the text for
/// people.
pub mod spot_path {
    use super::{Arc, Deserialize, Deserializer, Serialize, Serializer, collecting, lent};
    use serde::de::Error as _;
    use serde::ser::Error as _;

    pub fn serialize<S: Serializer>(path: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.serialize_str(path);
        }
        let at = collecting(|spots| spots.path(path));
        at.ok_or_else(|| S::Error::custom("a path is packed only while spots are collected"))?.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        if deserializer.is_human_readable() {
            return Ok(Arc::from(String::deserialize(deserializer)?));
        }
        let at = u32::deserialize(deserializer)? as usize;
        lent(|spots| spots.paths.get(at).cloned())
            .ok_or_else(|| D::Error::custom("a packed path names no spot its facts hold, or none are lent"))
    }
}

impl fmt::Display for Location {
    /// `path:line:column`, the path [`visible`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", Visible(&self.path), self.line, self.column)
    }
}

/// `text` as one shell word, as a command in a remediation writes it: in
/// single quotes when it holds anything a POSIX shell reads specially.
pub fn shell_word(text: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:@,=%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(format!("'{}'", text.replace('\'', "'\\''")))
}

/// Untrusted text (file and entry names, template strings, messages built
/// from them, quoted source lines) as it may be printed: every control
/// character escaped visibly, as ripgrep and git do (`\n`, `\r`, `\x1b`;
/// C1 controls and the bidirectional overrides as `\u{9b}`), so that no
/// input can forge a line, move the cursor or colour the output. Tabs stay.
/// Backslashes are left alone, so escaping twice changes nothing.
/// Renderers of text meant for eyes (text, GitHub, JUnit, SARIF) pass
/// every untrusted piece through it; JSON output keeps its bytes (serde
/// escapes them).
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`visible`] for `format!` arguments.
#[derive(Debug, Clone, Copy)]
pub struct Visible<'a>(pub &'a str);

impl fmt::Display for Visible<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&visible(self.0))
    }
}

/// Shares the text of JSON pointers among a scan's locations: see
/// [`Pointer`]. One copy of each half is kept, not one per location.
#[derive(Debug, Clone, Default)]
pub struct Pointers(Arc<Mutex<HashSet<Interned>>>);

impl Pointers {
    /// `pointer`, its halves shared with every other location's.
    pub fn pointer(&self, pointer: &str) -> Pointer {
        let (head, tail) = Pointer::split(pointer);
        // One lock for both halves: every location of a sweep comes here.
        halves(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner), head, tail)
    }

    /// Forgets the halves no location holds any more: a sweep's facts keep
    /// their pointers' text packed, so what is shared is the working
    /// form of the documents being read, and the set stays that size
    /// rather than growing with every resource the sweep has seen.
    pub fn forget_unused(&self) {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the set holds a half counted once, and a clone is made only
        // under this lock or from a location's copy: none can appear now.
        set.retain(|h| Arc::strong_count(&h.0) > 1);
    }
}

/// The pointer of `head` and `tail`, each half shared through `set`.
fn halves(set: &mut HashSet<Interned>, head: &str, tail: &str) -> Pointer {
    Pointer { head: intern(set, head), tail: intern(set, tail) }
}

fn intern(set: &mut HashSet<Interned>, text: &str) -> Half {
    if let Some(shared) = set.get(text) {
        return shared.0.clone();
    }
    let shared = half(text);
    set.insert(Interned(shared.clone()));
    shared
}

/// Half a pointer's text, behind a thin pointer: a location holds two.
type Half = Arc<Box<str>>;

fn half(text: &str) -> Half {
    Arc::new(text.into())
}

/// A half in the interning set, looked up by its text.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Interned(Half);

impl std::borrow::Borrow<str> for Interned {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// A JSON pointer, held as two shared halves: its first three reference
/// tokens (`/Resources/<id>/Properties`: one per resource) and the rest
/// (`/ClusterName`: the same in every stack). A sweep keeps a few
/// locations per access entry; this way they share their text rather than
/// each holding a copy, and each half is a thin pointer (8 bytes). It
/// compares, hashes, prints and serialises as the whole pointer.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pointer {
    head: Half,
    tail: Half,
}

impl Pointer {
    /// Where a pointer is cut: before its fourth reference token. The cut
    /// depends only on the text, so equal pointers have equal halves.
    fn split(pointer: &str) -> (&str, &str) {
        let cut = pointer.match_indices('/').nth(3).map_or(pointer.len(), |(i, _)| i);
        pointer.split_at(cut)
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.head.bytes().chain(self.tail.bytes())
    }
}

impl From<&str> for Pointer {
    fn from(pointer: &str) -> Self {
        let (head, tail) = Self::split(pointer);
        Self { head: half(head), tail: half(tail) }
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.head)?;
        f.write_str(&self.tail)
    }
}

impl fmt::Debug for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// As the whole pointer's text: byte by byte, like `str`.
impl Ord for Pointer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl PartialOrd for Pointer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Pointer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

const MAX_SOURCE_LINE: usize = 240;

/// A source line as text output shows it: without trailing blanks, cut
/// at `MAX_SOURCE_LINE` (240) bytes.
pub fn quote_line(line: &str) -> Arc<String> {
    let mut l = line.trim_end().to_owned();
    if l.len() > MAX_SOURCE_LINE {
        let mut cut = MAX_SOURCE_LINE;
        while !l.is_char_boundary(cut) {
            cut -= 1;
        }
        l.truncate(cut);
        l.push('…');
    }
    Arc::new(l)
}

/// A cluster's or nodegroup's name as messages show it: `(unnamed)` when
/// the inputs do not say.
pub fn shown(name: Option<&str>) -> &str {
    name.unwrap_or("(unnamed)")
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "note" | "info" => Ok(Self::Note),
            "warning" | "warn" => Ok(Self::Warning),
            "error" => Ok(Self::Error),
            other => Err(format!("unknown severity `{other}` (expected error, warning or note)")),
        }
    }
}

/// A second place that supports a finding, with what it shows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Related {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub stack: Option<String>,
    /// The cluster's name, or `<stack>/<logicalId>` for a template cluster
    /// without one.
    pub cluster: Option<String>,
    /// `cluster` has no name until deploy (it is `<stack>/<logicalId>`);
    /// left out of JSON when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cluster_named_at_deploy: bool,
    pub resource: Option<String>,
    pub related: Vec<Related>,
    /// Shared: a sweep repeats one remediation for many findings, and
    /// one remediation with other clusters' names for many more.
    pub remediation: Remedy,
}

/// A finding's remediation. Held as the text's pieces between the places
/// where its cluster's name stands, and the name, so that findings whose
/// fixes differ only by their cluster share the pieces (a sweep finds the
/// same failure on many clusters; a fix runs about a kilobyte). Compares,
/// orders, hashes, prints and serialises as the whole text.
#[derive(Clone)]
pub struct Remedy {
    /// The pieces: the text is them joined by `name`.
    parts: Arc<[Box<str>]>,
    /// Empty when there is one piece.
    name: Box<str>,
}

impl Remedy {
    /// `text`, cut where `name` stands in it (not when the name is too
    /// short to be worth it: a cut is two pieces more to hold).
    pub fn new(text: &str, name: Option<&str>) -> Self {
        match name.filter(|n| n.len() >= 4 && text.contains(*n)) {
            Some(name) => Self { parts: text.split(name).map(Box::from).collect(), name: name.into() },
            None => Self { parts: Arc::new([text.into()]), name: Box::default() },
        }
    }

    /// The same text, with pieces shared with `shared` when they are equal.
    pub fn sharing(mut self, shared: &mut HashSet<Arc<[Box<str>]>>) -> Self {
        match shared.get(&self.parts) {
            Some(same) => self.parts = Arc::clone(same),
            None => {
                shared.insert(Arc::clone(&self.parts));
            }
        }
        self
    }

    /// The pieces between the places the name stands, and the name (empty
    /// when there is one piece): what [`Remedy::from_parts`] takes.
    pub fn parts(&self) -> (Vec<&str>, &str) {
        (self.parts.iter().map(|p| &**p).collect(), &self.name)
    }

    /// The remedy [`Remedy::parts`] gave.
    pub fn from_parts(parts: &[&str], name: &str) -> Self {
        Self { parts: parts.iter().map(|&p| Box::from(p)).collect(), name: name.into() }
    }

    /// Holds its pieces in the same allocation as `other`'s.
    #[cfg(test)]
    pub fn shares_parts_with(&self, other: &Remedy) -> bool {
        Arc::ptr_eq(&self.parts, &other.parts)
    }

    /// The text, in the pieces it is held in.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        let name: &str = &self.name;
        self.parts.iter().enumerate().flat_map(move |(i, p)| [if i == 0 { "" } else { name }, &**p])
    }

    /// The whole text.
    pub fn text(&self) -> Cow<'_, str> {
        match &*self.parts {
            [one] => Cow::Borrowed(one),
            _ => Cow::Owned(self.pieces().collect()),
        }
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.pieces().flat_map(str::bytes)
    }
}

impl From<&str> for Remedy {
    fn from(text: &str) -> Self {
        Self::new(text, None)
    }
}

impl From<String> for Remedy {
    fn from(text: String) -> Self {
        Self::new(&text, None)
    }
}

impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().try_for_each(|p| f.write_str(p))
    }
}

impl fmt::Debug for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl PartialEq for Remedy {
    fn eq(&self, other: &Self) -> bool {
        (Arc::ptr_eq(&self.parts, &other.parts) && self.name == other.name) || self.bytes().eq(other.bytes())
    }
}

impl Eq for Remedy {}

/// As the whole text's: byte by byte, like `str`.
impl Ord for Remedy {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl PartialOrd for Remedy {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// As the whole text's `str` hash: the same whatever pieces hold it.
impl std::hash::Hash for Remedy {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text().hash(state);
    }
}

impl Serialize for Remedy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Finding {
    /// An EKS001 finding at `path:line:3` on `cluster`, for tests to
    /// change what they need of.
    #[cfg(test)]
    pub(crate) fn sample(path: &str, line: u32, cluster: &str) -> Self {
        Self {
            rule: "EKS001",
            name: "access-entry-on-config-map-cluster",
            severity: Severity::Error,
            message: format!("on {cluster}"),
            location: Location {
                path: Arc::from(path),
                pointer: "/Resources/E".into(),
                line,
                column: 3,
                source_line: None,
            },
            stack: None,
            cluster: Some(cluster.to_owned()),
            cluster_named_at_deploy: false,
            resource: None,
            related: Vec::new(),
            remediation: Remedy::new("fix it", None),
        }
    }

    pub(crate) fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.location.path,
            self.location.line,
            self.location.column,
            self.rule,
            &self.location.pointer,
            &self.message,
        )
    }
}

/// A finding's fingerprint: 16 hex digits, stable across runs, machines
/// and line shifts. The file is named as given; baselines name it from the
/// repository root instead (`crate::baseline::fingerprint`).
pub fn fingerprint(f: &Finding) -> String {
    fingerprint_at(f, &f.location.path)
}

/// [`fingerprint`], with the finding's file named `path`.
pub fn fingerprint_at(f: &Finding, path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    let mut hash = Fnv::default();
    let pointer = f.location.pointer.to_string();
    for part in [f.rule, path, &pointer, f.cluster.as_deref().unwrap_or("")] {
        hash.write(part.as_bytes());
        hash.write(&[0]);
    }
    format!("{:016x}", hash.0)
}

/// 64-bit FNV-1a: tiny, fixed forever, and good enough to tell findings
/// apart (this is not a security boundary). A [`std::hash::Hasher`] too,
/// for hashes that must be the same on every run and machine.
#[derive(Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// An input that could not be read or analysed, with why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InputError {
    pub path: Arc<str>,
    pub message: String,
}

/// An input that was read but holds nothing eksguard analyses, with why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Skipped {
    pub path: Arc<str>,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_share_their_halves_across_threads() {
        let pointers = Pointers::default();
        let a = pointers.pointer("/Resources/AccessEntry/Properties/ClusterName");
        let b = std::thread::scope(|s| {
            s.spawn(|| pointers.clone().pointer("/Resources/AccessEntry/Properties/ClusterName")).join()
        })
        .expect("thread");
        assert!(Arc::ptr_eq(&a.head, &b.head) && Arc::ptr_eq(&a.tail, &b.tail));
        let other = pointers.pointer("/Resources/Other/Properties/ClusterName");
        assert!(Arc::ptr_eq(&a.tail, &other.tail));
        assert_eq!(a.to_string(), "/Resources/AccessEntry/Properties/ClusterName");
        // A sweep keeps many locations: each costs this much beside its
        // shared texts (on 64-bit targets).
        #[cfg(target_pointer_width = "64")]
        assert_eq!(std::mem::size_of::<Location>(), 48);
    }

    #[test]
    fn visible_escapes_controls_once() {
        assert_eq!(visible("plain\tname é"), "plain\tname é");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        let forged = "a.json\n\x1b[2Kb.json:5:5: error[EKS001] x\r\x07\u{9b}\u{202e}\x7f";
        let shown = visible(forged);
        assert_eq!(shown, "a.json\\n\\x1b[2Kb.json:5:5: error[EKS001] x\\r\\x07\\u{9b}\\u{202e}\\x7f");
        assert!(!shown.chars().any(needs_escape));
        assert_eq!(visible(&shown), shown);
        let location = Location {
            path: Arc::from("x\ny.json"),
            pointer: Pointer::from(""),
            line: 1,
            column: 2,
            source_line: None,
        };
        assert_eq!(location.to_string(), "x\\ny.json:1:2");
    }

    #[test]
    fn pointers_compare_and_print_as_their_text() {
        let texts = [
            "",
            "/a",
            "/Resources/A",
            "/Resources/A/Properties",
            "/Resources/A/Properties/X",
            "/Resources/A~1B/x",
            "/Resources/AB/Properties/X/0",
            "/Resources/A/Properties/X/1",
            "/TemplateBody/Resources/A/Type",
        ];
        let pointers: Vec<Pointer> = texts.iter().map(|t| Pointer::from(*t)).collect();
        for (a, pa) in texts.iter().zip(&pointers) {
            assert_eq!(pa.to_string(), *a);
            assert_eq!(serde_json::to_value(pa).expect("json"), serde_json::json!(a));
            for (b, pb) in texts.iter().zip(&pointers) {
                assert_eq!(pa.cmp(pb), a.cmp(b), "{a} vs {b}");
                assert_eq!(pa == pb, a == b);
            }
        }
    }
}
