#!/usr/bin/env bash
# Project checks that are not tests, run by .ci/run: the compose file parses and validates (no Docker engine is
# needed for `config`), and the generated configuration reference in README.md and docs/configuration.md
# matches the config specs, and docs/compatibility.md matches the conformance suites.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "-- docker-compose.yml"
docker-compose -f docker-compose.yml config -q

echo "-- configuration reference (README.md, docs/configuration.md)"
npx tsx scripts/config-reference.ts --check

echo "-- docs/compatibility.md (generated from the conformance suites)"
npx tsx scripts/compatibility-doc.ts --check

echo "-- README's first command on a fresh clone: npm install && npx sluice demo"
bash scripts/check-fresh-clone.sh
