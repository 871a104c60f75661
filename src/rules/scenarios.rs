//! Judging an access entry in every scenario (see [`crate::evaluate`]):
//! shared by EKS001 (fails in every scenario), EKS002 (stays silent where
//! scenarios decide) and EKS012 (fails in some scenarios only).

use crate::correlate::{EntryRef, Model, Target};
use crate::evaluate::{Mask, Scenario};
use crate::facts::AccessEntryFact;
use crate::facts::AuthMode;
use crate::facts::scenarios::ScenarioFacts;
use crate::finding::{Location, Related};

/// What the scenarios say about an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Nothing depends on scenarios: the rules judge the entry as before.
    Plain,
    /// The entry is accepted in every scenario in which it exists.
    Passes,
    /// CloudFormation rejects the entry.
    Fails(Failure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// In every scenario (else in some only).
    pub every: bool,
    /// The inputs under which it fails: `AuthMode=CONFIG_MAP`.
    pub when: String,
    /// Assignments of one scenario in which it does not fail.
    pub passing: Vec<String>,
    /// `--parameter K=V` arguments that settle it (from `passing`).
    pub settle: Vec<String>,
    /// Where the cluster's mode is set.
    pub mode_location: Location,
}

/// Judges entry `e` against its cluster's mode in every scenario.
pub(super) fn verdict(model: &Model, e: &EntryRef) -> Verdict {
    let Target::Cluster { cluster, definition } = e.target else { return Verdict::Plain };
    let Some(effective) = model.effective(cluster, definition) else { return Verdict::Plain };
    let own = model.stack(e.stack).scenarios.as_deref();
    let exists = own.map_or(Mask::MAX, |s| s.entry(e.index));
    let own_all = own.map_or(Mask::MAX, |s| s.all);
    match &effective.mode.mode {
        Some(mode) => {
            if *mode != AuthMode::ConfigMap || exists == own_all {
                return Verdict::Plain;
            }
            let Some(own) = own else { return Verdict::Plain };
            failure(own, exists, own_all & !exists, false, None, effective.mode.location.clone())
        }
        None => {
            if effective.template.is_some() {
                return Verdict::Plain;
            }
            let c = &model.clusters[cluster];
            let Some(d) = definition.or_else(|| c.definitions.first().copied()) else { return Verdict::Plain };
            let Some(theirs) = model.stack(d.stack).scenarios.as_deref() else { return Verdict::Plain };
            let Some(refusing) = theirs.refusing(d.index) else { return Verdict::Plain };
            let location = effective.mode.location.clone();
            if d.stack == e.stack {
                let fails = exists & refusing;
                if fails == 0 {
                    return Verdict::Passes;
                }
                let passes = theirs.all & !fails;
                failure(theirs, fails, passes, fails == theirs.all, None, location)
            } else {
                if refusing == 0 {
                    return Verdict::Passes;
                }
                let every = refusing == theirs.all && exists == own_all;
                // The entry's own scenarios, when it exists in some only.
                let entry_side = own.filter(|_| exists != own_all).map(|o| (o, exists));
                failure(theirs, refusing, theirs.all & !refusing, every, entry_side, location)
            }
        }
    }
}

/// Whether CloudFormation rejects entry `e` whatever the parameters: in
/// every scenario in which it exists, or, when nothing depends on
/// scenarios, because its cluster's effective mode is CONFIG_MAP (see
/// [`Model::rejected`]). What EKS001 reports; EKS012's "in some scenarios"
/// is not a rejection.
pub fn rejected(model: &Model, e: &EntryRef) -> bool {
    match verdict(model, e) {
        Verdict::Plain => model.rejected(e).is_some(),
        Verdict::Passes => false,
        Verdict::Fails(f) => f.every,
    }
}

fn failure(
    facts: &ScenarioFacts,
    fails: Mask,
    passes: Mask,
    every: bool,
    entry_side: Option<(&ScenarioFacts, Mask)>,
    mode_location: Location,
) -> Verdict {
    let mut when = facts.describe(fails);
    if let Some((own, exists)) = entry_side {
        when = format!("{when}, and the entry exists when {}", own.describe(exists));
    }
    let passing: Option<&Scenario> =
        (0..facts.scenarios.len()).find(|s| passes & (1 << s) != 0).map(|s| &facts.scenarios[s]);
    let passing_labels: Vec<String> =
        passing.map(|p| p.assignments.iter().map(ToString::to_string).collect()).unwrap_or_default();
    let settle = passing
        .map(|p| p.assignments.iter().filter(|a| !a.condition).map(|a| format!("{}={}", a.name, a.value)).collect())
        .unwrap_or_default();
    Verdict::Fails(Failure { every, when, passing: passing_labels, settle, mode_location })
}

/// The related locations of a finding on an entry that fails in some or
/// every scenario: where the cluster's mode depends on them, and the
/// entry's `ClusterName` when it is not the entry itself.
pub(super) fn related(entry: &AccessEntryFact, shown: &str, f: &Failure) -> Vec<Related> {
    let mut related = vec![Related {
        location: f.mode_location.clone(),
        message: format!("cluster `{shown}` authentication mode: CONFIG_MAP when {}", f.when),
    }];
    if entry.target_location != entry.location {
        related
            .push(Related { location: entry.target_location.clone(), message: "the entry's ClusterName".to_owned() });
    }
    related
}
