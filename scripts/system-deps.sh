#!/usr/bin/env bash
# Install the Debian packages the service needs when they are missing.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
# The browser tests (tests/browser) drive Debian's Chromium through Playwright.
[ -x /usr/bin/chromium ] || need+=(chromium)
# npm ci fetches the pinned browser libraries the vendored copies are checked against.
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
echo "system-deps: installing ${need[*]} with apt-get" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
