#!/usr/bin/env bash
# Installs the Prometheus project's own Python client (Debian 12: python3-prometheus-client 0.16) for its
# text-format parser: test/integration/rest/metrics.test.ts checks that GET /metrics parses with it.
# Idempotent: does nothing when /usr/bin/python3 already imports prometheus_client.parser.
set -euo pipefail
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import prometheus_client.parser' >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
apt_install python3 python3-prometheus-client
/usr/bin/python3 -c 'import prometheus_client.parser'
