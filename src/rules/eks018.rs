//! EKS018 cluster-replacing-change.
//!
//! A scanned template's cluster that, compared with the deployed template
//! of its stack (`--deployed`), changes a property whose update requires
//! replacing the cluster: `AccessConfig.BootstrapClusterCreatorAdminPermissions`
//! (with CloudFormation's default, true, for an absent one) or `Name`.
//! A custom-named cluster that keeps its name cannot be replaced, so the
//! update fails; any other is replaced: a new cluster is created and the
//! deployed one deleted.

use crate::correlate::{DefinitionRef, Model};
use crate::facts::{ClusterFact, StackFacts};
use crate::finding::Location;

use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS018",
    name: "cluster-replacing-change",
    severity: Severity::Error,
    summary: "A template changes BootstrapClusterCreatorAdminPermissions or Name of a deployed cluster: replacement",
    doc: include_str!("../../rules/EKS018.md"),
    check,
};

/// CloudFormation's answer when a custom-named resource needs replacing.
pub(super) const CFN_ERROR: &str =
    "CloudFormation cannot update a stack when a custom-named resource requires replacing";

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for (stack, s) in model.stacks.iter().enumerate() {
        // eksctl does not update a cluster stack from a ClusterConfig.
        if s.prediction.is_some() {
            continue;
        }
        for (index, c) in s.clusters.iter().enumerate() {
            let Some((deployed, old)) = model.deployed_definition(DefinitionRef { stack, index }) else { continue };
            if let Some(f) = bootstrap_change(s, c, deployed, old) {
                out.push(f);
            }
            if let Some(f) = name_change(s, c, deployed, old) {
                out.push(f);
            }
        }
    }
}

/// What a replacement does to this cluster.
enum Outcome {
    /// Custom name kept: CloudFormation refuses.
    Fails(String),
    /// A new cluster is created and the deployed one deleted.
    Replaced,
    /// Custom-named, but whether the name changes cannot be worked out.
    Either,
}

fn outcome(c: &ClusterFact, old: &ClusterFact) -> Outcome {
    if !(c.named && old.named) {
        return Outcome::Replaced;
    }
    match (&c.name, &old.name) {
        (Some(a), Some(b)) if a == b => Outcome::Fails(a.clone()),
        (Some(_), Some(_)) => Outcome::Replaced,
        _ => Outcome::Either,
    }
}

fn consequence(outcome: &Outcome, s: &StackFacts, old: &ClusterFact) -> String {
    let old_name = old.name.as_deref().map_or_else(|| "the deployed cluster".to_owned(), |n| format!("`{n}`"));
    match outcome {
        Outcome::Fails(name) => format!(
            "`{name}` has a custom name, so the update of stack `{}` fails (\"{CFN_ERROR}\") and rolls back",
            s.stack_name
        ),
        Outcome::Replaced => format!(
            "the update of stack `{}` replaces the cluster: CloudFormation creates a new cluster and then deletes \
             {old_name} with everything running on it",
            s.stack_name
        ),
        Outcome::Either => format!(
            "the update of stack `{}` either fails (\"{CFN_ERROR}\", when the custom name stays the same) or creates \
             a new cluster and deletes {old_name} (when the name changes)",
            s.stack_name
        ),
    }
}

/// Where the value stands: the property, or the resource when absent.
fn bootstrap_at(c: &ClusterFact) -> &Location {
    c.bootstrap_admin.as_deref().map_or(&c.location, |(_, at)| at)
}

fn describe_bootstrap(c: &ClusterFact, value: bool) -> String {
    if c.bootstrap_admin.is_some() {
        value.to_string()
    } else {
        format!("{value} (the default: the property is absent)")
    }
}

/// The cluster in messages: its name, or its logical id when it has none.
fn shown(c: &ClusterFact) -> String {
    match &c.name {
        Some(n) => format!("`{n}`"),
        None if c.named => format!("`{}` (its Name cannot be worked out)", c.logical_id),
        None => format!("`{}` (unnamed: CloudFormation generated its name)", c.logical_id),
    }
}

fn bootstrap_change(s: &StackFacts, c: &ClusterFact, deployed: &StackFacts, old: &ClusterFact) -> Option<Violation> {
    let (new_value, old_value) = (c.effective_bootstrap_admin()?, old.effective_bootstrap_admin()?);
    if new_value == old_value {
        return None;
    }
    let name = shown(c);
    let outcome = outcome(c, old);
    let message = format!(
        "cluster {name} changes AccessConfig.BootstrapClusterCreatorAdminPermissions from {} in the deployed \
         template to {}, which CloudFormation can only apply by replacing the cluster; {}",
        describe_bootstrap(old, old_value),
        describe_bootstrap(c, new_value),
        consequence(&outcome, s, old)
    );
    let back = if old.bootstrap_admin.is_some() {
        format!("Set AccessConfig.BootstrapClusterCreatorAdminPermissions back to {old_value} (the deployed value)")
    } else {
        "Remove AccessConfig.BootstrapClusterCreatorAdminPermissions (the deployed template leaves it at its default, \
         true)"
            .to_owned()
    };
    let remediation = format!(
        "{back}: it only takes effect when a cluster is created. To change who administers the cluster, add or remove \
         access entries (AWS::EKS::AccessEntry with an AmazonEKSClusterAdminPolicy association) instead."
    );
    Some(Violation {
        message,
        location: bootstrap_at(c).clone(),
        stack: Some(s.stack_name.clone()),
        cluster: c.name.clone(),
        resource: Some(c.logical_id.clone()),
        related: vec![Related {
            location: bootstrap_at(old).clone(),
            message: format!(
                "deployed BootstrapClusterCreatorAdminPermissions of {name} in stack `{}`: {}",
                deployed.stack_name,
                describe_bootstrap(old, old_value)
            ),
        }],
        remediation: remediation.into(),
    })
}

fn name_change(s: &StackFacts, c: &ClusterFact, deployed: &StackFacts, old: &ClusterFact) -> Option<Violation> {
    let changed = match (c.named, old.named) {
        (false, false) => false,
        (true, true) => match (&c.name, &old.name) {
            (Some(a), Some(b)) => a != b,
            _ => return None,
        },
        _ => true,
    };
    if !changed {
        return None;
    }
    let describe = |f: &ClusterFact| match (&f.name, f.named) {
        (Some(n), _) => format!("`{n}`"),
        (None, false) => "a name CloudFormation generates".to_owned(),
        (None, true) => "a name that cannot be worked out".to_owned(),
    };
    let message = format!(
        "cluster `{}` changes its Name from {} in the deployed template to {}, which CloudFormation can only apply \
         by replacing the cluster; {}",
        c.logical_id,
        describe(old),
        describe(c),
        consequence(&Outcome::Replaced, s, old)
    );
    let remediation = match &old.name {
        Some(n) if old.named => format!(
            "Set Name back to {n} (the deployed name), or create the new cluster as a new resource and move workloads to it before deleting the old one."
        ),
        _ => "Remove the Name property: the deployed cluster has the name CloudFormation generated for it.".to_owned(),
    };
    Some(Violation {
        message,
        // A cluster without a Name is located at its resource.
        location: c.name_location.as_deref().unwrap_or(&c.location).clone(),
        stack: Some(s.stack_name.clone()),
        cluster: c.name.clone(),
        resource: Some(c.logical_id.clone()),
        related: vec![Related {
            location: old.name_location.as_deref().unwrap_or(&old.location).clone(),
            message: format!(
                "deployed cluster `{}` in stack `{}`: Name {}",
                old.logical_id,
                deployed.stack_name,
                describe(old)
            ),
        }],
        remediation: remediation.into(),
    })
}
