#!/usr/bin/env bash
# Builds the fuzz seed corpus (fuzz/corpus/<target>/, not committed) from
# the repository's samples/ and a few built-in documents. Extra directories
# given as arguments (for example a checkout of eksctl's test data) are
# sorted into the corpora the same way. Files over 256 KiB are left out.
#
#   fuzz/seed.sh [EXTRA_DIR...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
corpus="$here/corpus"
mkdir -p "$corpus"/{template_json,template_yaml,cluster_config,describe_cluster,archive,yaml_fast}

add() { # add TARGET FILE
  local name
  name="$(sha1sum "$2" | cut -c1-16)"
  cp "$2" "$corpus/$1/$name"
}

sources=()
[ -d "$root/samples" ] && sources+=("$root/samples")
sources+=("$@")
if [ "${#sources[@]}" -gt 0 ]; then
  while IFS= read -r -d '' f; do
    case "$f" in
      *.json)
        if grep -q '"cluster"' "$f" && grep -q '"accessConfig"\|"arn"' "$f"; then add describe_cluster "$f"; fi
        add template_json "$f" ;;
      *.yaml | *.yml | *.template | *.cfn)
        if grep -q '^kind: *ClusterConfig' "$f"; then add cluster_config "$f"; else add template_yaml "$f"; fi
        add yaml_fast "$f" ;;
    esac
  done < <(find "${sources[@]}" -type f -size -256k \( -name '*.json' -o -name '*.yaml' -o -name '*.yml' -o -name '*.template' -o -name '*.cfn' \) -print0)
fi

# Built-in seeds, so the corpus is never empty.
printf '%s' '{"Resources":{"C":{"Type":"AWS::EKS::Cluster","Properties":{"Name":"demo","AccessConfig":{"AuthenticationMode":"CONFIG_MAP"}}},"E":{"Type":"AWS::EKS::AccessEntry","Properties":{"ClusterName":{"Ref":"C"},"PrincipalArn":{"Fn::GetAtt":["R","Arn"]},"Type":"EC2_LINUX"}}},"Outputs":{"X":{"Value":{"Ref":"C"},"Export":{"Name":{"Fn::Sub":"${AWS::StackName}::ClusterName"}}}}}' >"$corpus/template_json/builtin-template"
printf '%s' '{"TemplateBody":"Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties: {Name: x}\n","StagesAvailable":["Original"]}' >"$corpus/template_json/builtin-get-template"
printf '%s' 'Parameters:
  Mode: {Type: String, Default: API}
Resources:
  C:
    Type: AWS::EKS::Cluster
    Properties:
      Name: !Sub "${AWS::StackName}-c"
      AccessConfig: {AuthenticationMode: !Ref Mode}
  E:
    Type: AWS::EKS::AccessEntry
    Properties: {ClusterName: !ImportValue "x::ClusterName", PrincipalArn: !GetAtt R.Arn, Type: EC2_LINUX}
' >"$corpus/template_yaml/builtin-template"
printf '%s' 'metadata: {name: demo, region: us-west-2}
accessConfig: {authenticationMode: CONFIG_MAP}
nodeGroups:
  - name: ng-1
    iam: {instanceRoleARN: "arn:aws:iam::111122223333:role/r"}
' >"$corpus/cluster_config/builtin-config"
printf '%s' '{"name":"demo","arn":"arn:aws:eks:us-west-2:111122223333:cluster/demo","accessConfig":{"authenticationMode":"API_AND_CONFIG_MAP"}}' >"$corpus/describe_cluster/builtin-cluster"

# Archive seeds: a tar, a tgz and a zip of a few samples each (one per rule
# directory, kept small), plus the built-in template and config.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
cp "$corpus/template_json/builtin-template" "$work/in/template.json"
cp "$corpus/template_yaml/builtin-template" "$work/in/template.yaml"
cp "$corpus/cluster_config/builtin-config" "$work/in/cluster.yaml"
if [ -d "$root/samples" ]; then
  n=0
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    cp "$f" "$work/in/sample-$n-$(basename "$f")"
  done < <(find "$root/samples" -type f -size -16k -path '*/bad/*' -print0 | sort -z | head -z -n 12)
fi
(cd "$work/in" && tar -cf "$corpus/archive/seed.tar" --sort=name --owner=0 --group=0 --mtime=@0 -- *)
gzip -9nc "$corpus/archive/seed.tar" >"$corpus/archive/seed.tgz"
if command -v zip >/dev/null; then
  (cd "$work/in" && zip -qX "$corpus/archive/seed.zip" -- *)
fi
(cd "$work/in" && tar -cf "$corpus/archive/one.tar" --owner=0 --group=0 --mtime=@0 template.yaml)

for t in template_json template_yaml cluster_config describe_cluster archive; do
  echo "$t: $(find "$corpus/$t" -type f | wc -l) seeds"
done
