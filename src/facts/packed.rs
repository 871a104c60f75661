//! Packed facts: what a sweep keeps of each stack until correlation.
//!
//! Takes the [`Facts`] of a batch of documents, as extraction gives them;
//! gives them [`Packed`], one per fact, in order. The stacks' facts are
//! written together into one compact byte string (postcard) with the
//! [`Spots`] their locations share (paths, pointers, quoted lines) as
//! text, compressed (zstd), and each stack has the [`Keys`] by which
//! correlation can tell, without
//! unpacking anything, which stacks may bear on each other (a cluster
//! name, an export, a template file, a stack name). Unpacking gives back
//! exactly the facts that were packed.
//!
//! Facts in their working form cost about 1.3 KB per access entry and
//! 1.5 KB per cluster (fields, vectors, boxes and allocator rounding);
//! packed, a stack costs its text and a few bytes per field, and a batch of
//! stacks a handful of allocations made together once its documents are
//! freed, so that what a sweep keeps is dense rather than scattered among
//! the pages its transient allocations used. Correlation then unpacks one
//! group of related stacks at a time: a sweep holds the working form of a
//! group, not of the corpus.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::{Facts, StackFacts, TargetRef, suppress::Suppression};
use crate::correlate::{index32, stack_key};
use crate::finding::{Fnv, Pointers, Sealed, Spots};

/// One document's facts, kept to the end of a sweep: 16 bytes, a sweep
/// holds one for each stack it keeps (a stack's own place is in its chunk).
#[derive(Debug)]
pub enum Packed {
    /// The `at`th stack packed in `chunk`.
    Stack {
        chunk: Arc<Chunk>,
        at: u32,
    },
    /// A deployed template's stack, likewise.
    Deployed {
        chunk: Arc<Chunk>,
        at: u32,
    },
    /// Few in any sweep, and small: kept as they are.
    Live(Box<super::LiveCluster>),
    Suppressions(Box<Vec<Suppression>>),
}

/// The packed stacks of one batch of documents, together: their bytes one
/// after another and then the texts their locations share, compressed
/// (stacks of one batch repeat names, ARNs, types and directories), and
/// their keys.
#[derive(Debug)]
pub struct Chunk {
    /// The stacks' bytes, with the spots their locations name.
    sealed: Sealed,
    /// How many stacks the chunk holds.
    stacks: u32,
    /// For each stack, where its bytes and where its keys end (two numbers;
    /// each starts where the stack before it ends), then the keys of every
    /// stack, one after another: one allocation for all.
    table: Box<[u32]>,
}

impl Chunk {
    /// Runs `read` on the chunk's stacks' bytes with its spots lent, their
    /// pointers shared through `pointers`.
    fn open<T>(&self, pointers: &Pointers, read: impl FnOnce(&[u8]) -> T) -> T {
        self.sealed.open(pointers, read)
    }

    /// Where the `at`th stack's bytes and keys are: `(from, to)` each.
    fn spans(&self, at: u32) -> ((u32, u32), (u32, u32)) {
        let end = |i: u32| (self.table[2 * i as usize], self.table[2 * i as usize + 1]);
        let (from_bytes, from_keys) = if at == 0 { (0, 0) } else { end(at - 1) };
        let (to_bytes, to_keys) = end(at);
        ((from_bytes, to_bytes), (from_keys, to_keys))
    }

    /// The `at`th stack's keys.
    fn keys(&self, at: u32) -> &Keys {
        let (_, (from, to)) = self.spans(at);
        let keys_at = 2 * self.stacks as usize;
        &self.table[keys_at + from as usize..keys_at + to as usize]
    }
}

/// What may relate a stack (or live cluster) to others: 32-bit hashes of
/// the names it defines or refers to, each tagged by kind. Two stacks that
/// share no key do not bear on each other in correlation or in any rule; a
/// hash collision only puts unrelated stacks together, which changes
/// nothing but the size of a group (a 100k sweep's 150,000 keys meet about
/// three times). A sweep keeps them for every stack: 32 bits rather than
/// 64 save it 0.6 MB at 100k.
pub type Keys = [u32];

/// The kinds of name a key hashes; a name of one kind never meets another.
#[derive(Hash)]
enum Key<'a> {
    /// A cluster's name: defined, targeted, exported as text, or live.
    Cluster(&'a str),
    /// An export, offered or imported.
    Export(&'a str),
    /// A template file: a stack's own, or a nested stack's a parent names.
    Template(&'a str),
    /// A stack name as `--deployed` matches it ([`stack_key`]).
    Stack(&'a str),
}

fn hash(key: &Key<'_>) -> u32 {
    // Fixed, not random: the grouping, and so the work, is the same on
    // every run.
    let mut h = Fnv::default();
    key.hash(&mut h);
    let h = h.finish();
    // Both halves, folded.
    (h ^ (h >> 32)) as u32
}

/// The keys of a stack's facts, in `keys` (cleared first: one vector serves
/// a whole chunk's stacks), sorted and without repeats. `by_stack_name`: `--deployed` is in use, and stacks of
/// one name are compared with the deployed template of that name
/// (otherwise stack names relate nothing, and many stacks share one).
fn stack_keys(s: &StackFacts, by_stack_name: bool, keys: &mut Vec<u32>) {
    keys.clear();
    keys.push(hash(&Key::Template(&s.path)));
    let target = |t: &TargetRef, keys: &mut Vec<u32>| match t {
        TargetRef::Name { name, .. } => keys.push(hash(&Key::Cluster(name))),
        TargetRef::Import { export } => keys.push(hash(&Key::Export(export))),
        // Within the stack, or through its parent (related by the
        // template key), or nowhere.
        TargetRef::Local { .. } | TargetRef::Parameter { .. } | TargetRef::Unresolved { .. } => {}
    };
    for c in &s.clusters {
        if let Some(name) = &c.name {
            keys.push(hash(&Key::Cluster(name)));
        }
    }
    for e in &s.entries {
        target(&e.target, keys);
    }
    if let Some(affected) = s.prediction.as_ref().and_then(|p| p.affected.as_deref()) {
        target(&affected.entry.target, keys);
    }
    for e in &s.exports {
        keys.push(hash(&Key::Export(&e.name)));
        if let super::ExportValue::Text(name) = &e.value {
            keys.push(hash(&Key::Cluster(name)));
        }
    }
    for n in &s.nested {
        keys.push(hash(&Key::Template(&n.template)));
        for (_, t) in &n.parameters {
            target(t, keys);
        }
    }
    if by_stack_name {
        keys.push(hash(&Key::Stack(stack_key(&s.stack_name))));
    }
    keys.sort_unstable();
    keys.dedup();
}

/// One stack's facts from its chunk's decompressed bytes.
fn read_stack(bytes: &[u8], (from, to): (u32, u32)) -> Box<StackFacts> {
    let stack = postcard::from_bytes::<StackFacts>(&bytes[from as usize..to as usize]);
    // Packed by this process from facts that serialise: cannot fail unless
    // packing and unpacking disagree, which tests check.
    Box::new(stack.unwrap_or_else(|e| panic!("packed facts do not unpack: {e}")))
}

/// The `at`th stack packed in `chunk` (its whole chunk decompressed for it:
/// [`Packed::unpack_all`] opens a chunk once for all its stacks).
fn unpack_stack(chunk: &Chunk, at: u32) -> Box<StackFacts> {
    chunk.open(&Pointers::default(), |bytes| read_stack(bytes, chunk.spans(at).0))
}

impl Packed {
    /// Packs the facts of a batch of documents, in order, into one chunk.
    /// Facts that do not serialise (a bug, not an input's fault) panic
    /// here, where the stack is known, not at unpacking.
    pub fn pack_all(facts: Vec<Facts>, by_stack_name: bool) -> Vec<Packed> {
        if !facts.iter().any(|f| matches!(f, Facts::Stack(_) | Facts::Deployed(_))) {
            return facts.into_iter().map(Packed::small).collect();
        }
        // Where each stack's bytes and keys end (the chunk's table holds
        // them, then the keys).
        let mut ends: Vec<u32> = Vec::with_capacity(2 * facts.len());
        let (mut keys, mut stack_keys_of) = (Vec::new(), Vec::new());
        let (bytes, spots) = Spots::collect(|| {
            let mut bytes = Vec::new();
            for f in &facts {
                let (Facts::Stack(stack) | Facts::Deployed(stack)) = f else { continue };
                bytes = postcard::to_extend(&**stack, bytes)
                    .unwrap_or_else(|e| panic!("the facts of {} do not pack: {e}", stack.path));
                stack_keys(stack, by_stack_name || matches!(f, Facts::Deployed(_)), &mut stack_keys_of);
                keys.extend_from_slice(&stack_keys_of);
                ends.extend([index32(bytes.len()), index32(keys.len())]);
            }
            bytes
        });
        // Made once the facts are packed, sized to fit, one after another;
        // the paths and pointers go with the bytes, as text that compresses
        // well (most of a batch's paths share their directories, and its
        // pointers their resources' names).
        let stacks = index32(ends.len() / 2);
        let table: Box<[u32]> = ends.iter().chain(&keys).copied().collect();
        drop((ends, keys));
        let chunk = Arc::new(Chunk { sealed: Sealed::new(bytes, spots), stacks, table });
        let mut at = 0..stacks;
        facts
            .into_iter()
            .map(|f| match f {
                Facts::Stack(_) => Packed::Stack { chunk: Arc::clone(&chunk), at: at.next().unwrap_or_default() },
                Facts::Deployed(_) => Packed::Deployed { chunk: Arc::clone(&chunk), at: at.next().unwrap_or_default() },
                other => Packed::small(other),
            })
            .collect()
    }

    /// Facts kept as they are.
    fn small(facts: Facts) -> Self {
        match facts {
            Facts::Live(l) => Self::Live(l),
            Facts::Suppressions(s) => Self::Suppressions(Box::new(s)),
            // Packed by [`Packed::pack_all`].
            Facts::Stack(s) | Facts::Deployed(s) => panic!("{} was not packed", s.path),
        }
    }

    /// The facts that were packed, in order; each chunk is opened once,
    /// the chunks in parallel.
    pub fn unpack_all(packed: Vec<Packed>) -> Vec<Facts> {
        use rayon::prelude::*;
        let mut out: Vec<Option<Facts>> = Vec::with_capacity(packed.len());
        // The stacks of each chunk, with their place in `out`.
        let mut chunks: Vec<(Arc<Chunk>, Vec<InChunk>)> = Vec::new();
        let mut chunk_at: std::collections::HashMap<*const Chunk, usize> = std::collections::HashMap::new();
        for (i, p) in packed.into_iter().enumerate() {
            let (chunk, at, deployed) = match p {
                Self::Stack { chunk, at } => (chunk, at, false),
                Self::Deployed { chunk, at } => (chunk, at, true),
                small => {
                    out.push(Some(small.unpack()));
                    continue;
                }
            };
            out.push(None);
            let spans = chunk.spans(at).0;
            let place = *chunk_at.entry(Arc::as_ptr(&chunk)).or_insert_with(|| {
                chunks.push((Arc::clone(&chunk), Vec::new()));
                chunks.len() - 1
            });
            chunks[place].1.push((i, spans, deployed));
        }
        drop(chunk_at);
        // The stacks' pointers, shared among all the chunks: a batch of
        // related stacks comes from many chunks and names the same
        // resources and properties.
        let pointers = Pointers::default();
        let unpacked: Vec<Vec<(usize, Facts)>> = chunks
            .into_par_iter()
            .map(|(chunk, stacks)| {
                chunk.open(&pointers, |bytes| {
                    let facts = |(i, span, deployed): InChunk| {
                        let stack = read_stack(bytes, span);
                        (i, if deployed { Facts::Deployed(stack) } else { Facts::Stack(stack) })
                    };
                    stacks.into_iter().map(facts).collect()
                })
            })
            .collect();
        for (i, facts) in unpacked.into_iter().flatten() {
            out[i] = Some(facts);
        }
        out.into_iter().flatten().collect()
    }

    /// The facts that were packed.
    pub fn unpack(self) -> Facts {
        match self {
            Self::Stack { chunk, at } => Facts::Stack(unpack_stack(&chunk, at)),
            Self::Deployed { chunk, at } => Facts::Deployed(unpack_stack(&chunk, at)),
            Self::Live(l) => Facts::Live(l),
            Self::Suppressions(s) => Facts::Suppressions(*s),
        }
    }

    /// The keys that relate these facts to others' (see [`Keys`]); a live
    /// cluster's is its name. Suppressions relate to nothing.
    pub fn keys(&self) -> std::borrow::Cow<'_, Keys> {
        match self {
            Self::Stack { chunk, at } | Self::Deployed { chunk, at } => chunk.keys(*at).into(),
            Self::Live(l) => vec![hash(&Key::Cluster(&l.name))].into(),
            Self::Suppressions(_) => Vec::new().into(),
        }
    }
}

/// A stack to unpack from a chunk: its place among the facts unpacked,
/// its bytes, and whether it is a deployed template.
type InChunk = (usize, (u32, u32), bool);

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::facts::{FactOptions, extract};
    use crate::load::{Outcome, recognise};

    /// Every fact of every file under `dir`, packed and unpacked, is the
    /// fact it was (compared by its full `Debug` text: every field, every
    /// location with its pointer and quoted line). Facts are packed in
    /// chunks of `per_chunk` files, as a sweep packs a batch of inputs.
    /// Gives the stacks seen.
    fn round_trip_under(dir: &Path, per_chunk: usize) -> usize {
        let mut stacks = 0;
        let files: Vec<_> = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .collect();
        for files in files.chunks(per_chunk) {
            let mut facts = Vec::new();
            for entry in files {
                let Ok(bytes) = std::fs::read(entry.path()) else { continue };
                let path: Arc<str> = Arc::from(entry.path().to_string_lossy().as_ref());
                let Outcome::Documents(docs) = recognise(&path, bytes, true) else { continue };
                for doc in &docs {
                    facts.extend(extract(doc, &FactOptions::default()));
                }
            }
            stacks += facts.iter().filter(|f| matches!(f, Facts::Stack(_))).count();
            let before: Vec<String> = facts.iter().map(|f| format!("{f:?}")).collect();
            let packed = Packed::pack_all(facts, true);
            assert_eq!(packed.len(), before.len());
            for (p, before) in packed.into_iter().zip(before) {
                assert_eq!(before, format!("{:?}", p.unpack()));
            }
        }
        stacks
    }

    #[test]
    fn unpacking_gives_back_what_was_packed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for per_chunk in [1, 64, usize::MAX] {
            assert!(round_trip_under(&root.join("samples"), per_chunk) > 40);
        }
        let corpus = root.join("../shared/corpus/eksctl");
        if corpus.is_dir() {
            assert!(round_trip_under(&corpus, 64) > 0);
        } else {
            eprintln!("skipped the eksctl corpus: {} is absent", corpus.display());
        }
    }

    #[test]
    fn a_quoted_line_survives_packing() {
        let mut facts = extract_one(
            "t.yaml",
            "Resources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: c\n      PrincipalArn: arn:aws:iam::1:role/r\n",
        );
        let Facts::Stack(s) = &mut facts else { panic!("{facts:?}") };
        s.entries[0].location.source_line = Some(Arc::new("    Type: AWS::EKS::AccessEntry".to_owned()));
        let before = format!("{facts:?}");
        assert!(before.contains("source_line: Some(\"    Type: AWS::EKS::AccessEntry"), "{before}");
        assert_eq!(format!("{:?}", pack_one(facts).unpack()), before);
    }

    fn pack_one(facts: Facts) -> Packed {
        Packed::pack_all(vec![facts], false).remove(0)
    }

    fn extract_one(path: &str, text: &str) -> Facts {
        let Outcome::Documents(docs) = recognise(&Arc::from(path), text.as_bytes().to_vec(), true) else {
            panic!("not read")
        };
        extract(&docs[0], &FactOptions::default()).remove(0)
    }

    #[test]
    fn stacks_on_one_cluster_share_a_key_and_others_do_not() {
        let cluster =
            extract_one("c.yaml", "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: prod\n");
        let entry = extract_one(
            "e.yaml",
            "Resources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: prod\n      PrincipalArn: arn:aws:iam::1:role/r\n",
        );
        let other = extract_one(
            "o.yaml",
            "Resources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    Properties:\n      ClusterName: dev\n      PrincipalArn: arn:aws:iam::1:role/r\n",
        );
        let keys = |f: Facts| pack_one(f).keys().into_owned();
        let (c, e, o) = (keys(cluster), keys(entry), keys(other));
        assert!(c.iter().any(|k| e.contains(k)));
        assert!(!o.iter().any(|k| c.contains(k) || e.contains(k)));
    }

    #[test]
    fn a_packed_fact_is_two_words() {
        assert_eq!(std::mem::size_of::<Packed>(), 16);
    }

    #[test]
    fn kinds_of_name_never_meet() {
        assert_ne!(hash(&Key::Cluster("a")), hash(&Key::Export("a")));
        assert_ne!(hash(&Key::Template("a")), hash(&Key::Stack("a")));
        assert_eq!(hash(&Key::Cluster("prod")), hash(&Key::Cluster("prod")));
    }
}
