#!/usr/bin/env bash
# Copy the browser libraries the pages load from node_modules (`npm ci`, pinned exactly in
# package.json and package-lock.json) into callcenter/core/static/vendor/, with their licences. The
# copies are committed, so the service (and a pip install of it) serves them with no npm and no
# CDN; run this after changing a version in package.json, and commit what it changed.
# tests/unit/callcenter/test_vendored_js.py checks the copies against node_modules and
# package.json.
set -euo pipefail
cd "$(dirname "$0")/.."
# VENDOR_OUT puts the copies elsewhere (the test that bundles again compares them).
out=${VENDOR_OUT:-callcenter/core/static/vendor}

# libphonenumber-js: its prebuilt single-file UMD bundle with the full ("max") metadata, the
# same Google metadata as Python's phonenumbers (core/phones.py phone_display). Imported by
# static/ui.js as a module, it sets globalThis.libphonenumber. The copy is the bundle with one
# line on top naming the version it came from.
src=node_modules/libphonenumber-js
dst=$out/libphonenumber-js
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
dst=$out/chart.js
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

# JsSIP: the browsers' softphone (callcenter/softphone/static/softphone.js). Its npm package
# ships CommonJS only, so it is bundled here, once, with esbuild (pinned in devDependencies)
# into one classic script that sets globalThis.JsSIP; the bundle inlines debug, ms, events and
# sdp-transform (all MIT), whose licences travel with it. The same esbuild and the same
# arguments give the same bytes: tests/unit/callcenter/core/test_vendored_js.py bundles again
# and compares.
src=node_modules/jssip
dst=$out/jssip
if [ ! -f "$src/package.json" ] || [ ! -x node_modules/.bin/esbuild ]; then
  echo "vendor-js: $src or esbuild is missing: run npm ci first" >&2
  exit 1
fi
version=$(node -p 'require("./'"$src"'/package.json").version')
esbuild=$(node -p 'require("./node_modules/esbuild/package.json").version')
rm -rf "$dst"
mkdir -p "$dst"
{
  echo "/*! jssip $version lib/JsSIP.js (MIT: LICENSE.md; bundled by esbuild $esbuild with debug, ms, events, sdp-transform, MIT: LICENSE.<name>), made by scripts/vendor-js.sh */"
  node_modules/.bin/esbuild "$src/lib/JsSIP.js" --bundle --format=iife --global-name=JsSIP \
    --platform=browser --target=es2020 --minify --legal-comments=none --log-level=warning
} > "$dst/jssip.min.js"
cp "$src/LICENSE.md" "$dst/"
for dep in debug events sdp-transform; do cp "node_modules/$dep/LICENSE" "$dst/LICENSE.$dep"; done
cp node_modules/ms/license.md "$dst/LICENSE.ms"
echo "vendor-js: jssip $version (esbuild $esbuild) -> $dst"
