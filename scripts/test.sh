#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this). Works on a fresh machine
# with the Rust toolchain: everything else the tests need is installed from here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== test dependencies (.venv: moto_server for the S3 tests, boto3, the aws CLI and awswrangler for the Glue tests, pyspark, hmsclient, hive-metastore-client, thrift_sasl, pykerberos and PyIceberg for the Hive Metastore tests; delta-rs and PyIceberg's SqlCatalog for the open-format crawls; Selenium for the console's browser test; Java 17 for pyspark)"
if [ ! -x /usr/sbin/krb5kdc ] || [ ! -x /usr/sbin/kadmin.local ] || [ ! -x /usr/bin/krb5-config ]; then
  # The Kerberos tests make a throwaway realm (scripts/kdc.sh) with MIT's KDC; pykerberos
  # (the Python clients' Kerberos) builds against libkrb5-dev, so this comes before pip.
  echo "== installing Debian's MIT Kerberos (krb5-kdc, krb5-admin-server, krb5-user, libkrb5-dev) for the Kerberos tests"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq krb5-kdc krb5-admin-server krb5-user libkrb5-dev python3-dev
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq krb5-kdc krb5-admin-server krb5-user libkrb5-dev python3-dev; fi
fi
if [ ! -x .venv/bin/moto_server ] || [ ! -x .venv/bin/aws ] \
  || ! .venv/bin/python -c "import boto3, pyspark, hmsclient, hive_metastore_client, awswrangler, thrift_sasl, puresasl, kerberos, pyiceberg.catalog.hive, pyiceberg.catalog.sql, deltalake, selenium" 2>/dev/null; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r testdata/requirements-test.txt
fi
if ! PYTHONPATH=.venv/duckdb-1.4 .venv/bin/python -c "import duckdb; assert duckdb.__version__ == '1.4.4'" 2>/dev/null \
  || [ ! -d .venv/duckdb-1.4/duckdb_ext_delta-1.4.4.20260205.dist-info ]; then
  # DuckDB 1.4 and its iceberg extension, apart from the crawler benchmark's DuckDB.
  rm -rf .venv/duckdb-1.4
  .venv/bin/pip install --quiet --disable-pip-version-check --target .venv/duckdb-1.4 -r testdata/requirements-duckdb.txt
fi
command -v java >/dev/null || { echo "Java 17 is needed by pyspark (the Hive Metastore tests)"; exit 1; }
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  # The console's browser test drives Debian's chromium through its chromedriver.
  echo "== installing Debian's chromium and chromium-driver (the web console's browser test)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver; fi
fi
if ! command -v openssl >/dev/null; then
  # The SNS signature tests make certificates and sign messages with openssl.
  echo "== installing Debian's openssl (the SNS signature tests use it)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openssl
  else sudo apt-get update -qq && sudo apt-get install -y -qq openssl; fi
fi

echo "== PostgreSQL (a throwaway cluster for the PostgreSQL store's tests, stopped at exit)"
pg_dir=$(mktemp -d /tmp/lakecat-test-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
LAKECAT_TEST_PG=$(bash scripts/postgres.sh start "$pg_dir")
export LAKECAT_TEST_PG

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
cargo test --workspace --all-targets --locked

echo "== the fronts again, on a PostgreSQL store (the slow Spark comparison runs once, above)"
LAKECAT_TEST_BACKEND=postgres cargo test --locked --test api --test sql --test glue --test console \
  --test hms --test crawlers --test process -- --skip spark_answers_the_same
