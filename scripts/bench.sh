#!/usr/bin/env bash
# Benchmarks, release build, figures side by side. Installs wrk (Debian package) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1 || sudo apt-get install -y -qq wrk >/dev/null 2>&1 || echo "could not install wrk; step 4 is skipped"
fi
cargo bench --bench catalog "$@"
