//! Facts of `aws eks describe-cluster` output: the live mode of a cluster.

use crate::load::ClusterContext;

use super::{AuthMode, LiveCluster, Locator, ModeFact, ModeSource};

/// The live cluster described by `context`, if it names one.
pub fn extract(context: &ClusterContext) -> Option<LiveCluster> {
    let locator = Locator::new(&context.source, None);
    let cluster = &context.cluster;
    let name = cluster.get("name")?.as_str()?.to_owned();
    let prefix: &[&str] = if context.bare { &[] } else { &["cluster"] };
    let at = |tokens: &[&str], pos| locator.at(&[prefix, tokens].concat(), pos);
    let mode_node = cluster.pointer("/accessConfig/authenticationMode");
    let mode = match mode_node {
        Some(node) => ModeFact {
            mode: node.as_str().map(AuthMode::parse),
            source: ModeSource::Live,
            location: at(&["accessConfig", "authenticationMode"], node.pos),
            unresolved: node.as_str().is_none().then(|| "authenticationMode is not a string".to_owned()),
        },
        // EKS reports accessConfig for every cluster since access entries
        // came (clusters older than them included, as CONFIG_MAP); output
        // without it comes from an AWS CLI older than that, which drops the
        // field. The live mode is then not known: the templates decide.
        None => ModeFact {
            mode: None,
            source: ModeSource::Live,
            location: at(&[], cluster.pos),
            unresolved: Some(
                "this describe-cluster output has no accessConfig (an AWS CLI older than access entries \
                 leaves it out), so the live mode is not known"
                    .to_owned(),
            ),
        },
    };
    Some(LiveCluster { name, mode })
}
