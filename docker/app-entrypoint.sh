#!/bin/sh
# Entry point of the service's image. docker-compose.yml runs several replicas of one service
# definition, so two settings that must differ between them cannot be written there; this
# fills them in when they are not set, then runs the command (`callcenter serve`).
#   - CALLCENTER_AUDIOSOCKET_ADDRESS: where Asterisk connects for live listening. The leader
#     asks Asterisk (AMI Originate) to connect to the replica holding the supervisor's browser,
#     so each replica needs an address of its own; the service's name, "app", stands for all
#     of them. Taken as this container's address on the network it reaches the PBX on
#     (CALLCENTER_AMI_HOST): Asterisk can reach it back there, whichever of the container's
#     networks Docker's DNS answered with. (`hostname -i` lists one address per network and
#     says nothing of which one Asterisk shares.)
#   - CALLCENTER_INSTANCE_NAME: the replica's name in /healthz, the logs and the live board:
#     the container's host name, its id as `docker ps` shows it. The service's own default
#     adds the process id, which is always 1 here.
set -eu

say() { echo "app-entrypoint: $*" >&2; }

if [ -z "${CALLCENTER_AUDIOSOCKET_ADDRESS:-}" ] && [ -n "${CALLCENTER_AUDIOSOCKET_BIND:-}" ]; then
  # UDP connect() sends nothing: the kernel only picks the route, and so the source address.
  if address=$(python3 - <<'EOF'
import os, socket, sys
peer = os.environ.get("CALLCENTER_AMI_HOST", "")
port = os.environ["CALLCENTER_AUDIOSOCKET_BIND"].rpartition(":")[2]
if not peer:
    sys.exit("CALLCENTER_AMI_HOST is not set (several PBXs?)")
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((socket.gethostbyname(peer), 9))
        print(f"{s.getsockname()[0]}:{port}")
except OSError as exc:
    sys.exit(f"no route to {peer}: {exc}")
EOF
  ); then
    export CALLCENTER_AUDIOSOCKET_ADDRESS="$address"
  else
    say "set CALLCENTER_AUDIOSOCKET_ADDRESS to this replica's host:port as Asterisk reaches it:"
    say "until then Asterisk cannot connect live listening here"
  fi
fi

if [ -z "${CALLCENTER_INSTANCE_NAME:-}" ]; then
  export CALLCENTER_INSTANCE_NAME="${HOSTNAME:-$(cat /etc/hostname)}"
fi

exec "$@"
