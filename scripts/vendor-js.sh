#!/usr/bin/env bash
# Copy the browser libraries the pages load from node_modules (`npm ci`, pinned exactly in
# package.json and package-lock.json) into callcenter/core/static/vendor/, with their licences. The
# copies are committed, so the service (and a pip install of it) serves them with no npm and no
# CDN; run this after changing a version in package.json, and commit what it changed.
# tests/unit/callcenter/test_vendored_js.py checks the copies against node_modules and
# package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# libphonenumber-js: its prebuilt single-file UMD bundle with the full ("max") metadata, the
# same Google metadata as Python's phonenumbers (core/phones.py phone_display). Imported by
# static/ui.js as a module, it sets globalThis.libphonenumber. The copy is the bundle with one
# line on top naming the version it came from.
src=node_modules/libphonenumber-js
dst=callcenter/core/static/vendor/libphonenumber-js
if [ ! -f "$src/package.json" ]; then
  echo "vendor-js: $src is missing: run npm ci first" >&2
  exit 1
fi
version=$(node -p 'require("./'"$src"'/package.json").version')
rm -rf "$dst"
mkdir -p "$dst"
{
  echo "/*! libphonenumber-js $version bundle/libphonenumber-max.js (MIT: LICENSE; from Google's libphonenumber, Apache-2.0: LICENSE.Apache), copied by scripts/vendor-js.sh */"
  cat "$src/bundle/libphonenumber-max.js"
} > "$dst/libphonenumber-max.js"
cp "$src/LICENSE" "$src/LICENSE.Apache" "$dst/"
echo "vendor-js: libphonenumber-js $version -> $dst"

# Chart.js: its UMD bundle (which inlines @kurkle/color, MIT too), for the reports' trend
# chart (callcenter/reports/static/reports.js); loaded as a classic script, it sets
# globalThis.Chart. The copy is the bundle with one line on top naming the version.
src=node_modules/chart.js
dst=callcenter/core/static/vendor/chart.js
if [ ! -f "$src/package.json" ]; then
  echo "vendor-js: $src is missing: run npm ci first" >&2
  exit 1
fi
version=$(node -p 'require("./'"$src"'/package.json").version')
rm -rf "$dst"
mkdir -p "$dst"
{
  echo "/*! chart.js $version dist/chart.umd.js (MIT: LICENSE.md; with @kurkle/color, MIT: LICENSE.kurkle-color), copied by scripts/vendor-js.sh */"
  cat "$src/dist/chart.umd.js"
} > "$dst/chart.umd.js"
cp "$src/LICENSE.md" "$dst/"
cp node_modules/@kurkle/color/LICENSE "$dst/LICENSE.kurkle-color"
echo "vendor-js: chart.js $version -> $dst"
