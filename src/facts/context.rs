//! Facts of `aws eks describe-cluster` output: the live mode of a cluster.

use crate::load::ClusterContext;

use super::{AuthMode, LiveCluster, Locator, ModeFact, ModeSource};

/// The live cluster described by `context`, if it names one.
pub fn extract(context: &ClusterContext) -> Option<LiveCluster> {
    let locator = Locator::new(&context.source, None);
    let cluster = &context.cluster;
    let name = cluster.get("name")?.as_str()?.to_owned();
    let mode_node = cluster.pointer("/accessConfig/authenticationMode");
    let mode = match mode_node {
        Some(node) => ModeFact {
            mode: node.as_str().map(AuthMode::parse),
            source: ModeSource::Live,
            location: locator.at(&["cluster", "accessConfig", "authenticationMode"], node.pos),
            unresolved: node.as_str().is_none().then(|| "authenticationMode is not a string".to_owned()),
        },
        // Clusters created before access entries existed report no
        // accessConfig: they authenticate through aws-auth only.
        None => ModeFact {
            mode: Some(AuthMode::ConfigMap),
            source: ModeSource::Live,
            location: locator.at(&["cluster"], cluster.pos),
            unresolved: None,
        },
    };
    Some(LiveCluster { name, mode })
}
