//! What eksctl does, by version: the single source of truth for version
//! ranges and the remediation texts that depend on them. Each fact names
//! its evidence.

use std::fmt;
use std::str::FromStr;

/// An eksctl release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
        outposts_etcd_keeps_api: true,
        // v0.229.0 defaults.go getDefaultAuthenticationMode(isOutpost,
        // isOutpostV2): CONFIG_MAP only when !isOutpostV2 (etcdInstanceType
        // unset).
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

/// How to get past a self-managed nodegroup entry that `eksctl create
/// cluster` is predicted to write for a CONFIG_MAP ClusterConfig.
pub fn predicted_nodegroup_remediation(outposts: bool) -> String {
    let mode = if outposts {
        "Setting `accessConfig.authenticationMode: API_AND_CONFIG_MAP` is not an option here: eksctl requires \
         CONFIG_MAP for Outposts control planes."
    } else {
        "Or (3) set `accessConfig.authenticationMode: API_AND_CONFIG_MAP` in the config (nodes then join through \
         access entries, and aws-auth keeps working)."
    };
    format!(
        "Either (1) use eksctl {CONFIG_MAP_FIX} or later, which leaves the entry out under CONFIG_MAP; or (2) run \
         `eksctl create cluster -f <config> --without-nodegroup`, then `eksctl create nodegroup -f <config>` (it \
         reads the live mode and maps the node role into aws-auth instead). {mode} Setting `iam.instanceRoleARN` \
         does not help before eksctl {INSTANCE_ROLE_FIX}: the entry is still written, naming that role."
    )
}

/// How to get past `accessConfig.accessEntries` under CONFIG_MAP.
pub fn predicted_accessentry_remediation() -> String {
    "Set `accessConfig.authenticationMode` to API_AND_CONFIG_MAP or API, or drop `accessConfig.accessEntries` and \
     map the principals with `iamIdentityMappings` (aws-auth) instead."
        .to_owned()
}

/// The eksctl release range that writes the failing nodegroup entry.
pub fn affected_range() -> String {
    format!("{ACCESS_ENTRIES_SINCE} to {}.{}.x", CONFIG_MAP_FIX.0, CONFIG_MAP_FIX.1 - 1)
}

/// How to get past an access entry that eksctl put into a self-managed
/// nodegroup stack of a CONFIG_MAP cluster.
pub fn nodegroup_remediation(cluster: &str) -> String {
    format!(
        "This nodegroup stack comes from `eksctl create cluster` {range}, which adds an access entry to every \
         self-managed nodegroup whatever the authentication mode. Either: (1) upgrade eksctl to {CONFIG_MAP_FIX} or \
         later and create the cluster again; (2) create the cluster with `eksctl create cluster --without-nodegroup`, \
         then the nodegroups with `eksctl create nodegroup -f <config>` (it checks the live mode and maps the node \
         role into aws-auth; see `--update-auth-configmap`); or (3) move the cluster to API_AND_CONFIG_MAP with \
         `eksctl utils update-authentication-mode --cluster {cluster} --authentication-mode API_AND_CONFIG_MAP` \
         (one-way; not possible on Outposts). Setting `iam.instanceRoleARN` does not remove the entry before eksctl \
         {INSTANCE_ROLE_FIX}.",
        range = affected_range()
    )
}

/// How to get past a stand-alone `eksctl-<cluster>-accessentry-*` stack.
pub fn accessentry_stack_remediation(cluster: &str) -> String {
    format!(
        "eksctl makes these stacks from `accessConfig.accessEntries`, which need access entries enabled. Move the \
         cluster to API_AND_CONFIG_MAP first (`eksctl utils update-authentication-mode --cluster {cluster} \
         --authentication-mode API_AND_CONFIG_MAP`; one-way), or drop the entry and map the principal into aws-auth \
         with `eksctl create iamidentitymapping --cluster {cluster} --arn <principal-arn>`."
    )
}

/// How to get past an access entry in a hand-written stack.
pub fn template_remediation(cluster: &str, defaulted: bool) -> String {
    let set = if defaulted {
        "Add `AccessConfig: {AuthenticationMode: API_AND_CONFIG_MAP}` to the cluster resource (a missing \
         AccessConfig means CONFIG_MAP)"
    } else {
        "Set the cluster's `AccessConfig.AuthenticationMode` to API_AND_CONFIG_MAP or API"
    };
    format!(
        "{set}, or for an existing cluster run `aws eks update-cluster-config --name {cluster} --access-config \
         authenticationMode=API_AND_CONFIG_MAP` (one-way: CONFIG_MAP -> API_AND_CONFIG_MAP -> API). Otherwise remove \
         the access entry and map the principal in the aws-auth ConfigMap."
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
}
