//! Facts of an eksctl ClusterConfig (a config file, `eksctl create cluster
//! --dry-run` or `eksctl create nodegroup --dry-run` output): the stacks
//! eksctl is predicted to create from it at the modelled release, as
//! [`StackFacts`] marked with their [`Prediction`]. What eksctl does at
//! which release is data in [`crate::eksctl::BEHAVIOURS`]; this module only
//! reads the config and applies it. Locations point into the YAML.

use sha1::{Digest, Sha1};

use crate::eksctl::{self, Behaviour};
use crate::load::ClusterConfigDoc;
use crate::load::node::Node;

use super::{
    AccessEntryFact, AffectedPrediction, AuthMode, ClusterFact, EksctlCommand, FactOptions, Location, Locator,
    ModeFact, ModeSource, Prediction, Principal, StackFacts, StackRole, TargetRef, Via,
};

/// The top-level keys of `eksctl create nodegroup --dry-run` output
/// (pkg/ctl/cmdutils/dry_run.go PrintNodeGroupDryRunConfig keeps only
/// these).
const NODEGROUP_DRY_RUN_KEYS: &[&str] = &["apiVersion", "kind", "metadata", "nodeGroups", "managedNodeGroups"];

/// The label eksctl's defaulting adds to every nodegroup; users do not
/// write it, so it marks dry-run output.
const CLUSTER_NAME_LABEL: &str = "alpha.eksctl.io/cluster-name";

/// Which command a ClusterConfig is for, by its shape: `create nodegroup
/// --dry-run` output holds only metadata and nodegroups, filled in with
/// eksctl's defaults; anything else is a `create cluster` config.
pub fn command_of(root: &Node) -> EksctlCommand {
    let only_nodegroups =
        root.as_map().is_some_and(|m| m.iter().all(|e| NODEGROUP_DRY_RUN_KEYS.contains(&e.key.as_str())));
    let defaulted = ["nodeGroups", "managedNodeGroups"].iter().any(|k| {
        root.get(k)
            .and_then(Node::as_seq)
            .is_some_and(|ngs| ngs.iter().any(|ng| ng.get("labels").and_then(|l| l.get(CLUSTER_NAME_LABEL)).is_some()))
    });
    if only_nodegroups && defaulted { EksctlCommand::CreateNodegroup } else { EksctlCommand::CreateCluster }
}

/// A non-empty string at `pointer`.
fn text<'a>(root: &'a Node, pointer: &str) -> Option<(&'a str, &'a Node)> {
    let node = root.pointer(pointer)?;
    node.as_str().filter(|s| !s.is_empty()).map(|s| (s, node))
}

/// The stacks eksctl is predicted to create from `doc`.
pub fn extract(doc: &ClusterConfigDoc, options: &FactOptions) -> Vec<StackFacts> {
    let root = &doc.document;
    let locator = Locator::new(&doc.source, None).sharing(&options.pointers);
    let command = command_of(root);
    let version = options.eksctl_version;
    let (behaviour, releases) = eksctl::behaviour(version);

    let metadata =
        root.entry("metadata").map_or_else(|| locator.at(&[], root.pos), |e| locator.at(&["metadata"], e.key_pos));
    let name_node = text(root, "/metadata/name");
    let name = name_node.map(|(n, _)| n.to_owned());
    let shown = crate::finding::shown(name.as_deref()).to_owned();
    let name_location = name_node.map_or_else(|| metadata.clone(), |(_, n)| locator.at(&["metadata", "name"], n.pos));
    let outposts = text(root, "/outpost/controlPlaneOutpostARN").is_some();
    let etcd = text(root, "/outpost/etcdInstanceType").is_some();

    let ctx = Context { root, locator: &locator, metadata: &metadata, outposts, etcd };
    let mode = ctx.mode(behaviour);
    // Without --eksctl-version, also look at the releases that wrote the
    // failing nodegroup entry, with their own default mode.
    let affected = match (version, command) {
        (None, EksctlCommand::CreateCluster) => {
            let (b, r) = eksctl::behaviour(Some(eksctl::ACCESS_ENTRIES_SINCE));
            let m = ctx.mode(b);
            (m.mode == Some(AuthMode::ConfigMap)).then_some((b, r, m))
        }
        _ => None,
    };

    let prediction = |nodegroup: Option<String>| {
        Box::new(Prediction { command, version, releases: releases.clone(), nodegroup, outposts, affected: None })
    };
    let target = || match &name {
        Some(n) => TargetRef::Name { name: n.clone(), via: Via::Literal },
        None => TargetRef::Unresolved { why: "the ClusterConfig has no metadata.name".to_owned() },
    };

    let mut stacks = Vec::new();
    if command == EksctlCommand::CreateCluster {
        let access = behaviour.access_entries;
        let bootstrap_admin = access
            .then(|| root.pointer("/accessConfig/bootstrapClusterCreatorAdminPermissions"))
            .flatten()
            .and_then(|n| match n.value {
                crate::load::node::Value::Bool(b) => {
                    Some((b, locator.at(&["accessConfig", "bootstrapClusterCreatorAdminPermissions"], n.pos)))
                }
                _ => None,
            });
        let knows_hybrid = version.is_none_or(|v| v >= eksctl::HYBRID_NODES_SINCE);
        let remote_network = root
            .get("remoteNetworkConfig")
            .filter(|_| knows_hybrid)
            .filter(|n| n.as_map().is_some_and(|m| !m.is_empty()))
            .map(|n| locator.at(&["remoteNetworkConfig"], n.pos));
        stacks.push(StackFacts {
            path: doc.source.path.clone(),
            stack_name: format!("eksctl-{shown}-cluster"),
            role: StackRole::EksctlCluster { cluster: shown.clone() },
            by_eksctl: true,
            clusters: vec![ClusterFact {
                logical_id: "ControlPlane".to_owned(),
                name: name.clone(),
                name_via: name.as_ref().map(|_| Via::Literal),
                location: name_location.clone(),
                mode: mode.clone(),
                bootstrap_admin: bootstrap_admin.map(Box::new),
                bootstrap_admin_unresolved: false,
                named: name.is_some(),
                name_location: None,
                remote_network: remote_network.map(Box::new),
                outposts,
                miscased: None,
                cdk: None,
                named_at_deploy: false,
            }],
            entries: Vec::new(),
            exports: Vec::new(),
            resource_count: 1,
            prediction: Some(prediction(None)),
            scenarios: None,
            rejections: Vec::new(),
            nested: Vec::new(),
        });
    }

    let config_map = mode.mode == Some(AuthMode::ConfigMap);
    for (managed, key) in [(false, "nodeGroups"), (true, "managedNodeGroups")] {
        let Some(items) = root.get(key).and_then(Node::as_seq) else { continue };
        for (i, ng) in items.iter().enumerate() {
            let index = i.to_string();
            let at = |tokens: &[&str], node: &Node| {
                let mut all = vec![key, index.as_str()];
                all.extend_from_slice(tokens);
                locator.at(&all, node.pos)
            };
            let ng_name = ng.get("name").and_then(Node::as_str).filter(|s| !s.is_empty());
            let ng_location = ng.get("name").map_or_else(|| at(&[], ng), |n| at(&["name"], n));
            let ng_shown = ng_name.map_or_else(|| format!("({key}[{i}], name generated by eksctl)"), str::to_owned);
            let stack_name = format!("eksctl-{shown}-nodegroup-{ng_shown}");
            let role_arn = ng.pointer("/iam/instanceRoleARN").and_then(Node::as_str).filter(|s| !s.is_empty());
            let entry = |b: &Behaviour| -> Option<AccessEntryFact> {
                if managed {
                    // EKS creates managed nodegroups' entries itself.
                    return None;
                }
                let present = match command {
                    EksctlCommand::CreateCluster => {
                        eksctl::create_cluster_nodegroup_entry(b, config_map, role_arn.is_some())
                    }
                    EksctlCommand::CreateNodegroup => eksctl::create_nodegroup_entry(b, role_arn.is_some()),
                };
                present.then(|| self::nodegroup_entry(ng, &at, &ng_location, &name_location, &stack_name, target()))
            };
            let entries: Vec<_> = entry(behaviour).into_iter().collect();
            let mut p = prediction(ng_name.map(str::to_owned));
            if let Some((b, r, m)) = affected.as_ref().filter(|_| entries.is_empty() && !managed) {
                p.affected = entry(b)
                    .filter(|_| eksctl::create_cluster_nodegroup_entry(b, true, role_arn.is_some()))
                    .map(|entry| Box::new(AffectedPrediction { releases: r.clone(), mode: m.clone(), entry }));
            }
            stacks.push(StackFacts {
                path: doc.source.path.clone(),
                stack_name: stack_name.clone(),
                role: StackRole::EksctlNodeGroup { cluster: shown.clone(), nodegroup: ng_shown.clone(), managed },
                by_eksctl: true,
                resource_count: entries.len(),
                clusters: Vec::new(),
                entries,
                exports: Vec::new(),
                prediction: Some(p),
                scenarios: None,
                rejections: Vec::new(),
                nested: Vec::new(),
            });
        }
    }

    if command == EksctlCommand::CreateCluster && behaviour.access_entries {
        let items = root.pointer("/accessConfig/accessEntries").and_then(Node::as_seq).unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let index = i.to_string();
            let at = |tokens: &[&str], node: &Node| {
                let mut all = vec!["accessConfig", "accessEntries", index.as_str()];
                all.extend_from_slice(tokens);
                locator.at(&all, node.pos)
            };
            let arn = item.get("principalARN").and_then(Node::as_str).unwrap_or_default();
            let stack_name = format!("eksctl-{shown}-accessentry-{}", stack_hash(arn));
            let entry = config_entry(item, &at, &name_location, target());
            stacks.push(StackFacts {
                path: doc.source.path.clone(),
                stack_name: stack_name.clone(),
                role: StackRole::EksctlAccessEntry { cluster: shown.clone() },
                by_eksctl: true,
                clusters: Vec::new(),
                entries: vec![entry],
                exports: Vec::new(),
                resource_count: 1,
                prediction: Some(prediction(None)),
                scenarios: None,
                rejections: Vec::new(),
                nested: Vec::new(),
            });
        }
    }
    stacks
}

struct Context<'a> {
    root: &'a Node,
    locator: &'a Locator<'a>,
    metadata: &'a Location,
    outposts: bool,
    etcd: bool,
}

impl Context<'_> {
    /// The cluster's authentication mode at the release of `b`.
    fn mode(&self, b: &Behaviour) -> ModeFact {
        if !b.access_entries {
            return ModeFact {
                mode: Some(AuthMode::ConfigMap),
                source: ModeSource::EksctlWithoutAccessConfig,
                location: self.metadata.clone(),
                unresolved: None,
            };
        }
        let set = self.root.pointer("/accessConfig/authenticationMode");
        match set.and_then(|n| Some((n.scalar_text()?, n))) {
            // eksctl treats an empty mode as unset (defaults.go).
            Some((text, node)) if !text.is_empty() => ModeFact {
                mode: Some(AuthMode::parse(&text)),
                source: ModeSource::ClusterConfig,
                location: self.locator.at(&["accessConfig", "authenticationMode"], node.pos),
                unresolved: None,
            },
            _ => {
                let mode = AuthMode::parse(eksctl::default_mode(b, self.outposts, self.etcd));
                ModeFact {
                    source: ModeSource::EksctlDefault { outposts: self.outposts && mode == AuthMode::ConfigMap },
                    mode: Some(mode),
                    location: self.metadata.clone(),
                    unresolved: None,
                }
            }
        }
    }
}

/// The entry eksctl writes into a self-managed nodegroup's stack
/// (pkg/cfn/builder/nodegroup.go addAccessEntry): logical id AccessEntry,
/// the instance role, EC2_WINDOWS for Windows AMI families.
fn nodegroup_entry(
    ng: &Node,
    at: &dyn Fn(&[&str], &Node) -> Location,
    ng_location: &Location,
    name_location: &Location,
    stack_name: &str,
    target: TargetRef,
) -> AccessEntryFact {
    let role = ng.pointer("/iam/instanceRoleARN").filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
    let principal = match role {
        Some(n) => Principal {
            key: n.as_str().unwrap_or_default().to_owned(),
            literal: true,
            location: at(&["iam", "instanceRoleARN"], n),
        },
        None => Principal {
            key: format!("{stack_name}: GetAtt NodeInstanceRole.Arn"),
            literal: false,
            location: ng_location.clone(),
        },
    };
    let family = ng.get("amiFamily");
    let windows = family.and_then(Node::as_str).is_some_and(|f| f.starts_with("WindowsServer"));
    AccessEntryFact {
        logical_id: "AccessEntry".to_owned(),
        resource_type: super::Known::Borrowed(super::ACCESS_ENTRY_TYPE),
        location: ng_location.clone(),
        target,
        target_location: name_location.clone(),
        principal: Some(principal),
        entry_type: super::Known::Borrowed(if windows { "EC2_WINDOWS" } else { "EC2_LINUX" }),
        type_location: family.map(|n| at(&["amiFamily"], n)),
        kubernetes_groups: Vec::new(),
        kubernetes_groups_location: None,
        username: None,
        access_policies: Vec::new(),
        access_policies_location: None,
    }
}

/// The entry of an `eksctl-<cluster>-accessentry-*` stack, from one item of
/// `accessConfig.accessEntries` (pkg/cfn/builder/access_entry.go).
fn config_entry(
    item: &Node,
    at: &dyn Fn(&[&str], &Node) -> Location,
    name_location: &Location,
    target: TargetRef,
) -> AccessEntryFact {
    let location = item.get("principalARN").map_or_else(|| at(&[], item), |n| at(&["principalARN"], n));
    let str_at = |key: &str| item.get(key).and_then(|n| Some((n.as_str()?.to_owned(), at(&[key], n))));
    let principal = str_at("principalARN").map(|(key, location)| Principal { key, literal: true, location });
    let type_node = item.get("type");
    let groups_node = item.get("kubernetesGroups");
    let kubernetes_groups = groups_node
        .and_then(Node::as_seq)
        .map(|gs| {
            gs.iter()
                .enumerate()
                .filter_map(|(i, g)| {
                    Some((g.scalar_text()?.into_owned(), at(&["kubernetesGroups", &i.to_string()], g)))
                })
                .collect()
        })
        .unwrap_or_default();
    let policies_node = item.get("accessPolicies");
    let access_policies = super::access_policies(
        policies_node,
        &super::EKSCTL_POLICY_KEYS,
        &|n| n.as_str().map(str::to_owned),
        &|n| Some(n.scalar_text()?.into_owned()),
        at,
    );
    AccessEntryFact {
        logical_id: "AccessEntry".to_owned(),
        resource_type: super::Known::Borrowed(super::ACCESS_ENTRY_TYPE),
        location,
        target,
        target_location: name_location.clone(),
        principal,
        entry_type: super::known(
            type_node.and_then(Node::as_str).filter(|s| !s.is_empty()).unwrap_or("STANDARD"),
            super::ENTRY_TYPES,
        ),
        type_location: type_node.map(|n| at(&["type"], n)),
        kubernetes_groups,
        kubernetes_groups_location: groups_node.map(|n| Box::new(at(&["kubernetesGroups"], n))),
        username: str_at("username").map(Box::new),
        access_policies,
        access_policies_location: policies_node.map(|n| Box::new(at(&["accessPolicies"], n))),
    }
}

/// The suffix of an access entry stack's name: base32 (RFC 4648, no
/// padding) of the SHA-1 of the principal ARN, as eksctl's
/// pkg/actions/accessentry/creator.go MakeStackName computes it.
pub fn stack_hash(principal_arn: &str) -> String {
    base32(&Sha1::digest(principal_arn.as_bytes()))
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::load::{Document, Outcome, recognise};

    fn stacks(text: &str, version: Option<&str>) -> Vec<StackFacts> {
        let options =
            FactOptions { eksctl_version: version.map(|v| v.parse().expect("version")), ..FactOptions::default() };
        match recognise(&Arc::from("cluster.yaml"), text.as_bytes().to_vec(), true) {
            Outcome::Documents(docs) => match &docs[0] {
                Document::ClusterConfig(c) => extract(c, &options),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    const CLASSIC: &str = "apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: demo
  region: us-west-2
accessConfig:
  authenticationMode: CONFIG_MAP
nodeGroups:
  - name: ng-1
    instanceType: m5.large
managedNodeGroups:
  - name: mng-1
";

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(stack_hash("x").len(), 32);
    }

    #[test]
    fn classic_case_at_0_175_0_predicts_the_entry() {
        let s = stacks(CLASSIC, Some("0.175.0"));
        let names: Vec<_> = s.iter().map(|s| s.stack_name.as_str()).collect();
        assert_eq!(names, ["eksctl-demo-cluster", "eksctl-demo-nodegroup-ng-1", "eksctl-demo-nodegroup-mng-1"]);
        let cluster = &s[0].clusters[0];
        assert_eq!(cluster.mode.mode, Some(AuthMode::ConfigMap));
        assert_eq!(cluster.mode.source, ModeSource::ClusterConfig);
        assert_eq!((cluster.mode.location.line, cluster.mode.location.column), (7, 23));
        let e = &s[1].entries[0];
        assert_eq!(e.entry_type, "EC2_LINUX");
        assert_eq!(
            (e.location.line, e.location.column, e.location.pointer.to_string().as_str()),
            (9, 11, "/nodeGroups/0/name")
        );
        assert_eq!(e.target, TargetRef::Name { name: "demo".into(), via: Via::Literal });
        assert!(s[2].entries.is_empty());
        let p = s[1].prediction.as_ref().expect("predicted");
        assert_eq!(p.releases, "0.167.0 to 0.175.x");
        assert!(p.affected.is_none());
    }

    #[test]
    fn fixed_releases_and_current_eksctl_leave_the_entry_out() {
        assert!(stacks(CLASSIC, Some("0.176.0"))[1].entries.is_empty());
        assert!(stacks(CLASSIC, Some("0.166.0"))[1].entries.is_empty());
        let current = stacks(CLASSIC, None);
        assert!(current[1].entries.is_empty());
        let affected = current[1].prediction.as_ref().and_then(|p| p.affected.as_ref()).expect("affected");
        assert_eq!(affected.releases, "0.167.0 to 0.175.x");
        assert!(current[2].prediction.as_ref().is_some_and(|p| p.affected.is_none()));
    }

    #[test]
    fn instance_role_arn_keeps_the_entry_until_0_177_0() {
        let text = CLASSIC.replace(
            "    instanceType: m5.large\n",
            "    instanceType: m5.large\n    amiFamily: WindowsServer2022CoreContainer\n    iam:\n      instanceRoleARN: arn:aws:iam::1:role/n\n",
        );
        let s = stacks(&text, Some("0.175.0"));
        let e = &s[1].entries[0];
        assert_eq!(e.entry_type, "EC2_WINDOWS");
        assert_eq!(e.principal.as_ref().map(|p| p.key.as_str()), Some("arn:aws:iam::1:role/n"));
        let api = text.replace("CONFIG_MAP", "API");
        assert_eq!(stacks(&api, Some("0.176.0"))[1].entries.len(), 1);
        assert!(stacks(&api, Some("0.177.0"))[1].entries.is_empty());
    }

    #[test]
    fn defaults_follow_the_release_and_outposts() {
        let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: op\noutpost:\n  controlPlaneOutpostARN: arn:aws:outposts:us-west-2:1:outpost/op-1\nnodeGroups:\n  - name: ng\n";
        let at = |v| stacks(text, Some(v))[0].clusters[0].mode.clone();
        assert_eq!(at("0.175.0").mode, Some(AuthMode::ApiAndConfigMap));
        assert_eq!(at("0.176.0").mode, Some(AuthMode::ConfigMap));
        assert_eq!(at("0.176.0").source, ModeSource::EksctlDefault { outposts: true });
        assert_eq!(at("0.176.0").location.pointer.to_string().as_str(), "/metadata");
        assert_eq!(at("0.166.0").source, ModeSource::EksctlWithoutAccessConfig);
        // Current eksctl defaults to CONFIG_MAP here, but the affected
        // releases defaulted to API_AND_CONFIG_MAP: nothing to warn about.
        assert!(stacks(text, None)[1].prediction.as_ref().is_some_and(|p| p.affected.is_none()));
    }

    #[test]
    fn access_entries_become_stacks() {
        let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: ae\naccessConfig:\n  accessEntries:\n    - principalARN: arn:aws:iam::1:role/a\n      kubernetesGroups: [g]\n      accessPolicies:\n        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy\n          accessScope: {type: namespace, namespaces: [default]}\n";
        let s = stacks(text, Some("0.180.0"));
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].stack_name, format!("eksctl-ae-accessentry-{}", stack_hash("arn:aws:iam::1:role/a")));
        assert_eq!(s[1].role, StackRole::EksctlAccessEntry { cluster: "ae".into() });
        let e = &s[1].entries[0];
        assert_eq!(e.entry_type, "STANDARD");
        assert_eq!(e.kubernetes_groups[0].0, "g");
        assert_eq!(e.access_policies[0].scope_type.as_ref().map(|s| s.0.as_str()), Some("namespace"));
        assert_eq!(e.location.pointer.to_string().as_str(), "/accessConfig/accessEntries/0/principalARN");
        assert_eq!(stacks(text, Some("0.160.0")).len(), 1);
    }

    #[test]
    fn nodegroup_dry_run_output_is_recognised() {
        let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: live\nnodeGroups:\n  - name: ng\n    labels:\n      alpha.eksctl.io/cluster-name: live\n";
        let s = stacks(text, Some("0.175.0"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].prediction.as_ref().map(|p| p.command), Some(EksctlCommand::CreateNodegroup));
        assert_eq!(s[0].entries.len(), 1);
        // The same nodegroups without eksctl's defaults: a create-cluster config.
        let plain = text.replace("    labels:\n      alpha.eksctl.io/cluster-name: live\n", "");
        assert_eq!(stacks(&plain, Some("0.175.0"))[0].stack_name, "eksctl-live-cluster");
    }

    #[test]
    fn invalid_and_empty_modes() {
        let bad = CLASSIC.replace("CONFIG_MAP", "CONFIGMAP");
        assert_eq!(stacks(&bad, None)[0].clusters[0].mode.mode, Some(AuthMode::Invalid("CONFIGMAP".into())));
        let empty = CLASSIC.replace("CONFIG_MAP", "\"\"");
        assert_eq!(stacks(&empty, None)[0].clusters[0].mode.mode, Some(AuthMode::ApiAndConfigMap));
    }
}
