#!/usr/bin/env bash
# Benchmarks, release build, figures side by side with the peers measured in the same run.
# Installs what the peers need: wrk (Debian package) for the catalog and Glue benchmarks; DuckDB,
# pyarrow, boto3 and moto_server (into .venv) for the crawler and Glue benchmarks; Debian's
# PostgreSQL JDBC driver for the real Hive Metastore on PostgreSQL. Starts a throwaway
# PostgreSQL cluster (scripts/postgres.sh) for the PostgreSQL store and that peer.
# `bash scripts/bench.sh` runs them all; `bash scripts/bench.sh catalog|crawler|glue|hms|security|events|console|iceberg|open_formats` runs one.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1 || sudo apt-get install -y -qq wrk >/dev/null 2>&1 || echo "could not install wrk; the steps that need it are skipped"
fi
if [ ! -f /usr/share/java/postgresql.jar ]; then
  (apt-get install -y -qq libpostgresql-jdbc-java || (apt-get update -qq && apt-get install -y -qq libpostgresql-jdbc-java)) >/dev/null 2>&1 \
    || echo "could not install libpostgresql-jdbc-java; the Hive Metastore on PostgreSQL is skipped"
fi
pg_dir=$(mktemp -d /tmp/lakecat-bench-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
LAKECAT_TEST_PG=$(bash scripts/postgres.sh start "$pg_dir")
export LAKECAT_TEST_PG
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install --quiet --disable-pip-version-check -r testdata/requirements-test.txt -r testdata/requirements-bench.txt
case "${1:-all}" in
  catalog) cargo bench --bench catalog ;;
  crawler) cargo bench --bench crawler ;;
  glue) cargo bench --bench glue ;;
  hms) cargo bench --bench hms ;;
  security) cargo bench --bench security ;;
  events) cargo bench --bench events ;;
  console) cargo bench --bench console ;;
  iceberg) cargo bench --bench iceberg ;;
  open_formats) cargo bench --bench open_formats ;;
  *) cargo bench --bench catalog && cargo bench --bench crawler && cargo bench --bench glue && cargo bench --bench hms && cargo bench --bench security && cargo bench --bench events && cargo bench --bench console && cargo bench --bench iceberg && cargo bench --bench open_formats ;;
esac
