//! What eksguard knows of the AWS CDK: how its EKS constructs behave and the
//! remediation texts for stacks it synthesized, the way `eksctl.rs` holds
//! eksctl's. Plain functions of plain data; rules call them.

use crate::facts::CdkCluster;

/// The remediation for an access entry on a CONFIG_MAP cluster that a CDK
/// app defines. `cluster` is how the finding names the cluster.
///
/// The mode moves only forwards: EKS allows CONFIG_MAP ->
/// API_AND_CONFIG_MAP -> API, and CDK's v1 cluster-resource provider
/// refuses any step back and the jump from CONFIG_MAP (or no mode) straight
/// to API.
pub fn remediation(cluster: &str, cdk: Option<&CdkCluster>) -> String {
    let construct = match cdk.and_then(|c| c.construct_path.as_deref()) {
        Some(path) => format!("the `Cluster` construct `{path}`"),
        None => format!("the `Cluster` construct of cluster `{cluster}`"),
    };
    let module = match cdk {
        Some(CdkCluster { v1: false, .. }) => "@aws-cdk/aws-eks-v2-alpha",
        _ => "aws-cdk-lib/aws-eks",
    };
    format!(
        "In the CDK app, set `authenticationMode: eks.AuthenticationMode.API_AND_CONFIG_MAP` on {construct} \
         (`eks` being {module}) and deploy again. A deployed cluster's mode can only move forwards: EKS allows \
         CONFIG_MAP -> API_AND_CONFIG_MAP -> API, and CDK's cluster provider refuses to move a mode back or to jump \
         from CONFIG_MAP straight to API. Otherwise drop the `grantAccess` call or `AccessEntry` and map the \
         principal in the aws-auth ConfigMap with `cluster.awsAuth.addRoleMapping(...)` (or `addUserMapping`), \
         which a CONFIG_MAP cluster reads."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_construct_and_the_module() {
        let v1 = CdkCluster { v1: true, construct_path: Some("app/Cluster".to_owned()) };
        let text = remediation("app/Cluster9EE0221C", Some(&v1));
        assert!(text.contains("on the `Cluster` construct `app/Cluster` (`eks` being aws-cdk-lib/aws-eks)"), "{text}");
        assert!(text.contains("cluster.awsAuth.addRoleMapping"));
        let v2 = CdkCluster { v1: false, construct_path: None };
        let text = remediation("demo", Some(&v2));
        assert!(text.contains("the `Cluster` construct of cluster `demo` (`eks` being @aws-cdk/aws-eks-v2-alpha)"));
    }
}
