//! A synthetic archive of eksctl-shaped CloudFormation stacks, for the
//! benchmark (`examples/bench.rs`), the generator (`examples/gen_corpus.rs`)
//! and the test that checks its planted findings (`tests/gen_corpus.rs`).
//!
//! For many clusters it writes the stacks eksctl would: a cluster stack
//! (authentication mode API, API_AND_CONFIG_MAP, CONFIG_MAP, or no
//! AccessConfig at all), self-managed nodegroup stacks (with the access
//! entry eksctl 0.167–0.175 put there whatever the mode), managed nodegroup
//! stacks and accessentry stacks; mixed with unrelated templates (S3,
//! Lambda, IAM, VPC), in JSON and YAML (short-form tags), every file
//! distinct, deterministic from a seed. It counts exactly the EKS001
//! findings it planted: every access entry whose cluster is in CONFIG_MAP
//! mode (explicitly, or by having no AccessConfig / no AuthenticationMode).

#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The directory (under the corpus root) that holds the malformed files.
pub(crate) const MALFORMED_DIR: &str = "malformed";

/// What to write.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// Number of template files (malformed ones included).
    pub templates: usize,
    pub seed: u64,
    /// Files that are broken JSON or YAML, which must be reported as errors.
    pub malformed: usize,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Written {
    pub files: usize,
    pub bytes: u64,
    pub json_files: usize,
    pub yaml_files: usize,
    pub eksctl_files: usize,
    pub clusters: usize,
    pub access_entries: usize,
    /// EKS001 findings eksguard must report.
    pub eks001: usize,
    /// Files eksguard must report as errors.
    pub malformed: usize,
}

impl Written {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "files": self.files, "bytes": self.bytes, "json_files": self.json_files,
            "yaml_files": self.yaml_files, "eksctl_files": self.eksctl_files, "clusters": self.clusters,
            "access_entries": self.access_entries, "eks001": self.eks001, "malformed": self.malformed,
        })
    }

    pub(crate) fn from_json(v: &Value) -> Option<Self> {
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        Some(Self {
            files: n("files")? as usize,
            bytes: n("bytes")?,
            json_files: n("json_files")? as usize,
            yaml_files: n("yaml_files")? as usize,
            eksctl_files: n("eksctl_files")? as usize,
            clusters: n("clusters")? as usize,
            access_entries: n("access_entries")? as usize,
            eks001: n("eks001")? as usize,
            malformed: n("malformed")? as usize,
        })
    }
}

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub(crate) fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    /// Base64-looking text (eksctl's UserData is a base64 gzip blob).
    pub(crate) fn base64(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let mut x = self.next();
            for _ in 0..10 {
                s.push(ALPHABET[(x & 63) as usize] as char);
                x >>= 6;
            }
        }
        s.truncate(len - len % 4);
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Api,
    ApiAndConfigMap,
    ConfigMap,
    /// No AccessConfig: CloudFormation's default, CONFIG_MAP.
    Absent,
}

impl Mode {
    fn config_map(self) -> bool {
        matches!(self, Self::ConfigMap | Self::Absent)
    }
}

/// Writes the corpus into `dir` (created; must not hold other files).
pub(crate) fn generate(dir: &Path, spec: &Spec) -> io::Result<Written> {
    fs::create_dir_all(dir)?;
    let mut g =
        Gen { rng: Rng::new(spec.seed), dir: dir.to_owned(), written: Written::default(), shard: 0, failed: None };
    let clean = spec.templates.saturating_sub(spec.malformed);
    let mut malformed_left = spec.malformed.min(spec.templates);
    let mut cluster = 0usize;
    let mut other = 0usize;
    while g.written.files - g.written.malformed < clean {
        g.shard = g.written.files / 1000;
        // About 60% of files come from eksctl, 40% are unrelated stacks.
        if g.rng.chance(45) {
            g.cluster_group(cluster, clean);
            cluster += 1;
        } else {
            g.unrelated(other)?;
            other += 1;
        }
        if let Some(e) = g.failed.take() {
            return Err(e);
        }
        if malformed_left > 0 && g.rng.chance(3) {
            g.malformed(malformed_left)?;
            malformed_left -= 1;
        }
    }
    while malformed_left > 0 {
        g.malformed(malformed_left)?;
        malformed_left -= 1;
    }
    Ok(g.written)
}

struct Gen {
    rng: Rng,
    dir: PathBuf,
    written: Written,
    shard: usize,
    /// The error of a write made inside a cluster group, surfaced by `generate`.
    failed: Option<io::Error>,
}

impl Gen {
    fn write(&mut self, name: &str, template: &Value, yaml: bool, eksctl: bool) -> io::Result<()> {
        let shard = self.dir.join(format!("account-{:03}", self.shard));
        if !shard.exists() {
            fs::create_dir_all(&shard)?;
        }
        let (text, ext) = if yaml { (to_yaml(template), "yaml") } else { (to_json(template), "json") };
        fs::write(shard.join(format!("{name}.{ext}")), &text)?;
        self.written.files += 1;
        self.written.bytes += text.len() as u64;
        if yaml {
            self.written.yaml_files += 1;
        } else {
            self.written.json_files += 1;
        }
        if eksctl {
            self.written.eksctl_files += 1;
        }
        Ok(())
    }

    fn malformed(&mut self, n: usize) -> io::Result<()> {
        // In a directory of their own, so that tools that stop at the first
        // broken file (cfn-guard) can be pointed at the rest.
        let shard = self.dir.join(MALFORMED_DIR);
        fs::create_dir_all(&shard)?;
        let tag = self.rng.hex(8);
        let template = s3_stack(&mut self.rng, 900_000 + n);
        let (name, text) = if n % 2 == 0 {
            let full = to_json(&template);
            (format!("broken-{n}-{tag}.json"), full[..full.len() / 2].to_owned())
        } else {
            (format!("broken-{n}-{tag}.yaml"), to_yaml(&template) + "Trailing: [unclosed\n")
        };
        fs::write(shard.join(name), &text)?;
        self.written.files += 1;
        self.written.bytes += text.len() as u64;
        self.written.malformed += 1;
        Ok(())
    }

    /// One cluster and its stacks; stops at `limit` files. Entries count
    /// only when their cluster's stack was written (it is written first).
    fn cluster_group(&mut self, index: usize, limit: usize) {
        let r = &mut self.rng;
        let name = format!("{}-{}-{index:05}", r.pick(TEAMS), r.pick(ENVS));
        let mode = match r.below(4) {
            0 => Mode::Api,
            1 => Mode::ApiAndConfigMap,
            2 => Mode::ConfigMap,
            _ => Mode::Absent,
        };
        // YAML is a per-cluster choice: a team keeps its archive one way.
        let yaml = r.chance(35);
        let cluster_stack = format!("eksctl-{name}-cluster");
        let template = cluster_stack_template(r, &name, mode);
        if self.try_write(&cluster_stack, &template, yaml) {
            return;
        }
        self.written.clusters += 1;
        let self_managed = self.rng.below(4);
        for _ in 0..self_managed {
            // eksctl 0.167–0.175 wrote the entry whatever the mode; later
            // versions only for API modes.
            let affected = self.rng.chance(60);
            let entry = !mode.config_map() || affected;
            let ng = format!("ng-{}", self.rng.hex(6));
            let template = nodegroup_template(&mut self.rng, &name, &ng, entry);
            if self.full(limit) || self.try_write(&format!("eksctl-{name}-nodegroup-{ng}"), &template, yaml) {
                return;
            }
            if entry {
                self.planted(mode);
            }
        }
        for _ in 0..self.rng.below(3) {
            let ng = format!("mng-{}", self.rng.hex(6));
            let template = managed_nodegroup_template(&mut self.rng, &name, &ng);
            if self.full(limit) || self.try_write(&format!("eksctl-{name}-nodegroup-{ng}"), &template, yaml) {
                return;
            }
        }
        // Accessentry stacks: eksctl writes them for API modes; a few
        // hand-made ones target CONFIG_MAP clusters.
        let stacks = if mode.config_map() { u64::from(self.rng.chance(15)) } else { self.rng.below(3) };
        for _ in 0..stacks {
            let entries = 1 + self.rng.below(3) as usize;
            let template = accessentry_template(&mut self.rng, &name, entries);
            let stack = format!("eksctl-{name}-accessentry-{}", self.rng.hex(8));
            if self.full(limit) || self.try_write(&stack, &template, yaml) {
                return;
            }
            for _ in 0..entries {
                self.planted(mode);
            }
        }
    }

    fn full(&self, limit: usize) -> bool {
        self.written.files - self.written.malformed >= limit
    }

    fn planted(&mut self, mode: Mode) {
        self.written.access_entries += 1;
        if mode.config_map() {
            self.written.eks001 += 1;
        }
    }

    /// Writes an eksctl stack; true when it failed (the error is kept).
    fn try_write(&mut self, name: &str, template: &Value, yaml: bool) -> bool {
        match self.write(name, template, yaml, true) {
            Ok(()) => false,
            Err(e) => {
                self.failed = Some(e);
                true
            }
        }
    }

    fn unrelated(&mut self, index: usize) -> io::Result<()> {
        let r = &mut self.rng;
        let yaml = r.chance(40);
        let (name, template) = match r.below(4) {
            0 => (format!("{}-{}-assets-{index:05}", r.pick(TEAMS), r.pick(ENVS)), s3_stack(r, index)),
            1 => (format!("{}-{}-fn-{index:05}", r.pick(TEAMS), r.pick(ENVS)), lambda_stack(r, index)),
            2 => (format!("{}-iam-roles-{index:05}", r.pick(TEAMS)), iam_stack(r, index)),
            _ => (format!("network-{}-{index:05}", r.pick(ENVS)), vpc_stack(r, index)),
        };
        self.write(&name, &template, yaml, false)
    }
}

const TEAMS: &[&str] = &[
    "payments", "search", "ledger", "platform", "checkout", "media", "identity", "ml", "data", "edge", "ads", "fleet",
];
const ENVS: &[&str] = &["dev", "test", "stage", "prod", "sandbox", "qa"];
const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"];
const INSTANCE_TYPES: &[&str] = &["m5.large", "m5.xlarge", "c6i.2xlarge", "r6g.large", "t3.medium", "m7i.large"];

fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}
fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}
fn reference(name: &str) -> Value {
    json!({ "Ref": name })
}
fn import(name: &str) -> Value {
    json!({ "Fn::ImportValue": name })
}
fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Array(pairs.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect())
}
fn export(value: Value, suffix: &str) -> Value {
    json!({ "Value": value, "Export": { "Name": sub(&format!("${{AWS::StackName}}::{suffix}")) } })
}
fn account(r: &mut Rng) -> String {
    format!("{:012}", r.below(1_000_000_000_000))
}

fn cluster_stack_template(r: &mut Rng, name: &str, mode: Mode) -> Value {
    let region = r.pick(REGIONS);
    let version = r.pick(&["1.27", "1.28", "1.29", "1.30"]);
    let cidr_b = r.below(250);
    let mut resources = Map::new();
    let mut parameters = Map::new();
    let mut access = Map::new();
    match mode {
        Mode::Absent => {}
        Mode::Api | Mode::ApiAndConfigMap | Mode::ConfigMap => {
            let text = match mode {
                Mode::Api => "API",
                Mode::ApiAndConfigMap => "API_AND_CONFIG_MAP",
                _ => "CONFIG_MAP",
            };
            // One cluster in five takes its mode from a parameter default.
            if r.chance(20) {
                parameters.insert(
                    "AuthenticationMode".into(),
                    json!({ "Type": "String", "Default": text, "AllowedValues": ["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"] }),
                );
                access.insert("AuthenticationMode".into(), reference("AuthenticationMode"));
            } else {
                access.insert("AuthenticationMode".into(), json!(text));
            }
            access.insert("BootstrapClusterCreatorAdminPermissions".into(), json!(true));
        }
    }
    let mut properties = json!({
        "Name": name,
        "ResourcesVpcConfig": {
            "EndpointPrivateAccess": false, "EndpointPublicAccess": true,
            "SecurityGroupIds": [reference("ControlPlaneSecurityGroup")],
            "SubnetIds": [reference("SubnetPublicA"), reference("SubnetPublicB"), reference("SubnetPublicC"),
                          reference("SubnetPrivateA"), reference("SubnetPrivateB"), reference("SubnetPrivateC")]
        },
        "RoleArn": get_att("ServiceRole", "Arn"),
        "Version": version,
        "KubernetesNetworkConfig": { "IpFamily": "ipv4" },
        "Tags": tags(&[("Name", &format!("{name}/ControlPlane")), ("alpha.eksctl.io/cluster-name", name),
                       ("eksctl.cluster.k8s.io/v1alpha1/cluster-name", name), ("alpha.eksctl.io/eksctl-version", "0.170.0")]),
    });
    if mode != Mode::Absent {
        properties["AccessConfig"] = Value::Object(access);
    }
    resources.insert("ControlPlane".into(), json!({ "Type": "AWS::EKS::Cluster", "Properties": properties }));
    resources.insert(
        "ControlPlaneSecurityGroup".into(),
        json!({ "Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "Communication between the control plane and worker nodegroups",
            "Tags": tags(&[("Name", &format!("{name}/ControlPlaneSecurityGroup"))]), "VpcId": reference("VPC") } }),
    );
    resources.insert(
        "ClusterSharedNodeSecurityGroup".into(),
        json!({ "Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "Communication between all nodes in the cluster",
            "Tags": tags(&[("Name", &format!("{name}/ClusterSharedNodeSecurityGroup"))]), "VpcId": reference("VPC") } }),
    );
    resources.insert(
        "IngressInterNodeGroupSG".into(),
        json!({ "Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "Description": "Allow nodes to communicate with each other (all ports)", "FromPort": 0,
            "GroupId": reference("ClusterSharedNodeSecurityGroup"), "IpProtocol": "-1",
            "SourceSecurityGroupId": reference("ClusterSharedNodeSecurityGroup"), "ToPort": 65535 } }),
    );
    resources.insert(
        "ServiceRole".into(),
        json!({ "Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": { "Statement": [{ "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Effect": "Allow", "Principal": { "Service": ["eks.amazonaws.com"] } }], "Version": "2012-10-17" },
            "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/AmazonEKSClusterPolicy"),
                                  sub("arn:${AWS::Partition}:iam::aws:policy/AmazonEKSVPCResourceController")],
            "Tags": tags(&[("Name", &format!("{name}/ServiceRole"))]) } }),
    );
    resources.insert(
        "VPC".into(),
        json!({ "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": format!("10.{cidr_b}.0.0/16"),
            "EnableDnsHostnames": true, "EnableDnsSupport": true, "Tags": tags(&[("Name", &format!("{name}/VPC"))]) } }),
    );
    resources.insert(
        "InternetGateway".into(),
        json!({ "Type": "AWS::EC2::InternetGateway",
        "Properties": { "Tags": tags(&[("Name", &format!("{name}/InternetGateway"))]) } }),
    );
    resources.insert(
        "VPCGatewayAttachment".into(),
        json!({ "Type": "AWS::EC2::VPCGatewayAttachment",
        "Properties": { "InternetGatewayId": reference("InternetGateway"), "VpcId": reference("VPC") } }),
    );
    resources.insert(
        "NATIP".into(),
        json!({ "Type": "AWS::EC2::EIP", "Properties": { "Domain": "vpc",
        "Tags": tags(&[("Name", &format!("{name}/NATIP"))]) } }),
    );
    resources.insert(
        "NATGateway".into(),
        json!({ "Type": "AWS::EC2::NatGateway", "Properties": {
        "AllocationId": get_att("NATIP", "AllocationId"), "SubnetId": reference("SubnetPublicA"),
        "Tags": tags(&[("Name", &format!("{name}/NATGateway"))]) } }),
    );
    resources.insert(
        "PublicRouteTable".into(),
        json!({ "Type": "AWS::EC2::RouteTable", "Properties": {
        "Tags": tags(&[("Name", &format!("{name}/PublicRouteTable"))]), "VpcId": reference("VPC") } }),
    );
    resources.insert(
        "PublicSubnetRoute".into(),
        json!({ "Type": "AWS::EC2::Route", "Properties": {
        "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": reference("InternetGateway"),
        "RouteTableId": reference("PublicRouteTable") }, "DependsOn": ["VPCGatewayAttachment"] }),
    );
    for (i, az) in ["A", "B", "C"].iter().enumerate() {
        let zone = format!("{region}{}", ["a", "b", "c"][i]);
        for (kind, offset, public) in [("Public", 0, true), ("Private", 96, false)] {
            let subnet = format!("Subnet{kind}{az}");
            let cidr = format!("10.{cidr_b}.{}.0/19", offset + i * 32);
            let role_tag = if public { "kubernetes.io/role/elb" } else { "kubernetes.io/role/internal-elb" };
            resources.insert(
                subnet.clone(),
                json!({ "Type": "AWS::EC2::Subnet", "Properties": {
                "AvailabilityZone": zone, "CidrBlock": cidr, "MapPublicIpOnLaunch": public,
                "Tags": tags(&[(role_tag, "1"), ("Name", &format!("{name}/{subnet}"))]), "VpcId": reference("VPC") } }),
            );
            let table = if public { "PublicRouteTable".to_owned() } else { format!("PrivateRouteTable{az}") };
            if !public {
                resources.insert(
                    table.clone(),
                    json!({ "Type": "AWS::EC2::RouteTable", "Properties": {
                    "Tags": tags(&[("Name", &format!("{name}/{table}"))]), "VpcId": reference("VPC") } }),
                );
                resources.insert(
                    format!("NATPrivateSubnetRoute{az}"),
                    json!({ "Type": "AWS::EC2::Route", "Properties": {
                    "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": reference("NATGateway"),
                    "RouteTableId": reference(&table) } }),
                );
            }
            resources.insert(
                format!("RouteTableAssociation{kind}{az}"),
                json!({
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": { "RouteTableId": reference(&table), "SubnetId": reference(&subnet) } }),
            );
        }
    }
    let mut outputs = Map::new();
    outputs.insert("ARN".into(), export(get_att("ControlPlane", "Arn"), "ARN"));
    outputs.insert(
        "CertificateAuthorityData".into(),
        json!({ "Value": get_att("ControlPlane", "CertificateAuthorityData") }),
    );
    outputs.insert("ClusterName".into(), export(reference("ControlPlane"), "ClusterName"));
    outputs.insert(
        "ClusterSecurityGroupId".into(),
        export(get_att("ControlPlane", "ClusterSecurityGroupId"), "ClusterSecurityGroupId"),
    );
    outputs.insert("ClusterStackName".into(), json!({ "Value": reference("AWS::StackName") }));
    outputs.insert("Endpoint".into(), export(get_att("ControlPlane", "Endpoint"), "Endpoint"));
    outputs.insert("SecurityGroup".into(), export(reference("ControlPlaneSecurityGroup"), "SecurityGroup"));
    outputs.insert(
        "SharedNodeSecurityGroup".into(),
        export(reference("ClusterSharedNodeSecurityGroup"), "SharedNodeSecurityGroup"),
    );
    outputs.insert(
        "SubnetsPrivate".into(),
        export(
            json!({ "Fn::Join": [",", [reference("SubnetPrivateA"),
        reference("SubnetPrivateB"), reference("SubnetPrivateC")]] }),
            "SubnetsPrivate",
        ),
    );
    outputs.insert(
        "SubnetsPublic".into(),
        export(
            json!({ "Fn::Join": [",", [reference("SubnetPublicA"),
        reference("SubnetPublicB"), reference("SubnetPublicC")]] }),
            "SubnetsPublic",
        ),
    );
    outputs.insert("VPC".into(), export(reference("VPC"), "VPC"));
    let mut t = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("EKS cluster (dedicated VPC: true, dedicated IAM: true) [created and managed by eksctl] {}", r.hex(6)),
        "Mappings": { "ServicePrincipalPartitionMap": { "aws": { "EC2": "ec2.amazonaws.com", "EKS": "eks.amazonaws.com",
            "EKSFargatePods": "eks-fargate-pods.amazonaws.com" } } },
        "Resources": resources,
        "Outputs": outputs,
    });
    if !parameters.is_empty() {
        t["Parameters"] = Value::Object(parameters);
    }
    t
}

fn node_entry(cluster: &str) -> Value {
    json!({ "Type": "AWS::EKS::AccessEntry", "Properties": {
        "ClusterName": cluster, "PrincipalArn": get_att("NodeInstanceRole", "Arn"), "Type": "EC2_LINUX",
        "Tags": [{ "Key": "Name", "Value": sub("${AWS::StackName}/AccessEntry") }] } })
}

fn node_role(name: &str) -> Value {
    json!({ "Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": { "Statement": [{ "Action": ["sts:AssumeRole"], "Effect": "Allow",
            "Principal": { "Service": [sub("ec2.${AWS::URLSuffix}")] } }], "Version": "2012-10-17" },
        "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"),
            sub("arn:${AWS::Partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy"),
            sub("arn:${AWS::Partition}:iam::aws:policy/AmazonEKS_CNI_Policy"),
            sub("arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore")],
        "Path": "/", "Tags": tags(&[("Name", &format!("{name}/NodeInstanceRole"))]) } })
}

fn launch_template(r: &mut Rng, name: &str, ng: &str, user_data: usize) -> Value {
    json!({ "Type": "AWS::EC2::LaunchTemplate", "Properties": {
        "LaunchTemplateData": {
            "BlockDeviceMappings": [{ "DeviceName": "/dev/xvda", "Ebs": { "Encrypted": false, "Iops": 3000,
                "Throughput": 125, "VolumeSize": 80, "VolumeType": "gp3" } }],
            "IamInstanceProfile": { "Arn": get_att("NodeInstanceProfile", "Arn") },
            "ImageId": format!("ami-0{}", r.hex(16)),
            "InstanceType": r.pick(INSTANCE_TYPES),
            "MetadataOptions": { "HttpPutResponseHopLimit": 2, "HttpTokens": "required" },
            "NetworkInterfaces": [{ "DeviceIndex": 0, "Groups": [import(&format!("eksctl-{name}-cluster::SharedNodeSecurityGroup")),
                reference("SG")], "NetworkCardIndex": 0 }],
            "TagSpecifications": [{ "ResourceType": "instance", "Tags": tags(&[("Name", &format!("{name}-{ng}-Node")),
                ("alpha.eksctl.io/nodegroup-name", ng), ("alpha.eksctl.io/nodegroup-type", "unmanaged")]) }],
            "UserData": r.base64(user_data),
        },
        "LaunchTemplateName": sub("${AWS::StackName}") } })
}

fn nodegroup_template(r: &mut Rng, name: &str, ng: &str, entry: bool) -> Value {
    let mut resources = Map::new();
    if entry {
        resources.insert("AccessEntry".into(), node_entry(name));
    }
    let size = (1 + r.below(6)).to_string();
    resources.insert("EgressInterCluster".into(), json!({ "Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
        "Description": format!("Allow control plane to communicate with worker nodes in group {ng} (kubelet and workload TCP ports)"),
        "DestinationSecurityGroupId": reference("SG"), "FromPort": 1025,
        "GroupId": import(&format!("eksctl-{name}-cluster::SecurityGroup")), "IpProtocol": "tcp", "ToPort": 65535 } }));
    resources.insert(
        "IngressInterClusterCP".into(),
        json!({ "Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "Description": format!("Allow control plane to receive API requests from worker nodes in group {ng}"),
        "FromPort": 443, "GroupId": import(&format!("eksctl-{name}-cluster::SecurityGroup")), "IpProtocol": "tcp",
        "SourceSecurityGroupId": reference("SG"), "ToPort": 443 } }),
    );
    resources.insert(
        "NodeGroup".into(),
        json!({ "Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
        "DesiredCapacity": size, "MaxSize": size, "MinSize": size,
        "LaunchTemplate": { "LaunchTemplateName": sub("${AWS::StackName}"),
            "Version": get_att("NodeGroupLaunchTemplate", "LatestVersionNumber") },
        "Tags": [{ "Key": "Name", "PropagateAtLaunch": "true", "Value": format!("{name}-{ng}-Node") },
                 { "Key": format!("kubernetes.io/cluster/{name}"), "PropagateAtLaunch": "true", "Value": "owned" }],
        "VPCZoneIdentifier": { "Fn::Split": [",", import(&format!("eksctl-{name}-cluster::SubnetsPrivate"))] } },
        "UpdatePolicy": { "AutoScalingRollingUpdate": {} } }),
    );
    let user_data = 3000 + r.below(3000) as usize;
    resources.insert("NodeGroupLaunchTemplate".into(), launch_template(r, name, ng, user_data));
    resources.insert(
        "NodeInstanceProfile".into(),
        json!({ "Type": "AWS::IAM::InstanceProfile", "Properties": {
        "Path": "/", "Roles": [reference("NodeInstanceRole")] } }),
    );
    resources.insert("NodeInstanceRole".into(), node_role(name));
    resources.insert(
        "SG".into(),
        json!({ "Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": format!("Communication between the control plane and worker nodes in group {ng}"),
        "Tags": [{ "Key": format!("kubernetes.io/cluster/{name}"), "Value": "owned" },
                 { "Key": "Name", "Value": sub("${AWS::StackName}/SG") }],
        "VpcId": import(&format!("eksctl-{name}-cluster::VPC")) } }),
    );
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("EKS nodes (AMI family: AmazonLinux2, SSH access: false, private networking: true) [created and managed by eksctl] {}", r.hex(6)),
        "Mappings": { "ServicePrincipalPartitionMap": { "aws": { "EC2": "ec2.amazonaws.com", "EKS": "eks.amazonaws.com" } } },
        "Resources": resources,
        "Outputs": {
            "FeatureLocalSecurityGroup": { "Value": true },
            "FeaturePrivateNetworking": { "Value": true },
            "FeatureSharedSecurityGroup": { "Value": true },
            "NodeGroupUsesAccessEntry": { "Value": entry },
            "InstanceProfileARN": export(get_att("NodeInstanceProfile", "Arn"), "InstanceProfileARN"),
            "InstanceRoleARN": export(get_att("NodeInstanceRole", "Arn"), "InstanceRoleARN"),
        },
    })
}

fn managed_nodegroup_template(r: &mut Rng, name: &str, ng: &str) -> Value {
    let size = 1 + r.below(6);
    let user_data = 1500 + r.below(2500) as usize;
    let mut lt = launch_template(r, name, ng, user_data);
    lt["Properties"]["LaunchTemplateData"].as_object_mut().map(|m| m.remove("IamInstanceProfile"));
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("EKS Managed Nodes (SSH access: false) [created by eksctl] {}", r.hex(6)),
        "Resources": {
            "LaunchTemplate": lt,
            "ManagedNodeGroup": { "Type": "AWS::EKS::Nodegroup", "Properties": {
                "AmiType": "AL2_x86_64", "ClusterName": name, "Labels": { "alpha.eksctl.io/cluster-name": name,
                    "alpha.eksctl.io/nodegroup-name": ng },
                "LaunchTemplate": { "Id": reference("LaunchTemplate") }, "NodeRole": get_att("NodeInstanceRole", "Arn"),
                "NodegroupName": ng, "ScalingConfig": { "DesiredSize": size, "MaxSize": size + 2, "MinSize": 1 },
                "Subnets": ["subnet-0".to_owned() + &r.hex(16), "subnet-0".to_owned() + &r.hex(16)],
                "Tags": { "alpha.eksctl.io/nodegroup-name": ng, "alpha.eksctl.io/nodegroup-type": "managed" } } },
            "NodeInstanceRole": node_role(name),
        },
    })
}

fn accessentry_template(r: &mut Rng, name: &str, entries: usize) -> Value {
    let mut resources = Map::new();
    // Half the stacks name the cluster through the cluster stack's export.
    let cluster = if r.chance(50) { import(&format!("eksctl-{name}-cluster::ClusterName")) } else { json!(name) };
    for i in 0..entries {
        let role = format!("arn:aws:iam::{}:role/{}-{}", account(r), r.pick(TEAMS), r.hex(8));
        let policy = r.pick(&[
            "AmazonEKSClusterAdminPolicy",
            "AmazonEKSAdminPolicy",
            "AmazonEKSViewPolicy",
            "AmazonEKSEditPolicy",
        ]);
        resources.insert(
            format!("AccessEntry{}", r.hex(8).to_uppercase()),
            json!({
            "Type": "AWS::EKS::AccessEntry", "Properties": {
                "AccessPolicies": [{ "AccessScope": { "Type": "cluster" },
                    "PolicyArn": format!("arn:aws:eks::aws:cluster-access-policy/{policy}") }],
                "ClusterName": cluster, "PrincipalArn": role, "Type": "STANDARD",
                "KubernetesGroups": [format!("team-{i}-{}", r.hex(4))],
                "Tags": [{ "Key": "Name", "Value": sub("${AWS::StackName}/AccessEntry") }] } }),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("access entries for cluster {name} [created and managed by eksctl] {}", r.hex(6)),
        "Resources": resources,
    })
}

fn s3_stack(r: &mut Rng, index: usize) -> Value {
    let bucket = format!("assets-{index}-{}", r.hex(10));
    let mut resources = Map::new();
    for i in 0..1 + r.below(4) {
        let id = format!("Bucket{i}");
        resources.insert(id.clone(), json!({ "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {
            "BucketName": format!("{bucket}-{i}"),
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": format!("arn:aws:kms:us-east-1:{}:key/{}", account(r), r.hex(32)) } }] },
            "LifecycleConfiguration": { "Rules": [{ "Id": "expire", "Status": "Enabled", "ExpirationInDays": 30 + r.below(900),
                "NoncurrentVersionExpiration": { "NoncurrentDays": 7 } }] },
            "PublicAccessBlockConfiguration": { "BlockPublicAcls": true, "BlockPublicPolicy": true,
                "IgnorePublicAcls": true, "RestrictPublicBuckets": true },
            "VersioningConfiguration": { "Status": "Enabled" },
            "Tags": tags(&[("team", r.pick(TEAMS)), ("cost-center", &r.hex(6))]) } }));
        resources.insert(
            format!("{id}Policy"),
            json!({ "Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": reference(&id), "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [get_att(&id, "Arn"), sub(&format!("${{{id}.Arn}}/*"))],
                "Condition": { "Bool": { "aws:SecureTransport": "false" } } }] } } }),
        );
    }
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Description": format!("Static assets {bucket}"),
        "Resources": resources,
        "Outputs": { "BucketName": { "Value": reference("Bucket0"), "Export": { "Name": sub("${AWS::StackName}-Bucket") } } } })
}

fn lambda_stack(r: &mut Rng, index: usize) -> Value {
    let mut code = String::from("import json\nimport os\nimport boto3\n\n");
    for i in 0..20 + r.below(80) {
        let _ = write!(
            code,
            "def handler_{i}_{}(event, context):\n    client = boto3.client('{}')\n    \
            print(json.dumps(event))\n    return {{'statusCode': 200, 'body': os.environ.get('TABLE', '{}')}}\n\n",
            r.hex(6),
            r.pick(&["s3", "dynamodb", "sqs", "sns", "eks"]),
            r.hex(12)
        );
    }
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Description": format!("Function {index}"),
        "Parameters": { "Table": { "Type": "String", "Default": format!("table-{}", r.hex(8)) } },
        "Resources": {
            "Role": { "Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow",
                    "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }] },
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"] } },
            "Function": { "Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "index.handler_0", "Role": get_att("Role", "Arn"),
                "MemorySize": 128 * (1 + r.below(8)), "Timeout": 30,
                "Environment": { "Variables": { "TABLE": reference("Table") } },
                "Code": { "ZipFile": code } } },
            "Alias": { "Type": "AWS::Lambda::Alias", "Properties": { "FunctionName": reference("Function"),
                "FunctionVersion": "$LATEST", "Name": "live" } },
        },
        "Outputs": { "FunctionArn": { "Value": get_att("Function", "Arn") } } })
}

fn iam_stack(r: &mut Rng, index: usize) -> Value {
    let mut resources = Map::new();
    for i in 0..2 + r.below(6) {
        let actions: Vec<Value> = (0..3 + r.below(8))
            .map(|_| {
                json!(format!(
                    "{}:{}",
                    r.pick(&["s3", "ec2", "eks", "logs", "sqs"]),
                    r.pick(&["Get*", "List*", "Describe*", "Put*"])
                ))
            })
            .collect();
        resources.insert(
            format!("Role{i}"),
            json!({ "Type": "AWS::IAM::Role", "Properties": {
            "RoleName": format!("svc-{index}-{i}-{}", r.hex(8)),
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow",
                "Principal": { "AWS": format!("arn:aws:iam::{}:root", account(r)) }, "Action": "sts:AssumeRole" }] },
            "Policies": [{ "PolicyName": "inline", "PolicyDocument": { "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": actions, "Resource": "*" }] } }],
            "Tags": tags(&[("owner", r.pick(TEAMS))]) } }),
        );
    }
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Description": format!("Service roles {index}"), "Resources": resources })
}

fn vpc_stack(r: &mut Rng, index: usize) -> Value {
    let b = r.below(250);
    let mut resources = Map::new();
    resources.insert(
        "VPC".into(),
        json!({ "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": format!("172.{}.0.0/16", b % 16 + 16),
        "EnableDnsSupport": true, "Tags": tags(&[("Name", &format!("net-{index}-{}", r.hex(6)))]) } }),
    );
    for i in 0..2 + r.below(6) {
        resources.insert(
            format!("Subnet{i}"),
            json!({ "Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": reference("VPC"), "CidrBlock": format!("172.{}.{}.0/24", b % 16 + 16, i * 16),
            "AvailabilityZone": { "Fn::Select": [i % 3, { "Fn::GetAZs": "" }] },
            "Tags": tags(&[("Name", &format!("net-{index}-subnet-{i}"))]) } }),
        );
        resources.insert(
            format!("Subnet{i}RouteTable"),
            json!({ "Type": "AWS::EC2::RouteTable",
            "Properties": { "VpcId": reference("VPC") } }),
        );
        resources.insert(format!("Subnet{i}Association"), json!({ "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": { "RouteTableId": reference(&format!("Subnet{i}RouteTable")), "SubnetId": reference(&format!("Subnet{i}")) } }));
    }
    resources.insert(
        "FlowLogs".into(),
        json!({ "Type": "AWS::EC2::FlowLog", "Properties": { "ResourceId": reference("VPC"),
        "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "s3",
        "LogDestination": format!("arn:aws:s3:::flow-logs-{}", r.hex(10)) } }),
    );
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Description": format!("Network {index}"), "Resources": resources,
        "Outputs": { "VpcId": { "Value": reference("VPC"), "Export": { "Name": sub("${AWS::StackName}-VpcId") } } } })
}

// ------------------------------------------------------------ writers --

pub(crate) fn to_json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Block-style YAML with CloudFormation short-form tags where eksctl users
/// would write them (`!Ref`, `!GetAtt A.B`, `!Sub`, `!ImportValue`).
pub(crate) fn to_yaml(v: &Value) -> String {
    let mut out = String::with_capacity(8192);
    if let Value::Object(m) = v {
        yaml_map(&mut out, m, 0, false);
    }
    out
}

fn short_form(v: &Value) -> Option<String> {
    let m = v.as_object().filter(|m| m.len() == 1)?;
    let (k, arg) = m.iter().next()?;
    let tag = match k.as_str() {
        "Ref" => "Ref",
        "Fn::Sub" => "Sub",
        "Fn::ImportValue" => "ImportValue",
        "Fn::GetAZs" => "GetAZs",
        "Fn::GetAtt" => {
            let parts = arg.as_array().filter(|a| a.len() == 2)?;
            let (a, b) = (parts[0].as_str()?, parts[1].as_str()?);
            if a.contains('.') {
                return None;
            }
            return Some(format!("!GetAtt {a}.{b}"));
        }
        _ => return None,
    };
    Some(format!("!{tag} {}", yaml_scalar_text(arg.as_str()?)))
}

fn yaml_scalar_text(s: &str) -> String {
    let plain = !s.is_empty()
        && s.is_ascii()
        && !s.starts_with(|c: char| c.is_whitespace() || "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !s.ends_with(|c: char| c.is_whitespace() || c == ':')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.chars().any(|c| c.is_control())
        && s.parse::<f64>().is_err()
        && !matches!(s.to_ascii_lowercase().as_str(), "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off");
    if plain { s.to_owned() } else { serde_json::to_string(s).unwrap_or_default() }
}

fn yaml_inline(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_scalar_text(s),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::Object(m) if m.is_empty() => "{}".to_owned(),
        _ => short_form(v)?,
    })
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// `inline_first`: the first key continues a line already started (`- `).
fn yaml_map(out: &mut String, m: &Map<String, Value>, level: usize, inline_first: bool) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, level);
        }
        out.push_str(&yaml_scalar_text(k));
        out.push(':');
        yaml_value(out, v, level);
    }
}

fn yaml_value(out: &mut String, v: &Value, level: usize) {
    if let Some(text) = yaml_inline(v) {
        out.push(' ');
        out.push_str(&text);
        out.push('\n');
        return;
    }
    out.push('\n');
    match v {
        Value::Object(m) => yaml_map(out, m, level + 2, false),
        Value::Array(a) => {
            for item in a {
                indent(out, level + 2);
                out.push('-');
                match item {
                    Value::Object(m) if yaml_inline(item).is_none() => {
                        out.push(' ');
                        yaml_map(out, m, level + 4, true);
                    }
                    _ => yaml_value(out, item, level + 2),
                }
            }
        }
        _ => {}
    }
}
