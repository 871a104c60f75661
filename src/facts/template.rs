//! Facts of one CloudFormation template, from the values evaluation works
//! out (see [`crate::evaluate`]): resources whose `Condition` is false in
//! every scenario are left out, `Fn::ForEach` loops are expanded, and a
//! value that differs between scenarios is kept per scenario
//! ([`ScenarioFacts`]) for the rules to judge.

use crate::evaluate::foreach::{self, Generated};
use crate::evaluate::{Evaluator, Inputs, Mask, Three, Val, Why};
use crate::load::Template;
use crate::load::node::{Node, Pos};

use super::scenarios::ScenarioFacts;
use super::{
    AccessEntryFact, AuthMode, CdkCluster, ClusterFact, ExportFact, ExportValue, FactOptions, Locator, ModeFact,
    ModeSource, NestedStackFact, Principal, Rejection, StackFacts, StackRole, TargetRef, Via,
};

pub const CLUSTER_TYPE: &str = "AWS::EKS::Cluster";
/// A cluster made by `aws-cdk-lib/aws-eks` (v1) through CDK's
/// cluster-resource provider: `Properties.Config` is the EKS CreateCluster
/// request, camelCase.
pub const CDK_CLUSTER_TYPE: &str = crate::load::CDK_CLUSTER_TYPE;
/// The attributes CDK's cluster-resource provider returns besides the name
/// (`Ref`): `Fn::GetAtt` of one of these is known to be that cluster.
pub const CDK_CLUSTER_ATTRIBUTES: &[&str] = &[
    "Arn",
    "CertificateAuthorityData",
    "ClusterSecurityGroupId",
    "EncryptionConfigKeyArn",
    "Endpoint",
    "OpenIdConnectIssuer",
    "OpenIdConnectIssuerUrl",
];

/// Is `resource_type` a cluster (native, or CDK v1's custom resource)?
pub fn is_cluster_type(resource_type: &str) -> bool {
    resource_type == CLUSTER_TYPE || resource_type == CDK_CLUSTER_TYPE
}

/// How a cluster resource spells the settings facts read.
struct Spelling {
    /// Pointer tokens from the resource to the settings.
    base: &'static [&'static str],
    name: &'static str,
    access: &'static str,
    mode: &'static str,
    bootstrap: &'static str,
    remote: &'static str,
    outpost: &'static str,
    cdk: bool,
}

const NATIVE: Spelling = Spelling {
    base: &["Properties"],
    name: "Name",
    access: "AccessConfig",
    mode: "AuthenticationMode",
    bootstrap: "BootstrapClusterCreatorAdminPermissions",
    remote: "RemoteNetworkConfig",
    outpost: "OutpostConfig",
    cdk: false,
};

const CDK_V1: Spelling = Spelling {
    base: &["Properties", "Config"],
    name: "name",
    access: "accessConfig",
    mode: "authenticationMode",
    bootstrap: "bootstrapClusterCreatorAdminPermissions",
    remote: "remoteNetworkConfig",
    outpost: "outpostConfig",
    cdk: true,
};

fn spelling(resource_type: &str) -> &'static Spelling {
    if resource_type == CDK_CLUSTER_TYPE { &CDK_V1 } else { &NATIVE }
}

/// The node under `tokens` from `node`.
fn below<'n>(node: &'n Node, tokens: &[&str]) -> Option<&'n Node> {
    tokens.iter().try_fold(node, |n, t| n.get(t))
}
const NODEGROUP_TYPE: &str = "AWS::EKS::Nodegroup";

fn is_access_entry_type(resource_type: &str) -> bool {
    resource_type == "AWS::EKS::AccessEntry"
        || (resource_type.starts_with("Custom::") && resource_type.contains("AccessEntry"))
}

/// A resource as facts see it: written in `Resources`, or made by a loop.
struct Res<'t> {
    logical_id: &'t str,
    key_pos: Pos,
    resource_type: &'t str,
    node: &'t Node,
    /// Pointer tokens from the root to the resource.
    tokens: Vec<&'t str>,
    /// The scenarios in which it exists.
    exists: Mask,
}

/// Extracts the facts of `template`.
pub fn extract(template: &Template, options: &FactOptions) -> StackFacts {
    let locator = Locator::new(&template.source, template.wrapper).sharing(&options.pointers);
    // Only a template with EKS resources (or loops that make them) is
    // evaluated in scenarios; any other is asked only for its exports.
    let semantics = template.semantics.as_deref();
    let loops = semantics.map_or(&[][..], |s| &s.loops);
    let inputs = Inputs::of(template, &options.parameters);
    let roots: Vec<&Node> = template.resources.iter().map(|r| &r.node).chain(loops.iter().map(|l| &l.2)).collect();
    let ev = Evaluator::new(inputs, &roots);
    let base: &[&str] = if template.fragment { &[] } else { &["Resources"] };
    let (generated, problems) =
        if loops.is_empty() { (Vec::new(), Vec::new()) } else { foreach::expand(&ev, loops, base) };

    let mut resources: Vec<Res<'_>> = Vec::with_capacity(template.resources.len() + generated.len());
    for r in &template.resources {
        let mut tokens = base.to_vec();
        tokens.push(&r.logical_id);
        resources.push(Res {
            logical_id: &r.logical_id,
            key_pos: r.key_pos,
            resource_type: &r.resource_type,
            node: &r.node,
            tokens,
            exists: 0,
        });
    }
    for g in &generated {
        resources.push(generated_res(g));
    }
    // A resource whose Condition is false in every scenario is never made.
    let mut rejections = Vec::new();
    for r in &mut resources {
        r.exists = match ev.exists(r.node) {
            Ok(mask) => mask,
            Err(why) => {
                // A condition that is defined but broken is reported once,
                // in Conditions (below); here only a name that is not there.
                let defined = |name: &str| {
                    template
                        .semantics
                        .as_deref()
                        .and_then(|s| s.conditions.as_ref())
                        .and_then(|c| c.get(name))
                        .is_some()
                };
                let cond = r.node.get("Condition").filter(|c| !c.as_str().is_some_and(defined));
                if let (Why::Invalid(why), Some(cond)) = (why, cond) {
                    let mut tokens = r.tokens.clone();
                    tokens.push("Condition");
                    rejections.push(Rejection {
                        location: locator.at(&tokens, cond.pos),
                        why,
                        owner: r.logical_id.to_owned(),
                    });
                }
                ev.all()
            }
        };
    }
    resources.retain(|r| r.exists != 0);
    if !resources.is_empty() {
        rejections.extend(rejected_conditions(&ev, template, &locator));
        for r in &resources {
            if let Some(properties) = r.node.get("Properties") {
                let mut tokens: Vec<String> = r.tokens.iter().map(|t| (*t).to_owned()).collect();
                tokens.push("Properties".to_owned());
                let mut found = Vec::new();
                rejected_functions(&ev, properties, &mut tokens, r.exists, &mut found);
                rejections.extend(found.into_iter().map(|(tokens, pos, why)| {
                    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
                    Rejection { location: locator.at(&tokens, pos), why, owner: r.logical_id.to_owned() }
                }));
            }
        }
    }

    let clusters: Vec<&Res<'_>> = resources.iter().filter(|r| is_cluster_type(r.resource_type)).collect();
    let cluster_ids: Vec<&str> = clusters.iter().map(|r| r.logical_id).collect();
    let names: Vec<_> = clusters
        .iter()
        .map(|r| {
            let keys = spelling(r.resource_type);
            // No name at all: CloudFormation (or CDK's provider) names the
            // cluster at deploy.
            match below(r.node, keys.base).and_then(|b| b.get(keys.name)) {
                Some(n) => match ev.string(n, r.exists) {
                    Three::Known(text) => {
                        ev.set_name(r.logical_id, &text);
                        (Some(text), Some(provenance(&ev, n)), false)
                    }
                    _ => (None, None, false),
                },
                None => (None, None, true),
            }
        })
        .collect();

    let cdk_stack = by_cdk(template);
    // Per cluster: its modes by scenario, when they differ.
    let mut cluster_modes = vec![Vec::new(); clusters.len()];
    let mut cluster_facts: Vec<_> = clusters
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (r, (name, name_via, named_at_deploy)))| {
            let at = |tokens: &[&str], node: &Node| {
                let mut all = r.tokens.clone();
                all.extend_from_slice(tokens);
                locator.at(&all, node.pos)
            };
            let location = locator.at(&r.tokens, r.key_pos);
            let keys = spelling(r.resource_type);
            let settings = below(r.node, keys.base);
            let tokens = |rest: &[&'static str]| -> Vec<&'static str> {
                let mut all = keys.base.to_vec();
                all.extend_from_slice(rest);
                all
            };
            let access = settings.and_then(|s| s.get(keys.access));
            let written = access.and_then(|a| a.get(keys.mode));
            let mode_location = match (access, written) {
                (Some(_), Some(m)) => at(&tokens(&[keys.access, keys.mode]), m),
                (Some(a), None) => at(&tokens(&[keys.access]), a),
                (None, _) => location.clone(),
            };
            let mode = match ev.over(r.exists, |s| mode_in(&ev, r.node, keys, s)) {
                Three::Known((mode, source)) => {
                    ModeFact { mode: Some(mode), source, location: mode_location, unresolved: None }
                }
                Three::OneOf(candidates) => {
                    let first = candidates[0].0.clone();
                    if candidates.iter().all(|((m, _), _)| *m == first.0) {
                        ModeFact { mode: Some(first.0), source: first.1, location: mode_location, unresolved: None }
                    } else {
                        cluster_modes[i] = candidates.into_iter().map(|((m, _), mask)| (m, mask)).collect();
                        ModeFact {
                            mode: None,
                            source: ModeSource::Literal,
                            location: mode_location,
                            unresolved: Some("it depends on the parameters in force".to_owned()),
                        }
                    }
                }
                Three::Unknown(why) => {
                    ModeFact { mode: None, source: ModeSource::Literal, location: mode_location, unresolved: Some(why) }
                }
            };
            let bootstrap_node = access.and_then(|a| a.get(keys.bootstrap));
            let bootstrap_admin = bootstrap_node.and_then(|b| {
                let value = ev.string(b, r.exists).known()?;
                let flag = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                };
                Some((flag, at(&tokens(&[keys.access, keys.bootstrap]), b)))
            });
            let name_node = settings.and_then(|s| s.get(keys.name));
            let remote_network = settings
                .and_then(|s| s.get(keys.remote))
                .filter(|n| n.as_map().is_some_and(|m| !m.is_empty()))
                .map(|n| at(&tokens(&[keys.remote]), n));
            let outposts = settings.and_then(|s| s.get(keys.outpost)).is_some_and(|n| n.as_map().is_some());
            // Where the defaulted mode was looked for: a key spelt like the
            // missing one but for case.
            let miscased = match (&mode.source, access) {
                (ModeSource::NoAccessConfig, _) => miscased_key(settings, keys.access).map(|(k, n)| {
                    let mut all = keys.base.to_vec();
                    all.push(&k);
                    let l = at(&all, n);
                    (k, l)
                }),
                (ModeSource::NoAuthenticationMode, Some(a)) => miscased_key(Some(a), keys.mode).map(|(k, n)| {
                    let mut all = tokens(&[keys.access]);
                    all.push(&k);
                    let l = at(&all, n);
                    (k, l)
                }),
                _ => None,
            };
            ClusterFact {
                logical_id: r.logical_id.to_owned(),
                name,
                named_at_deploy,
                name_via,
                location,
                mode,
                bootstrap_admin_unresolved: bootstrap_node.is_some() && bootstrap_admin.is_none(),
                bootstrap_admin: bootstrap_admin.map(Box::new),
                named: name_node.is_some(),
                name_location: name_node.map(|n| Box::new(at(&tokens(&[keys.name]), n))),
                remote_network: remote_network.map(Box::new),
                outposts,
                miscased: miscased.map(Box::new),
                cdk: cdk_stack.then(|| {
                    Box::new(CdkCluster { v1: keys.cdk, construct_path: construct_path(r.node).map(str::to_owned) })
                }),
            }
        })
        .collect();
    let entry_resources: Vec<&Res<'_>> = resources.iter().filter(|r| is_access_entry_type(r.resource_type)).collect();
    let mut entries: Vec<_> =
        entry_resources.iter().map(|r| entry_fact(r, &ev, &cluster_ids, &locator, &template.stack_name)).collect();
    let mut entry_exists: Vec<Mask> = entry_resources.iter().map(|r| r.exists).collect();
    // A loop that could not be expanded, and would make access entries,
    // stands for them with the reason.
    // A loop CloudFormation cannot expand rejects the template.
    for p in problems.iter().filter(|p| p.why.ends_with(crate::evaluate::REJECTED)) {
        let tokens: Vec<&str> = p.tokens.iter().map(String::as_str).collect();
        rejections.push(Rejection {
            location: locator.at(&tokens, p.key_pos),
            why: p.why.clone(),
            owner: p.key.clone(),
        });
    }
    for p in problems.iter().filter(|p| loop_mentions_entries(template, &p.key)) {
        let tokens: Vec<&str> = p.tokens.iter().map(String::as_str).collect();
        let location = locator.at(&tokens, p.key_pos);
        entries.push(AccessEntryFact {
            logical_id: p.key.clone(),
            resource_type: super::Known::Borrowed(super::ACCESS_ENTRY_TYPE),
            location: location.clone(),
            target: TargetRef::Unresolved { why: p.why.clone() },
            target_location: location,
            principal: None,
            entry_type: super::Known::Borrowed("STANDARD"),
            type_location: None,
            kubernetes_groups: Vec::new(),
            kubernetes_groups_location: None,
            username: None,
            access_policies: Vec::new(),
            access_policies_location: None,
        });
        entry_exists.push(ev.all());
    }
    // A sweep keeps these: a filtered collect reserves room for 4.
    entries.shrink_to_fit();
    cluster_facts.shrink_to_fit();

    let scenarios = (ev.scenarios().len() > 1).then(|| {
        Box::new(ScenarioFacts { scenarios: ev.scenarios().to_vec(), all: ev.all(), cluster_modes, entry_exists })
    });

    let exports = exports(template, &ev, &cluster_ids);
    let by_eksctl = template
        .description
        .as_deref()
        .is_some_and(|d| d.contains("[created and managed by eksctl]") || d.contains("[created by eksctl]"));
    let managed = resources.iter().any(|r| r.resource_type == NODEGROUP_TYPE);
    let role = match stack_role(&template.stack_name, managed) {
        StackRole::Other if cdk_stack => StackRole::Cdk,
        role => role,
    };
    rejections.sort_by_key(|a| (a.location.line, a.location.column));
    rejections.dedup_by(|a, b| a.location == b.location && a.why == b.why);
    StackFacts {
        path: template.source.path.clone(),
        stack_name: template.stack_name.clone(),
        role,
        by_eksctl,
        clusters: cluster_facts,
        entries,
        exports,
        resource_count: template.resource_count + generated.len(),
        prediction: None,
        scenarios,
        rejections,
        nested: nested_stacks(template, &ev, &cluster_ids),
    }
}

/// The conditions of `template` that CloudFormation cannot evaluate (a
/// cycle, an unknown condition or parameter, a wrong arity), in any
/// scenario: each is rejected whether or not a resource uses it.
fn rejected_conditions(ev: &Evaluator<'_>, template: &Template, locator: &Locator<'_>) -> Vec<Rejection> {
    let Some(conditions) = template.semantics.as_deref().and_then(|s| s.conditions.as_ref()) else {
        return Vec::new();
    };
    let Some(entries) = conditions.as_map() else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries {
        let failed = (0..ev.scenarios().len()).find_map(|s| match ev.condition(&entry.key, s, 0) {
            Err(Why::Invalid(why)) => Some(why),
            _ => None,
        });
        if let Some(why) = failed {
            found.push(Rejection {
                location: locator.at(&["Conditions", &entry.key], entry.value.pos),
                why,
                owner: entry.key.clone(),
            });
        }
    }
    found
}

/// Walks the literal parts of `node` and evaluates each function met (not
/// the functions inside its arguments: CloudFormation evaluates only the
/// branch of an `Fn::If` it takes), in every scenario of `within`, and the
/// literal values they give; collects what CloudFormation would reject,
/// with the tokens of where it is written.
fn rejected_functions(
    ev: &Evaluator<'_>,
    node: &Node,
    tokens: &mut Vec<String>,
    within: Mask,
    found: &mut Vec<(Vec<String>, Pos, String)>,
) {
    // A walk bounded by the tree eksguard built (its depth is bounded).
    if node.intrinsic().is_some() {
        for s in (0..ev.scenarios().len()).filter(|s| within & (1 << s) != 0) {
            match ev.value(node, s) {
                Err(Why::Invalid(why)) => {
                    found.push((tokens.clone(), node.pos, why));
                    return;
                }
                // A literal the function gives (an `Fn::If` branch): what
                // is rejected inside it is reported at the function.
                Ok(Val::Node(literal)) if !std::ptr::eq(literal, node) => {
                    let mut inner = Vec::new();
                    rejected_functions(ev, literal, &mut Vec::new(), 1 << s, &mut inner);
                    if let Some((_, _, why)) = inner.into_iter().next() {
                        found.push((tokens.clone(), node.pos, why));
                        return;
                    }
                }
                _ => {}
            }
        }
        return;
    }
    if let Some(entries) = node.as_map() {
        for e in entries {
            tokens.push(e.key.clone());
            rejected_functions(ev, &e.value, tokens, within, found);
            tokens.pop();
        }
    } else if let Some(items) = node.as_seq() {
        for (i, item) in items.iter().enumerate() {
            tokens.push(i.to_string());
            rejected_functions(ev, item, tokens, within, found);
            tokens.pop();
        }
    }
}

fn generated_res(g: &Generated) -> Res<'_> {
    Res {
        logical_id: &g.logical_id,
        key_pos: g.key_pos,
        resource_type: &g.resource_type,
        node: &g.node,
        tokens: g.tokens.iter().map(String::as_str).collect(),
        exists: 0,
    }
}

fn loop_mentions_entries(template: &Template, key: &str) -> bool {
    fn walk(node: &Node, depth: usize) -> bool {
        match &node.value {
            crate::load::node::Value::String(s) => is_access_entry_type(s),
            crate::load::node::Value::Seq(items) if depth < 256 => items.iter().any(|i| walk(i, depth + 1)),
            crate::load::node::Value::Map(entries) if depth < 256 => entries.iter().any(|e| walk(&e.value, depth + 1)),
            _ => false,
        }
    }
    template.semantics.as_ref().is_some_and(|s| s.loops.iter().any(|(k, _, node)| k == key && walk(node, 0)))
}

/// A cluster's authentication mode in scenario `s`, with where it came
/// from: `AWS::NoValue` anywhere on the way leaves CloudFormation's
/// default, CONFIG_MAP.
fn mode_in(ev: &Evaluator<'_>, node: &Node, keys: &Spelling, s: usize) -> Result<(AuthMode, ModeSource), Why> {
    // CDK's v1 provider sends its Config to EKS as given: no mode there is
    // the EKS API's default.
    let (no_access, no_mode) = if keys.cdk {
        (ModeSource::EksApiDefault, ModeSource::EksApiDefault)
    } else {
        (ModeSource::NoAccessConfig, ModeSource::NoAuthenticationMode)
    };
    let mut settings = Val::Node(node);
    let mut at = node.pos;
    for token in keys.base {
        let Some((n, v)) = ev.member(&settings, token, at, s)? else {
            return Ok((AuthMode::ConfigMap, no_access));
        };
        (settings, at) = (v, n.pos);
    }
    let Some((access_node, access)) = ev.member(&settings, keys.access, at, s)? else {
        return Ok((AuthMode::ConfigMap, no_access));
    };
    let Some((mode_node, mode)) = ev.member(&access, keys.mode, access_node.pos, s)? else {
        return Ok((AuthMode::ConfigMap, no_mode));
    };
    let text = ev.text(&mode, mode_node.pos, s)?;
    let literal = if keys.cdk { ModeSource::CdkConfig } else { ModeSource::Literal };
    let source = match provenance_in(ev, mode_node, s) {
        Via::Parameter { name, overridden } => ModeSource::Parameter { name, overridden },
        _ if mode_node.intrinsic().is_none() => literal,
        _ => ModeSource::Evaluated { inputs: ev.decided_by(mode_node, s).join(", ") },
    };
    Ok((AuthMode::parse(&text), source))
}

/// How `node` gets its value, following `Fn::If` in the first scenario.
fn provenance(ev: &Evaluator<'_>, node: &Node) -> Via {
    provenance_in(ev, node, 0)
}

fn provenance_in(ev: &Evaluator<'_>, node: &Node, s: usize) -> Via {
    let mut node = node;
    for _ in 0..64 {
        match node.intrinsic() {
            None => return Via::Literal,
            Some(("Ref", arg)) => {
                return match arg.as_str() {
                    Some(name) if ev.is_parameter(name) => {
                        Via::Parameter { name: name.to_owned(), overridden: ev.is_overridden(name) }
                    }
                    _ => Via::Computed,
                };
            }
            Some(("Fn::If", arg)) => match arg.as_seq() {
                Some([c, a, b]) => match c.as_str().map(|c| ev.condition(c, s, 0)) {
                    Some(Ok(true)) => node = a,
                    Some(Ok(false)) => node = b,
                    _ => return Via::Computed,
                },
                _ => return Via::Computed,
            },
            Some(_) => return Via::Computed,
        }
    }
    Via::Computed
}

/// What a value refers to, as facts need it.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Text(String),
    Cluster(usize),
    Import(String),
}

fn target_in(ev: &Evaluator<'_>, node: &Node, clusters: &[&str], s: usize) -> Result<Target, Why> {
    match ev.value(node, s)? {
        Val::Resource(id) if clusters.contains(&id.as_str()) => {
            Ok(Target::Cluster(clusters.iter().position(|c| *c == id).unwrap_or_default()))
        }
        Val::Import(export) => Ok(Target::Import(export)),
        other => ev.text(&other, node.pos, s).map(Target::Text),
    }
}

/// A key of `map` equal to `wanted` but for case, with its value.
fn miscased_key<'a>(map: Option<&'a Node>, wanted: &str) -> Option<(String, &'a Node)> {
    map?.as_map()?
        .iter()
        .find(|e| e.key != wanted && e.key.eq_ignore_ascii_case(wanted))
        .map(|e| (e.key.clone(), &e.value))
}

pub const NESTED_STACK_TYPE: &str = "AWS::CloudFormation::Stack";

/// The parameter `node` is a `Ref` to, when the template declares it.
fn parameter_ref<'n>(node: &'n Node, ev: &Evaluator<'_>) -> Option<&'n str> {
    match node.intrinsic() {
        Some(("Ref", arg)) => arg.as_str().filter(|p| ev.is_parameter(p)),
        _ => None,
    }
}

/// The nested stacks `template` creates from local templates, with the
/// parameters it passes them.
fn nested_stacks(template: &Template, ev: &Evaluator<'_>, clusters: &[&str]) -> Vec<NestedStackFact> {
    template
        .resources
        .iter()
        .filter(|r| r.resource_type == NESTED_STACK_TYPE)
        .filter_map(|r| {
            let file = r.node.get("Metadata")?.get("aws:asset:path")?.as_str()?;
            if !file.ends_with(".template.json") || file.contains(['/', '\\']) {
                return None;
            }
            let parent = std::path::Path::new(&*template.source.path).parent()?;
            let child = parent.join(file);
            let exists = ev.exists(&r.node).unwrap_or(ev.all());
            let parameters = r
                .node
                .pointer("/Properties/Parameters")
                .and_then(Node::as_map)
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|e| {
                            let value = match ev.over(exists, |s| target_in(ev, &e.value, clusters, s)) {
                                Three::Known(Target::Text(name)) => {
                                    TargetRef::Name { name, via: provenance(ev, &e.value) }
                                }
                                Three::Known(Target::Cluster(index)) => TargetRef::Local { index },
                                Three::Known(Target::Import(export)) => TargetRef::Import { export },
                                // Passed on from this stack's own parent.
                                Three::Unknown(why) => {
                                    TargetRef::Parameter { name: parameter_ref(&e.value, ev)?.to_owned(), why }
                                }
                                Three::OneOf(_) => return None,
                            };
                            Some((e.key.clone(), value))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(NestedStackFact {
                logical_id: r.logical_id.clone(),
                template: std::sync::Arc::from(child.to_string_lossy().as_ref()),
                parameters,
            })
        })
        .collect()
}

/// Was the template synthesized by the AWS CDK? Its resources carry
/// `aws:cdk:path` metadata (unless path metadata is turned off), its
/// clusters are CDK's provider's, or it has CDK's `BootstrapVersion`
/// parameter.
fn by_cdk(template: &Template) -> bool {
    template.resources.iter().any(|r| {
        r.resource_type == CDK_CLUSTER_TYPE || r.node.get("Metadata").and_then(|m| m.get("aws:cdk:path")).is_some()
    }) || template
        .parameters
        .as_ref()
        .and_then(|p| p.pointer("/BootstrapVersion/Default"))
        .and_then(Node::as_str)
        .is_some_and(|d| d.starts_with("/cdk-bootstrap/"))
}

/// The path of the construct that made a resource: its `aws:cdk:path`
/// metadata up to the first `Resource` (`app/Cluster/Resource/Resource/
/// Default` -> `app/Cluster`).
fn construct_path(resource: &Node) -> Option<&str> {
    let path = resource.get("Metadata")?.get("aws:cdk:path")?.as_str()?;
    Some(path.split_once("/Resource").map_or(path, |(head, _)| head))
}

fn entry_fact(
    r: &Res<'_>,
    ev: &Evaluator<'_>,
    clusters: &[&str],
    locator: &Locator<'_>,
    stack: &str,
) -> AccessEntryFact {
    let mut base = r.tokens.clone();
    base.push("Properties");
    let at = |tokens: &[&str], node: &Node| {
        let mut all = base.to_vec();
        all.extend_from_slice(tokens);
        locator.at(&all, node.pos)
    };
    let location = locator.at(&r.tokens, r.key_pos);
    let props = r.node.get("Properties");
    let prop = |key: &str| props.and_then(|p| p.get(key));
    let within = r.exists;
    let text = |n: &Node| ev.string(n, within).known();

    let (target, target_location) = match prop("ClusterName") {
        None => (TargetRef::Unresolved { why: "the entry has no ClusterName".to_owned() }, location.clone()),
        Some(n) => {
            let target = match ev.over(within, |s| target_in(ev, n, clusters, s)) {
                Three::Known(Target::Text(name)) => TargetRef::Name { name, via: provenance(ev, n) },
                Three::Known(Target::Cluster(index)) => TargetRef::Local { index },
                Three::Known(Target::Import(export)) => TargetRef::Import { export },
                Three::OneOf(candidates) => {
                    let params = ev
                        .decided_by(n, 0)
                        .iter()
                        .map(|p| p.split('=').next().unwrap_or(p).to_owned())
                        .collect::<Vec<_>>();
                    let names: Vec<String> = candidates
                        .iter()
                        .map(|(t, _)| match t {
                            Target::Text(name) => name.clone(),
                            Target::Cluster(i) => format!("cluster {}", clusters.get(*i).unwrap_or(&"?")),
                            Target::Import(export) => format!("the export {export}"),
                        })
                        .collect();
                    TargetRef::Unresolved {
                        why: format!(
                            "the ClusterName is one of {} depending on {} (pass --parameter to choose)",
                            names.join(", "),
                            if params.is_empty() {
                                "conditions the inputs leave open".to_owned()
                            } else {
                                params.join(", ")
                            }
                        ),
                    }
                }
                // A parameter without a value may be passed in by a parent.
                Three::Unknown(why) => match parameter_ref(n, ev) {
                    Some(name) => TargetRef::Parameter { name: name.to_owned(), why },
                    None => TargetRef::Unresolved { why },
                },
            };
            (target, at(&["ClusterName"], n))
        }
    };

    let principal = prop("PrincipalArn").and_then(|n| {
        let location = at(&["PrincipalArn"], n);
        if let Some(text) = text(n) {
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
    let entry_type =
        type_node.and_then(text).map_or(super::Known::Borrowed("STANDARD"), |t| super::known(&t, super::ENTRY_TYPES));
    let groups_node = prop("KubernetesGroups");
    let kubernetes_groups = groups_node
        .and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, g)| Some((text(g)?, at(&["KubernetesGroups", &i.to_string()], g))))
                .collect()
        })
        .unwrap_or_default();
    let username = prop("Username").and_then(|n| Some(Box::new((text(n)?, at(&["Username"], n)))));
    let policies_node = prop("AccessPolicies");
    let access_policies = super::access_policies(policies_node, &super::CFN_POLICY_KEYS, &text, &text, &at);

    AccessEntryFact {
        logical_id: r.logical_id.to_owned(),
        resource_type: super::known(r.resource_type, &[super::ACCESS_ENTRY_TYPE]),
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

fn exports(template: &Template, ev: &Evaluator<'_>, clusters: &[&str]) -> Vec<ExportFact> {
    let Some(outputs) = template.outputs.as_ref().and_then(Node::as_map) else {
        return Vec::new();
    };
    outputs
        .iter()
        .filter_map(|output| {
            let exists = ev.exists(&output.value).unwrap_or(ev.all());
            if exists == 0 {
                return None;
            }
            // Only an export whose value is known can name a cluster; a
            // sweep meets many others (VPC ids, ARNs) and keeps none.
            let value_node = output.value.get("Value")?;
            let value = match ev.over(exists, |s| target_in(ev, value_node, clusters, s)) {
                Three::Known(Target::Text(text)) => ExportValue::Text(text.into_boxed_str()),
                Three::Known(Target::Cluster(index)) => ExportValue::Cluster { index },
                _ => return None,
            };
            let name = ev.string(output.value.pointer("/Export/Name")?, exists).known()?.into_boxed_str();
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
    fn cdk_v1_clusters_read_their_config() {
        let text = r#"{"Resources": {
  "Named": {"Type": "Custom::AWSCDK-EKS-Cluster", "Properties": {"Config": {"name": "demo",
     "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": false},
     "remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["10.0.0.0/8"]}]}}},
   "Metadata": {"aws:cdk:path": "app/Named/Resource/Resource/Default"}},
  "Empty": {"Type": "Custom::AWSCDK-EKS-Cluster", "Properties": {"Config": {"accessConfig": {}}}},
  "Old": {"Type": "Custom::AWSCDK-EKS-Cluster", "Properties": {"Config": {"version": "1.21"}}},
  "Entry": {"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Ref": "Empty"}}}
}}"#;
        let f = facts("app.template.json", text);
        assert_eq!(f.role, StackRole::Cdk);
        let [named, empty, old] = &f.clusters[..] else { panic!("{:?}", f.clusters) };
        assert_eq!(named.name.as_deref(), Some("demo"));
        assert!(!named.named_at_deploy);
        assert_eq!(named.mode.mode, Some(AuthMode::ApiAndConfigMap));
        assert_eq!(named.mode.source, ModeSource::CdkConfig);
        assert_eq!(
            named.mode.location.pointer.to_string(),
            "/Resources/Named/Properties/Config/accessConfig/authenticationMode"
        );
        let bootstrap = named.bootstrap_admin.as_deref().expect("bootstrap");
        assert!(!bootstrap.0);
        assert_eq!(named.remote_network.as_deref().map(|l| l.line), Some(4));
        assert_eq!(named.cdk.as_deref(), Some(&CdkCluster { v1: true, construct_path: Some("app/Named".to_owned()) }));
        // `accessConfig: {}` and no accessConfig: the EKS API's CONFIG_MAP.
        for (c, pointer) in [(empty, "/Resources/Empty/Properties/Config/accessConfig"), (old, "/Resources/Old")] {
            assert_eq!(c.name, None);
            assert!(c.named_at_deploy);
            assert_eq!(c.mode.mode, Some(AuthMode::ConfigMap));
            assert_eq!(c.mode.source, ModeSource::EksApiDefault);
            assert_eq!(c.mode.location.pointer.to_string(), pointer);
        }
        assert_eq!(f.entries[0].target, TargetRef::Local { index: 1 });
    }

    #[test]
    fn nested_stacks_and_the_parameters_they_get() {
        let parent = r#"{"Resources": {
  "C": {"Type": "Custom::AWSCDK-EKS-Cluster", "Properties": {"Config": {"name": "demo"}}},
  "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"Parameters": {
      "referencetoC": {"Ref": "C"}, "other": {"Fn::GetAtt": ["C", "Arn"]}, "plain": "x"}},
    "Metadata": {"aws:asset:path": "appChild1234.nested.template.json", "aws:asset:property": "TemplateURL"}},
  "Remote": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://example.com/t.json"}}
}}"#;
        let f = facts("out/app.template.json", parent);
        assert_eq!(f.nested.len(), 1);
        let n = &f.nested[0];
        assert_eq!(&*n.template, "out/appChild1234.nested.template.json");
        assert_eq!(
            n.parameters,
            [
                ("referencetoC".to_owned(), TargetRef::Local { index: 0 }),
                ("plain".to_owned(), TargetRef::Name { name: "x".into(), via: Via::Literal })
            ]
        );
        let child = r#"{"Parameters": {"referencetoC": {"Type": "String"}}, "Resources": {
  "E": {"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Ref": "referencetoC"}}}}}"#;
        let f = facts("out/appChild1234.nested.template.json", child);
        assert_eq!(f.stack_name, "appChild1234");
        assert!(matches!(&f.entries[0].target, TargetRef::Parameter { name, .. } if name == "referencetoC"));
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

#[cfg(test)]
mod evaluated {
    use std::sync::Arc;

    use super::*;
    use crate::load::{Document, Outcome, recognise};

    fn facts(path: &str, text: &str) -> StackFacts {
        match recognise(&Arc::from(path), text.as_bytes().to_vec(), true) {
            Outcome::Documents(docs) => match &docs[0] {
                Document::Template(t) => extract(t, &FactOptions::default()),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    const CLUSTER: &str = "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: demo\n";

    #[test]
    fn an_entry_whose_condition_is_false_is_never_made() {
        let text = format!(
            "Parameters:\n  Env: {{Type: String, Default: dev}}\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n\
             {CLUSTER}  E:\n    Type: AWS::EKS::AccessEntry\n    Condition: IsProd\n    Properties: {{ClusterName: !Ref C}}\n"
        );
        let f = facts("s.yaml", &text);
        assert!(f.entries.is_empty());
        assert!(f.scenarios.is_none());
    }

    #[test]
    fn modes_from_if_find_in_map_and_no_value() {
        let with_mode = |mode: &str| {
            format!(
                "Parameters:\n  Env: {{Type: String, Default: prod}}\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n\
                 Mappings:\n  M:\n    prod: {{Mode: API}}\n{CLUSTER}      AccessConfig:\n        AuthenticationMode: {mode}\n"
            )
        };
        let mode = |m: &str| facts("s.yaml", &with_mode(m)).clusters.remove(0).mode;
        assert_eq!(mode("!If [IsProd, API_AND_CONFIG_MAP, CONFIG_MAP]").mode, Some(AuthMode::ApiAndConfigMap));
        assert_eq!(mode("!FindInMap [M, !Ref Env, Mode]").mode, Some(AuthMode::Api));
        let absent = mode("!If [IsProd, !Ref AWS::NoValue, API]");
        assert_eq!((absent.mode, absent.source), (Some(AuthMode::ConfigMap), ModeSource::NoAuthenticationMode));
        let missing = mode("!FindInMap [M, dev, Mode]");
        assert!(missing.unresolved.is_some_and(|w| w.contains("mapping M has no key dev")));
    }

    #[test]
    fn an_ssm_parameter_is_not_its_default() {
        let text = format!(
            "Parameters:\n  Mode: {{Type: 'AWS::SSM::Parameter::Value<String>', Default: /eks/mode}}\n\
             {CLUSTER}      AccessConfig:\n        AuthenticationMode: !Ref Mode\n"
        );
        let c = facts("s.yaml", &text).clusters.remove(0);
        assert_eq!(c.mode.mode, None);
        assert!(c.mode.unresolved.is_some_and(|w| w.contains("SSM parameter /eks/mode")));
    }

    #[test]
    fn open_parameters_keep_the_mode_per_scenario() {
        let text = format!(
            "Parameters:\n  Mode: {{Type: String, AllowedValues: [API, CONFIG_MAP]}}\n\
             {CLUSTER}      AccessConfig:\n        AuthenticationMode: !Ref Mode\n  E:\n    Type: AWS::EKS::AccessEntry\n\
             \x20   Properties: {{ClusterName: !Ref C}}\n"
        );
        let f = facts("s.yaml", &text);
        let s = f.scenarios.as_deref().expect("scenarios");
        assert_eq!(s.scenarios.len(), 2);
        assert_eq!(s.refusing(0), Some(0b10));
        assert_eq!(s.describe(0b10), "Mode=CONFIG_MAP");
        assert_eq!(s.entry(0), 0b11);
    }

    #[test]
    fn json_templates_keep_conditions_and_loops_only_with_eks_resources() {
        let text = r#"{"Transform": "AWS::LanguageExtensions", "Conditions": {"C": {"Fn::Equals": ["a", "b"]}},
  "Resources": {"Fn::ForEach::E": ["X", ["a", "b"], {"E${X}": {"Type": "AWS::EKS::AccessEntry",
    "Condition": "C", "Properties": {"ClusterName": "demo"}}}],
  "Fn::ForEach::F": ["X", ["a"], {"E${X}": {"Type": "AWS::EKS::AccessEntry", "Properties": {"ClusterName": {"Ref": "X"}}}}]}}"#;
        let f = facts("s.json", text);
        assert_eq!(f.entries.len(), 1, "the two of the first loop are under a false condition");
        assert_eq!(f.entries[0].logical_id, "Ea");
        assert_eq!(f.entries[0].target, TargetRef::Name { name: "a".into(), via: Via::Literal });
        assert_eq!(f.entries[0].location.pointer.to_string(), "/Resources/Fn::ForEach::F/2/E${X}");
        let plain =
            r#"{"Conditions": {"C": {"Fn::Equals": ["a", "b"]}}, "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#;
        match recognise(&Arc::from("p.json"), plain.as_bytes().to_vec(), true) {
            Outcome::Documents(docs) => match &docs[0] {
                Document::Template(t) => assert!(t.semantics.is_none()),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    /// The rejections of a template whose resources are `resources`
    /// (YAML, indented under `Resources:`), with these `head` sections.
    fn rejections(head: &str, resources: &str) -> Vec<(String, String)> {
        let text = format!("{head}Resources:\n{resources}");
        facts("t.yaml", &text).rejections.into_iter().map(|r| (r.location.pointer.to_string(), r.why)).collect()
    }

    const BARE_CLUSTER: &str = "  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n      Name: c\n";

    #[test]
    fn a_template_without_broken_logic_has_no_rejections() {
        let head = "Parameters:\n  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}\nConditions:\n  Prod: !Equals [!Ref Env, prod]\n";
        let r = rejections(
            head,
            &format!(
                "{BARE_CLUSTER}      AccessConfig: {{AuthenticationMode: !If [Prod, API, API_AND_CONFIG_MAP]}}\n  E:\n    Type: AWS::EKS::AccessEntry\n    Condition: Prod\n    Properties:\n      ClusterName: !Ref C\n      PrincipalArn: !Sub 'arn:aws:iam::${{AWS::AccountId}}:role/${{Env}}'\n"
            ),
        );
        assert_eq!(r, Vec::<(String, String)>::new());
    }

    #[test]
    fn a_condition_cycle_is_rejected_where_it_is_written() {
        let head = "Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\n";
        let r = rejections(head, BARE_CLUSTER);
        let at: Vec<&str> = r.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(at, ["/Conditions/A", "/Conditions/B"]);
        assert!(r[0].1.contains("depends on itself"), "{}", r[0].1);
    }

    #[test]
    fn a_resource_condition_that_names_nothing_is_rejected() {
        let r = rejections("", &format!("{BARE_CLUSTER}    Condition: Missing\n"));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, "/Resources/C/Condition");
        assert!(r[0].1.contains("Missing"), "{}", r[0].1);
    }

    #[test]
    fn a_malformed_function_in_an_eks_resource_is_rejected() {
        let cases = [
            (
                "      AccessConfig: {AuthenticationMode: !If [X, API]}\n",
                "/Resources/C/Properties/AccessConfig/AuthenticationMode",
                "Fn::If",
            ),
            ("      Version: !FindInMap [NoMap, a, b]\n", "/Resources/C/Properties/Version", "NoMap"),
            ("      RoleArn: !Sub 'arn:aws:iam::${Nothing}:role/r'\n", "/Resources/C/Properties/RoleArn", "Nothing"),
        ];
        for (property, pointer, said) in cases {
            let r = rejections("Conditions:\n  X: !Equals [a, a]\n", &format!("{BARE_CLUSTER}{property}"));
            assert_eq!(r.len(), 1, "{property}: {r:?}");
            assert_eq!(r[0].0, pointer);
            assert!(r[0].1.contains(said), "{}", r[0].1);
        }
    }

    #[test]
    fn a_branch_never_taken_is_not_evaluated() {
        // CloudFormation evaluates only the branch it takes: a lookup that
        // would fail in the other one is not an error.
        let head = "Conditions:\n  Never: !Equals [a, b]\n";
        let r =
            rejections(head, &format!("{BARE_CLUSTER}      Version: !If [Never, !FindInMap [NoMap, a, b], '1.31']\n"));
        assert_eq!(r, Vec::<(String, String)>::new());
        // Taken in some scenario, it is.
        let head = "Parameters:\n  Env: {Type: String, AllowedValues: [dev, prod]}\nConditions:\n  Prod: !Equals [!Ref Env, prod]\n";
        let r =
            rejections(head, &format!("{BARE_CLUSTER}      Version: !If [Prod, !FindInMap [NoMap, a, b], '1.31']\n"));
        assert_eq!(r.len(), 1, "{r:?}");
    }

    #[test]
    fn a_literal_branch_is_evaluated_and_reported_at_its_function() {
        let head = "Conditions:\n  Always: !Equals [a, a]\n";
        let r = rejections(
            head,
            &format!(
                "{BARE_CLUSTER}      AccessConfig: !If [Always, {{AuthenticationMode: !Sub '${{Nothing}}'}}, !Ref AWS::NoValue]\n"
            ),
        );
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].0, "/Resources/C/Properties/AccessConfig");
    }
}
