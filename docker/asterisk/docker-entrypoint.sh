#!/bin/sh
# Entry point of the Asterisk image. Installs this installation's secrets, which are never in
# the image or in git, as the *_local.conf files the sample configs include at their end:
#   - manager_local.conf from CALLCENTER_AMI_SECRET (the same variable the service reads, from
#     docker/.env): the AMI user "crm" of manager.conf gets it as its secret;
#   - pjsip_local.conf from the compose secret /run/secrets/pjsip_local.conf: the provider's
#     address and credentials, the phones' passwords, the public address behind NAT;
#   - extensions_local.conf from /run/secrets/extensions_local.conf, when given.
# Then runs the command (Asterisk in the foreground). ASTERISK_ETC, SECRETS_DIR and
# ASTERISK_GROUP are only there for tests/unit/test_docker_files.py.
set -eu

etc=${ASTERISK_ETC:-/etc/asterisk}
secrets=${SECRETS_DIR:-/run/secrets}
group=${ASTERISK_GROUP:-asterisk}
say() { echo "docker-entrypoint: $*" >&2; }

secret=${CALLCENTER_AMI_SECRET:-}
if [ -z "$secret" ]; then
  say "CALLCENTER_AMI_SECRET is not set (docker/.env): the service could not log in to AMI"
  exit 1
fi
case $secret in
  *[!A-Za-z0-9._~+/=-]*)
    say "CALLCENTER_AMI_SECRET may only hold letters, digits and . _ ~ + / = -"
    say "(manager.conf reads ';' as a comment); generate one with: openssl rand -hex 24"
    exit 1
    ;;
esac

umask 027
{
  echo "; Written by docker-entrypoint.sh at every start, from CALLCENTER_AMI_SECRET."
  echo "[crm](+)"
  echo "secret = $secret"
} >"$etc/manager_local.conf"
unset secret CALLCENTER_AMI_SECRET  # not in Asterisk's environment (ENV() in the dialplan)

for name in pjsip_local.conf extensions_local.conf; do
  if [ -f "$secrets/$name" ]; then
    cp "$secrets/$name" "$etc/$name"
  else
    rm -f "$etc/$name"
  fi
done
[ -f "$etc/pjsip_local.conf" ] \
  || say "no $secrets/pjsip_local.conf: no provider, and phones cannot register"
chgrp "$group" "$etc"/*_local.conf
chmod 0640 "$etc"/*_local.conf

# The TLS pair of http.conf (the softphones' WSS port), made once into the keys volume when
# the installation has not put its own there.
keys=${ASTERISK_KEYS:-/var/lib/asterisk/keys}
if [ ! -s "$keys/asterisk.crt" ] || [ ! -s "$keys/asterisk.key" ]; then
  mkdir -p "$keys"
  name=${CALLCENTER_PBX_HOSTNAME:-localhost}
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$name" \
    -addext "subjectAltName=DNS:$name" \
    -keyout "$keys/asterisk.key" -out "$keys/asterisk.crt" 2>/dev/null
  say "made a self-signed certificate for $name in $keys: browsers warn until it is replaced"
fi
chgrp -R "$group" "$keys" && chmod 0640 "$keys/asterisk.key"

exec "$@"
