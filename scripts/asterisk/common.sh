# Shared by setup.sh and pbx.sh: where the Asterisk root lives.
ASTERISK_ROOT=${CALLCENTER_ASTERISK_ROOT:-/var/cache/callcenter/asterisk-sid}
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
die() { echo "$PROG: ERROR: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }
