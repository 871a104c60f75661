#!/usr/bin/env bash
# Renders eksguard's HTML report of a scan to a PNG with headless Chromium, so
# that a person can look at it (the README's screenshot is made with it).
#
#   scripts/screenshot.sh [OUT.png [PATH...]]
#
# OUT.png defaults to docs/report.png, the paths to a few of the bundled
# samples. Needs Debian's `chromium` (apt-get install chromium) or
# CHROMIUM=/path/to/chrome; pngquant, when installed, makes the PNG smaller.
# WIDTH and HEIGHT set the window (1100x1700).
# Run by hand; CI does not.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-docs/report.png}
shift || true
if [ "$#" -eq 0 ]; then
  set -- samples/mixed samples/EKS001/bad samples/EKS006/bad samples/EKS009/bad
fi
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$chromium" ]; then
  echo "screenshot.sh: no chromium found (apt-get install chromium, or set CHROMIUM)" >&2
  exit 2
fi

cargo build --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/eksguard"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Exit 1 (findings) is expected; 2 is not.
"$bin" scan "$@" --format html --output "$work/report.html" --quiet || [ "$?" -eq 1 ]

# --no-sandbox: containers often run as root, where the sandbox cannot start.
"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --force-device-scale-factor=1 --window-size="${WIDTH:-1100},${HEIGHT:-1700}" \
  --screenshot="$work/report.png" "file://$work/report.html" 2>/dev/null
mkdir -p "$(dirname "$out")"
# Smaller for the repository when pngquant is there (apt-get install pngquant).
if command -v pngquant >/dev/null; then
  pngquant --quality 70-90 --speed 1 --force --output "$out" "$work/report.png"
else
  mv "$work/report.png" "$out"
fi
echo "wrote $out ($(wc -c <"$out") bytes)"
