#!/usr/bin/env bash
# Project checks that are not tests, run by .ci/run: the compose file parses and validates (no Docker engine is
# needed for `config`), the generated configuration reference in README.md and docs/configuration.md and the
# library's config types match the config specs, and docs/compatibility.md matches the conformance suites.
# (README's first command has a step of its own in .ci/run: scripts/check-demo.mjs.)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "-- docker-compose.yml"
bash scripts/install-docker-compose.sh >/dev/null
docker-compose -f docker-compose.yml config -q

echo "-- configuration reference (README.md, docs/configuration.md)"
npx tsx scripts/config-reference.ts --check

echo "-- the library's config types (runtime/library/config-types.ts, generated from the config specs)"
npx tsx scripts/library-types.ts --check

echo "-- docs/compatibility.md (generated from the conformance suites)"
npx tsx scripts/compatibility-doc.ts --check
