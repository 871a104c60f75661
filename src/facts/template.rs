//! Facts of one CloudFormation template.

use crate::load::Template;
use crate::load::node::Node;

use super::resolve::{Resolution, Scope};
use super::{
    AccessEntryFact, AuthMode, ClusterFact, ExportFact, ExportValue, FactOptions, Locator, ModeFact, ModeSource,
    Principal, StackFacts, StackRole, TargetRef, Via,
};

pub const CLUSTER_TYPE: &str = "AWS::EKS::Cluster";
const NODEGROUP_TYPE: &str = "AWS::EKS::Nodegroup";

fn is_access_entry_type(resource_type: &str) -> bool {
    resource_type == "AWS::EKS::AccessEntry"
        || (resource_type.starts_with("Custom::") && resource_type.contains("AccessEntry"))
}

/// Extracts the facts of `template`.
pub fn extract(template: &Template, options: &FactOptions) -> StackFacts {
    let locator = Locator::new(&template.source, template.wrapper).sharing(&options.pointers);
    let clusters: Vec<_> = template.resources.iter().filter(|r| r.resource_type == CLUSTER_TYPE).collect();
    let mut scope = Scope {
        stack_name: &template.stack_name,
        parameters: template.parameters.as_ref(),
        overrides: &options.parameters,
        clusters: clusters.iter().map(|r| r.logical_id.as_str()).collect(),
        cluster_names: Vec::new(),
    };
    let names: Vec<_> = clusters
        .iter()
        .map(|r| match r.node.pointer("/Properties/Name").map(|n| scope.resolve(n)) {
            Some(Resolution::Text { text, via }) => (Some(text), Some(via)),
            _ => (None, None),
        })
        .collect();
    scope.cluster_names = names.iter().map(|(n, _)| n.clone()).collect();

    let mut cluster_facts: Vec<_> = clusters
        .iter()
        .zip(names)
        .map(|(r, (name, name_via))| {
            let base = resource_base(template, &r.logical_id);
            let at = |tokens: &[&str], node: &Node| {
                let mut all = base.to_vec();
                all.extend_from_slice(tokens);
                locator.at(&all, node.pos)
            };
            let location = locator.at(&base, r.key_pos);
            let access = r.node.pointer("/Properties/AccessConfig");
            let mode = match (access, access.and_then(|a| a.get("AuthenticationMode"))) {
                (None, _) => ModeFact {
                    mode: Some(AuthMode::ConfigMap),
                    source: ModeSource::NoAccessConfig,
                    location: location.clone(),
                    unresolved: None,
                },
                (Some(a), None) => ModeFact {
                    mode: Some(AuthMode::ConfigMap),
                    source: ModeSource::NoAuthenticationMode,
                    location: at(&["Properties", "AccessConfig"], a),
                    unresolved: None,
                },
                (Some(_), Some(m)) => {
                    let location = at(&["Properties", "AccessConfig", "AuthenticationMode"], m);
                    match scope.resolve(m) {
                        Resolution::Text { text, via } => ModeFact {
                            mode: Some(AuthMode::parse(&text)),
                            source: match via {
                                Via::Parameter { name, overridden } => ModeSource::Parameter { name, overridden },
                                _ => ModeSource::Literal,
                            },
                            location,
                            unresolved: None,
                        },
                        other => ModeFact {
                            mode: None,
                            source: ModeSource::Literal,
                            location,
                            unresolved: Some(match other {
                                Resolution::Unresolved { why } => why,
                                _ => "the value is not a string".to_owned(),
                            }),
                        },
                    }
                }
            };
            let bootstrap_admin = access.and_then(|a| a.get("BootstrapClusterCreatorAdminPermissions")).and_then(|b| {
                let value = scope.text(b)?;
                let flag = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                };
                Some((flag, at(&["Properties", "AccessConfig", "BootstrapClusterCreatorAdminPermissions"], b)))
            });
            let remote_network = r
                .node
                .pointer("/Properties/RemoteNetworkConfig")
                .filter(|n| n.as_map().is_some_and(|m| !m.is_empty()))
                .map(|n| at(&["Properties", "RemoteNetworkConfig"], n));
            ClusterFact {
                logical_id: r.logical_id.clone(),
                name,
                name_via,
                location,
                mode,
                bootstrap_admin: bootstrap_admin.map(Box::new),
                remote_network: remote_network.map(Box::new),
            }
        })
        .collect();

    let mut entries: Vec<_> = template
        .resources
        .iter()
        .filter(|r| is_access_entry_type(&r.resource_type))
        .map(|r| entry_fact(r, &resource_base(template, &r.logical_id), &scope, &locator, &template.stack_name))
        .collect();
    // A sweep keeps these: a filtered collect reserves room for 4.
    entries.shrink_to_fit();
    cluster_facts.shrink_to_fit();

    let exports = exports(template, &scope);
    let by_eksctl = template
        .description
        .as_deref()
        .is_some_and(|d| d.contains("[created and managed by eksctl]") || d.contains("[created by eksctl]"));
    let managed = template.resources.iter().any(|r| r.resource_type == NODEGROUP_TYPE);
    StackFacts {
        path: template.source.path.clone(),
        stack_name: template.stack_name.clone(),
        role: stack_role(&template.stack_name, managed),
        by_eksctl,
        clusters: cluster_facts,
        entries,
        exports,
        resource_count: template.resource_count,
        prediction: None,
    }
}

/// The pointer tokens of a resource: `/Resources/<id>`, or `/<id>` in a
/// bare resources map.
fn resource_base<'a>(template: &Template, logical_id: &'a str) -> Vec<&'a str> {
    if template.fragment { vec![logical_id] } else { vec!["Resources", logical_id] }
}

fn entry_fact(
    r: &crate::load::Resource,
    resource: &[&str],
    scope: &Scope<'_>,
    locator: &Locator<'_>,
    stack: &str,
) -> AccessEntryFact {
    let mut base = resource.to_vec();
    base.push("Properties");
    let at = |tokens: &[&str], node: &Node| {
        let mut all = base.to_vec();
        all.extend_from_slice(tokens);
        locator.at(&all, node.pos)
    };
    let location = locator.at(resource, r.key_pos);
    let props = r.node.get("Properties");
    let prop = |key: &str| props.and_then(|p| p.get(key));

    let (target, target_location) = match prop("ClusterName") {
        None => (TargetRef::Unresolved { why: "the entry has no ClusterName".to_owned() }, location.clone()),
        Some(n) => {
            let target = match scope.resolve(n) {
                Resolution::Text { text, via } => TargetRef::Name { name: text, via },
                Resolution::Cluster { index } => TargetRef::Local { index },
                Resolution::Import { export } => TargetRef::Import { export },
                Resolution::Unresolved { why } => TargetRef::Unresolved { why },
            };
            (target, at(&["ClusterName"], n))
        }
    };

    let principal = prop("PrincipalArn").and_then(|n| {
        let location = at(&["PrincipalArn"], n);
        if let Some(text) = scope.text(n) {
            return Some(Principal { key: text, literal: true, location });
        }
        // A role of the same stack: unique within it, never across stacks.
        match n.intrinsic() {
            Some(("Fn::GetAtt", arg)) => {
                let target = match arg.as_seq() {
                    Some([res, attr]) => format!("{}.{}", res.as_str()?, attr.as_str()?),
                    _ => arg.as_str()?.to_owned(),
                };
                Some(Principal { key: format!("{stack}: GetAtt {target}"), literal: false, location })
            }
            _ => None,
        }
    });

    let type_node = prop("Type");
    let entry_type = type_node.and_then(|n| scope.text(n)).unwrap_or_else(|| "STANDARD".to_owned());
    let groups_node = prop("KubernetesGroups");
    let kubernetes_groups = groups_node
        .and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, g)| Some((scope.text(g)?, at(&["KubernetesGroups", &i.to_string()], g))))
                .collect()
        })
        .unwrap_or_default();
    let username = prop("Username").and_then(|n| Some(Box::new((scope.text(n)?, at(&["Username"], n)))));
    let policies_node = prop("AccessPolicies");
    let text = |n: &Node| scope.text(n);
    let access_policies = super::access_policies(policies_node, &super::CFN_POLICY_KEYS, &text, &text, &at);

    AccessEntryFact {
        logical_id: r.logical_id.clone(),
        resource_type: r.resource_type.clone(),
        location,
        target,
        target_location,
        principal,
        entry_type,
        type_location: type_node.map(|n| at(&["Type"], n)),
        kubernetes_groups,
        kubernetes_groups_location: groups_node.map(|n| Box::new(at(&["KubernetesGroups"], n))),
        username,
        access_policies,
        access_policies_location: policies_node.map(|n| Box::new(at(&["AccessPolicies"], n))),
    }
}

fn exports(template: &Template, scope: &Scope<'_>) -> Vec<ExportFact> {
    let Some(outputs) = template.outputs.as_ref().and_then(Node::as_map) else {
        return Vec::new();
    };
    outputs
        .iter()
        .filter_map(|output| {
            // Only an export whose value is known can name a cluster; a
            // sweep meets many others (VPC ids, ARNs) and keeps none.
            let value = match output.value.get("Value").map(|v| scope.resolve(v))? {
                Resolution::Text { text, .. } => ExportValue::Text(text.into_boxed_str()),
                Resolution::Cluster { index } => ExportValue::Cluster { index },
                _ => return None,
            };
            let name = scope.text(output.value.pointer("/Export/Name")?)?.into_boxed_str();
            Some(ExportFact { name, value })
        })
        .collect::<Vec<_>>()
        .into_boxed_slice()
        .into_vec()
}

/// What eksctl made a stack for, from its name: `eksctl-<cluster>-cluster`,
/// `eksctl-<cluster>-nodegroup-<ng>`, `eksctl-<cluster>-accessentry-<hash>`.
pub fn stack_role(stack_name: &str, managed: bool) -> StackRole {
    let Some(rest) = stack_name.strip_prefix("eksctl-") else {
        return StackRole::Other;
    };
    if let Some(cluster) = rest.strip_suffix("-cluster") {
        return StackRole::EksctlCluster { cluster: cluster.to_owned() };
    }
    if let Some((cluster, nodegroup)) = rest.rsplit_once("-nodegroup-") {
        return StackRole::EksctlNodeGroup { cluster: cluster.to_owned(), nodegroup: nodegroup.to_owned(), managed };
    }
    if let Some((cluster, _)) = rest.rsplit_once("-accessentry-") {
        return StackRole::EksctlAccessEntry { cluster: cluster.to_owned() };
    }
    for marker in ["-addon-", "-fargate", "-podidentityrole-", "-karpenter"] {
        if let Some((cluster, _)) = rest.split_once(marker) {
            return StackRole::EksctlOther { cluster: cluster.to_owned() };
        }
    }
    StackRole::Other
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::load::{Document, Outcome, recognise};

    fn facts(path: &str, text: &str) -> StackFacts {
        facts_with(path, text, &FactOptions::default())
    }

    fn facts_with(path: &str, text: &str, options: &FactOptions) -> StackFacts {
        match recognise(&Arc::from(path), text.as_bytes().to_vec(), true) {
            Outcome::Documents(docs) => match &docs[0] {
                Document::Template(t) => extract(t, options),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cluster_without_access_config_defaults_to_config_map() {
        let f = facts(
            "eksctl-demo-cluster.yaml",
            "Description: x [created and managed by eksctl]\nResources:\n  ControlPlane:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: demo\n",
        );
        assert!(f.by_eksctl);
        assert_eq!(f.role, StackRole::EksctlCluster { cluster: "demo".into() });
        let c = &f.clusters[0];
        assert_eq!(c.name.as_deref(), Some("demo"));
        assert_eq!(c.mode.mode, Some(AuthMode::ConfigMap));
        assert_eq!(c.mode.source, ModeSource::NoAccessConfig);
        assert_eq!((c.mode.location.line, c.mode.location.column), (3, 3));
        assert_eq!(c.mode.location.pointer.to_string().as_str(), "/Resources/ControlPlane");
    }

    #[test]
    fn parameter_driven_mode_and_override() {
        let text = "Parameters:\n  Mode: {Type: String, Default: CONFIG_MAP}\nResources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: demo\n      AccessConfig:\n        AuthenticationMode: !Ref Mode\n";
        let c = facts("s.yaml", text).clusters.remove(0);
        assert_eq!(c.mode.mode, Some(AuthMode::ConfigMap));
        assert_eq!(c.mode.source, ModeSource::Parameter { name: "Mode".into(), overridden: false });
        assert_eq!(
            c.mode.location.pointer.to_string().as_str(),
            "/Resources/C/Properties/AccessConfig/AuthenticationMode"
        );
        assert_eq!(c.mode.location.line, 9);
        let options =
            FactOptions { parameters: [("Mode".to_owned(), "API".to_owned())].into(), ..FactOptions::default() };
        let c = facts_with("s.yaml", text, &options).clusters.remove(0);
        assert_eq!(c.mode.mode, Some(AuthMode::Api));
        assert_eq!(c.mode.source, ModeSource::Parameter { name: "Mode".into(), overridden: true });
    }

    #[test]
    fn entry_targets_and_principals() {
        let text = r#"{"Resources": {
  "C": {"Type": "AWS::EKS::Cluster", "Properties": {"AccessConfig": {"AuthenticationMode": "API"}}},
  "Local": {"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Ref": "C"}, "PrincipalArn": {"Fn::GetAtt": ["Role", "Arn"]}, "Type": "EC2_LINUX"}},
  "Imported": {"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Fn::ImportValue": "eksctl-demo-cluster::ClusterName"}, "PrincipalArn": "arn:aws:iam::1:role/r", "KubernetesGroups": ["a", "system:masters"]}}
}, "Outputs": {"Name": {"Value": {"Ref": "C"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}::ClusterName"}}},
  "Arn": {"Value": {"Fn::GetAtt": ["C", "Arn"]}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}::ARN"}}},
  "Mode": {"Value": "Single", "Export": {"Name": "nat-mode"}}}}"#;
        let f = facts("eksctl-demo-nodegroup-ng-1.json", text);
        assert_eq!(
            f.role,
            StackRole::EksctlNodeGroup { cluster: "demo".into(), nodegroup: "ng-1".into(), managed: false }
        );
        let local = &f.entries[0];
        assert_eq!(local.target, TargetRef::Local { index: 0 });
        assert_eq!(local.entry_type, "EC2_LINUX");
        let p = local.principal.as_ref().expect("principal");
        assert_eq!(p.key, "eksctl-demo-nodegroup-ng-1: GetAtt Role.Arn");
        assert!(!p.literal);
        let imported = &f.entries[1];
        assert_eq!(imported.target, TargetRef::Import { export: "eksctl-demo-cluster::ClusterName".into() });
        assert_eq!(imported.entry_type, "STANDARD");
        assert_eq!(imported.kubernetes_groups[1].0, "system:masters");
        assert_eq!(
            imported.kubernetes_groups[1].1.pointer.to_string(),
            "/Resources/Imported/Properties/KubernetesGroups/1"
        );
        // An export whose value cannot be worked out cannot name a cluster,
        // and is not kept.
        assert_eq!(
            f.exports,
            vec![
                ExportFact {
                    name: "eksctl-demo-nodegroup-ng-1::ClusterName".into(),
                    value: ExportValue::Cluster { index: 0 }
                },
                ExportFact { name: "nat-mode".into(), value: ExportValue::Text("Single".into()) },
            ]
        );
    }

    #[test]
    fn stack_roles_follow_eksctl_names() {
        assert_eq!(stack_role("eksctl-a-b-cluster", false), StackRole::EksctlCluster { cluster: "a-b".into() });
        assert_eq!(
            stack_role("eksctl-a-b-nodegroup-ng-x", true),
            StackRole::EksctlNodeGroup { cluster: "a-b".into(), nodegroup: "ng-x".into(), managed: true }
        );
        assert_eq!(
            stack_role("eksctl-a-accessentry-1f2e", false),
            StackRole::EksctlAccessEntry { cluster: "a".into() }
        );
        assert_eq!(stack_role("my-stack", false), StackRole::Other);
    }
}
