#!/usr/bin/env bash
# Run the test Asterisk inside the chroot built by setup.sh.
#   pbx.sh start|stop|restart|status|rx "cli command"
# start installs ROOT/etc/asterisk from the deployment's sample configs (docker/asterisk/*.conf,
# the same files the Docker image ships), the test overlay (tests/asterisk/conf/*_local.conf,
# which the samples #tryinclude: loopback addresses, sipp phones and trunk, test AMI secret and
# AGI address) and the package's asterisk.conf, and restarts a running Asterisk whose configs
# differ. AMI 127.0.0.1:5038, SIP 127.0.0.1:5060.
set -euo pipefail
PROG=pbx
. "$(dirname "$0")/common.sh"

ROOT=$ASTERISK_ROOT
SAMPLE_CONF="$REPO_DIR/docker/asterisk"
OVERLAY_CONF="$REPO_DIR/tests/asterisk/conf"
LOG="$ROOT/var/log/asterisk/console.log"
PIDFILE="$ROOT/run/asterisk/asterisk.pid"
BOOT_TIMEOUT=${CALLCENTER_ASTERISK_BOOT_TIMEOUT:-60}

[ "$(id -u)" -eq 0 ] || die "must run as root (chroot needs it)"
if [ ! -x "$ROOT/usr/sbin/asterisk" ]; then
  [ "${1:-}" = stop ] && { say "no Asterisk root at $ROOT; nothing to stop"; exit 0; }
  die "no Asterisk root at $ROOT; run scripts/asterisk/setup.sh first"
fi

rx() { chroot "$ROOT" /usr/sbin/asterisk -rx "$1"; }

pid() {  # pid of our Asterisk daemon: an "asterisk" (not a -r console) whose root is ROOT
  local d p root
  root=$(readlink -f "$ROOT")
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$(cat "$d/comm" 2>/dev/null)" = asterisk ] || continue
    [ "$(readlink "$d/root" 2>/dev/null)" = "$root" ] || continue
    tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q -- ' -r' && continue
    echo "$p"
    return 0
  done
  return 1
}

responding() { timeout 5 chroot "$ROOT" /usr/sbin/asterisk -rx "core show version" >/dev/null 2>&1; }

# The configuration directory as it should be, built in $1: the package's asterisk.conf, the
# samples, then the overlay. An overlay file may only add a *_local.conf that a sample
# includes; it never replaces a sample, so the tests always run the deployment's configs.
build_configs() {
  local out=$1 pkg="$ROOT/etc/asterisk.conf.package" f name
  [ -r "$pkg" ] || cp -p "$ROOT/etc/asterisk/asterisk.conf" "$pkg"   # roots built before this file existed
  mkdir -p "$out"
  cp "$pkg" "$out/asterisk.conf"
  cp "$SAMPLE_CONF"/*.conf "$out/"
  for f in "$OVERLAY_CONF"/*.conf; do
    name=$(basename "$f")
    case $name in *_local.conf) ;; *) die "test overlay $f: only *_local.conf files may be added" ;; esac
    [ -e "$SAMPLE_CONF/$name" ] && die "test overlay $f would replace the sample $SAMPLE_CONF/$name"
    grep -qx "#tryinclude $name" "$SAMPLE_CONF/${name%_local.conf}.conf" 2>/dev/null \
      || die "test overlay $f: $SAMPLE_CONF/${name%_local.conf}.conf does not #tryinclude it"
    cp "$f" "$out/"
  done
}

configs_current() {
  local want rc=0
  want=$(mktemp -d)
  build_configs "$want"
  diff -rq "$want" "$ROOT/etc/asterisk" >/dev/null 2>&1 || rc=1
  rm -rf "$want"
  return $rc
}

install_configs() {
  local etc="$ROOT/etc/asterisk"
  rm -rf "$etc.new"
  build_configs "$etc.new"
  rm -rf "$etc.old"
  mv "$etc" "$etc.old" && mv "$etc.new" "$etc" && rm -rf "$etc.old"
}

# http.conf's TLS pair for the softphones' WSS port (8089), made once and kept: a self-signed
# certificate for localhost, which the browser tier accepts (--ignore-certificate-errors).
ensure_certificate() {
  local keys="$ROOT/var/lib/asterisk/keys"
  [ -s "$keys/asterisk.crt" ] && [ -s "$keys/asterisk.key" ] && return 0
  command -v openssl >/dev/null || die "openssl is needed to make the WSS certificate"
  mkdir -p "$keys"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$keys/asterisk.key" -out "$keys/asterisk.crt" 2>/dev/null \
    || die "openssl could not make $keys/asterisk.crt"
  chmod 0600 "$keys/asterisk.key"
  say "made a self-signed certificate for the WSS port: $keys/asterisk.crt"
}

port_busy() {  # a listener on 5038/tcp or 5060/udp that is not our Asterisk
  ss -Hltn 'sport = :5038' | grep -q . || ss -Hlun 'sport = :5060' | grep -q . \
    || ss -Hun 'sport = :5060' | grep -q .
}

start() {
  local p
  if p=$(pid) && ! responding; then
    # Booting or restarting ("core restart now" re-executes in place): give it time.
    say "Asterisk (pid $p) is not answering yet; waiting"
    for _ in $(seq 1 "$BOOT_TIMEOUT"); do responding && break; sleep 1; done
    responding || { say "pid $p never answered; stopping it"; stop; }
  fi
  if pid >/dev/null && responding; then
    if configs_current; then
      timeout "$BOOT_TIMEOUT" chroot "$ROOT" /usr/sbin/asterisk -rx "core waitfullybooted" >/dev/null \
        || die "Asterisk (pid $(pid)) runs but is not fully booted after ${BOOT_TIMEOUT}s"
      say "already running (pid $(pid))"
      return 0
    fi
    say "configs changed; restarting"
    stop
  fi
  if port_busy; then
    ss -Hlntup 'sport = :5038 or sport = :5060' >&2 || true
    die "127.0.0.1:5038 (AMI) or :5060 (SIP) is taken by another process (a second PBX or the demo simulator?)"
  fi
  install_configs
  # Name lookups of the host's own name ("vm", "localhost") must work inside the chroot.
  cp -L /etc/hosts "$ROOT/etc/hosts"
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
  mkdir -p "$ROOT/run/asterisk" "$ROOT/var/log/asterisk/cel-custom" "$ROOT/var/spool/asterisk/monitor" \
    "$ROOT/var/lib/asterisk/callcenter"
  ensure_certificate
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  say "starting Asterisk in $ROOT (log: $LOG)"
  setsid chroot "$ROOT" /usr/sbin/asterisk -f -n </dev/null >>"$LOG" 2>&1 &
  local bg=$!
  local deadline=$(( $(date +%s) + BOOT_TIMEOUT ))
  until timeout 5 chroot "$ROOT" /usr/sbin/asterisk -rx "core waitfullybooted" >/dev/null 2>&1; do
    if ! kill -0 "$bg" 2>/dev/null; then
      tail -n 30 "$LOG" >&2
      die "Asterisk exited during boot (see $LOG)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 30 "$LOG" >&2
      die "Asterisk not fully booted after ${BOOT_TIMEOUT}s (see $LOG)"
    fi
    sleep 0.5
  done
  say "fully booted (pid $(pid || echo "$bg"), $(rx 'core show version' | awk '{print $1, $2}'))"
}

gone() {  # wait up to $2 seconds for pid $1 to exit
  local i
  for i in $(seq 1 $(( $2 * 4 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done
  ! kill -0 "$1" 2>/dev/null
}

stop() {
  local p
  if p=$(pid); then
    say "stopping Asterisk (pid $p)"
    if responding; then
      timeout 10 chroot "$ROOT" /usr/sbin/asterisk -rx "core stop now" >/dev/null 2>&1 || true
    else
      kill -TERM "$p" 2>/dev/null || true
    fi
    if ! gone "$p" 15; then
      say "pid $p still alive; sending SIGKILL"
      kill -KILL "$p" 2>/dev/null || true
      gone "$p" 10 || die "could not stop Asterisk pid $p"
    fi
  else
    say "not running"
  fi
  rm -f "$PIDFILE" "$ROOT/run/asterisk/asterisk.ctl"
  if mountpoint -q "$ROOT/proc"; then
    umount "$ROOT/proc" || umount -l "$ROOT/proc"
  fi
}

status() {
  if pid >/dev/null && responding; then
    echo "running (pid $(pid)): $(rx 'core show uptime' | head -n 1)"
    rx "core show channels count"
  else
    echo "stopped"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  rx) [ $# -ge 2 ] || die "usage: pbx.sh rx \"cli command\""; rx "$2" ;;
  *) echo "usage: $0 start|stop|restart|status|rx \"cli command\"" >&2; exit 2 ;;
esac
