//! What the report holds, packed.
//!
//! Takes the findings (the rules' and Guard's) and cluster summaries of
//! each batch a sweep checks; gives them back exactly as they were, in
//! report order, one block at a time. A block of findings, or of
//! summaries, is one compressed byte string (postcard, zstd) with the paths,
//! pointers and quoted lines of their locations as text, as
//! [`crate::facts::packed`] keeps facts. A finding in its working form is
//! about a kilobyte (its message, its locations, the related places and
//! what they show), a summary a few hundred bytes; packed, they are a
//! fraction of that. Each batch's items are sorted and sealed as a run of
//! small blocks; [`Items::merge`] merges the runs into report order holding
//! one block of each in its working form, and the report keeps the result
//! as [`Items`] that renderers read a block at a time: a sweep never holds
//! all its findings unpacked. Reading gives the fixes' text shared among
//! the findings again, and their pointers.

use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{ClusterSummary, ModeSummary};
use crate::correlate::index32;
use crate::facts::ModeSource;
use crate::finding::{Finding, Location, Pointers, Related, Remedy, Sealed, Severity, Spots, spot_path};

/// Items of one batch, packed.
#[derive(Debug, Clone)]
pub struct Held<T> {
    /// The items' bytes, one after another, with the spots their locations
    /// name.
    sealed: Sealed,
    count: u32,
    items: PhantomData<T>,
}

/// What is shared among the items unpacked together.
#[derive(Debug, Default)]
pub struct Sharing {
    pointers: Pointers,
    fixes: HashSet<Arc<[Box<str>]>>,
}

/// An item a report holds, as it is packed.
pub trait Hold: Sized {
    /// Appends the item to `bytes` (locations as spots: see [`Spots`]).
    fn pack(&self, bytes: Vec<u8>) -> postcard::Result<Vec<u8>>;

    /// Reads one item from the front of `bytes`, spots lent; gives the rest.
    fn unpack<'a>(bytes: &'a [u8], sharing: &mut Sharing) -> postcard::Result<(Self, &'a [u8])>;
}

impl<T: Hold> Held<T> {
    /// Packs `items`, in order. They always serialise: a failure is a bug,
    /// and panics here.
    pub fn pack(items: &[T]) -> Self {
        let (bytes, spots) = Spots::collect(|| items.iter().try_fold(Vec::new(), |bytes, item| item.pack(bytes)));
        let bytes = bytes.unwrap_or_else(|e| panic!("a report item does not pack: {e}"));
        Self { sealed: Sealed::new(bytes, spots), count: index32(items.len()), items: PhantomData }
    }

    /// How many items are packed.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The items, in a vector of their own.
    fn unpack(&self, sharing: &mut Sharing) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        self.unpack_into(&mut out, sharing);
        out
    }

    fn unpack_into(&self, out: &mut Vec<T>, sharing: &mut Sharing) {
        // The set itself is shared (a clone is another handle on it).
        let pointers = sharing.pointers.clone();
        self.sealed.open(&pointers, |mut rest| {
            for _ in 0..self.count {
                // Packed by this process in memory: cannot fail unless
                // packing and unpacking disagree, which tests check.
                let (item, left) =
                    T::unpack(rest, sharing).unwrap_or_else(|e| panic!("packed report items do not unpack: {e}"));
                out.push(item);
                rest = left;
            }
        });
    }
}

/// Items in order, held packed a block at a time until they are read, one
/// block at a time: what a report holds of its findings and cluster
/// summaries, however many a sweep gives. Reading them makes them anew
/// (each block's fixes and pointers shared again); the items held do not
/// change but by [`Items::retain`] and [`Items::map_blocks`], which seal
/// them again block by block.
#[derive(Clone)]
pub struct Items<T> {
    blocks: Vec<Held<T>>,
    len: usize,
    block: usize,
}

/// Items a block holds unless told otherwise: enough that a block
/// compresses well, few enough that a block in its working form is small.
pub const BLOCK: usize = 128;

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self { blocks: Vec::new(), len: 0, block: BLOCK }
    }
}

impl<T: Hold> Items<T> {
    /// `items`, in order, sealed in blocks of `block`.
    pub fn sealed(items: &[T], block: usize) -> Self {
        let block = block.max(1);
        Self { blocks: items.chunks(block).map(Held::pack).collect(), len: items.len(), block }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The items, in order, made anew; one block is unpacked at a time.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        let mut sharing = Sharing::default();
        self.blocks.iter().flat_map(move |b| b.unpack(&mut sharing))
    }

    /// Every item, in one vector.
    pub fn to_vec(&self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        let mut sharing = Sharing::default();
        for b in &self.blocks {
            b.unpack_into(&mut out, &mut sharing);
        }
        out
    }

    /// Runs `f` on each block's items in turn, in order, and seals what it
    /// leaves of them again.
    pub fn map_blocks(&mut self, mut f: impl FnMut(&mut Vec<T>)) {
        let mut out = Builder::new(self.block);
        let mut sharing = Sharing::default();
        for b in std::mem::take(&mut self.blocks) {
            let mut items = b.unpack(&mut sharing);
            drop(b);
            f(&mut items);
            out.extend(items);
        }
        *self = out.finish();
    }

    /// Keeps the items `keep` says to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.map_blocks(|items| items.retain(&mut keep));
    }

    /// The items of every run, each run in `order`, merged into one
    /// sequence in `order` (ties by run, then by place in the run: what a
    /// stable sort of the runs one after another gives), each with the
    /// index of its run. One block of each run is unpacked at a time, and
    /// each is freed once read.
    pub fn merge(
        runs: Vec<Items<T>>,
        order: impl Fn(&T, &T) -> std::cmp::Ordering,
    ) -> Merge<T, impl Fn(&T, &T) -> std::cmp::Ordering> {
        let mut cursors: Vec<Cursor<T>> = runs
            .into_iter()
            .map(|r| Cursor { blocks: r.blocks.into_iter(), items: Vec::new().into_iter(), head: None })
            .collect();
        let mut sharing = Sharing::default();
        for c in &mut cursors {
            c.advance(&mut sharing);
        }
        let mut merge = Merge { cursors, heap: Vec::new(), sharing, order };
        for run in 0..merge.cursors.len() {
            if merge.cursors[run].head.is_some() {
                merge.push(run);
            }
        }
        merge
    }
}

impl<T: Hold> From<Vec<T>> for Items<T> {
    fn from(items: Vec<T>) -> Self {
        Self::sealed(&items, BLOCK)
    }
}

impl<T: Hold + std::fmt::Debug> std::fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Hold + Serialize> Serialize for Items<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Items sealed into [`Items`] a block at a time as they come.
pub struct Builder<T> {
    items: Items<T>,
    pending: Vec<T>,
}

impl<T> std::fmt::Debug for Builder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder").field("sealed", &self.items.len).field("pending", &self.pending.len()).finish()
    }
}

impl<T: Hold> Builder<T> {
    pub fn new(block: usize) -> Self {
        let block = block.max(1);
        Self { items: Items { block, ..Items::default() }, pending: Vec::with_capacity(block) }
    }

    pub fn push(&mut self, item: T) {
        self.pending.push(item);
        if self.pending.len() >= self.items.block {
            self.seal();
        }
    }

    pub fn extend(&mut self, items: impl IntoIterator<Item = T>) {
        for item in items {
            self.push(item);
        }
    }

    fn seal(&mut self) {
        if !self.pending.is_empty() {
            self.items.blocks.push(Held::pack(&self.pending));
            self.items.len += self.pending.len();
            self.pending.clear();
        }
    }

    pub fn finish(mut self) -> Items<T> {
        self.seal();
        self.items
    }
}

/// Sorted runs of items, collected as they come and merged as they gather
/// ([`Runs::push`]): a merge holds one unpacked block of each run it
/// merges, and a sweep's batches give a run each (about a hundred at
/// 100,000 templates), so that one merge of them all would hold a hundred
/// blocks in their working form at once. Every [`FAN`] runs of one level
/// are merged into one run of the next, as a binary counter carries:
/// [`Runs::into_runs`] then gives at most `FAN - 1` runs per level, in the
/// order their items came, and merging those gives what merging the runs
/// pushed gives (the merge is stable, and only runs next to each other are
/// merged together).
pub struct Runs<T, O> {
    /// The runs, in the order their items came, each with its level.
    runs: Vec<(u32, Items<T>)>,
    order: O,
}

/// How many runs of one level [`Runs`] merges together.
pub const FAN: usize = 16;

impl<T, O> std::fmt::Debug for Runs<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runs").field("runs", &self.runs.len()).finish()
    }
}

impl<T: Hold, O: Fn(&T, &T) -> std::cmp::Ordering + Copy> Runs<T, O> {
    /// No runs yet; each to be sorted by `order`.
    pub fn new(order: O) -> Self {
        Self { runs: Vec::new(), order }
    }

    /// Adds a sorted run (an empty one is left out) after those before it,
    /// and merges the last [`FAN`] runs into one while they are of one level.
    pub fn push(&mut self, run: Items<T>) {
        if run.is_empty() {
            return;
        }
        self.runs.push((0, run));
        while self.runs.len() >= FAN {
            let last = &self.runs[self.runs.len() - FAN..];
            let level = last[0].0;
            if last.iter().any(|(l, _)| *l != level) {
                break;
            }
            let gathered: Vec<Items<T>> = self.runs.drain(self.runs.len() - FAN..).map(|(_, r)| r).collect();
            let mut merged = Builder::new(gathered[0].block);
            merged.extend(Items::merge(gathered, self.order).map(|(_, item)| item));
            self.runs.push((level + 1, merged.finish()));
        }
    }

    /// The runs, in the order their items came.
    pub fn into_runs(self) -> Vec<Items<T>> {
        self.runs.into_iter().map(|(_, r)| r).collect()
    }
}

/// Where [`Items::merge`] is in one run.
struct Cursor<T> {
    blocks: std::vec::IntoIter<Held<T>>,
    items: std::vec::IntoIter<T>,
    head: Option<T>,
}

impl<T: Hold> Cursor<T> {
    /// The next item as the head, unpacking the next block when it must.
    fn advance(&mut self, sharing: &mut Sharing) {
        self.head = self.items.next();
        while self.head.is_none() {
            let Some(block) = self.blocks.next() else { return };
            self.items = block.unpack(sharing).into_iter();
            self.head = self.items.next();
        }
    }
}

/// The merged items of [`Items::merge`]: `(run, item)`, in order.
pub struct Merge<T, O> {
    cursors: Vec<Cursor<T>>,
    /// The runs with a head, as a binary heap: the least head (by `order`,
    /// then by run) first.
    heap: Vec<usize>,
    sharing: Sharing,
    order: O,
}

impl<T, O> std::fmt::Debug for Merge<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merge").field("runs", &self.cursors.len()).field("with_heads", &self.heap.len()).finish()
    }
}

impl<T: Hold, O: Fn(&T, &T) -> std::cmp::Ordering> Merge<T, O> {
    /// Does run `a`'s head come before run `b`'s?
    fn before(&self, a: usize, b: usize) -> bool {
        match (&self.cursors[a].head, &self.cursors[b].head) {
            (Some(x), Some(y)) => (self.order)(x, y).then(a.cmp(&b)).is_lt(),
            _ => false,
        }
    }

    fn push(&mut self, run: usize) {
        self.heap.push(run);
        let mut at = self.heap.len() - 1;
        while at > 0 {
            let parent = (at - 1) / 2;
            if !self.before(self.heap[at], self.heap[parent]) {
                break;
            }
            self.heap.swap(at, parent);
            at = parent;
        }
    }

    /// Restores the heap from the top down.
    fn sift_down(&mut self) {
        let mut at = 0;
        loop {
            let (left, right) = (2 * at + 1, 2 * at + 2);
            let mut least = at;
            if left < self.heap.len() && self.before(self.heap[left], self.heap[least]) {
                least = left;
            }
            if right < self.heap.len() && self.before(self.heap[right], self.heap[least]) {
                least = right;
            }
            if least == at {
                return;
            }
            self.heap.swap(at, least);
            at = least;
        }
    }
}

impl<T: Hold, O: Fn(&T, &T) -> std::cmp::Ordering> Iterator for Merge<T, O> {
    type Item = (usize, T);

    fn next(&mut self) -> Option<(usize, T)> {
        let run = *self.heap.first()?;
        let cursor = &mut self.cursors[run];
        let item = cursor.head.take()?;
        cursor.advance(&mut self.sharing);
        if self.cursors[run].head.is_none() {
            let last = self.heap.pop().unwrap_or(run);
            if !self.heap.is_empty() {
                self.heap[0] = last;
            }
        }
        self.sift_down();
        Some((run, item))
    }
}

/// A finding as it is packed: its fields in order, the rule's id and name
/// as text (given back as the `'static` names they were), each related
/// place as its location and message, the fix as its pieces and the name
/// between them.
type FindingOut<'a> = (
    (&'a str, &'a str, Severity, &'a str, &'a Location),
    (Option<&'a str>, Option<&'a str>, bool, Option<&'a str>),
    Vec<(&'a Location, &'a str)>,
    (Vec<&'a str>, &'a str),
);

/// [`FindingOut`], read back: the same shapes, owned where they must be.
type FindingIn<'a> = (
    (&'a str, &'a str, Severity, &'a str, Location),
    (Option<&'a str>, Option<&'a str>, bool, Option<&'a str>),
    Vec<(Location, &'a str)>,
    (Vec<&'a str>, &'a str),
);

impl Hold for Finding {
    fn pack(&self, bytes: Vec<u8>) -> postcard::Result<Vec<u8>> {
        let f = self;
        let out: FindingOut<'_> = (
            (f.rule, f.name, f.severity, &f.message, &f.location),
            (f.stack.as_deref(), f.cluster.as_deref(), f.cluster_named_at_deploy, f.resource.as_deref()),
            f.related.iter().map(|r| (&r.location, &*r.message)).collect(),
            f.remediation.parts(),
        );
        postcard::to_extend(&out, bytes)
    }

    fn unpack<'a>(bytes: &'a [u8], sharing: &mut Sharing) -> postcard::Result<(Self, &'a [u8])> {
        let (f, rest): (FindingIn<'_>, _) = postcard::take_from_bytes(bytes)?;
        let ((rule, name, severity, message, location), (stack, cluster, at_deploy, resource), related, fix) = f;
        let finding = Finding {
            rule: crate::rules::static_name(rule),
            name: crate::rules::static_name(name),
            severity,
            message: message.to_owned(),
            location,
            stack: stack.map(str::to_owned),
            cluster: cluster.map(str::to_owned),
            cluster_named_at_deploy: at_deploy,
            resource: resource.map(str::to_owned),
            related: related
                .into_iter()
                .map(|(location, message)| Related { location, message: message.to_owned() })
                .collect(),
            remediation: Remedy::from_parts(&fix.0, fix.1).sharing(&mut sharing.fixes),
        };
        Ok((finding, rest))
    }
}

/// A [`ModeSummary`] as it is packed (its path as a spot).
#[derive(Serialize, Deserialize)]
struct ModePacked<'a> {
    stack: Option<&'a str>,
    #[serde(with = "spot_path")]
    path: Arc<str>,
    line: u32,
    column: u32,
    mode: Option<&'a str>,
    source: &'a str,
}

impl<'a> ModePacked<'a> {
    fn of(m: &'a ModeSummary) -> Self {
        Self {
            stack: m.stack.as_deref(),
            path: m.path.clone(),
            line: m.line,
            column: m.column,
            mode: m.mode.as_deref(),
            source: m.source,
        }
    }

    fn summary(self) -> ModeSummary {
        ModeSummary {
            stack: self.stack.map(str::to_owned),
            path: self.path,
            line: self.line,
            column: self.column,
            mode: self.mode.map(str::to_owned),
            source: static_slug(self.source),
        }
    }
}

/// A [`ClusterSummary`] as it is packed.
#[derive(Serialize, Deserialize)]
struct ClusterPacked<'a> {
    name: Option<&'a str>,
    named_at_deploy: bool,
    mode: Option<&'a str>,
    source: Option<&'a str>,
    #[serde(borrow)]
    definitions: Vec<ModePacked<'a>>,
    #[serde(borrow)]
    live: Option<ModePacked<'a>>,
    conflict: bool,
    known_by_place: bool,
}

/// A mode source's slug as the `'static` text a summary holds.
fn static_slug(slug: &str) -> &'static str {
    // Packed from a slug: cannot fail unless packing and unpacking disagree.
    ModeSource::SLUGS.iter().find(|s| **s == slug).unwrap_or_else(|| panic!("{slug} is no mode source"))
}

impl Hold for ClusterSummary {
    fn pack(&self, bytes: Vec<u8>) -> postcard::Result<Vec<u8>> {
        let c = self;
        let packed = ClusterPacked {
            name: c.name.as_deref(),
            named_at_deploy: c.named_at_deploy,
            mode: c.mode.as_deref(),
            source: c.source,
            definitions: c.definitions.iter().map(ModePacked::of).collect(),
            live: c.live.as_ref().map(ModePacked::of),
            conflict: c.conflict,
            known_by_place: c.known_by_place,
        };
        postcard::to_extend(&packed, bytes)
    }

    fn unpack<'a>(bytes: &'a [u8], _: &mut Sharing) -> postcard::Result<(Self, &'a [u8])> {
        let (c, rest): (ClusterPacked<'_>, _) = postcard::take_from_bytes(bytes)?;
        let summary = ClusterSummary {
            name: c.name.map(str::to_owned),
            named_at_deploy: c.named_at_deploy,
            mode: c.mode.map(str::to_owned),
            source: c.source.map(static_slug),
            definitions: c.definitions.into_iter().map(ModePacked::summary).collect(),
            live: c.live.map(ModePacked::summary),
            conflict: c.conflict,
            known_by_place: c.known_by_place,
        };
        Ok((summary, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `items`, packed in blocks of `per_block` and unpacked (whole and
    /// one at a time), compared by their full `Debug` text (every field,
    /// every location with its pointer and quoted line).
    fn round_trip<T: Hold + std::fmt::Debug>(items: &[T]) {
        let before: Vec<String> = items.iter().map(|f| format!("{f:?}")).collect();
        for per_block in [1, 7, items.len()] {
            let held = Items::sealed(items, per_block);
            assert_eq!(held.len(), items.len());
            let after: Vec<String> = held.to_vec().iter().map(|f| format!("{f:?}")).collect();
            assert_eq!(after, before, "in blocks of {per_block}");
            let after: Vec<String> = held.iter().map(|f| format!("{f:?}")).collect();
            assert_eq!(after, before, "in blocks of {per_block}, one at a time");
        }
    }

    /// Every finding and cluster summary of the samples, packed in batches
    /// and unpacked, is what it was.
    #[test]
    fn unpacking_gives_back_what_was_packed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = crate::ScanConfig {
            paths: vec![root.join("samples").to_string_lossy().into_owned()],
            ..crate::ScanConfig::default()
        };
        let report = crate::scan(&config).expect("the samples scan");
        let mut findings = report.findings.to_vec();
        assert!(findings.len() > 30, "{}", findings.len());
        // A quoted line, no related place and a Guard rule survive too.
        findings[0].location.source_line = Some(Arc::new("  Quoted: line".to_owned()));
        findings[1].related.clear();
        findings[2].rule = crate::rules::guard::intern("a_guard_rule");
        findings[2].name = crate::rules::guard::FINDING_NAME;
        round_trip(&findings);
        let clusters = report.clusters.to_vec();
        assert!(clusters.iter().any(|c| c.live.is_some()) && clusters.iter().any(|c| c.definitions.len() > 1));
        round_trip(&clusters);
    }

    #[test]
    fn fixes_are_shared_again_once_unpacked() {
        let f = |cluster: &str| Finding {
            remediation: Remedy::new(&format!("run it on {cluster}, then {cluster} again"), Some(cluster)),
            ..Finding::sample("t.yaml", 3, cluster)
        };
        let out = Items::sealed(&[f("prod-one"), f("prod-two")], 1).to_vec();
        assert_eq!(out[0].remediation.text(), "run it on prod-one, then prod-one again");
        assert!(out[0].remediation.shares_parts_with(&out[1].remediation));
    }

    #[test]
    fn every_mode_source_slug_is_known_once() {
        let slugs: std::collections::BTreeSet<&str> = ModeSource::SLUGS.into_iter().collect();
        assert_eq!(slugs.len(), ModeSource::SLUGS.len());
        assert_eq!(static_slug(ModeSource::Live.slug()), "live");
    }

    /// A small item to merge: `(key, id)`, ordered by key alone.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Item(u8, u16);

    impl Hold for Item {
        fn pack(&self, bytes: Vec<u8>) -> postcard::Result<Vec<u8>> {
            postcard::to_extend(&(self.0, self.1), bytes)
        }

        fn unpack<'a>(bytes: &'a [u8], _: &mut Sharing) -> postcard::Result<(Self, &'a [u8])> {
            let ((key, id), rest): ((u8, u16), _) = postcard::take_from_bytes(bytes)?;
            Ok((Item(key, id), rest))
        }
    }

    proptest::proptest! {
        /// Merging sorted runs gives what a stable sort of the runs one
        /// after another gives (ties by run, then by place), each item
        /// with its run, whatever the blocks' size.
        #[test]
        fn a_merge_is_a_stable_sort_of_the_runs(
            runs in proptest::collection::vec(proptest::collection::vec(0u8..6, 0..40), 0..12),
            block in 1usize..9,
        ) {
            let mut id = 0u16;
            let runs: Vec<Vec<Item>> = runs
                .into_iter()
                .map(|keys| {
                    let mut run: Vec<Item> = keys.into_iter().map(|k| { id += 1; Item(k, id) }).collect();
                    run.sort_by_key(|i| i.0);
                    run
                })
                .collect();
            let mut expected: Vec<(usize, Item)> =
                runs.iter().enumerate().flat_map(|(r, run)| run.iter().map(move |i| (r, *i))).collect();
            expected.sort_by_key(|(_, i)| i.0);
            let sealed = runs.iter().map(|r| Items::sealed(r, block)).collect();
            let merged: Vec<(usize, Item)> = Items::merge(sealed, |a: &Item, b: &Item| a.0.cmp(&b.0)).collect();
            proptest::prop_assert_eq!(merged, expected);
        }

        /// Runs gathered as they come ([`Runs`], which merges every
        /// [`FAN`] of a level on the way), then merged, give the items in
        /// the order a stable sort of all the runs one after another gives;
        /// at most `FAN - 1` runs of each level are left to merge.
        #[test]
        fn runs_gathered_then_merged_are_a_stable_sort(
            runs in proptest::collection::vec(proptest::collection::vec(0u8..6, 0..12), 0..80),
            block in 1usize..6,
        ) {
            let mut id = 0u16;
            let mut gathered = Runs::new(|a: &Item, b: &Item| a.0.cmp(&b.0));
            let mut expected = Vec::new();
            for keys in runs {
                let mut run: Vec<Item> = keys.into_iter().map(|k| { id += 1; Item(k, id) }).collect();
                run.sort_by_key(|i| i.0);
                expected.extend(run.iter().copied());
                gathered.push(Items::sealed(&run, block));
            }
            expected.sort_by_key(|i| i.0);
            let left = gathered.into_runs();
            let levels = (usize::BITS - expected.len().leading_zeros()) as usize;
            proptest::prop_assert!(left.len() <= (FAN - 1) * levels.max(1), "{} runs left", left.len());
            let merged: Vec<Item> = Items::merge(left, |a: &Item, b: &Item| a.0.cmp(&b.0)).map(|(_, i)| i).collect();
            proptest::prop_assert_eq!(merged, expected);
        }

        /// Keeping some items and changing others, block by block, gives
        /// what doing so to a vector gives.
        #[test]
        fn retain_and_map_blocks_act_as_on_a_vector(
            keys in proptest::collection::vec(0u8..10, 0..60),
            block in 1usize..9,
        ) {
            let items: Vec<Item> = keys.iter().zip(0u16..).map(|(&k, i)| Item(k, i)).collect();
            let mut held = Items::sealed(&items, block);
            held.retain(|i| i.0 % 3 != 0);
            held.map_blocks(|b| b.iter_mut().for_each(|i| i.0 += 1));
            let expected: Vec<Item> = items.iter().filter(|i| i.0 % 3 != 0).map(|i| Item(i.0 + 1, i.1)).collect();
            proptest::prop_assert_eq!(held.len(), expected.len());
            proptest::prop_assert_eq!(held.to_vec(), expected);
        }
    }
}
