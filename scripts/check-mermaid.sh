#!/usr/bin/env bash
# Checks the Mermaid blocks of Markdown files (by default the Markdown report
# snapshots) with Mermaid's own parser, from npm. Run by hand; CI checks the
# blocks' structure in tests/reports.rs instead, which needs no Node.
#
#   scripts/check-mermaid.sh [FILE.md...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$#" -eq 0 ]; then
  set -- "$root"/tests/snapshots/reports__markdown_*.snap
fi
work=${MERMAID_CHECK_DIR:-$(mktemp -d)}
if [ ! -d "$work/node_modules/mermaid" ]; then
  (cd "$work" && npm install --silent --no-audit --no-fund mermaid@11 jsdom@29 >/dev/null)
fi
cp "$root/scripts/check-mermaid.mjs" "$work/"
node "$work/check-mermaid.mjs" "$@"
