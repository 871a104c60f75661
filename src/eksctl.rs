//! What eksctl does, by version: the single source of truth for version
//! ranges and the remediation texts that depend on them. Each fact names
//! its evidence.

use std::fmt;
use std::str::FromStr;

/// An eksctl release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Version(pub u32, pub u32, pub u32);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let core = s.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next().unwrap_or(core);
        let mut parts = core.split('.').map(str::parse::<u32>);
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Ok(a)), Some(Ok(b)), Some(Ok(c)), None) => Ok(Self(a, b, c)),
            (Some(Ok(a)), Some(Ok(b)), None, None) => Ok(Self(a, b, 0)),
            _ => Err(format!("`{s}` is not an eksctl version (expected X.Y.Z)")),
        }
    }
}

/// First release that writes access entries (and `AccessConfig`) at all:
/// access entry support arrived in eksctl 0.167.0.
pub const ACCESS_ENTRIES_SINCE: Version = Version(0, 167, 0);

/// First release that leaves the access entry out of self-managed
/// nodegroup stacks when the mode is CONFIG_MAP (the nodegroup builder in
/// `pkg/cfn/builder/nodegroup.go` checks the authentication mode from then).
pub const CONFIG_MAP_FIX: Version = Version(0, 176, 0);

/// First release that leaves the entry out when `iam.instanceRoleARN` is
/// set, creating it through the EKS API instead (and only when access
/// entries are enabled).
pub const INSTANCE_ROLE_FIX: Version = Version(0, 177, 0);

/// First release that knows `remoteNetworkConfig` (EKS Hybrid Nodes,
/// eksctl PR #8062, release notes of 0.195.0); earlier releases write no
/// `RemoteNetworkConfig` into the cluster stack.
pub const HYBRID_NODES_SINCE: Version = Version(0, 195, 0);

/// The newest eksctl release whose source was read for this table.
pub const LATEST_KNOWN: Version = Version(0, 230, 0);

/// First release whose default mode on Outposts stays API_AND_CONFIG_MAP
/// when `outpost.etcdInstanceType` is set (Outposts with EC2 instance store).
pub const OUTPOSTS_ETCD_SINCE: Version = Version(0, 229, 0);

/// What eksctl does, from release `since` until the next row: the data
/// that predictions from a ClusterConfig follow. Rows are in release
/// order; the last one is "current eksctl".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    pub since: Version,
    /// `accessConfig` exists: the cluster stack gets `AccessConfig` and
    /// eksctl writes access entries at all.
    pub access_entries: bool,
    /// `create cluster` leaves the self-managed nodegroup entry out when
    /// the mode is CONFIG_MAP.
    pub create_cluster_checks_mode: bool,
    /// A set `iam.instanceRoleARN` keeps the entry out of the nodegroup
    /// stack (eksctl calls the EKS API instead, and only when access
    /// entries are enabled).
    pub instance_role_outside_stack: bool,
    /// An unset mode defaults to CONFIG_MAP for Outposts control planes.
    pub outposts_default_config_map: bool,
    /// ... unless `outpost.etcdInstanceType` is set.
    pub outposts_etcd_keeps_api: bool,
    /// Validation refuses any mode but CONFIG_MAP on Outposts
    /// (`accessConfig.AuthenticationMode must be set to CONFIG_MAP on
    /// Outposts`): from 0.176.0 until 0.229.0 dropped the check.
    pub outposts_validates_config_map: bool,
    /// Where this was read in eksctl's source.
    pub evidence: &'static str,
}

/// eksctl's behaviour by release.
pub static BEHAVIOURS: &[Behaviour] = &[
    Behaviour {
        since: Version(0, 0, 0),
        access_entries: false,
        create_cluster_checks_mode: false,
        instance_role_outside_stack: false,
        outposts_default_config_map: false,
        outposts_validates_config_map: false,
        outposts_etcd_keeps_api: false,
        // v0.166.0 pkg/cfn/builder/cluster.go has no AccessConfig and the
        // nodegroup builder no AccessEntry resource.
        evidence: "v0.166.0: no accessConfig in the API types, no AccessConfig in pkg/cfn/builder/cluster.go",
    },
    Behaviour {
        since: ACCESS_ENTRIES_SINCE,
        access_entries: true,
        create_cluster_checks_mode: false,
        instance_role_outside_stack: false,
        outposts_default_config_map: false,
        outposts_validates_config_map: false,
        outposts_etcd_keeps_api: false,
        // v0.167.0..v0.175.0 pkg/cfn/builder/nodegroup.go: `if
        // !n.disableAccessEntryCreation { n.addAccessEntry() }`, with
        // PrincipalArn = iam.instanceRoleARN when set, else GetAtt
        // NodeInstanceRole.Arn, and Type EC2_WINDOWS for Windows AMI
        // families. `create cluster` (pkg/cfn/manager/create_tasks.go)
        // passes disableAccessEntryCreation=false whatever the mode; only
        // `create nodegroup` (pkg/actions/nodegroup/create.go) sets it from
        // the live cluster (`!m.accessEntry.IsEnabled()`).
        // pkg/apis/eksctl.io/v1alpha5/defaults.go: unset mode =
        // API_AND_CONFIG_MAP; validation.go refuses accessEntries under
        // CONFIG_MAP.
        evidence: "v0.167.0..v0.175.0 pkg/cfn/builder/nodegroup.go addAccessEntry; pkg/cfn/manager/create_tasks.go",
    },
    Behaviour {
        since: CONFIG_MAP_FIX,
        access_entries: true,
        create_cluster_checks_mode: true,
        instance_role_outside_stack: false,
        outposts_default_config_map: true,
        outposts_validates_config_map: true,
        outposts_etcd_keeps_api: false,
        // v0.176.0 pkg/cfn/manager/create_tasks.go: `disableAccessEntryCreation
        // := accessConfig.AuthenticationMode == AuthenticationModeConfigMap`;
        // defaults.go getDefaultAuthenticationMode: CONFIG_MAP when
        // IsControlPlaneOnOutposts() (outpost.controlPlaneOutpostARN set).
        evidence: "v0.176.0 pkg/cfn/manager/create_tasks.go; pkg/apis/eksctl.io/v1alpha5/defaults.go",
    },
    Behaviour {
        since: INSTANCE_ROLE_FIX,
        access_entries: true,
        create_cluster_checks_mode: true,
        instance_role_outside_stack: true,
        outposts_default_config_map: true,
        outposts_validates_config_map: true,
        outposts_etcd_keeps_api: false,
        // v0.177.0 pkg/cfn/manager/nodegroup.go: `createAccessEntryInStack
        // := ng.IAM.InstanceRoleARN == ""`; otherwise DisableAccessEntryResource
        // and a separate maybeCreateAccessEntry task calls the API.
        evidence: "v0.177.0 pkg/cfn/manager/nodegroup.go UnmanagedNodeGroupTask.Create",
    },
    Behaviour {
        since: OUTPOSTS_ETCD_SINCE,
        access_entries: true,
        create_cluster_checks_mode: true,
        instance_role_outside_stack: true,
        outposts_default_config_map: true,
        outposts_validates_config_map: false,
        outposts_etcd_keeps_api: true,
        // v0.229.0 defaults.go getDefaultAuthenticationMode(isOutpost,
        // isOutpostV2): CONFIG_MAP only when !isOutpostV2 (etcdInstanceType
        // unset); validation.go no longer refuses other modes on Outposts
        // (v0.176.0..v0.228.0: "accessConfig.AuthenticationMode must be set
        // to CONFIG_MAP on Outposts").
        evidence: "v0.229.0 pkg/apis/eksctl.io/v1alpha5/defaults.go getDefaultAuthenticationMode",
    },
];

/// The behaviour of `version`, or of current eksctl when `None`, with the
/// releases that share it.
pub fn behaviour(version: Option<Version>) -> (&'static Behaviour, String) {
    let i = match version {
        Some(v) => BEHAVIOURS.iter().rposition(|b| b.since <= v).unwrap_or(0),
        None => BEHAVIOURS.len() - 1,
    };
    (&BEHAVIOURS[i], releases(i))
}

/// The releases of row `i` of [`BEHAVIOURS`], as words.
fn releases(i: usize) -> String {
    let since = BEHAVIOURS[i].since;
    match BEHAVIOURS.get(i + 1) {
        None => format!("{since} or later"),
        Some(next) if i == 0 => format!("before {}", next.since),
        Some(next) if next.since.2 == 0 && next.since.1 > 0 => {
            format!("{since} to {}.{}.x", next.since.0, next.since.1 - 1)
        }
        Some(next) => format!("{since} up to {}", next.since),
    }
}

/// The release modelled, in words: `eksctl 0.175.0` or `current eksctl
/// (0.229.0 or later)`.
pub fn modelled(version: Option<Version>) -> String {
    match version {
        Some(v) => format!("eksctl {v}"),
        None => format!("current eksctl ({})", behaviour(None).1),
    }
}

/// eksctl's default authentication mode when `accessConfig.authenticationMode`
/// is unset.
pub fn default_mode(b: &Behaviour, outposts: bool, etcd: bool) -> &'static str {
    if outposts && b.outposts_default_config_map && !(etcd && b.outposts_etcd_keeps_api) {
        "CONFIG_MAP"
    } else {
        "API_AND_CONFIG_MAP"
    }
}

/// Does `eksctl create cluster` put an access entry into a self-managed
/// nodegroup's stack?
pub fn create_cluster_nodegroup_entry(b: &Behaviour, config_map: bool, instance_role: bool) -> bool {
    b.access_entries
        && !(b.create_cluster_checks_mode && config_map)
        && !(b.instance_role_outside_stack && instance_role)
}

/// Does `eksctl create nodegroup` put an access entry into a self-managed
/// nodegroup's stack, on a cluster that accepts access entries? (On one
/// that does not, it never does: it reads the live mode.)
pub fn create_nodegroup_entry(b: &Behaviour, instance_role: bool) -> bool {
    b.access_entries && !(b.instance_role_outside_stack && instance_role)
}

/// What eksctl says when `accessConfig.accessEntries` meets CONFIG_MAP
/// (pkg/apis/eksctl.io/v1alpha5/validation.go, since 0.167.0).
pub const ACCESS_ENTRIES_REFUSED: &str =
    "accessConfig.authenticationMode must be set to either API_AND_CONFIG_MAP or API to use access entries";

/// A value for a command in a remediation: the known one, or a
/// placeholder with the sentence that says what to put there.
///
/// The placeholder convention (tests/rules.rs checks it on every sample's
/// findings): a command in backticks holds only values that can be run as
/// written, or a placeholder in capitals (`CLUSTER_NAME`, `PRINCIPAL_ARN`,
/// `CONFIG_FILE`) that a sentence of the same remediation explains as
/// "`CLUSTER_NAME` is ...". Never `<...>`, never `(unnamed)`.
pub fn value_or_placeholder(value: Option<&str>, placeholder: &'static str, what: &str) -> (String, String) {
    match value {
        Some(v) => (v.to_owned(), String::new()),
        None => (placeholder.to_owned(), format!(" {placeholder} is {what}.")),
    }
}

/// The cluster name for a command, or `CLUSTER_NAME` explained.
pub fn cluster_arg(cluster: Option<&str>) -> (String, String) {
    // A cluster known only as `<stack>/<logicalId>` (CDK: named at deploy;
    // EKS names never hold a `/`) cannot be named in a command either.
    let cluster = cluster.filter(|n| !n.contains('/'));
    value_or_placeholder(cluster, "CLUSTER_NAME", "the cluster's name, which the inputs do not give")
}

/// Who refuses a mode other than CONFIG_MAP for an Outposts control plane
/// at `version` (`None`: any release).
pub fn outposts_refusal(version: Option<Version>) -> String {
    let eks = "EKS local clusters on Outposts accept only CONFIG_MAP";
    match version {
        Some(v) if v < ACCESS_ENTRIES_SINCE => format!("{eks} (eksctl {v} does not set a mode at all)"),
        Some(v) if behaviour(Some(v)).0.outposts_validates_config_map => {
            format!("{eks}, and eksctl {v} refuses any other mode in its validation before anything is created")
        }
        Some(v) if v < CONFIG_MAP_FIX => {
            format!("{eks}: eksctl {v} passes any mode on and EKS refuses it, failing the cluster stack")
        }
        Some(v) => format!("{eks}: eksctl {v} passes any mode on and EKS refuses it"),
        None => format!(
            "{eks}: eksctl {} passes any mode on and EKS refuses it (failing the cluster stack); eksctl {CONFIG_MAP_FIX} \
             to {}.{}.x refuse it in their validation",
            affected_range(),
            OUTPOSTS_ETCD_SINCE.0,
            OUTPOSTS_ETCD_SINCE.1 - 1
        ),
    }
}

/// How to get past a self-managed nodegroup entry that `eksctl create
/// cluster` is predicted to write for a CONFIG_MAP ClusterConfig read from
/// `config` (the scanned file, so the commands name it).
pub fn predicted_nodegroup_remediation(outposts: bool, version: Option<Version>, config: &str) -> String {
    let mode = if outposts {
        format!("Changing `accessConfig.authenticationMode` is not an option here: {}.", outposts_refusal(version))
    } else {
        "Or (3) set `accessConfig.authenticationMode: API_AND_CONFIG_MAP` in the config (nodes then join through \
         access entries, and aws-auth keeps working)."
            .to_owned()
    };
    format!(
        "Either (1) use eksctl {CONFIG_MAP_FIX} or later, which leaves the entry out under CONFIG_MAP; or (2) run \
         `eksctl create cluster -f {config} --without-nodegroup`, then `eksctl create nodegroup -f {config}` (it \
         reads the live mode and maps the node role into aws-auth instead). {mode} Setting `iam.instanceRoleARN` \
         does not help before eksctl {INSTANCE_ROLE_FIX}: the entry is still written, naming that role."
    )
}

/// How to get past `accessConfig.accessEntries` under CONFIG_MAP.
pub fn predicted_accessentry_remediation(outposts: bool, version: Option<Version>) -> String {
    if outposts {
        return format!(
            "Drop `accessConfig.accessEntries` and map the principals with `iamIdentityMappings` (aws-auth) instead; \
             changing `accessConfig.authenticationMode` is not an option: {}.",
            outposts_refusal(version)
        );
    }
    "Set `accessConfig.authenticationMode` to API_AND_CONFIG_MAP or API, or drop `accessConfig.accessEntries` and \
     map the principals with `iamIdentityMappings` (aws-auth) instead."
        .to_owned()
}

/// The eksctl release range that writes the failing nodegroup entry.
pub fn affected_range() -> String {
    format!("{ACCESS_ENTRIES_SINCE} to {}.{}.x", CONFIG_MAP_FIX.0, CONFIG_MAP_FIX.1 - 1)
}

/// How to get past an access entry that eksctl put into a self-managed
/// nodegroup stack of a CONFIG_MAP cluster (`outposts`: the cluster is
/// known to be an Outposts control plane).
pub fn nodegroup_remediation(cluster: Option<&str>, outposts: bool) -> String {
    let (name, note) = cluster_arg(cluster);
    let third = if outposts {
        "The cluster is an EKS local cluster on Outposts, which accepts only CONFIG_MAP: changing its \
         authentication mode is not an option."
            .to_owned()
    } else {
        format!(
            "Or (3) move the cluster to API_AND_CONFIG_MAP with `eksctl utils update-authentication-mode --cluster \
             {name} --authentication-mode API_AND_CONFIG_MAP` (one-way; not possible on Outposts).{note}"
        )
    };
    format!(
        "This nodegroup stack comes from `eksctl create cluster` {range}, which adds an access entry to every \
         self-managed nodegroup whatever the authentication mode. Either: (1) upgrade eksctl to {CONFIG_MAP_FIX} or \
         later and create the cluster again; or (2) create the cluster with `eksctl create cluster -f CONFIG_FILE \
         --without-nodegroup`, then the nodegroups with `eksctl create nodegroup -f CONFIG_FILE` (it checks the live \
         mode and maps the node role into aws-auth; see `--update-auth-configmap`). CONFIG_FILE is the cluster's \
         eksctl ClusterConfig. {third} Setting `iam.instanceRoleARN` does not remove the entry before eksctl \
         {INSTANCE_ROLE_FIX}.",
        range = affected_range()
    )
}

/// How to map a principal into aws-auth with eksctl instead of an access
/// entry; `principal` when its ARN is a literal.
fn identity_mapping(name: &str, principal: Option<&str>) -> String {
    let (arn, note) = value_or_placeholder(
        principal,
        "PRINCIPAL_ARN",
        "the ARN in the entry's PrincipalArn (resolved, for a reference)",
    );
    format!(
        "`eksctl create iamidentitymapping --cluster {name} --arn {arn}` (add the entry's Kubernetes groups as \
         `--group` options and its user name as `--username`), or an item of `mapRoles`/`mapUsers` in the aws-auth \
         ConfigMap.{note}"
    )
}

/// How to get past a stand-alone `eksctl-<cluster>-accessentry-*` stack.
/// `live`: the CONFIG_MAP mode comes from describe-cluster output, not a
/// template that may be stale.
pub fn accessentry_stack_remediation(cluster: Option<&str>, principal: Option<&str>, live: bool) -> String {
    let (name, note) = cluster_arg(cluster);
    let stale = if live {
        String::new()
    } else {
        format!(
            "eksctl writes these stacks only for a cluster that accepts access entries (`eksctl create cluster` \
             refuses `accessConfig.accessEntries` under CONFIG_MAP, `eksctl create accessentry` checks the live \
             mode), so the cluster's mode may have been changed after the scanned cluster template was written \
             (`eksctl utils update-authentication-mode`, `aws eks update-cluster-config`). To settle it, run `aws eks \
             describe-cluster --name {name} > cluster.json` and scan again with `--context cluster.json`. "
        )
    };
    format!(
        "{stale}If the cluster is CONFIG_MAP, move it to API_AND_CONFIG_MAP (`eksctl utils update-authentication-mode \
         --cluster {name} --authentication-mode API_AND_CONFIG_MAP`; one-way), or delete the stack and map the \
         principal into aws-auth: {}{note}",
        identity_mapping(&name, principal)
    )
}

/// Why a template's cluster has the mode CONFIG_MAP when it says nothing,
/// for the remediation of a defaulted mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Defaulted<'a> {
    /// No `AccessConfig`.
    NoAccessConfig,
    /// `AccessConfig` without `AuthenticationMode`.
    NoAuthenticationMode,
    /// A key spelt like the missing one but for case.
    Miscased(&'a str),
}

/// How to get past an access entry in a hand-written stack whose cluster
/// is CONFIG_MAP. `defaulted` when the template leaves the mode to the
/// default; `outposts` for a local cluster on Outposts, where the only way
/// is aws-auth; `live` when describe-cluster gave the mode.
pub fn template_remediation(
    cluster: Option<&str>,
    principal: Option<&str>,
    defaulted: Option<Defaulted<'_>>,
    outposts: bool,
    live: bool,
) -> String {
    let (name, note) = cluster_arg(cluster);
    if outposts {
        return format!(
            "The cluster is an EKS local cluster on Outposts (`OutpostConfig` in its template, or `outpost` in its \
             ClusterConfig), and local clusters accept only CONFIG_MAP, so the authentication mode cannot change. Remove the access entry and map its \
             principal in aws-auth instead: {}{note}",
            identity_mapping(&name, principal)
        );
    }
    let set = match defaulted {
        Some(Defaulted::NoAccessConfig) => "Add `AccessConfig: {AuthenticationMode: API_AND_CONFIG_MAP}` to the \
                                            cluster's Properties (a missing AccessConfig means CONFIG_MAP)"
            .to_owned(),
        Some(Defaulted::NoAuthenticationMode) => {
            "The cluster's AccessConfig has no AuthenticationMode (so the mode is \
                                                  CONFIG_MAP): add `AuthenticationMode: API_AND_CONFIG_MAP` to it"
                .to_owned()
        }
        Some(Defaulted::Miscased(key)) => {
            let right = if key.eq_ignore_ascii_case("AccessConfig") { "AccessConfig" } else { "AuthenticationMode" };
            format!(
                "The cluster has `{key}` where CloudFormation reads `{right}` (property names are case-sensitive): \
                 spell it `{right}` and make the mode API_AND_CONFIG_MAP"
            )
        }
        None => "Set the cluster's `AccessConfig.AuthenticationMode` to API_AND_CONFIG_MAP or API".to_owned(),
    };
    let existing = if live { "for the existing cluster" } else { "or, for an existing cluster," };
    let set = if live { format!("{set} in its template, and") } else { format!("{set};") };
    format!(
        "{set} {existing} run `aws eks update-cluster-config --name {name} --access-config \
         authenticationMode=API_AND_CONFIG_MAP` (one-way: CONFIG_MAP -> API_AND_CONFIG_MAP -> API). Otherwise remove \
         the access entry and map the principal in aws-auth: {}{note}",
        identity_mapping(&name, principal)
    )
}

/// How to get past two access entries for one role that eksctl itself
/// writes into self-managed nodegroup stacks (one per nodegroup sharing
/// `iam.instanceRoleARN`, 0.167.0 to 0.176.x).
pub fn shared_instance_role_remediation() -> String {
    format!(
        "eksctl writes these entries itself, one per self-managed nodegroup, so they cannot be merged in the config. \
         Use eksctl {INSTANCE_ROLE_FIX} or later, which leaves the entry out of the nodegroup stack when \
         `iam.instanceRoleARN` is set (and creates it once through the EKS API), or give each nodegroup its own \
         instance role."
    )
}

/// How to get past an Outposts ClusterConfig without a mode under the
/// releases that send API_AND_CONFIG_MAP for it.
pub fn outposts_mode_remediation() -> String {
    format!(
        "Set `accessConfig.authenticationMode: CONFIG_MAP` (eksctl {CONFIG_MAP_FIX} and later default to it on \
         Outposts). With eksctl {} the cluster is then created, but every self-managed nodegroup's stack gets an \
         access entry that CloudFormation rejects on a CONFIG_MAP cluster (EKS001): create the cluster with \
         `--without-nodegroup` and the nodegroups with `eksctl create nodegroup`, or use eksctl {CONFIG_MAP_FIX} or \
         later.",
        affected_range()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!("0.175.0".parse(), Ok(Version(0, 175, 0)));
        assert_eq!("v0.176.1-rc.0".parse(), Ok(Version(0, 176, 1)));
        assert!("latest".parse::<Version>().is_err());
        assert!(Version(0, 175, 9) < CONFIG_MAP_FIX);
        assert_eq!(affected_range(), "0.167.0 to 0.175.x");
    }

    #[test]
    fn behaviour_table_is_ordered_and_ranges_read_well() {
        assert!(BEHAVIOURS.windows(2).all(|w| w[0].since < w[1].since));
        assert_eq!(behaviour(Some(Version(0, 166, 9))).1, "before 0.167.0");
        assert_eq!(behaviour(Some(Version(0, 175, 0))).1, affected_range());
        assert_eq!(behaviour(Some(Version(0, 176, 0))).1, "0.176.0 to 0.176.x");
        assert_eq!(behaviour(None).1, "0.229.0 or later");
        assert!(LATEST_KNOWN >= behaviour(None).0.since);
    }

    #[test]
    fn nodegroup_entries_by_version() {
        let at = |v: (u32, u32, u32)| behaviour(Some(Version(v.0, v.1, v.2))).0;
        // (version, config_map, instance_role) -> entry in the stack
        assert!(!create_cluster_nodegroup_entry(at((0, 166, 0)), true, false));
        assert!(create_cluster_nodegroup_entry(at((0, 167, 0)), true, false));
        assert!(create_cluster_nodegroup_entry(at((0, 175, 0)), true, true));
        assert!(!create_cluster_nodegroup_entry(at((0, 176, 0)), true, false));
        assert!(create_cluster_nodegroup_entry(at((0, 176, 0)), false, true));
        assert!(!create_cluster_nodegroup_entry(at((0, 177, 0)), false, true));
        assert!(create_nodegroup_entry(at((0, 175, 0)), true));
        assert!(!create_nodegroup_entry(at((0, 180, 0)), true));
    }

    #[test]
    fn default_modes() {
        let at = |v: (u32, u32, u32)| behaviour(Some(Version(v.0, v.1, v.2))).0;
        assert_eq!(default_mode(at((0, 175, 0)), true, false), "API_AND_CONFIG_MAP");
        assert_eq!(default_mode(at((0, 176, 0)), true, false), "CONFIG_MAP");
        assert_eq!(default_mode(at((0, 176, 0)), false, false), "API_AND_CONFIG_MAP");
        assert_eq!(default_mode(at((0, 200, 0)), true, true), "CONFIG_MAP");
        assert_eq!(default_mode(at((0, 229, 0)), true, true), "API_AND_CONFIG_MAP");
    }

    #[test]
    fn who_refuses_other_modes_on_outposts() {
        let v = |m: u32| Some(Version(0, m, 0));
        assert!(outposts_refusal(v(175)).contains("EKS refuses it, failing the cluster stack"));
        assert!(outposts_refusal(v(176)).contains("eksctl 0.176.0 refuses any other mode"));
        assert!(outposts_refusal(v(228)).contains("eksctl 0.228.0 refuses"));
        assert!(outposts_refusal(v(229)).contains("EKS refuses it"));
        assert!(outposts_refusal(None).contains("0.176.0 to 0.228.x refuse it"));
    }

    #[test]
    fn remediations_name_placeholders_and_never_change_an_outposts_mode() {
        let unnamed = template_remediation(None, None, Some(Defaulted::NoAccessConfig), false, false);
        assert!(!unnamed.contains("(unnamed)") && unnamed.contains("--name CLUSTER_NAME"), "{unnamed}");
        assert!(unnamed.contains("CLUSTER_NAME is ") && unnamed.contains("PRINCIPAL_ARN is "), "{unnamed}");
        let outposts = template_remediation(Some("x"), Some("arn:aws:iam::1:role/r"), None, true, false);
        assert!(!outposts.contains("API_AND_CONFIG_MAP") && outposts.contains("iamidentitymapping --cluster x"));
        let no_mode = template_remediation(Some("x"), None, Some(Defaulted::NoAuthenticationMode), false, false);
        assert!(no_mode.contains("has no AuthenticationMode") && !no_mode.contains("Add `AccessConfig"));
        let miscased = template_remediation(Some("x"), None, Some(Defaulted::Miscased("accessConfig")), false, false);
        assert!(miscased.contains("`accessConfig` where CloudFormation reads `AccessConfig`"), "{miscased}");
        assert!(!nodegroup_remediation(Some("x"), true).contains("update-authentication-mode"));
        assert!(accessentry_stack_remediation(Some("x"), None, false).contains("--context cluster.json"));
        assert!(!accessentry_stack_remediation(Some("x"), None, true).contains("describe-cluster"));
    }
}
