#!/usr/bin/env bash
# The openssl command: test/harness/certs.ts makes the throwaway CA and certificates of the PostgreSQL TLS tests
# with it. Debian 12 images often have it already (ca-certificates depends on it), minimal ones do not.
# Idempotent: installs nothing when it is present.
set -euo pipefail
if command -v openssl >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib/apt.sh"
apt_install openssl
