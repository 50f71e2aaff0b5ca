#!/usr/bin/env bash
# A throwaway MIT Kerberos realm for the tests and benchmarks of SASL GSSAPI on
# the Thrift port.
#   scripts/kdc.sh start DIR   makes realm LAKECAT.TEST in DIR, starts its KDC on a
#                              free port of 127.0.0.1 and prints DIR/krb5.conf
#   scripts/kdc.sh stop DIR
# DIR then holds krb5.conf (point KRB5_CONFIG and Java's java.security.krb5.conf
# at it) and keytabs: hive.keytab for the service hive/localhost, impostor.keytab
# for a service of another name, and alice.keytab, bob.keytab and spark.keytab
# for users of those names. Nothing outside DIR is
# touched and no root service is started; the KDC lives as long as one test run.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?realm folder}

if [ ! -x /usr/sbin/krb5kdc ] || [ ! -x /usr/sbin/kadmin.local ]; then
  if [ "$cmd" = stop ]; then exit 0; fi
  echo "MIT Kerberos is missing: installing Debian's krb5-kdc, krb5-admin-server and krb5-user" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq krb5-kdc krb5-admin-server krb5-user >&2
  else sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq krb5-kdc krb5-admin-server krb5-user >&2; fi
fi

case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # TCP only (udp_preference_limit = 1): Java and MIT agree on it, and one port
  # is all a test needs. No DNS: the tests name the service host `localhost`.
  cat >"$dir/krb5.conf" <<CONF
[libdefaults]
  default_realm = LAKECAT.TEST
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  rdns = false
  udp_preference_limit = 1
  ticket_lifetime = 2h
  forwardable = true
[realms]
  LAKECAT.TEST = {
    kdc = 127.0.0.1:$port
  }
[domain_realm]
  localhost = LAKECAT.TEST
CONF
  cat >"$dir/kdc.conf" <<CONF
[kdcdefaults]
  kdc_listen = 127.0.0.1:$port
  kdc_tcp_listen = 127.0.0.1:$port
[realms]
  LAKECAT.TEST = {
    database_name = $dir/principal
    key_stash_file = $dir/stash
    acl_file = $dir/kadm5.acl
    max_life = 2h
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:$dir/kdc.log
CONF
  : >"$dir/kadm5.acl"
  export KRB5_CONFIG=$dir/krb5.conf KRB5_KDC_PROFILE=$dir/kdc.conf
  kdb5_util create -s -r LAKECAT.TEST -P "throwaway-$RANDOM$RANDOM" >"$dir/setup.log" 2>&1 \
    || { cat "$dir/setup.log" >&2; exit 1; }
  for p in hive/localhost impostor/localhost alice bob spark; do
    name=${p%%/*}
    kadmin.local -q "addprinc -randkey $p@LAKECAT.TEST" >>"$dir/setup.log" 2>&1
    kadmin.local -q "ktadd -k $dir/$name.keytab $p@LAKECAT.TEST" >>"$dir/setup.log" 2>&1
  done
  /usr/sbin/krb5kdc -P "$dir/kdc.pid" >>"$dir/setup.log" 2>&1 || { cat "$dir/setup.log" >&2; exit 1; }
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
      echo "$dir/krb5.conf"
      exit 0
    fi
    sleep 0.1
  done
  echo "the KDC did not start; its log:" >&2
  cat "$dir/kdc.log" "$dir/setup.log" >&2 || true
  exit 1
  ;;
stop)
  if [ -f "$dir/kdc.pid" ]; then kill "$(cat "$dir/kdc.pid")" 2>/dev/null || true; rm -f "$dir/kdc.pid"; fi
  ;;
*)
  echo "usage: scripts/kdc.sh start|stop DIR" >&2
  exit 2
  ;;
esac
