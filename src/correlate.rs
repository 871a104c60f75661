//! Stage 4: correlate.
//!
//! First, [`batches`]: takes the keys of every input's packed facts and
//! gives batches of stacks that may bear on each other, never splitting a
//! group of stacks that share a key. Then [`correlate`]: takes the facts of
//! one batch (or of every input) and gives the [`Model`]: clusters by name
//! with every template definition and any live state, each access entry's
//! target resolved across stacks (by name, by `Ref` in its own stack, or
//! through an export of another scanned stack), and the mode that applies
//! to it. Live `describe-cluster` state wins over templates; templates that
//! disagree about one cluster are kept apart and flagged, never merged.
//!
//! Templates given with `--deployed` are kept apart from the scanned
//! stacks: each is matched to the scanned stacks of the same stack name
//! ([`Model::deployed_of`]), or listed as [`Unmatched`]; it never defines a
//! cluster, never targets one and is never counted among the stacks.

use std::collections::{BTreeMap, HashMap};

use crate::facts::suppress::Suppression;
use crate::facts::{
    AccessEntryFact, AuthMode, ClusterFact, EksctlCommand, ExportValue, Facts, LiveCluster, ModeFact, StackFacts,
    TargetRef,
};

/// A cluster definition: the `index`th cluster of stack `stack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefinitionRef {
    pub stack: usize,
    pub index: usize,
}

/// One cluster, as all inputs together describe it.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The cluster name; for a template cluster without one (a CDK
    /// cluster named at deploy) `<stack>/<logicalId>`, and `None` only for
    /// a name that cannot be worked out at all.
    pub name: Option<String>,
    /// The template gives the cluster no name: CloudFormation (or CDK's
    /// provider) assigns one at deploy. `name` is then `<stack>/<logicalId>`
    /// (as for a name that cannot be worked out), and the cluster is never
    /// merged with another.
    pub named_at_deploy: bool,
    pub definitions: Vec<DefinitionRef>,
    /// Index into [`Model::live`].
    pub live: Option<usize>,
    /// The definitions do not agree on the authentication mode.
    pub conflict: bool,
}

/// Where an access entry's target was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A known cluster; `definition` when the entry names one template's
    /// cluster (a `Ref` in its own stack, or an import of its export).
    Cluster { cluster: usize, definition: Option<DefinitionRef> },
    /// Not among the inputs.
    Missing { name: Option<String>, why: String },
}

/// An access entry with its resolved target.
#[derive(Debug, Clone)]
pub struct EntryRef {
    pub stack: usize,
    pub index: usize,
    pub target: Target,
}

/// Everything the rules look at.
#[derive(Debug, Default)]
pub struct Model {
    /// Boxed, as facts give them: moved in a pointer at a time.
    pub stacks: Vec<Box<StackFacts>>,
    pub live: Vec<LiveCluster>,
    pub clusters: Vec<Cluster>,
    pub entries: Vec<EntryRef>,
    /// The cluster each template definition belongs to.
    pub definition_clusters: HashMap<DefinitionRef, usize>,
    /// Inline suppressions, applied to the findings after the rules ran.
    pub suppressions: Vec<Suppression>,
    /// Templates given with `--deployed`, in input order.
    pub deployed: Vec<Box<StackFacts>>,
    /// For each scanned stack (by index), the deployed template of the same
    /// stack name (index into `deployed`); empty without `--deployed`.
    pub deployed_of: Vec<Option<usize>>,
    /// Deployed templates matched to no scanned stack, with why.
    pub unmatched: Vec<Unmatched>,
}

/// A deployed template that is compared with nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Unmatched {
    pub path: std::sync::Arc<str>,
    pub stack: String,
    pub reason: String,
}

/// The name a stack is matched by: its stack name, without the `.template`
/// that a CDK cloud assembly's file names add (`Stack.template.json`).
pub fn stack_key(stack_name: &str) -> &str {
    stack_name.strip_suffix(".template").filter(|k| !k.is_empty()).unwrap_or(stack_name)
}

/// The mode that applies to an entry or cluster, and what it overrides.
#[derive(Debug, Clone, Copy)]
pub struct Effective<'a> {
    pub mode: &'a ModeFact,
    /// The template's mode when live state overrides it.
    pub template: Option<&'a ModeFact>,
}

impl Model {
    pub fn stack(&self, stack: usize) -> &StackFacts {
        &self.stacks[stack]
    }

    pub fn definition(&self, d: DefinitionRef) -> &ClusterFact {
        &self.stacks[d.stack].clusters[d.index]
    }

    pub fn entry(&self, e: &EntryRef) -> &AccessEntryFact {
        &self.stacks[e.stack].entries[e.index]
    }

    /// The mode that applies to `cluster`, reached through `definition`
    /// when the entry pins one: live state first (when it says the mode),
    /// then the pinned template, then the templates when they agree.
    pub fn effective(&self, cluster: usize, definition: Option<DefinitionRef>) -> Option<Effective<'_>> {
        let c = &self.clusters[cluster];
        let template = definition.or_else(|| (!c.conflict).then(|| c.definitions.first().copied()).flatten());
        let template = template.map(|d| &self.definition(d).mode);
        match c.live.map(|live| &self.live[live].mode) {
            // Live state whose mode is not known (describe-cluster output
            // without accessConfig) leaves the templates to decide.
            Some(live) if live.mode.is_some() || template.is_none() => Some(Effective { mode: live, template }),
            _ => template.map(|mode| Effective { mode, template: None }),
        }
    }

    /// Every template definition of a cluster whose effective mode is
    /// CONFIG_MAP, with its stack and that mode (live state first).
    pub fn config_map_definitions(&self) -> impl Iterator<Item = (&StackFacts, &ClusterFact, Effective<'_>)> {
        self.stacks.iter().enumerate().flat_map(move |(stack, s)| {
            s.clusters.iter().enumerate().filter_map(move |(index, c)| {
                let d = DefinitionRef { stack, index };
                let effective = self.effective(self.cluster_of(d)?, Some(d))?;
                (effective.mode.mode == Some(AuthMode::ConfigMap)).then_some((&**s, c, effective))
            })
        })
    }

    /// The cluster an entry targets and the mode that applies to it, when
    /// CloudFormation will reject the entry: the effective mode (live state
    /// first) is CONFIG_MAP. A stack predicted from `eksctl create
    /// nodegroup` is never rejected: eksctl reads the live mode and leaves
    /// the entry out on a CONFIG_MAP cluster.
    pub fn rejected(&self, e: &EntryRef) -> Option<(usize, Effective<'_>)> {
        let Target::Cluster { cluster, definition } = e.target else { return None };
        let effective = self.effective(cluster, definition)?;
        if effective.mode.mode != Some(AuthMode::ConfigMap) {
            return None;
        }
        let predicted = self.stack(e.stack).prediction.as_ref();
        if predicted.is_some_and(|p| p.command == EksctlCommand::CreateNodegroup) {
            return None;
        }
        Some((cluster, effective))
    }

    /// Cluster `cluster` is known by its name (defined with one, or live),
    /// not by where it is defined (`<stack>/<logicalId>`).
    pub fn known_by_name(&self, cluster: usize) -> bool {
        self.clusters[cluster].definitions.first().is_none_or(|d| self.definition(*d).name.is_some())
    }

    /// The cluster index defined by `d`.
    pub fn cluster_of(&self, d: DefinitionRef) -> Option<usize> {
        self.definition_clusters.get(&d).copied()
    }

    /// The deployed template of scanned stack `stack`, when `--deployed`
    /// gave one.
    pub fn deployed_stack(&self, stack: usize) -> Option<&StackFacts> {
        self.deployed_of.get(stack).copied().flatten().map(|i| &*self.deployed[i])
    }

    /// The deployed counterpart of definition `d`: the cluster of the same
    /// logical id in its stack's deployed template (CloudFormation tells a
    /// resource by its logical id), with that template.
    pub fn deployed_definition(&self, d: DefinitionRef) -> Option<(&StackFacts, &ClusterFact)> {
        let deployed = self.deployed_stack(d.stack)?;
        let id = &self.definition(d).logical_id;
        deployed.clusters.iter().find(|c| &c.logical_id == id).map(|c| (deployed, c))
    }
}

/// Builds the model from every input's facts (in input order).
pub fn correlate(facts: Vec<Facts>) -> Model {
    let mut model = Model::default();
    let stacks = facts.iter().filter(|f| matches!(f, Facts::Stack(_))).count();
    model.stacks.reserve_exact(stacks);
    for f in facts {
        match f {
            Facts::Stack(s) => model.stacks.push(s),
            Facts::Live(l) => model.live.push(*l),
            Facts::Suppressions(s) => model.suppressions.extend(s),
            Facts::Deployed(s) => model.deployed.push(s),
        }
    }
    match_deployed(&mut model);

    let parents = link_nested(&mut model.stacks);

    // Clusters by name; unnamed definitions stand alone.
    let mut by_name: BTreeMap<String, Cluster> = BTreeMap::new();
    let mut unnamed = Vec::new();
    for (stack, s) in model.stacks.iter().enumerate() {
        for (index, c) in s.clusters.iter().enumerate() {
            let d = DefinitionRef { stack, index };
            match &c.name {
                Some(name) => {
                    by_name
                        .entry(name.clone())
                        .or_insert_with(|| Cluster {
                            name: Some(name.clone()),
                            named_at_deploy: false,
                            definitions: Vec::new(),
                            live: None,
                            conflict: false,
                        })
                        .definitions
                        .push(d);
                }
                None => {
                    // Known by where it is defined; never merged.
                    unnamed.push(Cluster {
                        name: Some(format!("{}/{}", s.stack_name, c.logical_id)),
                        named_at_deploy: c.named_at_deploy,
                        definitions: vec![d],
                        live: None,
                        conflict: false,
                    });
                }
            }
        }
    }
    for (i, live) in model.live.iter().enumerate() {
        let c = by_name.entry(live.name.clone()).or_insert_with(|| Cluster {
            name: Some(live.name.clone()),
            named_at_deploy: false,
            definitions: Vec::new(),
            live: None,
            conflict: false,
        });
        // The first describe-cluster output (in input order) wins.
        c.live.get_or_insert(i);
    }
    for c in by_name.values_mut() {
        let mut modes = c.definitions.iter().map(|d| &model.stacks[d.stack].clusters[d.index].mode.mode);
        let first = modes.next();
        c.conflict = modes.any(|m| Some(m) != first);
    }
    // Clusters known by name come first; those known by where they are
    // defined (`<stack>/<logicalId>`) are not looked up by name.
    let named = by_name.len();
    model.clusters = by_name.into_values().chain(unnamed).collect();

    model.definition_clusters =
        model.clusters.iter().enumerate().flat_map(|(i, c)| c.definitions.iter().map(move |d| (*d, i))).collect();
    let cluster_of_def = &model.definition_clusters;
    let by_name: HashMap<&str, usize> =
        model.clusters.iter().enumerate().take(named).filter_map(|(i, c)| Some((c.name.as_deref()?, i))).collect();
    let mut exports: HashMap<&str, (usize, &ExportValue)> = HashMap::new();
    for (stack, s) in model.stacks.iter().enumerate() {
        for e in &s.exports {
            exports.entry(&e.name).or_insert((stack, &e.value));
        }
    }

    let by_name_target = |name: &str, why: &str| match by_name.get(name) {
        Some(&cluster) => Target::Cluster { cluster, definition: None },
        None => Target::Missing { name: Some(name.to_owned()), why: why.to_owned() },
    };
    let resolve = |stack: usize, target: &TargetRef| -> Result<Target, String> {
        Ok(match target {
            TargetRef::Name { name, .. } => {
                by_name_target(name, "no scanned stack or describe-cluster output defines it")
            }
            TargetRef::Local { index: local } => {
                let d = DefinitionRef { stack, index: *local };
                Target::Cluster { cluster: cluster_of_def[&d], definition: Some(d) }
            }
            TargetRef::Import { export } => match exports.get(export.as_str()) {
                Some((from, ExportValue::Cluster { index: local })) => {
                    let d = DefinitionRef { stack: *from, index: *local };
                    Target::Cluster { cluster: cluster_of_def[&d], definition: Some(d) }
                }
                Some((_, ExportValue::Text(name))) => {
                    by_name_target(name, "no scanned stack or describe-cluster output defines it")
                }
                None => Target::Missing {
                    name: None,
                    why: format!("no scanned stack exports {export} (with a value that can be worked out)"),
                },
            },
            TargetRef::Parameter { why, .. } | TargetRef::Unresolved { why } => return Err(why.clone()),
        })
    };
    let mut entries = Vec::with_capacity(model.stacks.iter().map(|s| s.entries.len()).sum());
    for (stack, s) in model.stacks.iter().enumerate() {
        for (index, e) in s.entries.iter().enumerate() {
            let mut target = resolve(stack, &e.target);
            // A nested stack's parameter: what its parent passes in, worked
            // out in the parent (and so on up, for a parameter the parent
            // passes on from its own parent).
            let (mut at, mut wanted, mut levels) = (stack, &e.target, 0);
            while let (TargetRef::Parameter { name, .. }, Some(&(parent, nested))) = (wanted, parents.get(&at)) {
                let passed = model.stacks[parent].nested[nested].parameters.iter().find(|(p, _)| p == name);
                let Some((_, value)) = passed else { break };
                target = resolve(parent, value);
                (at, wanted, levels) = (parent, value, levels + 1);
                if levels >= 16 {
                    break;
                }
            }
            let target = target.unwrap_or_else(|why| Target::Missing {
                name: None,
                why: format!("its ClusterName cannot be worked out: {why}"),
            });
            // `eksctl create nodegroup` reads the live cluster's mode and
            // writes no access entry for a CONFIG_MAP cluster
            // (pkg/actions/nodegroup/create.go): such a predicted entry never
            // exists, so it is neither counted nor checked.
            let never_written = s.prediction.as_ref().is_some_and(|p| p.command == EksctlCommand::CreateNodegroup)
                && match target {
                    Target::Cluster { cluster, definition } => {
                        model.effective(cluster, definition).is_some_and(|m| m.mode.mode == Some(AuthMode::ConfigMap))
                    }
                    Target::Missing { .. } => false,
                };
            if never_written {
                continue;
            }
            entries.push(EntryRef { stack, index, target });
        }
    }
    model.entries = entries;
    model
}

/// Groups `count` facts that may bear on each other, by their keys
/// (`keys(i)`: see [`crate::facts::packed::Keys`]): facts that share a key, directly or
/// through others, are in one group, and a group is never split. Groups
/// are put together into batches of at least `at_least` facts (the last
/// may hold fewer); each batch lists its facts' indices in input order, and
/// batches come in the order of their first facts. Correlating each batch
/// alone gives the clusters, entries and targets that correlating all of
/// the facts at once gives.
pub fn batches<K: AsRef<[u32]>>(count: usize, keys: impl Fn(usize) -> K, at_least: usize) -> Vec<Vec<usize>> {
    batches_sorting(count, keys, at_least, PAIRS_AT_ONCE)
}

/// [`batches`], sorting about `pairs_at_once` (key, fact) pairs at a time.
fn batches_sorting<K: AsRef<[u32]>>(
    count: usize,
    keys: impl Fn(usize) -> K,
    at_least: usize,
    pairs_at_once: usize,
) -> Vec<Vec<usize>> {
    fn root(parent: &mut [u32], mut i: usize) -> usize {
        while parent[i] as usize != i {
            parent[i] = parent[parent[i] as usize];
            i = parent[i] as usize;
        }
        i
    }
    // Facts are counted in u32s: a sweep holds far fewer than 4 billion.
    let mut parent: Vec<u32> = (0..count).map(index32).collect();
    // Every (key, fact) pair, sorted: facts with one key are neighbours.
    // Sorting pairs takes less memory than a map from key to fact, and
    // sorting them a part of the keys at a time (each key in one part)
    // less again: a 100k sweep holds about 150,000 keys, whose pairs
    // together would be 1.2 MB held beside every packed fact.
    let total: usize = (0..count).map(|i| keys(i).as_ref().len()).sum();
    let parts = total.div_ceil(pairs_at_once.max(1)).max(1);
    let part_of = |key: u32| {
        // The keys' hashes spread evenly over the parts, whatever their bits.
        let mixed = u64::from(key).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        ((u128::from(mixed) * parts as u128) >> 64) as usize
    };
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for part in 0..parts {
        pairs.clear();
        for i in 0..count {
            let keys = keys(i);
            pairs.extend(keys.as_ref().iter().filter(|&&k| part_of(k) == part).map(|&k| (k, index32(i))));
        }
        pairs.sort_unstable();
        for w in pairs.windows(2) {
            if w[0].0 == w[1].0 {
                let (a, b) = (root(&mut parent, w[0].1 as usize), root(&mut parent, w[1].1 as usize));
                // A group's root is its first fact.
                if a != b {
                    parent[a.max(b)] = index32(a.min(b));
                }
            }
        }
    }
    drop(pairs);
    // Facts in the order of their group's first fact, then input order;
    // cut into batches between groups.
    let mut order: Vec<(u32, u32)> = (0..count).map(|i| (index32(root(&mut parent, i)), index32(i))).collect();
    drop(parent);
    order.sort_unstable();
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut at = 0;
    while at < order.len() {
        let mut end = at;
        while end < order.len() && (end - at < at_least.max(1) || order[end].0 == order[end - 1].0) {
            end += 1;
        }
        let mut batch: Vec<usize> = order[at..end].iter().map(|&(_, i)| i as usize).collect();
        batch.sort_unstable();
        batches.push(batch);
        at = end;
    }
    batches
}

/// How many (key, fact) pairs [`batches`] sorts at a time, at most (each
/// part of the keys is sorted on its own; a part holds about this many).
const PAIRS_AT_ONCE: usize = 1 << 14;

/// An index or offset as a u32: a sweep holds far fewer than 4 billion
/// facts, and a batch of inputs packs far fewer than 4 GiB of them.
pub(crate) fn index32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Finds the nested stacks among `stacks` (by the template file a parent
/// names) and names each after its parent: `<parent>/<logicalId>` (the
/// deployed name adds a random suffix). Gives each nested stack's parent
/// and the index of its [`crate::facts::NestedStackFact`] there.
fn link_nested(stacks: &mut [Box<StackFacts>]) -> HashMap<usize, (usize, usize)> {
    if stacks.iter().all(|s| s.nested.is_empty()) {
        return HashMap::new();
    }
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in stacks.iter().enumerate() {
        children.entry(&s.path).or_default().push(i);
    }
    let mut parents = HashMap::new();
    for (parent, s) in stacks.iter().enumerate() {
        for (n, nested) in s.nested.iter().enumerate() {
            for &child in children.get(&*nested.template).map_or(&[][..], Vec::as_slice) {
                if child != parent {
                    // The first parent (in input order) wins.
                    parents.entry(child).or_insert((parent, n));
                }
            }
        }
    }
    // Up to the top stack: a nested stack may itself be a parent. The
    // chain is cut at a loop or after a few levels.
    let mut names: Vec<(usize, String, crate::facts::StackRole)> = parents
        .keys()
        .map(|&child| {
            let mut path = Vec::new();
            let mut at = child;
            while let Some(&(parent, n)) = parents.get(&at) {
                if path.len() >= 16 || parent == child {
                    break;
                }
                path.push(stacks[parent].nested[n].logical_id.as_str());
                at = parent;
            }
            path.reverse();
            let top = &stacks[at];
            (child, format!("{}/{}", top.stack_name, path.join("/")), top.role.clone())
        })
        .collect();
    names.sort_by_key(|(child, _, _)| *child);
    for (child, name, role) in names {
        let s = &mut stacks[child];
        s.stack_name = name;
        if s.role == crate::facts::StackRole::Other {
            s.role = role;
        }
    }
    parents
}

/// Matches each deployed template to the scanned stacks of its stack name.
/// The first deployed template of a name (in input order) is the one
/// compared; a later one of the same name is listed as unmatched.
fn match_deployed(model: &mut Model) {
    if model.deployed.is_empty() {
        return;
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut unmatched = Vec::new();
    for (i, d) in model.deployed.iter().enumerate() {
        let key = stack_key(&d.stack_name);
        if let Some(&earlier) = first.get(key) {
            unmatched.push(Unmatched {
                path: d.path.clone(),
                stack: d.stack_name.clone(),
                reason: format!(
                    "another deployed template of stack `{key}` came first ({}); only that one is compared",
                    model.deployed[earlier].path
                ),
            });
        } else {
            first.insert(key, i);
        }
    }
    model.deployed_of = model.stacks.iter().map(|s| first.get(stack_key(&s.stack_name)).copied()).collect();
    let matched: std::collections::HashSet<usize> = model.deployed_of.iter().flatten().copied().collect();
    for (key, &i) in &first {
        if !matched.contains(&i) {
            let d = &model.deployed[i];
            unmatched.push(Unmatched {
                path: d.path.clone(),
                stack: d.stack_name.clone(),
                reason: format!("no scanned template or ClusterConfig gives a stack named `{key}`"),
            });
        }
    }
    unmatched.sort();
    model.unmatched = unmatched;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    #[test]
    fn batches_keep_groups_whole_and_facts_in_input_order() {
        // 0-3 and 1-4 through shared keys, 2 and 5 alone (5 has none).
        let keys: [&[u32]; 6] = [&[7], &[9, 1], &[3], &[7, 8], &[1], &[]];
        let batches = |keys: &[&[u32]], at_least| super::batches(keys.len(), |i| keys[i], at_least);
        assert_eq!(batches(&keys, 1), vec![vec![0, 3], vec![1, 4], vec![2], vec![5]]);
        assert_eq!(batches(&keys, 3), vec![vec![0, 1, 3, 4], vec![2, 5]]);
        assert_eq!(batches(&keys, usize::MAX), vec![vec![0, 1, 2, 3, 4, 5]]);
        // A chain joins its ends.
        let chain: [&[u32]; 4] = [&[1], &[2], &[1, 3], &[3, 2]];
        assert_eq!(batches(&chain, 1), vec![vec![0, 1, 2, 3]]);
        assert!(batches(&[], 5).is_empty());
    }

    proptest::proptest! {
        /// Sorting the keys a part at a time groups facts as sorting them
        /// all at once does, whatever the number of parts.
        #[test]
        fn batches_are_the_same_however_many_parts_the_keys_are_sorted_in(
            keys in proptest::collection::vec(proptest::collection::vec(0u32..40, 0..4), 0..60),
            at_least in 1usize..8,
            pairs_at_once in 1usize..12,
        ) {
            let keys: Vec<Vec<u32>> = keys.into_iter().map(|k| k.into_iter().map(|k| k.wrapping_mul(0x89ab_cdef)).collect()).collect();
            let whole = super::batches_sorting(keys.len(), |i| &keys[i], at_least, usize::MAX);
            let parts = super::batches_sorting(keys.len(), |i| &keys[i], at_least, pairs_at_once);
            proptest::prop_assert_eq!(parts, whole);
        }
    }

    use super::*;
    use crate::facts::{AuthMode, ExportFact, ModeSource, StackRole, Via};
    use crate::finding::Location;

    fn loc(path: &str) -> Location {
        Location { path: Arc::from(path), pointer: "".into(), line: 1, column: 1, source_line: None }
    }

    fn mode(m: AuthMode, source: ModeSource) -> ModeFact {
        ModeFact { mode: Some(m), source, location: loc("m"), unresolved: None }
    }

    fn cluster(name: &str, m: AuthMode) -> ClusterFact {
        ClusterFact {
            logical_id: "ControlPlane".into(),
            name: Some(name.into()),
            name_via: Some(Via::Literal),
            location: loc("c"),
            mode: mode(m, ModeSource::Literal),
            bootstrap_admin: None,
            bootstrap_admin_unresolved: false,
            named: true,
            name_location: None,
            remote_network: None,
            outposts: false,
            miscased: None,
            cdk: None,
            named_at_deploy: false,
        }
    }

    fn entry(target: TargetRef) -> AccessEntryFact {
        AccessEntryFact {
            logical_id: "AccessEntry".into(),
            resource_type: "AWS::EKS::AccessEntry".into(),
            location: loc("e"),
            target,
            target_location: loc("e"),
            principal: None,
            entry_type: "STANDARD".into(),
            type_location: None,
            kubernetes_groups: Vec::new(),
            kubernetes_groups_location: None,
            username: None,
            access_policies: Vec::new(),
            access_policies_location: None,
        }
    }

    fn stack(name: &str, clusters: Vec<ClusterFact>, entries: Vec<AccessEntryFact>, exports: Vec<ExportFact>) -> Facts {
        Facts::Stack(Box::new(StackFacts {
            path: Arc::from(format!("{name}.json")),
            stack_name: name.into(),
            role: StackRole::Other,
            by_eksctl: false,
            clusters,
            entries,
            exports,
            resource_count: 1,
            prediction: None,
            scenarios: None,
            rejections: Vec::new(),
            nested: Vec::new(),
        }))
    }

    fn by_name(name: &str) -> TargetRef {
        TargetRef::Name { name: name.into(), via: Via::Literal }
    }

    #[test]
    fn entries_find_clusters_by_name_local_ref_and_import() {
        let export = ExportFact { name: "a::Name".into(), value: ExportValue::Cluster { index: 0 } };
        let model = correlate(vec![
            stack(
                "a",
                vec![cluster("a", AuthMode::ConfigMap)],
                vec![entry(TargetRef::Local { index: 0 })],
                vec![export],
            ),
            stack(
                "b",
                vec![],
                vec![entry(by_name("a")), entry(TargetRef::Import { export: "a::Name".into() }), entry(by_name("zz"))],
                vec![],
            ),
        ]);
        assert_eq!(model.clusters.len(), 1);
        let d = DefinitionRef { stack: 0, index: 0 };
        assert_eq!(model.entries[0].target, Target::Cluster { cluster: 0, definition: Some(d) });
        assert_eq!(model.entries[1].target, Target::Cluster { cluster: 0, definition: None });
        assert_eq!(model.entries[2].target, Target::Cluster { cluster: 0, definition: Some(d) });
        assert!(matches!(&model.entries[3].target, Target::Missing { name: Some(n), .. } if n == "zz"));
    }

    #[test]
    fn nested_stacks_take_what_their_parents_pass() {
        use crate::facts::NestedStackFact;
        let mut parent = stack("top", vec![cluster("a", AuthMode::ConfigMap)], vec![], vec![]);
        let mut middle = stack("mid.nested", vec![], vec![], vec![]);
        let leaf = stack(
            "leaf.nested",
            vec![],
            vec![entry(TargetRef::Parameter { name: "C".into(), why: "no value".into() })],
            vec![],
        );
        let nest = |template: &str, parameters| NestedStackFact {
            logical_id: "Child".into(),
            template: Arc::from(template),
            parameters,
        };
        if let Facts::Stack(s) = &mut parent {
            s.nested.push(nest("mid.nested.json", vec![("P".into(), TargetRef::Local { index: 0 })]));
        }
        if let Facts::Stack(s) = &mut middle {
            let passed_on = TargetRef::Parameter { name: "P".into(), why: "no value".into() };
            s.nested.push(nest("leaf.nested.json", vec![("C".into(), passed_on)]));
        }
        let model = correlate(vec![leaf, middle, parent]);
        assert_eq!(model.stacks[0].stack_name, "top/Child/Child");
        assert_eq!(model.stacks[1].stack_name, "top/Child");
        // The leaf's C is the middle's P, which is the top's cluster.
        let d = DefinitionRef { stack: 2, index: 0 };
        assert_eq!(model.entries[0].target, Target::Cluster { cluster: 0, definition: Some(d) });
    }

    #[test]
    fn live_state_wins_and_keeps_the_template_mode() {
        let live = LiveCluster { name: "a".into(), mode: mode(AuthMode::Api, ModeSource::Live) };
        let model = correlate(vec![
            stack("a", vec![cluster("a", AuthMode::ConfigMap)], vec![], vec![]),
            Facts::Live(Box::new(live)),
        ]);
        let e = model.effective(0, None).expect("mode");
        assert_eq!(e.mode.mode, Some(AuthMode::Api));
        assert_eq!(e.template.and_then(|t| t.mode.clone()), Some(AuthMode::ConfigMap));
    }

    fn deployed(name: &str, path: &str, clusters: Vec<ClusterFact>) -> Facts {
        let Facts::Stack(mut s) = stack(name, clusters, vec![], vec![]) else { unreachable!() };
        s.path = Arc::from(path);
        Facts::Deployed(s)
    }

    #[test]
    fn deployed_templates_match_by_stack_name_and_stay_apart() {
        let model = correlate(vec![
            stack("a", vec![cluster("a", AuthMode::Api)], vec![], vec![]),
            stack("Platform.template", vec![], vec![], vec![]),
            deployed("a", "d/a.json", vec![cluster("a", AuthMode::ConfigMap)]),
            deployed("a", "e/a.json", vec![]),
            deployed("Platform", "d/Platform.json", vec![]),
            deployed("gone", "d/gone.json", vec![cluster("gone", AuthMode::Api)]),
        ]);
        // Deployed clusters are no clusters of the model.
        assert_eq!(model.clusters.len(), 1);
        assert!(!model.clusters[0].conflict);
        assert_eq!(model.deployed_of, vec![Some(0), Some(2)]);
        let (d, c) = model.deployed_definition(DefinitionRef { stack: 0, index: 0 }).expect("deployed cluster");
        assert_eq!((&*d.path, c.mode.mode.clone()), ("d/a.json", Some(AuthMode::ConfigMap)));
        let unmatched: Vec<(&str, bool)> =
            model.unmatched.iter().map(|u| (&*u.path, u.reason.contains("came first"))).collect();
        assert_eq!(unmatched, [("d/gone.json", false), ("e/a.json", true)]);
    }

    #[test]
    fn stack_keys_drop_the_cloud_assembly_suffix_only() {
        assert_eq!(stack_key("Platform.template"), "Platform");
        assert_eq!(stack_key("eksctl-demo-cluster"), "eksctl-demo-cluster");
        assert_eq!(stack_key(".template"), ".template");
    }

    #[test]
    fn disagreeing_definitions_are_flagged_not_merged() {
        let model = correlate(vec![
            stack("old", vec![cluster("a", AuthMode::ConfigMap)], vec![], vec![]),
            stack("new", vec![cluster("a", AuthMode::ApiAndConfigMap)], vec![], vec![]),
            stack("copy", vec![cluster("b", AuthMode::Api)], vec![], vec![]),
            stack("copy2", vec![cluster("b", AuthMode::Api)], vec![], vec![]),
        ]);
        assert!(model.clusters[0].conflict);
        assert!(model.effective(0, None).is_none(), "no single mode for a conflict");
        let pinned = model.effective(0, Some(DefinitionRef { stack: 1, index: 0 })).expect("pinned");
        assert_eq!(pinned.mode.mode, Some(AuthMode::ApiAndConfigMap));
        assert!(!model.clusters[1].conflict, "identical definitions agree");
    }
}
