#!/bin/sh
# Regenerates samples/cdk/cdk.out, eksguard's fixture of real CDK output:
# installs the pinned packages of package.json in a temporary directory,
# runs `cdk synth` there (no AWS credentials needed: the app names its
# account and region, and cdk.json holds the one context lookup), and keeps
# the cloud assembly without its assets (Lambda code, layers), the
# construct tree and the per-stack metadata files.
#
# Usage: samples/cdk/synth.sh    (needs Node.js >= 20 and the npm registry)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cp "$here/app.js" "$here/cdk.json" "$here/package.json" "$work/"
cd "$work"
npm install --no-audit --no-fund --ignore-scripts --loglevel=error
CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk synth --no-notices --quiet --output cdk.out

# What eksguard does not read, and too big to commit.
find cdk.out -name 'asset.*' -prune -exec rm -rf {} +
find cdk.out \( -name tree.json -o -name '*.metadata.json' \) -exec rm -f {} +

rm -rf "$here/cdk.out"
cp -R cdk.out "$here/cdk.out"
echo "wrote $here/cdk.out ($(du -sk "$here/cdk.out" | cut -f1) KB) with aws-cdk-lib $(node -p 'require("aws-cdk-lib/package.json").version')"
