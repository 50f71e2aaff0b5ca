#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks.
#   scripts/postgres.sh start DIR   prints the server's URL (postgres://…) on stdout
#   scripts/postgres.sh stop DIR
#   scripts/postgres.sh resume DIR  starts a stopped cluster again (same port)
# initdb refuses to run as root, so as root the cluster belongs to the `postgres`
# OS user (Debian's package creates it). The server listens on 127.0.0.1 only, on
# a free port, with its socket inside DIR, and trusts local connections: it holds
# nothing but test data and lives as long as one test run. With openssl on the
# machine it also serves TLS (plain connections stay allowed) with a certificate
# for 127.0.0.1 and localhost signed by a throwaway authority, DIR/ca.crt, for
# the tests of TLS to the database; the role `lakecat_cert` may then sign in only
# over TLS with a client certificate the same authority signed (DIR/client.crt
# and DIR/client.key, for the tests of client certificates).
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?cluster folder}

bin=""
for v in 17 16 15; do
  if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then bin=/usr/lib/postgresql/$v/bin; break; fi
done
if [ -z "$bin" ]; then
  if [ "$cmd" = stop ]; then exit 0; fi
  echo "PostgreSQL server binaries are missing: installing Debian's postgresql" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
  else sudo apt-get update -qq >&2 && sudo apt-get install -y -qq postgresql >&2; fi
  exec "$0" "$@"
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner "$bin/initdb" -D "$dir/data" --auth=trust -U lakecat -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
fsync = on
CONF
  if command -v openssl >/dev/null; then
    { openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=lakecat test authority" \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" \
      && openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
        -keyout "$dir/server.key" -out "$dir/server.csr" \
      && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$dir/server.ext" \
      && openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 3 -extfile "$dir/server.ext" -out "$dir/server.crt" \
      && openssl req -newkey rsa:2048 -nodes -subj /CN=lakecat_cert \
        -keyout "$dir/client.key" -out "$dir/client.csr" \
      && printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$dir/client.ext" \
      && openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 3 -extfile "$dir/client.ext" -out "$dir/client.crt"; } \
      >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
    chmod 600 "$dir/server.key"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/server.key" "$dir/server.crt"
    cat >>"$dir/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
ssl_ca_file = '$dir/ca.crt'
CONF
    # Read top down: the first line that fits decides.
    { printf 'hostssl all lakecat_cert 127.0.0.1/32 cert\nhost all lakecat_cert 127.0.0.1/32 reject\n'
      cat "$dir/data/pg_hba.conf"; } >"$dir/pg_hba.conf.new"
    mv "$dir/pg_hba.conf.new" "$dir/data/pg_hba.conf"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/data/pg_hba.conf"
  fi
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  if [ -f "$dir/client.crt" ]; then
    as_owner "$bin/psql" -q -h "$dir" -p "$port" -U lakecat -d postgres \
      -c "CREATE ROLE lakecat_cert LOGIN SUPERUSER" >&2
  fi
  echo "postgres://lakecat@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  ;;
resume)
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >&2
  ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
