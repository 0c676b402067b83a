#!/usr/bin/env bash
# Build (once) a Debian sid root with Asterisk 22 for the real-PBX tests. Idempotent:
# an existing root with usr/sbin/asterisk is reused. Needs root.
#   ROOT = ${CALLCENTER_ASTERISK_ROOT:-/var/cache/callcenter/asterisk-sid}
set -euo pipefail
PROG=asterisk-setup
. "$(dirname "$0")/common.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot need it)"

# 1. Host packages: debootstrap, sipp.
need=()
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    say "apt-get install failed, running apt-get update first"
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || die "apt-get install ${need[*]} failed"
  fi
fi

# 2. The root, reused when already built.
if [ -x "$ASTERISK_ROOT/usr/sbin/asterisk" ]; then
  say "reusing $ASTERISK_ROOT ($(chroot "$ASTERISK_ROOT" dpkg-query -W -f='${Version}' asterisk 2>/dev/null || echo '?'))"
  exit 0
fi

# The mirror comes from this machine's apt configuration, never a hard-coded host.
mirror=
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' \
    /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"

parent=$(dirname "$ASTERISK_ROOT")
mkdir -p "$parent"
tmp="$ASTERISK_ROOT.building.$$"
trap 'rm -rf --one-file-system "$tmp"' EXIT
# Leftovers of an interrupted build (never the live root).
for old in "$ASTERISK_ROOT".building.*; do
  [ -e "$old" ] || continue
  mountpoint -q "$old/proc" && umount "$old/proc" || true
  rm -rf --one-file-system "$old"
done

say "debootstrap sid from $mirror into $tmp (takes a minute or two)"
start=$(date +%s)
log="$parent/debootstrap.log"
if ! debootstrap --variant=minbase --include=asterisk,asterisk-modules sid "$tmp" "$mirror" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  die "debootstrap failed (full log: $log)"
fi
[ -x "$tmp/usr/sbin/asterisk" ] || die "debootstrap finished but $tmp/usr/sbin/asterisk is missing"
say "debootstrap done in $(( $(date +%s) - start )) s"

# Asterisk runs as root in the chroot: give root the dirs the package gave to 'asterisk'.
# Done inside the chroot: var/run is an absolute symlink to /run.
chroot "$tmp" sh -ec 'for d in /var/lib/asterisk /var/spool/asterisk /var/log/asterisk \
    /var/run/asterisk /var/cache/asterisk /etc/asterisk; do mkdir -p "$d"; chown -R root:root "$d"; done' \
  || die "chown of the Asterisk directories in $tmp failed"
# Keep the package's asterisk.conf aside; pbx.sh installs it next to our configs.
cp -p "$tmp/etc/asterisk/asterisk.conf" "$tmp/etc/asterisk.conf.package"

mv "$tmp" "$ASTERISK_ROOT"
trap - EXIT
say "ready: $ASTERISK_ROOT ($(chroot "$ASTERISK_ROOT" dpkg-query -W -f='${Version}' asterisk))"
