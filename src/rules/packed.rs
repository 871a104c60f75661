//! Findings held packed between the rules and the report.
//!
//! Takes the findings of each batch a sweep checks (the rules' and
//! Guard's); gives them back, all of them and exactly as they were, when
//! the report is put together. In between, a batch's findings are one
//! compressed byte string (postcard, LZ4) with the paths and pointers of
//! their locations as text, as [`crate::facts::packed`] keeps facts. A
//! finding in its working form is about a kilobyte (its message, its
//! locations, the related places and what they show); packed, it is about
//! a tenth of that, and a sweep holds its findings while the rest of its
//! batches are checked. Unpacking shares the fixes' text among the
//! findings again, and their pointers.

use std::collections::HashSet;
use std::sync::Arc;

use crate::correlate::index32;
use crate::finding::{Finding, Location, Pointers, Related, Remedy, Severity, Spots};

/// The findings of one batch, packed.
#[derive(Debug)]
pub struct PackedFindings {
    compressed: Box<[u8]>,
    /// The size of the bytes once decompressed, and where the texts of the
    /// locations' paths and pointers start.
    size: u32,
    texts_at: u32,
    count: u32,
    /// The quoted lines (of standard input and archive entries).
    spots: Spots,
}

/// A finding as it is packed: its fields in order, the rule's id and name
/// as text (given back as the `'static` names they were), each related
/// place as its location and message, the fix as its pieces and the name
/// between them.
type Packing<'a> = (
    &'a str,
    &'a str,
    Severity,
    &'a str,
    &'a Location,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    Option<&'a str>,
    Vec<(&'a Location, &'a str)>,
    (Vec<&'a str>, &'a str),
);

/// [`Packing`], read back: the same shapes, owned where they must be.
type Unpacking<'a> = (
    &'a str,
    &'a str,
    Severity,
    &'a str,
    Location,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    Option<&'a str>,
    Vec<(Location, &'a str)>,
    (Vec<&'a str>, &'a str),
);

impl PackedFindings {
    /// Packs `findings`, in order. Findings always serialise: a failure is
    /// a bug, and panics here, where the finding is known.
    pub fn pack(findings: &[Finding]) -> Self {
        let (mut bytes, mut spots) = Spots::collect(|| {
            let mut bytes = Vec::new();
            for f in findings {
                let (parts, name) = f.remediation.parts();
                let packing: Packing<'_> = (
                    f.rule,
                    f.name,
                    f.severity,
                    &f.message,
                    &f.location,
                    f.stack.as_deref(),
                    f.cluster.as_deref(),
                    f.cluster_named_at_deploy,
                    f.resource.as_deref(),
                    f.related.iter().map(|r| (&r.location, &*r.message)).collect(),
                    (parts, name),
                );
                bytes = postcard::to_extend(&packing, bytes)
                    .unwrap_or_else(|e| panic!("a finding at {} does not pack: {e}", f.location));
            }
            bytes
        });
        let texts_at = index32(bytes.len());
        bytes = postcard::to_extend(&spots.take_texts(), bytes)
            .unwrap_or_else(|e| panic!("the paths of findings do not pack: {e}"));
        Self {
            compressed: lz4_flex::block::compress(&bytes).into_boxed_slice(),
            size: index32(bytes.len()),
            texts_at,
            count: index32(findings.len()),
            spots,
        }
    }

    /// How many findings are packed.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Every finding of `packed`, in order, into one vector made at its
    /// size; each batch's bytes are freed as it is read. Fixes with the same
    /// text share it, and locations their pointers.
    pub fn unpack_all(packed: Vec<PackedFindings>) -> Vec<Finding> {
        let mut out = Vec::with_capacity(packed.iter().map(PackedFindings::len).sum());
        let (pointers, mut fixes) = (Pointers::default(), HashSet::new());
        for p in packed {
            p.unpack_into(&mut out, &pointers, &mut fixes);
        }
        out
    }

    fn unpack_into(self, out: &mut Vec<Finding>, pointers: &Pointers, fixes: &mut HashSet<Arc<[Box<str>]>>) {
        // Packed by this process in memory: cannot fail unless packing and
        // unpacking disagree, which tests check.
        let bytes = lz4_flex::block::decompress(&self.compressed, self.size as usize)
            .unwrap_or_else(|e| panic!("packed findings do not decompress: {e}"));
        let texts = postcard::from_bytes(&bytes[self.texts_at as usize..])
            .unwrap_or_else(|e| panic!("the paths of packed findings do not unpack: {e}"));
        let spots = Arc::new(self.spots.with_texts(texts, pointers));
        spots.lend(|| {
            let mut rest = &bytes[..self.texts_at as usize];
            for _ in 0..self.count {
                let (f, left): (Unpacking<'_>, _) =
                    postcard::take_from_bytes(rest).unwrap_or_else(|e| panic!("packed findings do not unpack: {e}"));
                rest = left;
                let (rule, name, severity, message, location, stack, cluster, at_deploy, resource, related, fix) = f;
                out.push(Finding {
                    rule: super::static_name(rule),
                    name: super::static_name(name),
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
                    remediation: Remedy::from_parts(&fix.0, fix.1).sharing(fixes),
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every finding of the samples, packed in batches and unpacked, is the
    /// finding it was: every field, every location with its pointer and
    /// quoted line, the fix's text.
    #[test]
    fn unpacking_gives_back_what_was_packed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = crate::ScanConfig {
            paths: vec![root.join("samples").to_string_lossy().into_owned()],
            ..crate::ScanConfig::default()
        };
        let mut findings = crate::scan(&config).expect("the samples scan").findings;
        assert!(findings.len() > 30, "{}", findings.len());
        // A quoted line, no related place and a Guard rule survive too.
        findings[0].location.source_line = Some(Arc::new("  Quoted: line".to_owned()));
        findings[1].related.clear();
        findings[2].rule = super::super::guard::intern("a_guard_rule");
        findings[2].name = super::super::guard::FINDING_NAME;
        let before: Vec<String> = findings.iter().map(|f| format!("{f:?}")).collect();
        for per_batch in [1, 7, findings.len()] {
            let packed: Vec<PackedFindings> = findings.chunks(per_batch).map(PackedFindings::pack).collect();
            assert_eq!(packed.iter().map(PackedFindings::len).sum::<usize>(), findings.len());
            let after: Vec<String> = PackedFindings::unpack_all(packed).iter().map(|f| format!("{f:?}")).collect();
            assert_eq!(after, before, "in batches of {per_batch}");
        }
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
        let packed = vec![PackedFindings::pack(&[f("prod-one")]), PackedFindings::pack(&[f("prod-two")])];
        let out = PackedFindings::unpack_all(packed);
        assert_eq!(out[0].remediation.text(), "run it on prod-one, then prod-one again");
        assert!(out[0].remediation.shares_parts_with(&out[1].remediation));
    }
}
