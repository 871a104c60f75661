//! Stage 3: facts.
//!
//! Takes one recognised [`Document`]; gives plain [`Facts`]: for a template,
//! the clusters it defines, the access entries it creates and the exports
//! it offers, each with its resolved values and source locations; for
//! `describe-cluster` output, the live state of one cluster. Pure functions,
//! one document at a time: nothing here looks at other stacks (that is
//! correlation's job) and the document itself is dropped afterwards, so a
//! sweep keeps facts, not documents.

pub mod clusterconfig;
pub mod context;
pub mod packed;
pub mod scenarios;
pub mod suppress;
pub mod template;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::eksctl::Version;
use crate::finding::{Location, Pointer, Pointers, quote_line};
use crate::load::node::{Node, Pos, escape_pointer_token};
use crate::load::{Document, SourceText, Wrapper, json_tree};

/// Settings that change what a document means.
#[derive(Debug, Clone, Default)]
pub struct FactOptions {
    /// `--parameter Key=Value` overrides, applied to every template that
    /// declares the parameter.
    pub parameters: BTreeMap<String, String>,
    /// `--eksctl-version`: the eksctl release whose behaviour ClusterConfig
    /// predictions follow; current eksctl when `None`.
    pub eksctl_version: Option<Version>,
    /// The pointers of the scan's locations, shared.
    pub pointers: Pointers,
    /// Keep the facts of every template, also those with no cluster, access
    /// entry or export: `--deployed` matches deployed templates to scanned
    /// ones by stack name, so every scanned stack's name is needed.
    pub every_stack: bool,
}

/// Everything learnt from one document.
#[derive(Debug, Clone)]
pub enum Facts {
    /// Boxed: a sweep moves many from unit to model, a pointer at a time.
    Stack(Box<StackFacts>),
    Live(Box<LiveCluster>),
    /// Inline suppressions found in the document.
    Suppressions(Vec<suppress::Suppression>),
    /// A template given with `--deployed`: the stack as it is deployed now.
    /// Kept apart from [`Facts::Stack`]: it is compared with the scanned
    /// stack of the same name and never correlated as a stack itself.
    Deployed(Box<StackFacts>),
}

/// Extracts the facts of one document.
pub fn extract(document: &Document, options: &FactOptions) -> Vec<Facts> {
    match document {
        Document::Template(t) => {
            let suppressions = suppress::of_template(t);
            let stack = template::extract(t, options);
            // A stack with no cluster, access entry or export gives later
            // stages nothing to look at; a sweep of many such templates
            // keeps only their counts (in the scan summary).
            let mut facts = Vec::new();
            if options.every_stack
                || !(stack.clusters.is_empty()
                    && stack.entries.is_empty()
                    && stack.exports.is_empty()
                    && stack.nested.is_empty())
            {
                facts.push(Facts::Stack(Box::new(stack)));
            }
            if !suppressions.is_empty() {
                facts.push(Facts::Suppressions(suppressions));
            }
            facts
        }
        Document::Context(c) => context::extract(c).into_iter().map(|l| Facts::Live(Box::new(l))).collect(),
        Document::ClusterConfig(c) => {
            let mut facts: Vec<Facts> =
                clusterconfig::extract(c, options).into_iter().map(|s| Facts::Stack(Box::new(s))).collect();
            let suppressions = suppress::of_cluster_config(c);
            if !suppressions.is_empty() {
                facts.push(Facts::Suppressions(suppressions));
            }
            facts
        }
    }
}

/// Text that is most often one of a few known values: those are lent, not
/// copied (a sweep keeps one per access entry).
pub type Known = std::borrow::Cow<'static, str>;

/// `text` as a [`Known`]: borrowed from `values` when it is one of them.
pub(crate) fn known(text: &str, values: &[&'static str]) -> Known {
    match values.iter().find(|v| **v == text) {
        Some(v) => Known::Borrowed(v),
        None => Known::Owned(text.to_owned()),
    }
}

/// The access entry types EKS knows, and the resource type of an entry.
pub(crate) const ENTRY_TYPES: &[&str] =
    &["STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2"];
pub(crate) const ACCESS_ENTRY_TYPE: &str = "AWS::EKS::AccessEntry";

/// Turns positions in one document into [`Location`]s.
#[derive(Debug, Clone)]
pub struct Locator<'a> {
    source: &'a SourceText,
    wrapper: Option<Wrapper>,
    /// Built on the first quote, so that quoting many lines of a big
    /// document does not rescan it each time.
    lines: std::cell::OnceCell<json_tree::LineIndex>,
    pointers: Option<&'a Pointers>,
}

impl<'a> Locator<'a> {
    pub fn new(source: &'a SourceText, wrapper: Option<Wrapper>) -> Self {
        Self { source, wrapper, lines: std::cell::OnceCell::new(), pointers: None }
    }

    /// Shares the pointers of the locations it makes through `pointers`.
    pub fn sharing(self, pointers: &'a Pointers) -> Self {
        Self { pointers: Some(pointers), ..self }
    }

    /// The location of the node at `pos`, reached by `tokens` from the
    /// document root.
    pub fn at(&self, tokens: &[&str], pos: Pos) -> Location {
        let mut pointer = String::new();
        if self.wrapper.is_some() {
            pointer.push_str("/TemplateBody");
        }
        for token in tokens {
            pointer.push('/');
            pointer.push_str(&escape_pointer_token(token));
        }
        let pos = match self.wrapper {
            Some(Wrapper::String(at)) => at,
            _ => pos,
        };
        // A file can be read again for its line later; standard input and
        // archive entries cannot cheaply, so they are quoted now.
        let source_line = if self.source.rereadable {
            None
        } else {
            let lines = self.lines.get_or_init(|| json_tree::LineIndex::new(&self.source.bytes));
            lines.line_text(&self.source.bytes, pos.line).map(quote_line)
        };
        Location {
            path: self.source.path.clone(),
            pointer: match self.pointers {
                Some(shared) => shared.pointer(&pointer),
                None => Pointer::from(pointer.as_str()),
            },
            line: pos.line,
            column: pos.column,
            source_line,
        }
    }
}

/// Extracts the facts of a document given with `--deployed`: the stack of a
/// template, extracted as a scanned one is, even with nothing in it (its
/// name still matches a scanned stack); `None` for any other document.
/// Suppressions in a deployed template are not read: findings are located
/// in the scanned templates, whose suppressions apply.
pub fn extract_deployed(document: &Document, options: &FactOptions) -> Option<StackFacts> {
    match document {
        Document::Template(t) => Some(template::extract(t, options)),
        Document::Context(_) | Document::ClusterConfig(_) => None,
    }
}

/// An EKS authentication mode.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum AuthMode {
    ConfigMap,
    ApiAndConfigMap,
    Api,
    /// A value EKS does not accept.
    Invalid(String),
}

impl AuthMode {
    pub fn parse(text: &str) -> Self {
        match text {
            "CONFIG_MAP" => Self::ConfigMap,
            "API_AND_CONFIG_MAP" => Self::ApiAndConfigMap,
            "API" => Self::Api,
            other => Self::Invalid(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::ConfigMap => "CONFIG_MAP",
            Self::ApiAndConfigMap => "API_AND_CONFIG_MAP",
            Self::Api => "API",
            Self::Invalid(s) => s,
        }
    }

    /// Where the mode stands on EKS's one-way path CONFIG_MAP (0) ->
    /// API_AND_CONFIG_MAP (1) -> API (2); `None` for an invalid mode.
    pub fn step(&self) -> Option<u8> {
        match self {
            Self::ConfigMap => Some(0),
            Self::ApiAndConfigMap => Some(1),
            Self::Api => Some(2),
            Self::Invalid(_) => None,
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a cluster's authentication mode came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ModeSource {
    /// `AccessConfig.AuthenticationMode` holds a literal.
    Literal,
    /// Worked out from intrinsic functions (`Fn::If`, `Fn::FindInMap`,
    /// ...) in `AccessConfig.AuthenticationMode`, with the parameter values
    /// that decided it (`Env=dev by default`).
    Evaluated { inputs: String },
    /// A template parameter, by its default or a `--parameter` override.
    Parameter { name: String, overridden: bool },
    /// No `AccessConfig` at all: CloudFormation creates the cluster in
    /// CONFIG_MAP mode.
    NoAccessConfig,
    /// `AccessConfig` without `AuthenticationMode`: also CONFIG_MAP.
    NoAuthenticationMode,
    /// `Config.accessConfig.authenticationMode` of a CDK v1 cluster
    /// (`Custom::AWSCDK-EKS-Cluster`).
    CdkConfig,
    /// A CDK v1 cluster without `Config.accessConfig.authenticationMode`
    /// (`accessConfig: {}`, or no `accessConfig` from older CDK releases):
    /// CDK's provider calls CreateCluster without one, and the EKS API
    /// creates the cluster in CONFIG_MAP mode.
    EksApiDefault,
    /// `aws eks describe-cluster` output.
    Live,
    /// `accessConfig.authenticationMode` of an eksctl ClusterConfig.
    ClusterConfig,
    /// Unset in a ClusterConfig: eksctl's default at the modelled release
    /// (`outposts`: the Outposts default applied).
    EksctlDefault { outposts: bool },
    /// eksctl before 0.167.0 writes no `AccessConfig`: CloudFormation's
    /// default.
    EksctlWithoutAccessConfig,
}

impl ModeSource {
    /// Words for messages: "set to X `<provenance>`".
    pub fn describe(&self) -> String {
        match self {
            Self::Literal => "set in AccessConfig.AuthenticationMode".to_owned(),
            Self::Evaluated { inputs } if inputs.is_empty() => {
                "worked out from AccessConfig.AuthenticationMode".to_owned()
            }
            Self::Evaluated { inputs } => format!("worked out from AccessConfig.AuthenticationMode with {inputs}"),
            Self::Parameter { name, overridden: false } => format!("from the default of parameter {name}"),
            Self::Parameter { name, overridden: true } => format!("from --parameter {name}"),
            Self::NoAccessConfig => "the default: the cluster has no AccessConfig".to_owned(),
            Self::NoAuthenticationMode => "the default: AccessConfig has no AuthenticationMode".to_owned(),
            Self::CdkConfig => "set in Config.accessConfig.authenticationMode".to_owned(),
            Self::EksApiDefault => "EKS API default: the cluster has no authenticationMode".to_owned(),
            Self::Live => "reported by describe-cluster".to_owned(),
            Self::ClusterConfig => "set in accessConfig.authenticationMode".to_owned(),
            Self::EksctlDefault { outposts: false } => {
                "eksctl's default: accessConfig.authenticationMode is unset".to_owned()
            }
            Self::EksctlDefault { outposts: true } => {
                "eksctl's default for an Outposts control plane: accessConfig.authenticationMode is unset".to_owned()
            }
            Self::EksctlWithoutAccessConfig => {
                format!("the default: eksctl before {} writes no AccessConfig", crate::eksctl::ACCESS_ENTRIES_SINCE)
            }
        }
    }

    /// Every slug [`ModeSource::slug`] gives, once each.
    pub const SLUGS: [&'static str; 8] = [
        "template",
        "parameter-default",
        "parameter-override",
        "cloudformation-default",
        "eks-api-default",
        "live",
        "clusterconfig",
        "eksctl-default",
    ];

    /// Where the mode came from, in a word, as reports give it.
    pub fn slug(&self) -> &'static str {
        let at = match self {
            Self::Literal | Self::Evaluated { .. } | Self::CdkConfig => 0,
            Self::Parameter { overridden: false, .. } => 1,
            Self::Parameter { overridden: true, .. } => 2,
            Self::NoAccessConfig | Self::NoAuthenticationMode | Self::EksctlWithoutAccessConfig => 3,
            Self::EksApiDefault => 4,
            Self::Live => 5,
            Self::ClusterConfig => 6,
            Self::EksctlDefault { .. } => 7,
        };
        Self::SLUGS[at]
    }
}

/// A cluster's authentication mode, as far as one source says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModeFact {
    /// `None` when the value cannot be worked out (e.g. `Fn::If`).
    pub mode: Option<AuthMode>,
    pub source: ModeSource,
    /// The AuthenticationMode value, or the cluster resource when defaulted.
    pub location: Location,
    /// Why `mode` is `None`.
    pub unresolved: Option<String>,
}

/// How a value was worked out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Via {
    Literal,
    Parameter {
        name: String,
        overridden: bool,
    },
    /// `Ref` to a cluster (`AWS::EKS::Cluster`, or CDK v1's custom
    /// resource) in the same template.
    LocalCluster {
        logical_id: String,
    },
    /// `Fn::ImportValue` of an export of another scanned stack.
    Import {
        export: String,
    },
    /// A pseudo parameter such as `AWS::StackName`, or a composition.
    Computed,
}

/// An `AWS::EKS::Cluster` resource, or a CDK v1 cluster
/// (`Custom::AWSCDK-EKS-Cluster`, its settings under `Properties.Config`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ClusterFact {
    pub logical_id: String,
    /// The cluster name, when it can be worked out.
    pub name: Option<String>,
    /// The resource sets no name (`Name`, or `Config.name` for CDK v1):
    /// the name is assigned at deploy.
    pub named_at_deploy: bool,
    pub name_via: Option<Via>,
    pub location: Location,
    pub mode: ModeFact,
    /// `AccessConfig.BootstrapClusterCreatorAdminPermissions`, when set
    /// (boxed, like `remote_network`: most clusters have neither).
    pub bootstrap_admin: Option<Box<(bool, Location)>>,
    /// `BootstrapClusterCreatorAdminPermissions` is present but its value
    /// cannot be worked out (`bootstrap_admin` is then `None`).
    pub bootstrap_admin_unresolved: bool,
    /// The cluster has a custom name (a `Name` property, even one whose
    /// value cannot be worked out): CloudFormation cannot replace it.
    pub named: bool,
    /// Where the `Name` value stands, when present in a template.
    pub name_location: Option<Box<Location>>,
    /// `RemoteNetworkConfig` (hybrid nodes), when present.
    pub remote_network: Option<Box<Location>>,
    /// An EKS local cluster on AWS Outposts (`OutpostConfig` in a
    /// template, `outpost.controlPlaneOutpostARN` in a ClusterConfig):
    /// EKS accepts only CONFIG_MAP for it.
    pub outposts: bool,
    /// A key that differs from `AccessConfig` or `AuthenticationMode` only
    /// in case (`authenticationMode`), where the defaulted mode was looked
    /// for: CloudFormation property names are case-sensitive.
    pub miscased: Option<Box<(String, Location)>>,
    /// For a cluster synthesized by the AWS CDK: which construct made it
    /// and its construct path (`aws:cdk:path` without the
    /// `/Resource/...` tail), when the template carries path metadata.
    pub cdk: Option<Box<CdkCluster>>,
}

/// A cluster made by a CDK construct.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CdkCluster {
    /// `aws-cdk-lib/aws-eks` (v1, `Custom::AWSCDK-EKS-Cluster`) rather than
    /// `@aws-cdk/aws-eks-v2-alpha` (a native `AWS::EKS::Cluster`).
    pub v1: bool,
    pub construct_path: Option<String>,
}

impl ClusterFact {
    /// How reports name the cluster: its name, else `<stack>/<logicalId>`
    /// (a cluster named at deploy, or whose name cannot be worked out).
    pub fn identity(&self, stack_name: &str) -> String {
        self.name.clone().unwrap_or_else(|| format!("{stack_name}/{}", self.logical_id))
    }

    /// A CDK v1 cluster (`Custom::AWSCDK-EKS-Cluster`): its settings are
    /// `Config.accessConfig...`, not `AccessConfig...`.
    pub fn cdk_v1(&self) -> bool {
        self.cdk.as_deref().is_some_and(|c| c.v1)
    }

    /// The path of a setting as this cluster spells it, from the
    /// CloudFormation spelling (`AccessConfig.AuthenticationMode` ->
    /// `Config.accessConfig.authenticationMode` for CDK v1).
    pub fn setting(&self, cloudformation: &str) -> String {
        if !self.cdk_v1() {
            return cloudformation.to_owned();
        }
        let camel: Vec<String> = cloudformation
            .split('.')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |c| c.to_ascii_lowercase().to_string() + chars.as_str())
            })
            .collect();
        format!("Config.{}", camel.join("."))
    }
}

impl ClusterFact {
    /// `BootstrapClusterCreatorAdminPermissions` as CloudFormation applies
    /// it: the value set, or `true` (the default) when absent; `None` when
    /// it is set to something that cannot be worked out.
    pub fn effective_bootstrap_admin(&self) -> Option<bool> {
        match (&self.bootstrap_admin, self.bootstrap_admin_unresolved) {
            (Some(b), _) => Some(b.0),
            (None, true) => None,
            (None, false) => Some(true),
        }
    }
}

/// Which cluster an access entry names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TargetRef {
    Name {
        name: String,
        via: Via,
    },
    /// `Ref` to the cluster at this index of the same stack's clusters.
    Local {
        index: usize,
    },
    /// `Fn::ImportValue` of this export name: correlation looks it up.
    Import {
        export: String,
    },
    /// `Ref` to a parameter without a value in the template itself: the
    /// value a parent stack passes in, when this is a nested stack.
    Parameter {
        name: String,
        why: String,
    },
    Unresolved {
        why: String,
    },
}

/// An `AWS::EKS::AccessEntry` (or eksctl's custom access entry resource).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AccessEntryFact {
    pub logical_id: String,
    pub resource_type: Known,
    pub location: Location,
    pub target: TargetRef,
    /// The ClusterName property (or the resource, when it is missing).
    pub target_location: Location,
    /// A key identifying the principal: its ARN when literal, else a
    /// description unique within the stack (`GetAtt NodeInstanceRole.Arn`).
    pub principal: Option<Principal>,
    /// `Type`, defaulting to STANDARD as EKS does.
    pub entry_type: Known,
    pub type_location: Option<Location>,
    pub kubernetes_groups: Vec<(String, Location)>,
    /// Rare on the entries a sweep meets (node entries set none of these),
    /// so kept out of line.
    pub kubernetes_groups_location: Option<Box<Location>>,
    pub username: Option<Box<(String, Location)>>,
    pub access_policies: Vec<AccessPolicyFact>,
    pub access_policies_location: Option<Box<Location>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    pub key: String,
    /// True when `key` is a literal ARN (comparable across stacks).
    pub literal: bool,
    pub location: Location,
}

/// One item of an access entry's `AccessPolicies`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AccessPolicyFact {
    pub location: Location,
    pub policy_arn: Option<(String, Location)>,
    pub scope_type: Option<(String, Location)>,
    /// `Some` when `AccessScope.Namespaces` is present (possibly empty).
    pub namespaces: Option<(Vec<String>, Location)>,
}

/// How an access entry spells its policy fields: CloudFormation in
/// PascalCase, eksctl's ClusterConfig in camelCase.
#[derive(Debug, Clone, Copy)]
pub struct PolicyKeys {
    pub list: &'static str,
    pub arn: &'static str,
    pub scope: &'static str,
    pub scope_type: &'static str,
    pub namespaces: &'static str,
}

pub const CFN_POLICY_KEYS: PolicyKeys = PolicyKeys {
    list: "AccessPolicies",
    arn: "PolicyArn",
    scope: "AccessScope",
    scope_type: "Type",
    namespaces: "Namespaces",
};

pub const EKSCTL_POLICY_KEYS: PolicyKeys = PolicyKeys {
    list: "accessPolicies",
    arn: "policyARN",
    scope: "accessScope",
    scope_type: "type",
    namespaces: "namespaces",
};

/// The items of an access entry's policy list (`list`, spelled by `keys`):
/// `text` works out the ARN and scope type, `item_text` each namespace, and
/// `at` locates a node from its pointer tokens below the entry's fields.
pub fn access_policies(
    list: Option<&Node>,
    keys: &PolicyKeys,
    text: &dyn Fn(&Node) -> Option<String>,
    item_text: &dyn Fn(&Node) -> Option<String>,
    at: &dyn Fn(&[&str], &Node) -> Location,
) -> Vec<AccessPolicyFact> {
    let Some(items) = list.and_then(Node::as_seq) else { return Vec::new() };
    items
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let i = i.to_string();
            let field = |tokens: &[&'static str]| -> Vec<&str> {
                let mut path = vec![keys.list, i.as_str()];
                path.extend_from_slice(tokens);
                path
            };
            let policy_arn = p.get(keys.arn).and_then(|n| Some((text(n)?, at(&field(&[keys.arn]), n))));
            let scope = p.get(keys.scope);
            let scope_type = scope
                .and_then(|s| s.get(keys.scope_type))
                .and_then(|n| Some((text(n)?, at(&field(&[keys.scope, keys.scope_type]), n))));
            let namespaces = scope.and_then(|s| s.get(keys.namespaces)).and_then(|n| {
                let names = n.as_seq()?.iter().filter_map(item_text).collect();
                Some((names, at(&field(&[keys.scope, keys.namespaces]), n)))
            });
            AccessPolicyFact { location: at(&field(&[]), p), policy_arn, scope_type, namespaces }
        })
        .collect()
}

/// An export a stack offers to `Fn::ImportValue`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportFact {
    pub name: Box<str>,
    pub value: ExportValue,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExportValue {
    Text(Box<str>),
    /// `Ref` to the cluster at this index of the same stack's clusters.
    Cluster {
        index: usize,
    },
}

/// What eksctl made a stack for, by its name and description.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StackRole {
    EksctlCluster {
        cluster: String,
    },
    EksctlNodeGroup {
        cluster: String,
        nodegroup: String,
        managed: bool,
    },
    EksctlAccessEntry {
        cluster: String,
    },
    EksctlOther {
        cluster: String,
    },
    /// Synthesized by the AWS CDK (`aws:cdk:path` metadata, CDK's
    /// bootstrap parameter, or CDK's cluster-resource provider).
    Cdk,
    /// Not recognisably eksctl's or CDK's.
    Other,
}

/// The facts of one CloudFormation stack (a template, or a stack eksctl
/// is predicted to create).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StackFacts {
    #[serde(with = "crate::finding::spot_path")]
    pub path: Arc<str>,
    pub stack_name: String,
    pub role: StackRole,
    /// The Description carries eksctl's `[created ... by eksctl]` marker.
    pub by_eksctl: bool,
    pub clusters: Vec<ClusterFact>,
    pub entries: Vec<AccessEntryFact>,
    pub exports: Vec<ExportFact>,
    pub resource_count: usize,
    /// `Some` for a stack predicted from an eksctl ClusterConfig.
    pub prediction: Option<Box<Prediction>>,
    /// `Some` when the template's values depend on parameters the inputs
    /// leave open: what differs between its scenarios.
    pub scenarios: Option<Box<scenarios::ScenarioFacts>>,
    /// What CloudFormation rejects in the template before creating anything
    /// (a condition cycle, an unknown condition, a malformed function in
    /// an EKS resource): where, and why.
    pub rejections: Vec<Rejection>,
    /// The nested stacks it creates from local templates (CDK's).
    pub nested: Vec<NestedStackFact>,
}

/// A place in a template that CloudFormation refuses to evaluate.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    pub location: Location,
    /// What is wrong, as [`crate::evaluate::Why::Invalid`] says it.
    pub why: String,
    /// The resource (or condition) it belongs to.
    pub owner: String,
}

/// An `AWS::CloudFormation::Stack` resource whose template is a local file
/// (CDK's `aws:asset:path` metadata: a `*.nested.template.json` beside the
/// parent's), with the parameters the parent passes to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NestedStackFact {
    pub logical_id: String,
    /// The child template's path, spelt as discovery shows its input.
    #[serde(with = "crate::finding::spot_path")]
    pub template: Arc<str>,
    /// Parameters whose values name something facts can follow (a name, a
    /// cluster of the parent, an import); others are left out.
    pub parameters: Vec<(String, TargetRef)>,
}

/// The eksctl command a ClusterConfig is predicted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EksctlCommand {
    /// A config file or `eksctl create cluster --dry-run` output.
    CreateCluster,
    /// `eksctl create nodegroup --dry-run` output: eksctl reads the live
    /// cluster's mode and writes node entries only when it accepts them.
    CreateNodegroup,
}

impl fmt::Display for EksctlCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CreateCluster => "eksctl create cluster",
            Self::CreateNodegroup => "eksctl create nodegroup",
        })
    }
}

/// How a stack was predicted from a ClusterConfig.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Prediction {
    pub command: EksctlCommand,
    /// The release modelled (`--eksctl-version`); current eksctl when `None`.
    pub version: Option<Version>,
    /// The releases that behave like the modelled one (`0.167.0 to 0.175.x`).
    pub releases: String,
    /// For a nodegroup stack: its `name` in the ClusterConfig.
    pub nodegroup: Option<String>,
    /// Outposts control plane (`outpost.controlPlaneOutpostARN` set).
    pub outposts: bool,
    /// Without `--eksctl-version`: what an affected release would write
    /// into this stack that fails, when that differs from the model.
    pub affected: Option<Box<AffectedPrediction>>,
}

/// A failure that eksctl's affected releases (0.167.0 to 0.175.x) would
/// meet but the modelled release does not.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AffectedPrediction {
    /// The affected releases.
    pub releases: String,
    /// The cluster's mode at those releases (CONFIG_MAP).
    pub mode: ModeFact,
    /// The entry they would write.
    pub entry: AccessEntryFact,
}

/// A cluster as `aws eks describe-cluster` reports it.
#[derive(Debug, Clone)]
pub struct LiveCluster {
    pub name: String,
    pub mode: ModeFact,
}
