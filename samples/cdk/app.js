// A small AWS CDK app whose synthesized cloud assembly (cdk.out) is
// eksguard's fixture for CDK output. Plain JavaScript, no build step; run
// it through ./synth.sh, which installs the pinned packages, runs
// `cdk synth` and keeps cdk.out without asset folders. No AWS credentials are needed: every
// stack names its account and region, so nothing is looked up.
//
// What it plants (stack: what eksguard should say):
//   cdk-fixture-config-map  a v1 cluster in CONFIG_MAP, and a nested stack
//                           with an access entry on it (EKS001)
//   cdk-fixture-both        a v1 cluster in API_AND_CONFIG_MAP
//   cdk-fixture-api         a v1 cluster in API with a grantAccess (fine)
//   cdk-fixture-default     an unnamed v1 cluster without a mode, which the
//                           EKS API creates as CONFIG_MAP, with a
//                           grantAccess (EKS001: the bug this catches)
//   cdk-fixture-access      access entries in another stack, through
//                           Fn::ImportValue: on the API_AND_CONFIG_MAP
//                           cluster (fine) and the CONFIG_MAP one (EKS001)
//   Prod/cdk-fixture-v2     a v2 (aws-eks-v2-alpha) cluster, a native
//                           AWS::EKS::Cluster, in a stage (a nested cloud
//                           assembly) with a grantAccess (fine)
"use strict";

const cdk = require("aws-cdk-lib");
const eks = require("aws-cdk-lib/aws-eks");
const iam = require("aws-cdk-lib/aws-iam");
const eksv2 = require("@aws-cdk/aws-eks-v2-alpha");
const { KubectlV34Layer } = require("@aws-cdk/lambda-layer-kubectl-v34");

const env = { account: "111122223333", region: "us-east-1" };
const app = new cdk.App();

const viewer = () => [
  eks.AccessPolicy.fromAccessPolicyName("AmazonEKSViewPolicy", { accessScopeType: eks.AccessScopeType.CLUSTER }),
];

function v1Cluster(scope, id, props) {
  return new eks.Cluster(scope, id, {
    version: eks.KubernetesVersion.V1_34,
    kubectlLayer: new KubectlV34Layer(scope, `${id}Kubectl`),
    defaultCapacity: 0,
    ...props,
  });
}

// One v1 cluster per stack (CDK allows one). ------------------------------
function clusterStack(id, stackName, props) {
  const stack = new cdk.Stack(app, id, { stackName, env });
  return v1Cluster(stack, "Cluster", props);
}

const configMap = clusterStack("ConfigMap", "cdk-fixture-config-map", {
  clusterName: "cdk-fixture-config-map",
  authenticationMode: eks.AuthenticationMode.CONFIG_MAP,
});
const both = clusterStack("Both", "cdk-fixture-both", {
  clusterName: "cdk-fixture-both",
  authenticationMode: eks.AuthenticationMode.API_AND_CONFIG_MAP,
});
const api = clusterStack("Api", "cdk-fixture-api", {
  clusterName: "cdk-fixture-api",
  authenticationMode: eks.AuthenticationMode.API,
});
api.grantAccess("DevRole", "arn:aws:iam::111122223333:role/dev", viewer());

// No clusterName and no authenticationMode: the cluster gets its name at
// deploy and the EKS API's default mode, CONFIG_MAP; grantAccess
// synthesizes an AccessEntry that CloudFormation then rejects.
const unnamed = clusterStack("Default", "cdk-fixture-default", {});
unnamed.grantAccess("OpsRole", "arn:aws:iam::111122223333:role/ops", viewer());

// A nested stack with an access entry on the CONFIG_MAP cluster: the
// cluster name reaches it as a parameter the parent passes.
const nested = new cdk.NestedStack(cdk.Stack.of(configMap), "Audit");
new eks.AccessEntry(nested, "AuditEntry", {
  cluster: configMap,
  principal: "arn:aws:iam::111122223333:role/audit",
  accessPolicies: viewer(),
});

// Access entries in another stack: Fn::ImportValue of the cluster stacks'
// exports. --------------------------------------------------------------
const access = new cdk.Stack(app, "Access", { stackName: "cdk-fixture-access", env });
new eks.AccessEntry(access, "CiEntry", {
  cluster: both,
  principal: "arn:aws:iam::111122223333:role/ci",
  accessPolicies: viewer(),
});
new eks.AccessEntry(access, "DeployEntry", {
  cluster: configMap,
  principal: "arn:aws:iam::111122223333:role/deploy",
  accessPolicies: viewer(),
});

// A v2 cluster (native AWS::EKS::Cluster) inside a stage, which CDK writes
// as a nested cloud assembly (assembly-Prod/). -----------------------------
const stage = new cdk.Stage(app, "Prod", { env });
const v2 = new cdk.Stack(stage, "V2", { stackName: "cdk-fixture-v2" });
const v2Cluster = new eksv2.Cluster(v2, "Cluster", {
  version: eksv2.KubernetesVersion.V1_34,
});
v2Cluster.grantAccess(
  "AdminRole",
  "arn:aws:iam::111122223333:role/admin",
  [eksv2.AccessPolicy.fromAccessPolicyName("AmazonEKSClusterAdminPolicy", {
    accessScopeType: eksv2.AccessScopeType.CLUSTER,
  })],
);

app.synth();
