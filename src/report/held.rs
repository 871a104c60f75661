//! What the report will hold, packed until it is put together.
//!
//! Takes the findings (the rules' and Guard's) and cluster summaries of
//! each batch a sweep checks; gives them back, all of them and exactly as
//! they were, when the report is put together. In between, a batch's
//! findings, and its summaries, are one compressed byte string (postcard,
//! LZ4) with the paths and pointers of their locations as text, as
//! [`crate::facts::packed`] keeps facts. A finding in its working form is
//! about a kilobyte (its message, its locations, the related places and
//! what they show), a summary a few hundred bytes; packed, they are a
//! fraction of that, and a sweep holds them while the rest of its batches
//! are checked. Unpacking gives back one vector made at its size, with the
//! fixes' text shared among the findings again, and their pointers.

use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{ClusterSummary, ModeSummary};
use crate::correlate::index32;
use crate::facts::ModeSource;
use crate::finding::{Finding, Location, Pointers, Related, Remedy, Sealed, Severity, Spots, spot_path};

/// Items of one batch, packed.
#[derive(Debug)]
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

    /// Every item of `held`, in order, into one vector made at its size;
    /// each batch's bytes are freed as it is read.
    pub fn unpack_all(held: Vec<Held<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(held.iter().map(Held::len).sum());
        let mut sharing = Sharing::default();
        for h in held {
            h.unpack_into(&mut out, &mut sharing);
        }
        out
    }

    fn unpack_into(self, out: &mut Vec<T>, sharing: &mut Sharing) {
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

    /// `items`, packed in batches of `per_batch` and unpacked, compared by
    /// their full `Debug` text (every field, every location with its
    /// pointer and quoted line).
    fn round_trip<T: Hold + std::fmt::Debug>(items: &[T]) {
        let before: Vec<String> = items.iter().map(|f| format!("{f:?}")).collect();
        for per_batch in [1, 7, items.len()] {
            let held: Vec<Held<T>> = items.chunks(per_batch).map(Held::pack).collect();
            assert_eq!(held.iter().map(Held::len).sum::<usize>(), items.len());
            let after: Vec<String> = Held::unpack_all(held).iter().map(|f| format!("{f:?}")).collect();
            assert_eq!(after, before, "in batches of {per_batch}");
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
        let mut findings = report.findings;
        assert!(findings.len() > 30, "{}", findings.len());
        // A quoted line, no related place and a Guard rule survive too.
        findings[0].location.source_line = Some(Arc::new("  Quoted: line".to_owned()));
        findings[1].related.clear();
        findings[2].rule = crate::rules::guard::intern("a_guard_rule");
        findings[2].name = crate::rules::guard::FINDING_NAME;
        round_trip(&findings);
        let clusters = report.clusters;
        assert!(clusters.iter().any(|c| c.live.is_some()) && clusters.iter().any(|c| c.definitions.len() > 1));
        round_trip(&clusters);
    }

    #[test]
    fn fixes_are_shared_again_once_unpacked() {
        let f = |cluster: &str| Finding {
            rule: "EKS001",
            name: "access-entry-on-config-map-cluster",
            severity: Severity::Error,
            message: format!("on {cluster}"),
            location: Location {
                path: Arc::from("t.yaml"),
                pointer: "/Resources/E".into(),
                line: 3,
                column: 3,
                source_line: None,
            },
            stack: None,
            cluster: Some(cluster.to_owned()),
            cluster_named_at_deploy: false,
            resource: None,
            related: Vec::new(),
            remediation: Remedy::new(&format!("run it on {cluster}, then {cluster} again"), Some(cluster)),
        };
        let held = vec![Held::pack(&[f("prod-one")]), Held::pack(&[f("prod-two")])];
        let out = Held::unpack_all(held);
        assert_eq!(out[0].remediation.text(), "run it on prod-one, then prod-one again");
        assert!(out[0].remediation.shares_parts_with(&out[1].remediation));
    }

    #[test]
    fn every_mode_source_slug_is_known_once() {
        let slugs: std::collections::BTreeSet<&str> = ModeSource::SLUGS.into_iter().collect();
        assert_eq!(slugs.len(), ModeSource::SLUGS.len());
        assert_eq!(static_slug(ModeSource::Live.slug()), "live");
    }
}
