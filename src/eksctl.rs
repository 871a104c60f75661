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
}
